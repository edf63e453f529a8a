// The agent's side of service templates: the context of a task on this node (the expander is
// @shoal/store's, which the control API also uses to refuse templates that cannot expand).

import type { TemplateContext } from '@shoal/store';

export { expandTemplate, TemplateError, type TemplateContext } from '@shoal/store';

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
