/* native/launcher/util.c — small helpers: I/O, numbers, and path resolution confined to a root (launcher and child) */
#include "launcher.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return (int)got;
    got += (size_t)r;
  }
  return (int)got;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int hexdecode(const char *hex, unsigned char **out, size_t *len) {
  size_t n = strlen(hex);
  if (n % 2) { errno = EINVAL; return -1; }
  unsigned char *b = malloc(n / 2 + 1);
  if (!b) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) { free(b); errno = EINVAL; return -1; }
    b[i] = (unsigned char)(hi << 4 | lo);
  }
  *out = b;
  *len = n / 2;
  return 0;
}

long long parse_ll(const char *s, const struct op *op) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *s == '\0' || *end != '\0') die_step(op, EINVAL, s);
  return v;
}

/* open_in_root resolves PATH as if ROOTFD were "/": symlinks and ".." cannot leave it
 * (RESOLVE_IN_ROOT) and magic links (/proc/self/fd/…) are refused. This is how every path inside
 * the image is reached once its files exist (CVE-2021-30465 class). */
int open_in_root(int rootfd, const char *path, int flags, int resolve) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = (uint64_t)(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve);
  while (*path == '/') path++;
  if (*path == '\0') path = ".";
  for (;;) {
    long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    if (fd < 0 && errno == EAGAIN) continue; /* a concurrent rename; retry as the man page says */
    return (int)fd;
  }
}

/* mkdir_in_root creates PATH and its missing parents inside the root, each parent resolved inside
 * the root. *created tells whether the last component was made here. */
int mkdir_in_root(int rootfd, const char *path, mode_t mode, int *created) {
  char buf[4096];
  if (created) *created = 0;
  if (strlen(path) >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
  strcpy(buf, path);
  char *p = buf;
  while (*p == '/') p++;
  for (;;) {
    char *slash = strchr(p, '/');
    if (slash) *slash = '\0';
    if (*p != '\0') {
      int fd = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
      if (fd >= 0) {
        close(fd);
      } else if (errno == ENOENT) {
        /* the parent exists (checked on the previous round); create the child inside it */
        char *last = strrchr(buf, '/');
        int parent;
        const char *name;
        if (last && last != buf) {
          *last = '\0';
          parent = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
          *last = '/';
          name = last + 1;
        } else {
          parent = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
          name = (last == buf) ? buf + 1 : buf;
        }
        if (parent < 0) return -1;
        int r = mkdirat(parent, name, mode);
        int e = errno;
        close(parent);
        if (r < 0 && e != EEXIST) { errno = e; return -1; }
        if (r == 0 && !slash && created) *created = 1;
      } else {
        return -1;
      }
    }
    if (!slash) break;
    *slash = '/';
    p = slash + 1;
  }
  return 0;
}

/* open_null opens the host's /dev/null and proves it is the null device (char 1:3): a runtime that
 * hands a masked path or a payload's stdin "/dev/null" by name trusts whatever that name resolves
 * to (runc CVE-2025-31133 class). Callers open it before any container path is in reach; -1 with
 * errno EXDEV when the name is something else. */
int open_null(int flags) {
  int fd = open("/dev/null", flags | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    close(fd);
    errno = EXDEV;
    return -1;
  }
  return fd;
}
