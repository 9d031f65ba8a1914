// oci/hooks.ts — runtime-spec hooks: which we run, when, and how one runs (OCI front end: create's supervisor, start's reply, delete)
//
// Host-side hooks only: prestart and createRuntime (while create holds the container before
// pivot_root, native/launcher/child.c 3a), poststart (before `start` returns) and poststop (before
// `delete` returns) run in the runtime's namespaces. createContainer and startContainer would run
// inside the container's namespaces, which tssandbox does not enter for a hook yet: a bundle with
// them is refused at create. Each hook gets the state JSON on stdin, exactly its args and env (an
// empty environment when it names none: the runtime's own is not the hook's), and is killed at its
// timeout. A failing prestart/createRuntime hook fails create; poststart/poststop failures are
// warnings.
import { spawn } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { fail } from '../common/errors.js';

export interface OciHook { readonly path: string; readonly args?: readonly string[]; readonly env?: readonly string[]; readonly timeout?: number }
export interface OciHooks {
  readonly prestart?: readonly OciHook[];
  readonly createRuntime?: readonly OciHook[];
  readonly poststart?: readonly OciHook[];
  readonly poststop?: readonly OciHook[];
}
export type HookStage = keyof OciHooks;

const HOST_SIDE = ['prestart', 'createRuntime', 'poststart', 'poststop'] as const;
const CONTAINER_SIDE = ['createContainer', 'startContainer'] as const;

/** checkHooks: config.json's hooks as we run them, or one line naming what we cannot */
export function checkHooks(raw: Readonly<Record<string, readonly OciHook[]>> | undefined): OciHooks | undefined {
  if (!raw) return undefined;
  const out: Record<string, OciHook[]> = {};
  for (const [stage, list] of Object.entries(raw)) {
    if (!list.length) continue;
    if ((CONTAINER_SIDE as readonly string[]).includes(stage)) fail('TSS_EUSAGE', 'create', `hooks.${stage}`, 'hooks inside the container\'s namespaces are not supported yet (prestart, createRuntime, poststart and poststop are)');
    if (!(HOST_SIDE as readonly string[]).includes(stage)) fail('TSS_EUSAGE', 'create', `hooks.${stage}`, 'unknown hook stage');
    list.forEach((h, i) => {
      if (!isAbsolute(h.path)) fail('TSS_EUSAGE', 'create', `hooks.${stage}[${i}].path`, `${h.path} is not an absolute path`);
      if (h.timeout !== undefined && !(Number.isInteger(h.timeout) && h.timeout > 0)) fail('TSS_EUSAGE', 'create', `hooks.${stage}[${i}].timeout`, 'must be a positive number of seconds');
    });
    out[stage] = list.map((h) => ({ path: h.path, ...(h.args ? { args: h.args } : {}), ...(h.env ? { env: h.env } : {}), ...(h.timeout ? { timeout: h.timeout } : {}) }));
  }
  return Object.keys(out).length ? out : undefined;
}

/** runHook: resolves '' when it exited 0, else why it failed (one line) */
export function runHook(h: OciHook, state: Record<string, unknown>): Promise<string> {
  return new Promise((resolve) => {
    const env = Object.fromEntries((h.env ?? []).map((e) => { const i = e.indexOf('='); return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)]; }));
    const [argv0, ...rest] = h.args?.length ? h.args : [h.path];
    let child;
    try {
      child = spawn(h.path, rest, { argv0, env, stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    } catch (e) { resolve(`${h.path}: ${(e as Error).message}`); return; }
    let err = '';
    let timedOut = false;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => { if (err.length < 4096) err += d; });
    child.stdin!.on('error', () => { /* a hook need not read its stdin */ });
    child.stdin!.end(JSON.stringify(state));
    // the hook and whatever it forked: its own process group, killed whole at the timeout
    const timer = h.timeout ? setTimeout(() => { timedOut = true; try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, h.timeout * 1000) : undefined;
    child.on('error', (e) => { if (timer) clearTimeout(timer); resolve(`${h.path}: ${e.message}`); });
    child.on('close', (code, sig) => {
      if (timer) clearTimeout(timer);
      const last = err.trim().split('\n').pop()?.slice(0, 300);
      if (timedOut) resolve(`${h.path}: timed out after ${h.timeout} s`);
      else if (code === 0) resolve('');
      else resolve(`${h.path}: ${sig ? `killed by ${sig}` : `exit ${code}`}${last ? ` (${last})` : ''}`);
    });
  });
}

/** runStage runs a stage's hooks in order; stopAtFirst (prestart, createRuntime) ends at the first failure. Returns the failures. */
export async function runStage(hooks: OciHooks | undefined, stage: HookStage, state: Record<string, unknown>, stopAtFirst: boolean): Promise<string[]> {
  const failed: string[] = [];
  for (const h of hooks?.[stage] ?? []) {
    const why = await runHook(h, state);
    if (why) { failed.push(`${stage} hook ${why}`); if (stopAtFirst) break; }
  }
  return failed;
}
