// audit/chain.ts — the hash chain and HMAC of audit lines, computed over raw bytes (everywhere, pure)
//
// Hashes and MACs are taken over the bytes exactly as written, never over a re-serialisation, so a
// reader needs no canonical JSON: the line's hash is sha256 of its bytes without the newline, and
// the HMAC covers the line with its `,"hmac":"…"` suffix cut out (the writer always puts it last).
import { createHash, createHmac } from 'node:crypto';

const GENESIS_PREFIX = 'tssandbox audit log v1 genesis\n';

/** genesisHash is the `prev` of a log's first line: it binds the log to its container id, so a log cannot be passed off as another's. */
export function genesisHash(logId: string): string {
  return createHash('sha256').update(GENESIS_PREFIX + logId).digest('hex');
}

/** lineHash is sha256 (hex) of one line's bytes, newline excluded. */
export function lineHash(line: Uint8Array | string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** lineHmac is HMAC-SHA256 (hex) of the line without its hmac field. */
export function lineHmac(key: Uint8Array, unkeyed: Uint8Array | string): string {
  return createHmac('sha256', key).update(unkeyed).digest('hex');
}

/** withHmac appends the hmac field to a serialised object (the last field, so a reader can cut it back off). */
export function withHmac(json: string, key: Uint8Array): string {
  const mac = lineHmac(key, json);
  return `${json.slice(0, -1)},"hmac":"${mac}"}`;
}

const HMAC_SUFFIX = /,"hmac":"([0-9a-f]{64})"\}$/;

/** splitHmac returns the line as it was before the hmac field was added, and the mac; null when the line has none. */
export function splitHmac(line: string): { unkeyed: string; mac: string } | null {
  const m = HMAC_SUFFIX.exec(line);
  if (!m) return null;
  return { unkeyed: `${line.slice(0, m.index)}}`, mac: m[1]! };
}

/** MIN_KEY_BYTES: a shorter HMAC key is refused (it could be guessed) */
export const MIN_KEY_BYTES = 16;
