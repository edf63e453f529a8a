import { describe, expect, it } from 'vitest';
import { HEADER_FUNCS, compileTemplate } from './exec';
import { formatGoDuration } from '../format/go-duration';
import { GoDuration } from './values';

const run = (src: string, data: unknown): string => compileTemplate(src).execute(data);

const node = {
  ID: 'abc',
  Spec: { Role: 'manager', Labels: { zone: 'east', disk: 'ssd' } },
  Status: { State: 'ready', Addr: '10.0.0.1' },
  Plugins: [{ Name: 'bridge' }, { Name: 'overlay' }],
};

describe('go template subset', () => {
  it('reads fields and nested fields', () => {
    expect(run('{{.ID}}: {{.Status.State}} {{ .Spec.Role }}', node)).toBe('abc: ready manager');
  });

  it('prints a missing key as <no value> and maps in Go form', () => {
    expect(run('{{.Nope}}|{{.Spec.Labels}}', node)).toBe('<no value>|map[disk:ssd zone:east]');
  });

  it('supports if/else if/else with trim markers', () => {
    const t = '{{if eq .Spec.Role "worker"}}W{{else if eq .Spec.Role "manager" -}}  M  {{- else}}?{{end}}';
    expect(run(t, node)).toBe('M');
    expect(run('{{if .Nope}}yes{{else}}no{{end}}', node)).toBe('no');
  });

  it('ranges over maps in key order and lists with variables', () => {
    expect(run('{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}};{{end}}', node)).toBe('disk=ssd;zone=east;');
    expect(run('{{range .Plugins}}{{.Name}} {{end}}', node)).toBe('bridge overlay ');
    expect(run('{{range .Empty}}x{{else}}none{{end}}', { Empty: [] })).toBe('none');
  });

  it('has docker functions: json, join, upper, lower, title, pad, truncate, split, printf', () => {
    expect(run('{{json .Spec.Labels}}', node)).toBe('{"zone":"east","disk":"ssd"}');
    expect(run('{{json .}}', { A: '<b>' })).toBe('{"A":"<b>"}');
    expect(run('{{join (split "a,b" ",") "-"}}', {})).toBe('a-b');
    expect(run('{{upper .ID}} {{lower "X"}} {{title "hello world"}}', node)).toBe('ABC x Hello World');
    expect(run('[{{pad .ID 1 2}}] {{truncate "abcdef" 3}}', node)).toBe('[ abc  ] abc');
    expect(run('{{printf "%-6s|%3d|%q" .ID 7 "x"}}', node)).toBe('abc   |  7|"x"');
    expect(run('{{.ID | printf "<%s>"}}', node)).toBe('<abc>');
    expect(run('{{index .Spec.Labels "zone"}} {{len .Plugins}}', node)).toBe('east 2');
  });

  it('uses header functions that pass titles through', () => {
    expect(compileTemplate('{{upper .Hostname}}\t{{json .ID}}').execute({ Hostname: 'HOSTNAME', ID: 'ID' }, HEADER_FUNCS)).toBe(
      'HOSTNAME\t',
    );
  });

  it('declares variables and supports with', () => {
    expect(run('{{$r := .Spec.Role}}{{with .Status}}{{.State}}/{{$r}}{{end}}', node)).toBe('ready/manager');
    expect(run('{{/* comment */}}x', {})).toBe('x');
  });

  it('rejects bad templates', () => {
    expect(() => compileTemplate('{{.ID')).toThrow('unclosed action');
    expect(() => compileTemplate('{{if .ID}}x')).toThrow('unexpected EOF');
    expect(() => run('{{nosuch .ID}}', node)).toThrow('function "nosuch" not defined');
  });
});

describe('time.Duration values (GoDuration)', () => {
  const spec = { Monitor: new GoDuration(5_000_000_000), Delay: new GoDuration(0), Grace: new GoDuration(90_500_000_000) };

  it('print as Go\'s Duration.String()', () => {
    const cases: Array<[number, string]> = [
      [0, '0s'],
      [1, '1ns'],
      [1_500, '1.5µs'],
      [100_000_000, '100ms'],
      [1_234_567, '1.234567ms'],
      [10_000_000_000, '10s'],
      [90_500_000_000, '1m30.5s'],
      [3_600_000_000_000, '1h0m0s'],
      [7_384_000_000_000, '2h3m4s'],
      [-2_000_000_000, '-2s'],
      [2_160_000_000_000_000, '600h0m0s'],
    ];
    for (const [ns, text] of cases) expect(formatGoDuration(ns)).toBe(text);
    expect(run('{{.Monitor}} {{.Delay}} {{.Grace}}', spec)).toBe('5s 0s 1m30.5s');
  });

  it('are numbers to json, %d, comparisons and truth; strings to %s and %v', () => {
    expect(run('{{json .Monitor}} {{printf "%d|%s|%v" .Monitor .Monitor .Monitor}}', spec)).toBe('5000000000 5000000000|5s|5s');
    expect(run('{{eq .Monitor 5000000000}} {{gt .Grace .Monitor}} {{lt .Delay 1}}', spec)).toBe('true true true');
    expect(run('{{if .Delay}}set{{else}}zero{{end}} {{if .Monitor}}set{{end}}', spec)).toBe('zero set');
  });
});
