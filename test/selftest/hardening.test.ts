// test/selftest/hardening.test.ts — runtime hardening seen from INSIDE a strict container with busybox (host; needs root, busybox-static)
//
// Nothing of the host runtime is exec'd or reachable inside (CVE-2019-5736 class); /proc/1/exe is
// the payload's own file and cannot be written; the cwd is inside the root (CVE-2024-21626 class);
// only fds 0-2 cross, even when the caller of the CLI leaks one; symlinks in the image stay inside
// the image's root when a volume is mounted through them.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_PATH, openBatteryEnv, runInSandbox, type BatteryEnv } from '../../sandbox/selftest/run-battery.js';
import { LAUNCHER_PATH } from '../../sandbox/paths.js';
import { batteryMissing } from '../helpers/battery.js';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';

const missing = batteryMissing() ?? (busyboxMissing() || null);
const ESCAPE_DIR = `/tmp/tss-hardening-esc-${process.pid}`;

t.test('hardening inside a strict container', { skip: missing ?? false }, async (t) => {
  let env: BatteryEnv | undefined;
  t.teardown(() => env?.close());
  env = await openBatteryEnv({
    extra: [
      { name: './data', type: 'symlink', linkname: '/etc' },
      { name: './esc', type: 'symlink', linkname: `../../../../..${ESCAPE_DIR}` },
    ],
  });
  const sh = (script: string, flags: string[] = []) => runInSandbox(env!, { profile: 'strict', flags, command: ['/bin/sh', '-c', script], timeoutMs: 60_000 });

  t.test('nothing of the host runtime is visible or exec\'d', async (t) => {
    // the host paths arrive in the environment so that the script's own text names none of them
    const r = await runInSandbox(env!, {
      profile: 'strict', timeoutMs: 60_000,
      env: { P1: LAUNCHER_PATH, P2: process.execPath, P3: CLI_PATH, P4: '/usr/bin/node' },
      command: ['/bin/sh', '-c', 'for p in "$P1" "$P2" "$P3" "$P4"; do test -e "$p" && echo "visible $p"; done; ls -l /proc/*/exe; cat /proc/[0-9]*/cmdline'],
    });
    t.equal(r.code, 0, r.stderr);
    t.notMatch(r.stdout, /^visible /m, 'neither the launcher, node nor the CLI is reachable inside');
    const exes = [...r.stdout.matchAll(/\/proc\/(\w+)\/exe -> (\S+)/g)].map((m) => [m[1]!, m[2]!] as const);
    t.ok(exes.length >= 2, `sees pid 1 and itself (${exes.map((e) => e.join(' -> ')).join(', ')})`);
    for (const [pid, e] of exes) t.equal(e, '/bin/busybox', `process ${pid} inside runs the image's own file (${e})`);
    t.notMatch(r.stdout, /node|launcher|tssandbox/, 'no host runtime command line inside');
  });

  t.test('/proc/1/exe is the payload\'s own file and cannot be written', async (t) => {
    const r = await sh('stat -L -c "%d:%i" /proc/1/exe; stat -c "%d:%i" /bin/busybox; echo x >> /proc/1/exe && echo WROTE');
    const [a, b] = r.stdout.trim().split('\n');
    t.equal(a, b, '/proc/1/exe is /bin/busybox of the image (same device and inode)');
    t.notMatch(r.stdout, /WROTE/, 'writing through /proc/1/exe fails');
    t.match(r.stderr, /Text file busy|Read-only file system/);
  });

  t.test('the cwd is inside the root', async (t) => {
    const r = await sh('readlink /proc/self/cwd; pwd');
    t.same(r.stdout.trim().split('\n'), ['/', '/'], 'default cwd /');
    const w = await sh('readlink /proc/self/cwd; pwd', ['-w', '/etc']);
    t.same(w.stdout.trim().split('\n'), ['/etc', '/etc'], '-w /etc');
    const up = await sh('readlink /proc/self/cwd', ['-w', '/../../../etc']);
    t.equal(up.stdout.trim(), '/etc', '-w /../../../etc stays at the root\'s /etc');
  });

  t.test('only fds 0-2 cross, even when the CLI\'s caller leaks fd 3 and 4', async (t) => {
    // ls is a child of pid 1 (the shell), so /proc/1/fd lists the payload's own fds only
    const args = [CLI_PATH, '--root', env!.root, 'run', '--rm', env!.image, '/bin/sh', '-c', 'ls /proc/1/fd; echo end'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    t.equal(code, 0);
    t.same(out.trim().split(/\s+/), ['0', '1', '2', 'end'], 'the payload holds exactly fds 0, 1, 2');
  });

  t.test('a volume through an image symlink lands inside the image\'s root', async (t) => {
    const vol = join(env!.scratch, 'vol');
    mkdirSync(vol);
    writeFileSync(join(vol, 'marker'), 'from-the-volume\n');
    const hostEtc = readdirSync('/etc').length;
    const r = await sh('cat /data/marker; cat /etc/marker; readlink /data', ['-v', `${vol}:/data:ro`]);
    t.equal(r.code, 0, r.stderr);
    t.same(r.stdout.trim().split('\n'), ['from-the-volume', 'from-the-volume', '/etc'], '/data -> /etc: the bind covers the container\'s /etc');
    t.notOk(existsSync('/etc/marker'), 'the host\'s /etc is untouched');
    t.equal(readdirSync('/etc').length, hostEtc, 'nothing appeared in the host\'s /etc');

    // /esc -> ../../../../../tmp/…: resolved inside the root (where nothing exists), never the host's /tmp
    const e = await sh('ls /esc', ['-v', `${vol}:/esc:ro`]);
    t.not(e.code, 0, 'a mount point the image symlinks out of its root is refused');
    t.match(e.stderr, /^tssandbox: .*\/esc.*\n$/, `one-line error naming the path: ${e.stderr.trim()}`);
    t.notOk(existsSync(ESCAPE_DIR), 'nothing was created on the host where the symlink points');
  });

  t.test('a symlinked volume source binds its target, read-only when asked', async (t) => {
    const target = join(env!.scratch, 'target');
    mkdirSync(target);
    writeFileSync(join(target, 'f'), 'target\n');
    const { symlinkSync } = await import('node:fs');
    symlinkSync(target, join(env!.scratch, 'link'));
    const r = await sh('cat /mnt/f; echo x > /mnt/g && echo WROTE', ['-v', `${join(env!.scratch, 'link')}:/mnt:ro`]);
    t.match(r.stdout, /^target$/m);
    t.notMatch(r.stdout, /WROTE/, 'read-only volume');
    t.notOk(existsSync(join(target, 'g')));
  });
});
