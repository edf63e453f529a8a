import { createServer, connect } from 'node:net';
import { Duplex } from 'node:stream';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TunnelConnectionError, TunnelOpenError, TunnelProtocolError } from '../errors';
import { nullLogger } from '../logger';
import { FakeClock } from '../test-support/fake-clock';
import type { TunnelDatagramStream } from './datagram-stream';
import { MuxSession } from './session';
import type { MuxSessionOptions } from './session';

// MuxSession over plain loopback TCP (TLS is the shells' business): framing and keepalive.

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.reverse()) f();
  cleanup = [];
});

async function socketPair(onServer: (s: Socket) => void = () => undefined): Promise<Socket> {
  const server: Server = createServer((s) => {
    cleanup.push(() => s.destroy());
    onServer(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => server.close());
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  cleanup.push(() => client.destroy());
  await new Promise((resolve) => client.once('connect', resolve));
  return client;
}

function options(clock: FakeClock, extra: Partial<MuxSessionOptions> = {}): MuxSessionOptions {
  return { role: 'client', streamWindow: 65536, keepaliveMs: 1000, congestionBytes: 1 << 20, clock, logger: nullLogger, ...extra };
}

describe('MuxSession', () => {
  it('closes a connection whose peer stopped answering, after three silent keepalive intervals', async () => {
    const received: Buffer[] = [];
    const socket = await socketPair((s) => s.on('data', (d) => received.push(d)));
    const clock = new FakeClock();
    let closedWith: Error | undefined;
    const session = new MuxSession(socket, options(clock, { onClose: (e) => (closedWith = e) }));
    const stream = session.open({ taskId: 't1' });
    const opened = stream.whenOpen().catch((e: unknown) => e);
    clock.advance(3000);
    expect(session.closed).toBe(false);
    clock.advance(1000);
    expect(session.closed).toBe(true);
    expect(closedWith?.message).toMatch(/stopped answering/);
    expect(await opened).toBeInstanceOf(TunnelConnectionError);
  });

  it('stays up while the peer answers pings', async () => {
    let peer: MuxSession | undefined;
    const peerClock = new FakeClock();
    const socket = await socketPair((s) => {
      peer = new MuxSession(s, options(peerClock, { role: 'server', keepaliveMs: 0, onOpen: (st) => st.reject('refused') }));
    });
    const clock = new FakeClock();
    const session = new MuxSession(socket, options(clock));
    cleanup.push(() => {
      session.close();
      peer?.close();
    });
    await new Promise((resolve) => socket.once('data', resolve)); // the peer's preface
    for (let i = 0; i < 5; i++) {
      clock.advance(1000); // heard since the last check: nothing to send
      const pong = new Promise((resolve) => socket.once('data', resolve));
      clock.advance(1000); // silent: PING
      await pong;
    }
    expect(session.closed).toBe(false);
  });

  it('closes the connection on a frame that breaks the protocol', async () => {
    const socket = await socketPair((s) => s.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
    let closedWith: Error | undefined;
    new MuxSession(socket, options(new FakeClock(), { onClose: (e) => (closedWith = e) }));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(closedWith).toBeInstanceOf(TunnelProtocolError);
  });
});

/** The next datagram on `stream`, or its end. */
function nextEvent(stream: TunnelDatagramStream, into: { messages: string[]; closed?: Error | 'clean' }): Promise<void> {
  return new Promise((resolve) => {
    stream.attach({
      message: (d) => {
        into.messages.push(d.toString());
        resolve();
      },
      close: (err) => {
        into.closed = err ?? 'clean';
        resolve();
      },
    });
  });
}

describe('MuxSession datagram streams', () => {
  /** A client session whose peer echoes datagrams of task 'echo' (upper-cased) and refuses the rest. */
  async function echoPair(): Promise<{ client: MuxSession; served: TunnelDatagramStream[] }> {
    const served: TunnelDatagramStream[] = [];
    const socket = await socketPair((s) => {
      const server = new MuxSession(s, {
        ...options(new FakeClock(), { role: 'server', keepaliveMs: 0 }),
        onOpenDatagram: (stream, target) => {
          served.push(stream);
          if (!('taskId' in target) || target.taskId !== 'echo') return stream.close('unknown-target');
          stream.attach({ message: (d) => stream.send(Buffer.from(d.toString().toUpperCase())), close: () => undefined });
        },
      });
      cleanup.push(() => server.close());
    });
    const client = new MuxSession(socket, options(new FakeClock(), { keepaliveMs: 0 }));
    cleanup.push(() => client.close());
    return { client, served };
  }

  it('carries whole datagrams both ways, sent before the peer has even seen the open', async () => {
    const { client, served } = await echoPair();
    const stream = client.openDatagram({ taskId: 'echo' });
    const got: { messages: string[] } = { messages: [] };
    const replies = new Promise<void>((resolve) =>
      stream.attach({
        message: (d) => {
          got.messages.push(d.toString());
          if (got.messages.length === 3) resolve();
        },
        close: () => undefined,
      }),
    );
    for (const text of ['one', 'two', 'three']) expect(stream.send(Buffer.from(text))).toBe(true);
    await replies;
    expect(got.messages).toEqual(['ONE', 'TWO', 'THREE']);
    expect(client.streamCount).toBe(1);
    // Closing one end tells the other.
    const serverEnd = new Promise<void>((resolve) => served[0]?.attach({ message: () => undefined, close: () => resolve() }));
    stream.close();
    await serverEnd;
    expect(client.streamCount).toBe(0);
    expect(stream.send(Buffer.from('late'))).toBe(false);
  });

  it('closes a refused datagram stream with the reason', async () => {
    const { client } = await echoPair();
    const stream = client.openDatagram({ taskId: 'nope' });
    const seen: { messages: string[]; closed?: Error | 'clean' } = { messages: [] };
    stream.send(Buffer.from('lost'));
    await nextEvent(stream, seen);
    expect(seen.closed).toBeInstanceOf(TunnelOpenError);
    expect((seen.closed as TunnelOpenError).reason).toBe('unknown-target');
  });

  it('drops datagrams rather than queueing them while the connection is congested', () => {
    // A socket whose writes never complete: everything sent piles up in the session's backlog.
    const stuck = new Duplex({ read: () => undefined, write: () => undefined });
    cleanup.push(() => stuck.destroy());
    const session = new MuxSession(stuck, options(new FakeClock(), { keepaliveMs: 0, congestionBytes: 16 * 1024 }));
    const stream = session.openDatagram({ taskId: 't1' });
    let sent = 0;
    for (let i = 0; i < 100; i++) if (stream.send(Buffer.alloc(1000))) sent++;
    expect(sent).toBeGreaterThan(10);
    expect(sent).toBeLessThan(20);
    expect(stream.stats).toEqual({ sent, received: 0, dropped: 100 - sent });
  });

  it('refuses datagram streams on a server that does not serve them', async () => {
    const socket = await socketPair((s) => {
      const server = new MuxSession(s, options(new FakeClock(), { role: 'server', keepaliveMs: 0, onOpen: (st) => st.reject('refused') }));
      cleanup.push(() => server.close());
    });
    const client = new MuxSession(socket, options(new FakeClock(), { keepaliveMs: 0 }));
    cleanup.push(() => client.close());
    const seen: { messages: string[]; closed?: Error | 'clean' } = { messages: [] };
    await nextEvent(client.openDatagram({ taskId: 't' }), seen);
    expect((seen.closed as TunnelOpenError).reason).toBe('refused');
  });
});
