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
// Count leaf assertions (a subtest's own ok/not ok line is not one), however deeply they nest. A
// subtest that failed without any failing leaf (a crash, a timeout, a plan mismatch) counts as one
// failure, so a broken file can never pass as "0 failed".
const counts = { pass: 0, fail: 0, skip: 0 };
function attach(p) {
  const sub = { fail: 0 };
  let childStats = null;
  p.on('child', (c) => { childStats = attach(c); });
  p.on('assert', (r) => {
    if (childStats) {
      const c = childStats;
      childStats = null;
      if (!r.ok && !r.todo && c.fail === 0) { counts.fail++; sub.fail++; }
      sub.fail += c.fail;
      return;
    }
    if (r.skip || r.todo) counts.skip++;
    else if (r.ok) counts.pass++;
    else { counts.fail++; sub.fail++; }
  });
  return sub;
}
const parser = new Parser();
attach(parser);
let summary = null;
parser.on('complete', (r) => { summary = r; });
tap.stdout.pipe(process.stdout);
tap.stdout.pipe(parser);
tap.on('close', (code) => {
  // tap failing without a counted failure (no tests ran, a file died) is still a failure
  const failed = counts.fail + (code !== 0 && counts.fail === 0 ? 1 : 0) + (summary === null ? 1 : 0);
  process.stdout.write(`\n${counts.pass} passed, ${failed} failed, ${counts.skip} skipped\n`);
  process.exit(failed ? 1 : 0);
});
