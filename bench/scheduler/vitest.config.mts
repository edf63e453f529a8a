import { defineConfig } from 'vitest/config';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Runs bench/scheduler/run.ts from source, like the unit tests (no build step).
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export default defineConfig({
  root,
  resolve: { alias: [{ find: /^@shoal\/([a-z-]+)$/, replacement: resolve(root, 'packages/$1/src/index.ts') }] },
  test: { include: ['bench/scheduler/run.ts'], testTimeout: 600_000, fileParallelism: false },
});
