export * from './errors';
export * from './objects';
export * from './service-objects';
export * from './service-status';
export * from './commands';
export * from './memory-store';
export * from './proposer';
export * from './signals';
