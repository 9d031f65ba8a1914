// test/oci/podman.test.ts — podman from Debian drives tssandbox as its OCI runtime: run --rm, exit codes, -d + exec + stop + rm, -t through the console socket, the profile annotation (tests, root, podman)
//
// podman's storage, run root, tmp dir and containers.conf all live in a temp dir (default_ulimits
// for nofile and nproc: the runtime must be given rlimits it can set); the image is the busybox
// rootfs tar imported locally. The runtime is a wrapper script that points tssandbox at private
// run/data roots — conmon passes podman's environment only in part (containerd's BinaryName
// wrapper does the same, docs/kubernetes.md).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxMissing, busyboxRootfs } from '../helpers/busybox-rootfs.js';
import { CLI } from '../helpers/paths.js';
import { rootMissing } from './bundle.js';

const podman = spawnSync('podman', ['--version']).status === 0 ? false : 'podman missing (apt-get install podman)';
const skip = rootMissing() || busyboxMissing() || podman;
if (skip) t.plan(0, skip);
else {
  const dir = mkdtempSync(join(tmpdir(), 'tss-oci-podman-'));
  const conf = join(dir, 'containers.conf');
  writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
  const runtime = join(dir, 'tssandbox-runtime');
  writeFileSync(runtime, `#!/bin/sh\nexport TSSANDBOX_RUN_ROOT=${dir}/tsrun TSSANDBOX_ROOT=${dir}/tsdata\nexec ${process.execPath} ${CLI} "$@"\n`);
  chmodSync(runtime, 0o755);
  const base = ['--root', join(dir, 'storage'), '--runroot', join(dir, 'runroot'), '--tmpdir', join(dir, 'tmp'), '--storage-driver', 'overlay',
    '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--runtime', runtime];
  const pod = (args: string[], input?: Buffer | string) => {
    const r = spawnSync('podman', [...base, ...args], { env: { ...process.env, CONTAINERS_CONF: conf }, input: input ?? '', encoding: 'utf8', timeout: 180_000 });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const IMG = 'localhost/tss-busybox:latest';
  t.teardown(() => {
    pod(['rm', '-af', '-t', '0']);
    pod(['rmi', '-af']);
    // podman leaves its store mounted until told: unmount whatever is still under the temp dir
    spawnSync('podman', [...base, 'system', 'reset', '-f'], { env: { ...process.env, CONTAINERS_CONF: conf }, timeout: 120_000 });
    for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((x) => x.split(' ')[4]).filter((m) => m?.startsWith(dir)).reverse()) {
      spawnSync('umount', ['-l', l!]);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  // .audit: the audit logs of supervised (strict) containers, which delete keeps (oci/audit.ts)
  const ociLeft = () => { const d = join(dir, 'tsrun', 'oci'); return existsSync(d) ? readdirSync(d).filter((f) => f !== '.audit') : []; };
  const tss = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, TSSANDBOX_RUN_ROOT: join(dir, 'tsrun'), TSSANDBOX_ROOT: join(dir, 'tsdata') }, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };

  t.before(async () => {
    const tar = await busyboxRootfs();
    const r = pod(['import', '-', IMG], tar);
    if (r.code !== 0) throw new Error(`podman import: ${r.stderr}`);
  });

  t.test('run --rm IMG echo ok', async (t) => {
    const r = pod(['run', '--rm', '--network', 'none', IMG, 'echo', 'ok']);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, 'ok\n');
    t.same(ociLeft(), [], 'the OCI state is gone after --rm');
  });

  t.test('exit codes: the payload\'s own, 127 for a missing command', async (t) => {
    t.equal(pod(['run', '--rm', '--network', 'none', IMG, 'sh', '-c', 'exit 7']).code, 7);
    const nf = pod(['run', '--rm', '--network', 'none', IMG, 'no-such-command']);
    t.equal(nf.code, 127);
    t.match(nf.stderr, /executable file not found/);
  });

  t.test('the pod network namespace is joined by path', async (t) => {
    const r = pod(['run', '--rm', IMG, 'cat', '/proc/net/dev']);
    // default networking without netavark/slirp on the host may fail in podman itself: then say so
    if (r.code !== 0 && !/tssandbox/.test(r.stderr)) { t.comment(`skipped: podman's default network is unavailable here: ${r.stderr.trim().split('\n').pop()}`); return; }
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /lo:/);
  });

  t.test('-d, exec, stop, rm', async (t) => {
    const d = pod(['run', '-d', '--network', 'none', IMG, 'sh', '-c', 'trap "exit 0" TERM; while true; do busybox sleep 0.1; done']);
    t.equal(d.code, 0, d.stderr);
    const id = d.stdout.trim();
    t.match(pod(['ps', '--format', '{{.ID}} {{.Status}}']).stdout, new RegExp(`${id.slice(0, 12)} Up`), 'ps says Up');
    const e = pod(['exec', id, 'sh', '-c', 'echo in-exec; id -u; exit 5']);
    t.equal(e.code, 5, 'exec exit code');
    t.equal(e.stdout, 'in-exec\n0\n');
    t.match(pod(['exec', id, 'cat', '/proc/1/cmdline']).stdout, /while true/, 'exec sees the container\'s pid 1');
    t.equal(pod(['stop', '-t', '10', id]).code, 0, 'stop');
    t.match(pod(['ps', '-a', '--format', '{{.ID}} {{.Status}}']).stdout, new RegExp(`${id.slice(0, 12)} Exited \\(0\\)`), 'exited 0 by its trap');
    t.equal(pod(['rm', id]).code, 0, 'rm');
    t.same(ociLeft(), []);
  });

  t.test('-t: the pty master goes through the console socket', async (t) => {
    const r = pod(['run', '--rm', '-t', '--network', 'none', IMG, 'sh', '-c', 'tty; echo term-ok; exit 4']);
    t.equal(r.code, 4);
    t.match(r.stdout, /^\/dev\/pts\/\d+\r\nterm-ok\r\n$/, 'a terminal of the container\'s own devpts (CRLF: it is a tty)');
  });

  t.test('the profile annotation: strict tightens, unconfined is refused', async (t) => {
    const s = pod(['run', '--rm', '--network', 'none', '--annotation', 'org.tssandbox.profile=strict', IMG, 'sh', '-c', 'grep -E "^(CapEff|Seccomp_filters)" /proc/self/status; touch /x 2>/dev/null && echo wrote || echo rofs']);
    t.equal(s.code, 0, s.stderr);
    t.match(s.stdout, /CapEff:\s+0000000000000000/);
    t.match(s.stdout, /Seccomp_filters:\s+2\n/, 'podman\'s profile (by our compiler), then the node\'s default and strict as one filter (oci/merge.ts)');
    t.match(s.stdout, /rofs/);
    // strict is supervised: the container podman ran has an audit log, found by id in the default OCI state root
    const logs = readdirSync(join(dir, 'tsrun', 'oci', '.audit')).filter((f) => f.endsWith('.ndjson'));
    t.equal(logs.length, 1, 'one audit log, kept after --rm');
    const cid = logs[0]!.slice(0, -'.ndjson'.length);
    const show = tss(['audit', 'show', '--event', 'syscall', '--syscall', 'execve', cid]);
    t.equal(show.code, 0, show.stderr);
    t.match(show.stdout, /execve.*grep -E/, 'audit show lists the payload\'s execve with its argv');
    t.equal(tss(['audit', 'verify', cid]).code, 0, 'audit verify passes');
    const d = pod(['run', '--rm', '--network', 'none', IMG, 'sh', '-c', 'grep -E "^Seccomp_filters" /proc/self/status']);
    t.match(d.stdout, /Seccomp_filters:\s+2/, 'without it: podman\'s profile and the node\'s default');
    const u = pod(['run', '--rm', '--network', 'none', '--annotation', 'org.tssandbox.profile=unconfined', IMG, 'true']);
    t.not(u.code, 0);
    t.match(u.stderr, /may only tighten/);
    t.same(ociLeft(), []);
  });
}
