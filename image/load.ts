// image/load.ts — `load`: verify every digest of an archive and commit its images to the store (CLI process)
//
// Order: stage the archive in a work dir (hashing every member) → plan (manifest/index) → per image:
// config digest, platform, then each layer: blob digest against the manifest, unpack (or only hash
// when the store already has it) and diff_id against the config → commit under the store lock.
// Any failure removes the work dir: the store never sees a half-loaded image.
import { createHash } from 'node:crypto';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fail } from '../common/errors.js';
import { dirView, stageTar, type ArchiveView } from './archive.js';
import { plan } from './formats.js';
import { openInput } from './input.js';
import { ingestLayer } from './layer.js';
import { hostPlatform, platformString } from './platform.js';
import { parseConfig } from './records.js';
import type { ImageStore, StagedImage, StagedLayer } from './store.js';

export interface LoadOptions {
  /** total bytes of the input when known, then each chunk read (progress) */
  readonly onSize?: (total: number | undefined) => void;
  readonly onBytes?: (n: number) => void;
}

export interface LoadedImage { readonly id: string; readonly tags: readonly string[] }

/** loadArchive loads a docker save / OCI archive file ('-' = stdin) or an OCI layout directory. */
export async function loadArchive(store: ImageStore, path: string, opts: LoadOptions = {}): Promise<LoadedImage[]> {
  const work = store.layout.makeTemp('load');
  try {
    let view: ArchiveView;
    let isDir = false;
    try { isDir = path !== '-' && statSync(path).isDirectory(); } catch { /* openInput reports it */ }
    if (isDir) {
      view = dirView(path);
    } else {
      const input = openInput(path, 'load');
      opts.onSize?.(input.size);
      view = await stageTar(input.stream, work, path === '-' ? 'stdin' : basename(path), opts.onBytes);
    }
    const staged: StagedImage[] = [];
    const unpacked = new Map<string, StagedLayer>();
    let n = 0;
    for (const p of plan(view)) {
      const cfgWhat = `${view.label}: ${p.configName}`;
      if (!view.has(p.configName)) fail('TSS_EARCHIVE', 'load', view.label, `config \`${p.configName}\` is missing`);
      const cfgBytes = view.read(p.configName);
      const id = `sha256:${createHash('sha256').update(cfgBytes).digest('hex')}`;
      if (p.configDigest && p.configDigest !== id) fail('TSS_EARCHIVE', 'verify', cfgWhat, `sha256 is ${id}, the manifest says ${p.configDigest} (corrupted blob)`);
      const config = parseConfig(cfgBytes, cfgWhat);
      const host = hostPlatform();
      if ((config.os && config.os !== host.os) || (config.architecture && config.architecture !== host.architecture)) {
        fail('TSS_EARCHIVE', 'load', view.label, `image is for ${platformString(config)}, this host is ${platformString(host)}`);
      }
      const diffIds = config.rootfs.diff_ids;
      if (diffIds.length !== p.layers.length) fail('TSS_EARCHIVE', 'verify', cfgWhat, `config lists ${diffIds.length} layers, the manifest ${p.layers.length}`);
      const configTmp = join(work, `config-${n++}`);
      writeFileSync(configTmp, cfgBytes);
      const layers: StagedLayer[] = [];
      for (const [i, l] of p.layers.entries()) {
        const what = `layer ${i + 1}/${p.layers.length} \`${l.name}\``;
        const expected = diffIds[i]!;
        if (!view.has(l.name)) fail('TSS_EARCHIVE', 'load', view.label, `${what} is missing`);
        const known = view.knownDigest(l.name);
        if (l.digest && known && known !== l.digest) fail('TSS_EARCHIVE', 'verify', `${view.label}: ${l.name}`, `sha256 is ${known}, the manifest says ${l.digest} (corrupted blob)`);
        const already = unpacked.get(expected);
        const inStore = existsSync(store.layout.layerPath(expected));
        const staging = view.stagedFile(l.name);
        const blobTmp = staging ?? join(work, `blob-${n++}`);
        const dirTmp = already || inStore ? undefined : join(work, `layer-${n++}`);
        const got = await ingestLayer(view.open(l.name), {
          label: `${what} of ${view.label}`,
          ...(staging ? {} : { blobOut: blobTmp }),
          ...(dirTmp ? { unpackTo: dirTmp } : {}),
        });
        if (l.digest && got.digest !== l.digest) fail('TSS_EARCHIVE', 'verify', `${view.label}: ${l.name}`, `sha256 is ${got.digest}, the manifest says ${l.digest} (corrupted blob)`);
        if (got.diffId !== expected) fail('TSS_EARCHIVE', 'verify', `${view.label}: ${l.name}`, `diff_id is ${got.diffId}, the config says ${expected}`);
        const layer: StagedLayer = {
          record: { diffId: got.diffId, digest: got.digest, mediaType: l.mediaType ?? got.mediaType, size: got.size, diffSize: got.diffSize },
          blobTmp,
          ...(dirTmp ? { dirTmp } : already?.dirTmp ? { dirTmp: already.dirTmp } : {}),
        };
        if (dirTmp) unpacked.set(expected, layer);
        layers.push(layer);
      }
      staged.push({ id, configTmp, layers, tags: p.tags, ...(p.manifestDigest ? { manifestDigest: p.manifestDigest } : {}) });
    }
    await store.commit(staged);
    return staged.map((s) => ({ id: s.id, tags: s.tags }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
