// test/helpers/sandbox.ts — run the tssandbox CLI in tests with a private data root, run root and cgroup parent (tests)
//
// Each test file gets its own --root, TSSANDBOX_RUN_ROOT and --cgroup-parent, so "nothing was left
// behind" can be checked exactly even while other files run in parallel.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfs } from './busybox-rootfs.js';
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
