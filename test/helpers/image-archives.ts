// test/helpers/image-archives.ts — build tars, docker save archives and OCI layouts in memory (tests)
//
// Fixtures are made, never downloaded: every archive a test loads is written here, including the
// hostile ones (raw tar headers let a test say exactly what a malicious member looks like).
import { packTar } from '../../sandbox/selftest/probe-image.js';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface Member {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  devmajor?: number;
  devminor?: number;
}

/** tarOf packs members in order (no normalisation: hostile names go through as written). */
export function tarOf(members: readonly Member[]): Promise<Buffer> {
  return packTar(members);
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export type Compression = 'none' | 'gzip' | 'zstd';

export function compress(b: Buffer, c: Compression): Buffer {
  if (c === 'gzip') return gzipSync(b);
  if (c === 'zstd') return execFileSync('zstd', ['-q', '-c'], { input: b, maxBuffer: 1 << 30 });
  return b;
}

export interface ImageSpec {
  /** uncompressed layer tars, bottom first */
  layers: Buffer[];
  tags: string[];
  config?: Record<string, unknown>;
  architecture?: string;
  os?: string;
  compression?: Compression;
}

export interface BuiltImage {
  config: Buffer;
  id: string;
  diffIds: string[];
  blobs: Buffer[];
  manifest: Buffer;
  manifestDigest: string;
}

const LAYER_TYPE: Record<Compression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

/** buildImage computes config, blobs and an OCI manifest; `mutate` can corrupt any of them. */
export function buildImage(spec: ImageSpec): BuiltImage {
  const c = spec.compression ?? 'none';
  const diffIds = spec.layers.map((l) => sha256(l));
  const config = Buffer.from(JSON.stringify({
    architecture: spec.architecture ?? 'amd64', os: spec.os ?? 'linux', created: '2024-01-02T03:04:05Z',
    config: spec.config ?? { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: spec.layers.map((_, i) => ({ created: '2024-01-02T03:04:05Z', created_by: `layer ${i + 1}` })),
  }));
  const blobs = spec.layers.map((l) => compress(l, c));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: blobs.map((b) => ({ mediaType: LAYER_TYPE[c], digest: sha256(b), size: b.length })),
  }));
  return { config, id: sha256(config), diffIds, blobs, manifest, manifestDigest: sha256(manifest) };
}

const hex = (d: string): string => d.slice(7);

/** dockerSaveLegacy: Docker < 25 layout (<hex>.json config, <id>/layer.tar, manifest.json). */
export function dockerSaveLegacy(images: ImageSpec[]): Member[] {
  const members: Member[] = [];
  const manifest: unknown[] = [];
  for (const spec of images) {
    const b = buildImage(spec);
    members.push({ name: `${hex(b.id)}.json`, data: b.config });
    const layers = b.blobs.map((blob, i) => {
      const dir = hex(sha256(`${b.diffIds[i]}-${i}`));
      members.push({ name: `${dir}/`, type: 'directory' }, { name: `${dir}/VERSION`, data: '1.0' }, { name: `${dir}/layer.tar`, data: blob });
      return `${dir}/layer.tar`;
    });
    manifest.push({ Config: `${hex(b.id)}.json`, RepoTags: spec.tags, Layers: layers });
  }
  members.push({ name: 'manifest.json', data: JSON.stringify(manifest) });
  return members;
}

/** ociLayout: blobs/sha256 + index.json + oci-layout; with docker=true also manifest.json (Docker ≥ 25). */
export function ociLayout(images: ImageSpec[], opts: { docker?: boolean; index?: unknown } = {}): Member[] {
  const members: Member[] = [{ name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }];
  const index: unknown[] = [];
  const manifest: unknown[] = [];
  const seen = new Set<string>();
  const blob = (data: Buffer): string => {
    const d = sha256(data);
    if (!seen.has(d)) { seen.add(d); members.push({ name: `blobs/sha256/${hex(d)}`, data }); }
    return `blobs/sha256/${hex(d)}`;
  };
  for (const spec of images) {
    const b = buildImage(spec);
    const cfg = blob(b.config);
    const layers = b.blobs.map(blob);
    blob(b.manifest);
    for (const t of spec.tags) {
      index.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: b.manifestDigest, size: b.manifest.length, annotations: { 'io.containerd.image.name': t, 'org.opencontainers.image.ref.name': t.split(':').pop() } });
    }
    manifest.push({ Config: cfg, RepoTags: spec.tags, Layers: layers });
  }
  members.push({ name: 'index.json', data: JSON.stringify(opts.index ?? { schemaVersion: 2, manifests: index }) });
  if (opts.docker) members.push({ name: 'manifest.json', data: JSON.stringify(manifest) });
  return members;
}

/** multiPlatform: an OCI layout whose index names one image per platform through a nested index. */
export function multiPlatform(images: Array<ImageSpec & { architecture: string }>, tag: string): Member[] {
  const members = ociLayout(images.map((i) => ({ ...i, tags: [] })));
  const manifests = images.map((i) => {
    const b = buildImage(i);
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: b.manifestDigest, size: b.manifest.length, platform: { os: i.os ?? 'linux', architecture: i.architecture } };
  });
  const nested = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  const top = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha256(nested), size: nested.length, annotations: { 'io.containerd.image.name': tag } }] };
  return [
    ...members.filter((m) => m.name !== 'index.json'),
    { name: `blobs/sha256/${hex(sha256(nested))}`, data: nested },
    { name: 'index.json', data: JSON.stringify(top) },
  ];
}

/** writeTree writes members as files under dir (an OCI layout directory). */
export function writeTree(dir: string, members: readonly Member[]): void {
  for (const m of members) {
    const p = join(dir, m.name);
    if (m.type === 'directory') { mkdirSync(p, { recursive: true }); continue; }
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, m.data ?? '');
  }
}
