// docker's Go types for the templates of `inspect`: the API's JSON decoded as Go's json package
// would decode it into swarm.Service, swarm.Node, swarm.Task or network.Inspect, so a template
// sees what it sees in docker: a field the JSON leaves out (omitempty) is its zero value, a field
// the type does not have is an error at any depth, a nil pointer is <nil> and cannot be walked
// into, a struct prints as Go's fmt prints it, and `json` marshals in the struct's field order.
import { GO_TYPES } from './go-types.generated';
import { GoDuration, GoNilSlice, GoTime, GoVersion, STRING_MAPS } from './values';

/** [Go name, JSON key ('' when embedded), type, omitempty, embedded]. */
export type GoField = readonly [string, string, string, boolean, boolean?];
export type GoTypeDef =
  | { readonly kind: 'struct'; readonly fields: readonly GoField[]; readonly stringer?: boolean }
  | { readonly kind: 'named'; readonly underlying: string; readonly stringer?: boolean }
  | { readonly kind: 'alias'; readonly of: string };

/** The struct type of each decoded struct (a plain object keyed by its JSON keys). */
const STRUCTS = new WeakMap<object, string>();
/** Structs reached through a pointer field: Go's errors name their type `*T`. */
const POINTED = new WeakSet<object>();

/** A nil pointer of a known type: prints `<nil>`, marshals `null`, is false; walking into it fails. */
export class GoNilPointer {
  /** Not an own property: a nil pointer has no fields. */
  static typeOf(p: GoNilPointer): string {
    return NIL_POINTER_TYPES.get(p) ?? '';
  }
  constructor(type: string) {
    NIL_POINTER_TYPES.set(this, type);
  }
  toJSON(): null {
    return null;
  }
}

const NIL_POINTER_TYPES = new WeakMap<GoNilPointer, string>();

/** A nil map: prints `map[]`, marshals `null`, is empty; `index` gives the zero value. */
export class GoNilMap {
  /** Not an own property: a nil map has no keys to range over or count. */
  static elemZero(m: GoNilMap): unknown {
    return NIL_MAP_ZEROS.get(m);
  }
  constructor(elemZero: unknown) {
    NIL_MAP_ZEROS.set(this, elemZero);
  }
  toJSON(): null {
    return null;
  }
}
const NIL_MAP_ZEROS = new WeakMap<GoNilMap, unknown>();

/** []byte values (arrays of numbers), which the JSON carries as base64. */
const BYTES = new WeakSet<readonly number[]>();

/** A []byte marshals as base64. */
export function bytesBase64(v: unknown): string | undefined {
  return Array.isArray(v) && BYTES.has(v) ? Buffer.from(v as number[]).toString('base64') : undefined;
}

/**
 * A pointer to a value that is not a struct (`*bool`, `*uint64`, `*time.Duration`): a template
 * prints and compares what it points to, but it is true even when that is a zero value, and
 * `json` writes the value.
 */
export class GoPointer {
  constructor(readonly value: unknown) {}
  toJSON(): unknown {
    // JSON.stringify does not call toJSON on what toJSON returns.
    const v = this.value as { toJSON?: () => unknown } | null;
    return typeof v?.toJSON === 'function' ? v.toJSON() : v;
  }
}

/** The value behind a GoPointer (what a template prints and compares); anything else as it is. */
export function deref(v: unknown): unknown {
  return v instanceof GoPointer ? v.value : v;
}

/** A value of a named type with a String() method other than time's and swarm.Version (os.FileMode). */
export class GoStringer {
  constructor(
    readonly value: unknown,
    readonly text: string,
  ) {}
  toJSON(): unknown {
    return this.value;
  }
}

/** Go's os.FileMode.String(). */
export function fileModeString(mode: number): string {
  const types = 'dalTLDpSugct?';
  let out = '';
  for (let i = 0; i < types.length; i++) if ((mode >>> (31 - i)) & 1) out += types[i];
  if (out === '') out = '-';
  const rwx = 'rwxrwxrwx';
  for (let i = 0; i < 9; i++) out += (mode >>> (8 - i)) & 1 ? rwx[i] : '-';
  return out;
}

/** String() of the struct types that have one (a struct printed at any depth goes through it). */
const STRUCT_STRINGS: Readonly<Record<string, (o: Record<string, unknown>) => string>> = {
  // go-units: Name=Soft:Hard.
  'units.Ulimit': (o) => `${String(o['Name'] ?? '')}=${String(o['Soft'] ?? 0)}:${String(o['Hard'] ?? 0)}`,
};

export function structString(v: object, type: string): string | undefined {
  return STRUCT_STRINGS[type]?.(v as Record<string, unknown>);
}

/** A struct reached through a pointer: Go prints its address inside a struct, slice or map. */
export function isPointed(v: unknown): boolean {
  return typeof v === 'object' && v !== null && POINTED.has(v) && structString(v, structType(v) ?? '') === undefined;
}

export const POINTER_TEXT = '0xc000010000';

/** The element type of each decoded map: `index` of a key it lacks is that type's zero value. */
const MAP_ZEROS = new WeakMap<object, string>();

/** `index` of a missing key in a decoded map: the element's zero value; undefined for other values. */
export function mapZero(m: unknown): { zero: unknown } | undefined {
  const elem = typeof m === 'object' && m !== null ? MAP_ZEROS.get(m) : undefined;
  return elem === undefined ? undefined : { zero: zeroValue(elem) };
}

/** A field a template names that the struct does not have, or a walk into a nil pointer. */
export class GoFieldError extends Error {}

export function isGoType(type: string): boolean {
  return GO_TYPES[type] !== undefined;
}

/** The struct type of a decoded value, if it is one. */
export function structType(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null ? STRUCTS.get(v) : undefined;
}

function resolve(type: string): string {
  let t = type;
  for (let def = GO_TYPES[t]; def?.kind === 'alias'; def = GO_TYPES[t]) t = def.of;
  return t;
}

const FLAT_FIELDS = new Map<string, readonly GoField[]>();

/** Fields in order, an embedded struct's promoted in its place (as json and field lookup see them). */
function flatFields(type: string): readonly GoField[] {
  let fields = FLAT_FIELDS.get(type);
  if (fields === undefined) {
    const def = GO_TYPES[resolve(type)];
    fields = def?.kind === 'struct' ? def.fields.flatMap((f) => (f[4] === true ? flatFields(f[2]) : [f])) : [];
    FLAT_FIELDS.set(type, fields);
  }
  return fields;
}

/** The embedded structs of a struct, at any depth. */
function embeddedFields(type: string): GoField[] {
  const def = GO_TYPES[resolve(type)];
  if (def?.kind !== 'struct') return [];
  return def.fields.filter((f) => f[4] === true).flatMap((f) => [f, ...embeddedFields(f[2])]);
}

/** The JSON decoded into `type`, with Go's time, duration and version values. */
export function decodeGo(json: unknown, type: string): unknown {
  if (type.startsWith('*')) {
    if (json === null || json === undefined) return new GoNilPointer(`*${resolve(type.slice(1))}`);
    const value = decodeGo(json, type.slice(1));
    if (structType(value) !== undefined) POINTED.add(value as object);
    else if (!Array.isArray(value) && !(value instanceof GoNilSlice) && !(value instanceof GoNilMap)) return new GoPointer(value);
    return value;
  }
  if (type.startsWith('[]')) {
    if (type === '[]uint8' && typeof json === 'string') {
      const bytes = [...Buffer.from(json, 'base64')];
      BYTES.add(bytes);
      return bytes;
    }
    if (!Array.isArray(json)) return json === null || json === undefined ? new GoNilSlice() : json;
    return json.map((e) => decodeGo(e, type.slice(2)));
  }
  const map = /^map\[[^\]]+\](.+)$/.exec(type);
  if (map) {
    const elem = map[1] as string;
    if (json === null || json === undefined) return new GoNilMap(zeroValue(elem));
    if (typeof json !== 'object' || Array.isArray(json)) return json;
    const out = Object.fromEntries(Object.entries(json).map(([k, v]) => [k, decodeGo(v, elem)]));
    if (underlyingOf(elem) === 'string') STRING_MAPS.add(out);
    MAP_ZEROS.set(out, elem);
    return out;
  }
  const t = resolve(type);
  if (t === 'time.Time') return typeof json === 'string' ? new GoTime(json) : json;
  if (t === 'time.Duration') return typeof json === 'number' ? new GoDuration(json) : json;
  if (t === 'swarm.Version') return json !== null && typeof json === 'object' ? new GoVersion((json as { Index?: number }).Index) : json;
  const def = GO_TYPES[t];
  if (t === 'os.FileMode' && typeof json === 'number') return new GoStringer(json, fileModeString(json));
  if (def?.kind === 'named') return decodeGo(json, def.underlying);
  if (def?.kind !== 'struct' || json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  const src = json as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [, key, fieldType] of flatFields(t)) if (Object.hasOwn(src, key)) out[key] = decodeGo(src[key], fieldType);
  STRUCTS.set(out, t);
  return out;
}

function underlyingOf(type: string): string {
  const t = resolve(type);
  const def = GO_TYPES[t];
  return def?.kind === 'named' ? underlyingOf(def.underlying) : t;
}

/** Go's zero value of `type`, as decodeGo represents it. */
function zeroValue(type: string): unknown {
  if (type.startsWith('*')) return new GoNilPointer(`*${resolve(type.slice(1))}`);
  if (type.startsWith('[]')) return new GoNilSlice();
  const map = /^map\[[^\]]+\](.+)$/.exec(type);
  if (map) return new GoNilMap(zeroValue(map[1] as string));
  const t = resolve(type);
  if (t === 'time.Time') return new GoTime('0001-01-01T00:00:00Z');
  if (t === 'time.Duration') return new GoDuration(0);
  if (t === 'swarm.Version') return new GoVersion(undefined);
  if (t === 'os.FileMode') return new GoStringer(0, fileModeString(0));
  const def = GO_TYPES[t];
  if (def?.kind === 'named') return zeroValue(def.underlying);
  if (def?.kind === 'struct') {
    const out = {};
    STRUCTS.set(out, t);
    return out;
  }
  if (t === 'string') return '';
  if (t === 'bool') return false;
  if (/^(u?int(8|16|32|64)?|float(32|64)|uintptr)$/.test(t)) return 0;
  return null; // an interface: nil
}

/** `.name` of a decoded struct: its value, its zero value if the JSON left it out, or an error. */
export function structField(v: object, type: string, name: string): unknown {
  const field = flatFields(type).find((f) => f[0] === name);
  if (field === undefined) {
    // An embedded struct is also a field named after its type (`.Meta` of a task).
    const embedded = embeddedFields(type).find((f) => f[0] === name);
    if (embedded !== undefined) return embeddedView(v as Record<string, unknown>, embedded[2]);
    throw new GoFieldError(`can't evaluate field ${name} in type ${POINTED.has(v) ? '*' : ''}${type}`);
  }
  const o = v as Record<string, unknown>;
  return Object.hasOwn(o, field[1]) ? o[field[1]] : zeroValue(field[2]);
}

/** The error Go gives for `.name` of a nil pointer. */
export function nilPointerError(p: GoNilPointer, name: string): GoFieldError {
  const type = GoNilPointer.typeOf(p);
  // Go looks the field up in the type first.
  const elem = type.slice(1);
  const known = GO_TYPES[elem]?.kind !== 'struct' || flatFields(elem).some((f) => f[0] === name) || embeddedFields(elem).some((f) => f[0] === name);
  return new GoFieldError(known ? `nil pointer evaluating ${type}.${name}` : `can't evaluate field ${name} in type ${type}`);
}


/**
 * Go's fmt %v of a decoded struct: its fields in order, stringers through String(), a pointer
 * that is not nil as an address unless its type has a String() method, nil pointers `<nil>`.
 */
export function printStruct(v: object, type: string, print: (x: unknown) => string): string {
  const def = GO_TYPES[resolve(type)];
  if (def?.kind !== 'struct') return '{}';
  const o = v as Record<string, unknown>;
  const parts = def.fields.map(([, key, fieldType, , embedded]) => {
    if (embedded === true) return print(embeddedView(o, fieldType));
    const value = Object.hasOwn(o, key) ? o[key] : zeroValue(fieldType);
    if (fieldType.startsWith('*') && !(value instanceof GoNilPointer) && !isStringer(fieldType.slice(1))) return POINTER_TEXT;
    return print(deref(value));
  });
  return `{${parts.join(' ')}}`;
}

/** An embedded struct's fields out of the flattened JSON, as a struct of its own. */
function embeddedView(o: Record<string, unknown>, type: string): object {
  const view: Record<string, unknown> = {};
  for (const [, key] of flatFields(type)) if (Object.hasOwn(o, key)) view[key] = o[key];
  STRUCTS.set(view, resolve(type));
  return view;
}

function isStringer(type: string): boolean {
  const def = GO_TYPES[resolve(type)];
  return def !== undefined && def.kind !== 'alias' && def.stringer === true;
}

/** A decoded struct as Go's json.Marshal writes it: field order, omitempty, zero values. */
export function marshalStruct(v: object, type: string): Record<string, unknown> {
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [, key, fieldType, omitempty] of flatFields(type)) {
    const value = Object.hasOwn(o, key) ? o[key] : zeroValue(fieldType);
    if (omitempty && isEmpty(value, fieldType)) continue;
    out[key] = value;
  }
  return out;
}

/** Go's isEmptyValue for omitempty: false, 0, "", nil pointers, empty slices and maps (never a struct). */
function isEmpty(v: unknown, type: string): boolean {
  if (v instanceof GoStringer) return v.value === 0;
  if (type.startsWith('*')) return v instanceof GoNilPointer || v === null || v === undefined; // a pointer to false is set
  if (v instanceof GoNilPointer || v instanceof GoNilSlice || v instanceof GoNilMap || v === null || v === undefined) return true;
  if (v === false || v === 0 || v === '') return true;
  if (v instanceof GoDuration) return v.ns === 0;
  if (Array.isArray(v)) return v.length === 0;
  if (type.startsWith('map[') && typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}
