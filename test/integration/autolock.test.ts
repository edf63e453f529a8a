// Swarm autolock: managers seal their TLS key and Raft data under the unlock key, come back from
// a restart locked, and run again only once `swarm unlock` is given that key (moby's
// TestAutolockManagers / TestSwarmInitLocked story, with the unmodified docker CLI).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCleanup, startCluster, startDaemon, waitFor, type Cluster, type DaemonHandle } from '@shoal/testkit';

registerCleanup();

const BASE = '127.0.19.';
const MARKER = 'autolock-marker-svc';
const LOCKED = 'Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.';
const KEY_RE = /SWMKEY-1-[A-Za-z0-9+/]{43}/;

/** Every byte under `dir`, as latin1 (to look for plaintext). */
function allBytes(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? allBytes(p) : readFileSync(p).toString('latin1');
  }
  return out;
}

const nodeKey = (d: DaemonHandle): string => readFileSync(join(d.dataDir, 'certs', 'node.key'), 'utf8');
const sealed = (d: DaemonHandle): boolean => nodeKey(d).includes('SHOAL SEALED PRIVATE KEY') && !allBytes(join(d.dataDir, 'raft')).includes(MARKER);
const localState = async (d: DaemonHandle): Promise<string> => (await d.dockerOk(['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout.trim();
/** How many times this daemon re-sealed its keys (each unlock-key change it applied). */
const reseals = (d: DaemonHandle): number => d.logs().split('manager keys sealed under the unlock key').length - 1;

describe('autolock', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ size: 3, baseIp: BASE });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('seals every manager, locks a restarted one until the key is given, and follows rotation and switch-off', async () => {
    const { manager } = cluster;
    const [worker1, worker2] = cluster.workers as [DaemonHandle, DaemonHandle];
    await manager.dockerOk(['service', 'create', '-d', '--name', MARKER, '--replicas', '0', 'shoal/whoami']);
    await manager.cliOk(['node', 'promote', 'worker1']);
    await waitFor(() => allBytes(join(worker1.dataDir, 'raft')).includes(MARKER), { timeoutMs: 15_000, what: 'worker1 has the raft log' });

    const on = await manager.dockerOk(['swarm', 'update', '--autolock=true']);
    const key = KEY_RE.exec(on.stdout)?.[0] as string;
    expect(on.stdout).toBe(
      'Swarm updated.\nTo unlock a swarm manager after it restarts, run the `docker swarm unlock`\ncommand and provide the following key:\n\n' +
        `    ${key}\n\nRemember to store this key in a password manager, since without it you\nwill not be able to restart the manager.\n`,
    );
    expect((await manager.dockerOk(['swarm', 'unlock-key', '-q'])).stdout).toBe(`${key}\n`);
    expect((await worker1.cliOk(['swarm', 'unlock-key', '-q'])).stdout).toBe(`${key}\n`);
    expect((await manager.dockerOk(['info', '--format', '{{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}}'])).stdout.trim()).toBe('true');
    // Both managers seal their key and rewrite their Raft data (no plain copy of the service left).
    await waitFor(() => sealed(manager) && sealed(worker1), { timeoutMs: 15_000, what: 'managers sealed' });
    // A worker is never locked; promoted, it seals too.
    expect(nodeKey(worker2)).toContain('BEGIN PRIVATE KEY');
    await manager.cliOk(['node', 'promote', 'worker2']);
    await waitFor(() => sealed(worker2), { timeoutMs: 20_000, what: 'promoted worker2 sealed' });
    // A voter (a learner is `unknown`), so the other two keep quorum while worker1 is locked.
    await waitFor(
      async () => (await manager.dockerOk(['node', 'inspect', '--format', '{{.ManagerStatus.Reachability}}', 'worker2'])).stdout.trim() === 'reachable',
      { timeoutMs: 20_000, what: 'worker2 a voting manager' },
    );

    // A restarted manager is locked: nothing but unlock (or leave --force) works.
    await worker1.restart();
    expect(await localState(worker1)).toBe('locked');
    expect((await worker1.docker(['node', 'ls'])).stderr.trim()).toBe(`Error response from daemon: ${LOCKED}`);
    expect((await worker1.docker(['swarm', 'leave'])).stderr.trim()).toBe(
      'Error response from daemon: Swarm is encrypted and locked. Please unlock it first or use `--force` to ignore this message.',
    );
    expect((await worker1.docker(['swarm', 'unlock'], { input: 'not-a-key\n' })).stderr.trim()).toBe('Error response from daemon: invalid key string');
    const wrong = await worker1.docker(['swarm', 'unlock'], { input: 'SWMKEY-1-' + 'A'.repeat(43) + '\n' });
    expect(wrong.stderr.trim()).toBe('Error response from daemon: swarm could not be unlocked: invalid key provided');
    expect(await localState(worker1)).toBe('locked');
    // The other two managers keep quorum meanwhile.
    await manager.dockerOk(['service', 'scale', '-d', `${MARKER}=0`]);

    await worker1.dockerOk(['swarm', 'unlock'], { input: `${key}\n` });
    expect(await localState(worker1)).toBe('active');
    await waitFor(async () => (await worker1.docker(['service', 'ls', '-q', '--filter', `name=${MARKER}`])).stdout.trim() !== '', {
      timeoutMs: 15_000,
      what: 'unlocked worker1 serves the cluster state',
    });

    // Rotation: the new key unlocks, the old one no longer does (once the manager applied it).
    const applied = reseals(worker1);
    const rotated = await manager.dockerOk(['swarm', 'unlock-key', '--rotate']);
    expect(rotated.stdout).toMatch(/^Successfully rotated manager unlock key.\nTo unlock a swarm manager/);
    expect((await manager.cliOk(['swarm', 'unlock-key'])).stdout).toContain(KEY_RE.exec(rotated.stdout)?.[0] as string);
    const newKey = KEY_RE.exec(rotated.stdout)?.[0] as string;
    expect(newKey).not.toBe(key);
    await waitFor(() => reseals(worker1) > applied, { timeoutMs: 15_000, what: 'worker1 re-sealed under the new key' });
    await worker1.restart();
    expect((await worker1.docker(['swarm', 'unlock'], { input: `${key}\n` })).stderr).toContain('invalid key provided');
    await worker1.dockerOk(['swarm', 'unlock'], { input: `${newKey}\n` });
    expect(await localState(worker1)).toBe('active');

    // Autolock off: keys are written plain again and a restart is not locked.
    await waitFor(async () => (await worker1.docker(['node', 'ls'])).code === 0, { timeoutMs: 15_000, what: 'worker1 back in raft' });
    expect((await manager.dockerOk(['swarm', 'update', '--autolock=false'])).stdout).toBe('Swarm updated.\n');
    await waitFor(() => nodeKey(worker1).includes('BEGIN PRIVATE KEY'), { timeoutMs: 15_000, what: 'worker1 key unsealed' });
    await worker1.restart();
    expect(await localState(worker1)).toBe('active');
    expect((await manager.docker(['swarm', 'unlock-key'])).stderr.trim()).toBe('no unlock key is set');
  });

  it('swarm init --autolock: a lone manager locks on restart, unlocks with the key, and can leave while locked', async () => {
    const lone = await startDaemon({ name: 'lone', ip: `${BASE}9` });
    try {
      const init = await lone.cliOk(['swarm', 'init', '--autolock', '--advertise-addr', `${BASE}9`, '--listen-addr', `${BASE}9`]);
      const key = KEY_RE.exec(init.stdout)?.[0] as string;
      expect(init.stdout).toContain(`To unlock a swarm manager after it restarts, run the \`shoal swarm unlock\`\ncommand and provide the following key:\n\n    ${key}\n`);
      await lone.dockerOk(['service', 'create', '-d', '--name', MARKER, '--replicas', '0', 'shoal/whoami']);
      await waitFor(() => sealed(lone) || nodeKey(lone).includes('SHOAL SEALED'), { timeoutMs: 10_000, what: 'lone sealed' });
      expect(allBytes(join(lone.dataDir, 'raft'))).not.toContain(MARKER);

      await lone.restart();
      expect(await localState(lone)).toBe('locked');
      await lone.cliOk(['swarm', 'unlock'], { input: `${key}\n` });
      await waitFor(async () => (await lone.docker(['service', 'ls', '-q', '--filter', `name=${MARKER}`])).stdout.trim() !== '', {
        timeoutMs: 15_000,
        what: 'the lone manager leads again with its state',
      });

      await lone.restart();
      expect(await localState(lone)).toBe('locked');
      expect((await lone.dockerOk(['swarm', 'leave', '--force'])).stdout).toBe('Node left the swarm.\n');
      expect(await localState(lone)).toBe('inactive');
    } finally {
      await lone.stop();
    }
  });
});
