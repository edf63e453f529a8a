export * from './backend';
export * from './engine-server';
export * from './filters';
export * from './mapping';
export * from './service-mapping';
export * from './service-routes';
export * from './logs';
