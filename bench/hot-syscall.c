// bench/hot-syscall.c — time a hot syscall with and without a seccomp filter read from a file (bench only)
// usage: hot-syscall getppid|read ITERATIONS [FILTER.bpf]; prints nanoseconds per call.
// getppid is the cheapest syscall there is (it shows the kernel's fixed seccomp entry cost);
// read is a 4 KiB read from /dev/zero, the shape of the syscalls real programs make most.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char buf[4096];

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: hot-syscall getppid|read ITERATIONS [FILTER.bpf]\n"); return 2; }
  int use_read = strcmp(argv[1], "read") == 0;
  long n = atol(argv[2]);
  int zfd = open("/dev/zero", O_RDONLY);
  if (zfd < 0) { perror("/dev/zero"); return 1; }
  if (argc > 3) {
    static struct sock_filter prog[4096];
    FILE *f = fopen(argv[3], "rb");
    if (!f) { perror("open filter"); return 1; }
    size_t len = fread(prog, sizeof prog[0], 4096, f);
    fclose(f);
    struct sock_fprog fp = { .len = (unsigned short)len, .filter = prog };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp)) { perror("seccomp"); return 1; }
  }
  struct timespec a, b;
  for (long i = 0; i < n / 10; i++) use_read ? syscall(SYS_read, zfd, buf, sizeof buf) : syscall(SYS_getppid); // warm up
  clock_gettime(CLOCK_MONOTONIC, &a);
  if (use_read) for (long i = 0; i < n; i++) syscall(SYS_read, zfd, buf, sizeof buf);
  else for (long i = 0; i < n; i++) syscall(SYS_getppid);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.2f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
