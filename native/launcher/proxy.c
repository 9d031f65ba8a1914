/* native/launcher/proxy.c — the launcher's loop while the payload runs: copies the runtime's stdio
 * to and from the payload's own pipes or pty, forwards signals and window sizes from the control
 * fd, and reaps (launcher, host side)
 *
 * The payload never holds the runtime's fds 0-2: Node may have set O_NONBLOCK on their shared file
 * descriptions (the payload would see EAGAIN, and the user's shell inherits the flag), and the
 * caller's terminal must stay out of reach (TIOCSTI). So only the launcher touches them.
 */
#include "launcher.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static struct termios g_saved;
static int g_raw = 0;
static volatile sig_atomic_t g_winch = 0;

static void on_winch(int sig) { (void)sig; g_winch = 1; }

void proxy_raw_terminal(void) {
  /* the caller's window size follows the pty: SIGWINCH interrupts poll() and the loop copies it */
  struct sigaction sa = {0};
  sa.sa_handler = on_winch;
  sigaction(SIGWINCH, &sa, NULL);
  if (!isatty(0) || tcgetattr(0, &g_saved) < 0) return;
  struct termios t = g_saved;
  cfmakeraw(&t);
  if (tcsetattr(0, TCSANOW, &t) == 0) g_raw = 1;
}

void proxy_restore_terminal(void) {
  if (g_raw) tcsetattr(0, TCSANOW, &g_saved);
  g_raw = 0;
}

/* write_out copies to a runtime fd that may be non-blocking: wait for room instead of spinning. */
static void write_out(int fd, const char *b, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) { struct pollfd p = {fd, POLLOUT, 0}; poll(&p, 1, 1000); continue; }
    if (w <= 0) return; /* the reader went away: drop output, keep running */
    b += w;
    n -= (size_t)w;
  }
}

static void control_line(char *l, pid_t child, int master) {
  int a, b;
  if (sscanf(l, "signal %d", &a) == 1 && a > 0 && a < 65) kill(child, a);
  else if (sscanf(l, "winsize %d %d", &a, &b) == 2 && master >= 0) {
    struct winsize ws = {(unsigned short)a, (unsigned short)b, 0, 0};
    ioctl(master, TIOCSWINSZ, &ws);
  }
}

static void sync_winsize(int master) {
  struct winsize ws;
  if (master >= 0 && isatty(0) && ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
}

/* One copy channel: from → to. For a pty, master is both the output source and the input sink. */
struct chan { int from, to; int open; };

int proxy_run(pid_t child, const struct stdio_fds *io, int control) {
  int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
  int master = io->master;
  /* Input goes to the payload through a non-blocking sink and a one-chunk buffer: a payload that
   * does not read its stdin while it writes (cat with a full stdout pipe) must never stop the
   * launcher from draining its output — that would deadlock both. */
  int sink = master >= 0 ? master : io->in_w;
  struct chan ch[3] = {
    {io->interactive ? 0 : -1, sink, io->interactive},
    {master >= 0 ? master : io->out_r, 1, 1},
    {master >= 0 ? -1 : io->err_r, 2, master < 0},
  };
  if (!ch[0].open && io->in_w >= 0) close(io->in_w);
  if (ch[0].open && sink >= 0) fcntl(sink, F_SETFL, fcntl(sink, F_GETFL) | O_NONBLOCK);
  char pend[16384];
  size_t plen = 0, poff = 0;
  int in_eof = 0;
  sync_winsize(master);
  char ctl[512];
  size_t cl = 0;
  int ctl_open = 1, exited = 0, st = 0;
  for (;;) {
    if (g_winch) { g_winch = 0; sync_winsize(master); }
    struct pollfd p[6] = {{exited ? -1 : pidfd, POLLIN, 0}, {ctl_open ? control : -1, POLLIN, 0}};
    for (int i = 0; i < 3; i++) p[2 + i] = (struct pollfd){ch[i].open ? ch[i].from : -1, POLLIN, 0};
    if (plen) p[2].fd = -1; /* read more input only once the last chunk went out */
    p[5] = (struct pollfd){plen ? sink : -1, POLLOUT, 0};
    int anyout = ch[1].open || ch[2].open;
    if (exited && !anyout) return st;
    int r = poll(p, 6, exited ? 100 : (pidfd < 0 ? 200 : -1));
    if (r < 0 && errno == EINTR) continue;
    if (exited && r == 0) return st; /* output drained as far as it will go */
    if (plen && (p[5].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(sink, pend + poff, plen);
      if (w > 0) { poff += (size_t)w; plen -= (size_t)w; }
      else if (w < 0 && errno != EAGAIN && errno != EINTR) plen = 0; /* the payload closed its stdin */
      if (!plen) poff = 0;
    }
    if (!plen && in_eof && ch[0].from >= 0) {
      in_eof = 0;
      ch[0].from = -1;
      if (master < 0) close(io->in_w); /* the payload sees EOF on its stdin */
      else { char eof = 4; write_all(master, &eof, 1); }
    }
    for (int i = 0; i < 3; i++) {
      if (!ch[i].open || p[2 + i].fd < 0 || !(p[2 + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char b[16384];
      ssize_t n = read(ch[i].from, i == 0 ? pend : b, i == 0 ? sizeof pend : sizeof b);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) { /* EOF (or EIO on a pty whose last user left) */
        ch[i].open = 0;
        if (i == 0) { in_eof = 1; if (!plen) { ch[0].from = -1; if (master < 0) close(io->in_w); else { char eof = 4; write_all(master, &eof, 1); } } }
        continue;
      }
      if (i == 0) { plen = (size_t)n; poff = 0; continue; }
      write_out(ch[i].to, b, (size_t)n);
    }
    if (p[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(control, ctl + cl, sizeof ctl - cl - 1);
      if (n <= 0) ctl_open = 0;
      else {
        cl += (size_t)n;
        ctl[cl] = '\0';
        char *nl;
        while ((nl = strchr(ctl, '\n'))) {
          *nl = '\0';
          control_line(ctl, child, master);
          memmove(ctl, nl + 1, strlen(nl + 1) + 1);
          cl = strlen(ctl);
        }
        if (cl == sizeof ctl - 1) cl = 0;
      }
    }
    if (!exited && (pidfd < 0 || (p[0].revents & POLLIN)) && waitpid(child, &st, pidfd < 0 ? WNOHANG : 0) == child) {
      exited = 1;
      ch[0].open = 0; /* nobody reads the payload's stdin any more */
      plen = 0;
    }
  }
}
