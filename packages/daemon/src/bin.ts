#!/usr/bin/env node
// shoald entry point: parse flags, set up logging, run until SIGTERM/SIGINT.
import './v8-tiering'; // first: before any hot code runs
import * as fs from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import { SHOAL_VERSION } from '@shoal/api';
import { USAGE, parseCommandLine } from './config';
import { Daemon } from './daemon';
import { acquireDataDir, releasePidFile } from './pid-file';

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`shoald: ${(err as Error).message}\nSee 'shoald --help'.\n`);
    process.exit(125);
  }
  if (parsed.kind === 'help') return void process.stdout.write(USAGE);
  if (parsed.kind === 'version') return void process.stdout.write(`Shoal version ${SHOAL_VERSION}\n`);
  const { config } = parsed;
  const logger = pino({ level: config.logLevel, base: { pid: process.pid, host: config.hostname } });
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o711 });
  // One daemon per data dir (dockerd: one per pid file), taken before anything reads its state.
  const pidFile = path.join(config.dataDir, 'shoald.pid');
  try {
    await acquireDataDir(config.dataDir, pidFile);
  } catch (err) {
    process.stderr.write(`shoald: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.on('exit', () => releasePidFile(pidFile));
  const daemon = new Daemon({ dataDir: config.dataDir, hostname: config.hostname, ingressFastPath: config.ingressFastPath, logger });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    daemon.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  try {
    await daemon.start();
  } catch (err) {
    logger.fatal({ err }, 'shoald failed to start');
    process.exit(1);
  }
  logger.info({ version: SHOAL_VERSION, dataDir: config.dataDir, hostname: config.hostname }, 'shoald started');
}

void main();
