// The shared body of `node inspect` and `service inspect` without --pretty.
import { MultiError, StatusError } from '../errors';
import { TemplateParseError, parseFormat, renderFormat } from './formatter';
import { goJson, inspectJson } from './inspect-json';

/**
 * `inspect` without `--pretty`: fetch every reference (collecting failures like docker does),
 * print them as JSON or through a Go template, then fail if any reference failed.
 */
export async function inspectEach<T>(
  out: (text: string) => void,
  refs: readonly string[],
  format: string,
  get: (ref: string) => Promise<T>,
): Promise<void> {
  let render: (items: T[]) => string;
  if (format === '') render = inspectJson;
  else if (format === 'json') render = (items) => `${goJson(items)}\n`;
  else {
    try {
      parseFormat(format);
    } catch (err) {
      throw new StatusError(err instanceof TemplateParseError ? err.message : String(err), 64);
    }
    render = (items) => (items.length === 0 ? '\n' : renderFormat(format, items, {}));
  }
  const items: T[] = [];
  const errors: unknown[] = [];
  for (const ref of refs) {
    try {
      items.push(await get(ref));
    } catch (err) {
      errors.push(err);
    }
  }
  out(render(items));
  if (errors.length > 0) throw new StatusError(new MultiError(errors).message, 1);
}
