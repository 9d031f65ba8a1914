// image/scan/version.ts — version order exactly as dpkg and apk define it (everywhere, pure)
//
// dpkg: lib/dpkg/version.c (epoch, then upstream and revision by verrevcmp; `~` sorts before
// everything, even the end of the string; letters before other characters). apk: apk-tools'
// version.c token rules (digits, one letter, _suffixes alpha<beta<pre<rc<(none)<cvs<svn<git<hg<p, -rN).

export interface DebVersion { readonly epoch: number; readonly upstream: string; readonly revision: string }

/** parseDeb splits "[epoch:]upstream[-revision]". */
export function parseDeb(v: string): DebVersion {
  let s = v.trim();
  let epoch = 0;
  const colon = s.indexOf(':');
  if (colon >= 0) { epoch = Number.parseInt(s.slice(0, colon), 10) || 0; s = s.slice(colon + 1); }
  const dash = s.lastIndexOf('-');
  return dash >= 0 ? { epoch, upstream: s.slice(0, dash), revision: s.slice(dash + 1) } : { epoch, upstream: s, revision: '' };
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** order: dpkg's character weight (end of string and digits 0, `~` -1, letters themselves, others after letters). */
function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

/** verrevcmp: dpkg's comparison of one upstream or revision part. */
function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++; j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++; j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** compareDeb: <0, 0, >0 like `dpkg --compare-versions a lt|eq|gt b`. */
export function compareDeb(a: string, b: string): number {
  const x = parseDeb(a);
  const y = parseDeb(b);
  if (x.epoch !== y.epoch) return x.epoch > y.epoch ? 1 : -1;
  const u = verrevcmp(x.upstream, y.upstream);
  if (u) return Math.sign(u);
  return Math.sign(verrevcmp(x.revision, y.revision));
}

// ---- apk ----

const SUFFIX_ORDER = ['alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p'];

interface ApkVersion { nums: string[]; letter: string; suffixes: Array<[number, bigint]>; rev: bigint }

function parseApk(v: string): ApkVersion {
  let s = v.trim();
  let rev = 0n;
  const r = /-r(\d+)$/.exec(s);
  if (r) { rev = BigInt(r[1]!); s = s.slice(0, r.index); }
  const m = /^(\d+(?:\.\d+)*)([a-z]?)((?:_[a-z]+\d*)*)/.exec(s);
  if (!m) return { nums: [s], letter: '', suffixes: [], rev };
  const suffixes: Array<[number, bigint]> = [];
  for (const sx of m[3]!.split('_').filter(Boolean)) {
    const mm = /^([a-z]+)(\d*)$/.exec(sx)!;
    const idx = SUFFIX_ORDER.indexOf(mm[1]!);
    suffixes.push([idx < 0 ? SUFFIX_ORDER.indexOf('') : idx, BigInt(mm[2] || '0')]);
  }
  return { nums: m[1]!.split('.'), letter: m[2]!, suffixes, rev };
}

const cmpBig = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** compareApk: apk's order ("apk version -t a b"). */
export function compareApk(a: string, b: string): number {
  const x = parseApk(a);
  const y = parseApk(b);
  const n = Math.max(x.nums.length, y.nums.length);
  for (let k = 0; k < n; k++) {
    const p = x.nums[k];
    const q = y.nums[k];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    // apk: after the first component, a leading zero makes the component compare as a fraction (string order)
    const c = k > 0 && (p.startsWith('0') || q.startsWith('0'))
      ? (p.replace(/0+$/, '') < q.replace(/0+$/, '') ? -1 : p.replace(/0+$/, '') > q.replace(/0+$/, '') ? 1 : 0)
      : cmpBig(BigInt(p), BigInt(q));
    if (c) return c;
  }
  if (x.letter !== y.letter) return x.letter < y.letter ? -1 : 1;
  const m = Math.max(x.suffixes.length, y.suffixes.length);
  const none = SUFFIX_ORDER.indexOf('');
  for (let k = 0; k < m; k++) {
    const [ps, pn] = x.suffixes[k] ?? [none, 0n];
    const [qs, qn] = y.suffixes[k] ?? [none, 0n];
    if (ps !== qs) return ps < qs ? -1 : 1;
    const c = cmpBig(pn, qn);
    if (c) return c;
  }
  return cmpBig(x.rev, y.rev);
}
