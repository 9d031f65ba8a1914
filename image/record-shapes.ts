// image/record-shapes.ts — the zod schemas of the store's records and of image configs, built from a given zod (CLI process)
//
// Configs come from hostile archives: checked against these zod schemas — by zod itself, or by
// record-read.ts's narrower hand-written check, which accepts a subset and returns zod's exact output
// (test/image/record-read.test.ts holds them to that) — and digests checked by shape before any use.
// The schemas are built from the zod passed in: records.ts builds them from zod's ESM entry for the
// load and inspect paths; record-read.ts reads the store on every `run` without loading zod (~110 ms
// of a run's CPU) and builds them, from zod's CommonJS entry, only to name what a malformed file got wrong.
import type { z as Z } from 'zod';

export function recordSchemas(z: typeof Z) {
  const DIGEST = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'not a sha256 digest');

  const LayerRecord = z.object({
    diffId: DIGEST,
    /** the blob as received (compressed or not) */
    digest: DIGEST,
    mediaType: z.string(),
    size: z.number().int().nonnegative(),
    diffSize: z.number().int().nonnegative(),
  });

  const ImageRecord = z.object({
    v: z.literal(1),
    id: DIGEST,
    layers: z.array(LayerRecord),
    /** digest of the OCI/docker manifest it came with, when there was one (name@digest refs) */
    manifestDigest: DIGEST.optional(),
    loadedAt: z.string(),
  });

  const IndexFile = z.object({
    v: z.literal(1),
    /** "name:tag" → image id */
    refs: z.record(z.string(), DIGEST),
  });

  const HistoryEntry = z.object({
    created: z.string().optional(),
    created_by: z.string().optional(),
    comment: z.string().optional(),
    author: z.string().optional(),
    empty_layer: z.boolean().optional(),
  }).loose();

  const ConfigFile = z.object({
    architecture: z.string().optional(),
    os: z.string().optional(),
    variant: z.string().optional(),
    created: z.string().optional(),
    author: z.string().optional(),
    config: z.record(z.string(), z.unknown()).nullable().optional(),
    rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(DIGEST) }),
    history: z.array(HistoryEntry).optional(),
  }).loose();

  return { DIGEST, LayerRecord, ImageRecord, IndexFile, ConfigFile };
}

type Schemas = ReturnType<typeof recordSchemas>;
export type LayerRecord = Z.infer<Schemas['LayerRecord']>;
export type ImageRecord = Z.infer<Schemas['ImageRecord']>;
export type IndexFile = Z.infer<Schemas['IndexFile']>;
export type ConfigFile = Z.infer<Schemas['ConfigFile']>;
