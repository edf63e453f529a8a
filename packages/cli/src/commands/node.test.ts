import { EngineApiError } from '@shoal/api';
import { describe, expect, it } from 'vitest';
import { asManager, buildInfo, buildNode } from '../test-support/builders';
import { FakeEngine, run } from '../test-support/fake-engine';

function cluster(): FakeEngine {
  const engine = new FakeEngine();
  engine.nodes = [
    buildNode((n) => {
      n.ID = 'm1';
      n.Description.Hostname = 'manager1';
      asManager(true)(n);
    }),
    buildNode((n) => {
      n.ID = 'w1';
      n.Description.Hostname = 'worker1';
      n.Spec.Labels = { zone: 'east' };
    }),
  ];
  engine.infoData = buildInfo('m1');
  return engine;
}

describe('node ls', () => {
  it('prints the table with the current node starred', async () => {
    const r = await run(cluster(), 'node', 'ls');
    expect(r.out).toBe(
      // The ID column is at least minwidth (10) wide.
      'ID        HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n' +
        'm1 *      manager1   Ready     Active         Leader           1.13.0\n' +
        'w1        worker1    Ready     Active                          1.13.0\n',
    );
  });

  it('sends filters to the server and skips /info with -q', async () => {
    const engine = cluster();
    const r = await run(engine, 'node', 'ls', '-q', '-f', 'role=manager', '--filter', ' Name = worker1 ', '-f', 'role=worker');
    expect(r.out).toBe('m1\nw1\n');
    expect(engine.calls).toEqual(['nodeList({"role":["manager","worker"],"name":["worker1"]})']);
  });

  it('supports --format', async () => {
    expect((await run(cluster(), 'node', 'ls', '--format', '{{.Hostname}}: {{.ManagerStatus}}')).out).toBe('manager1: Leader\nworker1: \n');
  });

  it('rejects a malformed filter as docker does', async () => {
    const engine = cluster();
    const r = await run(engine, 'node', 'ls', '-f', 'role');
    expect(r.code).toBe(125);
    expect(r.err.split('\n')[0]).toBe('invalid argument "role" for "-f, --filter" flag: bad format of filter (expected name=value)');
    expect(engine.calls).toEqual([]);
  });

  it('shows daemon errors', async () => {
    const engine = cluster();
    engine.failWith = new EngineApiError(503, 'This node is not a swarm manager.');
    expect(await run(engine, 'node', 'ls')).toEqual({ code: 1, out: '', err: 'Error response from daemon: This node is not a swarm manager.\n' });
  });
});

describe('node inspect', () => {
  it('prints a 4-space indented JSON array and resolves self', async () => {
    const engine = cluster();
    const r = await run(engine, 'node', 'inspect', 'self');
    expect(r.out.startsWith('[\n    {\n        "ID": "m1",\n        "Version": {\n            "Index": 1\n        },')).toBe(true);
    expect(r.out.endsWith('\n    }\n]\n')).toBe(true);
    expect(engine.calls).toEqual(['info', 'nodeInspect(m1)']);
  });

  it('prints what it found and then the errors, exit 1', async () => {
    const r = await run(cluster(), 'node', 'inspect', '--format', '{{.ID}} {{.Spec.Role}}', 'w1', 'nope', 'manager1');
    expect(r).toEqual({ code: 1, out: 'w1 worker\nm1 manager\n', err: 'Error response from daemon: node nope not found\n' });
  });

  it('prints the pretty format, or nothing when a node is missing', async () => {
    const ok = await run(cluster(), 'node', 'inspect', '--pretty', 'w1');
    expect(ok.out).toContain('ID:\t\t\tw1\nName:\t\t\tdefaultNodeName\nLabels:\n - zone=east\nHostname:              \tworker1\n');
    const bad = await run(cluster(), 'node', 'inspect', '--pretty', 'w1', 'nope');
    expect(bad).toEqual({ code: 1, out: '', err: 'Error response from daemon: node nope not found\n' });
  });

  it('reports template errors with exit 1 (docker parses them in its formatter) and no daemon call', async () => {
    const engine = cluster();
    const r = await run(engine, 'node', 'inspect', '--format', '{{.ID', 'w1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^template parsing error: /);
    expect(engine.calls).toEqual([]);
  });

  it('requires a node', async () => {
    const engine = cluster();
    const r = await run(engine, 'node', 'inspect');
    expect(r.err).toBe(
      "shoal: 'shoal node inspect' requires at least 1 argument\n\nUsage:  shoal node inspect [OPTIONS] self|NODE [NODE...]\n\n" +
        "See 'shoal node inspect --help' for more information\n",
    );
    expect(engine.calls).toEqual([]);
  });
});

describe('node update, promote, demote, rm', () => {
  it('promotes with the version just read', async () => {
    const engine = cluster();
    const r = await run(engine, 'node', 'promote', 'worker1', 'm1');
    expect(r.out).toBe('Node worker1 promoted to a manager in the swarm.\nNode m1 is already a manager.\n');
    expect(engine.updates).toEqual([{ id: 'w1', version: 1, spec: { ...engine.nodes[1]?.Spec, Role: 'manager' } }]);
  });

  it('demotes', async () => {
    const engine = cluster();
    expect((await run(engine, 'node', 'demote', 'm1', 'w1')).out).toBe('Manager m1 demoted in the swarm.\nNode w1 is already a worker.\n');
    expect(engine.updates.map((u) => u.spec.Role)).toEqual(['worker']);
  });

  it('updates availability and labels, printing the argument', async () => {
    const engine = cluster();
    const r = await run(engine, 'node', 'update', '--availability', 'drain', '--label-add', 'disk=ssd', '--label-add', 'gpu', '--label-rm', 'zone', 'w1');
    expect(r.out).toBe('w1\n');
    expect(engine.updates[0]?.spec).toEqual({ Name: 'defaultNodeName', Labels: { disk: 'ssd', gpu: '' }, Role: 'worker', Availability: 'drain' });
  });

  it('fails on removing a label the node does not have', async () => {
    const r = await run(cluster(), 'node', 'update', '--label-rm', 'nope', 'w1');
    expect(r).toEqual({ code: 1, out: '', err: "key nope doesn't exist in node's labels\n" });
  });

  it('sends availability and role lower-cased as given: the daemon judges them, as with docker', async () => {
    const engine = cluster();
    expect((await run(engine, 'node', 'update', '--availability', 'DRAIN', '--role', 'Boss', 'w1')).code).toBe(0);
    expect(engine.updates.at(-1)?.spec).toMatchObject({ Availability: 'drain', Role: 'boss' });
  });

  it('checks argument counts', async () => {
    const engine = cluster();
    const promote = await run(engine, 'node', 'promote');
    expect(promote.err).toBe(
      "shoal: 'shoal node promote' requires at least 1 argument\n\nUsage:  shoal node promote NODE [NODE...]\n\nSee 'shoal node promote --help' for more information\n",
    );
    const update = await run(engine, 'node', 'update', 'a', 'b');
    expect(update.err.split('\n')[0]).toBe("shoal: 'shoal node update' requires 1 argument");
    expect([promote.code, update.code]).toEqual([1, 1]);
    expect(engine.calls).toEqual([]);
  });

  it('removes each node, reporting failures together', async () => {
    const engine = cluster();
    const r = await run(engine, 'node', 'rm', '-f', 'w1', 'x', 'm1', 'y');
    expect(r).toEqual({
      code: 1,
      out: 'w1\nm1\n',
      err: 'Error response from daemon: node x not found\nError response from daemon: node y not found\n',
    });
    expect(engine.calls).toEqual(['nodeRemove(w1,true)', 'nodeRemove(x,true)', 'nodeRemove(m1,true)', 'nodeRemove(y,true)']);
  });
});
