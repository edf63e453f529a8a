// `--help` laid out as docker's: cobra's usage template as docker/cli sets it, with the flag
// table of spf13/pflag (FlagUsagesWrapped: flags sorted by name, the value's type after the
// flag, usages wrapped to the terminal's width less one, 80 columns when standard input is not
// a terminal).
import type { Command } from 'commander';

/** docker/cli's FormatHelp: the --format of list commands. */
export const FORMAT_HELP = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;

/** docker/cli's InspectFormatHelp: the --format of inspect commands. */
export const INSPECT_FORMAT_HELP = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;

/** One flag as pflag prints it. */
export interface HelpFlag {
  name: string;
  short?: string;
  /** pflag's varname: the value's type (`string`, `list`, `duration`…), '' for a bool. */
  varname: string;
  usage: string;
  /** Appended as ` (default …)`, already quoted for strings. */
  defaultText?: string;
}

export interface HelpCommand {
  /** cobra's UseLine: `shoal node promote NODE [NODE...]`. */
  useLine: string;
  short: string;
  /** `shoal node ls, shoal node list`, when the command has aliases. */
  aliases?: string;
  flags: readonly HelpFlag[];
  /** Sub-commands that have sub-commands themselves (the root's `node`, `service`…). */
  groups: ReadonlyArray<{ name: string; short: string }>;
  /** Sub-commands without sub-commands. */
  commands: ReadonlyArray<{ name: string; short: string }>;
  /** The root command: its flags are "Global Options". */
  root: boolean;
  /** `shoal service`, for the closing "Run '… COMMAND --help'" line. */
  path: string;
}

/** pflag's wrapN: up to `i` characters, cut at whitespace; `slop` more if that takes the rest. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: `s` wrapped to width `w`, continuation lines indented by `i` (the first is not). */
export function wrap(i: number, w: number, s: string): string {
  const indentNewlines = (t: string, n: number): string => t.replaceAll('\n', `\n${' '.repeat(n)}`);
  if (w === 0) return indentNewlines(s, i);
  let width = w - i;
  let out = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    out += `\n${' '.repeat(i)}`;
  }
  if (width < 24) return s.replaceAll('\n', out);
  const slop = 5;
  width -= slop;
  let [line, rest] = wrapN(width, slop, s);
  out += indentNewlines(line, i);
  while (rest !== '') {
    [line, rest] = wrapN(width, slop, rest);
    out += `\n${' '.repeat(i)}${indentNewlines(line, i)}`;
  }
  return out;
}

/** pflag's FlagUsagesWrapped. */
export function flagUsages(flags: readonly HelpFlag[], cols: number): string {
  const sorted = [...flags].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines = sorted.map((f) => {
    let head = f.short === undefined ? `      --${f.name}` : `  -${f.short}, --${f.name}`;
    if (f.varname !== '') head += ` ${f.varname}`;
    return { head, usage: f.usage + (f.defaultText === undefined ? '' : ` (default ${f.defaultText})`) };
  });
  const maxlen = Math.max(0, ...lines.map((l) => l.head.length + 1));
  return lines.map((l) => `${l.head} ${' '.repeat(maxlen - l.head.length)} ${wrap(maxlen + 2, cols, l.usage)}\n`).join('');
}

const rpad = (s: string, n: number): string => s.padEnd(n);

/** cobra's NamePadding: the longest sibling name, at least 11. */
const namePadding = (names: readonly { name: string }[]): number => Math.max(11, ...names.map((c) => c.name.length));

/** docker/cli's usage template, filled in. */
export function formatHelp(cmd: HelpCommand, cols: number): string {
  const hasSubcommands = cmd.groups.length + cmd.commands.length > 0;
  let out = 'Usage:';
  out += hasSubcommands ? `  ${cmd.path}${cmd.root && cmd.flags.length > 0 ? ' [OPTIONS]' : ''} COMMAND` : `  ${cmd.useLine}`;
  out += `\n\n${cmd.short.trim()}`;
  if (cmd.aliases !== undefined) out += `\n\nAliases:\n  ${cmd.aliases}`;
  if (!cmd.root && cmd.flags.length > 0) out += `\n\nOptions:\n${flagUsages(cmd.flags, cols).trimEnd()}`;
  const pad = namePadding([...cmd.groups, ...cmd.commands]);
  if (cmd.groups.length > 0) {
    out += '\n\nManagement Commands:';
    for (const g of cmd.groups) out += `\n  ${rpad(`${g.name} `, pad + 1)}${g.short}`;
  }
  if (cmd.commands.length > 0) {
    out += '\n\nCommands:';
    for (const c of cmd.commands) out += `\n  ${rpad(c.name, pad)} ${c.short}`;
  }
  if (cmd.root && cmd.flags.length > 0) out += `\n\nGlobal Options:\n${flagUsages(cmd.flags, cols).trimEnd()}`;
  if (hasSubcommands) out += `\n\nRun '${cmd.path} COMMAND --help' for more information on a command.`;
  return `${out}\n`;
}

/** docker's width for help: standard input's terminal width, else 80; pflag is given one less. */
export function helpColumns(): number {
  const stdin = process.stdin as { isTTY?: boolean; columns?: number };
  const width = stdin.isTTY === true && typeof process.stdout.columns === 'number' ? process.stdout.columns : 80;
  return width - 1;
}

/** Sub-commands as docker lists them: by name, split into groups and commands. */
export function subcommandsOf(cmd: Command): Pick<HelpCommand, 'groups' | 'commands'> {
  const subs = [...cmd.commands].sort((a, b) => (a.name() < b.name() ? -1 : 1));
  const entry = (c: Command): { name: string; short: string } => ({ name: c.name(), short: c.description() });
  return { groups: subs.filter((c) => c.commands.length > 0).map(entry), commands: subs.filter((c) => c.commands.length === 0).map(entry) };
}
