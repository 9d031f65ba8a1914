// test/sandbox/run-userns-refused.test.ts — a host that refuses the user namespace gets a one-line error, not a hung launcher (tests, root)
//
// The launcher's helper child makes the user namespace (native/launcher/userns.c). When that
// unshare fails the helper exits at once; the launcher must see EOF on its pipe and report it. The
// runtime is run under a filter that answers unshare(CLONE_NEWUSER) with EPERM, as a host with
// user namespaces switched off (or a chroot) would.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { BUILD, CLI, REPO_ROOT } from '../helpers/paths.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const HELPER = join(BUILD, 'seccomp-diff');
const skip = rootMissing() || busyboxMissing() || (process.arch !== 'x64' ? 'the filter below is written for x86_64' : '');
if (skip) t.plan(0, skip);
else {
  const made = spawnSync('make', ['-s', '-C', join(REPO_ROOT, 'native/seccomp-diff'), `BUILD=${BUILD}`], { encoding: 'utf8' });
  if (made.status !== 0 || !existsSync(HELPER)) t.fail(`make seccomp-diff: ${made.stderr}`);
  const sb = new Sandbox('userns-refused');
  const tmp = mkdtempSync(join(tmpdir(), 'tss-userns-refused-'));
  t.teardown(() => { sb.cleanup(); rmSync(tmp, { recursive: true, force: true }); });
  await sb.importBusybox('bb');

  // unshare (272) with CLONE_NEWUSER (0x10000000) in its flags → ERRNO(EPERM); everything else allowed
  const insns: [number, number, number, number][] = [
    [0x20, 0, 0, 0],              // ld nr
    [0x15, 0, 3, 272],            // jeq unshare ? next : allow
    [0x20, 0, 0, 16],             // ld args[0] (low word)
    [0x45, 0, 1, 0x10000000],     // jset CLONE_NEWUSER ? eperm : allow
    [0x06, 0, 0, 0x00050000 | 1], // ret ERRNO(EPERM)
    [0x06, 0, 0, 0x7fff0000],     // ret ALLOW
  ];
  const bpf = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, jt, jf, k], i) => { bpf.writeUInt16LE(code, i * 8); bpf.writeUInt8(jt, i * 8 + 2); bpf.writeUInt8(jf, i * 8 + 3); bpf.writeUInt32LE(k, i * 8 + 4); });
  const filter = join(tmp, 'no-userns.bpf');
  writeFileSync(filter, bpf);

  t.test('run ends with one line naming the step when the user namespace is refused', async (t) => {
    const r = spawnSync(HELPER, ['exec', filter, process.execPath, CLI, 'run', '--rm', '--cgroup-parent', sb.cgroupParent, 'bb', 'true'],
      { env: sb.env(), encoding: 'utf8', timeout: 20_000 });
    t.not(r.signal, 'SIGTERM', 'the run ended by itself (a launcher waiting on its helper would hang until the timeout)');
    t.not(r.status, 0, 'a non-zero exit');
    const lines = r.stderr.trim().split('\n').filter(Boolean);
    t.equal(lines.length, 1, `one line: ${r.stderr}`);
    t.match(r.stderr, /userns|user namespace/i, 'it names the user namespace');
    t.same(sb.leftovers(), [], 'nothing left behind');
  });
}
