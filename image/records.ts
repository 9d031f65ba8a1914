// image/records.ts — what the store writes about images, and the image config as read (CLI process)
//
// Configs come from hostile archives: checked against these zod schemas — by zod itself, or by
// record-read.ts's narrower hand-written check, which accepts a subset and returns zod's exact output
// (test/image/record-read.test.ts holds them to that) — and digests checked by shape before any use.
// The schemas live in record-shapes.ts; the store's per-command reads go through record-read.ts,
// which does not load zod unless a file is malformed.
import { z } from 'zod';
import { recordSchemas } from './record-shapes.js';
import type * as T from './record-shapes.js';
export { parseConfig, runConfig } from './record-read.js';

export const { DIGEST, LayerRecord, ImageRecord, IndexFile, ConfigFile } = recordSchemas(z);
export type LayerRecord = T.LayerRecord;
export type ImageRecord = T.ImageRecord;
export type IndexFile = T.IndexFile;
export type ConfigFile = T.ConfigFile;
