import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram, runCli } from './cli';
import type { ClientFactory } from './context';
import { flagUsages, wrap } from './help';

async function help(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli([...argv, '--help'], { io: { out: (s) => (out += s), err: (s) => (out += s), env: {} } });
  return { code, out };
}

/** `docker <command> --help` of docker 28.2.2 for every command of the family, 80 columns (standard input not a terminal). */
function dockerScreens(): Map<string, string> {
  const text = readFileSync(join(__dirname, 'test-support', 'docker-help-28.2.2.txt'), 'utf8');
  const screens = new Map<string, string>();
  for (const part of text.split(/^=== /m).slice(1)) {
    const nl = part.indexOf('\n');
    screens.set(part.slice(0, nl), part.slice(nl + 1));
  }
  return screens;
}

/** What shoal prints where docker's screen names docker or differs on purpose. */
function asShoal(command: string, screen: string): string {
  let s = screen.replace(/(?<!docs\.)docker(?!\.com)/g, 'shoal');
  // Shoal's own product name.
  s = s.replace('Show the Docker version information', 'Show the Shoal version information');
  s = s.replace('Return low-level information on Docker objects', 'Return low-level information on Shoal objects');
  // Shoal's dispatcher heartbeat defaults to 1 s (faster failure detection), not Docker's 5 s.
  if (command === 'swarm init' || command === 'swarm update') s = s.replace('(default 5s)', '(default 1s)');
  // Shoal has no `system` command group (docker's `info` is an alias of `system info`).
  if (command === 'info') s = s.replace('\nAliases:\n  shoal system info, shoal info\n', '');
  // A process runtime has no containers to connect to networks.
  if (command === 'network') s = s.replace(/^ {2}(connect|disconnect) .*\n/gm, '');
  return s;
}

describe('help', () => {
  it('wraps like pflag: to the width less the indent, a short last word kept on its line', () => {
    expect(wrap(10, 40, 'one two three four five six seven eight nine ten')).toBe('one two three four five\n          six seven eight nine ten');
    // Explicit newlines are kept, continuation lines indented.
    expect(wrap(4, 80, 'first\nsecond')).toBe('first\n    second');
    // Too narrow to wrap beside the flag: the usage starts on the next line at column 16.
    expect(wrap(70, 80, 'a b c')).toBe('\n                a b c');
  });

  it('lays out flags as pflag: sorted, types after names, three spaces after the longest', () => {
    expect(
      flagUsages(
        [
          { name: 'quiet', short: 'q', varname: '', usage: 'Only display IDs' },
          { name: 'filter', short: 'f', varname: 'filter', usage: 'Filter output' },
          { name: 'name', varname: 'string', usage: 'Name', defaultText: '"x"' },
        ],
        79,
      ),
    ).toBe('  -f, --filter filter   Filter output\n      --name string     Name (default "x")\n  -q, --quiet           Only display IDs\n');
  });

  const screens = dockerScreens();
  for (const [command, screen] of screens) {
    it(`prints docker's screen for \`${command} --help\``, async () => {
      const r = await help(command.split(' '));
      expect(r.code).toBe(0);
      expect(r.out).toBe(asShoal(command, screen));
    });
  }

  it('has docker\'s screen for every shoal command, and a shoal command for every screen', () => {
    const program = buildProgram({ out: () => undefined, err: () => undefined, env: {} }, (() => {
      throw new Error('no daemon in this test');
    }) as unknown as ClientFactory);
    const paths: string[] = [];
    const walk = (cmd: Command, prefix: string[]): void => {
      for (const sub of cmd.commands) {
        paths.push([...prefix, sub.name()].join(' '));
        walk(sub, [...prefix, sub.name()]);
      }
    };
    walk(program, []);
    expect(paths.sort()).toEqual([...screens.keys()].sort());
  });

  it('the root lists the management commands and the global options', async () => {
    const r = await help([]);
    expect(r.out).toBe(
      'Usage:  shoal [OPTIONS] COMMAND\n\nA self-sufficient swarm orchestrator\n\n' +
        'Management Commands:\n  network     Manage networks\n  node        Manage Swarm nodes\n  service     Manage Swarm services\n  swarm       Manage Swarm\n\n' +
        'Commands:\n  info        Display system-wide information\n  inspect     Return low-level information on Shoal objects\n' +
          '  version     Show the Shoal version information\n\n' +
        'Global Options:\n  -D, --debug         Enable debug mode\n  -H, --host string   Daemon socket to connect to (env SHOAL_HOST)\n' +
        "  -v, --version       Print version information and quit\n\nRun 'shoal COMMAND --help' for more information on a command.\n",
    );
  });
});
