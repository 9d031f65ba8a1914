// test/selftest/attribution.test.ts — layer attribution under tssandbox: strict minus one layer, one layer alone, the floor (host; needs root, cc)
//
// Each probe must be stopped by the layer SECURITY.md credits (catalog.ts `layers`): removing its
// only credited layer lets it through; removing one of several leaves it stopped (defence in
// depth); a credited layer kept alone on the floor stops it. Layers no profile can remove are
// skipped with the reason; a layer the runtime did not actually remove is skipped with the witness.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileSeccomp, loadProfile } from '../../policy/index.js';
import {
  REMOVALS, allRuns, attributeProbes, profileFor, runAttribution, runName, writeRunProfile, type AttributionRun,
} from '../../sandbox/selftest/attribution.js';
import { PROBE_CATALOG } from '../../sandbox/selftest/catalog.js';
import { describeRun, openBatteryEnv } from '../../sandbox/selftest/run-battery.js';
import { batteryMissing } from '../helpers/battery.js';
import { REPO_ROOT } from '../helpers/paths.js';

const missing = batteryMissing();

t.test('attribution profiles load and remove exactly their layer', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'tss-attr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const strict = loadProfile('strict');
  for (const k of allRuns()) {
    const p = loadProfile(writeRunProfile(dir, k));
    const name = runName(k);
    if (k.kind === 'minus') {
      // every other field stays strict's
      if (k.layer !== 'seccomp') t.ok(p.seccomp && compileSeccomp(p.seccomp).bytes.equals(compileSeccomp(strict.seccomp!).bytes), `${name}: strict's filter kept`);
      else t.equal(p.seccomp, null, `${name}: no filter`);
      if (k.layer !== 'caps') t.same(p.capabilities, [], `${name}: no capabilities`);
      if (k.layer !== 'readonly-root') t.equal(p.rootfs.readOnly, true, `${name}: read-only root`);
      if (k.layer !== 'mount-masks') t.same(p.maskedPaths, strict.maskedPaths, `${name}: masks kept`);
      if (k.layer !== 'readonly-paths') t.same(p.readonlyPaths, strict.readonlyPaths, `${name}: read-only paths kept`);
      if (k.layer !== 'netns') t.equal(p.network, 'none', `${name}: no network`);
      if (k.layer !== 'rlimits') t.same(p.rlimits.core, { soft: 0, hard: 0 }, `${name}: no core dumps`);
      if (k.layer !== 'cgroups') t.equal(p.loosen.raiseLimits, false, `${name}: limits cannot be raised`);
    }
    if (k.kind === 'floor') {
      t.equal(p.seccomp, null, 'floor: no filter');
      t.ok(p.capabilities.length > 30, 'floor: every capability');
      t.equal(p.rootfs.readOnly, false, 'floor: writable root');
    }
  }
  // seccomp comes off only in a flattened profile: strict's final rules forbid it through extends
  t.notOk('extends' in profileFor({ kind: 'minus', layer: 'seccomp' }), 'strict minus seccomp does not extend strict');
  t.equal(profileFor({ kind: 'minus', layer: 'caps' }).extends, 'strict', 'strict minus caps extends strict');
});

t.test('the battery under strict minus one layer, one layer alone and the floor', { skip: missing ?? false }, async (t) => {
  const env = await openBatteryEnv();
  t.teardown(() => env.close());
  const runs: AttributionRun[] = [];
  for (const k of allRuns()) {
    const r = await runAttribution(env, k);
    runs.push(r);
    const name = runName(k);
    t.ok(r.battery.run.complete, `${name}: the probe ran to its end (${describeRun(r.battery)})`);
    if (!r.removed) {
      t.ok(true, name, { skip: `the runtime did not remove the layer (witness ${r.witness?.probe} ${r.witness?.got}: ${r.witness?.detail})` });
      continue;
    }
    for (const row of r.battery.judgement.rows) {
      t.ok(row.ok, `${name}: ${row.probe} (credited ${row.layers.join(', ') || 'none'}) expected ${row.expected}, got ${row.got}: ${row.detail}`);
    }
  }
  for (const rm of REMOVALS) if (!rm.override) t.comment(`layer ${rm.layer} not attributed by a run: ${rm.cannot}`);

  const table = attributeProbes(runs);
  for (const p of table) {
    t.same(p.contradicted, [], `${p.probe}: no credited layer is contradicted by the runs`);
    // a credited removable layer that was tested must show up as the probe's stop or as one that held
    for (const l of p.credited) {
      if (p.byDesign.includes(l)) continue;
      t.ok(p.soleStop.includes(l) || p.heldWithout.includes(l), `${p.probe}: ${l} was tested (removal let it through, or others held)`);
    }
    // defence in depth: with several credits, removing any one leaves the probe stopped
    if (p.credited.length > 1) t.same(p.soleStop, [], `${p.probe}: credited to ${p.credited.join(', ')}, no single removal lets it through`);
  }
});

t.test('docs/layers.md names every probe with its credited layers', async (t) => {
  const md = readFileSync(join(REPO_ROOT, 'docs', 'layers.md'), 'utf8');
  t.match(md, /GENERATED by `npm run gen:layers`/);
  for (const p of PROBE_CATALOG) {
    const line = md.split('\n').find((l) => l.startsWith(`| \`${p.id}\` |`));
    t.ok(line, `${p.id} has a row`);
    const credited = line?.split(/(?<!\\)\|/)[3]?.trim();
    t.equal(credited?.replace(/ \(\*\*contradicted.*$/, ''), p.layers.map((l) => `\`${l}\``).join(', '), `${p.id}: credits match catalog.ts (regenerate with npm run gen:layers)`);
  }
});
