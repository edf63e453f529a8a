// How tasks print in `service ps` and `node ps` (docker/cli cli/command/task):
// `<service>.<slot>` names, history rows indented under their slot, humanised states.
import type { Task } from '@shoal/api';
import { humanDuration, prettyPrint } from './display';
import { isTableFormat, renderFormat } from './formatter';
import { displayImage } from './image-ref';
import { naturalLess } from './natural-sort';
import { truncateId } from './service-format';
import { displayWidth } from './tabwriter';

export const DEFAULT_TASK_TABLE_FORMAT =
  'table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}';

const TASK_HEADER: Readonly<Record<string, string>> = {
  ID: 'ID',
  Name: 'NAME',
  Image: 'IMAGE',
  Node: 'NODE',
  DesiredState: 'DESIRED STATE',
  CurrentState: 'CURRENT STATE',
  Error: 'ERROR',
  Ports: 'PORTS',
};

const MAX_ERR_LENGTH = 30;

/** Fields a `ps --format` template sees; keys sorted as docker's JSON of them. */
export interface TaskRow {
  CurrentState: string;
  DesiredState: string;
  Error: string;
  ID: string;
  Image: string;
  Name: string;
  Node: string;
  Ports: string;
}

/** Names resolved from IDs (or the IDs themselves with --no-resolve). */
export interface TaskNames {
  service(id: string): string;
  node(id: string): string;
}

/** docker's formatter.Ellipsis: cut to a display width, ending in `…`. */
export function ellipsis(s: string, maxWidth: number): string {
  if (maxWidth <= 0) return '';
  const chars = [...s];
  if (maxWidth === 1) return chars[0] ?? '';
  if (displayWidth(s) <= maxWidth) return s;
  let width = 0;
  let out = '';
  for (const ch of chars) {
    const w = displayWidth(ch);
    if (width + w > maxWidth - 1) break;
    width += w;
    out += ch;
  }
  return `${out}…`;
}

/** `Running 2 hours ago`: the state, then go-units' HumanDuration lower-cased. */
export function currentState(task: Task, now: number): string {
  const elapsedNs = (now - Date.parse(task.Status.Timestamp)) * 1e6;
  return `${prettyPrint(task.Status.State)} ${humanDuration(elapsedNs).toLowerCase()} ago`;
}

export function taskError(task: Task, trunc: boolean): string {
  let err = task.Status.Err ?? '';
  if (trunc) err = ellipsis(err, MAX_ERR_LENGTH);
  return err === '' ? '' : `"${err}"`;
}

/** Host-mode published ports of the task, joined by "," as docker does. */
export function taskPorts(task: Task): string {
  const ports = task.Status.PortStatus?.Ports ?? [];
  return ports.map((p) => `*:${p.PublishedPort ?? 0}->${p.TargetPort}/${p.Protocol ?? ''}`).join(',');
}

/** `<service>.<slot>`, or `<service>.<nodeID>` for global services. */
export function taskName(task: Task, names: TaskNames): string {
  const service = names.service(task.ServiceID);
  return (task.Slot ?? 0) !== 0 ? `${service}.${task.Slot ?? 0}` : `${service}.${task.NodeID ?? ''}`;
}

interface NamedTask {
  task: Task;
  name: string;
}

/** Natural order by name, then newest first within a name; stable otherwise. */
export function sortTasks(tasks: readonly NamedTask[]): NamedTask[] {
  return [...tasks].sort((a, b) => {
    if (a.name !== b.name) return naturalLess(a.name, b.name) ? -1 : 1;
    const ta = Date.parse(a.task.CreatedAt);
    const tb = Date.parse(b.task.CreatedAt);
    return ta === tb ? 0 : ta > tb ? -1 : 1;
  });
}

export interface TaskListOptions {
  format: string;
  /** Truncate IDs, images and errors (no --no-trunc). */
  trunc: boolean;
  /** Epoch milliseconds the CURRENT STATE ages are measured against. */
  now: number;
}

/** Maps `--format`/`-q` to the template docker uses (task/formatter.go newTaskFormat). */
export function taskListFormat(format: string, quiet: boolean): string {
  if (format === 'table') return quiet ? '{{.ID}}' : DEFAULT_TASK_TABLE_FORMAT;
  if (format === 'raw') {
    return quiet
      ? 'id: {{.ID}}'
      : 'id: {{.ID}}\\nname: {{.Name}}\\nimage: {{.Image}}\\nnode: {{.Node}}\\ndesired_state: {{.DesiredState}}\\ncurrent_state: {{.CurrentState}}\\nerror: {{.Error}}\\nports: {{.Ports}}\\n';
  }
  return format;
}

/** task.Print: names, sorting, ` \_ ` for older tasks of a slot (tables only), then the rows. */
export function formatTaskList(tasks: readonly Task[], names: TaskNames, opts: TaskListOptions): string {
  const sorted = sortTasks(tasks.map((task) => ({ task, name: taskName(task, names) })));
  const indent = isTableFormat(opts.format) ? ' \\_ ' : '';
  let prev = '';
  const rows = sorted.map(({ task, name }): TaskRow => {
    const shown = name === prev ? indent + name : name;
    prev = name;
    const image = task.Spec.ContainerSpec?.Image ?? '';
    return {
      CurrentState: currentState(task, opts.now),
      DesiredState: prettyPrint(task.DesiredState),
      Error: taskError(task, opts.trunc),
      ID: opts.trunc ? truncateId(task.ID) : task.ID,
      Image: opts.trunc ? displayImage(image) : image,
      Name: shown,
      Node: names.node(task.NodeID ?? ''),
      Ports: taskPorts(task),
    };
  });
  return renderFormat(opts.format, rows, TASK_HEADER, { struct: '*task.taskContext' });
}
