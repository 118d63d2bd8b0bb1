/*
 * A ClickHouse server from chdb's engine library: libchdb runs a clickhouse-local command line
 * through query_stable_v2, and on that path (unlike chdb's sessions) `SYSTEM START LISTEN
 * HTTP/TCP` opens real listeners that any number of client processes can use.
 *
 *   chdb-server LIBCHDB clickhouse-local-arguments...
 *
 * Built by clickhouse-server.ts with the system's C compiler; stopped with SIGTERM.
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s LIBCHDB clickhouse-local-arguments...\n", argv[0]);
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
  if (!lib) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  void *(*run)(int, char **) = (void *(*)(int, char **))dlsym(lib, "query_stable_v2");
  if (!run) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  /* The command line clickhouse-local sees: its own name, then the arguments. */
  argv[1] = "clickhouse";
  run(argc - 1, argv + 1);
  return 0;
}
