#!/usr/bin/env node
// scripts/run-tests.mjs — runs the tap suite on the compiled tests and ends with the one summary
// line CI recognises ("N passed, N failed, N skipped"); tap's own closing lines are not that format.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'tap-parser';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.length ? args : findTests('dist/test').sort();
const tap = spawn(
  'npx',
  ['tap', '--reporter=tap', '--disable-coverage', '--allow-empty-coverage', '--jobs=2', '--timeout=600', ...files],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
// flat: count every leaf assertion, however deeply its subtest nests.
const parser = new Parser({ flat: true });
let summary = null;
parser.on('complete', (r) => { summary = r; });
tap.stdout.pipe(process.stdout);
tap.stdout.pipe(parser);
tap.on('close', (code) => {
  const r = summary ?? { pass: 0, fail: 1, skip: 0 };
  const skip = r.skip ?? 0;
  const failed = (r.fail ?? 0) + (code !== 0 && (r.fail ?? 0) === 0 ? 1 : 0);
  const passed = Math.max(0, (r.pass ?? 0) - skip);
  process.stdout.write(`\n${passed} passed, ${failed} failed, ${skip} skipped\n`);
  process.exit(failed ? 1 : 0);
});
