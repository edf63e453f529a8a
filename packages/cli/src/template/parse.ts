// Parser for the subset of Go text/template that docker's --format flags use:
// fields, variables, pipelines, functions, if/else if/else, range, with,
// comments and {{- -}} trimming.

export type Arg =
  | { kind: 'dot' }
  /** `at`: the field's offset in the template source, `text` as written (Go's error context). */
  | { kind: 'field'; receiver: Arg | null; path: string[]; at: number; text: string }
  | { kind: 'var'; name: string; path: string[]; at: number; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'func'; name: string }
  | { kind: 'pipe'; pipe: Pipeline };

export interface Command {
  args: Arg[];
}

export interface Pipeline {
  decl: string[];
  cmds: Command[];
}

export interface BlockNode {
  kind: 'if' | 'with' | 'range';
  pipe: Pipeline;
  list: TemplateNode[];
  elseList: TemplateNode[];
}

export type TemplateNode = { kind: 'text'; text: string } | { kind: 'action'; pipe: Pipeline } | BlockNode;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

interface RawAction {
  kind: 'text' | 'action';
  text: string;
  /** Offset of `text` in the source. */
  at: number;
}

/** Splits the source into text and `{{…}}` actions, applying trim markers. */
function scan(src: string): RawAction[] {
  const out: RawAction[] = [];
  let pos = 0;
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    if (open < 0) {
      out.push({ kind: 'text', text: src.slice(pos), at: pos });
      break;
    }
    let text = src.slice(pos, open);
    let inner = open + 2;
    if (/^-[ \t\r\n]/.test(src.slice(inner, inner + 2))) {
      text = text.replace(/[ \t\r\n]+$/, '');
      inner += 1;
    }
    if (text !== '') out.push({ kind: 'text', text, at: pos });
    const close = findClose(src, inner);
    if (close < 0) throw new TemplateError('template: :1: unclosed action');
    let body = src.slice(inner, close);
    pos = close + 2;
    if (/[ \t\r\n]-$/.test(body)) {
      body = body.slice(0, -1);
      const m = /^[ \t\r\n]*/.exec(src.slice(pos));
      pos += m?.[0].length ?? 0;
    }
    const trimmed = body.trim();
    const at = inner + (body.length - body.trimStart().length);
    if (!(trimmed.startsWith('/*') && trimmed.endsWith('*/'))) out.push({ kind: 'action', text: trimmed, at });
  }
  return out;
}

/** Index of the `}}` closing an action, skipping quoted strings. */
function findClose(src: string, from: number): number {
  for (let i = from; i < src.length; i++) {
    const ch = src[i];
    if (ch === '"' || ch === '`') {
      const quote = ch;
      for (i++; i < src.length && src[i] !== quote; i++) if (quote === '"' && src[i] === '\\') i++;
    } else if (ch === '}' && src[i + 1] === '}') {
      return i;
    }
  }
  return -1;
}

type Token = { t: 'word' | 'string' | 'number' | 'punct'; v: string; at: number };

/** Tokens of an action whose text starts at offset `base` of the source. */
function tokenize(action: string, base: number): Token[] {
  const tokens: Token[] = [];
  const re =
    /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(:=|[|(),=])|((?:\$[A-Za-z0-9_]*|\.?[A-Za-z_][A-Za-z0-9_]*|\.)(?:\.[A-Za-z_][A-Za-z0-9_]*)*))/y;
  let pos = 0;
  while (pos < action.length) {
    re.lastIndex = pos;
    const m = re.exec(action);
    if (m === null || m[0].trim() === '') {
      if (action.slice(pos).trim() === '') break;
      throw new TemplateError(`template: :1: unexpected "${action.slice(pos).trim().charAt(0)}" in command`);
    }
    pos = re.lastIndex;
    const at = base + pos - (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? '').length;
    if (m[1] !== undefined) tokens.push({ t: 'string', v: JSON.parse(m[1]) as string, at });
    else if (m[2] !== undefined) tokens.push({ t: 'string', v: m[2].slice(1, -1), at });
    else if (m[3] !== undefined) tokens.push({ t: 'number', v: m[3], at });
    else if (m[4] !== undefined) tokens.push({ t: 'punct', v: m[4], at });
    else if (m[5] !== undefined) tokens.push({ t: 'word', v: m[5], at });
  }
  return tokens;
}

class PipelineParser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Pipeline {
    const pipe = this.pipeline();
    if (this.i < this.tokens.length) throw new TemplateError(`template: :1: unexpected "${this.tokens[this.i]?.v}" in operand`);
    return pipe;
  }

  private pipeline(): Pipeline {
    const decl: string[] = [];
    const save = this.i;
    // `$x :=` or `$k, $v :=`
    while (this.peek()?.t === 'word' && this.peek()?.v.startsWith('$')) {
      decl.push(this.tokens[this.i++]?.v ?? '');
      if (this.peek()?.v === ',') this.i++;
      else break;
    }
    if (decl.length > 0 && (this.peek()?.v === ':=' || this.peek()?.v === '=')) this.i++;
    else {
      decl.length = 0;
      this.i = save;
    }
    const cmds: Command[] = [this.command()];
    while (this.peek()?.v === '|') {
      this.i++;
      cmds.push(this.command());
    }
    return { decl, cmds };
  }

  private command(): Command {
    const args: Arg[] = [];
    for (let tok = this.peek(); tok !== undefined && tok.v !== '|' && tok.v !== ')'; tok = this.peek()) {
      args.push(this.operand());
    }
    if (args.length === 0) throw new TemplateError('template: :1: missing value for command');
    return { args };
  }

  private operand(): Arg {
    const tok = this.tokens[this.i++] as Token;
    if (tok.t === 'string') return { kind: 'string', value: tok.v };
    if (tok.t === 'number') return { kind: 'number', value: Number(tok.v) };
    if (tok.v === '(') {
      const pipe = this.pipeline();
      if (this.tokens[this.i++]?.v !== ')') throw new TemplateError('template: :1: unclosed left paren');
      // `(pipeline).Field`
      const next = this.peek();
      if (next?.t === 'word' && next.v.startsWith('.') && next.v !== '.') {
        this.i++;
        return { kind: 'field', receiver: { kind: 'pipe', pipe }, path: next.v.slice(1).split('.'), at: next.at, text: next.v };
      }
      return { kind: 'pipe', pipe };
    }
    if (tok.t === 'punct') throw new TemplateError(`template: :1: unexpected "${tok.v}" in operand`);
    const w = tok.v;
    if (w === '.') return { kind: 'dot' };
    if (w.startsWith('.')) return { kind: 'field', receiver: null, path: w.slice(1).split('.'), at: tok.at, text: w };
    if (w.startsWith('$')) {
      const [name = '$', ...path] = w.split('.');
      return { kind: 'var', name, path, at: tok.at, text: w };
    }
    if (w === 'true' || w === 'false') return { kind: 'bool', value: w === 'true' };
    if (w === 'nil') return { kind: 'nil' };
    return { kind: 'func', name: w };
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
}

function parsePipeline(text: string, at: number): Pipeline {
  return new PipelineParser(tokenize(text, at)).parse();
}

/** Parses a template into a node list. */
export function parseTemplate(src: string): TemplateNode[] {
  const items = scan(src);
  let idx = 0;

  // Returns the list and the keyword that ended it (`end`, `else…`, or EOF).
  const list = (): { nodes: TemplateNode[]; end: string; endAt: number } => {
    const nodes: TemplateNode[] = [];
    while (idx < items.length) {
      const item = items[idx++] as RawAction;
      if (item.kind === 'text') {
        nodes.push({ kind: 'text', text: item.text });
        continue;
      }
      const word = /^[a-z]+/.exec(item.text)?.[0] ?? '';
      if (word === 'end' || word === 'else') return { nodes, end: item.text, endAt: item.at };
      if (word === 'if' || word === 'with' || word === 'range') {
        nodes.push(block(word, item.text.slice(word.length), item.at + word.length));
      } else {
        nodes.push({ kind: 'action', pipe: parsePipeline(item.text, item.at) });
      }
    }
    return { nodes, end: '', endAt: src.length };
  };

  const block = (kind: 'if' | 'with' | 'range', pipeText: string, at: number): TemplateNode => {
    const pipe = parsePipeline(pipeText, at);
    const body = list();
    let elseList: TemplateNode[] = [];
    if (body.end === 'else') {
      const rest = list();
      if (rest.end !== 'end') throw new TemplateError(`template: :1: unexpected EOF`);
      elseList = rest.nodes;
    } else if (body.end.startsWith('else ')) {
      // `{{else if x}}` / `{{else with x}}` nest a block that shares our {{end}}.
      const chained = body.end.slice(5).trim();
      const word = /^[a-z]+/.exec(chained)?.[0];
      if (word !== 'if' && word !== 'with') throw new TemplateError(`template: :1: unexpected ${JSON.stringify(body.end)}`);
      const chainedAt = body.endAt + body.end.length - chained.length;
      elseList = [block(word, chained.slice(word.length), chainedAt + word.length)];
    } else if (body.end !== 'end') {
      throw new TemplateError(`template: :1: unexpected EOF`);
    }
    return { kind, pipe, list: body.nodes, elseList };
  };

  const top = list();
  if (top.end !== '') throw new TemplateError(`template: :1: unexpected {{${top.end}}}`);
  return top.nodes;
}
