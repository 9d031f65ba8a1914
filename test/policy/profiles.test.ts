// test/policy/profiles.test.ts — the built-in profiles: each loads and compiles, keeps DESIGN §3's "always" list, and no child can loosen it (tests, pure)
import t from 'tap';
import { CAPABILITIES } from '../../abi/index.js';
import { AUDIT_ARCH, CONSTANTS, X32_SYSCALL_BIT, syscallNumber } from '../../abi/index.js';
import { SandboxError } from '../../common/errors.js';
import { compileSeccomp, evaluate, formatAction, listBuiltinProfiles, loadProfile, type SeccompPolicy } from '../../policy/index.js';
import { loadProfileText } from '../../policy/load.js';
import { PROFILES_DIR } from '../../policy/load.js';

const CONFINED = ['strict', 'default', 'lab', 'learn'];
const DOCKER_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'].map((c) => `CAP_${c}`);
const ALWAYS_DENIED = ['unshare', 'setns', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'bpf', 'perf_event_open', 'userfaultfd',
  'keyctl', 'add_key', 'request_key', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'open_by_handle_at',
  'mount', 'umount2', 'pivot_root', 'fsopen', 'fsmount', 'fsconfig', 'fspick', 'move_mount', 'open_tree', 'mount_setattr'];

const decide = (p: SeccompPolicy, name: string, ...args: bigint[]): string => {
  const a = [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6);
  return formatAction(evaluate(p, 'x86_64', { nr: syscallNumber('x86_64', name)!, arch: AUDIT_ARCH.x86_64, args: a }).action);
};

t.test('the five built-ins exist, load, and compile for x86_64 and aarch64', async (t) => {
  t.same(listBuiltinProfiles(), ['default', 'lab', 'learn', 'strict', 'unconfined'], 'profiles/base/* are layers, not profiles');
  for (const name of listBuiltinProfiles()) {
    const p = loadProfile(name);
    t.equal(p.name, name);
    if (name === 'unconfined') continue;
    for (const arch of ['x86_64', 'aarch64'] as const) {
      const c = compileSeccomp(p.seccomp!, arch);
      t.ok(c.instructions > 50 && c.instructions < 400, `${name} ${arch}: ${c.instructions} instructions`);
    }
  }
});

t.test('every confined profile keeps the "always" list', async (t) => {
  for (const name of CONFINED) {
    const p = loadProfile(name);
    const s = p.seccomp!;
    t.equal(p.noNewPrivileges, true, `${name}: no_new_privs`);
    t.ok(p.maskedPaths.includes('/proc/kcore') && p.readonlyPaths.includes('/proc/sys'), `${name}: Docker's masks`);
    for (const sc of ALWAYS_DENIED) t.equal(decide(s, sc), 'errno(EPERM)', `${name}: ${sc} denied`);
    t.equal(decide(s, 'clone3'), 'errno(ENOSYS)', `${name}: clone3 → ENOSYS`);
    t.equal(decide(s, 'clone', 0x11n), 'allow', `${name}: fork-style clone allowed`);
    for (const f of ['CLONE_NEWUSER', 'CLONE_NEWNS', 'CLONE_NEWNET', 'CLONE_NEWPID']) {
      t.equal(decide(s, 'clone', BigInt(CONSTANTS[f]!) | 0x11n), 'errno(EPERM)', `${name}: clone(${f}) denied`);
    }
    t.equal(decide(s, 'ioctl', 0n, BigInt(CONSTANTS.TIOCSTI!)), 'errno(EPERM)', `${name}: TIOCSTI`);
    t.equal(decide(s, 'ioctl', 0n, BigInt(CONSTANTS.TIOCSTI!) | 0x100000000n), 'errno(EPERM)', `${name}: TIOCSTI with high bits`);
    t.equal(decide(s, 'ioctl', 0n, BigInt(CONSTANTS.TIOCLINUX!)), 'errno(EPERM)', `${name}: TIOCLINUX`);
    t.equal(decide(s, 'ioctl', 0n, 0x5401n), 'allow', `${name}: TCGETS allowed`);
    t.equal(formatAction(evaluate(s, 'x86_64', { nr: 20, arch: AUDIT_ARCH.i386, args: [] }).action), 'kill_process', `${name}: int 0x80 killed`);
    t.equal(formatAction(evaluate(s, 'x86_64', { nr: X32_SYSCALL_BIT + 39, arch: AUDIT_ARCH.x86_64, args: [] }).action), 'kill_process', `${name}: x32 killed`);
  }
});

t.test('default, lab, learn, unconfined carry their DESIGN §3 settings', async (t) => {
  const d = loadProfile('default');
  t.same([...d.capabilities].sort(), [...DOCKER_CAPS].sort(), "default: Docker's 14 capabilities");
  t.equal(d.rootfs.readOnly, false); t.equal(d.network, 'none'); t.same(d.limits, {});
  t.match(d.loosen, { networkHost: true, networkLab: true, readWrite: true, seccompOverride: true, raiseLimits: true });
  t.notOk(d.loosen.capAdd.includes('CAP_SYS_ADMIN') || d.loosen.capAdd.includes('ALL'), 'default refuses --cap-add SYS_ADMIN');
  t.ok(d.loosen.capAdd.includes('CAP_SYS_PTRACE'));
  t.equal(decide(d.seccomp!, 'ptrace'), 'allow', 'default allows ptrace inside, as Docker (the pid and user namespaces keep it inside)');
  t.equal(decide(d.seccomp!, 'chroot'), 'allow', 'SYS_CHROOT is one of the 14, so Docker allows chroot');
  t.equal(decide(d.seccomp!, 'socket', 40n), 'errno(EPERM)', 'AF_VSOCK denied');
  t.equal(decide(d.seccomp!, 'socket', 0x100000028n), 'errno(EPERM)', 'AF_VSOCK with high bits denied (32-bit compare)');
  const lab = loadProfile('lab');
  t.same([...lab.capabilities].sort(), [...DOCKER_CAPS, 'CAP_NET_ADMIN'].sort());
  t.equal(lab.network, 'lab');
  t.equal(decide(lab.seccomp!, 'socket', BigInt(CONSTANTS.AF_PACKET!), 3n), 'allow', 'lab: AF_PACKET');
  t.equal(decide(lab.seccomp!, 'socket', 2n, 3n), 'allow', 'lab: AF_INET SOCK_RAW');
  t.same(lab.supervisor.audit, ['connect', 'bind']);
  t.equal(loadProfile('learn').supervisor.recordAll, true);
  t.equal(loadProfile('learn').supervisor.mode, 'notify');
  const u = loadProfile('unconfined');
  t.equal(u.seccomp, null); t.match(u.warn, /debugging only/); t.equal(u.network, 'host');
  t.same([...u.capabilities].sort(), Object.keys(CAPABILITIES).sort(), 'unconfined: every capability (as root, DESIGN §3)');
  const st = loadProfile('strict');
  t.same(st.capabilities, []); t.equal(decide(st.seccomp!, 'ptrace'), 'errno(EPERM)', 'strict denies ptrace');
});

t.test('a child of any confined profile cannot loosen the base', async (t) => {
  const attempts: Array<[string, string, RegExp]> = [
    ['allow keyctl', 'seccomp:\n  rules:\n    - {action: allow, syscalls: keyctl}\n', /`keyctl` is final in profiles\/base\/always\.yaml:\d+/],
    ['allow unshare', 'seccomp:\n  rules:\n    - {action: allow, syscalls: [read, unshare]}\n', /`unshare` is final/],
    ['allow all ioctl', 'seccomp:\n  rules:\n    - {action: allow, syscalls: ioctl}\n', /`ioctl` is final/],
    ['allow clone', 'seccomp:\n  rules:\n    - {action: allow, syscalls: clone}\n', /`clone` is final/],
    ['clone3 allowed', 'seccomp:\n  rules:\n    - {action: allow, syscalls: clone3}\n', /`clone3` is final/],
    ['log io_uring', 'seccomp:\n  rules:\n    - {action: log, syscalls: io_uring_setup}\n', /`io_uring_setup` is final/],
    ['no filter', 'seccomp: null\n', /cannot turn off the filter/],
  ];
  for (const parent of CONFINED) {
    for (const [what, body, re] of attempts) {
      let err: unknown;
      try { loadProfileText(`extends: ${parent}\n${body}`, 'child.yaml', PROFILES_DIR); } catch (e) { err = e; }
      t.ok(err instanceof SandboxError && err.exitCode === 2, `${parent} + ${what}: refused`);
      t.match((err as Error)?.message, re, `${parent} + ${what}: names the final rule`);
    }
    // tightening is fine
    const ok = loadProfileText(`extends: ${parent}\nseccomp:\n  rules:\n    - {action: errno(EPERM), syscalls: [ioctl, ptrace]}\n`, 'child.yaml', PROFILES_DIR);
    t.equal(decide(ok.seccomp!, 'ioctl', 0n, 0x5401n), 'errno(EPERM)', `${parent}: a child may tighten`);
  }
});
