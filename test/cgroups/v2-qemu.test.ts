// test/cgroups/v2-qemu.test.ts — the cgroup v2 lane: runs test/cgroups/v2-qemu.sh, a Debian kernel under qemu with only cgroup2 (host, root)
//
// The guest runs busybox checks of the v2 file operations and then this directory's compiled test
// files with the host's node over a read-only 9p root; the script's console log is printed here.
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
  t.same(failed, [], 'every guest check passed');
  t.ok(lines.some((l) => l.startsWith('TSS-V2: ok - dist/test/cgroups/host.test.js')), 'the real-kernel test file ran in the guest');
  t.ok(lines.includes('TSS-V2-RESULT pass'), 'the guest reported pass');
  t.equal(r.status, 0, `v2-qemu.sh exit status (stderr: ${r.stderr.trim().split('\n').at(-1) ?? ''})`);
});
