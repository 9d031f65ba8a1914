// oci/verbs.ts — start, state, kill, delete, list, ps and the verbs we refuse, over the OCI state root (OCI front end, CLI process)
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../common/errors.js';
import { signalNumber } from '../sandbox/containers.js';
import { request, supervised, waitUnsupervised } from './control.js';
import { readOciHandoff } from './handoff.js';
import { runStage, type OciHooks } from './hooks.js';
import { checkId, containerDir, readRecord, specState, tryRecord, writeRecord, type OciRecord } from './state.js';

/** current: the record, with a vanished supervisor's container settled as stopped */
export function current(root: string, id: string, action: string): OciRecord {
  const r = readRecord(root, checkId(id, action), action);
  if ((r.status === 'created' || r.status === 'running' || r.status === 'paused') && !supervised(containerDir(root, id))) {
    // re-read after the liveness check: the supervisor may have written `stopped` just before it exited
    const now = tryRecord(root, id) ?? r;
    if (now.status === 'stopped') return now;
    const settled: OciRecord = { ...now, status: 'stopped', exitCode: now.exitCode ?? 137 };
    writeRecord(root, settled);
    return settled;
  }
  if (r.status === 'creating' && !existsSync(join(containerDir(root, id), 'supervisor.lock')) && Date.now() - Date.parse(r.created) > 60_000) {
    return { ...r, status: 'stopped' }; // a create that died half-way: delete removes what is left
  }
  return r;
}

export function state(root: string, id: string): string {
  return `${JSON.stringify(specState(current(root, id, 'state')), null, 2)}\n`;
}

export async function start(root: string, id: string, note: (s: string) => void = () => {}): Promise<void> {
  const r = current(root, id, 'start');
  if (r.status !== 'created') fail('TSS_ECONTAINER', 'start', id, `cannot start a container that is ${r.status}`);
  const reply = await request(containerDir(root, id), { op: 'start' });
  if (!reply) fail('TSS_ECONTAINER', 'start', id, 'its supervisor does not answer');
  if (!reply.ok) fail('TSS_ELAUNCH', 'start', id, reply.error ?? 'failed');
  for (const w of reply.warnings ?? []) note(w);
}

export async function kill(root: string, id: string, sig: string, all: boolean): Promise<void> {
  void all; // the payload is pid 1 of its pid namespace: when it dies the kernel kills the rest
  const n = signalNumber(sig, 'kill');
  const r = current(root, id, 'kill');
  if (r.status !== 'created' && r.status !== 'running' && r.status !== 'paused') fail('TSS_ECONTAINER', 'kill', id, 'container not running');
  const reply = await request(containerDir(root, id), { op: 'signal', sig: n });
  if (!reply?.ok) fail('TSS_ECONTAINER', 'kill', id, 'its supervisor does not answer');
}

/** pause / resume: the supervisor freezes or thaws the cgroup and writes the new status */
export async function pauseResume(root: string, id: string, op: 'pause' | 'resume'): Promise<void> {
  const r = current(root, id, op);
  if (op === 'pause' && r.status !== 'running') fail('TSS_ECONTAINER', op, id, `container not running (it is ${r.status})`);
  if (op === 'resume' && r.status !== 'paused') fail('TSS_ECONTAINER', op, id, `container not paused (it is ${r.status})`);
  const reply = await request(containerDir(root, id), { op });
  if (!reply) fail('TSS_ECONTAINER', op, id, 'its supervisor does not answer');
  if (!reply.ok) fail('TSS_ECGROUP', op, id, reply.error ?? 'failed');
}

export async function remove(root: string, id: string, force: boolean, note: (s: string) => void = () => {}): Promise<void> {
  checkId(id, 'delete');
  const dir = containerDir(root, id);
  if (!existsSync(join(dir, 'state.json'))) {
    if (force) { rmSync(dir, { recursive: true, force: true }); return; } // runc: delete --force of a missing container succeeds
    fail('TSS_ECONTAINER', 'delete', id, 'container does not exist');
  }
  const r = current(root, id, 'delete');
  // runc deletes a created container without --force (it never ran); a running one needs it
  if ((r.status === 'running' || r.status === 'paused') && !force) fail('TSS_ECONTAINER', 'delete', id, `cannot delete a ${r.status} container (use --force)`);
  if (supervised(dir)) {
    await request(dir, { op: 'signal', sig: 9 });
    if (!(await waitUnsupervised(dir, 30_000))) fail('TSS_ECONTAINER', 'delete', id, 'its supervisor did not exit after SIGKILL');
  }
  const post = poststopOf(dir, r);
  await reapLeftovers(dir);
  rmSync(dir, { recursive: true, force: true });
  // runtime-spec: poststop hooks after the container is destroyed, before delete returns; failures are warnings
  if (post) for (const w of await runStage(post.hooks, 'poststop', post.state, false)) note(w);
}

function poststopOf(dir: string, r: OciRecord): { hooks: OciHooks; state: Record<string, unknown> } | undefined {
  let hooks: OciHooks | undefined;
  try { hooks = readOciHandoff(dir).hooks; } catch { return undefined; }
  if (!hooks?.poststop?.length) return undefined;
  return { hooks, state: { ...specState({ ...r, status: 'stopped' }) } };
}

/** reapLeftovers: what a supervisor killed before its cleanup left (cgroup, id slot, staging dir) */
async function reapLeftovers(dir: string): Promise<void> {
  let h;
  try { h = readOciHandoff(dir); } catch { return; }
  const { createCgroupManager } = await import('../sandbox/cgroups/index.js');
  try { const cg = createCgroupManager().attach(h.id, h.cgroupParent); if (cg) { cg.killAll(); cg.remove(); } } catch { /* gone */ }
  if (h.slotFile) {
    try { if (readFileSync(h.slotFile, 'utf8').split(' ')[0] === h.id) rmSync(h.slotFile, { force: true }); } catch { /* released */ }
  }
}

export function list(root: string, format: string | undefined, quiet: boolean): string {
  let ids: string[] = [];
  try { ids = readdirSync(root).filter((d) => existsSync(join(root, d, 'state.json'))); } catch { /* no root yet: nothing */ }
  const rows = ids.map((id) => current(root, id, 'list'));
  if (quiet) return rows.map((r) => `${r.id}\n`).join('');
  if (format === 'json') return `${JSON.stringify(rows.map((r) => ({ ...specState(r), rootfs: r.bundle, created: r.created, owner: 'root' })))}\n`;
  const lines = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...rows.map((r) => [r.id, String(r.status === 'stopped' ? 0 : r.pid ?? 0), r.status, r.bundle, r.created, 'root'])];
  const w = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => `${l.map((c, i) => c.padEnd(w[i]!)).join('   ').trimEnd()}\n`).join('');
}

/** ps: the host pids in the container's cgroup (runc ps --format json prints exactly that array) */
export function ps(root: string, id: string, format: string | undefined): string {
  const r = current(root, id, 'ps');
  let pids: number[] = [];
  if (r.status !== 'stopped') {
    try {
      const h = readOciHandoff(containerDir(root, id));
      const seen = new Set<number>();
      for (const f of h.plan.cgroupProcs) {
        try { for (const l of readFileSync(f, 'utf8').split('\n')) if (l) seen.add(Number(l)); } catch { /* controller gone */ }
      }
      pids = [...seen].sort((a, b) => a - b);
    } catch { /* no handoff: nothing to list */ }
  }
  if (format === 'json') return `${JSON.stringify(pids)}\n`;
  return ['PID', ...pids.map(String)].map((l) => `${l}\n`).join('');
}

export function refuse(verb: string, id: string | undefined, why: string): never {
  fail('TSS_EUSAGE', verb, id ?? '(container)', why);
}
