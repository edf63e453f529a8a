// How soon V8 optimizes shoald's hot functions. With V8's default budget a fresh manager needs
// ~3,000 writes (3–4 s of a single client) before its commit path is optimized: until then a
// write takes ~1.7 ms at the median instead of ~1.05, and a follower that becomes leader runs its
// first orchestration pass on cold code. A quarter of the budget reaches steady state in about
// a third of the writes (bench/raft/probe.mjs, docs/benchmarks.md). Imported first by the entry
// point; a budget given on the command line or in NODE_OPTIONS wins.
import { setFlagsFromString } from 'node:v8';

export const INTERRUPT_BUDGET = 16 * 1024;

const given = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].some((a) => a.startsWith('--interrupt-budget'));
if (!given) setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
