import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createOp, updateOp } from './commands';
import { LocalLogProposer, LogCorruptionError } from './local-log';
import { MemoryStore } from './memory-store';
import { ClusterStore } from './proposer';
import { sampleNode } from './test-fixtures';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-log-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function open(dir: string, snapshotEvery = 1000) {
  const memory = new MemoryStore();
  const log = new LocalLogProposer(memory, { dir, snapshotEvery });
  const report = log.recover();
  return { memory, log, report, store: new ClusterStore(memory, log) };
}

describe('LocalLogProposer', () => {
  it('recovers every acknowledged write after a restart', async () => {
    const dir = tmp();
    const a = open(dir);
    await a.store.commit([createOp('node', sampleNode('n1'))]);
    await a.store.commit([createOp('node', sampleNode('n2'))]);
    await a.store.commit([updateOp('node', { ...sampleNode('n1'), role: 'manager' }, 1)]);
    a.log.close();
    const b = open(dir);
    expect(b.report.replayed).toBe(3);
    expect(b.memory.get('node', 'n1')).toMatchObject({ role: 'manager', version: 3 });
    expect(b.memory.appliedIndex).toBe(3);
  });

  it('rejects a refused command without breaking the log', async () => {
    const dir = tmp();
    const a = open(dir);
    await a.store.commit([createOp('node', sampleNode('n1'))]);
    await expect(a.store.commit([createOp('node', sampleNode('n1'))])).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    a.log.close();
    const b = open(dir);
    expect(b.memory.list('node')).toHaveLength(1);
    await b.store.commit([createOp('node', sampleNode('n2'))]);
    expect(b.memory.list('node')).toHaveLength(2);
  });

  it('drops a torn last record and keeps the rest', async () => {
    const dir = tmp();
    const a = open(dir);
    await a.store.commit([createOp('node', sampleNode('n1'))]);
    await a.store.commit([createOp('node', sampleNode('n2'))]);
    a.log.close();
    const wal = path.join(dir, 'wal.log');
    const size = fs.statSync(wal).size;
    fs.truncateSync(wal, size - 5);
    const b = open(dir);
    expect(b.report.tornBytesDropped).toBeGreaterThan(0);
    expect(b.memory.list('node').map((n) => n.id)).toEqual(['n1']);
    await b.store.commit([createOp('node', sampleNode('n3'))]);
    b.log.close();
    expect(open(dir).memory.list('node').map((n) => n.id).sort()).toEqual(['n1', 'n3']);
  });

  it('refuses corruption in the middle of the log', async () => {
    const dir = tmp();
    const a = open(dir);
    await a.store.commit([createOp('node', sampleNode('n1'))]);
    await a.store.commit([createOp('node', sampleNode('n2'))]);
    a.log.close();
    const wal = path.join(dir, 'wal.log');
    const buf = fs.readFileSync(wal);
    buf[12] = (buf[12] ?? 0) ^ 0xff;
    fs.writeFileSync(wal, buf);
    expect(() => open(dir)).toThrow(LogCorruptionError);
  });

  it('compacts into a snapshot and recovers from it plus the log', async () => {
    const dir = tmp();
    const a = open(dir, 3);
    for (let i = 0; i < 7; i++) await a.store.commit([createOp('node', sampleNode(`n${i}`))]);
    a.log.close();
    expect(fs.existsSync(path.join(dir, 'snapshot.json'))).toBe(true);
    const b = open(dir, 3);
    expect(b.report.snapshotIndex).toBe(6);
    expect(b.report.replayed).toBe(1);
    expect(b.memory.list('node')).toHaveLength(7);
  });
});
