// Publish mode `host` for UDP: the port is bound only on the node running the task and every flow
// goes straight to that task (no balancing, no tunnel). The daemon's host-port code opens one
// per port of a running task and closes it when the task stops.
import type { Clock } from './clock';
import type { HostPort } from './endpoints';
import type { Logger } from './logger';
import { nullLogger } from './logger';
import { UdpListener } from './udp-listener';
import { TaskUdpSocket } from './udp-task-socket';

export interface UdpHostPortOptions {
  readonly bindAddr: string;
  readonly port: number;
  /** The task's own address and port. */
  readonly target: HostPort;
  readonly taskId: string;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Default 30 000 ms. */
  readonly idleTimeoutMs?: number;
}

export function openUdpHostPort(o: UdpHostPortOptions): UdpListener {
  const logger = o.logger ?? nullLogger;
  return new UdpListener({
    bindAddr: o.bindAddr,
    port: o.port,
    logger,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
    dial: (_published, _client, events) => {
      const socket: TaskUdpSocket = new TaskUdpSocket({
        target: o.target,
        logger,
        onMessage: (datagram) => events.reply(datagram),
        onError: (err) => {
          socket.close();
          events.ended(err);
        },
      });
      return { taskId: o.taskId, send: (datagram) => socket.send(datagram), close: () => socket.close() };
    },
  });
}
