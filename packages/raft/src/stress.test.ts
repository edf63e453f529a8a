import { describe, expect, it } from 'vitest';
import { runStress } from './test-support/stress';

// RAFT_SEED=<n> replays one seed; RAFT_SEEDS=<count> and RAFT_STEPS=<steps> widen the search.
const fixedSeed = process.env['RAFT_SEED'];
const seedCount = Number(process.env['RAFT_SEEDS'] ?? 20);
const steps = Number(process.env['RAFT_STEPS'] ?? 4000);
const seeds = fixedSeed !== undefined ? [Number(fixedSeed)] : Array.from({ length: seedCount }, (_, i) => i + 1);

describe('randomized stress (safety after every step, liveness after healing)', () => {
  for (const seed of seeds) {
    const nodes = seed % 2 === 0 ? 5 : 3;
    it(`seed ${seed} (${nodes} nodes, ${steps} steps)`, () => {
      const result = runStress({ seed, steps, nodes });
      if (result.failure !== undefined) {
        const report = [`raft stress failed: ${result.failure}`, `reproduce with RAFT_SEED=${seed}`, ...result.trace].join('\n');
        console.error(report);
        expect.fail(report);
      }
      expect(result.committed).toBeGreaterThan(0);
    });
  }
});

describe('randomized stress on FileStorage (real WAL, torn tails on crash)', () => {
  const fileSeeds = fixedSeed !== undefined ? [Number(fixedSeed)] : [101, 102, 103, 104];
  for (const seed of fileSeeds) {
    it(`seed ${seed} (${seed % 2 === 0 ? 5 : 3} nodes, 1500 steps)`, () => {
      const result = runStress({ seed, steps: 1500, nodes: seed % 2 === 0 ? 5 : 3, storage: 'file' });
      if (result.failure !== undefined) {
        const report = [`raft file stress failed: ${result.failure}`, `reproduce with RAFT_SEED=${seed}`, ...result.trace].join('\n');
        console.error(report);
        expect.fail(report);
      }
      expect(result.restarts).toBeGreaterThan(0);
    });
  }
});
