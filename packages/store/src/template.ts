// Service templates (swarmkit's template package): `{{.Service.Name}}`, `{{.Task.Slot}}`,
// `{{.Node.Hostname}}`… Expanded by the agent that runs a task (where the node is known), and
// tried by the control API against a stand-in task, as swarmkit does, so a template that cannot
// expand is refused when the service is written. Only field references are supported, which is
// what swarmkit's context offers.

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
  // An action opened and never closed (Go's parser: "unclosed action").
  if (text.replace(ACTION, '').includes('{{')) throw new TemplateError('template: expansion:1: unclosed action');
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

