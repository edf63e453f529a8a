// Builds the `shoal` command tree and runs it, mapping every failure to
// docker's stderr text and exit status. Each command group registers itself
// from its own file under commands/.
import { Command, CommanderError } from 'commander';
import { translateCommanderError, commandPath, dockerHelp, helpFlags } from './command-kit';
import { registerInspectCommand } from './commands/inspect';
import { registerNetworkCommands } from './commands/network';
import { registerNodeCommands } from './commands/node';
import { registerServiceCommands } from './commands/service';
import { registerSwarmCommands } from './commands/swarm';
import { registerNodePsCommand } from './commands/task-print';
import { registerSystemCommands } from './commands/system';
import { BIN_NAME, CLI_VERSION, createContext, defaultClientFactory, type ClientFactory, type CliContext, type CliIO, type TerminalInfo } from './context';
import { UsageError, describeError, exitCodeOf } from './errors';

export interface RunCliOptions {
  io?: Partial<CliIO>;
  /** Replaces the HTTP client, e.g. with a fake in tests. */
  clientFactory?: ClientFactory;
}

type Register = (root: Command, ctx: CliContext) => void;

/** Command groups in help order. */
const GROUPS: readonly Register[] = [
  registerSystemCommands,
  registerInspectCommand,
  registerNodeCommands,
  registerNodePsCommand,
  registerSwarmCommands,
  registerServiceCommands,
  registerNetworkCommands,
];

export function buildProgram(io: CliIO, factory: ClientFactory): Command {
  const program = new Command(BIN_NAME);
  const ctx = createContext(io, factory, () => program.opts<{ host?: string }>().host);
  program
    .usage('[OPTIONS] COMMAND')
    .description('A self-sufficient swarm orchestrator')
    .option('-H, --host <host>', 'Daemon socket to connect to (env SHOAL_HOST)')
    .option('-D, --debug', 'Enable debug mode')
    .option('-v, --version', 'Print version information and quit')
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: () => undefined })
    .helpCommand(false)
    // Like docker's root command, global flags go before the sub-command; this
    // also lets `service create IMAGE [COMMAND] [ARG...]` keep flags after IMAGE
    // as arguments (pflag's SetInterspersed(false)).
    .enablePositionalOptions()
    // Sub-commands inherit this: docker's help layout.
    .configureHelp({ formatHelp: (cmd) => dockerHelp(cmd) })
    .exitOverride((err) => {
      throw translateCommanderError(program, err);
    })
    .argument('[command...]')
    .action((args: string[]) => {
      if (program.opts<{ version?: boolean }>().version === true) {
        io.out(`Shoal version ${CLI_VERSION}\n`);
        return;
      }
      if (args.length > 0) {
        throw new UsageError(
          `${BIN_NAME}: unknown command: ${commandPath(program)} ${args[0]}\n\nRun '${BIN_NAME} --help' for more information`,
        );
      }
      io.out(program.helpInformation());
    });
  helpFlags(program, [
    { name: 'debug', short: 'D', varname: '', usage: 'Enable debug mode' },
    { name: 'host', short: 'H', varname: 'string', usage: 'Daemon socket to connect to (env SHOAL_HOST)' },
    { name: 'version', short: 'v', varname: '', usage: 'Print version information and quit' },
  ]);
  for (const register of GROUPS) register(program, ctx);
  return program;
}

/** Runs one invocation; resolves with the process exit status. */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<number> {
  const env = options.io?.env ?? process.env;
  const io: CliIO = {
    out: options.io?.out ?? ((s) => void process.stdout.write(s)),
    err: options.io?.err ?? ((s) => void process.stderr.write(s)),
    env,
  };
  const terminal = options.io?.terminal ?? (options.io?.out === undefined ? stdoutTerminal() : undefined);
  if (terminal !== undefined) io.terminal = terminal;
  if (options.io?.clock !== undefined) io.clock = options.io.clock;
  io.readLine = options.io?.readLine ?? (options.io?.out === undefined ? stdinLine : async () => '');
  const program = buildProgram(io, options.clientFactory ?? defaultClientFactory(env));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and friends end parsing with exit code 0.
      if (err.exitCode === 0) return 0;
      io.err(`${err.message.replace(/^error: /, '')}\n`);
      return err.exitCode;
    }
    const text = describeError(err);
    if (text !== '') io.err(`${text}\n`);
    return exitCodeOf(err);
  }
}

/** The first line of standard input (without its newline), or '' if it ends first. */
function stdinLine(): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = (): void => {
      process.stdin.off('data', onData);
      process.stdin.off('end', done);
      process.stdin.pause();
      resolve(text.split('\n')[0]?.replace(/\r$/, '') ?? '');
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) done();
    };
    process.stdin.on('data', onData);
    process.stdin.once('end', done);
    process.stdin.resume();
  });
}

function stdoutTerminal(): TerminalInfo | undefined {
  if (process.stdout.isTTY !== true) return undefined;
  return { columns: () => process.stdout.columns ?? 80 };
}
