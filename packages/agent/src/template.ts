// Service templates (swarmkit's template package): `{{.Service.Name}}`, `{{.Task.Slot}}`,
// `{{.Node.Hostname}}`… in a task's environment, expanded by the agent that runs it, where the
// node is known. Only field references are supported, which is what swarmkit's context offers.

export interface TemplateContext {
  Service: { ID: string; Name: string };
  Node: { ID: string; Hostname: string; Platform: { OS: string; Architecture: string } };
  Task: { ID: string; Name: string; Slot: string };
}

export class TemplateError extends Error {}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g;

/** `text` with each `{{.A.B}}` replaced by the context's value; a TemplateError for anything else. */
export function expandTemplate(text: string, ctx: TemplateContext): string {
  if (!text.includes('{{')) return text;
  return text.replace(ACTION, (_whole, action: string, offset: number) => {
    const at = `template: expansion:1:${offset + 2}: executing "expansion" at <${action}>`;
    if (!/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(action)) throw new TemplateError(`${at}: only field references such as {{.Task.Slot}} are supported`);
    let value: unknown = ctx;
    for (const field of action.slice(1).split('.')) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, field)) {
        throw new TemplateError(`${at}: can't evaluate field ${field}`);
      }
      value = (value as Record<string, unknown>)[field];
    }
    if (typeof value === 'object') throw new TemplateError(`${at}: ${action} is not a value`);
    return String(value);
  });
}

/** swarmkit's context for a task: the slot, or the node ID for a global task, and naming.Task. */
export function templateContext(t: { taskId: string; serviceId: string; serviceName: string; slot: number }, node: { id: string; hostname: string; os: string; arch: string }): TemplateContext {
  const slot = t.slot ? String(t.slot) : node.id;
  return {
    Service: { ID: t.serviceId, Name: t.serviceName },
    Node: { ID: node.id, Hostname: node.hostname, Platform: { OS: node.os, Architecture: node.arch } },
    Task: { ID: t.taskId, Name: `${t.serviceName}.${slot}.${t.taskId}`, Slot: slot },
  };
}

/** The machine as uname names it (x86_64): what `docker info` and node descriptions report. */
export function machineArch(): string {
  const map: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', ia32: 'i386' };
  return map[process.arch] ?? process.arch;
}
