// audit/anchor.ts — the head of a log (seq + hash of its last line) kept outside it (supervisor and CLI, touches the anchor file)
//
// A hash chain alone cannot show that lines were cut off the end: the shortened log is still a
// valid chain. The supervisor therefore records the head after appending in the container's state
// (ROOT/containers/<id>/audit.anchor.json); verify compares the log against it. The file is
// replaced by rename so a reader never sees half an anchor.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { AuditError, errnoReason } from './errors.js';

export interface Head {
  /** seq of the last line written (0: nothing written yet) */
  readonly seq: number;
  /** sha256 of the last line (the genesis hash when seq is 0) */
  readonly hash: string;
}

export interface Anchor extends Head {
  /** the log's id (its container id), when the writer knew it */
  readonly id?: string;
}

/** writeAnchor replaces the anchor file atomically (temp file + rename). */
export function writeAnchor(path: string, anchor: Anchor): void {
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(anchor)}\n`, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (err) {
    throw new AuditError('write anchor', path, errnoReason(err), err);
  }
}

/** readAnchor reads an anchor file; null when there is none, an AuditError when it is malformed. */
export function readAnchor(path: string): Anchor | null {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AuditError('read anchor', path, errnoReason(err), err);
  }
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw new AuditError('read anchor', path, 'not JSON'); }
  const a = v as Record<string, unknown>;
  if (!a || typeof a !== 'object' || !Number.isInteger(a.seq) || (a.seq as number) < 0
    || typeof a.hash !== 'string' || !/^[0-9a-f]{64}$/.test(a.hash)
    || (a.id !== undefined && typeof a.id !== 'string')) {
    throw new AuditError('read anchor', path, 'expected {"seq": N, "hash": "<sha256 hex>"}');
  }
  return { seq: a.seq as number, hash: a.hash, ...(a.id !== undefined ? { id: a.id as string } : {}) };
}

/** anchorPathFor names the anchor of a log: audit.ndjson → audit.anchor.json, anything else → FILE.anchor.json. */
export function anchorPathFor(logPath: string): string {
  return logPath.endsWith('.ndjson') ? `${logPath.slice(0, -'.ndjson'.length)}.anchor.json` : `${logPath}.anchor.json`;
}
