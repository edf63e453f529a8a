export * from './agent';
export * from './task-runner';
