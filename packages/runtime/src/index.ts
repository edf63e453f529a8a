// @shoal/runtime: the agent's task executors (DESIGN §5).
export * from './types';
export * from './errors';
export type { RuntimeLogger } from './logger';
export { silentLogger } from './logger';
export { imageRepository, knownImage, NGINX_IMAGE, WHOAMI_IMAGE, type KnownImage } from './image-ref';
export { formatLogTime } from './log-records';
export {
  encodeProxyV2,
  parseProxyV2,
  PROXY_V2_SIGNATURE,
  type ProxyAddress,
  type ProxyHeader,
  type ProxyParseResult,
  type ProxyTransport,
} from './proxy-protocol';
export {
  DEFAULT_LOG_MAX_BYTES,
  DEFAULT_PORT_RANGE,
  ProcessExecutor,
  type ProcessExecutorOptions,
} from './process/executor';
export { FakeExecutor, type FakeCall, type FakeExecutorOptions, type FakeSeed } from './fake/fake-executor';
export { FakeTaskController, type FakeOp } from './fake/fake-controller';
