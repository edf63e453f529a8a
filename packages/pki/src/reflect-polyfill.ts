// @peculiar/x509 pulls in tsyringe, which refuses to load unless the Reflect
// metadata API exists. This is the subset tsyringe calls, so the package needs
// no `reflect-metadata` dependency. A real polyfill loaded first wins.

type MetadataMap = Map<unknown, unknown>;

const store = new WeakMap<object, Map<PropertyKey | undefined, MetadataMap>>();

function ownMap(target: object, propertyKey: PropertyKey | undefined, create: boolean): MetadataMap | undefined {
  let byKey = store.get(target);
  if (!byKey) {
    if (!create) return undefined;
    byKey = new Map();
    store.set(target, byKey);
  }
  let map = byKey.get(propertyKey);
  if (!map && create) {
    map = new Map();
    byKey.set(propertyKey, map);
  }
  return map;
}

function getOwnMetadata(key: unknown, target: object, propertyKey?: PropertyKey): unknown {
  return ownMap(target, propertyKey, false)?.get(key);
}

function getMetadata(key: unknown, target: object, propertyKey?: PropertyKey): unknown {
  for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
    const map = ownMap(t, propertyKey, false);
    if (map?.has(key)) return map.get(key);
  }
  return undefined;
}

const shim = {
  defineMetadata(key: unknown, value: unknown, target: object, propertyKey?: PropertyKey): void {
    ownMap(target, propertyKey, true)?.set(key, value);
  },
  getOwnMetadata,
  getMetadata,
  hasOwnMetadata: (key: unknown, target: object, propertyKey?: PropertyKey): boolean =>
    ownMap(target, propertyKey, false)?.has(key) ?? false,
  hasMetadata: (key: unknown, target: object, propertyKey?: PropertyKey): boolean =>
    getMetadata(key, target, propertyKey) !== undefined,
};

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect['getMetadata'] !== 'function') {
  for (const [name, fn] of Object.entries(shim)) reflect[name] = fn;
}
