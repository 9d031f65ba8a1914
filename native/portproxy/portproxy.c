/* native/portproxy/portproxy.c — the userland port proxy of `-p`: listens in the host's network
 * namespace, connects inside the container's (host side, started by the container's supervisor)
 *
 * usage: portproxy PROTO:HOSTIP:HOSTPORT:CTRPORT...   (stdin: one line "go NETNS_FILE")
 *
 * Why this shape: a socket stays in the network namespace it was created in. So the proxy binds
 * every host-side socket first (a busy port fails the run before the payload starts), reports the
 * ports it got on stdout ("bound tcp 127.0.0.1 8080 80", then "ready"), waits for the runtime to
 * name the container's network namespace (a bind mount of it the launcher made), setns()es there,
 * and from then on every socket it makes — the inside half of each connection — lives in the
 * container's namespace and talks to 127.0.0.1:CTRPORT on the container's own loopback. No
 * route_localnet, no NAT, no address of the container reachable from the host.
 *
 * After setns it needs no privilege: it drops to nobody, non-dumpable, no_new_privs. It dies with
 * its supervisor (PDEATHSIG) and on EOF of stdin.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

#define MAXL 64        /* published ports */
#define MAXC 256       /* live TCP connections and UDP flows */
#define BUF 65536
#define UDP_IDLE 60    /* seconds a UDP flow without traffic is kept */

struct listener { int fd, udp, ctrport; };
struct conn {
  int used, udp, a, b;        /* tcp: a = host side, b = container side; udp: a = listener index, b = inside socket */
  int connecting;             /* tcp: b's connect() in progress */
  char ab[BUF], ba[BUF];      /* a→b and b→a buffers */
  size_t abn, ban;
  int aeof, beof;             /* read side saw EOF */
  struct sockaddr_storage peer; socklen_t peerlen;   /* udp: the client on the host side */
  time_t last;
};

static struct listener L[MAXL];
static int nl;
static struct conn C[MAXC];

static void die(const char *what) { fprintf(stderr, "portproxy: %s: %s\n", what, strerror(errno)); exit(1); }
static void bad(const char *what) { fprintf(stderr, "portproxy: %s\n", what); exit(2); }

static void listen_one(const char *spec) {
  char s[256], *save = NULL;
  if (strlen(spec) >= sizeof s || nl >= MAXL) bad("too many or too long port specs");
  strcpy(s, spec);
  /* PROTO:HOSTIP:HOSTPORT:CTRPORT, HOSTIP may be an IPv6 address in brackets */
  char *proto = strtok_r(s, ":", &save);
  char *rest = save;
  if (!proto || !rest) bad("bad port spec");
  char *ip, *hp, *cp;
  if (rest[0] == '[') {
    ip = rest + 1;
    char *e = strchr(ip, ']');
    if (!e || e[1] != ':') bad("bad port spec");
    *e = 0; rest = e + 2;
  } else {
    char *c = strrchr(rest, ':'); if (!c) bad("bad port spec"); *c = 0;
    char *d = strrchr(rest, ':'); if (!d) bad("bad port spec"); *c = ':';
    *d = 0; ip = rest; rest = d + 1;
  }
  hp = rest; cp = strchr(hp, ':'); if (!cp) bad("bad port spec"); *cp++ = 0;
  int udp = !strcmp(proto, "udp");
  if (!udp && strcmp(proto, "tcp")) bad("protocol must be tcp or udp");
  struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE, .ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM}, *ai;
  if (getaddrinfo(ip, hp, &hints, &ai)) bad("bad host address or port");
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) { fprintf(stderr, "portproxy: bind %s %s:%s: %s\n", proto, ip, hp, strerror(errno)); exit(3); }
  if (!udp && listen(fd, 128) < 0) die("listen");
  struct sockaddr_storage got; socklen_t gl = sizeof got;
  getsockname(fd, (struct sockaddr *)&got, &gl);
  int port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port : ((struct sockaddr_in *)&got)->sin_port);
  printf("bound %s %s %d %s\n", proto, ip, port, cp);
  freeaddrinfo(ai);
  L[nl].fd = fd; L[nl].udp = udp; L[nl].ctrport = atoi(cp); nl++;
}

/* enter the container's network namespace through the bind mount the launcher made: it must be
 * an nsfs file, and not the namespace we are already in (that would proxy to the host's own
 * loopback). */
static void enter(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  struct statfs sfs; struct stat a, b;
  if (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC) { errno = EXDEV; die(path); }
  if (fstat(fd, &a) < 0 || stat("/proc/self/ns/net", &b) < 0) die("stat netns");
  if (a.st_ino == b.st_ino && a.st_dev == b.st_dev) { errno = EINVAL; die("the container's netns is the host's"); }
  if (setns(fd, CLONE_NEWNET) < 0) die("setns");
  close(fd);
}

static void drop_privileges(void) {
  if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0) die("drop to nobody");
  prctl(PR_SET_DUMPABLE, 0);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);   /* cleared by the id change */
}

static int inside_socket(int udp, int port) {
  int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) { close(fd); return -1; }
  return fd;
}

static struct conn *slot(void) {
  for (int i = 0; i < MAXC; i++) if (!C[i].used) { memset(&C[i], 0, sizeof C[i]); C[i].used = 1; C[i].last = time(NULL); return &C[i]; }
  return NULL;
}

static void drop(struct conn *c) {
  if (!c->udp && c->a >= 0) close(c->a);
  if (c->b >= 0) close(c->b);
  c->used = 0;
}

static void accept_tcp(struct listener *l) {
  int a = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (a < 0) return;
  struct conn *c = slot();
  int b = c ? inside_socket(0, l->ctrport) : -1;
  if (b < 0) { close(a); if (c) c->used = 0; return; }
  c->a = a; c->b = b; c->connecting = 1;
}

static void udp_in(int li) {
  struct listener *l = &L[li];
  char buf[BUF];
  struct sockaddr_storage from; socklen_t fl = sizeof from;
  ssize_t n = recvfrom(l->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  if (n < 0) return;
  struct conn *c = NULL;
  for (int i = 0; i < MAXC; i++)
    if (C[i].used && C[i].udp && C[i].a == li && C[i].peerlen == fl && !memcmp(&C[i].peer, &from, fl)) { c = &C[i]; break; }
  if (!c) {
    if (!(c = slot())) return;
    c->udp = 1; c->a = li; c->b = inside_socket(1, l->ctrport);
    if (c->b < 0) { c->used = 0; return; }
    memcpy(&c->peer, &from, fl); c->peerlen = fl;
  }
  c->last = time(NULL);
  send(c->b, buf, (size_t)n, 0);
}

static void udp_out(struct conn *c) {
  char buf[BUF];
  ssize_t n = recv(c->b, buf, sizeof buf, 0);
  if (n < 0) return;
  c->last = time(NULL);
  sendto(L[c->a].fd, buf, (size_t)n, 0, (struct sockaddr *)&c->peer, c->peerlen);
}

/* pump moves bytes from one side's socket into the other's buffer and flushes it; returns -1 when
 * the pair is finished (both directions closed, or an error). */
static int pump(int from, int to, char *buf, size_t *n, int *eof, short rev_from) {
  if ((rev_from & (POLLIN | POLLHUP | POLLERR)) && !*eof && *n < BUF) {
    ssize_t r = read(from, buf + *n, BUF - *n);
    if (r == 0) *eof = 1;
    else if (r > 0) *n += (size_t)r;
    else if (errno != EAGAIN && errno != EINTR) return -1;
  }
  if (*n) {   /* non-blocking: try whenever something waits; EAGAIN keeps it for POLLOUT */
    ssize_t w = write(to, buf, *n);
    if (w > 0) { memmove(buf, buf + w, *n - (size_t)w); *n -= (size_t)w; }
    else if (w < 0 && errno != EAGAIN && errno != EINTR) return -1;
  }
  if (*eof && !*n) shutdown(to, SHUT_WR);
  return 0;
}

int main(int argc, char **argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_IGN);
  if (getppid() == 1) return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) bad("usage: portproxy PROTO:HOSTIP:HOSTPORT:CTRPORT... (stdin: go NETNS_FILE)");
  for (int i = 1; i < argc; i++) listen_one(argv[i]);
  printf("ready\n");
  char line[4096];
  if (!fgets(line, sizeof line, stdin) || strncmp(line, "go ", 3)) return 0;
  line[strcspn(line, "\n")] = 0;
  enter(line + 3);
  drop_privileges();
  printf("serving\n");

  struct pollfd pf[1 + MAXL + 2 * MAXC];
  int who[1 + MAXL + 2 * MAXC];   /* -1 stdin, 0..nl-1 listeners, 1000+i conn i side a, 2000+i side b */
  for (;;) {
    int n = 0;
    pf[n] = (struct pollfd){0, POLLIN, 0}; who[n++] = -1;
    for (int i = 0; i < nl; i++) { pf[n] = (struct pollfd){L[i].fd, POLLIN, 0}; who[n++] = i; }
    time_t now = time(NULL);
    for (int i = 0; i < MAXC; i++) {
      struct conn *c = &C[i];
      if (!c->used) continue;
      if (c->udp) {
        if (now - c->last > UDP_IDLE) { drop(c); continue; }
        pf[n] = (struct pollfd){c->b, POLLIN, 0}; who[n++] = 2000 + i;
        continue;
      }
      short ea = 0, eb = 0;
      if (c->connecting) eb = POLLOUT;
      else {
        if (!c->aeof && c->abn < BUF) ea |= POLLIN;
        if (c->ban) ea |= POLLOUT;
        if (!c->beof && c->ban < BUF) eb |= POLLIN;
        if (c->abn) eb |= POLLOUT;
      }
      pf[n] = (struct pollfd){c->a, ea, 0}; who[n++] = 1000 + i;
      pf[n] = (struct pollfd){c->b, eb, 0}; who[n++] = 2000 + i;
    }
    if (poll(pf, (nfds_t)n, 5000) < 0) { if (errno == EINTR) continue; die("poll"); }
    for (int k = 0; k < n; k++) {
      short re = pf[k].revents;
      if (!re) continue;
      int w = who[k];
      if (w == -1) { if (read(0, line, sizeof line) <= 0) return 0; continue; }
      if (w < 1000) { if (L[w].udp) udp_in(w); else accept_tcp(&L[w]); continue; }
      struct conn *c = &C[w % 1000];
      if (!c->used) continue;
      if (c->udp) { udp_out(c); continue; }
      if (c->connecting) {
        if (w < 2000) continue;
        int err = 0; socklen_t el = sizeof err;
        getsockopt(c->b, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) { drop(c); continue; }
        c->connecting = 0;
        continue;
      }
      /* one side's events: move what it has to the other, and what waits for it from the other */
      int bad1, bad2;
      if (w < 2000) {
        bad1 = pump(c->a, c->b, c->ab, &c->abn, &c->aeof, re);
        bad2 = c->ban ? pump(c->b, c->a, c->ba, &c->ban, &c->beof, 0) : 0;
      } else {
        bad1 = pump(c->b, c->a, c->ba, &c->ban, &c->beof, re);
        bad2 = c->abn ? pump(c->a, c->b, c->ab, &c->abn, &c->aeof, 0) : 0;
      }
      if (bad1 < 0 || bad2 < 0 || (c->aeof && c->beof && !c->abn && !c->ban)) drop(c);
    }
  }
}
