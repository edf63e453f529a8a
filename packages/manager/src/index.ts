export * from './manager';
export * from './control-api';
export * from './node-lookup';
export * from './heartbeat-monitor';
