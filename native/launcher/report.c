/* native/launcher/report.c — JSON status lines to the runtime on fd 4 (launcher and child) */
#include "launcher.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int g_child_err_fd = -1;

void json_escape(char *dst, size_t cap, const char *src) {
  size_t o = 0;
  for (; src && *src && o + 7 < cap; src++) {
    unsigned char c = (unsigned char)*src;
    if (c == '"' || c == '\\') { dst[o++] = '\\'; dst[o++] = (char)c; }
    else if (c < 0x20) o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", c);
    else dst[o++] = (char)c;
  }
  dst[o] = '\0';
}

void report_json(const char *event, const char *fmt, ...) {
  char body[4096], line[4608];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(body, sizeof body, fmt ? fmt : "", ap);
  va_end(ap);
  int n = snprintf(line, sizeof line, "{\"event\":\"%s\"%s%s}\n", event, body[0] ? "," : "", body);
  if (n > 0) write_all(STATUS_FD, line, (size_t)n);
}

/* In the child, failures travel to the launcher over the error pipe (the child may already have
 * lost fd 4 to the close-every-fd step); the launcher turns them into the status line. */
static _Noreturn void die_line(const char *json) {
  if (g_child_err_fd >= 0) {
    write_all(g_child_err_fd, json, strlen(json));
    _exit(125);
  }
  write_all(STATUS_FD, json, strlen(json));
  write_all(STATUS_FD, "\n", 1);
  _exit(125);
}

_Noreturn void die_step(const struct op *op, int err, const char *path) {
  char p[2048], line[3072];
  json_escape(p, sizeof p, path ? path : "");
  snprintf(line, sizeof line,
           "{\"event\":\"error\",\"step\":%d,\"op\":\"%s\",\"errno\":%d,\"errname\":\"%s\",\"path\":\"%s\"}",
           op ? op->index : -1, op ? op->f[0] : "?", err, strerrorname_np(err) ? strerrorname_np(err) : "E?", p);
  die_line(line);
}

_Noreturn void die_msg(const char *step, int err, const char *what) {
  char w[2048], line[3072];
  json_escape(w, sizeof w, what ? what : "");
  snprintf(line, sizeof line,
           "{\"event\":\"error\",\"step\":-1,\"op\":\"%s\",\"errno\":%d,\"errname\":\"%s\",\"path\":\"%s\"}",
           step, err, err && strerrorname_np(err) ? strerrorname_np(err) : "", w);
  die_line(line);
}
