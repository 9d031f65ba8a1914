// sandbox/supervisor-flags.ts — how a detached supervisor's Node is started: flags and environment chosen for a small RSS (CLI process, read at spawn)
//
// Measured with bench/supervisor.ts (VmRSS of a detached supervisor, idle and after logging 32 MiB):
//  --max-semi-space-size=1  a 1 MB young generation: a log flood is garbage collected early instead
//                           of growing 16 MB semi-spaces;
//  --jitless                no optimizing or baseline compiler: their code and zone memory are never
//                           touched (−5 MB of VmRSS, almost all of it pages of the node binary), and
//                           nothing the supervisor runs is compute-bound (64 MiB of log: 1.39 s of
//                           CPU jitless vs 1.49 s with the JIT). It also turns off WebAssembly, which
//                           the supervisor does not use (no fetch/undici; --no-expose-wasm says so
//                           up front, else V8 warns on stderr);
//  MALLOC_ARENA_MAX=2       libuv's and V8's threads would each get a glibc arena that keeps what a
//                           flood allocated (+3 MB after logging; +0.3 MB with two arenas).
// Tried and left out, no measurable change: --v8-pool-size=1, --single-threaded, --lite-mode,
// --optimize-for-size, MALLOC_ARENA_MAX=1 with MALLOC_TRIM_THRESHOLD_/MALLOC_TOP_PAD_. With these
// alone a supervisor stayed at 50.1 MB: node itself is 39.8 (6.3 anon + 33.5 of its binary's file
// pages, touched while starting). What brought it to ~22 MB idle / ~27 MB after a 32 MiB flood:
// our addon instead of koffi (−2.4 MB) and, once the payload runs, dropping the clean file pages
// start-up touched (supervisor-main.ts, native/addon/trim.cc).
export const SUPERVISOR_NODE_ARGS: readonly string[] = ['--max-semi-space-size=1', '--jitless', '--no-expose-wasm'];

export function supervisorEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, MALLOC_ARENA_MAX: '2' };
}
