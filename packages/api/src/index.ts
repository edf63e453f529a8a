export * from './engine/types';
export * from './client';
export * from './server';
