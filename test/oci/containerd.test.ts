// test/oci/containerd.test.ts — containerd from Debian runs tssandbox as the runc binary of its io.containerd.runc.v2 shim: ctr run --rm, exit codes, -d + task exec/ps/pause/resume/kill (tests, root, containerd)
//
// A private containerd: its root, state, sockets and config in a temp dir, no CRI plugin, the
// native snapshotter (and overlayfs, containerd's default, once). The image is the busybox rootfs
// as an OCI archive built here and imported with `ctr images import`. `ctr run --runc-binary`
// sets the shim's BinaryName: a wrapper script pointing tssandbox at private run/data roots (the
// shim passes containerd's environment, as docs/kubernetes.md's wrapper does). --runc-root and
// --fifo-dir keep the runc state and IO fifos in the temp dir too. Teardown kills containerd and
// its shims by pid and removes every mount, cgroup and file the run made.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { busyboxMissing, busyboxRootfs } from '../helpers/busybox-rootfs.js';
import { ociLayout, tarOf } from '../helpers/image-archives.js';
import { CLI } from '../helpers/paths.js';
import { rootMissing } from './bundle.js';

const have = (cmd: string) => spawnSync(cmd, ['--version']).status === 0;
const ctrd = have('containerd') && have('ctr') ? false : 'containerd missing (apt-get install containerd)';
const skip = rootMissing() || busyboxMissing() || ctrd;

interface Result { code: number; stdout: string; stderr: string }

if (skip) t.plan(0, skip);
else {
  const dir = mkdtempSync('/tmp/tss-ctrd-');
  const sock = join(dir, 'c.sock');
  const runcRoot = join(dir, 'runc');
  const runtime = join(dir, 'tssandbox-runtime');
  const IMG = 'localhost/tss-busybox:latest';
  const ids: string[] = [];
  const id = (label: string) => { const x = `tss-ctrd-${process.pid}-${label}`; ids.push(x); return x; };
  const runDirExisted = existsSync('/run/containerd');

  writeFileSync(join(dir, 'config.toml'), [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    // no CRI (no kubelet here), no snapshotters or services this test does not use
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]',
    '[grpc]', `  address = "${sock}"`,
    '[ttrpc]', `  address = "${sock}.ttrpc"`,
    '[debug]', '  address = ""', '  level = "info"',
    '[metrics]', '  address = ""',
    '',
  ].join('\n'));
  writeFileSync(runtime, `#!/bin/sh\nexport TSSANDBOX_RUN_ROOT=${dir}/tsrun TSSANDBOX_ROOT=${dir}/tsdata\nexec ${process.execPath} ${CLI} "$@"\n`);
  chmodSync(runtime, 0o755);

  const logFd = openSync(join(dir, 'containerd.log'), 'a');
  const daemon: ChildProcess = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const daemonExit = new Promise<void>((r) => daemon.on('exit', () => r()));
  const daemonLog = () => { try { return readFileSync(join(dir, 'containerd.log'), 'utf8').split('\n').slice(-15).join('\n'); } catch { return ''; } };

  const ctr = (args: string[], timeout = 120_000): Result => {
    const r = spawnSync('ctr', ['--address', sock, ...args], { encoding: 'utf8', timeout, input: '' });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const runArgs = ['--snapshotter', 'native', '--runtime', 'io.containerd.runc.v2', '--runc-binary', runtime, '--runc-root', runcRoot, '--fifo-dir', join(dir, 'fifo')];
  const tss = (args: string[]): Result => {
    const r = spawnSync(runtime, ['--root', join(runcRoot, 'default'), ...args], { encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };

  /** pids whose command line names our containerd's socket: its shims (containerd runs them in their own session) */
  const shims = (): number[] => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(sock); } catch { return false; }
  }).map(Number);

  t.teardown(async () => {
    for (const x of ids) {
      ctr(['task', 'kill', '-s', 'KILL', x], 30_000);
      ctr(['task', 'rm', '-f', x], 30_000);
      ctr(['containers', 'rm', x], 30_000);
      tss(['delete', '--force', x]);
    }
    const shimPids = shims();
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGTERM');
      await Promise.race([daemonExit, delay(20_000)]);
      if (daemon.exitCode === null && daemon.signalCode === null) { daemon.kill('SIGKILL'); await daemonExit; }
    }
    for (const p of [...new Set([...shimPids, ...shims()])]) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    // a shim killed before its cleanup leaves its socket: /run/containerd/s/sha256(address/ns/id)
    for (const x of ids) rmSync(join('/run/containerd/s', createHash('sha256').update(join(sock, 'default', x)).digest('hex')), { force: true });
    if (!runDirExisted) for (const d of ['/run/containerd/s', '/run/containerd/fifo', '/run/containerd']) { try { rmdirSync(d); } catch { /* not empty: not only ours */ } }
    for (const mp of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(`${dir}/`)).reverse()) {
      spawnSync('umount', ['-l', mp!]);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  t.before(async () => {
    // the socket answers once containerd has loaded its plugins (bounded wait; its log says why not)
    let up = false;
    for (let i = 0; i < 300 && !up && daemon.exitCode === null; i++) {
      up = existsSync(sock) && ctr(['version'], 10_000).code === 0;
      if (!up) await delay(100);
    }
    if (!up) throw new Error(`containerd did not come up:\n${daemonLog()}`);
    const layer = await busyboxRootfs();
    writeFileSync(join(dir, 'image.tar'), await tarOf(ociLayout([{ layers: [layer], tags: [IMG], config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] } }], { docker: true })));
    const imp = ctr(['images', 'import', '--snapshotter', 'native', join(dir, 'image.tar')]);
    if (imp.code !== 0) throw new Error(`ctr images import: ${imp.stderr}`);
  });

  t.test('ctr run --rm IMG ID echo ok: runs to completion through the runc.v2 shim', async (t) => {
    const x = id('ok');
    const r = ctr(['run', '--rm', ...runArgs, IMG, x, 'echo', 'ok']);
    if (r.code !== 0) t.comment(`stderr: ${r.stderr}\ncontainerd: ${daemonLog()}`);
    t.equal(r.code, 0, 'exit status 0');
    t.equal(r.stdout, 'ok\n');
    t.notOk(existsSync(join(runcRoot, 'default', x)), 'tssandbox\'s state for it is gone (the shim deleted it)');
    t.equal(ctr(['containers', 'ls', '-q']).stdout.split('\n').includes(x), false, 'containerd forgot it (--rm)');
  });

  t.test('exit codes propagate: the payload\'s own, and a create failure is ctr\'s error', async (t) => {
    const seven = ctr(['run', '--rm', ...runArgs, IMG, id('seven'), 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    t.equal(seven.code, 7, seven.stderr);
    t.equal(seven.stdout, 'out\n');
    t.match(seven.stderr, /^err$/m, 'the container\'s stderr reaches ctr');
    const nf = ctr(['run', '--rm', ...runArgs, IMG, id('nf'), 'no-such-command']);
    t.not(nf.code, 0);
    t.match(nf.stderr, /OCI runtime create failed: .*no-such-command.*not found/, 'our --log line is what the shim reports');
  });

  t.test('the overlayfs snapshotter (containerd\'s default): the overlay root is shown idmapped and writable', async (t) => {
    const r = ctr(['run', '--rm', ...runArgs.map((a) => (a === 'native' ? 'overlayfs' : a)), IMG, id('ovl'), 'sh', '-c', 'echo hi > /tmp/x && cat /tmp/x && stat -c "%u %g" /bin/busybox && id -u']);
    if (r.code !== 0) t.comment(`stderr: ${r.stderr}\ncontainerd: ${daemonLog()}`);
    t.equal(r.code, 0, 'exit status 0');
    t.equal(r.stdout, 'hi\n0 0\n0\n', 'written, read back; the image\'s files owned by the container\'s root');
  });

  t.test('-d, then task ps, exec, pause, resume, kill, rm', async (t) => {
    const x = id('d');
    // pid 1 of a pid namespace ignores SIGTERM without a handler: the trap makes TERM its exit
    const d = ctr(['run', '-d', ...runArgs, IMG, x, 'sh', '-c', 'trap "exit 3" TERM; while true; do i=$((i+1)); done']);
    t.equal(d.code, 0, d.stderr);
    t.match(ctr(['task', 'ls']).stdout, new RegExp(`^${x}\\s+\\d+\\s+RUNNING$`, 'm'));
    const ps = ctr(['task', 'ps', x]);
    t.equal(ps.code, 0, ps.stderr);
    const pids = ps.stdout.split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).filter((n) => n > 0);
    t.ok(pids.length >= 1, `task ps lists the container's processes (${pids.join(' ')})`);
    const payload = pids.find((p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('while true'); } catch { return false; } });
    t.ok(payload, 'one of them is the shell loop');

    const e = ctr(['task', 'exec', '--fifo-dir', join(dir, 'fifo'), '--exec-id', 'e1', x, 'sh', '-c', 'echo in-exec; cat /proc/1/cmdline | grep -c "while true"; exit 5']);
    t.equal(e.code, 5, e.stderr);
    t.equal(e.stdout, 'in-exec\n1\n', 'exec runs inside the container\'s pid namespace');

    t.equal(ctr(['task', 'pause', x]).code, 0, 'pause');
    t.match(ctr(['task', 'ls']).stdout, new RegExp(`^${x}\\s+\\d+\\s+PAUSED$`, 'm'), 'containerd sees PAUSED');
    t.match(tss(['state', x]).stdout, /"status": "paused"/, 'tssandbox state says paused');
    const ticks = () => readFileSync(`/proc/${payload}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 13).map(Number).reduce((a, b) => a + b, 0);
    const before = ticks();
    t.match(ctr(['task', 'exec', '--fifo-dir', join(dir, 'fifo'), '--exec-id', 'e2', x, 'true']).stderr, /paused/, 'exec into a paused container is refused');
    t.equal(ticks(), before, 'the busy loop used no CPU while paused');

    t.equal(ctr(['task', 'resume', x]).code, 0, 'resume');
    t.match(ctr(['task', 'ls']).stdout, new RegExp(`^${x}\\s+\\d+\\s+RUNNING$`, 'm'));
    for (let i = 0; i < 300 && ticks() === before; i++) await delay(50);
    t.ok(ticks() > before, 'the loop runs again after resume');

    t.equal(ctr(['task', 'kill', x]).code, 0, 'kill (SIGTERM)');
    let st = '';
    for (let i = 0; i < 300 && !/STOPPED/.test(st); i++) { st = ctr(['task', 'ls']).stdout; if (!/STOPPED/.test(st)) await delay(100); }
    t.match(st, new RegExp(`^${x}\\s+\\d+\\s+STOPPED$`, 'm'), 'the trap made it exit');
    const rm = ctr(['task', 'rm', x]);
    t.equal(rm.code, 0, rm.stderr);
    t.match(rm.stderr, /non-zero exit code 3/, 'its exit status is the trap\'s');
    t.equal(ctr(['containers', 'rm', x]).code, 0);
    t.notOk(existsSync(join(runcRoot, 'default', x)), 'tssandbox\'s state for it is gone');
  });

  t.test('nothing of the containers is left on the host', async (t) => {
    const left: string[] = [];
    for (const d of [join(runcRoot, 'default'), join(dir, 'tsrun', 'idranges')]) if (existsSync(d)) left.push(...readdirSync(d).map((f) => join(d, f)));
    for (const ctrl of readdirSync('/sys/fs/cgroup')) for (const x of ids) { const p = join('/sys/fs/cgroup', ctrl, 'tssandbox-oci', x); if (existsSync(p)) left.push(p); }
    t.same(left, [], 'no OCI state, id slot or cgroup');
    t.same(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(join(dir, 'state'))), [], 'no rootfs mount under the shim state');
  });
}
