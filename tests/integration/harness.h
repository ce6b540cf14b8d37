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

    On top of the process helpers, what the suites do with a deployment:
    read endpoints from its config, spawn a service, run rcmqctl and read
    its JSON, wait until `rcmqctl status` says every process is up or a
    service has consumed a stream, run the Python scripts of the source
    tree, and read a stream from the broker's replay socket with a service
    key as the services themselves do.
*/
#ifndef RCMQ_HARNESS_H
#define RCMQ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdarg.h>
#include <czmq.h>
#include <jansson.h>
#include "codec.h"

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

//  `rcmqctl keys init DIR/keys` (the processes' keys and the two demo
//  admins, admin and admin2, whom rcmq-audit enters at its first start),
//  then `rcmqctl keys add NAME --role service` for each extra name
//  (NULL-terminated): key files only, which admit no one until granted
//  (harness_grant_services, once the deployment runs). 0 or -1.
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
//  How many files folder dir holds (names not starting with a dot).
size_t      harness_files_in (const char *dir);
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


//  --------------------------------------------------------------------------
//  A deployment: its config, its services, rcmqctl

//  Appends lines (printf-style) to the config harness_config wrote, e.g.
//  the sections of the services a suite starts. 0 or -1.
int         harness_config_append (harness_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
//  The value of `    KEY = "VALUE"` under the top-level SECTION of the
//  config (e.g. "broker", "replay") into buf; "" when it is not there.
void        harness_config_value (harness_t *self, const char *section, const char *key,
                                  char *buf, size_t size);
//  Spawns services/NAME/rcmq-NAME --config <config>, logging to NAME.
//  rcmq-audit, which owns the access registry every process decides with,
//  is spawned beside the first service (once; a suite that spawns "audit"
//  itself gets that process).
harness_proc_t *harness_spawn_service (harness_t *self, const char *name);

//  rcmqctl --config <config> --json ARGS (NULL-terminated), stderr into
//  logs/LOG.log, bounded by harness_scaled_ms (timeout_ms). Returns the
//  parsed stdout (caller decrefs; NULL when it printed no JSON) and the
//  exit code in *rc_out (when not NULL). At most 27 args.
json_t     *harness_ctl_json (harness_t *self, const char *log, int *rc_out, int timeout_ms,
                              char *const *args);
//  The same with the args as a NULL-terminated va_list, for suites'
//  own variadic wrappers.
json_t     *harness_ctl_json_va (harness_t *self, const char *log, int *rc_out, int timeout_ms,
                                 va_list args);
//  `rcmqctl --json status --timeout 400` (10 s bound), parsed.
json_t     *harness_status (harness_t *self);
//  The entry of processes[] named NAME in a status, or NULL.
json_t     *harness_status_process (json_t *status, const char *name);
//  NAME is up in a status, and (unless it is the broker) connected to the
//  broker.
bool        harness_status_up (json_t *status, const char *name);
//  Polls harness_status every 200 ms until every one of NAMES (NULL-
//  terminated) is up as harness_status_up says, for up to timeout_ms.
bool        harness_wait_up (harness_t *self, const char *const *names, int timeout_ms);
//  Spawns the NULL-terminated named services in order into procs (one slot
//  each) and waits until all of them answer status. False when one did not
//  spawn or come up in time.
bool        harness_start_services (harness_t *self, const char *const *names,
                                    harness_proc_t **procs, int timeout_ms);
//  The index of the first of count processes (NULL slots skipped) that has
//  exited, with its exit status in *status; -1 when all still run.
int         harness_first_exited (harness_proc_t **procs, size_t count, int *status);
//  What `rcmqctl status` says service NAME has consumed of STREAM (its
//  offset: the consumer applies each seq once), 0 when it does not say.
uint64_t    harness_consumed (harness_t *self, const char *name, const char *stream);

//  Grants NAME ROLE of TEAM (valid until UNTIL, "YYYY-MM-DD", or NULL)
//  through the access registry as a deployment does: its key pair
//  (`rcmqctl keys add`) unless it has one, `access request` by admin,
//  `access approve` by admin2, then waits until every service the harness
//  runs (with an api endpoint in the config) answers NAME's Health: their
//  copies of the registry hold the grant. The broker and audit must run.
//  0, or -1 (said on stderr).
int         harness_grant (harness_t *self, const char *name, const char *role, const char *team,
                           const char *until);
//  harness_grant of role service (team internal) for each name
//  (NULL-terminated): the extra keys of harness_keys. 0 or -1.
int         harness_grant_services (harness_t *self, const char *const *names);

//  python3 <source dir>/scripts/SCRIPT ARGS (NULL-terminated), its stderr
//  into logs/SCRIPT.log, bounded by timeout_ms (not scaled). Returns the
//  exit code, or -1 on timeout.
int         harness_script (harness_t *self, const char *script, char *const *args, int timeout_ms);

//  --------------------------------------------------------------------------
//  Sockets, and the broker's replay socket

//  A DEALER to endpoint, linger 0; a CURVE client with cert when cert is
//  given.
zsock_t    *harness_dealer (const char *endpoint, const char *server_key, zcert_t *cert);
//  One message within harness_scaled_ms (timeout_ms), or NULL.
zmsg_t     *harness_recv (zsock_t *socket, int timeout_ms);
//  Reads STREAM from seq 1 on the broker's replay socket as CONSUMER with
//  cert (the replay socket serves service keys only), batch events per
//  FETCH, each reply awaited up to timeout_ms (scaled). Each event goes to
//  on_event, which returns false to stop early. Stops when a reply holds
//  no event or reaches the stream's head (into *head when not NULL).
//  0, or -1 when the broker did not answer a FETCH.
int         harness_replay (const char *replay, zcert_t *cert, const char *broker_key,
                            const char *stream, const char *consumer, uint32_t batch,
                            int timeout_ms, bool (*on_event) (const Event *event, void *arg),
                            void *arg, uint64_t *head);

//  Records a failed check in failures (a line each) and counts it in
//  *failed: a suite runs every check, then fails once naming all of them.
void        harness_check_into (char *failures, size_t size, int *failed, bool ok,
                                const char *format, ...) __attribute__ ((format (printf, 5, 6)));
//  The same for any run struct with `char failures [N]` and `int failed`.
#define harness_check(run, ok, ...) \
    harness_check_into ((run)->failures, sizeof (run)->failures, &(run)->failed, (ok), __VA_ARGS__)

#endif
