/* native/launcher/userns.c — makes the container's user namespace (and the net, uts and ipc
 * namespaces it owns) in a short-lived helper process (launcher, host side)
 *
 * Why a helper: the root filesystem must be built in a mount namespace owned by the HOST user
 * namespace (so that container root cannot undo masks: the mounts become locked when the child
 * later enters its own user namespace and unshares a mount namespace), yet idmapped mounts need
 * the container's user namespace to exist before the tree is built. So a helper unshares the user
 * namespace first, the launcher writes its id maps, the helper unshares net/uts/ipc inside it (so
 * those are owned by the container's user namespace: lab's NET_ADMIN acts only on its own network),
 * and the launcher keeps all four as fds for the child to use and to enter.
 */
#include "launcher.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <net/if.h>
#include <unistd.h>

/* write_proc writes to a /proc file through an fd proven to be on procfs (runc CVE-2025-31133 class:
 * a path under /proc could have been swapped for something else). */
static void write_proc(const struct op *op, const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) die_step(op, errno, path);
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0) die_step(op, errno, path);
  if (sfs.f_type != PROC_SUPER_MAGIC) die_step(op, EXDEV, path);
  if (write_all(fd, data, strlen(data)) < 0) die_step(op, errno, path);
  close(fd);
}

static void build_map(const struct plan *p, const char *kind, char *out, size_t cap, const struct op **first) {
  size_t o = 0;
  out[0] = '\0';
  *first = NULL;
  for (int i = 0; i < p->nops; i++) {
    const struct op *op = &p->ops[i];
    if (strcmp(op->f[0], kind) != 0) continue;
    if (op->nfields != 4) die_step(op, EINVAL, kind);
    if (!*first) *first = op;
    o += (size_t)snprintf(out + o, cap - o, "%s %s %s\n", op->f[1], op->f[2], op->f[3]);
  }
}

/* loopback_up brings `lo` up in the new network namespace (docker's "none" network is loopback
 * only, not no network at all). The helper holds CAP_NET_ADMIN over the namespace its user
 * namespace owns, nothing more. */
static int loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int r = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (r == 0) { ifr.ifr_flags |= IFF_UP; r = ioctl(s, SIOCSIFFLAGS, &ifr); }
  close(s);
  return r;
}

/* unprivileged_low_ports lets a payload without capabilities bind port 80 in its own network
 * namespace (DESIGN §3; docker does the same): the sysctl is per network namespace, and /proc/sys/net
 * shows the namespace of whoever opens it — the helper, already inside the new one. Written through
 * an fd proven to be on procfs. */
static void unprivileged_low_ports(void) {
  static const char path[] = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) die_msg("sysctl", errno, path);
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0) die_msg("sysctl", errno, path);
  if (sfs.f_type != PROC_SUPER_MAGIC) die_msg("sysctl", EXDEV, path);
  if (write(fd, "0", 1) != 1) die_msg("sysctl", errno, path);
  close(fd);
}

/* publish_netns bind-mounts the new network namespace onto a file the runtime made (`netnsfile
 * PATH`): the port proxy and the lab network's hook reach the namespace through it, never through
 * a pid that could be reused. The runtime unmounts it when the container is gone. */
static void publish_netns(const struct plan *p, pid_t h) {
  const struct op *op = plan_find(p, "netnsfile");
  if (!op) return;
  if (op->nfields != 2) die_step(op, EINVAL, "netnsfile");
  char src[64];
  snprintf(src, sizeof src, "/proc/%d/ns/net", h);
  if (mount(src, op->f[1], NULL, MS_BIND, NULL) < 0) die_step(op, errno, op->f[1]);
}

/* run_hook runs the plan's `nethook ARGV...` (the lab network's attach script) once the namespace
 * exists and before the payload does, so the payload starts with its network in place. Only fds
 * 0-2 cross; the hook's stdout goes to stderr (the payload's output stays the payload's). */
static void run_hook(const struct plan *p) {
  const struct op *op = plan_find(p, "nethook");
  if (!op) return;
  if (op->nfields < 2) die_step(op, EINVAL, "nethook");
  pid_t k = fork();
  if (k < 0) die_step(op, errno, op->f[1]);
  if (k == 0) {
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, 0);
    dup2(2, 1);
    syscall(SYS_close_range, 3, ~0U, 0);
    char *argv[MAX_FIELDS];
    int n = 0;
    for (int i = 1; i < op->nfields && n < MAX_FIELDS - 1; i++) argv[n++] = op->f[i];
    argv[n] = NULL;
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(k, &st, 0) < 0) if (errno != EINTR) die_step(op, errno, op->f[1]);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) die_step(op, ECHILD, op->f[op->nfields - 1]);
}

/* helper_failed: the helper ended before saying "n". If it reported its step (exit 125) that line
 * stands alone — a second one would hide it; otherwise say what the launcher knows. */
static _Noreturn void helper_failed(pid_t h, const char *what) {
  int st;
  while (waitpid(h, &st, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(st) && WEXITSTATUS(st) == 125) _exit(125);
  die_msg("userns", EPERM, what);
}

static int open_ns(pid_t pid, const char *name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_msg("userns", errno, path);
  return fd;
}

void userns_create(const struct plan *p, struct nsfds *out) {
  int to_helper[2], from_helper[2];
  const struct op *netop = plan_find(p, "netns");
  int new_net = !netop || strcmp(netop->f[1], "host") != 0;
  /* a joined uts or ipc namespace (main.c join_early): the launcher, and so the helper, is in it already */
  int own = 0;
  for (int i = 0; i < p->nops; i++) {
    const struct op *j = &p->ops[i];
    if (strcmp(j->f[0], "nsjoin") || j->nfields != 3) continue;
    if (!strcmp(j->f[1], "uts")) own |= CLONE_NEWUTS;
    if (!strcmp(j->f[1], "ipc")) own |= CLONE_NEWIPC;
  }
  int fresh = (CLONE_NEWUTS | CLONE_NEWIPC) & ~own;
  if (pipe2(to_helper, O_CLOEXEC) < 0 || pipe2(from_helper, O_CLOEXEC) < 0) die_msg("userns", errno, "pipe");
  pid_t h = fork();
  if (h < 0) die_msg("userns", errno, "fork");
  if (h == 0) {
    char c = 0;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(to_helper[1]);   /* else our own copy would keep the pipe from ever reaching EOF */
    close(from_helper[0]);
    if (unshare(CLONE_NEWUSER) < 0) _exit(10);
    if (write(from_helper[1], "u", 1) != 1) _exit(11);
    if (read(to_helper[0], &c, 1) != 1) _exit(12); /* maps written */
    /* the helper's own failures are reported by the helper (die_msg: one status line naming the
     * step, exit 125); the launcher then says nothing more (helper_failed) */
    if ((fresh || new_net) && unshare(fresh | (new_net ? CLONE_NEWNET : 0)) < 0) die_msg("unshare", errno, "net, uts and ipc namespaces");
    if (new_net && loopback_up() < 0) die_msg("loopback", errno, "lo");
    if (new_net) unprivileged_low_ports();
    if (write(from_helper[1], "n", 1) != 1) _exit(14);
    if (read(to_helper[0], &c, 1) < 0) _exit(15); /* wait until the launcher holds the namespaces */
    _exit(0);
  }
  /* The helper's ends close here, not after waitpid: while we held a copy of from_helper[1], a
   * helper that died before writing left our read() waiting forever instead of seeing EOF. */
  close(from_helper[1]);
  close(to_helper[0]);
  char c;
  if (read(from_helper[0], &c, 1) != 1) die_msg("userns", EPERM, "unshare(CLONE_NEWUSER) in the helper");
  char map[4096], path[64];
  const struct op *first;
  build_map(p, "uidmap", map, sizeof map, &first);
  snprintf(path, sizeof path, "/proc/%d/uid_map", h);
  if (first) write_proc(first, path, map);
  build_map(p, "gidmap", map, sizeof map, &first);
  snprintf(path, sizeof path, "/proc/%d/gid_map", h);
  if (first) write_proc(first, path, map);
  if (write(to_helper[1], "m", 1) != 1) die_msg("userns", errno, "helper");
  if (read(from_helper[0], &c, 1) != 1) helper_failed(h, "unshare(net, uts, ipc) in the helper");
  out->user = open_ns(h, "user");
  out->uts = open_ns(h, "uts");
  out->ipc = open_ns(h, "ipc");
  out->net = new_net ? open_ns(h, "net") : -1;
  if (new_net) { publish_netns(p, h); run_hook(p); net_gate(p, h); }
  close(to_helper[1]);
  int st;
  waitpid(h, &st, 0);
  close(from_helper[0]);
}
