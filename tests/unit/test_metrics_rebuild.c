/*  test_metrics_rebuild: the same events give the same figures, whichever
    way the intake and claims streams interleave (a live run and a rebuild
    interleave them differently) and after a wipe and a replay
    (metrics.Rebuild). A seeded mix of claims goes through every event
    type, with reversals, team changes and replacements.
*/
#include "test_metrics_feed.h"
#include "batch_cache.h"
#include "clock.h"

#define CLAIMS 300

static const char *const s_payers [] = { "P1", "P2", "MCR" };
static const char *const s_teams [] = { "internal", "acme" };
static const char *const s_categories [] = { "coding", "eligibility", "authorization" };

static void
s_date (int day_offset, char *iso, char *x12)
{
    //  Days from 2025-10-01.
    uint32_t day = mt_day ("2025-10-01") + (uint32_t) day_offset;
    metrics_day_format (day, iso, 11);
    snprintf (x12, 9, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
}

static void
s_feed_mix (mt_store_t *store)
{
    unsigned seed = 7;
    for (int i = 0; i < CLAIMS; i++) {
        char pcn [16], iso [11], x12 [9], dos [9], remit_iso [11], remit [9];
        snprintf (pcn, sizeof pcn, "PCN%04d", i);
        mt_dims_t dims = { .payer = s_payers [rand_r (&seed) % 3], .team = "internal",
                           .queue = i % 2? "Q1": "Q2" };
        int dos_offset = rand_r (&seed) % 180;
        int64_t charge = 1000 + rand_r (&seed) % 50000;
        s_date (dos_offset, iso, dos);
        s_date (dos_offset + 2, iso, x12);
        bool clean = rand_r (&seed) % 10;
        mt_received (store, pcn, dims, charge, iso, clean? NULL: "NPI001,CHG001");
        if (!clean)
            continue;
        mt_claim (store, "entered", (mt_claim_t) { .pcn = pcn, .dims = dims, .date = iso, .dos = dos, .charge = charge });
        mt_claim (store, "submitted", (mt_claim_t) { .pcn = pcn, .dims = dims, .date = iso, .dos = dos });
        int outcome = rand_r (&seed) % 6;
        s_date (dos_offset + 20 + rand_r (&seed) % 40, remit_iso, remit);
        if (outcome == 0)
            continue;                       //  still waiting
        if (outcome == 1) {
            mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = pcn, .dims = dims, .date = remit_iso, .dos = dos,
                                                           .remit_date = remit, .to_status = "denied", .denied = charge });
            mt_claim (store, "denied", (mt_claim_t) { .pcn = pcn, .dims = dims, .date = remit_iso, .dos = dos,
                                                      .remit_date = remit,
                                                      .denials = i % 3 == 0? "coding:100": i % 3 == 1? "eligibility:200": "authorization:300" });
            if (i % 4 == 0)
                mt_claim (store, "closed", (mt_claim_t) { .pcn = pcn, .dims = dims, .date = remit_iso, .dos = dos });
            continue;
        }
        int64_t paid = charge * 6 / 10, contractual = charge * 3 / 10, patient = charge - paid - contractual;
        mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = pcn, .dims = dims, .date = remit_iso, .dos = dos,
                                                       .remit_date = remit, .to_status = "paid", .paid = paid,
                                                       .contractual = contractual, .patient = patient,
                                                       .patient_total = patient });
        if (outcome == 3) {
            mt_claim (store, "reversed", (mt_claim_t) { .pcn = pcn, .dims = dims, .date = remit_iso, .dos = dos,
                                                        .remit_date = remit, .to_status = "reversed", .paid = -paid,
                                                        .contractual = -contractual, .patient = -patient });
        }
        if (outcome == 4) {
            mt_dims_t moved = dims;
            moved.team = s_teams [1];
            mt_claim (store, "followup", (mt_claim_t) { .pcn = pcn, .dims = moved, .date = remit_iso, .dos = dos });
        }
        if (outcome == 5)
            mt_claim (store, "patient_balance", (mt_claim_t) { .pcn = pcn, .dims = dims, .date = remit_iso,
                                                               .dos = dos, .patient_total = patient / 2 });
    }
    (void) s_categories;
}

//  Every figure of every group, as text, for several as_of days and groupings.
static char *
s_figures (mt_store_t *store)
{
    static const char *const as_of [] = { "2025-11-15", "2026-01-31", "2026-03-31", "2026-06-30", NULL };
    static const char *const groups [] = { NULL, "payer_id", "owner_team", "queue", NULL };
    size_t size = 0;
    char *text = NULL;
    FILE *out = open_memstream (&text, &size);
    for (const char *const *day = as_of; *day; day++)
        for (size_t g = 0; g < sizeof groups / sizeof groups [0] - 1; g++) {
            kpi_query_t query = mt_query (*day, 90);
            if (groups [g])
                mt_group (&query, groups [g]);
            kpi_result_t *result = mt_run (store, &query);
            for (size_t i = 0; i <= result->group_count; i++) {
                kpi_group_t *group = i? result->groups [i - 1]: &result->overall;
                fprintf (out, "%s %s [%s]", *day, groups [g]? groups [g]: "-", group->key);
                for (size_t k = 0; k < kpi_table_size; k++) {
                    kpi_value_t value = kpi_evaluate (&kpi_table [k], &group->totals, query.window_days);
                    fprintf (out, " %s=%d/%lld/%lld", kpi_table [k].name, value.available,
                             (long long) value.numerator, (long long) value.denominator);
                }
                for (int b = 0; b < AGG_BUCKETS; b++)
                    fprintf (out, " %lld/%lld", (long long) group->totals.insurance [b],
                             (long long) group->totals.patient [b]);
                for (size_t c = 0; c < 3; c++)
                    fprintf (out, " %s=%lld", s_categories [c],
                             (long long) kpi_reason (&group->totals, 0, s_categories [c], true));
                fprintf (out, " NPI001=%lld\n", (long long) kpi_reason (&group->totals, 1, "NPI001", false));
            }
            kpi_result_destroy (&result);
        }
    fclose (out);
    return text;
}

static int
s_wipe (store_t *store, MDB_txn *txn, void *arg)
{
    uint64_t facts, rows;
    return metrics_wipe (store, txn, &facts, &rows);
}

START_TEST (test_rebuild_determinism)
{
    mt_log_reset ();
    mt_store_t *live = mt_store_new ();
    s_feed_mix (live);
    char *expected = s_figures (live);
    //  The mix is not trivial: money is owed, claims were denied and rejected.
    kpi_query_t query = mt_query ("2026-03-31", 90);
    ck_assert_int_gt (mt_value (live, &query, NULL, "ar_cents").amount, 0);
    ck_assert_int_gt (mt_value (live, &query, NULL, "rejected").amount, 0);
    ck_assert (mt_value (live, &query, NULL, "initial_denial_rate").numerator > 0);

    //  Another store, the claims stream applied before intake.
    mt_store_t *apart = mt_store_new ();
    mt_replay (apart, true);
    char *figures = s_figures (apart);
    ck_assert_str_eq (figures, expected);
    free (figures);

    //  Wiped and replayed in feed order.
    ck_assert_int_eq (store_write (live->store, s_wipe, NULL), 0);
    kpi_value_t wiped = mt_value (live, &query, NULL, "ar_cents");
    ck_assert_int_eq (wiped.amount, 0);
    mt_replay (live, false);
    figures = s_figures (live);
    ck_assert_str_eq (figures, expected);
    free (figures);

    //  And the comparison can tell: one more payment changes the figures.
    mt_claim (apart, "adjudicated", (mt_claim_t) { .pcn = "PCN0001", .date = "2026-03-01", .remit_date = "20260301",
                                                   .to_status = "paid", .paid = 1 });
    figures = s_figures (apart);
    ck_assert_str_ne (figures, expected);
    free (figures);
    free (expected);
    mt_store_destroy (&live);
    mt_store_destroy (&apart);
}
END_TEST

//  Events applied in batches (the consumer's: the by_day flows and the
//  dimension ids held in memory, written once at the batch's end, ADR
//  0062) leave the same rows and figures as one event a transaction.
START_TEST (test_rebuild_batched)
{
    mt_log_reset ();
    mt_store_t *live = mt_store_new ();
    s_feed_mix (live);
    char *expected = s_figures (live);
    static const char *const tables [] = { "by_day", "by_dos", "dims", "dims_by_id", "facts", "ar_open",
                                           "ar_total", "ar_moves", "ar_weeks", "ar_week_total", "reasons",
                                           "by_month", "by_dos_month", "reasons_month",
                                           "drill", NULL };
    static const size_t pers [] = { 1, 7, 100, 100000 };
    for (size_t p = 0; p < sizeof pers / sizeof pers [0]; p++) {
        metrics_t *metrics = metrics_new (NULL);
        ck_assert (metrics);
        mt_store_t *batched = mt_store_new ();
        mt_replay_batched (batched, metrics, pers [p]);
        char *figures = s_figures (batched);
        ck_assert_str_eq (figures, expected);
        free (figures);
        for (const char *const *table = tables; *table; table++) {
            char *want = mt_table_dump (live, *table);
            char *got = mt_table_dump (batched, *table);
            ck_assert_msg (streq (want, got), "%s differs, %zu per batch", *table, pers [p]);
            free (want);
            free (got);
        }
        //  Nothing is held between batches.
        ck_assert (metrics_open_batch (metrics) == NULL);
        //  A rebuild (the wipe, in a request's transaction) and a replay
        //  with the same state: the same figures again.
        if (pers [p] == 7) {
            ck_assert_int_eq (store_write (batched->store, s_wipe, NULL), 0);
            mt_replay_batched (batched, metrics, pers [p]);
            figures = s_figures (batched);
            ck_assert_str_eq (figures, expected);
            free (figures);
        }
        mt_store_destroy (&batched);
        metrics_destroy (&metrics);
    }
    free (expected);
    mt_store_destroy (&live);
}
END_TEST

//  Work items' events (work_facts.c): an item's life in steps, the steps
//  of every item interleaved round by round, so a batch holds many items'
//  changes to the same flows and counts, and some items' whole life.
#define WORK_ITEMS 120

static void
s_feed_work (mt_store_t *store)
{
    static const char *const owners [] = { "", "ana", "bo" };
    static const char *const queues [] = { "Q1", "Q2" };
    const uint64_t day_ms = CLOCK_MS_PER_DAY;
    uint64_t start = (uint64_t) (mt_day ("2026-02-01") - 1) * day_ms;
    char ids [WORK_ITEMS][24];
    for (int round = 0; round < 5; round++) {
        unsigned seed = 11;
        for (int i = 0; i < WORK_ITEMS; i++) {
            snprintf (ids [i], sizeof ids [i], "claims-%010d", i);
            int path = rand_r (&seed) % 4;         //  0 open, 1 done in time, 2 done late, 3 cancelled
            bool with_due = rand_r (&seed) % 3;
            int mover = rand_r (&seed) % 2;
            uint64_t created = start + (uint64_t) (i % 9) * day_ms;
            uint64_t at = created + (uint64_t) round * day_ms / 2;
            WorkItem item = WORK_ITEM__INIT;
            item.id = ids [i];
            item.service = i % 5? "claims": "denials";
            item.type = i % 7? "follow_up": "denial";
            item.queue = (char *) queues [i % 2];
            item.team = i % 4? "internal": "acme";
            item.owner = (char *) owners [round >= 1 && mover? 1 + i % 2: 0];
            item.state = "open";
            item.created_ms = created;
            item.due_ms = with_due? created + (uint64_t) (3 + round % 2) * day_ms: 0;
            item.target_ms = with_due? 3 * day_ms: 0;
            item.spent_ms = path == 2? 4 * day_ms: day_ms;
            if (round >= 2)
                item.first_touch_ms = created + day_ms / 3;
            const char *stream = streq (item.service, "claims")? "claims": "denials";
            const char *what = round == 0? "created": round == 1? "assigned": round == 3? "due_changed": "state_changed";
            if (round == 2)
                item.state = "in_progress";
            if (round == 4 && path) {
                item.state = path == 3? "cancelled": "done";
                item.closed_ms = at;
            }
            if (round == 4 && !path)
                continue;
            mt_work (store, stream, what, &item, at);
        }
    }
}

//  The same work events in batches (flows and open counts summed in
//  memory, ids looked up once a batch) leave the same work tables, byte
//  for byte, as one event a transaction.
START_TEST (test_rebuild_work_batched)
{
    mt_log_reset ();
    mt_store_t *live = mt_store_new ();
    s_feed_work (live);
    static const char *const tables [] = { "work_facts", "work_dims", "work_dims_by_id", "work_open", "work_due",
                                           "work_by_day", NULL };
    //  The mix moves stock: some items open, some closed, some moved.
    MDB_txn *txn = store_read_begin (live->store);
    ck_assert_int_gt (store_count (live->store, txn, "work_open"), 1);
    ck_assert_int_gt (store_count (live->store, txn, "work_due"), 0);
    ck_assert_int_gt (store_count (live->store, txn, "work_by_day"), 5);
    store_read_end (&txn);
    static const size_t pers [] = { 1, 7, 100, 100000 };
    for (size_t p = 0; p < sizeof pers / sizeof pers [0]; p++) {
        metrics_t *metrics = metrics_new (NULL);
        ck_assert (metrics);
        mt_store_t *batched = mt_store_new ();
        mt_replay_batched (batched, metrics, pers [p]);
        for (const char *const *table = tables; *table; table++) {
            char *want = mt_table_dump (live, *table);
            char *got = mt_table_dump (batched, *table);
            ck_assert_msg (streq (want, got), "%s differs, %zu per batch", *table, pers [p]);
            free (want);
            free (got);
        }
        mt_store_destroy (&batched);
        metrics_destroy (&metrics);
    }
    mt_store_destroy (&live);
}
END_TEST

//  A claim entered and voided in one batch: its balance moves out as it
//  moved in, so the batch's sums are zero. One by one, the moves left an
//  ar_total row at zero and the week's snapshot opened; the batch leaves
//  the same (fails when a zero sum writes nothing).
START_TEST (test_rebuild_batch_moves_cancel)
{
    mt_log_reset ();
    mt_store_t *live = mt_store_new ();
    mt_dims_t dims = { .payer = "Z9" };
    mt_received (live, "PCNZ", dims, 5000, "2026-03-02", NULL);
    mt_claim (live, "entered", (mt_claim_t) { .pcn = "PCNZ", .dims = dims, .date = "2026-03-02", .dos = "20260301",
                                              .charge = 5000 });
    mt_claim (live, "voided", (mt_claim_t) { .pcn = "PCNZ", .dims = dims, .date = "2026-03-02", .dos = "20260301" });
    static const char *const tables [] = { "ar_open", "ar_total", "ar_moves", "ar_weeks", "ar_week_total", NULL };
    MDB_txn *txn = store_read_begin (live->store);
    ck_assert_int_eq (store_count (live->store, txn, "ar_total"), 1);
    ck_assert_int_eq (store_count (live->store, txn, "ar_week_total"), 1);
    ck_assert_int_eq (store_count (live->store, txn, "ar_open"), 0);
    store_read_end (&txn);
    metrics_t *metrics = metrics_new (NULL);
    mt_store_t *batched = mt_store_new ();
    mt_replay_batched (batched, metrics, 100);
    for (const char *const *table = tables; *table; table++) {
        char *want = mt_table_dump (live, *table);
        char *got = mt_table_dump (batched, *table);
        ck_assert_msg (streq (want, got), "%s differs", *table);
        free (want);
        free (got);
    }
    mt_store_destroy (&batched);
    metrics_destroy (&metrics);
    mt_store_destroy (&live);
}
END_TEST

//  agg_reasons_sum's rows, summed: how many codes, their counts, cents.
typedef struct {
    size_t codes;
    int64_t count;
    int64_t cents;
} s_reasons_t;

static void
s_reason_row (void *arg, agg_reason_kind_t kind, const char *code, size_t length, int64_t count, int64_t cents)
{
    (void) kind;
    (void) code;
    (void) length;
    s_reasons_t *reasons = (s_reasons_t *) arg;
    reasons->codes++;
    reasons->count += count;
    reasons->cents += cents;
}

//  Several events of one batch on the same cohort row (by_dos) and the
//  same reasons rows (rejections by rule, denials by category), which the
//  batch sums in memory and writes once at its end, with their month
//  twins: the rows one event a transaction leaves, with every add in
//  them (fails when the held adds are not written, or written once
//  instead of summed).
START_TEST (test_rebuild_batch_same_rows)
{
    mt_log_reset ();
    mt_store_t *live = mt_store_new ();
    mt_dims_t dims = { .payer = "P7" };
    mt_received (live, "PCNR1", dims, 1000, "2026-03-02", "NPI001");
    mt_received (live, "PCNR2", dims, 2000, "2026-03-02", "NPI001,CHG001");
    static const char *const pcns [] = { "PCNS1", "PCNS2", "PCNS3" };
    for (size_t i = 0; i < 3; i++) {
        mt_received (live, pcns [i], dims, 5000, "2026-03-02", NULL);
        mt_claim (live, "entered", (mt_claim_t) { .pcn = pcns [i], .dims = dims, .date = "2026-03-02",
                                                  .dos = "20260301", .charge = 5000 });
    }
    for (size_t i = 0; i < 2; i++) {
        mt_claim (live, "adjudicated", (mt_claim_t) { .pcn = pcns [i], .dims = dims, .date = "2026-03-20",
                                                      .dos = "20260301", .remit_date = "20260320",
                                                      .to_status = "denied", .denied = 5000 });
        mt_claim (live, "denied", (mt_claim_t) { .pcn = pcns [i], .dims = dims, .date = "2026-03-20",
                                                 .dos = "20260301", .remit_date = "20260320",
                                                 .denials = i? "coding:200": "coding:100,eligibility:50" });
    }
    static const char *const tables [] = { "by_dos", "by_dos_month", "reasons", "reasons_month", NULL };
    static const size_t pers [] = { 3, 100 };
    for (size_t p = 0; p < sizeof pers / sizeof pers [0]; p++) {
        metrics_t *metrics = metrics_new (NULL);
        mt_store_t *batched = mt_store_new ();
        mt_replay_batched (batched, metrics, pers [p]);
        for (const char *const *table = tables; *table; table++) {
            char *want = mt_table_dump (live, *table);
            char *got = mt_table_dump (batched, *table);
            ck_assert_msg (streq (want, got), "%s differs, %zu per batch", *table, pers [p]);
            free (want);
            free (got);
        }
        //  And what they hold: one cohort of three claims; NPI001 twice,
        //  CHG001 once; coding twice (300 cents), eligibility once.
        MDB_txn *txn = store_read_begin (batched->store);
        ck_assert_int_eq (store_count (batched->store, txn, "by_dos"), 1);
        int64_t cohort [AGG_DOS_COUNT] = { 0 };
        uint32_t dos = mt_day ("2026-03-01");
        ck_assert_int_eq (agg_dos_sum (batched->store, txn, 1, dos, dos, cohort), 0);
        ck_assert_int_eq (cohort [AGG_DOS_claims], 3);
        ck_assert_int_eq (cohort [AGG_DOS_charge_cents], 15000);
        int64_t month [AGG_DOS_COUNT] = { 0 };
        ck_assert_int_eq (agg_dos_sum (batched->store, txn, 1, mt_day ("2026-03-01"), mt_day ("2026-03-31"),
                                       month), 0);
        ck_assert_int_eq (month [AGG_DOS_claims], 3);
        s_reasons_t rejections = { 0 }, denials = { 0 };
        ck_assert_int_eq (agg_reasons_sum (batched->store, txn, 1, AGG_REASON_REJECTION, mt_day ("2026-03-01"),
                                           mt_day ("2026-03-31"), s_reason_row, &rejections), 0);
        ck_assert_int_eq (rejections.codes, 2);
        ck_assert_int_eq (rejections.count, 3);
        ck_assert_int_eq (rejections.cents, 1000 + 2000 + 2000);
        ck_assert_int_eq (agg_reasons_sum (batched->store, txn, 1, AGG_REASON_DENIAL, mt_day ("2026-03-20"),
                                           mt_day ("2026-03-20"), s_reason_row, &denials), 0);
        ck_assert_int_eq (denials.codes, 2);
        ck_assert_int_eq (denials.count, 3);
        ck_assert_int_eq (denials.cents, 350);
        store_read_end (&txn);
        mt_store_destroy (&batched);
        metrics_destroy (&metrics);
    }
    mt_store_destroy (&live);
}
END_TEST

typedef struct {
    metrics_t *metrics;
    const Event *event;             //  NULL: a batch of no event
    bool refuse;                    //  the batch fails after its event
} s_try_t;

static int
s_try (store_t *store, MDB_txn *txn, void *arg)
{
    s_try_t *try = (s_try_t *) arg;
    int rc = metrics_batch (store, txn, false, try->metrics);
    if (rc == 0 && try->event)
        rc = metrics_apply (store, txn, try->event, try->metrics);
    if (rc == 0 && try->refuse)
        return store_fail (store, "refused by the test");
    return rc? rc: metrics_batch (store, txn, true, try->metrics);
}

//  A batch that aborts (an event refused, or store_write's retry after
//  growing the map) leaves nothing of what it held: the next batch, even
//  one without events, writes none of it.
START_TEST (test_rebuild_batch_aborted)
{
    mt_store_t *store = mt_store_new ();
    metrics_t *metrics = metrics_new (NULL);
    ck_assert (metrics);
    ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
    dims.payer_id = "P1";
    ClaimAccepted accepted = CLAIM_ACCEPTED__INIT;
    accepted.pcn = "PCN1";
    accepted.dims = &dims;
    accepted.charge_cents = 1000;
    accepted.received_ms = (uint64_t) (mt_day ("2026-03-01") - 1) * CLOCK_MS_PER_DAY;
    Event fresh = EVENT__INIT;
    fresh.stream = "intake";
    fresh.type = "claim_accepted";
    fresh.stream_seq = 1;
    fresh.time_ms = accepted.received_ms;
    fresh.payload.data = codec_pack (&accepted, &fresh.payload.len);
    const Event *event = &fresh;
    MDB_txn *txn;

    s_try_t refused = { metrics, event, true };
    ck_assert_int_ne (store_write (store->store, s_try, &refused), 0);
    //  It held the day's flows and the new dimensions' id ...
    ck_assert_int_eq (metrics_batch_rows (metrics_open_batch (metrics)), 1);
    s_try_t empty = { metrics, NULL, false };
    ck_assert_int_eq (store_write (store->store, s_try, &empty), 0);
    //  ... and none of it reached the store, nor stayed in memory.
    txn = store_read_begin (store->store);
    ck_assert_int_eq (store_count (store->store, txn, "by_day"), 0);
    ck_assert_int_eq (store_count (store->store, txn, "dims"), 0);
    ck_assert_int_eq (store_count (store->store, txn, "facts"), 0);
    store_read_end (&txn);
    ck_assert (metrics_open_batch (metrics) == NULL);

    //  The same event in a batch that commits: one by_day row, one id,
    //  and the id is the first one (the aborted batch's is not reused
    //  from memory: it was never stored).
    s_try_t applied = { metrics, event, false };
    ck_assert_int_eq (store_write (store->store, s_try, &applied), 0);
    txn = store_read_begin (store->store);
    ck_assert_int_eq (store_count (store->store, txn, "by_day"), 1);
    ck_assert_int_eq (store_count (store->store, txn, "dims"), 1);
    store_read_end (&txn);
    free (fresh.payload.data);
    metrics_destroy (&metrics);
    mt_store_destroy (&store);
}
END_TEST

Suite *
metrics_rebuild_suite (void)
{
    Suite *suite = suite_create ("metrics_rebuild");
    TCase *tcase = tcase_create ("rebuild");
    tcase_set_timeout (tcase, 60);
    tcase_add_test (tcase, test_rebuild_determinism);
    tcase_add_test (tcase, test_rebuild_batched);
    tcase_add_test (tcase, test_rebuild_work_batched);
    tcase_add_test (tcase, test_rebuild_batch_moves_cancel);
    tcase_add_test (tcase, test_rebuild_batch_same_rows);
    tcase_add_test (tcase, test_rebuild_batch_aborted);
    suite_add_tcase (suite, tcase);
    return suite;
}
