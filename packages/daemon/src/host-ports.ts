// Publish mode `host`: the port is bound only on the node that runs the task and
// forwards straight to it (no mesh, no other node involved).
import * as net from 'node:net';
import { openUdpHostPort, relay, type UdpListener } from '@shoal/mesh';
import type { TaskAssignment } from '@shoal/wire';
import type { Logger } from 'pino';

export class HostPorts {
  private readonly servers = new Map<string, net.Server[]>();
  private readonly udp = new Map<string, UdpListener[]>();

  constructor(
    private readonly addr: string,
    private readonly logger: Logger,
  ) {}

  open(a: TaskAssignment, taskPort: number): void {
    this.openUdp(a, taskPort);
    const wanted = a.publishedPorts.filter((p) => p.mode === 'host' && p.protocol === 'tcp' && p.published > 0);
    if (wanted.length === 0 || this.servers.has(a.taskId)) return;
    const servers = wanted.map((p) => {
      const server = net.createServer({ noDelay: true }, (client) => {
        const upstream = net.connect({ host: this.addr, port: taskPort, noDelay: true });
        relay(client, upstream);
      });
      server.on('error', (err) =>
        this.logger.error({ err: err.message, taskId: a.taskId, port: p.published }, 'host-mode port could not be bound'),
      );
      server.listen(p.published, this.addr);
      return server;
    });
    this.servers.set(a.taskId, servers);
  }

  close(taskId: string): void {
    for (const l of this.udp.get(taskId) ?? []) void l.close();
    this.udp.delete(taskId);
    for (const s of this.servers.get(taskId) ?? []) s.close();
    this.servers.delete(taskId);
  }

  closeAll(): void {
    for (const id of [...this.servers.keys(), ...this.udp.keys()]) this.close(id);
  }

  /** UDP: flows from each client address straight to the task, idle ones expire (@shoal/mesh). */
  private openUdp(a: TaskAssignment, taskPort: number): void {
    const wanted = a.publishedPorts.filter((p) => p.mode === 'host' && p.protocol === 'udp' && p.published > 0);
    if (wanted.length === 0 || this.udp.has(a.taskId)) return;
    const target = { host: this.addr, port: taskPort };
    this.udp.set(a.taskId, wanted.map((p) => openUdpHostPort({ bindAddr: this.addr, port: p.published, target, taskId: a.taskId, logger: this.logger })));
  }
}
