// What a node remembers across restarts: node.json (identity, role, addresses, known managers)
// and certs/ (root CA, node key and certificate, and on managers raft.dek, the key the raft data
// is sealed with). With autolock a manager keeps node.key and raft.dek sealed under the swarm's
// unlock key, which is never written down: after a restart the node is locked until someone
// gives the key again (`swarm unlock`).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openWithUnlockKey, parseUnlockKey, sealWithUnlockKey } from '@shoal/pki';
import { AtRestCipher, DEK_BYTES } from '@shoal/raft';
import type { NodeRole } from '@shoal/store';
import type { TlsMaterial } from '@shoal/wire';

export interface PersistedNode {
  nodeId: string;
  clusterId: string;
  role: NodeRole;
  /** host:port this node's manager listens on (managers only). */
  listenAddr: string;
  /** IP other nodes use to reach this node. */
  advertiseAddr: string;
  /** host:port of managers to dial. */
  managers: string[];
}

const SEALED_BEGIN = '-----BEGIN SHOAL SEALED PRIVATE KEY-----';
const SEALED_END = '-----END SHOAL SEALED PRIVATE KEY-----';

export type LoadedNode = { node: PersistedNode; tls: TlsMaterial; locked?: undefined } | { node: PersistedNode; locked: true };

export class NodeStateFiles {
  /** The unlock key node.key and raft.dek are sealed under (managers with autolock), else null. */
  private unlockKey: Buffer | null = null;

  constructor(private readonly dataDir: string) {}

  private get nodeFile(): string {
    return path.join(this.dataDir, 'node.json');
  }
  private get certDir(): string {
    return path.join(this.dataDir, 'certs');
  }
  private get dekFile(): string {
    return path.join(this.certDir, 'raft.dek');
  }

  /** The saved membership; `locked` when its key is sealed and unlock() must be given the key first. */
  load(): LoadedNode | null {
    if (!fs.existsSync(this.nodeFile)) return null;
    const node = JSON.parse(fs.readFileSync(this.nodeFile, 'utf8')) as PersistedNode;
    const keyText = this.read('node.key');
    if (sealedBody(keyText) !== null) return { node, locked: true };
    return { node, tls: { caCertPem: this.read('ca.crt'), certPem: this.read('node.crt'), keyPem: keyText } };
  }

  /**
   * Opens the sealed key with `keyText` (an unlock key): the TLS material on success. Throws
   * InvalidUnlockKeyFormatError for a malformed key, WrongUnlockKeyError for another key.
   */
  unlock(keyText: string): TlsMaterial {
    const key = parseUnlockKey(keyText);
    const body = sealedBody(this.read('node.key'));
    if (body === null) throw new Error('node key is not sealed');
    const keyPem = openWithUnlockKey(key, body).toString('utf8');
    const dek = this.readDek();
    if (dek?.sealed !== undefined) openWithUnlockKey(key, dek.sealed); // the same key must open both
    this.unlockKey = key;
    return { caCertPem: this.read('ca.crt'), certPem: this.read('node.crt'), keyPem };
  }

  save(node: PersistedNode, tls?: TlsMaterial): void {
    if (tls) {
      fs.mkdirSync(this.certDir, { recursive: true, mode: 0o700 });
      writeAtomic(path.join(this.certDir, 'ca.crt'), tls.caCertPem, 0o644);
      writeAtomic(path.join(this.certDir, 'node.crt'), tls.certPem, 0o644);
      this.writeKey(node.role, tls.keyPem);
    }
    writeAtomic(this.nodeFile, JSON.stringify(node, null, 2) + '\n', 0o644);
  }

  /**
   * The swarm's unlock key changed (null: autolock off): node.key and raft.dek are sealed under
   * the new key, or written plain. Workers are never locked.
   */
  setUnlockKey(keyText: string | null, role: NodeRole, tls: TlsMaterial): void {
    const saved = this.readDek();
    const dek = saved ? this.openDek(saved) : undefined; // under the key it was sealed with
    this.unlockKey = keyText === null || role !== 'manager' ? null : parseUnlockKey(keyText);
    this.writeKey(role, tls.keyPem);
    if (dek) this.writeDek(dek);
  }

  /** This manager's raft data key (made on first use), sealing while autolock is on. */
  raftCipher(): AtRestCipher {
    const saved = this.readDek();
    let dek: Buffer;
    if (saved) dek = this.openDek(saved);
    else {
      dek = randomBytes(DEK_BYTES);
      fs.mkdirSync(this.certDir, { recursive: true, mode: 0o700 });
      this.writeDek(dek);
    }
    return new AtRestCipher(dek, this.unlockKey !== null);
  }

  /** The raft data is gone (demotion): its key goes too, and nothing is sealed any more. */
  forgetRaftKey(): void {
    fs.rmSync(this.dekFile, { force: true });
    this.unlockKey = null;
  }

  /** Forgets the swarm: identity, certificates and manager state. */
  clear(): void {
    this.unlockKey = null;
    for (const p of [this.nodeFile, this.certDir, path.join(this.dataDir, 'raft')]) {
      fs.rmSync(p, { recursive: true, force: true });
    }
  }

  private read(file: string): string {
    return fs.readFileSync(path.join(this.certDir, file), 'utf8');
  }

  private writeKey(role: NodeRole, keyPem: string): void {
    const file = path.join(this.certDir, 'node.key');
    if (this.unlockKey === null || role !== 'manager') return writeAtomic(file, keyPem, 0o600);
    const body = sealWithUnlockKey(this.unlockKey, Buffer.from(keyPem, 'utf8'));
    writeAtomic(file, `${SEALED_BEGIN}\n${wrap64(body)}\n${SEALED_END}\n`, 0o600);
  }

  private readDek(): { plain?: string; sealed?: string } | null {
    if (!fs.existsSync(this.dekFile)) return null;
    return JSON.parse(fs.readFileSync(this.dekFile, 'utf8')) as { plain?: string; sealed?: string };
  }

  private openDek(saved: { plain?: string; sealed?: string }): Buffer {
    if (saved.plain !== undefined) return Buffer.from(saved.plain, 'base64');
    if (this.unlockKey === null || saved.sealed === undefined) throw new Error('raft data key is sealed and the node is locked');
    return openWithUnlockKey(this.unlockKey, saved.sealed);
  }

  private writeDek(dek: Buffer): void {
    const content = this.unlockKey === null ? { plain: dek.toString('base64') } : { sealed: sealWithUnlockKey(this.unlockKey, dek) };
    writeAtomic(this.dekFile, JSON.stringify(content) + '\n', 0o600);
  }
}

/** The base64 body of a sealed key file, or null for a plain PEM key. */
function sealedBody(text: string): string | null {
  const at = text.indexOf(SEALED_BEGIN);
  if (at < 0) return null;
  const end = text.indexOf(SEALED_END, at);
  return text.slice(at + SEALED_BEGIN.length, end < 0 ? undefined : end).replace(/\s+/g, '');
}

function wrap64(b64: string): string {
  return b64.match(/.{1,64}/g)?.join('\n') ?? '';
}

function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', mode);
  fs.writeSync(fd, content);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}
