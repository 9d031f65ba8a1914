/* native/launcher/mounts.c — builds the container's root filesystem from the plan's setup
 * operations (child, in a mount namespace owned by the host user namespace, before pivot_root)
 *
 * Every path inside the image is reached through open_in_root (openat2 RESOLVE_IN_ROOT): a symlink
 * in the image can never send a mount, a mkdir or a file write outside the root. Mounts land on
 * /proc/self/fd/N of an O_PATH fd whose type was checked, never on a string path.
 */
#include "launcher.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int g_rootfd = -1;
static uid_t g_root_uid; /* host uid of the container's root (the idmap base) */
static gid_t g_root_gid;
static int g_nullfd = -1;

static const char *fdpath(int fd, char *buf) { sprintf(buf, "/proc/self/fd/%d", fd); return buf; }

/* as_container_root runs filesystem writes into the idmapped tree with the fsuid of the container's
 * root: through an idmapped mount, host root (fsuid 0) has no mapping and would get EOVERFLOW, and
 * files made in the image must belong to the container's root, not to the host's. */
static void as_container_root(int on) {
  setfsgid(on ? g_root_gid : 0);
  setfsuid(on ? g_root_uid : 0);
}

static int open_target(const struct op *op, const char *path, int want_dir) {
  int fd = open_in_root(g_rootfd, path, O_PATH, 0);
  if (fd < 0) die_step(op, errno, path);
  struct stat st;
  if (fstat(fd, &st) < 0) die_step(op, errno, path);
  if (want_dir == 1 && !S_ISDIR(st.st_mode)) die_step(op, ENOTDIR, path);
  if (want_dir == 0 && S_ISDIR(st.st_mode)) die_step(op, EISDIR, path);
  return fd;
}

static void idmap_layer(const struct op *op, const struct nsfds *ns, const char *src, const char *stage) {
  int fd = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0) die_step(op, errno, src);
  struct mount_attr attr = {0};
  attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr.userns_fd = (uint64_t)ns->user;
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) die_step(op, errno, src);
  if (syscall(SYS_move_mount, fd, "", AT_FDCWD, stage, MOVE_MOUNT_F_EMPTY_PATH) < 0) die_step(op, errno, stage);
  close(fd);
}

/* rootdir DIR idmap|plain — an OCI bundle's root.path, a plain directory (podman hands a mounted
 * overlay). `idmap`: its files are owned by host ids (root-run podman without a user namespace)
 * and are shown through the container's user namespace like our own layers; `plain`: config.json
 * mapped the ids and the files already belong to the container's range. Writes go to the
 * directory itself: that is the bundle's contract. */
static void build_root_dir(const struct op *rd, const struct nsfds *ns, const struct op *rootop) {
  if (rd->nfields != 3) die_step(rd, EINVAL, "rootdir");
  if (!strcmp(rd->f[2], "idmap")) idmap_layer(rd, ns, rd->f[1], rootop->f[1]);
  else {
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, rd->f[1], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (fd < 0) die_step(rd, errno, rd->f[1]);
    struct mount_attr attr = {0};
    attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) die_step(rd, errno, rd->f[1]);
    if (syscall(SYS_move_mount, fd, "", AT_FDCWD, rootop->f[1], MOVE_MOUNT_F_EMPTY_PATH) < 0) die_step(rd, errno, rootop->f[1]);
    close(fd);
  }
  g_rootfd = open(rootop->f[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (g_rootfd < 0) die_step(rootop, errno, rootop->f[1]);
}

/* The root: every image layer idmapped (files owned by 0 on disk appear owned by the container's
 * root, whatever host range this container got), stacked by overlayfs with the per-container
 * upper layer on top. nosuid,nodev: setuid bits in an image are data, never honoured. The rw
 * layer record's stage directory is unused (kept for the plan's shape). */
static void build_root(const struct plan *p, const struct nsfds *ns) {
  const struct op *rootop = plan_find(p, "root");
  const struct op *rw = plan_find(p, "rwlayer");
  if (!rootop || !rw) die_msg("root", EINVAL, "plan has no root or rwlayer");
  const struct op *rd = plan_find(p, "rootdir");
  if (rd) { build_root_dir(rd, ns, rootop); return; }
  int rootless = plan_find(p, "rootless") != NULL;
  char opts[4096] = "lowerdir=";
  size_t o = strlen(opts);
  int nlayers = 0;
  for (int i = p->nops - 1; i >= 0; i--) { /* overlay lists the TOP layer first */
    const struct op *op = &p->ops[i];
    if (strcmp(op->f[0], "layer") != 0) continue;
    if (op->nfields != 3) die_step(op, EINVAL, "layer");
    /* rootless: an idmapped mount needs CAP_SYS_ADMIN over the layer's filesystem (the host's),
     * which no user namespace gives; the user unpacked the layers as its own files, which U1
     * already shows as owned by 0 (rootless.c), so they are stacked as they are */
    const char *lower = op->f[2];
    if (rootless) lower = op->f[1];
    else idmap_layer(op, ns, op->f[1], op->f[2]);
    int n = snprintf(opts + o, sizeof opts - o, "%s%s", nlayers ? ":" : "", lower);
    if (n < 0 || (size_t)n >= sizeof opts - o) die_step(op, E2BIG, "overlay options");
    o += (size_t)n;
    nlayers++;
  }
  if (nlayers == 0) die_step(rootop, EINVAL, "no image layers");
  /* The upper layer is NOT idmapped: overlayfs creates its work directory with the mounter's
   * credentials (host root), which an idmapped upper could not represent (EOVERFLOW). Nothing is
   * lost: the upper layer belongs to this container alone, and what the container writes there is
   * owned on disk by the host ids of its own range — the same ids the idmapped layers show. */
  int n = snprintf(opts + o, sizeof opts - o, ",upperdir=%s/upper,workdir=%s/work,index=off,metacopy=off", rw->f[1], rw->f[1]);
  if (n < 0 || (size_t)n >= sizeof opts - o) die_step(rw, E2BIG, "overlay options");
  if (mount("overlay", rootop->f[1], "overlay", MS_NOSUID | MS_NODEV, opts) < 0) die_step(rootop, errno, rootop->f[1]);
  g_rootfd = open(rootop->f[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (g_rootfd < 0) die_step(rootop, errno, rootop->f[1]);
}

static unsigned long parse_mount_opts(const char *in, char *data, size_t cap) {
  unsigned long flags = 0;
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", in);
  data[0] = '\0';
  for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (!strcmp(t, "nosuid")) flags |= MS_NOSUID;
    else if (!strcmp(t, "nodev")) flags |= MS_NODEV;
    else if (!strcmp(t, "noexec")) flags |= MS_NOEXEC;
    else if (!strcmp(t, "ro")) flags |= MS_RDONLY;
    else if (!strcmp(t, "rw") || !strcmp(t, "exec") || !strcmp(t, "suid") || !strcmp(t, "dev")) continue;
    else {
      size_t l = strlen(data);
      snprintf(data + l, cap - l, "%s%s", l ? "," : "", t);
    }
  }
  return flags;
}

static void op_mkdir(const struct op *op) {
  mode_t mode = op->nfields > 2 ? (mode_t)strtol(op->f[2], NULL, 8) : 0755;
  as_container_root(1);
  int r = mkdir_in_root(g_rootfd, op->f[1], mode, NULL);
  int e = errno;
  as_container_root(0);
  if (r < 0) die_step(op, e, op->f[1]);
}

/* op_file writes a small file the runtime owns the content of (/etc/hosts …) into the upper layer. */
static void op_file(const struct op *op, int empty_only) {
  const char *path = op->f[1];
  const char *slash = strrchr(path, '/');
  char parent[4096];
  snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - path) : 0, path);
  const char *name = slash ? slash + 1 : path;
  as_container_root(1);
  int pfd = open_in_root(g_rootfd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY, 0);
  if (pfd < 0) { int e = errno; as_container_root(0); die_step(op, e, parent); }
  if (empty_only) { /* a bind-mount target for a file volume: keep an existing regular file */
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) { as_container_root(0); close(pfd); return; }
  }
  unlinkat(pfd, name, 0); /* an image symlink here is replaced, never followed */
  int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  int e = errno;
  as_container_root(0);
  if (fd < 0) die_step(op, e, path);
  if (!empty_only && op->nfields > 2) {
    unsigned char *b; size_t n;
    if (hexdecode(op->f[2], &b, &n) < 0 || write_all(fd, b, n) < 0) die_step(op, errno, path);
    free(b);
  }
  close(fd);
  close(pfd);
}

static void op_proc(const struct op *op) {
  char fp[64];
  int t = open_target(op, op->f[1], 1);
  if (mount("proc", fdpath(t, fp), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die_step(op, errno, op->f[1]);
  close(t);
  /* re-open and prove it is procfs: what we mounted is what later masks and writes go through */
  t = open_in_root(g_rootfd, op->f[1], O_PATH | O_DIRECTORY, 0);
  struct statfs s;
  if (t < 0 || fstatfs(t, &s) < 0 || s.f_type != PROC_SUPER_MAGIC) die_step(op, EXDEV, op->f[1]);
  close(t);
}

static void op_sysfs(const struct op *op) {
  char fp[64];
  int t = open_target(op, op->f[1], 1);
  if (mount("sysfs", fdpath(t, fp), "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0) die_step(op, errno, op->f[1]);
  close(t);
}

static void op_tmpfs(const struct op *op) {
  char fp[64], data[1024];
  unsigned long flags = parse_mount_opts(op->nfields > 2 ? op->f[2] : "", data, sizeof data);
  int t = open_target(op, op->f[1], 1);
  if (mount("tmpfs", fdpath(t, fp), "tmpfs", flags, data) < 0) die_step(op, errno, op->f[1]);
  close(t);
}

/* kernfs PATH FSTYPE DATA|- ro|rw: a fresh kernel filesystem — mqueue (mounted from the container's
 * ipc namespace, which the child joined, it shows that namespace's queues only) or cgroup/cgroup2
 * (the child's cgroup namespace is rooted at its own cgroup: child.c 2b). Only these types; the
 * mounted filesystem is checked by its magic like /proc. */
static void op_kernfs(const struct op *op) {
  if (op->nfields != 5) die_step(op, EINVAL, "kernfs");
  const char *t = op->f[2];
  unsigned long magic = !strcmp(t, "mqueue") ? 0x19800202UL : !strcmp(t, "cgroup") ? CGROUP_SUPER_MAGIC : !strcmp(t, "cgroup2") ? CGROUP2_SUPER_MAGIC : 0;
  if (!magic) die_step(op, EINVAL, t);
  char fp[64];
  int d = open_target(op, op->f[1], 1);
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (strcmp(op->f[4], "ro") ? 0 : MS_RDONLY);
  if (mount(t, fdpath(d, fp), t, flags, strcmp(op->f[3], "-") ? op->f[3] : NULL) < 0) die_step(op, errno, op->f[1]);
  close(d);
  d = open_in_root(g_rootfd, op->f[1], O_PATH | O_DIRECTORY, 0);
  struct statfs s;
  if (d < 0 || fstatfs(d, &s) < 0 || (unsigned long)s.f_type != magic) die_step(op, EXDEV, op->f[1]);
  close(d);
}

/* Device nodes are bind mounts of the host's own nodes, checked by type and number, onto empty
 * files in a fresh tmpfs: the container can never reach a node the plan did not name. */
static const struct { const char *name; unsigned maj, min; } known_dev[] = {
  {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/* container_gid_mapped: the container's gid G has a host id (a gidmap record covers it). Rootless
 * with the user's own id only, the tty group (5) has none, and devpts refuses an unmapped gid=. */
static int container_gid_mapped(const struct plan *p, unsigned g) {
  for (int i = 0; i < p->nops; i++) {
    const struct op *m = &p->ops[i];
    if (strcmp(m->f[0], "gidmap") || m->nfields != 4) continue;
    long long in = parse_ll(m->f[1], m), n = parse_ll(m->f[3], m);
    if ((long long)g >= in && (long long)g < in + n) return 1;
  }
  return 0;
}

static const struct plan *g_dev_plan;

static void op_dev(const struct op *op) {
  char fp[64], fp2[64], data[256];
  int t = open_target(op, op->f[1], 1);
  snprintf(data, sizeof data, "mode=755,size=65536,uid=%u,gid=%u", g_root_uid, g_root_gid);
  if (mount("tmpfs", fdpath(t, fp), "tmpfs", MS_NOSUID | MS_NOEXEC, data) < 0) die_step(op, errno, op->f[1]);
  close(t);
  int dev = open_in_root(g_rootfd, op->f[1], O_PATH | O_DIRECTORY, 0);
  if (dev < 0) die_step(op, errno, op->f[1]);
  for (int i = 2; i < op->nfields; i++) {
    const char *n = op->f[i];
    if (!strcmp(n, "pts")) {
      char o[128];
      /* a private devpts instance: the container's ptys are invisible to the host's and others' */
      if (container_gid_mapped(g_dev_plan, 5)) snprintf(o, sizeof o, "newinstance,ptmxmode=0666,mode=0620,gid=%u", g_root_gid + 5);
      else snprintf(o, sizeof o, "newinstance,ptmxmode=0666,mode=0620");
      if (mkdirat(dev, "pts", 0755) < 0) die_step(op, errno, "/dev/pts");
      int pt = openat(dev, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (pt < 0 || mount("devpts", fdpath(pt, fp), "devpts", MS_NOSUID | MS_NOEXEC, o) < 0) die_step(op, errno, "/dev/pts");
      close(pt);
      continue;
    }
    if (!strcmp(n, "ptmx")) { if (symlinkat("pts/ptmx", dev, "ptmx") < 0) die_step(op, errno, "/dev/ptmx"); continue; }
    /* the mount point of an OCI mqueue mount (a kernfs op later): /dev is read-only by then */
    if (!strcmp(n, "mqueue")) { if (mkdirat(dev, "mqueue", 0755) < 0) die_step(op, errno, "/dev/mqueue"); continue; }
    if (!strcmp(n, "shm")) {
      if (mkdirat(dev, "shm", 01777) < 0) die_step(op, errno, "/dev/shm");
      int sh = openat(dev, "shm", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      snprintf(data, sizeof data, "mode=1777,size=67108864,uid=%u,gid=%u", g_root_uid, g_root_gid);
      if (sh < 0 || mount("shm", fdpath(sh, fp), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data) < 0) die_step(op, errno, "/dev/shm");
      close(sh);
      continue;
    }
    int k = -1;
    for (size_t j = 0; j < sizeof known_dev / sizeof known_dev[0]; j++) if (!strcmp(known_dev[j].name, n)) k = (int)j;
    if (k < 0) die_step(op, EINVAL, n);
    char host[64];
    snprintf(host, sizeof host, "/dev/%s", n);
    int src = open(host, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (src < 0 || fstat(src, &st) < 0) die_step(op, errno, host);
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != known_dev[k].maj || minor(st.st_rdev) != known_dev[k].min) die_step(op, EXDEV, host);
    int f = openat(dev, n, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (f < 0) die_step(op, errno, n);
    if (mount(fdpath(src, fp), fdpath(f, fp2), NULL, MS_BIND, NULL) < 0) die_step(op, errno, host);
    close(f);
    close(src);
  }
  static const char *links[][2] = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
  for (size_t j = 0; j < 4; j++) if (symlinkat(links[j][0], dev, links[j][1]) < 0) die_step(op, errno, links[j][1]);
  /* /dev itself is read-only once populated: no new names can appear in it */
  int dv = open_in_root(g_rootfd, op->f[1], O_PATH | O_DIRECTORY, 0);
  if (mount(NULL, fdpath(dv, fp), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) < 0) die_step(op, errno, op->f[1]);
  close(dv);
  close(dev);
}

static void set_attr(const struct op *op, int fd, uint64_t set, unsigned flags, const char *what) {
  struct mount_attr a = {0};
  a.attr_set = set;
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | flags, &a, sizeof a) < 0) die_step(op, errno, what);
}

/* bind SRC DST ro|rw: SRC is a host path the user named; DST resolves inside the root. */
static void op_bind(const struct op *op) {
  if (op->nfields < 4) die_step(op, EINVAL, "bind");
  int src = (int)syscall(SYS_open_tree, AT_FDCWD, op->f[1], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (src < 0) die_step(op, errno, op->f[1]);
  struct stat st;
  if (fstat(src, &st) < 0) die_step(op, errno, op->f[1]);
  uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (strcmp(op->f[3], "ro") == 0 ? MOUNT_ATTR_RDONLY : 0);
  set_attr(op, src, attrs, AT_RECURSIVE, op->f[1]); /* recursive: no submount stays writable */
  int t = open_target(op, op->f[2], S_ISDIR(st.st_mode) ? 1 : 0);
  if (syscall(SYS_move_mount, src, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) die_step(op, errno, op->f[2]);
  close(t);
  close(src);
}

/* mask: files get the runtime's own /dev/null (held as an fd, checked by rdev), directories an
 * empty read-only tmpfs. A path the kernel does not have is skipped. */
static void op_mask(const struct op *op) {
  char fp[64], fp2[64];
  int t = open_in_root(g_rootfd, op->f[1], O_PATH, 0);
  if (t < 0 && errno == ENOENT) return;
  if (t < 0) die_step(op, errno, op->f[1]);
  struct stat st;
  if (fstat(t, &st) < 0) die_step(op, errno, op->f[1]);
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", fdpath(t, fp), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=500") < 0) die_step(op, errno, op->f[1]);
  } else if (mount(fdpath(g_nullfd, fp2), fdpath(t, fp), NULL, MS_BIND, NULL) < 0) {
    die_step(op, errno, op->f[1]);
  }
  close(t);
}

static void op_readonly(const struct op *op) {
  int t = open_in_root(g_rootfd, op->f[1], O_PATH, 0);
  if (t < 0 && errno == ENOENT) return;
  if (t < 0) die_step(op, errno, op->f[1]);
  int c = (int)syscall(SYS_open_tree, t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
  if (c < 0) die_step(op, errno, op->f[1]);
  set_attr(op, c, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, AT_RECURSIVE, op->f[1]);
  if (syscall(SYS_move_mount, c, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) die_step(op, errno, op->f[1]);
  close(c);
  close(t);
}

/* The pty lives in the container's own devpts; the launcher gets the master over a socket. */
static void op_pty(const struct op *op, int sock) {
  int m = open_in_root(g_rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, 0);
  if (m < 0) die_step(op, errno, "/dev/pts/ptmx");
  int unlock = 0, n = -1;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0) die_step(op, errno, "/dev/pts/ptmx");
  char sp[64];
  snprintf(sp, sizeof sp, "/dev/pts/%d", n);
  int s = open_in_root(g_rootfd, sp, O_RDWR | O_NOCTTY, 0);
  if (s < 0) die_step(op, errno, sp);
  if (dup2(s, 0) < 0 || dup2(s, 1) < 0 || dup2(s, 2) < 0) die_step(op, errno, sp);
  close(s);
  char cbuf[CMSG_SPACE(sizeof(int))] = {0};
  char b = 'p';
  struct iovec iov = {&b, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &m, sizeof(int));
  if (sendmsg(sock, &msg, 0) < 0) die_step(op, errno, "pty to launcher");
  close(m);
}

void mounts_build(const struct plan *p, const struct nsfds *ns, int *pty_sock) {
  const struct op *base = plan_find(p, "idmapbase");
  if (!base || base->nfields != 3) die_msg("idmapbase", EINVAL, "plan has no idmapbase");
  g_root_uid = (uid_t)parse_ll(base->f[1], base);
  g_root_gid = (gid_t)parse_ll(base->f[2], base);
  /* the runtime's own /dev/null, opened before the image's files exist and checked by number */
  g_nullfd = open_null(O_PATH);
  if (g_nullfd < 0) die_msg("mask", errno, "/dev/null (the runtime's own null device)");
  build_root(p, ns);
  g_dev_plan = p;
  for (int i = 0; i < p->nops; i++) {
    const struct op *op = &p->ops[i];
    const char *k = op->f[0];
    if (op->nfields < 2 && strcmp(k, "rootro") && strcmp(k, "pty")) continue;
    if (!strcmp(k, "mkdir")) op_mkdir(op);
    else if (!strcmp(k, "file")) op_file(op, 0);
    else if (!strcmp(k, "mkfile")) op_file(op, 1);
    else if (!strcmp(k, "proc")) op_proc(op);
    else if (!strcmp(k, "sysfs")) op_sysfs(op);
    else if (!strcmp(k, "dev")) op_dev(op);
    else if (!strcmp(k, "tmpfs")) op_tmpfs(op);
    else if (!strcmp(k, "kernfs")) op_kernfs(op);
    else if (!strcmp(k, "bind")) op_bind(op);
    else if (!strcmp(k, "mask")) op_mask(op);
    else if (!strcmp(k, "readonly")) op_readonly(op);
    else if (!strcmp(k, "pty")) op_pty(op, *pty_sock);
    else if (!strcmp(k, "rootro")) set_attr(op, g_rootfd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, "/");
  }
}

/* pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves only the
 * container's tree. No put_old directory is needed, which a read-only root could not offer. */
void mounts_pivot(const struct plan *p) {
  (void)p;
  if (fchdir(g_rootfd) < 0) die_msg("pivot_root", errno, "chdir to the new root");
  if (syscall(SYS_pivot_root, ".", ".") < 0) die_msg("pivot_root", errno, ".");
  if (umount2(".", MNT_DETACH) < 0) die_msg("pivot_root", errno, "detach the old root");
  if (chdir("/") < 0) die_msg("pivot_root", errno, "/");
  close(g_rootfd);
  close(g_nullfd);
}
