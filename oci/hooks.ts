// oci/hooks.ts — runtime-spec hooks: which we run, when, and how one runs (OCI front end: create's supervisor, start's reply, delete)
//
// Host-side hooks: prestart and createRuntime (while create holds the container before
// pivot_root, native/launcher/child.c 3a), poststart (before `start` returns) and poststop (before
// `delete` returns) run here, in the runtime's namespaces. createContainer and startContainer run
// inside the container's namespaces, started by the launcher's child (native/launcher/hooks.c says
// with which credentials): they go into the plan (containerHooks). Each hook gets the state JSON on
// stdin, exactly its args and env (an empty environment when it names none: the runtime's own is
// not the hook's), and is killed at its timeout. A failing prestart/createRuntime/createContainer
// hook fails create, a failing startContainer hook fails start; poststart/poststop failures are
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
  readonly createContainer?: readonly OciHook[];
  readonly startContainer?: readonly OciHook[];
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
    const inside = (CONTAINER_SIDE as readonly string[]).includes(stage);
    if (!inside && !(HOST_SIDE as readonly string[]).includes(stage)) fail('TSS_EUSAGE', 'create', `hooks.${stage}`, 'unknown hook stage');
    list.forEach((h, i) => {
      if (!isAbsolute(h.path)) fail('TSS_EUSAGE', 'create', `hooks.${stage}[${i}].path`, `${h.path} is not an absolute path`);
      if (h.timeout !== undefined && !(Number.isInteger(h.timeout) && h.timeout > 0)) fail('TSS_EUSAGE', 'create', `hooks.${stage}[${i}].timeout`, 'must be a positive number of seconds');
      // the launcher's plan record: NUL-separated fields, at most 64 (native/launcher/launcher.h)
      if (inside && [h.path, ...(h.args ?? []), ...(h.env ?? [])].some((a) => a === '' || a.includes('\0'))) fail('TSS_EUSAGE', 'create', `hooks.${stage}[${i}]`, 'an empty or NUL-holding argument or env entry cannot be passed to a hook run inside the container');
      if (inside && 5 + (h.args?.length ?? 0) + (h.env?.length ?? 0) > 64) fail('TSS_EUSAGE', 'create', `hooks.${stage}[${i}]`, 'more than 59 args and env entries together');
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

/** containerHooks: the createContainer/startContainer hooks as the launcher's plan carries them */
export function containerHooks(hooks: OciHooks | undefined): { stage: 'createContainer' | 'startContainer'; path: string; args: string[]; env: string[]; timeout: number }[] {
  return CONTAINER_SIDE.flatMap((stage) => (hooks?.[stage] ?? []).map((h) => ({ stage, path: h.path, args: [...(h.args ?? [])], env: [...(h.env ?? [])], timeout: h.timeout ?? 0 })));
}

/** hookState: the state JSON of a stage, split where the container's host pid goes (the child fills it in) */
export function hookState(state: Record<string, unknown>, stage: 'createContainer' | 'startContainer'): { stage: typeof stage; prefix: string; suffix: string } {
  const mark = '"pid":-424242';
  const text = JSON.stringify({ ...state, pid: -424242 });
  // the child composes it in a 16 KiB buffer (native/launcher/hooks.c): never a truncated JSON
  if (text.length > 16000) fail('TSS_EUSAGE', 'create', `hooks.${stage}`, 'the state JSON (annotations included) is over 16000 bytes');
  const at = text.indexOf(mark) + '"pid":'.length;
  return { stage, prefix: text.slice(0, at), suffix: text.slice(at + '-424242'.length) };
}
