// Templates over docker's Go types: each expectation is what docker 28.2.2 printed for the same
// object on a live Shoal swarm (addresses of pointers aside: Go prints where they live).
import { describe, expect, it } from 'vitest';
import type { Task } from '@shoal/api';
import { buildNetwork, buildService, buildTask } from '../test-support/swarm-builders';
import { buildInfo, buildNode } from '../test-support/builders';
import { FakeEngine, run } from '../test-support/fake-engine';
import { GO_TYPES } from './go-types.generated';

function taskEngine(): FakeEngine {
  const e = new FakeEngine();
  e.infoData = buildInfo('nodeID', true);
  e.tasks = [
    buildTask((t) => {
      t.ID = 'task1';
      t.Version = { Index: 12 };
      t.CreatedAt = '2026-11-28T16:56:49.828Z';
      t.UpdatedAt = '2026-11-28T16:56:50.002Z';
      (t as Task & { Labels: Record<string, string> }).Labels = {};
      t.Spec = {
        ContainerSpec: { Image: 'shoal/whoami:latest', Init: false, Isolation: 'default' },
        Resources: { Limits: {}, Reservations: {} },
        RestartPolicy: { Condition: 'any', Delay: 5_000_000_000, MaxAttempts: 0 },
        Placement: {},
        ForceUpdate: 0,
        Runtime: 'container',
      } as Task['Spec'];
      t.Status = {
        Timestamp: '2026-11-28T16:56:49.969Z',
        State: 'running',
        Message: 'started',
        ContainerStatus: { ContainerID: 'task1', PID: 29056, ExitCode: 0 },
        PortStatus: {},
      } as Task['Status'];
      (t as Task & { Volumes: null }).Volumes = null;
    }),
  ];
  return e;
}

const tmpl = async (e: FakeEngine, format: string, ...refs: string[]) => run(e, 'inspect', '-f', format, ...(refs.length ? refs : ['task1']));

describe("templates on docker's Go types", () => {
  it('prints structs as Go does: fields in order, zero values for what the JSON leaves out', async () => {
    const e = taskEngine();
    expect((await tmpl(e, '{{.Spec.Placement}}|{{json .Spec.Placement}}')).out).toBe('{[] [] 0 []}|{}\n');
    // Delay is a *time.Duration (a Stringer), MaxAttempts a *uint64 (an address), Window nil.
    expect((await tmpl(e, '{{.Spec.RestartPolicy}}')).out).toBe('{any 5s 0xc000010000 <nil>}\n');
    expect((await tmpl(e, '{{.Status}}')).out).toBe('{2026-11-28 16:56:49.969 +0000 UTC running started  0xc000010000 {[]}}\n');
    // An embedded struct is a field named after its type.
    expect((await tmpl(e, '{{.Status.Err}}|{{.Slot}}|{{.Meta}}')).out).toBe('|1|{12 2026-11-28 16:56:49.828 +0000 UTC 2026-11-28 16:56:50.002 +0000 UTC}\n');
  });

  it("marshals json in the struct's field order, keeping a pointer to false", async () => {
    const e = taskEngine();
    const spec = e.tasks[0]?.Spec.ContainerSpec as Record<string, unknown>;
    // The daemon's order differs; docker re-marshals its Go value.
    e.tasks[0]!.Spec.ContainerSpec = { Isolation: spec['Isolation'], Init: false, Image: spec['Image'] } as typeof spec as never;
    expect((await tmpl(e, '{{json .Spec.ContainerSpec}}')).out).toBe('{"Image":"shoal/whoami:latest","Init":false,"Isolation":"default"}\n');
  });

  it('reports a field the type lacks at any depth, and a walk into a nil pointer, as Go does', async () => {
    const e = taskEngine();
    // `service inspect` has no raw fallback: the struct's error, naming *T when reached through a pointer.
    const n = new FakeEngine();
    n.nodes = [buildNode((node) => ((node.ID = 'w1'), delete (node as { ManagerStatus?: unknown }).ManagerStatus))];
    expect((await run(n, 'node', 'inspect', '-f', '{{.ManagerStatus.Addr}}', 'w1')).err).toBe(
      'template parsing error: template: :1:16: executing "" at <.ManagerStatus.Addr>: nil pointer evaluating *swarm.ManagerStatus.Addr\n',
    );
    expect((await run(n, 'node', 'inspect', '-f', '{{.ManagerStatus.Foo}}', 'w1')).err).toBe(
      'template parsing error: template: :1:16: executing "" at <.ManagerStatus.Foo>: can\'t evaluate field Foo in type *swarm.ManagerStatus\n',
    );
    expect((await run(n, 'node', 'inspect', '-f', '{{.Spec.Foo}}', 'w1')).err).toBe(
      'template parsing error: template: :1:7: executing "" at <.Spec.Foo>: can\'t evaluate field Foo in type swarm.NodeSpec\n',
    );
    // `inspect` falls back to the raw JSON (missingkey=error at every depth); a chain's position
    // is its second segment's.
    expect((await tmpl(e, '{{.Status.Foo}}')).err).toBe('template parsing error: template: :1:9: executing "" at <.Status.Foo>: map has no entry for key "Foo"\n');
    expect((await tmpl(e, '{{.Spec.ContainerSpec.Healthcheck.Interval}}')).err).toBe(
      'template parsing error: template: :1:7: executing "" at <.Spec.ContainerSpec.Healthcheck.Interval>: map has no entry for key "Healthcheck"\n',
    );
  });

  it('prints a network as network.Inspect: IPAM configs as structs, []byte as numbers', async () => {
    const e = taskEngine();
    e.networks = [buildNetwork((net) => (net.IPAM = { Driver: 'default', Options: null, Config: [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }] } as never))];
    expect((await run(e, 'network', 'inspect', '-f', '{{.IPAM}}|{{.IPAM.Config}}|{{.ConfigFrom}}', 'ingress')).out).toBe(
      '{default map[] [{10.0.0.0/24  10.0.0.1 map[]}]}|[{10.0.0.0/24  10.0.0.1 map[]}]|{}\n',
    );
    // A map of structs: a key it lacks is the zero struct (EndpointResource: five empty strings).
    expect((await run(e, 'network', 'inspect', '-f', '[{{index .Containers "x"}}]', 'ingress')).out).toBe('[{    }]\n');
    const n = new FakeEngine();
    n.nodes = [buildNode((node) => ((node.ID = 'w1'), (node.Description.TLSInfo = { TrustRoot: '', CertIssuerSubject: 'MBMxETAPBgNVBAMTCHN3YXJtLWNh', CertIssuerPublicKey: '' })))];
    expect((await run(n, 'node', 'inspect', '-f', '{{.Description.TLSInfo.CertIssuerSubject}}', 'w1')).out).toBe(
      '[48 19 49 17 48 15 6 3 85 4 3 19 8 115 119 97 114 109 45 99 97]\n',
    );
  });

  it('calls String() where Go does, and treats a pointer that is not nil as true', async () => {
    const e = new FakeEngine();
    e.services = [
      buildService((svc) => {
        svc.ID = 'rv2';
        svc.Version = { Index: 824 };
        svc.Spec.Labels = { h: '<a&b>' };
        svc.Spec.TaskTemplate.ContainerSpec = {
          Image: 'shoal/whoami:latest',
          Init: false,
          Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { Mode: 493 } }],
          StopGracePeriod: 10_000_000_000,
          Ulimits: [{ Name: 'nofile', Hard: 2048, Soft: 1024 }],
        } as never;
      }),
    ];
    const inspect = async (format: string) => run(e, 'service', 'inspect', '-f', format, 'rv2');
    // *units.Ulimit and os.FileMode print through String().
    expect((await inspect('{{.Spec.TaskTemplate.ContainerSpec.Ulimits}}|{{range .Spec.TaskTemplate.ContainerSpec.Mounts}}{{.TmpfsOptions.Mode}}{{end}}')).out).toBe(
      '[nofile=1024:2048]|-rwxr-xr-x\n',
    );
    // Init is a *bool: set to false, it is still a pointer that is not nil.
    expect((await inspect('{{if .Spec.TaskTemplate.ContainerSpec.Init}}init{{end}} {{not .Spec.TaskTemplate.ContainerSpec.Init}} {{.Spec.TaskTemplate.ContainerSpec.Init}}')).out).toBe(
      'init false false\n',
    );
    expect((await inspect('{{.Spec.TaskTemplate.ContainerSpec.StopGracePeriod.Minutes}} {{.Version.String}}')).out).toBe('0.16666666666666666 824\n');
    expect((await inspect('{{$x := .Spec.TaskTemplate.ContainerSpec}}{{$x.Nope}}')).err).toBe(
      'template parsing error: template: :1:46: executing "" at <$x.Nope>: can\'t evaluate field Nope in type *swarm.ContainerSpec\n',
    );
    expect((await inspect('{{.Spec.TaskTemplate.ContainerSpec.StopGracePeriod.Nope}}')).err).toBe(
      'template parsing error: template: :1:7: executing "" at <.Spec.TaskTemplate.ContainerSpec.StopGracePeriod.Nope>: can\'t evaluate field Nope in type *time.Duration\n',
    );
    // An unknown function fails the parse: exit 1 from `service inspect`, 64 from `inspect`.
    expect(await inspect('{{nofunc .ID}}')).toEqual({ code: 1, out: '', err: 'template parsing error: template: :1: function "nofunc" not defined\n' });
    expect((await run(e, 'inspect', '-f', '{{nofunc .ID}}', 'rv2')).code).toBe(64);
    // `service inspect` marshals its Go value (HTML escaped); `inspect` prints the daemon's JSON.
    expect((await inspect('json')).out).toContain('"Labels":{"h":"\\u003ca\\u0026b\\u003e"}');
    expect((await run(e, 'inspect', '-f', 'json', 'rv2')).out).toContain('"Labels":{"h":"<a&b>"}');
  });

  it("writes the raw fallback's maps with json sorted by key, as Go's map[string]interface{}", async () => {
    const e = taskEngine();
    e.networks = [buildNetwork((net) => (net.IPAM = { Driver: 'default', Options: null, Config: [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }] } as never))];
    // .Id is no field of network.Inspect: the template runs on the raw JSON.
    expect((await run(e, 'inspect', '-f', '{{.Id}} {{json .IPAM}}', 'ingress')).out).toBe(
      'n1etw0rk1d00000000000000a {"Config":[{"Gateway":"10.0.0.1","Subnet":"10.0.0.0/24"}],"Driver":"default","Options":null}\n',
    );
  });

  it('has every type the inspect roots reach', () => {
    const missing: string[] = [];
    const check = (expr: string): void => {
      const base = expr.replace(/^(\*|\[\])+/, '');
      const map = /^map\[([^\]]+)\](.+)$/.exec(base);
      if (map) return [map[1] as string, map[2] as string].forEach(check);
      if (!base.includes('.')) return;
      if (GO_TYPES[base] === undefined) missing.push(base);
    };
    for (const def of Object.values(GO_TYPES)) {
      if (def.kind === 'struct') def.fields.forEach((f) => check(f[2]));
      else if (def.kind === 'alias') check(def.of);
      else check(def.underlying);
    }
    expect(missing).toEqual([]);
    for (const root of ['swarm.Service', 'swarm.Node', 'swarm.Task', 'network.Inspect']) expect(GO_TYPES[root]?.kind).toBe('struct');
  });
});
