// test/policy/oci.test.ts — Docker/OCI seccomp JSON in and out: Docker's default imports with exactly the documented deltas, and export → import keeps every decision (tests, pure)
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_ARCH, X32_SYSCALL_BIT, syscallNumbers } from '../../abi/index.js';
import { evaluate, formatAction, listBuiltinProfiles, loadProfile, type SeccompPolicy } from '../../policy/index.js';
import { diffPolicies, formatDiff, sampleArgs } from '../../policy/diff.js';
import { loadProfileText } from '../../policy/load.js';
import { DOCKER_DEFAULT_CAPS, importOciSeccomp, parseOciJson, type OciSeccomp } from '../../policy/oci-import.js';
import { exportOciSeccomp, ociJson } from '../../policy/oci-export.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { ociDecides } from './oci-oracle.js';

// A copy of ../shared/data/docker-default-seccomp.json (moby profiles/seccomp/default.json).
const FIXTURE = join(REPO_ROOT, 'test/fixtures/seccomp/docker-default-seccomp.json');
const docker = parseOciJson(readFileSync(FIXTURE, 'utf8'), 'docker-default-seccomp.json');
const imported = loadProfileText(importOciSeccomp(docker).yaml, 'docker-default.yaml').seccomp!;

/** dockerDecides: Docker's semantics (./oci-oracle.ts) for its default capabilities on an amd64 host */
const dockerDecides = (o: OciSeccomp, name: string, args: readonly bigint[]): string => ociDecides(o, DOCKER_DEFAULT_CAPS, name, args);

t.test("importing Docker's default agrees with Docker for its 14 capabilities, except exactly the documented deltas", async (t) => {
  const extra = [0x100000028n, 0x100000000n, 0x1ffffffffn, 0xffffffff00000002n, 0x100000011n];
  const deltas = new Map<string, number>();
  let compared = 0;
  for (const [nr, name] of syscallNumbers('x86_64')) {
    const samples = sampleArgs([imported], name, 'x86_64');
    if (samples.length > 1) for (const v of extra) samples.push([v, 0n, 0n, 0n, 0n, 0n], [0n, v, 0n, 0n, 0n, 0n]);
    for (const args of samples) {
      compared++;
      const ours = formatAction(evaluate(imported, 'x86_64', { nr, arch: AUDIT_ARCH.x86_64, args }).action);
      const theirs = dockerDecides(docker, name, args);
      if (ours === theirs) continue;
      // Delta 2: an int argument compared on its low 32 bits. Only possible with high bits set.
      const int32 = name === 'socket' || name === 'personality';
      if (!int32 || (args[0]! >> 32n) === 0n) t.fail(`${name}(${args.map((a) => `0x${a.toString(16)}`).join(', ')}): ours ${ours}, Docker ${theirs}`);
      deltas.set(name, (deltas.get(name) ?? 0) + 1);
    }
  }
  t.same([...deltas.keys()].sort(), ['personality', 'socket'], `delta 2 shows only on socket(domain) and personality(persona) (${compared} inputs compared)`);
  t.equal(formatAction(evaluate(imported, 'x86_64', { nr: 41, arch: AUDIT_ARCH.x86_64, args: [0x100000028n, 1n, 0n, 0n, 0n, 0n] }).action), 'errno(EPERM)', 'socket(0x1_0000_0028) is AF_VSOCK: denied');
  t.equal(dockerDecides(docker, 'socket', [0x100000028n, 1n]), 'allow', '…which Docker lets through its "> 40" rule');
  // Delta 1: foreign ABIs. Docker's archMap adds x86 and x32 on amd64; we kill them.
  t.equal(formatAction(evaluate(imported, 'x86_64', { nr: 20, arch: AUDIT_ARCH.i386, args: [] }).action), 'kill_process', 'i386 getpid (int 0x80) killed');
  t.equal(formatAction(evaluate(imported, 'x86_64', { nr: X32_SYSCALL_BIT + 39, arch: AUDIT_ARCH.x86_64, args: [] }).action), 'kill_process', 'x32 getpid killed');
  t.ok(docker.archMap?.some((m) => m.architecture === 'SCMP_ARCH_X86_64' && m.subArchitectures?.includes('SCMP_ARCH_X86')), 'Docker allows them');
  const asked = loadProfileText(importOciSeccomp(docker, { foreignArches: true }).yaml, 'd.yaml').seccomp!;
  t.equal(formatAction(evaluate(asked, 'x86_64', { nr: 20, arch: AUDIT_ARCH.i386, args: [] }).action), 'allow', '--foreign-arches keeps them');
});

t.test('capabilities select Docker rules', async (t) => {
  const withAdmin = loadProfileText(importOciSeccomp(docker, { caps: [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN'] }).yaml, 'a.yaml').seccomp!;
  const x = (p: SeccompPolicy, nr: number, ...args: bigint[]): string => formatAction(evaluate(p, 'x86_64', { nr, arch: AUDIT_ARCH.x86_64, args: [...args, 0n, 0n, 0n, 0n, 0n, 0n] }).action);
  t.equal(x(withAdmin, 165), 'allow', 'SYS_ADMIN: mount allowed'); t.equal(x(imported, 165), 'errno(EPERM)', 'default caps: mount denied');
  t.equal(x(withAdmin, 435), 'allow', 'SYS_ADMIN: clone3 allowed'); t.equal(x(imported, 435), 'errno(ENOSYS)', 'default caps: clone3 → ENOSYS');
  t.equal(x(imported, 161), 'allow', 'SYS_CHROOT is a default cap: chroot allowed');
  const none = loadProfileText(importOciSeccomp(docker, { caps: [] }).yaml, 'n.yaml').seccomp!;
  t.equal(x(none, 161), 'errno(EPERM)', 'without SYS_CHROOT: chroot denied');
});

t.test('export → import keeps every decision, for each built-in and for imported Docker', async (t) => {
  const policies: Array<[string, SeccompPolicy]> = listBuiltinProfiles().filter((n) => n !== 'unconfined').map((n) => [n, loadProfile(n).seccomp!]);
  policies.push(['docker-import', imported]);
  for (const [name, p] of policies) {
    for (const host of ['x86_64', 'aarch64'] as const) {
      const out = exportOciSeccomp(p, host);
      const text = ociJson(out.profile);
      const back = loadProfileText(importOciSeccomp(parseOciJson(text, `${name}.json`), { caps: [] }).yaml, `${name}.json.yaml`).seccomp!;
      const d = diffPolicies(p, back, host);
      t.same(d.map(formatDiff), [], `${name} on ${host}: ${out.profile.syscalls?.length} entries, same decisions`);
    }
  }
});

t.test('export writes only comparisons libseccomp evaluates exactly on int arguments', async (t) => {
  const out = exportOciSeccomp(loadProfile('strict').seccomp!, 'x86_64').profile;
  const socket = (out.syscalls ?? []).filter((s) => s.names?.includes('socket') && s.args?.length);
  t.ok(socket.length > 0);
  for (const s of socket) for (const a of s.args!) {
    t.equal(a.op, 'SCMP_CMP_MASKED_EQ', 'int argument: masked compare');
    t.ok(BigInt(a.value) <= 0xffffffffn, 'mask inside the low 32 bits, so the high half is ignored as the kernel does');
  }
  t.equal(out.defaultAction, 'SCMP_ACT_ERRNO'); t.equal(out.defaultErrnoRet, 1);
  t.same(out.architectures, ['SCMP_ARCH_X86_64']);
  t.notOk((out.syscalls ?? []).some((s) => s.names?.includes('unshare')), 'denied syscalls are the default, not listed');
});
