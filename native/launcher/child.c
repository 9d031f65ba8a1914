/* native/launcher/child.c — the containment order, on one screen (child: pid 1 of the new pid
 * namespace, in a new mount namespace still owned by the host user namespace)
 *
 * Each step says why it comes where it does. A failing step reports its plan index, errno and
 * path to the launcher over err_fd and exits 125; nothing of the payload has run by then.
 */
#include "launcher.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static char **collect(const struct plan *p, const char *name, int whole_record) {
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

/* exec_payload looks the command up on the container's PATH the way execvp does, but in the
 * container's environment, and reports why it could not run (ENOENT → 127, EACCES → 126). */
static _Noreturn void exec_payload(char **argv, char **envp) {
  if (!argv[0]) die_msg("execve", EINVAL, "empty command");
  int err = ENOENT;
  if (strchr(argv[0], '/')) {
    execve(argv[0], argv, envp);
    err = errno;
  } else {
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (char **e = envp; *e; e++) if (!strncmp(*e, "PATH=", 5)) path = *e + 5;
    char buf[PATH_MAX];
    int saw_eacces = 0;
    for (const char *d = path; d && *d;) {
      const char *c = strchr(d, ':');
      int l = c ? (int)(c - d) : (int)strlen(d);
      snprintf(buf, sizeof buf, "%.*s/%s", l, l ? d : ".", argv[0]);
      execve(buf, argv, envp);
      if (errno == EACCES || errno == ENOEXEC || errno == EPERM) { saw_eacces = errno; }
      else if (errno != ENOENT && errno != ENOTDIR) { err = errno; break; }
      d = c ? c + 1 : NULL;
    }
    if (saw_eacces && err == ENOENT) err = saw_eacces;
  }
  die_msg("execve", err, argv[0]);
}

_Noreturn void child_main(const struct plan *p, const struct nsfds *ns, const struct stdio_fds *io, int go_fd, int err_fd, int alive_fd, int pty_sock) {
  g_child_err_fd = err_fd;
  /* The launcher dies → we die: a container never runs unsupervised. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  /* The runtime's fds 0-2 leave this process at once: the payload gets launcher-owned pipes (or,
   * with -t, the pty slave later). The launcher's ignored signals are not the payload's. */
  if (io->master < 0 && io->out_w >= 0) {
    if (dup2(io->in_r, 0) < 0 || dup2(io->out_w, 1) < 0 || dup2(io->err_w, 2) < 0) die_msg("stdio", errno, "dup2");
  }
  if (io->in_w >= 0) close(io->in_w);
  if (io->out_r >= 0) close(io->out_r);
  if (io->err_r >= 0) close(io->err_r);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGQUIT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  /* Wait until the launcher has put us in our cgroup: every byte we allocate from here on counts. */
  char c;
  if (read(go_fd, &c, 1) != 1) die_msg("sync", EPIPE, "launcher went away");
  close(go_fd);

  /* 1. Make every mount a slave FIRST: whatever we mount below must never propagate back to the
   *    host, even where the host's / is shared (systemd hosts; this VM's / is private, so a missing
   *    step would pass here and leak elsewhere — the tests use a shared mount to catch it). */
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) die_msg("make-rslave", errno, "/");

  /* 2. Join the container's network, uts and ipc namespaces while still host root: they are owned
   *    by the container's user namespace, and joining now makes sysfs show the container's network. */
  if (ns->net >= 0 && setns(ns->net, CLONE_NEWNET) < 0) die_msg("setns", errno, "net");
  if (setns(ns->uts, CLONE_NEWUTS) < 0) die_msg("setns", errno, "uts");
  if (setns(ns->ipc, CLONE_NEWIPC) < 0) die_msg("setns", errno, "ipc");

  /* 2a. oom_score_adj and the namespaced sysctls (kernel.c): right after joining the namespaces
   *     they belong to (/proc/sys shows the opener's), and while still host root — lowering
   *     oom_score_adj needs privileges the child drops at step 6. */
  kernel_apply(p);

  /* 2b. A cgroup mount in the plan (OCI `cgroup`/`cgroup2`) must show the container's own view,
   *     so the cgroup namespace comes before the tree is built, rooted where the launcher already
   *     put us (our own cgroup). Made here it is owned by the host user namespace: container root
   *     cannot mount cgroupfs in it itself — it gets only the read-only mount the plan asked for. */
  int cgroupns_early = plan_find(p, "cgroupns") != NULL;
  /*     A joined cgroup namespace (a pod's, main.c join_early) is entered here for the same reason,
   *     and while still host root: after step 6 we would have no capability over its owner. */
  if (g_cgroupns_fd >= 0) {
    if (setns(g_cgroupns_fd, CLONE_NEWCGROUP) < 0) die_msg("setns", errno, "the joined cgroup namespace");
    close(g_cgroupns_fd);
    g_cgroupns_fd = -1;
    cgroupns_early = 1;
  } else if (cgroupns_early && unshare(CLONE_NEWCGROUP) < 0) die_msg("unshare", errno, "cgroup namespace");

  /* 3. Build the tree (idmapped layers, overlay, /proc, /dev, tmpfs, volumes, masks, read-only
   *    remounts) in this mount namespace, which the HOST user namespace owns. */
  mounts_build(p, ns, &pty_sock);

  /* 3a. OCI createRuntime/prestart hooks run now, in the runtime's namespaces: the container's
   *     namespaces and tree exist and pivot_root has not happened (runtime-spec lifecycle). The
   *     launcher tells the runtime and holds us; a failing hook kills us here, before any of the
   *     payload exists. */
  if (g_start_fd >= 0 && plan_find(p, "hookgate")) child_wait_hooks(g_start_fd);

  /* 3b. OCI createContainer hooks (hooks.c): after createRuntime (3a), in the container's
   *     namespaces, its tree built and pivot_root not yet done — the runtime-spec's order. Its
   *     host pid is read now, while the host's /proc is still ours (the hooks' state JSON). */
  if (plan_find(p, "hook")) {
    hooks_note_pid();
    hooks_run(p, ns, "createContainer");
  }

  /* 4. pivot_root into it and detach the old root: nothing of the host's tree stays reachable. */
  mounts_pivot(p);

  /* 5. rlimits while still host root: raising a hard limit needs CAP_SYS_RESOURCE in the initial
   *    user namespace, which is gone after the next step. */
  creds_rlimits(p);

  /* 6. Lock the tree: enter the container's user namespace, then unshare a mount namespace. The
   *    copy is owned by the container's user namespace, so every mount above is locked: container
   *    root cannot unmount a mask or remount the root read-write. */
  if (setns(ns->user, CLONE_NEWUSER) < 0) die_msg("setns", errno, "user");
  if (unshare(CLONE_NEWNS) < 0) die_msg("unshare", errno, "mount namespace");
  close(ns->user);
  close(ns->uts);
  close(ns->ipc);
  if (ns->net >= 0) close(ns->net);

  /* 7. The cgroup namespace only now: the launcher already moved us into our cgroup, and a cgroup
   *    namespace is rooted where the process stands when it is made (cloning with it first would
   *    root it at the launcher's cgroup; v1 has no CLONE_INTO_CGROUP). */
  if (!cgroupns_early && unshare(CLONE_NEWCGROUP) < 0) die_msg("unshare", errno, "cgroup namespace");
  const struct op *hn = plan_find(p, "hostname");
  /*    A joined uts namespace (a pod's) is not ours to rename, nor could we (its owner is not our
   *    user namespace): the hostname must be the one it already has (podman and the CRI give the pod's). */
  int uts_joined = 0;
  for (int i = 0; i < p->nops; i++) if (!strcmp(p->ops[i].f[0], "nsjoin") && p->ops[i].nfields == 3 && !strcmp(p->ops[i].f[1], "uts")) uts_joined = 1;
  if (hn && hn->nfields == 2 && uts_joined) {
    char cur[HOST_NAME_MAX + 1] = {0};
    if (gethostname(cur, sizeof cur - 1) < 0 || strcmp(cur, hn->f[1])) die_step(hn, EPERM, hn->f[1]);
  } else if (hn && hn->nfields == 2 && sethostname(hn->f[1], strlen(hn->f[1])) < 0) die_step(hn, errno, hn->f[1]);

  /* 8. Ids: supplementary groups first, then gid, then uid (after setresuid we could not change
   *    the others any more). */
  creds_switch_user(p);

  /* 9. The id change cleared PDEATHSIG: re-arm it, then make sure the launcher did not die in the
   *    window before (getppid() is 0 for pid 1, so the launcher's pipe tells instead). */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  struct pollfd pfd = {alive_fd, POLLIN, 0};
  if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLIN))) die_msg("pdeathsig", ESRCH, "launcher died");
  close(alive_fd);

  /* 10. Working directory, then prove it is inside the root: an fd leaked from the host could make
   *     a cwd outside it (CVE-2024-21626); getcwd() then reports "(unreachable)". */
  const struct op *cwd = plan_find(p, "cwd");
  const char *wd = cwd && cwd->nfields == 2 ? cwd->f[1] : "/";
  if (chdir(wd) < 0) die_step(cwd, errno, wd);
  char got[PATH_MAX];
  if (!getcwd(got, sizeof got) || got[0] != '/') die_step(cwd, EXDEV, wd);

  /* 11. A session of its own, always: the payload is never in the caller's session or process
   *     group, so it cannot reach the caller's terminal (TIOCSTI) nor get its job-control signals.
   *     With -t its controlling terminal is the pty slave, already on 0-2. */
  if (setsid() < 0) die_msg("setsid", errno, "");
  if (plan_find(p, "pty") && ioctl(0, TIOCSCTTY, 0) < 0) die_msg("TIOCSCTTY", errno, "/dev/pts");

  /* 11a. The payload's umask (OCI process.user.umask): last of what shapes the files it makes,
   *      after the launcher's own setup has made every file it makes. */
  const struct op *um = plan_find(p, "umask");
  if (um) umask((mode_t)(strtol(um->f[1], NULL, 8) & 0777));

  /* 12. Close every fd not passed on purpose: only 0-2 cross, and the error pipe closes on exec. */
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) die_msg("close_range", errno, "");

  /* 13. Capabilities: bounding, ambient, then effective/permitted/inheritable. After the uid change
   *     (which needed CAP_SETUID) and before no_new_privs and seccomp (capset must still be allowed). */
  creds_drop_caps(p);

  /* 14. no_new_privs: setuid files and file capabilities can never give back what was dropped; it
   *     also lets an unprivileged process install the filter. */
  if (plan_find(p, "nnp")) creds_no_new_privs();

  /* 14a. OCI create: everything is set up; wait for `start` (main.c) before anything of the
   *      payload runs. Before the filter, which need not allow this wait. */
  if (g_start_fd >= 0) child_wait_start(g_start_fd);

  /* 14b. OCI startContainer hooks (hooks.c): after `start`, before the payload execs, inside the
   *      container's root and as its process (ids, capabilities, no_new_privs); before the filter,
   *      which has no rule for a hook's fork and wait. */
  hooks_run(p, ns, "startContainer");

  /* 15. seccomp last: the filter need only allow what follows it — the error pipe's write and execve. */
  char **argv = collect(p, "argv", 1);
  char **envp = collect(p, "env", 0);
  /* 15a. --supervisor ptrace: wait until the runtime's tracer is attached (main.c control_wait), just
   *      before the filter whose traced syscalls need it; nothing of ours after this is traced but
   *      the payload's own execve, which the tracer then records. */
  if (g_trace_gate_fd >= 0) {
    char t;
    if (read(g_trace_gate_fd, &t, 1) != 1) die_msg("trace", EPIPE, "the tracer never attached");
    close(g_trace_gate_fd);
    g_trace_gate_fd = -1;
  }
  creds_seccomp(p);
  exec_payload(argv, envp);
}
