// test/audit/writer.test.ts — the writer: head after each append, resume, refusals, HMAC, fail closed (temp files)
import t from 'tap';
import { appendFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditWriter, lineHash, readKey, verify } from '../../audit/index.js';
import { CID, KEY, fakeClock, readLines, schemaCheck, syscallEvent, tempDir } from './fixtures.js';

t.test('each append returns the head: seq and the hash of the line just written', async (t) => {
  const path = join(tempDir(t), 'audit.ndjson');
  const w = AuditWriter.open(path, { container: { id: CID, name: 'web' }, now: fakeClock().now, check: schemaCheck });
  t.equal(w.head.seq, 0);
  for (let i = 1; i <= 3; i++) {
    const r = w.append(syscallEvent(i));
    t.ok(r.written);
    const lines = readLines(path);
    t.equal(lines.length, i, 'the line is in the file when append returns');
    if (r.written) { t.equal(r.seq, i); t.equal(r.hash, lineHash(lines[i - 1]!)); t.same(r.head, { seq: i, hash: r.hash }); }
  }
  const line = JSON.parse(readLines(path)[0]!);
  t.same(line.container, { id: CID }, 'syscall lines carry only the container id');
  t.same(Object.keys(line).slice(0, 4), ['v', 'time', 'seq', 'prev']);
  w.append({ event: 'created' });
  t.same(JSON.parse(readLines(path)[3]!).container, { id: CID, name: 'web' }, 'lifecycle lines carry the whole container');
  w.close();
  t.throws(() => w.append(syscallEvent(9)), /closed/);
});

t.test('the writer will not be made to forge chain fields', async (t) => {
  const path = join(tempDir(t), 'audit.ndjson');
  const w = AuditWriter.open(path, { container: { id: CID }, now: fakeClock().now });
  w.append({ ...syscallEvent(1), seq: 99, prev: '0'.repeat(64), hmac: 'x', v: 7 } as never);
  w.close();
  const l = JSON.parse(readLines(path)[0]!);
  t.equal(l.seq, 1); t.equal(l.v, 1); t.equal(l.hmac, undefined);
  t.ok(verify(path).ok);
});

t.test('resume: continues the chain; refuses a cut-off line, another container, a key mismatch', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.ndjson');
  let w = AuditWriter.open(path, { container: { id: CID }, key: KEY });
  w.append(syscallEvent(1)); w.close();
  w = AuditWriter.open(path, { container: { id: CID }, key: KEY });
  t.equal(w.head.seq, 1);
  w.append(syscallEvent(2)); w.close();
  t.ok(verify(path, { key: KEY }).ok, 'two writers in turn, one chain');
  t.throws(() => AuditWriter.open(path, { container: { id: CID } }), /keyed .* no key/);
  t.throws(() => AuditWriter.open(path, { container: { id: CID }, key: Buffer.from('another-key-of-16+') }), /valid HMAC/);
  t.throws(() => AuditWriter.open(path, { container: { id: 'other' }, key: KEY }), /belongs to container/);
  appendFileSync(path, '{"v":1,');
  t.throws(() => AuditWriter.open(path, { container: { id: CID }, key: KEY }), /cut off/);
  t.throws(() => AuditWriter.open(join(dir, 'x'), { container: { id: CID }, key: Buffer.from('short') }), /shorter/);
  t.throws(() => AuditWriter.open(join(dir, 'x'), { container: { id: '' } }), /empty/);
  symlinkSync(join(dir, 'target'), join(dir, 'link'));
  t.throws(() => AuditWriter.open(join(dir, 'link'), { container: { id: CID } }), /ELOOP/, 'a symlink is not followed');
});

t.test('a failed write throws and the writer refuses every later line (fail closed)', async (t) => {
  const path = join(tempDir(t), 'audit.ndjson');
  const w = AuditWriter.open(path, { container: { id: CID } });
  w.append(syscallEvent(1));
  // closing the fd under the writer makes the next writeSync fail as a full disk would
  const { closeSync } = await import('node:fs');
  closeSync((w as unknown as { fd: number }).fd);
  t.throws(() => w.append(syscallEvent(2)), /append to audit log .*EBADF/);
  t.throws(() => w.append(syscallEvent(3)), /earlier write failed/);
});

t.test('keys come from a file; the HMAC covers the line', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'k'));
  writeFileSync(join(dir, 'k', 'key'), `${'ab'.repeat(16)}\n`);
  const key = readKey(join(dir, 'k', 'key'));
  t.equal(key.length, 32, 'one trailing newline dropped');
  writeFileSync(join(dir, 'k', 'short'), 'abc\n');
  t.throws(() => readKey(join(dir, 'k', 'short')), /shorter/);
  t.throws(() => readKey(join(dir, 'nope')), /ENOENT/);
  const path = join(dir, 'audit.ndjson');
  const w = AuditWriter.open(path, { container: { id: CID }, key, fsync: true });
  w.append(syscallEvent(1)); w.close();
  t.match(readFileSync(path, 'utf8'), /,"hmac":"[0-9a-f]{64}"\}\n$/);
  t.ok(verify(path, { key }).ok);
  t.notOk(verify(path, { key: KEY }).ok, 'another key');
});
