/* native/labdns/labdns.c — a lab network's resolver: answers A queries for the names of the network's
 * members on the gateway address, UDP port 53 (run in the network's own namespace by the runtime)
 *
 * usage: labdns GATEWAY NAMESFILE
 *
 * NAMESFILE ("IP NAME" lines, then "# end") is rewritten in place by the runtime as containers join
 * and leave (sandbox/network/hosts.ts); it is opened once, before privileges go, and re-read from
 * that fd on every query, so the resolver needs no access to the runtime's root-only directories.
 * A copy without its "# end" line (caught mid-rewrite) is ignored for the previous one.
 *
 * Answers: a member's name (case-insensitive, a trailing dot ignored) → its address, TTL 0 (names
 * follow membership at once); AAAA and other types for a member → no records (NOERROR); any other
 * name → REFUSED, so a libc resolver goes on to the next nameserver of resolv.conf (the upstream
 * ones a member with egress gets). Nothing is forwarded: this resolver never sends a packet of its
 * own beyond the network.
 *
 * After binding it drops to nobody (no groups, no_new_privs, non-dumpable): what it parses comes
 * from containers. It exits when NAMESFILE is removed (the network's teardown), on SIGTERM, or when
 * the runtime kills it by pid.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAMES_MAX 65536
#define MAXN 1024

static char names[NAMES_MAX + 1];
static struct { char name[256]; struct in_addr ip; } N[MAXN];
static int nn;

static void die(const char *what) { fprintf(stderr, "labdns: %s: %s\n", what, strerror(errno)); exit(1); }

/* reload re-reads the names from FD; keeps the old table when the copy is partial */
static void reload(int fd) {
  ssize_t r = pread(fd, names, NAMES_MAX, 0);
  if (r <= 0) return;
  names[r] = 0;
  if (!strstr(names, "\n# end\n") && strncmp(names, "# end\n", 6) != 0) return;
  nn = 0;
  for (char *line = strtok(names, "\n"); line && nn < MAXN; line = strtok(NULL, "\n")) {
    char ip[64], name[256];
    if (line[0] == '#' || sscanf(line, "%63s %255s", ip, name) != 2) continue;
    if (inet_pton(AF_INET, ip, &N[nn].ip) != 1) continue;
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    strcpy(N[nn].name, name);
    nn++;
  }
}

/* qname reads the question's name (no compression allowed there) into OUT, lowercased and dotted; returns the offset after it or -1 */
static int qname(const unsigned char *q, int len, int off, char *out) {
  int o = 0;
  for (;;) {
    if (off >= len) return -1;
    int l = q[off++];
    if (l == 0) break;
    if (l > 63 || off + l > len || o + l + 1 > 255) return -1;
    if (o) out[o++] = '.';
    for (int i = 0; i < l; i++) out[o++] = (char)tolower(q[off + i]);
    off += l;
  }
  out[o] = 0;
  return off;
}

static void answer(int s, const unsigned char *q, int len, struct sockaddr_in *peer, socklen_t plen) {
  unsigned char r[512];
  if (len < 12 || len > 512 || (q[2] & 0x80)) return;            /* too short, or a response */
  int qd = (q[4] << 8) | q[5];
  int opcode = (q[2] >> 3) & 0xf;
  memcpy(r, q, 12);
  r[2] = (unsigned char)(0x80 | (q[2] & 0x79) | 0x04);             /* QR, opcode and RD kept, AA */
  r[3] = 0; r[6] = r[7] = r[8] = r[9] = r[10] = r[11] = 0;
  char name[256];
  int end = qd == 1 ? qname(q, len, 12, name) : -1;
  if (opcode != 0 || end < 0 || end + 4 > len) {
    r[3] = opcode != 0 ? 4 : 1;                                    /* NOTIMP, FORMERR */
    r[4] = r[5] = 0;
    sendto(s, r, 12, 0, (struct sockaddr *)peer, plen);
    return;
  }
  size_t nl = strlen(name);
  if (nl && name[nl - 1] == '.') name[nl - 1] = 0;
  int type = (q[end] << 8) | q[end + 1], klass = (q[end + 2] << 8) | q[end + 3];
  end += 4;
  memcpy(r + 12, q + 12, (size_t)(end - 12));                     /* the question, as asked */
  int n = end, found = -1;
  for (int i = 0; i < nn; i++) if (strcmp(N[i].name, name) == 0) { found = i; break; }
  if (found < 0) r[3] = 5;                                          /* REFUSED: not ours, ask the next server */
  else if ((type == 1 || type == 255) && (klass == 1 || klass == 255) && n + 16 <= (int)sizeof r) {
    const unsigned char rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4 };   /* name → the question, A, IN, TTL 0, 4 bytes */
    memcpy(r + n, rr, sizeof rr); n += (int)sizeof rr;
    memcpy(r + n, &N[found].ip, 4); n += 4;
    r[7] = 1;
  }
  sendto(s, r, (size_t)n, 0, (struct sockaddr *)peer, plen);
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: labdns GATEWAY NAMESFILE\n"); return 2; }
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
  if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) { fprintf(stderr, "labdns: %s: not an IPv4 address\n", argv[1]); return 2; }
  int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(argv[2]);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  /* privileges go only after the two things that need them: the root-only file and port 53 */
  if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0) die("drop to nobody");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) die("prctl");
  signal(SIGPIPE, SIG_IGN);
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    struct pollfd p = { .fd = s, .events = POLLIN };
    int k = poll(&p, 1, 1000);
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_nlink == 0) return 0;         /* the network was torn down */
    if (k <= 0) continue;
    unsigned char q[512];
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    ssize_t len = recvfrom(s, q, sizeof q, 0, (struct sockaddr *)&peer, &plen);
    if (len <= 0) continue;
    reload(fd);
    answer(s, q, (int)len, &peer, plen);
  }
}
