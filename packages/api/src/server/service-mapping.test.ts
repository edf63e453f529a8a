import { describe, expect, it } from 'vitest';
import { fromEngineServiceSpec } from './service-mapping';

const spec = { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'nginx' } } };

describe('fromEngineServiceSpec: the values moby itself refuses', () => {
  it("refuses unknown restart conditions, update/rollback failure actions and orders, and endpoint modes with moby's texts", () => {
    const cases: Array<[object, string]> = [
      [{ TaskTemplate: { ContainerSpec: { Image: 'nginx' }, RestartPolicy: { Condition: 'bogus' } } }, 'invalid RestartCondition: "bogus"'],
      [{ UpdateConfig: { FailureAction: 'bogus' } }, 'unrecognized update failure action bogus'],
      [{ RollbackConfig: { FailureAction: 'explode' } }, 'unrecognized update failure action explode'],
      [{ UpdateConfig: { Order: 'sideways' } }, 'unrecognized update order sideways'],
      [{ EndpointSpec: { Mode: 'bogus' } }, 'invalid resolution mode: "bogus"'],
    ];
    for (const [patch, message] of cases) expect(() => fromEngineServiceSpec({ ...spec, ...patch })).toThrow(message);
  });

  it('reads empty values as the defaults', () => {
    const s = fromEngineServiceSpec({
      ...spec,
      TaskTemplate: { ContainerSpec: { Image: 'nginx' }, RestartPolicy: { Condition: '' } },
      UpdateConfig: { FailureAction: '', Order: '' },
      EndpointSpec: { Mode: '' },
    } as never);
    expect(s.task.restart.condition).toBe('any');
    expect(s.update).toMatchObject({ failureAction: 'pause', order: 'stop-first' });
    expect(s.endpoint.mode).toBe('vip');
  });
});
