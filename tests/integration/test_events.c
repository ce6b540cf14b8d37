/*  test_events: nothing lost, nothing applied twice (DESIGN §2), with real
    processes.

    Two producers (evprod) publish N events each (50,000 by default;
    RCMQ_ITEST_EVENTS overrides), alternating between streams "alpha" and
    "beta", through their outboxes to rcmq-broker. Three consumers (evcons)
    apply them into their own LMDB stores: cons1 takes alpha only, cons2
    and cons3 take both. While it runs, the broker is SIGKILLed once the
    producers have ~20% acknowledged, and restarted a second later on the
    same ports and data; later cons2 is SIGKILLed at ~60% and restarted.

    At the end, with everything stopped:
      (a) each consumer holds every event of its streams: count, offset
          and last stream seq equal what was published, with no seq out
          of line;
      (b) per (stream, producer): the count the generator says, producer
          seqs strictly increasing, payloads as generated, and a hash
          chain equal to the one this test computes from the generator
          alone;
      (c) the stream hash chains of all consumers of a stream are equal
          (they saw the same broker order);
      (d) the broker's own log, read from its LMDB env, gives the same
          heads and stream hashes, and its dedup table each producer's N;
      (e) every producer's outbox is empty.

    The checks are collected into a message rather than asserted one by
    one so that the processes are stopped, the logs' tails printed and the
    temp dir removed before Check reports the failure.
*/
#include "suites.h"
#include "harness.h"
#include "evcheck.h"
#include "codec.h"
#include "store.h"

#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A stored counter the test expects to read (a read error fails the test).
static uint64_t
s_stored_u64 (store_t *store, MDB_txn *txn, const char *table, const char *key)
{
    uint64_t value;
    if (store_get_u64 (store, txn, table, key, &value)) {
        fprintf (stderr, "%s\n", store_error (store));
        abort ();
    }
    return value;
}


#define EVENTS_DEFAULT      50000
#define PRODUCERS           2
#define CONSUMERS           3
#define BROKER_KILL_AT      0.20        //  of all events acked by the broker
#define CONSUMER_KILL_AT    0.60        //  of cons2's events applied
#define RUN_TIMEOUT_MS      170000      //  the whole run, before scaling
#define CONSUMER_KILLED     1           //  index of cons2

static const char *s_streams [] = { "alpha", "beta" };

typedef struct {
    const char *name;
    evcheck_mode_t mode;
} s_producer_def_t;

static const s_producer_def_t s_producers [PRODUCERS] = {
    { "prod1", EVCHECK_BOTH },
    { "prod2", EVCHECK_BOTH },
};

typedef struct {
    const char *name;
    const char *streams;        //  --streams
    bool alpha, beta;
} s_consumer_def_t;

static const s_consumer_def_t s_consumers [CONSUMERS] = {
    { "cons1", "alpha",      true, false },
    { "cons2", "alpha,beta", true, true },
    { "cons3", "alpha,beta", true, true },
};

typedef struct {
    harness_t *harness;
    const char *config;
    uint64_t events;                    //  per producer
    uint64_t expect [2];                //  per stream, all producers
    harness_proc_t *broker;
    harness_proc_t *producers [PRODUCERS];
    harness_proc_t *consumers [CONSUMERS];
    char producer_names [PRODUCERS][96];   //  "prod1-<instance>"
    char failure [4096];
} s_run_t;

//  Records a failed check (the first few) and returns false.
static bool
s_fail (s_run_t *run, const char *format, ...)
{
    size_t used = strlen (run->failure);
    if (used + 200 < sizeof run->failure) {
        va_list args;
        va_start (args, format);
        vsnprintf (run->failure + used, sizeof run->failure - used, format, args);
        va_end (args);
        used = strlen (run->failure);
        snprintf (run->failure + used, sizeof run->failure - used, "\n");
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Starting the processes

static bool
s_spawn_broker (s_run_t *run)
{
    //  With rcmq-audit beside it (harness_spawn_service): the registry
    //  decides which keys the broker admits.
    run->broker = harness_spawn_service (run->harness, "broker");
    return run->broker != NULL;
}

//  evprod for producer index with count events, holding its first append
//  back by delay_ms.
static bool
s_spawn_producer_with (s_run_t *run, int index, uint64_t events, int delay_ms)
{
    const s_producer_def_t *def = &s_producers [index];
    char data [64], progress [64], count [32], mode [8], delay [16];
    snprintf (data, sizeof data, "data/%s", def->name);
    snprintf (progress, sizeof progress, "%s.progress", def->name);
    snprintf (count, sizeof count, "%llu", (unsigned long long) events);
    snprintf (mode, sizeof mode, "%s", def->mode == EVCHECK_BOTH? "both"
                                     : def->mode == EVCHECK_ALPHA? "alpha": "beta");
    snprintf (delay, sizeof delay, "%d", delay_ms);
    char *argv [] = { (char *) harness_bin (run->harness, "tests/integration/evprod"),
                      "--config", (char *) run->config, "--name", (char *) def->name,
                      "--data", (char *) harness_path (run->harness, data),
                      "--count", count, "--mode", mode, "--delay", delay,
                      "--progress", (char *) harness_path (run->harness, progress), NULL };
    run->producers [index] = harness_spawn (run->harness, def->name, argv);
    return run->producers [index] != NULL;
}

static bool
s_spawn_producer (s_run_t *run, int index)
{
    return s_spawn_producer_with (run, index, run->events, 0);
}

static uint64_t
s_consumer_expect (s_run_t *run, int index)
{
    return (s_consumers [index].alpha? run->expect [0]: 0)
         + (s_consumers [index].beta? run->expect [1]: 0);
}

static bool
s_spawn_consumer (s_run_t *run, int index)
{
    const s_consumer_def_t *def = &s_consumers [index];
    char data [64], progress [64], expect [96];
    snprintf (data, sizeof data, "data/%s", def->name);
    snprintf (progress, sizeof progress, "%s.progress", def->name);
    if (def->beta)
        snprintf (expect, sizeof expect, "alpha=%llu,beta=%llu",
                  (unsigned long long) run->expect [0], (unsigned long long) run->expect [1]);
    else
        snprintf (expect, sizeof expect, "alpha=%llu", (unsigned long long) run->expect [0]);
    char *argv [] = { (char *) harness_bin (run->harness, "tests/integration/evcons"),
                      "--config", (char *) run->config, "--name", (char *) def->name,
                      "--data", (char *) harness_path (run->harness, data),
                      "--streams", (char *) def->streams, "--expect", expect,
                      "--progress", (char *) harness_path (run->harness, progress), NULL };
    run->consumers [index] = harness_spawn (run->harness, def->name, argv);
    return run->consumers [index] != NULL;
}

//  --------------------------------------------------------------------------
//  Watching progress

static uint64_t
s_acked_total (s_run_t *run)
{
    uint64_t total = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        char name [64];
        snprintf (name, sizeof name, "%s.progress", s_producers [i].name);
        total += harness_file_value (harness_path (run->harness, name), "acked");
    }
    return total;
}

static uint64_t
s_consumer_applied (s_run_t *run, int index)
{
    char name [64];
    snprintf (name, sizeof name, "%s.progress", s_consumers [index].name);
    const char *path = harness_path (run->harness, name);
    return harness_file_value (path, "alpha") + harness_file_value (path, "beta");
}

static bool
s_broker_started (void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    return harness_log_contains (run->harness, "broker", "\"msg\":\"started\"");
}

//  Checks that no process died on its own; names the first that did.
static bool
s_all_alive_or_done (s_run_t *run)
{
    if (!harness_running (run->broker))
        return s_fail (run, "the broker exited by itself (status %d)", harness_wait (run->broker, 0));
    for (int i = 0; i < PRODUCERS; i++)
        if (!harness_running (run->producers [i]) && harness_wait (run->producers [i], 0) != 0)
            return s_fail (run, "%s exited with status %d", s_producers [i].name,
                           harness_wait (run->producers [i], 0));
    for (int i = 0; i < CONSUMERS; i++)
        if (!harness_running (run->consumers [i]) && harness_wait (run->consumers [i], 0) != 0)
            return s_fail (run, "%s exited with status %d", s_consumers [i].name,
                           harness_wait (run->consumers [i], 0));
    return true;
}

static bool
s_all_finished (s_run_t *run)
{
    for (int i = 0; i < PRODUCERS; i++)
        if (harness_running (run->producers [i]))
            return false;
    for (int i = 0; i < CONSUMERS; i++)
        if (harness_running (run->consumers [i]))
            return false;
    return true;
}

static void
s_describe_progress (s_run_t *run, char *buf, size_t size)
{
    snprintf (buf, size, "acked %llu of %llu; applied cons1 %llu, cons2 %llu, cons3 %llu",
              (unsigned long long) s_acked_total (run),
              (unsigned long long) run->events * PRODUCERS,
              (unsigned long long) s_consumer_applied (run, 0),
              (unsigned long long) s_consumer_applied (run, 1),
              (unsigned long long) s_consumer_applied (run, 2));
}

//  Runs the schedule: kill the broker at ~20%, a consumer at ~60%, then
//  wait for every producer and consumer to finish. Returns false (with the
//  reason recorded) on a timeout or a process that failed.
static bool
s_run_schedule (s_run_t *run, uint64_t deadline, uint64_t *elapsed_ms)
{
    uint64_t total = run->events * PRODUCERS;
    uint64_t started = harness_now_ms ();
    bool broker_killed = false, consumer_killed = false;
    char progress [256];
    while (!s_all_finished (run)) {
        if (harness_now_ms () > deadline) {
            s_describe_progress (run, progress, sizeof progress);
            return s_fail (run, "timed out after %llu ms (%s; broker killed: %s, consumer killed: %s)",
                           (unsigned long long) (harness_now_ms () - started), progress,
                           broker_killed? "yes": "no", consumer_killed? "yes": "no");
        }
        if (!s_all_alive_or_done (run))
            return false;
        if (!broker_killed && s_acked_total (run) >= (uint64_t) (total * BROKER_KILL_AT)) {
            s_describe_progress (run, progress, sizeof progress);
            fprintf (stderr, "events: SIGKILL broker at %.1f s (%s)\n",
                     (harness_now_ms () - started) / 1000.0, progress);
            harness_kill (run->broker, SIGKILL);
            if (harness_wait (run->broker, 5000) != 128 + SIGKILL)
                return s_fail (run, "the broker did not die of SIGKILL");
            //  The kill must land mid-run, or the test proves nothing.
            if (s_acked_total (run) >= total)
                return s_fail (run, "everything was acked before the broker was killed");
            harness_sleep_ms (1000);
            if (!s_spawn_broker (run))
                return s_fail (run, "cannot restart the broker");
            broker_killed = true;
        }
        if (broker_killed && !consumer_killed
        &&  s_consumer_applied (run, CONSUMER_KILLED)
            >= (uint64_t) (s_consumer_expect (run, CONSUMER_KILLED) * CONSUMER_KILL_AT)) {
            s_describe_progress (run, progress, sizeof progress);
            fprintf (stderr, "events: SIGKILL %s at %.1f s (%s)\n", s_consumers [CONSUMER_KILLED].name,
                     (harness_now_ms () - started) / 1000.0, progress);
            harness_proc_t *victim = run->consumers [CONSUMER_KILLED];
            harness_kill (victim, SIGKILL);
            int status = harness_wait (victim, 5000);
            if (status != 128 + SIGKILL)
                return s_fail (run, "%s was not running when it was to be killed (status %d)",
                               s_consumers [CONSUMER_KILLED].name, status);
            harness_sleep_ms (500);
            if (!s_spawn_consumer (run, CONSUMER_KILLED))
                return s_fail (run, "cannot restart %s", s_consumers [CONSUMER_KILLED].name);
            consumer_killed = true;
        }
        harness_sleep_ms (20);
    }
    *elapsed_ms = harness_now_ms () - started;
    if (!broker_killed || !consumer_killed)
        return s_fail (run, "the run ended before the kill schedule (broker killed: %s, consumer killed: %s)",
                       broker_killed? "yes": "no", consumer_killed? "yes": "no");
    return s_all_alive_or_done (run);
}

//  --------------------------------------------------------------------------
//  Reading results back

static json_t *
s_report (s_run_t *run, const char *program, const char *name)
{
    char bin [64], data [64], log [64];
    snprintf (bin, sizeof bin, "tests/integration/%s", program);
    snprintf (data, sizeof data, "data/%s", name);
    snprintf (log, sizeof log, "%s-report", name);
    char *argv [] = { (char *) harness_bin (run->harness, bin), "--report",
                      (char *) harness_path (run->harness, data), NULL };
    char *output = NULL;
    int rc = harness_run (run->harness, log, argv, &output, harness_scaled_ms (30000));
    json_error_t error;
    json_t *report = rc == 0 && output? json_loads (output, 0, &error): NULL;
    if (!report)
        s_fail (run, "%s --report %s failed (exit %d): %s", program, name, rc, output? output: "");
    free (output);
    return report;
}

static uint64_t
s_json_u64 (json_t *object, const char *key)
{
    return (uint64_t) json_integer_value (json_object_get (object, key));
}

static const char *
s_json_text (json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text? text: "";
}

//  The producer chain of (stream, producer) as evcheck generates it.
static void
s_expected_producer_hash (const s_producer_def_t *def, uint64_t events, const char *stream, char *hex)
{
    uint8_t hash [EVCHECK_HASH_SIZE] = { 0 };
    for (uint64_t seq = 1; seq <= events; seq++) {
        if (strcmp (evcheck_stream (def->mode, seq), stream))
            continue;
        uint8_t payload [EVCHECK_PAYLOAD_MAX];
        size_t size = evcheck_payload (def->name, seq, payload);
        evcheck_producer_step (hash, seq, payload, size);
    }
    evcheck_hex (hash, hex);
}

//  (e) and the producer names: every outbox empty, every event appended.
static bool
s_check_producers (s_run_t *run)
{
    bool ok = true;
    for (int i = 0; i < PRODUCERS; i++) {
        json_t *report = s_report (run, "evprod", s_producers [i].name);
        if (!report)
            return false;
        snprintf (run->producer_names [i], sizeof run->producer_names [i], "%s-%s",
                  s_producers [i].name, s_json_text (report, "instance"));
        if (s_json_u64 (report, "outbox_depth") != 0)
            ok = s_fail (run, "%s: outbox holds %llu events at the end", s_producers [i].name,
                         (unsigned long long) s_json_u64 (report, "outbox_depth"));
        if (s_json_u64 (report, "next_seq") != run->events + 1)
            ok = s_fail (run, "%s: next seq %llu, expected %llu", s_producers [i].name,
                         (unsigned long long) s_json_u64 (report, "next_seq"),
                         (unsigned long long) run->events + 1);
        json_decref (report);
    }
    return ok;
}

//  (a), (b) for one consumer; its stream hashes go into hashes[stream].
static bool
s_check_consumer (s_run_t *run, int index, char hashes [2][2 * EVCHECK_HASH_SIZE + 1])
{
    const s_consumer_def_t *def = &s_consumers [index];
    json_t *report = s_report (run, "evcons", def->name);
    if (!report)
        return false;
    bool ok = true;
    if (s_json_u64 (report, "bad_payload"))
        ok = s_fail (run, "%s: %llu events with a payload that was never published", def->name,
                     (unsigned long long) s_json_u64 (report, "bad_payload"));
    json_t *streams = json_object_get (report, "streams");
    json_t *offsets = json_object_get (report, "offsets");
    json_t *producers = json_object_get (report, "producers");
    for (int s = 0; s < 2; s++) {
        const char *stream = s_streams [s];
        bool subscribed = s == 0? def->alpha: def->beta;
        json_t *chain = json_object_get (streams, stream);
        if (!subscribed) {
            if (chain)
                ok = s_fail (run, "%s: applied events of %s, which it does not consume", def->name, stream);
            continue;
        }
        uint64_t count = s_json_u64 (chain, "count");
        if (count != run->expect [s])
            ok = s_fail (run, "%s: %s holds %llu events, %llu were published (%s)", def->name, stream,
                         (unsigned long long) count, (unsigned long long) run->expect [s],
                         count > run->expect [s]? "duplicates": "lost");
        if (s_json_u64 (chain, "last") != run->expect [s])
            ok = s_fail (run, "%s: %s last stream seq %llu, expected %llu", def->name, stream,
                         (unsigned long long) s_json_u64 (chain, "last"), (unsigned long long) run->expect [s]);
        if (s_json_u64 (chain, "violations"))
            ok = s_fail (run, "%s: %s: %llu events applied out of stream order", def->name, stream,
                         (unsigned long long) s_json_u64 (chain, "violations"));
        if (s_json_u64 (offsets, stream) != run->expect [s])
            ok = s_fail (run, "%s: %s offset %llu, expected %llu", def->name, stream,
                         (unsigned long long) s_json_u64 (offsets, stream), (unsigned long long) run->expect [s]);
        snprintf (hashes [s], 2 * EVCHECK_HASH_SIZE + 1, "%s", s_json_text (chain, "hash"));

        json_t *by_producer = json_object_get (producers, stream);
        size_t seen = 0;
        for (int p = 0; p < PRODUCERS; p++) {
            uint64_t expected = evcheck_stream_count (s_producers [p].mode, run->events, stream);
            json_t *record = json_object_get (by_producer, run->producer_names [p]);
            if (!record) {
                if (expected)
                    ok = s_fail (run, "%s: %s: nothing from %s", def->name, stream, run->producer_names [p]);
                continue;
            }
            seen++;
            if (s_json_u64 (record, "count") != expected)
                ok = s_fail (run, "%s: %s: %llu events from %s, expected %llu", def->name, stream,
                             (unsigned long long) s_json_u64 (record, "count"), run->producer_names [p],
                             (unsigned long long) expected);
            if (s_json_u64 (record, "violations"))
                ok = s_fail (run, "%s: %s: %llu events from %s out of producer order", def->name, stream,
                             (unsigned long long) s_json_u64 (record, "violations"), run->producer_names [p]);
            char hex [2 * EVCHECK_HASH_SIZE + 1];
            s_expected_producer_hash (&s_producers [p], run->events, stream, hex);
            if (strcmp (hex, s_json_text (record, "hash")))
                ok = s_fail (run, "%s: %s: events from %s differ from what it published (hash)",
                             def->name, stream, run->producer_names [p]);
        }
        if (json_object_size (by_producer) != seen)
            ok = s_fail (run, "%s: %s has events from %zu producers, expected %zu", def->name, stream,
                         json_object_size (by_producer), seen);
    }
    json_decref (report);
    return ok;
}

//  (d): the broker's log, read from its env after it stopped.
static bool
s_check_broker_log (s_run_t *run, char hashes [2][2 * EVCHECK_HASH_SIZE + 1])
{
    static const char *tables [] = { "events", "heads", "firsts", "producers", NULL };
    char error [512];
    store_t *store = store_new (harness_path (run->harness, "data/broker"), tables, error, sizeof error);
    if (!store)
        return s_fail (run, "cannot open the broker's store: %s", error);
    MDB_txn *txn = store_read_begin (store);
    bool ok = txn != NULL;
    for (int s = 0; ok && s < 2; s++) {
        const char *stream = s_streams [s];
        uint64_t head = s_stored_u64 (store, txn, "heads", stream);
        if (head != run->expect [s])
            ok = s_fail (run, "broker: %s head %llu, %llu were published", stream,
                         (unsigned long long) head, (unsigned long long) run->expect [s]);
        uint8_t hash [EVCHECK_HASH_SIZE] = { 0 };
        uint64_t seq = 0;
        for (seq = 1; seq <= head; seq++) {
            uint8_t key [64];
            size_t len = strlen (stream);
            memcpy (key, stream, len);
            key [len] = 0;
            store_u64_write (key + len + 1, seq);
            MDB_val value;
            if (store_get (store, txn, "events", key, len + 9, &value))
                break;
            Event *event = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
            if (!event)
                break;
            evcheck_stream_step (hash, event->stream_seq, event->producer, event->producer_seq,
                                 event->payload.data, event->payload.len);
            bool in_place = event->stream_seq == seq && !strcmp (event->stream, stream);
            codec_free (event);
            if (!in_place)
                break;
        }
        if (seq <= head)
            ok = s_fail (run, "broker: %s event %llu is missing or misfiled", stream, (unsigned long long) seq);
        char hex [2 * EVCHECK_HASH_SIZE + 1];
        evcheck_hex (hash, hex);
        if (strcmp (hex, hashes [s]))
            ok = s_fail (run, "broker: %s log hash %.16s differs from the consumers' %.16s", stream, hex, hashes [s]);
    }
    for (int p = 0; ok && p < PRODUCERS; p++) {
        uint64_t acked = s_stored_u64 (store, txn, "producers", run->producer_names [p]);
        if (acked != run->events)
            ok = s_fail (run, "broker: %s committed up to seq %llu, expected %llu",
                         run->producer_names [p], (unsigned long long) acked, (unsigned long long) run->events);
    }
    store_read_end (&txn);
    store_destroy (&store);
    return ok;
}

//  --------------------------------------------------------------------------

static bool
s_events_run (s_run_t *run)
{
    static const char *names [] = { "prod1", "prod2", "cons1", "cons2", "cons3", NULL };
    if (harness_keys (run->harness, names))
        return s_fail (run, "rcmqctl keys init/add failed");
    run->config = harness_config (run->harness);
    //  The test producers' keys are not services the broker knows.
    if (!run->config || harness_config_append (run->harness, "producers\n    prod1 = \"alpha,beta\"\n"
                                                             "    prod2 = \"alpha,beta\"\n"))
        return s_fail (run, "cannot write the config file");
    uint64_t deadline = harness_now_ms () + (uint64_t) harness_scaled_ms (RUN_TIMEOUT_MS);

    if (!s_spawn_broker (run))
        return s_fail (run, "cannot start the broker");
    if (!harness_wait_until (s_broker_started, run, harness_scaled_ms (10000), 20))
        return s_fail (run, "the broker did not start");
    //  The test's producers and consumers are services of their own:
    //  granted role service in the registry before the broker admits them.
    if (harness_grant_services (run->harness, names))
        return s_fail (run, "granting the test's service keys failed");
    for (int i = 0; i < CONSUMERS; i++)
        if (!s_spawn_consumer (run, i))
            return s_fail (run, "cannot start %s", s_consumers [i].name);
    for (int i = 0; i < PRODUCERS; i++)
        if (!s_spawn_producer (run, i))
            return s_fail (run, "cannot start %s", s_producers [i].name);

    uint64_t elapsed = 0;
    if (!s_run_schedule (run, deadline, &elapsed))
        return false;
    uint64_t total = run->events * PRODUCERS;
    fprintf (stderr, "events: %llu events from %d producers to %d consumers, end to end %.1f s "
             "(%.0f events/s), with one broker and one consumer SIGKILL\n",
             (unsigned long long) total, PRODUCERS, CONSUMERS, elapsed / 1000.0,
             elapsed? total * 1000.0 / elapsed: 0.0);

    //  Stop the broker cleanly: its env is then read back for (d).
    harness_kill (run->broker, SIGTERM);
    int status = harness_wait (run->broker, harness_scaled_ms (10000));
    if (status != 0)
        return s_fail (run, "the broker did not stop cleanly on SIGTERM (status %d)", status);

    bool ok = s_check_producers (run);
    if (!ok)
        return false;
    char hashes [CONSUMERS][2][2 * EVCHECK_HASH_SIZE + 1];
    memset (hashes, 0, sizeof hashes);
    for (int i = 0; i < CONSUMERS; i++)
        ok = s_check_consumer (run, i, hashes [i]) && ok;
    //  (c) every consumer of a stream saw the broker's one order.
    for (int s = 0; s < 2; s++) {
        int first = -1;
        for (int i = 0; i < CONSUMERS; i++) {
            if (!(s == 0? s_consumers [i].alpha: s_consumers [i].beta))
                continue;
            if (first < 0)
                first = i;
            else
            if (strcmp (hashes [i][s], hashes [first][s]))
                ok = s_fail (run, "%s: %s's hash differs from %s's", s_streams [s],
                             s_consumers [i].name, s_consumers [first].name);
        }
    }
    if (ok)
        ok = s_check_broker_log (run, hashes [1]);
    return ok;
}

START_TEST (test_events_exactly_once)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    const char *events = getenv ("RCMQ_ITEST_EVENTS");
    run.events = events && atoll (events) > 0? (uint64_t) atoll (events): EVENTS_DEFAULT;
    for (int s = 0; s < 2; s++)
        for (int p = 0; p < PRODUCERS; p++)
            run.expect [s] += evcheck_stream_count (s_producers [p].mode, run.events, s_streams [s]);
    run.harness = harness_new ("events");
    ck_assert_msg (run.harness != NULL, "cannot make a temp dir");
    bool ok = s_events_run (&run);
    harness_destroy (&run.harness, !ok);
    ck_assert_msg (ok, "%s", run.failure);
}
END_TEST

//  --------------------------------------------------------------------------
//  Lost in flight: the broker received a batch, then died before committing
//  it, and came back quickly. The relay must resend that batch even though
//  the new broker answers its pings: nothing else will ever bring it.

#define LOST_FIRST      1000        //  events committed before the failure
#define LOST_MORE       100         //  events sent into the frozen broker

static bool
s_lost_appended (void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    return harness_file_value (harness_path (run->harness, "prod1.progress"), "appended")
        == LOST_FIRST + LOST_MORE;
}

static bool
s_lost_run (s_run_t *run)
{
    static const char *names [] = { "prod1", NULL };
    if (harness_keys (run->harness, names))
        return s_fail (run, "rcmqctl keys init/add failed");
    run->config = harness_config (run->harness);
    if (run->config && harness_config_append (run->harness, "producers\n    prod1 = \"alpha,beta\"\n"))
        run->config = NULL;
    if (!run->config || !s_spawn_broker (run)
    ||  !harness_wait_until (s_broker_started, run, harness_scaled_ms (10000), 20))
        return s_fail (run, "the broker did not start");
    if (harness_grant_services (run->harness, names))
        return s_fail (run, "granting prod1's key failed");
    //  A first run leaves the producer connected-once with an empty outbox.
    if (!s_spawn_producer_with (run, 0, LOST_FIRST, 0))
        return s_fail (run, "cannot start prod1");
    int status = harness_wait (run->producers [0], harness_scaled_ms (30000));
    if (status != 0)
        return s_fail (run, "prod1's first %d events did not go through (status %d)", LOST_FIRST, status);

    //  The second run connects (and pings) at once, appends after 1.5 s.
    //  The broker is frozen before that and killed after it, so the batch
    //  dies in its socket buffer; it is back well within 2 s of the send
    //  (the relay's resend timeout), and answers pings from then on.
    if (!s_spawn_producer_with (run, 0, LOST_FIRST + LOST_MORE, 1500))
        return s_fail (run, "cannot start prod1 again");
    harness_sleep_ms (700);
    harness_kill (run->broker, SIGSTOP);
    if (!harness_wait_until (s_lost_appended, run, harness_scaled_ms (10000), 10))
        return s_fail (run, "prod1 did not append its last %d events", LOST_MORE);
    harness_sleep_ms (300);                 //  the relay sends right after the commit
    harness_kill (run->broker, SIGKILL);
    if (harness_wait (run->broker, 5000) != 128 + SIGKILL)
        return s_fail (run, "the broker did not die of SIGKILL");
    if (!s_spawn_broker (run))
        return s_fail (run, "cannot restart the broker");
    status = harness_wait (run->producers [0], harness_scaled_ms (15000));
    if (status != 0)
        return s_fail (run, "prod1 never got its last %d events to the restarted broker: "
                       "acked %llu of %d (status %d)", LOST_MORE,
                       (unsigned long long) harness_file_value (harness_path (run->harness, "prod1.progress"), "acked"),
                       LOST_FIRST + LOST_MORE, status);
    harness_kill (run->broker, SIGTERM);
    status = harness_wait (run->broker, harness_scaled_ms (10000));
    if (status != 0)
        return s_fail (run, "the broker did not stop cleanly on SIGTERM (status %d)", status);
    return true;
}

START_TEST (test_events_lost_in_flight)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.harness = harness_new ("lost");
    ck_assert_msg (run.harness != NULL, "cannot make a temp dir");
    bool ok = s_lost_run (&run);
    harness_destroy (&run.harness, !ok);
    ck_assert_msg (ok, "%s", run.failure);
}
END_TEST

Suite *
events_suite (void)
{
    Suite *suite = suite_create ("events");
    TCase *tcase = tcase_create ("exactly once");
    //  Our own deadline (RUN_TIMEOUT_MS, scaled) fires first, with logs.
    tcase_set_timeout (tcase, harness_scaled_ms (RUN_TIMEOUT_MS) / 1000 + 60);
    tcase_add_test (tcase, test_events_exactly_once);
    suite_add_tcase (suite, tcase);
    tcase = tcase_create ("lost in flight");
    tcase_set_timeout (tcase, harness_scaled_ms (90000) / 1000);
    tcase_add_test (tcase, test_events_lost_in_flight);
    suite_add_tcase (suite, tcase);
    return suite;
}
