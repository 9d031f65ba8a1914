// test/helpers/hostile-root.ts — hand-made root filesystems and launch plans that drive the native launcher directly, below every front end (tests, host, root)
//
// The front ends never hand the launcher a /dev/null or a /proc of the image's choosing (docker mode
// mounts its own /dev, OCI mode refuses to make /dev/null), so what the launcher itself verifies is
// only observable with a plan written here: an image directory of our own, one idmapped layer, and
// the launcher run either as the runtime runs it (sandbox/launcher.ts) or inside a private mount and
// pid namespace whose /proc is something else than procfs (launchWithFakeProc).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { LAUNCHER_PATH } from '../../sandbox/paths.js';
import { encodePlan, type LaunchPlan, type SetupOp } from '../../sandbox/plan.js';
import { BUSYBOX } from './busybox-rootfs.js';

const APPLETS = ['sh', 'cat', 'stat', 'wc', 'sleep', 'echo', 'readlink', 'ls'];

export interface Image { readonly layer: string; readonly stage: string; readonly root: string; readonly rw: string; readonly rwStage: string }

/** makeImage: DIR/layer holds busybox and what `shape` adds (the hostile part); the other dirs are the launcher's staging. */
export function makeImage(dir: string, shape: (layer: string) => void): Image {
  const img = { layer: join(dir, 'layer'), stage: join(dir, 'stage'), root: join(dir, 'root'), rw: join(dir, 'rw'), rwStage: join(dir, 'rwstage') };
  for (const d of [join(img.layer, 'bin'), join(img.layer, 'etc'), img.stage, img.root, join(img.rw, 'upper'), join(img.rw, 'work'), img.rwStage]) mkdirSync(d, { recursive: true });
  copyFileSync(BUSYBOX, join(img.layer, 'bin', 'busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(img.layer, 'bin', a));
  writeFileSync(join(img.layer, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  shape(img.layer);
  return img;
}

/** planFor: the plan planLaunch would give a strict-like container (no capabilities, no_new_privs, own network), with SETUP as the tree. */
export function planFor(img: Image, ids: { base: number; size: number }, setup: SetupOp[], argv: string[], cgroupProcs: string[] = []): LaunchPlan {
  return {
    uidMap: [{ inside: 0, outside: ids.base, count: ids.size }],
    gidMap: [{ inside: 0, outside: ids.base, count: ids.size }],
    rootUid: ids.base, rootGid: ids.base,
    cgroupProcs, hostname: 'hostile', network: 'new',
    root: img.root, layers: [{ dir: img.layer, stage: img.stage }], rwLayer: { dir: img.rw, stage: img.rwStage },
    setup, rlimits: [], user: { uid: 0, gid: 0, groups: [] }, cwd: '/',
    noNewPrivileges: true, capabilities: 0n, seccomp: null,
    env: ['PATH=/bin'], argv,
  };
}

export interface StatusLine { event: string; step?: number; op?: string; errno?: number; errname?: string; path?: string }
export interface Wrapped { code: number; lines: StatusLine[]; steps: string[]; stderr: string; namespaces: string[] }

/**
 * launchWithFakeProc runs the launcher as pid 1 of a new pid namespace, in a new private mount
 * namespace where SETUP (a shell script run first, as host root) has put something else than the
 * host's procfs on /proc. It reports the launcher's exit code, its status lines, and the pid and
 * mount namespaces it ran in (to prove afterwards that no process is left in them).
 */
export function launchWithFakeProc(plan: LaunchPlan, setup: string): Promise<Wrapped> {
  const enc = encodePlan(plan);
  // the namespaces are read before /proc is replaced; the launcher is exec'd so that it is pid 1
  const script = `readlink /proc/self/ns/pid /proc/self/ns/mnt >&2 && ${setup} && exec "$0"`;
  const child = spawn('unshare', ['--mount', '--pid', '--fork', '--propagation', 'private', '/bin/sh', '-c', script, LAUNCHER_PATH],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  (child.stdio[3] as Writable).on('error', () => {}).end(enc.bytes);
  (child.stdio as unknown as Writable[])[5]!.on('error', () => {});
  const lines: StatusLine[] = [];
  createInterface({ input: child.stdio[4] as NodeJS.ReadableStream }).on('line', (l) => { lines.push(JSON.parse(l) as StatusLine); });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => {
      const namespaces = stderr.split('\n').filter((l) => /^(pid|mnt):\[\d+\]$/.test(l));
      resolve({ code: code ?? 128 + (sig === 'SIGKILL' ? 9 : 15), lines, steps: enc.steps, stderr: stderr.split('\n').filter((l) => l && !namespaces.includes(l)).join('\n'), namespaces });
    });
  });
}

/** processesIn: host pids still in any of NAMESPACES (as readlink /proc/self/ns/* prints them). */
export function processesIn(namespaces: readonly string[]): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    for (const ns of ['pid', 'mnt']) {
      try { if (namespaces.includes(readlinkSync(`/proc/${e}/ns/${ns}`))) out.push(Number(e)); } catch { /* gone */ }
    }
  }
  return out;
}

/** mountsMentioning: host mount points under DIR (nothing the launcher mounts may show up in the host's namespace). */
export function mountsMentioning(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir)).map((l) => l.split(' ')[4]!);
}

/** a cgroup of our own on a cgroup (v1 or v2) hierarchy, for the plan to put the payload in; null if none is mounted */
export function makeCgroup(name: string): { procs: string; remove(): void } | null {
  for (const base of ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/pids', '/sys/fs/cgroup']) {
    try {
      const t = statfsSync(base).type;
      if ((t !== 0x63677270 && t !== 0x27e0eb) || !existsSync(join(base, 'cgroup.procs'))) continue;
    } catch { continue; }
    const dir = join(base, name);
    mkdirSync(dir);
    return { procs: join(dir, 'cgroup.procs'), remove: () => { try { rmdirSync(dir); } catch { /* reported by the test */ } } };
  }
  return null;
}
