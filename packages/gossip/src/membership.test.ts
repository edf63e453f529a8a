import { describe, expect, it } from 'vitest';
import { lanConfig, localConfig } from './config';
import type { MemberEvent } from './member';
import { SimCluster } from './test-support/sim-cluster';

const N = 10;

async function joined(size: number, config = localConfig(), seed = 1, dropRate = 0): Promise<{ c: SimCluster; ms: number }> {
  const c = new SimCluster({ size, config, seed, dropRate });
  const joins = c.startAndJoin();
  const all = c.range(0);
  const ms = c.runUntil(() => c.allSee(all, all, 'alive'), 30_000);
  await expect(Promise.all(joins)).resolves.toHaveLength(size - 1);
  return { c, ms };
}

describe('SWIM membership (simulated network, fake clock)', () => {
  it('10 members joining through one seed are seen by all within 200 ms (local profile)', async () => {
    const { ms } = await joined(N);
    expect(ms).toBeLessThan(200);
  });

  it('10 members converge within 1 s on the LAN profile', async () => {
    const { ms } = await joined(N, lanConfig());
    expect(ms).toBeLessThan(1000);
  });

  it('a silently failed member is declared dead by all within a bound (local profile)', async () => {
    const times: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const { c } = await joined(N, localConfig(), seed);
      c.run(1000);
      c.net.fail(c.addresses[9] as string);
      times.push(c.runUntil(() => c.allSee(c.range(0, 9), [9], 'dead'), 10_000));
      // Every live node still sees every other live node alive: no collateral damage.
      expect(c.allSee(c.range(0, 9), c.range(0, 9), 'alive')).toBe(true);
    }
    expect(Math.max(...times)).toBeLessThan(1000);
  });

  it('a silently failed member is declared dead by all within a bound (LAN profile)', async () => {
    const times: number[] = [];
    for (const seed of [1, 2, 3]) {
      const { c } = await joined(N, lanConfig(), seed);
      c.run(5000);
      c.net.fail(c.addresses[4] as string);
      const others = c.range(0).filter((i) => i !== 4);
      times.push(c.runUntil(() => c.allSee(others, [4], 'dead'), 60_000, 5));
    }
    expect(Math.max(...times)).toBeLessThan(10_000);
  });

  it('a suspected member that is alive refutes with a higher incarnation', async () => {
    const { c } = await joined(N);
    c.run(500);
    const before = c.node(3).localMember.incarnation;
    const deaths: string[] = [];
    for (const n of c.nodes) n.on('dead', (e: MemberEvent) => deaths.push(e.member.id));
    // Cut node 3 off just long enough for someone to suspect it.
    c.net.fail(c.addresses[3] as string);
    c.runUntil(() => c.range(0).some((i) => i !== 3 && c.stateAt(i, 3) === 'suspect'), 5_000);
    c.net.recover(c.addresses[3] as string);
    const others = c.range(0).filter((i) => i !== 3);
    c.runUntil(() => c.allSee(others, [3], 'alive') && c.node(3).localMember.incarnation > before, 5_000);
    expect(deaths).not.toContain('node-3');
    for (const i of others) expect(c.node(i).member('node-3')?.incarnation).toBe(c.node(3).localMember.incarnation);
  });

  it('a graceful leave is seen as "left" by all, without suspicion', async () => {
    const { c } = await joined(N);
    c.run(500);
    const suspects: string[] = [];
    for (const n of c.nodes) n.on('suspect', (e: MemberEvent) => suspects.push(e.member.id));
    const leaving = c.node(5).leave();
    const others = c.range(0).filter((i) => i !== 5);
    const ms = c.runUntil(() => c.allSee(others, [5], 'left'), 2_000);
    await expect(leaving).resolves.toBe(true);
    await c.node(5).stop();
    expect(ms).toBeLessThan(500);
    expect(suspects).not.toContain('node-5');
  });

  it('converges under 15 % packet loss, and still detects a failure', async () => {
    const { c } = await joined(N, localConfig(), 7, 0.15);
    c.net.fail(c.addresses[8] as string);
    const others = c.range(0).filter((i) => i !== 8);
    c.runUntil(() => c.allSee(others, [8], 'dead'), 10_000);
    c.runUntil(() => c.allSee(others, others, 'alive'), 10_000);
  });

  it('metadata updates reach everyone as an "update" with a new incarnation', async () => {
    const { c } = await joined(N);
    const updates: string[] = [];
    c.node(0).on('update', (e: MemberEvent) => updates.push(`${e.member.id}:${e.member.meta.role}`));
    c.node(7).updateMeta({ role: 'manager' });
    c.runUntil(() => c.range(0).every((i) => c.node(i).member('node-7')?.meta.role === 'manager'), 1_000);
    expect(updates).toEqual(['node-7:manager']);
    expect(c.node(0).member('node-7')?.incarnation).toBe(1);
  });

  it('a failed member is reaped after gossipToTheDead', async () => {
    const { c } = await joined(4);
    c.net.fail(c.addresses[3] as string);
    c.runUntil(() => c.allSee([0, 1, 2], [3], 'dead'), 10_000);
    c.runUntil(() => [0, 1, 2].every((i) => c.node(i).member('node-3') === undefined), 20_000);
  });
});
