export * from './app';
export * from './cursor';
export * from './methods';
export * from './problem';
export * from './validate';
export * from './server';
