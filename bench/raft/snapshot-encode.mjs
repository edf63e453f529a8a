#!/usr/bin/env node
// A manager's snapshot encoding in process, without a cluster: a store grown by 10,000 services
// at a time (each applied from a Raft entry as a manager applies it), a snapshot after each
// step; prints each snapshot's encoding time, its size, and the array-buffer memory held at rest
// (the row cache plus the newest snapshot, which the Raft storage keeps), and the time a manager
// takes to restore a store from it.
//   node --expose-gc bench/raft/snapshot-encode.mjs [ROOT]     # ROOT: another checkout's build, for an A/B
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../..'));
const require = createRequire(import.meta.url);
const { MemoryStore } = require(path.join(root, 'packages/store/dist/index.js'));
const { SnapshotCodec } = require(path.join(root, 'packages/manager/dist/raft/snapshot-data.js'));
const { encodeCommand, decodeCommand } = require(path.join(root, 'packages/manager/dist/raft/command-data.js'));
const { fromEngineServiceSpec } = require(path.join(root, 'packages/api/dist/server/service-mapping.js'));
const { decode } = require(path.join(root, 'packages/wire/dist/index.js'));
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

const STEP = 10_000;
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const store = new MemoryStore(decode); // a build of before session 17 takes no decoder
const codec = new SnapshotCodec();
let index = 0;
function addServices(n) {
  for (let i = 0; i < n; i++) {
    index++;
    const spec = fromEngineServiceSpec({ Name: `s${index}`, TaskTemplate: { ContainerSpec: { Image: 'bench' } }, Mode: { Replicated: { Replicas: 0 } } });
    const data = encodeCommand({ type: 'batch', at: new Date().toISOString(), ops: [{ op: 'create', kind: 'service', object: { id: `id${index}`, spec, endpoint: { ports: [] } } }] });
    const decoded = decodeCommand(data);
    if (decoded.bodies) {
      // Builds of sessions 13 to 16: objects decoded on apply, their bytes remembered for snapshots.
      const result = store.apply(index, decoded.command);
      codec.remember(result.events[0].object, decoded.bodies[0]);
    } else store.apply(index, decoded); // objects kept encoded
  }
}
let newest = null;
let total = 0;
console.log(`build: ${root}`);
console.log('| services | encode ms | snapshot MB | array buffers at rest MB | restore ms |');
console.log('|---:|---:|---:|---:|---:|');
for (let round = 0; round < ROUNDS; round++) {
  addServices(STEP);
  globalThis.gc();
  const t0 = process.hrtime.bigint();
  const snap = codec.encode(store, new Map());
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  total += ms;
  newest = snap; // the storage drops the previous snapshot for this one
  // Array buffers are freed by a sweeper after the collection: give it time.
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const atRest = process.memoryUsage().arrayBuffers / 1e6;
  // What a manager restarting from this snapshot (or installing it) does: decode it, restore the store.
  const r0 = process.hrtime.bigint();
  new MemoryStore(decode).restore(new SnapshotCodec().decode(snap).store);
  const restoreMs = Number(process.hrtime.bigint() - r0) / 1e6;
  console.log(`| ${index} | ${ms.toFixed(0)} | ${(snap.byteLength / 1e6).toFixed(1)} | ${atRest.toFixed(1)} | ${restoreMs.toFixed(0)} |`);
}
console.log(`encode total: ${total.toFixed(0)} ms (${newest.byteLength} bytes last)`);
