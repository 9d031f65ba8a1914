// image/records.ts — what the store writes about images, and the image config as read (CLI process)
//
// Configs come from hostile archives: parsed with zod, digests checked by shape before any use.
import { z } from 'zod';
import { fail } from '../common/errors.js';
import type { ImageConfig } from './types.js';

export const DIGEST = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'not a sha256 digest');

export const LayerRecord = z.object({
  diffId: DIGEST,
  /** the blob as received (compressed or not) */
  digest: DIGEST,
  mediaType: z.string(),
  size: z.number().int().nonnegative(),
  diffSize: z.number().int().nonnegative(),
});
export type LayerRecord = z.infer<typeof LayerRecord>;

export const ImageRecord = z.object({
  v: z.literal(1),
  id: DIGEST,
  layers: z.array(LayerRecord),
  /** digest of the OCI/docker manifest it came with, when there was one (name@digest refs) */
  manifestDigest: DIGEST.optional(),
  loadedAt: z.string(),
});
export type ImageRecord = z.infer<typeof ImageRecord>;

export const IndexFile = z.object({
  v: z.literal(1),
  /** "name:tag" → image id */
  refs: z.record(z.string(), DIGEST),
});
export type IndexFile = z.infer<typeof IndexFile>;

const HistoryEntry = z.object({
  created: z.string().optional(),
  created_by: z.string().optional(),
  comment: z.string().optional(),
  author: z.string().optional(),
  empty_layer: z.boolean().optional(),
}).loose();

export const ConfigFile = z.object({
  architecture: z.string().optional(),
  os: z.string().optional(),
  variant: z.string().optional(),
  created: z.string().optional(),
  author: z.string().optional(),
  config: z.record(z.string(), z.unknown()).nullable().optional(),
  rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(DIGEST) }),
  history: z.array(HistoryEntry).optional(),
}).loose();
export type ConfigFile = z.infer<typeof ConfigFile>;

/** parseConfig reads an image config blob; malformed → TSS_EARCHIVE naming where it came from. */
export function parseConfig(bytes: Buffer, what: string): ConfigFile {
  let json: unknown;
  try { json = JSON.parse(bytes.toString('utf8')); } catch { return fail('TSS_EARCHIVE', 'read config', what, 'not JSON'); }
  const r = ConfigFile.safeParse(json);
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
