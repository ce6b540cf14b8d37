/*  test_metrics: the KPIs through real processes (issue 5, "what it must
    show"): a generated 837P goes through rcmq-intake, rcmq-claims submits
    it, scripts/payer-sim plays the payers (277CA, two waves of 835s with
    reversals) and rcmq-claims posts them; rcmq-metrics consumes it all.

    Every KPI, overall and grouped by payer and by queue, must equal what
    this test computes itself from the generator's expectation (received,
    clean, payer), the 837P file (dates of service, read here with a few
    lines of string scanning) and the payer simulator's record of what it
    decided for each claim (first adjudication, payments, CO-45, patient
    responsibility): never from rcmq's stores. Queues: one made with
    `rcmqctl queue create --payer-ids` for two payers, the default queue for
    the rest, so this test routes claims itself.

    Then `metrics rebuild` must give identical figures, and so must a
    rebuild during which rcmq-metrics is SIGKILLed and restarted mid-stream.

    Figures are read as of 2026-12-31 over 365 days, so every claim (dates
    of service in 2026, everything posted on the processes' clock day,
    2026-11-02) is inside.
*/
#include "suites.h"
#include "harness.h"

#include <czmq.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>

#ifdef RCMQ_SANITIZED
#   define METRICS_CLAIMS   "400"
#else
#   define METRICS_CLAIMS   "2000"
#endif
#define METRICS_NOW         "2026-11-02T12:00:00Z"
#define METRICS_AS_OF       "2026-12-31"
#define METRICS_WINDOW      365
#define METRICS_QUEUE       "q-pilot"
#define METRICS_QUEUE_PAYERS "87726,60054"
#define METRICS_TEST_TIMEOUT_S 240

typedef struct {
    harness_t *harness;
    const char *config;
    harness_proc_t *procs [5];
    char failures [16384];
    int failed;
} s_run_t;

static const char *const s_names [] = { "broker", "intake", "claims", "metrics", NULL };

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

static bool
s_start (s_run_t *run)
{
    memset (run, 0, sizeof *run);
    setenv ("RCMQ_NOW", METRICS_NOW, 1);
    run->harness = harness_new ("metrics");
    if (!run->harness || harness_keys (run->harness, NULL)) {
        harness_check (run, false, "cannot make keys");
        return false;
    }
    run->config = harness_config (run->harness);
    if (!run->config
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
    if (run->harness)
        harness_destroy (&run->harness, run->failed > 0);
    ck_assert_msg (run->failed == 0, "%d check(s) failed:\n%s", run->failed, run->failures);
}

//  --------------------------------------------------------------------------
//  The figures this test expects, from the generator's and the payer's records

typedef struct {
    int64_t received, clean;
    int64_t first, first_denied, first_cents, first_denied_cents;
    int64_t charges, paid, contractual;
    int64_t insurance, patient;
    int64_t aging [5];
} s_figures_t;

static uint32_t
s_day (const char *ccyymmdd)
{
    int year, month, day;
    if (!ccyymmdd || sscanf (ccyymmdd, "%4d%2d%2d", &year, &month, &day) != 3)
        return 0;
    //  Days from civil (Howard Hinnant's algorithm), independent of rcmq's clock.
    year -= month <= 2;
    int era = (year >= 0? year: year - 399) / 400;
    unsigned yoe = (unsigned) (year - era * 400);
    unsigned doy = (153 * (unsigned) (month + (month > 2? -3: 9)) + 2) / 5 + (unsigned) day - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (uint32_t) (era * 146097 + (int) doe - 719468);
}

//  PCN -> earliest DTP*472 date, from the 837P text (first occurrence of
//  a PCN wins: a later duplicate is the one intake rejects).
static zhashx_t *
s_dates_of_service (const char *path)
{
    zhashx_t *dates = zhashx_new ();
    zhashx_set_destructor (dates, (zhashx_destructor_fn *) zstr_free);
    char *text = harness_slurp (path);
    char pcn [64] = "", earliest [9] = "";
    bool skip = false;
    for (char *save = NULL, *segment = text? strtok_r (text, "~\r\n", &save): NULL; segment;
         segment = strtok_r (NULL, "~\r\n", &save)) {
        bool claim = !strncmp (segment, "CLM*", 4), end = claim || !strncmp (segment, "HL*", 3) || !strncmp (segment, "SE*", 3);
        if (end && *pcn && *earliest && !skip)
            zhashx_insert (dates, pcn, strdup (earliest));
        if (end)
            *pcn = *earliest = 0;
        if (claim) {
            snprintf (pcn, sizeof pcn, "%.*s", (int) strcspn (segment + 4, "*"), segment + 4);
            skip = zhashx_lookup (dates, pcn) != NULL;
        }
        if (*pcn && !strncmp (segment, "DTP*472*D8*", 11)) {
            char date [9];
            snprintf (date, sizeof date, "%s", segment + 11);
            if (!*earliest || strcmp (date, earliest) < 0)
                snprintf (earliest, sizeof earliest, "%s", date);
        }
    }
    free (text);
    return dates;
}

static const char *
s_queue_of (const char *payer)
{
    return *payer && strstr (METRICS_QUEUE_PAYERS, payer)? METRICS_QUEUE: "default";
}

static s_figures_t *
s_figures (zhashx_t *groups, const char *key)
{
    s_figures_t *figures = (s_figures_t *) zhashx_lookup (groups, key);
    if (!figures) {
        figures = (s_figures_t *) zmalloc (sizeof (s_figures_t));
        zhashx_insert (groups, key, figures);
    }
    return figures;
}

static int64_t
s_int (json_t *object, const char *key)
{
    return (int64_t) json_integer_value (json_object_get (object, key));
}

//  Figures per group key: "" overall, "payer_id:<id>", "queue:<id>".
static zhashx_t *
s_expected (s_run_t *run, json_t *generated, json_t *payer, zhashx_t *dates)
{
    zhashx_t *groups = zhashx_new ();
    zhashx_set_destructor (groups, (zhashx_destructor_fn *) zstr_free);
    uint32_t as_of = s_day ("20261231"), from = as_of - METRICS_WINDOW + 1;
    json_t *claims = json_object_get (generated, "claims");
    for (size_t i = 0; i < json_array_size (claims); i++) {
        json_t *claim = json_array_get (claims, i);
        const char *payer_id = json_string_value (json_object_get (claim, "payer_id"));
        char keys [3][96];
        snprintf (keys [0], sizeof keys [0], "%s", "");
        snprintf (keys [1], sizeof keys [1], "payer_id:%s", payer_id? payer_id: "");
        snprintf (keys [2], sizeof keys [2], "queue:%s", s_queue_of (payer_id? payer_id: ""));
        for (int k = 0; k < 3; k++) {
            s_figures_t *figures = s_figures (groups, keys [k]);
            figures->received++;
            figures->clean += json_is_true (json_object_get (claim, "accepted"));
        }
    }
    claims = json_object_get (payer, "claims");
    for (size_t i = 0; i < json_array_size (claims); i++) {
        json_t *claim = json_array_get (claims, i);
        const char *pcn = json_string_value (json_object_get (claim, "pcn"));
        const char *payer_id = json_string_value (json_object_get (claim, "payer_id"));
        const char *first = json_string_value (json_object_get (claim, "first_adjudication"));
        const char *dos_text = (const char *) zhashx_lookup (dates, pcn);
        uint32_t dos = s_day (dos_text);
        harness_check (run, dos != 0, "no date of service in the 837P for %s", pcn);
        int64_t charge = s_int (claim, "charge_cents"), paid = s_int (claim, "paid_cents");
        int64_t contractual = s_int (claim, "contractual_cents");
        int64_t patient = s_int (claim, "patient_responsibility_cents");
        int64_t age = (int64_t) as_of - dos;
        int bucket = age <= 30? 0: age <= 60? 1: age <= 90? 2: age <= 120? 3: 4;
        char keys [3][96];
        snprintf (keys [0], sizeof keys [0], "%s", "");
        snprintf (keys [1], sizeof keys [1], "payer_id:%s", payer_id);
        snprintf (keys [2], sizeof keys [2], "queue:%s", s_queue_of (payer_id));
        for (int k = 0; k < 3; k++) {
            s_figures_t *figures = s_figures (groups, keys [k]);
            if (first) {
                bool denied = streq (first, "denied");
                figures->first++;
                figures->first_cents += charge;
                figures->first_denied += denied;
                figures->first_denied_cents += denied? charge: 0;
            }
            if (dos >= from && dos <= as_of) {
                figures->charges += charge;
                figures->paid += paid;
                figures->contractual += contractual;
            }
            figures->insurance += charge - paid - contractual - patient;
            figures->patient += patient;
            figures->aging [bucket] += charge - paid - contractual;
        }
    }
    return groups;
}

//  --------------------------------------------------------------------------
//  Comparing

static void
s_rate (s_run_t *run, const char *where, json_t *set, const char *name, int64_t numerator,
        int64_t denominator, double scale)
{
    json_t *value = json_object_get (set, name);
    if (denominator <= 0) {
        harness_check (run, json_is_null (value), "%s %s: expected n/a (null)", where, name);
        return;
    }
    double expected = scale * (double) numerator / (double) denominator;
    harness_check (run, json_is_number (value) && fabs (json_number_value (value) - expected) < 1e-9,
             "%s %s: %.12g, expected %.12g (%lld / %lld)", where, name, json_number_value (value),
             expected, (long long) numerator, (long long) denominator);
}

static void
s_cents (s_run_t *run, const char *where, json_t *set, const char *name, int64_t expected)
{
    int64_t value = s_int (set, name);
    harness_check (run, value == expected, "%s %s: %lld, expected %lld", where, name, (long long) value, (long long) expected);
}

static void
s_compare_set (s_run_t *run, const char *where, json_t *set, const s_figures_t *expected)
{
    static const char *const buckets [] = { "0_30", "31_60", "61_90", "91_120", "over_120" };
    if (!set || !expected) {
        harness_check (run, false, "%s: %s", where, set? "not expected": "missing from rcmqctl's output");
        return;
    }
    int64_t ar = expected->insurance + expected->patient;
    s_rate (run, where, set, "clean_claim_rate", expected->clean, expected->received, 1);
    s_rate (run, where, set, "initial_denial_rate", expected->first_denied, expected->first, 1);
    s_rate (run, where, set, "initial_denial_rate_dollars", expected->first_denied_cents, expected->first_cents, 1);
    s_rate (run, where, set, "net_collection_rate", expected->paid, expected->charges - expected->contractual, 1);
    s_rate (run, where, set, "days_in_ar", ar, expected->charges, METRICS_WINDOW);
    s_rate (run, where, set, "pct_ar_over_90", expected->aging [3] + expected->aging [4], ar, 1);
    s_cents (run, where, set, "ar_cents", ar);
    s_cents (run, where, set, "ar_insurance_cents", expected->insurance);
    s_cents (run, where, set, "ar_patient_cents", expected->patient);
    s_cents (run, where, set, "received", expected->received);
    json_t *aging = json_object_get (set, "aging");
    for (int b = 0; b < 5; b++)
        s_cents (run, where, aging, buckets [b], expected->aging [b]);
}

static json_t *
s_kpi (s_run_t *run, const char *by)
{
    char window [16];
    snprintf (window, sizeof window, "%d", METRICS_WINDOW);
    return by? s_ctl (run, NULL, "metrics", "kpi", "--as-of", METRICS_AS_OF, "--window", window, "--by", by, NULL)
             : s_ctl (run, NULL, "metrics", "kpi", "--as-of", METRICS_AS_OF, "--window", window, NULL);
}

//  Compares overall, by payer and by queue; returns the failures added.
static int
s_compare (s_run_t *run, zhashx_t *expected)
{
    int before = run->failed;
    json_t *overall = s_kpi (run, NULL);
    s_compare_set (run, "overall", overall, (s_figures_t *) zhashx_lookup (expected, ""));
    json_decref (overall);
    static const char *const dims [] = { "payer_id", "queue" };
    for (int d = 0; d < 2; d++) {
        json_t *reply = s_kpi (run, dims [d]);
        json_t *groups = json_object_get (reply, "groups");
        size_t expected_groups = 0;
        for (s_figures_t *figures = (s_figures_t *) zhashx_first (expected); figures;
             figures = (s_figures_t *) zhashx_next (expected))
            expected_groups += !strncmp ((const char *) zhashx_cursor (expected), dims [d], strlen (dims [d]));
        harness_check (run, json_array_size (groups) == expected_groups, "by %s: %zu groups, expected %zu",
                 dims [d], json_array_size (groups), expected_groups);
        for (size_t i = 0; i < json_array_size (groups); i++) {
            json_t *set = json_array_get (groups, i);
            char key [128];
            snprintf (key, sizeof key, "%s:%s", dims [d], json_string_value (json_object_get (set, "key")));
            s_compare_set (run, key, set, (s_figures_t *) zhashx_lookup (expected, key));
        }
        json_decref (reply);
    }
    return run->failed - before;
}

typedef struct {
    s_run_t *run;
    zhashx_t *expected;
    json_t *reference;
} s_wait_t;

//  True once the figures match (the failures of a try are forgotten).
static bool
s_matches (void *arg)
{
    s_wait_t *wait = (s_wait_t *) arg;
    s_run_t scratch = *wait->run;
    scratch.failed = 0;
    scratch.failures [0] = 0;
    if (wait->expected)
        return s_compare (&scratch, wait->expected) == 0;
    json_t *now [3] = { s_kpi (wait->run, NULL), s_kpi (wait->run, "payer_id"), s_kpi (wait->run, "queue") };
    bool equal = true;
    for (int i = 0; i < 3; i++) {
        equal = equal && now [i] && json_equal (now [i], json_array_get (wait->reference, (size_t) i));
        json_decref (now [i]);
    }
    return equal;
}

//  --------------------------------------------------------------------------

START_TEST (test_metrics_end_to_end)
{
    s_run_t run;
    if (!s_start (&run)) {
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

    //  A queue of two payers; the rest go to the default queue.
    json_t *queue = s_ctl (&run, NULL, "queue", "create", METRICS_QUEUE, "--payer-ids", METRICS_QUEUE_PAYERS,
                           "--owner-team", "internal-ar", NULL);
    harness_check (&run, queue != NULL, "queue create failed");
    json_decref (queue);

    char *generate [] = { "--seed", "5", "--claims", METRICS_CLAIMS, "--error-rate", "ALL=0.03",
                          "--replacement-rate", "0", "--date", "2026-11-02", "--out", in, "--expect", expect, NULL };
    harness_check (&run, harness_script (run.harness, "gen-837", generate, harness_scaled_ms (120000)) == 0,
             "gen-837 failed");
    json_t *generated = json_load_file (expect, 0, NULL);
    int rc;
    json_t *batch = s_ctl (&run, &rc, "intake", "submit", in, NULL);
    harness_check (&run, rc == 0 && batch, "intake submit exited %d", rc);
    int64_t accepted = s_int (batch, "accepted");
    json_decref (batch);

    //  Submit until every accepted claim went out (claims applies intake's
    //  events asynchronously).
    int64_t submitted = 0;
    uint64_t deadline = harness_now_ms () + (uint64_t) harness_scaled_ms (60000);
    while (submitted < accepted && harness_now_ms () < deadline) {
        json_t *reply = s_ctl (&run, NULL, "claims", "submit", NULL);
        submitted += s_int (reply, "claims");
        json_decref (reply);
        if (submitted < accepted)
            harness_sleep_ms (300);
    }
    harness_check (&run, submitted == accepted, "claims submitted %lld of %lld accepted", (long long) submitted, (long long) accepted);

    char *simulate [] = { "--seed", "5", "--out", remits, "--expect", remits_expect, outbound, NULL };
    harness_check (&run, harness_script (run.harness, "payer-sim", simulate, harness_scaled_ms (120000)) == 0,
             "payer-sim failed");
    json_t *payer = json_load_file (remits_expect, 0, NULL);
    json_t *files = json_object_get (json_object_get (payer, "files"), "277ca");
    for (size_t i = 0; i < json_array_size (files); i++) {
        //  Acknowledgements change no figure compared here; claims.Acknowledge
        //  may not exist yet, so its failure is not one of this test's.
        json_t *reply = s_ctl (&run, NULL, "claims", "ack", json_string_value (json_array_get (files, i)), NULL);
        json_decref (reply);
    }
    files = json_object_get (json_object_get (payer, "files"), "835");
    for (size_t i = 0; i < json_array_size (files); i++) {
        json_t *reply = s_ctl (&run, &rc, "claims", "post", json_string_value (json_array_get (files, i)), NULL);
        harness_check (&run, rc == 0, "claims post %s exited %d", json_string_value (json_array_get (files, i)), rc);
        json_decref (reply);
    }

    zhashx_t *dates = s_dates_of_service (in);
    zhashx_t *expected = s_expected (&run, generated, payer, dates);
    s_wait_t wait = { &run, expected, NULL };
    //  Metrics applies the streams as they come: wait for the figures, then
    //  compare once more to report what differs.
    harness_wait_until (s_matches, &wait, harness_scaled_ms (60000), 500);
    //  Work items (issue 15): every claim submitted got a follow-up item,
    //  created on the processes' clock day, inside the window. The rebuild
    //  comparisons below hold the work figures too, so a SIGKILL during
    //  the replay must not count an item's creation, first touch or end
    //  twice.
    json_t *work = s_kpi (&run, NULL);
    harness_check (&run, work && s_int (work, "work_created") == submitted,
                   "work_created %lld, expected %lld (claims submitted)",
                   (long long) s_int (work, "work_created"), (long long) submitted);
    json_decref (work);
    if (s_compare (&run, expected) == 0) {
        //  Rebuild: the same figures again.
        json_t *reference = json_array ();
        json_array_append_new (reference, s_kpi (&run, NULL));
        json_array_append_new (reference, s_kpi (&run, "payer_id"));
        json_array_append_new (reference, s_kpi (&run, "queue"));
        wait = (s_wait_t) { &run, NULL, reference };
        json_t *reply = s_ctl (&run, &rc, "metrics", "rebuild", NULL);
        harness_check (&run, rc == 0 && s_int (reply, "facts_cleared") > 0, "metrics rebuild exited %d", rc);
        json_decref (reply);
        harness_check (&run, harness_wait_until (s_matches, &wait, harness_scaled_ms (60000), 300),
                 "figures after metrics rebuild differ");
        //  Rebuild again and SIGKILL metrics while it replays.
        reply = s_ctl (&run, &rc, "metrics", "rebuild", NULL);
        json_decref (reply);
        harness_sleep_ms (20);
        harness_kill (run.procs [3], SIGKILL);
        harness_wait (run.procs [3], 5000);
        run.procs [3] = harness_spawn_service (run.harness, s_names [3]);
        harness_check (&run, harness_wait_until (s_matches, &wait, harness_scaled_ms (60000), 300),
                 "figures after a SIGKILL mid-rebuild and a restart differ");
        s_compare (&run, expected);
        json_decref (reference);
    }
    zhashx_destroy (&expected);
    zhashx_destroy (&dates);
    json_decref (generated);
    json_decref (payer);
    s_finish (&run);
}
END_TEST

Suite *
metrics_suite (void)
{
    Suite *suite = suite_create ("metrics");
    TCase *tcase = tcase_create ("end to end");
    tcase_set_timeout (tcase, METRICS_TEST_TIMEOUT_S);
    tcase_add_test (tcase, test_metrics_end_to_end);
    suite_add_tcase (suite, tcase);
    return suite;
}
