/* native/launcher/hooks.c — OCI createContainer and startContainer hooks, run by the child inside
 * the container's namespaces (child, pid 1 of the container's pid namespace; oci/hooks.ts decides)
 *
 * Records: `hook STAGE TIMEOUT PATH ARGC ARGV... ENV...` (in config.json order) and `hookstate STAGE
 * PREFIX SUFFIX` — the state JSON around the container's host pid, which only this process knows
 * (before pivot_root, the host's /proc names it). Each hook: the state JSON on stdin, exactly its
 * args and env, stdout to the runtime's /dev/null, stderr kept for the error line, its own process
 * group killed whole at its timeout. A failing hook fails this step: create (createContainer) or
 * start (startContainer) reports it and the container dies before any of the payload runs.
 *
 * Credentials, as runc gives them (its init process runs these hooks): createContainer runs as the
 * container's root — inside its user namespace, with no more capabilities than the container, and
 * no_new_privs — though still in the mount namespace owned by the host user namespace, so it can
 * neither undo the tree nor see past pivot_root's cut (the tree is not cut yet: that is the spec's
 * point of this stage). startContainer runs as the container's process user, with its capabilities
 * and no_new_privs, after pivot_root, so its path resolves inside the container's root. Neither
 * runs under the container's seccomp filter (runc installs it after them when no_new_privs is set).
 */
#include "launcher.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long g_host_pid = -1;

/* hooks_note_pid: the container's pid as the host sees it, read while the host's /proc is still
 * this process's /proc (before pivot_root): /proc/self resolves in the pid namespace of the procfs */
void hooks_note_pid(void) {
  char b[32];
  ssize_t n = readlink("/proc/self", b, sizeof b - 1);
  if (n > 0) { b[n] = '\0'; g_host_pid = strtol(b, NULL, 10); }
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* run_one: fork, set the hook's credentials (enter_user), exec; returns only when it exited 0 */
static void run_one(const struct op *op, const char *state, int enter_user, const struct plan *p, const struct nsfds *ns) {
  const char *stage = op->f[1], *path = op->f[3];
  long timeout = strtol(op->f[2], NULL, 10);
  int argc = (int)strtol(op->f[4], NULL, 10);
  if (argc < 0 || 5 + argc > op->nfields) die_step(op, EINVAL, "hook record");
  int in[2], err[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) die_msg("hook", errno, "pipe");
  int nul = open_null(O_WRONLY);
  if (nul < 0) die_msg("hook", errno, "/dev/null (the runtime's own null device)");
  pid_t h = fork();
  if (h < 0) die_msg("hook", errno, "fork");
  if (h == 0) {
    setpgid(0, 0);
    if (dup2(in[0], 0) < 0 || dup2(nul, 1) < 0 || dup2(err[1], 2) < 0) _exit(126);
    /* a step below that fails (die_*) reports on the hook's stderr — its last line, read below —
     * not on the child's error pipe, which would then carry two error lines */
    g_child_err_fd = 2;
    signal(SIGPIPE, SIG_DFL);
    /* createContainer: the container's root in its user namespace, then the container's caps
     * (creds_drop_caps keeps the plan's set for uid 0) and no_new_privs */
    if (enter_user) {
      if (setns(ns->user, CLONE_NEWUSER) < 0 || setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) _exit(126);
      creds_drop_caps(p);
      creds_no_new_privs();
    }
    syscall(SYS_close_range, 3, ~0U, 0);
    char *argv[MAX_FIELDS + 1], *envp[MAX_FIELDS + 1];
    int a = 0, e = 0;
    for (int i = 0; i < argc; i++) argv[a++] = op->f[5 + i];
    if (!a) argv[a++] = (char *)path;
    argv[a] = NULL;
    for (int i = 5 + argc; i < op->nfields; i++) envp[e++] = op->f[i];
    envp[e] = NULL;
    execve(path, argv, envp);
    dprintf(2, "execve: %s\n", strerror(errno));
    _exit(127);
  }
  /* in the parent too: a kill(-h) below may come before the child's own setpgid ran */
  setpgid(h, h);
  close(in[0]); close(err[1]); close(nul);
  /* a hook need not read its stdin: what fits in the pipe is written, the rest dropped */
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  if (write(in[1], state, strlen(state)) < 0) { /* it closed its stdin */ }
  close(in[1]);
  char last[512] = {0};
  size_t ln = 0;
  long long deadline = timeout > 0 ? now_ms() + timeout * 1000 : 0;
  int st = 0, timed_out = 0, open_err = 1;
  for (;;) {
    pid_t w = waitpid(h, &st, WNOHANG);
    if (w == h) break;
    if (deadline && now_ms() >= deadline) { timed_out = 1; kill(-h, SIGKILL); waitpid(h, &st, 0); break; }
    struct pollfd pf = {open_err ? err[0] : -1, POLLIN, 0};
    if (poll(&pf, 1, 50) > 0 && open_err) {
      char b[256];
      ssize_t n = read(err[0], b, sizeof b);
      if (n <= 0) open_err = 0;
      else for (ssize_t i = 0; i < n; i++) {
        if (b[i] == '\n') { if (ln) { last[ln] = '\0'; ln = 0; } continue; }
        if (!ln) memset(last, 0, sizeof last);
        if (ln < sizeof last - 1) last[ln++] = b[i];
      }
    }
  }
  /* whatever it forked is in its process group: gone with it */
  kill(-h, SIGKILL);
  close(err[0]);
  if (!timed_out && WIFEXITED(st) && WEXITSTATUS(st) == 0) return;
  char why[1024];
  if (timed_out) snprintf(why, sizeof why, "%s hook %s: timed out after %ld s", stage, path, timeout);
  else if (WIFSIGNALED(st)) snprintf(why, sizeof why, "%s hook %s: killed by signal %d", stage, path, WTERMSIG(st));
  else snprintf(why, sizeof why, "%s hook %s: exit %d%s%s%s", stage, path, WEXITSTATUS(st), last[0] ? " (" : "", last, last[0] ? ")" : "");
  die_msg("hook", timed_out ? ETIMEDOUT : ECHILD, why);
}

/* hooks_run: every `hook` record of STAGE, in order; the first failure ends the container */
void hooks_run(const struct plan *p, const struct nsfds *ns, const char *stage) {
  const struct op *hs = NULL;
  for (int i = 0; i < p->nops; i++)
    if (!strcmp(p->ops[i].f[0], "hookstate") && p->ops[i].nfields == 4 && !strcmp(p->ops[i].f[1], stage)) hs = &p->ops[i];
  char state[16384];
  snprintf(state, sizeof state, "%s%ld%s", hs ? hs->f[2] : "{\"pid\":", g_host_pid, hs ? hs->f[3] : "}");
  for (int i = 0; i < p->nops; i++) {
    const struct op *op = &p->ops[i];
    if (strcmp(op->f[0], "hook") || op->nfields < 5 || strcmp(op->f[1], stage)) continue;
    run_one(op, state, !strcmp(stage, "createContainer"), p, ns);
  }
}
