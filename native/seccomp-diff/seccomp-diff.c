// native/seccomp-diff/seccomp-diff.c — installs a compiled filter in a throwaway child and issues syscalls (test helper, host)
//
// Usage:
//   seccomp-diff cases FILTER.bpf < CASES   each line "abi nr a0 a1 a2 a3 a4 a5" (abi: 64 or 32;
//                                           32 = int 0x80 from this 64-bit process, i.e. the i386
//                                           ABI); prints one line per case: the errno returned, or
//                                           "ok VALUE" when the call did not fail.
//   seccomp-diff exec FILTER.bpf PROG ARG…  installs the filter like the launcher does (no_new_privs,
//                                           seccomp, one byte written on a pipe) then execs PROG.
// In `cases` mode the filter must answer every call with an ERRNO (the test compiles such a
// variant), so no syscall ever runs; the child cannot even exit, so it faults on purpose and the
// parent reads the answers from shared memory.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CASES 100000

struct call { int abi; unsigned long nr; unsigned long a[6]; };
struct answer { long ret; int err; int done; };

static struct sock_fprog load_filter(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { perror(path); exit(2); }
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_size == 0 || st.st_size % 8 != 0) { fprintf(stderr, "%s: bad filter size\n", path); exit(2); }
  void *buf = malloc(st.st_size);
  if (read(fd, buf, st.st_size) != st.st_size) { perror("read filter"); exit(2); }
  close(fd);
  struct sock_fprog prog = { .len = (unsigned short)(st.st_size / 8), .filter = buf };
  return prog;
}

static void install(struct sock_fprog *prog) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("no_new_privs"); _exit(3); }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0) { perror("seccomp"); _exit(4); }
}

#ifdef __x86_64__
static long int80(unsigned long nr, const unsigned long *a) {
  long ret;
  register unsigned long r8 __asm__("r8") = a[5];
  __asm__ volatile("push %%rbp\n\tmov %%r8, %%rbp\n\tint $0x80\n\tpop %%rbp"
                   : "=a"(ret)
                   : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]), "r"(r8)
                   : "memory", "cc");
  return ret;
}
#endif

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: seccomp-diff cases|exec FILTER.bpf [PROG ARG...]\n"); return 2; }
  struct sock_fprog prog = load_filter(argv[2]);
  if (strcmp(argv[1], "exec") == 0) {
    int p[2];
    if (argc < 4 || pipe2(p, O_CLOEXEC) < 0) return 2;
    install(&prog);
    // What the launcher does after the filter: one byte on the sync pipe, then execve.
    if (write(p[1], "x", 1) != 1) { perror("write after seccomp"); return 5; }
    execv(argv[3], argv + 3);
    perror("execve after seccomp");
    return 6;
  }
  static struct call calls[MAX_CASES];
  int n = 0;
  char line[512];
  while (n < MAX_CASES && fgets(line, sizeof line, stdin)) {
    struct call *c = &calls[n];
    if (sscanf(line, "%d %lu %lu %lu %lu %lu %lu %lu", &c->abi, &c->nr, &c->a[0], &c->a[1], &c->a[2], &c->a[3], &c->a[4], &c->a[5]) == 8) n++;
  }
  struct answer *ans = mmap(NULL, sizeof(struct answer) * (n ? n : 1), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (ans == MAP_FAILED) { perror("mmap"); return 2; }
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 2; }
  if (pid == 0) {
    install(&prog);
    for (int i = 0; i < n; i++) {
      struct call *c = &calls[i];
      long r;
      int err = 0;
      if (c->abi == 32) {
#ifdef __x86_64__
        r = int80(c->nr, c->a);
        if (r < 0 && r > -4096) { err = (int)-r; r = -1; }
#else
        r = -1; err = 0;
#endif
      } else {
        r = syscall((long)c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
        if (r == -1) err = errno;
      }
      ans[i].ret = r; ans[i].err = err; ans[i].done = 1;
    }
    // exit would be answered with an errno too: fault instead (no syscall needed).
    *(volatile int *)0 = 0;
    _exit(0);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  for (int i = 0; i < n; i++) {
    if (!ans[i].done) printf("notrun\n");
    else if (ans[i].err) printf("%d\n", ans[i].err);
    else printf("ok %ld\n", ans[i].ret);
  }
  return 0;
}
