// Publish mode `host`: the port is bound only on the node that runs the task and
// forwards straight to it (no mesh, no other node involved). A published port of 0
// (`--publish mode=host,target=80`) is one the kernel picks, reported as the task's
// PortStatus, as Docker reports the host port it bound for the container.
import * as net from 'node:net';
import { openUdpHostPort, relay, type UdpListener } from '@shoal/mesh';
import type { HostPortBinding, TaskAssignment } from '@shoal/wire';
import type { Logger } from 'pino';

interface Bound {
  readonly bindings: Promise<HostPortBinding[]>;
  readonly servers: net.Server[];
  readonly udp: UdpListener[];
}

export class HostPorts {
  private readonly tasks = new Map<string, Bound>();

  constructor(
    private readonly addr: string,
    private readonly logger: Logger,
  ) {}

  /** Binds the task's host-mode ports (once per task); resolves with those bound. */
  open(a: TaskAssignment, taskPort: number): Promise<HostPortBinding[]> {
    const known = this.tasks.get(a.taskId);
    if (known) return known.bindings;
    const wanted = a.publishedPorts.filter((p) => p.mode === 'host' && (p.protocol === 'tcp' || p.protocol === 'udp') && p.published >= 0);
    const servers: net.Server[] = [];
    const udp: UdpListener[] = [];
    const each = wanted.map(async (p): Promise<HostPortBinding | null> => {
      if (p.protocol === 'udp') {
        const target = { host: this.addr, port: taskPort };
        const listener = openUdpHostPort({ bindAddr: this.addr, port: p.published, target, taskId: a.taskId, logger: this.logger });
        udp.push(listener);
        await listener.ready;
        const port = listener.boundPort;
        return port === undefined ? null : { protocol: 'udp', targetPort: p.target, publishedPort: port };
      }
      const server = net.createServer({ noDelay: true }, (client) => {
        const upstream = net.connect({ host: this.addr, port: taskPort, noDelay: true });
        relay(client, upstream);
      });
      servers.push(server);
      const port = await new Promise<number | null>((resolve) => {
        let listening = false;
        server.once('listening', () => {
          listening = true;
          resolve((server.address() as net.AddressInfo).port);
        });
        // Kept for the server's life: a failed accept (e.g. EMFILE) is an 'error' too, and an unheard one would end the process.
        server.on('error', (err) => {
          if (listening) {
            this.logger.warn({ err: err.message, taskId: a.taskId, port: p.published }, 'host-mode port error');
            return;
          }
          this.logger.error({ err: err.message, taskId: a.taskId, port: p.published }, 'host-mode port could not be bound');
          resolve(null);
        });
        server.listen(p.published, this.addr);
      });
      return port === null ? null : { protocol: 'tcp', targetPort: p.target, publishedPort: port };
    });
    const bindings = Promise.all(each).then((all) => all.filter((b): b is HostPortBinding => b !== null));
    this.tasks.set(a.taskId, { bindings, servers, udp });
    return bindings;
  }

  close(taskId: string): void {
    const bound = this.tasks.get(taskId);
    if (!bound) return;
    this.tasks.delete(taskId);
    for (const l of bound.udp) void l.close();
    for (const s of bound.servers) s.close();
  }

  closeAll(): void {
    for (const id of [...this.tasks.keys()]) this.close(id);
  }
}
