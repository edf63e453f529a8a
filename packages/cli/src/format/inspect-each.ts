// The shared body of `node inspect` and `service inspect` without --pretty.
import { MultiError, StatusError } from '../errors';
import { TemplateParseError, parseFormat, renderFormat } from './formatter';
import { goJson, inspectJson } from './inspect-json';
import type { RootKind } from '../template/exec';
import { decodeGo, isGoType } from '../template/go-types';
import { GoDuration, GoTime, GoVersion, STRING_MAPS } from '../template/values';

/**
 * `inspect` without `--pretty`: fetch every reference (collecting failures like docker does),
 * print them as JSON or through a Go template, then fail if any reference failed.
 */
export async function inspectEach<T>(
  out: (text: string) => void,
  refs: readonly string[],
  format: string,
  get: (ref: string) => Promise<T>,
  /** What each object is in docker's Go (the same for all, or per object for `shoal inspect`). */
  rootKind: RootKind | ((item: T) => RootKind),
  options: InspectEachOptions = {},
): Promise<void> {
  // docker prints the daemon's own JSON when it kept it (`inspect`, `network inspect`), else it
  // marshals its Go value (`service inspect`, `node inspect`): field order, HTML escaped.
  const kindOf = (item: T): RootKind => (typeof rootKind === 'function' ? rootKind(item) : rootKind);
  const asPrinted = (items: T[]): unknown[] =>
    options.rawFallback ? items : items.map((item) => {
      const kind = kindOf(item);
      return 'struct' in kind && isGoType(kind.struct) ? decodeGo(item, kind.struct) : item;
    });
  const escapeHtml = options.rawFallback !== true;
  let render: ((items: T[]) => string) | undefined;
  if (format === '') render = (items) => inspectJson(asPrinted(items), escapeHtml);
  else if (format === 'json') render = (items) => `${goJson(asPrinted(items), { escapeHtml })}\n`;
  else {
    try {
      parseFormat(format);
    } catch (err) {
      // docker's inspect.Inspect exits 64 on a template it cannot parse; `service` and `node
      // inspect` parse it in their formatter, which fails with 1.
      throw new StatusError(err instanceof TemplateParseError ? err.message : String(err), options.rawFallback === true ? 64 : 1);
    }
  }
  const items: T[] = [];
  const errors: unknown[] = [];
  let text = '';
  for (const ref of refs) {
    let item: T;
    try {
      item = await get(ref);
    } catch (err) {
      errors.push(err);
      continue;
    }
    if (render) items.push(item);
    else {
      // docker's TemplateInspector: each object through the template on its own; one that fails
      // is an error in its turn, the others still print.
      const kind = kindOf(item);
      // docker decodes the JSON into its Go type (go-types).
      const typed = 'struct' in kind && isGoType(kind.struct) ? decodeGo(item, kind.struct) : withGoTypes(item, '', 'struct' in kind ? kind : undefined);
      try {
        text += renderFormat(format, [typed], {}, kind);
      } catch (err) {
        if (!options.rawFallback || !(err instanceof TemplateParseError)) {
          errors.push(err);
          continue;
        }
        // docker's tryRawInspectFallback: a template the Go struct cannot run runs again on
        // the raw JSON, with missingkey=error; its error is the one reported.
        try {
          text += renderFormat(format, [sortedKeys(item)], {}, RAW_JSON);
        } catch (rawErr) {
          errors.push(rawErr);
        }
      }
    }
  }
  // Its Flush: nothing printed is an empty line.
  out(render ? render(items) : text === '' ? '\n' : text);
  if (errors.length > 0) throw new StatusError(new MultiError(errors).message, 1);
}

export interface InspectEachOptions {
  /**
   * The Go value came with the raw JSON (docker's `…InspectWithRaw`): a template the struct
   * cannot run falls back to the JSON. `docker inspect` and `network inspect` do this; `service
   * inspect` and `node inspect` drop the raw JSON, so their struct's error stands.
   */
  rawFallback?: boolean;
}

const RAW_JSON: RootKind = { missingKeyError: true };

/** The raw JSON as Go decodes it for the fallback: objects are maps, which `json` writes sorted by key. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, sortedKeys(o[k])]),
  );
}

/** What docker 28's inspect runs a template on: each type's Go struct (template/go-types). */
export const INSPECT_ROOTS = {
  service: { struct: 'swarm.Service' },
  node: { struct: 'swarm.Node' },
  network: { struct: 'network.Inspect' },
  task: { struct: 'swarm.Task' },
} as const satisfies Record<string, RootKind>;

/** The time.Time fields of docker's swarm and network types (by JSON name). */
const TIME_KEYS = new Set(['CreatedAt', 'UpdatedAt', 'StartedAt', 'CompletedAt', 'Created', 'Timestamp', 'LastExecution']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * The time.Duration fields of docker's swarm types (by JSON name): the container spec's stop grace
 * period and health check, the restart policy, update and rollback configs, the dispatcher's
 * heartbeat period and the CA's certificate expiry. (A label or option map has string values, so
 * a key of the same name there is left alone.)
 */
const DURATION_KEYS = new Set(['StopGracePeriod', 'Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Delay', 'Window', 'Monitor', 'HeartbeatPeriod', 'NodeCertExpiry']);

/** The map[string]string fields of docker's swarm types (by JSON name). */
const STRING_MAP_KEYS = new Set(['Labels', 'Options', 'DriverOpts', 'Sysctls']);
/** The swarm.Version fields (by JSON name). */
const VERSION_KEYS = new Set(['Version', 'JobIteration']);

/**
 * A copy of `value` whose time and duration fields print as Go prints a time.Time and a
 * time.Duration in a template. Given the `struct` root of a typed inspect (a service or a node,
 * which docker decodes into its Go type), also: versions print through String(), and `index` on
 * a string map gives "" for a missing key.
 */
export function withGoTypes(value: unknown, key = '', typed?: object): unknown {
  if (typeof value === 'string') return TIME_KEYS.has(key) && RFC3339.test(value) ? new GoTime(value) : value;
  if (typeof value === 'number') return DURATION_KEYS.has(key) && Number.isInteger(value) ? new GoDuration(value) : value;
  if (Array.isArray(value)) return value.map((v) => withGoTypes(v, '', typed));
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value; // a Go value already
  const entries = Object.entries(value);
  if (typed && VERSION_KEYS.has(key) && entries.every(([k, v]) => k === 'Index' && typeof v === 'number')) {
    return new GoVersion((value as { Index?: number }).Index);
  }
  const out = Object.fromEntries(entries.map(([k, v]) => [k, withGoTypes(v, k, typed)]));
  if (typed && STRING_MAP_KEYS.has(key) && entries.every(([, v]) => typeof v === 'string')) STRING_MAPS.add(out);
  return out;
}

