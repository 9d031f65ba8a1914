// image/scan/rpm-index.ts — rpm repository metadata as a package index: repodata primary.xml and updateinfo.xml (CLI process, pure)
//
// primary.xml lists every package of a repository (name, arch, epoch/ver/rel); an installed package
// older than it is stale. updateinfo.xml lists errata; only type="security" ones are read, and an
// installed package older than a security erratum's build is a known, published vulnerability —
// the rpm counterpart of a Debian security suite. Parsed with patterns over the known element
// shapes (no DTD, no entities beyond the five predefined), so a hostile file cannot expand.
import type { Evr } from './rpm-version.js';

const unescape = (s: string): string => s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!);
const attrs = (tag: string): Map<string, string> => {
  const m = new Map<string, string>();
  for (const a of tag.matchAll(/([A-Za-z_:][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) m.set(a[1]!, unescape(a[2] ?? a[3] ?? ''));
  return m;
};

/** evrString renders an EVR like the inventory does (epoch only when not 0). */
export function evrString(e: Evr): string {
  return `${e.epoch && e.epoch !== '0' ? `${e.epoch}:` : ''}${e.version}-${e.release}`;
}

export type RpmIndexKind = 'primary' | 'updateinfo';

/** rpmIndexKind tells repodata XML apart by its root element (undefined: not rpm metadata). */
export function rpmIndexKind(head: string): RpmIndexKind | undefined {
  if (/<metadata\b[^>]*xmlns="http:\/\/linux\.duke\.edu\/metadata\/common"/.test(head)) return 'primary';
  if (/<updates\b/.test(head) && /<update\b/.test(head)) return 'updateinfo';
  return undefined;
}

/** rpmIndexEntries yields (name, evr) of every binary package in primary.xml, or of every package of a security erratum in updateinfo.xml. */
export function* rpmIndexEntries(text: string, kind: RpmIndexKind): Generator<[string, string]> {
  if (kind === 'primary') {
    for (const m of text.matchAll(/<package\b[^>]*>([\s\S]*?)<\/package>/g)) {
      const body = m[1]!;
      const name = /<name>([^<]*)<\/name>/.exec(body)?.[1];
      const arch = /<arch>([^<]*)<\/arch>/.exec(body)?.[1];
      const v = /<version\b([^>]*)\/?>/.exec(body)?.[1];
      if (!name || !v || arch === 'src') continue;
      const a = attrs(v);
      if (!a.get('ver') || !a.get('rel')) continue;
      yield [unescape(name), evrString({ epoch: a.get('epoch') ?? '', version: a.get('ver')!, release: a.get('rel')! })];
    }
    return;
  }
  for (const m of text.matchAll(/<update\b([^>]*)>([\s\S]*?)<\/update>/g)) {
    if (attrs(m[1]!).get('type') !== 'security') continue;
    for (const p of m[2]!.matchAll(/<package\b([^>]*)>/g)) {
      const a = attrs(p[1]!);
      const name = a.get('name');
      if (!name || !a.get('version') || !a.get('release') || a.get('arch') === 'src') continue;
      yield [name, evrString({ epoch: a.get('epoch') ?? '', version: a.get('version')!, release: a.get('release')! })];
    }
  }
}
