// How template values print and test, following Go's fmt %v and template truth.
import { goTimeString } from '../format/display';
import { formatGoDuration } from '../format/go-duration';
import { GoNilMap, GoNilPointer, GoPointer, GoStringer, POINTER_TEXT, isPointed, printStruct, structString, structType } from './go-types';

/** Marker for a missing map key; Go prints it as `<no value>`. */
export const NO_VALUE: unique symbol = Symbol('no value');

/**
 * A time.Time of docker's Go types, which the API's JSON carries as RFC 3339 text: a template
 * prints it as Go does (`2026-11-27 19:26:23.034 +0000 UTC`), `json` as the API text.
 */
export class GoTime {
  constructor(readonly rfc3339: string) {}
  toJSON(): string {
    return this.rfc3339;
  }
}

/**
 * A time.Duration of docker's Go types, which the API's JSON carries as nanoseconds: a template
 * prints it as Go's Duration.String() does (`10s`, `1m30s`, `500ms`), `json` and `printf "%d"`
 * as the number, and it compares as the number.
 */
export class GoDuration {
  constructor(readonly ns: number) {}
  toJSON(): number {
    return this.ns;
  }
}

/** A GoDuration as its number (what Go's comparisons and %d see); anything else as it is. */
export function unwrapDuration(v: unknown): unknown {
  return v instanceof GoDuration ? v.ns : v;
}

/**
 * A swarm.Version of docker's Go types (`{ Index }` in JSON): a template prints it through its
 * String() method, the index alone; `.Index` and `json` see the object.
 */
export class GoVersion {
  readonly Index?: number;
  constructor(index: number | undefined) {
    if (index !== undefined) this.Index = index;
  }
  toJSON(): { Index?: number } {
    return this.Index === undefined ? {} : { Index: this.Index };
  }
}

/**
 * Maps of docker's Go types whose values are strings (labels, options): `index` of a key they lack
 * gives the zero string, as Go's does for a map[string]string (a raw JSON map gives no value).
 */
export const STRING_MAPS = new WeakSet<object>();

/** A nil slice of docker's Go types: `%v` prints `[]`, `json` prints `null`; empty and false. */
export class GoNilSlice {
  toJSON(): null {
    return null;
  }
}

/** Go's fmt %v for JSON-like data. */
export function printValue(v: unknown): string {
  if (v === NO_VALUE) return '<no value>';
  if (v instanceof GoTime) return goTimeString(v.rfc3339);
  if (v instanceof GoDuration) return formatGoDuration(v.ns);
  if (v instanceof GoNilSlice) return '[]';
  if (v instanceof GoVersion) return String(v.Index ?? 0);
  if (v === null || v === undefined || v instanceof GoNilPointer) return '<nil>';
  if (v instanceof GoNilMap) return 'map[]';
  if (v instanceof GoPointer) return printValue(v.value);
  if (v instanceof GoStringer) return v.text;
  const struct = structType(v);
  if (struct !== undefined) return structString(v as object, struct) ?? printStruct(v as object, struct, printNested);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(printNested).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${printNested(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

/** fmt's %v inside a struct, slice or map: a pointer to a struct is its address there. */
function printNested(v: unknown): string {
  return isPointed(v) ? POINTER_TEXT : printValue(v);
}

/** Go's template truth: zero values are false. */
export function truthy(v: unknown): boolean {
  if (v === NO_VALUE || v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (v instanceof GoDuration) return v.ns !== 0;
  if (v instanceof GoTime) return true; // a struct
  if (v instanceof GoNilPointer || v instanceof GoNilMap) return false;
  if (v instanceof GoPointer) return true; // a pointer that is not nil, whatever it points to
  if (v instanceof GoStringer) return truthy(v.value);
  if (structType(v) !== undefined) return true; // a struct is never empty
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}
