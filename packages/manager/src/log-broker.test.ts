import { describe, expect, it } from 'vitest';
import type { SessionMessage } from '@shoal/wire';
import { LogBroker } from './log-broker';

const query = { follow: false, tail: 'all' as const, stdout: true, stderr: true };

describe('LogBroker', () => {
  it('asks each node for its tasks and ends when every node is done', async () => {
    const sent: Array<[string, SessionMessage]> = [];
    const broker = new LogBroker((nodeId, msg) => (sent.push([nodeId, msg]), true));
    const tasks = [
      { id: 't1', nodeId: 'n1', serviceId: 's' },
      { id: 't2', nodeId: 'n2', serviceId: 's' },
      { id: 't3', nodeId: 'n1', serviceId: 's' },
    ];
    const out: string[] = [];
    const reading = (async () => {
      for await (const rec of broker.subscribe(tasks, query, new AbortController().signal)) out.push(`${rec.nodeId}:${rec.taskId}:${rec.line}`);
    })();
    await new Promise((r) => setImmediate(r));
    expect(sent.map(([n, m]) => [n, m.type === 'logs' ? m.taskIds : []])).toEqual([
      ['n1', ['t1', 't3']],
      ['n2', ['t2']],
    ]);
    const id = (n: string) => (sent.find(([node]) => node === n)?.[1] as { requestId: string }).requestId;
    broker.publish('n1', { sessionId: 'x', requestId: id('n1'), records: [{ taskId: 't1', stream: 'stdout', time: 't', line: 'hello' }] });
    broker.publish('n2', { sessionId: 'x', requestId: id('n1'), records: [{ taskId: 't1', stream: 'stdout', time: 't', line: 'forged' }] });
    broker.publish('n1', { sessionId: 'x', requestId: id('n1'), records: [], done: true });
    broker.publish('n2', { sessionId: 'x', requestId: id('n2'), records: [{ taskId: 't2', stream: 'stderr', time: 't', line: 'world' }], done: true });
    await reading;
    expect(out).toEqual(['n1:t1:hello', 'n2:t2:world']);
  });

  it('skips nodes without a session and ends when a node goes away, with swarmkit\'s warning at the end', async () => {
    const broker = new LogBroker((nodeId) => nodeId === 'n1');
    const tasks = [
      { id: 't1', nodeId: 'n1', serviceId: 's' },
      { id: 't2', nodeId: 'gone', serviceId: 's' },
    ];
    const reading = (async () => {
      const out = [];
      for await (const rec of broker.subscribe(tasks, query, new AbortController().signal)) out.push(rec);
      return out;
    })();
    await new Promise((r) => setImmediate(r));
    broker.nodeGone('n1');
    expect(await reading).toMatchObject([
      {
        stream: 'system',
        line: 'rpc error: code = Unknown desc = warning: incomplete log stream. some logs could not be retrieved for the following reasons: node gone is not available, node n1 is not available',
      },
    ]);
  });

  it("gives up on a node that stalls a stream that does not follow, cancelling its request, with swarmkit's warning", async () => {
    const sent: Array<[string, SessionMessage]> = [];
    const broker = new LogBroker((nodeId, msg) => (sent.push([nodeId, msg]), true), 50);
    const tasks = [
      { id: 't1', nodeId: 'n1', serviceId: 's' },
      { id: 't2', nodeId: 'frozen', serviceId: 's' },
    ];
    const lines: string[] = [];
    const reading = (async () => {
      for await (const rec of broker.subscribe(tasks, query, new AbortController().signal)) lines.push(rec.line);
    })();
    await new Promise((r) => setImmediate(r));
    const id = (n: string) => (sent.find(([node, m]) => node === n && m.type === 'logs')?.[1] as { requestId: string }).requestId;
    broker.publish('n1', { sessionId: 'x', requestId: id('n1'), records: [{ taskId: 't1', stream: 'stdout', time: 't', line: 'hello' }], done: true });
    await reading;
    expect(lines).toEqual(['hello', 'rpc error: code = Unknown desc = warning: incomplete log stream. some logs could not be retrieved for the following reasons: node frozen is not available']);
    expect(sent.filter(([, m]) => m.type === 'logs-cancel').map(([n]) => n)).toEqual(['frozen']);
  });

  it('ends the streams that wait for a node marked Down (cancelling its request), but not a followed one', async () => {
    const sent: Array<[string, SessionMessage]> = [];
    const broker = new LogBroker((nodeId, msg) => (sent.push([nodeId, msg]), true));
    const once: string[] = [];
    const plain = (async () => {
      for await (const rec of broker.subscribe([{ id: 't1', nodeId: 'n1', serviceId: 's' }], query, new AbortController().signal)) once.push(rec.line);
    })();
    const abort = new AbortController();
    const followed: string[] = [];
    const following = (async () => {
      for await (const rec of broker.subscribe([{ id: 't1', nodeId: 'n1', serviceId: 's' }], { ...query, follow: true }, abort.signal)) followed.push(rec.line);
    })();
    await new Promise((r) => setImmediate(r));
    broker.nodeDown('n1');
    await plain;
    expect(once).toEqual(['rpc error: code = Unknown desc = warning: incomplete log stream. some logs could not be retrieved for the following reasons: node n1 is not available']);
    expect(sent.filter(([, m]) => m.type === 'logs-cancel')).toHaveLength(1);
    // The node recovers on the same session: the followed stream gets its lines again.
    const followId = (sent.filter(([, m]) => m.type === 'logs')[1]?.[1] as { requestId: string }).requestId;
    broker.publish('n1', { sessionId: 'x', requestId: followId, records: [{ taskId: 't1', stream: 'stdout', time: 't', line: 'back' }] });
    await new Promise((r) => setImmediate(r));
    expect(followed).toEqual(['back']);
    abort.abort();
    await following;
  });

  it("names a task not scheduled yet in swarmkit's closing warning, after the nodes that are not available", async () => {
    const broker = new LogBroker(() => false);
    const lines: string[] = [];
    for await (const rec of broker.subscribe([{ id: 'pend', nodeId: '', serviceId: 's' }, { id: 't1', nodeId: 'n1', serviceId: 's' }], query, new AbortController().signal)) lines.push(rec.line);
    expect(lines).toEqual(['rpc error: code = Unknown desc = warning: incomplete log stream. some logs could not be retrieved for the following reasons: node n1 is not available, task pend has not been scheduled']);
  });

  it('keeps a followed stream open after its node finished, until the reader aborts (swarmkit: follow never ends)', async () => {
    const sent: Array<[string, SessionMessage]> = [];
    const broker = new LogBroker((nodeId, msg) => (sent.push([nodeId, msg]), true));
    const abort = new AbortController();
    let ended = false;
    const reading = (async () => {
      for await (const _ of broker.subscribe([{ id: 't1', nodeId: 'n1', serviceId: 's' }], { ...query, follow: true }, abort.signal)) void _;
      ended = true;
    })();
    await new Promise((r) => setImmediate(r));
    const requestId = (sent[0]?.[1] as { requestId: string }).requestId;
    broker.publish('n1', { sessionId: 'x', requestId, records: [], done: true });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(ended).toBe(false);
    abort.abort();
    await reading;
    expect(ended).toBe(true);
  });

  it('keeps following a quiet node (no stall bound with --follow)', async () => {
    const broker = new LogBroker(() => true, 20);
    const abort = new AbortController();
    let ended = false;
    const reading = (async () => {
      for await (const _ of broker.subscribe([{ id: 't1', nodeId: 'n1', serviceId: 's' }], { ...query, follow: true }, abort.signal)) void _;
      ended = true;
    })();
    await new Promise((r) => setTimeout(r, 100));
    expect(ended).toBe(false);
    abort.abort();
    await reading;
  });

  it('cancels the nodes’ streams when the reader aborts', async () => {
    const sent: SessionMessage[] = [];
    const broker = new LogBroker((_n, msg) => (sent.push(msg), true));
    const abort = new AbortController();
    const reading = (async () => {
      for await (const _ of broker.subscribe([{ id: 't1', nodeId: 'n1', serviceId: 's' }], { ...query, follow: true }, abort.signal)) void _;
    })();
    await new Promise((r) => setImmediate(r));
    abort.abort();
    await reading;
    expect(sent.map((m) => m.type)).toEqual(['logs', 'logs-cancel']);
  });

  it('follows tasks of a followed service that start later, from their first line, until aborted', async () => {
    const sent: Array<[string, SessionMessage]> = [];
    const broker = new LogBroker((nodeId, msg) => (sent.push([nodeId, msg]), true));
    let started: ((t: { id: string; nodeId: string; serviceId: string }) => void) | null = null;
    let unwatched = false;
    const watch = (fn: typeof started & object) => {
      started = fn;
      return () => (unwatched = true);
    };
    const abort = new AbortController();
    const out: string[] = [];
    const reading = (async () => {
      for await (const rec of broker.subscribe([{ id: 't1', nodeId: 'n1', serviceId: 's' }], { ...query, follow: true, tail: 1 }, abort.signal, watch)) {
        out.push(`${rec.taskId}:${rec.line}`);
      }
    })();
    await new Promise((r) => setImmediate(r));
    const req = (i: number) => sent[i]?.[1] as Extract<SessionMessage, { type: 'logs' }>;
    // The first task's stream ends (it stopped): a followed service's stream stays open.
    broker.publish('n1', { sessionId: 'x', requestId: req(0).requestId, records: [{ taskId: 't1', stream: 'stdout', time: 't', line: 'one' }], done: true });
    await new Promise((r) => setImmediate(r));
    started!({ id: 't2', nodeId: 'n2', serviceId: 's' });
    started!({ id: 't1', nodeId: 'n1', serviceId: 's' }); // already followed: not asked again
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject(['n2', { type: 'logs', taskIds: ['t2'], follow: true, tail: 'all' }]);
    broker.publish('n2', { sessionId: 'x', requestId: req(1).requestId, records: [{ taskId: 't2', stream: 'stdout', time: 't', line: 'two' }] });
    await new Promise((r) => setImmediate(r));
    abort.abort();
    await reading;
    expect(out).toEqual(['t1:one', 't2:two']);
    expect(unwatched).toBe(true);
    expect(sent.at(-1)).toMatchObject(['n2', { type: 'logs-cancel', requestId: req(1).requestId }]);
  });
});
