export * from './app';
export * from './methods';
export * from './problem';
export * from './validate';
export * from './server';
