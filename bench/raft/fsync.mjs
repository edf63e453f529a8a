#!/usr/bin/env node
// What an fdatasync after a small WAL append costs on this disk, appending to a file that grows
// (each fsync must also persist the new size) against writing into zero-filled space, alone and
// with three processes at once (three managers on one disk).
//   node bench/raft/fsync.mjs [--seconds 3]
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const [role, mode, file] = process.argv.slice(2);
const secAt = process.argv.indexOf('--seconds');
const SECONDS = secAt > 0 ? Number(process.argv[secAt + 1]) : 3;
const RECORD = 700; // about one service-create entry with its framing

if (role === 'child') {
  process.send(appendLoop(mode, file, SECONDS));
} else {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fsync-'));
  try {
    console.log('| file | processes | append + fdatasync p50 µs | p99 µs | appends/s (all processes) |');
    console.log('|---|---|---|---|---|');
    for (const procs of [1, 3]) {
      for (const m of ['growing', 'zero-filled']) {
        const results = await Promise.all(
          Array.from({ length: procs }, (_, i) => {
            const child = fork(fileURLToPath(import.meta.url), ['child', m, path.join(dir, `wal-${m}-${i}`), '--seconds', String(SECONDS)]);
            return new Promise((resolve) => child.once('message', resolve));
          }),
        );
        const p50 = Math.round(results.reduce((a, r) => a + r.p50, 0) / procs);
        const p99 = Math.round(results.reduce((a, r) => a + r.p99, 0) / procs);
        const rate = Math.round(results.reduce((a, r) => a + r.count, 0) / SECONDS);
        console.log(`| ${m} | ${procs} | ${p50} | ${p99} | ${rate} |`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function appendLoop(mode, file, seconds) {
  const fd = fs.openSync(file, 'w+');
  if (mode === 'zero-filled') {
    const zeros = Buffer.alloc(64 << 20);
    fs.writeSync(fd, zeros, 0, zeros.length, 0);
    fs.fsyncSync(fd);
  }
  const record = Buffer.alloc(RECORD, 1);
  const lat = [];
  let pos = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const t = process.hrtime.bigint();
    fs.writeSync(fd, record, 0, record.length, pos);
    pos += record.length;
    fs.fdatasyncSync(fd);
    lat.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  fs.closeSync(fd);
  lat.sort((a, b) => a - b);
  return { p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)], count: lat.length };
}
