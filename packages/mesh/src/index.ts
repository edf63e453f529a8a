// @shoal/mesh: the routing mesh. Load-balancer core, ingress proxy on published ports, and the
// mutually authenticated tunnel on 4789 that carries ingress connections to tasks on other nodes.
export * from './clock';
export * from './endpoints';
export * from './errors';
export * from './ingress-connection';
export * from './ingress-proxy';
export * from './kernel-fast-path';
export * from './load-balancer';
export * from './logger';
export * from './proxy-protocol';
export * from './relay';
export * from './routing-mesh';
export * from './tunnel/client';
export * from './tunnel/datagram-stream';
export * from './tunnel/frames';
export * from './tunnel/server';
export * from './tunnel/session';
export * from './tunnel/stream';
export * from './tunnel/tls';
export * from './udp-flows';
export * from './udp-host-port';
export * from './udp-ingress';
export * from './udp-listener';
export * from './udp-task-socket';
