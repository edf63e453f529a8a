// Executes parsed templates over plain JSON-like data, printing values the way
// Go's fmt does for the shapes docker templates meet (strings, numbers, maps, lists).
import { MARSHALS_ESCAPED, goJson } from '../format/inspect-json';
import { TemplateError, parseTemplate, type Arg, type BlockNode, type Pipeline, type TemplateNode } from './parse';
import { sprintf } from './sprintf';
import { goTimeMethod } from './go-time';
import { GoTime, NO_VALUE, STRING_MAPS, printValue, truthy, unwrapDuration } from './values';

export { printValue, truthy } from './values';

export type TemplateFunc = (...args: unknown[]) => unknown;

const text = (v: unknown): string => printValue(v);

function compare(x: unknown, y: unknown): number {
  const a = unwrapDuration(x);
  const b = unwrapDuration(y);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = text(a);
  const sb = text(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

const equal = (x: unknown, y: unknown): boolean => {
  const a = unwrapDuration(x);
  const b = unwrapDuration(y);
  return (a === null || a === undefined || a === NO_VALUE) && (b === null || b === undefined || b === NO_VALUE) ? true : a === b;
};

/** Go builtins plus docker's additions (templates/templates.go). */
export const BASE_FUNCS: Record<string, TemplateFunc> = {
  json: (v) =>
    goJson(v === NO_VALUE ? null : v, { escapeHtml: typeof v === 'object' && v !== null && MARSHALS_ESCAPED.has(v) }),
  split: (s, sep) => text(s).split(text(sep)),
  join: (list, sep) => (Array.isArray(list) ? list.map(text).join(text(sep)) : text(list)),
  title: (s) => text(s).replace(/(^|[\s])(\S)/g, (_m, pre: string, c: string) => pre + c.toUpperCase()),
  lower: (s) => text(s).toLowerCase(),
  upper: (s) => text(s).toUpperCase(),
  pad: (s, left, right) => ' '.repeat(Number(left)) + text(s) + ' '.repeat(Number(right)),
  truncate: (s, n) => [...text(s)].slice(0, Number(n)).join(''),
  print: (...args) => args.map(text).join(''),
  println: (...args) => `${args.map(text).join(' ')}\n`,
  printf: (fmt, ...args) => sprintf(text(fmt), args),
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : typeof v === 'object' && v !== null ? Object.keys(v).length : 0),
  index: (v, ...keys) =>
    keys.reduce((acc: unknown, k) => {
      const o = acc as Record<string, unknown> | null;
      if (o !== null && typeof o === 'object' && STRING_MAPS.has(o) && !Object.prototype.hasOwnProperty.call(o, text(k))) return '';
      return o?.[text(k)];
    }, v),
  not: (v) => !truthy(v),
  and: (...args) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
  or: (...args) => args.find((a) => truthy(a)) ?? args[args.length - 1],
  eq: (a, ...bs) => bs.some((b) => equal(a, b)),
  ne: (a, b) => !equal(a, b),
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
};

/**
 * docker's HeaderFunctions: when rendering a table header the context values are
 * header strings, so the formatting functions just pass them through.
 */
export const HEADER_FUNCS: Record<string, TemplateFunc> = {
  ...BASE_FUNCS,
  json: () => '',
  split: (s) => text(s),
  join: (s) => text(s),
  title: (s) => text(s),
  lower: (s) => text(s),
  upper: (s) => text(s),
  pad: (s) => text(s),
  truncate: (s) => text(s),
};

type Scope = Map<string, unknown>;

/**
 * What the data's top level is in docker's Go: a struct (a list's row context, named by its Go
 * type) has no field that is not there, and inspect's raw fallback runs with missingkey=error;
 * a field missing there is an error, as in Go, instead of `<no value>` (unless it is one of the
 * type's `fields` that the JSON left out as empty). Deeper levels may be maps
 * (labels), so they keep `<no value>`.
 */
export type RootKind = ({ struct: string } | { missingKeyError: true }) & {
  fields?: readonly string[];
  /** Pointer fields of the struct: left out of the JSON, a template sees nil (`<nil>`), not no value. */
  nilFields?: readonly string[];
  /**
   * Fields the JSON leaves out when empty (omitempty), or writes as null (a nil slice), as the
   * struct holds them then: 0, "", a nil slice.
   */
  zeros?: Readonly<Record<string, unknown>>;
  /** Go field names whose JSON key differs (network.Inspect's `ID` is `"Id"`). */
  jsonKeys?: Readonly<Record<string, string>>;
};

class Executor {
  private out = '';
  constructor(
    private readonly funcs: Record<string, TemplateFunc>,
    private readonly root: unknown,
    private readonly src: string,
    private readonly rootKind: RootKind | undefined,
  ) {}

  run(nodes: TemplateNode[]): string {
    this.walk(nodes, this.root, [new Map([['$', this.root]])]);
    return this.out;
  }

  private walk(nodes: TemplateNode[], dot: unknown, scopes: Scope[]): void {
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          this.out += node.text;
          break;
        case 'action': {
          const v = this.pipeline(node.pipe, dot, scopes);
          if (node.pipe.decl.length === 0) this.out += printValue(v);
          break;
        }
        case 'if': {
          const inner = [...scopes, new Map()];
          const v = this.pipeline(node.pipe, dot, inner);
          this.walk(truthy(v) ? node.list : node.elseList, dot, inner);
          break;
        }
        case 'with': {
          const inner = [...scopes, new Map()];
          const v = this.pipeline(node.pipe, dot, inner);
          if (truthy(v)) this.walk(node.list, v, inner);
          else this.walk(node.elseList, dot, inner);
          break;
        }
        case 'range':
          this.range(node, dot, scopes);
          break;
      }
    }
  }

  private range(node: BlockNode, dot: unknown, scopes: Scope[]): void {
    const decl = node.pipe.decl;
    const v = this.pipeline({ decl: [], cmds: node.pipe.cmds }, dot, scopes);
    let entries: Array<[unknown, unknown]> = [];
    if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      entries = Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]);
    } else if (typeof v === 'number') entries = Array.from({ length: v }, (_x, i) => [i, i]);
    if (entries.length === 0) {
      this.walk(node.elseList, dot, scopes);
      return;
    }
    for (const [key, elem] of entries) {
      const frame: Scope = new Map();
      if (decl.length === 1) frame.set(decl[0] as string, elem);
      if (decl.length === 2) {
        frame.set(decl[0] as string, key);
        frame.set(decl[1] as string, elem);
      }
      this.walk(node.list, elem, [...scopes, frame]);
    }
  }

  private pipeline(pipe: Pipeline, dot: unknown, scopes: Scope[]): unknown {
    let value: unknown = undefined;
    pipe.cmds.forEach((cmd, i) => {
      const piped = i > 0 ? [value] : [];
      const [first, ...rest] = cmd.args;
      if (first?.kind === 'func') {
        const fn = this.funcs[first.name];
        if (fn === undefined) throw new TemplateError(`template: :1: function "${first.name}" not defined`);
        value = fn(...rest.map((a) => this.arg(a, dot, scopes)), ...piped);
      } else if (first !== undefined) {
        const target = this.arg(first, dot, scopes);
        // A method of the value (e.g. a network row's `.Label "key"`), called with the arguments.
        if (typeof target === 'function') value = (target as (...args: unknown[]) => unknown)(...rest.map((a) => this.arg(a, dot, scopes)), ...piped);
        else if (rest.length > 0 || piped.length > 0) throw new TemplateError(`template: :1: can't give argument to non-function`);
        else value = target;
      }
    });
    if (pipe.decl.length > 0) {
      const name = pipe.decl[0] as string;
      const owner = [...scopes].reverse().find((s) => s.has(name)) ?? scopes[scopes.length - 1];
      owner?.set(name, value);
    }
    return value;
  }

  private arg(arg: Arg, dot: unknown, scopes: Scope[]): unknown {
    switch (arg.kind) {
      case 'dot':
        return dot;
      case 'string':
      case 'number':
      case 'bool':
        return arg.value;
      case 'nil':
        return null;
      case 'func': {
        const fn = this.funcs[arg.name];
        if (fn === undefined) throw new TemplateError(`template: :1: function "${arg.name}" not defined`);
        return fn();
      }
      case 'pipe':
        return this.pipeline(arg.pipe, dot, scopes);
      case 'var': {
        const scope = [...scopes].reverse().find((s) => s.has(arg.name));
        if (scope === undefined) throw new TemplateError(`template: :1: undefined variable "${arg.name}"`);
        return walkPath(scope.get(arg.name), arg.path);
      }
      case 'field': {
        if (arg.receiver === null && dot === this.root) {
          this.checkRootField(arg);
          const [name = '', ...rest] = arg.path;
          const root = this.root as Record<string, unknown> | null;
          const jsonKey = this.rootKind?.jsonKeys?.[name];
          if (jsonKey !== undefined && root !== null && typeof root === 'object') return walkPath(root[jsonKey], rest);
          if (root !== null && typeof root === 'object' && (!Object.prototype.hasOwnProperty.call(root, name) || root[name] === null)) {
            const zeros = this.rootKind?.zeros;
            if (zeros !== undefined && Object.hasOwn(zeros, name)) return walkPath(zeros[name], rest);
            if (this.rootKind?.nilFields?.includes(name) && !Object.prototype.hasOwnProperty.call(root, name)) return rest.length === 0 ? null : NO_VALUE;
          }
        }
        return walkPath(arg.receiver === null ? dot : this.arg(arg.receiver, dot, scopes), arg.path);
      }
    }
  }

  private checkRootField(arg: Extract<Arg, { kind: 'field' }>): void {
    const [name = ''] = arg.path;
    const root = this.root;
    if (this.rootKind === undefined || root === null || typeof root !== 'object') return;
    const jsonKeys = this.rootKind.jsonKeys;
    if (jsonKeys !== undefined && Object.hasOwn(jsonKeys, name)) return;
    // A JSON key the struct names otherwise ("Id" of network.Inspect's ID) is no field of the struct.
    const renamed = jsonKeys !== undefined && Object.values(jsonKeys).includes(name);
    if (!renamed && Object.prototype.hasOwnProperty.call(root, name)) return;
    if (this.rootKind.fields?.includes(name) || (this.rootKind.zeros !== undefined && Object.hasOwn(this.rootKind.zeros, name))) return;
    // Go's ErrorContext: line, then the byte offset (within its line after the first).
    const before = this.src.slice(0, arg.at);
    const nl = before.lastIndexOf('\n');
    const where = `${1 + (before.match(/\n/g)?.length ?? 0)}:${nl < 0 ? arg.at : arg.at - nl - 1}`;
    const why = 'struct' in this.rootKind ? `can't evaluate field ${name} in type ${this.rootKind.struct}` : `map has no entry for key "${name}"`;
    throw new TemplateError(`template: :${where}: executing "" at <${arg.text}>: ${why}`);
  }
}

function walkPath(start: unknown, path: string[]): unknown {
  let v = start;
  for (const name of path) {
    if (v === null || v === undefined || v === NO_VALUE) return NO_VALUE;
    if (v instanceof GoTime) {
      // A time.Time's method: its value (`.Unix`), or the function a command calls (`.Format "…"`).
      const method = goTimeMethod(v.rfc3339, name, (text) => new GoTime(text));
      if (method !== undefined) {
        v = method.value;
        continue;
      }
    }
    if (typeof v !== 'object') throw new TemplateError(`template: :1: can't evaluate field ${name} in type ${typeof v}`);
    const o = v as Record<string, unknown>;
    v = Object.prototype.hasOwnProperty.call(o, name) ? o[name] : NO_VALUE;
  }
  return v;
}

export interface CompiledTemplate {
  execute(data: unknown, funcs?: Record<string, TemplateFunc>, rootKind?: RootKind): string;
}

/** Parses once; execute with BASE_FUNCS (default) or HEADER_FUNCS. */
export function compileTemplate(src: string): CompiledTemplate {
  const nodes = parseTemplate(src);
  return {
    execute: (data, funcs = BASE_FUNCS, rootKind) => new Executor(funcs, data, src, rootKind).run(nodes),
  };
}
