/* native/launcher/launcher.h — shared declarations of the native launcher (host side and child side)
 *
 * The launcher is mechanism, not policy: TypeScript decides everything and hands a LaunchPlan
 * over fd 3 (records of NUL-terminated strings, each record ended by an empty string). The launcher
 * executes it step by step and reports failures as JSON lines on fd 4 naming the step index, the
 * operation, the errno and the path.
 */
#ifndef TSS_LAUNCHER_H
#define TSS_LAUNCHER_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PLAN_FD 3
#define STATUS_FD 4
#define CONTROL_FD 5
/* supervised runs: the runtime's end of a unix socket the seccomp listener is passed on (SCM_RIGHTS) */
#define LISTENER_FD 6

#define MAX_FIELDS 64

struct op {
  int index;            /* position in the plan, reported on failure */
  int nfields;
  char *f[MAX_FIELDS];  /* f[0] is the operation name */
};

struct plan {
  struct op *ops;
  int nops;
};

/* plan.c */
int plan_read(int fd, struct plan *p);
const struct op *plan_find(const struct plan *p, const char *name);

/* report.c — status lines to the runtime (fd 4) */
void report_json(const char *event, const char *fmt, ...);
/* A failure inside a numbered plan step; never returns. */
_Noreturn void die_step(const struct op *op, int err, const char *path);
_Noreturn void die_msg(const char *step, int err, const char *what);
void json_escape(char *dst, size_t cap, const char *src);

/* The child (payload-to-be) reports failures to the launcher through this pipe; set in child.c. */
extern int g_child_err_fd;

/* userns.c — the container's user (+net, uts, ipc) namespaces, made by a helper process */
struct nsfds { int user, net, uts, ipc; };
void userns_create(const struct plan *p, struct nsfds *out);

/* rootless.c — an unprivileged launcher's own user namespace, mapped by newuidmap/newgidmap */
void rootless_enter(const struct plan *p);
/* rootless -p: report the namespace helper's pid and wait for the runtime's `netup` */
void net_gate(const struct plan *p, pid_t helper);

/* mounts.c — the root filesystem, executed in the child in a mount namespace owned by the host */
void mounts_build(const struct plan *p, const struct nsfds *ns, int *pty_master_out);
void mounts_pivot(const struct plan *p);

/* kernel.c — oom_score_adj and namespaced sysctls (child, host root, in the container's net/uts/ipc) */
void kernel_apply(const struct plan *p);

/* creds.c — ids, capabilities, no_new_privs, rlimits, seccomp */
void creds_rlimits(const struct plan *p);
void creds_switch_user(const struct plan *p);
void creds_drop_caps(const struct plan *p);
void creds_no_new_privs(void);
void creds_seccomp(const struct plan *p);
/* the child's end of the listener socketpair (-1: not supervised); send_fd passes an fd by SCM_RIGHTS */
extern int g_listener_sock;
int send_fd(int sock, int fd);
int recv_fd(int sock);
/* hand the listener the child sends on child_sock to the runtime (LISTENER_FD), keeping no copy */
void forward_listener(int child_sock, pid_t pid);
/* --supervisor ptrace: the child's end of the trace gate (-1: not traced); a byte on it says the
 * runtime's tracer is attached (main.c control_wait) */
extern int g_trace_gate_fd;
/* main.c: `traced` came → the child held on its trace gate goes on (-1); or the exit code to return */
int trace_release(pid_t pid, int err_fd, int gate_w);

struct stdio_fds;
/* main.c — a joined cgroup namespace (`nsjoin cgroup PATH`), entered by the child instead of making one (-1: none) */
extern int g_cgroupns_fd;
/* main.c — OCI create/start: the child's end of the start gate (-1 without one), and the wait on it */
extern int g_start_fd;
void child_wait_start(int fd);
/* main.c — OCI createRuntime/prestart hooks: tell the launcher the namespaces exist, wait until they ran */
void child_wait_hooks(int fd);
/* main.c — `console PATH`: send the pty master to a console socket (runc's --console-socket) */
void send_console(const struct op *op, int master);

/* hooks.c — OCI createContainer/startContainer hooks, run by the child in the container's namespaces */
void hooks_note_pid(void);
void hooks_run(const struct plan *p, const struct nsfds *ns, const char *stage);

/* child.c — the containment order, on one screen */
_Noreturn void child_main(const struct plan *p, const struct nsfds *ns, const struct stdio_fds *io, int go_fd, int err_fd, int parent_alive_fd, int pty_sock);

/* proxy.c — the launcher's own loop after the payload started: stdio, signals, exit status */
struct stdio_fds {
  int interactive;         /* -i: the runtime's stdin is copied to the payload */
  int master;              /* -t: the pty master (the payload has the slave on 0-2), else -1 */
  int in_r, in_w;          /* without -t: the payload's stdin pipe (or /dev/null in in_r) */
  int out_r, out_w, err_r, err_w;
};
int proxy_run(pid_t child, const struct stdio_fds *io, int control_fd);
void proxy_raw_terminal(void);
void proxy_restore_terminal(void);

/* exec.c — join a running container's cgroup and namespaces and run one more process */
int exec_main(const struct plan *p);

/* util.c */
int hexdecode(const char *hex, unsigned char **out, size_t *len);
int write_all(int fd, const void *buf, size_t n);
int read_all(int fd, void *buf, size_t n);
long long parse_ll(const char *s, const struct op *op);
int open_in_root(int rootfd, const char *path, int flags, int resolve);
int mkdir_in_root(int rootfd, const char *path, mode_t mode, int *created);
int open_null(int flags);

#endif
