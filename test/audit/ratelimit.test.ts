// test/audit/ratelimit.test.ts — repeats are dropped and counted in `dropped` lines, every distinct shape is kept, the chain stays whole (temp files)
import t from 'tap';
import { join } from 'node:path';
import { AuditWriter, parseEvent, verify, RateLimiter, type AuditEvent } from '../../audit/index.js';
import { CID, fakeClock, readLines, schemaCheck, syscallEvent, tempDir } from './fixtures.js';

const events = (path: string): AuditEvent[] => readLines(path).map((l) => { const r = parseEvent(JSON.parse(l)); if (!r.ok) throw new Error(r.reason); return r.event; });

t.test('a flood of one shape: one line per window plus dropped counts', async (t) => {
  const path = join(tempDir(t), 'audit.ndjson');
  const clock = fakeClock();
  const w = AuditWriter.open(path, { container: { id: CID }, rateLimit: { windowMs: 1000 }, now: clock.now, check: schemaCheck });
  const deny = syscallEvent(3, 'deny', 'connect');
  const first = w.append(deny);
  t.ok(first.written);
  let dropped = 0;
  for (let i = 0; i < 500; i++) if (!w.append(deny).written) dropped++;
  t.equal(dropped, 500, 'every repeat within the window dropped');
  t.equal(w.head.seq, 1, 'and nothing written for them');
  clock.advance(2000);
  t.ok(w.append(deny).written, 'the shape is written again in a new window');
  w.close();
  const evs = events(path);
  t.same(evs.map((e) => e.event), ['syscall', 'dropped', 'syscall']);
  const d = evs[1]!;
  if (d.event === 'dropped') {
    t.equal(d.dropped.total, 500);
    t.same(d.dropped.shapes, [{ syscall: 'connect', action: 'deny', rule: 'profiles/strict.yaml:13', count: 500 }]);
    t.ok(d.dropped.from <= d.dropped.to);
  }
  t.ok(verify(path).ok, 'dropped lines are part of the chain');
});

t.test('distinct shapes are never dropped, even interleaved with a flood', async (t) => {
  const path = join(tempDir(t), 'audit.ndjson');
  const clock = fakeClock();
  const w = AuditWriter.open(path, { container: { id: CID }, rateLimit: { windowMs: 60_000, maxShapes: 8 }, now: clock.now });
  const flood = syscallEvent(1, 'deny', 'connect');
  const shapes = 50; // more than maxShapes: forgetting a shape must only cause it to be written again
  for (let i = 0; i < shapes; i++) {
    w.append(flood);
    w.append(syscallEvent(100 + i, 'observe', 'openat'));
    w.append({ ...syscallEvent(100 + i, 'observe', 'openat'), decision: { action: 'deny', rule: 'x.yaml:1' } });
  }
  w.append({ event: 'exited', exited: { code: 0, signal: null, oom: false, duration: 1 } });
  w.close();
  const evs = events(path);
  const seen = new Set(evs.filter((e) => e.event === 'syscall').map((e) => e.event === 'syscall' ? `${e.syscall.name} ${e.resource?.path} ${e.decision.action}` : ''));
  t.equal(seen.size, 1 + 2 * shapes, 'every distinct (syscall, args, decision) shape has a line');
  t.equal(evs.filter((e) => e.event === 'exited').length, 1, 'lifecycle lines are never rate-limited');
  const totalDropped = evs.reduce((n, e) => n + (e.event === 'dropped' ? e.dropped.total : 0), 0);
  const floodLines = evs.filter((e) => e.event === 'syscall' && e.syscall.name === 'connect').length;
  t.equal(floodLines + totalDropped, shapes, 'each flood call is a line or a count');
  t.ok(totalDropped > 0);
  t.ok(verify(path).ok);
});

t.test('the limiter alone: due, takeDropped, window per shape', async (t) => {
  const rl = new RateLimiter(100);
  const a = syscallEvent(1, 'deny'), b = syscallEvent(2, 'deny');
  t.ok(rl.admit(a, 0)); t.ok(rl.admit(b, 0));
  t.notOk(rl.admit(a, 50)); t.notOk(rl.admit(a, 60)); t.notOk(rl.admit(b, 99));
  t.notOk(rl.due(99)); t.ok(rl.due(150));
  t.ok(rl.admit(a, 100), 'a new window');
  const d = rl.takeDropped();
  t.equal(d?.total, 3); t.equal(d?.from, 50); t.equal(d?.to, 99);
  t.same(d?.shapes.map((s) => s.count), [2, 1]);
  t.equal(rl.takeDropped(), null);
  t.throws(() => new RateLimiter(0));
});

t.test('flushDropped and close write the pending counts', async (t) => {
  const path = join(tempDir(t), 'audit.ndjson');
  const w = AuditWriter.open(path, { container: { id: CID }, rateLimit: { windowMs: 1e9 }, now: fakeClock().now });
  t.equal(w.flushDropped(), null);
  w.append(syscallEvent(1)); w.append(syscallEvent(1));
  t.equal(w.flushDropped()?.seq, 2);
  w.append(syscallEvent(1));
  t.equal(w.close().seq, 3);
  t.same(events(path).map((e) => e.event), ['syscall', 'dropped', 'dropped']);
});
