#!/usr/bin/env node
// Writes packages/cli/src/template/go-types.generated.ts: the Go types docker's templates run on
// for `inspect` (swarm.Service, swarm.Node, swarm.Task, network.Inspect and what they reach),
// read from moby's api/types at a release tag. A developer tool: it needs a git clone of
// moby/moby (the first argument; default /work/.mirror/moby+moby/repo) and prints what it could
// not resolve.
//   node scripts/gen-go-types.mjs [MOBY_GIT_DIR] [TAG]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = process.argv[2] ?? '/work/.mirror/moby+moby/repo';
const tag = process.argv[3] ?? 'v28.2.2';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOTS = ['swarm.Service', 'swarm.Node', 'swarm.Task', 'network.Inspect'];
const PACKAGES = ['swarm', 'swarm/runtime', 'mount', 'container', 'network', 'strslice'];

const git = (...args) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

/** Types from outside moby's api/types that the roots reach. */
const EXTERNAL = {
  'time.Time': { kind: 'named', underlying: 'time', stringer: true },
  'time.Duration': { kind: 'named', underlying: 'int64', stringer: true },
  'os.FileMode': { kind: 'named', underlying: 'uint32', stringer: true },
  // github.com/moby/docker-image-spec/specs-go/v1, package v1.
  'v1.HealthcheckConfig': {
    kind: 'struct',
    fields: [
      ['Test', 'Test', '[]string', true],
      ['Interval', 'Interval', 'time.Duration', true],
      ['Timeout', 'Timeout', 'time.Duration', true],
      ['StartPeriod', 'StartPeriod', 'time.Duration', true],
      ['StartInterval', 'StartInterval', 'time.Duration', true],
      ['Retries', 'Retries', 'int', true],
    ],
  },
  'units.Ulimit': { kind: 'struct', stringer: true, fields: [['Name', 'Name', 'string', false], ['Hard', 'Hard', 'int64', false], ['Soft', 'Soft', 'int64', false]] },
};

const types = { ...EXTERNAL };
const stringers = new Set();

for (const pkgPath of PACKAGES) {
  const pkg = pkgPath.split('/').pop();
  const files = git('ls-tree', '--name-only', `${tag}:api/types/${pkgPath}/`)
    .split('\n')
    .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go') && !f.endsWith('_windows.go'));
  for (const file of files) parseFile(pkg, git('show', `${tag}:api/types/${pkgPath}/${file}`));
}

function qualify(pkg, expr) {
  expr = expr.trim();
  if (expr.startsWith('*')) return `*${qualify(pkg, expr.slice(1))}`;
  if (expr.startsWith('[]')) return `[]${qualify(pkg, expr.slice(2))}`;
  const map = /^map\[([^\]]+)\](.+)$/.exec(expr);
  if (map) return `map[${qualify(pkg, map[1])}]${qualify(pkg, map[2])}`;
  if (expr === 'interface{}' || expr === 'any' || expr === 'struct{}' || expr === 'inline-struct') return expr === 'inline-struct' ? 'inline.struct' : expr === 'struct{}' ? 'struct{}' : 'any';
  if (/^(string|bool|u?int(8|16|32|64)?|float(32|64)|byte|rune|uintptr)$/.test(expr)) return expr === 'byte' ? 'uint8' : expr;
  if (expr.includes('.')) return expr;
  return `${pkg}.${expr}`;
}

function parseFile(pkg, src) {
  const text = src.replace(/\/\*[\s\S]*?\*\//g, '');
  for (const m of text.matchAll(/^func \(\w*\s*\*?(\w+)\) String\(\) string/gm)) stringers.add(`${pkg}.${m[1]}`);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\/\/.*$/, '');
    let m = /^type (\w+) struct \{\s*$/.exec(line);
    if (m) {
      const fields = [];
      for (i++; i < lines.length && !/^\}/.test(lines[i]); i++) {
        const f = lines[i].replace(/\/\/.*$/, '').trim();
        if (f === '') continue;
        const tagText = /`([^`]*)`/.exec(f)?.[1] ?? '';
        const decl = f.replace(/`[^`]*`/, '').trim();
        const json = /json:"([^"]*)"/.exec(tagText)?.[1];
        const [jsonName = '', ...opts] = (json ?? '').split(',');
        const omitempty = opts.includes('omitempty');
        const parts = decl.split(/\s+/);
        if (parts.length === 1) {
          // An embedded type: Go's JSON flattens its fields into this one.
          const t = qualify(pkg, parts[0]);
          fields.push([t.replace(/^\*?[\w]+\./, ''), '', t, false, true]);
          continue;
        }
        const names = decl.slice(0, decl.search(/\s/)).split(',');
        let typeExpr = decl.slice(decl.search(/\s/)).trim().replace(/struct\s*\{\s*\}/g, 'struct{}');
        if (/struct\s*\{$/.test(typeExpr)) {
          // An inline struct type: not among the types the roots reach (checked below).
          while (i < lines.length && !/^\s*\}/.test(lines[i + 1] ?? '}')) i++;
          i++;
          typeExpr = 'inline-struct';
        }
        for (const name of names) {
          if (!/^[A-Z]/.test(name) || jsonName === '-') continue; // unexported or not in the JSON
          fields.push([name, jsonName || name, qualify(pkg, typeExpr), omitempty]);
        }
      }
      types[`${pkg}.${m[1]}`] = { kind: 'struct', fields };
      continue;
    }
    m = /^type (\w+) struct\s*\{\s*\}/.exec(line);
    if (m) {
      types[`${pkg}.${m[1]}`] = { kind: 'struct', fields: [] };
      continue;
    }
    m = /^type (\w+) = (\S+)/.exec(line);
    if (m) {
      // An alias: the type it names (Go prints the aliased type's name).
      types[`${pkg}.${m[1]}`] ??= { kind: 'alias', of: qualify(pkg, m[2]).replace(/^dockerspec\./, 'v1.') };
      continue;
    }
    m = /^type (\w+) (?!struct|interface|=)(.+)$/.exec(line);
    if (m && !m[2].trim().startsWith('func')) types[`${pkg}.${m[1]}`] ??= { kind: 'named', underlying: qualify(pkg, m[2]) };
  }
}

for (const name of stringers) if (types[name]) types[name].stringer = true;

// Keep what the roots reach.
const keep = new Map();
const missing = new Set();
const visit = (expr) => {
  const base = expr.replace(/^(\*|\[\]|map\[[^\]]+\])+/, '');
  const map = /^map\[([^\]]+)\](.+)$/.exec(expr.replace(/^(\*|\[\])+/, ''));
  if (map) {
    visit(map[1]);
    visit(map[2]);
    return;
  }
  if (!base.includes('.')) return;
  if (keep.has(base)) return;
  const t = types[base];
  if (!t) {
    missing.add(base);
    return;
  }
  keep.set(base, t);
  if (t.kind === 'struct') for (const f of t.fields) visit(f[2]);
  else if (t.kind === 'alias') visit(t.of);
  else visit(t.underlying);
};
ROOTS.forEach(visit);

const sorted = [...keep.keys()].sort();
let out = `// Generated by scripts/gen-go-types.mjs from moby/moby ${tag} api/types: do not edit.
// The Go types docker's templates run on for inspect, as far as a template can tell them apart:
// each struct's fields in order as [Go name, JSON key ('' for an embedded struct, whose fields
// the JSON flattens), type, omitempty, embedded?]; a named type's underlying type; whether the
// type prints through a String() method.
import type { GoTypeDef } from './go-types';

export const GO_TYPES: Readonly<Record<string, GoTypeDef>> = {\n`;
for (const name of sorted) out += `  '${name}': ${JSON.stringify(keep.get(name))},\n`;
out += '};\n';
const target = join(root, 'packages/cli/src/template/go-types.generated.ts');
writeFileSync(target, out);
console.log(`wrote ${target}: ${sorted.length} types`);
if (missing.size) console.log(`not resolved: ${[...missing].sort().join(', ')}`);
