// test/audit/fixtures.ts — audit logs made for the tests: a writer with a fake clock, varied events, line surgery (test helper)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditWriter, parseEvent, type AuditWriterOptions, type EventInput, type SyscallInput } from '../../audit/index.js';

export const CID = 'c0ffee'.padEnd(64, '0');
export const KEY = Buffer.from('0123456789abcdef0123456789abcdef');

/** tempDir makes a directory removed when the test ends (on every path) */
export function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tss-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** a clock that advances 1 ms per call unless set */
export function fakeClock(start = Date.UTC(2025, 0, 2, 3, 4, 5)): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t++, advance: (ms) => { t += ms; } };
}

/** schemaCheck makes the writer refuse a line the zod schema refuses */
export const schemaCheck = (line: Record<string, unknown>): void => {
  const r = parseEvent(line);
  if (!r.ok) throw new Error(`bad line: ${r.reason}`);
};

export function syscallEvent(i: number, action: 'observe' | 'deny' | 'emulate' = 'observe', name = 'openat'): SyscallInput {
  return {
    event: 'syscall',
    proc: { pid: 1000 + (i % 3), nsPid: 1 + (i % 3), tid: 1000 + (i % 3), comm: i % 3 ? 'sh' : 'cat', exe: '/bin/busybox', argv: ['cat', `/etc/f${i}`], cwd: '/', uid: 0, gid: 0 },
    syscall: { nr: 257, name, arch: 'x86_64', args: ['AT_FDCWD', `/etc/f${i}`, 'O_RDONLY'], ...(action === 'deny' ? { ret: -1, errno: 'EPERM' } : { ret: 3 }) },
    decision: { action, rule: `profiles/strict.yaml:${10 + (i % 5)}`, source: 'strict', layer: 'notify' },
    resource: { path: `/etc/f${i}` },
  };
}

/** the events of a short run: created, policy.compiled, image.scanned, started, syscalls, exited */
export function runEvents(n: number): EventInput[] {
  const out: EventInput[] = [
    { event: 'created', container: { id: CID, name: 'web', image: 'busybox:latest', imageDigest: `sha256:${'ab'.repeat(32)}`, profile: 'strict', policyDigest: `sha256:${'cd'.repeat(32)}` } },
    { event: 'policy.compiled', policy: { profile: 'strict', digest: `sha256:${'cd'.repeat(32)}`, instructions: 123, notify: ['openat', 'connect', 'execve'] } },
    { event: 'image.scanned', scan: { image: 'busybox:latest', findings: { high: 0, medium: 2 }, verdict: 'warn' } },
    { event: 'started', proc: { pid: 1000, nsPid: 1, comm: 'sh', exe: '/bin/sh', argv: ['sh', '-c', 'cat /etc/hostname'] } },
  ];
  for (let i = 0; i < n; i++) out.push(syscallEvent(i, i % 4 === 3 ? 'deny' : 'observe', i % 5 === 4 ? 'connect' : 'openat'));
  out.push({ event: 'exited', exited: { code: 0, signal: null, oom: false, duration: 1234 } });
  return out;
}

/** writeLog writes the run's events to dir/audit.ndjson and returns the path and head */
export function writeLog(dir: string, n: number, opts: Partial<AuditWriterOptions> = {}): { path: string; head: { seq: number; hash: string } } {
  const path = join(dir, 'audit.ndjson');
  const w = AuditWriter.open(path, { container: { id: CID, name: 'web' }, now: fakeClock().now, check: schemaCheck, ...opts });
  for (const e of runEvents(n)) w.append(e);
  return { path, head: w.close() };
}

export const readLines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').slice(0, -1);
export const writeLines = (path: string, lines: string[]): void => writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
