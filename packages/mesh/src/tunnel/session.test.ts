import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TunnelConnectionError, TunnelProtocolError } from '../errors';
import { nullLogger } from '../logger';
import { FakeClock } from '../test-support/fake-clock';
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
