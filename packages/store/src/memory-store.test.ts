import { describe, expect, it } from 'vitest';
import { createOp, deleteOp, updateOp, type StoreCommand, type StoreOp } from './commands';
import { MemoryStore } from './memory-store';
import { sampleNode } from './test-fixtures';

const at = '2026-01-01T00:00:00.000Z';
const batch = (...ops: StoreOp[]): StoreCommand => ({ type: 'batch', at, ops });

describe('MemoryStore', () => {
  it('versions objects by log index and publishes events after apply', () => {
    const store = new MemoryStore();
    const seen: string[] = [];
    store.watch((events, index) => seen.push(...events.map((e) => `${index}:${e.action}:${e.object.id}`)));
    expect(store.apply(1, batch(createOp('node', sampleNode('a')))).ok).toBe(true);
    expect(store.get('node', 'a')?.version).toBe(1);
    const node = store.get('node', 'a')!;
    expect(store.apply(2, batch(updateOp('node', { ...node, spec: { ...node.spec, availability: 'drain' } }, 1))).ok).toBe(true);
    expect(store.get('node', 'a')).toMatchObject({ version: 2, createdAt: at, spec: { availability: 'drain' } });
    expect(seen).toEqual(['1:create:a', '2:update:a']);
  });

  it('refuses a stale version with "update out of sequence" and changes nothing', () => {
    const store = new MemoryStore();
    store.apply(1, batch(createOp('node', sampleNode('a'))));
    store.apply(2, batch(updateOp('node', sampleNode('a'))));
    const res = store.apply(3, batch(updateOp('node', { ...sampleNode('a'), role: 'manager' }, 1)));
    expect(res).toEqual({ ok: false, code: 'OUT_OF_SEQUENCE', message: 'update out of sequence' });
    expect(store.get('node', 'a')?.role).toBe('worker');
    expect(store.appliedIndex).toBe(3);
  });

  it('applies a batch atomically', () => {
    const store = new MemoryStore();
    store.apply(1, batch(createOp('node', sampleNode('a'))));
    const res = store.apply(2, batch(createOp('node', sampleNode('b')), createOp('node', sampleNode('a'))));
    expect(res.ok).toBe(false);
    expect(store.get('node', 'b')).toBeUndefined();
    expect(store.apply(3, batch(deleteOp('node', 'zzz'))).ok).toBe(false);
    expect(store.apply(4, batch(deleteOp('node', 'a'))).ok).toBe(true);
    expect(store.list('node')).toEqual([]);
  });

  it('restores from a snapshot', () => {
    const a = new MemoryStore();
    a.apply(1, batch(createOp('node', sampleNode('a')), createOp('node', sampleNode('b'))));
    const b = new MemoryStore();
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(b.list('node').map((n) => n.id).sort()).toEqual(['a', 'b']);
    expect(b.appliedIndex).toBe(1);
  });
});
