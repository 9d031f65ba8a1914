/* native/demo/hello.c — the demo image's only file: a static greeting (runs inside the sandbox) */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
  printf("Hello from tssandbox!\n");
  printf("This program runs as uid %d in a sandbox: no capabilities, its own namespaces,\n", (int)getuid());
  printf("a read-only root and a seccomp filter compiled by tssandbox.\n");
  for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  return 0;
}
