// bench/libseccomp/tree.c — compile a rule list with libseccomp (binary tree) and print the BPF it generates (bench only; cc tree.c -lseccomp)
//
// stdin, one rule per line: ACTION NR NARGS [INDEX OP VALUE VALUETWO]...  (ACTION is the raw
// SECCOMP_RET value, OP libseccomp's enum scmp_compare). First line: DEFAULT_ACTION.
// stdout: the raw sock_filter array from seccomp_export_bpf, for the bench's interpreter.
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
  unsigned int def;
  if (scanf("%u", &def) != 1) { fprintf(stderr, "tree: no default action\n"); return 2; }
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) { fprintf(stderr, "tree: seccomp_init failed\n"); return 1; }
  // the binary tree Docker's numbers refer to (libseccomp >= 2.5)
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (rc < 0) fprintf(stderr, "tree: binary tree not supported (%d), using the linear list\n", rc);
  unsigned int action; int nr, nargs;
  while (scanf("%u %d %d", &action, &nr, &nargs) == 3) {
    struct scmp_arg_cmp cmp[6];
    for (int i = 0; i < nargs && i < 6; i++) {
      unsigned int idx, op; unsigned long long a, b;
      if (scanf("%u %u %llu %llu", &idx, &op, &a, &b) != 4) { fprintf(stderr, "tree: bad argument\n"); return 2; }
      cmp[i].arg = idx; cmp[i].op = (enum scmp_compare)op; cmp[i].datum_a = a; cmp[i].datum_b = b;
    }
    rc = seccomp_rule_add_array(ctx, action, nr, (unsigned int)nargs, cmp);
    if (rc < 0) { fprintf(stderr, "tree: rule for %d: %d\n", nr, rc); return 1; }
  }
  rc = seccomp_export_bpf(ctx, STDOUT_FILENO);
  seccomp_release(ctx);
  return rc < 0 ? 1 : 0;
}
