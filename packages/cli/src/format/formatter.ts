// docker's formatter.Context.Write: a --format string (`table …`, `json` or a Go
// template) rendered once per item, tables laid out with the tabwriter.
import { HEADER_FUNCS, compileTemplate, type CompiledTemplate, type RootKind } from '../template/exec';
import { MARSHALS_ESCAPED } from './inspect-json';
import { TabWriter } from './tabwriter';

export const TABLE_FORMAT_KEY = 'table';
export const JSON_FORMAT_KEY = 'json';

export class TemplateParseError extends Error {
  constructor(cause: unknown) {
    super(`template parsing error: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'TemplateParseError';
  }
}

export const isTableFormat = (format: string): boolean => format.startsWith(TABLE_FORMAT_KEY);

/** The template text docker actually executes for a --format value. */
export function finalFormat(format: string): string {
  let f = format;
  if (isTableFormat(f)) f = f.slice(TABLE_FORMAT_KEY.length);
  else if (f === JSON_FORMAT_KEY) f = '{{json .}}';
  f = f.replace(/^ +| +$/g, '');
  return f.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

export function parseFormat(format: string): CompiledTemplate {
  try {
    return compileTemplate(finalFormat(format));
  } catch (err) {
    throw new TemplateParseError(err);
  }
}

/**
 * Renders `items` with `format`. `header` maps each context field to its column
 * title; it is only used by table formats. `rootKind` says what an item is in docker's Go.
 */
export function renderFormat(format: string, items: readonly unknown[], header: Readonly<Record<string, string>>, rootKind?: RootKind): string {
  const tmpl = parseFormat(format);
  // docker's list contexts (`*service.serviceContext`…) marshal themselves with json.Marshal.
  const context = rootKind !== undefined && 'struct' in rootKind && rootKind.struct.endsWith('Context');
  let body = '';
  try {
    for (const item of items) {
      const marked = context && typeof item === 'object' && item !== null;
      if (marked) MARSHALS_ESCAPED.add(item);
      try {
        body += `${tmpl.execute(item, undefined, rootKind)}\n`;
      } finally {
        if (marked) MARSHALS_ESCAPED.delete(item);
      }
    }
  } catch (err) {
    throw new TemplateParseError(err); // docker wraps execution errors the same way
  }
  if (!isTableFormat(format)) return body;
  const tw = new TabWriter();
  tw.write(tmpl.execute(header, HEADER_FUNCS));
  tw.write('\n');
  tw.write(body);
  return tw.flush();
}
