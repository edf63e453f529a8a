// Declares docker-shaped commands on commander: cobra-style `use` lines,
// argument-count rules with docker's texts, and flags whose parse errors read
// like pflag's. One file per command group builds on this.
import { Option, type Command, type CommanderError } from 'commander';
import type { CliContext } from './context';
import { FlagError, UsageError } from './errors';
import { parseGoDuration } from './format/go-duration';

export type ArgsRule = { kind: 'none' } | { kind: 'exact'; n: number } | { kind: 'min'; n: number };
export const noArgs: ArgsRule = { kind: 'none' };
export const exactArgs = (n: number): ArgsRule => ({ kind: 'exact', n });
export const minArgs = (n: number): ArgsRule => ({ kind: 'min', n });

/** `optbool` is a bool that also takes `--flag=false`, as pflag bools do. */
export type FlagKind = 'bool' | 'optbool' | 'string' | 'list' | 'duration' | 'int' | 'uint';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  description: string;
  /** Shown in help, as cobra does; values not given on the command line are absent. */
  defaultText?: string;
  /** Validates or converts a value; throw an Error whose message pflag would print. */
  parse?: (value: string) => unknown;
}

/** Values of the flags given on the command line, keyed by long name. */
export class Flags {
  constructor(private readonly values: ReadonlyMap<string, unknown>) {}
  changed(name: string): boolean {
    return this.values.has(name);
  }
  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  /** Number of flags given on the command line (pflag's NFlag). */
  count(): number {
    return this.values.size;
  }
  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  number(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? (v as string[]) : [];
  }
  get(name: string): unknown {
    return this.values.get(name);
  }
}

export interface LeafSpec {
  /** cobra's Use: `promote NODE [NODE...]`. */
  use: string;
  short: string;
  aliases?: string[];
  args: ArgsRule;
  flags?: FlagSpec[];
  run(ctx: CliContext, args: string[], flags: Flags): Promise<void>;
}

const USE = Symbol('use');
type WithUse = Command & { [USE]?: string };

/** `shoal node promote` */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** cobra's UseLine with docker's DisableFlagsInUseLine. */
export function useLine(cmd: Command): string {
  const use = (cmd as WithUse)[USE] ?? cmd.name();
  return cmd.parent === null ? use : `${commandPath(cmd.parent)} ${use}`;
}

const rootName = (cmd: Command): string => {
  let c = cmd;
  while (c.parent !== null) c = c.parent;
  return c.name();
};

const plural = (n: number): string => (n === 1 ? 'argument' : 'arguments');

/** docker's cli.NoArgs / ExactArgs / RequiresMinArgs messages. */
export function checkArgs(cmd: Command, rule: ArgsRule, args: string[]): void {
  const bin = rootName(cmd);
  const path = commandPath(cmd);
  const usage = useLine(cmd);
  switch (rule.kind) {
    case 'none':
      if (args.length === 0) return;
      throw new UsageError(`${bin}: '${path}' accepts no arguments\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`);
    case 'exact':
      if (args.length === rule.n) return;
      throw new UsageError(
        `${bin}: '${path}' requires ${rule.n} ${plural(rule.n)}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`,
      );
    case 'min':
      if (args.length >= rule.n) return;
      throw new UsageError(
        `${bin}: '${path}' requires at least ${rule.n} ${plural(rule.n)}\n\nUsage:  ${usage}\n\nSee '${path} --help' for more information`,
      );
  }
}

/** cli.FlagErrorFunc wording around a pflag error. */
export function flagError(cmd: Command, message: string): FlagError {
  return new FlagError(`${message}\n\nUsage:  ${useLine(cmd)}\n\nRun '${commandPath(cmd)} --help' for more information`);
}

const flagDisplay = (f: FlagSpec): string => (f.short === undefined ? `--${f.name}` : `-${f.short}, --${f.name}`);

/** strconv.ParseBool */
export function parseGoBool(value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
}

function builtinParse(kind: FlagKind, value: string): unknown {
  switch (kind) {
    case 'duration':
      return parseGoDuration(value);
    case 'optbool':
      return parseGoBool(value);
    case 'int':
    case 'uint': {
      if (!/^[+-]?\d+$/.test(value) || (kind === 'uint' && value.startsWith('-'))) {
        const fn = kind === 'int' ? 'ParseInt' : 'ParseUint';
        throw new Error(`strconv.${fn}: parsing ${JSON.stringify(value)}: invalid syntax`);
      }
      return Number(value);
    }
    default:
      return value;
  }
}

function addFlag(cmd: Command, f: FlagSpec): void {
  const valueName = f.kind === 'bool' ? '' : f.kind === 'optbool' ? ' [bool]' : ` <${f.kind}>`;
  const flags = `${f.short === undefined ? '' : `-${f.short}, `}--${f.name}${valueName}`;
  const opt = new Option(flags, f.description + (f.defaultText === undefined ? '' : ` (default ${f.defaultText})`));
  if (f.kind !== 'bool') {
    opt.argParser((value: string, previous: unknown) => {
      let parsed: unknown;
      try {
        parsed = (f.parse ?? ((v: string) => builtinParse(f.kind, v)))(value);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw flagError(cmd, `invalid argument ${JSON.stringify(value)} for ${JSON.stringify(flagDisplay(f))} flag: ${reason}`);
      }
      if (f.kind !== 'list') return parsed;
      // A list flag may take several values at once (`a,b` for IP slices): parse returns an array then.
      const prev = (previous as unknown[] | undefined) ?? [];
      return Array.isArray(parsed) ? [...prev, ...(parsed as unknown[])] : [...prev, parsed];
    });
  }
  cmd.addOption(opt);
}

function flagValues(cmd: Command, specs: readonly FlagSpec[]): Flags {
  const opts = cmd.opts<Record<string, unknown>>();
  const values = new Map<string, unknown>();
  for (const f of specs) {
    // commander files `--no-trunc` under `trunc` and stores false: pflag has a plain bool named no-trunc.
    const opt = cmd.options.find((o) => o.long === `--${f.name}`);
    const key = opt?.attributeName() ?? f.name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (cmd.getOptionValueSource(key) === 'cli') values.set(f.name, opt?.negate === true ? true : opts[key]);
  }
  return new Flags(values);
}

/** Maps commander's own parse errors to docker's wording. */
export function translateCommanderError(cmd: Command, err: CommanderError): Error {
  switch (err.code) {
    case 'commander.unknownOption': {
      const flag = /'([^']+)'/.exec(err.message)?.[1] ?? '';
      const text = flag.startsWith('--') ? `unknown flag: ${flag}` : `unknown shorthand flag: '${flag.slice(1, 2)}' in ${flag}`;
      return flagError(cmd, text);
    }
    case 'commander.optionMissingArgument': {
      const m = /option '(?:-(\w), )?--([\w-]+)/.exec(err.message);
      return flagError(cmd, `flag needs an argument: ${m?.[1] !== undefined ? `'${m[1]}' in -${m[1]}` : `--${m?.[2] ?? ''}`}`);
    }
    case 'commander.unknownCommand': {
      const name = /'([^']+)'/.exec(err.message)?.[1] ?? '';
      const path = commandPath(cmd);
      return new UsageError(`${rootName(cmd)}: unknown command: ${path} ${name}\n\nRun '${path} --help' for more information`);
    }
    default:
      return err;
  }
}

function setup(cmd: Command, use: string, short: string): void {
  (cmd as WithUse)[USE] = use;
  cmd.description(short);
  // Help shows docker's usage words (`[OPTIONS] NODE`) rather than commander's.
  cmd.usage(use.split(' ').slice(1).join(' '));
  cmd.exitOverride((err) => {
    throw translateCommanderError(cmd, err);
  });
}

/** A command group such as `node`: without a sub-command it shows its help. */
export function defineGroup(parent: Command, ctx: CliContext, use: string, short: string): Command {
  const cmd = parent.command(use.split(' ')[0] as string);
  setup(cmd, `${cmd.name()} COMMAND`, short);
  cmd.argument('[args...]').action((args: string[]) => {
    if (args.length > 0) {
      const path = commandPath(cmd);
      throw new UsageError(
        `${rootName(cmd)}: unknown command: ${path} ${args[0]}\n\nUsage:  ${useLine(cmd)}\n\nRun '${path} --help' for more information`,
      );
    }
    ctx.io.err(cmd.helpInformation());
  });
  return cmd;
}

export function defineLeaf(parent: Command, ctx: CliContext, spec: LeafSpec): Command {
  const cmd = parent.command(spec.use.split(' ')[0] as string);
  setup(cmd, spec.use, spec.short);
  for (const alias of spec.aliases ?? []) cmd.alias(alias);
  for (const f of spec.flags ?? []) addFlag(cmd, f);
  // pflag's bools take a value only as `--flag=value`: a bare `--ipv6 NAME` leaves NAME an argument,
  // where commander would take it as the optional value. Bare optbool flags are given `=true` first.
  const optbools = new Set((spec.flags ?? []).filter((f) => f.kind === 'optbool').map((f) => `--${f.name}`));
  if (optbools.size > 0) {
    const parseOptions = cmd.parseOptions.bind(cmd);
    cmd.parseOptions = (args: string[]) => {
      const end = args.indexOf('--');
      return parseOptions(args.map((a, i) => ((end < 0 || i < end) && optbools.has(a) ? `${a}=true` : a)));
    };
  }
  // Arguments are taken as a list and counted here, so the messages are docker's.
  cmd.argument('[args...]').action(async (args: string[]) => {
    checkArgs(cmd, spec.args, args);
    await spec.run(ctx, args, flagValues(cmd, spec.flags ?? []));
  });
  return cmd;
}
