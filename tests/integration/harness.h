/*  harness: real processes for the integration suites.

    A test makes a deployment in a temp dir (keys from `rcmqctl keys`, a
    config file with free loopback ports), spawns the build's programs with
    their output in log files there, kills and restarts them, waits for
    conditions with a deadline, and on failure prints the tail of every
    log. Everything a test spawned is killed when the test process exits
    (atexit, and PR_SET_PDEATHSIG should the test itself be killed), and the
    temp dir is removed unless RCMQ_ITEST_KEEP is set.

    Programs are found in the build dir: $RCMQ_BUILD, else the CMake binary
    dir this runner was built in.
*/
#ifndef RCMQ_HARNESS_H
#define RCMQ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct _harness_t harness_t;
typedef struct _harness_proc_t harness_proc_t;

//  A fresh deployment dir under $TMPDIR: DIR/keys, DIR/data, DIR/logs.
harness_t  *harness_new (const char *tag);
//  Kills what is still running, prints log tails when failed, removes DIR.
void        harness_destroy (harness_t **self_p, bool failed);
const char *harness_dir (harness_t *self);
//  DIR/<relative>, in a buffer the harness owns (valid until destroy).
const char *harness_path (harness_t *self, const char *relative);
//  <build>/<relative>, e.g. "services/broker/rcmq-broker".
const char *harness_bin (harness_t *self, const char *relative);

//  `rcmqctl keys init DIR/keys`, then `rcmqctl keys add NAME --role
//  service` for each extra name (NULL-terminated). 0 or -1.
int         harness_keys (harness_t *self, const char *const *names);
//  A free loopback TCP port (bound to port 0 and read back); never the
//  same twice in one process.
int         harness_free_port (void);
//  Writes DIR/rcmq.conf: keys/dir, data/dir and the four broker endpoints
//  on free ports. Returns its path.
const char *harness_config (harness_t *self);

//  Spawns argv (argv[0] a path) with stdout and stderr appended to
//  DIR/logs/<name>.log. The same name can be spawned again once exited.
harness_proc_t *harness_spawn (harness_t *self, const char *name, char *const argv []);
pid_t       harness_pid (harness_proc_t *proc);
bool        harness_running (harness_proc_t *proc);
void        harness_kill (harness_proc_t *proc, int signal);
//  Waits up to timeout_ms for the process to exit. Returns its exit code,
//  128 + signal when killed, or -1 on timeout.
int         harness_wait (harness_proc_t *proc, int timeout_ms);
//  Runs argv to completion (bounded), stdout into *output (caller frees,
//  may be NULL) and stderr into the log <name>. Returns the exit code, or
//  -1 on timeout / spawn failure.
int         harness_run (harness_t *self, const char *name, char *const argv [],
                         char **output, int timeout_ms);

//  Polls fn every interval_ms until it returns true or timeout_ms passes.
bool        harness_wait_until (bool (*fn) (void *arg), void *arg, int timeout_ms, int interval_ms);
//  The contents of a file (caller frees), NULL when unreadable.
char       *harness_slurp (const char *path);
//  Reads "key value" lines from a file: the value for key, or 0.
uint64_t    harness_file_value (const char *path, const char *key);
//  True when the log of name contains text.
bool        harness_log_contains (harness_t *self, const char *name, const char *text);
//  Prints the last lines of every log to stderr.
void        harness_print_logs (harness_t *self, int lines);
uint64_t    harness_now_ms (void);
void        harness_sleep_ms (int ms);
//  Seconds scaled for sanitizer builds (ASan runs several times slower).
int         harness_scaled_ms (int ms);

#endif
