import { describe, expect, it } from 'vitest';
import type { ServiceObject } from '@shoal/store';
import { reconcile } from './orchestrator';
import { T0, makeNode, makeService, makeSpec, sequentialIds } from './testing';
import { WorkingSet } from './working-set';

describe('WorkingSet over an indexed service table', () => {
  const index = new Map<string, ServiceObject>();
  for (let i = 0; i < 50; i++) index.set(`s${i}`, makeService(`s${i}`, makeSpec(`svc${i}`, { mode: { type: 'replicated', replicas: 0 } })));
  index.set('web', makeService('web', makeSpec('web', { mode: { type: 'replicated', replicas: 2 } })));
  const view = (focus?: ReadonlySet<string>) => ({
    nodes: [makeNode('n1')],
    get services(): ServiceObject[] {
      throw new Error('a focused pass must not copy every service');
    },
    serviceIndex: index,
    tasks: [],
    ...(focus ? { focus } : {}),
  });

  it('orchestrates only the focus without listing every service', () => {
    const result = reconcile(view(new Set(['web', 'gone'])), { now: T0, newId: sequentialIds() });
    const created = result.ops.filter((op) => op.op === 'create' && op.kind === 'task');
    expect(created).toHaveLength(2);
  });

  it('layers its updates over the table and never writes to it', () => {
    const ws = new WorkingSet(view(new Set()), { now: T0, newId: sequentialIds() });
    const web = ws.service('web') as ServiceObject;
    ws.updateService({ ...web, spec: { ...web.spec, labels: { changed: 'yes' } } });
    expect(ws.service('web')?.spec.labels).toEqual({ changed: 'yes' });
    expect(index.get('web')?.spec.labels).not.toEqual({ changed: 'yes' });
    expect(ws.result().ops).toHaveLength(1);
  });
});
