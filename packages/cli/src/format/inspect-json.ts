// JSON as Go's encoding/json writes it, for `inspect` output and the `json`
// template function.
import { bytesBase64, marshalStruct, structType } from '../template/go-types';

export interface GoJsonOptions {
  /** MarshalIndent's indent; docker's inspect uses four spaces. */
  indent?: string;
  /** json.Marshal escapes <, > and & unless an encoder turns it off. */
  escapeHtml?: boolean;
}

/**
 * Marks an object whose Go type marshals itself with json.Marshal (docker's list contexts:
 * `formatter.MarshalJSON`): the template `json` function, which does not escape HTML, still
 * shows `->` as `-\u003e` for it.
 */
export const MARSHALS_ESCAPED = new WeakSet<object>();

/** A decoded Go struct marshals as Go's json does: its fields in order, with omitempty. */
function goStructs(this: unknown, _key: string, value: unknown): unknown {
  const type = structType(value);
  return type === undefined ? (bytesBase64(value) ?? value) : marshalStruct(value as object, type);
}

export function goJson(value: unknown, opts: GoJsonOptions = {}): string {
  let s = JSON.stringify(value ?? null, goStructs, opts.indent) ?? 'null';
  s = s.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  if (opts.escapeHtml !== false) {
    s = s.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  }
  return s;
}

/** `docker … inspect` with no --format: a 4-space indented array and a newline. */
export function inspectJson(items: readonly unknown[], escapeHtml = true): string {
  if (items.length === 0) return '[]\n';
  return `${goJson(items, { indent: '    ', escapeHtml })}\n`;
}
