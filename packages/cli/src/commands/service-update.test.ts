import { describe, expect, it } from 'vitest';
import { FakeEngine, run } from '../test-support/fake-engine';
import { buildNetwork, buildService } from '../test-support/swarm-builders';

function engineWithWeb(): FakeEngine {
  const engine = new FakeEngine();
  engine.services = [
    buildService((s) => {
      s.ID = 'webid0000000000000000000';
      s.Version = { Index: 42 };
      s.Spec.Name = 'web';
      s.Spec.Labels = { keep: '1', drop: '2' };
      s.Spec.Mode = { Replicated: { Replicas: 1 } };
      s.Spec.TaskTemplate = {
        ContainerSpec: { Image: 'nginx:1.24', Env: ['A=1', 'B=2', 'C=3'], Labels: { x: 'y' } },
        Placement: { Constraints: ['node.role==worker'] },
        ForceUpdate: 1,
      };
      s.Spec.EndpointSpec = { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] };
    }),
    buildService((s) => ((s.ID = 'agentid000000000000000000'), (s.Spec.Name = 'agent'), (s.Spec.Mode = { Global: {} }))),
  ];
  engine.networks = [buildNetwork((n) => ((n.Name = 'backend'), (n.Id = 'backendnetid'), (n.Ingress = false)))];
  return engine;
}

describe('service update', () => {
  it('changes the current spec as docker does and prints the name given', async () => {
    const engine = engineWithWeb();
    const r = await run(
      engine,
      ...['service', 'update', '-d', '--image', 'nginx', '--env-add', 'B=20', '--env-add', 'D=4', '--env-rm', 'A'],
      ...['--label-add', 'new=yes', '--label-rm', 'drop', '--publish-add', '443:443', '--publish-rm', '80'],
      ...['--constraint-add', 'node.labels.zone==east', '--constraint-rm', 'node.role==worker', '--force', '--replicas', '3'],
      ...['--args', 'nginx -g "daemon off;"', '--update-order', 'start-first', '--network-add', 'backend', 'web'],
    );
    expect(r).toEqual({ code: 0, out: 'web\n', err: '' });
    expect(engine.calls).toEqual(['serviceInspect(web)', 'networkInspect(backend,swarm)', 'serviceUpdate(webid0000000000000000000,42)']);
    const { spec, options } = engine.serviceUpdates[0]!;
    expect(options).toEqual({ registryAuthFrom: 'spec' });
    expect(spec.Labels).toEqual({ keep: '1', new: 'yes' });
    expect(spec.TaskTemplate.ContainerSpec).toEqual({
      Image: 'nginx:latest',
      Env: ['B=20', 'C=3', 'D=4'],
      Labels: { x: 'y' },
      Args: ['nginx', '-g', 'daemon off;'],
    });
    expect(spec.TaskTemplate.Placement).toEqual({ Constraints: ['node.labels.zone==east'] });
    expect(spec.TaskTemplate.ForceUpdate).toBe(2);
    expect(spec.TaskTemplate.Networks).toEqual([{ Target: 'backendnetid' }]);
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(spec.UpdateConfig).toEqual({ Parallelism: 1, Delay: 0, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'start-first' });
    expect(spec.EndpointSpec?.Ports).toEqual([{ Protocol: 'tcp', TargetPort: 443, PublishedPort: 443, PublishMode: 'ingress' }]);
  });

  it('refuses --replicas on a global service and --rollback with other flags', async () => {
    const engine = engineWithWeb();
    expect(await run(engine, 'service', 'update', '-d', '--replicas', '2', 'agent')).toEqual({
      code: 1,
      out: '',
      err: 'replicas can only be used with replicated mode\n',
    });
    expect((await run(engine, 'service', 'update', '--rollback', '--force', 'web')).err).toBe('other flags may not be combined with --rollback\n');
    expect(engine.serviceUpdates).toEqual([]);
  });

  it('asks the daemon for a rollback with --rollback and with service rollback', async () => {
    const engine = engineWithWeb();
    await run(engine, 'service', 'update', '--rollback', '-d', 'web');
    await run(engine, 'service', 'rollback', '-d', 'web');
    expect(engine.serviceUpdates.map((u) => u.options)).toEqual([{ registryAuthFrom: 'spec', rollback: 'previous' }, { rollback: 'previous' }]);
  });
});

describe('service scale', () => {
  it('sets the replicas and prints docker’s line', async () => {
    const engine = engineWithWeb();
    const r = await run(engine, 'service', 'scale', '-d', 'web=5');
    expect(r).toEqual({ code: 0, out: 'web scaled to 5\n', err: '' });
    expect(engine.calls).toEqual(['serviceInspect(web)', 'serviceUpdate(webid0000000000000000000,42)']);
    expect(engine.serviceUpdates[0]?.spec.Mode).toEqual({ Replicated: { Replicas: 5 } });
    expect(engine.serviceUpdates[0]?.options).toEqual({});
  });

  it('rejects a bad specifier with docker’s usage text', async () => {
    const engine = engineWithWeb();
    const r = await run(engine, 'service', 'scale', 'web=2', 'x');
    expect(r).toEqual({
      code: 1,
      out: '',
      err:
        "invalid scale specifier 'x'.\nSee 'shoal service scale --help'.\n\n" +
        'Usage:  shoal service scale SERVICE=REPLICAS [SERVICE=REPLICAS...]\n\nScale one or multiple replicated services\n',
    });
    expect(engine.calls).toEqual([]);
  });

  it('goes on after a failing service and reports each failure with its name', async () => {
    const engine = engineWithWeb();
    const r = await run(engine, 'service', 'scale', '-d', 'web=x', 'agent=2', 'nope=1', 'web=2');
    expect(r.code).toBe(1);
    expect(r.out).toBe('web scaled to 2\n');
    expect(r.err).toBe(
      'web: invalid replicas value x: strconv.ParseUint: parsing "x": invalid syntax\n' +
        'agent: scale can only be used with replicated or replicated-job mode\n' +
        'nope: Error response from daemon: service nope not found\n',
    );
  });
});
