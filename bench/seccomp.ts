// bench/seccomp.ts — our seccomp compiler against libseccomp's binary tree, strict's cold compile, and a hot syscall under strict (bench, host)
//
// Instruction counts come from our cBPF interpreter running both programs (ours and the one
// libseccomp exports) on every x86_64 syscall the policy allows with zero arguments. The
// libseccomp harness (bench/libseccomp/tree.c) and the hot-syscall loop (bench/hot-syscall.c) are
// built here with cc, into a temp dir, only for the bench.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_ARCH, syscallNumber, syscallNumbers } from '../abi/index.js';
import { loadProfile } from '../policy/index.js';
import { loadProfileText } from '../policy/load.js';
import { actionValue } from '../policy/seccomp/actions.js';
import { decode, type SockFilter } from '../policy/seccomp/bpf.js';
import { compileUncached } from '../policy/seccomp/compile.js';
import { run } from '../policy/seccomp/interpret.js';
import type { SeccompPolicy } from '../policy/seccomp/types.js';
import { DOCKER_DEFAULT_CAPS, importOciSeccomp, parseOciJson, type OciSeccomp, type OciSyscall } from '../policy/oci-import.js';
import { exportOciSeccomp } from '../policy/oci-export.js';
import type { BenchRow } from './types.js';

const REPO = new URL('../../', import.meta.url).pathname;
const DOCKER_JSON = join(REPO, 'test/fixtures/seccomp/docker-default-seccomp.json');
const ALLOW = 0x7fff0000;
const CMP: Record<string, number> = { SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7 };

function ociActionValue(s: { action: string; errnoRet?: number }): number {
  switch (s.action) {
    case 'SCMP_ACT_ALLOW': return ALLOW;
    case 'SCMP_ACT_ERRNO': return (0x50000 | (s.errnoRet ?? 1)) >>> 0;
    case 'SCMP_ACT_KILL_PROCESS': return 0x80000000;
    default: throw new Error(`bench: action ${s.action}`);
  }
}

/** Docker's entries as dockerd hands them to libseccomp on amd64 for its default capabilities. */
function dockerEntries(o: OciSeccomp): OciSyscall[] {
  const caps = new Set(DOCKER_DEFAULT_CAPS);
  return (o.syscalls ?? []).filter((s) => !((s.excludes?.caps ?? []).some((c) => caps.has(c)) || (s.includes?.caps ?? []).some((c) => !caps.has(c))
    || (s.includes?.arches?.length && !s.includes.arches.includes('amd64')) || s.excludes?.arches?.includes('amd64')));
}

/** libseccompProgram: feed entries to the C harness, get libseccomp's program back. */
function libseccompProgram(tree: string, defaultAction: number, entries: readonly OciSyscall[]): SockFilter[] {
  const lines = [String(defaultAction)];
  const seen = new Set<string>();
  for (const e of entries) {
    const act = ociActionValue(e);
    if (act === defaultAction) continue;
    for (const name of e.names ?? []) {
      const nr = syscallNumber('x86_64', name);
      if (nr === undefined) continue;
      const args = e.args ?? [];
      const line = `${act} ${nr} ${args.length}${args.map((a) => ` ${a.index} ${CMP[a.op]} ${BigInt(a.value)} ${BigInt(a.valueTwo ?? 0)}`).join('')}`;
      if (!seen.has(line)) { seen.add(line); lines.push(line); }
    }
  }
  const out = execFileSync(tree, [], { input: `${lines.join('\n')}\n`, maxBuffer: 1 << 20 });
  return decode(out);
}

/** executed instructions over the syscalls a program allows with zero arguments */
function executed(prog: readonly SockFilter[]): { avg: number; worst: number; allowed: number } {
  let sum = 0; let worst = 0; let n = 0;
  for (const [nr] of syscallNumbers('x86_64')) {
    const r = run(prog, { nr, arch: AUDIT_ARCH.x86_64, args: [0n, 0n, 0n, 0n, 0n, 0n] });
    if (r.value !== ALLOW) continue;
    n++; sum += r.executed; worst = Math.max(worst, r.executed);
  }
  return { avg: n ? sum / n : 0, worst, allowed: n };
}

function compare(rows: BenchRow[], label: string, ours: readonly SockFilter[], theirs: readonly SockFilter[] | undefined): void {
  const o = executed(ours);
  rows.push({ name: `seccomp ${label}: instructions (ours)`, value: ours.length, unit: 'insns' });
  rows.push({ name: `seccomp ${label}: avg executed, allowed syscalls (ours)`, value: Number(o.avg.toFixed(2)), unit: 'insns', note: `${o.allowed} allowed syscalls` });
  rows.push({ name: `seccomp ${label}: worst executed, allowed syscalls (ours)`, value: o.worst, unit: 'insns' });
  if (!theirs) return;
  const l = executed(theirs);
  rows.push({ name: `seccomp ${label}: instructions (libseccomp tree)`, value: theirs.length, unit: 'insns' });
  rows.push({ name: `seccomp ${label}: avg executed, allowed syscalls (libseccomp tree)`, value: Number(l.avg.toFixed(2)), unit: 'insns', note: `${l.allowed} allowed syscalls` });
  rows.push({ name: `seccomp ${label}: worst executed, allowed syscalls (libseccomp tree)`, value: l.worst, unit: 'insns' });
}

const cc = (dir: string, src: string, out: string, libs: string[] = []): string | undefined => {
  const r = spawnSync('cc', ['-O2', '-o', join(dir, out), join(REPO, src), ...libs], { encoding: 'utf8' });
  return r.status === 0 ? join(dir, out) : undefined;
};

export async function benchSeccomp(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tss-bench-seccomp-'));
  try {
    const tree = cc(dir, 'bench/libseccomp/tree.c', 'tree', ['-lseccomp']);
    if (!tree) rows.push({ name: 'seccomp libseccomp harness', value: 0, unit: 'n/a', note: 'cc … -lseccomp failed: install libseccomp-dev' });
    const strict = loadProfile('strict').seccomp as SeccompPolicy;
    const docker = parseOciJson(readFileSync(DOCKER_JSON, 'utf8'), 'docker-default-seccomp.json');
    const imported = loadProfileText(importOciSeccomp(docker).yaml, 'docker-default (imported)').seccomp as SeccompPolicy;
    // strict in libseccomp: the same decisions in Docker's form (exact masked compares)
    const strictOci = exportOciSeccomp(strict, 'x86_64').profile;
    compare(rows, 'strict x86_64', compileUncached(strict, 'x86_64').insns,
      tree ? libseccompProgram(tree, actionValue(strict.defaultAction), strictOci.syscalls ?? []) : undefined);
    // Docker's default as dockerd gives it to libseccomp (x86_64 only, binary tree)
    compare(rows, 'docker-default x86_64', compileUncached(imported, 'x86_64').insns,
      tree ? libseccompProgram(tree, ociActionValue({ action: docker.defaultAction, errnoRet: docker.defaultErrnoRet }), dockerEntries(docker)) : undefined);

    // cold compile: a fresh node process, first compile of strict
    const script = `const t0=performance.now();const {loadProfile}=await import(${JSON.stringify(join(REPO, 'dist/policy/index.js'))});const {compileUncached}=await import(${JSON.stringify(join(REPO, 'dist/policy/seccomp/compile.js'))});const p=loadProfile('strict').seccomp;const t1=performance.now();compileUncached(p,'x86_64');const t2=performance.now();const w=[];for(let i=0;i<20;i++){const a=performance.now();compileUncached(p,'x86_64');w.push(performance.now()-a);}w.sort((a,b)=>a-b);console.log(JSON.stringify({load:t1-t0,cold:t2-t1,warm:w[10]}));`;
    const j = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { load: number; cold: number; warm: number };
    rows.push({ name: 'seccomp strict: cold compile (fresh process)', value: Number(j.cold.toFixed(2)), unit: 'ms', note: `warm median ${j.warm.toFixed(2)} ms; profile load ${j.load.toFixed(1)} ms; cached by digest after that` });

    // hot syscalls in a loop: no filter, the cheapest filter, strict
    const hot = cc(dir, 'bench/hot-syscall.c', 'hot-syscall');
    if (hot && process.arch === 'x64') {
      const bpf = join(dir, 'strict.bpf');
      writeFileSync(bpf, compileUncached(strict, 'x86_64').bytes);
      // the cheapest possible filter (`ret ALLOW`): what the kernel's seccomp entry path costs by itself
      const allowAll = join(dir, 'allow.bpf');
      const one = Buffer.alloc(8); one.writeUInt16LE(0x06, 0); one.writeUInt32LE(ALLOW, 4); writeFileSync(allowAll, one);
      // interleaved runs, the minimum of each: on a shared VM the noise only ever adds time
      const RUNS = 9;
      for (const [sys, n, label] of [['getppid', '2000000', 'getppid (the cheapest syscall)'], ['read', '500000', 'read 4 KiB from /dev/zero']] as const) {
        const none: number[] = []; const filt: number[] = []; const floor: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          none.push(Number(execFileSync(hot, [sys, n], { encoding: 'utf8' })));
          filt.push(Number(execFileSync(hot, [sys, n, bpf], { encoding: 'utf8' })));
          floor.push(Number(execFileSync(hot, [sys, n, allowAll], { encoding: 'utf8' })));
        }
        const min = (xs: number[]): number => Math.min(...xs);
        rows.push({ name: `${label}, no filter`, value: min(none), unit: 'ns/call', note: `fastest of ${RUNS} interleaved runs` });
        rows.push({ name: `${label}, 1-instruction allow filter`, value: min(floor), unit: 'ns/call', note: `${((min(floor) / min(none) - 1) * 100).toFixed(1)}% over no filter: the kernel's seccomp entry path alone` });
        rows.push({ name: `${label}, strict filter`, value: min(filt), unit: 'ns/call', note: `${((min(filt) / min(none) - 1) * 100).toFixed(1)}% over no filter (target ≤ 10%), ${((min(filt) / min(floor) - 1) * 100).toFixed(1)}% over the allow-only filter` });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

// `node dist/bench/seccomp.js` prints the rows on its own
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchSeccomp()) process.stdout.write(`${r.name.padEnd(64)} ${String(r.value).padStart(9)} ${r.unit}${r.note ? `  (${r.note})` : ''}\n`);
}
