// What a test file has started (daemons, temp dirs), grouped by scope so cleanup
// hooks release the right things: resources created inside a test belong to that
// test and are released after it; those created in beforeAll or at module level
// belong to the file and are released after all its tests. Released in reverse
// order of creation, so daemons stop before their data dir is removed. On failure,
// temp dirs are kept and their path printed.
//
// vitest's isolation gives every test file its own copy of this module, so the
// state here is per file; tests inside one file must not run concurrently.
import { rmSync } from 'node:fs';

export interface ReleaseOutcome {
  /** A test of this scope failed: keep evidence (data dirs), print where it is. */
  failed: boolean;
}

export interface Resource {
  readonly label: string;
  release(outcome: ReleaseOutcome): Promise<void>;
}

type Scope = number | 'file';

interface Entry {
  resource: Resource;
  scope: Scope;
}

const entries: Entry[] = [];
let currentTest: number | undefined;
let nextTest = 1;
let hooksInstalled = false;
let warnedNoHooks = false;

export function registerResource(resource: Resource): void {
  if (!hooksInstalled && !warnedNoHooks && process.env['VITEST'] !== undefined) {
    warnedNoHooks = true;
    console.warn(
      '[testkit] no cleanup hooks: call registerCleanup() at the top of the test file, ' +
        'or processes run until the worker exits and temp dirs stay behind',
    );
  }
  entries.push({ resource, scope: currentTest ?? 'file' });
}

export function markHooksInstalled(): void {
  hooksInstalled = true;
}

export function hooksAreInstalled(): boolean {
  return hooksInstalled;
}

export function beginTestScope(): void {
  currentTest = nextTest++;
}

/** Releases what the current test created. */
export async function releaseTestScope(outcome: ReleaseOutcome): Promise<void> {
  const scope = currentTest;
  currentTest = undefined;
  if (scope !== undefined) await releaseWhere((entry) => entry.scope === scope, outcome);
}

/** Releases everything still registered (file scope and any test scope left open). */
export async function releaseAll(outcome: ReleaseOutcome): Promise<void> {
  currentTest = undefined;
  await releaseWhere(() => true, outcome);
}

export function liveResources(): Resource[] {
  return entries.map((entry) => entry.resource);
}

async function releaseWhere(select: (entry: Entry) => boolean, outcome: ReleaseOutcome): Promise<void> {
  const chosen = entries.filter(select).reverse();
  const failures: unknown[] = [];
  for (const entry of chosen) {
    entries.splice(entries.indexOf(entry), 1);
    try {
      await entry.resource.release(outcome);
    } catch (error) {
      failures.push(new Error(`releasing ${entry.resource.label} failed`, { cause: error }));
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `testkit cleanup: ${failures.length} resource(s) failed to release`);
}

/** A temp dir removed on success and kept (path printed) on failure. */
export function registerTempDir(path: string): void {
  registerResource({
    label: `temp dir ${path}`,
    release: async ({ failed }) => {
      if (failed) {
        console.error(`[testkit] kept ${path} for inspection (a test failed)`);
        return;
      }
      rmSync(path, { recursive: true, force: true, maxRetries: 3 });
    },
  });
}
