/* native/launcher/kernel.c — the per-container kernel settings a plan names: oom_score_adj and
 * namespaced sysctls (child, still host root, already inside the container's net, uts and ipc
 * namespaces, before the tree is built)
 *
 * The runtime (oci/sysctl.ts) decided which keys are the container's own; here every write goes
 * through an fd proven to be on procfs, opened beneath a procfs directory fd without following a
 * symlink (runc CVE-2025-31133 class: a path under /proc swapped for something else).
 */
#include "launcher.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static int proc_dir(const struct op *op, const char *path) {
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  struct statfs s;
  if (fd < 0) die_step(op, errno, path);
  if (fstatfs(fd, &s) < 0 || s.f_type != PROC_SUPER_MAGIC) die_step(op, EXDEV, path);
  return fd;
}

/* write_beneath: REL under DIRFD, never leaving it nor its mount; the opened file must be procfs */
static void write_beneath(const struct op *op, int dirfd, const char *rel, uint64_t resolve, const char *val, const char *shown) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_WRONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV | resolve;
  int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
  if (fd < 0) die_step(op, errno, shown);
  struct statfs s;
  if (fstatfs(fd, &s) < 0 || s.f_type != PROC_SUPER_MAGIC) die_step(op, EXDEV, shown);
  if (write_all(fd, val, strlen(val)) < 0) die_step(op, errno, shown);
  close(fd);
}

void kernel_apply(const struct plan *p) {
  /* oom_score_adj first and as host root: lowering it needs CAP_SYS_RESOURCE in the initial user
   * namespace, which the child gives up when it enters the container's; after that a process can
   * only raise it. Through the host's procfs (this mount namespace still has it) and `self`, never
   * a pid: the child is pid 1 of its own pid namespace, and /proc/1 there is the host's init. The
   * payload and everything it forks inherit the value. */
  const struct op *oom = plan_find(p, "oomscoreadj");
  if (oom) {
    if (oom->nfields != 2) die_step(oom, EINVAL, "oomscoreadj");
    int proc = proc_dir(oom, "/proc");
    write_beneath(oom, proc, "self/oom_score_adj", 0, oom->f[1], "/proc/self/oom_score_adj");
    close(proc);
  }
  /* sysctl KEY PATH VALUE nsroot|root: /proc/sys shows the namespaces of whoever opens a file — this
   * child, which joined the container's net, uts and ipc namespaces just before. No symlink is
   * followed. The ipc namespace's files (System V IPC, mqueue) let only that namespace's root write
   * them, with no capability override, so those are opened and written with the effective uid of the
   * container's root (the idmap base), then host root again: ruid and suid stay 0 throughout. */
  const struct op *base = plan_find(p, "idmapbase");
  int sys = -1;
  for (int i = 0; i < p->nops; i++) {
    const struct op *op = &p->ops[i];
    if (strcmp(op->f[0], "sysctl")) continue;
    if (op->nfields != 5 || !base || base->nfields != 3) die_step(op, EINVAL, "sysctl");
    if (sys < 0) sys = proc_dir(op, "/proc/sys");
    int as_ns_root = !strcmp(op->f[4], "nsroot");
    if (as_ns_root && setresuid((uid_t)-1, (uid_t)parse_ll(base->f[1], base), (uid_t)-1) < 0) die_step(op, errno, op->f[1]);
    write_beneath(op, sys, op->f[2], RESOLVE_NO_SYMLINKS, op->f[3], op->f[1]);
    if (as_ns_root && setresuid((uid_t)-1, 0, (uid_t)-1) < 0) die_step(op, errno, op->f[1]);
  }
  if (sys >= 0) close(sys);
}
