/* native/launcher/plan.c — reads the LaunchPlan from fd 3 (launcher, before any namespace exists) */
#include "launcher.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLAN_MAX (64u << 20) /* a plan is small; the BPF program is at most 4096*8*2 hex bytes */

int plan_read(int fd, struct plan *p) {
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  if (!buf) return -1;
  for (;;) {
    if (len == cap) {
      if (cap >= PLAN_MAX) { errno = E2BIG; return -1; }
      cap *= 2;
      char *nb = realloc(buf, cap);
      if (!nb) return -1;
      buf = nb;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    len += (size_t)n;
  }
  /* The plan must end with a record terminator: a truncated plan is refused, never half-run. */
  if (len < 2 || buf[len - 1] != '\0' || buf[len - 2] != '\0') { errno = EPROTO; return -1; }
  int nops = 0, cap_ops = 64;
  struct op *ops = calloc((size_t)cap_ops, sizeof *ops);
  size_t i = 0;
  while (i < len) {
    if (nops == cap_ops) {
      cap_ops *= 2;
      ops = realloc(ops, (size_t)cap_ops * sizeof *ops);
      if (!ops) return -1;
    }
    struct op *op = &ops[nops];
    memset(op, 0, sizeof *op);
    op->index = nops;
    while (i < len && buf[i] != '\0') {
      if (op->nfields == MAX_FIELDS) { errno = E2BIG; return -1; }
      op->f[op->nfields++] = &buf[i];
      i += strlen(&buf[i]) + 1;
    }
    i++; /* the empty string ending the record */
    if (op->nfields > 0) nops++;
  }
  p->ops = ops;
  p->nops = nops;
  return 0;
}

const struct op *plan_find(const struct plan *p, const char *name) {
  for (int i = 0; i < p->nops; i++)
    if (strcmp(p->ops[i].f[0], name) == 0) return &p->ops[i];
  return NULL;
}
