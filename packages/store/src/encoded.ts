// Objects the store holds still encoded. A manager applies every committed write, but most of
// what it applies is never read there: a follower serves few reads, and even the leader reads
// only some of what it writes. An object that arrives in its wire encoding (its Raft entry) is
// kept as those bytes and decoded on its first read; the store's own checks use the few facts
// the write carries beside the bytes. On a follower this halved the cost of applying a write.
import type { AnyObject, Kind } from './objects';
import type { NetworkObject, ServiceObject } from './service-objects';

/** What the store's checks read of a service or a network: its name, attachments and ingress use. */
export interface ObjectFacts {
  name?: string;
  /** A service's networks (targets); absent for a network. */
  networks?: string[];
  /** A service publishing a port through the mesh; for a network, the ingress network. */
  ingress?: boolean;
}

/** An object of a write as the bytes it was encoded to (without the store's stamps). */
export interface EncodedObject {
  readonly encoded: true;
  readonly id: string;
  /** Required for services and networks (factsOf of the object); nothing else needs any. */
  readonly facts?: ObjectFacts;
  readonly bytes: Uint8Array;
  /**
   * The object the bytes encode, when the writer still has it (a manager applying a write it
   * proposed): the store keeps it as the decoded form. The writer must not change it afterwards.
   */
  readonly value?: object;
}

/** Decodes what the writes' bytes hold (the store does not know their format). */
export type ObjectDecoder = (bytes: Uint8Array) => unknown;

/** The facts of an object of `kind` the store checks writes against (services and networks only). */
export function factsOf(kind: Kind, object: Omit<AnyObject, 'version' | 'createdAt' | 'updatedAt'>): ObjectFacts | undefined {
  // As the checks read objects before they read facts: a name only if a string, ingress if truthy.
  if (kind === 'service') {
    const svc = object as ServiceObject;
    const facts: ObjectFacts = { networks: (svc.spec.task.networks ?? []).map((n) => n.target), ingress: needsIngress(svc) };
    if (typeof svc.spec.name === 'string') facts.name = svc.spec.name;
    return facts;
  }
  if (kind === 'network') {
    const net = object as NetworkObject;
    const facts: ObjectFacts = { ingress: Boolean(net.ingress) };
    if (typeof net.name === 'string') facts.name = net.name;
    return facts;
  }
  return undefined;
}

/** swarmkit's IsIngressNetworkNeeded: a port published in ingress mode (host-mode ports need no mesh). */
function needsIngress(svc: ServiceObject): boolean {
  return svc.spec.endpoint.ports.some((p) => p.publishMode === 'ingress');
}

/**
 * A stored object not decoded yet: its bytes (`len` of them at `off` in `buf`), the store's stamps,
 * and its facts. A snapshot may move the bytes (`buf`, `off`) into itself: `rowLen` is then the
 * length of the whole stamped row that ends the bytes' header 6 bytes before `off` (0: not in one).
 */
export class LazyRow {
  /** The object, once read. */
  value: AnyObject | undefined = undefined;
  rowLen = 0;

  constructor(
    readonly id: string,
    readonly version: number,
    readonly createdAt: string,
    readonly updatedAt: string,
    readonly facts: ObjectFacts | undefined,
    public buf: Uint8Array,
    public off: number,
    readonly len: number,
  ) {}

  open(decode: ObjectDecoder): AnyObject {
    if (this.value === undefined) {
      // Stamped as the store stamps a decoded object (`{ ...object, version, createdAt, updatedAt }`),
      // in place: the decoded object is this row's alone.
      const object = decode(this.buf.subarray(this.off, this.off + this.len)) as Record<string, unknown>;
      object.version = this.version;
      object.createdAt = this.createdAt;
      object.updatedAt = this.updatedAt;
      this.value = object as unknown as AnyObject;
    }
    return this.value;
  }
}

/** A stored object: decoded, or still encoded. */
export type StoredRow = AnyObject | LazyRow;
