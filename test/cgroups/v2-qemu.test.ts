// test/cgroups/v2-qemu.test.ts — the cgroup v2 lane: runs test/cgroups/v2-qemu.sh, a Debian kernel under qemu with only cgroup2 (host, root)
//
// The guest runs busybox checks of the v2 file operations and then compiled test files (the cgroup
// ones and test/sandbox/run-quotas: containers under pids/memory/cpu limits and --timeout) with the
// host's node over a read-only 9p root; the guest's per-test TAP lines are printed here.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

function whyNot(): string | false {
  if (process.env.TSS_IN_V2_GUEST) return 'already inside the v2 guest';
  if (process.geteuid?.() !== 0) return 'needs root (/dev/kvm and the 9p export of /)';
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/kvm is missing or not usable';
  }
  if (spawnSync('sh', ['-c', 'command -v qemu-system-x86_64']).status !== 0) return 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)';
  return false;
}

t.test('cgroup v2 lane in a qemu guest', { skip: whyNot() }, async (t) => {
  const r = spawnSync('sh', [join(REPO_ROOT, 'test/cgroups/v2-qemu.sh')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status === 77) {
    t.plan(0, r.stderr.trim().split('\n').at(-1) ?? 'v2-qemu.sh cannot run here');
    return;
  }
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('TSS-V2'));
  t.comment(lines.join('\n'));
  const failed = lines.filter((l) => l.startsWith('TSS-V2: not ok'));
  t.same(failed, [], 'every guest check and test file passed');
  t.ok(lines.some((l) => l.startsWith('TSS-V2: ok - dist/test/cgroups/host.test.js')), 'the real-kernel cgroup test file ran in the guest');
  // issue #5's "same on the v2 lane": these run-level tests ran (not skipped) and passed in the guest
  for (const name of ['a fork bomb stops at the pids limit', '--memory: over the limit exits 137', '--cpus 0.25 keeps a busy loop', '--timeout ends a long sleep']) {
    t.ok(lines.some((l) => l.startsWith(`TSS-V2-TAP: ok `) && l.includes(name) && !l.includes('# SKIP')), `in the guest: ${name}`);
  }
  t.ok(lines.includes('TSS-V2-RESULT pass'), 'the guest reported pass');
  t.equal(r.status, 0, `v2-qemu.sh exit status (stderr: ${r.stderr.trim().split('\n').at(-1) ?? ''})`);
});
