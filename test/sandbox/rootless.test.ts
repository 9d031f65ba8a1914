// test/sandbox/rootless.test.ts — rootless mode end to end, as a throwaway unprivileged user with /etc/subuid ranges (tests, root to make the user)
//
// The test makes a user (useradd, a unique name), gives it /etc/subuid and /etc/subgid ranges when
// useradd did not, and runs the CLI as that user (setpriv) with its own XDG_DATA_HOME and
// XDG_RUNTIME_DIR: import, run --rm (its id maps seen from the host through a volume, no
// capabilities, a read-only root, the one limits line, an explicit --memory refused), then -d -p
// with busybox httpd fetched on the host's 127.0.0.1 through slirp4netns, exec, ps, stop, rm, and
// nothing of it left: no process of the user, no slirp4netns, no state or record. The user, its
// files, its ranges and its processes are removed on every path (teardown).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxMissing, busyboxRootfs } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { CLI, REPO_ROOT } from '../helpers/paths.js';

const TOOLS = ['/usr/sbin/useradd', '/usr/sbin/userdel', '/usr/bin/setpriv', '/usr/bin/newuidmap', '/usr/bin/newgidmap', '/usr/bin/slirp4netns'];
const skip = process.geteuid?.() !== 0 ? 'needs root (to make the throwaway user)'
  : busyboxMissing() || (TOOLS.find((p) => !existsSync(p)) ? `${TOOLS.find((p) => !existsSync(p))} missing (scripts/install-deps.sh)` : false);

const applets: Member[] = ['httpd', 'nc', 'sleep', 'touch', 'grep', 'umount'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));
const www: Member[] = [{ name: './www/', type: 'directory' }, { name: './www/index.html', data: 'served rootless\n' }];

/** the subordinate ranges: one line per user, name:start:count */
function rangeOf(file: string, name: string): { start: number; count: number } | null {
  const l = readFileSync(file, 'utf8').split('\n').find((x) => x.startsWith(`${name}:`));
  if (!l) return null;
  const [, s, c] = l.split(':');
  return { start: Number(s), count: Number(c) };
}

/** a start above every range already in FILE (and above any id the host uses for users) */
function freeStart(file: string): number {
  let top = 200000;
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    const [, s, c] = l.split(':');
    if (s && c && Number(s) + Number(c) > top) top = Number(s) + Number(c);
  }
  return top;
}

function dropLines(file: string, name: string): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8').split('\n').filter((l) => !l.startsWith(`${name}:`)).join('\n');
  writeFileSync(file, kept);
}

function userPids(uid: number): number[] {
  const r = spawnSync('ps', ['-o', 'pid=', '-u', String(uid)], { encoding: 'utf8' });
  return r.stdout.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => resolve(p)); }); });
}

function fetchOnce(url: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = get(url, (res) => { let b = ''; res.setEncoding('utf8').on('data', (d: string) => { b += d; }).on('end', () => resolve(b)); });
    req.on('error', () => resolve(null));
    req.setTimeout(30_000, () => { req.destroy(); resolve(null); });
  });
}

async function fetch(url: string): Promise<string | null> {
  for (let i = 0; i < 100; i++) {
    const b = await fetchOnce(url);
    if (b !== null) return b;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

t.test('rootless: run, -d, exec, -p through slirp4netns, stop, rm, as a throwaway user', { skip }, async (t) => {
  const name = `tssrl${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
  const tmp = mkdtempSync(join(tmpdir(), 'tss-rootless-'));
  chmodSync(tmp, 0o755);
  let uid = -1;
  t.teardown(() => {
    // the user's processes (ours: it exists only for this test), then the user, its files and ranges
    if (uid > 0) for (const p of userPids(uid)) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    spawnSync('/usr/sbin/userdel', ['-r', '-f', name], { stdio: 'ignore' });
    dropLines('/etc/subuid', name);
    dropLines('/etc/subgid', name);
    rmSync(tmp, { recursive: true, force: true });
  });
  const home = join(tmp, 'home');
  const add = spawnSync('/usr/sbin/useradd', ['-M', '-d', home, '-s', '/bin/sh', name], { encoding: 'utf8' });
  t.equal(add.status, 0, `useradd: ${add.stderr}`);
  uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    if (!existsSync(f)) writeFileSync(f, '');
    if (!rangeOf(f, name)) writeFileSync(f, `${readFileSync(f, 'utf8').replace(/\n?$/, '\n')}${name}:${freeStart(f)}:65536\n`.replace(/^\n/, ''));
  }
  const subuid = rangeOf('/etc/subuid', name)!, subgid = rangeOf('/etc/subgid', name)!;
  t.ok(subuid.count >= 1000 && subgid.count >= 1000, 'the user has ranges');

  const dataHome = join(home, 'data'), runtime = join(home, 'run'), vol = join(tmp, 'vol');
  for (const d of [home, dataHome, runtime, vol]) { mkdirSync(d, { recursive: true, mode: 0o700 }); chownSync(d, uid, gid); }
  chmodSync(vol, 0o1777); // writable by the container's root (the user) and its uid 1000 (a subordinate id)

  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, XDG_DATA_HOME: dataHome, XDG_RUNTIME_DIR: runtime, LANG: 'C' };
  // the product as the user can read it: the checkout itself when it can, else a readable copy
  const canRead = (cli: string) => spawnSync('/usr/bin/setpriv', ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--', '/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, cli, '--version'], { cwd: home, encoding: 'utf8' }).status === 0;
  let cli = CLI;
  if (!canRead(cli)) {
    const copy = join(tmp, 'product');
    for (const e of ['bin', 'dist', 'build', 'node_modules', 'profiles', 'package.json']) cpSync(join(REPO_ROOT, e), join(copy, e), { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', copy]);
    cli = join(copy, 'bin', 'tssandbox.js');
    t.ok(canRead(cli), 'the user can run a readable copy of the product');
  }
  // env -i: tap's process tracking injects NODE_OPTIONS into children, which the user's node must not load
  const as = (args: string[]) => {
    const r = spawnSync('/usr/bin/setpriv', ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--',
      '/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, cli, ...args],
      { cwd: home, encoding: 'utf8', timeout: 300_000 });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };

  const tar = join(tmp, 'bb.tar');
  writeFileSync(tar, await busyboxRootfs([...applets, ...www]));
  chmodSync(tar, 0o644);
  const imp = as(['import', tar, 'bb']);
  t.equal(imp.code, 0, `import as the user: ${imp.stderr}`);
  t.ok(existsSync(join(dataHome, 'tssandbox')), 'the store is under $XDG_DATA_HOME/tssandbox');

  t.test('run --rm: the user\'s ranges, no capabilities, a read-only root, limits said once', async (t) => {
    const r = as(['run', '--rm', '-v', `${vol}:/vol`, 'bb', 'sh', '-c',
      'grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status; touch /x 2>&1; touch /vol/root-made; id -u']);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000/, 'strict: no capabilities at all');
    t.match(r.stdout, /Read-only file system/, 'the root is read-only');
    t.match(r.stdout, /^0$/m, 'the payload is the container\'s root');
    t.equal(statSync(join(vol, 'root-made')).uid, uid, 'the container\'s root is the user on the host');
    const lines = r.stderr.trim().split('\n').filter(Boolean);
    t.equal(lines.length, 1, `one warning line: ${r.stderr}`);
    t.match(lines[0], /limits not enforced.*--memory.*--pids-limit/, 'naming the limits not enforced');

    const u = as(['run', '--rm', '-u', '1000:1000', '-v', `${vol}:/vol`, 'bb', 'sh', '-c', 'touch /vol/user-made; id; grep CapEff /proc/self/status']);
    t.equal(u.code, 0, u.stderr);
    t.match(u.stdout, /uid=1000 gid=1000/);
    const st = statSync(join(vol, 'user-made'));
    t.same([st.uid, st.gid], [subuid.start + 999, subgid.start + 999], 'uid/gid 1000 inside are the user\'s subordinate ids 999 past their start');

    const m = as(['run', '--rm', '--memory', '64m', 'bb', 'true']);
    t.equal(m.code, 125, 'an explicit --memory that cannot be enforced is refused');
    t.equal(m.stderr.trim().split('\n').filter((l) => !l.includes('warning')).length, 1, `in one line: ${m.stderr}`);
    t.match(m.stderr, /--memory 64m.*cannot be enforced rootless/);

    // the tree is locked even for a container root holding every capability of its namespace
    const lk = as(['run', '--rm', '--profile', 'unconfined', '--network', 'none', 'bb', 'sh', '-c', 'grep CapEff /proc/self/status; umount /dev/null 2>&1; echo null=$?; umount -l /dev 2>&1; echo dev=$?']);
    t.equal(lk.code, 0, lk.stderr);
    t.match(lk.stdout, /CapEff:\t0*1f+\n/, 'unconfined: every capability in its own namespace');
    t.match(lk.stdout, /can't unmount \/dev\/null: Invalid argument[\s\S]*null=1/, 'the /dev/null bind cannot be unmounted (locked)');
    t.match(lk.stdout, /dev=1/, 'nor /dev');
    const host = as(['run', '--rm', '--profile', 'unconfined', 'bb', 'true']);
    t.equal(host.code, 125, 'the host network (unconfined\'s) is refused rootless');
    t.match(host.stderr, /run `--network host`: rootless/);

    const oci = as(['create', '--bundle', home, 'ocix']);
    t.not(oci.code, 0, 'OCI mode is refused rootless');
    t.match(oci.stderr, /create `ocix`: OCI runtime mode needs root/);

    const lab = as(['run', '--rm', '--profile', 'lab', '--network', 'somelab', 'bb', 'true']);
    t.not(lab.code, 0, 'a lab network is refused rootless');
    t.match(lab.stderr, /lab networks need root/);
  });

  t.test('-d -p through slirp4netns: served on the host\'s 127.0.0.1; the host\'s loopback and the world unreachable inside', async (t) => {
    const port = await freePort();
    // a server on the host's loopback the container must not reach (slirp's 10.0.2.2 is not it)
    let reached = 0;
    const guard = createServer((s) => { reached++; s.destroy(); });
    await new Promise<void>((r) => guard.listen(0, '127.0.0.1', () => r()));
    t.teardown(() => { guard.close(); });
    const gport = (guard.address() as AddressInfo).port;

    const d = as(['run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:80`, 'bb', 'sh', '-c', 'echo up; exec httpd -f -p 80 -h /www']);
    t.equal(d.code, 0, d.stderr);
    t.equal(await fetch(`http://127.0.0.1:${port}/`), 'served rootless\n', 'curl on the host\'s 127.0.0.1 reaches busybox httpd inside');
    t.equal(as(['port', 'web']).stdout, `80/tcp -> 127.0.0.1:${port}\n`, 'port shows the forward');
    t.match(as(['ps']).stdout, /\bweb\n/, 'ps lists it');
    t.equal(as(['logs', 'web']).stdout, 'up\n', 'logs has its output');
    const slirps = spawnSync('pgrep', ['-u', String(uid), '-x', 'slirp4netns'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    t.equal(slirps.length, 1, 'one slirp4netns, the user\'s');

    const ex = as(['exec', 'web', 'sh', '-c', `cat /proc/net/route; echo x | nc -w 3 10.0.2.2 ${gport}; echo gw=$?; echo x | nc -w 3 1.1.1.1 80; echo world=$?`]);
    t.equal(ex.code, 0, ex.stderr);
    t.notMatch(ex.stdout, /^\S+\t00000000\t/m, 'no default route inside');
    t.match(ex.stdout, /gw=1/, 'the gateway does not lead to the host\'s loopback');
    t.match(ex.stdout, /world=1/, 'and nothing beyond is reachable (strict: no egress)');
    t.equal(reached, 0, 'the host\'s 127.0.0.1 server saw no connection');

    t.equal(as(['stop', '-t', '5', 'web']).code, 0, 'stop');
    t.equal(as(['rm', 'web']).code, 0, 'rm');
    t.equal(await fetchOnce(`http://127.0.0.1:${port}/`), null, 'the port is closed');
  });

  t.test('a killed supervisor takes its container and slirp4netns with it; the next command reaps its state', async (t) => {
    const port = await freePort();
    const d = as(['run', '-d', '--name', 'crash', '-p', `127.0.0.1:${port}:80`, 'bb', 'httpd', '-f', '-p', '80', '-h', '/www']);
    t.equal(d.code, 0, d.stderr);
    t.equal(await fetch(`http://127.0.0.1:${port}/`), 'served rootless\n', 'served');
    const sup = spawnSync('pgrep', ['-u', String(uid), '-f', 'supervisor-main'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
    t.equal(sup.length, 1, 'one detached supervisor');
    process.kill(sup[0]!, 'SIGKILL');
    let left: number[] = [];
    for (let i = 0; i < 100 && (left = userPids(uid)).length; i++) await new Promise((r) => setTimeout(r, 100));
    t.same(left, [], 'the launcher, the payload and slirp4netns are gone with it');
    t.equal(await fetchOnce(`http://127.0.0.1:${port}/`), null, 'the port is closed');
    as(['ps', '-a']);
    t.same(readdirSync(join(runtime, 'tssandbox', 'containers')), [], 'the next command removed its state');
    as(['rm', '-f', 'crash']);
  });

  t.test('without a range: one id, said once; another id refused in one line', async (t) => {
    dropLines('/etc/subuid', name);
    dropLines('/etc/subgid', name);
    const r = as(['run', '--rm', 'bb', 'sh', '-c', 'id -u; grep CapEff /proc/self/status']);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /^0\nCapEff:\t0000000000000000\n$/, 'the payload is the container\'s root (the user), no capabilities');
    t.match(r.stderr, /has no range in \/etc\/subuid: the container has one id only/, 'the note says so');
    const u = as(['run', '--rm', '-u', '1000', 'bb', 'id']);
    t.equal(u.code, 125);
    t.match(u.stderr, /run `-u 1000:1000`: rootless, this user maps only container ids 0…0/, `refused by name: ${u.stderr}`);
  });

  t.test('no XDG_RUNTIME_DIR: a private /tmp/tssandbox-UID, and a squatted one refused', async (t) => {
    const fallback = join(tmpdir(), `tssandbox-${uid}`);
    t.teardown(() => rmSync(fallback, { recursive: true, force: true }));
    const { XDG_RUNTIME_DIR: _unset, ...noRuntime } = env;
    const asNoRuntime = (args: string[]) => spawnSync('/usr/bin/setpriv', ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--',
      '/usr/bin/env', '-i', ...Object.entries(noRuntime).map(([k, v]) => `${k}=${v}`), process.execPath, cli, ...args], { cwd: home, encoding: 'utf8', timeout: 300_000 });
    // another user (root here) made the name first: its state would be theirs to read and replace
    mkdirSync(fallback, { mode: 0o777 });
    chmodSync(fallback, 0o777);
    const sq = asNoRuntime(['run', '--rm', 'bb', 'true']);
    t.not(sq.status, 0, 'refused');
    t.match(sq.stderr, new RegExp(`${fallback}\`: not a private directory of uid ${uid}`), `in one line naming it: ${sq.stderr}`);
    t.same(readdirSync(fallback), [], 'nothing was written into it');
    rmSync(fallback, { recursive: true, force: true });
    const ok = asNoRuntime(['run', '--rm', 'bb', 'true']);
    t.equal(ok.status, 0, ok.stderr);
    const st = statSync(fallback);
    t.same([st.uid, st.mode & 0o777], [uid, 0o700], 'made by the user, 0700');
  });

  t.test('nothing of ours remains', async (t) => {
    let left: number[] = [];
    for (let i = 0; i < 100 && (left = userPids(uid)).length; i++) await new Promise((r) => setTimeout(r, 100));
    t.same(left, [], 'no process of the user (supervisors, launchers, slirp4netns)');
    const state = join(runtime, 'tssandbox', 'containers');
    t.same(existsSync(state) ? readdirSync(state) : [], [], 'no state dir under $XDG_RUNTIME_DIR/tssandbox');
    const recs = join(dataHome, 'tssandbox', 'containers');
    t.same(existsSync(recs) ? readdirSync(recs) : [], [], 'no container record');
  });
});
