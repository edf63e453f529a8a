// The published TCP ingress ports of every service that should be running tasks. Every node's
// ingress proxy keeps them bound while that holds, also when no task is running at the moment
// (a stop-first update of the only task, tasks restarting, their nodes down): a client then waits
// briefly for a task instead of being refused, and nothing else on the host takes the port
// meanwhile. A service scaled to 0 is left out: its port is refused, as Docker's is, once its
// last task has gone. Kept by reference count, so a service write costs a look at its own ports.
import type { ServiceObject, StoreEvent } from '@shoal/store';

export class IngressPorts {
  private readonly count = new Map<number, number>();
  private sorted: number[] = [];

  constructor(services: Iterable<ServiceObject>) {
    for (const s of services) this.add(s, 1);
    this.sorted = this.compute();
  }

  /** The ports, ascending. */
  ports(): readonly number[] {
    return this.sorted;
  }

  /** Follows service writes; true when the set of ports changed. */
  apply(events: readonly StoreEvent[]): boolean {
    let touched = false;
    for (const ev of events) {
      if (ev.kind !== 'service') continue;
      if (ev.action === 'create') touched = this.add(ev.object, 1) || touched;
      else if (ev.action === 'delete') touched = this.add(ev.object, -1) || touched;
      else {
        if (ev.previous) touched = this.add(ev.previous, -1) || touched;
        touched = this.add(ev.object, 1) || touched;
      }
    }
    if (!touched) return false;
    const next = this.compute();
    const changed = next.length !== this.sorted.length || next.some((p, i) => p !== this.sorted[i]);
    this.sorted = next;
    return changed;
  }

  private add(service: ServiceObject, delta: 1 | -1): boolean {
    let any = false;
    for (const port of ingressPortsOf(service)) {
      const n = (this.count.get(port) ?? 0) + delta;
      if (n > 0) this.count.set(port, n);
      else this.count.delete(port);
      any = true;
    }
    return any;
  }

  private compute(): number[] {
    return [...this.count.keys()].sort((a, b) => a - b);
  }
}

/** A service's allocated TCP ports in ingress mode (each once); none while it is scaled to 0. */
export function ingressPortsOf(service: ServiceObject): number[] {
  const ports = new Set<number>();
  if (service.spec.mode.type === 'replicated' && service.spec.mode.replicas === 0) return [];
  for (const p of service.endpoint.ports) {
    if (p.publishMode === 'ingress' && p.protocol === 'tcp' && p.publishedPort > 0) ports.add(p.publishedPort);
  }
  return [...ports];
}
