// End-to-end helpers over scripts/netns-cluster: is it usable here, bring it up or
// down, run a command inside a node's namespace (with the namespace's hostname).
//
//   beforeAll(() => netnsUp());
//   afterAll(() => netnsDown());
//   registerCleanup();   // after: after-hooks run as a stack, so daemons stop before the network goes
//   describe.skipIf(!netnsAvailable())('e2e', () => {
//     it('workers reach the manager', async () => {
//       const ping = await execIn('worker1', 'ping', ['-c1', '-W1', '10.77.0.100']);
//       expect(ping.code).toBe(0);
//       await cutLink('manager');     // the manager's veth goes down: a partition
//       await restoreLink('manager');
//     });
//   });
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TestkitConfigError } from './errors';
import { NETNS_SCRIPT } from './paths';
import { expectSuccess, runCommand, type CommandResult, type RunOptions } from './run-command';

/** The namespaces scripts/netns-cluster creates, with their addresses on shoal-br0 (host side 10.77.0.1). */
export const NETNS_NODES = [
  { name: 'manager', ip: '10.77.0.100' },
  { name: 'worker1', ip: '10.77.0.101' },
  { name: 'worker2', ip: '10.77.0.102' },
] as const;

export const NETNS_BRIDGE_IP = '10.77.0.1';

let available: boolean | undefined;

/** Root, `ip netns` and `unshare` work, and the script is there. Cached. */
export function netnsAvailable(): boolean {
  if (available === undefined) {
    available =
      process.platform === 'linux' &&
      process.getuid?.() === 0 &&
      existsSync(NETNS_SCRIPT) &&
      spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0 &&
      spawnSync('unshare', ['--version'], { stdio: 'ignore' }).status === 0;
  }
  return available;
}

/** `netns-cluster status` exits 0: bridge, namespaces and addresses all in place. */
export function netnsClusterUp(): boolean {
  return spawnSync(NETNS_SCRIPT, ['status'], { stdio: 'ignore' }).status === 0;
}

export async function netnsUp(): Promise<void> {
  expectSuccess('netns-cluster up', await runCommand(NETNS_SCRIPT, ['up']));
}

export async function netnsDown(): Promise<void> {
  expectSuccess('netns-cluster down', await runCommand(NETNS_SCRIPT, ['down']));
}

/** Runs `cmd args…` inside namespace `ns` via `netns-cluster exec`; never throws on a non-zero exit. */
export function execIn(ns: string, cmd: string, args: readonly string[] = [], options?: RunOptions): Promise<CommandResult> {
  return runCommand(NETNS_SCRIPT, ['exec', ns, cmd, ...args], options);
}

/** Takes `ns`'s veth down on the bridge side: the node stays up but is cut off from every peer. */
export async function cutLink(ns: string): Promise<void> {
  await setLink(ns, 'down');
}

export async function restoreLink(ns: string): Promise<void> {
  await setLink(ns, 'up');
}

async function setLink(ns: string, state: 'up' | 'down'): Promise<void> {
  if (!NETNS_NODES.some((node) => node.name === ns)) throw new TestkitConfigError(`unknown netns '${ns}'`);
  expectSuccess(`link ${ns} ${state}`, await runCommand('ip', ['link', 'set', 'dev', `shoalv-${ns}`, state]));
}
