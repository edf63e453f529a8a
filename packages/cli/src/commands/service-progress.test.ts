import type { Service, Task, TaskState } from '@shoal/api';
import { describe, expect, it } from 'vitest';
import { ProgressDisplay, type ProgressMessage } from '../format/progress-stream';
import { buildNode } from '../test-support/builders';
import { FakeEngine, runWithIo } from '../test-support/fake-engine';
import { FakeClock, buildService, buildTask } from '../test-support/swarm-builders';
import { ConvergenceTracker } from './service-progress';
import { waitOnService } from './service-wait';

const SVC = 'svc-new-id-0000000000000';

function task(slot: number, state: TaskState, patch: (t: Task) => void = () => undefined): Task {
  return buildTask((t) => {
    t.ID = `task${slot}`;
    t.ServiceID = SVC;
    t.Slot = slot;
    t.NodeID = 'node1';
    t.Status = { State: state, Timestamp: '2009-11-10T23:00:00Z', Message: state };
    patch(t);
  });
}

/** A 2-replica service whose tasks go preparing → running between the first two polls. */
function converging(): FakeEngine {
  const engine = new FakeEngine();
  engine.createdId = SVC;
  engine.nodes = [buildNode((n) => (n.ID = 'node1'))];
  engine.services = [buildService((s) => ((s.ID = SVC), (s.Spec.Name = 'web'), (s.Spec.Mode = { Replicated: { Replicas: 2 } })))];
  let polls = 0;
  engine.onServiceInspect = (e) => {
    polls++;
    e.tasks = polls === 1 ? [task(1, 'preparing'), task(2, 'assigned')] : [task(1, 'running'), task(2, 'running')];
  };
  return engine;
}

const waiting = (n: number): string => `verify: Waiting ${n} seconds to verify that tasks are stable...\n`.repeat(5);

describe('convergence progress', () => {
  it('prints what docker prints to a pipe for a replicated job (3 completions, 2 at a time) and ends at "job complete"', async () => {
    const engine = new FakeEngine();
    engine.createdId = SVC;
    engine.nodes = [buildNode((n) => (n.ID = 'node1'))];
    engine.services = [
      buildService((s) => {
        s.ID = SVC;
        s.Spec.Name = 'batch';
        s.Spec.Mode = { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 3 } };
        s.JobStatus = { JobIteration: { Index: 4 }, LastExecution: '2009-11-10T23:00:00Z' };
      }),
    ];
    const job = (slot: number, state: TaskState, iteration = 4): Task => task(slot, state, (t) => ((t.JobIteration = { Index: iteration }), (t.DesiredState = 'complete')));
    const polls = [
      [job(0, 'running'), job(1, 'starting'), job(0, 'complete', 3)],
      [job(0, 'complete'), job(1, 'running'), job(2, 'assigned')],
      [job(0, 'complete'), job(1, 'complete'), job(2, 'complete')],
    ];
    let poll = 0;
    engine.onServiceInspect = (e) => {
      e.tasks = polls[Math.min(poll++, polls.length - 1)] as Task[];
    };
    const r = await runWithIo(engine, { clock: new FakeClock() }, 'service', 'create', '--mode', 'replicated-job', '--replicas', '3', '--max-concurrent', '2', '--name', 'batch', 'busybox', 'true');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(engine.created[0]?.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 3 } });
    // Only the lines without a bar reach a pipe: the active tasks against what may still run at once.
    expect(r.out).toBe(
      `${SVC}\n` +
        'active tasks: 0 out of 2 tasks\n' +
        '1/3:  \n2/3:  \n3/3:  \n' +
        'active tasks: 2 out of 2 tasks\n' +
        'active tasks: 2 out of 2 tasks\n' +
        'active tasks: 0 out of 0 tasks\n' +
        'job complete\n',
    );
  });

  it('prints what docker prints to a pipe for a 2-replica create that converges', async () => {
    const engine = converging();
    const clock = new FakeClock();
    const r = await runWithIo(engine, { clock }, 'service', 'create', '--replicas', '2', '--name', 'web', 'nginx');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // Lines with a progress bar (the task states) are dropped off a terminal; everything else repeats per poll.
    expect(r.out).toBe(
      `${SVC}\n` +
        'overall progress: 0 out of 2 tasks\n' +
        '1/2:  \n' +
        '2/2:  \n' +
        'overall progress: 0 out of 2 tasks\n' +
        'overall progress: 2 out of 2 tasks\n' +
        waiting(5) +
        waiting(4) +
        waiting(3) +
        waiting(2) +
        waiting(1) +
        `verify: Service ${SVC} converged\n`,
    );
    expect(clock.time - Date.parse('2009-11-10T23:00:00Z')).toBe(5200);
    expect(engine.calls.slice(0, 5)).toEqual([
      'serviceCreate',
      `serviceInspect(${SVC})`,
      `taskList({"_up-to-date":{"true":true},"service":{"${SVC}":true}})`,
      'nodeList({})',
      `serviceInspect(${SVC})`,
    ]);
  });

  it('prints nothing but the ID with -q, and does not wait with -d', async () => {
    const quiet = await runWithIo(converging(), { clock: new FakeClock() }, 'service', 'create', '-q', 'nginx');
    expect(quiet.out).toBe(`${SVC}\n`);
    const engine = converging();
    const detached = await runWithIo(engine, { clock: new FakeClock() }, 'service', 'create', '-d', 'nginx');
    expect(detached.out).toBe(`${SVC}\n`);
    expect(engine.calls).toEqual(['serviceCreate']);
  });

  it('redraws lines in place on a wide terminal, with bars', async () => {
    const engine = converging();
    engine.services[0]!.Spec.UpdateConfig = { Monitor: 1e6 };
    const r = await runWithIo(engine, { clock: new FakeClock(), terminal: { columns: () => 120 } }, 'service', 'create', 'nginx');
    const ESC = '\x1b[';
    expect(r.out).toContain(`\n${ESC}1A${ESC}2K\roverall progress: 0 out of 2 tasks \r${ESC}1B`);
    expect(r.out).toContain(`${ESC}2K\r1/2: preparing [${'='.repeat(33)}>${' '.repeat(17)}] \r`);
    expect(r.out).toContain(`${ESC}2K\r1/2: running   [${'='.repeat(50)}>] \r`);
    expect(r.out.endsWith(`${ESC}2K\rverify: Service ${SVC} converged \r${ESC}1B`)).toBe(true);
  });

  it('ends with docker’s error when the update pauses, showing task errors on their slot', async () => {
    const engine = converging();
    let polls = 0;
    engine.onServiceInspect = (e) => {
      polls++;
      e.tasks = [task(1, 'running'), task(2, 'rejected', (t) => (t.Status.Err = 'No such image: nginx:nope'))];
      // Poll 1 is update's own read of the service; the progress polls follow.
      if (polls === 3) e.services[0]!.UpdateStatus = { State: 'paused', Message: 'update paused due to failure or early termination of task task2' };
    };
    const u = await runWithIo(engine, { clock: new FakeClock() }, 'service', 'update', 'web');
    expect(u.code).toBe(1);
    expect(u.out).toBe(
      'web\noverall progress: 0 out of 2 tasks\n1/2:  \n2/2:  \n2/2: No such image: nginx:nope\noverall progress: 1 out of 2 tasks\n',
    );
    expect(u.err).toBe('service update paused: update paused due to failure or early termination of task task2\n');
  });

  it('leaves the service converging on Ctrl-C', async () => {
    const engine = converging();
    let out = '';
    const interrupt = AbortSignal.abort();
    await waitOnService(engine, { out: (s) => (out += s), err: () => undefined, env: {}, clock: new FakeClock() }, 'web', { quiet: false, interrupt });
    expect(out).toBe(
      'overall progress: 0 out of 2 tasks\n1/2:  \n2/2:  \noverall progress: 0 out of 2 tasks\n' +
        'Operation continuing in background.\nUse `shoal service ps web` to check progress.\n',
    );
  });
});

describe('convergence tracker', () => {
  const service = (patch: (s: Service) => void): Service => buildService((s) => ((s.ID = SVC), patch(s)));

  it('shows one line per node for global services, ignoring tasks on down nodes', () => {
    const msgs: ProgressMessage[] = [];
    const tracker = new ConvergenceTracker('agent', (m) => msgs.push(m));
    const s = service((x) => (x.Spec.Mode = { Global: {} }));
    expect(tracker.observeService(s, 0)).toBeUndefined();
    const tasks = [
      task(0, 'running', (t) => (t.NodeID = 'abcdefabcdefabcdef1')),
      task(0, 'starting', (t) => (t.NodeID = 'abcdefabcdefabcdef2')),
      task(0, 'running', (t) => (t.NodeID = 'downnode')),
    ];
    tracker.observeTasks(s, tasks, new Set(['abcdefabcdefabcdef1', 'abcdefabcdefabcdef2']), 0);
    let text = '';
    const display = new ProgressDisplay({ write: (t) => (text += t), isTerminal: false, columns: () => 200 });
    for (const m of msgs) display.show(m);
    expect(text).toBe('overall progress: 0 out of 3 tasks\noverall progress: 1 out of 3 tasks\n');
    expect(msgs.filter((m) => m.progress?.current !== 0).map((m) => `${m.id}: ${m.status}`)).toEqual([
      'abcdefabcdef: running  ',
      'abcdefabcdef: starting ',
    ]);
  });

  it('waits for new tasks of a global service, and for no bars above 20 replicas', () => {
    const msgs: ProgressMessage[] = [];
    const tracker = new ConvergenceTracker('agent', (m) => msgs.push(m));
    const s = service((x) => (x.Spec.Mode = { Global: {} }));
    tracker.observeService(s, 0);
    tracker.observeTasks(s, [], new Set(), 0);
    expect(msgs).toEqual([{ id: 'overall progress', status: 'waiting for new tasks', progress: { current: 0, total: 0 } }]);

    const many: ProgressMessage[] = [];
    const big = new ConvergenceTracker('big', (m) => many.push(m));
    const s21 = service((x) => (x.Spec.Mode = { Replicated: { Replicas: 21 } }));
    big.observeService(s21, 0);
    big.observeTasks(s21, [task(1, 'running')], new Set(['node1']), 0);
    expect(many.map((m) => m.status)).toEqual(['0 out of 21 tasks', '1 out of 21 tasks']);
  });

  it('reports a task failure during the verify wait and honours UpdateConfig.Monitor', () => {
    const msgs: ProgressMessage[] = [];
    const tracker = new ConvergenceTracker('web', (m) => msgs.push(m));
    const s = service((x) => ((x.Spec.Mode = { Replicated: { Replicas: 1 } }), (x.Spec.UpdateConfig = { Monitor: 2e9 })));
    tracker.observeService(s, 0);
    tracker.observeTasks(s, [task(1, 'running')], new Set(['node1']), 0);
    tracker.observeService(s, 200);
    tracker.observeTasks(s, [task(1, 'failed', (t) => (t.DesiredState = 'shutdown'))], new Set(['node1']), 200);
    const statuses = msgs.filter((m) => m.id === 'verify').map((m) => m.status);
    expect(statuses).toEqual(['Waiting 2 seconds to verify that tasks are stable...', 'Detected task failure']);
  });
});
