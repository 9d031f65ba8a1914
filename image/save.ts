// image/save.ts — `save -o FILE REF...`: a docker save archive with an OCI layout inside (CLI process)
//
// The layout Docker ≥ 25 writes: blobs/sha256/<hex> (config, uncompressed layer tars, OCI
// manifests), manifest.json (what docker/podman `load` read), index.json + oci-layout (what OCI tools
// read). Layers are written uncompressed so that each layer blob's digest is its diff_id; configs are
// copied byte for byte, so save → load gives the same image id.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, openSync, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import * as tar from 'tar-stream';
import { fail, errnoReason, SandboxError } from '../common/errors.js';
import { decoder, sniff } from './compress.js';
import { parseRef, splitTag } from './ref.js';
import type { ImageStore } from './store.js';

/** dockerName expands a familiar name for containerd's annotation ("bb" → "docker.io/library/bb"). */
function dockerName(repo: string): string {
  const first = repo.split('/')[0]!;
  if (repo.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return repo;
  return repo.includes('/') ? `docker.io/${repo}` : `docker.io/library/${repo}`;
}

/** saveImages writes refs to outPath ('-' = stdout) atomically. */
export async function saveImages(store: ImageStore, outPath: string, refs: readonly string[]): Promise<void> {
  if (refs.length === 0) fail('TSS_EUSAGE', 'save', '-', 'name at least one image');
  const infos = refs.map((r) => ({ ref: r, info: store.info(r) }));
  const pack = tar.pack();
  const tmp = outPath === '-' ? undefined : `${outPath}.tmp-${process.pid}`;
  const sink: Writable = tmp ? createWriteStream(tmp, { flags: 'wx', mode: 0o644 }) : process.stdout;
  const done = pipeline(pack as unknown as NodeJS.ReadableStream, sink);
  done.catch(() => { /* reported below */ });
  const mtime = new Date(0);
  const written = new Set<string>();
  const add = async (name: string, data: Buffer): Promise<void> => {
    if (written.has(name)) return;
    written.add(name);
    await new Promise<void>((res, rej) => pack.entry({ name, size: data.length, mode: 0o644, mtime }, data, (e) => (e ? rej(e) : res())));
  };
  try {
    const manifest: unknown[] = [];
    const index: unknown[] = [];
    for (const { ref, info } of infos) {
      const cfg = readFileSync(store.layout.blobPath(info.id));
      await add(`blobs/sha256/${info.id.slice(7)}`, cfg);
      const layerNames: string[] = [];
      for (const l of info.record.layers) {
        const name = `blobs/sha256/${l.diffId.slice(7)}`;
        layerNames.push(name);
        if (written.has(name)) continue;
        written.add(name);
        await addLayer(pack, name, store.layout.blobPath(l.digest), l.diffSize, mtime);
      }
      const tags = (() => { try { const p = parseRef(ref); return p.digest ? info.tags : [`${p.name}:${p.tag ?? 'latest'}`].filter((t) => info.tags.includes(t)); } catch { return info.tags; } })();
      const ociManifest = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: info.id, size: cfg.length },
        layers: info.record.layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.diffId, size: l.diffSize })),
      }));
      const md = `sha256:${createHash('sha256').update(ociManifest).digest('hex')}`;
      await add(`blobs/sha256/${md.slice(7)}`, ociManifest);
      manifest.push({ Config: `blobs/sha256/${info.id.slice(7)}`, RepoTags: tags, Layers: layerNames });
      const desc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: ociManifest.length };
      if (tags.length === 0) index.push(desc);
      for (const t of tags) {
        const s = splitTag(t);
        index.push({ ...desc, annotations: { 'io.containerd.image.name': `${dockerName(s.repository)}:${s.tag}`, 'org.opencontainers.image.ref.name': s.tag } });
      }
    }
    await add('manifest.json', Buffer.from(JSON.stringify(manifest)));
    await add('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index })));
    await add('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    pack.finalize();
    await done;
    if (tmp) renameSync(tmp, outPath);
  } catch (err) {
    pack.destroy();
    if (tmp) rmSync(tmp, { force: true });
    if (err instanceof SandboxError) throw err;
    fail('TSS_ESTORE', 'save', outPath, errnoReason(err), err);
  }
}

/** addLayer streams a stored blob, decompressed, into the archive as an uncompressed tar. */
async function addLayer(pack: tar.Pack, name: string, blob: string, size: number, mtime: Date): Promise<void> {
  const head = readHead(blob);
  const entry = pack.entry({ name, size, mode: 0o644, mtime });
  await pipeline(createReadStream(blob, { highWaterMark: 1024 * 1024 }), decoder(sniff(head)), entry as unknown as NodeJS.WritableStream);
}

function readHead(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(8);
    return b.subarray(0, readSync(fd, b, 0, 8, 0));
  } finally { closeSync(fd); }
}
