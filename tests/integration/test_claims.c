/*  test_claims: the whole claim cycle through the real rcmq-broker,
    rcmq-intake and rcmq-claims (issue 4, "what it must show").

    Each test makes a fresh deployment and drives it only through rcmqctl:

        scripts/gen-837 (2,000 claims, a few with scrub errors so intake
        rejects some, 2 % replacing an earlier claim of the file) -> `intake submit` -> claims consumes
        intake.claim_accepted -> `claims submit` writes 837P files to the
        outbound dir -> scripts/payer-sim on that dir (seeded; paid, partial,
        denied and reversed claims, two waves, PLB, missing 277CAs, remits
        for claims we never sent) -> `claims ack` every 277CA -> `claims post`
        every wave-1 835, then every wave-2 835.

    The processes run with RCMQ_NOW = the files' BHT04 date, as gen-837
    assumes for timely filing.

      cycle   after everything is posted, for EVERY claim the simulator saw:
              status, paid_cents, patient_responsibility_cents and
              adjustments (net after reversals, one entry per (group, CARC),
              zero sums left out, as posting.c keeps them) equal what the
              payer decided (payer-sim --expect), and so do contractual and
              denied cents, the first adjudication and the denial reasons
              (group, CARC, RARCs and amount per claim and line; s_denials
              says the one way the two define a denial differently).
              `claims list` holds exactly those PCNs; `claims exceptions`
              exactly the remits for the unknown claims, each once; the
              277CA replies count what the payer acknowledged; each post's
              reply counts the file's CLPs, exceptions and PLB. On the way:
                - posting a wave-1 835 again answers duplicate=true, and a
                  full snapshot of `claims list --json` (every claim with
                  its postings and history) is the same JSON before and
                  after; so again at the end, with every file posted twice;
                - a copy of a wave-2 835 with one CLP04 raised by 1.00 is
                  refused, the error naming the claim and the amounts that
                  do not add up; nothing changed (same snapshot), and the
                  real file then posts as new (no trace was recorded).
      crash   the same cycle on a fresh deployment with other seeds, but
              rcmq-claims is SIGKILLed while the 835s are being posted: the
              posts run one after another in the background and, from 0.4 s
              on, the kill comes once claims has spent 4 ms of CPU on the
              post in flight (so it is inside that post's transaction).
              After a restart every 835 is posted again (safe: dedup by
              payer + trace): the files committed before the kill answer
              duplicate, exactly a prefix of them (a file is one
              transaction: posted whole or not at all), and the end result
              equals the expectation as in cycle, exceptions included.

    Failures are collected rather than asserted one by one, so the processes
    are stopped, the logs' tails printed and the temp dir removed before
    Check reports them.
*/
#include "suites.h"
#include "harness.h"
#include "codec.h"

#include <ctype.h>
#include <jansson.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

//  Under sanitizers too: the whole suite takes about a minute there.
#define CLAIMS_COUNT            "2000"
#define CLAIMS_TEST_TIMEOUT_S   200
#define CLAIMS_NOW              "2026-11-02T12:00:00Z"
#define CLAIMS_DATE             "2026-11-02"
#define CLAIMS_REPORT_MAX       5       //  detailed lines per kind of mismatch
#define CLAIMS_MAX_FILES        64
#define CLAIMS_PAGE             1000
//  The crash: once half the 835s are posted, claims is killed when it has
//  spent this much CPU on the post in flight (a 300-claim 835 took 10-30
//  ms). Not after a time: the posts got faster, and all twelve were once
//  done in 0.9 s, before a kill timed at 400 ms (scaled) came.
#define CLAIMS_KILL_CPU_MS      2
//  claims/submit-file-claims here: ~400 claims a payer go out in two or
//  more files each, so the cycle runs through a submit split into files.
#define CLAIMS_FILE_CLAIMS      250

typedef struct {
    harness_t *harness;
    const char *config;
    harness_proc_t *broker;
    harness_proc_t *intake;
    harness_proc_t *claims;
    char failures [16384];
    int failed;
    //  What payer-sim decided, and its files (absolute paths).
    json_t *expect;
    json_t *by_pcn;             //  PCN -> claim of the expectation
    char *files_835 [CLAIMS_MAX_FILES];     //  wave 1 first, then wave 2
    size_t wave1_count;
    size_t count_835;
    size_t intake_events;       //  claims + batch_completed on stream intake
} s_run_t;

static const char *
s_text (json_t *object, const char *key)
{
    const char *value = json_string_value (json_object_get (object, key));
    return value? value: "";
}

static int64_t
s_int (json_t *object, const char *key)
{
    return (int64_t) json_integer_value (json_object_get (object, key));
}

//  --------------------------------------------------------------------------
//  rcmqctl

//  rcmqctl --json ARGS..., parsed (NULL when it printed no JSON), the exit
//  code in *rc_out.
static json_t *
s_ctl (s_run_t *run, int *rc_out, int timeout_ms, ...)
{
    va_list args;
    va_start (args, timeout_ms);
    json_t *json = harness_ctl_json_va (run->harness, "rcmqctl", rc_out, timeout_ms, args);
    va_end (args);
    return json;
}

//  --------------------------------------------------------------------------
//  The deployment

//  The processes this suite starts, in order.
static const char *const s_services [] = { "broker", "intake", "claims", NULL };

static bool
s_start (s_run_t *run, const char *tag)
{
    memset (run, 0, sizeof *run);
    //  gen-837 dates its files 2026-11-02 and judges timely filing from
    //  that day; every process we start inherits this clock.
    setenv ("RCMQ_NOW", CLAIMS_NOW, 1);
    run->harness = harness_new (tag);
    if (!run->harness || harness_keys (run->harness, NULL)) {
        harness_check (run, false, "cannot make keys");
        return false;
    }
    run->config = harness_config (run->harness);
    //  The outbound dir is left to its default, <data/dir>/outbound.
    if (!run->config
    ||  harness_config_append (run->harness,
                               "intake\n    api = \"tcp://127.0.0.1:%d\"\n"
                               "    inbox-dir = \"%s/inbox\"\n    ack-dir = \"%s/acks\"\n"
                               "claims\n    api = \"tcp://127.0.0.1:%d\"\n    submit-file-claims = %d\n",
                               harness_free_port (), harness_dir (run->harness),
                               harness_dir (run->harness), harness_free_port (), CLAIMS_FILE_CLAIMS)) {
        harness_check (run, false, "cannot write config");
        return false;
    }
    harness_proc_t *procs [3] = { NULL };
    bool up = harness_start_services (run->harness, s_services, procs, harness_scaled_ms (30000));
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
    json_decref (run->expect);
    json_decref (run->by_pcn);
    for (size_t i = 0; i < run->count_835; i++)
        free (run->files_835 [i]);
    if (run->harness)
        harness_destroy (&run->harness, run->failed > 0);
    ck_assert_msg (run->failed == 0, "%d check(s) failed:\n%s", run->failed, run->failures);
}

//  --------------------------------------------------------------------------
//  From 837P to the payer's answers

static bool
s_claims_caught_up (void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    return (size_t) harness_consumed (run->harness, "claims", "intake") >= run->intake_events;
}

typedef struct {
    const char *dir;
    json_t *files;
} s_files_t;

static bool
s_files_written (void *arg)
{
    s_files_t *wait = (s_files_t *) arg;
    for (size_t i = 0; i < json_array_size (wait->files); i++) {
        const char *name = json_string_value (json_array_get (wait->files, i));
        const char *slash = strrchr (name, '/');
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", wait->dir, slash? slash + 1: name);
        struct stat st;
        if (stat (path, &st))
            return false;
    }
    return true;
}

static int
s_compare_text (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

//  gen-837 -> intake -> claims submit -> payer-sim, and the expectation
//  loaded. False (with the failure recorded) when a step did not work.
//  Every 837P file holds at most CLAIMS_FILE_CLAIMS claims (CLM segments,
//  one a line), together exactly the claims submitted, and there are more
//  files than gen-837's six payers: some payer's claims took several.
static void
s_check_file_claims (s_run_t *run, const char *outbound, json_t *files, size_t submitted)
{
    size_t total = 0, largest = 0;
    for (size_t i = 0; i < json_array_size (files); i++) {
        const char *name = json_string_value (json_array_get (files, i));
        const char *slash = strrchr (name, '/');
        char *path = zsys_sprintf ("%s/%s", outbound, slash? slash + 1: name);
        char *text = harness_slurp (path);
        zstr_free (&path);
        size_t clms = 0;
        for (const char *line = text; line && *line; ) {
            clms += strncmp (line, "CLM", 3) == 0;
            const char *end = strchr (line, '\n');
            line = end? end + 1: NULL;
        }
        free (text);
        total += clms;
        largest = clms > largest? clms: largest;
    }
    harness_check (run, largest <= CLAIMS_FILE_CLAIMS && total == submitted
                        && json_array_size (files) * CLAIMS_FILE_CLAIMS >= submitted
                        && json_array_size (files) > 6,
                   "claims submit with submit-file-claims = %d: %zu files, the largest with %zu claims, %zu claims "
                   "in all; expected files of at most %d claims holding the %zu submitted, more than one a payer",
                   CLAIMS_FILE_CLAIMS, json_array_size (files), largest, total, CLAIMS_FILE_CLAIMS, submitted);
}

static bool
s_prepare (s_run_t *run, const char *gen_seed, const char *sim_seed)
{
    const char *dir = harness_dir (run->harness);
    char in [PATH_MAX], in_expect [PATH_MAX], remits [PATH_MAX], expect [PATH_MAX], outbound [PATH_MAX];
    snprintf (in, sizeof in, "%s/claims.837", dir);
    snprintf (in_expect, sizeof in_expect, "%s/claims.json", dir);
    snprintf (remits, sizeof remits, "%s/remits", dir);
    snprintf (expect, sizeof expect, "%s/remits.json", dir);
    snprintf (outbound, sizeof outbound, "%s/data/outbound", dir);

    char *gen [] = { "--seed", (char *) gen_seed, "--claims", CLAIMS_COUNT, "--date", CLAIMS_DATE,
                     "--error-rate", "ALL=0.004", "--replacement-rate", "0.02", "--out", in, "--expect", in_expect, NULL };
    int rc = harness_script (run->harness, "gen-837", gen, 120000);
    harness_check (run, rc == 0, "scripts/gen-837 exited %d", rc);
    if (rc)
        return false;
    //  A replacement takes over the PCN of the claim it replaces: claims
    //  keeps one record per PCN, and submits each once.
    json_t *generated = json_load_file (in_expect, 0, NULL);
    json_t *records = json_object_get (generated, "claims");
    size_t generated_claims = json_array_size (records);
    size_t accepted = 0;
    json_t *pcns = json_object ();
    for (size_t i = 0; i < generated_claims; i++)
        if (json_is_true (json_object_get (json_array_get (records, i), "accepted"))) {
            accepted++;
            json_object_set_new (pcns, s_text (json_array_get (records, i), "pcn"), json_true ());
        }
    size_t accepted_pcns = json_object_size (pcns);
    json_decref (pcns);
    json_decref (generated);
    run->intake_events = generated_claims + 1;

    uint64_t started = harness_now_ms ();
    json_t *batch = s_ctl (run, &rc, 150000, "intake", "submit", in, NULL);
    harness_check (run, rc == 0 && s_int (batch, "accepted") == (int64_t) accepted
                && s_int (batch, "accepted") < s_int (batch, "claims"),
             "intake submit: exit %d, %" PRId64 " of %" PRId64 " claims accepted; gen-837 expects %zu of %zu, "
             "some rejected", rc, s_int (batch, "accepted"), s_int (batch, "claims"), accepted, generated_claims);
    json_decref (batch);
    if (rc)
        return false;
    bool caught_up = harness_wait_until (s_claims_caught_up, run, harness_scaled_ms (60000), 250);
    harness_check (run, caught_up, "rcmq-claims did not consume the %zu intake events", run->intake_events);
    if (!caught_up)
        return false;

    json_t *submitted = s_ctl (run, &rc, 120000, "claims", "submit", NULL);
    json_t *files = json_object_get (submitted, "files");
    harness_check (run, rc == 0 && s_int (submitted, "claims") == (int64_t) accepted_pcns && json_array_size (files) > 0,
             "claims submit: exit %d, %" PRId64 " claims in %zu files; expected the %zu PCNs accepted", rc,
             s_int (submitted, "claims"), json_array_size (files), accepted_pcns);
    s_files_t wait = { outbound, files };
    bool written = rc == 0 && harness_wait_until (s_files_written, &wait, harness_scaled_ms (30000), 100);
    harness_check (run, written, "the 837P files of claims submit are not in %s", outbound);
    if (written)
        s_check_file_claims (run, outbound, files, accepted_pcns);
    json_decref (submitted);
    if (!written)
        return false;
    fprintf (stderr, "test_claims: %zu claims generated, %zu accepted, %zu PCNs submitted in %.1f s\n",
             generated_claims, accepted, accepted_pcns, (harness_now_ms () - started) / 1000.0);

    char *sim [] = { "--seed", (char *) sim_seed, "--out", remits, "--expect", expect,
                     "--accept-rate", "0.95", "--missing-277-rate", "0.1",
                     "--mix", "paid=0.5,partial=0.15,denied=0.15,reversal=0.15,none=0.05",
                     "--late-rate", "0.1", "--waves", "2", "--plb", "--unknown-claims", "9",
                     outbound, NULL };
    rc = harness_script (run->harness, "payer-sim", sim, 120000);
    harness_check (run, rc == 0, "scripts/payer-sim exited %d", rc);
    if (rc)
        return false;
    json_error_t error;
    run->expect = json_load_file (expect, 0, &error);
    harness_check (run, run->expect != NULL, "%s: %s", expect, run->expect? "": error.text);
    if (!run->expect)
        return false;
    run->by_pcn = json_object ();
    json_t *claims = json_object_get (run->expect, "claims");
    for (size_t i = 0; i < json_array_size (claims); i++)
        json_object_set (run->by_pcn, s_text (json_array_get (claims, i), "pcn"), json_array_get (claims, i));
    harness_check (run, json_object_size (run->by_pcn) == accepted_pcns,
             "payer-sim saw %zu claims in the outbound files; %zu were submitted", json_object_size (run->by_pcn),
             accepted_pcns);
    //  The 835s: every wave-1 file, then every wave-2 file, each sorted.
    json_t *list = json_object_get (json_object_get (run->expect, "files"), "835");
    for (int wave = 1; wave <= 2; wave++) {
        char tag [16];
        snprintf (tag, sizeof tag, "-w%d.", wave);
        size_t first = run->count_835;
        for (size_t i = 0; i < json_array_size (list) && run->count_835 < CLAIMS_MAX_FILES; i++)
            if (strstr (json_string_value (json_array_get (list, i)), tag))
                run->files_835 [run->count_835++] = strdup (json_string_value (json_array_get (list, i)));
        qsort (run->files_835 + first, run->count_835 - first, sizeof (char *), s_compare_text);
        if (wave == 1)
            run->wave1_count = run->count_835;
    }
    harness_check (run, run->wave1_count > 0 && run->count_835 > run->wave1_count
                && run->count_835 == json_array_size (list),
             "payer-sim wrote %zu 835 files: %zu of wave 1, %zu of wave 2", json_array_size (list),
             run->wave1_count, run->count_835 - run->wave1_count);
    return run->count_835 > run->wave1_count;
}

//  `claims ack` every 277CA: the counts each reply gives add up to the
//  claims the simulator acknowledged.
static void
s_ack_all (s_run_t *run)
{
    json_t *list = json_object_get (json_object_get (run->expect, "files"), "277ca");
    int64_t accepted = 0, rejected = 0, unmatched = 0;
    for (size_t i = 0; i < json_array_size (list); i++) {
        int rc;
        json_t *reply = s_ctl (run, &rc, 60000, "claims", "ack", json_string_value (json_array_get (list, i)), NULL);
        harness_check (run, rc == 0 && reply, "claims ack %s: exit %d", json_string_value (json_array_get (list, i)), rc);
        accepted += s_int (reply, "accepted");
        rejected += s_int (reply, "rejected");
        unmatched += s_int (reply, "unmatched");
        json_decref (reply);
    }
    json_t *totals = json_object_get (run->expect, "totals");
    harness_check (run, accepted == s_int (totals, "accepted") && rejected == s_int (totals, "rejected") && unmatched == 0,
             "277CAs: %" PRId64 " accepted, %" PRId64 " rejected, %" PRId64 " unmatched; payer-sim acknowledged %"
             PRId64 " and rejected %" PRId64, accepted, rejected, unmatched, s_int (totals, "accepted"),
             s_int (totals, "rejected"));
}

//  --------------------------------------------------------------------------
//  Posting

//  `claims post FILE`: the reply, NULL when it failed (exit code in *rc).
static json_t *
s_post (s_run_t *run, const char *file, const char *log, int *rc)
{
    char *args [] = { "claims", "post", (char *) file, NULL };
    return harness_ctl_json (run->harness, log, rc, 120000, args);
}

//  Posts a file that was never posted: its reply counts the file's CLPs,
//  the unknown claims in it and its PLB amounts.
static void
s_post_new (s_run_t *run, const char *file)
{
    int rc;
    json_t *reply = s_post (run, file, "rcmqctl", &rc);
    int64_t clps = 0, plb = 0, unknown = 0;
    json_t *remittances = json_object_get (run->expect, "remittances");
    for (size_t i = 0; i < json_array_size (remittances); i++) {
        json_t *remit = json_array_get (remittances, i);
        if (streq (s_text (remit, "file"), file)) {
            clps += s_int (remit, "claims");
            plb += s_int (remit, "plb_cents");
        }
    }
    json_t *unknowns = json_object_get (run->expect, "unknown_claims");
    for (size_t i = 0; i < json_array_size (unknowns); i++)
        unknown += streq (s_text (json_array_get (unknowns, i), "file"), file);
    harness_check (run, rc == 0 && reply && !json_is_true (json_object_get (reply, "duplicate"))
                && s_int (reply, "claims_posted") + s_int (reply, "exceptions") == clps
                && s_int (reply, "exceptions") == unknown && s_int (reply, "provider_adjustment_cents") == plb,
             "claims post %s: exit %d, duplicate %s, %" PRId64 " posted + %" PRId64 " exceptions, PLB %" PRId64
             "; the file has %" PRId64 " CLPs, %" PRId64 " for unknown claims, PLB %" PRId64, file, rc,
             json_is_true (json_object_get (reply, "duplicate"))? "true": "false", s_int (reply, "claims_posted"),
             s_int (reply, "exceptions"), s_int (reply, "provider_adjustment_cents"), clps, unknown, plb);
    json_decref (reply);
}

//  Posts a file that was posted before: duplicate, nothing posted.
static void
s_post_again (s_run_t *run, const char *file)
{
    int rc;
    json_t *reply = s_post (run, file, "rcmqctl", &rc);
    harness_check (run, rc == 0 && json_is_true (json_object_get (reply, "duplicate"))
                && s_int (reply, "claims_posted") == 0 && s_int (reply, "exceptions") == 0
                && s_int (reply, "paid_cents") == 0,
             "claims post %s a second time: exit %d, duplicate %s, %" PRId64 " posted, %" PRId64 " exceptions", file,
             rc, json_is_true (json_object_get (reply, "duplicate"))? "true": "false",
             s_int (reply, "claims_posted"), s_int (reply, "exceptions"));
    json_decref (reply);
}

//  --------------------------------------------------------------------------
//  What the service holds

//  Every claim, `claims list --json` page by page, as one array (NULL when
//  a page failed).
static json_t *
s_snapshot (s_run_t *run)
{
    json_t *all = json_array ();
    char after [96] = "", limit [16];
    snprintf (limit, sizeof limit, "%d", CLAIMS_PAGE);
    for (int pages = 0; pages < 1000; pages++) {
        int rc;
        json_t *page = *after? s_ctl (run, &rc, 30000, "claims", "list", "--limit", limit, "--after", after, NULL)
                             : s_ctl (run, &rc, 30000, "claims", "list", "--limit", limit, NULL);
        if (rc != 0 || !json_is_array (page)) {
            harness_check (run, false, "claims list exited %d", rc);
            json_decref (page);
            json_decref (all);
            return NULL;
        }
        size_t count = json_array_size (page);
        if (count)
            snprintf (after, sizeof after, "%s", s_text (json_array_get (page, count - 1), "pcn"));
        json_array_extend (all, page);
        json_decref (page);
        if (count < CLAIMS_PAGE)
            break;
    }
    return all;
}

//  Adjustments as "GROUP-CARC=cents" sorted, joined with spaces.
static void
s_adjustments (json_t *array, char *buf, size_t size)
{
    size_t count = json_array_size (array);
    char **items = (char **) calloc (count + 1, sizeof (char *));
    for (size_t i = 0; i < count; i++) {
        json_t *item = json_array_get (array, i);
        char text [64];
        snprintf (text, sizeof text, "%s-%s=%" PRId64, s_text (item, "group"), s_text (item, "carc"),
                  s_int (item, "amount_cents"));
        items [i] = strdup (text);
    }
    qsort (items, count, sizeof (char *), s_compare_text);
    buf [0] = 0;
    for (size_t i = 0; i < count; i++) {
        snprintf (buf + strlen (buf), size - strlen (buf), "%s%s", i? " ": "", items [i]);
        free (items [i]);
    }
    free (items);
}

//  The paid amount of line lx in the last adjudication payer-sim made,
//  -1 when it has no such line.
static int64_t
s_line_paid (json_t *want, int64_t lx)
{
    json_t *lines = json_object_get (want, "line_results");
    for (size_t i = 0; i < json_array_size (lines); i++)
        if (s_int (json_array_get (lines, i), "lx") == lx)
            return s_int (json_array_get (lines, i), "paid_cents");
    return -1;
}

//  Denials as "LINE:GROUP-CARC/RARC,RARC=cents" sorted, joined with spaces.
//  The service says line_number, the simulator line. With want (a
//  simulator claim), only the reasons issue 4 calls denials: the claim's
//  own, and those of lines paid nothing; payer-sim also lists a reduction
//  (CO-151 on a line it still paid), which the service counts in
//  denied_cents but does not call a denial.
static void
s_denials (json_t *array, json_t *want, char *buf, size_t size)
{
    size_t count = json_array_size (array), kept = 0;
    char **items = (char **) calloc (count + 1, sizeof (char *));
    for (size_t i = 0; i < count; i++) {
        json_t *item = json_array_get (array, i);
        int64_t line = json_object_get (item, "line")? s_int (item, "line"): s_int (item, "line_number");
        if (want && line > 0 && s_line_paid (want, line) != 0)
            continue;
        char text [256];
        int n = snprintf (text, sizeof text, "%" PRId64 ":%s-%s/", line, s_text (item, "group"), s_text (item, "carc"));
        json_t *rarcs = json_object_get (item, "rarcs");
        for (size_t j = 0; j < json_array_size (rarcs) && n > 0 && (size_t) n < sizeof text; j++)
            n += snprintf (text + n, sizeof text - (size_t) n, "%s%s", j? ",": "",
                           json_string_value (json_array_get (rarcs, j)));
        if (n > 0 && (size_t) n < sizeof text)
            snprintf (text + n, sizeof text - (size_t) n, "=%" PRId64, s_int (item, "amount_cents"));
        items [kept++] = strdup (text);
    }
    qsort (items, kept, sizeof (char *), s_compare_text);
    buf [0] = 0;
    for (size_t i = 0; i < kept; i++) {
        snprintf (buf + strlen (buf), size - strlen (buf), "%s%s", i? " ": "", items [i]);
        free (items [i]);
    }
    free (items);
}

//  Every claim as the payer decided: status, paid, patient responsibility,
//  adjustments; exactly the PCNs the payer saw.
static void
s_check_claims (s_run_t *run, const char *label, json_t *snapshot)
{
    if (!snapshot)
        return;
    json_t *seen = json_object ();
    size_t wrong = 0, unexpected = 0, twice = 0;
    for (size_t i = 0; i < json_array_size (snapshot); i++) {
        json_t *row = json_array_get (snapshot, i);
        const char *pcn = s_text (row, "pcn");
        json_t *want = json_object_get (run->by_pcn, pcn);
        twice += json_object_get (seen, pcn) != NULL;
        json_object_set_new (seen, pcn, json_true ());
        if (!want) {
            if (unexpected++ < CLAIMS_REPORT_MAX)
                harness_check (run, false, "%s: claim %s (%s) is not one payer-sim saw", label, pcn, s_text (row, "status"));
            continue;
        }
        char got_adjust [1024], want_adjust [1024];
        s_adjustments (json_object_get (row, "adjustments"), got_adjust, sizeof got_adjust);
        s_adjustments (json_object_get (want, "adjustments"), want_adjust, sizeof want_adjust);
        bool right = streq (s_text (row, "status"), s_text (want, "status"))
                  && s_int (row, "paid_cents") == s_int (want, "paid_cents")
                  && s_int (row, "patient_responsibility_cents") == s_int (want, "patient_responsibility_cents")
                  && streq (got_adjust, want_adjust);
        char got_deny [1024], want_deny [1024];
        s_denials (json_object_get (row, "denials"), NULL, got_deny, sizeof got_deny);
        s_denials (json_object_get (want, "denials"), want, want_deny, sizeof want_deny);
        json_t *first = json_object_get (want, "first_adjudication");
        right = right && s_int (row, "contractual_cents") == s_int (want, "contractual_cents")
                      && s_int (row, "denied_cents") == s_int (want, "denied_cents")
                      && streq (s_text (row, "first_adjudication"), json_is_string (first)? json_string_value (first): "")
                      && streq (got_deny, want_deny);
        if (!right && wrong++ < CLAIMS_REPORT_MAX)
            harness_check (run, false, "%s: claim %s (payer-sim outcome %s): status %s, paid %" PRId64 ", patient %" PRId64
                     ", contractual %" PRId64 ", denied %" PRId64 ", first %s, adjustments [%s], denials [%s]; "
                     "expected %s, %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, [%s], [%s]", label, pcn,
                     s_text (want, "outcome"), s_text (row, "status"), s_int (row, "paid_cents"),
                     s_int (row, "patient_responsibility_cents"), s_int (row, "contractual_cents"),
                     s_int (row, "denied_cents"), s_text (row, "first_adjudication"), got_adjust, got_deny,
                     s_text (want, "status"), s_int (want, "paid_cents"), s_int (want, "patient_responsibility_cents"),
                     s_int (want, "contractual_cents"), s_int (want, "denied_cents"),
                     json_is_string (first)? json_string_value (first): "", want_adjust, want_deny);
    }
    harness_check (run, wrong == 0 && unexpected == 0 && twice == 0
                && json_object_size (seen) == json_object_size (run->by_pcn) + unexpected,
             "%s: %zu claims listed (%zu twice, %zu unexpected), %zu differ from the payer's decision; payer-sim "
             "decided %zu", label, json_array_size (snapshot), twice, unexpected, wrong, json_object_size (run->by_pcn));
    json_decref (seen);
}

//  The exception list: the remits of the unknown claims, each once, from
//  the file and trace that carried it.
static void
s_check_exceptions (s_run_t *run, const char *label)
{
    int rc;
    json_t *list = s_ctl (run, &rc, 30000, "claims", "exceptions", NULL);
    json_t *unknown = json_object_get (run->expect, "unknown_claims");
    json_t *want = json_object ();
    for (size_t i = 0; i < json_array_size (unknown); i++)
        json_object_set (want, s_text (json_array_get (unknown, i), "pcn"), json_array_get (unknown, i));
    size_t wrong = 0;
    json_t *seen = json_object ();
    for (size_t i = 0; i < json_array_size (list); i++) {
        json_t *exception = json_array_get (list, i);
        json_t *remit = json_object_get (exception, "remit");
        const char *pcn = s_text (remit, "pcn");
        json_t *expected = json_object_get (want, pcn);
        bool right = expected && !json_object_get (seen, pcn)
                  && streq (s_text (exception, "trace"), s_text (expected, "trace"))
                  && streq (s_text (exception, "payer_id"), s_text (expected, "payer_id"))
                  && s_int (remit, "paid_cents") == s_int (expected, "paid_cents");
        json_object_set_new (seen, pcn, json_true ());
        if (!right && wrong++ < CLAIMS_REPORT_MAX)
            harness_check (run, false, "%s: exception %s for %s (trace %s, paid %" PRId64 ") is not an expected one", label,
                     s_text (exception, "id"), pcn, s_text (exception, "trace"), s_int (remit, "paid_cents"));
    }
    harness_check (run, rc == 0 && wrong == 0 && json_array_size (list) == json_object_size (want),
             "%s: claims exceptions: exit %d, %zu exceptions (%zu wrong); payer-sim sent %zu remits for unknown "
             "claims", label, rc, json_array_size (list), wrong, json_object_size (want));
    json_decref (seen);
    json_decref (want);
    json_decref (list);
}

//  The same JSON, or a line naming the first claim that differs.
static void
s_check_same (s_run_t *run, const char *label, json_t *before, json_t *after)
{
    if (!before || !after)
        return;
    if (json_equal (before, after))
        return;
    size_t count = json_array_size (before) < json_array_size (after)? json_array_size (before)
                                                                      : json_array_size (after);
    size_t i = 0;
    while (i < count && json_equal (json_array_get (before, i), json_array_get (after, i)))
        i++;
    harness_check (run, false, "%s: claims list changed (%zu claims before, %zu after; first difference at %s)",
             label, json_array_size (before), json_array_size (after),
             i < count? s_text (json_array_get (before, i), "pcn"): "the end");
}

//  --------------------------------------------------------------------------
//  An unbalanced 835

//  X12 decimal -> cents ("-156.4" -> -15640).
static int64_t
s_cents (const char *text)
{
    bool negative = *text == '-';
    if (negative)
        text++;
    int64_t whole = strtoll (text, NULL, 10), fraction = 0;
    const char *dot = strchr (text, '.');
    if (dot) {
        fraction = (dot [1] && isdigit ((unsigned char) dot [1])? (dot [1] - '0') * 10: 0)
                 + (dot [1] && dot [2] && isdigit ((unsigned char) dot [2])? dot [2] - '0': 0);
    }
    int64_t cents = whole * 100 + fraction;
    return negative? -cents: cents;
}

static void
s_money (int64_t cents, char *buf, size_t size)
{
    uint64_t magnitude = cents < 0? -(uint64_t) cents: (uint64_t) cents;
    snprintf (buf, size, "%s%" PRIu64 ".%02" PRIu64, cents < 0? "-": "", magnitude / 100, magnitude % 100);
}

//  Writes a copy of source with the first original CLP's CLP04 raised by
//  1.00. Gives the claim's PCN, and the paid amount it had and now has.
static bool
s_write_unbalanced (const char *source, const char *target, char *pcn, size_t pcn_size,
                    int64_t *paid_before, int64_t *paid_after)
{
    char *text = harness_slurp (source);
    if (!text || strlen (text) < 106) {
        free (text);
        return false;
    }
    char element = text [3], terminator = text [105];
    char pattern [8];
    snprintf (pattern, sizeof pattern, "CLP%c", element);
    //  A segment starts after the terminator (and any line break after
    //  it). An original (CLP02 1), so the copy is not refused as a
    //  reversal of nothing.
    char *clp = strstr (text, pattern);
    while (clp) {
        const char *before = clp - 1;
        while (before > text && (*before == '\n' || *before == '\r'))
            before--;
        char *status = strchr (clp + 4, element);
        if (*before == terminator && status && status [1] == '1' && status [2] == element)
            break;
        clp = strstr (clp + 1, pattern);
    }
    bool ok = false;
    if (clp) {
        char *fields [6] = { NULL };    //  start of CLP01 .. CLP05
        char *at = clp + 3;
        for (size_t i = 1; i < 6 && at && *at == element; i++) {
            fields [i] = at + 1;
            at = strpbrk (at + 1, (char []) { element, terminator, 0 });
        }
        if (fields [5]) {
            snprintf (pcn, pcn_size, "%.*s", (int) (fields [2] - fields [1] - 1), fields [1]);
            *paid_before = s_cents (fields [4]);
            *paid_after = *paid_before + 100;
            char money [32];
            s_money (*paid_after, money, sizeof money);
            FILE *file = fopen (target, "wb");
            if (file) {
                fwrite (text, 1, (size_t) (fields [4] - text), file);
                fputs (money, file);
                fputs (fields [5] - 1, file);
                ok = fclose (file) == 0;
            }
        }
    }
    free (text);
    return ok;
}

//  The copy is refused naming the claim and the amounts, and nothing
//  changes: the same snapshot, and the real file still posts as new.
static void
s_check_unbalanced (s_run_t *run, const char *file, json_t *before)
{
    char copy [PATH_MAX], pcn [64] = "";
    snprintf (copy, sizeof copy, "%s/unbalanced.x12", harness_dir (run->harness));
    int64_t paid_before = 0, paid_after = 0;
    bool written = s_write_unbalanced (file, copy, pcn, sizeof pcn, &paid_before, &paid_after);
    harness_check (run, written, "cannot write an unbalanced copy of %s", file);
    if (!written)
        return;
    int rc;
    json_t *reply = s_post (run, copy, "post-unbalanced", &rc);
    char *log = harness_slurp (harness_path (run->harness, "logs/post-unbalanced.log"));
    char owed [32], paid [32], claim [96];
    s_money (paid_before, owed, sizeof owed);
    s_money (paid_after, paid, sizeof paid);
    snprintf (claim, sizeof claim, "claim %s ", pcn);
    char computed [48], claimed [64];
    snprintf (computed, sizeof computed, "= %s,", owed);
    snprintf (claimed, sizeof claimed, "the claim paid %s", paid);
    bool named = log && strstr (log, "nothing posted") && strstr (log, claim) && strstr (log, computed)
              && strstr (log, claimed);
    harness_check (run, rc == 1 && !reply && named,
             "claims post of %s with claim %s's CLP04 %s made %s: exit %d; the error should name the claim, %s and "
             "%s:\n%s", file, pcn, owed, paid, rc, owed, paid, log? log: "(no log)");
    free (log);
    json_decref (reply);
    json_t *after = s_snapshot (run);
    s_check_same (run, "after the unbalanced 835", before, after);
    json_decref (after);
}

//  `claims exceptions --json`, every one (a few here).
static json_t *
s_exceptions (s_run_t *run)
{
    int rc;
    json_t *list = s_ctl (run, &rc, 30000, "claims", "exceptions", "--limit", "1000", NULL);
    harness_check (run, rc == 0 && json_is_array (list), "claims exceptions exited %d", rc);
    return list;
}

//  Posted claim by claim (issue 19), a file is still applied whole or not
//  at all. Two files made of a real wave-2 835 that was never posted:
//    later set   the file, then its unbalanced copy (a second interchange):
//                every CLP of the first set is applied before the second
//                set's SE shows that its BPR02 does not balance;
//    broken      the file cut before its last SE: every CLP is read (and
//                applied) before the X12 turns out incomplete.
//  Each is refused, and nothing changed: the same claims, the same
//  exceptions, and the real file then still posts as new (s_post_new).
static void
s_check_refused_whole (s_run_t *run, const char *file, json_t *before)
{
    char unbalanced [PATH_MAX], pcn [64] = "";
    snprintf (unbalanced, sizeof unbalanced, "%s/unbalanced.x12", harness_dir (run->harness));
    int64_t paid_before = 0, paid_after = 0;
    char *text = harness_slurp (file);
    char *copy = s_write_unbalanced (file, unbalanced, pcn, sizeof pcn, &paid_before, &paid_after)
               ? harness_slurp (unbalanced): NULL;
    harness_check (run, text && copy && strlen (text) > 106, "cannot read %s or its unbalanced copy", file);
    if (!text || !copy || strlen (text) <= 106) {
        free (text);
        free (copy);
        return;
    }
    char terminator = text [105], element = text [3];
    char later [PATH_MAX], broken [PATH_MAX];
    snprintf (later, sizeof later, "%s/later-set.x12", harness_dir (run->harness));
    snprintf (broken, sizeof broken, "%s/broken.x12", harness_dir (run->harness));
    FILE *out = fopen (later, "wb");
    bool written = out && fputs (text, out) >= 0 && fputs (copy, out) >= 0;
    if (out)
        written &= fclose (out) == 0;
    //  The last SE: the terminator, any line break, then "SE" and the separator.
    char *cut = NULL;
    for (char *at = strstr (text, "SE"); at; at = strstr (at + 1, "SE")) {
        const char *previous = at - 1;
        while (previous > text && (*previous == '\n' || *previous == '\r'))
            previous--;
        if (*previous == terminator && at [2] == element)
            cut = at;
    }
    out = cut? fopen (broken, "wb"): NULL;
    written &= out && fwrite (text, 1, (size_t) (cut - text), out) == (size_t) (cut - text);
    if (out)
        written &= fclose (out) == 0;
    free (text);
    free (copy);
    harness_check (run, written, "cannot write the later-set and broken copies of %s", file);
    if (!written)
        return;
    json_t *exceptions = s_exceptions (run);
    static const struct {
        const char *name, *log, *says;
    } cases [] = {
        { "later set", "post-later-set", "nothing posted" },
        { "broken", "post-broken", "is not a readable 835" },
    };
    const char *files [] = { later, broken };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        int rc;
        json_t *reply = s_post (run, files [i], cases [i].log, &rc);
        char logname [64];
        snprintf (logname, sizeof logname, "logs/%s.log", cases [i].log);
        char *log = harness_slurp (harness_path (run->harness, logname));
        harness_check (run, rc == 1 && !reply && log && strstr (log, cases [i].says),
                       "claims post of the %s copy of %s: exit %d, the error should say '%s':\n%s",
                       cases [i].name, file, rc, cases [i].says, log? log: "(no log)");
        free (log);
        json_decref (reply);
        char label [64];
        snprintf (label, sizeof label, "after the %s 835", cases [i].name);
        json_t *after = s_snapshot (run);
        s_check_same (run, label, before, after);
        json_decref (after);
        json_t *exceptions_after = s_exceptions (run);
        harness_check (run, exceptions && exceptions_after && json_equal (exceptions, exceptions_after),
                       "%s: claims exceptions changed (%zu before, %zu after)", label,
                       json_array_size (exceptions), json_array_size (exceptions_after));
        json_decref (exceptions_after);
    }
    json_decref (exceptions);
}

//  --------------------------------------------------------------------------

START_TEST (test_cycle)
{
    s_run_t run;
    if (!s_start (&run, "claims-cycle") || !s_prepare (&run, "41", "43")) {
        s_finish (&run);
        return;
    }
    uint64_t started = harness_now_ms ();
    s_ack_all (&run);
    for (size_t i = 0; i < run.wave1_count; i++)
        s_post_new (&run, run.files_835 [i]);

    //  Again: duplicate, and not one figure moves.
    json_t *before = s_snapshot (&run);
    s_post_again (&run, run.files_835 [0]);
    json_t *after = s_snapshot (&run);
    s_check_same (&run, "after posting a wave-1 835 again", before, after);
    json_decref (after);

    //  An unbalanced copy of the first wave-2 file changes nothing...
    s_check_unbalanced (&run, run.files_835 [run.wave1_count], before);
    //  ...nor does one refused after a whole set or every CLP was read.
    s_check_refused_whole (&run, run.files_835 [run.wave1_count], before);
    json_decref (before);
    //  ...and the real wave-2 files post as new.
    for (size_t i = run.wave1_count; i < run.count_835; i++)
        s_post_new (&run, run.files_835 [i]);
    fprintf (stderr, "test_claims: cycle: acks and %zu 835s posted in %.1f s\n", run.count_835,
             (harness_now_ms () - started) / 1000.0);

    json_t *final = s_snapshot (&run);
    s_check_claims (&run, "cycle", final);
    s_check_exceptions (&run, "cycle");
    //  Every file once more: all duplicates, the same snapshot.
    for (size_t i = 0; i < run.count_835; i++)
        s_post_again (&run, run.files_835 [i]);
    json_t *again = s_snapshot (&run);
    s_check_same (&run, "after posting every 835 again", final, again);
    json_decref (again);
    json_decref (final);
    s_check_exceptions (&run, "cycle, every 835 posted twice");
    //  The store is written through its map (ADR 45): its file is the
    //  map's size (16 GiB), sparse, holding only the pages used. Without
    //  MDB_WRITEMAP the file grows with the pages and a call's dirty
    //  pages are heap (up to 512 MB at 100,000 claims).
    struct stat st;
    const char *data = harness_path (run.harness, "data/claims/data.mdb");
    harness_check (&run, stat (data, &st) == 0, "cannot stat %s", data);
    harness_check (&run, (uint64_t) st.st_size >= (16ULL << 30) && (uint64_t) st.st_blocks * 512 < (uint64_t) st.st_size / 8,
                   "%s is %" PRIu64 " bytes with %" PRIu64 " on disk: not the sparse file of a store in a writable "
                   "16 GiB map", data, (uint64_t) st.st_size, (uint64_t) st.st_blocks * 512);
    s_finish (&run);
}
END_TEST

//  --------------------------------------------------------------------------

//  CPU time the main thread of a process has had, in ns (the first field
//  of /proc/PID/schedstat; the claims service handles calls there).
static uint64_t
s_cpu_ns (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/schedstat", (int) pid);
    char *text = harness_slurp (path);
    uint64_t ns = text? strtoull (text, NULL, 10): 0;
    free (text);
    return ns;
}

START_TEST (test_crash)
{
    s_run_t run;
    if (!s_start (&run, "claims-crash") || !s_prepare (&run, "51", "53")) {
        s_finish (&run);
        return;
    }
    s_ack_all (&run);

    //  The posts one after another in the background. Once half of them
    //  are done, claims is killed as soon as it has spent
    //  CLAIMS_KILL_CPU_MS of CPU on the post in flight: it is then reading
    //  or applying the file, inside the write transaction, or committing.
    //  At least one is posted whole first, so the restart has something
    //  committed to keep.
    pid_t claims_pid = harness_pid (run.claims);
    uint64_t started = harness_now_ms ();
    size_t kill_from = run.count_835 / 2 > 1? run.count_835 / 2: 1;
    uint64_t deadline = started + (uint64_t) harness_scaled_ms (120000);
    size_t next = 0, completed = 0;
    uint64_t post_cpu = 0;              //  claims' CPU when the post in flight began
    harness_proc_t *post = NULL;
    bool killed = false, post_failed = false;
    while (harness_now_ms () < deadline) {
        if (!post || !harness_running (post)) {
            if (post) {
                post_failed = post_failed || harness_wait (post, 0) != 0;
                completed++;
            }
            if (next == run.count_835)
                break;
            char *argv [] = { (char *) harness_bin (run.harness, "cli/rcmqctl"), "--config", (char *) run.config,
                              "--json", "claims", "post", run.files_835 [next++], NULL };
            post_cpu = s_cpu_ns (claims_pid);
            post = harness_spawn (run.harness, "post-background", argv);
            if (!post)
                break;
        }
        if (completed >= kill_from
        &&  s_cpu_ns (claims_pid) >= post_cpu + CLAIMS_KILL_CPU_MS * 1000000ULL && harness_running (post)) {
            harness_kill (run.claims, SIGKILL);
            killed = true;
            break;
        }
        harness_sleep_ms (1);
    }
    uint64_t killed_after = harness_now_ms () - started;
    harness_check (&run, killed, "claims was not killed during the posts: %zu of %zu posted in %.1f s (the kill came "
             "too late)", completed, run.count_835, killed_after / 1000.0);
    harness_check (&run, !post_failed, "a post before the kill failed (see logs/post-background.log)");
    harness_check (&run, harness_wait (run.claims, 5000) == 128 + SIGKILL, "claims did not die of SIGKILL");
    if (post) {
        harness_kill (post, SIGKILL);
        harness_wait (post, 5000);
    }
    fprintf (stderr, "test_claims: crash: claims SIGKILLed %.2f s into the posts, %zu of %zu files posted, "
             "the next in flight\n", killed_after / 1000.0, completed, run.count_835);

    run.claims = harness_spawn_service (run.harness, "claims");
    bool up = run.claims && harness_wait_up (run.harness, s_services, harness_scaled_ms (30000));
    harness_check (&run, up, "claims did not come back after SIGKILL");
    if (up) {
        //  Every file again, in the same order. Those committed before the
        //  kill are duplicates: the ones that answered, and perhaps the one
        //  in flight; all others post as new.
        size_t duplicates = 0;
        bool prefix = true;
        for (size_t i = 0; i < run.count_835; i++) {
            int rc;
            json_t *reply = s_post (&run, run.files_835 [i], "rcmqctl", &rc);
            bool duplicate = json_is_true (json_object_get (reply, "duplicate"));
            harness_check (&run, rc == 0 && reply, "claims post %s after the restart: exit %d", run.files_835 [i], rc);
            prefix = prefix && (duplicate? duplicates == i: true);
            duplicates += duplicate;
            json_decref (reply);
        }
        fprintf (stderr, "test_claims: crash: after the restart %zu files were already posted (the one in flight %s)\n",
                 duplicates, duplicates > completed? "had committed": "had not");
        harness_check (&run, prefix && (duplicates == completed || duplicates == completed + 1),
                 "after the restart %zu files were already posted%s; %zu had been answered before the kill",
                 duplicates, prefix? "": " (not the first ones)", completed);
        json_t *final = s_snapshot (&run);
        s_check_claims (&run, "crash", final);
        json_decref (final);
        s_check_exceptions (&run, "crash");
    }
    s_finish (&run);
}
END_TEST

Suite *
claims_suite (void)
{
    Suite *suite = suite_create ("claims");
    TCase *tcase = tcase_create ("837P to 835 through the real processes");
    tcase_set_timeout (tcase, CLAIMS_TEST_TIMEOUT_S * (harness_scaled_ms (1000) / 1000));
    tcase_add_test (tcase, test_cycle);
    tcase_add_test (tcase, test_crash);
    suite_add_tcase (suite, tcase);
    return suite;
}
