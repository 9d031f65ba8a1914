// test/oci/bundle.ts — OCI bundles for tests: the busybox rootfs + a config.json from `tssandbox spec`, private state/run/data roots, and conmon's reaper (tests)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { busyboxRootfs } from '../helpers/busybox-rootfs.js';
import { CLI, REPO_ROOT } from '../helpers/paths.js';

export interface Result { code: number; stdout: string; stderr: string }
export const REAPER = join(REPO_ROOT, 'dist', 'test', 'oci', 'reaper.js');

export class OciEnv {
  readonly dir: string;
  readonly state: string;
  readonly run: string;
  readonly data: string;
  /** the container ids newId handed out: cleanup deletes them, leftovers looks for them */
  readonly ids: string[] = [];
  constructor(label: string) {
    this.dir = mkdtempSync(join(tmpdir(), `tss-oci-${label}-`));
    this.state = join(this.dir, 'state');
    this.run = join(this.dir, 'run');
    this.data = join(this.dir, 'data');
  }

  env(): NodeJS.ProcessEnv { return { ...process.env, TSSANDBOX_RUN_ROOT: this.run, TSSANDBOX_ROOT: this.data }; }

  /** oci runs `tssandbox --root STATE ARGS` (the runc-style globals first, as callers pass them) */
  oci(args: string[], globals: string[] = []): Result {
    const r = spawnSync(process.execPath, [CLI, '--root', this.state, ...globals, ...args], { env: this.env(), encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** bundle: DIR/NAME with rootfs/ (busybox) and config.json from `tssandbox spec`, edited by `edit` */
  async bundle(name: string, edit: (c: Record<string, any>) => void): Promise<string> {
    const b = join(this.dir, name);
    mkdirSync(join(b, 'rootfs'), { recursive: true });
    const x = spawnSync('tar', ['-x', '-C', join(b, 'rootfs')], { input: await busyboxRootfs() });
    if (x.status !== 0) throw new Error(`tar: ${x.stderr}`);
    const s = spawnSync(process.execPath, [CLI, 'spec', '--bundle', b], { env: this.env(), encoding: 'utf8' });
    if (s.status !== 0) throw new Error(`spec: ${s.stderr}`);
    const c = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')) as Record<string, any>;
    c.process.terminal = false;
    edit(c);
    writeFileSync(join(b, 'config.json'), JSON.stringify(c, null, 1));
    return b;
  }

  /** create under a reaper (conmon's role): resolves once create returned; `exited` when the pid-file pid ended */
  create(id: string, bundle: string, out: string): { created: Promise<number>; exited: Promise<{ status: number; pid: number }>; child: ChildProcess } {
    const pidFile = join(this.dir, `${id}.pid`);
    const child = spawn(process.execPath, [REAPER, pidFile, '--', process.execPath, CLI, '--root', this.state, 'create', '--bundle', bundle, '--pid-file', pidFile, id],
      { env: { ...this.env(), REAPER_OUT: out }, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    let onCreated: (n: number) => void, onExit: (r: { status: number; pid: number }) => void;
    const created = new Promise<number>((r) => { onCreated = r; });
    const exited = new Promise<{ status: number; pid: number }>((r) => { onExit = r; });
    lines.on('line', (l) => {
      const m = JSON.parse(l) as { create?: number; status?: number; pid?: number };
      if (m.create !== undefined) { onCreated(m.create); if (m.create !== 0) onExit({ status: -1, pid: 0 }); }
      if (m.status !== undefined) onExit({ status: m.status, pid: m.pid! });
    });
    child.on('close', () => { onCreated(-1); onExit({ status: -1, pid: 0 }); });
    return { created, exited, child };
  }

  /** newId: a fresh container id starting with label, remembered for cleanup */
  newId(label: string): string {
    const id = `${label}-${randomBytes(4).toString('hex')}`;
    this.ids.push(id);
    return id;
  }

  /** leftovers: what of this env's containers remains on the host (state dirs, id slots, cgroups) */
  leftovers(ids: readonly string[] = this.ids): string[] {
    const out: string[] = [];
    // STATE/.audit holds the audit logs of supervised containers, which delete keeps (oci/audit.ts)
    for (const d of [this.state, join(this.run, 'idranges')]) if (existsSync(d)) out.push(...readdirSync(d).filter((f) => f !== '.audit').map((f) => join(d, f)));
    for (const ctrl of safeReaddir('/sys/fs/cgroup')) {
      for (const id of ids) { const p = join('/sys/fs/cgroup', ctrl, 'tssandbox-oci', id); if (existsSync(p)) out.push(p); }
    }
    return out;
  }

  cleanup(ids: readonly string[] = this.ids): void {
    for (const id of ids) this.oci(['delete', '--force', id]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function safeReaddir(d: string): string[] { try { return readdirSync(d); } catch { return []; } }

export function rootMissing(): string | false {
  return process.geteuid?.() === 0 ? false : 'needs root (user namespaces with id maps, idmapped mounts, cgroups)';
}
