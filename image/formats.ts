// image/formats.ts — what an archive contains: docker save manifest.json or OCI index (CLI process)
//
// Produces plans (which member is the config, which are the layers, which digests they claim, which
// tags) without touching the store. Every path a manifest names is checked (no `..`, not absolute),
// every document read from blobs/ is checked against its digest before it is trusted.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { fail } from '../common/errors.js';
import { cleanName, type ArchiveView } from './archive.js';
import { hostPlatform, platformString } from './platform.js';
import { DIGEST } from './records.js';
import { normaliseTag, parseRef } from './ref.js';

export interface LayerPlan { readonly name: string; readonly digest?: string; readonly mediaType?: string }
export interface ImagePlan {
  readonly configName: string;
  readonly configDigest?: string;
  readonly layers: readonly LayerPlan[];
  readonly tags: readonly string[];
  readonly manifestDigest?: string;
}

const DockerManifest = z.array(z.object({
  Config: z.string(),
  RepoTags: z.array(z.string()).nullable().optional(),
  Layers: z.array(z.string()),
}).loose());

const Descriptor = z.object({
  mediaType: z.string().optional(),
  digest: DIGEST,
  size: z.number().int().nonnegative().optional(),
  platform: z.object({ os: z.string().optional(), architecture: z.string().optional(), variant: z.string().optional() }).loose().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
}).loose();
type Descriptor = z.infer<typeof Descriptor>;
const OciIndex = z.object({ manifests: z.array(Descriptor) }).loose();
const OciManifest = z.object({ config: Descriptor, layers: z.array(Descriptor) }).loose();

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

function parseJson<T>(schema: z.ZodType<T>, bytes: Buffer, what: string): T {
  let json: unknown;
  try { json = JSON.parse(bytes.toString('utf8')); } catch { return fail('TSS_EARCHIVE', 'read', what, 'not JSON'); }
  const r = schema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return fail('TSS_EARCHIVE', 'read', what, `${i.path.join('.') || 'document'}: ${i.message}`);
  }
  return r.data;
}

/** digestFromName reads the digest a member's name claims ("blobs/sha256/<hex>", "<hex>.json"). */
export function digestFromName(name: string): string | undefined {
  const m = /^(?:blobs\/sha256\/([a-f0-9]{64})|([a-f0-9]{64})\.json)$/.exec(name);
  const hex = m?.[1] ?? m?.[2];
  return hex ? `sha256:${hex}` : undefined;
}

/** plan decides the archive's format and lists its images. */
export function plan(view: ArchiveView): ImagePlan[] {
  if (view.has('manifest.json')) return planDocker(view);
  if (view.has('index.json')) return planOci(view);
  return fail('TSS_EARCHIVE', 'load', view.label, 'neither a docker save archive (manifest.json) nor an OCI layout (index.json)');
}

function planDocker(view: ArchiveView): ImagePlan[] {
  const m = parseJson(DockerManifest, view.read('manifest.json'), `${view.label}: manifest.json`);
  if (m.length === 0) fail('TSS_EARCHIVE', 'load', view.label, 'manifest.json lists no image');
  return m.map((e) => {
    const what = `${view.label}: manifest.json`;
    const configName = cleanName(e.Config, what);
    const layers = e.Layers.map((l) => { const name = cleanName(l, what); const d = digestFromName(name); return { name, ...(d ? { digest: d } : {}) }; });
    const cd = digestFromName(configName);
    return { configName, ...(cd ? { configDigest: cd } : {}), layers, tags: (e.RepoTags ?? []).map((t) => normaliseTag(t)) };
  });
}

/** readBlob reads a JSON blob of an OCI layout and checks it against its descriptor's digest. */
function readBlob(view: ArchiveView, d: Descriptor): Buffer {
  const name = `blobs/sha256/${d.digest.slice(7)}`;
  if (!view.has(name)) fail('TSS_EARCHIVE', 'load', view.label, `blob ${d.digest} is missing`);
  const bytes = view.read(name);
  const got = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (got !== d.digest) fail('TSS_EARCHIVE', 'verify', `${view.label}: ${name}`, `sha256 is ${got}, the index says ${d.digest} (corrupted blob)`);
  return bytes;
}

function tagsOf(d: Descriptor, parentName?: string): string[] {
  const a = d.annotations ?? {};
  const full = a['io.containerd.image.name'];
  const refName = a['org.opencontainers.image.ref.name'];
  const out: string[] = [];
  const tryAdd = (r: string): void => { try { const p = parseRef(r); if (!p.digest) out.push(`${p.name}:${p.tag ?? 'latest'}`); } catch { /* not a usable name */ } };
  if (full) tryAdd(full);
  else if (refName && /[/:]/.test(refName)) tryAdd(refName);
  else if (refName && parentName) tryAdd(`${parentName}:${refName}`);
  return out;
}

function planOci(view: ArchiveView): ImagePlan[] {
  if (view.has('oci-layout')) {
    const lay = parseJson(z.object({ imageLayoutVersion: z.string() }).loose(), view.read('oci-layout'), `${view.label}: oci-layout`);
    if (!lay.imageLayoutVersion.startsWith('1.')) fail('TSS_EARCHIVE', 'load', view.label, `OCI layout version ${lay.imageLayoutVersion} is not supported`);
  }
  const index = parseJson(OciIndex, view.read('index.json'), `${view.label}: index.json`);
  const plans: ImagePlan[] = [];
  for (const d of index.manifests) {
    const tags = tagsOf(d);
    const m = pickManifest(view, d, 0);
    if (m) plans.push({ ...m, tags: [...new Set([...tags, ...m.tags])] });
  }
  if (plans.length === 0) fail('TSS_EARCHIVE', 'load', view.label, 'index.json lists no image manifest');
  return plans;
}

/** pickManifest follows nested indexes to the manifest for the host's platform. */
function pickManifest(view: ArchiveView, d: Descriptor, depth: number): ImagePlan | undefined {
  if (depth > 4) fail('TSS_EARCHIVE', 'load', view.label, 'indexes nested too deeply');
  const bytes = readBlob(view, d);
  if (d.mediaType && INDEX_TYPES.has(d.mediaType)) {
    const idx = parseJson(OciIndex, bytes, `${view.label}: ${d.digest}`);
    const host = hostPlatform();
    const real = idx.manifests.filter((m) => !(m.platform?.os === 'unknown' && m.platform?.architecture === 'unknown'));
    const match = real.filter((m) => !m.platform || (m.platform.os === host.os && m.platform.architecture === host.architecture));
    if (match.length === 0) {
      const found = [...new Set(real.map((m) => platformString(m.platform ?? {})))].join(', ');
      fail('TSS_EARCHIVE', 'load', view.label, `no image for ${platformString(host)} (found ${found || 'none'})`);
    }
    const chosen = pickManifest(view, match[0]!, depth + 1);
    return chosen && { ...chosen, tags: [...new Set([...tagsOf(d), ...chosen.tags])] };
  }
  const m = parseJson(OciManifest, bytes, `${view.label}: manifest ${d.digest}`);
  if (m.config.mediaType && !/config|container\.image/.test(m.config.mediaType)) return undefined; // not an image (e.g. an attestation)
  return {
    configName: `blobs/sha256/${m.config.digest.slice(7)}`,
    configDigest: m.config.digest,
    layers: m.layers.map((l) => ({ name: `blobs/sha256/${l.digest.slice(7)}`, digest: l.digest, ...(l.mediaType ? { mediaType: l.mediaType } : {}) })),
    tags: tagsOf(d),
    manifestDigest: d.digest,
  };
}
