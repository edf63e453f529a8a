// shoald's command line: flags override the environment, which overrides defaults.
import * as os from 'node:os';
import { parseArgs } from 'node:util';

export interface DaemonConfig {
  dataDir: string;
  hostname: string;
  logLevel: string;
  /** Serve local endpoints of published ports with iptables DNAT when possible. */
  ingressFastPath: boolean;
}

export const USAGE = `Usage:  shoald [OPTIONS]

A self-sufficient runtime for Shoal swarms

Options:
      --data-dir string    Root directory of persistent Shoal state (env SHOAL_HOME, default "/var/lib/shoal")
      --hostname string    Node hostname (default: the OS hostname)
      --ingress-fast-path string
                           Serve published ports' local tasks with kernel DNAT rules when running as
                           root with iptables ("auto"|"off") (env SHOAL_INGRESS_FAST_PATH, default "auto")
      --log-level string   Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
  -h, --help               Print usage
  -v, --version            Print version information and quit
`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export type ParsedCommand = { kind: 'run'; config: DaemonConfig } | { kind: 'help' } | { kind: 'version' };

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): ParsedCommand {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      hostname: { type: 'string' },
      'log-level': { type: 'string' },
      'ingress-fast-path': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const logLevel = values['log-level'] ?? env.SHOAL_LOG_LEVEL ?? 'info';
  if (!LEVELS.includes(logLevel)) throw new Error(`invalid log level: ${logLevel}`);
  const fastPath = values['ingress-fast-path'] ?? env.SHOAL_INGRESS_FAST_PATH ?? 'auto';
  if (fastPath !== 'auto' && fastPath !== 'off') throw new Error(`invalid value "${fastPath}" for --ingress-fast-path: expected "auto" or "off"`);
  return {
    kind: 'run',
    config: {
      dataDir: values['data-dir'] ?? env.SHOAL_HOME ?? '/var/lib/shoal',
      hostname: values.hostname ?? os.hostname(),
      logLevel,
      ingressFastPath: fastPath === 'auto',
    },
  };
}
