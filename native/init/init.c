/* native/init/init.c — tssandbox's tiny init for `run --init` (inside the container, as pid 1)
 *
 * pid 1 of a pid namespace gets only the signals it handles, and it must reap orphans or they pile
 * up as zombies. This init runs the payload as its child in the payload's own process group,
 * forwards every catchable signal to that group, reaps every child, and exits with the payload's
 * status (128+N when a signal killed it). Static, no libc start-up beyond what -static gives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int a = 1;
  if (a < argc && strcmp(argv[a], "--") == 0) a++;
  if (a >= argc) { fprintf(stderr, "tssandbox-init: no command\n"); return 125; }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) { perror("tssandbox-init: fork"); return 125; }
  if (child == 0) {
    setpgid(0, 0);
    /* the payload's terminal job control: give it the foreground when there is a terminal */
    if (isatty(0)) { signal(SIGTTOU, SIG_IGN); tcsetpgrp(0, getpid()); signal(SIGTTOU, SIG_DFL); }
    sigprocmask(SIG_SETMASK, &old, NULL);
    execvp(argv[a], &argv[a]);
    int e = errno;
    fprintf(stderr, "tssandbox-init: %s: %s\n", argv[a], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  setpgid(child, child);
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) { kill(-child, sig); continue; }
    for (;;) {
      int st;
      pid_t p = waitpid(-1, &st, WNOHANG);
      if (p <= 0) break;
      if (p == child) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
  }
}
