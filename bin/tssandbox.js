#!/usr/bin/env node
// bin/tssandbox.js — the `tssandbox` command: a thin shim onto the compiled CLI
import('../dist/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`tssandbox: ${err && err.message ? err.message : err}\n`);
  process.exit(125);
});
