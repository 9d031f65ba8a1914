// bench/notify-bench.c — seccomp-notify round trips: a target that notifies getppid, and the minimal C supervisor to compare ours with (bench only)
// usage: notify-bench target N   — install a filter notifying getppid with NEW_LISTENER, pass the
//                                  listener on fd 3 (SCM_RIGHTS), call getppid N times, print
//                                  ns/call and one more call's result and errno
//        notify-bench csup N     — run the target as a child and answer it with the smallest loop
//                                  there is (RECV, SEND CONTINUE), print the target's ns/call
//        notify-bench csync N    — the same loop with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP set on the
//                                  listener (6.6+; ours sets it too): prints "-" where the kernel refuses
//        notify-bench ttarget N  — the --supervisor ptrace target: wait for a byte on stdin (the
//                                  tracer is attached), install a filter tracing getppid
//                                  (SECCOMP_RET_TRACE), call it N times, print ns/call like target
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void loop_calls(long n) {
  struct timespec a, z;
  syscall(__NR_getppid); /* warm up: the supervisor is answering */
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) syscall(__NR_getppid);
  clock_gettime(CLOCK_MONOTONIC, &z);
  double ns = ((z.tv_sec - a.tv_sec) * 1e9 + (z.tv_nsec - a.tv_nsec)) / (double)n;
  errno = 0;
  long last = syscall(__NR_getppid); /* what the supervisor answered: the parent's pid, or -1 and its errno */
  printf("%.1f %ld %d\n", ns, last, last < 0 ? errno : 0);
  fflush(stdout);
}

static int install(unsigned action, unsigned flags) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, action),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof f / sizeof f[0], f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("nnp"); return -1; }
  int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (fd < 0) perror("seccomp");
  return fd;
}

static int ttarget(long n) {
  char go;
  if (read(0, &go, 1) != 1) { fprintf(stderr, "no go byte\n"); return 1; }
  if (install(SECCOMP_RET_TRACE, 0) < 0) return 1;
  loop_calls(n);
  return 0;
}

static int target(long n, int sock) {
  int lfd = install(SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
  if (lfd < 0) return 1;
  char cbuf[CMSG_SPACE(sizeof(int))] = {0}, b = 'l';
  struct iovec iov = {&b, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &lfd, sizeof(int));
  if (sendmsg(sock, &msg, 0) < 0) { perror("sendmsg"); return 1; }
  close(lfd);
  loop_calls(n);
  return 0;
}

static int recv_fd(int sock) {
  char cbuf[CMSG_SPACE(sizeof(int))], b;
  struct iovec iov = {&b, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  if (recvmsg(sock, &msg, 0) <= 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static int csup(long n, int sync) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) { perror("socketpair"); return 1; }
  pid_t pid = fork();
  if (pid == 0) { close(sv[0]); _exit(target(n, sv[1])); }
  close(sv[1]);
  int lfd = recv_fd(sv[0]);
  if (lfd < 0) { fprintf(stderr, "no listener\n"); return 1; }
  /* SET_FLAGS/SYNC_WAKE_UP by number: older uapi headers lack them */
  if (sync && ioctl(lfd, 0x40082104UL /* SECCOMP_IOCTL_NOTIF_SET_FLAGS */, 1UL /* SYNC_WAKE_UP */) < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    printf("-\n");
    return 0;
  }
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  for (;;) {
    memset(&req, 0, sizeof req);
    if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
      /* ENOENT: that call's task was interrupted, or (repeatedly) no task is left */
      if ((errno == EINTR || errno == ENOENT) && waitpid(pid, NULL, WNOHANG) == 0) continue;
      break; /* the target exited */
    }
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: notify-bench target|csup|ttarget N\n"); return 2; }
  long n = atol(argv[2]);
  if (!strcmp(argv[1], "target")) return target(n, 3);
  if (!strcmp(argv[1], "csup")) return csup(n, 0);
  if (!strcmp(argv[1], "csync")) return csup(n, 1);
  if (!strcmp(argv[1], "ttarget")) return ttarget(n);
  return 2;
}
