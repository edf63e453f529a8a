import { describe, expect, it } from 'vitest';
import { localConfig } from './config';
import type { TableChange } from './table';
import { ReplicatedTable } from './table';
import type { MemberState } from './member';
import { SimCluster } from './test-support/sim-cluster';

async function cluster(size: number, seed = 1, dropRate = 0): Promise<SimCluster> {
  const c = new SimCluster({ size, config: localConfig(), seed, dropRate });
  const joins = c.startAndJoin();
  c.runUntil(() => c.allSee(c.range(0), c.range(0), 'alive'), 10_000);
  await Promise.all(joins);
  return c;
}

const everyone = (c: SimCluster, pred: (i: number) => boolean): boolean => c.range(0).every(pred);

describe('replicated table over the simulated cluster', () => {
  it('set and delete propagate to every node', async () => {
    const c = await cluster(10);
    c.node(4).table.set('web.1', { port: 30001 });
    const setMs = c.runUntil(() => everyone(c, (i) => c.node(i).table.get('node-4', 'web.1') !== undefined), 2_000);
    expect(setMs).toBeLessThan(150);
    expect(c.node(7).table.get('node-4', 'web.1')).toMatchObject({ value: { port: 30001 }, version: 1 });
    c.node(4).table.set('web.1', { port: 30002 });
    c.runUntil(() => everyone(c, (i) => (c.node(i).table.get('node-4', 'web.1')?.value as { port: number }).port === 30002), 2_000);
    c.node(4).table.delete('web.1');
    const delMs = c.runUntil(() => everyone(c, (i) => c.node(i).table.get('node-4', 'web.1') === undefined), 2_000);
    expect(delMs).toBeLessThan(150);
  });

  it('every node converges on the same view under 20 % packet loss', async () => {
    const c = await cluster(10, 3, 0.2);
    for (let i = 0; i < 10; i++) c.node(i).table.set(`task.${i}`, { node: i });
    c.node(2).table.delete('task.2');
    const view = (i: number): string => JSON.stringify(c.node(i).table.entries());
    c.runUntil(() => c.node(0).table.entries().length === 9 && everyone(c, (i) => view(i) === view(0)), 10_000);
  });

  it("a dead member's entries disappear from every table", async () => {
    const c = await cluster(10);
    const deletes: string[] = [];
    c.node(0).on('table', (ch: TableChange) => ch.type === 'delete' && deletes.push(`${ch.owner}/${ch.key}`));
    c.node(6).table.set('api.1', 'x');
    c.node(6).table.set('api.2', 'y');
    c.runUntil(() => everyone(c, (i) => c.node(i).table.entries().length === 2), 2_000);
    c.net.fail(c.addresses[6] as string);
    const live = c.range(0).filter((i) => i !== 6);
    c.runUntil(() => live.every((i) => c.node(i).table.entries().length === 0), 5_000);
    expect(deletes.sort()).toEqual(['node-6/api.1', 'node-6/api.2']);
    // Stale copies must not come back through later push-pulls.
    c.run(5_000);
    expect(live.every((i) => c.node(i).table.entries().length === 0)).toBe(true);
  });

  it("a member that leaves takes its entries with it", async () => {
    const c = await cluster(5);
    c.node(3).table.set('db', 1);
    c.runUntil(() => everyone(c, (i) => c.node(i).table.get('node-3', 'db') !== undefined), 2_000);
    void c.node(3).leave();
    c.runUntil(() => [0, 1, 2, 4].every((i) => c.node(i).table.entries().length === 0), 2_000);
  });

  it('a healed partition reconciles membership and the table through push-pull', async () => {
    const c = await cluster(10, 5);
    c.node(2).table.set('before', 'B');
    c.runUntil(() => everyone(c, (i) => c.node(i).table.get('node-2', 'before') !== undefined), 2_000);
    const left = c.range(0, 5);
    const right = c.range(5, 10);
    c.net.partition(left.map((i) => c.addresses[i] as string), right.map((i) => c.addresses[i] as string));
    c.runUntil(() => c.allSee(left, right, 'dead') && c.allSee(right, left, 'dead'), 10_000);
    // Writes on both sides while cut off.
    c.node(1).table.set('left', 'L');
    c.node(8).table.set('right', 'R');
    c.run(500);
    expect(c.node(8).table.get('node-1', 'left')).toBeUndefined();
    expect(c.node(8).table.get('node-2', 'before')).toBeUndefined(); // dropped with its dead owner
    c.net.heal();
    const all = c.range(0);
    const ms = c.runUntil(
      () =>
        c.allSee(all, all, 'alive') &&
        everyone(
          c,
          (i) =>
            c.node(i).table.get('node-1', 'left') !== undefined &&
            c.node(i).table.get('node-8', 'right') !== undefined &&
            c.node(i).table.get('node-2', 'before') !== undefined,
        ),
      20_000,
    );
    expect(ms).toBeLessThan(2 * localConfig().pushPullIntervalMs + 1000);
  });

  it('a restarted owner overrules the entries it left behind', async () => {
    const c = await cluster(4);
    c.node(2).table.set('old', 1);
    c.node(2).table.set('kept', 1);
    c.runUntil(() => everyone(c, (i) => c.node(i).table.entries().length === 2), 2_000);
    // Node 2 restarts with empty state (same id and address) before anyone notices it was gone.
    await c.node(2).stop();
    const fresh = c.addNode(2);
    fresh.start();
    fresh.table.set('kept', 2);
    void fresh.join([c.addresses[0] as string]);
    c.runUntil(
      () => everyone(c, (i) => {
        const t = c.node(i).table;
        return t.get('node-2', 'old') === undefined && t.get('node-2', 'kept')?.value === 2;
      }),
      5_000,
    );
  });
});

describe('ReplicatedTable (pure)', () => {
  function table(self: string, states: Record<string, MemberState> = {}) {
    const sent: unknown[] = [];
    const t = new ReplicatedTable<number>({
      selfId: self,
      membership: { stateOf: (id) => states[id] },
      broadcast: (p) => sent.push(p),
      tombstoneTtlMs: 1000,
    });
    return { t, sent, states };
  }

  it('only accepts newer versions and ignores junk payloads', () => {
    const { t } = table('a', { b: 'alive' });
    t.notifyMessage({ tbl: [{ o: 'b', k: 'x', n: 2, v: 20 }] });
    t.notifyMessage({ tbl: [{ o: 'b', k: 'x', n: 1, v: 10 }] });
    t.notifyMessage({ nope: true });
    t.notifyMessage({ tbl: [{ o: 'b', k: 5, n: 3 }] });
    expect(t.entries()).toEqual([{ owner: 'b', key: 'x', value: 20, version: 2 }]);
  });

  it('rejects entries of owners it saw fail until they rejoin', () => {
    const { t, states } = table('a', { b: 'alive' });
    t.notifyMember({ type: 'dead', member: { id: 'b', addr: '1', port: 1, meta: {}, state: 'dead', incarnation: 0 } });
    states.b = 'dead';
    t.notifyMessage({ tbl: [{ o: 'b', k: 'x', n: 1, v: 1 }] });
    delete states.b; // reaped from membership, still remembered by the table
    t.notifyMessage({ tbl: [{ o: 'b', k: 'x', n: 1, v: 1 }] });
    expect(t.entries()).toEqual([]);
    t.notifyMember({ type: 'join', member: { id: 'b', addr: '1', port: 1, meta: {}, state: 'alive', incarnation: 1 } });
    states.b = 'alive';
    t.notifyMessage({ tbl: [{ o: 'b', k: 'x', n: 1, v: 1 }] });
    expect(t.entries()).toHaveLength(1);
  });

  it('reaps tombstones after the TTL', () => {
    const { t } = table('a');
    t.set('k', 1);
    t.delete('k');
    expect((t.localState() as { tbl: unknown[] }).tbl).toHaveLength(1);
    t.tick(2000);
    expect((t.localState() as { tbl: unknown[] }).tbl).toHaveLength(0);
  });

  it('adopts (does not re-issue) a tombstone of its own it no longer has', () => {
    const { t, sent } = table('a');
    t.notifyMessage({ tbl: [{ o: 'a', k: 'gone', n: 7, x: true }] });
    expect(sent).toHaveLength(0);
    expect(t.set('new', 1).version).toBe(8);
  });
});
