// How services print in `service ls` (docker/cli cli/command/service/formatter.go):
// the row context, replica counts, and ingress ports with consecutive ranges collapsed.
import type { PortConfig, Service } from '@shoal/api';
import { renderFormat } from './formatter';
import { displayImage } from './image-ref';
import { naturalCompare } from './natural-sort';

export const DEFAULT_SERVICE_TABLE_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}';

const SERVICE_HEADER: Readonly<Record<string, string>> = {
  ID: 'ID',
  Name: 'NAME',
  Mode: 'MODE',
  Replicas: 'REPLICAS',
  Image: 'IMAGE',
  Ports: 'PORTS',
};

/** Fields a `service ls --format` template sees; keys sorted as docker's JSON of them. */
export interface ServiceRow {
  ID: string;
  Image: string;
  Mode: string;
  Name: string;
  Ports: string;
  Replicas: string;
}

/** docker's TruncateID: an algorithm prefix (`sha256:`) dropped, then 12 characters. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  return (colon >= 0 ? id.slice(colon + 1) : id).slice(0, 12);
}

export function serviceMode(service: Service): string {
  const mode = service.Spec.Mode ?? {};
  if (mode.Global !== undefined) return 'global';
  if (mode.Replicated !== undefined) return 'replicated';
  if (mode.ReplicatedJob !== undefined) return 'replicated job';
  if (mode.GlobalJob !== undefined) return 'global job';
  return '';
}

export function serviceReplicas(service: Service): string {
  const running = service.ServiceStatus?.RunningTasks ?? 0;
  const desired = service.ServiceStatus?.DesiredTasks ?? 0;
  const completed = service.ServiceStatus?.CompletedTasks ?? 0;
  const mode = service.Spec.Mode ?? {};
  if (mode.ReplicatedJob !== undefined) {
    return `${running}/${desired} (${completed}/${mode.ReplicatedJob.TotalCompletions ?? 0} completed)`;
  }
  if (mode.GlobalJob !== undefined) return `${running}/${desired} (${completed}/${desired + completed} completed)`;
  const max = mode.Replicated !== undefined && mode.Global === undefined ? (service.Spec.TaskTemplate.Placement?.MaxReplicas ?? 0) : 0;
  if (max > 0) return `${running}/${desired} (max ${max} per node)`;
  return `${running}/${desired}`;
}

interface PortRange {
  pStart: number;
  pEnd: number;
  tStart: number;
  tEnd: number;
  protocol: string;
}

const rangeText = (r: PortRange): string => {
  const pub = r.pEnd > r.pStart ? `${r.pStart}-${r.pEnd}` : String(r.pStart);
  const tgt = r.tEnd > r.tStart ? `${r.tStart}-${r.tEnd}` : String(r.tStart);
  return `*:${pub}->${tgt}/${r.protocol}`;
};

/** Go's uint32 subtraction: a "negative" difference wraps to a huge number. */
const gap = (a: number, b: number): number => (a - b) >>> 0;

/**
 * Published ingress ports: `*:80->80/tcp`; consecutive ports collapse
 * (`*:80-81->80-81/tcp`, and `*:80-81->80/tcp` for several published ports on one target).
 */
export function formatServicePorts(ports: readonly PortConfig[] | undefined): string {
  if (ports === undefined) return '';
  const sorted = [...ports].sort((a, b) => {
    const pa = a.Protocol ?? '';
    const pb = b.Protocol ?? '';
    if (pa === pb) return (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0);
    return pa < pb ? -1 : 1;
  });
  const out: string[] = [];
  let pr: PortRange = { pStart: 0, pEnd: 0, tStart: 0, tEnd: 0, protocol: '' };
  for (const p of sorted) {
    if (p.PublishMode !== 'ingress') continue;
    const published = p.PublishedPort ?? 0;
    const protocol = p.Protocol ?? '';
    const isRange = pr.tEnd !== pr.tStart;
    const overlaps = p.TargetPort <= pr.tEnd;
    if (protocol !== pr.protocol || gap(published, pr.pEnd) > 1 || gap(p.TargetPort, pr.tEnd) > 1 || (isRange && overlaps)) {
      if (pr.pStart > 0) out.push(rangeText(pr));
      pr = { pStart: published, pEnd: published, tStart: p.TargetPort, tEnd: p.TargetPort, protocol };
      continue;
    }
    pr.pEnd = published;
    pr.tEnd = p.TargetPort;
  }
  if (pr.pStart > 0) out.push(rangeText(pr));
  return out.join(', ');
}

export function serviceRow(service: Service): ServiceRow {
  return {
    ID: truncateId(service.ID),
    Image: displayImage(service.Spec.TaskTemplate.ContainerSpec?.Image ?? ''),
    Mode: serviceMode(service),
    Name: service.Spec.Name,
    Ports: formatServicePorts(service.Endpoint?.Ports),
    Replicas: serviceReplicas(service),
  };
}

/** Maps `--format`/`-q` to the template docker uses (service/formatter.go NewListFormat). */
export function serviceListFormat(format: string, quiet: boolean): string {
  if (format === 'table') return quiet ? '{{.ID}}' : DEFAULT_SERVICE_TABLE_FORMAT;
  if (format === 'raw') {
    return quiet
      ? 'id: {{.ID}}'
      : 'id: {{.ID}}\\nname: {{.Name}}\\nmode: {{.Mode}}\\nreplicas: {{.Replicas}}\\nimage: {{.Image}}\\nports: {{.Ports}}\\n';
  }
  return format;
}

/** Sorts by name in natural order, then renders with `format` (`table`, `json`, a template). */
export function formatServiceList(format: string, services: readonly Service[]): string {
  const sorted = [...services].sort((a, b) => naturalCompare(a.Spec.Name, b.Spec.Name));
  return renderFormat(format, sorted.map(serviceRow), SERVICE_HEADER, { struct: '*service.serviceContext' });
}
