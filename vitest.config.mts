import { defineConfig } from 'vitest/config';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

// Every tier checks the objects written to the store, and so do the daemons it starts
// (SHOAL_CHECK_WRITES: frozen once committed, see the store's proposer.ts; the same after a trip
// through their encoding, see the manager's raft/command-data.ts).
const env = { SHOAL_CHECK_WRITES: '1' };

// Unit tests import workspace packages from source; integration and e2e tests
// drive the built `shoald`/`shoal` binaries, so `pnpm build` must run first.
const alias = [{ find: /^@shoal\/([a-z-]+)$/, replacement: resolve(root, 'packages/$1/src/index.ts') }];

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'], testTimeout: 20_000, env },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          env,
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          env,
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
