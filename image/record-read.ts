// image/record-read.ts — the store's records and image configs read on every command, without loading zod (CLI process)
//
// Each check below accepts a subset of what its zod schema (record-shapes.ts) accepts and returns
// what zod would (same keys, same order: test/image/record-read.test.ts compares them on valid,
// mutated and random inputs). Anything it does not accept goes to the zod schema itself, which
// decides and names the error: a check that is too strict only costs a load of zod.
import { createRequire } from 'node:module';
import { fail } from '../common/errors.js';
import { recordSchemas, type ConfigFile, type ImageRecord, type IndexFile, type LayerRecord } from './record-shapes.js';
import type { ImageConfig } from './types.js';

type Parsed<T> = { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };

let slow: ReturnType<typeof recordSchemas> | undefined;
/** the zod schemas, from zod's CommonJS entry (synchronous: the store's reads are) */
function schemas(): ReturnType<typeof recordSchemas> {
  slow ??= recordSchemas((createRequire(import.meta.url)('zod') as typeof import('zod')).z);
  return slow;
}

type Obj = Record<string, unknown>;
/** a plain JSON object without a __proto__ key (zod treats that key specially: left to zod) */
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x) && !Object.hasOwn(x, '__proto__');
const isDigest = (x: unknown): x is string => typeof x === 'string' && /^sha256:[a-f0-9]{64}$/.test(x);
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isOptStr = (o: Obj, k: string) => !(k in o) || typeof o[k] === 'string';
const MISS = Symbol('miss');

function layer(x: unknown): LayerRecord | typeof MISS {
  if (!isObj(x) || !isDigest(x.diffId) || !isDigest(x.digest) || typeof x.mediaType !== 'string' || !isCount(x.size) || !isCount(x.diffSize)) return MISS;
  return { diffId: x.diffId, digest: x.digest, mediaType: x.mediaType, size: x.size, diffSize: x.diffSize };
}

function fastRecord(x: unknown): ImageRecord | undefined {
  if (!isObj(x) || x.v !== 1 || !isDigest(x.id) || !Array.isArray(x.layers) || typeof x.loadedAt !== 'string') return undefined;
  if ('manifestDigest' in x && !isDigest(x.manifestDigest)) return undefined;
  const layers: LayerRecord[] = [];
  for (const l of x.layers) { const r = layer(l); if (r === MISS) return undefined; layers.push(r); }
  return { v: 1, id: x.id, layers, ...('manifestDigest' in x ? { manifestDigest: x.manifestDigest as string } : {}), loadedAt: x.loadedAt };
}

function fastIndex(x: unknown): IndexFile | undefined {
  if (!isObj(x) || x.v !== 1 || !isObj(x.refs)) return undefined;
  const refs: Record<string, string> = {};
  for (const [k, v] of Object.entries(x.refs)) { if (!isDigest(v)) return undefined; refs[k] = v; }
  return { v: 1, refs };
}

const HISTORY_STRINGS = ['created', 'created_by', 'comment', 'author'];
function history(x: unknown): Obj | typeof MISS {
  if (!isObj(x) || !HISTORY_STRINGS.every((k) => isOptStr(x, k)) || ('empty_layer' in x && typeof x.empty_layer !== 'boolean')) return MISS;
  return looseCopy(x, [...HISTORY_STRINGS, 'empty_layer'], {});
}

/** a loose object as zod returns it: the shape's keys (present ones) in shape order, then the rest in input order */
function looseCopy(x: Obj, shape: readonly string[], parsed: Obj): Obj {
  const out: Obj = {};
  for (const k of shape) if (k in x) out[k] = k in parsed ? parsed[k] : x[k];
  for (const k in x) if (!shape.includes(k)) out[k] = x[k];
  return out;
}

const CONFIG_STRINGS = ['architecture', 'os', 'variant', 'created', 'author'];
const CONFIG_SHAPE = [...CONFIG_STRINGS, 'config', 'rootfs', 'history'];
function fastConfig(x: unknown): ConfigFile | undefined {
  if (!isObj(x) || !CONFIG_STRINGS.every((k) => isOptStr(x, k))) return undefined;
  const parsed: Obj = {};
  if ('config' in x && x.config !== null) {
    if (!isObj(x.config)) return undefined;
    parsed.config = { ...x.config };
  }
  const rootfs = x.rootfs;
  if (!isObj(rootfs) || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids) || !rootfs.diff_ids.every(isDigest)) return undefined;
  parsed.rootfs = { type: 'layers', diff_ids: [...rootfs.diff_ids] };
  if ('history' in x) {
    if (!Array.isArray(x.history)) return undefined;
    const h: Obj[] = [];
    for (const e of x.history) { const r = history(e); if (r === MISS) return undefined; h.push(r); }
    parsed.history = h;
  }
  return looseCopy(x, CONFIG_SHAPE, parsed) as ConfigFile;
}

function read<T>(fast: (x: unknown) => T | undefined, schema: () => { safeParse(x: unknown): unknown }, json: unknown): Parsed<T> {
  const data = fast(json);
  return data !== undefined ? { success: true, data } : (schema().safeParse(json) as Parsed<T>);
}

/** the checks alone (undefined: left to zod), for the differential test */
export const fastChecks = { record: fastRecord, index: fastIndex, config: fastConfig };

export const readImageRecord = (json: unknown): Parsed<ImageRecord> => read(fastRecord, () => schemas().ImageRecord, json);
export const readIndexFile = (json: unknown): Parsed<IndexFile> => read(fastIndex, () => schemas().IndexFile, json);
export const readConfigFile = (json: unknown): Parsed<ConfigFile> => read(fastConfig, () => schemas().ConfigFile, json);

/** parseConfig reads an image config blob; malformed → TSS_EARCHIVE naming where it came from. */
export function parseConfig(bytes: Buffer, what: string): ConfigFile {
  let json: unknown;
  try { json = JSON.parse(bytes.toString('utf8')); } catch { return fail('TSS_EARCHIVE', 'read config', what, 'not JSON'); }
  const r = readConfigFile(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return fail('TSS_EARCHIVE', 'read config', what, `${i.path.join('.') || 'config'}: ${i.message}`);
  }
  return r.data;
}

/** runConfig picks the fields `run` uses, with their expected shapes (others dropped). */
export function runConfig(cfg: ConfigFile): ImageConfig {
  const c = (cfg.config ?? {}) as Record<string, unknown>;
  const strs = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined);
  const rec = (v: unknown): Record<string, object> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, object>) : undefined);
  const out: Record<string, unknown> = {};
  if (typeof c.User === 'string') out.User = c.User;
  if (strs(c.Env)) out.Env = strs(c.Env);
  if (c.Entrypoint === null || strs(c.Entrypoint)) out.Entrypoint = c.Entrypoint;
  if (c.Cmd === null || strs(c.Cmd)) out.Cmd = c.Cmd;
  if (typeof c.WorkingDir === 'string') out.WorkingDir = c.WorkingDir;
  if (rec(c.ExposedPorts)) out.ExposedPorts = c.ExposedPorts;
  if (rec(c.Labels) && Object.values(c.Labels as object).every((x) => typeof x === 'string')) out.Labels = c.Labels;
  if (typeof c.StopSignal === 'string') out.StopSignal = c.StopSignal;
  if (rec(c.Volumes)) out.Volumes = c.Volumes;
  return out as ImageConfig;
}
