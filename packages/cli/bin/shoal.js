#!/usr/bin/env -S node --
// The `shoal` command as installed (package.json "bin"). A file in the repository, not a build
// output, so pnpm's generated shim reads this line at install time, before anything is built:
// with `node --`, Node 20 does not take docker's `service create --env-file FILE` for its own
// --env-file (nodejs/node#54232), which exits 9 when FILE is missing.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS launcher, not TypeScript
require('../dist/bin.js');
