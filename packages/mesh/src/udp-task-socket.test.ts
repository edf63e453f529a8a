import { afterEach, describe, expect, it } from 'vitest';
import { nullLogger } from './logger';
import { startUdpEchoBackend, waitFor, type UdpBackend } from './test-support/backends';
import { TaskUdpSocket } from './udp-task-socket';

// Real datagram sockets on a loopback alias, as the demo and the tests lay nodes out.
const NODE_IP = '127.0.1.6';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function backend(host: string): Promise<UdpBackend> {
  const b = await startUdpEchoBackend(host, 'task');
  cleanup.push(() => b.close());
  return b;
}

/** Opens `n` flows to the task, each sending its own id until answered; returns what each heard. */
async function flows(port: number, n: number): Promise<string[][]> {
  const heard: string[][] = Array.from({ length: n }, () => []);
  const sockets = heard.map(
    (got) =>
      new TaskUdpSocket({
        target: { host: NODE_IP, port },
        onMessage: (d) => got.push(d.toString()),
        onError: (err) => got.push(`error ${err.message}`),
        logger: nullLogger,
      }),
  );
  cleanup.push(() => sockets.forEach((s) => s.close()));
  // Datagrams may be lost in a burst: each flow sends again until it has heard something.
  for (let round = 0; round < 50 && !heard.every((got) => got.length > 0); round++) {
    sockets.forEach((s, i) => heard[i]!.length === 0 && s.send(Buffer.from(`f${i}`)));
    await waitFor(() => heard.every((got) => got.length > 0), 'answers', 200).catch(() => undefined);
  }
  await new Promise((r) => setTimeout(r, 50)); // a stray answer meant for another flow would show now
  return heard;
}

describe('TaskUdpSocket on a loopback alias', () => {
  it('hears a task bound to 0.0.0.0 (its answers leave from 127.0.0.1), each flow only its own answers', async () => {
    const task = await backend('0.0.0.0');
    // Many flows at once: two of them sharing a local port would get each other's answers (review:
    // a SO_REUSEADDR bind of port 0 may be given a port other such sockets hold).
    const heard = await flows(task.port, 400);
    heard.forEach((got, i) => expect(new Set(got), `flow ${i}`).toEqual(new Set([`task:f${i}`])));
    expect(task.sources.size).toBe(400);
  });

  it('hears a task bound to the alias itself', async () => {
    const task = await backend(NODE_IP);
    const heard = await flows(task.port, 3);
    expect(heard).toEqual([['task:f0'], ['task:f1'], ['task:f2']]);
  });
});
