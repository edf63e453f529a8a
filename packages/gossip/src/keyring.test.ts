import { describe, expect, it } from 'vitest';
import { localConfig } from './config';
import { KeyringError } from './errors';
import { JoinError } from './errors';
import { Keyring, SEAL_OVERHEAD } from './keyring';
import type { MemberEvent } from './member';
import { SealedTransport } from './sealed-transport';
import { SimCluster } from './test-support/sim-cluster';

const k1 = Buffer.alloc(32, 1);
const k2 = Buffer.alloc(32, 2);
const k3 = Buffer.alloc(32, 3);

describe('Keyring', () => {
  it('seals with the primary key: version byte, random nonce, tag', () => {
    const ring = new Keyring([k1]);
    const a = ring.seal(Buffer.from('hello'));
    const b = ring.seal(Buffer.from('hello'));
    expect(a[0]).toBe(1);
    expect(a.length).toBe(5 + SEAL_OVERHEAD);
    expect(a.equals(b)).toBe(false);
    expect(ring.open(a)?.toString()).toBe('hello');
  });

  it('opens under any installed key, so the old key keeps working while the new one is primary', () => {
    const oldOnly = new Keyring([k1]);
    const rotating = new Keyring([k1, k2]);
    rotating.useKey(k2);
    expect(rotating.primaryKey.equals(k2)).toBe(true);
    expect(rotating.open(oldOnly.seal(Buffer.from('old')))?.toString()).toBe('old');
    expect(oldOnly.open(rotating.seal(Buffer.from('new')))).toBeUndefined();
  });

  it('rejects unknown keys, tampering, truncation and other versions', () => {
    const ring = new Keyring([k1]);
    const sealed = ring.seal(Buffer.from('payload'));
    expect(new Keyring([k3]).open(sealed)).toBeUndefined();
    const flipped = Buffer.from(sealed);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    expect(ring.open(flipped)).toBeUndefined();
    const version = Buffer.from(sealed);
    version[0] = 2;
    expect(ring.open(version)).toBeUndefined();
    expect(ring.open(sealed.subarray(0, 20))).toBeUndefined();
  });

  it('guards its invariants', () => {
    expect(() => new Keyring([])).toThrow(KeyringError);
    expect(() => new Keyring([Buffer.alloc(16)])).toThrow(/32 bytes/);
    const ring = new Keyring([k1, k2]);
    expect(() => ring.removeKey(k1)).toThrow(/primary/);
    expect(() => ring.useKey(k3)).toThrow(/not installed/);
    ring.useKey(k2);
    ring.removeKey(k1);
    expect(ring.keys).toHaveLength(1);
  });
});

describe('Keyring.setKeys', () => {
  it('installs, switches the primary and drops keys in one step, reporting whether anything changed', () => {
    const ring = new Keyring([k1]);
    expect(ring.setKeys([k1, k2])).toBe(true);
    expect(ring.primaryKey.equals(k1)).toBe(true);
    expect(ring.keys).toHaveLength(2);
    expect(ring.setKeys([k1, k2])).toBe(false);
    expect(ring.setKeys([k2, k1])).toBe(true);
    expect(ring.primaryKey.equals(k2)).toBe(true);
    expect(ring.setKeys([k2])).toBe(true);
    expect(ring.keys.map((k) => k[0])).toEqual([2]);
    // Straight to a list that shares nothing with the old one (a node that missed every phase).
    expect(ring.setKeys([k3, k3])).toBe(true);
    expect(ring.keys.map((k) => k[0])).toEqual([3]);
  });

  it('changes nothing when the list is empty or holds a bad key', () => {
    const ring = new Keyring([k1, k2]);
    expect(() => ring.setKeys([])).toThrow(KeyringError);
    expect(() => ring.setKeys([k3, Buffer.alloc(8)])).toThrow(/32 bytes/);
    expect(ring.keys.map((k) => k[0])).toEqual([1, 2]);
  });

  it('refuses a frame sealed with a key the rotation removed, and opens one sealed with the new primary', () => {
    const ring = new Keyring([k1]);
    ring.setKeys([k1, k2]);
    ring.setKeys([k2, k1]);
    const stale = new Keyring([k1]).seal(Buffer.from('late'));
    expect(ring.open(stale)?.toString()).toBe('late');
    ring.setKeys([k2]);
    expect(ring.open(stale)).toBeUndefined();
    expect(ring.open(new Keyring([k2]).seal(Buffer.from('fresh')))?.toString()).toBe('fresh');
  });
});

describe('keyring rotation across a simulated cluster', () => {
  it('applies the managers\' three phases with setKeys on running nodes: no suspicion, then old-key frames are refused', async () => {
    const rings = [0, 1, 2].map(() => new Keyring([k1]));
    const c = new SimCluster({ size: 3, config: localConfig(), seed: 5, keyring: (i) => rings[i] });
    const joins = c.startAndJoin();
    const all = c.range(0);
    c.runUntil(() => c.allSee(all, all, 'alive'), 2_000);
    await Promise.all(joins);
    const trouble: string[] = [];
    for (const n of c.nodes) for (const e of ['suspect', 'dead'] as const) n.on(e, (ev: MemberEvent) => trouble.push(`${e}:${ev.member.id}`));

    // Each phase reaches the nodes 300 ms apart (a slow agent), and every node before the next phase.
    const phases = [[k1, k2], [k2, k1], [k2]];
    for (const [p, keys] of phases.entries()) {
      for (const r of rings) {
        r.setKeys(keys);
        c.run(300);
      }
      c.node(p).table.set(`phase-${p}`, p);
      c.runUntil(() => all.every((i) => c.node(i).table.get(c.id(p), `phase-${p}`) !== undefined), 1_000);
      c.run(500);
    }
    c.run(2_000);
    expect(trouble).toEqual([]);
    expect(all.every((i) => c.node(i).members().length === 3)).toBe(true);

    // node-0's own keyring, on a spare endpoint: a frame sealed with the removed key is dropped and counted.
    const inbox = new SealedTransport(c.net.transport('10.0.0.97:7946'), rings[0] as Keyring);
    const got: string[] = [];
    inbox.onPacket((bytes) => got.push(Buffer.from(bytes).toString()));
    new SealedTransport(c.net.transport('10.0.0.96:7946'), new Keyring([k1])).sendPacket('10.0.0.97:7946', Buffer.from('old'));
    new SealedTransport(c.net.transport('10.0.0.95:7946'), new Keyring([k2])).sendPacket('10.0.0.97:7946', Buffer.from('new'));
    c.run(10);
    expect(got).toEqual(['new']);
    expect(inbox.rejected).toBe(1);
  });

  it('stays converged through install → use → remove, and drops a node with an unknown key', async () => {
    const rings = [0, 1, 2, 3].map(() => new Keyring([k1]));
    const c = new SimCluster({ size: 4, config: localConfig(), seed: 11, keyring: (i) => rings[i] });
    const joins = c.startAndJoin();
    const all = c.range(0);
    c.runUntil(() => c.allSee(all, all, 'alive'), 2_000);
    await Promise.all(joins);
    const trouble: string[] = [];
    for (const n of c.nodes) for (const e of ['suspect', 'dead'] as const) n.on(e, (ev: MemberEvent) => trouble.push(`${e}:${ev.member.id}`));

    for (const r of rings) r.addKey(k2);
    c.run(200);
    // Half the cluster seals with the new key while the other half still uses the old one.
    rings[0]?.useKey(k2);
    rings[1]?.useKey(k2);
    c.node(0).table.set('mid-rotation', 1);
    c.runUntil(() => all.every((i) => c.node(i).table.get('node-0', 'mid-rotation') !== undefined), 1_000);
    rings[2]?.useKey(k2);
    rings[3]?.useKey(k2);
    c.run(200);
    for (const r of rings) r.removeKey(k1);
    c.node(3).table.set('after-rotation', 1);
    c.runUntil(() => all.every((i) => c.node(i).table.get('node-3', 'after-rotation') !== undefined), 1_000);
    c.run(2_000);
    expect(trouble).toEqual([]);

    // A node that only knows the retired key can neither join nor be heard.
    const stranger = c.addNode(4, new Keyring([k1]));
    stranger.start();
    const join = stranger.join([c.addresses[0] as string], 500);
    c.run(600);
    await expect(join).rejects.toBeInstanceOf(JoinError);
    expect(all.every((i) => c.node(i).member('node-4') === undefined)).toBe(true);
    expect(stranger.members()).toHaveLength(1);
  });

  it('counts and drops frames sealed under an unknown key', async () => {
    const c = new SimCluster({ size: 2, config: localConfig(), seed: 2, keyring: (i) => new Keyring([i === 0 ? k1 : k3]) });
    void c.startAndJoin();
    c.run(1_000);
    expect(c.node(0).members()).toHaveLength(1);
    // The shell wraps its transport; reach the counter through a fresh wrapper on a spare endpoint.
    const probe = new SealedTransport(c.net.transport('10.0.0.99:7946'), new Keyring([k1]));
    let got = 0;
    probe.onPacket(() => got++);
    new SealedTransport(c.net.transport('10.0.0.98:7946'), new Keyring([k3])).sendPacket('10.0.0.99:7946', Buffer.from('x'));
    c.run(10);
    expect(got).toBe(0);
    expect(probe.rejected).toBe(1);
  });
});
