// test/selftest/probe-bwrap.test.ts — the escape-battery probe under bubblewrap: format, safety gate, known facts (host; needs cc + bwrap)
//
// bwrap stands in for the tssandbox launcher until that exists: a user namespace (root inside =
// nobody outside), every other namespace unshared, no capabilities, no_new_privs, NO seccomp
// filter, a read-only host tree. The facts asserted below follow from exactly that.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PROBE_BIN, TESTFILTER_BIN, buildProbe, buildTestFilter, bwrapPrefix, bwrapWorks, runProbe, withAbstractListener, withLoopbackListener,
} from '../helpers/probe.js';
import { PROBE_CATALOG, PROBE_IDS } from '../../sandbox/selftest/catalog.js';
import { newProbeToken } from '../../sandbox/selftest/probe-args.js';

const noBuild = buildProbe();
const noBwrap = noBuild ? null : bwrapWorks();
const noFilter = noBuild ?? noBwrap ? null : buildTestFilter();

t.test('the safety gate refuses on the host without a token, before any probe', { skip: noBuild ?? false }, async (t) => {
  // Reading probe.c: main() only parses argv before gate(); the gate only reads. So these host
  // runs cannot reach a probe: no token means refusal at the first check.
  const none = await runProbe({ prefix: [], argv: [], noProbeEnv: true });
  t.equal(none.code, 2, 'exit 2 without --token');
  t.equal(none.run.refused?.includes('no --token'), true, none.stdout);
  t.equal(none.run.results.size, 0, 'no probe line');
  t.equal(none.run.started, false, 'no start line');
  t.equal(none.stdout.trim().split('\n').length, 1, 'exactly one JSON line');

  const argvOnly = await runProbe({ prefix: [], argv: ['--token', newProbeToken()], noProbeEnv: true });
  t.equal(argvOnly.code, 2, 'exit 2 when the token is not in the environment too');
  t.match(argvOnly.run.refused, /TSS_PROBE_TOKEN/);
  t.equal(argvOnly.run.results.size, 0);
});

t.test('the probe under bwrap', { skip: noBuild ?? noBwrap ?? false }, async (t) => {
  const prefix = bwrapPrefix();

  t.test('--list names exactly the catalog', async (t) => {
    const r = spawnSync(prefix[0]!, [...prefix.slice(1), PROBE_BIN, '--list'], { encoding: 'utf8' });
    t.equal(r.status, 0);
    t.same(r.stdout.trim().split('\n').sort(), [...PROBE_IDS].sort());
  });

  t.test('the gate refuses inside a sandbox with a wrong token', async (t) => {
    const r = await runProbe({ prefix, env: { TSS_PROBE_TOKEN: newProbeToken() } });
    t.equal(r.code, 2);
    t.match(r.run.refused, /does not match/);
    t.equal(r.run.results.size, 0);
  });

  t.test('the gate refuses when the namespaces it runs in are named as the host\'s', async (t) => {
    // the host inode variables are set inside the sandbox to the sandbox's own namespaces
    for (const ns of ['user', 'mnt']) {
      const v = ns === 'user' ? 'TSS_PROBE_HOST_USERNS' : 'TSS_PROBE_HOST_MNTNS';
      const token = newProbeToken();
      const r = spawnSync(prefix[0]!, [...prefix.slice(1), '/bin/sh', '-c',
        `${v}=$(stat -L -c %i /proc/self/ns/${ns}) exec "$0" --token "$1"`, PROBE_BIN, token], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, TSS_PROBE_TOKEN: token, TSS_PROBE_HOST_USERNS: '1', TSS_PROBE_HOST_MNTNS: '1' },
      });
      t.equal(r.status, 2, `${ns}: exit 2`);
      t.match(r.stdout, new RegExp(`"meta":"refused".*host's ${ns === 'user' ? 'user' : 'mount'} namespace`), r.stdout);
      t.notMatch(r.stdout, /"probe":/, `${ns}: no probe ran`);
    }
  });

  t.test('a full run is well-formed and shows what bwrap does and does not stop', async (t) => {
    const r = await withLoopbackListener((port) => withAbstractListener((name) =>
      runProbe({ prefix, hostPort: port, hostAbstract: name, memMib: 32, forkMax: 64 })));
    t.equal(r.code, 0, r.stderr);
    t.equal(r.run.started && r.run.complete, true, 'start and done lines');
    t.same(r.run.stray, [], 'nothing but JSON lines');
    t.same([...r.run.results.keys()].sort(), [...PROBE_IDS].sort(), 'every probe reported once');
    const res = (id: string): string => r.run.results.get(id)?.result ?? 'missing';
    const line = (id: string): string => JSON.stringify(r.run.results.get(id));

    // no capabilities in any set: every privileged operation is refused with EPERM
    t.equal(res('caps'), 'blocked', line('caps'));
    for (const id of ['mount', 'umount', 'remount_root', 'fsopen', 'open_tree', 'move_mount', 'mount_setattr',
      'unshare', 'clone3_ns', 'setns', 'chroot', 'pivot_root', 'reboot', 'settimeofday', 'mknod', 'raw_socket', 'packet_socket']) {
      t.equal(res(id), 'blocked', line(id));
      t.equal(r.run.results.get(id)?.errno, 'EPERM', `${id} refused with EPERM`);
    }
    t.equal(res('no_new_privs'), 'blocked', 'bwrap sets no_new_privs');
    t.equal(res('uid_map'), 'blocked', 'root inside is nobody outside');
    t.equal(res('rootfs_write'), 'blocked', 'the host tree is bound read-only');
    t.equal(res('net_interfaces'), 'blocked', 'only lo in the new network namespace');
    t.equal(res('host_loopback'), 'blocked', 'the host\'s 127.0.0.1 listener is out of reach');
    t.equal(res('host_abstract_unix'), 'blocked', 'the host\'s abstract socket is out of reach');
    t.equal(res('host_pids'), 'blocked', 'a private pid namespace');
    // bwrap passes on whatever it inherits: only fds this test process itself inherited may show
    const leaked = [...(r.run.results.get('leaked_fds')?.detail ?? '').matchAll(/(\d+)->/g)].map((m) => Number(m[1]));
    for (const fd of leaked) t.ok(existsSync(`/proc/self/fd/${fd}`), `leaked fd ${fd} came from outside the test`);
    t.equal(res('host_disks'), 'blocked', 'bwrap\'s /dev has no block devices');
    // bwrap loads no seccomp filter: what only a filter stops goes through here
    t.equal(res('seccomp'), 'allowed', line('seccomp'));
    t.equal(res('personality'), 'allowed', line('personality'));
    t.equal(res('ptrace'), 'allowed', line('ptrace'));
    t.equal(res('process_vm_readv'), 'allowed', line('process_vm_readv'));
    const maxUserNs = Number(readFileSync('/proc/sys/user/max_user_namespaces', 'utf8'));
    t.equal(res('userns_nested'), maxUserNs > 0 ? 'allowed' : 'blocked', 'bwrap does not stop nested user namespaces');
    t.not(res('x32_syscall'), 'blocked', 'no filter: x32 is the kernel\'s call');
    t.not(res('i386_int80'), 'blocked', 'no filter: i386 is the kernel\'s call');
    // bounded resource probes without limits reach their bound
    t.equal(res('fork_storm'), 'allowed', line('fork_storm'));
    t.equal(res('memory_hog'), 'allowed', line('memory_hog'));
    // every "unavailable" names its kernel reason
    for (const p of r.run.results.values()) if (p.result === 'unavailable') t.ok(p.detail.length > 10, `${p.probe}: ${p.detail}`);
  });

  t.test('leaked_fds sees an fd the harness leaks on purpose', async (t) => {
    const r = await runProbe({ prefix, only: ['leaked_fds'], leakFd: true });
    t.equal(r.run.results.get('leaked_fds')?.result, 'allowed');
    t.match(r.run.results.get('leaked_fds')?.detail, /\b3->(pipe|socket):/);
  });

  t.test('the resource probes stop at the limits the harness sets', async (t) => {
    // prlimit before the sandbox: RLIMIT_AS caps the hog's mappings, RLIMIT_NPROC the storm
    const limited = ['prlimit', '--as=268435456', '--nproc=48', '--', ...prefix];
    const r = await runProbe({ prefix: limited, only: ['fork_storm', 'memory_hog'], memMib: 512, forkMax: 200 });
    t.equal(r.code, 0, r.stderr);
    t.equal(r.run.complete, true);
    t.equal(r.run.results.get('memory_hog')?.result, 'blocked', JSON.stringify(r.run.results.get('memory_hog')));
    t.equal(r.run.results.get('fork_storm')?.result, 'blocked', JSON.stringify(r.run.results.get('fork_storm')));
    t.equal(r.run.results.get('fork_storm')?.errno, 'EAGAIN');
  });

  t.test('under a seccomp filter: a kill is a verdict, a filter\'s ENOSYS is not "unavailable"', { skip: noFilter ?? false }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tss-probe-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const bpf = join(dir, 'filter.bpf');
    const w = spawnSync(TESTFILTER_BIN, [bpf], { encoding: 'utf8' });
    t.equal(w.status, 0, w.stderr);
    const r = await runProbe({
      prefix: bwrapPrefix(['--seccomp', '3']), fd3File: bpf,
      only: ['seccomp', 'mount', 'clone3_ns', 'iopl', 'i386_int80', 'x32_syscall', 'caps'],
    });
    t.equal(r.run.complete, true, 'the run survives the killed probes');
    const get = (id: string) => r.run.results.get(id);
    t.equal(get('seccomp')?.result, 'blocked', 'a filter is loaded');
    t.match(get('seccomp')?.detail, /mode 2/);
    t.equal(get('mount')?.errno, 'EPERM');
    t.equal(get('clone3_ns')?.result, 'blocked', 'ENOSYS from a filter is not the kernel\'s');
    t.equal(get('clone3_ns')?.errno, 'ENOSYS');
    t.equal(get('iopl')?.result, 'blocked');
    t.match(get('i386_int80')?.detail, /SIGSYS/, 'i386 killed by the filter');
    t.match(get('x32_syscall')?.detail, /SIGSYS/, 'x32 killed by the filter');
    t.equal(get('i386_int80')?.result, 'blocked');
    t.equal(get('x32_syscall')?.result, 'blocked');
  });

  t.test('--only and --skip select probes; probes needing a harness resource are left out without it', async (t) => {
    const r = await runProbe({ prefix, only: ['caps', 'seccomp', 'host_loopback', 'memory_hog'] });
    t.same([...r.run.results.keys()].sort(), ['caps', 'seccomp']);
    const s = await runProbe({ prefix, skip: PROBE_CATALOG.map((p) => p.id).filter((id) => id !== 'uid_map') });
    t.same([...s.run.results.keys()], ['uid_map']);
  });
});
