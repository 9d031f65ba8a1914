// test/audit/verify.test.ts — the chain verifies; each kind of tampering is named at the right seq (temp files)
import t from 'tap';
import { createHash } from 'node:crypto';
import { writeFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AuditWriter, genesisHash, lineHash, readAnchor, verify, writeAnchor } from '../../audit/index.js';
import { withHmac } from '../../audit/chain.js';
import { CID, KEY, readLines, tempDir, writeLines, writeLog } from './fixtures.js';

const N = 12; // syscall lines; the log has N + 5 lines

t.test('a clean log verifies, with and without anchor and key', async (t) => {
  const dir = tempDir(t);
  const { path, head } = writeLog(dir, N, { key: KEY });
  t.equal(head.seq, N + 5);
  t.equal(head.hash, lineHash(readLines(path).at(-1)!));
  const r = verify(path, { anchor: head, key: KEY });
  t.ok(r.ok, JSON.stringify(r));
  if (r.ok) { t.same(r.head, head); t.equal(r.id, CID); t.ok(r.hmacChecked); t.ok(r.keyed); t.equal(r.beyondAnchor, 0); }
  t.ok(verify(path).ok, 'no anchor, no key');
  const first = JSON.parse(readLines(path)[0]!);
  t.equal(first.prev, genesisHash(CID), 'the first line chains to the genesis hash');
  t.equal(first.seq, 1);
});

t.test('anchor files round-trip and lag is allowed', async (t) => {
  const dir = tempDir(t);
  const { path, head } = writeLog(dir, N);
  const ap = join(dir, 'audit.anchor.json');
  t.equal(readAnchor(ap), null, 'no anchor yet');
  writeAnchor(ap, { ...head, id: CID });
  t.same(readAnchor(ap), { ...head, id: CID });
  const w = AuditWriter.open(path, { container: { id: CID } });
  t.same(w.head, head, 'a reopened writer resumes at the head');
  const r2 = w.append({ event: 'started', proc: { pid: 5 } });
  t.equal(r2.written && r2.seq, N + 6);
  w.close();
  const r = verify(path, { anchor: readAnchor(ap) });
  t.ok(r.ok);
  if (r.ok) t.equal(r.beyondAnchor, 1, 'a line written after the anchor was taken');
  writeFileSync(ap, '{"seq": "x"}');
  t.throws(() => readAnchor(ap), /read anchor .*expected/);
});

function tampered(t: { teardown: (fn: () => void) => void }, edit: (lines: string[]) => string[], opts: { anchor?: boolean; key?: boolean } = {}) {
  const dir = tempDir(t);
  const { path, head } = writeLog(dir, N, opts.key ? { key: KEY } : {});
  writeLines(path, edit(readLines(path)));
  return verify(path, { ...(opts.anchor ? { anchor: head } : {}), ...(opts.key ? { key: KEY } : {}) });
}

const setField = (line: string, f: (o: any) => void): string => { const o = JSON.parse(line); f(o); return JSON.stringify(o); };

t.test('an edited field is named at its line', async (t) => {
  for (const seq of [1, 6, 9]) {
    const r = tampered(t, (ls) => { ls[seq - 1] = ls[seq - 1]!.replace('"time":"2025', '"time":"2024'); return ls; });
    t.notOk(r.ok, `edit line ${seq}`);
    if (!r.ok) { t.equal(r.seq, seq); t.match(r.reason, /edited/); }
  }
  const r = tampered(t, (ls) => { ls[7] = setField(ls[7]!, (o) => { o.decision.action = 'observe'; o.syscall.name = 'read'; }); return ls; });
  t.equal(!r.ok && r.seq, 8, 'rewritten decision');
  const p = tampered(t, (ls) => { ls[4] = setField(ls[4]!, (o) => { o.prev = 'f'.repeat(64); }); return ls; });
  t.equal(!p.ok && p.seq, 5, 'an edited prev is blamed on its own line');
});

t.test('the last line edited: caught only through the anchor', async (t) => {
  const edit = (ls: string[]) => { ls[ls.length - 1] = ls.at(-1)!.replace('"code":0', '"code":1'); return ls; };
  t.ok(tampered(t, edit).ok, 'without an anchor nothing records the last line');
  const r = tampered(t, edit, { anchor: true });
  t.notOk(r.ok);
  if (!r.ok) { t.equal(r.seq, N + 5); t.match(r.reason, /anchor/); }
});

t.test('a deleted middle line is named', async (t) => {
  const r = tampered(t, (ls) => ls.filter((_, i) => i !== 6));
  t.notOk(r.ok);
  if (!r.ok) { t.equal(r.seq, 7); t.match(r.reason, /removed/); }
});

t.test('two swapped lines are named', async (t) => {
  const r = tampered(t, (ls) => { [ls[8], ls[9]] = [ls[9]!, ls[8]!]; return ls; });
  t.notOk(r.ok);
  if (!r.ok) { t.equal(r.seq, 9); t.match(r.reason, /reordered/); }
  const d = tampered(t, (ls) => [...ls.slice(0, 5), ls[3]!, ...ls.slice(5)]);
  t.equal(!d.ok && d.seq, 6, 'a duplicated line');
});

t.test('a truncated tail: whole lines need the anchor, a cut line does not', async (t) => {
  const cut = (ls: string[]) => ls.slice(0, 10);
  t.ok(tampered(t, cut).ok, 'whole lines cut without an anchor: still a valid chain (documented limit)');
  const r = tampered(t, cut, { anchor: true });
  t.notOk(r.ok);
  if (!r.ok) { t.equal(r.seq, 11); t.match(r.reason, /cut off the end/); }

  const dir = tempDir(t);
  const { path } = writeLog(dir, N);
  truncateSync(path, statSync(path).size - 17);
  const m = verify(path);
  t.notOk(m.ok, 'cut mid-line without an anchor');
  if (!m.ok) { t.equal(m.seq, N + 5); t.match(m.reason, /cut off/); }
  truncateSync(path, 0);
  t.ok(verify(path).ok, 'an empty log is intact on its own');
  const e = verify(path, { anchor: { seq: 3, hash: 'a'.repeat(64) } });
  t.equal(!e.ok && e.seq, 1, 'but not against an anchor');
});

t.test('a full rewrite with recomputed hashes: caught only with the HMAC key', async (t) => {
  const forge = (keyed: boolean) => (ls: string[]) => {
    let prev = genesisHash(CID);
    return ls.map((l) => {
      const o = JSON.parse(l);
      delete o.hmac;
      if (o.event === 'syscall' && o.decision.action === 'deny') o.decision.action = 'observe';
      o.prev = prev;
      // an attacker without the key makes up a key of their own
      const line = keyed ? withHmac(JSON.stringify(o), Buffer.from('attacker-key-attacker-key')) : JSON.stringify(o);
      prev = createHash('sha256').update(line).digest('hex');
      return line;
    });
  };
  const noKey = tampered(t, forge(false));
  t.ok(noKey.ok, 'a rewritten chain verifies without a key (documented limit)');
  const r = tampered(t, forge(true), { key: true });
  t.notOk(r.ok);
  if (!r.ok) { t.equal(r.seq, 1); t.match(r.reason, /HMAC/); }
  const stripped = tampered(t, forge(false), { key: true });
  t.equal(!stripped.ok && stripped.seq, 1, 'hmac fields removed');
  const one = tampered(t, (ls) => { ls[3] = ls[3]!.replace(/"hmac":"[0-9a-f]{64}"/, `"hmac":"${'0'.repeat(64)}"`); return ls; }, { key: true });
  t.equal(!one.ok && one.seq, 4, 'one bad hmac');
});

t.test('a log from another container or with junk lines', async (t) => {
  const dir = tempDir(t);
  const { path } = writeLog(dir, N);
  const r = verify(path, { logId: 'f'.repeat(64) });
  t.equal(!r.ok && r.seq, 1);
  const ls = readLines(path);
  for (const [junk, re] of [['', /empty/], ['{not json', /not JSON/], ['{"v":1}', /not an audit event/]] as const) {
    writeLines(path, [...ls.slice(0, 3), junk, ...ls.slice(3)]);
    const j = verify(path);
    t.notOk(j.ok);
    if (!j.ok) { t.equal(j.seq, 4); t.match(j.reason, re); }
  }
  t.throws(() => verify(join(dir, 'missing.ndjson')), /verify audit log .*ENOENT/);
});
