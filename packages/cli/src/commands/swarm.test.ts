import { EngineApiError } from '@shoal/api';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asManager, buildInfo, buildNode } from '../test-support/builders';
import { FakeEngine, run, runWithIo } from '../test-support/fake-engine';

function engineWithManager(): FakeEngine {
  const engine = new FakeEngine();
  engine.nodes = [buildNode(asManager(true, '192.168.99.100:2377'))];
  return engine;
}

describe('swarm init', () => {
  it('prints the docker text with the worker join command', async () => {
    const engine = engineWithManager();
    const r = await run(engine, 'swarm', 'init', '--advertise-addr', '192.168.99.100');
    expect(r).toEqual({
      code: 0,
      err: '',
      out:
        'Swarm initialized: current node (nodeID) is now a manager.\n\n' +
        'To add a worker to this swarm, run the following command:\n\n' +
        '    shoal swarm join --token worker-join-token 192.168.99.100:2377\n\n' +
        "To add a manager to this swarm, run 'shoal swarm join-token manager' and follow the instructions.\n",
    });
    expect(engine.calls).toEqual(['swarmInit', 'nodeInspect(nodeID)', 'swarmInspect']);
  });

  it('sends docker-shaped request fields', async () => {
    const engine = engineWithManager();
    await run(engine, 'swarm', 'init', '--listen-addr', '10.0.0.5', '--dispatcher-heartbeat', '2s', '--availability', 'DRAIN', '--force-new-cluster');
    expect(engine.lastInit).toEqual({
      ListenAddr: '10.0.0.5:2377',
      AdvertiseAddr: '',
      DataPathAddr: '',
      DataPathPort: 0,
      DefaultAddrPool: [],
      ForceNewCluster: true,
      Spec: { Dispatcher: { HeartbeatPeriod: 2e9 } },
      AutoLockManagers: false,
      SubnetSize: 24,
      Availability: 'drain',
    });
  });

  it('takes address pools as comma-separated CIDRs', async () => {
    const engine = engineWithManager();
    await run(engine, 'swarm', 'init', '--default-addr-pool', '10.10.0.0/16,10.20.0.0/16', '--default-addr-pool', '10.30.0.0/16');
    expect(engine.lastInit?.DefaultAddrPool).toEqual(['10.10.0.0/16', '10.20.0.0/16', '10.30.0.0/16']);
    const bad = await run(engine, 'swarm', 'init', '--default-addr-pool', '10.0.0.0');
    expect(bad.code).toBe(125);
    expect(bad.err.split('\n')[0]).toBe(
      'invalid argument "10.0.0.0" for "--default-addr-pool" flag: invalid string being converted to CIDR: 10.0.0.0',
    );
    // docker's ParseTCPAddr: Go's url.Parse of tcp://<address> (QA).
    const port = await run(engine, 'swarm', 'init', '--listen-addr', 'bogus:x');
    expect(port.code).toBe(125);
    expect(port.err.split('\n')[0]).toBe('invalid argument "bogus:x" for "--listen-addr" flag: parse "tcp://bogus:x": invalid port ":x" after host');
  });

  it('appends the unlock key block with --autolock', async () => {
    const r = await run(engineWithManager(), 'swarm', 'init', '--autolock');
    expect(r.out).toContain(
      "follow the instructions.\nTo unlock a swarm manager after it restarts, run the `shoal swarm unlock`\ncommand and provide the following key:\n\n    unlock-key\n\n",
    );
  });

  it('rejects a bad availability before calling the daemon', async () => {
    const engine = engineWithManager();
    const r = await run(engine, 'swarm', 'init', '--availability', 'foo');
    expect(r).toEqual({ code: 1, out: '', err: 'invalid availability "foo", only active, pause and drain are supported\n' });
    expect(engine.calls).toEqual([]);
  });

  it('reports daemon errors docker-style and hints at --advertise-addr', async () => {
    const engine = engineWithManager();
    engine.failWith = new EngineApiError(400, 'could not choose an IP address to advertise since this system has multiple addresses');
    const r = await run(engine, 'swarm', 'init');
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'Error response from daemon: could not choose an IP address to advertise since this system has multiple addresses - specify one with --advertise-addr\n',
    );
  });
});

describe('swarm join-token', () => {
  it('prints the worker command (docker golden jointoken-worker)', async () => {
    const engine = engineWithManager();
    const r = await run(engine, 'swarm', 'join-token', 'worker');
    expect(r.out).toBe(
      'To add a worker to this swarm, run the following command:\n\n    shoal swarm join --token worker-join-token 192.168.99.100:2377\n\n',
    );
    expect(engine.calls).toEqual(['swarmInspect', 'info', 'nodeInspect(nodeID)', 'swarmInspect']);
  });

  it('rotates with the current version and spec, then prints the new token', async () => {
    const engine = engineWithManager();
    const r = await run(engine, 'swarm', 'join-token', '--rotate', 'manager');
    expect(r.out).toBe(
      'Successfully rotated manager join token.\n\nTo add a manager to this swarm, run the following command:\n\n' +
        '    shoal swarm join --token rotated-manager-token 192.168.99.100:2377\n\n',
    );
    expect(engine.swarmUpdates).toEqual([
      { version: 11, spec: engine.swarm.Spec, flags: { rotateWorkerToken: false, rotateManagerToken: true } },
    ]);
  });

  it('prints only the token with -q', async () => {
    expect((await run(engineWithManager(), 'swarm', 'join-token', '-q', 'worker')).out).toBe('worker-join-token\n');
    expect((await run(engineWithManager(), 'swarm', 'join-token', '-q', '--rotate', 'worker')).out).toBe('rotated-worker-token\n');
  });

  it('rejects an unknown role without a daemon call', async () => {
    const engine = engineWithManager();
    expect(await run(engine, 'swarm', 'join-token', 'admin')).toEqual({ code: 1, out: '', err: 'unknown role admin\n' });
    expect(engine.calls).toEqual([]);
  });
});

describe('swarm join, leave, update', () => {
  it('joins and reports the role from /info', async () => {
    const engine = new FakeEngine();
    engine.infoData = buildInfo('w1', false);
    const r = await run(engine, 'swarm', 'join', '--token', 'SWMTKN-1-x', '--advertise-addr', '10.0.0.2', '10.0.0.1:2377');
    expect(r.out).toBe('This node joined a swarm as a worker.\n');
    expect(engine.lastJoin).toEqual({
      JoinToken: 'SWMTKN-1-x',
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: '10.0.0.2',
      DataPathAddr: '',
      RemoteAddrs: ['10.0.0.1:2377'],
    });
    engine.infoData = buildInfo('m2', true);
    expect((await run(engine, 'swarm', 'join', '--token', 't', '10.0.0.1:2377')).out).toBe('This node joined a swarm as a manager.\n');
  });

  it('needs exactly one address', async () => {
    const engine = new FakeEngine();
    const r = await run(engine, 'swarm', 'join', '--token', 't');
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "shoal: 'shoal swarm join' requires 1 argument\n\nUsage:  shoal swarm join [OPTIONS] HOST:PORT\n\nRun 'shoal swarm join --help' for more information\n",
    );
    expect(engine.calls).toEqual([]);
  });

  it('leaves', async () => {
    const engine = new FakeEngine();
    expect((await run(engine, 'swarm', 'leave', '--force')).out).toBe('Node left the swarm.\n');
    expect(engine.calls).toEqual(['swarmLeave(true)']);
  });

  it('updates the spec it read, changing only the given flags', async () => {
    const engine = new FakeEngine();
    const r = await run(engine, 'swarm', 'update', '--task-history-limit', '10', '--cert-expiry', '720h');
    expect(r.out).toBe('Swarm updated.\n');
    const [update] = engine.swarmUpdates;
    expect(update?.version).toBe(11);
    expect(update?.flags).toEqual({});
    expect(update?.spec.Orchestration?.TaskHistoryRetentionLimit).toBe(10);
    expect(update?.spec.CAConfig?.NodeCertExpiry).toBe(720 * 3600e9);
    expect(update?.spec.Dispatcher?.HeartbeatPeriod).toBe(5e9);
  });

  it('prints help and calls nothing without flags; rejects bad durations as flag errors', async () => {
    const engine = new FakeEngine();
    const help = await run(engine, 'swarm', 'update');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Update the swarm');
    const bad = await run(engine, 'swarm', 'update', '--dispatcher-heartbeat', '5');
    expect(bad.code).toBe(125);
    expect(bad.err).toBe(
      'invalid argument "5" for "--dispatcher-heartbeat" flag: time: missing unit in duration "5"\n\n' +
        "Usage:  shoal swarm update [OPTIONS]\n\nRun 'shoal swarm update --help' for more information\n",
    );
    expect(engine.calls).toEqual([]);
  });
});

describe('swarm ca', () => {
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  it('prints the root CA certificate', async () => {
    const engine = engineWithManager();
    engine.swarm.TLSInfo.TrustRoot = PEM;
    expect(await run(engine, 'swarm', 'ca')).toEqual({ code: 0, err: '', out: PEM });
    engine.swarm.TLSInfo.TrustRoot = '';
    expect(await run(engine, 'swarm', 'ca')).toMatchObject({ code: 1, err: 'No CA information available\n' });
  });

  it('needs --rotate for the rotation flags, and asks the daemon for a rotation with it', async () => {
    const engine = engineWithManager();
    const r = await run(engine, 'swarm', 'ca', '--cert-expiry', '48h');
    expect(r).toMatchObject({ code: 1, err: '`--cert-expiry` flag requires the `--rotate` flag to update the CA\n' });
    expect(engine.swarmUpdates).toEqual([]);
    await run(engine, 'swarm', 'ca', '--rotate', '-d');
    expect(engine.swarmUpdates[0]?.spec.CAConfig?.ForceRotate).toBe(1);
  });

  it('follows a rotation until every node has the new certificate and root, printing as docker does on a pipe, then the root', async () => {
    const engine = engineWithManager();
    const tls = { TrustRoot: PEM, CertIssuerSubject: 'subject', CertIssuerPublicKey: 'key' };
    engine.swarm.TLSInfo = tls;
    for (const n of engine.nodes) n.Description.TLSInfo = { ...tls };
    const r = await run(engine, 'swarm', 'ca', '--rotate', '--cert-expiry', '48h');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'desired root digest: \n  rotated TLS certificates: \n  rotated CA certificates:  \n' +
        `desired root digest: sha256:${createHash('sha256').update(PEM).digest('hex')}\n` +
        PEM,
    );
    expect(engine.swarmUpdates[0]?.spec.CAConfig).toMatchObject({ ForceRotate: 1, NodeCertExpiry: 48 * 3600e9 });
    expect((await run(engine, 'swarm', 'ca', '--rotate', '-q')).out).toBe('');
  });

  it('reads --ca-cert and --ca-key as they are parsed, as PEMFile does: a bad file is a flag error, exit 125', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-ca-'));
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello\n');
    const usage = "\n\nUsage:  shoal swarm ca [OPTIONS]\n\nRun 'shoal swarm ca --help' for more information\n";
    const engine = engineWithManager();
    expect(await run(engine, 'swarm', 'ca', '--rotate', '--ca-key', '/nonexist')).toEqual({
      code: 125,
      out: '',
      err: `invalid argument "/nonexist" for "--ca-key" flag: open /nonexist: no such file or directory${usage}`,
    });
    // --ca-cert is read before the rule that it needs --ca-key applies.
    expect(await run(engine, 'swarm', 'ca', '--rotate', '--ca-cert', '/nonexist')).toEqual({
      code: 125,
      out: '',
      err: `invalid argument "/nonexist" for "--ca-cert" flag: open /nonexist: no such file or directory${usage}`,
    });
    expect((await run(engine, 'swarm', 'ca', '--rotate', '--ca-cert', notPem)).err).toBe(
      `invalid argument "${notPem}" for "--ca-cert" flag: file contents must be in PEM format${usage}`,
    );
    expect((await run(engine, 'swarm', 'ca', '--rotate', '--ca-cert', dir)).err).toBe(`invalid argument "${dir}" for "--ca-cert" flag: read ${dir}: is a directory${usage}`);
    expect(engine.calls).toEqual([]);
    const cert = join(dir, 'ca.pem');
    const key = join(dir, 'ca-key.pem');
    writeFileSync(cert, PEM);
    writeFileSync(key, '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n');
    expect((await run(engine, 'swarm', 'ca', '--rotate', '-d', '--ca-cert', cert, '--ca-key', key)).code).toBe(0);
    expect(engine.swarmUpdates.at(-1)?.spec.CAConfig).toMatchObject({ SigningCACert: PEM, SigningCAKey: '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n' });
  });

  it("refuses docker's incomplete flag combinations before asking the daemon", async () => {
    const engine = engineWithManager();
    const cert = join(mkdtempSync(join(tmpdir(), 'shoal-ca-')), 'ca.pem');
    writeFileSync(cert, PEM);
    expect((await run(engine, 'swarm', 'ca', '--rotate', '--ca-cert', cert)).err).toBe(
      'the --ca-cert flag requires that a --ca-key flag and/or --external-ca flag be provided as well\n',
    );
    expect((await run(engine, 'swarm', 'ca', '--rotate', '--external-ca', 'protocol=cfssl,url=https://ca')).err).toContain(
      'rotating to an external CA requires the `--ca-cert` flag',
    );
    for (const [value, text] of [
      ['url=https://ca', 'the external-ca option needs a protocol= parameter'],
      ['protocol=acme,url=https://ca', 'unrecognized external CA protocol acme'],
      ['protocol=cfssl', 'the external-ca option needs a url= parameter'],
      ['cfssl', "invalid field 'cfssl' must be a key=value pair"],
    ]) {
      const r = await run(engine, 'swarm', 'update', '--external-ca', value as string);
      expect(r.code, value).toBe(125);
      expect(r.err, value).toContain(text);
    }
    await run(engine, 'swarm', 'update', '--external-ca', 'protocol=CFSSL,url=https://ca,profile=x');
    expect(engine.swarmUpdates.at(-1)?.spec.CAConfig?.ExternalCAs).toEqual([{ Protocol: 'cfssl', URL: 'https://ca', Options: { profile: 'x' } }]);
  });
});

describe('swarm unlock and unlock-key', () => {
  it('unlock: only a locked node can be unlocked', async () => {
    const engine = engineWithManager();
    expect(await run(engine, 'swarm', 'unlock')).toMatchObject({ code: 1, err: 'Error: swarm is not locked\n' });
    engine.infoData.Swarm.LocalNodeState = 'inactive';
    expect(await run(engine, 'swarm', 'unlock')).toMatchObject({ code: 1, err: 'Error: This node is not part of a swarm\n' });
  });

  it('unlock-key: no key without autolock; a key is printed with or without -q', async () => {
    const engine = engineWithManager();
    engine.unlockKey = '';
    expect(await run(engine, 'swarm', 'unlock-key')).toMatchObject({ code: 1, err: 'no unlock key is set\n' });
    expect(await run(engine, 'swarm', 'unlock-key', '--rotate')).toMatchObject({ code: 1, err: 'cannot rotate because autolock is not turned on\n' });
    engine.unlockKey = 'SWMKEY-1-abc';
    expect((await run(engine, 'swarm', 'unlock-key', '-q')).out).toBe('SWMKEY-1-abc\n');
    expect((await run(engine, 'swarm', 'unlock-key')).out).toContain('command and provide the following key:\n\n    SWMKEY-1-abc\n');
  });

  it('unlock-key: a daemon refusal keeps "Error response from daemon: " after docker\'s "could not fetch unlock key: "', async () => {
    const engine = engineWithManager();
    engine.failWith = new EngineApiError(503, 'This node is not a swarm manager. Worker nodes can\'t be used to view or modify cluster state.');
    expect(await run(engine, 'swarm', 'unlock-key')).toEqual({
      code: 1,
      out: '',
      err: "could not fetch unlock key: Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.\n",
    });
  });

  it('unlock: a locked node is sent the key read from standard input, trimmed', async () => {
    const engine = engineWithManager();
    engine.infoData.Swarm.LocalNodeState = 'locked';
    const r = await runWithIo(engine, { readLine: async () => '  SWMKEY-1-xyz \n' }, 'swarm', 'unlock');
    expect(r).toEqual({ code: 0, out: '', err: '' });
    expect(engine.calls).toContain('swarmUnlock(SWMKEY-1-xyz)');
  });

  it('unlock-key --rotate: rotates through swarm update, then prints the new key as docker does', async () => {
    const engine = engineWithManager();
    engine.unlockKey = 'SWMKEY-1-old';
    engine.swarm.Spec.EncryptionConfig = { AutoLockManagers: true };
    const r = await run(engine, 'swarm', 'unlock-key', '--rotate');
    expect(engine.swarmUpdates.at(-1)?.flags).toEqual({ rotateManagerUnlockKey: true });
    expect(r.out).toMatch(/^Successfully rotated manager unlock key\.\nTo unlock a swarm manager after it restarts, run the `shoal swarm unlock`\ncommand and provide the following key:\n\n {4}SWMKEY-1-rotated\n/);
    expect((await run(engine, 'swarm', 'unlock-key', '--rotate', '-q')).out).toBe('SWMKEY-1-rotated\n');
  });
});
