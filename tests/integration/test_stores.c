/*  test_stores: what a service does with its LMDB store at start-up, with
    real processes (issue 10).

    - lock: a second rcmq-claims on the same data directory exits non-zero
      naming the lock file and the first one's pid, and the first keeps
      answering `rcmqctl status`.
    - unreadable offset: rcmq-claims whose `offsets` table holds a value
      that is not a number (3 bytes) must not start as if it had applied
      nothing (offset 0 would re-apply the whole stream): it exits non-zero,
      its log names the store, the table/key and what is wrong, and no
      write transaction was committed to its store.

    Both run broker + intake + claims under a fixed RCMQ_NOW; intake's
    `queue create` puts an event on the `queue` stream that claims
    consumes, so claims has an offset of its own to corrupt.
*/
#include "suites.h"
#include "harness.h"

#include <czmq.h>
#include <jansson.h>
#include <limits.h>
#include <lmdb.h>
#include <signal.h>
#include <stdarg.h>

#define STORES_NOW "2026-11-02T12:00:00Z"

typedef struct {
    harness_t *harness;
    const char *config;
    harness_proc_t *procs [3];
    char failures [8192];
    int failed;
} s_run_t;

static const char *const s_names [] = { "broker", "intake", "claims", NULL };

static void
s_check (s_run_t *run, bool ok, const char *format, ...) __attribute__ ((format (printf, 3, 4)));

static void
s_check (s_run_t *run, bool ok, const char *format, ...)
{
    if (ok)
        return;
    run->failed++;
    size_t used = strlen (run->failures);
    if (used + 2 >= sizeof run->failures)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (run->failures + used, sizeof run->failures - used - 1, format, args);
    va_end (args);
    strcat (run->failures, "\n");
}

static bool
s_start (s_run_t *run, const char *tag)
{
    memset (run, 0, sizeof *run);
    setenv ("RCMQ_NOW", STORES_NOW, 1);
    run->harness = harness_new (tag);
    if (!run->harness || harness_keys (run->harness, NULL)) {
        s_check (run, false, "cannot make keys");
        return false;
    }
    run->config = harness_config (run->harness);
    if (!run->config
    ||  harness_config_append (run->harness,
                               "intake\n    api = \"tcp://127.0.0.1:%d\"\n    inbox-dir = \"%s/inbox\"\n"
                               "claims\n    api = \"tcp://127.0.0.1:%d\"\n",
                               harness_free_port (), harness_dir (run->harness), harness_free_port ())) {
        s_check (run, false, "cannot write config");
        return false;
    }
    bool up = harness_start_services (run->harness, s_names, run->procs, harness_scaled_ms (30000));
    s_check (run, up, "broker, intake and claims did not come up");
    return up;
}

static void
s_finish (s_run_t *run)
{
    if (run->harness)
        harness_destroy (&run->harness, run->failed > 0);
    ck_assert_msg (run->failed == 0, "%d check(s) failed:\n%s", run->failed, run->failures);
}

//  rcmqctl queue create ID for two payers; true when it worked.
static bool
s_queue_create (s_run_t *run, const char *id)
{
    char *args [] = { "queue", "create", (char *) id, "--payer-ids", "87726",
                      "--owner-team", "internal-ar", NULL };
    int rc;
    json_t *reply = harness_ctl_json (run->harness, "rcmqctl", &rc, 20000, args);
    json_decref (reply);
    return rc == 0;
}

//  --------------------------------------------------------------------------

START_TEST (test_second_opener_refused)
{
    s_run_t run;
    if (!s_start (&run, "stores-lock")) {
        s_finish (&run);
        return;
    }
    harness_proc_t *claims = run.procs [2];
    //  The same binary, the same config, so the same data directory.
    char *argv [] = { (char *) harness_bin (run.harness, "services/claims/rcmq-claims"),
                      "--config", (char *) run.config, NULL };
    harness_proc_t *second = harness_spawn (run.harness, "claims-second", argv);
    s_check (&run, second != NULL, "cannot spawn a second rcmq-claims");
    int status = second? harness_wait (second, harness_scaled_ms (20000)): -1;
    s_check (&run, status > 0 && status < 128,
             "the second rcmq-claims on one data dir did not exit with an error (status %d)", status);

    char lock [PATH_MAX], holder [64];
    snprintf (lock, sizeof lock, "%s/claims/rcmq.lock", harness_path (run.harness, "data"));
    snprintf (holder, sizeof holder, "pid %d on host", (int) harness_pid (claims));
    s_check (&run, harness_log_contains (run.harness, "claims-second", lock),
             "the second's log does not name the lock %s", lock);
    s_check (&run, harness_log_contains (run.harness, "claims-second", holder),
             "the second's log does not name the holder (%s)", holder);

    //  The first is untouched: still running, answering, and still applying.
    s_check (&run, harness_running (claims), "the first rcmq-claims exited");
    s_check (&run, s_queue_create (&run, "q-lock"), "queue create failed");
    json_t *status_json = harness_status (run.harness);
    s_check (&run, harness_status_up (status_json, "claims"),
             "the first rcmq-claims no longer answers status");
    json_decref (status_json);
    s_finish (&run);
}
END_TEST

//  The store's last committed transaction id: it moves with every commit.
static size_t
s_last_txnid (const char *dir)
{
    MDB_env *env;
    MDB_envinfo info = { 0 };
    if (mdb_env_create (&env))
        return 0;
    if (mdb_env_open (env, dir, MDB_RDONLY, 0600) == 0)
        mdb_env_info (env, &info);
    mdb_env_close (env);
    return info.me_last_txnid;
}

//  Writes value (size bytes) under offsets/key with plain LMDB, as a bad
//  restore or a foreign tool might; 0 or an LMDB error.
static int
s_write_offset (const char *dir, const char *key, const void *value, size_t size)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc = mdb_env_create (&env);
    if (rc)
        return rc;
    mdb_env_set_maxdbs (env, 64);
    if ((rc = mdb_env_open (env, dir, 0, 0600)) == 0
    &&  (rc = mdb_txn_begin (env, NULL, 0, &txn)) == 0) {
        MDB_val k = { strlen (key), (void *) key }, v = { size, (void *) value };
        if ((rc = mdb_dbi_open (txn, "offsets", 0, &dbi)) == 0
        &&  (rc = mdb_put (txn, dbi, &k, &v, 0)) == 0)
            rc = mdb_txn_commit (txn);
        else
            mdb_txn_abort (txn);
    }
    mdb_env_close (env);
    return rc;
}

START_TEST (test_unreadable_offset_stops)
{
    s_run_t run;
    if (!s_start (&run, "stores-offset")) {
        s_finish (&run);
        return;
    }
    //  Claims applies one queue event, so it has an offset for "queue".
    s_check (&run, s_queue_create (&run, "q-one"), "queue create failed");
    uint64_t deadline = harness_now_ms () + (uint64_t) harness_scaled_ms (20000);
    while (harness_consumed (run.harness, "claims", "queue") < 1 && harness_now_ms () < deadline)
        harness_sleep_ms (200);
    s_check (&run, harness_consumed (run.harness, "claims", "queue") >= 1, "claims did not apply the queue event");

    harness_kill (run.procs [2], SIGTERM);
    s_check (&run, harness_wait (run.procs [2], harness_scaled_ms (20000)) == 0, "claims did not stop on SIGTERM");
    const char *store = harness_path (run.harness, "data/claims");
    char store_dir [PATH_MAX];
    snprintf (store_dir, sizeof store_dir, "%s", store);
    s_check (&run, s_write_offset (store_dir, "queue", "abc", 3) == 0, "cannot write the bad offset");
    //  One more event for claims to (wrongly) apply from 0 if it took the
    //  bad value for "nothing applied yet".
    s_check (&run, s_queue_create (&run, "q-two"), "queue create failed");
    size_t before = s_last_txnid (store_dir);
    char log [PATH_MAX];
    snprintf (log, sizeof log, "%s", harness_path (run.harness, "logs/claims.log"));
    char *earlier = harness_slurp (log);
    size_t skip = earlier? strlen (earlier): 0;
    free (earlier);

    run.procs [2] = harness_spawn_service (run.harness, "claims");
    int status = harness_wait (run.procs [2], harness_scaled_ms (20000));
    s_check (&run, status > 0 && status < 128,
             "rcmq-claims with an unreadable offset did not exit with an error (status %d)", status);
    //  What this start wrote (the first run's lines name the store too).
    char *text = harness_slurp (log);
    const char *since = text && strlen (text) >= skip? text + skip: "";
    const char *line = strstr (since, "offsets/queue");
    s_check (&run, line != NULL, "its log does not name the table and key offsets/queue:\n%s", since);
    if (line) {
        const char *start = line;
        while (start > since && start [-1] != '\n')
            start--;
        size_t length = strcspn (start, "\n");
        char *error = strndup (start, length);
        s_check (&run, strstr (error, store_dir) != NULL, "the error does not name the store %s: %s", store_dir, error);
        s_check (&run, strstr (error, "3 bytes") != NULL, "the error does not say what is wrong (3 bytes): %s", error);
        free (error);
    }
    free (text);
    s_check (&run, s_last_txnid (store_dir) == before,
             "claims committed a write (txn %zu -> %zu) although it could not read its offset",
             before, s_last_txnid (store_dir));
    run.procs [2] = NULL;
    s_finish (&run);
}
END_TEST

Suite *
stores_suite (void)
{
    Suite *suite = suite_create ("stores");
    TCase *tc = tcase_create ("start-up");
    tcase_set_timeout (tc, 180);
    tcase_add_test (tc, test_second_opener_refused);
    tcase_add_test (tc, test_unreadable_offset_stops);
    suite_add_tcase (suite, tc);
    return suite;
}
