// policy/load.ts — reads a profile file, validates it, resolves `extends` and produces the resolved Profile (everywhere, reads files)
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { capabilityName } from '../abi/index.js';
import { errnoReason } from '../common/errors.js';
import type { Profile, Rlimit } from './types.js';
import { profileSchema, type RawProfile, type RawRule } from './schema.js';
import { joinPath, lineOf, parseProfileText, profileError, type Parsed } from './source-map.js';
import { resolveEgress } from './egress.js';
import { SpecError, actionAt, expandSyscalls, ruleToSeccomp } from './seccomp-spec.js';
import { resolveEmulateRules } from './emulate.js';
import { canonicalJson } from './seccomp/compile.js';
import { actionKey, formatAction, KILL_PROCESS, EPERM } from './seccomp/actions.js';
import type { SeccompPolicy, SeccompRule } from './seccomp/types.js';

/** Built-in profiles ship in <repo>/profiles, found from this module so any cwd works. */
export const PROFILES_DIR = fileURLToPath(new URL('../../profiles/', import.meta.url));
const MAX_EXTENDS = 8;

export function listBuiltinProfiles(): string[] {
  try {
    return readdirSync(PROFILES_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
  } catch { return []; }
}

interface Layer { readonly raw: RawProfile; readonly parsed: Parsed; readonly file: string; readonly display: string }

function locate(nameOrPath: string, from?: string): { file: string; display: string; builtin: boolean } {
  if (/^[a-z][a-z0-9-]*$/.test(nameOrPath) && existsSync(resolve(PROFILES_DIR, `${nameOrPath}.yaml`))) {
    return { file: resolve(PROFILES_DIR, `${nameOrPath}.yaml`), display: `profiles/${nameOrPath}.yaml`, builtin: true };
  }
  // the built-in floor layers (`extends: base/always.yaml`) by name, so a profile anywhere can stand on them
  if (/^base\/[a-z][a-z0-9-]*\.yaml$/.test(nameOrPath) && existsSync(resolve(PROFILES_DIR, nameOrPath)) && !existsSync(resolve(from ?? process.cwd(), nameOrPath))) {
    return { file: resolve(PROFILES_DIR, nameOrPath), display: `profiles/${nameOrPath}`, builtin: true };
  }
  const file = isAbsolute(nameOrPath) ? nameOrPath : resolve(from ?? process.cwd(), nameOrPath);
  // built-in layers (profiles/base/…) are named the same whatever the cwd
  const inBuiltin = relative(PROFILES_DIR, file);
  if (!inBuiltin.startsWith('..') && !isAbsolute(inBuiltin)) return { file, display: `profiles/${inBuiltin}`, builtin: false };
  const rel = relative(process.cwd(), file);
  return { file, display: rel && !rel.startsWith('..') ? rel : file, builtin: false };
}

function readLayer(file: string, display: string, given?: string): Layer {
  let text: string;
  try { text = given ?? readFileSync(file, 'utf8'); } catch (e) {
    throw profileError(display, undefined, '', `cannot read: ${errnoReason(e)}`);
  }
  const parsed = parseProfileText(text, display);
  if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    throw profileError(display, 1, '', 'a profile is a mapping of fields (extends, capabilities, seccomp …)');
  }
  const r = profileSchema.safeParse(parsed.value);
  if (!r.success) {
    const issue = bestIssue(r.error.issues as unknown as ZIssue[]);
    let path = '';
    for (const k of issue.path) path = joinPath(path, typeof k === 'number' ? k : String(k));
    if (issue.code === 'unrecognized_keys') {
      const key = String((issue as { keys?: string[] }).keys?.[0]);
      const full = joinPath(path, key);
      throw profileError(display, lineOf(parsed, full), full, 'unknown field');
    }
    throw profileError(display, lineOf(parsed, path), path || '(top)', issue.message.split('\n')[0]!);
  }
  return { raw: r.data, parsed, file, display };
}

interface ZIssue { code: string; path: PropertyKey[]; message: string; keys?: string[]; errors?: ZIssue[][] }

/**
 * bestIssue picks the issue to report: a misspelt field before a missing one (the typo is the
 * cause), and inside a union (`seccomp: null | {…}`) the branch that got furthest.
 */
function bestIssue(issues: ZIssue[], prefix: PropertyKey[] = []): ZIssue {
  const sorted = [...issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  const first = sorted[0]!;
  if (first.code === 'invalid_union' && first.errors?.length) {
    const depth = (br: ZIssue[]): number => Math.max(...br.map((i) => i.path.length + (i.code === 'invalid_union' ? 1 : 0)));
    const branch = [...first.errors].filter((b) => b.length).sort((a, b) => depth(b) - depth(a))[0];
    if (branch && depth(branch) > 0) return bestIssue(branch, [...prefix, ...first.path]);
  }
  return { ...first, path: [...prefix, ...first.path] };
}

function at(l: Layer, path: string): string {
  const line = lineOf(l.parsed, path);
  return line === undefined ? l.display : `${l.display}:${line}`;
}

function wrapSpec<T>(l: Layer, fn: () => T): T {
  try { return fn(); } catch (e) {
    if (e instanceof SpecError) throw profileError(l.display, lineOf(l.parsed, e.path), e.path, e.message);
    throw e;
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
function bytes(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = v.match(/^(\d+(?:\.\d+)?)([kKmMgGtT]?)[bB]?$/)!;
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}
function rlimitValue(v: number | 'unlimited'): number { return v === 'unlimited' ? -1 : v; }

/** loadProfile reads a built-in profile by name or a profile file by path and resolves it. */
export function loadProfile(nameOrPath: string): Profile {
  return resolveProfile(nameOrPath, locate(nameOrPath));
}

/**
 * loadProfileText resolves a profile given as text (an imported Docker profile, a test's
 * inline profile); `display` names it in errors and `extends` is relative to `dir`.
 */
export function loadProfileText(text: string, display: string, dir: string = process.cwd()): Profile {
  return resolveProfile(display, { file: resolve(dir, display), display, builtin: false }, text);
}

function resolveProfile(nameOrPath: string, first: { file: string; display: string; builtin: boolean }, firstText?: string): Profile {
  const chain: Layer[] = [];
  const seen: string[] = [];
  let cur: { file: string; display: string } | undefined = first;
  while (cur) {
    if (seen.includes(cur.file)) {
      const child = chain[chain.length - 1]!;
      throw profileError(child.display, lineOf(child.parsed, 'extends'), 'extends', `cycle: ${[...chain.map((c) => c.display), cur.display].join(' → ')}`);
    }
    if (chain.length >= MAX_EXTENDS) {
      const child = chain[chain.length - 1]!;
      throw profileError(child.display, lineOf(child.parsed, 'extends'), 'extends', `more than ${MAX_EXTENDS} levels of extends`);
    }
    seen.push(cur.file);
    const layer = readLayer(cur.file, cur.display, chain.length === 0 ? firstText : undefined);
    chain.push(layer);
    const ext = layer.raw.extends;
    if (ext !== undefined) {
      const next = locate(ext, dirname(layer.file));
      if (!existsSync(next.file)) throw profileError(layer.display, lineOf(layer.parsed, 'extends'), 'extends', `no built-in profile or file \`${ext}\``);
      cur = next;
    } else cur = undefined;
  }
  // chain: leaf first. Resolve from the root ancestor down so children override.
  const layers = [...chain].reverse();
  const sources: Record<string, string> = {};
  const pick = <T>(field: string, get: (r: RawProfile) => T | undefined, dflt: T): T => {
    let v = dflt;
    for (const l of layers) { const x = get(l.raw); if (x !== undefined) { v = x; sources[field] = at(l, field); } }
    return v;
  };
  const caps = pick('capabilities', (r) => r.capabilities, [] as string[]);
  const capLayer = [...chain].find((l) => l.raw.capabilities !== undefined);
  const capabilities = caps.map((c, i) => {
    const n = capabilityName(c);
    if (!n) throw profileError(capLayer!.display, lineOf(capLayer!.parsed, `capabilities[${i}]`), `capabilities[${i}]`, `unknown capability \`${c}\``);
    return n;
  });
  const rlimits: Record<string, Rlimit> = {};
  for (const l of layers) {
    for (const [k, v] of Object.entries(l.raw.rlimits ?? {})) {
      rlimits[k] = typeof v === 'object' ? { soft: rlimitValue(v.soft), hard: rlimitValue(v.hard) } : { soft: rlimitValue(v), hard: rlimitValue(v) };
      sources[`rlimits.${k}`] = at(l, `rlimits.${k}`);
    }
  }
  const merged = <T extends object>(field: string, get: (r: RawProfile) => T | undefined): Partial<T> => {
    const out: Record<string, unknown> = {};
    for (const l of layers) {
      for (const [k, v] of Object.entries(get(l.raw) ?? {})) {
        if (v !== undefined) { out[k] = v; sources[`${field}.${k}`] = at(l, `${field}.${k}`); }
      }
    }
    return out as Partial<T>;
  };
  const lim = merged('limits', (r) => r.limits);
  const loo = merged('loosen', (r) => r.loosen);
  const sup = merged('supervisor', (r) => r.supervisor);
  // emulate rules: the nearest layer that has any replaces its ancestors' (like every supervisor field)
  const emuLayer = [...chain].find((l) => l.raw.supervisor?.rules !== undefined);
  const emulate = emuLayer ? wrapSpec(emuLayer, () => resolveEmulateRules(emuLayer.raw.supervisor!.rules!, 'supervisor.rules', (p) => at(emuLayer, p))) : [];
  if (emulate.length && (sup.mode ?? 'off') !== 'notify') {
    throw profileError(emuLayer!.display, lineOf(emuLayer!.parsed, 'supervisor.rules'), 'supervisor.rules', 'emulate rules need `supervisor.mode: notify` (nothing else can answer them)');
  }
  const looLayer = [...chain].find((l) => l.raw.loosen?.capAdd !== undefined);
  const capAdd = (loo.capAdd ?? []).map((c, i) => {
    if (c === 'ALL') return c;
    const n = capabilityName(c);
    if (!n) throw profileError(looLayer!.display, lineOf(looLayer!.parsed, `loosen.capAdd[${i}]`), `loosen.capAdd[${i}]`, `unknown capability \`${c}\``);
    return n;
  });
  const seccomp = resolveSeccomp(layers, sources, nameOrPath);
  // egress: the nearest layer that says anything decides (none included), like network
  const egressLayer = [...chain].find((l) => l.raw.egress !== undefined);
  const egress = egressLayer ? wrapSpec(egressLayer, () => resolveEgress(egressLayer.raw.egress, 'egress')) : undefined;
  if (egressLayer) sources['egress'] = at(egressLayer, 'egress');
  const warn = pick('warn', (r) => r.warn, undefined as string | undefined);
  const profileNoDigest = {
    name: first.builtin ? nameOrPath : first.display,
    source: first.display,
    capabilities,
    noNewPrivileges: pick('noNewPrivileges', (r) => r.noNewPrivileges, true),
    rootfs: { readOnly: pick('rootfs.readOnly', (r) => r.rootfs?.readOnly, false) },
    tmpfs: pick('tmpfs', (r) => r.tmpfs, [] as { path: string; options: string }[]),
    maskedPaths: pick('maskedPaths', (r) => r.maskedPaths, [] as string[]),
    readonlyPaths: pick('readonlyPaths', (r) => r.readonlyPaths, [] as string[]),
    devices: pick('devices', (r) => r.devices, ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'ptmx', 'shm']),
    rlimits,
    limits: {
      ...(lim.memory !== undefined ? { memory: bytes(lim.memory) } : {}),
      ...(lim.memorySwap !== undefined ? { memorySwap: bytes(lim.memorySwap) } : {}),
      ...(lim.pids !== undefined ? { pids: lim.pids } : {}),
      ...(lim.cpus !== undefined ? { cpus: lim.cpus } : {}),
    },
    network: pick('network', (r) => r.network, 'none' as const),
    ...(egress !== undefined ? { egress } : {}),
    loosen: {
      networkHost: loo.networkHost ?? false, networkLab: loo.networkLab ?? false, capAdd,
      readWrite: loo.readWrite ?? false, seccompOverride: loo.seccompOverride ?? false, raiseLimits: loo.raiseLimits ?? false,
    },
    supervisor: { mode: sup.mode ?? 'off', audit: sup.audit ?? [], recordAll: sup.recordAll ?? false, ...(emulate.length ? { emulate } : {}) },
    seccomp,
    ...(warn ? { warn } : {}),
  };
  const digest = createHash('sha256').update(canonicalJson(profileNoDigest)).digest('hex');
  return { ...profileNoDigest, digest, sources };
}

function resolveSeccomp(layers: Layer[], sources: Record<string, string>, name: string): SeccompPolicy | null {
  // The nearest layer that says `seccomp: null` turns the filter off; layers above it are ignored.
  let start = 0;
  let any = false;
  layers.forEach((l, i) => {
    if (l.raw.seccomp === null) { start = i + 1; any = true; sources['seccomp'] = at(l, 'seccomp'); }
    else if (l.raw.seccomp !== undefined) any = true;
  });
  const root = layers[0]!;
  if (!any) throw profileError(root.display, 1, 'seccomp', 'required in a profile without `extends` (write `seccomp: null` for no filter)');
  const leaf = layers[layers.length - 1]!;
  if (start > 0) {
    // A filter switched off below a profile with final rules loosens what it forbids.
    for (const l of layers.slice(0, start)) {
      const fin = (l.raw.seccomp?.rules ?? []).findIndex((r) => r.final);
      if (fin >= 0) {
        const off = layers[start - 1]!;
        throw profileError(off.display, lineOf(off.parsed, 'seccomp'), 'seccomp', `cannot turn off the filter: ${at(l, `seccomp.rules[${fin}]`)} marks rules final`);
      }
    }
    if (start === layers.length) return null;
  }
  const active = layers.slice(start);
  const groups: Record<string, string[]> = {};
  for (const l of active) Object.assign(groups, l.raw.seccomp?.groups ?? {});
  let defaultAction = EPERM; let defaultSource: string | undefined;
  let foreignAction = KILL_PROCESS;
  let arches: SeccompPolicy['arches'] = ['x86_64', 'aarch64'];
  const perLayer: SeccompRule[][] = [];
  const finals: Array<{ names: Set<string>; action: string; act: ReturnType<typeof actionAt>; where: string }> = [];
  for (const l of active) {
    const s = l.raw.seccomp;
    if (!s) { perLayer.push([]); continue; }
    wrapSpec(l, () => {
      if (s.defaultAction !== undefined) { defaultAction = actionAt(s.defaultAction, 'seccomp.defaultAction'); defaultSource = at(l, 'seccomp.defaultAction'); sources['seccomp.defaultAction'] = defaultSource; }
      if (s.foreignAction !== undefined) { foreignAction = actionAt(s.foreignAction, 'seccomp.foreignAction'); sources['seccomp.foreignAction'] = at(l, 'seccomp.foreignAction'); }
      if (s.arches) { arches = s.arches; sources['seccomp.arches'] = at(l, 'seccomp.arches'); }
      for (const [g, members] of Object.entries(s.groups ?? {})) expandSyscalls(members, groups, `seccomp.groups.${g}`);
      const rules: SeccompRule[] = [];
      const each = (raw: RawRule, path: string, arch?: 'x86_64' | 'i386' | 'x32' | 'aarch64'): void => {
        const src = at(l, path);
        sources[path] = src;
        const out = ruleToSeccomp(raw, path, groups, src, arch ? [arch] : undefined);
        // A rule may not give a syscall another action than an ancestor's final rule does.
        for (const f of finals) {
          const clash = out.find((r) => f.names.has(r.syscall) && actionKey(r.action) !== f.action);
          if (clash) throw new SpecError(`${path}.syscalls`, `\`${clash.syscall}\` is final in ${f.where} as ${formatAction(f.act)}; a profile extending it cannot loosen it`);
        }
        rules.push(...out);
      };
      (s.rules ?? []).forEach((r, i) => each(r, `seccomp.rules[${i}]`));
      for (const [arch, list] of Object.entries(s.perArch ?? {})) {
        (list ?? []).forEach((r, i) => each(r, `seccomp.perArch.${arch}[${i}]`, arch as 'x86_64'));
      }
      // finals of this layer bind the layers below it (its descendants)
      (s.rules ?? []).forEach((r, i) => {
        if (r.final) {
          finals.push({ names: new Set(rules.filter((x) => x.source === at(l, `seccomp.rules[${i}]`)).map((x) => x.syscall)), action: actionKey(actionAt(r.action, '')), act: actionAt(r.action, ''), where: at(l, `seccomp.rules[${i}]`) });
        }
      });
      perLayer.push(rules);
    });
  }
  // Nearest profile first: a child's rule for a syscall is tried before its parent's.
  const rules = perLayer.reverse().flat();
  const policy: SeccompPolicy = {
    name: leaf.display === `profiles/${basename(leaf.display)}` ? basename(leaf.display, '.yaml') : name,
    defaultAction, arches, foreignAction, rules, ...(defaultSource ? { source: defaultSource } : {}),
  };
  return policy;
}

export type { RawProfile };
