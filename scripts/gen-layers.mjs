#!/usr/bin/env node
// scripts/gen-layers.mjs — regenerates docs/layers.md from the layer-attribution runs (`npm run gen:layers`; needs root, the built probe and dist/)
//
// Runs the escape battery under the floor, strict minus each removable layer and each layer alone
// (sandbox/selftest/attribution.ts) on this machine, then writes the table. Exit 1 when a credit is
// contradicted or a run failed, so a stale SECURITY.md claim cannot be regenerated silently.
import { writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { openBatteryEnv, describeRun } from '../dist/sandbox/selftest/run-battery.js';
import { allRuns, attributeProbes, layersMarkdown, runAttribution, runName } from '../dist/sandbox/selftest/attribution.js';

const out = fileURLToPath(new URL('../docs/layers.md', import.meta.url));
const env = await openBatteryEnv();
let bad = 0;
try {
  const runs = [];
  for (const k of allRuns()) {
    const r = await runAttribution(env, k);
    const fails = r.battery.judgement.failures.map((f) => `${f.probe}=${f.got}`);
    process.stderr.write(`${runName(k)}: ${describeRun(r.battery)}${r.removed ? '' : ' (layer not removed by the runtime)'}${fails.length ? `; unexpected: ${fails.join(' ')}` : ''}\n`);
    if (!r.battery.run.complete) bad++;
    runs.push(r);
  }
  for (const p of attributeProbes(runs)) {
    if (p.contradicted.length) { bad++; process.stderr.write(`contradicted: ${p.probe} credited to ${p.contradicted.join(', ')}\n`); }
  }
  writeFileSync(out, layersMarkdown(runs, `Linux ${release()}, ${process.arch}, generated ${new Date().toISOString().slice(0, 10)}`));
  process.stderr.write(`wrote ${out}\n`);
} finally {
  env.close();
}
process.exitCode = bad ? 1 : 0;
