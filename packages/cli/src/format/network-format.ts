// How networks print in `network ls` (docker/cli cli/command/network/formatter.go).
import type { Network } from '@shoal/api';
import { goTimeString } from './display';
import { renderFormat } from './formatter';
import { naturalCompare } from './natural-sort';
import { truncateId } from './service-format';

export const DEFAULT_NETWORK_TABLE_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

const NETWORK_HEADER: Readonly<Record<string, string>> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

/** Fields a `network ls --format` template sees; keys sorted as docker's JSON of them. */
export interface NetworkRow {
  CreatedAt: string;
  Driver: string;
  ID: string;
  IPv4: string;
  IPv6: string;
  Internal: string;
  Labels: string;
  Name: string;
  Scope: string;
  /** docker's networkContext.Label: the value of one label ("" when unset). */
  Label: (name: string) => string;
}

export function networkRow(n: Network, trunc: boolean): NetworkRow {
  const labels = n.Labels ?? {};
  return {
    CreatedAt: goTimeString(n.Created),
    Driver: n.Driver,
    ID: trunc ? truncateId(n.Id) : n.Id,
    IPv4: String(n.EnableIPv4 === true),
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    // Docker joins them in map order, which varies; sorted here.
    Labels: Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k] ?? ''}`)
      .join(','),
    Name: n.Name,
    Scope: n.Scope,
    Label: (name: string) => labels[name] ?? '',
  };
}

/** Maps `--format`/`-q` to the template docker uses (network/formatter.go newFormat). */
export function networkListFormat(format: string, quiet: boolean): string {
  if (format === 'table') return quiet ? '{{.ID}}' : DEFAULT_NETWORK_TABLE_FORMAT;
  if (format === 'raw') {
    return quiet ? 'network_id: {{.ID}}' : 'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n';
  }
  return format;
}

/** Sorts by name in natural order, then renders. */
export function formatNetworkList(format: string, networks: readonly Network[], trunc: boolean): string {
  const sorted = [...networks].sort((a, b) => naturalCompare(a.Name, b.Name));
  return renderFormat(format, sorted.map((n) => networkRow(n, trunc)), NETWORK_HEADER, { struct: '*network.networkContext' });
}
