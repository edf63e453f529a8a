// Commands are the only way the store changes. They are deterministic: the proposer
// stamps the time, the log index becomes the objects' version.
import type { EncodedObject } from './encoded';
import type { Kind, ObjectsByKind } from './objects';

export type Unversioned<T> = Omit<T, 'version' | 'createdAt' | 'updatedAt'>;

export interface CreateOp<K extends Kind = Kind> {
  op: 'create';
  kind: K;
  object: Unversioned<ObjectsByKind[K]>;
}

export interface UpdateOp<K extends Kind = Kind> {
  op: 'update';
  kind: K;
  object: Unversioned<ObjectsByKind[K]>;
  /** When set, the write fails with "update out of sequence" unless the stored version matches. */
  expectVersion?: number;
}

export interface DeleteOp<K extends Kind = Kind> {
  op: 'delete';
  kind: K;
  id: string;
  expectVersion?: number;
}

export type StoreOp = CreateOp | UpdateOp | DeleteOp;

export interface BatchCommand {
  type: 'batch';
  /** ISO timestamp chosen by the proposer, so replay yields the same objects. */
  at: string;
  ops: StoreOp[];
}

export type StoreCommand = BatchCommand;

/** A create or update whose object is still encoded (a replica applying its log). */
export interface EncodedWriteOp {
  op: 'create' | 'update';
  kind: Kind;
  object: EncodedObject;
  expectVersion?: number;
}

/** What the store applies: a command whose writes may carry their objects encoded. */
export interface AppliedCommand {
  type: 'batch';
  at: string;
  ops: Array<StoreOp | EncodedWriteOp>;
}

export interface StoreEventOf<K extends Kind> {
  kind: K;
  action: 'create' | 'update' | 'delete';
  object: ObjectsByKind[K];
  previous?: ObjectsByKind[K];
}

/** Discriminated by `kind`, so `ev.kind === 'node'` narrows `ev.object`. */
export type StoreEvent = { [K in Kind]: StoreEventOf<K> }[Kind];

export function createOp<K extends Kind>(kind: K, object: Unversioned<ObjectsByKind[K]>): StoreOp {
  return { op: 'create', kind, object } as CreateOp;
}

export function updateOp<K extends Kind>(
  kind: K,
  object: Unversioned<ObjectsByKind[K]> & { version?: number },
  expectVersion?: number,
): StoreOp {
  const { version: _v, createdAt: _c, updatedAt: _u, ...rest } = object as Unversioned<ObjectsByKind[K]> & {
    version?: number;
    createdAt?: string;
    updatedAt?: string;
  };
  const op: UpdateOp = { op: 'update', kind, object: rest as unknown as Unversioned<ObjectsByKind[Kind]> };
  if (expectVersion !== undefined) op.expectVersion = expectVersion;
  return op;
}

export function deleteOp(kind: Kind, id: string, expectVersion?: number): StoreOp {
  const op: DeleteOp = { op: 'delete', kind, id };
  if (expectVersion !== undefined) op.expectVersion = expectVersion;
  return op;
}
