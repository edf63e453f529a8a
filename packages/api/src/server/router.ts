// Minimal path router for the Engine API: `/v1.xx` prefixes, `{param}` segments.
import type { ServerResponse } from 'node:http';

export interface RouteContext {
  /** The response, with the headers every answer carries set: for a route that writes its answer itself (added with `streams`). */
  answer: () => ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  body: () => Promise<unknown>;
  apiVersion: string;
}

export type Handler = (ctx: RouteContext) => Promise<unknown>;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  streams: boolean;
}

/** The route a request's method and path found. */
export interface RouteMatch {
  handler: Handler;
  params: Record<string, string>;
  streams: boolean;
}

export interface RouteOptions {
  /** The route writes its answer itself, as a stream (through `answer()`). */
  streams?: boolean;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, options: RouteOptions = {}): this {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler, streams: options.streams === true });
    return this;
  }

  match(method: string, path: string): RouteMatch | 'method' | null {
    const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchParts(route.parts, segs);
      if (!params) continue;
      pathMatched = true;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params, streams: route.streams };
    }
    return pathMatched ? 'method' : null;
  }
}

function matchParts(parts: string[], segs: string[]): Record<string, string> | null {
  if (parts.length !== segs.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    const s = segs[i] as string;
    if (p.startsWith('{') && p.endsWith('}')) params[p.slice(1, -1)] = s;
    else if (p !== s) return null;
  }
  return params;
}
