// Executes parsed templates over plain JSON-like data, printing values the way
// Go's fmt does for the shapes docker templates meet (strings, numbers, maps, lists).
import { MARSHALS_ESCAPED, goJson } from '../format/inspect-json';
import { TemplateError, parseTemplate, type Arg, type BlockNode, type Pipeline, type TemplateNode } from './parse';
import { sprintf } from './sprintf';
import { goTimeMethod } from './go-time';
import { GoDuration, GoNilSlice, GoTime, GoVersion, NO_VALUE, STRING_MAPS, printValue, truthy, unwrapDuration } from './values';
import { GoFieldError, GoNilMap, GoNilPointer, GoPointer, GoStringer, deref, mapZero, nilPointerError, structField, structType } from './go-types';
import { formatGoDuration } from '../format/go-duration';

export { printValue, truthy } from './values';

export type TemplateFunc = (...args: unknown[]) => unknown;

const text = (v: unknown): string => printValue(v);

function compare(x: unknown, y: unknown): number {
  const a = comparable(x);
  const b = comparable(y);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = text(a);
  const sb = text(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** What Go's eq compares: a time by its instant, a version by its index, a pointer's target. */
function comparable(v: unknown): unknown {
  const d = unwrapDuration(deref(v));
  if (d instanceof GoTime) return Date.parse(d.rfc3339) * 1e6 + Number(/\.(\d+)/.exec(d.rfc3339)?.[1]?.padEnd(9, '0').slice(3, 9) ?? 0);
  if (d instanceof GoVersion) return d.Index ?? 0;
  if (d instanceof GoStringer) return d.value;
  return d;
}

const equal = (x: unknown, y: unknown): boolean => {
  const a = comparable(x);
  const b = comparable(y);
  return (a === null || a === undefined || a === NO_VALUE) && (b === null || b === undefined || b === NO_VALUE) ? true : a === b;
};

/** Go builtins plus docker's additions (templates/templates.go). */
export const BASE_FUNCS: Record<string, TemplateFunc> = {
  json: (v) =>
    goJson(v === NO_VALUE ? null : v, { escapeHtml: typeof v === 'object' && v !== null && MARSHALS_ESCAPED.has(v) }),
  split: (s, sep) => text(s).split(text(sep)),
  join: (list, sep) => (Array.isArray(list) ? list.map(text).join(text(sep)) : list instanceof GoNilSlice ? '' : text(list)),
  title: (s) => text(s).replace(/(^|[\s])(\S)/g, (_m, pre: string, c: string) => pre + c.toUpperCase()),
  lower: (s) => text(s).toLowerCase(),
  upper: (s) => text(s).toUpperCase(),
  pad: (s, left, right) => ' '.repeat(Number(left)) + text(s) + ' '.repeat(Number(right)),
  truncate: (s, n) => [...text(s)].slice(0, Number(n)).join(''),
  print: (...args) => args.map(text).join(''),
  println: (...args) => `${args.map(text).join(' ')}\n`,
  printf: (fmt, ...args) => sprintf(text(fmt), args),
  len: (x) => {
    const v = deref(x);
    return Array.isArray(v) || typeof v === 'string' ? v.length : typeof v === 'object' && v !== null ? Object.keys(v).length : 0;
  },
  index: (v, ...keys) =>
    keys.reduce((acc: unknown, k) => {
      if (acc instanceof GoNilMap) return GoNilMap.elemZero(acc);
      const o = deref(acc) as Record<string, unknown> | null;
      const zero = mapZero(o);
      if (zero !== undefined && !Object.prototype.hasOwnProperty.call(o, text(k))) return zero.zero;
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
    else if (v instanceof GoNilPointer) entries = [];
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
        try {
          return walkPath(scope.get(arg.name), arg.path, this.strict());
        } catch (err) {
          if (!(err instanceof GoFieldError)) throw err;
          // `$x.A.B` is a chain too: positioned at the first field after the variable.
          throw new TemplateError(`template: :${this.where(arg.at + arg.name.length)}: executing "" at <${arg.text}>: ${err.message}`);
        }
      }
      case 'field': {
        try {
          return this.field(arg, dot, scopes);
        } catch (err) {
          if (!(err instanceof GoFieldError)) throw err;
          throw new TemplateError(`template: :${this.where(fieldPos(arg))}: executing "" at <${arg.text}>: ${err.message}`);
        }
      }
    }
  }

  private field(arg: Extract<Arg, { kind: 'field' }>, dot: unknown, scopes: Scope[]): unknown {
    // A decoded Go struct (go-types) answers for its own fields at every depth; plain JSON at the
    // top level goes by the root kind's list of fields.
    if (arg.receiver === null && dot === this.root && structType(this.root) === undefined) this.checkRootField(arg);
    return walkPath(arg.receiver === null ? dot : this.arg(arg.receiver, dot, scopes), arg.path, this.strict());
  }

  /** missingkey=error (inspect's raw fallback): a key missing at any depth is an error. */
  private strict(): boolean {
    return this.rootKind !== undefined && 'missingKeyError' in this.rootKind;
  }

  /** Go's ErrorContext: line, then the byte offset (within its line after the first). */
  private where(at: number): string {
    const before = this.src.slice(0, at);
    const nl = before.lastIndexOf('\n');
    return `${1 + (before.match(/\n/g)?.length ?? 0)}:${nl < 0 ? at : at - nl - 1}`;
  }

  private checkRootField(arg: Extract<Arg, { kind: 'field' }>): void {
    const [name = ''] = arg.path;
    const root = this.root;
    if (this.rootKind === undefined || root === null || typeof root !== 'object' || Object.prototype.hasOwnProperty.call(root, name)) return;
    if (this.rootKind.fields?.includes(name)) return;
    const where = this.where(fieldPos(arg));
    const why = 'struct' in this.rootKind ? `can't evaluate field ${name} in type ${this.rootKind.struct}` : `map has no entry for key "${name}"`;
    throw new TemplateError(`template: :${where}: executing "" at <${arg.text}>: ${why}`);
  }
}

/**
 * Where Go's errors place a field: `.A.B.C` is one chain node, positioned at its second
 * segment (parse's newChain at the token after the first).
 */
function fieldPos(arg: Extract<Arg, { kind: 'field' }>): number {
  return arg.receiver === null && arg.path.length >= 2 ? arg.at + 1 + (arg.path[0] as string).length : arg.at;
}

function walkPath(start: unknown, path: string[], missingKeyError = false): unknown {
  let v = start;
  for (const name of path) {
    // Go names a field's type as the pointer it was reached through (`*time.Duration`).
    const star = v instanceof GoPointer ? '*' : '';
    v = deref(v);
    if (v instanceof GoNilPointer) throw nilPointerError(v, name);
    if (v === null || v === undefined || v === NO_VALUE || v instanceof GoNilMap) return NO_VALUE;
    const struct = structType(v);
    if (struct !== undefined) {
      v = structField(v as object, struct, name);
      continue;
    }
    if (v instanceof GoTime) {
      // A time.Time's method: its value (`.Unix`), or the function a command calls (`.Format "…"`).
      const method = goTimeMethod(v.rfc3339, name, (text) => new GoTime(text));
      if (method === undefined) throw new GoFieldError(`can't evaluate field ${name} in type time.Time`);
      v = method.value;
      continue;
    }
    if (v instanceof GoDuration) {
      v = durationMethod(v.ns, name, star);
      continue;
    }
    if (v instanceof GoVersion && name !== 'Index') {
      if (name !== 'String') throw new GoFieldError(`can't evaluate field ${name} in type swarm.Version`);
      v = String(v.Index ?? 0);
      continue;
    }
    if (typeof v !== 'object' || Array.isArray(v) || v instanceof GoNilSlice || v instanceof GoStringer) {
      throw new GoFieldError(`can't evaluate field ${name} in type ${missingKeyError ? 'interface {}' : star + goTypeName(v)}`);
    }
    const o = v as Record<string, unknown>;
    if (missingKeyError && !Array.isArray(o) && !Object.prototype.hasOwnProperty.call(o, name)) throw new GoFieldError(`map has no entry for key "${name}"`);
    v = Object.prototype.hasOwnProperty.call(o, name) ? o[name] : NO_VALUE;
  }
  return v;
}

/** A time.Duration's methods a template can call without arguments. */
function durationMethod(ns: number, name: string, star: string): unknown {
  switch (name) {
    case 'String':
      return formatGoDuration(ns);
    case 'Nanoseconds':
      return ns;
    case 'Microseconds':
      return Math.trunc(ns / 1e3);
    case 'Milliseconds':
      return Math.trunc(ns / 1e6);
    case 'Seconds':
      return ns / 1e9;
    case 'Minutes':
      return ns / 6e10;
    case 'Hours':
      return ns / 3.6e12;
    default:
      throw new GoFieldError(`can't evaluate field ${name} in type ${star}time.Duration`);
  }
}

/** The Go type a JSON value has in a field error. */
function goTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (v instanceof GoStringer) return 'os.FileMode';
  return '[]string';
}

export interface CompiledTemplate {
  execute(data: unknown, funcs?: Record<string, TemplateFunc>, rootKind?: RootKind): string;
}

/** The functions Go's parser accepts in docker's templates: text/template's builtins and docker's own. */
const PARSE_FUNCS = new Set([
  ...['and', 'call', 'html', 'index', 'slice', 'js', 'len', 'not', 'or', 'print', 'printf', 'println', 'urlquery'],
  ...['eq', 'ge', 'gt', 'le', 'lt', 'ne'],
  ...['json', 'split', 'join', 'title', 'lower', 'upper', 'pad', 'truncate'],
]);

/** Go's parser refuses a function it does not know before anything runs. */
function checkFunctions(nodes: readonly TemplateNode[]): void {
  const pipe = (p: Pipeline): void => p.cmds.forEach((c) => c.args.forEach(arg));
  const arg = (a: Arg): void => {
    if (a.kind === 'func' && !PARSE_FUNCS.has(a.name)) throw new TemplateError(`template: :1: function "${a.name}" not defined`);
    if (a.kind === 'pipe') pipe(a.pipe);
    if (a.kind === 'field' && a.receiver !== null) arg(a.receiver);
  };
  for (const node of nodes) {
    if (node.kind === 'action') pipe(node.pipe);
    else if (node.kind !== 'text') {
      pipe(node.pipe);
      checkFunctions(node.list);
      checkFunctions(node.elseList);
    }
  }
}

/** Parses once; execute with BASE_FUNCS (default) or HEADER_FUNCS. */
export function compileTemplate(src: string): CompiledTemplate {
  const nodes = parseTemplate(src);
  checkFunctions(nodes);
  return {
    execute: (data, funcs = BASE_FUNCS, rootKind) => new Executor(funcs, data, src, rootKind).run(nodes),
  };
}
