/*  test_metrics_aging: A/R aging by date of service as as_of advances, A/R
    as of earlier days (the weekly snapshot on or before as_of plus the
    moves after it), and balances following a claim whose dimensions or
    date of service change.
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

//  Issue 10 defect 5: claims entered on 2026-12-06, then (its clock set
//  back 40 days) posted a payment dated 2026-10-27. A/R as of any day must
//  never go negative: the payment counts from the day the claim entered.
START_TEST (test_posting_before_entry)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "B1", .date = "2026-12-06", .dos = "20261120", .charge = 10000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "B1", .date = "2026-10-27", .remit_date = "20261026",
                                                   .to_status = "paid", .paid = 7000, .contractual = 1000 });
    static const char *days [] = { "2026-10-26", "2026-10-27", "2026-11-15", "2026-12-05", "2026-12-06", "2026-12-31" };
    for (size_t i = 0; i < sizeof days / sizeof days [0]; i++) {
        for (int bucket = 0; bucket < AGG_BUCKETS; bucket++)
            ck_assert_msg (s_bucket (store, days [i], bucket, false) >= 0, "bucket %d negative as of %s", bucket, days [i]);
        kpi_query_t query = mt_query (days [i], 90);
        int64_t ar = mt_value (store, &query, NULL, "ar_cents").amount;
        ck_assert_msg (ar >= 0, "A/R %lld as of %s", (long long) ar, days [i]);
    }
    //  Before it entered nothing is owed; from then on what is left.
    kpi_query_t query = mt_query ("2026-12-05", 90);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_cents").amount, 0);
    query = mt_query ("2026-12-06", 90);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_cents").amount, 2000);
    ck_assert_int_eq (s_bucket (store, "2026-12-06", B0_30, false), 2000);
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

//  Weekly snapshots: 2026-03-01 is a Sunday, the end of a snapshot week.
//  Moves fall on both sides of it and on it, and some are posted late (fed
//  after moves of later weeks), so snapshots already taken must take them
//  in. As of days before, on and after the boundary, every bucket must be
//  the hand count of the claims' balances that day.
//
//  S0: DOS 2025-10-01, 7000, entered 02-18, paid in full, posted 03-04.
//  S1: DOS 2026-01-20, 10000, entered 02-25; paid 3000 posted 03-01 (the
//      Sunday); paid 2000 + 1000 patient's posted 03-02 (the Monday).
//  S2: DOS 2026-02-26, 5000, entered 03-03.
//  S3: DOS 2026-02-15, 2000, entered 02-27 but fed after S2 (late); paid in
//      full posted 03-08 (the next Sunday).
//  S4: DOS 2026-02-10, 1500, entered 02-11 and fed last: a week older than
//      any snapshot taken so far; never paid.
START_TEST (test_snapshot_boundary)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "S0", .date = "2026-02-18", .dos = "20251001", .charge = 7000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "S1", .date = "2026-02-25", .dos = "20260120", .charge = 10000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "S1", .date = "2026-03-01", .remit_date = "20260227",
                                                   .to_status = "paid", .paid = 3000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "S1", .date = "2026-03-02", .remit_date = "20260302",
                                                   .to_status = "paid", .paid = 2000, .patient = 1000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "S2", .date = "2026-03-03", .dos = "20260226", .charge = 5000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "S3", .date = "2026-02-27", .dos = "20260215", .charge = 2000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "S0", .date = "2026-03-04", .remit_date = "20260304",
                                                   .to_status = "paid", .paid = 7000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "S3", .date = "2026-03-08", .remit_date = "20260306",
                                                   .to_status = "paid", .paid = 2000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "S4", .date = "2026-02-11", .dos = "20260210", .charge = 1500 });

    static const struct {
        const char *as_of;
        int64_t insurance [AGG_BUCKETS];
        int64_t patient [AGG_BUCKETS];
    } cases [] = {
        { "2026-02-10", {    0,     0,    0, 0,     0 }, { 0,    0,    0, 0,    0 } },   //  nothing yet
        { "2026-02-11", { 1500,     0,    0, 0,     0 }, { 0,    0,    0, 0,    0 } },   //  S4 (late) alone
        { "2026-02-17", { 1500,     0,    0, 0,     0 }, { 0,    0,    0, 0,    0 } },
        { "2026-02-18", { 1500,     0,    0, 0,  7000 }, { 0,    0,    0, 0,    0 } },   //  + S0, over 120
        { "2026-02-24", { 1500,     0,    0, 0,  7000 }, { 0,    0,    0, 0,    0 } },
        { "2026-02-25", { 1500, 10000,    0, 0,  7000 }, { 0,    0,    0, 0,    0 } },   //  + S1, age 36
        { "2026-02-27", { 3500, 10000,    0, 0,  7000 }, { 0,    0,    0, 0,    0 } },   //  + S3 (late)
        { "2026-02-28", { 3500, 10000,    0, 0,  7000 }, { 0,    0,    0, 0,    0 } },   //  before the boundary
        { "2026-03-01", { 3500,  7000,    0, 0,  7000 }, { 0,    0,    0, 0,    0 } },   //  on it: S1 paid 3000
        { "2026-03-02", { 3500,  4000,    0, 0,  7000 }, { 0, 1000,    0, 0,    0 } },   //  after it: S1 2000 + 1000
        { "2026-03-03", { 8500,  4000,    0, 0,  7000 }, { 0, 1000,    0, 0,    0 } },   //  + S2
        { "2026-03-04", { 8500,  4000,    0, 0,     0 }, { 0, 1000,    0, 0,    0 } },   //  S0 paid
        { "2026-03-07", { 8500,  4000,    0, 0,     0 }, { 0, 1000,    0, 0,    0 } },
        { "2026-03-08", { 6500,  4000,    0, 0,     0 }, { 0, 1000,    0, 0,    0 } },   //  S3 paid, next Sunday
        { "2026-03-12", { 6500,  4000,    0, 0,     0 }, { 0, 1000,    0, 0,    0 } },   //  S4 age 30
        { "2026-03-13", { 5000,  5500,    0, 0,     0 }, { 0, 1000,    0, 0,    0 } },   //  S4 age 31
        { "2026-03-21", { 5000,  5500,    0, 0,     0 }, { 0, 1000,    0, 0,    0 } },   //  S1 age 60
        { "2026-03-22", { 5000,  1500, 4000, 0,     0 }, { 0,    0, 1000, 0,    0 } },   //  S1 age 61
        { "2026-12-31", {    0,     0,    0, 0, 10500 }, { 0,    0,    0, 0, 1000 } },   //  no moves after
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        for (int bucket = 0; bucket < AGG_BUCKETS; bucket++) {
            const char *as_of = cases [i].as_of;
            ck_assert_msg (s_bucket (store, as_of, bucket, false) == cases [i].insurance [bucket],
                           "insurance as of %s, bucket %d", as_of, bucket);
            ck_assert_msg (s_bucket (store, as_of, bucket, true) == cases [i].patient [bucket],
                           "patient as of %s, bucket %d", as_of, bucket);
        }
    mt_store_destroy (&store);
}
END_TEST

//  The same against a model, at volume: claims of two payers entered over
//  fifteen weeks, most paid (in part) weeks later, fed claim by claim so
//  that balance moves arrive far out of day order. As of every day, each
//  bucket equals the sum the test makes of the claims' own balances.
#define MODEL_CLAIMS 200
#define MODEL_DAYS   150

typedef struct {
    uint32_t dos, entered, paid_day;
    int64_t charge, paid, patient;
} s_model_claim_t;

static uint32_t
s_model_random (uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

START_TEST (test_snapshot_model)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    static s_model_claim_t claims [MODEL_CLAIMS];
    uint32_t seed = 7, start = mt_day ("2026-01-05");
    for (int i = 0; i < MODEL_CLAIMS; i++) {
        s_model_claim_t *claim = &claims [i];
        claim->entered = start + s_model_random (&seed) % 105;
        claim->dos = claim->entered - 1 - s_model_random (&seed) % 140;
        claim->charge = 1000 + s_model_random (&seed) % 9000;
        claim->paid_day = s_model_random (&seed) % 4? claim->entered + s_model_random (&seed) % 40: 0;
        claim->paid = claim->charge * (40 + s_model_random (&seed) % 60) / 100;
        claim->patient = claim->paid_day && s_model_random (&seed) % 3 == 0? (claim->charge - claim->paid) / 2: 0;
        char pcn [16], date [16], dos [16];
        snprintf (pcn, sizeof pcn, "MD%03d", i);
        metrics_day_format (claim->entered, date, sizeof date);
        metrics_day_format (claim->dos, dos, sizeof dos);
        mt_dims_t dims = { .payer = i % 2? "P1": "P2" };
        mt_claim (store, "entered", (mt_claim_t) { .pcn = pcn, .dims = dims, .date = date, .dos = dos,
                                                   .charge = claim->charge });
        if (claim->paid_day) {
            metrics_day_format (claim->paid_day, date, sizeof date);
            mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = pcn, .dims = dims, .date = date,
                                                           .to_status = "paid", .paid = claim->paid,
                                                           .patient = claim->patient });
        }
    }
    for (uint32_t as_of = start - 1; as_of < start + MODEL_DAYS; as_of++) {
        int64_t insurance [AGG_BUCKETS] = { 0 }, patient [AGG_BUCKETS] = { 0 };
        for (int i = 0; i < MODEL_CLAIMS; i++) {
            const s_model_claim_t *claim = &claims [i];
            if (claim->entered > as_of)
                continue;
            bool paid = claim->paid_day && claim->paid_day <= as_of;
            int bucket = agg_bucket_of ((int64_t) as_of - claim->dos);
            insurance [bucket] += claim->charge - (paid? claim->paid + claim->patient: 0);
            patient [bucket] += paid? claim->patient: 0;
        }
        kpi_query_t query = mt_query ("2026-01-01", 90);
        query.as_of = query.to = as_of;
        query.from = as_of - 89;
        query.balances_only = true;
        kpi_result_t *result = mt_run (store, &query);
        char date [16];
        metrics_day_format (as_of, date, sizeof date);
        for (int bucket = 0; bucket < AGG_BUCKETS; bucket++) {
            ck_assert_msg (result->overall.totals.insurance [bucket] == insurance [bucket],
                           "insurance as of %s, bucket %d: %lld, not %lld", date, bucket,
                           (long long) result->overall.totals.insurance [bucket], (long long) insurance [bucket]);
            ck_assert_msg (result->overall.totals.patient [bucket] == patient [bucket],
                           "patient as of %s, bucket %d", date, bucket);
        }
        kpi_result_destroy (&result);
    }
    mt_store_destroy (&store);
}
END_TEST

Suite *
metrics_aging_suite (void)
{
    Suite *suite = suite_create ("metrics_aging");
    TCase *tcase = tcase_create ("aging");
    tcase_add_test (tcase, test_buckets_move);
    tcase_add_test (tcase, test_posting_before_entry);
    tcase_add_test (tcase, test_team_change);
    tcase_add_test (tcase, test_replacement);
    suite_add_tcase (suite, tcase);
    //  The model feeds some 400 events, each committed (and synced) on its
    //  own as the consumer would: slow under a sanitizer on a busy machine.
    tcase = tcase_create ("snapshots");
    tcase_add_test (tcase, test_snapshot_boundary);
    tcase_add_test (tcase, test_snapshot_model);
    tcase_set_timeout (tcase, 60);
    suite_add_tcase (suite, tcase);
    return suite;
}
