// test/policy/seccomp-kernel-podman.test.ts — podman's installed default seccomp profile through OCI mode's conversion and our compiler, checked in the kernel (tests, forks a throwaway process)
//
// The profile is read the way `tssandbox create` reads a bundle's linux.seccomp (readConfig, then
// bundleSeccompPolicy for the capabilities create grants), compiled, installed for real with every
// action replaced by a distinct ERRNO (./kernel-diff.ts), and each answer is checked three ways:
// kernel = interpreter of the compiled filter, = evaluate() of the policy, = an independent reading
// of the JSON (./oci-oracle.ts) except the two documented deltas of policy/oci-import.ts.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_ARCH, X32_SYSCALL_BIT, argTypes, syscallName, syscallNumber } from '../../abi/index.js';
import { readConfig } from '../../oci/config.js';
import { boundCaps, bundleSeccompPolicy, compileBundleSeccomp, DEFAULT_NODE_CONFIG } from '../../oci/policy.js';
import { actionKey, formatAction } from '../../policy/seccomp/actions.js';
import { compileUncached } from '../../policy/seccomp/compile.js';
import { evaluate } from '../../policy/seccomp/evaluate.js';
import type { SeccompPolicy } from '../../policy/seccomp/types.js';
import { loadProfile, parseOciJson } from '../../policy/index.js';
import { buildHelper, errnoVariant, interpreter, KernelDiff, type Case } from './kernel-diff.js';
import { ociDecides } from './oci-oracle.js';
import { EDGE, randomInput, rng } from './random-policy.js';

// shipped by golang-github-containers-common, a dependency of Debian's podman
const PODMAN_PROFILE = '/usr/share/containers/seccomp.json';
const CONTAINERS_CONF = '/usr/share/containers/containers.conf';
// podman's default_capabilities (containers/common pkg/config/default.go, containers.conf)
const PODMAN_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];

const ZERO = [0n, 0n, 0n, 0n, 0n, 0n];

if (process.arch !== 'x64') t.plan(0, 'the kernel differential drives x86_64 syscalls (int 0x80, x32)');
else if (!existsSync(PODMAN_PROFILE)) t.plan(0, `${PODMAN_PROFILE} is not installed (golang-github-containers-common, pulled in by podman: scripts/install-deps.sh)`);
else {
  const err = buildHelper();
  if (err) t.fail(err);
  const kd = new KernelDiff();
  t.teardown(() => kd.close());
  const text = readFileSync(PODMAN_PROFILE, 'utf8');
  const podman = parseOciJson(text, PODMAN_PROFILE);

  /** the bundle podman writes, reduced to what the conversion reads: caps and linux.seccomp */
  async function asOciMode(seccompText: string, caps: readonly string[]): Promise<{ policy: SeccompPolicy; caps: string[]; bundle: string }> {
    const bundle = join(kd.dir, `bundle-${Math.random().toString(36).slice(2)}`);
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'config.json'), `{"ociVersion": "1.2.0", "root": {"path": "rootfs"},
      "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"], "cwd": "/", "capabilities": {"bounding": ${JSON.stringify(caps)}}},
      "linux": {"seccomp": ${seccompText}}}`);
    const config = readConfig(bundle);
    // as create does: the node's profile bounds the bundle's capabilities, the filter is resolved for what is left
    const granted = boundCaps([loadProfile(DEFAULT_NODE_CONFIG.profile)], config.process.capabilities?.bounding ?? []);
    const policy = await bundleSeccompPolicy(config.linux?.seccomp, granted);
    if (!policy) throw new Error('no policy');
    return { policy, caps: granted, bundle };
  }

  const conf = existsSync(CONTAINERS_CONF) ? readFileSync(CONTAINERS_CONF, 'utf8').match(/^default_capabilities\s*=\s*\[([^\]]*)\]/m) : null;
  t.test('podman\'s default capabilities are the ones containers.conf lists', { skip: !conf && `${CONTAINERS_CONF} does not set default_capabilities` }, async (t) => {
    const m = conf!;
    const listed = [...m[1]!.matchAll(/"([A-Z_]+)"/g)].map((x) => `CAP_${x[1]!.replace(/^CAP_/, '')}`);
    t.same(listed.sort(), [...PODMAN_CAPS].sort());
  });

  t.test('podman\'s profile in the kernel: every syscall, its argument rules on edge values, random inputs', async (t) => {
    const { policy, caps, bundle } = await asOciMode(text, PODMAN_CAPS);
    t.same(caps, PODMAN_CAPS, 'the node\'s default profile keeps all of podman\'s capabilities');
    // what create installs is exactly what is checked here
    // its compile cache goes under the bundle (removed with kd.dir), not the host's data root
    process.env.TSSANDBOX_ROOT = join(bundle, 'root');
    try {
      t.same((await compileBundleSeccomp(readConfig(bundle).linux?.seccomp, caps))?.bytes, compileUncached(policy, 'x86_64').bytes, 'compileBundleSeccomp installs this filter');
    } finally { delete process.env.TSSANDBOX_ROOT; }

    const skip = kd.unfiltered();
    if (skip.size) t.comment(`this kernel answers x86_64 syscalls ${[...skip].join(', ')} before seccomp; left out`);
    const cases: Case[] = [];
    // every x86_64 number, known or not, with zero and all-ones arguments
    for (let nr = 0; nr < 1024; nr++) {
      if (skip.has(nr)) continue;
      cases.push({ abi: 'x86_64', nr, args: ZERO }, { abi: 'x86_64', nr, args: ZERO.map(() => 0xffffffffffffffffn) });
    }
    // the argument rules (socket, personality): each compared argument over the edge values and
    // the profile's own constants, with and without high bits, alone and in pairs
    const ruled = [...new Set(policy.rules.filter((r) => r.when && r.when.kind !== 'any').map((r) => r.syscall))];
    t.ok(ruled.includes('socket') && ruled.includes('personality'), `argument rules on ${ruled.join(', ')}`);
    const consts = new Set<bigint>(EDGE);
    for (const s of podman.syscalls ?? []) for (const a of s.args ?? []) for (const v of [BigInt(a.value), BigInt(a.value) + 1n, BigInt(a.value) - 1n, BigInt(a.value) | (1n << 32n)]) consts.add(v & 0xffffffffffffffffn);
    for (const name of ruled) {
      const nr = syscallNumber('x86_64', name)!;
      const idx = [...new Set((podman.syscalls ?? []).filter((s) => s.names?.includes(name)).flatMap((s) => (s.args ?? []).map((a) => a.index)))];
      for (const i of idx) for (const v of consts) cases.push({ abi: 'x86_64', nr, args: ZERO.map((z, k) => (k === i ? v : z)) });
      if (idx.length === 2) for (const v of consts) for (const w of consts) cases.push({ abi: 'x86_64', nr, args: ZERO.map((z, k) => (k === idx[0] ? v : k === idx[1] ? w : z)) });
    }
    // foreign ABIs (delta 1: i386 via int 0x80, x32 via the x86_64 entry)
    for (const n of ['getpid', 'socket', 'personality', 'read']) {
      cases.push({ abi: 'i386', nr: syscallNumber('i386', n)!, args: ZERO }, { abi: 'x86_64', nr: syscallNumber('x32', n)!, args: ZERO });
    }
    // random inputs: mostly the syscalls the policy names, random arguments
    const r = rng(11);
    for (let i = 0; i < 4000; i++) {
      const d = randomInput(r, policy);
      if (d.abi !== 'i386' && skip.has(d.nr)) continue;
      cases.push({ abi: d.abi === 'i386' ? 'i386' : 'x86_64', nr: d.nr, args: [...d.args] });
    }

    const variant = errnoVariant(policy);
    const got = kd.kernel(variant.policy, cases);
    const want = interpreter(variant.policy);
    let bad = 0; let deltas = 0; let oracle = 0;
    const fail = (msg: string) => { if (bad++ < 8) t.fail(msg); };
    cases.forEach((c, j) => {
      const at = `${c.abi} nr ${c.nr} args ${c.args.map((a) => `0x${a.toString(16)}`).join(',')}`;
      if (got[j] !== want(c)) return fail(`${at}: kernel ${got[j]}, interpreter ${want(c)}`);
      const arch = c.abi === 'i386' ? AUDIT_ARCH.i386 : AUDIT_ARCH.x86_64;
      const v = evaluate(policy, 'x86_64', { nr: c.nr, arch, args: c.abi === 'i386' ? c.args.map((a) => a & 0xffffffffn) : c.args });
      if (variant.decode(got[j]!) !== actionKey(v.action)) return fail(`${at}: kernel ${got[j]} (${variant.decode(got[j]!)}), policy says ${formatAction(v.action)}`);
      // the JSON's own semantics, for native x86_64 calls of syscalls this ABI has
      if (c.abi !== 'x86_64' || c.nr >= X32_SYSCALL_BIT) return;
      const name = syscallName('x86_64', c.nr);
      if (!name) return;
      oracle++;
      const theirs = ociDecides(podman, caps, name, c.args);
      const ours = formatAction(v.action);
      if (ours === theirs) return;
      // delta 2: an int argument the profile compares is read on its low 32 bits
      const compared = (podman.syscalls ?? []).filter((s) => s.names?.includes(name)).flatMap((s) => (s.args ?? []).map((a) => a.index));
      const high = compared.some((i) => argTypes(name)?.[i]?.[1] === 'int' || argTypes(name)?.[i]?.[1] === 'unsigned int' ? (c.args[i]! >> 32n) !== 0n : false);
      if (high) { deltas++; return; }
      fail(`${name}(${c.args.map((a) => `0x${a.toString(16)}`).join(', ')}): ours ${ours}, podman's profile ${theirs}`);
    });
    t.equal(bad, 0, `${cases.length} real syscalls: kernel = interpreter = policy; ${oracle} x86_64 ones = podman's JSON (${deltas} differ only by delta 2, high bits of an int argument)`);
  });

  t.test('the decisions that make podman\'s profile what it is, as the kernel gives them', async (t) => {
    const { policy } = await asOciMode(text, PODMAN_CAPS);
    const variant = errnoVariant(policy);
    const x = (name: string, ...a: bigint[]): Case => ({ abi: 'x86_64', nr: syscallNumber('x86_64', name)!, args: [...a, ...ZERO].slice(0, 6) });
    const expect: Array<[Case, string, string]> = [
      [x('socket', 16n, 3n, 9n), 'errno(EINVAL)', 'socket(AF_NETLINK, NETLINK_AUDIT): EINVAL (no CAP_AUDIT_WRITE)'],
      [x('socket', 16n, 3n, 0n), 'allow', 'socket(AF_NETLINK, NETLINK_ROUTE)'],
      [x('socket', 2n, 1n, 9n), 'allow', 'socket(AF_INET, …, 9)'],
      [x('socket', 0x100000010n, 3n, 9n), 'errno(EINVAL)', 'socket(AF_NETLINK | 1<<32, NETLINK_AUDIT): the kernel reads an int (delta 2)'],
      [x('personality', 0n), 'allow', 'personality(PER_LINUX)'],
      [x('personality', 8n), 'allow', 'personality(UNAME26)'],
      [x('personality', 0xffffffffn), 'allow', 'personality(0xffffffff): query'],
      [x('personality', 1n), 'errno(ENOSYS)', 'personality(1): the default, ENOSYS'],
      [x('chroot'), 'allow', 'chroot: CAP_SYS_CHROOT is one of podman\'s'],
      [x('bpf'), 'errno(EPERM)', 'bpf: no CAP_SYS_ADMIN'],
      [x('open_by_handle_at'), 'errno(EPERM)', 'open_by_handle_at: no CAP_DAC_READ_SEARCH'],
      [x('kexec_load'), 'errno(EPERM)', 'kexec_load'],
      [x('setns'), 'allow', 'setns: the unconditional allow comes first (libseccomp keeps the first)'],
      [x('clone', 0x10000000n), 'allow', 'clone(CLONE_NEWUSER): podman\'s profile has no clone rule'],
      [x('arch_prctl'), 'allow', 'arch_prctl: includes.arches amd64'],
      [{ abi: 'x86_64', nr: 1000, args: ZERO }, 'errno(ENOSYS)', 'an unknown number: ENOSYS'],
      [{ abi: 'i386', nr: 20, args: ZERO }, 'kill_process', 'i386 getpid: foreign ABI, killed (delta 1)'],
    ];
    const got = kd.kernel(variant.policy, expect.map((e) => e[0]));
    const act = new Map(policy.rules.map((r) => [actionKey(r.action), formatAction(r.action)]));
    for (const a of [policy.defaultAction, policy.foreignAction, { kind: 'errno', errno: 38 } as const]) act.set(actionKey(a), formatAction(a));
    expect.forEach(([, want, what], i) => t.equal(act.get(variant.decode(got[i]!)!), want, what));
  });

  t.test('OCI mode keeps 64-bit argument values of config.json exact', async (t) => {
    // lseek(fd, offset == -1): 0xffffffffffffffff as a JSON number is rounded by JSON.parse
    const sc = '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["lseek"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 1, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}]}';
    const { policy } = await asOciMode(sc, []);
    const ev = (off: bigint) => formatAction(evaluate(policy, 'x86_64', { nr: syscallNumber('x86_64', 'lseek')!, arch: AUDIT_ARCH.x86_64, args: [3n, off, 0n, 0n, 0n, 0n] }).action);
    t.equal(ev(0xffffffffffffffffn), 'errno(EPERM)', 'offset -1 matches');
    t.equal(ev(384n), 'allow', 'offset 384 (2^64 + 384 after rounding, wrapped) does not');
  });
}
