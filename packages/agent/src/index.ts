export * from './agent';
export * from './task-runner';
export { machineArch } from './template';
