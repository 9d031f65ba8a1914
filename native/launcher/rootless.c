/* native/launcher/rootless.c — rootless mode: the launcher's own user namespace, mapped by the
 * setuid newuidmap/newgidmap from the user's /etc/subuid and /etc/subgid ranges (launcher, host
 * side, an unprivileged user; entered from main.c before anything else is made)
 *
 * Why an outer namespace of the launcher's own: everything the launcher does as root — build the
 * tree in a mount namespace owned by a namespace ABOVE the container's, write the container's id
 * maps, make its pid namespace — needs capabilities an unprivileged user has only in a user
 * namespace it made. So the launcher unshares one (U1: its root is the user, 1..N the user's
 * subordinate ids) and then runs unchanged: the container's user namespace (U2, userns.c) is made
 * inside U1 and mapped in U1's terms, and the child still builds the tree in a mount namespace
 * owned by U1 and locks it by entering U2 and unsharing a mount namespace there (child.c step 6).
 *
 * Why a helper for the maps: a process cannot map its own namespace beyond its own id, and the
 * setuid mappers must run outside it (an exec in an unmapped namespace runs as the overflow id, and
 * newuidmap checks the caller's real ids against /etc/subuid). The helper is forked BEFORE the
 * unshare, so it stays in the user's own namespace; it maps the launcher by pid once told to. The
 * launcher is its parent and alive throughout, so that pid cannot be reused meanwhile.
 */
#include "launcher.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* run_mapper execs MAPPER PID [inside outside count]... built from the plan's KIND records and
 * returns its exit status (127: it could not be run). */
static int run_mapper(const struct plan *p, const char *mapper, const char *kind, pid_t target) {
  char *argv[MAX_FIELDS * 3 + 3];
  char pidbuf[32];
  int n = 0;
  argv[n++] = (char *)mapper;
  snprintf(pidbuf, sizeof pidbuf, "%d", target);
  argv[n++] = pidbuf;
  for (int i = 0; i < p->nops && n < MAX_FIELDS * 3; i++) {
    const struct op *op = &p->ops[i];
    if (strcmp(op->f[0], kind) || op->nfields != 4) continue;
    argv[n++] = op->f[1]; argv[n++] = op->f[2]; argv[n++] = op->f[3];
  }
  argv[n] = NULL;
  pid_t k = fork();
  if (k < 0) return 127;
  if (k == 0) {
    /* only 0-2 cross: the mapper is setuid root and needs nothing of ours */
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, 0);
    dup2(2, 1);
    syscall(SYS_close_range, 3, ~0U, 0);
    char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    execve(mapper, argv, envp);
    _exit(127);
  }
  int st;
  while (waitpid(k, &st, 0) < 0) if (errno != EINTR) return 127;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void rootless_enter(const struct plan *p) {
  const struct op *r = plan_find(p, "rootless");
  if (!r) return;
  if (r->nfields != 3) die_step(r, EINVAL, "rootless");
  int go[2], res[2];
  if (pipe2(go, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) die_msg("rootless", errno, "pipe");
  pid_t self = getpid();
  pid_t h = fork();
  if (h < 0) die_msg("rootless", errno, "fork");
  if (h == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(go[1]);
    close(res[0]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(1); /* the launcher failed to unshare: it reports that */
    /* uid first: newgidmap checks nothing about it, but a failed uid map ends the attempt */
    unsigned char st[2] = {(unsigned char)run_mapper(p, r->f[1], "outeruidmap", self), 0};
    if (st[0] == 0) st[1] = (unsigned char)run_mapper(p, r->f[2], "outergidmap", self);
    if (write(res[1], st, 2) != 2) _exit(1);
    _exit(0);
  }
  close(go[0]);
  close(res[1]);
  if (unshare(CLONE_NEWUSER) < 0) die_step(r, errno, "unshare(CLONE_NEWUSER) for the rootless launcher");
  if (write(go[1], "g", 1) != 1) die_step(r, errno, "rootless map helper");
  close(go[1]);
  unsigned char st[2] = {255, 255};
  ssize_t got = read(res[0], st, 2);
  close(res[0]);
  int hs;
  while (waitpid(h, &hs, 0) < 0 && errno == EINTR) {}
  if (got != 2 || st[0] != 0) die_step(r, st[0] == 127 ? ENOENT : EPERM, r->f[1]);
  if (st[1] != 0) die_step(r, st[1] == 127 ? ENOENT : EPERM, r->f[2]);
  /* The maps give U1's root to the user: become it, so that files the launcher makes and the
   * container's U2 (owned by our euid) are the user's, and capabilities in U1 are ours. */
  if (setresgid(0, 0, 0) < 0) die_step(r, errno, "setresgid(0) in the rootless namespace");
  if (setresuid(0, 0, 0) < 0) die_step(r, errno, "setresuid(0) in the rootless namespace");
}

/* net_gate: `netgate` (rootless -p) — the runtime starts a user-mode network stack (slirp4netns) in
 * the container's new network namespace, reaching it through the helper H that made it: H is alive
 * and blocked until we let it go, so /proc/H cannot name another process meanwhile. We report H and
 * wait for `netup` before anything of the payload exists, so it never runs without its network
 * shaped (sandbox/network/usernet.ts: no default route). A signal line means the runtime gave up:
 * it has said why, so we leave without a second line; the helper dies with us (PDEATHSIG). */
void net_gate(const struct plan *p, pid_t h) {
  if (!plan_find(p, "netgate")) return;
  report_json("netns", "\"pid\":%d", h);
  char l[128];
  size_t n = 0;
  for (;;) {
    char c;
    ssize_t r = read(CONTROL_FD, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) _exit(125);
    if (c != '\n') { if (n < sizeof l - 1) l[n++] = c; continue; }
    l[n] = '\0';
    n = 0;
    if (!strcmp(l, "netup")) return;
    if (!strncmp(l, "signal ", 7)) _exit(125);
  }
}
