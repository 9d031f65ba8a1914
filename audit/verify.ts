// audit/verify.ts — check a log's hash chain, HMACs and anchor; name the first bad line (CLI, reads the log)
//
// What each check catches: seq numbers catch a removed, duplicated or reordered line; each line's
// `prev` catches an edited line (the edit changes the hash the next line recorded); the anchor
// catches lines cut off the end and an edit of the last line; the HMAC catches a whole rewrite with
// recomputed hashes, which nothing else can (docs/audit.md, threat model).
import { genesisHash, lineHash, lineHmac, splitHmac } from './chain.js';
import { AuditError, errnoReason } from './errors.js';
import { parseEvent } from './events.js';
import { eachLine } from './lines.js';
import type { Anchor, Head } from './anchor.js';

export interface VerifyOptions {
  /** the head recorded outside the log: catches truncation and an edited last line */
  readonly anchor?: Anchor | null;
  /** the HMAC key: every line must carry a valid hmac */
  readonly key?: Uint8Array;
  /** the container id the log must belong to (else the first line's, or the anchor's) */
  readonly logId?: string;
}

interface Checked {
  /** lines read */
  readonly lines: number;
  /** lines carry hmac fields */
  readonly keyed: boolean;
  /** the HMACs were checked with a key */
  readonly hmacChecked: boolean;
  /** an anchor was compared */
  readonly anchorChecked: boolean;
}

export type VerifyResult =
  | (Checked & { readonly ok: true; readonly head: Head; readonly id?: string; /** lines written after the anchor was taken */ readonly beyondAnchor: number })
  | (Checked & { readonly ok: false; /** the first bad seq (= its line number) */ readonly seq: number; readonly reason: string });

/** verify reads the log at logPath once and returns the first problem found, or the head of an intact log. */
export function verify(logPath: string, opts: VerifyOptions = {}): VerifyResult {
  const anchor = opts.anchor ?? null;
  let logId = opts.logId ?? anchor?.id;
  let lines = 0;
  let keyed = false;
  let expectPrev: string | null = logId === undefined ? null : genesisHash(logId);
  let lastHash = expectPrev ?? '';
  let anchorHash: string | null = null;
  // a `prev` mismatch at line j means line j-1 was edited, or line j's own prev was: line j+1 tells which
  let mismatch: { j: number; hashJ: string } | null = null;
  let bad: { seq: number; reason: string } | null = null;

  const fail = (seq: number, reason: string): false => { bad = { seq, reason }; return false; };
  const blameEdit = (j: number, jEdited: boolean): false => jEdited
    ? fail(j, `line ${j} was edited: its hash is not what the next record holds, and its prev is not line ${j - 1}'s hash`)
    : fail(j - 1, `line ${j - 1} was edited: its hash is not the prev recorded by line ${j}`);

  try {
    eachLine(logPath, ({ bytes, index, terminated, oversized }) => {
      const j = index + 1;
      lines = j;
      if (oversized) return fail(j, 'the line is longer than 1 MiB');
      if (!terminated) return fail(j, 'the line is cut off (no newline): the log was truncated or a write interrupted');
      if (bytes.length === 0) return fail(j, 'the line is empty');
      const text = bytes.toString('utf8');
      let value: Record<string, unknown>;
      try { value = JSON.parse(text); } catch { return fail(j, 'the line is not JSON'); }
      const parsed = parseEvent(value);
      if (!parsed.ok) return fail(j, `the line is not an audit event (${parsed.reason})`);
      const ev = parsed.event;
      const split = splitHmac(text);
      if (split) keyed = true;
      if (opts.key) {
        if (!split) return fail(j, 'the line has no hmac, but a key was given');
        if (lineHmac(opts.key, split.unkeyed) !== split.mac) return fail(j, 'the HMAC does not match: the line was written or rewritten without the key');
      }
      if (ev.seq !== j) {
        return fail(j, ev.seq > j
          ? `found seq ${ev.seq} where seq ${j} belongs: a line was removed or lines were reordered`
          : `found seq ${ev.seq} again after seq ${j - 1}: lines were reordered or duplicated`);
      }
      if (logId === undefined) { logId = ev.container.id; expectPrev = genesisHash(logId); }
      if (ev.container.id !== logId) return fail(j, `the line belongs to container ${ev.container.id}, not ${logId}`);
      const hashJ = lineHash(bytes);
      if (mismatch) return blameEdit(mismatch.j, ev.prev !== mismatch.hashJ);
      if (ev.prev !== expectPrev) {
        if (j === 1) return fail(1, `line 1 was edited or is not the start of the log of ${logId}: its prev is not the log's genesis hash`);
        mismatch = { j, hashJ };
      }
      expectPrev = hashJ;
      lastHash = hashJ;
      if (anchor && j === anchor.seq) anchorHash = hashJ;
      return true;
    });
  } catch (err) {
    throw new AuditError('verify audit log', logPath, errnoReason(err), err);
  }
  const base = { lines, keyed, hmacChecked: opts.key !== undefined, anchorChecked: anchor !== null };
  const done = (): VerifyResult => (bad ? { ...base, ok: false, ...(bad as { seq: number; reason: string }) } : ok());
  const ok = (): VerifyResult => ({ ...base, ok: true, head: { seq: lines, hash: lines ? lastHash : genesisHash(logId ?? '') },
    ...(logId !== undefined ? { id: logId } : {}), beyondAnchor: anchor ? Math.max(0, lines - anchor.seq) : 0 });
  if (bad) return done();
  const m = mismatch as { j: number; hashJ: string } | null;
  if (m) {
    // the bad prev is on the last line: only the anchor can say whether that line was edited itself
    if (anchor && anchor.seq === m.j) blameEdit(m.j, anchor.hash !== m.hashJ);
    else fail(m.j - 1, `line ${m.j - 1} or line ${m.j} was edited: line ${m.j}'s prev is not line ${m.j - 1}'s hash`);
    return done();
  }
  if (anchor) {
    if (lines < anchor.seq) fail(lines + 1, `the log ends at seq ${lines} but its anchor records seq ${anchor.seq}: lines were cut off the end`);
    else if (anchor.seq > 0 && anchorHash !== anchor.hash) fail(anchor.seq, `line ${anchor.seq} does not match the hash its anchor records: it was edited`);
    else if (anchor.seq === 0 && logId !== undefined && anchor.hash !== genesisHash(logId)) fail(1, 'the anchor is not for this log (its genesis hash differs)');
  }
  return done();
}
