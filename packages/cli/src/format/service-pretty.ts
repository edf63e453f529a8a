// `service inspect --pretty`: the text docker's serviceInspectPrettyTemplate
// produces (cli/command/service/formatter.go), written out as code.
import type { HealthConfig, Service, UpdateConfig } from '@shoal/api';
import { bytesSize, humanDuration } from './display';
import { formatGoDuration } from './go-duration';

/** Go's `%v` of a []string: `[a b]`. */
const goList = (items: readonly string[]): string => `[${items.join(' ')}]`;

const sortedEntries = (m: Readonly<Record<string, string>>): Array<[string, string]> =>
  Object.keys(m)
    .sort()
    .map((k) => [k, m[k] ?? '']);

function updateConfigText(title: string, orderLabel: string, c: UpdateConfig): string {
  let s = `\n${title}:\n Parallelism:\t${c.Parallelism ?? 0}`;
  if ((c.Delay ?? 0) > 0) s += `\n Delay:\t\t${formatGoDuration(c.Delay ?? 0)}`;
  s += `\n On failure:\t${c.FailureAction ?? ''}`;
  if ((c.Monitor ?? 0) > 0) s += `\n Monitoring Period: ${formatGoDuration(c.Monitor ?? 0)}`;
  s += `\n Max failure ratio: ${c.MaxFailureRatio ?? 0}`;
  s += `\n ${orderLabel} ${c.Order ?? ''}`;
  return s;
}

function healthText(h: HealthConfig): string {
  let s = '\n Healthcheck:';
  s += `\n  Interval = ${formatGoDuration(h.Interval ?? 0)}`;
  s += `\n  Retries = ${h.Retries ?? 0}`;
  s += `\n  StartPeriod =\t${formatGoDuration(h.StartPeriod ?? 0)}`;
  s += `\n  Timeout =\t${formatGoDuration(h.Timeout ?? 0)}`;
  const tests = h.Test ?? [];
  if (tests.length > 0) s += `\n  Tests:${tests.map((t) => `\n\t Test = ${t}`).join('')} `;
  return s;
}

function containerText(service: Service): string {
  const c = service.Spec.TaskTemplate.ContainerSpec;
  let s = `\nContainerSpec:\n Image:\t\t${c?.Image ?? ''}`;
  if ((c?.Args ?? []).length > 0) s += `\n Args:\t\t${(c?.Args ?? []).map((a) => `${a} `).join('')}`;
  if ((c?.Env ?? []).length > 0) s += `\n Env:\t\t${(c?.Env ?? []).map((e) => `${e} `).join('')}`;
  if ((c?.Dir ?? '') !== '') s += `\n Dir:\t\t${c?.Dir ?? ''}`;
  if (c?.Init !== undefined && c.Init !== null) s += `\n Init:\t\t${String(c.Init)}`;
  if ((c?.User ?? '') !== '') s += `\n User: ${c?.User ?? ''}`;
  const add = c?.CapabilityAdd ?? [];
  const drop = c?.CapabilityDrop ?? [];
  if (add.length > 0 || drop.length > 0) {
    s += '\nCapabilities:';
    if (add.length > 0) s += `\n Add: ${add.join(', ')}`;
    if (drop.length > 0) s += `\n Drop: ${drop.join(', ')}`;
  }
  const sysctls = c?.Sysctls ?? {};
  if (Object.keys(sysctls).length > 0) {
    s += `\nSysCtls:${sortedEntries(sysctls)
      .map(([k, v]) => `\n ${k}${v === '' ? '' : `: ${v}`}`)
      .join('')}`;
  }
  const ulimits = [...(c?.Ulimits ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  if (ulimits.length > 0) s += `\nUlimits:${ulimits.map((u) => `\n ${u.Name}: ${u.Soft}:${u.Hard}`).join('')}`;
  const mounts = c?.Mounts ?? [];
  if (mounts.length > 0) s += '\nMounts:';
  for (const m of mounts) {
    s += `\n Target:\t${m.Target}\n  Source:\t${m.Source ?? ''}\n  ReadOnly:\t${String(m.ReadOnly === true)}\n  Type:\t\t${m.Type}`;
  }
  for (const [title, refs, nameOf] of [
    ['Configs', c?.Configs ?? [], (r: { ConfigName?: string }) => r.ConfigName ?? ''],
    ['Secrets', c?.Secrets ?? [], (r: { SecretName?: string }) => r.SecretName ?? ''],
  ] as const) {
    if (refs.length > 0) s += `\n${title}:${refs.map((r) => `\n Target:\t${r.File?.Name ?? ''}\n  Source:\t${nameOf(r)}`).join('')}`;
  }
  return s;
}

function resourcesText(service: Service): string {
  const r = service.Spec.TaskTemplate.Resources;
  let s = '';
  if (r !== undefined) {
    s += '\nResources:';
    const res = r.Reservations;
    if (res !== undefined && ((res.NanoCPUs ?? 0) > 0 || (res.MemoryBytes ?? 0) > 0)) {
      s += '\n Reservations:';
      if ((res.NanoCPUs ?? 0) > 0) s += `\n  CPU:\t\t${(res.NanoCPUs ?? 0) / 1e9}`;
      if ((res.MemoryBytes ?? 0) > 0) s += `\n  Memory:\t${bytesSize(res.MemoryBytes ?? 0)}`;
    }
    const lim = r.Limits;
    if (lim !== undefined && ((lim.NanoCPUs ?? 0) > 0 || (lim.MemoryBytes ?? 0) > 0 || (lim.Pids ?? 0) > 0)) {
      s += '\n Limits:';
      if ((lim.NanoCPUs ?? 0) > 0) s += `\n  CPU:\t\t${(lim.NanoCPUs ?? 0) / 1e9}`;
      if ((lim.MemoryBytes ?? 0) > 0) s += `\n  Memory:\t${bytesSize(lim.MemoryBytes ?? 0)}`;
    }
  }
  const pids = r?.Limits?.Pids ?? 0;
  if (pids > 0) s += `\n  PIDs:\t\t${pids}`;
  return s;
}

/**
 * One service as `service inspect --pretty` prints it, trailing blank line
 * included. `networkNames` maps network IDs to names; `now` is epoch ms.
 */
export function prettyService(service: Service, networkNames: ReadonlyMap<string, string>, now: number): string {
  const spec = service.Spec;
  const ago = (ts: string): string => `${humanDuration((now - Date.parse(ts)) * 1e6)} ago`;
  let s = `\nID:\t\t${service.ID}\nName:\t\t${spec.Name}`;
  const labels = spec.Labels ?? {};
  if (Object.keys(labels).length > 0) {
    s += `\nLabels:${sortedEntries(labels)
      .map(([k, v]) => `\n ${k}${v === '' ? '' : `=${v}`}`)
      .join('')}`;
  }
  s += '\nService Mode:';
  if (spec.Mode?.Global !== undefined) s += '\tGlobal';
  else if (spec.Mode?.Replicated !== undefined) {
    s += '\tReplicated';
    const replicas = spec.Mode.Replicated.Replicas;
    if (replicas !== undefined) s += `\n Replicas:\t${replicas}`;
  }
  const us = service.UpdateStatus;
  if (us !== undefined && (us.State ?? '') !== '') {
    s += `\nUpdateStatus:\n State:\t\t${us.State ?? ''}`;
    if (us.StartedAt !== undefined) s += `\n Started:\t${ago(us.StartedAt)}`;
    if (us.State === 'completed' && us.CompletedAt !== undefined) s += `\n Completed:\t${ago(us.CompletedAt)}`;
    s += `\n Message:\t${us.Message ?? ''}`;
  }
  const placement = spec.TaskTemplate.Placement;
  s += '\nPlacement:';
  if ((placement?.Constraints ?? []).length > 0) s += `\n Constraints:\t${goList(placement?.Constraints ?? [])}`;
  const prefs = (placement?.Preferences ?? []).map((p) => `spread=${p.Spread.SpreadDescriptor}`);
  if (prefs.length > 0) s += `\n Preferences:   ${goList(prefs)}`;
  if ((placement?.MaxReplicas ?? 0) > 0) s += `\n Max Replicas Per Node:   ${placement?.MaxReplicas ?? 0}`;
  if (spec.UpdateConfig !== undefined) s += updateConfigText('UpdateConfig', 'Update order:     ', spec.UpdateConfig);
  if (spec.RollbackConfig !== undefined) s += updateConfigText('RollbackConfig', 'Rollback order:   ', spec.RollbackConfig);
  s += containerText(service);
  const log = spec.TaskTemplate.LogDriver;
  if (log !== undefined) {
    s += '\nLog Driver:';
    if (log.Name !== '') s += `\n Name:\t\t${log.Name}`;
    const opts = log.Options ?? {};
    if (Object.keys(opts).length > 0) {
      s += `\n LogOpts:${sortedEntries(opts)
        .map(([k, v]) => `\n  ${k}${v === '' ? '' : `:       ${v}`}`)
        .join('')}`;
    }
    s += '\n';
  }
  s += resourcesText(service);
  const networks = (spec.TaskTemplate.Networks ?? []).map((n) => networkNames.get(n.Target) ?? n.Target);
  if (networks.length > 0) s += `\nNetworks:${networks.map((n) => ` ${n}`).join('')} `;
  s += `\nEndpoint Mode:\t${spec.EndpointSpec?.Mode ?? ''}`;
  const ports = service.Endpoint?.Ports ?? [];
  if (ports.length > 0) {
    s += `\nPorts:${ports
      .map(
        (p) =>
          `\n PublishedPort = ${p.PublishedPort ?? 0}\n  Protocol = ${p.Protocol ?? ''}\n  TargetPort = ${p.TargetPort}\n  PublishMode = ${p.PublishMode ?? ''}`,
      )
      .join('')} `;
  }
  const health = spec.TaskTemplate.ContainerSpec?.Healthcheck ?? spec.TaskTemplate.ContainerSpec?.HealthCheck;
  if (health !== undefined) s += healthText(health);
  return `${s}\n\n`;
}
