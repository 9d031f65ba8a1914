// sandbox/selftest/catalog.ts — every probe of the escape battery: what it tries and which layers stop it under strict (host, pure data)
//
// The ids match the probe binary's (test/fixtures/probe/probe.c PROBES[], `probe --list`); a test
// fails when the two drift. `layers` is the credit SECURITY.md gives under strict: each named layer
// is claimed to stop the probe on its own, so the attribution runs (strict minus one layer) must
// still see it stopped whenever more than one is named (defence in depth).

export const LAYERS = {
  seccomp: 'the seccomp allow-list (EPERM default, KILL foreign arch/x32)',
  userns: 'the user namespace: container root is an unprivileged host id; init-namespace capabilities never apply',
  caps: 'no capabilities, even within the container\'s own namespaces',
  nnp: 'no_new_privs: setuid and file capabilities gain nothing',
  'readonly-root': 'the read-only root filesystem',
  'readonly-paths': 'read-only /proc/sys, /proc/sysrq-trigger, /sys',
  'mount-masks': 'masked /proc and /sys paths',
  'mount-lock': 'the mount tree is built in the parent user namespace, so its flags are locked',
  devices: 'a minimal /dev (null, zero, full, random, urandom, tty, pts, ptmx, shm)',
  cgroups: 'cgroup limits (memory, pids)',
  rlimits: 'rlimits (core 0, nofile)',
  netns: 'a private network namespace (loopback only)',
  pidns: 'a private pid namespace',
  fds: 'every fd but the intended ones closed before exec',
  stdio: 'pipes or a private pty with its own session for stdio',
} as const;
export type Layer = keyof typeof LAYERS;

export interface ProbeSpec {
  readonly id: string;
  /** what the probe tries, and the escape or technique it stands for */
  readonly tries: string;
  /** layers credited under strict; empty only for probes that report a fact, not an attempt */
  readonly layers: readonly Layer[];
  /** the probe only runs when the harness provides this (see `probeArgs` in run-options.ts) */
  readonly needs?: 'host-port' | 'host-abstract' | 'mem-mib';
}

const P = (id: string, tries: string, layers: readonly Layer[], needs?: ProbeSpec['needs']): ProbeSpec =>
  needs ? { id, tries, layers, needs } : { id, tries, layers };

export const PROBE_CATALOG: readonly ProbeSpec[] = [
  P('leaked_fds', 'use an fd > 2 left open by the runtime (CVE-2024-21626 class)', ['fds']),
  P('caps', 'hold any capability (CapEff/CapPrm/CapBnd/CapAmb non-zero)', ['caps']),
  P('no_new_privs', 'gain privileges through setuid/file capabilities (no_new_privs unset)', ['nnp']),
  P('seccomp', 'run with no seccomp filter', ['seccomp']),
  P('uid_map', 'be host root: a uid_map range that maps uid 0 of the parent namespace', ['userns']),
  P('rlimit_core', 'dump core to the host\'s core_pattern (RLIMIT_CORE hard limit > 0)', ['rlimits']),
  P('host_pids', 'see processes outside the sandbox', ['pidns']),
  P('kill_reach', 'signal processes outside the sandbox (kill(-1), per-pid kill 0)', ['pidns', 'userns']),
  P('mount', 'mount a filesystem (tmpfs; CVE-2022-0185 needed it)', ['seccomp', 'caps']),
  P('umount', 'unmount (uncover what a mask hides)', ['seccomp', 'caps']),
  P('remount_root', 'remount the read-only root read-write', ['seccomp', 'caps', 'mount-lock']),
  P('fsopen', 'new mount API: fsopen', ['seccomp', 'caps']),
  P('open_tree', 'new mount API: open_tree(OPEN_TREE_CLONE)', ['seccomp', 'caps']),
  P('move_mount', 'new mount API: move_mount', ['seccomp', 'caps']),
  P('mount_setattr', 'new mount API: mount_setattr', ['seccomp', 'caps']),
  P('unshare', 'unshare a namespace (mnt, uts, ipc, net, pid, cgroup, time)', ['seccomp', 'caps']),
  P('clone_ns', 'clone with namespace flags', ['seccomp', 'caps']),
  P('clone3_ns', 'clone3 with a namespace flag', ['seccomp', 'caps']),
  P('setns', 'setns into /proc/1/ns/*', ['seccomp', 'caps']),
  P('userns_nested', 'create a nested user namespace (full capabilities inside: the root of many kernel exploits)', ['seccomp']),
  P('chroot', 'chroot (the classic chroot-escape step)', ['seccomp', 'caps']),
  P('pivot_root', 'pivot_root', ['seccomp', 'caps']),
  P('bpf', 'bpf(BPF_MAP_CREATE)', ['seccomp', 'userns']),
  P('perf_event_open', 'perf_event_open on itself', ['seccomp']),
  P('userfaultfd', 'userfaultfd (race-widening in kernel exploits)', ['seccomp']),
  P('io_uring', 'io_uring_setup', ['seccomp']),
  P('keyctl', 'the kernel keyring (not namespaced): add_key/keyctl', ['seccomp']),
  P('init_module', 'load a kernel module (init_module/finit_module)', ['seccomp', 'userns']),
  P('kexec_load', 'load a new kernel (kexec_load/kexec_file_load)', ['seccomp', 'userns']),
  P('reboot', 'reboot (invalid magic)', ['seccomp', 'caps', 'userns']),
  P('swapon', 'swapon', ['seccomp', 'userns']),
  P('swapoff', 'swapoff', ['seccomp', 'userns']),
  P('acct', 'process accounting to a file', ['seccomp', 'userns']),
  P('settimeofday', 'set the host clock', ['seccomp', 'userns']),
  P('syslog', 'read the kernel log (syslog READ_ALL)', ['seccomp', 'userns']),
  P('open_by_handle_at', 'open a host file by handle (the 2014 "shocker" escape)', ['seccomp', 'caps', 'userns']),
  // strict's filter allows mknod (package managers make fifos); device nodes fail on the user namespace
  P('mknod', 'create a device node', ['userns']),
  P('iopl', 'raise the I/O privilege level', ['seccomp', 'userns']),
  P('ioperm', 'I/O port permissions', ['seccomp', 'userns']),
  P('personality', 'personality(ADDR_NO_RANDOMIZE): turn ASLR off', ['seccomp']),
  P('quotactl', 'quotactl on another uid', ['seccomp', 'userns']),
  P('rootfs_write', 'write the root filesystem (persistence, self-tampering)', ['readonly-root']),
  P('proc_sys_write', 'open host-global sysctls for write (core_pattern, modprobe, binfmt_misc)', ['readonly-paths', 'userns']),
  P('sysrq_trigger', 'open /proc/sysrq-trigger for write', ['readonly-paths', 'userns']),
  P('sys_write', 'open /sys knobs for write (uevent_helper …)', ['readonly-paths', 'userns']),
  P('cgroup_release_agent', 'open a cgroup v1 release_agent for write (CVE-2022-0492)', ['readonly-paths', 'userns']),
  P('proc_kcore', 'open /proc/kcore', ['mount-masks', 'userns']),
  P('dev_mem', 'open /dev/mem, /dev/kmem, /dev/port', ['devices', 'userns']),
  P('dev_kmsg', 'open /dev/kmsg', ['devices']),
  P('host_disks', 'open a host block device', ['devices', 'userns']),
  P('ptrace', 'ptrace another process of the sandbox', ['seccomp']),
  P('process_vm_readv', 'read another process\'s memory', ['seccomp']),
  P('pidfd_getfd', 'steal another process\'s fd', ['seccomp']),
  P('raw_socket', 'open a raw IP socket', ['seccomp', 'caps']),
  P('packet_socket', 'open an AF_PACKET socket', ['seccomp', 'caps']),
  P('host_loopback', 'connect to a service on the host\'s 127.0.0.1', ['netns'], 'host-port'),
  P('host_abstract_unix', 'connect to a host abstract unix socket (CVE-2020-15257)', ['netns'], 'host-abstract'),
  P('net_interfaces', 'see network interfaces besides lo', ['netns']),
  P('tiocsti', 'inject input into the terminal (TIOCSTI)', ['seccomp', 'stdio']),
  P('i386_int80', 'i386 syscalls via int $0x80 (filter bypass by foreign ABI)', ['seccomp']),
  P('x32_syscall', 'x32 syscalls (nr | 0x40000000)', ['seccomp']),
  P('fork_storm', 'a bounded fork storm', ['cgroups']),
  P('memory_hog', 'a bounded memory hog', ['cgroups'], 'mem-mib'),
];

export const PROBE_IDS: readonly string[] = PROBE_CATALOG.map((p) => p.id);

/** probeSpec returns the catalog entry for an id, or undefined for an unknown one */
export function probeSpec(id: string): ProbeSpec | undefined {
  return PROBE_CATALOG.find((p) => p.id === id);
}
