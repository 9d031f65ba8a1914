// image/ref.ts — docker-style image references: parse, normalise, render (everywhere, pure)
//
// Stored refs are in docker's familiar form ("busybox:latest", "ghcr.io/x/y:1"): "docker.io/library/"
// and "docker.io/" are dropped so that every spelling of one image finds it.
import { fail } from '../common/errors.js';

export interface ParsedRef {
  /** repository in familiar form: "busybox", "ghcr.io/x/y", "localhost/foo" */
  readonly name: string;
  readonly tag?: string;
  /** "sha256:<hex>" when the ref had "@sha256:…" */
  readonly digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** parseRef splits and checks a reference; throws TSS_EUSAGE naming the ref when it is malformed. */
export function parseRef(ref: string): ParsedRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail('TSS_EUSAGE', 'parse reference', ref, 'the digest must be sha256:<64 hex>');
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail('TSS_EUSAGE', 'parse reference', ref, 'invalid tag');
  }
  if (rest === '') fail('TSS_EUSAGE', 'parse reference', ref, 'empty repository name');
  const parts = rest.split('/');
  // The first part is a registry domain when it looks like one (docker's rule: has '.' or ':' or is localhost).
  const first = parts[0]!;
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain && !DOMAIN.test(first)) fail('TSS_EUSAGE', 'parse reference', ref, 'invalid registry name');
  for (const p of hasDomain ? parts.slice(1) : parts) {
    if (!COMPONENT.test(p)) fail('TSS_EUSAGE', 'parse reference', ref, `invalid repository component "${p}" (lowercase letters, digits, separators)`);
  }
  let name = rest;
  if (name.startsWith('docker.io/')) name = name.slice('docker.io/'.length);
  else if (name.startsWith('index.docker.io/')) name = name.slice('index.docker.io/'.length);
  if (name.startsWith('library/') && name.split('/').length === 2) name = name.slice('library/'.length);
  if (name.length > 255) fail('TSS_EUSAGE', 'parse reference', ref, 'repository name longer than 255 characters');
  return { name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** normaliseTag returns "name:tag" ("name" → "name:latest"); refuses digests where a tag is needed. */
export function normaliseTag(ref: string): string {
  const p = parseRef(ref);
  if (p.digest) fail('TSS_EUSAGE', 'tag', ref, 'a tag cannot contain a digest');
  return `${p.name}:${p.tag ?? 'latest'}`;
}

/** splitTag splits a stored "name:tag" into repository and tag. */
export function splitTag(nameTag: string): { repository: string; tag: string } {
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  if (colon > slash) return { repository: nameTag.slice(0, colon), tag: nameTag.slice(colon + 1) };
  return { repository: nameTag, tag: 'latest' };
}

/** isIdLike says whether a string could be an image id or id prefix ("sha256:ab12…" or "ab12…"). */
export function idHex(ref: string): string | undefined {
  const s = ref.startsWith('sha256:') ? ref.slice(7) : ref;
  return /^[a-f0-9]{4,64}$/.test(s) ? s : undefined;
}
