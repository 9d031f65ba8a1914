// image/inspect.ts — `image inspect`, `history` and `images` rows as data (CLI process)
import { humanAge, humanSize, shortId } from './format.js';
import { splitTag } from './ref.js';
import type { ImageInfo, ImageStore } from './store.js';

/** inspectImage returns docker's `image inspect` object for one image ref. */
export function inspectImage(store: ImageStore, ref: string): Record<string, unknown> {
  const info = store.info(ref);
  const c = info.config;
  return {
    Id: info.id,
    RepoTags: info.tags,
    RepoDigests: info.record.manifestDigest ? info.tags.map((t) => `${splitTag(t).repository}@${info.record.manifestDigest}`) : [],
    Created: c.created ?? '',
    Author: c.author ?? '',
    Config: c.config ?? null,
    Architecture: c.architecture ?? '',
    Os: c.os ?? '',
    ...(c.variant ? { Variant: c.variant } : {}),
    Size: info.size,
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    GraphDriver: {
      Name: 'tssandbox-layers',
      Data: { Layers: info.record.layers.map((l) => store.layout.layerPath(l.diffId)) },
    },
    Metadata: { LastTagTime: info.record.loadedAt },
  };
}

export interface ImageRow {
  Repository: string; Tag: string; ID: string; CreatedAt: string; CreatedSince: string; Size: string; VirtualSize: string;
}

/** imageRows gives one row per tag (or one "<none>" row for an untagged image). */
export function imageRows(list: readonly ImageInfo[]): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const i of list) {
    const base = { ID: shortId(i.id), CreatedAt: i.config.created ?? '', CreatedSince: humanAge(i.config.created), Size: humanSize(i.size), VirtualSize: humanSize(i.size) };
    if (i.tags.length === 0) rows.push({ Repository: '<none>', Tag: '<none>', ...base });
    for (const t of i.tags) { const s = splitTag(t); rows.push({ Repository: s.repository, Tag: s.tag, ...base }); }
  }
  return rows;
}

export interface HistoryRow { ID: string; CreatedAt: string; CreatedSince: string; CreatedBy: string; Size: string; Comment: string }

/** historyRows lists the config's history newest first, pairing non-empty entries with layers. */
export function historyRows(store: ImageStore, ref: string): HistoryRow[] {
  const info = store.info(ref);
  const hist = info.config.history ?? info.record.layers.map(() => ({} as Record<string, unknown>));
  const rows: HistoryRow[] = [];
  let layer = 0;
  for (const h of hist as Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>) {
    const size = h.empty_layer ? 0 : (info.record.layers[layer++]?.diffSize ?? 0);
    rows.push({ ID: '<missing>', CreatedAt: h.created ?? '', CreatedSince: humanAge(h.created), CreatedBy: h.created_by ?? '', Size: humanSize(size), Comment: h.comment ?? '' });
  }
  rows.reverse();
  if (rows[0]) rows[0].ID = shortId(info.id);
  return rows;
}
