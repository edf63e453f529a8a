import { describe, expect, it } from 'vitest';
import type { PortConfig, ServiceObject, StoreEvent } from '@shoal/store';
import { IngressPorts } from './ingress-ports';

function service(id: string, ports: Array<Partial<PortConfig> & { publishedPort: number }>, replicas = 1): ServiceObject {
  const endpoint = { ports: ports.map((p) => ({ protocol: 'tcp', targetPort: 80, publishMode: 'ingress', ...p }) as PortConfig) };
  return { id, endpoint, spec: { mode: { type: 'replicated', replicas } } } as unknown as ServiceObject;
}
const create = (object: ServiceObject): StoreEvent => ({ kind: 'service', action: 'create', object });
const update = (previous: ServiceObject, object: ServiceObject): StoreEvent => ({ kind: 'service', action: 'update', previous, object });
const remove = (object: ServiceObject): StoreEvent => ({ kind: 'service', action: 'delete', object });

describe('IngressPorts', () => {
  it('leaves out a service scaled to 0, and takes it back when scaled up', () => {
    const up = service('a', [{ publishedPort: 8080 }]);
    const set = new IngressPorts([up]);
    const zero = service('a', [{ publishedPort: 8080 }], 0);
    expect(set.apply([update(up, zero)])).toBe(true);
    expect(set.ports()).toEqual([]);
    expect(set.apply([update(zero, up)])).toBe(true);
    expect(set.ports()).toEqual([8080]);
  });

  it('starts from the services in the store: TCP ingress ports only, each once, ascending', () => {
    const set = new IngressPorts([
      service('a', [{ publishedPort: 8080 }, { publishedPort: 53, protocol: 'udp' }]),
      service('b', [{ publishedPort: 9000, publishMode: 'host' }, { publishedPort: 443 }, { publishedPort: 443, targetPort: 8443 }]),
      service('c', []),
    ]);
    expect(set.ports()).toEqual([443, 8080]);
  });

  it('reports a change only when the set of ports changes', () => {
    const a = service('a', [{ publishedPort: 8080 }]);
    const set = new IngressPorts([a]);
    expect(set.apply([create(service('x', []))])).toBe(false);
    const b = service('b', [{ publishedPort: 8080 }]);
    expect(set.apply([create(b)])).toBe(false); // a second service on the same port (a misconfiguration)
    expect(set.apply([remove(a)])).toBe(false); // b still publishes it
    expect(set.ports()).toEqual([8080]);
    expect(set.apply([remove(b)])).toBe(true);
    expect(set.ports()).toEqual([]);
  });

  it('follows updates: a port added, moved or taken away', () => {
    const v1 = service('a', [{ publishedPort: 8080 }]);
    const set = new IngressPorts([v1]);
    const v2 = service('a', [{ publishedPort: 8080 }, { publishedPort: 8081 }]);
    expect(set.apply([update(v1, v2)])).toBe(true);
    expect(set.ports()).toEqual([8080, 8081]);
    const v3 = service('a', [{ publishedPort: 8081, publishMode: 'host' }]);
    expect(set.apply([update(v2, v3)])).toBe(true);
    expect(set.ports()).toEqual([]);
    const global = { ...service('a', [{ publishedPort: 8082 }]), spec: { mode: { type: 'global' } } } as unknown as ServiceObject;
    expect(set.apply([update(v3, global)])).toBe(true);
    expect(set.ports()).toEqual([8082]);
    expect(set.apply([{ kind: 'task', action: 'create', object: {} } as unknown as StoreEvent])).toBe(false);
  });
});
