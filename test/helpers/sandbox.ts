// test/helpers/sandbox.ts — run the tssandbox CLI in tests with a private data root, run root and cgroup parent (tests)
//
// Each test file gets its own --root, TSSANDBOX_RUN_ROOT and --cgroup-parent, so "nothing was left
// behind" can be checked exactly even while other files run in parallel.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfs } from './busybox-rootfs.js';
import { cacheDir } from './debian-rootfs.js';
import type { Member } from './image-archives.js';
import { CLI } from './paths.js';

export interface Result { code: number; stdout: string; stderr: string }

export class Sandbox {
  readonly root: string;
  readonly runRoot: string;
  readonly cgroupParent: string;
  private readonly dir: string;

  constructor(label: string) {
    this.dir = mkdtempSync(join(tmpdir(), `tss-test-${label}-`));
    this.root = join(this.dir, 'root');
    this.runRoot = join(this.dir, 'run');
    this.cgroupParent = `tss-test-${label}-${process.pid}`;
    // every test root shares one compile cache (root/cache → TSS_TEST_CACHE/run-cache): a fresh
    // root's first run of a profile would otherwise parse, validate and compile it again (~0.7 s
    // of CPU, ~45 test roots). The cache is keyed by everything that shapes its output and written
    // atomically (policy/run-cache.ts), so sharing it across roots is what one root does across runs.
    const shared = sharedRunCache();
    if (shared) { mkdirSync(this.root); symlinkSync(shared, join(this.root, 'cache')); }
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, TSSANDBOX_ROOT: this.root, TSSANDBOX_RUN_ROOT: this.runRoot, ...extra };
  }

  /** cli runs `tssandbox ARGS` to completion; `run` gets --cgroup-parent added. */
  cli(args: string[], opts: { input?: string | Buffer; env?: Record<string, string>; timeoutMs?: number } = {}): Result {
    const a = args[0] === 'run' ? ['run', '--cgroup-parent', this.cgroupParent, ...args.slice(1)] : args;
    const r = spawnSync(process.execPath, [CLI, ...a], {
      env: this.env(opts.env), input: opts.input ?? '', encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20,
    });
    return { code: r.status ?? 128 + 9, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** cliAsync is cli() without blocking the event loop (many CLIs at once) */
  cliAsync(args: string[], opts: { env?: Record<string, string> } = {}): Promise<Result> {
    const a = args[0] === 'run' ? ['run', '--cgroup-parent', this.cgroupParent, ...args.slice(1)] : args;
    const child = spawn(process.execPath, [CLI, ...a], { env: this.env(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    return new Promise((resolve) => child.on('close', (code, sig) => resolve({ code: code ?? 128 + (sig === 'SIGKILL' ? 9 : 15), stdout, stderr })));
  }

  /** start begins `tssandbox run ...` without waiting. */
  start(args: string[]) {
    return spawn(process.execPath, [CLI, 'run', '--cgroup-parent', this.cgroupParent, ...args], { env: this.env(), stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** importTar stores a tar as REF (optionally with --change). */
  importTar(tar: Buffer | string, ref: string, changes: string[] = []): void {
    const path = typeof tar === 'string' ? tar : join(this.dir, `${ref.replace(/[^a-z0-9]/gi, '_')}.tar`);
    if (typeof tar !== 'string') writeFileSync(path, tar);
    const r = this.cli(['import', ...changes.flatMap((c) => ['--change', c]), path, ref]);
    if (r.code !== 0) throw new Error(`import ${ref} failed: ${r.stderr}`);
  }

  async importBusybox(ref = 'busybox', extra: Member[] = []): Promise<void> {
    this.importTar(await busyboxRootfs(extra), ref);
  }

  path(...p: string[]): string { return join(this.dir, ...p); }

  /** leftovers lists what runs left behind: state dirs, id ranges, cgroups under our parent. */
  leftovers(): string[] {
    const out: string[] = [];
    for (const d of ['containers', 'idranges']) {
      const p = join(this.runRoot, d);
      if (existsSync(p)) for (const e of readdirSync(p)) out.push(`${d}/${e}`);
    }
    for (const c of cgroupDirs(this.cgroupParent)) for (const e of readdirSync(c, { withFileTypes: true })) if (e.isDirectory()) out.push(`cgroup ${join(c, e.name)}`);
    const mounts = spawnSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' }).stdout;
    for (const l of mounts.split('\n')) if (l.includes(this.dir)) out.push(`mount ${l.split(' ')[4]}`);
    return out;
  }

  cleanup(): void {
    for (const c of cgroupDirs(this.cgroupParent)) { try { rmdirSync(c); } catch { /* reported by leftovers() */ } }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** the shared compile cache, when it can be trusted as a data root's own: root's, and no one else may write it or its parent */
function sharedRunCache(): string | undefined {
  if (process.getuid?.() !== 0 || process.env.TSS_TEST_SHARED_CACHE === '0') return undefined;
  const dir = join(cacheDir(), 'run-cache');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const d of [cacheDir(), dir]) {
      const st = lstatSync(d);
      if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) return undefined;
    }
    accessSync(dir, constants.W_OK); // the qemu guest's root is read-only: each root compiles its own there
    return dir;
  } catch {
    return undefined;
  }
}

function cgroupDirs(parent: string): string[] {
  const out: string[] = [];
  // '' is the cgroup2 mount itself on a cgroup2-only host (the v2 qemu lane)
  for (const ctrl of ['', ...readdirSync('/sys/fs/cgroup')]) {
    const p = join('/sys/fs/cgroup', ctrl, parent);
    if (existsSync(p)) out.push(p);
  }
  return out;
}

export function rootMissing(): string | false {
  return process.getuid?.() === 0 ? false : 'needs root (user namespaces with id ranges, cgroups)';
}
