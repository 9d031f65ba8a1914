// bench/hot-syscall.c — time a hot syscall (getppid) with and without a seccomp filter read from a file (bench only)
// usage: hot-syscall ITERATIONS [FILTER.bpf]; prints nanoseconds per call.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  if (argc > 2) {
    static struct sock_filter prog[4096];
    FILE *f = fopen(argv[2], "rb");
    if (!f) { perror("open filter"); return 1; }
    size_t len = fread(prog, sizeof prog[0], 4096, f);
    fclose(f);
    struct sock_fprog fp = { .len = (unsigned short)len, .filter = prog };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp)) { perror("seccomp"); return 1; }
  }
  struct timespec a, b;
  for (long i = 0; i < n / 10; i++) syscall(SYS_getppid); // warm up
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.2f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
