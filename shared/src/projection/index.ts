export * from './projector';
export * from './rebuild';
export * from './versioned';
