import type { Task } from '@shoal/api';
import { describe, expect, it } from 'vitest';
import { buildTask } from '../test-support/swarm-builders';
import { currentState, ellipsis, formatTaskList, taskError, taskListFormat, type TaskNames } from './task-format';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString();
const HOUR = 3600_000;

const failedTwoHoursAgo = (id: string, serviceId: string): Task =>
  buildTask((t) => {
    t.ID = id;
    t.ServiceID = serviceId;
    t.NodeID = 'id-node';
    t.Spec.ContainerSpec = { Image: 'myimage:mytag' };
    t.DesiredState = 'ready';
    t.Status = { State: 'failed', Timestamp: ago(2 * HOUR), Message: '' };
  });

const names = (services: Record<string, string>, nodes: Record<string, string> = {}): TaskNames => ({
  service: (id) => services[id] ?? id,
  node: (id) => nodes[id] ?? id,
});
const table = { format: taskListFormat('table', false), trunc: true, now: NOW };

describe('task tables (docker/cli cli/command/task goldens)', () => {
  it('indents older tasks of a slot (task-print-with-indentation.golden)', () => {
    const tasks = [failedTwoHoursAgo('id-foo', 'service-id-foo'), failedTwoHoursAgo('id-bar', 'service-id-foo')];
    expect(formatTaskList(tasks, names({ 'service-id-foo': 'service-name-foo' }, { 'id-node': 'node-name-bar' }), table)).toBe(
      'ID        NAME                     IMAGE           NODE            DESIRED STATE   CURRENT STATE        ERROR     PORTS\n' +
        'id-foo    service-name-foo.1       myimage:mytag   node-name-bar   Ready           Failed 2 hours ago             \n' +
        'id-bar     \\_ service-name-foo.1   myimage:mytag   node-name-bar   Ready           Failed 2 hours ago             \n',
    );
  });

  it('sorts names naturally (task-print-sorted.golden)', () => {
    const tasks = [failedTwoHoursAgo('id-foo', 'service-id-ten'), failedTwoHoursAgo('id-bar', 'service-id-one')];
    expect(formatTaskList(tasks, names({ 'service-id-one': 'service-name-1', 'service-id-ten': 'service-name-10' }), table)).toBe(
      'ID        NAME                IMAGE           NODE      DESIRED STATE   CURRENT STATE        ERROR     PORTS\n' +
        'id-bar    service-name-1.1    myimage:mytag   id-node   Ready           Failed 2 hours ago             \n' +
        'id-foo    service-name-10.1   myimage:mytag   id-node   Ready           Failed 2 hours ago             \n',
    );
  });

  it('puts the newest task of a slot first and names global tasks by node', () => {
    const old = buildTask((t) => {
      t.ID = 'old';
      t.CreatedAt = ago(3 * HOUR);
      t.Status = { State: 'shutdown', Timestamp: ago(HOUR), Message: '' };
      t.DesiredState = 'shutdown';
    });
    const fresh = buildTask((t) => {
      t.ID = 'fresh';
      t.CreatedAt = ago(HOUR);
      t.Status = { State: 'running', Timestamp: ago(90_000), Message: '' };
    });
    const global = buildTask((t) => {
      t.ID = 'g';
      t.ServiceID = 'g-svc';
      t.Slot = 0;
      t.NodeID = 'n2';
    });
    const out = formatTaskList([old, fresh, global], names({ serviceID: 'web', 'g-svc': 'agent' }), {
      format: taskListFormat('{{.ID}} {{.Name}} {{.CurrentState}}', false),
      trunc: true,
      now: NOW,
    });
    expect(out).toBe('g agent.n2 Running 14 years ago\nfresh web.1 Running about a minute ago\nold web.1 Shutdown about an hour ago\n');
  });

  it('prints full IDs for -q in service ps and truncated ones otherwise', () => {
    const t = buildTask((x) => (x.ID = 'id-foo-yov6omdek8fg3k5stosyp2m50'));
    expect(formatTaskList([t], names({}), { format: taskListFormat('table', true), trunc: false, now: NOW })).toBe(
      'id-foo-yov6omdek8fg3k5stosyp2m50\n',
    );
    expect(formatTaskList([t], names({}), { format: taskListFormat('table', true), trunc: true, now: NOW })).toBe('id-foo-yov6o\n');
  });

  it('shows host-mode ports joined by commas', () => {
    const t = buildTask((x) => {
      x.Status.PortStatus = {
        Ports: [
          { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' },
          { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'host' },
        ],
      };
    });
    expect(formatTaskList([t], names({}), { format: '{{.Ports}}', trunc: true, now: NOW })).toBe('*:8080->80/tcp,*:53->53/udp\n');
  });
});

describe('task fields', () => {
  it('humanises the current state like go-units, lower-cased', () => {
    const at = (ms: number): Task => buildTask((t) => (t.Status = { State: 'running', Timestamp: ago(ms), Message: '' }));
    expect(currentState(at(200), NOW)).toBe('Running less than a second ago');
    expect(currentState(at(1000), NOW)).toBe('Running 1 second ago');
    expect(currentState(at(45_000), NOW)).toBe('Running 45 seconds ago');
    expect(currentState(at(60_000), NOW)).toBe('Running about a minute ago');
    expect(currentState(at(2 * 60_000), NOW)).toBe('Running 2 minutes ago');
    expect(currentState(at(HOUR), NOW)).toBe('Running about an hour ago');
    expect(currentState(at(5 * 24 * HOUR), NOW)).toBe('Running 5 days ago');
  });

  it('quotes errors and cuts them at 30 columns unless --no-trunc', () => {
    const t = buildTask((x) => (x.Status.Err = 'no suitable node (insufficient resources on 3 nodes)'));
    expect(taskError(t, true)).toBe('"no suitable node (insufficien…"');
    expect(taskError(t, false)).toBe('"no suitable node (insufficient resources on 3 nodes)"');
    expect(taskError(buildTask(), true)).toBe('');
    expect(ellipsis('No such image: redis@sha256:6abc', 30)).toBe('No such image: redis@sha256:6…');
    expect(ellipsis('short', 30)).toBe('short');
    expect(ellipsis('日本語のエラーメッセージです', 10)).toBe('日本語の…');
  });
});
