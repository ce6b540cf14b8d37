/*  test_posting: the posting rules of issue 11 (items 1 and 4) through the
    real rcmq-broker, rcmq-intake, rcmq-claims and rcmq-metrics, driven only
    through rcmqctl; every expected figure comes from scripts/payer-sim's
    own records (--expect), never from rcmq's stores.

    gen-837 (400 claims) -> `intake submit` -> `claims submit` -> payer-sim
    run 1 (seeded, every claim accepted, one wave, a few remits for claims
    we never sent) -> `claims ack` every 277CA, then:

      unsound  the first 835 is first posted with one claim's SVC01 cut to
               "HC" (no procedure code): every other CLP posts, the reply
               (`claims post --json`) and `claims exceptions` list the bad
               one as "unsound" with the SVC's segment number and the
               reason; the claim is not touched. The real (corrected) file
               then posts that claim and nothing else: every other claim's
               JSON is the same before and after, and the claim has what
               the payer paid. Posting it a third time is a duplicate.
      again    the rest of run 1 is posted; then payer-sim runs a second
               time as a new user would (the README's command, without
               --seed: other traces, other amounts, reversals in a second
               wave) on the same outbound files, and every one of its 835s
               is posted. For every claim run 1 paid: its paid amount and
               status are still run 1's, `claims exceptions` holds a
               "contradicts" exception for it, and `claims credits --json`
               lists exactly those claims with run 2's net payment as their
               credit. `metrics kpi --json` overall and by payer gives A/R
               equal to what the two runs' records say (a claim run 1 paid
               keeps run 1's money; one it did not takes run 2's), never
               below zero, and days in A/R never below zero.

    Failures are collected rather than asserted one by one, so the
    processes are stopped and the logs' tails printed before Check reports.
*/
#include "suites.h"
#include "harness.h"

#include <czmq.h>
#include <jansson.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POSTING_CLAIMS      "400"
#define POSTING_NOW         "2026-11-02T12:00:00Z"
#define POSTING_AS_OF       "2026-12-31"
#define POSTING_WINDOW      "365"
#define POSTING_TIMEOUT_S   300
#define POSTING_REPORT_MAX  5

static const char *const s_names [] = { "broker", "intake", "claims", "metrics", NULL };

typedef struct {
    harness_t *harness;
    harness_proc_t *procs [4];
    char failures [16384];
    int failed;
} s_run_t;

//  rcmqctl --json ARGS..., parsed; NULL when it printed no JSON.
static json_t *
s_ctl (s_run_t *run, int *rc_out, ...)
{
    va_list args;
    va_start (args, rc_out);
    json_t *json = harness_ctl_json_va (run->harness, "rcmqctl", rc_out, 120000, args);
    va_end (args);
    return json;
}

static int64_t
s_int (json_t *object, const char *key)
{
    return (int64_t) json_integer_value (json_object_get (object, key));
}

static const char *
s_text (json_t *object, const char *key)
{
    const char *value = json_string_value (json_object_get (object, key));
    return value? value: "";
}

static bool
s_start (s_run_t *run)
{
    memset (run, 0, sizeof *run);
    setenv ("RCMQ_NOW", POSTING_NOW, 1);
    run->harness = harness_new ("posting");
    if (!run->harness || harness_keys (run->harness, NULL)) {
        harness_check (run, false, "cannot make keys");
        return false;
    }
    if (!harness_config (run->harness)
    ||  harness_config_append (run->harness,
                               "intake\n    api = \"tcp://127.0.0.1:%d\"\n    inbox-dir = \"%s/inbox\"\n"
                               "claims\n    api = \"tcp://127.0.0.1:%d\"\n"
                               "metrics\n    api = \"tcp://127.0.0.1:%d\"\n",
                               harness_free_port (), harness_dir (run->harness),
                               harness_free_port (), harness_free_port ()))
        return false;
    for (int i = 0; s_names [i]; i++)
        run->procs [i] = harness_spawn_service (run->harness, s_names [i]);
    bool up = harness_wait_up (run->harness, s_names, harness_scaled_ms (30000));
    harness_check (run, up, "broker, intake, claims and metrics did not come up");
    return up;
}

static void
s_finish (s_run_t *run)
{
    for (int i = 0; s_names [i]; i++)
        if (run->procs [i])
            harness_check (run, harness_running (run->procs [i]), "%s exited (status %d)",
                     s_names [i], harness_wait (run->procs [i], 0));
    //  Under the sanitizers a report in any log is a failure, even when the
    //  process kept running (rcmqctl's log holds every command's output).
    static const char *const logs [] = { "broker", "intake", "claims", "metrics", "rcmqctl", NULL };
    static const char *const reports [] = { "runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", NULL };
    if (run->harness)
        for (int i = 0; logs [i]; i++)
            for (int r = 0; reports [r]; r++)
                harness_check (run, !harness_log_contains (run->harness, logs [i], reports [r]),
                         "%s.log has a sanitizer report (%s)", logs [i], reports [r]);
    if (run->harness)
        harness_destroy (&run->harness, run->failed > 0);
    ck_assert_msg (run->failed == 0, "%d check(s) failed:\n%s", run->failed, run->failures);
}

//  PCN -> claim of a payer-sim expectation (borrowed references).
static json_t *
s_by_pcn (json_t *expect)
{
    json_t *by_pcn = json_object ();
    json_t *claims = json_object_get (expect, "claims");
    for (size_t i = 0; i < json_array_size (claims); i++)
        json_object_set (by_pcn, s_text (json_array_get (claims, i), "pcn"), json_array_get (claims, i));
    return by_pcn;
}

//  Every claim as `claims list --json` gives it, PCN -> claim.
static json_t *
s_snapshot (s_run_t *run)
{
    json_t *all = json_object ();
    char after [96] = "";
    for (int pages = 0; pages < 100; pages++) {
        int rc;
        json_t *page = *after? s_ctl (run, &rc, "claims", "list", "--limit", "1000", "--after", after, NULL)
                             : s_ctl (run, &rc, "claims", "list", "--limit", "1000", NULL);
        if (rc != 0 || !json_is_array (page)) {
            harness_check (run, false, "claims list exited %d", rc);
            json_decref (page);
            return all;
        }
        size_t count = json_array_size (page);
        for (size_t i = 0; i < count; i++)
            json_object_set (all, s_text (json_array_get (page, i), "pcn"), json_array_get (page, i));
        if (count)
            snprintf (after, sizeof after, "%s", s_text (json_array_get (page, count - 1), "pcn"));
        json_decref (page);
        if (count < 1000)
            break;
    }
    return all;
}

//  --------------------------------------------------------------------------
//  Setting up: claims in, submitted, run 1 of the payer

static bool
s_prepare (s_run_t *run, json_t **expect_p)
{
    const char *dir = harness_dir (run->harness);
    char in [PATH_MAX], in_expect [PATH_MAX], remits [PATH_MAX], expect [PATH_MAX], outbound [PATH_MAX];
    snprintf (in, sizeof in, "%s/claims.837", dir);
    snprintf (in_expect, sizeof in_expect, "%s/claims.json", dir);
    snprintf (remits, sizeof remits, "%s/remits1", dir);
    snprintf (expect, sizeof expect, "%s/remits1.json", dir);
    snprintf (outbound, sizeof outbound, "%s/data/outbound", dir);
    char *generate [] = { "--seed", "23", "--claims", POSTING_CLAIMS, "--error-rate", "ALL=0.01",
                          "--replacement-rate", "0", "--date", "2026-11-02", "--out", in, "--expect", in_expect, NULL };
    int rc = harness_script (run->harness, "gen-837", generate, harness_scaled_ms (120000));
    harness_check (run, rc == 0, "gen-837 exited %d", rc);
    if (rc)
        return false;
    json_t *batch = s_ctl (run, &rc, "intake", "submit", in, NULL);
    int64_t accepted = s_int (batch, "accepted");
    harness_check (run, rc == 0 && accepted > 0, "intake submit exited %d", rc);
    json_decref (batch);
    //  Claims applies intake's events as they come: submit until all went.
    int64_t submitted = 0;
    uint64_t deadline = harness_now_ms () + (uint64_t) harness_scaled_ms (60000);
    while (submitted < accepted && harness_now_ms () < deadline) {
        json_t *reply = s_ctl (run, NULL, "claims", "submit", NULL);
        submitted += s_int (reply, "claims");
        json_decref (reply);
        if (submitted < accepted)
            harness_sleep_ms (300);
    }
    harness_check (run, submitted == accepted, "claims submitted %" PRId64 " of %" PRId64, submitted, accepted);
    if (submitted != accepted)
        return false;
    char *simulate [] = { "--seed", "7", "--out", remits, "--expect", expect, "--accept-rate", "1",
                          "--missing-277-rate", "0", "--mix", "paid=0.6,partial=0.2,denied=0.15,none=0.05",
                          "--waves", "1", "--unknown-claims", "3", outbound, NULL };
    rc = harness_script (run->harness, "payer-sim", simulate, harness_scaled_ms (120000));
    harness_check (run, rc == 0, "payer-sim (run 1) exited %d", rc);
    *expect_p = rc == 0? json_load_file (expect, 0, NULL): NULL;
    harness_check (run, *expect_p != NULL, "cannot read %s", expect);
    if (!*expect_p)
        return false;
    json_t *acks = json_object_get (json_object_get (*expect_p, "files"), "277ca");
    for (size_t i = 0; i < json_array_size (acks); i++) {
        json_t *reply = s_ctl (run, &rc, "claims", "ack", json_string_value (json_array_get (acks, i)), NULL);
        harness_check (run, rc == 0, "claims ack %s exited %d", json_string_value (json_array_get (acks, i)), rc);
        json_decref (reply);
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Item 1: one unsound CLP

//  Copies source to target with the first SVC of the first paid, known
//  claim cut to "SVC*HC" (no procedure code). Gives the claim's PCN and
//  the SVC's segment number (ISA is 1).
static bool
s_write_unsound (const char *source, const char *target, json_t *by_pcn, char *pcn, size_t pcn_size,
                 uint64_t *segment)
{
    char *text = harness_slurp (source);
    if (!text)
        return false;
    bool ok = false;
    for (char *clp = strstr (text, "CLP*"); clp && !ok; clp = strstr (clp + 1, "CLP*")) {
        char id [64];
        snprintf (id, sizeof id, "%.*s", (int) strcspn (clp + 4, "*~"), clp + 4);
        if (strncmp (clp + 4 + strlen (id), "*1*", 3) || !json_object_get (by_pcn, id))
            continue;
        char *next_clp = strstr (clp + 4, "CLP*");
        char *svc = strstr (clp, "SVC*");
        if (!svc || (next_clp && svc > next_clp))
            continue;
        *segment = 1;
        for (const char *p = text; p < svc; p++)
            *segment += *p == '~';
        char *element_end = svc + 4 + strcspn (svc + 4, "*~");
        FILE *file = fopen (target, "wb");
        if (file) {
            fwrite (text, 1, (size_t) (svc - text), file);
            fputs ("SVC*HC", file);
            fputs (element_end, file);
            ok = fclose (file) == 0;
        }
        snprintf (pcn, pcn_size, "%s", id);
    }
    free (text);
    return ok;
}

//  CLPs and unknown-claim CLPs payer-sim put in one file.
static void
s_file_counts (json_t *expect, const char *file, int64_t *clps, int64_t *unknown)
{
    *clps = *unknown = 0;
    json_t *remittances = json_object_get (expect, "remittances");
    for (size_t i = 0; i < json_array_size (remittances); i++)
        if (streq (s_text (json_array_get (remittances, i), "file"), file))
            *clps += s_int (json_array_get (remittances, i), "claims");
    json_t *unknowns = json_object_get (expect, "unknown_claims");
    for (size_t i = 0; i < json_array_size (unknowns); i++)
        *unknown += streq (s_text (json_array_get (unknowns, i), "file"), file);
}

//  The exceptions of a kind for a PCN in `claims exceptions --json`.
static size_t
s_exceptions_of (s_run_t *run, json_t *list, const char *pcn, const char *kind, uint64_t *segment)
{
    size_t found = 0;
    for (size_t i = 0; i < json_array_size (list); i++) {
        json_t *e = json_array_get (list, i);
        if (streq (s_text (json_object_get (e, "remit"), "pcn"), pcn) && streq (s_text (e, "kind"), kind)) {
            found++;
            if (segment)
                *segment = (uint64_t) s_int (e, "segment");
        }
    }
    return found;
}

static void
s_unsound (s_run_t *run, json_t *expect, json_t *by_pcn, const char *file)
{
    char copy [PATH_MAX], pcn [64] = "";
    snprintf (copy, sizeof copy, "%s/unsound.x12", harness_dir (run->harness));
    uint64_t segment = 0;
    bool written = s_write_unsound (file, copy, by_pcn, pcn, sizeof pcn, &segment);
    harness_check (run, written, "cannot write a copy of %s with an unsound claim", file);
    if (!written)
        return;
    int64_t clps, unknown;
    s_file_counts (expect, file, &clps, &unknown);

    //  The damaged file: every other CLP posts, the bad one is listed.
    int rc;
    json_t *reply = s_ctl (run, &rc, "claims", "post", copy, NULL);
    json_t *filed = json_object_get (reply, "new_exceptions");
    json_t *bad = NULL;
    for (size_t i = 0; i < json_array_size (filed); i++)
        if (streq (s_text (json_object_get (json_array_get (filed, i), "remit"), "pcn"), pcn))
            bad = json_array_get (filed, i);
    char where [64];
    snprintf (where, sizeof where, "segment %" PRIu64 " (SVC): ", segment);
    harness_check (run, rc == 0 && s_int (reply, "claims_posted") == clps - unknown - 1
                && s_int (reply, "exceptions") == unknown + 1 && json_array_size (filed) == (size_t) unknown + 1,
             "claims post of %s with claim %s unsound: exit %d, %" PRId64 " posted, %" PRId64 " exceptions; the "
             "file has %" PRId64 " CLPs, %" PRId64 " for unknown claims", file, pcn, rc,
             s_int (reply, "claims_posted"), s_int (reply, "exceptions"), clps, unknown);
    harness_check (run, bad && streq (s_text (bad, "kind"), "unsound") && (uint64_t) s_int (bad, "segment") == segment
                && strstr (s_text (bad, "reason"), where)
                && strstr (s_text (bad, "reason"), "SVC01-2 procedure code is missing"),
             "claims post --json does not list claim %s as unsound at segment %" PRIu64 ": %s", pcn, segment,
             bad? s_text (bad, "reason"): "(not listed)");
    json_decref (reply);
    json_t *list = s_ctl (run, &rc, "claims", "exceptions", NULL);
    uint64_t listed_segment = 0;
    harness_check (run, rc == 0 && s_exceptions_of (run, list, pcn, "unsound", &listed_segment) == 1
                && listed_segment == segment,
             "claims exceptions: claim %s is not listed once as unsound at segment %" PRIu64, pcn, segment);
    json_decref (list);
    json_t *before = s_snapshot (run);
    json_t *claim = json_object_get (before, pcn);
    harness_check (run, claim && s_int (claim, "paid_cents") == 0 && json_array_size (json_object_get (claim, "postings")) == 0,
             "claim %s was posted from an unsound CLP", pcn);

    //  The corrected file: that claim, and nothing else.
    reply = s_ctl (run, &rc, "claims", "post", file, NULL);
    harness_check (run, rc == 0 && s_int (reply, "claims_posted") == 1 && s_int (reply, "exceptions") == 0
                && !json_is_true (json_object_get (reply, "duplicate")),
             "claims post of the corrected %s: exit %d, %" PRId64 " posted, %" PRId64 " exceptions; expected 1 and 0",
             file, rc, s_int (reply, "claims_posted"), s_int (reply, "exceptions"));
    json_decref (reply);
    json_t *after = s_snapshot (run);
    size_t changed = 0;
    const char *key;
    json_t *value;
    json_object_foreach (before, key, value) {
        if (streq (key, pcn) || json_equal (value, json_object_get (after, key)))
            continue;
        if (changed++ < POSTING_REPORT_MAX)
            harness_check (run, false, "claim %s changed when the corrected file posted only %s", key, pcn);
    }
    harness_check (run, changed == 0 && json_object_size (after) == json_object_size (before),
             "the corrected file changed %zu other claims", changed);
    json_t *want = json_object_get (by_pcn, pcn);
    claim = json_object_get (after, pcn);
    harness_check (run, claim && s_int (claim, "paid_cents") == s_int (want, "paid_cents")
                && streq (s_text (claim, "status"), s_text (want, "status"))
                && json_array_size (json_object_get (claim, "postings")) == 1,
             "claim %s after the corrected file: %s, paid %" PRId64 ", %zu postings; the payer paid %" PRId64 " (%s)",
             pcn, s_text (claim, "status"), s_int (claim, "paid_cents"),
             json_array_size (json_object_get (claim, "postings")), s_int (want, "paid_cents"), s_text (want, "status"));
    list = s_ctl (run, &rc, "claims", "exceptions", NULL);
    harness_check (run, rc == 0 && s_exceptions_of (run, list, pcn, "unsound", NULL) == 0,
             "claims exceptions still lists claim %s as unsound after the corrected file", pcn);
    json_decref (list);
    json_decref (before);

    //  Once more: nothing twice.
    reply = s_ctl (run, &rc, "claims", "post", file, NULL);
    harness_check (run, rc == 0 && json_is_true (json_object_get (reply, "duplicate"))
                && s_int (reply, "claims_posted") == 0 && s_int (reply, "exceptions") == 0,
             "claims post of %s a third time: exit %d, %" PRId64 " posted", file, rc, s_int (reply, "claims_posted"));
    json_decref (reply);
    json_t *again = s_snapshot (run);
    harness_check (run, json_equal (again, after), "posting %s a third time changed claims", file);
    json_decref (again);
    json_decref (after);
}

//  --------------------------------------------------------------------------
//  Item 4: the payer simulator run a second time

typedef struct {
    s_run_t *run;
    json_t *expected;           //  {"overall": cents, "payers": {payer: cents}}
} s_ar_t;

static json_t *
s_kpi (s_run_t *run, const char *by)
{
    return by? s_ctl (run, NULL, "metrics", "kpi", "--as-of", POSTING_AS_OF, "--window", POSTING_WINDOW,
                      "--by", by, NULL)
             : s_ctl (run, NULL, "metrics", "kpi", "--as-of", POSTING_AS_OF, "--window", POSTING_WINDOW, NULL);
}

//  The figures of one KPI set: A/R as expected, nothing below zero.
static void
s_ar_set (s_run_t *run, const char *where, json_t *set, int64_t expected)
{
    int64_t ar = s_int (set, "ar_cents");
    json_t *days = json_object_get (set, "days_in_ar");
    harness_check (run, ar == expected && s_int (set, "ar_insurance_cents") >= 0 && s_int (set, "ar_patient_cents") >= 0
                && (json_is_null (days) || !days || json_number_value (days) >= 0),
             "%s: A/R %" PRId64 " (insurance %" PRId64 ", patient %" PRId64 "), days in A/R %.1f; the payer's records "
             "say A/R %" PRId64 ", and none may be below zero", where, ar, s_int (set, "ar_insurance_cents"),
             s_int (set, "ar_patient_cents"), json_number_value (days), expected);
}

static int
s_ar_compare (s_run_t *run, json_t *expected)
{
    int before = run->failed;
    json_t *overall = s_kpi (run, NULL);
    s_ar_set (run, "overall", overall, s_int (expected, "overall"));
    json_decref (overall);
    //  Every payer of the claims, each with its A/R; a group without
    //  claims (intake's rejections have no payer) holds none.
    json_t *payers = json_object_get (expected, "payers");
    json_t *reply = s_kpi (run, "payer_id");
    json_t *groups = json_object_get (reply, "groups");
    size_t seen = 0;
    for (size_t i = 0; i < json_array_size (groups); i++) {
        json_t *set = json_array_get (groups, i);
        char where [96];
        snprintf (where, sizeof where, "payer '%s'", s_text (set, "key"));
        seen += json_object_get (payers, s_text (set, "key")) != NULL;
        s_ar_set (run, where, set, s_int (payers, s_text (set, "key")));
    }
    harness_check (run, seen == json_object_size (payers), "metrics kpi --by payer_id: %zu of the %zu payers",
             seen, json_object_size (payers));
    json_decref (reply);
    return run->failed - before;
}

static bool
s_ar_matches (void *arg)
{
    s_ar_t *wait = (s_ar_t *) arg;
    s_run_t scratch = *wait->run;
    scratch.failed = 0;
    scratch.failures [0] = 0;
    return s_ar_compare (&scratch, wait->expected) == 0;
}

static void
s_add (json_t *totals, const char *key, int64_t cents)
{
    json_object_set_new (totals, key, json_integer (s_int (totals, key) + cents));
}

static void
s_post_all (s_run_t *run, json_t *expect, const char *label, size_t from)
{
    json_t *files = json_object_get (json_object_get (expect, "files"), "835");
    for (size_t i = from; i < json_array_size (files); i++) {
        int rc;
        json_t *reply = s_ctl (run, &rc, "claims", "post", json_string_value (json_array_get (files, i)), NULL);
        harness_check (run, rc == 0, "%s: claims post %s exited %d", label, json_string_value (json_array_get (files, i)), rc);
        json_decref (reply);
    }
}

static void
s_second_run (s_run_t *run, json_t *expect1, json_t *by_pcn1)
{
    const char *dir = harness_dir (run->harness);
    char remits [PATH_MAX], expect [PATH_MAX], outbound [PATH_MAX];
    snprintf (remits, sizeof remits, "%s/remits2", dir);
    snprintf (expect, sizeof expect, "%s/remits2.json", dir);
    snprintf (outbound, sizeof outbound, "%s/data/outbound", dir);
    //  As the README has it, without --seed.
    char *simulate [] = { "--out", remits, "--expect", expect, outbound, NULL };
    int rc = harness_script (run->harness, "payer-sim", simulate, harness_scaled_ms (120000));
    harness_check (run, rc == 0, "payer-sim (run 2) exited %d", rc);
    json_t *expect2 = rc == 0? json_load_file (expect, 0, NULL): NULL;
    harness_check (run, expect2 != NULL, "cannot read %s", expect);
    if (!expect2)
        return;
    json_t *before = s_snapshot (run);
    s_post_all (run, expect2, "run 2", 0);
    json_t *after = s_snapshot (run);
    json_t *by_pcn2 = s_by_pcn (expect2);

    json_t *list = s_ctl (run, &rc, "claims", "exceptions", NULL);
    harness_check (run, rc == 0, "claims exceptions exited %d", rc);
    json_t *credits = s_ctl (run, &rc, "claims", "credits", NULL);
    json_t *rows = json_object_get (credits, "credits");
    harness_check (run, rc == 0 && json_is_array (rows), "claims credits exited %d or gave no \"credits\" array", rc);
    json_t *credit_of = json_object ();
    static const char *const fields [] = { "pcn", "payer_id", "credit_cents", "since", "age_days" };
    for (size_t i = 0; i < json_array_size (rows); i++) {
        json_t *row = json_array_get (rows, i);
        harness_check (run, json_object_size (row) == 5, "claims credits: a row has %zu fields, not 5",
                 json_object_size (row));
        for (size_t f = 0; f < 5; f++)
            harness_check (run, json_object_get (row, fields [f]) != NULL, "claims credits: a row has no \"%s\"", fields [f]);
        json_object_set (credit_of, s_text (row, "pcn"), row);
    }

    //  Claim by claim, from the two runs' records.
    json_t *ar = json_object ();
    json_t *payers = json_object ();
    json_object_set_new (ar, "overall", json_integer (0));
    json_object_set_new (ar, "payers", payers);
    size_t paid_claims = 0, wrong = 0, credited = 0;
    const char *pcn;
    json_t *one;
    json_object_foreach (by_pcn1, pcn, one) {
        json_t *two = json_object_get (by_pcn2, pcn);
        json_t *claim = json_object_get (after, pcn);
        int64_t charge = s_int (one, "charge_cents"), claim_ar;
        json_t *credit = json_object_get (credit_of, pcn);
        if (s_int (one, "paid_cents") > 0) {
            paid_claims++;
            claim_ar = charge - s_int (one, "paid_cents") - s_int (one, "contractual_cents");
            int64_t held = two? s_int (two, "paid_cents"): 0;
            bool adjudicated = two && json_array_size (json_object_get (two, "remits")) > 0;
            bool right = claim && s_int (claim, "paid_cents") == s_int (one, "paid_cents")
                      && streq (s_text (claim, "status"), s_text (one, "status"))
                      && json_equal (json_object_get (claim, "postings"),
                                     json_object_get (json_object_get (before, pcn), "postings"))
                      && (!adjudicated || s_exceptions_of (run, list, pcn, "contradicts", NULL) > 0)
                      && (held > 0? credit && s_int (credit, "credit_cents") == held
                                    && streq (s_text (credit, "payer_id"), s_text (one, "payer_id"))
                                    && streq (s_text (credit, "since"), "2026-11-02")
                                    && s_int (credit, "age_days") == 0
                                  : !credit);
            credited += held > 0;
            if (!right && wrong++ < POSTING_REPORT_MAX)
                harness_check (run, false, "claim %s, paid %" PRId64 " by run 1 (%s): now %s paid %" PRId64 ", %zu "
                         "contradicts exceptions, credit %" PRId64 "; run 2 paid it %" PRId64 " and should change "
                         "nothing but the credit", pcn, s_int (one, "paid_cents"), s_text (one, "status"),
                         s_text (claim, "status"), s_int (claim, "paid_cents"),
                         s_exceptions_of (run, list, pcn, "contradicts", NULL),
                         credit? s_int (credit, "credit_cents"): 0, held);
        }
        else {
            //  Run 1 paid nothing: run 2's adjudication posts on top.
            claim_ar = charge - s_int (one, "contractual_cents")
                     - (two? s_int (two, "paid_cents") + s_int (two, "contractual_cents"): 0);
            if (credit && wrong++ < POSTING_REPORT_MAX)
                harness_check (run, false, "claim %s has a credit of %" PRId64 "; run 1 paid it nothing", pcn,
                         s_int (credit, "credit_cents"));
        }
        s_add (ar, "overall", claim_ar);
        s_add (payers, s_text (one, "payer_id"), claim_ar);
    }
    harness_check (run, wrong == 0 && paid_claims > 50 && credited > 20
                && json_array_size (rows) == credited,
             "run 2: %zu of %zu claims paid by run 1 wrong; %zu credits listed, %zu expected", wrong, paid_claims,
             json_array_size (rows), credited);
    fprintf (stderr, "test_posting: run 2 posted over %zu paid claims: %zu credit balances\n", paid_claims, credited);

    s_ar_t wait = { run, ar };
    harness_wait_until (s_ar_matches, &wait, harness_scaled_ms (60000), 500);
    s_ar_compare (run, ar);
    json_decref (ar);
    json_decref (credit_of);
    json_decref (credits);
    json_decref (list);
    json_decref (by_pcn2);
    json_decref (after);
    json_decref (before);
    json_decref (expect2);
}

//  --------------------------------------------------------------------------

START_TEST (test_posting_rules)
{
    s_run_t run;
    json_t *expect = NULL;
    if (!s_start (&run) || !s_prepare (&run, &expect)) {
        json_decref (expect);
        s_finish (&run);
        return;
    }
    json_t *by_pcn = s_by_pcn (expect);
    json_t *files = json_object_get (json_object_get (expect, "files"), "835");
    harness_check (&run, json_array_size (files) > 1, "payer-sim wrote %zu 835 files", json_array_size (files));
    if (json_array_size (files) > 1) {
        s_unsound (&run, expect, by_pcn, json_string_value (json_array_get (files, 0)));
        s_post_all (&run, expect, "run 1", 1);
        s_second_run (&run, expect, by_pcn);
    }
    json_decref (by_pcn);
    json_decref (expect);
    s_finish (&run);
}
END_TEST

Suite *
posting_suite (void)
{
    Suite *suite = suite_create ("posting");
    TCase *tcase = tcase_create ("835 posting rules through the real processes");
    tcase_set_timeout (tcase, POSTING_TIMEOUT_S * (harness_scaled_ms (1000) / 1000));
    tcase_add_test (tcase, test_posting_rules);
    suite_add_tcase (suite, tcase);
    return suite;
}
