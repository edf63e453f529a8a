// What a node remembers across restarts: node.json (identity, role, addresses,
// known managers) and certs/ (root CA, node key and certificate).
import * as fs from 'node:fs';
import * as path from 'node:path';
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

export class NodeStateFiles {
  constructor(private readonly dataDir: string) {}

  private get nodeFile(): string {
    return path.join(this.dataDir, 'node.json');
  }
  private get certDir(): string {
    return path.join(this.dataDir, 'certs');
  }

  load(): { node: PersistedNode; tls: TlsMaterial } | null {
    if (!fs.existsSync(this.nodeFile)) return null;
    const node = JSON.parse(fs.readFileSync(this.nodeFile, 'utf8')) as PersistedNode;
    const read = (f: string) => fs.readFileSync(path.join(this.certDir, f), 'utf8');
    return { node, tls: { caCertPem: read('ca.crt'), certPem: read('node.crt'), keyPem: read('node.key') } };
  }

  save(node: PersistedNode, tls?: TlsMaterial): void {
    if (tls) {
      fs.mkdirSync(this.certDir, { recursive: true, mode: 0o700 });
      writeAtomic(path.join(this.certDir, 'ca.crt'), tls.caCertPem, 0o644);
      writeAtomic(path.join(this.certDir, 'node.crt'), tls.certPem, 0o644);
      writeAtomic(path.join(this.certDir, 'node.key'), tls.keyPem, 0o600);
    }
    writeAtomic(this.nodeFile, JSON.stringify(node, null, 2) + '\n', 0o644);
  }

  /** Forgets the swarm: identity, certificates and manager state. */
  clear(): void {
    for (const p of [this.nodeFile, this.certDir, path.join(this.dataDir, 'raft')]) {
      fs.rmSync(p, { recursive: true, force: true });
    }
  }
}

function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', mode);
  fs.writeSync(fd, content);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}
