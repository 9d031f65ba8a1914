// image/scan/rpm-version.ts — rpm's version order: rpmvercmp and epoch:version-release comparison (everywhere, pure)
//
// A transcription of rpm's lib/rpmvercmp.c (4.15+, with `^`): segments are runs of ASCII digits or
// ASCII letters, anything else separates; a numeric segment beats an alpha one; `~` sorts before
// everything, even the end; `^` sorts after the end but before any further segment.

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c);

/** rpmvercmp compares one version or release string exactly as rpm does: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): string => (k < s.length ? s[k]! : '');
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]!) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]!) && b[j] !== '~' && b[j] !== '^') j++;
    const x = at(a, i);
    const y = at(b, j);
    if (x === '~' || y === '~') {
      if (x !== '~') return 1;
      if (y !== '~') return -1;
      i++; j++;
      continue;
    }
    if (x === '^' || y === '^') {
      if (x === '') return -1;
      if (y === '') return 1;
      if (x !== '^') return 1;
      if (y !== '^') return -1;
      i++; j++;
      continue;
    }
    if (x === '' || y === '') break;
    const num = isDigit(x);
    const run = num ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && run(a[ei]!)) ei++;
    while (ej < b.length && run(b[ej]!)) ej++;
    // b's segment is of the other kind (empty run): numeric beats alpha
    if (ej === j) return num ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (num) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface Evr { readonly epoch: string; readonly version: string; readonly release: string }

/** parseEvr splits "[epoch:]version[-release]" like rpm's rpmverParse (epoch only when all digits). */
export function parseEvr(evr: string): Evr {
  let s = evr.trim();
  let epoch = '';
  const m = /^(\d*):/.exec(s);
  if (m) { epoch = m[1]!; s = s.slice(m[0].length); }
  const dash = s.lastIndexOf('-');
  return dash >= 0 ? { epoch, version: s.slice(0, dash), release: s.slice(dash + 1) } : { epoch, version: s, release: '' };
}

/** compareRpm orders two EVR strings like rpm.vercmp (rpmverCmp): epoch (missing = 0), version, then release (missing sorts first). */
export function compareRpm(a: string, b: string): number {
  const x = parseEvr(a);
  const y = parseEvr(b);
  const ea = x.epoch.replace(/^0+/, '') || '0';
  const eb = y.epoch.replace(/^0+/, '') || '0';
  if (ea !== eb) return ea.length !== eb.length ? (ea.length > eb.length ? 1 : -1) : ea < eb ? -1 : 1;
  const v = rpmvercmp(x.version, y.version);
  if (v) return v;
  return rpmvercmp(x.release, y.release);
}
