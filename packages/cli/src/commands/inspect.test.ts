import { describe, expect, it } from 'vitest';
import { buildInfo, buildNode } from '../test-support/builders';
import { FakeEngine, run } from '../test-support/fake-engine';
import { buildNetwork, buildService, buildTask } from '../test-support/swarm-builders';

const TYPES = '"config", "container", "image", "network", "node", "plugin", "secret", "service", "task", "volume"';

function engine(manager = true): FakeEngine {
  const e = new FakeEngine();
  e.infoData = buildInfo('nodeID', manager);
  e.services = [buildService()];
  e.tasks = [buildTask((t) => (t.ServiceID = e.services[0]?.ID ?? ''))];
  e.networks = [buildNetwork()];
  e.nodes = [buildNode()];
  return e;
}

describe('inspect', () => {
  it("asks each kind in docker's order, swarm kinds once the daemon says it is a manager", async () => {
    const e = engine();
    const service = e.services[0];
    const r = await run(e, 'inspect', '--format', '{{.ID}}', service?.Spec.Name ?? '');
    expect(r).toEqual({ code: 0, out: `${service?.ID}\n`, err: '' });
    expect(e.calls).toEqual([
      `otherObjectInspect(container,${service?.Spec.Name})`,
      `otherObjectInspect(image,${service?.Spec.Name})`,
      `networkInspect(${service?.Spec.Name})`,
      `otherObjectInspect(volume,${service?.Spec.Name})`,
      'info',
      // docker inspect fills in the service's defaults, as `service inspect` does.
      `serviceInspect(${service?.Spec.Name},defaults)`,
    ]);
  });

  it('inspects a task by ID, its template on the Go struct: omitted and null fields are zero values', async () => {
    const e = engine();
    e.tasks = [
      buildTask((t) => {
        t.ID = 'globaltask';
        delete (t as { Slot?: number }).Slot;
        (t as { Volumes?: null }).Volumes = null;
      }),
    ];
    const r = await run(e, 'inspect', '-f', '{{.Status.State}}/{{.Slot}}/{{.Volumes}}/{{json .Volumes}}/{{.JobIteration}}/{{.NetworksAttachments}}', 'globaltask');
    expect(r).toEqual({ code: 0, out: 'running/0/[]/null/<nil>/[]\n', err: '' });
    const json = await run(e, 'inspect', 'globaltask');
    expect(JSON.parse(json.out)).toEqual([e.tasks[0]]);
    expect(json.out.startsWith('[\n    {\n        "ID": "globaltask",')).toBe(true);
  });

  it('reports an object no kind has, after printing the others; every kind was asked', async () => {
    const e = engine();
    const r = await run(e, 'inspect', '-f', '{{.Name}}', 'ghost', 'ingress');
    expect(r).toEqual({ code: 1, out: 'ingress\n', err: 'Error: No such object: ghost\n' });
    expect(e.calls.filter((c) => c.includes('ghost'))).toEqual([
      'otherObjectInspect(container,ghost)',
      'otherObjectInspect(image,ghost)',
      'networkInspect(ghost)',
      'otherObjectInspect(volume,ghost)',
      'serviceInspect(ghost,defaults)',
      'taskInspect(ghost)',
      'nodeInspect(ghost)',
      'otherObjectInspect(plugin,ghost)',
      'otherObjectInspect(secret,ghost)',
      'otherObjectInspect(config,ghost)',
    ]);
    // docker asks whether the daemon is a manager once per reference that gets past the
    // network kind (ingress does not).
    expect(e.calls.filter((c) => c === 'info')).toHaveLength(1);
    const two = engine();
    await run(two, 'inspect', 'ghost', 'ghost2');
    expect(two.calls.filter((c) => c === 'info')).toHaveLength(2);
    // Nothing found: docker prints an empty list.
    expect((await run(engine(), 'inspect', 'ghost')).out).toBe('[]\n');
  });

  it('skips the swarm kinds on a worker', async () => {
    const e = engine(false);
    const r = await run(e, 'inspect', e.services[0]?.ID ?? '');
    expect(r).toEqual({ code: 1, out: '[]\n', err: `Error: No such object: ${e.services[0]?.ID}\n` });
    expect(e.calls.some((c) => c.startsWith('serviceInspect') || c.startsWith('taskInspect') || c.startsWith('nodeInspect'))).toBe(false);
    expect(e.calls.some((c) => c.includes('secret') || c.includes('config'))).toBe(false);
  });

  it('--type asks that kind only and reports its error as is', async () => {
    const e = engine();
    expect(await run(e, 'inspect', '--type', 'task', 'ghost')).toEqual({ code: 1, out: '[]\n', err: 'Error response from daemon: task ghost not found\n' });
    expect(e.calls).toEqual(['taskInspect(ghost)']);
    const c = await run(engine(), 'inspect', '--type', 'container', 'x');
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/^Error response from daemon: \/containers is not supported by Shoal: /);
    expect((await run(engine(), 'inspect', '--type', 'network', '-f', '{{.Name}}', 'ingress')).out).toBe('ingress\n');
  });

  it("refuses an empty or unknown --type with docker's text, asking nothing", async () => {
    const e = engine();
    expect(await run(e, 'inspect', '--type=', 'x')).toEqual({ code: 1, out: '', err: `type is empty: must be one of ${TYPES}\n` });
    expect(await run(e, 'inspect', '--type', 'bogus', 'x')).toEqual({ code: 1, out: '', err: `unknown type: "bogus": must be one of ${TYPES}\n` });
    expect(e.calls).toEqual([]);
    const none = await run(e, 'inspect');
    expect(none.code).toBe(1);
    expect(none.err).toBe("shoal: 'shoal inspect' requires at least 1 argument\n\nUsage:  shoal inspect [OPTIONS] NAME|ID [NAME|ID...]\n\nSee 'shoal inspect --help' for more information\n");
  });

  it('an empty reference stops the lookup with the client-side error', async () => {
    expect(await run(engine(), 'inspect', ' ')).toEqual({ code: 1, out: '[]\n', err: 'invalid container name or ID: value is empty\n' });
  });

  it('warns that --size only applies to containers', async () => {
    const r = await run(engine(), 'inspect', '-s', '-f', '{{.Name}}', 'ingress');
    expect(r).toEqual({ code: 0, out: 'ingress\n', err: 'WARNING: --size ignored for network\n' });
  });

  it("falls back to the raw JSON when the Go struct cannot run the template (docker's tryRawInspectFallback)", async () => {
    const e = engine();
    const net = e.networks[0];
    // network.Inspect's Go field is ID; the JSON's key "Id" works through the fallback, but not
    // both in one template (the struct has no Id, the JSON no ID).
    expect((await run(e, 'inspect', '-f', '{{.ID}}', 'ingress')).out).toBe(`${net?.Id}\n`);
    expect((await run(e, 'inspect', '-f', '{{.Id}}', 'ingress')).out).toBe(`${net?.Id}\n`);
    expect((await run(e, 'inspect', '-f', '{{.ID}} {{.Id}}', 'ingress')).err).toBe(
      'template parsing error: template: :1:2: executing "" at <.ID>: map has no entry for key "ID"\n',
    );
    // A key neither has: the raw JSON's error, with missingkey=error.
    expect(await run(e, 'inspect', '-f', '{{.Nope}}', e.services[0]?.ID ?? '')).toEqual({
      code: 1,
      out: '\n',
      err: 'template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"\n',
    });
    // `service inspect` keeps no raw JSON: the struct's error stands.
    expect((await run(e, 'service', 'inspect', '-f', '{{.Nope}}', e.services[0]?.ID ?? '')).err).toBe(
      'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type swarm.Service\n',
    );
  });
});
