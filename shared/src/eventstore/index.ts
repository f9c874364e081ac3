export * from './store';
export * from './relay';
export * from './command-handler';
