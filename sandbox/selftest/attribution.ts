// sandbox/selftest/attribution.ts — layer attribution: the battery under strict minus one layer at a time, through profile files that `extends: strict` (host)
//
// The runtime has no flag to remove a layer, and must not get one; a profile file can. Each
// removable layer is one small YAML profile. A layer a profile cannot remove (the user namespace,
// the pid namespace, the locked mount tree, the fd sweep …) is listed with the reason, so the
// table in docs/layers.md says plainly which credits rest on design rather than on a run.
// Three kinds of run: the floor (every removable layer gone), strict minus one layer, and one layer
// alone on the floor. A "witness" probe must get through once its layer is gone: if it does not,
// the runtime did not remove the layer and the run proves nothing (reported, never evidence).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CAPABILITIES } from '../../abi/index.js';
import { loadProfile } from '../../policy/index.js';
import { PROBE_CATALOG, LAYERS, type Layer } from './catalog.js';
import { withoutLayer, type Expect, type JudgedRow } from './expectations.js';
import { runBattery, type BatteryEnv, type BatteryResult } from './run-battery.js';

/** the capabilities this kernel knows (capset refuses unknown ones) */
export function knownCaps(): string[] {
  let last = 40;
  try { last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()); } catch { /* assume 5.9+ */ }
  return Object.entries(CAPABILITIES).filter(([, v]) => v <= last).map(([k]) => k);
}

type Doc = Record<string, unknown>;

/** flattenedStrict: strict's resolved profile, all but its filter, as a profile document */
export function flattenedStrict(): Doc {
  const p = loadProfile('strict');
  const rl = (v: number) => (v === -1 ? 'unlimited' : v);
  return {
    description: 'strict, flattened (layer attribution)',
    capabilities: [...p.capabilities], noNewPrivileges: p.noNewPrivileges, rootfs: { ...p.rootfs },
    tmpfs: p.tmpfs.map((t) => ({ ...t })), maskedPaths: [...p.maskedPaths], readonlyPaths: [...p.readonlyPaths],
    devices: [...p.devices],
    rlimits: Object.fromEntries(Object.entries(p.rlimits).map(([k, v]) => [k, { soft: rl(v.soft), hard: rl(v.hard) }])),
    limits: { ...p.limits }, network: p.network,
    loosen: { ...p.loosen, capAdd: [...p.loosen.capAdd] },
    supervisor: { ...p.supervisor, audit: [...p.supervisor.audit] },
  };
}

export interface Removal {
  readonly layer: Layer;
  /** how the layer is removed, in words (docs/layers.md) */
  readonly how: string;
  /** the profile fields that remove it (seccomp: `{ seccomp: null }`); absent when no profile can */
  readonly override?: () => Doc;
  /** the probe that must get through when the layer is really gone */
  readonly witness?: string;
  /** why a profile cannot remove this layer */
  readonly cannot?: string;
}

export const REMOVALS: readonly Removal[] = [
  // strict's seccomp rules are `final` (profiles/base/always.yaml): a profile extending it cannot
  // switch the filter off, so every profile without the filter is strict flattened
  { layer: 'seccomp', how: '`seccomp: null` in strict flattened into a standalone profile (its rules are final, so `extends` cannot drop them)', override: () => ({ seccomp: null }), witness: 'seccomp' },
  { layer: 'caps', how: '`capabilities:` every capability the kernel knows', override: () => ({ capabilities: knownCaps() }), witness: 'caps' },
  { layer: 'nnp', how: '—', cannot: 'no_new_privs is forced whenever a seccomp filter is installed (an unprivileged process may only install one with it); strict without it is the seccomp run, and unconfined shows it off' },
  { layer: 'readonly-root', how: '`rootfs: { readOnly: false }`', override: () => ({ rootfs: { readOnly: false } }), witness: 'rootfs_write' },
  { layer: 'readonly-paths', how: '`readonlyPaths: []`', override: () => ({ readonlyPaths: [] }) },
  { layer: 'mount-masks', how: '`maskedPaths: []`', override: () => ({ maskedPaths: [] }) },
  { layer: 'rlimits', how: '`rlimits: { core: unlimited }`', override: () => ({ rlimits: { core: 'unlimited' } }), witness: 'rlimit_core' },
  { layer: 'netns', how: '`network: host`', override: () => ({ network: 'host' }), witness: 'host_loopback' },
  { layer: 'cgroups', how: '`loosen: { raiseLimits: true }` and the harness limits set above the probes\' bounds', override: () => ({ loosen: { raiseLimits: true } }), witness: 'fork_storm' },
  { layer: 'devices', how: '—', cannot: 'a profile may only list harmless devices (null, zero, full, random, urandom, tty, pts, ptmx, shm) and volumes may not cover /dev' },
  { layer: 'userns', how: '—', cannot: 'every profile runs in a user namespace (DESIGN §3); the runtime has no way to turn it off' },
  { layer: 'pidns', how: '—', cannot: 'the runtime always unshares the pid namespace' },
  { layer: 'mount-lock', how: '—', cannot: 'the launcher always builds the tree in the parent user namespace' },
  { layer: 'fds', how: '—', cannot: 'the launcher always closes every fd but 0-2 before exec' },
  { layer: 'stdio', how: '—', cannot: 'the runtime always gives the payload pipes or its own pty' },
];

export const REMOVABLE: readonly Layer[] = REMOVALS.filter((r) => r.override).map((r) => r.layer);

export function removalFor(layer: Layer): Removal {
  const r = REMOVALS.find((x) => x.layer === layer);
  if (!r) throw new Error(`no removal for layer ${layer}`);
  return r;
}

function merge(base: Doc, over: Doc): Doc {
  const out: Doc = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const plain = (x: unknown) => x !== null && typeof x === 'object' && !Array.isArray(x);
    out[k] = plain(b) && plain(v) ? { ...(b as Doc), ...(v as Doc) } : v;
  }
  return out;
}

/** the kinds of attribution run: strict minus one layer, only one removable layer kept, none kept */
export type RunKind = { kind: 'minus'; layer: Layer } | { kind: 'only'; layer: Layer } | { kind: 'floor' };

/** profileFor returns the profile document of an attribution run */
export function profileFor(k: RunKind): Doc {
  const removed = k.kind === 'minus' ? [k.layer] : k.kind === 'only' ? REMOVABLE.filter((l) => l !== k.layer) : [...REMOVABLE];
  const over = removed.reduce<Doc>((acc, l) => merge(acc, removalFor(l).override!()), {});
  // with the filter kept, extend strict (its final rules stay as they are); without it, flatten
  return removed.includes('seccomp') ? merge(flattenedStrict(), over) : { extends: 'strict', ...over };
}

/** limitsFor: the cgroup limits stop the resource probes only where the cgroups layer is kept */
export function limitsFor(k: RunKind): 'below' | 'above' {
  const kept = k.kind === 'minus' ? k.layer !== 'cgroups' : k.kind === 'only' ? k.layer === 'cgroups' : false;
  return kept ? 'below' : 'above';
}

export function runName(k: RunKind): string {
  return k.kind === 'floor' ? 'strict-floor' : `strict-${k.kind}-${k.layer}`;
}

/** writeRunProfile writes the run's profile file into dir and returns its path */
export function writeRunProfile(dir: string, k: RunKind): string {
  if (k.kind !== 'floor' && !removalFor(k.layer).override) throw new Error(`layer ${k.layer} cannot be removed by a profile: ${removalFor(k.layer).cannot}`);
  const file = join(dir, `${runName(k)}.yaml`);
  writeFileSync(file, `# ${runName(k)}: layer attribution (sandbox/selftest/attribution.ts)\n${stringify(profileFor(k))}`);
  return file;
}

/** onlyExpectations: with only `layer` kept, every probe credited to it must still be stopped */
export function onlyExpectations(layer: Layer): Readonly<Record<string, Expect>> {
  return Object.fromEntries(PROBE_CATALOG.map((p) => [p.id, p.layers.includes(layer) ? 'stopped' : 'either']));
}

export interface AttributionRun {
  readonly run: RunKind;
  /** minus runs: false when the witness probe was still stopped, i.e. the runtime did not really
   * remove the layer and the run proves nothing (reported, never counted as evidence) */
  readonly removed: boolean;
  readonly witness: JudgedRow | undefined;
  readonly battery: BatteryResult;
}

function expectationsFor(k: RunKind): Readonly<Record<string, Expect>> {
  if (k.kind === 'minus') return withoutLayer(k.layer);
  if (k.kind === 'only') return onlyExpectations(k.layer);
  return Object.fromEntries(PROBE_CATALOG.map((p) => [p.id, 'either' as const]));
}

/** runAttribution runs the battery for one attribution run and judges it */
export async function runAttribution(env: BatteryEnv, k: RunKind): Promise<AttributionRun> {
  const profile = writeRunProfile(env.scratch, k);
  const battery = await runBattery(env, { profile, expectations: expectationsFor(k), limits: limitsFor(k) });
  const w = k.kind === 'minus' ? removalFor(k.layer).witness : undefined;
  const witness = w ? battery.judgement.rows.find((x) => x.probe === w) : undefined;
  return { run: k, removed: !witness || witness.got === 'allowed', witness, battery };
}

/** allRuns: the floor, then strict minus each removable layer, then each removable layer alone */
export function allRuns(): RunKind[] {
  return [{ kind: 'floor' }, ...REMOVABLE.map((layer): RunKind => ({ kind: 'minus', layer })), ...REMOVABLE.map((layer): RunKind => ({ kind: 'only', layer }))];
}

/** what the attribution runs showed for one probe */
export interface ProbeAttribution {
  readonly probe: string;
  readonly tries: string;
  readonly credited: readonly Layer[];
  /** the probe's result with every removable layer gone */
  readonly floor: string;
  /** layers whose removal alone let the probe through */
  readonly soleStop: readonly Layer[];
  /** layers that stopped it when kept alone (the floor let it through) */
  readonly aloneStops: readonly Layer[];
  /** credited layers that were removed while the probe stayed stopped (others held) */
  readonly heldWithout: readonly Layer[];
  /** credited layers no profile can remove (credit by design) */
  readonly byDesign: readonly Layer[];
  /** credited layers the runs contradict: kept alone it got through, or its removal as the sole credit did not let it through */
  readonly contradicted: readonly Layer[];
}

const got = (r: AttributionRun | undefined, id: string) => r?.battery.judgement.rows.find((x) => x.probe === id)?.got;
const stopped = (g: string | undefined) => g === 'blocked' || g === 'unavailable';

export function attributeProbes(runs: readonly AttributionRun[]): ProbeAttribution[] {
  const find = (kind: string, layer?: Layer) => runs.find((r) => r.run.kind === kind && (r.run.kind === 'floor' || (r.run as { layer: Layer }).layer === layer));
  const floor = find('floor');
  return PROBE_CATALOG.map((p) => {
    const soleStop: Layer[] = [], aloneStops: Layer[] = [], heldWithout: Layer[] = [], contradicted: Layer[] = [];
    const fl = got(floor, p.id);
    for (const layer of REMOVABLE) {
      const minus = find('minus', layer);
      const only = find('only', layer);
      const gm = minus?.removed ? got(minus, p.id) : undefined;
      const go = got(only, p.id);
      if (gm === 'allowed') soleStop.push(layer);
      else if (stopped(gm) && p.layers.includes(layer)) {
        if (p.layers.length === 1 && gm === 'blocked') contradicted.push(layer);
        else heldWithout.push(layer);
      }
      if (fl === 'allowed' && go === 'blocked') aloneStops.push(layer);
      if (p.layers.includes(layer) && go === 'allowed' && !contradicted.includes(layer)) contradicted.push(layer);
    }
    const tested = new Set(runs.filter((r) => r.run.kind === 'minus' && r.removed).map((r) => (r.run as { layer: Layer }).layer));
    return {
      probe: p.id, tries: p.tries, credited: p.layers, floor: fl ?? 'not run', soleStop, aloneStops, heldWithout, contradicted,
      byDesign: p.layers.filter((l) => !tested.has(l)),
    };
  });
}

/** layersMarkdown renders docs/layers.md from the attribution runs */
export function layersMarkdown(runs: readonly AttributionRun[], machine: string): string {
  const rows = attributeProbes(runs);
  const code = (ls: readonly string[]) => (ls.length ? ls.map((l) => `\`${l}\``).join(', ') : '—');
  const out: string[] = [
    '<!-- docs/layers.md — GENERATED by `npm run gen:layers` (scripts/gen-layers.mjs) from the layer-attribution runs; do not edit -->',
    '# Which layer stops which escape',
    '',
    'The escape battery (test/fixtures/probe) ran under `strict` changed by profile files',
    '(sandbox/selftest/attribution.ts): the **floor** (every layer a profile can remove, removed),',
    '**strict minus** one layer, and **only** one removable layer kept on the floor.',
    '',
    '- **floor**: the probe\'s result with every removable layer gone (the user and pid namespaces, the',
    '  locked mount tree, the fd sweep and the minimal /dev always stay);',
    '- **removal lets it through**: strict minus this layer let the probe through (the layer is its only stop);',
    '- **stops it alone**: kept alone on the floor, this layer stopped a probe the floor let through;',
    '- **held without**: a credited layer was removed and the probe stayed stopped (another layer held:',
    '  defence in depth);',
    '- **by design**: credited layers no profile can remove, so their credit rests on the runtime\'s',
    '  design and the strict run rather than on a removal.',
    '',
    'A probe the kernel does not offer at all is `unavailable` on the floor.',
    '',
    `Machine: ${machine}`,
    '',
    '| probe | what it tries | credited layers | floor | removal lets it through | stops it alone | held without | by design |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const bad = r.contradicted.length ? ` (**contradicted**: ${code(r.contradicted)})` : '';
    out.push(`| \`${r.probe}\` | ${r.tries.replace(/\|/g, '\\|')} | ${code(r.credited)}${bad} | ${r.floor} | ${code(r.soleStop)} | ${code(r.aloneStops)} | ${code(r.heldWithout)} | ${code(r.byDesign)} |`);
  }
  out.push('', '## The layers', '', '| layer | what it is | removed for attribution by |', '|---|---|---|');
  for (const [layer, what] of Object.entries(LAYERS)) {
    const rm = REMOVALS.find((x) => x.layer === layer);
    const res = runs.find((x) => x.run.kind === 'minus' && x.run.layer === layer);
    const not = res && !res.removed ? ` (**the runtime did not remove it**: \`${rm?.witness}\` stayed stopped, so no run counts it)` : '';
    const how = rm?.override ? `${rm.how}${not}` : `cannot be removed: ${rm?.cannot ?? '?'}`;
    out.push(`| \`${layer}\` | ${what} | ${how} |`);
  }
  return `${out.join('\n')}\n`;
}
