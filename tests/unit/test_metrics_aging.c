/*  test_metrics_aging: A/R aging by date of service as as_of advances, A/R
    as of earlier days (today's balances less the moves after as_of), and
    balances following a claim whose dimensions or date of service change.
*/
#include "test_metrics_feed.h"

enum { B0_30, B31_60, B61_90, B91_120, OVER_120 };

static int64_t
s_bucket (mt_store_t *store, const char *as_of, int bucket, bool patient)
{
    kpi_query_t query = mt_query (as_of, 90);
    query.balances_only = true;
    kpi_result_t *result = mt_run (store, &query);
    int64_t cents = patient? result->overall.totals.patient [bucket]: result->overall.totals.insurance [bucket];
    kpi_result_destroy (&result);
    return cents;
}

//  G1: DOS 2026-01-01, 10000, entered 2026-01-05, never paid.
//  G3: DOS 2026-01-01, 4000, entered 2026-01-05, paid in full: remit date
//      2026-02-15, posted 2026-02-16.
//  G2: DOS 2026-03-01, 3000, entered 2026-03-02, paid 2000 on 2026-03-20,
//      the other 1000 the patient's.
START_TEST (test_buckets_move)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "G1", .date = "2026-01-05", .dos = "20260101", .charge = 10000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "G3", .date = "2026-01-05", .dos = "20260101", .charge = 4000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "G3", .date = "2026-02-16", .remit_date = "20260215",
                                                   .to_status = "paid", .paid = 4000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "G2", .date = "2026-03-02", .dos = "20260301", .charge = 3000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "G2", .date = "2026-03-20", .remit_date = "20260320",
                                                   .to_status = "paid", .paid = 2000, .patient = 1000 });

    //  Before they were entered nothing is owed.
    for (int bucket = 0; bucket < AGG_BUCKETS; bucket++)
        ck_assert_int_eq (s_bucket (store, "2026-01-03", bucket, false), 0);
    //  Age 30 is 0-30, age 31 is 31-60.
    ck_assert_int_eq (s_bucket (store, "2026-01-31", B0_30, false), 14000);
    ck_assert_int_eq (s_bucket (store, "2026-02-01", B0_30, false), 0);
    ck_assert_int_eq (s_bucket (store, "2026-02-01", B31_60, false), 14000);
    //  G3 leaves A/R the day its payment was posted.
    ck_assert_int_eq (s_bucket (store, "2026-02-15", B31_60, false), 14000);
    ck_assert_int_eq (s_bucket (store, "2026-02-16", B31_60, false), 10000);
    //  Age 60 / 61; G2 arrives in 0-30.
    ck_assert_int_eq (s_bucket (store, "2026-03-02", B31_60, false), 10000);
    ck_assert_int_eq (s_bucket (store, "2026-03-02", B0_30, false), 3000);
    ck_assert_int_eq (s_bucket (store, "2026-03-03", B61_90, false), 10000);
    //  Age 90 / 91; by then G2 owes only its patient part, aged 31.
    ck_assert_int_eq (s_bucket (store, "2026-04-01", B61_90, false), 10000);
    ck_assert_int_eq (s_bucket (store, "2026-04-01", B31_60, true), 1000);
    ck_assert_int_eq (s_bucket (store, "2026-04-01", B31_60, false), 0);
    ck_assert_int_eq (s_bucket (store, "2026-04-02", B61_90, false), 0);
    ck_assert_int_eq (s_bucket (store, "2026-04-02", B91_120, false), 10000);
    //  Age 120 / 121.
    ck_assert_int_eq (s_bucket (store, "2026-05-01", B91_120, false), 10000);
    ck_assert_int_eq (s_bucket (store, "2026-05-02", OVER_120, false), 10000);
    ck_assert_int_eq (s_bucket (store, "2026-05-02", B61_90, true), 1000);

    //  % of A/R over 90 days: 0 of 11000 on 04-01, 10000 of 11000 on 04-02.
    kpi_query_t query = mt_query ("2026-04-01", 90);
    kpi_value_t over = mt_value (store, &query, NULL, "pct_ar_over_90");
    ck_assert (over.available);
    ck_assert_int_eq (over.numerator, 0);
    ck_assert_int_eq (over.denominator, 11000);
    query = mt_query ("2026-04-02", 90);
    over = mt_value (store, &query, NULL, "pct_ar_over_90");
    ck_assert_int_eq (over.numerator, 10000);
    ck_assert_double_eq_tol (over.value, 10000.0 / 11000.0, 1e-9);
    mt_store_destroy (&store);
}
END_TEST

//  M1 moves from the internal team to a vendor on 2026-03-10: its balance
//  and cohort go with it from that day; before it, they were internal's.
START_TEST (test_team_change)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "M1", .date = "2026-03-01", .dos = "20260228", .charge = 10000,
                                               .dims = { .team = "internal" } });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "M2", .date = "2026-03-01", .dos = "20260228", .charge = 500,
                                               .dims = { .team = "internal" } });
    mt_claim (store, "followup", (mt_claim_t) { .pcn = "M1", .date = "2026-03-10", .dos = "20260228",
                                                .dims = { .team = "acme" } });
    kpi_query_t query = mt_query ("2026-03-31", 90);
    mt_group (&query, "owner_team");
    ck_assert_int_eq (mt_value (store, &query, "acme", "ar_cents").amount, 10000);
    ck_assert_int_eq (mt_value (store, &query, "internal", "ar_cents").amount, 500);
    ck_assert_int_eq (mt_value (store, &query, "acme", "charges_cents").amount, 10000);
    ck_assert_int_eq (mt_value (store, &query, "internal", "charges_cents").amount, 500);
    query.as_of = mt_day ("2026-03-05");
    ck_assert_int_eq (mt_value (store, &query, "acme", "ar_cents").amount, 0);
    ck_assert_int_eq (mt_value (store, &query, "internal", "ar_cents").amount, 10500);
    //  Overall nothing moved.
    query.group_count = 0;
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_cents").amount, 10500);
    mt_store_destroy (&store);
}
END_TEST

//  A replacement claim re-enters its PCN with a new charge and date of
//  service: the old cohort day and aging bucket let go of it.
START_TEST (test_replacement)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "R1", .date = "2026-01-02", .dos = "20260101", .charge = 10000 });
    mt_claim (store, "corrected", (mt_claim_t) { .pcn = "R1", .date = "2026-03-01", .dos = "20260101", .to_status = "corrected" });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "R1", .date = "2026-03-02", .dos = "20260301", .charge = 12000 });
    kpi_query_t query = mt_query ("2026-03-31", 31);     //  2026-03-01 .. 03-31
    ck_assert_int_eq (mt_value (store, &query, NULL, "charges_cents").amount, 12000);
    query = mt_query ("2026-01-31", 31);
    ck_assert_int_eq (mt_value (store, &query, NULL, "charges_cents").amount, 0);
    ck_assert_int_eq (s_bucket (store, "2026-03-31", B0_30, false), 12000);
    ck_assert_int_eq (s_bucket (store, "2026-03-31", B61_90, false), 0);
    //  As of 2026-02-15, before the replacement, 10000 aged 45 days.
    ck_assert_int_eq (s_bucket (store, "2026-02-15", B31_60, false), 10000);
    ck_assert_int_eq (s_bucket (store, "2026-02-15", B0_30, false), 0);
    mt_store_destroy (&store);
}
END_TEST

Suite *
metrics_aging_suite (void)
{
    Suite *suite = suite_create ("metrics_aging");
    TCase *tcase = tcase_create ("aging");
    tcase_add_test (tcase, test_buckets_move);
    tcase_add_test (tcase, test_team_change);
    tcase_add_test (tcase, test_replacement);
    suite_add_tcase (suite, tcase);
    return suite;
}
