// A request's JSON body as moby's handlers read it into Go types.
import type * as http from 'node:http';
import { InvalidArgumentError } from '@shoal/store';

export function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(parseJson(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** A whole body's JSON (`{}` for none); an InvalidArgumentError when it is not JSON. */
export function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  try {
    return wellFormed(JSON.parse(text), text);
  } catch (err) {
    throw err instanceof InvalidArgumentError ? err : new InvalidArgumentError(`invalid JSON: ${(err as Error).message}`);
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A request body (`value`, parsed from `text`) as Go's encoding/json would read it into moby's
 * types: a lone surrogate is U+FFFD. A key `__proto__` is refused: a manager keeps a write's
 * objects as the bytes of its Raft entry, whose decoder renames that key, so it could not be kept
 * as sent. Only a body with that text or a `\u` escape (text decoded from UTF-8 holds no lone
 * surrogate, and a key may be spelt with escapes) is walked.
 */
export function wellFormed(value: unknown, text: string): unknown {
  if (!text.includes('__proto__') && !text.includes('\\u')) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(LONE_SURROGATE, '\ufffd');
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v)) {
      if (k === '__proto__') throw new InvalidArgumentError('invalid key "__proto__": Shoal cannot store it (its Raft entries would rename it)');
      out[walk(k) as string] = walk(inner);
    }
    return out;
  };
  return walk(value);
}
