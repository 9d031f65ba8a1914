/* native/watchdog/watchdog.c — kills the container of a hung supervisor (host side, a child of the
 * container's supervisor)
 *
 * usage: watchdog STALL_MS TICK_MS PID   (fd 0: the supervisor's beats; fd 3: the seccomp listener)
 *
 * A dead supervisor takes its container with it (PDEATHSIG); a live but stuck one (a blocked event
 * loop, a wedged notify loop) would leave every notified syscall of the container waiting forever.
 * This process does not share the supervisor's event loop: every TICK_MS it polls the listener
 * (read-only use: is a notification pending?) and counts how long one has been pending while no
 * beat came. The supervisor writes a byte on fd 0 on each of its ticks where its notify loop made
 * progress; its event loop blocked means no bytes. When a notification has waited STALL_MS with no
 * beat, the container's pid 1 gets SIGKILL through a pidfd (no pid-reuse race), which ends its pid
 * namespace; "fired" is written on stdout and the watchdog exits.
 *
 * It exits at EOF of fd 0 (the supervisor stopped it, or died) and dies with its parent
 * (PDEATHSIG). Why a process and not a Node worker thread: a worker costs the supervisor ~11 MB of
 * RSS (a second V8 isolate and koffi), this ~0.3 MB.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static long arg(const char *s, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v <= 0) { fprintf(stderr, "watchdog: %s `%s`: not a positive number\n", what, s); exit(2); }
  return v;
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: watchdog STALL_MS TICK_MS PID\n"); return 2; }
  long stall = arg(argv[1], "STALL_MS"), tick = arg(argv[2], "TICK_MS");
  pid_t pid = (pid_t)arg(argv[3], "PID");
  /* PDEATHSIG first, before anything can block: this process holds a copy of the listener, and a
   * listener that outlives its supervisor would leave the container's notified syscalls waiting
   * instead of failing (ENOSYS) — the supervisor's death must close every copy (fail closed). The
   * parent may already be gone between fork and prctl: then getppid() is no longer it. */
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) return 1;
  signal(SIGPIPE, SIG_IGN);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  /* ESRCH: the payload ended before we started (a short run): nothing is left to guard */
  if (pidfd < 0 && errno == ESRCH) return 0;
  if (pidfd < 0) { fprintf(stderr, "watchdog: pidfd_open %d: %s\n", (int)pid, strerror(errno)); return 1; }
  long since = 0, last = now_ms();
  for (;;) {
    struct pollfd in = { .fd = 0, .events = POLLIN };
    int n = poll(&in, 1, (int)tick);
    if (n < 0 && errno != EINTR) return 1;
    int beat = 0;
    if (n > 0) {
      char buf[256];
      ssize_t r = read(0, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) return 0; /* stopped */
      beat = r > 0;
    }
    long t = now_ms();
    if (t - last < tick && !beat) continue; /* woken early by nothing: wait out the tick */
    long elapsed = t - last;
    last = t;
    struct pollfd l = { .fd = 3, .events = POLLIN };
    int pending = poll(&l, 1, 0) > 0 && (l.revents & POLLIN);
    if (l.revents & (POLLHUP | POLLNVAL)) return 0; /* the filter's users are gone */
    if (!pending || beat) { since = 0; continue; }
    since += elapsed;
    if (since >= stall) {
      syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
      if (write(1, "fired\n", 6) < 0) { /* the supervisor reads it if it can */ }
      return 0;
    }
  }
}
