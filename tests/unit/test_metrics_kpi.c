/*  test_metrics_kpi: every formula of docs/metrics.md on hand-computed
    cases. Events go through metrics_apply into a temporary store as the
    consumer would apply them; figures come from kpi_run. The expected
    numbers are worked out in the comments, not taken from the code.
*/
#include "test_metrics_feed.h"
#include "clock.h"

#define NO_DIMS  ((mt_dims_t) { 0 })
#define PAYER(p) ((mt_dims_t) { .payer = p })

static void
s_assert_value (kpi_value_t value, int64_t numerator, int64_t denominator, double expected)
{
    ck_assert_msg (value.available, "figure not available (%lld / %lld)",
                   (long long) value.numerator, (long long) value.denominator);
    ck_assert_int_eq (value.numerator, numerator);
    ck_assert_int_eq (value.denominator, denominator);
    ck_assert_double_eq_tol (value.value, expected, 1e-9);
}

//  Received in the 90 days to 2026-03-31 (2026-01-01 .. 03-31):
//  A1, A2 (P1, clean), R1 (P1, rejected), B1 (P2, clean) -> 3 / 4.
START_TEST (test_clean_claim_rate)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_received (store, "A1", PAYER ("P1"), 10000, "2026-03-01", NULL);
    mt_received (store, "A2", PAYER ("P1"), 20000, "2026-03-05", NULL);
    mt_received (store, "R1", PAYER ("P1"), 5000, "2026-03-06", "NPI001,CHG001,NPI001");
    mt_received (store, "B1", PAYER ("P2"), 7000, "2026-03-10", NULL);
    mt_received (store, "OLD", PAYER ("P1"), 1000, "2025-11-01", NULL);
    mt_received (store, "FUT", PAYER ("P2"), 3000, "2026-04-02", "CHG001");

    kpi_query_t query = mt_query ("2026-03-31", 90);
    s_assert_value (mt_value (store, &query, NULL, "clean_claim_rate"), 3, 4, 0.75);
    ck_assert_int_eq (mt_value (store, &query, NULL, "received").amount, 4);
    ck_assert_int_eq (mt_value (store, &query, NULL, "rejected").amount, 1);

    mt_group (&query, "payer");
    s_assert_value (mt_value (store, &query, "P1", "clean_claim_rate"), 2, 3, 2.0 / 3.0);
    s_assert_value (mt_value (store, &query, "P2", "clean_claim_rate"), 1, 1, 1.0);

    //  Rejections by rule: R1 counts once per rule it broke, with its charge.
    kpi_result_t *result = mt_run (store, &query);
    ck_assert_int_eq (kpi_reason (&result->overall.totals, 1, "NPI001", false), 1);
    ck_assert_int_eq (kpi_reason (&result->overall.totals, 1, "NPI001", true), 5000);
    ck_assert_int_eq (kpi_reason (&result->overall.totals, 1, "CHG001", false), 1);
    ck_assert_int_eq (result->group_count, 2);
    kpi_result_destroy (&result);

    //  Thirty days on (2026-01-31 .. 04-30) FUT counts: 3 clean of 5; CHG001 twice.
    query = mt_query ("2026-04-30", 90);
    s_assert_value (mt_value (store, &query, NULL, "clean_claim_rate"), 3, 5, 0.6);
    result = mt_run (store, &query);
    ck_assert_int_eq (kpi_reason (&result->overall.totals, 1, "CHG001", false), 2);
    ck_assert_int_eq (kpi_reason (&result->overall.totals, 1, "CHG001", true), 8000);
    kpi_result_destroy (&result);

    //  Filtered to P2: B1 clean, FUT rejected.
    mt_filter (&query, "payer_id", "P2");
    s_assert_value (mt_value (store, &query, NULL, "clean_claim_rate"), 1, 2, 0.5);
    mt_store_destroy (&store);
}
END_TEST

//  Nothing in the window: every rate is "not available", amounts are 0.
START_TEST (test_empty_window)
{
    static const char *const rates [] = {
        "clean_claim_rate", "initial_denial_rate", "initial_denial_rate_dollars",
        "net_collection_rate", "days_in_ar", "pct_ar_over_90", NULL
    };
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    kpi_query_t query = mt_query ("2026-03-31", 90);
    for (const char *const *name = rates; *name; name++)
        ck_assert_msg (!mt_value (store, &query, NULL, *name).available, "%s on an empty store", *name);
    kpi_value_t ar = mt_value (store, &query, NULL, "ar_cents");
    ck_assert (ar.available);
    ck_assert_int_eq (ar.amount, 0);

    //  With data, but a window before all of it.
    mt_received (store, "A1", NO_DIMS, 10000, "2026-03-01", NULL);
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "A1", .date = "2026-03-02", .dos = "20260301", .charge = 10000 });
    query = mt_query ("2025-06-30", 90);
    for (const char *const *name = rates; *name; name++)
        ck_assert_msg (!mt_value (store, &query, NULL, *name).available, "%s before any event", *name);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_cents").amount, 0);
    //  ... and the same query in the window does have figures.
    query = mt_query ("2026-03-31", 90);
    ck_assert (mt_value (store, &query, NULL, "clean_claim_rate").available);
    ck_assert (mt_value (store, &query, NULL, "days_in_ar").available);
    mt_store_destroy (&store);
}
END_TEST

//  First adjudications in the window (by remit date): C1 paid, C2 denied
//  (later paid on appeal: still a first denial), C3 partially paid. C4's
//  first adjudication is before the window. By count 1 / 3; by dollars
//  C2's charge over the three charges: 20000 / 35000.
START_TEST (test_initial_denial_rate)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "C1", .date = "2026-03-01", .dos = "20260225", .charge = 10000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "C2", .date = "2026-03-01", .dos = "20260226", .charge = 20000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "C3", .date = "2026-03-01", .dos = "20260226", .charge = 5000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "C4", .date = "2025-11-01", .dos = "20251020", .charge = 40000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "C4", .date = "2025-12-01", .remit_date = "20251201",
                                                   .to_status = "denied", .denied = 40000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "C1", .date = "2026-03-11", .remit_date = "20260310",
                                                   .to_status = "paid", .paid = 8000, .contractual = 2000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "C2", .date = "2026-03-12", .remit_date = "20260312",
                                                   .to_status = "denied", .denied = 20000 });
    mt_claim (store, "denied", (mt_claim_t) { .pcn = "C2", .date = "2026-03-12", .remit_date = "20260312",
                                              .denials = "coding:20000" });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "C3", .date = "2026-03-15", .remit_date = "20260315",
                                                   .to_status = "partially_paid", .paid = 2000, .contractual = 1000,
                                                   .denied = 2000 });
    mt_claim (store, "reversed", (mt_claim_t) { .pcn = "C1", .date = "2026-03-18", .remit_date = "20260318",
                                                .to_status = "reversed", .paid = -8000, .contractual = -2000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "C2", .date = "2026-03-20", .remit_date = "20260320",
                                                   .to_status = "paid", .paid = 15000, .contractual = 5000 });

    kpi_query_t query = mt_query ("2026-03-31", 90);
    s_assert_value (mt_value (store, &query, NULL, "initial_denial_rate"), 1, 3, 1.0 / 3.0);
    s_assert_value (mt_value (store, &query, NULL, "initial_denial_rate_dollars"), 20000, 35000, 20000.0 / 35000.0);
    //  Throughput: four adjudications (the reversal is not one), three paid something.
    ck_assert_int_eq (mt_value (store, &query, NULL, "adjudicated").amount, 4);
    ck_assert_int_eq (mt_value (store, &query, NULL, "paid").amount, 3);
    //  Payments posted: 8000 - 8000 + 2000 + 15000.
    ck_assert_int_eq (mt_value (store, &query, NULL, "payments_posted_cents").amount, 17000);

    //  2026-03-13 .. 03-31 holds only C3's first adjudication: 0 of 1, a real 0.
    query.from = mt_day ("2026-03-13");
    s_assert_value (mt_value (store, &query, NULL, "initial_denial_rate"), 0, 1, 0.0);
    //  C4 alone: 1 of 1.
    query = mt_query ("2025-12-31", 90);
    s_assert_value (mt_value (store, &query, NULL, "initial_denial_rate"), 1, 1, 1.0);
    mt_store_destroy (&store);
}
END_TEST

//  Net collection rate on the cohort of dates of service in the window,
//  through a reversal and a re-adjudication; A/R and A/R as of earlier days.
START_TEST (test_net_collection_and_ar)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "N1", .date = "2026-02-12", .dos = "20260210", .charge = 10000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "N2", .date = "2026-02-16", .dos = "20260215", .charge = 20000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "N3", .date = "2025-10-16", .dos = "20251015", .charge = 50000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "N3", .date = "2025-11-01", .remit_date = "20251101",
                                                   .to_status = "paid", .paid = 50000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "N1", .date = "2026-03-01", .remit_date = "20260301",
                                                   .to_status = "paid", .paid = 7000, .contractual = 2000, .patient = 1000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "N2", .date = "2026-03-05", .remit_date = "20260305",
                                                   .to_status = "denied", .denied = 20000 });

    //  7000 / (30000 - 2000); N3 is outside the cohort.
    kpi_query_t query = mt_query ("2026-03-31", 90);
    s_assert_value (mt_value (store, &query, NULL, "net_collection_rate"), 7000, 28000, 0.25);
    ck_assert_int_eq (mt_value (store, &query, NULL, "charges_cents").amount, 30000);
    ck_assert_int_eq (mt_value (store, &query, NULL, "contractual_cents").amount, 2000);

    //  The payer takes N1's payment back: 0 / 30000.
    mt_claim (store, "reversed", (mt_claim_t) { .pcn = "N1", .date = "2026-03-10", .remit_date = "20260310",
                                                .to_status = "reversed", .paid = -7000, .contractual = -2000, .patient = -1000 });
    s_assert_value (mt_value (store, &query, NULL, "net_collection_rate"), 0, 30000, 0.0);
    //  ... and pays it again: 6000 / (30000 - 2500).
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "N1", .date = "2026-03-12", .remit_date = "20260312",
                                                   .to_status = "paid", .paid = 6000, .contractual = 2500, .patient = 1000 });
    s_assert_value (mt_value (store, &query, NULL, "net_collection_rate"), 6000, 27500, 6000.0 / 27500.0);

    //  A/R now: N1 insurance 10000 - 6000 - 2500 - 1000 = 500, patient 1000;
    //  N2 denied stays at 20000 (denials never reduce a balance); N3 0.
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_cents").amount, 21500);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_insurance_cents").amount, 20500);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_patient_cents").amount, 1000);
    //  As of 2026-03-11, between reversal and re-payment: N1 10000 + N2 20000.
    query = mt_query ("2026-03-11", 90);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_insurance_cents").amount, 30000);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_patient_cents").amount, 0);
    //  As of 2026-03-02: N1 paid (patient 1000 left), N2 not yet denied.
    query = mt_query ("2026-03-02", 90);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_insurance_cents").amount, 20000);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_patient_cents").amount, 1000);
    //  As of 2026-02-13: only N1 was entered.
    query = mt_query ("2026-02-13", 90);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_cents").amount, 10000);
    mt_store_destroy (&store);
}
END_TEST

//  Days in A/R = A/R / (charges with DOS in the 90 days to as_of / 90):
//  X (DOS 2026-01-15, 90000) and Y (DOS 2025-12-01, 9000) both open:
//  99000 / (90000 / 90) = 99 days.
START_TEST (test_days_in_ar)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "X", .date = "2026-01-16", .dos = "20260115", .charge = 90000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "Y", .date = "2025-12-02", .dos = "20251201", .charge = 9000 });
    kpi_query_t query = mt_query ("2026-03-31", 90);
    s_assert_value (mt_value (store, &query, NULL, "days_in_ar"), 99000, 90000, 99.0);
    //  A 30-day window holds no charges: not available.
    query = mt_query ("2026-03-31", 30);
    ck_assert (!mt_value (store, &query, NULL, "days_in_ar").available);
    //  A window that is not the days in A/R window: flows 2026-01-01 ..
    //  01-31, days in A/R still over the 90 days to as_of.
    query = mt_query ("2026-03-31", 90);
    query.to = mt_day ("2026-01-31");
    s_assert_value (mt_value (store, &query, NULL, "days_in_ar"), 99000, 90000, 99.0);
    mt_store_destroy (&store);
}
END_TEST

//  Denials by root cause: a claim counts once per category, with the
//  amounts of that category's reasons.
START_TEST (test_denials_by_category)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "D1", .date = "2026-03-01", .dos = "20260301", .charge = 9000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "D2", .date = "2026-03-01", .dos = "20260301", .charge = 500 });
    mt_claim (store, "denied", (mt_claim_t) { .pcn = "D1", .date = "2026-03-20", .remit_date = "20260320",
                                              .denials = "coding:3000,coding:2000,eligibility:1000" });
    mt_claim (store, "denied", (mt_claim_t) { .pcn = "D2", .date = "2026-03-21", .remit_date = "20260321",
                                              .denials = "coding:500" });
    kpi_query_t query = mt_query ("2026-03-31", 90);
    kpi_result_t *result = mt_run (store, &query);
    ck_assert_int_eq (kpi_reason (&result->overall.totals, 0, "coding", false), 2);
    ck_assert_int_eq (kpi_reason (&result->overall.totals, 0, "coding", true), 5500);
    ck_assert_int_eq (kpi_reason (&result->overall.totals, 0, "eligibility", false), 1);
    ck_assert_int_eq (kpi_reason (&result->overall.totals, 0, "eligibility", true), 1000);
    kpi_result_destroy (&result);
    ck_assert_int_eq (mt_value (store, &query, NULL, "denied").amount, 2);
    ck_assert_int_eq (mt_value (store, &query, NULL, "denied_cents").amount, 6500);
    mt_store_destroy (&store);
}
END_TEST

//  Reasons summed over many rows: codes of several lengths, present on
//  some days only, the same text as a denial category and as a scrub rule,
//  more codes in one combination than a query's first allocation (16), and
//  rows on the days just outside the window. The query sums each
//  combination's rows in a sorted array before the groups' tables
//  (kpi.c): every figure below is worked out from the claims, so any
//  change in what it sums fails here. Window 2026-01-01 .. 03-31.
START_TEST (test_reasons_summed)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_dims_t p1 = PAYER ("P1"), p2 = PAYER ("P2");
    mt_dims_t p1_l2 = { .payer = "P1", .location = "L2" };
    mt_received (store, "OUT1", p1, 32000, "2025-12-31", "A1");             //  the day before: out
    mt_received (store, "J1", p1, 1000, "2026-01-01", "ZZ9,A1");            //  the first day
    mt_received (store, "J2", p1, 2000, "2026-02-10", "A1");
    mt_received (store, "J4", p2, 8000, "2026-02-10", "A1,B");
    mt_received (store, "J5", p1_l2, 16000, "2026-03-01", "R01,R02,R03,R04,R05,R06,R07,R08");
    mt_received (store, "J6", p1_l2, 16000, "2026-03-02", "R09,R10,R11,R12,R13,R14,R15,R16");
    mt_received (store, "J7", p1_l2, 16000, "2026-03-03", "R17,R18,R19,R20,A1");
    mt_received (store, "J3", p1, 4000, "2026-03-31", "MM22,ZZ9,A1,coding"); //  the last day
    mt_received (store, "OUT2", p2, 64000, "2026-04-01", "B");              //  the day after: out
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "D1", .dims = p1, .date = "2026-03-01", .dos = "20260301", .charge = 9000 });
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "D2", .dims = p2, .date = "2026-03-01", .dos = "20260301", .charge = 500 });
    mt_claim (store, "denied", (mt_claim_t) { .pcn = "D1", .dims = p1, .date = "2026-03-20", .remit_date = "20260320",
                                              .denials = "coding:3000,eligibility:1000" });
    mt_claim (store, "denied", (mt_claim_t) { .pcn = "D2", .dims = p2, .date = "2026-03-21", .remit_date = "20260321",
                                              .denials = "coding:500" });

    kpi_query_t query = mt_query ("2026-03-31", 90);
    mt_group (&query, "payer");
    kpi_result_t *result = mt_run (store, &query);
    const kpi_totals_t *all = &result->overall.totals;
    //  Received and rejected in the window: J1 .. J7, not OUT1, OUT2.
    ck_assert_int_eq (all->slots [KPI_SLOT_FLOW + AGG_DAY_received], 7);
    ck_assert_int_eq (all->slots [KPI_SLOT_FLOW + AGG_DAY_rejected_cents], 1000 + 2000 + 8000 + 3 * 16000 + 4000);
    //  A1: J1, J2, J4, J7, J3 (OUT1 out).
    ck_assert_int_eq (kpi_reason (all, 1, "A1", false), 5);
    ck_assert_int_eq (kpi_reason (all, 1, "A1", true), 1000 + 2000 + 8000 + 16000 + 4000);
    ck_assert_int_eq (kpi_reason (all, 1, "ZZ9", false), 2);
    ck_assert_int_eq (kpi_reason (all, 1, "ZZ9", true), 5000);
    ck_assert_int_eq (kpi_reason (all, 1, "MM22", true), 4000);
    ck_assert_int_eq (kpi_reason (all, 1, "B", false), 1);            //  OUT2 out
    ck_assert_int_eq (kpi_reason (all, 1, "B", true), 8000);
    //  "coding" the rule (J3) and "coding" the category (D1, D2) apart.
    ck_assert_int_eq (kpi_reason (all, 1, "coding", false), 1);
    ck_assert_int_eq (kpi_reason (all, 1, "coding", true), 4000);
    ck_assert_int_eq (kpi_reason (all, 0, "coding", false), 2);
    ck_assert_int_eq (kpi_reason (all, 0, "coding", true), 3500);
    ck_assert_int_eq (kpi_reason (all, 0, "eligibility", true), 1000);
    ck_assert_int_eq (kpi_reason (all, 0, "A1", false), 0);
    //  Twenty rules of one combination, each once.
    for (int rule = 1; rule <= 20; rule++) {
        char code [8];
        snprintf (code, sizeof code, "R%02d", rule);
        ck_assert_int_eq (kpi_reason (all, 1, code, false), 1);
        ck_assert_int_eq (kpi_reason (all, 1, code, true), 16000);
    }
    ck_assert_int_eq (zhashx_size (all->reasons [1]), 25);
    ck_assert_int_eq (zhashx_size (all->reasons [0]), 2);
    //  By payer: P1 holds both of its combinations (L1 and L2).
    ck_assert_int_eq (result->group_count, 2);
    const kpi_totals_t *g1 = &result->groups [0]->totals, *g2 = &result->groups [1]->totals;
    ck_assert_str_eq (result->groups [0]->key, "P1");
    ck_assert_int_eq (kpi_reason (g1, 1, "A1", false), 4);
    ck_assert_int_eq (kpi_reason (g1, 1, "A1", true), 1000 + 2000 + 16000 + 4000);
    ck_assert_int_eq (kpi_reason (g1, 1, "R20", true), 16000);
    ck_assert_int_eq (kpi_reason (g1, 1, "B", false), 0);
    ck_assert_int_eq (kpi_reason (g1, 0, "coding", true), 3000);
    ck_assert_int_eq (zhashx_size (g1->reasons [1]), 24);
    ck_assert_int_eq (kpi_reason (g2, 1, "A1", true), 8000);
    ck_assert_int_eq (kpi_reason (g2, 1, "B", true), 8000);
    ck_assert_int_eq (kpi_reason (g2, 1, "R01", false), 0);
    ck_assert_int_eq (kpi_reason (g2, 0, "coding", true), 500);
    ck_assert_int_eq (zhashx_size (g2->reasons [1]), 2);

    //  Without reasons (metrics.Trend's points): every total the same, no
    //  reason summed.
    query.without_reasons = true;
    kpi_result_t *bare = mt_run (store, &query);
    ck_assert_int_eq (zhashx_size (bare->overall.totals.reasons [0]), 0);
    ck_assert_int_eq (zhashx_size (bare->overall.totals.reasons [1]), 0);
    ck_assert_int_eq (bare->group_count, 2);
    for (int i = 0; i < KPI_SLOT_COUNT; i++) {
        ck_assert_int_eq (bare->overall.totals.slots [i], result->overall.totals.slots [i]);
        ck_assert_int_eq (bare->groups [0]->totals.slots [i], result->groups [0]->totals.slots [i]);
        ck_assert_int_eq (bare->groups [1]->totals.slots [i], result->groups [1]->totals.slots [i]);
    }
    ck_assert_int_eq (zhashx_size (bare->groups [0]->totals.reasons [1]), 0);
    kpi_result_destroy (&bare);
    kpi_result_destroy (&result);
    mt_store_destroy (&store);
}
END_TEST

//  Voids, closes and patient balances.
START_TEST (test_void_close_patient)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "V1", .date = "2026-03-01", .dos = "20260301", .charge = 5000 });
    mt_claim (store, "voided", (mt_claim_t) { .pcn = "V1", .date = "2026-03-02", .to_status = "voided" });
    kpi_query_t query = mt_query ("2026-03-31", 90);
    //  A void takes the charge away: out of A/R and out of the cohort.
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_cents").amount, 0);
    ck_assert_int_eq (mt_value (store, &query, NULL, "charges_cents").amount, 0);

    //  A denied claim closed with its balance open: written off.
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "K1", .date = "2026-03-01", .dos = "20260301", .charge = 8000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "K1", .date = "2026-03-10", .remit_date = "20260310",
                                                   .to_status = "denied", .denied = 8000 });
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_cents").amount, 8000);
    mt_claim (store, "closed", (mt_claim_t) { .pcn = "K1", .date = "2026-03-15", .to_status = "closed" });
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_cents").amount, 0);
    ck_assert_int_eq (mt_value (store, &query, NULL, "written_off_cents").amount, 8000);

    //  Patient responsibility from the adjudication, repeated by a
    //  patient_balance event (no change), then raised to 1500.
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "PB", .date = "2026-03-01", .dos = "20260301", .charge = 10000 });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "PB", .date = "2026-03-10", .remit_date = "20260310",
                                                   .to_status = "paid", .paid = 6000, .contractual = 1000,
                                                   .patient = 1000, .patient_total = 1000 });
    mt_claim (store, "patient_balance", (mt_claim_t) { .pcn = "PB", .date = "2026-03-10", .patient_total = 1000 });
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_insurance_cents").amount, 2000);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_patient_cents").amount, 1000);
    mt_claim (store, "patient_balance", (mt_claim_t) { .pcn = "PB", .date = "2026-03-11", .patient_total = 1500 });
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_insurance_cents").amount, 1500);
    ck_assert_int_eq (mt_value (store, &query, NULL, "ar_patient_cents").amount, 1500);
    mt_store_destroy (&store);
}
END_TEST

//  Trend periods: weeks from Monday, calendar months, the last ending at as_of.
START_TEST (test_periods)
{
    uint32_t from [3], to [3];
    char text [16];
    kpi_periods ("week", mt_day ("2026-03-18"), 3, from, to);
    metrics_day_format (from [0], text, sizeof text);
    ck_assert_str_eq (text, "2026-03-02");
    metrics_day_format (to [1], text, sizeof text);
    ck_assert_str_eq (text, "2026-03-15");
    metrics_day_format (from [2], text, sizeof text);
    ck_assert_str_eq (text, "2026-03-16");
    ck_assert_uint_eq (to [2], mt_day ("2026-03-18"));
    kpi_periods ("month", mt_day ("2026-03-18"), 3, from, to);
    ck_assert_uint_eq (from [0], mt_day ("2026-01-01"));
    ck_assert_uint_eq (to [1], mt_day ("2026-02-28"));
    ck_assert_uint_eq (from [2], mt_day ("2026-03-01"));
    kpi_periods ("day", mt_day ("2026-03-18"), 3, from, to);
    ck_assert_uint_eq (from [0], mt_day ("2026-03-16"));
    ck_assert_uint_eq (to [0], mt_day ("2026-03-16"));
    ck_assert_uint_eq (metrics_day_from_text ("2026-02-30"), 0);
    ck_assert_uint_eq (metrics_day_from_text ("20260230"), 0);
    ck_assert_uint_eq (metrics_day_from_text ("2026-3-1"), 0);
    //  Both shapes of one date are the civil day, by the clock's own
    //  arithmetic; a month, day or year out of range, or a non-digit, is 0.
    uint32_t expected = (uint32_t) clock_days_from_civil (2026, 3, 1) + 1;
    ck_assert_uint_eq (metrics_day_from_text ("2026-03-01"), expected);
    ck_assert_uint_eq (metrics_day_from_text ("20260301"), expected);
    ck_assert_uint_eq (metrics_day_from_text ("2024-02-29"), (uint32_t) clock_days_from_civil (2024, 2, 29) + 1);
    ck_assert_uint_eq (metrics_day_from_text ("2026-13-01"), 0);
    ck_assert_uint_eq (metrics_day_from_text ("2026-00-10"), 0);
    ck_assert_uint_eq (metrics_day_from_text ("2026-01-32"), 0);
    ck_assert_uint_eq (metrics_day_from_text ("1970-01-01"), 0);
    ck_assert_uint_eq (metrics_day_from_text ("2026-0a-01"), 0);
    ck_assert_uint_eq (metrics_day_from_text ("2026/03/01"), 0);
    ck_assert_uint_eq (metrics_day_from_text ("2026-03-01 "), 0);
}
END_TEST

//  Throughput per day: received, submitted, adjudicated, paid.
START_TEST (test_throughput)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_received (store, "T1", NO_DIMS, 1000, "2026-03-02", NULL);
    mt_received (store, "T2", NO_DIMS, 1000, "2026-03-02", NULL);
    mt_received (store, "T3", NO_DIMS, 1000, "2026-03-03", NULL);
    mt_claim (store, "entered", (mt_claim_t) { .pcn = "T1", .date = "2026-03-02", .dos = "20260301", .charge = 1000 });
    mt_claim (store, "submitted", (mt_claim_t) { .pcn = "T1", .date = "2026-03-03" });
    mt_claim (store, "adjudicated", (mt_claim_t) { .pcn = "T1", .date = "2026-03-04", .remit_date = "20260303",
                                                   .to_status = "paid", .paid = 900 });
    kpi_query_t query = mt_query ("2026-03-02", 1);
    ck_assert_int_eq (mt_value (store, &query, NULL, "received").amount, 2);
    ck_assert_int_eq (mt_value (store, &query, NULL, "submitted").amount, 0);
    query = mt_query ("2026-03-03", 1);
    ck_assert_int_eq (mt_value (store, &query, NULL, "received").amount, 1);
    ck_assert_int_eq (mt_value (store, &query, NULL, "submitted").amount, 1);
    //  Adjudications count on their remit date, not the day they were posted.
    ck_assert_int_eq (mt_value (store, &query, NULL, "adjudicated").amount, 1);
    ck_assert_int_eq (mt_value (store, &query, NULL, "paid").amount, 1);
    query = mt_query ("2026-03-04", 1);
    ck_assert_int_eq (mt_value (store, &query, NULL, "adjudicated").amount, 0);
    mt_store_destroy (&store);
}
END_TEST

//  Drill: the claims behind the clean claim rate, paged.
START_TEST (test_drill)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    mt_received (store, "A1", PAYER ("P1"), 10000, "2026-03-01", NULL);
    mt_received (store, "A2", PAYER ("P1"), 20000, "2026-03-05", NULL);
    mt_received (store, "R1", PAYER ("P1"), 5000, "2026-03-06", "NPI001");
    mt_received (store, "B1", PAYER ("P2"), 7000, "2026-03-10", NULL);
    kpi_query_t query = mt_query ("2026-03-31", 90);
    const kpi_drill_def_t *def = kpi_drill_find ("clean_claim_rate");
    ck_assert (def);
    MDB_txn *txn = store_read_begin (store->store);
    kpi_drill_page_t page;
    ck_assert_int_eq (kpi_drill (store->store, txn, &query, def, false, 2, NULL, &page), 0);
    ck_assert_int_eq (page.count, 2);
    ck_assert (page.more);
    ck_assert_str_eq (page.entries [0].pcn, "A1");
    ck_assert (page.entries [0].flag);
    ck_assert_str_eq (page.entries [1].pcn, "A2");
    agg_drill_entry_t after = page.entries [1];
    free (page.entries);
    ck_assert_int_eq (kpi_drill (store->store, txn, &query, def, false, 2, &after, &page), 0);
    ck_assert_int_eq (page.count, 2);
    ck_assert_str_eq (page.entries [0].pcn, "R1");
    ck_assert (!page.entries [0].flag);
    ck_assert_str_eq (page.entries [1].pcn, "B1");
    ck_assert (!page.more);
    free (page.entries);
    //  Only the numerator, filtered to P1.
    mt_filter (&query, "payer", "P1");
    ck_assert_int_eq (kpi_drill (store->store, txn, &query, def, true, 10, NULL, &page), 0);
    ck_assert_int_eq (page.count, 2);
    free (page.entries);
    //  The rejected claims.
    ck_assert_int_eq (kpi_drill (store->store, txn, &query, kpi_drill_find ("rejected"), true, 10, NULL, &page), 0);
    ck_assert_int_eq (page.count, 1);
    ck_assert_str_eq (page.entries [0].pcn, "R1");
    free (page.entries);
    store_read_end (&txn);
    mt_store_destroy (&store);
}
END_TEST

Suite *
metrics_kpi_suite (void)
{
    Suite *suite = suite_create ("metrics_kpi");
    TCase *tcase = tcase_create ("formulas");
    tcase_add_test (tcase, test_clean_claim_rate);
    tcase_add_test (tcase, test_empty_window);
    tcase_add_test (tcase, test_initial_denial_rate);
    tcase_add_test (tcase, test_net_collection_and_ar);
    tcase_add_test (tcase, test_days_in_ar);
    tcase_add_test (tcase, test_denials_by_category);
    tcase_add_test (tcase, test_reasons_summed);
    tcase_add_test (tcase, test_void_close_patient);
    tcase_add_test (tcase, test_periods);
    tcase_add_test (tcase, test_throughput);
    tcase_add_test (tcase, test_drill);
    suite_add_tcase (suite, tcase);
    return suite;
}
