export * from './backend';
export * from './engine-server';
export * from './filters';
export * from './mapping';
