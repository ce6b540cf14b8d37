/*  test_metrics_rebuild: the same events give the same figures, whichever
    way the intake and claims streams interleave (a live run and a rebuild
    interleave them differently) and after a wipe and a replay
    (metrics.Rebuild). A seeded mix of claims goes through every event
    type, with reversals, team changes and replacements.
*/
#include "test_metrics_feed.h"

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

Suite *
metrics_rebuild_suite (void)
{
    Suite *suite = suite_create ("metrics_rebuild");
    TCase *tcase = tcase_create ("rebuild");
    tcase_set_timeout (tcase, 60);
    tcase_add_test (tcase, test_rebuild_determinism);
    suite_add_tcase (suite, tcase);
    return suite;
}
