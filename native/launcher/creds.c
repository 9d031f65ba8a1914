/* native/launcher/creds.c — rlimits, user and group ids, capabilities, no_new_privs and the
 * seccomp filter (child, last steps before execve)
 */
#include "launcher.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

void creds_rlimits(const struct plan *p) {
  for (int i = 0; i < p->nops; i++) {
    const struct op *op = &p->ops[i];
    if (strcmp(op->f[0], "rlimit") != 0) continue;
    if (op->nfields != 4) die_step(op, EINVAL, "rlimit");
    long long res = parse_ll(op->f[1], op), soft = parse_ll(op->f[2], op), hard = parse_ll(op->f[3], op);
    struct rlimit rl = {soft < 0 ? RLIM_INFINITY : (rlim_t)soft, hard < 0 ? RLIM_INFINITY : (rlim_t)hard};
    if (setrlimit((int)res, &rl) < 0) die_step(op, errno, op->f[1]);
  }
}

static uid_t g_uid;

static int setgroups_denied(void) {
  char b[16] = {0};
  int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, b, sizeof b - 1);
  close(fd);
  return n > 0 && !strncmp(b, "deny", 4);
}

void creds_switch_user(const struct plan *p) {
  const struct op *op = plan_find(p, "user");
  if (!op || op->nfields < 3) die_msg("user", EINVAL, "plan has no user");
  uid_t uid = (uid_t)parse_ll(op->f[1], op);
  gid_t gid = (gid_t)parse_ll(op->f[2], op);
  gid_t groups[64];
  int ng = 0;
  for (int i = 3; i < op->nfields && ng < 64; i++) groups[ng++] = (gid_t)parse_ll(op->f[i], op);
  /* keep the permitted set across the uid change: the capability step below needs CAP_SETPCAP to
   * shrink the bounding set, and then sets every set explicitly for the final user */
  if (prctl(PR_SET_KEEPCAPS, 1) < 0) die_step(op, errno, "PR_SET_KEEPCAPS");
  /* Rootless with the user's own gid only, newgidmap made setgroups "deny" (CVE-2018-7169: dropping
   * a group could open files that deny that group). No supplementary groups can be set then, and
   * the user's own stay (shown as nogroup inside) — the safe side of that rule. Asked for groups
   * still fail here, by name. */
  if (setgroups((size_t)ng, groups) < 0 && !(errno == EPERM && ng == 0 && setgroups_denied())) die_step(op, errno, "setgroups");
  if (setresgid(gid, gid, gid) < 0) die_step(op, errno, "setresgid");
  if (setresuid(uid, uid, uid) < 0) die_step(op, errno, "setresuid");
  g_uid = uid;
}

void creds_drop_caps(const struct plan *p) {
  const struct op *op = plan_find(p, "caps");
  unsigned long long keep = 0;
  if (op && op->nfields == 2) keep = strtoull(op->f[1], NULL, 16);
  /* Rootless, the container's root IS the launcher's uid, so setresuid to another id was a real
   * root → non-root change: the kernel cleared the effective set (KEEPCAPS kept the permitted one).
   * Raise it back from permitted first: shrinking the bounding set needs CAP_SETPCAP effective. */
  struct __user_cap_header_struct h0 = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d0[2];
  if (syscall(SYS_capget, &h0, d0) < 0) die_step(op, errno, "capget");
  d0[0].effective = d0[0].permitted;
  d0[1].effective = d0[1].permitted;
  if (syscall(SYS_capset, &h0, d0) < 0) die_step(op, errno, "capset (raise the permitted set)");
  for (int cap = 0; cap <= 63; cap++) {
    if (prctl(PR_CAPBSET_READ, cap) < 0) break; /* past the kernel's last capability */
    if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap) < 0) die_step(op, errno, "PR_CAPBSET_DROP");
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) die_step(op, errno, "PR_CAP_AMBIENT_CLEAR_ALL");
  /* A non-root user keeps nothing effective or permitted (docker semantics). This must be said
   * explicitly: entering the user namespace from host root did not clear anything on setresuid. */
  unsigned long long eff = g_uid == 0 ? keep : 0;
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  d[0].effective = d[0].permitted = (uint32_t)eff;
  d[1].effective = d[1].permitted = (uint32_t)(eff >> 32);
  d[0].inheritable = (uint32_t)eff;
  d[1].inheritable = (uint32_t)(eff >> 32);
  if (syscall(SYS_capset, &h, d) < 0) die_step(op, errno, "capset");
  if (prctl(PR_SET_KEEPCAPS, 0) < 0) die_step(op, errno, "PR_SET_KEEPCAPS");
}

void creds_no_new_privs(void) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_msg("no_new_privs", errno, "PR_SET_NO_NEW_PRIVS");
}

/* The child's end of the listener socketpair (main.c), or -1 when the run is not supervised. */
int g_listener_sock = -1;
/* The child's end of the trace gate (main.c), or -1 when the run is not traced. */
int g_trace_gate_fd = -1;

/* send_fd passes one fd over a unix socket (SCM_RIGHTS) with a one-byte message. */
int send_fd(int sock, int fd) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  char b = 'l';
  struct iovec iov = {&b, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* recv_fd takes one fd passed by SCM_RIGHTS (close-on-exec), -1 on EOF or anything else */
int recv_fd(int sock) {
  char cbuf[CMSG_SPACE(sizeof(int))], b;
  struct iovec iov = {&b, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

/* forward_listener: supervised, the child sends the seccomp listener right after installing its
 * filter; it goes on to the runtime at once (the payload's execve may already wait for an answer)
 * and the launcher keeps no copy, so a dead supervisor leaves no listener open. EOF on the child's
 * socket means a step before the filter failed (the error pipe says which). */
void forward_listener(int child_sock, pid_t pid) {
  int lfd = recv_fd(child_sock);
  close(child_sock);
  if (lfd >= 0) {
    if (send_fd(LISTENER_FD, lfd) < 0) { kill(pid, SIGKILL); die_msg("listener", errno, "hand the seccomp listener to the runtime"); }
    close(lfd);
    report_json("listener", NULL);
  }
  close(LISTENER_FD);
}

/* Every seccomp record, in plan order: the kernel stacks them and the strictest answer wins (OCI
 * mode: the bundle's filter, then the node's profile). Each but the last must allow seccomp().
 * Supervised (a `notify-listener` record): the last filter is installed with NEW_LISTENER and its
 * listener goes to the launcher over g_listener_sock at once — the filter must allow that sendmsg;
 * a notified execve after it waits until the supervisor, which has the fd by then, answers. Only
 * one listener per filter chain: an outer sandbox's listener makes this EBUSY, a named failure. */
void creds_seccomp(const struct plan *p) {
  int last = -1;
  for (int i = 0; i < p->nops; i++) if (!strcmp(p->ops[i].f[0], "seccomp")) last = i;
  int listen = g_listener_sock >= 0 && plan_find(p, "notify-listener") != NULL;
  for (int i = 0; i < p->nops; i++) {
    const struct op *op = &p->ops[i];
    if (strcmp(op->f[0], "seccomp")) continue;
    unsigned char *bytes;
    size_t len;
    if (op->nfields != 2 || hexdecode(op->f[1], &bytes, &len) < 0 || len == 0 || len % 8 != 0) die_step(op, EINVAL, "seccomp program");
    struct sock_fprog prog = {(unsigned short)(len / 8), (struct sock_filter *)bytes};
    unsigned flags = listen && i == last ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    if (r < 0) die_step(op, errno, flags ? "seccomp (new listener)" : "seccomp");
    if (flags) {
      if (send_fd(g_listener_sock, (int)r) < 0) die_step(op, errno, "seccomp listener hand-off");
      close((int)r);
      close(g_listener_sock);
      g_listener_sock = -1;
    }
  }
}
