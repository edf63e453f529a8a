import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateUnlockKey } from '@shoal/pki';
import { NodeStateFiles, type PersistedNode } from './node-state';

const NODE: PersistedNode = { nodeId: 'n1', clusterId: 'c1', role: 'manager', listenAddr: '0.0.0.0:2377', advertiseAddr: '10.0.0.1', managers: ['10.0.0.1:2377'] };
const TLS = { caCertPem: 'CA PEM\n', certPem: 'CERT PEM\n', keyPem: '-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n' };

describe('NodeStateFiles with autolock', () => {
  const dirs: string[] = [];
  const dir = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-node-state-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('seals the key and the raft data key under the unlock key, and locks the next load until unlocked', () => {
    const d = dir();
    const files = new NodeStateFiles(d);
    files.save(NODE, TLS);
    const cipher = files.raftCipher();
    expect(cipher.encrypt).toBe(false);
    const sample = (() => {
      cipher.encrypt = true;
      return cipher.seal(Buffer.from('raft record'));
    })();
    const key = generateUnlockKey();
    files.setUnlockKey(key, 'manager', TLS);
    const onDisk = fs.readFileSync(path.join(d, 'certs', 'node.key'), 'utf8');
    expect(onDisk).not.toContain('secret');
    expect(onDisk).toContain('SHOAL SEALED PRIVATE KEY');
    // The data key is sealed inside node.key: no other copy.
    expect(fs.existsSync(path.join(d, 'certs', 'raft.dek'))).toBe(false);

    const after = new NodeStateFiles(d);
    expect(after.load()).toEqual({ node: NODE, locked: true });
    expect(() => after.unlock('nonsense')).toThrow('invalid key string');
    expect(() => after.unlock(generateUnlockKey())).toThrow('swarm could not be unlocked: invalid key provided');
    expect(after.unlock(key)).toEqual(TLS);
    const reopened = after.raftCipher();
    expect(reopened.encrypt).toBe(true);
    expect(Buffer.from(reopened.open(sample)).toString()).toBe('raft record');
  });

  it('re-seals under a rotated key: the old key no longer unlocks, the raft data key stays the same', () => {
    const d = dir();
    const files = new NodeStateFiles(d);
    files.save(NODE, TLS);
    const cipher = files.raftCipher();
    cipher.encrypt = true;
    const sample = cipher.seal(Buffer.from('raft record'));
    const [k1, k2] = [generateUnlockKey(), generateUnlockKey()];
    files.setUnlockKey(k1, 'manager', TLS);
    files.setUnlockKey(k2, 'manager', TLS);
    const after = new NodeStateFiles(d);
    expect(after.load()?.locked).toBe(true);
    expect(() => after.unlock(k1)).toThrow('swarm could not be unlocked: invalid key provided');
    after.unlock(k2);
    expect(Buffer.from(after.raftCipher().open(sample)).toString()).toBe('raft record');
  });

  it('writes everything plain again with autolock off, and never seals a worker', () => {
    const d = dir();
    const files = new NodeStateFiles(d);
    files.save(NODE, TLS);
    files.raftCipher();
    files.setUnlockKey(generateUnlockKey(), 'manager', TLS);
    files.setUnlockKey(null, 'manager', TLS);
    expect(new NodeStateFiles(d).load()).toEqual({ node: NODE, tls: TLS });

    files.setUnlockKey(generateUnlockKey(), 'worker', TLS);
    files.save({ ...NODE, role: 'worker' }, TLS);
    expect(new NodeStateFiles(d).load()?.locked).toBeUndefined();
  });

  it('writes certificate, key and data key as one change: a crash leaves the old set or the new one', () => {
    const d = dir();
    const files = new NodeStateFiles(d);
    files.save(NODE, TLS);
    const certs = path.join(d, 'certs');
    // Crashed before the commit marker: the half-written new files are dropped.
    fs.writeFileSync(path.join(certs, 'node.crt.new'), 'NEW CERT');
    expect(new NodeStateFiles(d).load()).toEqual({ node: NODE, tls: TLS });
    expect(fs.readdirSync(certs).filter((f) => f.endsWith('.new'))).toEqual([]);
    // Crashed after the marker, between the renames: the change is finished.
    fs.writeFileSync(path.join(certs, 'node.key.new'), 'NEW KEY');
    fs.writeFileSync(path.join(certs, 'commit'), JSON.stringify([{ name: 'certs/node.crt', remove: false }, { name: 'certs/node.key', remove: false }]));
    fs.writeFileSync(path.join(certs, 'node.crt'), 'NEW CERT'); // this rename happened
    expect(new NodeStateFiles(d).load()).toEqual({ node: NODE, tls: { ...TLS, certPem: 'NEW CERT', keyPem: 'NEW KEY' } });
    expect(fs.existsSync(path.join(certs, 'commit'))).toBe(false);
    // node.json changes in the same unit as the certificate (a demotion: role and certificate together).
    fs.writeFileSync(path.join(d, 'node.json.new'), JSON.stringify({ ...NODE, role: 'worker' }));
    fs.writeFileSync(path.join(certs, 'node.crt.new'), 'WORKER CERT');
    fs.writeFileSync(path.join(certs, 'commit'), JSON.stringify([{ name: 'certs/node.crt', remove: false }, { name: 'node.json', remove: false }]));
    expect(new NodeStateFiles(d).load()).toMatchObject({ node: { role: 'worker' }, tls: { certPem: 'WORKER CERT' } });
  });
});
