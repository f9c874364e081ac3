export * from './app';
export * from './problem';
export * from './validate';
export * from './server';
