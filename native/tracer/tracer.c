/* native/tracer/tracer.c — the ptrace supervisor's hands: stops the container's SECCOMP_RET_TRACE
 * syscalls and answers them as the Node supervisor says (host side, a child of the container's
 * supervisor)
 *
 * usage: tracer STALL_MS PID        tracer --probe-listener
 *
 * `--supervisor ptrace` is for when a seccomp listener cannot be had (an outer sandbox holds the one
 * a filter chain may have: EBUSY). The rules that would be USER_NOTIF are compiled to
 * SECCOMP_RET_TRACE; with no tracer attached the kernel fails such a syscall with ENOSYS (closed).
 * This process attaches to the container's pid 1 with PTRACE_SEIZE before its filter exists, so it
 * follows every process and thread the payload ever makes (TRACEFORK/VFORK/CLONE), and at each
 * seccomp stop it sends the stopped thread's syscall to the supervisor and waits for the verdict:
 * continue, or deny with an errno (the syscall is skipped and returns -errno). The supervisor
 * answers a deny only after its audit line is written, so a denied call is never unrecorded.
 *
 * Why C and not Node: every ptrace request must come from the thread that attached, and Node's
 * calls may run on any thread of its pool. Why the supervisor reads the memory, not this process:
 * the target stays stopped until we answer, and the supervisor's decoders (sandbox/notify/decode.ts,
 * bounded, process_vm_readv) are the very ones the notify path uses — one decoder, one audit line.
 *
 * Protocol. fd 1 (to the supervisor): 64-byte records {u32 type, i32 tid, i32 nr, u32 arch,
 * u64 args[6]} — ATTACHED once, then SYSCALL per stop, STALLED if the watchdog fired, DONE when no
 * tracee is left. fd 0 (from the supervisor): 8-byte verdicts {i32 tid, i32 errno (0: continue)},
 * one per SYSCALL, in order. A verdict not given within STALL_MS (a hung supervisor) kills the
 * container's pid 1 through a pidfd, which ends its pid namespace. EOF on fd 0 ends the tracer.
 *
 * Fail closed: the tracer dies with the supervisor (PDEATHSIG), and PTRACE_O_EXITKILL makes the
 * kernel SIGKILL every tracee when the tracer goes, however it goes.
 *
 * --probe-listener: can this process's filter chain still take a listener? Exits 0 (yes), 3 (EBUSY:
 * an outer sandbox holds one) or 1 (another error, on stderr). `--supervisor auto` asks it.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#define REQ_GET_SYSCALL_INFO 0x420e
#define INFO_OP_SECCOMP 3

/* struct ptrace_syscall_info (linux/ptrace.h), its seccomp member only; spelled out here because
 * glibc's sys/ptrace.h and linux/ptrace.h cannot be included together */
struct syscall_info {
  uint8_t op;
  uint8_t pad[3];
  uint32_t arch;
  uint64_t ip, sp;
  uint64_t nr;
  uint64_t args[6];
  uint32_t ret_data;
  uint32_t reserved;
};

enum { MSG_ATTACHED = 1, MSG_SYSCALL = 2, MSG_DONE = 3, MSG_STALLED = 4 };
struct msg { uint32_t type; int32_t tid; int32_t nr; uint32_t arch; uint64_t args[6]; };
struct verdict { int32_t tid; int32_t err; };

static int g_pidfd = -1;
static int g_fired;

static void put(uint32_t type, pid_t tid, const struct syscall_info *si) {
  struct msg m;
  memset(&m, 0, sizeof m);
  m.type = type;
  m.tid = tid;
  if (si) { m.nr = (int32_t)si->nr; m.arch = si->arch; memcpy(m.args, si->args, sizeof m.args); }
  const char *p = (const char *)&m;
  size_t left = sizeof m;
  while (left) {
    ssize_t w = write(1, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(1); /* the supervisor is gone: exiting kills every tracee (EXITKILL) */
    p += w;
    left -= (size_t)w;
  }
}

static void kill_container(void) {
  if (g_pidfd >= 0) syscall(SYS_pidfd_send_signal, g_pidfd, SIGKILL, NULL, 0);
}

/* verdict_for waits for the supervisor's answer to tid's stop; a hung supervisor (nothing within
 * stall ms) gets the container killed, an EOF or a protocol error ends the tracer (and the container
 * with it). Returns the errno to answer (0: continue). */
static int verdict_for(pid_t tid, long stall) {
  struct verdict v;
  size_t got = 0;
  while (got < sizeof v) {
    struct pollfd in = {.fd = 0, .events = POLLIN};
    int n = poll(&in, 1, (int)stall);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      kill_container();
      g_fired = 1;
      put(MSG_STALLED, tid, NULL);
      return EPERM;
    }
    ssize_t r = read(0, (char *)&v + got, sizeof v - got);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) _exit(0);
    got += (size_t)r;
  }
  if (v.tid != tid || v.err < 0 || v.err > 4095) { fprintf(stderr, "tracer: verdict for %d names %d (errno %d): protocol error\n", (int)tid, (int)v.tid, (int)v.err); _exit(1); }
  return v.err;
}

/* deny: skip the syscall (its number set to -1 at the seccomp stop: the kernel then runs nothing
 * and does not re-run the filter) and make it return -err */
static int deny(pid_t tid, int err) {
#if defined(__x86_64__)
  struct user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0) return -1;
  regs.orig_rax = (unsigned long long)-1;
  regs.rax = (unsigned long long)(long long)-err;
  return (int)ptrace(PTRACE_SETREGS, tid, 0, &regs);
#elif defined(__aarch64__)
  int nr = -1;
  struct iovec iov = {&nr, sizeof nr};
  if (ptrace(PTRACE_SETREGSET, tid, NT_ARM_SYSTEM_CALL, &iov) < 0) return -1;
  struct user_pt_regs regs;
  iov.iov_base = &regs;
  iov.iov_len = sizeof regs;
  if (ptrace(PTRACE_GETREGSET, tid, NT_PRSTATUS, &iov) < 0) return -1;
  regs.regs[0] = (unsigned long long)(long long)-err;
  return (int)ptrace(PTRACE_SETREGSET, tid, NT_PRSTATUS, &iov);
#else
#error "tracer: deny() knows the syscall registers of x86_64 and aarch64 only"
#endif
}

/* on_seccomp: one SECCOMP_RET_TRACE stop — ask, then continue or deny. A tracee that is gone
 * (SIGKILLed while stopped) makes the ptrace calls fail with ESRCH: nothing to answer. */
static void on_seccomp(pid_t tid, long stall) {
  struct syscall_info si;
  memset(&si, 0, sizeof si);
  long n = ptrace((enum __ptrace_request)REQ_GET_SYSCALL_INFO, tid, (void *)sizeof si, &si);
  int err;
  if (n <= 0 || si.op != INFO_OP_SECCOMP) err = ENOSYS; /* cannot say what it is: closed */
  else if (g_fired) err = EPERM;                        /* the container is being killed */
  else { put(MSG_SYSCALL, tid, &si); err = verdict_for(tid, stall); }
  if (err && deny(tid, err) < 0 && errno != ESRCH) { kill(tid, SIGKILL); return; }
  ptrace(PTRACE_CONT, tid, 0, 0);
}

static int probe_listener(void) {
  pid_t p = fork();
  if (p < 0) { perror("tracer: fork"); return 1; }
  if (p == 0) {
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {1, &allow};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) _exit(1);
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (fd >= 0) _exit(0);
    if (errno == EBUSY) _exit(3);
    fprintf(stderr, "tracer: probe seccomp listener: %s\n", strerror(errno));
    _exit(1);
  }
  int st;
  while (waitpid(p, &st, 0) < 0) if (errno != EINTR) return 1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static long arg(const char *s, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v <= 0 || v > 0x7fffffff) { fprintf(stderr, "tracer: %s `%s`: not a positive number\n", what, s); exit(2); }
  return v;
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--probe-listener")) return probe_listener();
  if (argc != 3) { fprintf(stderr, "usage: tracer STALL_MS PID | tracer --probe-listener\n"); return 2; }
  long stall = arg(argv[1], "STALL_MS");
  pid_t pid = (pid_t)arg(argv[2], "PID");
  /* PDEATHSIG first, then check the parent is still the one that started us (it may have died
   * between fork and prctl): a tracer that outlived its supervisor would hold the container's
   * syscalls with nobody to record them. Its own death then kills every tracee (EXITKILL). */
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) return 1;
  /* Not dumpable: nothing but root may ptrace this process or read its memory and fds. */
  prctl(PR_SET_DUMPABLE, 0);
  signal(SIGPIPE, SIG_IGN);
  g_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (g_pidfd < 0) { fprintf(stderr, "tracer: pidfd_open %d: %s\n", (int)pid, strerror(errno)); return 1; }
  /* SEIZE, not ATTACH: the target is not stopped by attaching, and group-stops are reported as
   * such. The options follow every fork, vfork and clone (threads), so no task the payload makes is
   * ever untraced; EXITKILL ties the container's life to this process. */
  long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
  if (ptrace(PTRACE_SEIZE, pid, 0, (void *)opts) < 0) { fprintf(stderr, "tracer: PTRACE_SEIZE %d: %s\n", (int)pid, strerror(errno)); return 1; }
  put(MSG_ATTACHED, pid, NULL);

  for (;;) {
    int st;
    pid_t tid = waitpid(-1, &st, __WALL);
    if (tid < 0) {
      if (errno == EINTR) continue;
      break; /* ECHILD: no tracee left */
    }
    if (!WIFSTOPPED(st)) continue; /* exited or killed: reaped (its real parent hears of it now) */
    int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
    if (sig == SIGTRAP && event == PTRACE_EVENT_SECCOMP) on_seccomp(tid, stall);
    else if (event == PTRACE_EVENT_STOP) {
      /* a group-stop (SIGSTOP & co.) stays stopped until SIGCONT; the first stop of an
       * auto-attached task (SIGTRAP) just goes on */
      if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) ptrace(PTRACE_LISTEN, tid, 0, 0);
      else ptrace(PTRACE_CONT, tid, 0, 0);
    } else if (sig == SIGTRAP && event) ptrace(PTRACE_CONT, tid, 0, 0); /* fork, vfork, clone, exec */
    else ptrace(PTRACE_CONT, tid, 0, (void *)(long)sig);             /* a signal: delivered as sent */
  }
  put(MSG_DONE, pid, NULL);
  return 0;
}
