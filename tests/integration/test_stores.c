/*  test_stores: what a service does with its LMDB store at start-up, with
    real processes (issue 10).

    - lock: a second rcmq-claims on the same data directory exits non-zero
      naming the lock file and the first one's pid, and the first keeps
      answering `rcmqctl status`.
    - unreadable offset: rcmq-claims whose `offsets` table holds a value
      that is not a number (3 bytes) must not start as if it had applied
      nothing (offset 0 would re-apply the whole stream): it exits non-zero,
      its log names the store, the table/key and what is wrong, and none
      of its tables changed.

    - clock never goes back: broker, intake, claims and metrics run with
      RCMQ_NOW = 2026-12-06; claims from gen-837 go in, are submitted and
      acknowledged, and part of payer-sim's remits are posted. Every
      process is stopped and started again with RCMQ_NOW 40 days earlier
      and the rest of the remits are posted. Every process's clock
      (Health now_ms) must be at or after the latest it showed before,
      every figure of `metrics kpi` (A/R, days in A/R, each aging bucket,
      as of days before, at and after the first run) must be >= 0, and no
      claim's history may go back in time.

    The first two run broker + intake + claims under a fixed RCMQ_NOW;
    intake's `queue create` puts an event on the `queue` stream that claims
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
#define CLOCK_NOW        "2026-12-06T09:00:00Z"
#define CLOCK_NOW_BEFORE "2026-10-27T09:00:00Z"     //  40 days earlier
#define CLOCK_CLAIMS     "40"

typedef struct {
    harness_t *harness;
    const char *config;
    harness_proc_t *procs [4];
    char failures [8192];
    int failed;
} s_run_t;

static const char *const s_names [] = { "broker", "intake", "claims", NULL };

static bool
s_start (s_run_t *run, const char *tag)
{
    memset (run, 0, sizeof *run);
    setenv ("RCMQ_NOW", STORES_NOW, 1);
    run->harness = harness_new (tag);
    if (!run->harness || harness_keys (run->harness, NULL)) {
        harness_check (run, false, "cannot make keys");
        return false;
    }
    run->config = harness_config (run->harness);
    if (!run->config
    ||  harness_config_append (run->harness,
                               "intake\n    api = \"tcp://127.0.0.1:%d\"\n    inbox-dir = \"%s/inbox\"\n"
                               "claims\n    api = \"tcp://127.0.0.1:%d\"\n",
                               harness_free_port (), harness_dir (run->harness), harness_free_port ())) {
        harness_check (run, false, "cannot write config");
        return false;
    }
    bool up = harness_start_services (run->harness, s_names, run->procs, harness_scaled_ms (30000));
    harness_check (run, up, "broker, intake and claims did not come up");
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
    harness_check (&run, second != NULL, "cannot spawn a second rcmq-claims");
    int status = second? harness_wait (second, harness_scaled_ms (20000)): -1;
    harness_check (&run, status > 0 && status < 128,
             "the second rcmq-claims on one data dir did not exit with an error (status %d)", status);

    char lock [PATH_MAX], holder [64];
    snprintf (lock, sizeof lock, "%s/claims/rcmq.lock", harness_path (run.harness, "data"));
    snprintf (holder, sizeof holder, "pid %d on host", (int) harness_pid (claims));
    harness_check (&run, harness_log_contains (run.harness, "claims-second", lock),
             "the second's log does not name the lock %s", lock);
    harness_check (&run, harness_log_contains (run.harness, "claims-second", holder),
             "the second's log does not name the holder (%s)", holder);

    //  The first is untouched: still running, answering, and still applying.
    harness_check (&run, harness_running (claims), "the first rcmq-claims exited");
    harness_check (&run, s_queue_create (&run, "q-lock"), "queue create failed");
    json_t *status_json = harness_status (run.harness);
    harness_check (&run, harness_status_up (status_json, "claims"),
             "the first rcmq-claims no longer answers status");
    json_decref (status_json);
    s_finish (&run);
}
END_TEST

//  A digest of every table of the store but the store's own "_store"
//  (its version and clock mark) and "outbox_meta" (where each start records
//  its producer epoch, docs/adr/0007), read with plain LMDB: what a service
//  has applied. FNV-1a over table names, keys and values; 0 when unreadable.
static uint64_t
s_digest (const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi unnamed;
    MDB_cursor *tables;
    uint64_t hash = 1469598103934665603ULL;
    if (mdb_env_create (&env))
        return 0;
    mdb_env_set_maxdbs (env, 64);
    if (mdb_env_open (env, dir, MDB_RDONLY, 0600) || mdb_txn_begin (env, NULL, MDB_RDONLY, &txn)) {
        mdb_env_close (env);
        return 0;
    }
    mdb_dbi_open (txn, NULL, 0, &unnamed);
    mdb_cursor_open (txn, unnamed, &tables);
    MDB_val name, ignored;
    for (int rc = mdb_cursor_get (tables, &name, &ignored, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (tables, &name, &ignored, MDB_NEXT)) {
        char table [128];
        snprintf (table, sizeof table, "%.*s", (int) name.mv_size, (const char *) name.mv_data);
        MDB_dbi dbi;
        MDB_cursor *cursor;
        if (streq (table, "_store") || streq (table, "outbox_meta") || mdb_dbi_open (txn, table, 0, &dbi) || mdb_cursor_open (txn, dbi, &cursor))
            continue;
        MDB_val parts [3] = { name };
        for (int at = mdb_cursor_get (cursor, &parts [1], &parts [2], MDB_FIRST); at == 0;
             at = mdb_cursor_get (cursor, &parts [1], &parts [2], MDB_NEXT))
            for (int p = 0; p < 3; p++) {
                for (size_t i = 0; i < parts [p].mv_size; i++)
                    hash = (hash ^ ((const uint8_t *) parts [p].mv_data) [i]) * 1099511628211ULL;
                hash = (hash ^ 0xff) * 1099511628211ULL;
            }
        mdb_cursor_close (cursor);
    }
    mdb_cursor_close (tables);
    mdb_txn_abort (txn);
    mdb_env_close (env);
    return hash;
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
    harness_check (&run, s_queue_create (&run, "q-one"), "queue create failed");
    uint64_t deadline = harness_now_ms () + (uint64_t) harness_scaled_ms (20000);
    while (harness_consumed (run.harness, "claims", "queue") < 1 && harness_now_ms () < deadline)
        harness_sleep_ms (200);
    harness_check (&run, harness_consumed (run.harness, "claims", "queue") >= 1, "claims did not apply the queue event");

    harness_kill (run.procs [2], SIGTERM);
    harness_check (&run, harness_wait (run.procs [2], harness_scaled_ms (20000)) == 0, "claims did not stop on SIGTERM");
    const char *store = harness_path (run.harness, "data/claims");
    char store_dir [PATH_MAX];
    snprintf (store_dir, sizeof store_dir, "%s", store);
    harness_check (&run, s_write_offset (store_dir, "queue", "abc", 3) == 0, "cannot write the bad offset");
    //  One more event for claims to (wrongly) apply from 0 if it took the
    //  bad value for "nothing applied yet".
    harness_check (&run, s_queue_create (&run, "q-two"), "queue create failed");
    uint64_t before = s_digest (store_dir);
    harness_check (&run, before != 0, "cannot read %s", store_dir);
    char log [PATH_MAX];
    snprintf (log, sizeof log, "%s", harness_path (run.harness, "logs/claims.log"));
    char *earlier = harness_slurp (log);
    size_t skip = earlier? strlen (earlier): 0;
    free (earlier);

    run.procs [2] = harness_spawn_service (run.harness, "claims");
    int status = harness_wait (run.procs [2], harness_scaled_ms (20000));
    harness_check (&run, status > 0 && status < 128,
             "rcmq-claims with an unreadable offset did not exit with an error (status %d)", status);
    //  What this start wrote (the first run's lines name the store too).
    char *text = harness_slurp (log);
    const char *since = text && strlen (text) >= skip? text + skip: "";
    const char *line = strstr (since, "offsets/queue");
    harness_check (&run, line != NULL, "its log does not name the table and key offsets/queue:\n%s", since);
    if (line) {
        const char *start = line;
        while (start > since && start [-1] != '\n')
            start--;
        size_t length = strcspn (start, "\n");
        char *error = strndup (start, length);
        harness_check (&run, strstr (error, store_dir) != NULL, "the error does not name the store %s: %s", store_dir, error);
        harness_check (&run, strstr (error, "3 bytes") != NULL, "the error does not say what is wrong (3 bytes): %s", error);
        free (error);
    }
    free (text);
    harness_check (&run, s_digest (store_dir) == before,
             "claims changed its tables although it could not read its offset");
    run.procs [2] = NULL;
    s_finish (&run);
}
END_TEST

//  --------------------------------------------------------------------------
//  The clock across a restart with an earlier RCMQ_NOW

static const char *const s_clock_names [] = { "broker", "intake", "claims", "metrics", NULL };

static json_t *
s_ctl (s_run_t *run, int *rc_out, ...)
{
    va_list args;
    va_start (args, rc_out);
    json_t *json = harness_ctl_json_va (run->harness, "rcmqctl", rc_out, 60000, args);
    va_end (args);
    return json;
}

static uint64_t
s_u64 (json_t *value)
{
    if (json_is_string (value))
        return strtoull (json_string_value (value), NULL, 10);
    return json_is_integer (value)? (uint64_t) json_integer_value (value): 0;
}

//  Each process's now_ms (Health, or 0), in s_clock_names order.
static void
s_nows (s_run_t *run, uint64_t *nows)
{
    json_t *status = harness_status (run->harness);
    for (int i = 0; s_clock_names [i]; i++)
        nows [i] = s_u64 (json_object_get (harness_status_process (status, s_clock_names [i]), "now_ms"));
    json_decref (status);
}

//  Metrics has applied every claims event the broker holds, and claims'
//  outbox is empty.
static bool
s_caught_up (void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    json_t *status = harness_status (run->harness);
    uint64_t head = 0;
    json_t *streams = json_object_get (json_object_get (status, "broker"), "streams");
    for (size_t i = 0; i < json_array_size (streams); i++)
        if (streq (json_string_value (json_object_get (json_array_get (streams, i), "stream")) ?: "", "claims"))
            head = s_u64 (json_object_get (json_array_get (streams, i), "head_seq"));
    json_t *claims = harness_status_process (status, "claims");
    json_t *metrics = harness_status_process (status, "metrics");
    uint64_t consumed = s_u64 (json_object_get (json_object_get (metrics, "consumed"), "claims"));
    bool done = head > 0 && consumed >= head && claims
             && s_u64 (json_object_get (claims, "outbox_depth")) == 0;
    json_decref (status);
    return done;
}

static bool
s_clock_start (s_run_t *run)
{
    for (int i = 0; s_clock_names [i]; i++)
        run->procs [i] = harness_spawn_service (run->harness, s_clock_names [i]);
    bool up = harness_wait_up (run->harness, s_clock_names, harness_scaled_ms (30000));
    harness_check (run, up, "broker, intake, claims and metrics did not come up (RCMQ_NOW=%s)", getenv ("RCMQ_NOW"));
    return up;
}

static void
s_clock_stop (s_run_t *run)
{
    for (int i = 3; i >= 0; i--) {
        harness_kill (run->procs [i], SIGTERM);
        int status = harness_wait (run->procs [i], harness_scaled_ms (20000));
        harness_check (run, status == 0, "%s did not stop cleanly on SIGTERM (status %d)", s_clock_names [i], status);
        run->procs [i] = NULL;
    }
}

//  Every figure that cannot be negative, as of one day.
static void
s_kpi_not_negative (s_run_t *run, const char *as_of)
{
    static const char *const cents [] = { "ar_cents", "ar_insurance_cents", "ar_patient_cents" };
    static const char *const buckets [] = { "0_30", "31_60", "61_90", "91_120", "over_120" };
    json_t *kpi = s_ctl (run, NULL, "metrics", "kpi", "--as-of", as_of, "--window", "90", NULL);
    harness_check (run, kpi != NULL, "metrics kpi --as-of %s printed nothing", as_of);
    for (size_t i = 0; kpi && i < sizeof cents / sizeof cents [0]; i++) {
        json_t *value = json_object_get (kpi, cents [i]);
        harness_check (run, json_is_integer (value) && json_integer_value (value) >= 0,
                 "as of %s %s is %lld", as_of, cents [i], (long long) json_integer_value (value));
    }
    json_t *days = kpi? json_object_get (kpi, "days_in_ar"): NULL;
    harness_check (run, !kpi || json_is_null (days) || (json_is_number (days) && json_number_value (days) >= 0),
             "as of %s days_in_ar is %g", as_of, json_number_value (days));
    json_t *aging = kpi? json_object_get (kpi, "aging"): NULL;
    for (size_t i = 0; aging && i < sizeof buckets / sizeof buckets [0]; i++) {
        json_t *value = json_object_get (aging, buckets [i]);
        harness_check (run, json_is_integer (value) && json_integer_value (value) >= 0,
                 "as of %s aging %s is %lld", as_of, buckets [i], (long long) json_integer_value (value));
    }
    harness_check (run, !kpi || aging, "as of %s kpi has no aging", as_of);
    json_decref (kpi);
}

START_TEST (test_clock_never_back)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    setenv ("RCMQ_NOW", CLOCK_NOW, 1);
    run.harness = harness_new ("stores-clock");
    if (!run.harness || harness_keys (run.harness, NULL)) {
        harness_check (&run, false, "cannot make keys");
        s_finish (&run);
        return;
    }
    run.config = harness_config (run.harness);
    harness_config_append (run.harness,
                           "intake\n    api = \"tcp://127.0.0.1:%d\"\n    inbox-dir = \"%s/inbox\"\n"
                           "claims\n    api = \"tcp://127.0.0.1:%d\"\n"
                           "metrics\n    api = \"tcp://127.0.0.1:%d\"\n",
                           harness_free_port (), harness_dir (run.harness),
                           harness_free_port (), harness_free_port ());
    if (!s_clock_start (&run)) {
        s_finish (&run);
        return;
    }
    const char *dir = harness_dir (run.harness);
    char in [PATH_MAX], expect [PATH_MAX], remits [PATH_MAX], remits_expect [PATH_MAX], outbound [PATH_MAX];
    snprintf (in, sizeof in, "%s/claims.837", dir);
    snprintf (expect, sizeof expect, "%s/claims.json", dir);
    snprintf (remits, sizeof remits, "%s/remits", dir);
    snprintf (remits_expect, sizeof remits_expect, "%s/remits/expect.json", dir);
    snprintf (outbound, sizeof outbound, "%s/data/outbound", dir);

    char *generate [] = { "--seed", "9", "--claims", CLOCK_CLAIMS, "--error-rate", "ALL=0",
                          "--replacement-rate", "0", "--date", "2026-12-06", "--out", in, "--expect", expect, NULL };
    harness_check (&run, harness_script (run.harness, "gen-837", generate, harness_scaled_ms (120000)) == 0, "gen-837 failed");
    int rc;
    json_t *batch = s_ctl (&run, &rc, "intake", "submit", in, NULL);
    int64_t accepted = json_integer_value (json_object_get (batch, "accepted"));
    json_decref (batch);
    harness_check (&run, rc == 0 && accepted > 0, "intake submit exited %d, %lld accepted", rc, (long long) accepted);
    int64_t submitted = 0;
    uint64_t deadline = harness_now_ms () + (uint64_t) harness_scaled_ms (60000);
    while (submitted < accepted && harness_now_ms () < deadline) {
        json_t *reply = s_ctl (&run, NULL, "claims", "submit", NULL);
        submitted += json_integer_value (json_object_get (reply, "claims"));
        json_decref (reply);
        if (submitted < accepted)
            harness_sleep_ms (300);
    }
    harness_check (&run, submitted == accepted, "claims submitted %lld of %lld", (long long) submitted, (long long) accepted);
    char *simulate [] = { "--seed", "9", "--date", "2026-12-06", "--out", remits, "--expect", remits_expect, outbound, NULL };
    harness_check (&run, harness_script (run.harness, "payer-sim", simulate, harness_scaled_ms (120000)) == 0, "payer-sim failed");
    json_t *payer = json_load_file (remits_expect, 0, NULL);
    json_t *acks = json_object_get (json_object_get (payer, "files"), "277ca");
    for (size_t i = 0; i < json_array_size (acks); i++)
        json_decref (s_ctl (&run, NULL, "claims", "ack", json_string_value (json_array_get (acks, i)), NULL));
    json_t *files = json_object_get (json_object_get (payer, "files"), "835");
    size_t count = json_array_size (files), first = count / 2;
    harness_check (&run, count >= 1, "payer-sim wrote no 835");
    for (size_t i = 0; i < first; i++) {
        json_decref (s_ctl (&run, &rc, "claims", "post", json_string_value (json_array_get (files, i)), NULL));
        harness_check (&run, rc == 0, "claims post exited %d", rc);
    }
    harness_check (&run, harness_wait_until (s_caught_up, &run, harness_scaled_ms (60000), 300),
             "metrics did not catch up before the restart");
    uint64_t before [4], after [4];
    s_nows (&run, before);
    harness_check (&run, before [2] > 0 && before [3] > 0, "claims or metrics reported no now_ms");

    //  Everything again, 40 days earlier.
    s_clock_stop (&run);
    setenv ("RCMQ_NOW", CLOCK_NOW_BEFORE, 1);
    if (s_clock_start (&run)) {
        s_nows (&run, after);
        for (int i = 0; i < 4; i++)
            harness_check (&run, after [i] >= before [i], "the clock of %s went back: now_ms %llu after a run that reached %llu",
                     s_clock_names [i], (unsigned long long) after [i], (unsigned long long) before [i]);
        harness_check (&run, harness_log_contains (run.harness, "claims", "clock starts earlier than the store's latest time"),
                 "claims did not warn that its clock started earlier than its store");
        for (size_t i = first; i < count; i++) {
            json_decref (s_ctl (&run, &rc, "claims", "post", json_string_value (json_array_get (files, i)), NULL));
            harness_check (&run, rc == 0, "claims post exited %d", rc);
        }
        harness_check (&run, harness_wait_until (s_caught_up, &run, harness_scaled_ms (60000), 300),
                 "metrics did not catch up after the restart");
        static const char *const days [] = { "2026-10-27", "2026-11-15", "2026-12-05", "2026-12-06", "2026-12-31", NULL };
        for (int i = 0; days [i]; i++)
            s_kpi_not_negative (&run, days [i]);

        //  Histories run forward.
        json_t *generated = json_load_file (expect, 0, NULL);
        json_t *claims = json_object_get (generated, "claims");
        size_t checked = 0;
        for (size_t i = 0; i < json_array_size (claims); i++) {
            const char *pcn = json_string_value (json_object_get (json_array_get (claims, i), "pcn"));
            json_t *record = pcn? s_ctl (&run, &rc, "claims", "show", pcn, NULL): NULL;
            json_t *history = json_object_get (record, "history");
            uint64_t previous = 0;
            for (size_t h = 0; h < json_array_size (history); h++) {
                uint64_t time = s_u64 (json_object_get (json_array_get (history, h), "time_ms"));
                harness_check (&run, time >= previous, "claim %s: history entry %zu at %llu, before the one before (%llu)",
                         pcn, h, (unsigned long long) time, (unsigned long long) previous);
                previous = time;
            }
            checked += json_array_size (history) > 1;
            json_decref (record);
        }
        harness_check (&run, checked > 0, "no claim showed a history of two entries or more");
        json_decref (generated);
    }
    json_decref (payer);
    unsetenv ("RCMQ_NOW");
    s_finish (&run);
}
END_TEST

Suite *
stores_suite (void)
{
    Suite *suite = suite_create ("stores");
    TCase *tc = tcase_create ("start-up");
    tcase_set_timeout (tc, 300);
    tcase_add_test (tc, test_second_opener_refused);
    tcase_add_test (tc, test_unreadable_offset_stops);
    tcase_add_test (tc, test_clock_never_back);
    suite_add_tcase (suite, tc);
    return suite;
}
