// The ContainerSpec fields a host process has no use for: kept as Docker's JSON gave them (checked
// as moby's converter checks them) and shown again by inspect.
import type { TaskSpec as EngineTaskSpec } from '../engine/types';
import { InvalidArgumentError } from '@shoal/store';

/**
 * ContainerSpec fields kept verbatim (see the store's ContainerSpec.containerOnly), with the JSON
 * type Docker gives each: a value of another type is refused, since clients that decode Docker's
 * types (the docker CLI among them) could not read the service back.
 */
const CONTAINER_ONLY_FIELDS = {
  TTY: 'boolean',
  ReadOnly: 'boolean',
  Init: 'boolean',
  Mounts: 'array',
  Hosts: 'array',
  DNSConfig: 'object',
  Groups: 'array',
  Sysctls: 'object',
  CapabilityAdd: 'array',
  CapabilityDrop: 'array',
  Ulimits: 'array',
  OpenStdin: 'boolean',
  OomScoreAdj: 'number',
  Privileges: 'object',
  Isolation: 'string',
} as const;
const CONTAINER_ONLY_ENTRIES = Object.entries(CONTAINER_ONLY_FIELDS); // once, not per request

export function containerOnlyOf(c: EngineTaskSpec['ContainerSpec']): { containerOnly?: Record<string, unknown> } {
  if (!c) return {};
  const kept: Record<string, unknown> = {};
  for (const [key, type] of CONTAINER_ONLY_ENTRIES) {
    const v = (c as unknown as Record<string, unknown>)[key];
    // false is no setting, but for Init, a *bool in moby's ContainerSpec: false is kept and shown
    // (the docker CLI always sends it), absent is not (a stack file without `init:`).
    if (v === undefined || v === null || (v === false && key !== 'Init') || v === 0) continue; // 0: omitempty (OomScoreAdj)
    const actual = Array.isArray(v) ? 'array' : typeof v;
    if (actual !== type) throw new InvalidArgumentError(`ContainerSpec.${key} must be ${type === 'array' ? 'an array' : `a${type === 'object' ? 'n' : ''} ${type}`}`);
    if ((Array.isArray(v) && v.length === 0) || (type === 'object' && Object.keys(v as object).length === 0)) continue;
    if (key === 'Isolation') {
      // moby's isolationToGRPC: process or hyperv, anything else the default (not kept: a spec
      // read back and sent again must not differ from the stored one).
      const isolation = (v as string).toLowerCase();
      if (isolation === 'process' || isolation === 'hyperv') kept[key] = isolation;
      continue;
    }
    kept[key] = structuredClone(v);
  }
  if (Array.isArray(kept['Mounts'])) kept['Mounts'] = kept['Mounts'].map(mountOf);
  return Object.keys(kept).length > 0 ? { containerOnly: kept } : {};
}

const MOUNT_TYPES = ['bind', 'volume', 'tmpfs', 'npipe', 'cluster'];
const MOUNT_PROPAGATIONS = ['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'];

/**
 * A mount as moby's containerToGRPC converts it: its type and bind propagation one of swarmkit's
 * (in any case; read back in lower case), else refused with moby's words.
 */
function mountOf(m: unknown): unknown {
  if (m === null || typeof m !== 'object') return m;
  const mount = { ...(m as Record<string, unknown>) };
  swarmEnum(mount, 'Type', MOUNT_TYPES, 'MountType');
  const bind = mount['BindOptions'];
  if (bind !== null && typeof bind === 'object') {
    const options = { ...(bind as Record<string, unknown>) };
    swarmEnum(options, 'Propagation', MOUNT_PROPAGATIONS, 'MountPropagation');
    mount['BindOptions'] = options;
  }
  return mount;
}

/** `o[key]`, when a non-empty string, lower-cased if one of `known`, else refused as moby does (`invalid <what>: "x"`). */
function swarmEnum(o: Record<string, unknown>, key: string, known: readonly string[], what: string): void {
  const v = o[key];
  if (typeof v !== 'string' || v === '') return;
  if (!known.includes(v.toLowerCase())) throw new InvalidArgumentError(`invalid ${what}: ${JSON.stringify(v)}`);
  o[key] = v.toLowerCase();
}
