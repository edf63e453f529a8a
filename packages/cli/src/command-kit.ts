// Declares docker-shaped commands on commander: cobra-style `use` lines,
// argument-count rules with docker's texts, and flags whose parse errors read
// like pflag's. One file per command group builds on this.
import { Option, type Command, type CommanderError } from 'commander';
import type { CliContext } from './context';
import { FlagError, UsageError } from './errors';
import { parseGoDuration } from './format/go-duration';
import { formatHelp, helpColumns, subcommandsOf, type HelpFlag } from './help';

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
const FLAGS = Symbol('flags');
type WithUse = Command & { [USE]?: string; [FLAGS]?: HelpFlag[] };

/** pflag's name for a value of each kind (bools show none). */
const VARNAME: Record<FlagKind, string> = { bool: '', optbool: '', string: 'string', list: 'list', duration: 'duration', int: 'int', uint: 'uint' };

/**
 * The value types docker/cli gives its flags where they are not a plain kind's (its own
 * pflag.Value types), by flag name: one name has one type across docker's commands. Some print
 * their empty value as a default, as pflag does for types it does not know.
 */
const DOCKER_VALUE_TYPES: Readonly<Record<string, { varname: string; defaultText?: string }>> = {
  filter: { varname: 'filter' },
  'listen-addr': { varname: 'node-addr' },
  'external-ca': { varname: 'external-ca' },
  'ca-cert': { varname: 'pem-file' },
  'ca-key': { varname: 'pem-file' },
  'data-path-port': { varname: 'uint32' },
  'default-addr-pool-mask-length': { varname: 'uint32' },
  'default-addr-pool': { varname: 'ipNetSlice', defaultText: '[]' },
  'aux-address': { varname: 'map', defaultText: 'map[]' },
  'ipam-opt': { varname: 'map', defaultText: 'map[]' },
  opt: { varname: 'map', defaultText: 'map[]' },
  gateway: { varname: 'strings' },
  'ip-range': { varname: 'strings' },
  subnet: { varname: 'strings' },
  config: { varname: 'config' },
  'config-add': { varname: 'config' },
  secret: { varname: 'secret' },
  'secret-add': { varname: 'secret' },
  'credential-spec': { varname: 'credential-spec' },
  entrypoint: { varname: 'command' },
  args: { varname: 'command' },
  'health-interval': { varname: 'duration' },
  'health-start-interval': { varname: 'duration' },
  'health-start-period': { varname: 'duration' },
  'health-timeout': { varname: 'duration' },
  'limit-cpu': { varname: 'decimal' },
  'reserve-cpu': { varname: 'decimal' },
  'limit-memory': { varname: 'bytes' },
  'reserve-memory': { varname: 'bytes' },
  mount: { varname: 'mount' },
  'mount-add': { varname: 'mount' },
  network: { varname: 'network' },
  'network-add': { varname: 'network' },
  'placement-pref': { varname: 'pref' },
  'placement-pref-add': { varname: 'pref' },
  'placement-pref-rm': { varname: 'pref' },
  publish: { varname: 'port' },
  'publish-add': { varname: 'port' },
  'publish-rm': { varname: 'port' },
  'rollback-max-failure-ratio': { varname: 'float' },
  'update-max-failure-ratio': { varname: 'float' },
  ulimit: { varname: 'ulimit', defaultText: '[]' },
  'ulimit-add': { varname: 'ulimit', defaultText: '[]' },
};

/** A flag of a help screen, for commands whose flags are not FlagSpecs (the root's). */
export function helpFlags(cmd: Command, flags: HelpFlag[]): void {
  (cmd as WithUse)[FLAGS] = flags;
}

/** `--help` of any command, as docker prints it (set on the root; sub-commands inherit it). */
export function dockerHelp(cmd: Command): string {
  const aliases = cmd.aliases();
  const parentPath = cmd.parent === null ? '' : `${commandPath(cmd.parent)} `;
  return formatHelp(
    {
      useLine: useLine(cmd),
      short: cmd.description(),
      ...(aliases.length > 0 ? { aliases: [commandPath(cmd), ...aliases.map((a) => parentPath + a)].join(', ') } : {}),
      flags: (cmd as WithUse)[FLAGS] ?? [],
      ...subcommandsOf(cmd),
      root: cmd.parent === null,
      path: commandPath(cmd),
    },
    helpColumns(),
  );
}

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
      // Cobra's UseLine of a group is its bare path; only its help screen adds COMMAND.
      throw new UsageError(
        `${rootName(cmd)}: unknown command: ${path} ${args[0]}\n\nUsage:  ${path}\n\nRun '${path} --help' for more information`,
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
  helpFlags(
    cmd,
    (spec.flags ?? []).map((f) => {
      const docker = DOCKER_VALUE_TYPES[f.name];
      const defaultText = f.defaultText ?? docker?.defaultText;
      return {
        name: f.name,
        ...(f.short === undefined ? {} : { short: f.short }),
        varname: docker?.varname ?? VARNAME[f.kind],
        usage: f.description,
        ...(defaultText === undefined ? {} : { defaultText }),
      };
    }),
  );
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
