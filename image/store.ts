// image/store.ts — the content-addressed image store: refs, records, commit, resolve, rmi, tag (CLI process)
import { existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fail, errnoReason, SandboxError } from '../common/errors.js';
import { byCodePoint } from '../common/compare.js';
import { StoreLayout, hexOf } from './layout.js';
// the records are read without zod (record-read.ts): `run` reads them on every call
import { parseConfig, readImageRecord, readIndexFile, runConfig } from './record-read.js';
import type { ConfigFile, ImageRecord, IndexFile, LayerRecord } from './record-shapes.js';
import { idHex, normaliseTag, parseRef } from './ref.js';
import type { ResolvedImage } from './types.js';
// the archive code (tar, compression) loads only for the commands that need it: `run` resolves
// images on every call and must not pay for it
import type { ImportOptions } from './import.js';
import type { LoadOptions, LoadedImage } from './load.js';
import { historyRows, inspectImage, type HistoryRow } from './inspect.js';

/** A layer staged in a work dir, waiting for commit. */
export interface StagedLayer {
  readonly record: LayerRecord;
  /** the blob file in the work dir; omitted when the blob is already stored */
  readonly blobTmp?: string;
  /** the unpacked tree in the work dir; omitted when the layer is already stored */
  readonly dirTmp?: string;
}

export interface StagedImage {
  readonly id: string;
  readonly configTmp: string;
  readonly layers: readonly StagedLayer[];
  readonly tags: readonly string[];
  readonly manifestDigest?: string;
}

export interface ImageInfo {
  readonly id: string;
  readonly tags: readonly string[];
  readonly record: ImageRecord;
  readonly config: ConfigFile;
  /** sum of the uncompressed layer sizes */
  readonly size: number;
}

/** A hook the runtime registers so rmi refuses images its containers use. */
export type InUseHook = (imageId: string) => boolean | Promise<boolean>;
let inUse: InUseHook = () => false;
export function registerImageInUse(hook: InUseHook): void { inUse = hook; }
export function isImageInUse(id: string): boolean | Promise<boolean> { return inUse(id); }

export class ImageStore {
  readonly layout: StoreLayout;

  constructor(root: string) {
    this.layout = new StoreLayout(root);
  }

  get root(): string { return this.layout.root; }

  // ---- reading -------------------------------------------------------------------------------

  readIndex(): IndexFile {
    let text: string;
    try { text = readFileSync(this.layout.index, 'utf8'); } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { v: 1, refs: {} };
      return fail('TSS_ESTORE', 'read', this.layout.index, errnoReason(err), err);
    }
    const r = readIndexFile(JSON.parse(text));
    if (!r.success) return fail('TSS_ESTORE', 'read', this.layout.index, 'malformed index');
    return r.data;
  }

  readRecord(id: string): ImageRecord | undefined {
    let text: string;
    try { text = readFileSync(this.layout.imagePath(id), 'utf8'); } catch { return undefined; }
    const r = readImageRecord(JSON.parse(text));
    if (!r.success) return fail('TSS_ESTORE', 'read', this.layout.imagePath(id), 'malformed image record');
    return r.data;
  }

  readConfig(id: string): ConfigFile {
    try {
      return parseConfig(readFileSync(this.layout.blobPath(id)), id);
    } catch (err) {
      if (err instanceof SandboxError) throw err;
      return fail('TSS_ESTORE', 'read config of', id, errnoReason(err), err);
    }
  }

  imageIds(): string[] {
    let names: string[] = [];
    try { names = readdirSync(this.layout.images); } catch { /* empty store */ }
    return names.filter((n) => /^[a-f0-9]{64}\.json$/.test(n)).map((n) => `sha256:${n.slice(0, 64)}`);
  }

  /** findId turns a ref (name[:tag], name@digest, id or id prefix) into an image id, or undefined. */
  findId(ref: string, index = this.readIndex()): string | undefined {
    let parsed;
    try { parsed = parseRef(ref); } catch { parsed = undefined; }
    if (parsed && !parsed.digest) {
      const id = index.refs[`${parsed.name}:${parsed.tag ?? 'latest'}`];
      if (id) return id;
    }
    if (parsed?.digest) {
      for (const id of this.imageIds()) {
        if (id === parsed.digest || this.readRecord(id)?.manifestDigest === parsed.digest) return id;
      }
      return undefined;
    }
    const hex = idHex(ref);
    if (hex) {
      const hits = this.imageIds().filter((id) => id.slice(7).startsWith(hex));
      if (hits.length > 1) fail('TSS_EIMAGE', 'find image', ref, `ambiguous id prefix (${hits.length} images)`);
      return hits[0];
    }
    return undefined;
  }

  tagsOf(id: string, index = this.readIndex()): string[] {
    return Object.entries(index.refs).filter(([, v]) => v === id).map(([k]) => k).sort();
  }

  info(ref: string): ImageInfo {
    const index = this.readIndex();
    const id = this.findId(ref, index);
    const record = id ? this.readRecord(id) : undefined;
    if (!id || !record) return fail('TSS_EIMAGE', 'find image', ref, 'no such image in the store');
    const config = this.readConfig(id);
    return { id, tags: this.tagsOf(id, index), record, config, size: record.layers.reduce((s, l) => s + l.diffSize, 0) };
  }

  list(): ImageInfo[] {
    const index = this.readIndex();
    const out: ImageInfo[] = [];
    for (const id of this.imageIds()) {
      const record = this.readRecord(id);
      if (!record) continue;
      const config = this.readConfig(id);
      out.push({ id, tags: this.tagsOf(id, index), record, config, size: record.layers.reduce((s, l) => s + l.diffSize, 0) });
    }
    return out.sort((a, b) => byCodePoint(b.config.created ?? '', a.config.created ?? ''));
  }

  /** resolve gives `run` what it needs: the config and the layer dirs, bottom first. */
  async resolve(ref: string): Promise<ResolvedImage> {
    const info = this.info(ref);
    const layers = info.record.layers.map((l) => this.layout.layerPath(l.diffId));
    for (const dir of layers) {
      if (!existsSync(dir)) fail('TSS_ESTORE', 'resolve', ref, `layer ${dir} is missing from the store`);
    }
    let shown = ref;
    try { const p = parseRef(ref); if (!p.digest && this.readIndex().refs[`${p.name}:${p.tag ?? 'latest'}`]) shown = `${p.name}:${p.tag ?? 'latest'}`; } catch { /* an id */ }
    return { id: info.id, ref: shown, config: runConfig(info.config), layers, diffIds: info.record.layers.map((l) => l.diffId) };
  }

  // ---- commands (each in its own module) -------------------------------------------------------

  /** importRootfs stores a plain rootfs tar ('-' = stdin; gzip/zstd ok) as a one-layer image; returns its id. */
  async importRootfs(tarPath: string, ref: string, opts?: ImportOptions): Promise<string> { return (await import('./import.js')).importRootfs(this, tarPath, ref, opts); }
  /** load reads a docker save / OCI archive or layout dir ('-' = stdin); returns the images with their tags. */
  async load(path: string, opts?: LoadOptions): Promise<LoadedImage[]> { return (await import('./load.js')).loadArchive(this, path, opts); }
  /** save writes a docker save archive (with an OCI layout inside) of refs to outPath ('-' = stdout). */
  async save(outPath: string, refs: readonly string[]): Promise<void> { return (await import('./save.js')).saveImages(this, outPath, refs); }
  history(ref: string): HistoryRow[] { return historyRows(this, ref); }
  inspect(ref: string): Record<string, unknown> { return inspectImage(this, ref); }

  // ---- writing -------------------------------------------------------------------------------

  /**
   * commit moves staged blobs and layer dirs into place (skipping what another command stored
   * meanwhile: content addressing makes both copies equal), then writes the records and refs.
   */
  async commit(images: readonly StagedImage[]): Promise<void> {
    await this.layout.withLock(() => {
      for (const img of images) {
        this.place(img.configTmp, this.layout.blobPath(img.id));
        for (const l of img.layers) {
          if (l.blobTmp) this.place(l.blobTmp, this.layout.blobPath(l.record.digest));
          if (l.dirTmp) this.place(l.dirTmp, this.layout.layerPath(l.record.diffId));
          if (!existsSync(this.layout.layerPath(l.record.diffId)) || !existsSync(this.layout.blobPath(l.record.digest))) {
            fail('TSS_ESTORE', 'store layer', l.record.diffId, 'removed by a concurrent command; retry');
          }
        }
        const record: ImageRecord = {
          v: 1, id: img.id, layers: img.layers.map((l) => l.record), loadedAt: new Date().toISOString(),
          ...(img.manifestDigest ? { manifestDigest: img.manifestDigest } : {}),
        };
        this.layout.writeAtomic(this.layout.imagePath(img.id), JSON.stringify(record));
      }
      const index = this.readIndex();
      for (const img of images) for (const t of img.tags) index.refs[t] = img.id;
      this.layout.writeAtomic(this.layout.index, JSON.stringify(index, null, 1));
    });
  }

  private place(from: string, to: string): void {
    if (existsSync(to)) return;
    try { renameSync(from, to); } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'EEXIST' || code === 'ENOTEMPTY') && existsSync(to)) return;
      fail('TSS_ESTORE', 'store', to, errnoReason(err), err);
    }
  }

  /** tag adds a ref to an existing image. */
  async tag(src: string, dst: string): Promise<void> {
    const target = normaliseTag(dst);
    await this.layout.withLock(() => {
      const index = this.readIndex();
      const id = this.findId(src, index);
      if (!id || !this.readRecord(id)) fail('TSS_EIMAGE', 'tag', src, 'no such image in the store');
      index.refs[target] = id;
      this.layout.writeAtomic(this.layout.index, JSON.stringify(index, null, 1));
    });
  }

  /**
   * remove untags `ref` (a name that is one of several tags) or deletes the image and every layer
   * and blob no other image uses. Deleting an image a container uses, or one with several tags by
   * id, needs force. Returns docker's "Untagged:/Deleted:" lines.
   */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<string[]> {
    return this.layout.withLock(async () => {
      const index = this.readIndex();
      const id = this.findId(ref, index);
      if (!id || !this.readRecord(id)) return fail('TSS_EIMAGE', 'remove image', ref, 'no such image in the store');
      const tags = this.tagsOf(id, index);
      let byName: string | undefined;
      try { const p = parseRef(ref); if (!p.digest) byName = `${p.name}:${p.tag ?? 'latest'}`; } catch { /* id */ }
      const out: string[] = [];
      if (byName && index.refs[byName] === id && tags.length > 1) {
        delete index.refs[byName];
        this.layout.writeAtomic(this.layout.index, JSON.stringify(index, null, 1));
        return [`Untagged: ${byName}`];
      }
      if (tags.length > 1 && !opts.force) fail('TSS_EIMAGE', 'remove image', ref, `it has ${tags.length} tags (${tags.join(', ')}); use -f or remove by name`);
      if (!opts.force && (await isImageInUse(id))) fail('TSS_EIMAGE', 'remove image', ref, 'a container uses it; remove the container or use -f');
      for (const t of tags) { delete index.refs[t]; out.push(`Untagged: ${t}`); }
      this.layout.writeAtomic(this.layout.index, JSON.stringify(index, null, 1));
      rmSync(this.layout.imagePath(id), { force: true });
      out.push(`Deleted: ${id}`);
      this.collect();
      return out;
    });
  }

  /** collect deletes blobs and layers no image record names (caller holds the lock). */
  private collect(): void {
    const blobs = new Set<string>();
    const layers = new Set<string>();
    for (const id of this.imageIds()) {
      const r = this.readRecord(id);
      if (!r) continue;
      blobs.add(hexOf(id));
      for (const l of r.layers) { blobs.add(hexOf(l.digest)); layers.add(hexOf(l.diffId)); }
    }
    const trash = this.layout.makeTemp('gc');
    try {
      for (const n of safeReaddir(this.layout.blobs)) if (!blobs.has(n)) rmSync(join(this.layout.blobs, n), { force: true });
      // rename first so a half-deleted layer is never visible under layers/
      for (const n of safeReaddir(this.layout.layers)) if (!layers.has(n)) renameSync(join(this.layout.layers, n), join(trash, n));
    } finally {
      rmSync(trash, { recursive: true, force: true });
    }
  }
}

function safeReaddir(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

/** openStore opens (lazily creating) the store at root and sweeps work dirs of dead commands. */
export function openStore(root: string): ImageStore {
  const s = new ImageStore(root);
  s.layout.sweepTemp();
  return s;
}
