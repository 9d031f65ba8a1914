// sandbox/run.ts — `run` in the foreground: resolve, check, build, launch, wait, clean up (parent, runtime process)
//
// Everything that can refuse (profile, flags, image) runs before anything is created on the host;
// everything created is registered on a cleanup stack that runs on every path, so a failed or
// interrupted run leaves no mount, cgroup, directory or id range behind.
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxError } from '../common/errors.js';
import { importRootfs, openStore } from '../image/index.js';
import type { ResolvedImage } from '../image/types.js';
import { compileSeccomp, loadProfile, loadSeccomp } from '../policy/index.js';
import type { SeccompPolicy } from '../policy/index.js';
import { createCgroupManager } from './cgroups/index.js';
import { buildDockerSpec } from './docker-spec.js';
import type { RunOptions } from './flags.js';
import { allocateIdRange } from './idrange.js';
import { planLaunch } from './launch-plan.js';
import { launch } from './launcher.js';
import { ANN } from './oci-spec.js';
import { dataRoot, DEMO_REF, DEMO_TAR, runRoot } from './paths.js';
import { containerName, ensureNameFree } from './names.js';
import { reapStale } from './stale.js';

export interface RunResult { readonly id: string; readonly code: number; readonly oomKilled: boolean; readonly timedOut: boolean }

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const SIGNUM: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

export async function resolveImage(root: string, ref: string): Promise<ResolvedImage> {
  const store = openStore(root);
  try {
    return await store.resolve(ref);
  } catch (e) {
    // the embedded demo image is built during install and stored on first use
    if (!(e instanceof SandboxError) || e.code !== 'TSS_EIMAGE' || !isDemo(ref)) throw e;
    await importRootfs(store, DEMO_TAR, DEMO_REF, { changes: ['CMD ["/hello"]', 'LABEL org.opencontainers.image.description="tssandbox demo: a static hello, FROM scratch"'] });
    return store.resolve(DEMO_REF);
  }
}

/** withRunExit keeps docker's contract for run: a failure of tssandbox itself exits 125. */
function withRunExit<T>(f: () => T): T {
  try { return f(); } catch (e) {
    if (e instanceof SandboxError && e.exitCode !== 125) throw new SandboxError(e.code, e.message, { cause: e, exitCode: 125 });
    throw e;
  }
}

function isDemo(ref: string): boolean { return ref === DEMO_REF || ref === DEMO_REF.replace(/:latest$/, ''); }

export async function runForeground(o: RunOptions, rootFlag?: string, warn: (s: string) => void = (s) => process.stderr.write(`tssandbox: warning: ${s}\n`)): Promise<RunResult> {
  const root = dataRoot(rootFlag);
  const run = runRoot();
  reapStale(run, root, createCgroupManager);
  const profile = withRunExit(() => loadProfile(o.profile));
  if (profile.warn) warn(profile.warn);
  const image = await resolveImage(root, o.image);
  const id = randomBytes(32).toString('hex');
  const name = o.name ?? containerName(id);
  ensureNameFree(root, name);
  const spec = buildDockerSpec(image, profile, o, { id, name });
  const override = spec.annotations[ANN.seccomp];
  const policy = override === undefined ? profile.seccomp : override === 'unconfined' ? null : withRunExit(() => loadSeccomp(override));
  const seccomp = policy ? compileSeccomp(policy as SeccompPolicy, undefined, { cacheDir: join(root, 'cache', 'seccomp') }).bytes : null;

  const cleanup: (() => void)[] = [];
  const undo = () => { for (const f of cleanup.reverse()) { try { f(); } catch { /* keep cleaning */ } } cleanup.length = 0; };
  try {
    const ids = allocateIdRange(run, id, Math.floor(Math.random() * 4096));
    cleanup.push(() => ids.release());
    const stateDir = join(run, 'containers', id);
    cleanup.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const layers: string[] = JSON.parse(spec.annotations[ANN.layers] ?? '[]');
    for (const d of ['root', 'rw', ...layers.map((_, i) => join('l', String(i)))]) mkdirSync(join(stateDir, d), { recursive: true, mode: 0o700 });
    const ctrDir = join(root, 'containers', id);
    if (o.rm) cleanup.push(() => rmSync(ctrDir, { recursive: true, force: true }));
    const rwDir = join(ctrDir, 'rw');
    mkdirSync(join(rwDir, 'work'), { recursive: true, mode: 0o700 });
    mkdirSync(join(rwDir, 'upper'), { mode: 0o755 });
    // the top of the root filesystem belongs to the container's root, who makes its mount points
    chownSync(join(rwDir, 'upper'), ids.base, ids.base);
    writeFileSync(join(ctrDir, 'config.json'), JSON.stringify({ id, name, rm: o.rm, spec }, null, 1));

    const mgr = createCgroupManager();
    const r = spec.linux.resources;
    const cg = mgr.create(id, {
      ...(r.memory?.limit !== undefined ? { memory: r.memory.limit } : {}),
      ...(r.memory?.swap !== undefined ? { memorySwap: r.memory.swap } : {}),
      ...(r.cpu?.quota !== undefined ? { cpus: r.cpu.quota / (r.cpu.period ?? 100000) } : {}),
      ...(r.cpu?.cpus ? { cpusetCpus: r.cpu.cpus } : {}),
      ...(r.pids ? { pids: r.pids.limit } : {}),
    }, o.cgroupParent);
    cleanup.push(() => { cg.killAll(); cg.remove(); });
    for (const w of cg.warnings) warn(w);

    const plan = planLaunch(spec, { stateDir, rwDir, idBase: ids.base, idCount: ids.size, cgroupProcs: cg.procsFiles, seccomp });
    const handle = launch(plan, o.image);
    const forward = (sig: NodeJS.Signals) => handle.signal(SIGNUM[sig] ?? 15);
    for (const s of SIGNALS) process.on(s, forward);
    let timedOut = false;
    const timeout = spec.annotations[ANN.timeout];
    const timer = timeout ? setTimeout(() => { timedOut = true; handle.signal(9); }, Number(timeout) * 1000) : undefined;
    try {
      const res = await handle.done;
      const oomKilled = cg.oomKilled();
      const code = oomKilled && res.signal === 9 ? 137 : res.code;
      writeFileSync(join(ctrDir, 'state.json'), JSON.stringify({ status: 'exited', exitCode: code, oomKilled, timedOut, finishedAt: new Date().toISOString() }));
      if (timedOut) warn(`container ${name} ran past --timeout ${timeout}s and was killed (SIGKILL)`);
      return { id, code, oomKilled, timedOut };
    } finally {
      if (timer) clearTimeout(timer);
      for (const s of SIGNALS) process.off(s, forward);
    }
  } finally {
    undo();
  }
}
