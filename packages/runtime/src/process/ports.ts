// Hands out task ports from the node's range. A port is only given if nothing
// on the host holds it, TCP or UDP (a task may serve both on its one port), and
// no other task of this node was given it; it stays taken until the task is removed.
import { createSocket } from 'node:dgram';
import { createServer, isIPv6 } from 'node:net';
import { NoPortAvailableError } from '../errors';

export interface PortAllocatorOptions {
  range: readonly [number, number];
  /** Addresses the port must be bindable on (the agent's host and the tasks' listen address). */
  hosts: readonly string[];
}

export class PortAllocator {
  private readonly taken = new Set<number>();
  private cursor: number;

  constructor(private readonly options: PortAllocatorOptions) {
    const [lo, hi] = options.range;
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi <= 65535 && lo <= hi)) {
      throw new RangeError(`invalid port range ${lo}-${hi}`);
    }
    this.cursor = lo;
  }

  async allocate(): Promise<number> {
    const [lo, hi] = this.options.range;
    const size = hi - lo + 1;
    for (let tried = 0; tried < size; tried++) {
      const port = this.cursor;
      // Walk on round-robin rather than reuse the lowest free port, so a port
      // freed a moment ago (and perhaps still in peers' endpoint tables) rests.
      this.cursor = port === hi ? lo : port + 1;
      if (this.taken.has(port)) continue;
      // Claim before the async probe so concurrent allocations never share a port.
      this.taken.add(port);
      if (await this.bindable(port)) return port;
      this.taken.delete(port);
    }
    throw new NoPortAvailableError(this.options.range, this.options.hosts.join(','));
  }

  /** Marks a port as taken without probing it (a live task adopted after a restart). */
  reserve(port: number): void {
    this.taken.add(port);
  }

  release(port: number): void {
    this.taken.delete(port);
  }

  isTaken(port: number): boolean {
    return this.taken.has(port);
  }

  private async bindable(port: number): Promise<boolean> {
    for (const host of this.options.hosts) if (!(await probe(port, host)) || !(await probeUdp(port, host))) return false;
    return true;
  }
}

function probe(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      // A host address that does not exist is a configuration error, not a busy port.
      if (err.code === 'EADDRNOTAVAIL') reject(err);
      else resolve(false);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function probeUdp(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    // The TCP probe has already vouched for the address; any error here means the port is held.
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}
