/* native/launcher/main.c — the tssandbox launcher: a small single-threaded program the runtime
 * execs with a LaunchPlan on fd 3, status lines out on fd 4 and control lines in on fd 5
 * (launcher, host side, root)
 *
 * Why a separate program: unshare(CLONE_NEWUSER), setns into a user namespace and the mount steps
 * need a single-threaded process, and Node is multithreaded. The launcher holds no policy: it
 * executes the plan mechanically and reports.
 */
#include "launcher.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void join_cgroups(const struct plan *p, pid_t pid) {
  char s[32];
  int n = snprintf(s, sizeof s, "%d\n", pid);
  for (int i = 0; i < p->nops; i++) {
    const struct op *op = &p->ops[i];
    if (strcmp(op->f[0], "cgroup") || op->nfields != 2) continue;
    int fd = open(op->f[1], O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) die_step(op, errno, op->f[1]);
    struct statfs sfs; /* the file must really be a cgroup file, not something a path swap put there */
    if (fstatfs(fd, &sfs) < 0 || (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC)) die_step(op, EXDEV, op->f[1]);
    if (write_all(fd, s, (size_t)n) < 0) die_step(op, errno, op->f[1]);
    close(fd);
  }
}

/* The child's end of the OCI start gate (a socketpair): it says 'r' when set up, then waits. */
int g_start_fd = -1;

static const struct plan *g_plan;

/* find_exec: the payload must exist before `create` says created (runc looks it up there, and
 * podman maps "executable file not found" at create to 127). Looked up inside the container, on its
 * PATH, the way exec_payload (child.c) will; execve itself still decides. */
static void find_exec(void) {
  const struct op *a = plan_find(g_plan, "argv");
  if (!a || a->nfields < 2) return;
  const char *cmd = a->f[1];
  if (strchr(cmd, '/')) { if (access(cmd, F_OK) < 0) die_msg("execve", errno, cmd); return; }
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (int i = 0; i < g_plan->nops; i++) {
    const struct op *e = &g_plan->ops[i];
    if (!strcmp(e->f[0], "env") && e->nfields == 2 && !strncmp(e->f[1], "PATH=", 5)) path = e->f[1] + 5;
  }
  char buf[4096];
  for (const char *d = path; d && *d;) {
    const char *c = strchr(d, ':');
    int l = c ? (int)(c - d) : (int)strlen(d);
    snprintf(buf, sizeof buf, "%.*s/%s", l, l ? d : ".", cmd);
    if (access(buf, F_OK) == 0) return;
    d = c ? c + 1 : NULL;
  }
  die_msg("execve", ENOENT, cmd);
}

/* join_netns: `netnsjoin PATH` — a pod's network namespace (podman, the CRI), joined by the launcher
 * itself before the user namespace is made, so the helper and the payload inherit it and the plan
 * asks for no new one. It stays owned by its maker's user namespace: the container has no
 * capability over it. The file must really be a namespace (nsfs). */
static void join_netns(const struct plan *p) {
  const struct op *op = plan_find(p, "netnsjoin");
  if (!op) return;
  if (op->nfields != 2) die_step(op, EINVAL, "netnsjoin");
  int fd = open(op->f[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_step(op, errno, op->f[1]);
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC) die_step(op, EXDEV, op->f[1]);
  if (setns(fd, CLONE_NEWNET) < 0) die_step(op, errno, op->f[1]);
  close(fd);
}

/* join_early: `nsjoin TYPE PATH` — a pod's ipc, uts, pid or cgroup namespace (oci/namespaces.ts).
 * ipc and uts are joined here, by the launcher itself and before the user namespace is made, for
 * the reason join_netns gives: the helper (userns.c) then makes no new ones, and the namespaces stay
 * owned by their maker's user namespace, so the container has no capability over them. pid is only
 * opened here and joined right before the clone (*pidns_fd): joining it now would put the userns
 * helper in the pod too. cgroup is opened here and joined by the child where it would make its own
 * (child.c 2b: g_cgroupns_fd). Every file must really be a namespace (nsfs), and setns(fd, TYPE)
 * checks it is of that type. */
int g_cgroupns_fd = -1;

static void join_early(const struct plan *p, int *pidns_fd) {
  *pidns_fd = -1;
  for (int i = 0; i < p->nops; i++) {
    const struct op *op = &p->ops[i];
    if (strcmp(op->f[0], "nsjoin")) continue;
    if (op->nfields != 3) die_step(op, EINVAL, "nsjoin");
    int fd = open(op->f[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0) die_step(op, errno, op->f[2]);
    struct statfs sfs;
    if (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC) die_step(op, EXDEV, op->f[2]);
    const char *t = op->f[1];
    /* the runtime's own namespace is refused on the fd that is joined, not only on the path the CLI
     * checked at create (oci/namespaces.ts): a /proc/PID/ns path may name another process by now */
    char own[64];
    struct stat a, b;
    snprintf(own, sizeof own, "/proc/self/ns/%s", t);
    if (fstat(fd, &a) < 0 || stat(own, &b) < 0) die_step(op, errno, op->f[2]);
    if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) die_step(op, EPERM, "the runtime's own namespace");
    if (!strcmp(t, "ipc") || !strcmp(t, "uts")) {
      if (setns(fd, !strcmp(t, "ipc") ? CLONE_NEWIPC : CLONE_NEWUTS) < 0) die_step(op, errno, op->f[2]);
      close(fd);
    } else if (!strcmp(t, "pid") && *pidns_fd < 0) *pidns_fd = fd;
    else if (!strcmp(t, "cgroup") && g_cgroupns_fd < 0) g_cgroupns_fd = fd;
    else die_step(op, EINVAL, t);
  }
}

void child_wait_hooks(int fd) {
  char c = 'h';
  if (write(fd, &c, 1) != 1) die_msg("hooks", errno, "tell the launcher the namespaces exist");
  if (read(fd, &c, 1) != 1 || c != 'h') die_msg("hooks", ECANCELED, "the createRuntime hooks failed");
}

void child_wait_start(int fd) {
  find_exec();
  char c = 'r';
  if (write(fd, &c, 1) != 1) die_msg("start", errno, "tell the launcher the container is created");
  if (read(fd, &c, 1) != 1) die_msg("start", ECANCELED, "the container was deleted before start");
  close(fd);
  g_start_fd = -1;
}

/* send_console hands the pty master to the caller's console socket (runc's --console-socket):
 * conmon or the containerd shim owns the terminal from here; the launcher keeps no copy. */
void send_console(const struct op *op, int master) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(op->f[1]) >= sizeof a.sun_path) die_step(op, ENAMETOOLONG, op->f[1]);
  strcpy(a.sun_path, op->f[1]);
  if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) die_step(op, errno, op->f[1]);
  char cbuf[CMSG_SPACE(sizeof(int))] = {0};
  char name[] = "/dev/ptmx";
  struct iovec iov = {name, sizeof name - 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof(int));
  if (sendmsg(s, &msg, 0) < 0) die_step(op, errno, op->f[1]);
  close(s);
}

/* control_wait: wait on the control fd for the line WORD (→ 1), byte by byte: what follows it is
 * the proxy loop's to read. A signal line or the runtime going away kill the child (→ 0), and so
 * does err_fd (-1: none) turning readable, a child that failed a step (→ 0, the error pipe says).
 * OCI create waits here for `hooked` and `start`; `--supervisor ptrace` for `traced` — the runtime
 * starts its tracer on the payload's pid and says so once PTRACE_SEIZE succeeded; only then may
 * the child install its filter. Why wait: the filter answers the audited syscalls with
 * SECCOMP_RET_TRACE, which without a tracer is ENOSYS — the payload's own execve would fail — and
 * a process forked before the seize would never be followed. */
static int control_wait(pid_t pid, int err_fd, int *sig, const char *word) {
  char l[128];
  size_t n = 0;
  for (;;) {
    struct pollfd p[2] = {{CONTROL_FD, POLLIN, 0}, {err_fd, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) { if (errno == EINTR) continue; *sig = SIGKILL; kill(pid, SIGKILL); return 0; }
    if (p[1].revents) return 0;
    char c;
    ssize_t r = read(CONTROL_FD, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) { *sig = SIGKILL; kill(pid, SIGKILL); return 0; }
    if (c != '\n') { if (n < sizeof l - 1) l[n++] = c; continue; }
    l[n] = '\0';
    n = 0;
    int s;
    if (!strcmp(l, word)) return 1;
    /* pid 1 of a pid namespace ignores what it has no handler for, and nothing runs yet that could
     * have one: any signal before start ends the container, reported as killed by that signal */
    if (sscanf(l, "signal %d", &s) == 1 && s > 0 && s < 65) { *sig = s; kill(pid, SIGKILL); return 0; }
  }
}

/* trace_release: wait for `traced` and let the child (held on its trace gate) go on to its filter.
 * -1: go on (released, or a child that failed a step: the error pipe says which); else the launcher's
 * exit code, the child killed by the signal the runtime sent instead. Closes the gate. */
int trace_release(pid_t pid, int err_fd, int gate_w) {
  int sig = 0, code = -1;
  if (control_wait(pid, err_fd, &sig, "traced")) {
    if (write(gate_w, "t", 1) != 1) { kill(pid, SIGKILL); die_msg("trace", errno, "release the traced child"); }
  } else if (sig) {
    int st;
    waitpid(pid, &st, 0);
    report_json("exit", "\"code\":%d,\"signal\":%d", 128 + sig, sig);
    code = 128 + sig;
  }
  close(gate_w);
  return code;
}

int main(void) {
  /* The runtime dies → the launcher dies → (PDEATHSIG again) the container dies. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 125;
  /* Only fds 0-5 were passed on purpose; anything else the caller leaked is closed before any
   * namespace or child exists. */
  syscall(SYS_close_range, LISTENER_FD + 1, ~0U, 0);
  /* Node marks fds 0-2 close-on-exec; the payload must inherit the ones meant for it. */
  for (int fd = 0; fd <= 2; fd++) fcntl(fd, F_SETFD, 0);
  fcntl(PLAN_FD, F_SETFD, FD_CLOEXEC);
  fcntl(STATUS_FD, F_SETFD, FD_CLOEXEC);
  fcntl(CONTROL_FD, F_SETFD, FD_CLOEXEC);
  fcntl(LISTENER_FD, F_SETFD, FD_CLOEXEC);
  /* Ctrl-C and friends reach the runtime, which forwards them on the control fd; the launcher
   * itself must survive them to report the exit. The child restores the defaults. */
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);

  struct plan plan;
  if (plan_read(PLAN_FD, &plan) < 0) die_msg("plan", errno, "reading the launch plan");
  close(PLAN_FD);
  /* `exec` joins a running container instead of making one (exec.c) */
  if (plan_find(&plan, "exec")) return exec_main(&plan);
  /* fd 6 is the runtime's listener socket only when the run is supervised; anything else there was leaked */
  int supervised = plan_find(&plan, "notify-listener") != NULL;
  if (!supervised) close(LISTENER_FD);

  g_plan = &plan;
  /* rootless: the launcher's own user namespace first (rootless.c), so that everything below runs
   * as root of a namespace the user owns, exactly as it runs as host root */
  rootless_enter(&plan);
  join_netns(&plan);
  int pidns_fd;
  join_early(&plan, &pidns_fd);
  struct nsfds ns;
  userns_create(&plan, &ns);

  int go[2], err[2], alive[2], sock[2] = {-1, -1}, lsock[2] = {-1, -1}, tgate[2] = {-1, -1};
  if (plan_find(&plan, "trace-gate") && pipe2(tgate, O_CLOEXEC) < 0) die_msg("pipe", errno, "trace gate");
  if (supervised && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, lsock) < 0) die_msg("socketpair", errno, "listener");
  if (pipe2(go, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(alive, O_CLOEXEC) < 0) die_msg("pipe", errno, "");
  int want_pty = plan_find(&plan, "pty") != NULL;
  if (want_pty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) < 0) die_msg("socketpair", errno, "");
  /* OCI mode: a start gate (create ... start), the caller's stdio given to the payload as is
   * (conmon and the shim hand the runtime the pipes they read; nobody here copies them), and the
   * pty master sent to a console socket */
  int gate[2] = {-1, -1};
  if (plan_find(&plan, "gate") && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gate) < 0) die_msg("socketpair", errno, "gate");
  int inherit = plan_find(&plan, "stdioinherit") != NULL;
  const struct op *console = plan_find(&plan, "console");
  /* The payload's own stdio: pipes the launcher copies (or the pty, made in the child). */
  struct stdio_fds io = {plan_find(&plan, "interactive") != NULL, -1, -1, -1, -1, -1, -1, -1};
  if (!want_pty && !inherit) {
    int a[2], b[2], c[2];
    if (io.interactive) { if (pipe2(a, O_CLOEXEC) < 0) die_msg("pipe", errno, "stdin"); io.in_r = a[0]; io.in_w = a[1]; }
    else if ((io.in_r = open_null(O_RDONLY)) < 0) die_msg("open", errno, "/dev/null (the runtime's own null device)");
    if (pipe2(b, O_CLOEXEC) < 0 || pipe2(c, O_CLOEXEC) < 0) die_msg("pipe", errno, "stdout");
    io.out_r = b[0]; io.out_w = b[1]; io.err_r = c[0]; io.err_w = c[1];
  }

  /* A new pid namespace (the payload is its pid 1; when it exits the kernel kills the rest) and a
   * new mount namespace owned by the host user namespace, where the tree is built. A joined pid
   * namespace (a pod's, join_early) instead: entered only now, so only the child goes into it, and
   * the payload is one more process there (the cgroup's kill reaps what it leaves behind). */
  if (pidns_fd >= 0) {
    if (setns(pidns_fd, CLONE_NEWPID) < 0) die_msg("setns", errno, "the joined pid namespace");
    close(pidns_fd);
  }
  pid_t pid = (pid_t)syscall(SYS_clone, (pidns_fd >= 0 ? 0 : CLONE_NEWPID) | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) die_msg("clone", errno, "pid and mount namespaces");
  if (pid == 0) {
    close(go[1]); close(err[0]); close(alive[1]);
    if (sock[0] >= 0) close(sock[0]);
    if (gate[0] >= 0) { close(gate[0]); g_start_fd = gate[1]; }
    if (lsock[0] >= 0) { close(lsock[0]); g_listener_sock = lsock[1]; }
    if (tgate[0] >= 0) { close(tgate[1]); g_trace_gate_fd = tgate[0]; }
    child_main(&plan, &ns, &io, go[0], err[1], alive[0], sock[1]);
  }
  close(go[0]); close(err[1]); close(alive[0]);
  if (sock[1] >= 0) close(sock[1]);
  if (gate[1] >= 0) close(gate[1]);
  if (lsock[1] >= 0) close(lsock[1]);
  if (tgate[0] >= 0) close(tgate[0]);
  if (io.in_r >= 0) close(io.in_r);
  if (io.out_w >= 0) close(io.out_w);
  if (io.err_w >= 0) close(io.err_w);
  close(ns.user); close(ns.uts); close(ns.ipc);
  if (ns.net >= 0) close(ns.net);

  join_cgroups(&plan, pid);
  report_json("pid", "\"pid\":%d", pid);
  if (write(go[1], "g", 1) != 1) die_msg("sync", errno, "child");
  close(go[1]);

  int master = -1;
  if (want_pty) {
    master = recv_fd(sock[0]);
    close(sock[0]);
    io.master = master;
    if (master >= 0 && console) { send_console(console, master); close(master); io.master = -1; }
  }
  if (gate[0] >= 0) {
    char c;
    int sig = 0;
    ssize_t got = read(gate[0], &c, 1);
    /* 'h': the namespaces and tree exist (child.c 3a); the runtime runs its createRuntime and
     * prestart hooks and says `hooked`, or sends a signal (a hook failed): the child dies unstarted */
    if (got == 1 && c == 'h') {
      report_json("hooks", NULL);
      if (!control_wait(pid, -1, &sig, "hooked")) {
        int st;
        waitpid(pid, &st, 0);
        report_json("exit", "\"code\":%d,\"signal\":%d", 128 + sig, sig);
        return 128 + sig;
      }
      if (write(gate[0], "h", 1) != 1) die_msg("hooks", errno, "release the container after its hooks");
      got = read(gate[0], &c, 1);
    }
    /* 'r': set up and waiting; EOF: a step failed, and the error pipe below says which */
    if (got == 1) {
      report_json("created", NULL);
      if (!control_wait(pid, -1, &sig, "start")) {
        int st;
        waitpid(pid, &st, 0);
        report_json("exit", "\"code\":%d,\"signal\":%d", 128 + sig, sig);
        return 128 + sig;
      }
      if (write(gate[0], "s", 1) != 1) die_msg("start", errno, "release the container");
    }
    close(gate[0]);
  }
  /* Traced (--supervisor ptrace): release the child to its filter only once the tracer is attached
   * (control_wait says why). A failing child goes on to the error pipe below. */
  if (tgate[1] >= 0) {
    int code = trace_release(pid, err[0], tgate[1]);
    if (code >= 0) return code;
  }
  /* Supervised: the listener goes on to the runtime at once (forward_listener says why) */
  if (lsock[0] >= 0) forward_listener(lsock[0], pid);
  /* The error pipe closes on a successful execve; a failing step writes its JSON line first. */
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
  if (want_pty && master < 0 && !console) { kill(pid, SIGKILL); die_msg("pty", EPROTO, "no pty from the child"); }
  report_json("started", NULL);
  if (want_pty && io.interactive) proxy_raw_terminal();
  int status = proxy_run(pid, &io, CONTROL_FD);
  proxy_restore_terminal();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (WIFSIGNALED(status)) report_json("exit", "\"code\":%d,\"signal\":%d", code, WTERMSIG(status));
  else report_json("exit", "\"code\":%d", code);
  (void)alive;
  return code;
}
