import { encodeStdFrame } from '@shoal/api';
import { describe, expect, it } from 'vitest';
import { formatLogLine, logPrefix, parseLogLine } from '../format/log-format';
import { buildNode } from '../test-support/builders';
import { FakeEngine, run } from '../test-support/fake-engine';
import { buildService, buildTask } from '../test-support/swarm-builders';
import { sinceTimestamp } from './service-logs';

const details = (node: string, service: string, task: string): string =>
  `com.docker.swarm.node.id=${node},com.docker.swarm.service.id=${service},com.docker.swarm.task.id=${task}`;

function logsEngine(): FakeEngine {
  const engine = new FakeEngine();
  engine.services = [buildService((s) => ((s.ID = 'websvcid'), (s.Spec.Name = 'web'), (s.Spec.Mode = { Replicated: { Replicas: 10 } })))];
  engine.nodes = [buildNode((n) => ((n.ID = 'node1id'), (n.Spec.Name = ''), (n.Description.Hostname = 'manager1')))];
  engine.tasks = [
    buildTask((t) => ((t.ID = 'task1id0000000000000000aa'), (t.ServiceID = 'websvcid'), (t.Slot = 1))),
    buildTask((t) => ((t.ID = 'task10id000000000000000bb'), (t.ServiceID = 'websvcid'), (t.Slot = 10))),
  ];
  const frames = [
    encodeStdFrame('stdout', `${details('node1id', 'websvcid', 'task1id0000000000000000aa')} hello from 1\n`),
    encodeStdFrame('stderr', `${details('node1id', 'websvcid', 'task10id000000000000000bb')} oops from 10\n`),
    encodeStdFrame('stdout', `${details('node1id', 'websvcid', 'task1id0000000000000000aa')} again\n`),
  ];
  // Split mid-header and mid-payload: the demuxer must not care about chunk boundaries.
  const all = Buffer.concat(frames);
  engine.logBodies.set('web', [all.subarray(0, 5), all.subarray(5, 90), all.subarray(90)]);
  return engine;
}

describe('service logs', () => {
  it('prefixes each line with service.slot.task@node, padded, stderr to stderr', async () => {
    const engine = logsEngine();
    const r = await run(engine, 'service', 'logs', 'web');
    expect(r.code).toBe(0);
    expect(r.out).toBe('web.1.task1id00000@manager1     | hello from 1\nweb.1.task1id00000@manager1     | again\n');
    expect(r.err).toBe('web.10.task10id0000@manager1    | oops from 10\n');
    expect(engine.logRequests[0]?.options).toEqual({
      stdout: true,
      stderr: true,
      since: '',
      timestamps: false,
      follow: false,
      tail: 'all',
      details: true,
    });
    // Names are looked up once per task, then cached.
    expect(engine.calls.filter((c) => c.startsWith('taskInspect'))).toEqual(['taskInspect(task1id0000000000000000aa)', 'taskInspect(task10id000000000000000bb)']);
  });

  it('honours --no-task-ids, --no-trunc, --raw, -f, --tail', async () => {
    const noIds = await run(logsEngine(), 'service', 'logs', '--no-task-ids', 'web');
    expect(noIds.out.split('\n')[0]).toBe('web.1@manager1     | hello from 1');
    const noTrunc = await run(logsEngine(), 'service', 'logs', '--no-trunc', 'web');
    expect(noTrunc.out.split('\n')[0]).toBe('web.1.task1id0000000000000000aa@manager1     | hello from 1');
    const engine = logsEngine();
    const raw = await run(engine, 'service', 'logs', '--raw', '-f', '-n', '5', 'web');
    expect(raw.out.split('\n')[0]).toBe(`${details('node1id', 'websvcid', 'task1id0000000000000000aa')} hello from 1`);
    expect(engine.logRequests[0]?.options).toMatchObject({ follow: true, tail: '5', details: false });
  });

  it('falls back to a task, and says when neither exists', async () => {
    const engine = logsEngine();
    engine.logBodies.set('task1id0000000000000000aa', [
      encodeStdFrame('stdout', `${details('node1id', 'websvcid', 'task1id0000000000000000aa')} only me\n`),
    ]);
    const r = await run(engine, 'service', 'logs', 'task1id0000000000000000aa');
    expect(r.out).toBe('web.1.task1id00000@manager1    | only me\n');
    expect(engine.calls).toContain('taskLogs(task1id0000000000000000aa)');
    expect(await run(logsEngine(), 'service', 'logs', 'ghost')).toEqual({ code: 1, out: '', err: 'no such task or service: ghost\n' });
  });

  it('refuses tty services unless --raw', async () => {
    const engine = logsEngine();
    engine.services[0]!.Spec.TaskTemplate.ContainerSpec = { Image: 'x', TTY: true };
    expect((await run(engine, 'service', 'logs', 'web')).err).toBe('tty service logs only supported with --raw\n');
  });
});

describe('log lines', () => {
  it('parses details and timestamps, and prints extra details with --details', () => {
    const line = `2024-05-01T12:00:00.000000001Z ${details('n', 's', 't')},com.example.x=a%20b hi there\n`;
    const parsed = parseLogLine(line, true);
    expect(parsed).toEqual({
      timestamp: '2024-05-01T12:00:00.000000001Z',
      context: { nodeId: 'n', serviceId: 's', taskId: 't' },
      details: new Map([['com.example.x', 'a b']]),
      message: 'hi there\n',
    });
    expect(formatLogLine(parsed, 'web.1.t@n', true)).toBe('2024-05-01T12:00:00.000000001Z web.1.t@n    | com.example.x=a b hi there\n');
  });

  it("rejects lines without docker's context", () => {
    expect(() => parseLogLine('nospace', false)).toThrow('invalid context in log message: nospace');
    expect(() => parseLogLine('a=b hello', false)).toThrow('missing node id in details: map[a:b]');
    expect(() => parseLogLine('garbage hello', false)).toThrow('invalid details format');
  });

  it('pads the prefix to the widest slot', () => {
    const base = { serviceName: 'web', nodeName: 'n1', taskId: 'abcdefghijklmnopq', padding: 2, noTaskIds: false, noTrunc: false };
    expect(logPrefix({ ...base, slot: 1 })).toBe('web.1.abcdefghijkl@n1 ');
    expect(logPrefix({ ...base, slot: 10 })).toBe('web.10.abcdefghijkl@n1');
  });

  it('turns --since into the API timestamp', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(sinceTimestamp('', now)).toBe('');
    expect(sinceTimestamp('42m', now)).toBe(`${now / 1000 - 42 * 60}.000000000`);
    expect(sinceTimestamp('2013-01-02T13:23:37Z', now)).toBe('1357133017.000000000');
    expect(sinceTimestamp('1357133017.5', now)).toBe('1357133017.5');
  });
});
