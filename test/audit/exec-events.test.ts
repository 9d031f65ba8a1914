// test/audit/exec-events.test.ts — exec sessions in a log: exec.started/exec.exited, syscall lines tagged through writer.forExec, one chain, review by exec (pure + temp files)
import t from 'tap';
import { AuditWriter, parseEvent, readEvents, renderRows, renderSummary, summarize, verify } from '../../audit/index.js';
import { CID, fakeClock, readLines, schemaCheck, syscallEvent, tempDir } from './fixtures.js';
import { join } from 'node:path';

const EXEC = '0123456789abcdef';

function execLog(dir: string): string {
  const path = join(dir, 'audit.ndjson');
  const w = AuditWriter.open(path, { container: { id: CID, name: 'web' }, now: fakeClock().now, check: schemaCheck, rateLimit: { windowMs: 1000 } });
  w.append({ event: 'started', proc: { pid: 1000 } });
  w.append(syscallEvent(1));
  w.append({ event: 'exec.started', exec: { id: EXEC, argv: ['sh', '-c', 'cat /etc/hostname'], user: '1000:1000', pid: 2000 } });
  const x = w.forExec(EXEC);
  // the same shape as the container's own line: written again, because it says who did it
  x.append(syscallEvent(1));
  x.append(syscallEvent(2, 'deny', 'unshare'));
  x.append({ event: 'exec.exited', exec: { id: EXEC, code: 0, signal: null, duration: 5 } });
  t.equal(x.head.seq, w.head.seq, 'the view shares the writer\'s head');
  w.append(syscallEvent(3));
  w.close();
  return path;
}

t.test('exec lines: tagged through forExec, in the one chain of the log', async (t) => {
  const path = execLog(tempDir(t));
  const lines = readLines(path).map((l) => JSON.parse(l) as { seq: number; event: string; exec?: unknown });
  t.same(lines.map((l) => l.seq), [1, 2, 3, 4, 5, 6, 7], 'one writer, one sequence');
  t.same(lines.map((l) => l.event), ['started', 'syscall', 'exec.started', 'syscall', 'syscall', 'exec.exited', 'syscall']);
  t.equal(lines[1]!.exec, undefined, 'the container\'s own syscall has no exec');
  t.equal(lines[3]!.exec, EXEC, 'a syscall written through the exec view carries its id');
  t.equal(lines[4]!.exec, EXEC);
  t.equal(lines[6]!.exec, undefined, 'the writer itself is untouched by the view');
  t.same(lines[5]!.exec, { id: EXEC, code: 0, signal: null, duration: 5 }, 'lifecycle lines through the view are not tagged');
  const v = verify(path);
  t.ok(v.ok, JSON.stringify(v));
});

t.test('review: --exec selects one session; the summary lists sessions; the table shows the id', async (t) => {
  const path = execLog(tempDir(t));
  const { events } = readEvents(path, { exec: EXEC.slice(0, 6) });
  t.same(events.map((e) => e.event), ['exec.started', 'syscall', 'syscall', 'exec.exited']);
  const s = summarize(readEvents(path).events);
  t.same(s.execs, [{ id: EXEC, argv: ['sh', '-c', 'cat /etc/hostname'], code: 0, signal: null, syscalls: 2 }]);
  t.match(renderSummary(s), new RegExp(`exec sessions:\\n  ${EXEC}  \\["sh","-c","cat /etc/hostname"\\]  code=0`));
  const table = renderRows(events);
  t.match(table, new RegExp(`exec.started .*exec=${EXEC} \\["sh","-c","cat /etc/hostname"\\] user=1000:1000`));
  t.match(table, new RegExp(`unshare .*exec=${EXEC}`));
  t.match(table, new RegExp(`exec.exited .*exec=${EXEC} code=0`));
});

t.test('exec events: malformed ones are refused with the field named', async (t) => {
  const base = { v: 1, time: 'x', seq: 1, prev: 'a'.repeat(64), container: { id: 'c' } };
  const cases: [unknown, RegExp][] = [
    [{ ...base, event: 'exec.started', exec: { id: 'nothex', argv: ['sh'] } }, /exec\.id/],
    [{ ...base, event: 'exec.started', exec: { id: EXEC, argv: [] } }, /exec\.argv/],
    [{ ...base, event: 'exec.exited', exec: { id: EXEC, code: 'x', signal: null, duration: 1 } }, /exec\.code/],
    [{ ...base, event: 'syscall', exec: 'zz', proc: { pid: 1 }, syscall: { nr: 1, name: 'write', arch: 'x86_64' }, decision: { action: 'observe' } }, /exec/],
  ];
  for (const [v, re] of cases) {
    const r = parseEvent(v);
    t.notOk(r.ok, JSON.stringify(v).slice(0, 70));
    if (!r.ok) t.match(r.reason, re);
  }
});
