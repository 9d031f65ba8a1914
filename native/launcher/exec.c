/* native/launcher/exec.c — `exec`: join a running container and run one more process under its
 * exact restrictions (launcher, host side, root; entered from main.c when the plan has "exec PID")
 *
 * Order, each step with its reason (runc's nsexec and CVE-2016-9962 in mind):
 *  1. non-dumpable first: from the moment we enter the container's namespaces, a process in there
 *     must not ptrace us or open our /proc/<pid>/fd (we still hold the status and control fds);
 *  2. only fds 0-5 exist (main.c closed the rest); the pidfd is O_CLOEXEC;
 *  3. rlimits while still host root (raising a hard limit needs CAP_SYS_RESOURCE in the initial
 *     user namespace, which setns into the container's user namespace gives up);
 *  4. join the container's cgroup(s) BEFORE its namespaces: everything that follows is counted
 *     against the container's limits, and the cgroup namespace then roots where the container's does;
 *  5. setns into user, mnt, pid, net, uts, ipc and cgroup namespaces at once through a pidfd of the
 *     payload (no /proc path to race, and the pidfd pins that very process, not a reused pid);
 *  6. fork: only a child enters the pid namespace; it takes the container's ids, drops to its
 *     capabilities, sets no_new_privs and installs the same filter bytes — then execs.
 *  7a. --supervisor ptrace (a `trace-gate` record): the filter is the container's traced one; the
 *     child waits before it until the runtime says `traced` — the container's supervisor has seized
 *     it (sandbox/exec.ts) — since a traced call with no tracer is ENOSYS and a process forked
 *     before the seize would never be followed (as main.c's control_wait says for run).
 *  7. supervised container (a `notify-listener` record): the filter is the container's supervised
 *     one, installed with NEW_LISTENER like run's; its listener comes back here and goes on to the
 *     runtime on fd 6 at once, before we wait for the execve — which itself waits for an answer, so
 *     the command cannot run before the container's supervisor holds the listener (sandbox/exec.ts).
 * With -t the pty is made after step 5, in the container's own devpts (reached inside its root,
 * checked to be devpts), so the exec'd process's terminal is the container's like run -t's; the
 * launcher keeps the master and proxies it (proxy.c), the caller's terminal in raw mode.
 */
#include "launcher.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef DEVPTS_SUPER_MAGIC
#define DEVPTS_SUPER_MAGIC 0x1cd1
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void exec_join_cgroups(const struct plan *p) {
  char s[32];
  int n = snprintf(s, sizeof s, "%d\n", getpid());
  for (int i = 0; i < p->nops; i++) {
    const struct op *op = &p->ops[i];
    if (strcmp(op->f[0], "cgroup") || op->nfields != 2) continue;
    int fd = open(op->f[1], O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) die_step(op, errno, op->f[1]);
    struct statfs sfs;
    if (fstatfs(fd, &sfs) < 0 || (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC)) die_step(op, EXDEV, op->f[1]);
    if (write_all(fd, s, (size_t)n) < 0) die_step(op, errno, op->f[1]);
    close(fd);
  }
}

static char **exec_collect(const struct plan *p, const char *name, int whole_record) {
  int n = 0;
  for (int i = 0; i < p->nops; i++) if (!strcmp(p->ops[i].f[0], name)) n += whole_record ? p->ops[i].nfields - 1 : 1;
  char **v = calloc((size_t)n + 1, sizeof *v);
  int k = 0;
  for (int i = 0; i < p->nops; i++) {
    if (strcmp(p->ops[i].f[0], name)) continue;
    if (whole_record) for (int j = 1; j < p->ops[i].nfields; j++) v[k++] = p->ops[i].f[j];
    else if (p->ops[i].nfields > 1) v[k++] = p->ops[i].f[1];
  }
  return v;
}

/* exec_pty opens a new pty in the container's devpts (we are in its mount namespace and its root
 * is ours now): ptmx is resolved inside the root without symlinks, must be on devpts, and the slave
 * comes from TIOCGPTPEER (no second path lookup to race). Returns the master; *slave gets the peer. */
static int exec_pty(const struct op *op, int *slave) {
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) die_step(op, errno, "/");
  int m = open_in_root(root, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, RESOLVE_NO_SYMLINKS);
  close(root);
  if (m < 0) die_step(op, errno, "/dev/pts/ptmx");
  struct statfs sfs;
  if (fstatfs(m, &sfs) < 0 || sfs.f_type != DEVPTS_SUPER_MAGIC) die_step(op, EXDEV, "/dev/pts/ptmx");
  int unlock = 0;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0) die_step(op, errno, "/dev/pts/ptmx");
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) die_step(op, errno, "/dev/pts (peer)");
  *slave = s;
  return m;
}

/* execvp in the container's environment, reporting ENOENT (127) / EACCES (126) like run does */
static _Noreturn void exec_cmd(char **argv, char **envp) {
  if (!argv[0]) die_msg("execve", EINVAL, "empty command");
  int err = ENOENT;
  if (strchr(argv[0], '/')) { execve(argv[0], argv, envp); err = errno; }
  else {
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (char **e = envp; *e; e++) if (!strncmp(*e, "PATH=", 5)) path = *e + 5;
    char buf[PATH_MAX];
    for (const char *d = path; d && *d;) {
      const char *c = strchr(d, ':');
      int l = c ? (int)(c - d) : (int)strlen(d);
      snprintf(buf, sizeof buf, "%.*s/%s", l, l ? d : ".", argv[0]);
      execve(buf, argv, envp);
      if (errno == EACCES || errno == ENOEXEC || errno == EPERM) err = errno;
      else if (errno != ENOENT && errno != ENOTDIR) { err = errno; break; }
      d = c ? c + 1 : NULL;
    }
  }
  die_msg("execve", err, argv[0]);
}

int exec_main(const struct plan *p) {
  /* fd 6 exists only for a supervised exec (step 7); closed before any fd is opened, so no fd we open
   * takes its number and is closed under us (an unsupervised exec's /dev/null became fd 6: EBADF) */
  int listened = plan_find(p, "notify-listener") != NULL;
  if (!listened) close(LISTENER_FD);
  /* 1. */
  if (prctl(PR_SET_DUMPABLE, 0) < 0) die_msg("prctl", errno, "PR_SET_DUMPABLE");
  const struct op *ex = plan_find(p, "exec");
  if (!ex || ex->nfields != 2) die_msg("exec", EINVAL, "plan has no target pid");
  pid_t target = (pid_t)parse_ll(ex->f[1], ex);
  int pidfd = (int)syscall(SYS_pidfd_open, target, 0);
  if (pidfd < 0) die_step(ex, errno, "pidfd_open");
  /* 3. */
  creds_rlimits(p);
  /* 4. */
  exec_join_cgroups(p);
  /* 4a. A non-interactive stdin is the runtime's own /dev/null, opened and checked by number here,
   *     BEFORE step 5: after setns "/dev/null" names the container's file, which its root may have
   *     made a symlink, a FIFO (exec would hang on it) or a file of its choosing, opened by us with
   *     every capability in its user namespace (runc CVE-2025-31133 class). */
  int nullfd = -1;
  if (!plan_find(p, "pty") && !plan_find(p, "stdioinherit") && !plan_find(p, "interactive") && (nullfd = open_null(O_RDONLY)) < 0)
    die_msg("open", errno, "/dev/null (the runtime's own null device)");
  /* 5. */
  int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
  const struct op *net = plan_find(p, "netns");
  if (net && net->nfields == 2 && !strcmp(net->f[1], "new")) flags |= CLONE_NEWNET;
  if (setns(pidfd, flags) < 0) die_step(ex, errno, "setns");
  close(pidfd);

  struct stdio_fds io = {plan_find(p, "interactive") != NULL, -1, -1, -1, -1, -1, -1, -1};
  const struct op *pty = plan_find(p, "pty");
  int a[2], b[2], c[2], err[2], slave = -1;
  /* OCI exec: the caller's stdio as they are (no copying), or the pty master to its console socket */
  int inherit = plan_find(p, "stdioinherit") != NULL;
  const struct op *console = plan_find(p, "console");
  if (pty) io.master = exec_pty(pty, &slave);
  else if (!inherit) {
    if (io.interactive) { if (pipe2(a, O_CLOEXEC) < 0) die_msg("pipe", errno, "stdin"); io.in_r = a[0]; io.in_w = a[1]; }
    else io.in_r = nullfd;
    if (pipe2(b, O_CLOEXEC) < 0 || pipe2(c, O_CLOEXEC) < 0) die_msg("pipe", errno, "stdio");
    io.out_r = b[0]; io.out_w = b[1]; io.err_r = c[0]; io.err_w = c[1];
  }
  if (pipe2(err, O_CLOEXEC) < 0) die_msg("pipe", errno, "error pipe");
  /* 7. fd 6 is the runtime's listener socket only when the container is supervised */
  int lsock[2] = {-1, -1};
  if (listened && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, lsock) < 0) die_msg("socketpair", errno, "listener");
  /* 7a. */
  int tgate[2] = {-1, -1};
  if (plan_find(p, "trace-gate") && pipe2(tgate, O_CLOEXEC) < 0) die_msg("pipe", errno, "trace gate");

  /* 6. */
  pid_t pid = fork();
  if (pid < 0) die_msg("fork", errno, "exec");
  if (pid == 0) {
    g_child_err_fd = err[1];
    close(err[0]);
    if (lsock[0] >= 0) { close(lsock[0]); g_listener_sock = lsock[1]; }
    if (tgate[1] >= 0) close(tgate[1]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (pty) {
      if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) die_msg("stdio", errno, "dup2");
      close(slave); close(io.master);
    } else if (!inherit) {
      if (dup2(io.in_r, 0) < 0 || dup2(io.out_w, 1) < 0 || dup2(io.err_w, 2) < 0) die_msg("stdio", errno, "dup2");
      if (io.in_w >= 0) close(io.in_w);
      close(io.out_r); close(io.err_r);
    }
    signal(SIGPIPE, SIG_DFL); signal(SIGINT, SIG_DFL); signal(SIGQUIT, SIG_DFL); signal(SIGTERM, SIG_DFL); signal(SIGHUP, SIG_DFL);
    creds_switch_user(p);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* cleared by the id change */
    const struct op *cwd = plan_find(p, "cwd");
    const char *wd = cwd && cwd->nfields == 2 ? cwd->f[1] : "/";
    if (chdir(wd) < 0) die_step(cwd, errno, wd);
    char got[PATH_MAX];
    if (!getcwd(got, sizeof got) || got[0] != '/') die_step(cwd, EXDEV, wd);
    if (setsid() < 0) die_msg("setsid", errno, "");
    /* the pty slave on 0-2 becomes the controlling terminal of the new session, as with run -t */
    if (pty && ioctl(0, TIOCSCTTY, 0) < 0) die_msg("TIOCSCTTY", errno, "/dev/pts");
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) die_msg("close_range", errno, "");
    creds_drop_caps(p);
    if (plan_find(p, "nnp")) creds_no_new_privs();
    char **argv = exec_collect(p, "argv", 1);
    char **envp = exec_collect(p, "env", 0);
    /* 7a. the tracer holds us before the filter that needs it; nothing of ours after this is traced
     *     but the command's own execve, which the tracer records */
    if (tgate[0] >= 0) {
      char t;
      if (read(tgate[0], &t, 1) != 1) die_msg("trace", EPIPE, "the tracer never attached");
      close(tgate[0]);
    }
    creds_seccomp(p);
    exec_cmd(argv, envp);
  }
  if (tgate[0] >= 0) close(tgate[0]);
  close(err[1]);
  if (lsock[1] >= 0) close(lsock[1]);
  if (pty) close(slave);
  else if (!inherit) { close(io.in_r); close(io.out_w); close(io.err_w); }
  if (pty && console) { send_console(console, io.master); close(io.master); io.master = -1; }
  report_json("pid", "\"pid\":%d", pid);
  /* 7a. released to its filter only once the runtime says the tracer is attached */
  if (tgate[1] >= 0) {
    int code = trace_release(pid, err[0], tgate[1]);
    if (code >= 0) return code;
  }
  /* 7. as main.c: the launcher keeps no copy, so only the runtime (then the supervisor) holds it;
   * EOF means a step before the filter failed, and the error pipe below says which */
  if (lsock[0] >= 0) forward_listener(lsock[0], pid);
  char line[4096];
  int n = read_all(err[0], line, sizeof line - 1);
  close(err[0]);
  if (n > 0) {
    line[n] = '\0';
    write_all(STATUS_FD, line, (size_t)n);
    write_all(STATUS_FD, "\n", 1);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 125;
  }
  report_json("started", NULL);
  if (pty && io.interactive) proxy_raw_terminal();
  int status = proxy_run(pid, &io, CONTROL_FD);
  proxy_restore_terminal();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (WIFSIGNALED(status)) report_json("exit", "\"code\":%d,\"signal\":%d", code, WTERMSIG(status));
  else report_json("exit", "\"code\":%d", code);
  return code;
}
