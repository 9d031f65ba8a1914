// policy/source-map.ts — parses YAML/JSON profile text keeping the line of every field, and renders one-line profile errors (everywhere, pure)
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Node } from 'yaml';
import { SandboxError } from '../common/errors.js';

/** Exit status of the policy tools for a malformed profile. */
export const PROFILE_EXIT = 2;

export interface Parsed {
  readonly value: unknown;
  readonly file: string;
  /** dotted path (`seccomp.rules[3].syscalls[0]`) → line */
  readonly lines: ReadonlyMap<string, number>;
}

/** profileError: "load profile `FILE:LINE`: FIELD: REASON", exit 2. */
export function profileError(file: string, line: number | undefined, field: string, reason: string): SandboxError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new SandboxError('TSS_EPROFILE', `load profile \`${where}\`: ${field ? `${field}: ` : ''}${reason}`, { exitCode: PROFILE_EXIT });
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

/** lineOf finds the line of a path, or of its nearest parent that has one. */
export function lineOf(p: Parsed, path: string): number | undefined {
  let cur = path;
  for (;;) {
    const l = p.lines.get(cur);
    if (l !== undefined) return l;
    if (!cur) return undefined;
    const cut = Math.max(cur.lastIndexOf('.'), cur.lastIndexOf('['));
    cur = cut <= 0 ? '' : cur.slice(0, cut);
  }
}

/** parseProfileText parses YAML (JSON is accepted, being YAML) and records where each field is. */
export function parseProfileText(text: string, file: string, maxBytes = 1 << 20): Parsed {
  if (text.length > maxBytes) throw profileError(file, undefined, '', `profile is larger than ${maxBytes} bytes`);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line ?? lc.linePos(err.pos[0]).line;
    throw profileError(file, line, '', `invalid YAML: ${err.message.split('\n')[0]}`);
  }
  const lines = new Map<string, number>();
  const walk = (node: unknown, path: string): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (n.range && !lines.has(path)) lines.set(path, lc.linePos(n.range[0]).line);
    if (isMap(n)) {
      for (const item of n.items) {
        if (!isPair(item)) continue;
        const k = isScalar(item.key) ? String(item.key.value) : String(item.key);
        const kp = joinPath(path, k);
        const kn = item.key as Node | null;
        if (kn && kn.range) lines.set(kp, lc.linePos(kn.range[0]).line);
        walk(item.value, kp);
      }
    } else if (isSeq(n)) {
      n.items.forEach((it, i) => walk(it, joinPath(path, i)));
    }
  };
  walk(doc.contents, '');
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    throw profileError(file, undefined, '', `invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return { value, file, lines };
}
