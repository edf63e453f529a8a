export * from './errors';
export * from './host';
export * from './api-version';
export * from './filters';
export { encodeQuery, type Query, type QueryValue } from './transport';
export * from './engine-client';
export * from './stdcopy';
