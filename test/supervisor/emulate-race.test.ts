// test/supervisor/emulate-race.test.ts — emulated opens: a path flipped under the supervisor never opens the denied file; relative paths, dirfds, symlinks, O_CREAT, /proc/self; the helper's confinement; fail closed without it (tests, root)
import { readFileSync, readdirSync, readlinkSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { BUILD } from '../helpers/paths.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const PROBE = join(BUILD, 'fixtures', 'emulate-probe');
const HELPER = join(BUILD, 'openhelper');
const notifMissing = (): string | false => {
  try { return readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').includes('user_notif') ? false : 'no seccomp user notification in this kernel'; } catch { return 'no /proc/sys/kernel/seccomp/actions_avail'; }
};
const skip = rootMissing() || busyboxMissing() || notifMissing() || (!existsSync(PROBE) || !existsSync(HELPER) ? 'build/fixtures/emulate-probe or build/openhelper not built (npm run build)' : false);

const PROFILE = `extends: strict
supervisor:
  mode: notify
  audit: [execve]
  rules:
    - action: emulate
      syscalls: [open, openat, openat2]
      denyPaths: [/data/secret.txt]
`;

interface Line { event: string; syscall?: { name: string; errno?: string }; decision?: { action: string; rule?: string }; resource?: { path?: string } }

async function setup(t: { teardown(fn: () => void): void }, label: string): Promise<{ sb: Sandbox; profile: string; log: (name: string) => Line[] }> {
  const sb = new Sandbox(label);
  t.teardown(() => sb.cleanup());
  const extra: Member[] = [
    { name: './data/', type: 'directory' },
    { name: './data/public.txt', data: 'PUBLIC\n', mode: 0o644 },
    { name: './data/secret.txt', data: 'SECRET\n', mode: 0o644 },
    { name: './bin/emulate-probe', data: readFileSync(PROBE), mode: 0o755 },
    { name: './bin/sleep', type: 'symlink', linkname: 'busybox' },
  ];
  await sb.importBusybox('emu', extra);
  const profile = sb.path('emulate.yaml');
  writeFileSync(profile, PROFILE);
  const log = (name: string): Line[] => {
    const id = (JSON.parse(sb.cli(['inspect', name]).stdout) as { Id: string }[])[0]!.Id;
    return readFileSync(sb.path('root', 'containers', id, 'audit.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  };
  return { sb, profile, log };
}

t.test('a path flipped between an allowed and the denied file: the denied one is never opened', { skip }, async (t) => {
  const { sb, profile, log } = await setup(t, 'emu-race');
  const r = sb.cli(['run', '--name', 'race', '--profile', profile, 'emu', '/bin/emulate-probe', 'race', '/data/public.txt', '/data/secret.txt', '20000'], { timeoutMs: 300_000 });
  t.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout) as { flips: number; opens: number; public: number; secret: number; refused: number; other: number };
  t.equal(c.secret, 0, 'the denied file\'s content was never read');
  t.ok(c.flips >= 1_000_000, `the buffer was flipped at least a million times (${c.flips})`);
  t.ok(c.public >= 500, `the allowed file was opened many times with its content (${c.public})`);
  t.ok(c.refused >= 100, `the denied path was refused many times (${c.refused}): the race was on`);
  t.equal(c.public + c.secret + c.refused + c.other, c.opens);
  const lines = log('race').filter((l) => l.event === 'syscall' && l.syscall?.name.startsWith('open'));
  const denied = lines.filter((l) => l.decision?.action === 'deny');
  t.ok(denied.length > 0 && denied.every((l) => l.resource?.path === '/data/secret.txt' && l.syscall?.errno === 'EACCES'), 'refusals are recorded with the path decided on');
  t.ok(denied.every((l) => /emulate\.yaml:6$/.test(l.decision?.rule ?? '')), 'each names the rule (file:line) that decided');
  t.ok(lines.some((l) => l.decision?.action === 'emulate' && l.resource?.path === '/data/public.txt'), 'emulated opens are recorded');
  t.notOk(lines.some((l) => l.decision?.action === 'emulate' && l.resource?.path === '/data/secret.txt'), 'no line shows the denied file opened');
  t.equal(sb.cli(['audit', 'verify', 'race']).code, 0);
  t.equal(sb.cli(['rm', 'race']).code, 0);
  t.same(sb.leftovers(), []);
});

t.test('relative paths, dirfds, symlinks, O_CREAT with the umask, O_CLOEXEC, /proc/self, openat2 scoping', { skip }, async (t) => {
  const { sb, profile } = await setup(t, 'emu-cases');
  // a child of sh, so the probe is not pid 1 and /proc/self must really be the caller
  const r = sb.cli(['run', '--rm', '--profile', profile, 'emu', 'sh', '-c', '/bin/emulate-probe cases; true']);
  t.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout) as Record<string, string | number>;
  const EACCES = 'E13';
  t.equal(c.abs_public, 'PUBLIC');
  t.equal(c.abs_secret, EACCES);
  t.equal(c.dotdot_secret, EACCES, '/data/../data/./secret.txt is the denied file');
  t.equal(c.missing, 'E2', 'a missing file is ENOENT, as the kernel says');
  t.equal(c.rel_public, 'PUBLIC', 'relative to the cwd');
  t.equal(c.rel_secret, EACCES);
  t.equal(c.rel_up_secret, EACCES, '../data/secret.txt from /tmp');
  t.equal(c.dirfd_public, 'PUBLIC', 'openat relative to a dirfd');
  t.equal(c.dirfd_secret, EACCES);
  t.equal(c.openat2_in_root_public, 'PUBLIC', 'openat2 RESOLVE_IN_ROOT: / is the dirfd');
  t.equal(c.openat2_beneath_escape, 'E18', 'openat2 RESOLVE_BENEATH: .. out of the dirfd is EXDEV');
  t.equal(c.openat2_secret, EACCES, 'openat2 is in the family');
  t.equal(c.symlink_secret, EACCES, 'a symlink to the denied file is judged where it leads');
  t.equal(c.symlink_dir_secret, EACCES, 'so is a path through a symlinked directory');
  t.equal(c.symlink_public, 'PUBLIC', 'a relative symlink to the allowed file');
  t.equal(c.symlink_nofollow, 'E40', 'O_NOFOLLOW on a symlink is ELOOP');
  t.equal(c.creat_mode, 0o640, 'O_CREAT into the tmpfs with mode 0666 under umask 027');
  t.equal(c.creat_write, 7);
  t.equal(c.creat_cloexec, 1, 'O_CLOEXEC asked: the injected fd is close-on-exec');
  t.equal(c.plain_cloexec, 0, 'not asked: it is not');
  t.equal(c.creat_readback, 'PUBLIC');
  t.equal(c.creat_secret, EACCES, 'O_TRUNC of the denied file is refused too');
  t.not(c.getpid, 1);
  t.equal(c.proc_self_pid, c.getpid, '/proc/self/status is the caller\'s own, not the helper\'s');
  t.equal(c.proc_self_fd_magic, 'E40', 'a magic link under /proc is refused (RESOLVE_NO_MAGICLINKS)');
  t.same(sb.leftovers(), []);
});

function childrenOf(pid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push({ pid: Number(e), comm });
    } catch { /* gone */ }
  }
  return out;
}

const status = (pid: number, key: string): string => readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s*(.*)$`, 'm'))?.[1]?.trim() ?? '';

t.test('the helper is confined like the container; killed, the emulated opens fail closed', { skip }, async (t) => {
  const { sb, profile, log } = await setup(t, 'emu-kill');
  const child = sb.start(['-i', '--name', 'k', '--profile', profile, 'emu', '/bin/emulate-probe', 'serve']);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const ask = async (p: string): Promise<string> => {
    const n = out.split('\n').length;
    child.stdin!.write(`${p}\n`);
    for (let i = 0; i < 600 && out.split('\n').length === n; i++) await new Promise((r) => setTimeout(r, 50));
    return out.split('\n')[n - 1] ?? '';
  };
  t.equal(await ask('/data/public.txt'), 'ok PUBLIC', err);
  t.equal(await ask('/data/secret.txt'), 'err 13');
  const helper = childrenOf(child.pid!).find((c) => c.comm === 'tss-openhelper');
  t.ok(helper, 'the helper runs, a child of the supervisor');
  const payload = childrenOf(child.pid!).flatMap((c) => childrenOf(c.pid)).find((c) => c.comm === 'emulate-probe')
    ?? childrenOf(child.pid!).flatMap((c) => childrenOf(c.pid)).flatMap((c) => childrenOf(c.pid)).find((c) => c.comm === 'emulate-probe');
  t.ok(payload, 'the payload is found');
  if (helper && payload) {
    const h = helper.pid;
    t.equal(readlinkSync(`/proc/${h}/ns/user`), readlinkSync(`/proc/${payload.pid}/ns/user`), 'in the container\'s user namespace');
    t.equal(readlinkSync(`/proc/${h}/ns/mnt`), readlinkSync(`/proc/${payload.pid}/ns/mnt`), 'in its mount namespace');
    t.not(readlinkSync(`/proc/${h}/ns/pid`), readlinkSync(`/proc/${payload.pid}/ns/pid`), 'never in its pid namespace');
    t.equal(status(h, 'Uid'), status(payload.pid, 'Uid'), 'as the container\'s ids');
    t.not(status(h, 'Uid').split(/\s+/)[0], '0', 'which are not host root');
    for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) t.equal(status(h, k), '0000000000000000', `${k} empty`);
    t.equal(status(h, 'NoNewPrivs'), '1');
    t.equal(statSync(`/proc/${h}/mem`).uid, 0, 'non-dumpable (its /proc/PID/mem belongs to root, not to its own uid)');
    t.match(readlinkSync(`/proc/${h}/exe`), /^\/memfd:tss-openhelper/, 'runs from a memfd');
    const fds = readdirSync(`/proc/${h}/fd`).map(Number).sort((a, b) => a - b);
    const targets = fds.filter((f) => f > 2).map((f) => readlinkSync(`/proc/${h}/fd/${f}`));
    t.equal(targets.length, 2, `holds the root dirfd and the fd socket, nothing else (${targets.join(', ')})`);
    t.equal(targets.filter((x) => x.startsWith('socket:')).length, 1);
    process.kill(h, 'SIGKILL');
    for (let i = 0; i < 100 && existsSync(`/proc/${h}/stat`) && !/\) Z/.test(readFileSync(`/proc/${h}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(await ask('/data/public.txt'), 'err 1', 'after the helper is killed an emulated open fails (EPERM), it is not continued');
  t.equal(await ask('/data/secret.txt'), 'err 1');
  child.stdin!.end();
  t.equal(await closed, 0, 'the container went on and ended normally');
  const lines = log('k').filter((l) => l.event === 'syscall' && l.syscall?.name.startsWith('open'));
  t.ok(lines.some((l) => l.decision?.action === 'deny' && /fail closed/.test(l.decision.rule ?? '')), 'the refusals say why');
  t.equal(sb.cli(['rm', 'k']).code, 0);
  t.same(sb.leftovers(), []);
});

t.test('a profile with emulate rules does not run without the notify supervisor', { skip }, async (t) => {
  const { sb, profile } = await setup(t, 'emu-off');
  const r = sb.cli(['run', '--rm', '--profile', profile, 'emu', 'cat', '/data/secret.txt'], { env: { TSSANDBOX_SUPERVISOR: 'off' } });
  t.not(r.code, 0);
  t.notMatch(r.stdout, /SECRET/);
  t.match(r.stderr, /emulate\.yaml:6 emulates opens.*TSSANDBOX_SUPERVISOR=off/);
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  t.same(sb.leftovers(), []);
});

t.test('exec into the container: its opens are emulated too (a helper for its listener), the denied path refused and recorded for the session', { skip }, async (t) => {
  const { sb, profile, log } = await setup(t, 'emu-exec');
  t.teardown(() => { sb.cli(['rm', '-f', 'ex']); });
  const run = sb.cli(['run', '-d', '--name', 'ex', '--profile', profile, 'emu', 'sleep', '1000']);
  t.equal(run.code, 0, run.stderr);
  const ok = sb.cli(['exec', 'ex', 'cat', '/data/public.txt']);
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout, 'PUBLIC\n', 'an allowed path opens, with its content');
  const no = sb.cli(['exec', 'ex', 'cat', '/data/secret.txt']);
  t.not(no.code, 0);
  t.notMatch(no.stdout, /SECRET/, 'the denied file is not read');
  t.match(no.stderr, /Permission denied/, 'EACCES, as for the container\'s own opens');
  const lines = log('ex') as (Line & { exec?: string })[];
  const refused = lines.find((l) => l.event === 'syscall' && l.decision?.action === 'deny' && l.resource?.path === '/data/secret.txt');
  t.ok(refused, 'the refusal is in the container\'s log');
  t.match(refused?.exec, /^[0-9a-f]{16}$/, 'tagged with the exec session');
  t.equal(refused?.syscall?.errno, 'EACCES');
  t.equal(sb.cli(['rm', '-f', 'ex']).code, 0);
  t.same(sb.leftovers(), []);
});
