/* native/openhelper/openhelper.c — opens files on a container's behalf for the notify supervisor's
 * emulate rules (host child of the supervisor; joins only the container's mount and user namespaces)
 *
 * usage: openhelper UID GID RULE...
 *   UID GID  the ids (as seen inside the container) the opens are made as
 *   RULE     "INDEX:deny:/path" or "INDEX:allow:/path" — INDEX is the supervisor's emulate rule; a
 *            path matches itself and everything below it
 *   fd 0: requests, fd 1: replies, fd 2: errors, fd 3: the container's user ns, fd 4: its mount ns,
 *   fd 5: a unix socket the opened fds go back on (SCM_RIGHTS)
 *
 * DESIGN §5: a supervisor that reads a path and answers CONTINUE can be raced (another thread rewrites
 * the path after the check). So for an emulated open the supervisor reads the path once, and this
 * process opens exactly that copy inside the container's root; the supervisor injects the fd with
 * SECCOMP_IOCTL_NOTIF_ADDFD. The decision is made here on the path as *resolved*: the walk below
 * resolves every component itself (symlinks read and spliced in, `..` popped, never escaping the root),
 * so `ln -s /denied /tmp/x` is judged as /denied, and the final component is opened with O_NOFOLLOW
 * from the directory fd the walk holds, so the path decided on is the file opened.
 *
 * It runs with no more privilege than the container: the container's user namespace, its root's ids
 * (or the payload's), no capabilities, no_new_privs; never the container's pid namespace (where
 * container processes could ptrace it); non-dumpable; from a sealed memfd; holding only the root
 * dirfd and its three pipes/sockets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#define MAX_RULES 64
#define MAX_DEPTH 256
#define MAX_LINKS 40
#define BUF (2 * PATH_MAX + 64)

struct rule { unsigned index; int allow; const char *path; size_t len; };
static struct rule rules[MAX_RULES];
static int nrules;
static int rootfd = -1;

/* the request (little-endian, 56 bytes) then `pathlen` bytes of path — see sandbox/notify/emulate.ts */
struct req {
  uint32_t seq;
  int32_t dirfd;      /* AT_FDCWD (-100) or the caller's fd number */
  uint32_t nspid, nstid; /* the caller as its pid namespace sees it (for /proc/PID/task/TID/...) */
  uint32_t umask;
  uint32_t rule;
  uint64_t flags, mode, resolve;
  uint32_t pathlen;
  uint32_t pad;
};
/* the reply: refused 0 = the kernel's answer (err 0: an fd went on fd 5 just before), 1 = the rule
 * refused the resolved path, 2 = this helper refused (text says why); then `len` bytes of text
 * (the resolved path, or the reason) */
struct rep { uint32_t seq; int32_t err; uint32_t refused; uint32_t len; };

static void die(const char *what) {
  fprintf(stderr, "openhelper: %s: %s\n", what, strerror(errno));
  _exit(1);
}

static int readall(int fd, void *p, size_t n) {
  char *c = p;
  while (n) {
    ssize_t r = read(fd, c, n);
    if (r == 0) return 0;
    if (r < 0) { if (errno == EINTR) continue; return -1; }
    c += r; n -= (size_t)r;
  }
  return 1;
}

static void writeall(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0) { if (errno == EINTR) continue; _exit(0); } /* the supervisor is gone */
    c += w; n -= (size_t)w;
  }
}

static void reply(uint32_t seq, int err, unsigned refused, const char *text) {
  struct rep r = { seq, err, refused, (uint32_t)strlen(text) };
  struct iovec iov[2] = { { &r, sizeof r }, { (void *)text, r.len } };
  /* one writev: the supervisor reads replies as a byte stream, but a short write is handled too */
  ssize_t w = writev(1, iov, 2);
  if (w < 0) _exit(0);
  size_t done = (size_t)w;
  if (done < sizeof r) { writeall(1, (char *)&r + done, sizeof r - done); done = sizeof r; }
  if (done - sizeof r < r.len) writeall(1, text + (done - sizeof r), r.len - (done - sizeof r));
}

static void sendfd(int fd) {
  char byte = 'F';
  struct iovec iov = { &byte, 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
  memset(&u, 0, sizeof u);
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  while (sendmsg(5, &m, MSG_NOSIGNAL) < 0) if (errno != EINTR) _exit(0);
}

static long openat2_(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
  return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* matches: p equals the rule's path or lies below it */
static int matches(const struct rule *r, const char *p) {
  if (r->len == 1) return 1; /* "/" */
  return strncmp(p, r->path, r->len) == 0 && (p[r->len] == 0 || p[r->len] == '/');
}

/* allowed: the decision on the resolved path, for the rule the supervisor named */
static int allowed(unsigned index, const char *p) {
  int have = 0, allow_rule = 0;
  for (int i = 0; i < nrules; i++) {
    if (rules[i].index != index) continue;
    have = 1; allow_rule = rules[i].allow;
    if (matches(&rules[i], p)) return rules[i].allow;
  }
  return have && !allow_rule; /* a deny rule lets through what it does not name; an allow rule nothing else; no rule: nothing */
}

static int is_procfs(int fd, int *root) {
  struct statfs s; struct stat st;
  if (fstatfs(fd, &s) < 0 || s.f_type != PROC_SUPER_MAGIC) return 0;
  *root = fstat(fd, &st) == 0 && st.st_ino == 1; /* PROC_ROOT_INO */
  return 1;
}

struct walk { int fds[MAX_DEPTH + 1]; size_t lens[MAX_DEPTH + 1]; int depth; char canon[BUF]; };

static void unwind(struct walk *w, int to) {
  while (w->depth > to) close(w->fds[w->depth--]);
  w->canon[w->lens[w->depth]] = 0;
}

/* prepend: what is left to resolve (*pp, inside buf) becomes head + "/" + it, moved to buf's start
 * (a symlink's target, or /proc/self's substitute); no slash is added when nothing is left, so a
 * final symlink's target stays a final component */
static int prepend(char *buf, char **pp, const char *head) {
  size_t h = strlen(head), r = strlen(*pp);
  if (h + 1 + r + 1 > BUF) return -ENAMETOOLONG;
  memmove(buf + h + (r ? 1 : 0), *pp, r + 1);
  memcpy(buf, head, h);
  if (r) buf[h] = '/';
  *pp = buf;
  return 0;
}

/*
 * serve one request: resolve `path` inside the root component by component, decide on the resolved
 * path, open the final component from the directory fd the walk holds. Returns the fd, or -errno with
 * *refused and *why set.
 */
static int serve(const struct req *q, char *path, int *refused, const char **why, char *canon_out) {
  static char rest[BUF], start[BUF], link[PATH_MAX + 1];
  static struct walk w;
  uint64_t flags = q->flags, res = q->resolve;
  int in_root = (res & RESOLVE_IN_ROOT) != 0, beneath = (res & RESOLVE_BENEATH) != 0;
  *refused = 0; *why = "";
  if (res & ~(uint64_t)(RESOLVE_IN_ROOT | RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)) {
    *refused = 2; *why = "openat2 resolve flags other than IN_ROOT, BENEATH, NO_SYMLINKS, NO_MAGICLINKS are not emulated";
    return -EINVAL;
  }
  if (!path[0]) return -ENOENT;
  w.depth = 0; w.lens[0] = 0; w.canon[0] = 0;
  w.fds[0] = rootfd;
  /* a relative path starts at the caller's cwd or dirfd: found through the container's own procfs
   * (this process is in its mount namespace, not its pid namespace, so it names the caller by the
   * caller's pid there), checked to be procfs, then named by getcwd relative to our root (= the
   * container's root): the walk then runs from the root, so `..` and absolute symlinks behave as the
   * kernel's would for the caller. */
  if (path[0] != '/' || in_root || beneath) {
    int proc = openat2_(rootfd, "proc", O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    int isroot = 0;
    if (proc < 0 || !is_procfs(proc, &isroot) || !isroot) {
      if (proc >= 0) close(proc);
      *refused = 2; *why = "the container's /proc is not its procfs: a relative path cannot be resolved";
      return -EACCES;
    }
    char name[64];
    if (q->dirfd == AT_FDCWD) snprintf(name, sizeof name, "%u/task/%u/cwd", q->nspid, q->nstid);
    else snprintf(name, sizeof name, "%u/task/%u/fd/%d", q->nspid, q->nstid, q->dirfd);
    int d = openat(proc, name, O_PATH | O_DIRECTORY | O_CLOEXEC); /* follows the magic link: on purpose, once */
    int e = errno;
    close(proc);
    if (d < 0) return q->dirfd != AT_FDCWD && e == ENOENT ? -EBADF : -e;
    if (fchdir(d) < 0 || !getcwd(start, sizeof start) || start[0] != '/') {
      close(d);
      if (fchdir(rootfd) < 0) die("fchdir root");
      *refused = 2; *why = "the caller's directory is outside the container's root";
      return -EACCES;
    }
    if (fchdir(rootfd) < 0) die("fchdir root");
    if (in_root || beneath) {
      /* openat2's own scoping: the dirfd is the walk's root */
      w.fds[0] = d;
      strcpy(w.canon, strcmp(start, "/") ? start : "");
      w.lens[0] = strlen(w.canon);
      snprintf(rest, sizeof rest, "%s", path);
    } else {
      close(d);
      if (snprintf(rest, sizeof rest, "%s/%s", start, path) >= (int)sizeof rest) return -ENAMETOOLONG;
    }
  } else {
    snprintf(rest, sizeof rest, "%s", path);
  }
  if (beneath && rest[0] == '/') { *refused = 2; *why = "RESOLVE_BENEATH: absolute path"; unwind(&w, 0); if (w.fds[0] != rootfd) close(w.fds[0]); return -EXDEV; }
  int links = 0, ret;
  char *p = rest;
  for (;;) {
    while (*p == '/') p++;
    char *comp = p;
    while (*p && *p != '/') p++;
    int dir_wanted = *p == '/';
    if (*p) *p++ = 0;
    char *after = p;
    while (*after == '/') after++;
    int last = !*after;
    if (!*comp || !strcmp(comp, ".")) {
      if (last) { comp = "."; goto final; }
      continue;
    }
    if (!strcmp(comp, "..")) {
      if (w.depth == 0) {
        if (beneath) { ret = -EXDEV; *refused = 2; *why = "RESOLVE_BENEATH: `..` above the dirfd"; goto out; }
      } else unwind(&w, w.depth - 1);
      if (last) { comp = "."; goto final; }
      continue;
    }
    int isroot = 0;
    int onproc = is_procfs(w.fds[w.depth], &isroot);
    if (onproc && isroot && (!strcmp(comp, "self") || !strcmp(comp, "thread-self"))) {
      /* /proc/self inside this process would name the helper (which has no pid there at all):
       * it means the caller, by the caller's pid in its namespace */
      char sub[64];
      if (!strcmp(comp, "self")) snprintf(sub, sizeof sub, "%u", q->nspid);
      else snprintf(sub, sizeof sub, "%u/task/%u", q->nspid, q->nstid);
      if (dir_wanted) { p[-1] = '/'; p--; } /* keep the separator we cut */
      if ((ret = prepend(rest, &p, sub)) < 0) goto out;
      continue;
    }
    if (!last || dir_wanted) {
      int fd = (int)openat2_(w.fds[w.depth], comp, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
      if (fd >= 0) {
        if (w.depth == MAX_DEPTH) { close(fd); ret = -ENAMETOOLONG; goto out; }
        size_t l = w.lens[w.depth], c = strlen(comp);
        if (l + 1 + c + 1 > BUF) { close(fd); ret = -ENAMETOOLONG; goto out; }
        w.canon[l] = '/'; memcpy(w.canon + l + 1, comp, c + 1);
        w.fds[++w.depth] = fd; w.lens[w.depth] = l + 1 + c;
        if (last) { comp = "."; goto final; }
        continue;
      }
      if (errno != ELOOP) { ret = -errno; goto out; }
      /* ELOOP: it is a symlink — followed below like any other */
    } else {
      struct stat st;
      int follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
      if (!follow || fstatat(w.fds[w.depth], comp, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode)) goto final;
    }
    /* a symlink: on procfs below its root every link is a magic link (fd/N, cwd, exe, ns/…), which
     * RESOLVE_NO_MAGICLINKS refuses; the caller's RESOLVE_NO_SYMLINKS refuses them all */
    if (onproc && !isroot) { ret = -ELOOP; *refused = 2; *why = "a magic link under /proc is not followed"; goto out; }
    if (res & RESOLVE_NO_SYMLINKS) { ret = -ELOOP; goto out; }
    if (++links > MAX_LINKS) { ret = -ELOOP; goto out; }
    ssize_t n = readlinkat(w.fds[w.depth], comp, link, sizeof link - 1);
    if (n < 0) { if (errno == EINVAL) { ret = -EAGAIN; goto out; } ret = -errno; goto out; } /* swapped under us */
    link[n] = 0;
    if (dir_wanted) { p[-1] = '/'; p--; } /* a trailing slash still applies to the target */
    if ((ret = prepend(rest, &p, link)) < 0) goto out;
    if (link[0] == '/') {
      if (beneath) { ret = -EXDEV; *refused = 2; *why = "RESOLVE_BENEATH: absolute symlink"; goto out; }
      unwind(&w, 0); /* back to the root (the container's, or the dirfd under IN_ROOT) */
    }
    continue;
  final:
    /* the decision, on the path as resolved */
    {
      size_t l = w.lens[w.depth];
      if (strcmp(comp, ".")) snprintf(canon_out, BUF, "%s/%s", w.canon, comp);
      else snprintf(canon_out, BUF, "%s", l ? w.canon : "/");
      (void)l;
    }
    if (!allowed(q->rule, canon_out)) { ret = -EACCES; *refused = 1; goto out; }
    /* O_NOFOLLOW: the last component was checked not to be a symlink (or the caller said not to
     * follow one); one swapped in since fails with ELOOP rather than leading elsewhere */
    umask(q->umask & 0777);
    uint64_t mode = (flags & (O_CREAT | __O_TMPFILE)) ? (q->mode & 07777) : 0;
    int fd = (int)openat2_(w.fds[w.depth], comp, flags | O_NOFOLLOW | O_CLOEXEC, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS);
    ret = fd >= 0 ? fd : -errno;
    goto out;
  }
out:
  unwind(&w, 0);
  if (w.fds[0] != rootfd) close(w.fds[0]);
  if (ret < 0 && !canon_out[0]) snprintf(canon_out, BUF, "%s", path);
  return ret;
}

/* sealed: is this process running from a memfd sealed against every change? */
static int sealed(void) {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  int s = fcntl(fd, F_GET_SEALS);
  close(fd);
  return s >= 0 && (s & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)) == (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
}

static void reexec_sealed(char **argv) {
  extern char **environ;
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) die("open /proc/self/exe");
  int m = memfd_create("tss-openhelper", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (m < 0) die("memfd_create");
  struct stat st;
  if (fstat(exe, &st) < 0) die("fstat /proc/self/exe");
  for (off_t done = 0; done < st.st_size;) {
    ssize_t n = sendfile(m, exe, NULL, (size_t)(st.st_size - done));
    if (n <= 0) die("copy to memfd");
    done += n;
  }
  close(exe);
  if (fcntl(m, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) die("seal memfd");
  fexecve(m, argv, environ);
  die("fexecve sealed memfd");
}

static long num(const char *s, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < 0 || v > 0x7fffffff) { fprintf(stderr, "openhelper: %s `%s`: not an id\n", what, s); exit(2); }
  return v;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: openhelper UID GID [INDEX:deny|allow:/PATH]...\n"); return 2; }
  /* 1. PDEATHSIG first: the supervisor's death must end this process (its fd socket then closes, and
   * nothing opens files for a container nobody supervises). The parent may be gone already. */
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) return 1;
  /* 2. From a sealed memfd, before touching anything of the container (and before the arguments are
   * parsed in place): the running image cannot be rewritten through /proc/PID/exe (CVE-2019-5736
   * class) by anyone who could ever reach it. */
  if (!sealed()) reexec_sealed(argv);
  uid_t uid = (uid_t)num(argv[1], "UID");
  gid_t gid = (gid_t)num(argv[2], "GID");
  for (int i = 3; i < argc; i++) {
    char *a = argv[i], *c1 = strchr(a, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2 || c2[1] != '/' || nrules == MAX_RULES) { fprintf(stderr, "openhelper: rule `%s`: expected INDEX:deny|allow:/PATH\n", a); return 2; }
    *c1 = 0; *c2 = 0;
    rules[nrules] = (struct rule){ (unsigned)num(a, "rule index"), !strcmp(c1 + 1, "allow"), c2 + 1, strlen(c2 + 1) };
    if (strcmp(c1 + 1, "allow") && strcmp(c1 + 1, "deny")) { fprintf(stderr, "openhelper: rule mode `%s`: deny or allow\n", c1 + 1); return 2; }
    nrules++;
  }
  /* 3. Only the fds handed over on purpose; nothing of the supervisor leaks in. */
  if (syscall(SYS_close_range, 6, ~0U, 0) < 0) die("close_range");
  /* 4. Non-dumpable before joining anything: from the moment this process is in the container's
   * user namespace no container process may ptrace it or read its memory. */
  if (prctl(PR_SET_DUMPABLE, 0) < 0) die("PR_SET_DUMPABLE");
  /* 5. No supplementary groups while still host root (host gid 0 must not follow us in; inside, the
   * container's setgroups may be denied). */
  if (setgroups(0, NULL) < 0) die("setgroups");
  /* 6. The mount namespace before the user namespace: it may be owned by a user namespace above the
   * container's (the tree is built and locked from there), over which we keep no capability once
   * inside. setns(CLONE_NEWNS) makes our root and cwd the container's root. */
  if (setns(4, CLONE_NEWNS) < 0) die("setns mnt");
  rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) die("open root");
  /* 7. The user namespace: from here on every permission check is the container's. */
  if (setns(3, CLONE_NEWUSER) < 0) die("setns user");
  close(3); close(4);
  /* 8. Capabilities: the bounding and ambient sets while we still hold CAP_SETPCAP in the namespace,
   * then the ids (gid first: setresuid to a non-root id would take CAP_SETGID away), then every set. */
  for (int c = 0; c <= 63; c++) if (prctl(PR_CAPBSET_DROP, c) < 0 && errno != EINVAL) die("PR_CAPBSET_DROP");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) die("PR_CAP_AMBIENT_CLEAR_ALL");
  if (setresgid(gid, gid, gid) < 0) die("setresgid");
  if (setresuid(uid, uid, uid) < 0) die("setresuid");
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capset, &h, d) < 0) die("capset");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("PR_SET_NO_NEW_PRIVS");
  /* the id change reset dumpable to the system default: say it again */
  if (prctl(PR_SET_DUMPABLE, 0) < 0) die("PR_SET_DUMPABLE");
  prctl(PR_SET_NAME, "tss-openhelper");
  if (fchdir(rootfd) < 0) die("fchdir root");
  signal(SIGPIPE, SIG_IGN);

  static char path[PATH_MAX + 1], canon[BUF];
  struct req q;
  for (;;) {
    int r = readall(0, &q, sizeof q);
    if (r == 0) return 0; /* the supervisor closed: done */
    if (r < 0 || q.pathlen > PATH_MAX) { fprintf(stderr, "openhelper: malformed request\n"); return 1; }
    if (readall(0, path, q.pathlen) != 1) return 1;
    path[q.pathlen] = 0;
    if (strlen(path) != q.pathlen) { reply(q.seq, EINVAL, 2, "a NUL inside the path"); continue; }
    canon[0] = 0;
    int refused; const char *why;
    int fd = serve(&q, path, &refused, &why, canon);
    if (fd >= 0) {
      /* the fd goes first, then the reply that announces it: the supervisor takes it on reading the reply */
      sendfd(fd);
      close(fd);
      reply(q.seq, 0, 0, canon);
    } else {
      reply(q.seq, -fd, (unsigned)refused, refused == 2 ? why : canon);
    }
  }
}
