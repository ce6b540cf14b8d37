/*  bench_util: what the benchmarks share around their measurements.

    Timing (a monotonic clock in microseconds, rates), temp dirs, finding
    the build's programs, running a program to completion (the generator
    scripts, rcmqctl keys init) and spawning the services with their logs in
    the run's temp dir (watched: bench_watch.h), a config for a broker on
    free loopback ports, and the one JSON line each benchmark ends with. The measurements themselves
    stay in each benchmark.
*/
#ifndef RCMQ_BENCH_UTIL_H
#define RCMQ_BENCH_UTIL_H

#include "bench_watch.h"

#include <jansson.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

//  Microseconds on the monotonic clock.
uint64_t bench_usec (void);
//  count per second over usec; 0 when usec is 0.
double   bench_rate (double count, uint64_t usec);

//  A fresh dir $TMPDIR/rcmq-bench-TAG-XXXXXX into path. 0 or -1.
int      bench_tmpdir (char *path, size_t size, const char *tag);
//  Removes dir and everything below it.
void     bench_rmtree (const char *dir);
//  The build dir: $RCMQ_BUILD, else the one this program was built in
//  (<build>/bench/NAME -> <build>).
void     bench_build_dir (char *path, size_t size);
//  A loopback TCP port nobody listens on now (the kernel's choice for port
//  0), or -1.
int      bench_free_port (void);

//  Runs argv (argv[0] a path) to completion with stdin from /dev/null and
//  stderr appended to DIR/bench.log; stdout to out_path (truncated) or,
//  when NULL, to the log too. Returns the exit status, or -1 (also when a
//  process bench_spawn started died meanwhile: bench_watch.h; the command
//  is then killed).
int      bench_run (const char *dir, char *const argv [], const char *out_path);
//  `BUILD/cli/rcmqctl keys init KEYS`, through bench_run. 0 or the status.
int      bench_keys_init (const char *build, const char *dir, const char *keys);
//  Spawns BUILD/PROGRAM --config CONFIG with stdout and stderr in
//  DIR/NAME.log, watched (bench_watch.h) until bench_stop. Returns its
//  pid, or 0.
pid_t    bench_spawn (const char *build, const char *dir, const char *program,
                      const char *config, const char *name);
//  The rcmq-audit bench_spawn started beside the broker, or 0.
pid_t    bench_audit_pid (void);
//  SIGTERM to *pid and waits for it (not when it died already); sets *pid
//  to 0. Nothing when 0.
void     bench_stop (pid_t *pid);

//  Creates the config at path with keys/dir KEYS, data/dir DIR/data and
//  the broker's four sockets on free ports, and returns it open so the
//  caller can add the services' sections (caller closes). NULL on error.
FILE    *bench_config_open (const char *path, const char *keys, const char *dir);

//  Calls fn for every row of every named table of the stopped store at
//  dir, table by table (read with LMDB directly, read-only: a bench does not
//  know each service's tables). 0, or -1 with the LMDB error printed.
typedef void (bench_row_fn) (void *arg, const char *table, const MDB_val *key, const MDB_val *value);
int      bench_env_rows (const char *dir, bench_row_fn *fn, void *arg);

//  Prints {"name":NAME,"figures":...,"limits":...,"ratios":...} as one
//  compact line, reals with precision digits; takes the three objects.
void     bench_print_line (const char *name, json_t *figures, json_t *limits, json_t *ratios,
                           int precision);

#endif
