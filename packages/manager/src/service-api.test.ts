// The control API's service updates on a local store: what starts a rolling update.
import { describe, expect, it } from 'vitest';
import { ClusterStore, MemoryStore, createOp, resultToEvents, type Proposer, type ServiceSpec } from '@shoal/store';
import { makeService, makeSpec, makeTask } from './orchestrator/testing';
import { ServiceApi } from './service-api';

function localApi(memory = new MemoryStore()): ServiceApi {
  let index = memory.appliedIndex;
  const proposer: Proposer = { propose: async (command) => resultToEvents(memory.apply(++index, command)) };
  return new ServiceApi(new ClusterStore(memory, proposer));
}

/** The same data with every object's keys in reverse order (as another client or version may build it). */
function reversed<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversed) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)])) as T;
  return value;
}

describe('ServiceApi.updateService', () => {
  it('starts a rolling update only when the task spec or endpoint changes, whatever the key order', async () => {
    const api = localApi();
    const spec: ServiceSpec = makeSpec('web', { mode: { type: 'replicated', replicas: 2 } });
    await api.createService(spec);
    const created = api.service('web');

    await api.updateService('web', created.version, reversed({ ...created.spec, mode: { type: 'replicated', replicas: 3 } }));
    const scaled = api.service('web');
    expect(scaled.spec.mode).toEqual({ type: 'replicated', replicas: 3 });
    expect(scaled.updateStatus).toBeUndefined();

    await api.updateService('web', scaled.version, { ...scaled.spec, task: { ...scaled.spec.task, container: { ...scaled.spec.task.container, image: 'nginx:2' } } });
    expect(api.service('web').updateStatus?.state).toBe('updating');
  });

  it("clears the last update's status on an update that rolls nothing, as swarmkit does", async () => {
    const api = localApi();
    await api.createService(makeSpec('web'));
    const s = api.service('web');
    await api.updateService('web', s.version, { ...s.spec, task: { ...s.spec.task, forceUpdate: 1 } });
    const updating = api.service('web');
    expect(updating.updateStatus?.state).toBe('updating');
    await api.updateService('web', updating.version, { ...updating.spec, labels: { tier: 'front' } });
    expect(api.service('web').updateStatus).toBeUndefined();
  });

  it("starts a rollback as swarmkit does, and refuses one without a previous spec with swarmkit's text", async () => {
    const api = localApi();
    await api.createService(makeSpec('web'));
    const s = api.service('web');
    await expect(api.updateService('web', s.version, s.spec, { rollback: true })).rejects.toThrow(
      `rpc error: code = FailedPrecondition desc = service ${s.id} does not have a previous spec`,
    );
    await api.updateService('web', s.version, { ...s.spec, task: { ...s.spec.task, forceUpdate: 1 } });
    const v2 = api.service('web');
    await api.updateService('web', v2.version, v2.spec, { rollback: true });
    const rolled = api.service('web');
    expect(rolled.spec.task.forceUpdate).toBe(0);
    expect(rolled.previousSpec?.task.forceUpdate).toBe(1);
    expect(rolled.updateStatus).toMatchObject({ state: 'updating', rollback: true, message: 'manually requested rollback' });
  });
});

describe('ServiceApi validation (swarmkit)', () => {
  it("refuses image references Docker cannot parse and resources below swarmkit's minimums, creating nothing", async () => {
    const api = localApi();
    const base = makeSpec('web');
    const withImage = (image: string): ServiceSpec => ({ ...base, task: { ...base.task, container: { ...base.task.container, image } } });
    const withResources = (resources: ServiceSpec['task']['resources']): ServiceSpec => ({ ...base, task: { ...base.task, resources } });
    const cases: Array<[ServiceSpec, string]> = [
      [withImage('UPPER:case'), 'ContainerSpec: "UPPER:case" is not a valid repository/tag'],
      [withImage('foo//bar'), 'ContainerSpec: "foo//bar" is not a valid repository/tag'],
      [withResources({ limits: { memoryBytes: 1024 } }), 'invalid memory value 1024: Must be at least 4MiB'],
      [withResources({ reservations: { memoryBytes: 4 * 1024 * 1024 - 1 } }), 'invalid memory value 4194303: Must be at least 4MiB'],
      [withResources({ limits: { nanoCpus: 500_000 } }), 'invalid cpu value 0.0005: Must be at least 0.001'],
    ];
    for (const [spec, message] of cases) {
      await expect(api.createService(spec)).rejects.toThrow(`rpc error: code = InvalidArgument desc = ${message}`);
    }
    expect(api.services()).toEqual([]);
    for (const image of ['nginx', 'nginx:1.25', 'localhost:5000/team/app:v1', 'Registry.example.com/app', `app@sha256:${'a'.repeat(64)}`]) {
      await api.createService({ ...withImage(image), name: `ok${api.services().length}` });
    }
    expect(api.services()).toHaveLength(5);
  });
});

describe('ServiceApi.createService validation', () => {
  it("refuses swarmkit's bad health checks and an ambiguous --network, creating nothing", async () => {
    const memory = new MemoryStore();
    const net = (id: string) => createOp('network', { id, name: `n-${id}`, driver: 'overlay', ingress: false, attachable: false, labels: {}, subnet: '', gateway: '' });
    memory.apply(1, { type: 'batch', at: new Date().toISOString(), ops: [net('cab1'), net('cab2')] });
    const api = localApi(memory);
    const withHealth = (healthcheck: object): ServiceSpec => {
      const spec = makeSpec('web');
      return { ...spec, task: { ...spec.task, container: { ...spec.task.container, healthcheck: { test: [], ...healthcheck } } } };
    };
    const refused: Array<[ServiceSpec, string]> = [
      [withHealth({ intervalMs: 0.1 }), 'rpc error: code = InvalidArgument desc = ContainerSpec: Interval in HealthConfig cannot be less than 1ms'],
      [withHealth({ timeoutMs: -5 }), 'ContainerSpec: Timeout in HealthConfig cannot be less than 1ms'],
      [withHealth({ startIntervalMs: 0.5 }), 'ContainerSpec: StartInterval in HealthConfig cannot be less than 1ms'],
      [withHealth({ retries: -2 }), 'ContainerSpec: Retries in HealthConfig cannot be negative'],
    ];
    for (const [spec, message] of refused) await expect(api.createService(spec)).rejects.toThrow(message);
    const attached = makeSpec('web');
    await expect(api.createService({ ...attached, task: { ...attached.task, networks: [{ target: 'ca' }] } })).rejects.toThrow(/^network ca is ambiguous \(2 matches found\)$/);
    expect(api.services()).toHaveLength(0);
    await api.createService(withHealth({ intervalMs: 2000, retries: 3 })); // settings without a test are kept
    expect(api.service('web').spec.task.container.healthcheck).toEqual({ test: [], intervalMs: 2000, retries: 3 });
  });
});

describe('ServiceApi.task', () => {
  it("finds a task by ID, by its name (<service>.<slot>.<ID>, moby's naming.Task) and by a unique ID prefix", async () => {
    const memory = new MemoryStore();
    const svc = makeService('s1', makeSpec('web'));
    const { version: _v, createdAt: _c, updatedAt: _u, ...task } = makeTask('tk7abc', svc, { slot: 2 });
    memory.apply(1, { type: 'batch', at: new Date().toISOString(), ops: [createOp('service', { id: svc.id, spec: svc.spec, endpoint: svc.endpoint }), createOp('task', task)] });
    const api = localApi(memory);
    expect(api.task('tk7abc').id).toBe('tk7abc');
    expect(api.task('web.2.tk7abc').id).toBe('tk7abc');
    expect(api.task('tk7').id).toBe('tk7abc');
    expect(() => api.task('web.1.tk7abc')).toThrow('task web.1.tk7abc not found');
  });
});

describe('ServiceApi.updateService refusals', () => {
  it("refuses a mode change and a rename with swarmkit's Unimplemented texts, changing nothing", async () => {
    const api = localApi();
    await api.createService(makeSpec('web'));
    const s = api.service('web');
    await expect(api.updateService('web', s.version, { ...s.spec, mode: { type: 'global' } })).rejects.toMatchObject({
      code: 'UNIMPLEMENTED',
      message: 'rpc error: code = Unimplemented desc = service mode change is not allowed',
    });
    await expect(api.updateService('web', s.version, { ...s.spec, name: 'web2' })).rejects.toThrow('rpc error: code = Unimplemented desc = renaming services is not supported');
    expect(api.service('web').version).toBe(s.version);
  });
});

describe('ServiceApi counts', () => {
  it("refuses 2^63 and more as swarmkit's int64 cast does, and more tasks than a manager can hold, creating nothing", async () => {
    const api = localApi();
    const cases: Array<[ServiceSpec['mode'], string]> = [
      [{ type: 'replicated', replicas: 2 ** 63 }, 'rpc error: code = InvalidArgument desc = Number of replicas must be non-negative'],
      [{ type: 'replicated', replicas: 18446744073709551615 }, 'Number of replicas must be non-negative'],
      [{ type: 'replicated', replicas: 2 ** 40 }, 'Number of replicas must not exceed 100000'],
      [{ type: 'replicated-job', maxConcurrent: 1, totalCompletions: 2 ** 64 }, 'Total completed jobs must not be negative'],
      [{ type: 'replicated-job', maxConcurrent: 10 ** 9, totalCompletions: 1 }, 'Number of concurrent job tasks must not exceed 100000'],
    ];
    for (const [mode, text] of cases) await expect(api.createService(makeSpec('big', { mode }))).rejects.toThrow(text);
    expect(api.services()).toEqual([]);
    await api.createService(makeSpec('ok', { mode: { type: 'replicated', replicas: 100_000 } }));
    const ok = api.service('ok');
    await expect(api.updateService('ok', ok.version, { ...ok.spec, mode: { type: 'replicated', replicas: 2 ** 63 } })).rejects.toThrow('Number of replicas must be non-negative');
    expect(api.service('ok').version).toBe(ok.version);
  });

  it('starts a job at iteration 0, runs every update as the next iteration, and never rolls a job out', async () => {
    const api = localApi();
    await api.createService(makeSpec('job', { mode: { type: 'replicated-job', maxConcurrent: 1, totalCompletions: 2 } }));
    const created = api.service('job');
    expect(created.jobStatus?.iteration).toBe(0);
    await api.updateService('job', created.version, { ...created.spec, task: { ...created.spec.task, forceUpdate: 1 } });
    const again = api.service('job');
    expect(again.jobStatus?.iteration).toBe(1);
    expect(again.updateStatus).toBeUndefined();
    await api.updateService('job', again.version, again.spec, { rollback: true });
    expect(api.service('job')).toMatchObject({ jobStatus: { iteration: 2 }, updateStatus: { rollback: true, message: 'manually requested rollback' } });
  });
});
