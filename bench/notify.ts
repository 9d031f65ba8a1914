// bench/notify.ts — notified syscalls per second through our supervisor (audit on and off) next to a minimal C supervisor's (bench, needs a C compiler)
//
// The target (bench/notify-bench.c) notifies getppid and calls it in a loop; each call is one full
// round trip: the kernel stops it, the supervisor receives, (records,) answers CONTINUE. The C loop
// is the floor any supervisor can reach; DESIGN §7's target is within 2× of it with audit off. The C
// loop runs twice, plain and with SYNC_WAKE_UP (which ours sets where the kernel has it): the
// target is measured against the faster of the two.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditWriter } from '../audit/writer.js';
import { NotifyLoop } from '../sandbox/notify/loop.js';
import type { NotifyTable } from '../sandbox/notify/rules.js';
import { closeFd, recvFd, socketPair } from '../sandbox/notify/sys.js';
import { TraceLoop } from '../sandbox/notify/trace-loop.js';
import type { BenchRow } from './types.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TABLE: NotifyTable = { entries: [{ rule: 0, syscall: 'getppid', kind: 'observe', family: 'bench' }], bySyscall: { getppid: [0] } };
const POLICY = { name: 'bench', defaultAction: { kind: 'allow' }, arches: [], foreignAction: { kind: 'kill_process' }, rules: [] } as const;

/** traced: the same calls through --supervisor ptrace (SECCOMP_RET_TRACE, build/tracer, TraceLoop) */
async function traced(bin: string, n: number, writer: AuditWriter): Promise<number> {
  // the target installs its filter only after the go byte: the tracer must be attached first (as the launcher waits)
  const child = spawn(bin, ['ttarget', String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  const loop = new TraceLoop({ pid: child.pid!, table: TABLE, policy: POLICY as never, writer, stallMs: 10_000 });
  try { await loop.attached; } catch (e) { child.kill('SIGKILL'); throw e; }
  child.stdin!.end('g');
  await Promise.all([exited, loop.done]);
  return Number(out.trim().split(' ')[0]);
}

async function ours(bin: string, n: number, writer: AuditWriter): Promise<number> {
  const [mine, theirs] = socketPair();
  const child = spawn(bin, ['target', String(n)], { stdio: ['ignore', 'pipe', 'inherit', theirs] });
  closeFd(theirs);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  let fd = -1;
  for (let i = 0; i < 500 && fd < 0; i++) { fd = recvFd(mine); if (fd < 0) await new Promise((r) => setTimeout(r, 10)); }
  closeFd(mine);
  if (fd < 0) { child.kill('SIGKILL'); throw new Error('the bench target sent no listener'); }
  const loop = new NotifyLoop({ fd, table: TABLE, policy: POLICY as never, writer });
  await loop.run();
  closeFd(fd);
  await exited;
  return Number(out.trim().split(' ')[0]);
}

export async function benchNotify(n = 100_000): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tss-bench-notify-'));
  try {
    const bin = join(dir, 'notify-bench');
    const cc = spawnSync('cc', ['-O2', '-o', bin, join(REPO, 'bench/notify-bench.c')], { encoding: 'utf8' });
    if (cc.status !== 0) return [{ name: 'seccomp-notify round trips', value: NaN, unit: 'calls/s', note: `cc failed: ${cc.stderr.split('\n')[0]}` }];
    const RUNS = 5;
    const c: number[] = [], cs: number[] = [], off: number[] = [], on: number[] = [], toff: number[] = [], ton: number[] = [];
    // a writer that records nothing: the loop's own cost; and the real writer on a temp log (no rate limiting: every line is written)
    const nullWriter = { append: () => ({ written: false, head: { seq: 0, hash: '' } }) } as unknown as AuditWriter;
    for (let i = 0; i < RUNS; i++) {
      c.push(Number(spawnSync(bin, ['csup', String(n)], { encoding: 'utf8' }).stdout.trim().split(' ')[0]));
      cs.push(Number(spawnSync(bin, ['csync', String(n)], { encoding: 'utf8' }).stdout.trim().split(' ')[0])); // NaN: no SYNC_WAKE_UP
      off.push(await ours(bin, n, nullWriter));
      const w = AuditWriter.open(join(dir, `audit-${i}.ndjson`), { container: { id: 'bench' } });
      try { on.push(await ours(bin, n, w)); } finally { w.close(); rmSync(join(dir, `audit-${i}.ndjson`), { force: true }); }
      toff.push(await traced(bin, n, nullWriter));
      const tw = AuditWriter.open(join(dir, `trace-${i}.ndjson`), { container: { id: 'bench' } });
      try { ton.push(await traced(bin, n, tw)); } finally { tw.close(); rmSync(join(dir, `trace-${i}.ndjson`), { force: true }); }
    }
    const best = (xs: number[]) => Math.min(...xs.filter((x) => x > 0));
    const perSec = (ns: number) => Math.round(1e9 / ns);
    const csNs = best(cs);
    const cNs = Math.min(best(c), csNs), offNs = best(off), onNs = best(on), toffNs = best(toff), tonNs = best(ton);
    return [
      { name: 'notify: minimal C supervisor (RECV, SEND CONTINUE)', value: perSec(best(c)), unit: 'calls/s', note: `${best(c).toFixed(0)} ns per round trip` },
      { name: 'notify: minimal C supervisor, SYNC_WAKE_UP', value: Number.isFinite(csNs) ? perSec(csNs) : NaN, unit: 'calls/s', note: Number.isFinite(csNs) ? `${csNs.toFixed(0)} ns per round trip` : 'the kernel has no SYNC_WAKE_UP (6.6+)' },
      { name: 'notify: our supervisor, audit off', value: perSec(offNs), unit: 'calls/s', note: `${offNs.toFixed(0)} ns; ${(offNs / cNs).toFixed(2)}× the faster C loop (target ≤ 2×)` },
      { name: 'notify: our supervisor, audit on (every line written)', value: perSec(onNs), unit: 'calls/s', note: `${onNs.toFixed(0)} ns; ${(onNs / cNs).toFixed(2)}× the faster C loop` },
      { name: 'ptrace: our supervisor (tracer + pipe), audit off', value: perSec(toffNs), unit: 'calls/s', note: `${toffNs.toFixed(0)} ns; ${(toffNs / offNs).toFixed(2)}× notify's` },
      { name: 'ptrace: our supervisor, audit on (every line written)', value: perSec(tonNs), unit: 'calls/s', note: `${tonNs.toFixed(0)} ns; ${(tonNs / onNs).toFixed(2)}× notify's` },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
