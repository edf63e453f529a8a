// The process registry: tracking by PID, killing a process tree, and the
// process.on('exit') hook that SIGKILLs whatever a dying test worker still tracks.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from './proc';
import { killAllTracked, killProcessTree, spawnTracked, trackedProcesses } from './process-registry';
import { runCommand } from './run-command';
import { waitFor } from './wait-for';
import { CommandTimeoutError } from './errors';

const SLEEPER = 'setInterval(() => {}, 1000)';
// Spawns a grandchild sleeper and prints its pid.
const PARENT = `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(SLEEPER)}], { stdio: 'ignore' });
console.log(c.pid); setInterval(() => {}, 1000);`;

const scratch = mkdtempSync(join(tmpdir(), 'shoal-testkit-registry-'));
const strays: number[] = [];
afterAll(() => {
  for (const pid of strays) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

async function firstLine(stream: NodeJS.ReadableStream | null): Promise<string> {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => (text += chunk));
  return waitFor(() => text.includes('\n') && text.split('\n')[0], { what: 'a line of output' });
}

describe('process registry', () => {
  it('tracks a process until it exits', async () => {
    const tracked = spawnTracked(process.execPath, ['-e', SLEEPER], { stdio: 'ignore' }, 'sleeper');
    expect(trackedProcesses().map((p) => p.pid)).toContain(tracked.pid);
    killProcessTree(tracked.pid, 'SIGTERM', false);
    expect(await tracked.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(trackedProcesses().map((p) => p.pid)).not.toContain(tracked.pid);
  });

  it('killProcessTree() reaches grandchildren by PID', async () => {
    const parent = spawnTracked(process.execPath, ['-e', PARENT], { stdio: ['ignore', 'pipe', 'inherit'] }, 'parent');
    const grandchild = Number(await firstLine(parent.child.stdout));
    strays.push(grandchild);
    killProcessTree(parent.pid, 'SIGKILL');
    expect((await parent.exited).signal).toBe('SIGKILL');
    await waitFor(() => !isAlive(grandchild), { what: `grandchild ${grandchild} to die` });
  });

  it('killAllTracked() SIGKILLs every tracked process', async () => {
    const a = spawnTracked(process.execPath, ['-e', SLEEPER], { stdio: 'ignore' }, 'a');
    const b = spawnTracked(process.execPath, ['-e', SLEEPER], { stdio: 'ignore' }, 'b');
    expect(killAllTracked()).toEqual(expect.arrayContaining([a.pid, b.pid]));
    expect((await a.exited).signal).toBe('SIGKILL');
    expect((await b.exited).signal).toBe('SIGKILL');
  });

  it('kills tracked processes when the owning process exits', async () => {
    // Run the real registry in a plain node process: transpile it next to a driver script.
    for (const name of ['proc', 'process-registry']) {
      const source = readFileSync(join(__dirname, `${name}.ts`), 'utf8');
      const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
      writeFileSync(join(scratch, `${name}.js`), js.outputText);
    }
    const driver = join(scratch, 'driver.js');
    writeFileSync(
      driver,
      `const { spawnTracked } = require('./process-registry.js');
       const t = spawnTracked(process.execPath, ['-e', ${JSON.stringify(SLEEPER)}], { stdio: 'ignore' }, 'orphan');
       console.log(t.pid);
       process.exit(0);`,
    );
    const result = await runCommand(process.execPath, [driver]);
    expect(result.code).toBe(0);
    const orphan = Number(result.stdout.trim());
    strays.push(orphan);
    expect(orphan).toBeGreaterThan(0);
    await waitFor(() => !isAlive(orphan), { what: `orphan ${orphan} to be killed by the exit hook` });
  });

  it('runCommand() kills a command past its deadline', async () => {
    const run = runCommand(process.execPath, ['-e', `console.log('started'); ${SLEEPER}`], { timeoutMs: 300 });
    await expect(run).rejects.toThrow(CommandTimeoutError);
    await expect(run).rejects.toThrow(/did not finish within 300ms; killed \(pid \d+\)\nstdout: started/);
  });
});
