import { describe, expect, it } from 'vitest';
import { HEADER_FUNCS, compileTemplate } from './exec';
import { formatGoDuration } from '../format/go-duration';
import { GoDuration, GoTime } from './values';

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

describe("time.Time fields' methods", () => {
  const svc = { CreatedAt: new GoTime('2026-11-28T12:02:07.47Z'), Zero: new GoTime('0001-01-01T00:00:00Z'), Off: new GoTime('2026-11-28T23:30:00.000000001+01:30') };

  it('as Go computes them: Unix, UnixMilli, UnixNano, the calendar fields, IsZero, UTC, String', () => {
    expect(run('{{.CreatedAt.Unix}} {{.CreatedAt.UnixMilli}} {{.CreatedAt.UnixNano}}', svc)).toBe('1795867327 1795867327470 1795867327470000000');
    expect(run('{{.CreatedAt.Year}} {{.CreatedAt.Month}} {{.CreatedAt.Day}} {{.CreatedAt.Weekday}} {{.CreatedAt.YearDay}}', svc)).toBe('2026 November 28 Saturday 332');
    expect(run('{{.CreatedAt.Hour}}:{{.CreatedAt.Minute}}:{{.CreatedAt.Second}} {{.CreatedAt.Nanosecond}}', svc)).toBe('12:2:7 470000000');
    expect(run('{{.Zero.IsZero}} {{.CreatedAt.IsZero}} {{if .Zero.IsZero}}unset{{end}}', svc)).toBe('true false unset');
    expect(run('{{.CreatedAt.String}} | {{.CreatedAt.UTC.Unix}}', svc)).toBe('2026-11-28 12:02:07.47 +0000 UTC | 1795867327');
    // A fixed offset keeps its wall clock; Unix is the instant.
    expect(run('{{.Off.Hour}} {{.Off.Unix}} {{.Off.String}}', svc)).toBe('23 1795903200 2026-11-28 23:30:00.000000001 +0130 +0130');
    expect(run('{{printf "%d" .CreatedAt.Unix}}', svc)).toBe('1795867327');
  });

  it("formats with Go's reference layout", () => {
    const cases: Array<[string, string]> = [
      ['2006-01-02 15:04:05', '2026-11-28 12:02:07'],
      ['Jan _2 03:04PM MST', 'Nov 28 12:02PM UTC'],
      ['Monday, 02-Jan-06 3:4:5 pm', 'Saturday, 28-Nov-26 12:2:7 pm'],
      ['2006-01-02T15:04:05.000Z07:00', '2026-11-28T12:02:07.470Z'],
      ['15:04:05.999999999 -0700', '12:02:07.47 +0000'],
      ['05.9 05.000000', '07.4 07.470000'],
      ['January 2, 2006 (002)', 'November 28, 2026 (332)'],
    ];
    for (const [layout, want] of cases) expect(run(`{{.CreatedAt.Format "${layout}"}}`, svc)).toBe(want);
    expect(run('{{.Off.Format "15:04 -07:00 Z07:00 MST"}}', svc)).toBe('23:30 +01:30 +01:30 +0130');
  });

  it('makes other names an error of the template, as Go has no such method', () => {
    expect(() => run('{{.CreatedAt.Nope}}', svc)).toThrow('template: :1:12: executing "" at <.CreatedAt.Nope>: can\'t evaluate field Nope in type time.Time');
  });
});
