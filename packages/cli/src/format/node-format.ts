// How nodes print: the `node ls` table context and `node inspect --pretty`
// (docker/cli cli/command/node/formatter.go).
import type { Node, SystemInfo, TLSInfo } from '@shoal/api';
import { bytesSize, goTimeString, prettyPrint } from './display';
import { renderFormat } from './formatter';
import { naturalCompare } from './natural-sort';

export const DEFAULT_NODE_TABLE_FORMAT =
  'table {{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}';

const NODE_HEADER: Readonly<Record<string, string>> = {
  ID: 'ID',
  Self: '',
  Hostname: 'HOSTNAME',
  Status: 'STATUS',
  Availability: 'AVAILABILITY',
  ManagerStatus: 'MANAGER STATUS',
  EngineVersion: 'ENGINE VERSION',
  TLSStatus: 'TLS STATUS',
};

/** Fields a `node ls --format` template sees; keys sorted as docker's JSON of them. */
export interface NodeRow {
  Availability: string;
  EngineVersion: string;
  Hostname: string;
  ID: string;
  ManagerStatus: string;
  Self: boolean;
  Status: string;
  TLSStatus: string;
}

const tlsEmpty = (t: TLSInfo | undefined): boolean =>
  t === undefined || ((t.TrustRoot ?? '') === '' && (t.CertIssuerSubject ?? '') === '' && (t.CertIssuerPublicKey ?? '') === '');

const tlsEqual = (a: TLSInfo, b: TLSInfo): boolean =>
  (a.TrustRoot ?? '') === (b.TrustRoot ?? '') &&
  (a.CertIssuerSubject ?? '') === (b.CertIssuerSubject ?? '') &&
  (a.CertIssuerPublicKey ?? '') === (b.CertIssuerPublicKey ?? '');

export function nodeRow(node: Node, info: SystemInfo | undefined): NodeRow {
  const ms = node.ManagerStatus;
  const reachability = ms === undefined || ms === null ? '' : ms.Leader === true ? 'Leader' : ms.Reachability;
  const clusterTls = info?.Swarm.Cluster?.TLSInfo;
  const nodeTls = node.Description?.TLSInfo;
  let tlsStatus = 'Unknown';
  if (clusterTls !== undefined && !tlsEmpty(clusterTls) && nodeTls !== undefined && !tlsEmpty(nodeTls)) {
    tlsStatus = tlsEqual(nodeTls, clusterTls) ? 'Ready' : 'Needs Rotation';
  }
  return {
    Availability: prettyPrint(node.Spec?.Availability ?? ''),
    EngineVersion: node.Description?.Engine?.EngineVersion ?? '',
    Hostname: node.Description?.Hostname ?? '',
    ID: node.ID,
    ManagerStatus: prettyPrint(reachability),
    Self: info !== undefined && node.ID === info.Swarm.NodeID,
    Status: prettyPrint(node.Status?.State ?? ''),
    TLSStatus: tlsStatus,
  };
}

/** Sorts by hostname in natural order, then renders with `format` (`table`, `json`, a template). */
export function formatNodeList(format: string, nodes: readonly Node[], info: SystemInfo | undefined): string {
  const sorted = [...nodes].sort((a, b) =>
    naturalCompare(a.Description?.Hostname ?? '', b.Description?.Hostname ?? ''),
  );
  return renderFormat(format, sorted.map((n) => nodeRow(n, info)), NODE_HEADER, { struct: '*node.nodeContext' });
}

/** Maps `--format`/`-q` to the template docker uses (node/formatter.go newFormat). */
export function nodeListFormat(format: string, quiet: boolean): string {
  if (format === 'table') return quiet ? '{{.ID}}' : DEFAULT_NODE_TABLE_FORMAT;
  if (format === 'raw') {
    return quiet
      ? 'node_id: {{.ID}}'
      : 'node_id: {{.ID}}\\nhostname: {{.Hostname}}\\nstatus: {{.Status}}\\navailability: {{.Availability}}\\nmanager_status: {{.ManagerStatus}}\\n';
  }
  return format;
}

function labelLines(labels: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(labels ?? {})
    .sort()
    .map((k) => {
      const v = labels?.[k] ?? '';
      return `\n - ${k}${v === '' ? '' : `=${v}`}`;
    })
    .join('');
}

/** `node inspect --pretty` for one node, newline-terminated; tabs are literal as in docker's template. */
export function prettyNode(node: Node): string {
  const spec = node.Spec ?? {};
  const desc = node.Description;
  let s = `ID:\t\t\t${node.ID}`;
  if (spec.Name) s += `\nName:\t\t\t${spec.Name}`;
  if (spec.Labels && Object.keys(spec.Labels).length > 0) s += `\nLabels:${labelLines(spec.Labels)}`;
  s += `\nHostname:              \t${desc?.Hostname ?? ''}`;
  s += `\nJoined at:             \t${prettyPrint(goTimeString(node.CreatedAt))}`;
  s += `\nStatus:\n State:\t\t\t${prettyPrint(node.Status?.State ?? '')}`;
  if (node.Status?.Message) s += `\n Message:              \t${prettyPrint(node.Status.Message)}`;
  s += `\n Availability:         \t${prettyPrint(spec.Availability ?? '')}`;
  if (node.Status?.Addr) s += `\n Address:\t\t${node.Status.Addr}`;
  const ms = node.ManagerStatus;
  if (ms !== undefined && ms !== null) {
    s += `\nManager Status:\n Address:\t\t${ms.Addr}\n Raft Status:\t\t${prettyPrint(ms.Reachability)}`;
    s += ms.Leader === true ? '\n Leader:\t\tYes' : '\n Leader:\t\tNo';
  }
  s += `\nPlatform:\n Operating System:\t${desc?.Platform?.OS ?? ''}\n Architecture:\t\t${desc?.Platform?.Architecture ?? ''}`;
  const cpus = Math.trunc((desc?.Resources?.NanoCPUs ?? 0) / 1e9);
  const mem = desc?.Resources?.MemoryBytes ?? 0;
  s += `\nResources:\n CPUs:\t\t\t${cpus}\n Memory:\t\t${mem === 0 ? '' : bytesSize(mem)}`;
  const plugins = desc?.Engine?.Plugins ?? [];
  if (plugins.length > 0) {
    const byType = new Map<string, string[]>();
    for (const p of plugins) byType.set(p.Type, [...(byType.get(p.Type) ?? []), p.Name]);
    s += '\nPlugins:';
    for (const type of [...byType.keys()].sort()) {
      const names = (byType.get(type) ?? []).join(', ');
      s += `\n ${type}:${names === '' ? '' : `\t\t${names}`}`;
    }
  }
  s += `\nEngine Version:\t\t${desc?.Engine?.EngineVersion ?? ''}`;
  const engineLabels = desc?.Engine?.Labels;
  if (engineLabels && Object.keys(engineLabels).length > 0) s += `\nEngine Labels:${labelLines(engineLabels)}`;
  const tls = desc?.TLSInfo;
  if (!tlsEmpty(tls)) {
    s += `\nTLS Info:\n TrustRoot:\n${tls?.TrustRoot ?? ''}`;
    s += `\n Issuer Subject:\t${tls?.CertIssuerSubject ?? ''}\n Issuer Public Key:\t${tls?.CertIssuerPublicKey ?? ''}`;
  }
  return `${s}\n`;
}
