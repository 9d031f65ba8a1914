// test/oci/reaper.ts — plays conmon's part for the OCI tests: a child subreaper that runs `create`, reads the pid file and reaps that pid (test helper process)
//
// `[REAPER_OUT=FILE] node reaper.js PIDFILE -- CLI ARGS...`: prints {"create":rc} once create returned, then
// {"status":N} (exit code, or 128+signal) when the pid the pid file names ends. Runs as its own
// process because waitpid blocks.
import { spawnSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const koffi = createRequire(import.meta.url)('koffi');
const libc = koffi.load('libc.so.6');
const prctl = libc.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)') as (...a: number[]) => number;
const waitpid = libc.func('int waitpid(int pid, _Out_ int *status, int options)') as (pid: number, st: number[], o: number) => number;

const PR_SET_CHILD_SUBREAPER = 36;
const [pidFile, sep, ...cmd] = process.argv.slice(2);
if (!pidFile || sep !== '--' || !cmd.length) { process.stderr.write('usage: reaper PIDFILE -- CMD...\n'); process.exit(2); }
prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
// the container's stdout (the caller's pipe in conmon's case) goes to REAPER_OUT when given
const out = process.env.REAPER_OUT ? openSync(process.env.REAPER_OUT, 'a') : 'inherit';
const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', out, 'inherit'] });
process.stdout.write(`${JSON.stringify({ create: r.status })}\n`);
if (r.status !== 0) process.exit(0);
const pid = Number(readFileSync(pidFile, 'utf8'));
const st = [0];
if (waitpid(pid, st, 0) !== pid) { process.stdout.write(`${JSON.stringify({ error: 'waitpid failed' })}\n`); process.exit(1); }
const s = st[0]!;
const code = (s & 0x7f) === 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
process.stdout.write(`${JSON.stringify({ status: code, pid })}\n`);
