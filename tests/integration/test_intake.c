/*  test_intake: 837P files through the real rcmq-broker, rcmq-intake and
    rcmq-claims (issue 3, "what it must show").

    Files come from scripts/gen-837 with its expectation JSON, which states
    from an independent reading of the scrub rules what intake must conclude
    about every claim. The processes run with RCMQ_NOW = the files' BHT04 date,
    as the generator assumes.

      outcomes    a 10,000-claim file (2,000 under sanitizers) with every kind
                  of scrub error, duplicate PCNs in the file, replacements,
                  patients who are not the subscriber, three envelopes and the
                  "exotic" separators ! \ { }, after a few queues were made
                  with `rcmqctl queue create`:
                    - the batch counts equal the expectation;
                    - the claim_accepted / claim_rejected events on the broker's
                      "intake" stream name exactly the expected claims, each
                      once, with the PCN expected and the queue this test
                      derives itself from the generator's records (payer
                      group, location and service line by the rules of
                      services/intake/dimensions.h, then the routing rule of
                      queues.h);
                    - `rcmqctl intake rejections --json`, paged with --after,
                      lists exactly the expected rejected claims, each with
                      the expected rule ids;
                    - rcmq-claims has consumed the whole stream (its offset
                      equals the stream head), so it received exactly those
                      accepted claims, once; when `rcmqctl claims list`
                      exists, its PCNs are the accepted ones, each once;
                  then a second file, with the same claims under another
                  sender (pipe separators, CRLF): every claim the first file
                  accepted comes back as a duplicate (DUP001), replacements
                  pass; the first file again is refused (duplicate
                  interchange) and adds no claim; structurally broken files
                  are refused whole with segment number and reason and keep
                  nothing; a file dropped into the inbox ends in done/ with a
                  report, a broken one in failed/; every 999 file named by a
                  batch is in the ack dir and reads as X12 with our reader
                  (envelope counts and control numbers are what it checks).
      crash       rcmq-intake is SIGKILLed while it works on a 50,000-claim
                  file (15,000 under sanitizers); after a restart either
                  nothing of that batch exists or all of it does; submitting
                  the file again gives exactly the expected result.
      phi         a hand-written file with distinctive names, birth dates,
                  member ids and street addresses: none of them is found in
                  the data.mdb of intake, the broker or claims, nor in any
                  log; all of them are found in the input file (so the search
                  can fail).

    Failures are collected rather than asserted one by one, so the processes
    are stopped, the logs' tails printed and the temp dir removed before
    Check reports them.
*/
#include "suites.h"
#include "harness.h"
#include "codec.h"
#include "transport.h"
#include "x12.h"
#include "intake.pb-c.h"

#include <jansson.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef RCMQ_SANITIZED
#   define INTAKE_CLAIMS        2000
#   define INTAKE_CRASH_CLAIMS  15000
#else
#   define INTAKE_CLAIMS        10000
#   define INTAKE_CRASH_CLAIMS  50000
#endif
#define INTAKE_TEST_TIMEOUT_S   170
#define INTAKE_NOW              "2026-11-02T12:00:00Z"
#define INTAKE_SUBMIT_MS        150000
#define INTAKE_REPORT_MAX       5       //  detailed lines per kind of mismatch

typedef struct {
    harness_t *harness;
    const char *config;
    const char *keys;
    harness_proc_t *broker;
    harness_proc_t *intake;
    harness_proc_t *claims;
    char replay [64];
    char *broker_key;
    zcert_t *reader;            //  a service key, for the replay socket
    char failures [16384];
    int failed;
} s_run_t;

//  --------------------------------------------------------------------------
//  Running rcmqctl and the generator

//  rcmqctl ... --json, parsed; NULL when it failed or printed no JSON.
static json_t *
s_ctl_json (s_run_t *run, int *rc_out, int timeout_ms, ...)
{
    va_list args;
    va_start (args, timeout_ms);
    json_t *json = harness_ctl_json_va (run->harness, "rcmqctl", rc_out, timeout_ms, args);
    va_end (args);
    return json;
}

//  scripts/gen-837 --out DIR/<name>.837 --expect DIR/<name>.json args...
static bool
s_generate (s_run_t *run, const char *name, ...)
{
    char out [PATH_MAX], expect [PATH_MAX];
    snprintf (out, sizeof out, "%s/%s.837", harness_dir (run->harness), name);
    snprintf (expect, sizeof expect, "%s/%s.json", harness_dir (run->harness), name);
    char *args [37];
    size_t count = 0;
    args [count++] = "--out";
    args [count++] = out;
    args [count++] = "--expect";
    args [count++] = expect;
    va_list list;
    va_start (list, name);
    char *arg;
    while ((arg = va_arg (list, char *)) && count < 36)
        args [count++] = arg;
    va_end (list);
    args [count] = NULL;
    int rc = harness_script (run->harness, "gen-837", args, 120000);
    harness_check (run, rc == 0, "scripts/gen-837 for %s exited %d", name, rc);
    return rc == 0;
}

//  --------------------------------------------------------------------------
//  The deployment: broker, intake, claims

//  The processes this suite starts, in order.
static const char *const s_services [] = { "broker", "intake", "claims", NULL };

static bool
s_start (s_run_t *run, const char *tag)
{
    memset (run, 0, sizeof *run);
    //  The generator's files are dated 2026-11-02 and it judges timely
    //  filing from that day; every process we start inherits this.
    setenv ("RCMQ_NOW", INTAKE_NOW, 1);
    run->harness = harness_new (tag);
    //  The broker's replay socket serves service keys only: the test reads
    //  the stream as a service of its own.
    const char *const reader [] = { "itest-reader", NULL };
    if (!run->harness || harness_keys (run->harness, reader)) {
        harness_check (run, false, "cannot make keys");
        return false;
    }
    run->keys = harness_path (run->harness, "keys");
    run->config = harness_config (run->harness);
    if (!run->config
    ||  harness_config_append (run->harness,
                               "intake\n    api = \"tcp://127.0.0.1:%d\"\n"
                               "    inbox-dir = \"%s/inbox\"\n    ack-dir = \"%s/acks\"\n"
                               "claims\n    api = \"tcp://127.0.0.1:%d\"\n",
                               harness_free_port (), harness_dir (run->harness),
                               harness_dir (run->harness), harness_free_port ())) {
        harness_check (run, false, "cannot write config");
        return false;
    }
    //  The replay endpoint, to read the "intake" stream ourselves.
    harness_config_value (run->harness, "broker", "replay", run->replay, sizeof run->replay);
    run->broker_key = transport_load_public_key (run->keys, "broker");
    run->reader = transport_load_secret (run->keys, "itest-reader");
    if (!run->broker_key || !run->reader || !*run->replay) {
        harness_check (run, false, "keys or replay endpoint missing");
        return false;
    }
    harness_proc_t *procs [3] = { NULL };
    bool up = harness_start_services (run->harness, s_services, procs, harness_scaled_ms (30000))
           && harness_grant_services (run->harness, reader) == 0;
    run->broker = procs [0];
    run->intake = procs [1];
    run->claims = procs [2];
    harness_check (run, up, "broker, intake and claims did not come up");
    return up;
}

static void
s_finish (s_run_t *run)
{
    harness_proc_t *procs [] = { run->broker, run->intake, run->claims };
    int status = 0, exited = harness_first_exited (procs, 3, &status);
    harness_check (run, exited < 0, "%s exited (status %d)", exited < 0? "": s_services [exited], status);
    zcert_destroy (&run->reader);
    free (run->broker_key);
    if (run->harness)
        harness_destroy (&run->harness, run->failed > 0);
    ck_assert_msg (run->failed == 0, "%d check(s) failed:\n%s", run->failed, run->failures);
}

//  --------------------------------------------------------------------------
//  The "intake" stream, read from the broker's replay socket

typedef struct {
    char type [24];             //  claim_accepted, claim_rejected, batch_completed
    char batch_id [40];
    char claim_id [56];
    char pcn [40];
    char queue [64];
    char status [16];           //  batch_completed: completed | refused
    uint32_t claims;            //  batch_completed: the batch's claim count
} s_event_t;

typedef struct {
    s_event_t *events;
    size_t count;
    size_t capacity;
    uint64_t head;
} s_stream_t;

static void
s_stream_free (s_stream_t *stream)
{
    free (stream->events);
    memset (stream, 0, sizeof *stream);
}

static bool
s_outbox_empty (void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    json_t *status = harness_status (run->harness);
    json_t *intake = harness_status_process (status, "intake");
    bool empty = intake && json_is_true (json_object_get (intake, "up"))
              && json_integer_value (json_object_get (intake, "outbox_depth")) == 0;
    json_decref (status);
    return empty;
}

//  One event of the replay into the stream's table.
static bool
s_add_event (const Event *event, void *arg)
{
    s_stream_t *stream = (s_stream_t *) arg;
    if (stream->count == stream->capacity) {
        stream->capacity = stream->capacity? stream->capacity * 2: 1024;
        stream->events = (s_event_t *) realloc (stream->events, stream->capacity * sizeof (s_event_t));
    }
    s_event_t *item = &stream->events [stream->count++];
    memset (item, 0, sizeof *item);
    snprintf (item->type, sizeof item->type, "%s", event->type);
    const uint8_t *data = event->payload.data;
    size_t size = event->payload.len;
    if (streq (event->type, "claim_accepted")) {
        ClaimAccepted *accepted = (ClaimAccepted *) codec_decode (&claim_accepted__descriptor, data, size);
        if (accepted) {
            snprintf (item->batch_id, sizeof item->batch_id, "%s", accepted->batch_id);
            snprintf (item->claim_id, sizeof item->claim_id, "%s", accepted->claim_id);
            snprintf (item->pcn, sizeof item->pcn, "%s", accepted->pcn);
            if (accepted->dims)
                snprintf (item->queue, sizeof item->queue, "%s", accepted->dims->queue);
        }
        codec_free (accepted);
    }
    else
    if (streq (event->type, "claim_rejected")) {
        ClaimRejected *rejected = (ClaimRejected *) codec_decode (&claim_rejected__descriptor, data, size);
        if (rejected) {
            snprintf (item->batch_id, sizeof item->batch_id, "%s", rejected->batch_id);
            snprintf (item->claim_id, sizeof item->claim_id, "%s", rejected->claim_id);
            snprintf (item->pcn, sizeof item->pcn, "%s", rejected->pcn);
            if (rejected->dims)
                snprintf (item->queue, sizeof item->queue, "%s", rejected->dims->queue);
        }
        codec_free (rejected);
    }
    else
    if (streq (event->type, "batch_completed")) {
        BatchCompleted *completed = (BatchCompleted *) codec_decode (&batch_completed__descriptor, data, size);
        if (completed && completed->batch) {
            snprintf (item->batch_id, sizeof item->batch_id, "%s", completed->batch->batch_id);
            snprintf (item->status, sizeof item->status, "%s", completed->batch->status);
            item->claims = completed->batch->claims;
        }
        codec_free (completed);
    }
    return true;
}

//  Every event of the stream, once intake's outbox has gone to the broker
//  (what intake committed is then all on the stream). false when the
//  broker did not answer.
static bool
s_fetch (s_run_t *run, s_stream_t *stream)
{
    memset (stream, 0, sizeof *stream);
    harness_check (run, harness_wait_until (s_outbox_empty, run, harness_scaled_ms (60000), 200),
             "intake's outbox did not drain to the broker");
    bool ok = harness_replay (run->replay, run->reader, run->broker_key, "intake", "test-intake",
                              5000, 20000, s_add_event, stream, &stream->head) == 0;
    harness_check (run, ok, "the broker did not answer FETCH on its replay socket");
    return ok;
}

//  Events of a batch of the given type.
static size_t
s_count_events (s_stream_t *stream, const char *batch_id, const char *type)
{
    size_t count = 0;
    for (size_t i = 0; i < stream->count; i++)
        if (streq (stream->events [i].batch_id, batch_id) && (!type || streq (stream->events [i].type, type)))
            count++;
    return count;
}

//  --------------------------------------------------------------------------
//  Queues, and where this test says each claim belongs

typedef struct {
    const char *id;
    const char *payer_ids;
    const char *payer_groups;
    const char *locations;
    const char *service_lines;
    const char *priority;
    const char *phase;
} s_queue_t;

//  Locations are the generator's service facility NPIs: 1199887765 is
//  RIVERSIDE WEST, 1582469130 LAKESHORE NORTH. The two pediatric queues
//  differ only in priority, the two Summit queues not at all (the smaller
//  id wins).
static const s_queue_t s_queues [] = {
    { "q-medicare",       "",      "medicare",       "",           "",             "0", "internal" },
    { "q-medicaid-bcbs",  "",      "medicaid,bcbs",  "",           "",             "0", "internal" },
    { "q-acme",           "60054", "",               "",           "",             "0", "pilot" },
    { "q-north",          "",      "",               "1582469130", "",             "0", "internal" },
    { "q-radiology",      "",      "",               "",           "radiology",    "0", "vendor" },
    { "q-medicare-ortho", "",      "medicare",       "",           "orthopaedics", "0", "internal" },
    { "q-west-peds-a",    "",      "",               "1199887765", "pediatrics",   "0", "internal" },
    { "q-west-peds-b",    "",      "",               "1199887765", "pediatrics",   "5", "internal" },
    { "q-summit-b",       "SUM22", "",               "",           "",             "0", "internal" },
    { "q-summit-a",       "SUM22", "",               "",           "",             "0", "internal" },
    { NULL }
};

//  SBR09 -> payer group, as dimensions.h states it.
static const char *
s_payer_group (const char *indicator)
{
    static const char *table [][2] = {
        { "MA", "medicare" }, { "MB", "medicare" }, { "16", "medicare" }, { "MC", "medicaid" },
        { "BL", "bcbs" }, { "CI", "commercial" }, { "HM", "commercial" }, { "12", "commercial" },
        { "13", "commercial" }, { "14", "commercial" }, { "15", "commercial" }, { "CH", "tricare" },
        { "VA", "va" }, { "WC", "workers_comp" }, { "AM", "liability" }, { "LM", "liability" },
        { "09", "self_pay" },
    };
    for (size_t i = 0; i < sizeof table / sizeof table [0]; i++)
        if (streq (table [i][0], indicator))
            return table [i][1];
    return "other";
}

//  Taxonomy -> service line, for the taxonomies the generator uses (an
//  unknown one is its own service line).
static const char *
s_service_line (const char *taxonomy)
{
    static const char *table [][2] = {
        { "207Q00000X", "family_medicine" }, { "207R00000X", "internal_medicine" },
        { "2085R0202X", "radiology" }, { "207X00000X", "orthopaedics" }, { "208000000X", "pediatrics" },
    };
    if (!*taxonomy)
        return "unspecified";
    for (size_t i = 0; i < sizeof table / sizeof table [0]; i++)
        if (streq (table [i][0], taxonomy))
            return table [i][1];
    return taxonomy;
}

static bool
s_listed (const char *list, const char *value)
{
    size_t len = strlen (value);
    for (const char *at = list; *at; ) {
        const char *end = strchr (at, ',');
        size_t item = end? (size_t) (end - at): strlen (at);
        if (item == len && !memcmp (at, value, len))
            return true;
        at += item + (end? 1: 0);
    }
    return false;
}

static const char *
s_text (json_t *object, const char *key)
{
    const char *value = json_string_value (json_object_get (object, key));
    return value? value: "";
}

//  The queue of a generator record: the matching queue naming the most
//  criteria, then the highest priority, then the smallest id; else default.
static const char *
s_route (json_t *record)
{
    const char *taxonomy = *s_text (record, "rendering_taxonomy")? s_text (record, "rendering_taxonomy")
                                                                : s_text (record, "billing_taxonomy");
    const char *location = *s_text (record, "location")? s_text (record, "location")
                                                      : s_text (record, "billing_npi");
    const char *values [4] = {
        s_text (record, "payer_id"), s_payer_group (s_text (record, "filing_indicator")),
        location, s_service_line (taxonomy)
    };
    const s_queue_t *best = NULL;
    int best_score = -1;
    for (const s_queue_t *queue = s_queues; queue->id; queue++) {
        const char *lists [4] = { queue->payer_ids, queue->payer_groups, queue->locations, queue->service_lines };
        int score = 0;
        for (size_t i = 0; i < 4 && score >= 0; i++)
            if (*lists [i])
                score = s_listed (lists [i], values [i])? score + 1: -1;
        if (score < 0)
            continue;
        if (!best || score > best_score
        || (score == best_score && atoi (queue->priority) > atoi (best->priority))
        || (score == best_score && atoi (queue->priority) == atoi (best->priority) && strcmp (queue->id, best->id) < 0)) {
            best = queue;
            best_score = score;
        }
    }
    return best? best->id: "default";
}

static void
s_create_queues (s_run_t *run)
{
    for (const s_queue_t *queue = s_queues; queue->id; queue++) {
        char *argv [32];
        size_t argc = 0;
        argv [argc++] = (char *) harness_bin (run->harness, "cli/rcmqctl");
        argv [argc++] = "--config";
        argv [argc++] = (char *) run->config;
        argv [argc++] = "queue";
        argv [argc++] = "create";
        argv [argc++] = (char *) queue->id;
        const char *options [][2] = {
            { "--payer-ids", queue->payer_ids }, { "--payer-groups", queue->payer_groups },
            { "--locations", queue->locations }, { "--service-lines", queue->service_lines },
            { "--priority", queue->priority }, { "--phase", queue->phase },
        };
        for (size_t i = 0; i < sizeof options / sizeof options [0]; i++)
            if (*options [i][1]) {
                argv [argc++] = (char *) options [i][0];
                argv [argc++] = (char *) options [i][1];
            }
        argv [argc++] = "--owner-team";
        argv [argc++] = "ar-team";
        if (!streq (queue->phase, "internal")) {
            argv [argc++] = "--vendor-team";
            argv [argc++] = "acme-billing";
        }
        argv [argc] = NULL;
        int rc = harness_run (run->harness, "rcmqctl", argv, NULL, harness_scaled_ms (10000));
        harness_check (run, rc == 0, "rcmqctl queue create %s exited %d", queue->id, rc);
    }
}

//  --------------------------------------------------------------------------
//  What the generator expects

typedef struct {
    char pcn [40];
    char frequency [4];
    bool accepted;
    char rules [192];           //  error rule ids, sorted, unique, comma-joined
    char queue [64];
    int64_t charge_cents;
} s_claim_t;

typedef struct {
    s_claim_t *claims;
    size_t count;
    uint32_t interchanges;
    uint32_t transactions;
    json_t *rule_claims;        //  rule id -> claims with it (errors and warnings)
    bool refused;
    char refusal [512];         //  "segment N (ID): reason"
} s_expect_t;

static int
s_compare_text (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

//  Rule ids of a JSON array (strings, or objects with rule_id), sorted,
//  each once, joined with commas.
static void
s_rule_set (json_t *array, char *buf, size_t size)
{
    size_t count = json_array_size (array);
    const char **ids = (const char **) calloc (count + 1, sizeof (char *));
    for (size_t i = 0; i < count; i++) {
        json_t *item = json_array_get (array, i);
        ids [i] = json_is_string (item)? json_string_value (item): s_text (item, "rule_id");
    }
    qsort (ids, count, sizeof (char *), s_compare_text);
    buf [0] = 0;
    for (size_t i = 0; i < count; i++)
        if (i == 0 || !streq (ids [i], ids [i - 1]))
            snprintf (buf + strlen (buf), size - strlen (buf), "%s%s", *buf? ",": "", ids [i]);
    free (ids);
}

static void
s_expect_free (s_expect_t *expect)
{
    free (expect->claims);
    json_decref (expect->rule_claims);
    memset (expect, 0, sizeof *expect);
}

static bool
s_expect_load (s_run_t *run, const char *name, s_expect_t *expect)
{
    memset (expect, 0, sizeof *expect);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s.json", harness_dir (run->harness), name);
    json_error_t error;
    json_t *root = json_load_file (path, 0, &error);
    harness_check (run, root != NULL, "%s: %s", path, root? "": error.text);
    if (!root)
        return false;
    json_t *claims = json_object_get (root, "claims");
    expect->count = json_array_size (claims);
    expect->claims = (s_claim_t *) calloc (expect->count + 1, sizeof (s_claim_t));
    expect->interchanges = (uint32_t) json_integer_value (json_object_get (root, "interchanges"));
    expect->transactions = (uint32_t) json_integer_value (json_object_get (root, "transactions"));
    expect->rule_claims = json_object ();
    for (size_t i = 0; i < expect->count; i++) {
        json_t *record = json_array_get (claims, i);
        s_claim_t *claim = &expect->claims [i];
        snprintf (claim->pcn, sizeof claim->pcn, "%s", s_text (record, "pcn"));
        snprintf (claim->frequency, sizeof claim->frequency, "%s", s_text (record, "frequency"));
        claim->accepted = json_is_true (json_object_get (record, "accepted"));
        claim->charge_cents = json_integer_value (json_object_get (record, "charge_cents"));
        s_rule_set (json_object_get (record, "errors"), claim->rules, sizeof claim->rules);
        snprintf (claim->queue, sizeof claim->queue, "%s", s_route (record));
        //  The batch counts each rule once per claim, warnings included.
        json_t *all = json_array ();
        json_array_extend (all, json_object_get (record, "errors"));
        json_array_extend (all, json_object_get (record, "warnings"));
        char rules [256];
        s_rule_set (all, rules, sizeof rules);
        json_decref (all);
        for (char *rule = strtok (rules, ","); rule; rule = strtok (NULL, ",")) {
            json_int_t before = json_integer_value (json_object_get (expect->rule_claims, rule));
            json_object_set_new (expect->rule_claims, rule, json_integer (before + 1));
        }
    }
    json_t *refusal = json_object_get (root, "refusal");
    expect->refused = refusal != NULL;
    if (refusal)
        snprintf (expect->refusal, sizeof expect->refusal, "segment %" JSON_INTEGER_FORMAT " (%s): %s",
                  json_integer_value (json_object_get (refusal, "segment")),
                  s_text (refusal, "segment_id"), s_text (refusal, "reason"));
    json_decref (root);
    return true;
}

//  Files submitted before this one leave PCNs accepted: a claim the
//  generator expects accepted (frequency 1) whose PCN intake has already
//  accepted is rejected as a duplicate instead.
static void
s_expect_after (s_expect_t *expect, json_t *accepted_pcns)
{
    for (size_t i = 0; i < expect->count; i++) {
        s_claim_t *claim = &expect->claims [i];
        bool replaces = streq (claim->frequency, "7") || streq (claim->frequency, "8");
        if (claim->accepted && !replaces && json_object_get (accepted_pcns, claim->pcn)) {
            claim->accepted = false;
            snprintf (claim->rules, sizeof claim->rules, "DUP001");
            json_int_t before = json_integer_value (json_object_get (expect->rule_claims, "DUP001"));
            json_object_set_new (expect->rule_claims, "DUP001", json_integer (before + 1));
        }
        if (claim->accepted)
            json_object_set_new (accepted_pcns, claim->pcn, json_true ());
    }
}

//  PCN -> { claim_id, queue } of the latest claim intake accepted with it
//  (a replacement takes over its PCN), after this batch.
static void
s_accepted_pcns (s_expect_t *expect, const char *batch_id, json_t *accepted_pcns)
{
    for (size_t i = 0; i < expect->count; i++)
        if (expect->claims [i].accepted) {
            char claim_id [96];
            snprintf (claim_id, sizeof claim_id, "%s-%05zu", batch_id, i + 1);
            json_object_set_new (accepted_pcns, expect->claims [i].pcn,
                                 json_pack ("{s:s, s:s}", "claim_id", claim_id, "queue", expect->claims [i].queue));
        }
}

//  --------------------------------------------------------------------------
//  Checking a batch against its expectation

static uint32_t
s_uint (json_t *object, const char *key)
{
    return (uint32_t) json_integer_value (json_object_get (object, key));
}

//  The counts of a batch record (rcmqctl --json) against the expectation.
static void
s_check_counts (s_run_t *run, const char *label, json_t *batch, s_expect_t *expect)
{
    uint32_t accepted = 0, rejected = 0, duplicates = 0;
    int64_t accepted_cents = 0, rejected_cents = 0;
    for (size_t i = 0; i < expect->count; i++) {
        s_claim_t *claim = &expect->claims [i];
        if (claim->accepted) {
            accepted++;
            accepted_cents += claim->charge_cents;
        }
        else {
            rejected++;
            rejected_cents += claim->charge_cents;
        }
        if (s_listed (claim->rules, "DUP001"))
            duplicates++;
    }
    harness_check (run, streq (s_text (batch, "status"), "completed"), "%s: status '%s' (%s)",
             label, s_text (batch, "status"), s_text (batch, "error"));
    struct { const char *key; uint32_t want; } counts [] = {
        { "claims", (uint32_t) expect->count }, { "accepted", accepted }, { "rejected", rejected },
        { "duplicates", duplicates }, { "interchanges", expect->interchanges },
        { "transactions", expect->transactions },
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts [0]; i++)
        harness_check (run, s_uint (batch, counts [i].key) == counts [i].want, "%s: %s %u, expected %u",
                 label, counts [i].key, s_uint (batch, counts [i].key), counts [i].want);
    harness_check (run, json_integer_value (json_object_get (batch, "accepted_cents")) == accepted_cents
               && json_integer_value (json_object_get (batch, "rejected_cents")) == rejected_cents,
             "%s: accepted / rejected cents %" JSON_INTEGER_FORMAT " / %" JSON_INTEGER_FORMAT
             ", expected %" PRId64 " / %" PRId64, label,
             json_integer_value (json_object_get (batch, "accepted_cents")),
             json_integer_value (json_object_get (batch, "rejected_cents")), accepted_cents, rejected_cents);
    //  Claims per rule: the same rules, the same counts. A batch record
    //  has [{rule_id, count}], an inbox report {rule: count}.
    json_t *rules = json_object_get (batch, "rules");
    json_t *counted = json_object ();
    if (json_is_object (rules))
        json_object_update (counted, rules);
    for (size_t i = 0; i < json_array_size (rules); i++) {
        json_t *rule = json_array_get (rules, i);
        json_object_set (counted, s_text (rule, "rule_id"), json_object_get (rule, "count"));
    }
    size_t matched = 0;
    const char *id;
    json_t *count;
    json_object_foreach (counted, id, count) {
        json_int_t want = json_integer_value (json_object_get (expect->rule_claims, id));
        harness_check (run, want == json_integer_value (count), "%s: rule %s on %" JSON_INTEGER_FORMAT
                 " claims, expected %" JSON_INTEGER_FORMAT, label, id, json_integer_value (count), want);
        matched += want > 0;
    }
    json_decref (counted);
    harness_check (run, matched == json_object_size (expect->rule_claims),
             "%s: the batch names %zu of the %zu rules expected", label, matched,
             json_object_size (expect->rule_claims));
}

//  The claim number in a claim id "<batch>-NNNNN" (1-based file order), 0
//  when it is not one of this batch's.
static size_t
s_claim_number (const char *claim_id, const char *batch_id)
{
    size_t len = strlen (batch_id);
    if (strncmp (claim_id, batch_id, len) || claim_id [len] != '-')
        return 0;
    return (size_t) strtoul (claim_id + len + 1, NULL, 10);
}

//  Every claim of the batch on the stream once, accepted or rejected as
//  expected, with the PCN and queue expected.
static void
s_check_events (s_run_t *run, const char *label, s_stream_t *stream, const char *batch_id, s_expect_t *expect)
{
    uint32_t *seen = (uint32_t *) calloc (expect->count + 1, sizeof (uint32_t));
    size_t wrong_outcome = 0, wrong_pcn = 0, wrong_queue = 0, unknown = 0;
    for (size_t i = 0; i < stream->count; i++) {
        s_event_t *event = &stream->events [i];
        if (!streq (event->batch_id, batch_id) || streq (event->type, "batch_completed"))
            continue;
        size_t number = s_claim_number (event->claim_id, batch_id);
        if (number == 0 || number > expect->count) {
            if (unknown++ < INTAKE_REPORT_MAX)
                harness_check (run, false, "%s: event %s for unknown claim %s", label, event->type, event->claim_id);
            continue;
        }
        seen [number]++;
        s_claim_t *claim = &expect->claims [number - 1];
        bool accepted = streq (event->type, "claim_accepted");
        if (accepted != claim->accepted && wrong_outcome++ < INTAKE_REPORT_MAX)
            harness_check (run, false, "%s: claim %zu (%s) was %s, expected %s (rules expected: %s)", label, number,
                     claim->pcn, event->type, claim->accepted? "accepted": "rejected", claim->rules);
        if (!streq (event->pcn, claim->pcn) && wrong_pcn++ < INTAKE_REPORT_MAX)
            harness_check (run, false, "%s: claim %zu has PCN %s, expected %s", label, number, event->pcn, claim->pcn);
        if (!streq (event->queue, claim->queue) && wrong_queue++ < INTAKE_REPORT_MAX)
            harness_check (run, false, "%s: claim %zu (%s) routed to %s, expected %s", label, number,
                     claim->pcn, event->queue, claim->queue);
    }
    size_t missing = 0, twice = 0;
    for (size_t number = 1; number <= expect->count; number++) {
        missing += seen [number] == 0;
        twice += seen [number] > 1;
    }
    harness_check (run, missing == 0 && twice == 0, "%s: %zu claims have no event, %zu more than one",
             label, missing, twice);
    harness_check (run, wrong_outcome + wrong_pcn + wrong_queue + unknown == 0,
             "%s: %zu claims with the wrong outcome, %zu wrong PCN, %zu wrong queue, %zu unknown",
             label, wrong_outcome, wrong_pcn, wrong_queue, unknown);
    harness_check (run, s_count_events (stream, batch_id, "batch_completed") == 1,
             "%s: %zu batch_completed events, expected 1", label, s_count_events (stream, batch_id, "batch_completed"));
    free (seen);
}

//  The work list: exactly the expected rejected claims, with their rules.
static void
s_check_rejections (s_run_t *run, const char *label, const char *batch_id, s_expect_t *expect)
{
    uint32_t *seen = (uint32_t *) calloc (expect->count + 1, sizeof (uint32_t));
    char after [96] = "";
    size_t rows = 0, wrong = 0, pages = 0;
    bool ok = true;
    while (ok && pages++ < 1000) {
        int rc;
        json_t *page = *after
            ? s_ctl_json (run, &rc, 30000, "intake", "rejections", "--batch", batch_id, "--limit", "1000",
                          "--after", after, NULL)
            : s_ctl_json (run, &rc, 30000, "intake", "rejections", "--batch", batch_id, "--limit", "1000", NULL);
        ok = rc == 0 && json_is_array (page);
        harness_check (run, ok, "%s: rcmqctl intake rejections exited %d", label, rc);
        size_t count = json_array_size (page);
        for (size_t i = 0; ok && i < count; i++) {
            json_t *row = json_array_get (page, i);
            const char *claim_id = s_text (row, "claim_id");
            snprintf (after, sizeof after, "%s", claim_id);
            rows++;
            size_t number = s_claim_number (claim_id, batch_id);
            if (number == 0 || number > expect->count) {
                if (wrong++ < INTAKE_REPORT_MAX)
                    harness_check (run, false, "%s: rejection of unknown claim %s", label, claim_id);
                continue;
            }
            seen [number]++;
            s_claim_t *claim = &expect->claims [number - 1];
            char rules [256];
            s_rule_set (json_object_get (row, "errors"), rules, sizeof rules);
            bool right = !claim->accepted && streq (rules, claim->rules)
                      && streq (s_text (row, "pcn"), claim->pcn) && streq (s_text (row, "queue"), claim->queue);
            if (!right && wrong++ < INTAKE_REPORT_MAX)
                harness_check (run, false, "%s: rejection of claim %zu: pcn %s rules [%s] queue %s; expected %s pcn %s "
                         "rules [%s] queue %s", label, number, s_text (row, "pcn"), rules, s_text (row, "queue"),
                         claim->accepted? "ACCEPTED": "rejected", claim->pcn, claim->rules, claim->queue);
        }
        json_decref (page);
        if (count < 1000)
            break;
    }
    size_t expected = 0, missing = 0, twice = 0;
    for (size_t number = 1; number <= expect->count; number++) {
        expected += !expect->claims [number - 1].accepted;
        missing += !expect->claims [number - 1].accepted && seen [number] == 0;
        twice += seen [number] > 1;
    }
    harness_check (run, rows == expected && missing == 0 && twice == 0 && wrong == 0,
             "%s: the work list has %zu rows for %zu rejected claims: %zu missing, %zu twice, %zu wrong",
             label, rows, expected, missing, twice, wrong);
    free (seen);
}

//  Submits DIR/<name>.837; returns the batch record (NULL when no JSON).
static json_t *
s_submit (s_run_t *run, const char *name, int *rc)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s.837", harness_dir (run->harness), name);
    return s_ctl_json (run, rc, INTAKE_SUBMIT_MS, "intake", "submit", path, NULL);
}

//  A batch of an expected-good file: counts, events, work list.
static json_t *
s_submit_and_check (s_run_t *run, const char *name, s_expect_t *expect, s_stream_t *stream)
{
    int rc;
    uint64_t started = harness_now_ms ();
    json_t *batch = s_submit (run, name, &rc);
    uint64_t took = harness_now_ms () - started;
    harness_check (run, rc == 0 && batch, "%s: rcmqctl intake submit exited %d", name, rc);
    if (!batch)
        return NULL;
    fprintf (stderr, "test_intake: %s: %zu claims submitted in %.1f s\n", name, expect->count, took / 1000.0);
    const char *batch_id = s_text (batch, "batch_id");
    s_check_counts (run, name, batch, expect);
    if (s_fetch (run, stream))
        s_check_events (run, name, stream, batch_id, expect);
    s_check_rejections (run, name, batch_id, expect);
    return batch;
}

//  --------------------------------------------------------------------------
//  Consumers, acks, inbox

typedef struct {
    s_run_t *run;
    uint64_t head;
    uint64_t consumed;
} s_consumed_t;

static bool
s_claims_caught_up (void *arg)
{
    s_consumed_t *wait = (s_consumed_t *) arg;
    wait->consumed = harness_consumed (wait->run->harness, "claims", "intake");
    return wait->consumed == wait->head;
}

//  rcmq-claims applied every event of the stream: it has received every
//  accepted claim the stream holds, each once (the consumer applies each
//  seq exactly once, so the offset is the count).
static void
s_check_claims_consumer (s_run_t *run, s_stream_t *stream, json_t *accepted_pcns)
{
    s_consumed_t wait = { run, stream->head, 0 };
    bool caught_up = harness_wait_until (s_claims_caught_up, &wait, harness_scaled_ms (60000), 500);
    harness_check (run, caught_up && stream->head == stream->count,
             "rcmq-claims consumed %" PRIu64 " events of stream intake; the stream holds %zu (head %" PRIu64 ")",
             wait.consumed, stream->count, stream->head);
    //  The claims service's own ledger (keyed by PCN): exactly the PCNs
    //  intake accepted, each once, holding the latest claim accepted with
    //  it, in the queue expected.
    json_t *seen = json_object ();
    size_t twice = 0, unexpected = 0, wrong = 0, pages = 0;
    char after [96] = "";
    int rc = 0;
    while (pages++ < 1000) {
        json_t *page = *after
            ? s_ctl_json (run, &rc, 30000, "claims", "list", "--limit", "1000", "--after", after, NULL)
            : s_ctl_json (run, &rc, 30000, "claims", "list", "--limit", "1000", NULL);
        harness_check (run, rc == 0 && json_is_array (page), "rcmqctl claims list exited %d", rc);
        size_t count = json_array_size (page);
        for (size_t i = 0; i < count; i++) {
            json_t *row = json_array_get (page, i);
            const char *pcn = s_text (row, "pcn");
            snprintf (after, sizeof after, "%s", pcn);
            json_t *want = json_object_get (accepted_pcns, pcn);
            twice += json_object_get (seen, pcn) != NULL;
            unexpected += want == NULL;
            json_object_set_new (seen, pcn, json_true ());
            if (want && (!streq (s_text (row, "claim_id"), s_text (want, "claim_id"))
                     ||  !streq (s_text (row, "queue"), s_text (want, "queue")))
            &&  wrong++ < INTAKE_REPORT_MAX)
                harness_check (run, false, "claims list: %s holds claim %s in queue %s; expected %s in %s", pcn,
                         s_text (row, "claim_id"), s_text (row, "queue"), s_text (want, "claim_id"),
                         s_text (want, "queue"));
        }
        json_decref (page);
        if (rc != 0 || count < 1000)
            break;
    }
    harness_check (run, twice == 0 && unexpected == 0 && wrong == 0
                && json_object_size (seen) == json_object_size (accepted_pcns),
             "rcmqctl claims list: %zu PCNs (%zu twice, %zu not accepted by intake, %zu wrong); intake accepted %zu",
             json_object_size (seen), twice, unexpected, wrong, json_object_size (accepted_pcns));
    json_decref (seen);
}

//  A 999 file read with our X12 reader: the envelope checks pass, one
//  interchange, one 999 transaction set. Returns the segment count.
static void
s_check_ack (s_run_t *run, const char *name, const char *group_control)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/acks/%s", harness_dir (run->harness), name);
    FILE *file = fopen (path, "rb");
    harness_check (run, file != NULL, "999 file %s is not in the ack dir", name);
    if (!file)
        return;
    x12_reader_t *reader = x12_reader_new_file (file);
    x12_segment_t *segment;
    int rc;
    size_t sets = 0;
    bool ak1 = group_control == NULL;
    while ((rc = x12_reader_next (reader, &segment)) == 1) {
        if (streq (x12_segment_id (segment), "ST"))
            sets += streq (x12_segment_element (segment, 1), "999");
        if (streq (x12_segment_id (segment), "AK1") && group_control)
            ak1 = ak1 || streq (x12_segment_element (segment, 2), group_control);
    }
    harness_check (run, rc == 0, "999 file %s: %s", name, rc? x12_reader_error (reader): "");
    harness_check (run, rc != 0 || (x12_reader_interchanges (reader) == 1 && sets == 1 && ak1),
             "999 file %s: %u interchanges, %zu 999 sets, AK1 for group %s %s", name,
             x12_reader_interchanges (reader), sets, group_control? group_control: "-", ak1? "found": "missing");
    x12_reader_destroy (&reader);
    fclose (file);
}

static bool
s_file_exists (void *arg)
{
    struct stat st;
    return stat ((const char *) arg, &st) == 0;
}

static bool
s_acks_written (void *arg)
{
    json_t *batch = (json_t *) ((void **) arg) [0];
    const char *dir = (const char *) ((void **) arg) [1];
    json_t *acks = json_object_get (batch, "ack_files");
    for (size_t i = 0; i < json_array_size (acks); i++) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/acks/%s", dir, json_string_value (json_array_get (acks, i)));
        if (!s_file_exists (path))
            return false;
    }
    return true;
}

//  Every 999 a batch names; group controls are given for good files.
static void
s_check_acks (s_run_t *run, const char *label, json_t *batch, uint32_t first_group_control)
{
    json_t *acks = json_object_get (batch, "ack_files");
    harness_check (run, json_array_size (acks) > 0, "%s: the batch names no 999 file", label);
    void *arg [2] = { batch, (void *) harness_dir (run->harness) };
    harness_check (run, harness_wait_until (s_acks_written, arg, harness_scaled_ms (10000), 100),
             "%s: the 999 files were not all written", label);
    for (size_t i = 0; i < json_array_size (acks); i++) {
        char control [16];
        snprintf (control, sizeof control, "%u", first_group_control + (uint32_t) i);
        s_check_ack (run, json_string_value (json_array_get (acks, i)), first_group_control? control: NULL);
    }
}

//  Drops DIR/<name>.837 into the inbox (a rename, so intake never sees half
//  a file) and waits for it in done/ or failed/ with its report.
static json_t *
s_inbox (s_run_t *run, const char *name, const char *outcome)
{
    char from [PATH_MAX], to [PATH_MAX], moved [PATH_MAX], report [PATH_MAX + 16];
    const char *dir = harness_dir (run->harness);
    snprintf (from, sizeof from, "%s/%s.837", dir, name);
    snprintf (to, sizeof to, "%s/inbox/%s.837", dir, name);
    snprintf (moved, sizeof moved, "%s/inbox/%s/%s.837", dir, outcome, name);
    snprintf (report, sizeof report, "%s.report.json", moved);
    harness_check (run, rename (from, to) == 0, "cannot move %s into the inbox", name);
    bool done = harness_wait_until (s_file_exists, report, harness_scaled_ms (60000), 200);
    //  A completed file is kept sealed (<name>.sealed), a refused one as it came.
    char sealed [PATH_MAX + 16];
    snprintf (sealed, sizeof sealed, "%s.sealed", moved);
    bool completed = streq (outcome, "done");
    harness_check (run, done && s_file_exists (completed? sealed: moved), "inbox: %s did not end in %s/ with a report", name, outcome);
    harness_check (run, !completed || !s_file_exists (moved), "inbox: %s is in done/ in plaintext", name);
    harness_check (run, !s_file_exists (to), "inbox: %s is still in the inbox", name);
    json_error_t error;
    return done? json_load_file (report, 0, &error): NULL;
}

//  --------------------------------------------------------------------------

START_TEST (test_outcomes)
{
    s_run_t run;
    if (!s_start (&run, "intake")) {
        s_finish (&run);
        return;
    }
    char claims [16];
    snprintf (claims, sizeof claims, "%d", INTAKE_CLAIMS);
    //  File A: every kind of error at 1 % each (duplicates within the
    //  file included), 1 % replacements, a quarter of patients not the
    //  subscriber, three envelopes, unusual separators.
    s_generate (&run, "a", "--seed", "11", "--claims", claims, "--envelopes", "3", "--separators", "exotic",
                "--error-rate", "ALL=0.01", "--replacement-rate", "0.01", NULL);
    //  File B: the first 300 claims of A again (same seed), from another
    //  sender, as pipes and CRLF in two envelopes.
    s_generate (&run, "b", "--seed", "11", "--claims", "300", "--envelopes", "2", "--separators", "pipe",
                "--crlf", "--error-rate", "ALL=0.01", "--replacement-rate", "0.01", "--sender", "RCMQPMSB", NULL);
    //  Broken files, each from its own sender.
    s_generate (&run, "broken-se", "--seed", "12", "--claims", "200", "--envelopes", "2",
                "--structural", "se-count", "--sender", "BROKEN1", NULL);
    s_generate (&run, "broken-hl", "--seed", "13", "--claims", "50", "--structural", "hl-parent",
                "--sender", "BROKEN2", NULL);
    s_generate (&run, "broken-ge", "--seed", "14", "--claims", "50", "--separators", "caret",
                "--structural", "ge-control", "--sender", "BROKEN3", NULL);
    //  For the inbox: a good file and a broken one.
    s_generate (&run, "inbox-good", "--seed", "21", "--claims", "300", "--separators", "tilde",
                "--error-rate", "ALL=0.02", "--sender", "INBOX1", NULL);
    s_generate (&run, "inbox-bad", "--seed", "22", "--claims", "30", "--structural", "not-837",
                "--sender", "INBOX2", NULL);
    s_create_queues (&run);

    s_expect_t expect_a, expect_b;
    json_t *accepted_pcns = json_object ();
    s_stream_t stream = { 0 };
    json_t *batch_a = NULL, *batch_b = NULL;
    if (s_expect_load (&run, "a", &expect_a)) {
        batch_a = s_submit_and_check (&run, "a", &expect_a, &stream);
        if (batch_a)
            s_accepted_pcns (&expect_a, s_text (batch_a, "batch_id"), accepted_pcns);
        s_stream_free (&stream);
    }
    if (s_expect_load (&run, "b", &expect_b)) {
        s_expect_after (&expect_b, accepted_pcns);
        size_t duplicates = 0;
        for (size_t i = 0; i < expect_b.count; i++)
            duplicates += s_listed (expect_b.claims [i].rules, "DUP001");
        harness_check (&run, duplicates > 200, "file b: only %zu duplicates expected; the test is weak", duplicates);
        batch_b = s_submit_and_check (&run, "b", &expect_b, &stream);
        if (batch_b)
            s_accepted_pcns (&expect_b, s_text (batch_b, "batch_id"), accepted_pcns);
        s_stream_free (&stream);
    }
    if (batch_a)
        s_check_acks (&run, "a", batch_a, 1000);
    if (batch_b)
        s_check_acks (&run, "b", batch_b, 1000);

    //  File A again: its interchanges were processed, so it is refused
    //  whole, and only the refused batch's record and event are added.
    s_stream_t before = { 0 }, after = { 0 };
    s_fetch (&run, &before);
    int rc;
    json_t *again = s_submit (&run, "a", &rc);
    harness_check (&run, rc == 1 && again && streq (s_text (again, "status"), "refused")
                && strstr (s_text (again, "error"), "already processed"),
             "resubmitted file a: exit %d, status '%s', error '%s'", rc, s_text (again, "status"), s_text (again, "error"));
    harness_check (&run, s_uint (again, "claims") == 0 && s_uint (again, "accepted") == 0,
             "resubmitted file a: the refused batch counts %u claims", s_uint (again, "claims"));
    s_fetch (&run, &after);
    const char *again_id = s_text (again, "batch_id");
    harness_check (&run, after.count == before.count + 1 && s_count_events (&after, again_id, "batch_completed") == 1,
             "resubmitted file a: %zu events added, expected only its batch_completed", after.count - before.count);
    if (again)
        s_check_acks (&run, "resubmitted a", again, 0);
    json_decref (again);
    s_stream_free (&before);
    s_stream_free (&after);

    //  Structurally broken: refused whole with segment number and reason;
    //  nothing of them is kept.
    const char *broken [] = { "broken-se", "broken-hl", "broken-ge", NULL };
    for (const char **name = broken; *name; name++) {
        s_expect_t expect;
        if (!s_expect_load (&run, *name, &expect))
            continue;
        s_fetch (&run, &before);
        json_t *batch = s_submit (&run, *name, &rc);
        harness_check (&run, rc == 1 && batch && streq (s_text (batch, "status"), "refused")
                    && streq (s_text (batch, "error"), expect.refusal),
                 "%s: exit %d, status '%s', error '%s'; expected refused with '%s'", *name, rc,
                 s_text (batch, "status"), s_text (batch, "error"), expect.refusal);
        s_fetch (&run, &after);
        const char *id = s_text (batch, "batch_id");
        harness_check (&run, after.count == before.count + 1 && s_count_events (&after, id, NULL) == 1,
                 "%s: %zu events added, expected only its batch_completed", *name, after.count - before.count);
        json_t *rows = s_ctl_json (&run, &rc, 30000, "intake", "rejections", "--batch", id, NULL);
        harness_check (&run, rc == 0 && json_is_array (rows) && json_array_size (rows) == 0,
                 "%s: the refused batch has rejections (exit %d, %zu rows)", *name, rc, json_array_size (rows));
        json_decref (rows);
        json_t *stored = s_ctl_json (&run, &rc, 10000, "intake", "batch", id, NULL);
        harness_check (&run, rc == 0 && streq (s_text (stored, "status"), "refused") && s_uint (stored, "claims") == 0,
                 "%s: intake batch %s: exit %d, status '%s', %u claims", *name, id, rc,
                 s_text (stored, "status"), s_uint (stored, "claims"));
        if (batch)
            s_check_acks (&run, *name, batch, 0);
        json_decref (stored);
        json_decref (batch);
        s_stream_free (&before);
        s_stream_free (&after);
        s_expect_free (&expect);
    }

    //  The inbox.
    s_expect_t expect_inbox;
    if (s_expect_load (&run, "inbox-good", &expect_inbox)) {
        json_t *report = s_inbox (&run, "inbox-good", "done");
        if (report) {
            s_check_counts (&run, "inbox-good report", report, &expect_inbox);
            harness_check (&run, streq (s_text (report, "source"), "inbox"), "inbox-good: source '%s'", s_text (report, "source"));
            s_fetch (&run, &stream);
            s_check_events (&run, "inbox-good", &stream, s_text (report, "batch_id"), &expect_inbox);
            s_stream_free (&stream);
            s_check_acks (&run, "inbox-good", report, 1000);
            s_accepted_pcns (&expect_inbox, s_text (report, "batch_id"), accepted_pcns);
        }
        json_decref (report);
        s_expect_free (&expect_inbox);
    }
    s_expect_t expect_bad;
    if (s_expect_load (&run, "inbox-bad", &expect_bad)) {
        json_t *report = s_inbox (&run, "inbox-bad", "failed");
        harness_check (&run, report && streq (s_text (report, "status"), "refused")
                    && streq (s_text (report, "error"), expect_bad.refusal),
                 "inbox-bad: report status '%s', error '%s'; expected '%s'", s_text (report, "status"),
                 s_text (report, "error"), expect_bad.refusal);
        json_decref (report);
        s_expect_free (&expect_bad);
    }

    //  rcmq-claims got the whole stream.
    if (s_fetch (&run, &stream))
        s_check_claims_consumer (&run, &stream, accepted_pcns);
    s_stream_free (&stream);
    json_decref (batch_a);
    json_decref (batch_b);
    json_decref (accepted_pcns);
    if (expect_a.claims)
        s_expect_free (&expect_a);
    if (expect_b.claims)
        s_expect_free (&expect_b);
    s_finish (&run);
}
END_TEST

//  --------------------------------------------------------------------------

//  CPU ticks (user + system) the process has used, from /proc.
static uint64_t
s_cpu_ticks (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    char *text = harness_slurp (path);
    const char *at = text? strrchr (text, ')'): NULL;
    uint64_t ticks = 0;
    if (at) {
        //  After ") ": state is field 3; utime and stime are fields 14, 15.
        unsigned long utime = 0, stime = 0;
        if (sscanf (at + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) == 2)
            ticks = utime + stime;
    }
    free (text);
    return ticks;
}

typedef struct {
    pid_t pid;
    uint64_t from;
    uint64_t ticks;
} s_busy_t;

static bool
s_busy (void *arg)
{
    s_busy_t *busy = (s_busy_t *) arg;
    return s_cpu_ticks (busy->pid) >= busy->from + busy->ticks;
}

START_TEST (test_crash)
{
    s_run_t run;
    if (!s_start (&run, "intake-crash")) {
        s_finish (&run);
        return;
    }
    s_create_queues (&run);
    char claims [16];
    snprintf (claims, sizeof claims, "%d", INTAKE_CRASH_CLAIMS);
    s_expect_t expect;
    if (!s_generate (&run, "big", "--seed", "31", "--claims", claims, "--envelopes", "5",
                     "--error-rate", "ALL=0.01", "--replacement-rate", "0.005", NULL)
    ||  !s_expect_load (&run, "big", &expect)) {
        s_finish (&run);
        return;
    }
    s_stream_t before = { 0 }, after = { 0 };
    s_fetch (&run, &before);

    //  Submit in the background; kill intake once it has spent a second of
    //  CPU on the file (receiving it, then parsing and storing).
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/big.837", harness_dir (run.harness));
    char *submit_argv [] = { (char *) harness_bin (run.harness, "cli/rcmqctl"), "--config", (char *) run.config,
                             "--json", "intake", "submit", path, NULL };
    s_busy_t busy = { harness_pid (run.intake), s_cpu_ticks (harness_pid (run.intake)), 100 };
    harness_proc_t *submit = harness_spawn (run.harness, "submit", submit_argv);
    bool busy_enough = harness_wait_until (s_busy, &busy, harness_scaled_ms (30000), 20);
    harness_check (&run, busy_enough, "intake did not start working on the file");
    harness_kill (run.intake, SIGKILL);
    harness_check (&run, harness_wait (run.intake, 5000) == 128 + SIGKILL, "intake did not die of SIGKILL");
    bool submit_ended = !harness_running (submit);
    harness_kill (submit, SIGKILL);
    harness_wait (submit, 5000);
    harness_check (&run, !submit_ended, "the submit had ended before intake was killed: the crash came too late");

    run.intake = harness_spawn_service (run.harness, "intake");
    harness_check (&run, run.intake && harness_wait_up (run.harness, s_services, harness_scaled_ms (30000)),
             "intake did not come back after SIGKILL");
    //  Whatever intake committed is in its outbox: give the relay time to
    //  hand it to the broker, then read the stream.
    harness_sleep_ms (harness_scaled_ms (2000));
    s_fetch (&run, &after);
    int rc;
    json_t *stored = s_ctl_json (&run, &rc, 10000, "intake", "batch", "B20261102-000001", NULL);
    bool whole = rc == 0 && stored != NULL;
    size_t added = after.count - before.count;
    fprintf (stderr, "test_intake: crash: after the restart %s (%zu events added)\n",
             whole? "the whole batch is there": "no trace of the batch", added);
    if (whole) {
        //  All of it: every claim, once, as expected, and the file is now
        //  a duplicate interchange.
        s_check_counts (&run, "crash (committed)", stored, &expect);
        s_check_events (&run, "crash (committed)", &after, "B20261102-000001", &expect);
        json_t *again = s_submit (&run, "big", &rc);
        harness_check (&run, rc == 1 && streq (s_text (again, "status"), "refused"),
                 "crash (committed): resubmitting: exit %d, status '%s'", rc, s_text (again, "status"));
        json_decref (again);
    }
    else {
        //  None of it: no event, no rejection; then the file goes through.
        harness_check (&run, added == 0 && after.head == before.head,
                 "crash: no batch, yet %zu events were added to stream intake", added);
        json_t *rows = s_ctl_json (&run, &rc, 30000, "intake", "rejections", NULL);
        harness_check (&run, rc == 0 && json_array_size (rows) == 0, "crash: %zu rejections stored without a batch",
                 json_array_size (rows));
        json_decref (rows);
        s_stream_t stream = { 0 };
        json_t *batch = s_submit_and_check (&run, "big", &expect, &stream);
        json_t *accepted_pcns = json_object ();
        if (batch)
            s_accepted_pcns (&expect, s_text (batch, "batch_id"), accepted_pcns);
        s_stream_free (&stream);
        if (s_fetch (&run, &stream))
            s_check_claims_consumer (&run, &stream, accepted_pcns);
        s_stream_free (&stream);
        json_decref (accepted_pcns);
        json_decref (batch);
    }
    json_decref (stored);
    s_stream_free (&before);
    s_stream_free (&after);
    s_expect_free (&expect);
    s_finish (&run);
}
END_TEST

//  --------------------------------------------------------------------------

//  PHI the file below carries; none may be stored or logged in plaintext.
static const char *s_phi [] = {
    "QUIMBLEWORTH", "ZEPHYRINA", "XQZ88412907", "19380517", "4417 MARIGOLD ORCHARD LN",
    "VANDERSLOOTEN", "BARNABY", "PERPETUA", "YKW55021736", "19511123", "20140802", "9983 TAMARACK BLUFF CT",
    "OSTROGOTHIA", "WENCESLAUS", "ZRM33190455", "19450228", "61 FENWICKE GARTH",
    NULL
};

//  Three claims: the subscriber is the patient; a child of the subscriber
//  (2000C); and a claim rejected for its charge (CHG001).
static const char *s_phi_segments [] = {
    "ISA*00*          *00*          *ZZ*PHITEST        *ZZ*RCMQINTAKE     *261102*1200*^*00501*000000777*0*P*:",
    "GS*HC*PHITEST*RCMQINTAKE*20261102*1200*777*X*005010X222A1",
    "ST*837*0001*005010X222A1",
    "BHT*0019*00*PHI1*20261102*1200*CH",
    "NM1*41*2*RCMQ PRACTICE SYSTEM*****46*PHITEST",
    "PER*IC*BILLING OFFICE*TE*5555550100",
    "NM1*40*2*RCMQ INTAKE*****46*RCMQINTAKE",
    "HL*1**20*1",
    "PRV*BI*PXC*207Q00000X",
    "NM1*85*2*RIVERSIDE MEDICAL GROUP*****XX*1542098722",
    "N3*100 RIVER RD",
    "N4*SPRINGFIELD*IL*62701",
    "REF*EI*371234567",
    "HL*2*1*22*0",
    "SBR*P*18*GRP100******CI",
    "NM1*IL*1*QUIMBLEWORTH*ZEPHYRINA****MI*XQZ88412907",
    "N3*4417 MARIGOLD ORCHARD LN",
    "N4*KANKAKEE*IL*60901",
    "DMG*D8*19380517*F",
    "NM1*PR*2*ACME HEALTH PLAN*****PI*60054",
    "CLM*PHIPCN001*125***11:B:1*Y*A*Y*Y",
    "HI*ABK:E119",
    "NM1*77*2*RIVERSIDE MAIN CLINIC*****XX*1122334455",
    "N3*100 RIVER RD",
    "N4*SPRINGFIELD*IL*62701",
    "LX*1",
    "SV1*HC:99213*125*UN*1***1",
    "DTP*472*D8*20261015",
    "HL*3*1*22*1",
    "SBR*P**GRP200******MB",
    "NM1*IL*1*VANDERSLOOTEN*BARNABY****MI*YKW55021736",
    "N3*9983 TAMARACK BLUFF CT",
    "N4*JOLIET*IL*60431",
    "DMG*D8*19511123*M",
    "NM1*PR*2*MEDICARE PART B*****PI*00435",
    "HL*4*3*23*0",
    "PAT*19",
    "NM1*QC*1*VANDERSLOOTEN*PERPETUA",
    "N3*9983 TAMARACK BLUFF CT",
    "N4*JOLIET*IL*60431",
    "DMG*D8*20140802*F",
    "CLM*PHIPCN002*185***11:B:1*Y*A*Y*Y",
    "HI*ABK:J069*ABF:R05",
    "NM1*82*1*NGUYEN*LINDA****XX*1245319599",
    "PRV*PE*PXC*208000000X",
    "NM1*77*2*RIVERSIDE WEST*****XX*1199887765",
    "N3*4500 WEST ST",
    "N4*SPRINGFIELD*IL*62704",
    "LX*1",
    "SV1*HC:99214*185*UN*1***1:2",
    "DTP*472*D8*20261020",
    "HL*5*1*22*0",
    "SBR*P*18*GRP300******MC",
    "NM1*IL*1*OSTROGOTHIA*WENCESLAUS****MI*ZRM33190455",
    "N3*61 FENWICKE GARTH",
    "N4*PEORIA*IL*61602",
    "DMG*D8*19450228*M",
    "NM1*PR*2*STATE MEDICAID*****PI*77027",
    "CLM*PHIPCN003*999***11:B:1*Y*A*Y*Y",
    "HI*ABK:I10",
    "NM1*77*2*RIVERSIDE MAIN CLINIC*****XX*1122334455",
    "N3*100 RIVER RD",
    "N4*SPRINGFIELD*IL*62701",
    "LX*1",
    "SV1*HC:99213*125*UN*1***1",
    "DTP*472*D8*20261012",
    NULL
};

static bool
s_write_phi_file (const char *path)
{
    FILE *file = fopen (path, "wb");
    if (!file)
        return false;
    size_t count = 0;
    for (const char **segment = s_phi_segments; *segment; segment++, count++)
        fprintf (file, "%s~\n", *segment);
    //  SE counts ST to SE: the segments after ISA and GS, plus SE.
    fprintf (file, "SE*%zu*0001~\nGE*1*777~\nIEA*1*000000777~\n", count - 2 + 1);
    return fclose (file) == 0;
}

//  How many of the needles occur in the file (binary-safe). Only the
//  file's data is read, in chunks that overlap by the longest needle: a
//  store opened with MDB_WRITEMAP (claims, ADR 45) is a sparse file the
//  size of its map (16 GiB) whose holes hold nothing but zeros, and
//  reading it whole would take that much memory.
static size_t
s_needles_in (const char *path, const char **needles, const char **first_found)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t count = 0, longest = 1;
    for (const char **needle = needles; *needle; needle++, count++)
        longest = strlen (*needle) > longest? strlen (*needle): longest;
    bool *seen = (bool *) calloc (count + 1, sizeof (bool));
    const size_t chunk = 4u << 20;
    char *buffer = (char *) malloc (chunk + longest);
    off_t end = lseek (fd, 0, SEEK_END);
    //  Without SEEK_DATA support the whole file is one extent.
    off_t data = lseek (fd, 0, SEEK_DATA);
    while (data >= 0 && data < end) {
        off_t hole = lseek (fd, data, SEEK_HOLE);
        if (hole < 0 || hole > end)
            hole = end;
        size_t kept = 0;                //  the previous chunk's tail
        for (off_t at = data; at < hole; ) {
            size_t want = (size_t) (hole - at) < chunk? (size_t) (hole - at): chunk;
            ssize_t got = pread (fd, buffer + kept, want, at);
            if (got <= 0)
                break;
            size_t size = kept + (size_t) got;
            for (size_t i = 0; i < count; i++)
                if (!seen [i] && memmem (buffer, size, needles [i], strlen (needles [i])))
                    seen [i] = true;
            kept = size < longest - 1? size: longest - 1;
            memmove (buffer, buffer + size - kept, kept);
            at += got;
        }
        data = lseek (fd, hole, SEEK_DATA);
    }
    close (fd);
    free (buffer);
    size_t found = 0;
    for (size_t i = 0; i < count; i++)
        if (seen [i]) {
            if (!found && first_found)
                *first_found = needles [i];
            found++;
        }
    free (seen);
    return found;
}

START_TEST (test_phi)
{
    s_run_t run;
    if (!s_start (&run, "intake-phi")) {
        s_finish (&run);
        return;
    }
    const char *input = harness_path (run.harness, "phi.837");
    harness_check (&run, s_write_phi_file (input), "cannot write %s", input);
    //  Positive control: the search finds every needle in the input.
    size_t needles = 0;
    while (s_phi [needles])
        needles++;
    harness_check (&run, s_needles_in (input, s_phi, NULL) == needles, "the PHI needles are not all in the input file");

    int rc;
    json_t *batch = s_ctl_json (&run, &rc, 30000, "intake", "submit", input, NULL);
    harness_check (&run, rc == 0 && s_uint (batch, "claims") == 3 && s_uint (batch, "accepted") == 2
                && s_uint (batch, "rejected") == 1,
             "phi.837: exit %d, status '%s' (%s), %u claims, %u accepted, %u rejected; expected 3, 2, 1", rc,
             s_text (batch, "status"), s_text (batch, "error"), s_uint (batch, "claims"),
             s_uint (batch, "accepted"), s_uint (batch, "rejected"));
    json_decref (batch);
    //  Everything has gone through: the broker has the events, claims has
    //  applied them.
    s_stream_t stream;
    if (s_fetch (&run, &stream)) {
        harness_check (&run, stream.count == 4, "phi.837: %zu events on stream intake, expected 4", stream.count);
        s_consumed_t wait = { &run, stream.head, 0 };
        harness_check (&run, harness_wait_until (s_claims_caught_up, &wait, harness_scaled_ms (30000), 300),
                 "rcmq-claims did not consume the stream");
    }
    s_stream_free (&stream);
    //  Stop them all cleanly, so everything is flushed to the files.
    harness_proc_t *procs [] = { run.intake, run.claims, run.broker };
    for (size_t i = 0; i < 3; i++) {
        harness_kill (procs [i], SIGTERM);
        harness_check (&run, harness_wait (procs [i], harness_scaled_ms (15000)) == 0, "a process did not stop cleanly");
    }
    run.intake = run.claims = run.broker = NULL;
    const char *files [] = { "data/intake/data.mdb", "data/broker/data.mdb", "data/claims/data.mdb",
                             "logs/intake.log", "logs/broker.log", "logs/claims.log", "logs/rcmqctl.log", NULL };
    for (const char **file = files; *file; file++) {
        const char *path = harness_path (run.harness, *file);
        struct stat st;
        bool exists = stat (path, &st) == 0;
        harness_check (&run, exists || strstr (*file, "logs/"), "%s does not exist", *file);
        const char *found = NULL;
        size_t count = exists? s_needles_in (path, s_phi, &found): 0;
        harness_check (&run, count == 0, "%s holds %zu of the PHI values in plaintext (e.g. '%s')", *file, count,
                 found? found: "");
    }
    s_finish (&run);
}
END_TEST

Suite *
intake_suite (void)
{
    Suite *suite = suite_create ("intake");
    TCase *tcase = tcase_create ("837P through the real processes");
    tcase_set_timeout (tcase, INTAKE_TEST_TIMEOUT_S * (harness_scaled_ms (1000) / 1000));
    tcase_add_test (tcase, test_outcomes);
    tcase_add_test (tcase, test_crash);
    tcase_add_test (tcase, test_phi);
    suite_add_tcase (suite, tcase);
    return suite;
}
