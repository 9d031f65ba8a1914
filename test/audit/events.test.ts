// test/audit/events.test.ts — the event schema: every kind round-trips through a written line, bad lines are named (pure + temp files)
import t from 'tap';
import { AuditEvent, EVENT_KINDS, parseEvent } from '../../audit/index.js';
import { readLines, runEvents, tempDir, writeLog } from './fixtures.js';

t.test('every event kind written by the writer parses back to the same value', async (t) => {
  const { path } = writeLog(tempDir(t), 8);
  const lines = readLines(path);
  t.equal(lines.length, runEvents(8).length);
  const kinds = new Set<string>();
  for (const l of lines) {
    const v = JSON.parse(l);
    const r = parseEvent(v);
    t.ok(r.ok, `line ${v.seq} parses`);
    if (!r.ok) continue;
    kinds.add(r.event.event);
    t.same(JSON.parse(JSON.stringify(r.event)), v, `line ${v.seq} round-trips`);
  }
  // dropped and the exec kinds have tests of their own (here and test/audit/exec-events.test.ts)
  t.same([...kinds].sort(), EVENT_KINDS.filter((k) => k !== 'dropped' && !k.startsWith('exec.')).sort());
});

t.test('a dropped line parses', async (t) => {
  const r = parseEvent({ v: 1, time: 'x', seq: 3, prev: 'a'.repeat(64), container: { id: 'c' }, event: 'dropped', dropped: { total: 4, from: 'a', to: 'b', shapes: [{ syscall: 'connect', action: 'deny', count: 4 }] } });
  t.ok(r.ok);
});

t.test('bad lines are refused with the field named', async (t) => {
  const base = { v: 1, time: 'x', seq: 1, prev: 'a'.repeat(64), container: { id: 'c' } };
  const cases: [unknown, RegExp][] = [
    [{ ...base, event: 'nope' }, /event/],
    [{ ...base, event: 'exited', exited: { code: 0, signal: null, oom: 'no', duration: 1 } }, /exited\.oom/],
    [{ ...base, seq: 0, event: 'started' }, /seq/],
    [{ ...base, prev: 'XYZ', event: 'started' }, /prev/],
    [{ ...base, v: 2, event: 'started' }, /v/],
    [{ ...base, event: 'syscall', proc: { pid: 1 }, syscall: { nr: 1, name: 'write', arch: 'x86_64' }, decision: { action: 'maybe' } }, /decision\.action/],
    [{ ...base, event: 'syscall', proc: { pid: 1 }, syscall: { nr: 1, name: 'write', arch: 'x86_64', args: [1, 2, 3, 4, 5, 6, 7] }, decision: { action: 'deny' } }, /syscall\.args/],
  ];
  for (const [v, re] of cases) {
    const r = parseEvent(v);
    t.notOk(r.ok, JSON.stringify(v).slice(0, 60));
    if (!r.ok) t.match(r.reason, re);
  }
  t.notOk(AuditEvent.safeParse({ ...base }).success, 'no event kind');
});
