// image/scan/secrets.ts — the secret-detection engine: keyword prefilter, regex, entropy, allow-lists, redaction (everywhere, pure)
import type { SecretRule } from './secret-rule.js';
import { KeywordSet } from './keywords.js';
import { SERVICE_RULES } from './secret-rules-services.js';
import { FILE_RULES } from './secret-rules-files.js';
import type { Severity } from './types.js';

/** SECRET_RULES: every rule, specific ones first (an earlier hit masks later ones on the same text). */
export const SECRET_RULES: readonly SecretRule[] = [...SERVICE_RULES, ...FILE_RULES];

/**
 * Placeholders and documentation values, decided by the candidate's content: a value that is a
 * variable reference, a template, an angle-bracket hint or a well-known example is never a secret.
 */
const PLACEHOLDERS: readonly RegExp[] = [
  /example/i, /change[-_]?me/i, /placeholder/i, /x{4,}/i, /\*{3,}/, /\.{3,}/, /dummy|redacted|sample|fake|notreal|not[-_]a[-_]real/i,
  /\$\{[^}]*\}|^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$|^\$\(|\{\{.*\}\}|%\([a-z_]+\)s|^%[A-Za-z_]+%$|^@[A-Za-z_]+@$/,
  /^<[^>]*>?$|<(?:password|secret|token|key|your|user|pass)[^>]*>/i,
  /your[-_]?(?:own[-_]?)?(?:password|passwd|secret|token|key|api)/i,
  /^(?:password|passwd|secret|token|null|none|nil|true|false|undefined|empty|default|string|required|optional|test|testing|admin|root|guest|username|user|pass|value|todo|tbd|fixme)\d*$/i,
  /^(.)\1+$/,
  /^ssh-(?:rsa|ed25519|dss)\b|^ecdsa-sha2-|^sk-(?:ssh|ecdsa)-/, // public keys
  /-----BEGIN (?:CERTIFICATE|[A-Z ]*PUBLIC KEY)/,
];

/** Extra allow-list for the generic assignment rules: code, paths and references, not values. */
const GENERIC_ALLOW: readonly RegExp[] = [
  /[()[\]]/, /^[./~][\w./-]*$/, /^(?:process\.env|os\.environ|env\.|self\.|this\.|config\.|settings\.)/i, /^[A-Z][A-Z0-9_]*$/, /^[a-z]+(?:[-_][a-z]+)+$/,
  /^[a-z]+$/, /^[A-Za-z_]\w*(?:\.\w+)+$/, // a word or a dotted name: code and prose, not a password
  /^\d+$/, /^(?:file|env|vault|secretsmanager|arn|ssm):/i, /^https?:\/\/[^@]*$/,
];

const LONG = 100;
const GENERIC = /^(?:generic-|shell-history-)/;

/** entropy: Shannon entropy of s in bits per character. */
export function entropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) { const p = c / s.length; h -= p * Math.log2(p); }
  return h;
}

/** redact keeps the first 4 characters: enough to find the value, never enough to use it. */
export function redact(secret: string): string {
  return `${secret.trimStart().slice(0, 4)}****`;
}

/** isPlaceholder: the candidate is a documentation value, template or reference. */
export function isPlaceholder(secret: string, rule?: SecretRule): boolean {
  // long values (key bodies, long tokens) are random enough to contain "xxxx" or "fake" by chance
  if (secret.length <= LONG && PLACEHOLDERS.some((r) => r.test(secret))) return true;
  if (rule && GENERIC.test(rule.id) && GENERIC_ALLOW.some((r) => r.test(secret))) return true;
  return rule?.allow?.some((r) => r.test(secret)) ?? false;
}

export interface SecretHit {
  readonly rule: string;
  readonly description: string;
  readonly severity: Severity;
  readonly line: number;
  /** redacted */
  readonly value: string;
}

export interface TextSource {
  /** the path the text came from (for path-scoped rules); undefined for config/history text */
  readonly path?: string;
  /** binary file: only rules marked binary run */
  readonly binary?: boolean;
}

/** lineIndex maps offsets to 1-based line numbers with one pass over the newlines, done lazily. */
function lineIndex(text: string): (offset: number) => number {
  let starts: number[] | undefined;
  return (offset) => {
    if (!starts) {
      starts = [];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i);
    }
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (starts[mid]! < offset) lo = mid + 1; else hi = mid; }
    return lo + 1;
  };
}

/** secretOf: named group `s`, else the last defined capture group, else the whole match. */
function secretOf(m: RegExpExecArray): { secret: string; start: number } {
  let secret = m.groups?.s;
  if (secret === undefined) {
    for (let i = m.length - 1; i >= 1; i--) if (m[i] !== undefined) { secret = m[i]; break; }
  }
  secret ??= m[0];
  const rel = m[0].lastIndexOf(secret);
  return { secret, start: m.index + Math.max(0, rel) };
}

interface Prefilter { set: KeywordSet; ids: number[][] }
/** prefilters: one keyword automaton per rule list, and one of its binary rules only (built once) */
const AUTOMATA = new WeakMap<readonly SecretRule[], { text: Prefilter; binary: Prefilter }>();

function build(rules: readonly SecretRule[], use: (r: SecretRule) => boolean): Prefilter {
  const index = new Map<string, number>();
  const ids = rules.map((r) => (use(r) ? r.keywords : []).map((k) => { let i = index.get(k); if (i === undefined) { i = index.size; index.set(k, i); } return i; }));
  return { set: new KeywordSet([...index.keys()]), ids };
}

function prefilter(rules: readonly SecretRule[], binary: boolean): Prefilter {
  let a = AUTOMATA.get(rules);
  if (!a) {
    a = { text: build(rules, () => true), binary: build(rules, (r) => Boolean(r.binary)) };
    AUTOMATA.set(rules, a);
  }
  return binary ? a.binary : a.text;
}

/** scanText runs every applicable rule over text and returns redacted hits, in text order. */
export function scanText(text: string, src: TextSource = {}, rules: readonly SecretRule[] = SECRET_RULES): SecretHit[] {
  const { set, ids } = prefilter(rules, Boolean(src.binary));
  // text: one automaton pass for every rule's keywords instead of one includes() per keyword per
  // rule; binary: the few binary rules' keywords, where includes() (memchr-fast) wins
  let present: Uint8Array;
  if (set.keywords.length <= 8) {
    const lower = text.toLowerCase();
    present = Uint8Array.from(set.keywords, (k) => (lower.includes(k) ? 1 : 0));
  } else present = set.present(text);
  const lineOf = lineIndex(text);
  const taken: Array<[number, number]> = [];
  const hits: Array<SecretHit & { at: number }> = [];
  for (const [ri, rule] of rules.entries()) {
    if (src.binary && !rule.binary) continue;
    if (rule.paths && (src.path === undefined || !rule.paths.test(src.path))) continue;
    if (!ids[ri]!.some((k) => present[k] === 1)) continue;
    const re = new RegExp(rule.regex.source, rule.regex.flags.includes('g') ? rule.regex.flags : `${rule.regex.flags}g`);
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m[0].length === 0) { re.lastIndex++; continue; }
      const { secret, start } = secretOf(m);
      const end = start + secret.length;
      if (taken.some(([a, b]) => start < b && a < end)) continue;
      if (rule.entropy && entropy(secret) < rule.entropy) continue;
      if (isPlaceholder(secret, rule)) continue;
      if (rule.check && !rule.check(secret, m)) continue;
      taken.push([start, end]);
      hits.push({ rule: rule.id, description: rule.description, severity: rule.severity, line: lineOf(start), value: redact(secret), at: start });
    }
  }
  return hits.sort((a, b) => a.at - b.at).map(({ at: _at, ...h }) => h);
}
