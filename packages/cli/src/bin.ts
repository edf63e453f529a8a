#!/usr/bin/env node
// Entry point of the `shoal` binary.
import { runCli } from './cli';

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
