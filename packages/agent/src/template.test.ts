import { describe, expect, it } from 'vitest';
import { expandTemplate, templateContext, TemplateError } from './template';

const node = { id: 'n1', hostname: 'worker1', os: 'linux', arch: 'x86_64' };

describe('service templates', () => {
  it("expands swarmkit's fields: slot (node ID for a global task), names, node and platform", () => {
    const ctx = templateContext({ taskId: 't9', serviceId: 's1', serviceName: 'web', slot: 3 }, node);
    expect(expandTemplate('SLOT={{.Task.Slot}}', ctx)).toBe('SLOT=3');
    expect(expandTemplate('ID={{ .Service.Name }}-{{.Task.Slot}}@{{.Node.Hostname}}', ctx)).toBe('ID=web-3@worker1');
    expect(expandTemplate('{{.Task.Name}} {{.Task.ID}} {{.Service.ID}} {{.Node.ID}} {{.Node.Platform.OS}}/{{.Node.Platform.Architecture}}', ctx)).toBe(
      'web.3.t9 t9 s1 n1 linux/x86_64',
    );
    expect(expandTemplate('PLAIN=1', ctx)).toBe('PLAIN=1');
    const global = templateContext({ taskId: 't1', serviceId: 's1', serviceName: 'agent', slot: 0 }, node);
    expect(expandTemplate('{{.Task.Slot}} {{.Task.Name}}', global)).toBe('n1 agent.n1.t1');
  });

  it('refuses unknown fields and anything but field references', () => {
    const ctx = templateContext({ taskId: 't9', serviceId: 's1', serviceName: 'web', slot: 3 }, node);
    expect(() => expandTemplate('X={{.Task.Nope}}', ctx)).toThrow(TemplateError);
    expect(() => expandTemplate('X={{.Task.Nope}}', ctx)).toThrow("can't evaluate field Nope");
    expect(() => expandTemplate('X={{.Node}}', ctx)).toThrow('is not a value');
    expect(() => expandTemplate('X={{printf "%d" 1}}', ctx)).toThrow('only field references');
    expect(() => expandTemplate('A={{.Bad', ctx)).toThrow('template: expansion:1: unclosed action');
    expect(() => expandTemplate('A={{.Task.Slot}} and {{', ctx)).toThrow('unclosed action');
  });
});
