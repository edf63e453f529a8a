export * from './errors';
export * from './objects';
export * from './commands';
export * from './memory-store';
export * from './proposer';
