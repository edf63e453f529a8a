#!/usr/bin/env node
// Entry point of the `shoal` binary.
import { runCli } from './cli';

// A reader that went away (`shoal service logs web | head -1`): stop quietly with the status a
// Go program killed by SIGPIPE has in the shell (128 + 13), instead of an unhandled EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
});

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
