// The shared body of `node inspect` and `service inspect` without --pretty.
import { MultiError, StatusError } from '../errors';
import { TemplateParseError, parseFormat, renderFormat } from './formatter';
import { goJson, inspectJson } from './inspect-json';
import type { RootKind } from '../template/exec';
import { decodeGo, isGoType } from '../template/go-types';

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
  /** The object as docker holds it: decoded into its Go type, or the raw JSON. */
  const goValue = (item: T): unknown => {
    const kind = kindOf(item);
    return 'struct' in kind && isGoType(kind.struct) ? decodeGo(item, kind.struct) : item;
  };
  const asPrinted = (items: T[]): unknown[] => (options.rawFallback ? items : items.map(goValue));
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
      try {
        text += renderFormat(format, [goValue(item)], {}, kindOf(item));
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

/** The raw JSON, which a template runs on with missingkey=error. */
export const RAW_JSON: RootKind = { missingKeyError: true };

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
