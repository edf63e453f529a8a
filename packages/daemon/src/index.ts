export * from './daemon';
export * from './config';
export * from './addr';
