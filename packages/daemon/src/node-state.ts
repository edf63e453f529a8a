// What a node remembers across restarts: node.json (identity, role, addresses, known managers)
// and certs/ (root CA, node key and certificate, and on managers the key their raft data is
// sealed with). With autolock a manager keeps its private key and that raft data key sealed
// together in node.key under the swarm's unlock key, which is never written down: after a
// restart the node is locked until someone gives the key again (`swarm unlock`).
//
// The files of certs/ change together (a renewal replaces certificate and key; autolock seals
// key and data key): each change is written as `<file>.new` files and a commit marker, then
// renamed into place, so a crash leaves either the old set or the new one, never a mix.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidUnlockKeyFormatError, WrongUnlockKeyError, openWithUnlockKey, parseUnlockKey, sealWithUnlockKey } from '@shoal/pki';
import { AtRestCipher, DEK_BYTES } from '@shoal/raft';
import { InvalidArgumentError, UnauthenticatedError, type NodeRole } from '@shoal/store';
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
/** Paths relative to the data dir. */
const COMMIT = 'certs/commit';
const KEY = 'certs/node.key';
const DEK = 'certs/raft.dek';
const NODE = 'node.json';

export type LoadedNode = { node: PersistedNode; tls: TlsMaterial; locked?: undefined } | { node: PersistedNode; locked: true };

/** What a sealed node.key holds. */
interface SealedContent {
  keyPem: string;
  /** The raft data key (base64), on managers. */
  dek?: string;
}

export class NodeStateFiles {
  /** The unlock key node.key is sealed under (managers with autolock), else null. */
  private unlockKey: Buffer | null = null;
  /** This manager's raft data key, once known. */
  private dek: Buffer | null = null;

  constructor(private readonly dataDir: string) {}

  private get nodeFile(): string {
    return this.file(NODE);
  }
  private get certDir(): string {
    return path.join(this.dataDir, 'certs');
  }

  /** The saved membership; `locked` when its key is sealed and unlock() must be given the key first. */
  load(): LoadedNode | null {
    this.recover();
    if (!fs.existsSync(this.nodeFile)) return null;
    const node = JSON.parse(fs.readFileSync(this.nodeFile, 'utf8')) as PersistedNode;
    const keyText = this.read(KEY);
    if (sealedBody(keyText) !== null) return { node, locked: true };
    return { node, tls: { caCertPem: this.read('certs/ca.crt'), certPem: this.read('certs/node.crt'), keyPem: keyText } };
  }

  /**
   * Opens the sealed key with `keyText` (an unlock key): the TLS material on success. A malformed
   * key or another key gets moby's error (400 "invalid key string", 401 "… invalid key provided").
   */
  unlock(keyText: string): TlsMaterial {
    let content: SealedContent;
    let key: Buffer;
    try {
      key = parseUnlockKey(keyText);
      const body = sealedBody(this.read(KEY));
      if (body === null) throw new Error('node key is not sealed');
      content = JSON.parse(openWithUnlockKey(key, body).toString('utf8')) as SealedContent;
    } catch (err) {
      if (err instanceof InvalidUnlockKeyFormatError) throw new InvalidArgumentError(err.message, { cause: err });
      if (err instanceof WrongUnlockKeyError) throw new UnauthenticatedError('swarm could not be unlocked: invalid key provided', { cause: err });
      throw err;
    }
    this.unlockKey = key;
    this.dek = content.dek === undefined ? null : Buffer.from(content.dek, 'base64');
    // A plain copy of the data key left by a crash while it was being sealed.
    if (this.dek && fs.existsSync(this.file(DEK))) this.commit([{ name: DEK, content: null }]);
    return { caCertPem: this.read('certs/ca.crt'), certPem: this.read('certs/node.crt'), keyPem: content.keyPem };
  }

  /** node.json, and with `tls` the certificate files, as one change. */
  save(node: PersistedNode, tls?: TlsMaterial): void {
    this.commit([
      ...(tls
        ? [
            { name: 'certs/ca.crt', content: tls.caCertPem, mode: 0o644 },
            { name: 'certs/node.crt', content: tls.certPem, mode: 0o644 },
            ...this.keyFiles(node.role, tls.keyPem),
          ]
        : []),
      { name: NODE, content: JSON.stringify(node, null, 2) + '\n', mode: 0o644 },
    ]);
  }

  /**
   * The swarm's unlock key changed (null: autolock off): node.key (with the raft data key inside)
   * is sealed under the new key, or both are written plain. Workers are never locked.
   */
  setUnlockKey(keyText: string | null, role: NodeRole, tls: TlsMaterial): void {
    this.unlockKey = keyText === null || role !== 'manager' ? null : parseUnlockKey(keyText);
    this.commit(this.keyFiles(role, tls.keyPem));
  }

  /** This manager's raft data key (made on first use), sealing while autolock is on. */
  raftCipher(): AtRestCipher {
    if (!this.dek) {
      const saved = this.readPlainDek();
      this.dek = saved ?? randomBytes(DEK_BYTES);
      if (!saved) {
        // A new data key is written plain; the manager reports the unlock key, which seals it.
        this.unlockKey = null;
        fs.mkdirSync(this.certDir, { recursive: true, mode: 0o700 });
        this.commit([{ name: DEK, content: plainDek(this.dek), mode: 0o600 }]);
      }
    }
    return new AtRestCipher(this.dek, this.unlockKey !== null);
  }

  /** The raft data is gone (demotion): its key goes too, and nothing is sealed any more. */
  forgetRaftKey(): void {
    this.dek = null;
    this.unlockKey = null;
    this.commit([{ name: DEK, content: null }]);
  }

  /** Forgets the swarm: identity, certificates and manager state (backups of it included). */
  clear(): void {
    this.unlockKey = null;
    this.dek = null;
    const doomed = [this.nodeFile, this.certDir, path.join(this.dataDir, 'raft')];
    for (const name of fs.existsSync(this.dataDir) ? fs.readdirSync(this.dataDir) : []) {
      if (name.startsWith('raft.before-force-new-cluster-')) doomed.push(path.join(this.dataDir, name));
    }
    for (const p of doomed) fs.rmSync(p, { recursive: true, force: true });
  }

  /** node.key (and raft.dek) as they should be for `role` now. */
  private keyFiles(role: NodeRole, keyPem: string): FileChange[] {
    if (this.unlockKey === null || role !== 'manager') {
      return [{ name: KEY, content: keyPem, mode: 0o600 }, ...(this.dek && role === 'manager' ? [{ name: DEK, content: plainDek(this.dek), mode: 0o600 }] : [])];
    }
    const content: SealedContent = { keyPem, ...(this.dek ? { dek: this.dek.toString('base64') } : {}) };
    const body = sealWithUnlockKey(this.unlockKey, Buffer.from(JSON.stringify(content), 'utf8'));
    return [
      { name: KEY, content: `${SEALED_BEGIN}\n${wrap64(body)}\n${SEALED_END}\n`, mode: 0o600 },
      { name: DEK, content: null },
    ];
  }

  private readPlainDek(): Buffer | null {
    if (!fs.existsSync(this.file(DEK))) return null;
    const saved = JSON.parse(fs.readFileSync(this.file(DEK), 'utf8')) as { plain?: string };
    return saved.plain === undefined ? null : Buffer.from(saved.plain, 'base64');
  }

  private file(name: string): string {
    return path.join(this.dataDir, name);
  }

  private read(name: string): string {
    return fs.readFileSync(this.file(name), 'utf8');
  }

  /**
   * Writes `changes` (content null: delete) all or nothing: every new file as `<name>.new`, then
   * the commit marker, then the renames. recover() finishes a committed change after a crash and
   * drops an uncommitted one.
   */
  private commit(changes: readonly FileChange[]): void {
    if (changes.length === 0) return;
    fs.mkdirSync(this.certDir, { recursive: true, mode: 0o700 });
    for (const c of changes) if (c.content !== null) writeDurable(this.file(`${c.name}.new`), c.content, c.mode ?? 0o600);
    // The new files' directory entries durable before the marker that says they are complete.
    fsyncDir(this.dataDir);
    fsyncDir(this.certDir);
    writeAtomic(this.file(COMMIT), JSON.stringify(changes.map((c) => ({ name: c.name, remove: c.content === null }))), 0o600);
    fsyncDir(this.certDir);
    this.recover();
  }

  private recover(): void {
    if (!fs.existsSync(this.certDir)) return;
    const marker = this.file(COMMIT);
    if (fs.existsSync(marker)) {
      const changes = JSON.parse(fs.readFileSync(marker, 'utf8')) as Array<{ name: string; remove: boolean }>;
      for (const c of changes) {
        if (c.remove) fs.rmSync(this.file(c.name), { force: true });
        else if (fs.existsSync(this.file(`${c.name}.new`))) fs.renameSync(this.file(`${c.name}.new`), this.file(c.name));
      }
      fsyncDir(this.dataDir);
      fsyncDir(this.certDir);
      fs.rmSync(marker, { force: true });
    }
    for (const dir of [this.dataDir, this.certDir]) {
      for (const name of fs.readdirSync(dir)) {
        if (name.endsWith('.new') || name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true, recursive: true });
      }
    }
    fsyncDir(this.certDir);
  }
}

interface FileChange {
  name: string;
  /** null: the file is removed. */
  content: string | null;
  mode?: number;
}

function plainDek(dek: Buffer): string {
  return JSON.stringify({ plain: dek.toString('base64') }) + '\n';
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

function writeDurable(file: string, content: string, mode: number): void {
  const fd = fs.openSync(file, 'w', mode);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.tmp`;
  writeDurable(tmp, content, mode);
  fs.renameSync(tmp, file);
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
