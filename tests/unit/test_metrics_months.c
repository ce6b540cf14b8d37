/*  test_metrics_months: the month rollups (months.h, ADR 0080). The split
    of a range into loose days and whole months on its own; then queries
    over many windows, each crossing month and year boundaries differently,
    against sums the test works out from what it fed, day by day; and the
    migration that fills the month tables of a store made before them.
*/
#include "test_metrics_feed.h"
#include "aggregates.h"
#include "months.h"
#include "clock.h"

static bool
s_is_first (uint32_t day)
{
    int year, month, mday;
    clock_civil_from_days ((int64_t) day - 1, &year, &month, &mday);
    return mday == 1;
}

//  The day after the last day of the month starting at first.
static uint32_t
s_next_first (uint32_t first)
{
    uint32_t day = first + 1;
    while (!s_is_first (day))
        day++;
    return day;
}

static void
s_assert_span (const months_span_t *span, const char *from, const char *to, bool months)
{
    ck_assert_uint_eq (span->from, mt_day (from));
    ck_assert_uint_eq (span->to, mt_day (to));
    ck_assert_int_eq (span->months, months);
}

START_TEST (test_split)
{
    months_span_t spans [MONTHS_SPANS_MAX];
    ck_assert_uint_eq (months_first (mt_day ("2026-03-18")), mt_day ("2026-03-01"));
    ck_assert_uint_eq (months_first (mt_day ("2026-03-01")), mt_day ("2026-03-01"));
    ck_assert_uint_eq (months_first (mt_day ("2024-02-29")), mt_day ("2024-02-01"));
    ck_assert_uint_eq (months_first (0), 0);
    //  Loose days, one month, loose days.
    ck_assert_uint_eq (months_split (mt_day ("2026-01-15"), mt_day ("2026-03-10"), spans), 3);
    s_assert_span (&spans [0], "2026-01-15", "2026-01-31", false);
    s_assert_span (&spans [1], "2026-02-01", "2026-02-01", true);
    s_assert_span (&spans [2], "2026-03-01", "2026-03-10", false);
    //  Whole months only, across a year's end.
    ck_assert_uint_eq (months_split (mt_day ("2025-12-01"), mt_day ("2026-03-31"), spans), 1);
    s_assert_span (&spans [0], "2025-12-01", "2026-03-01", true);
    //  No whole month: the days, though they cross a month's end.
    ck_assert_uint_eq (months_split (mt_day ("2026-01-05"), mt_day ("2026-02-03"), spans), 1);
    s_assert_span (&spans [0], "2026-01-05", "2026-02-03", false);
    //  February of a leap year is whole only with its 29th.
    ck_assert_uint_eq (months_split (mt_day ("2024-02-01"), mt_day ("2024-02-28"), spans), 1);
    ck_assert (!spans [0].months);
    ck_assert_uint_eq (months_split (mt_day ("2024-02-01"), mt_day ("2024-02-29"), spans), 1);
    s_assert_span (&spans [0], "2024-02-01", "2024-02-01", true);
    //  A whole month then days; days then a whole month.
    ck_assert_uint_eq (months_split (mt_day ("2026-04-01"), mt_day ("2026-05-02"), spans), 2);
    s_assert_span (&spans [0], "2026-04-01", "2026-04-01", true);
    s_assert_span (&spans [1], "2026-05-01", "2026-05-02", false);
    ck_assert_uint_eq (months_split (mt_day ("2026-03-31"), mt_day ("2026-04-30"), spans), 2);
    s_assert_span (&spans [0], "2026-03-31", "2026-03-31", false);
    s_assert_span (&spans [1], "2026-04-01", "2026-04-01", true);
    //  Empty; and day 0 (not known), which belongs to no month.
    ck_assert_uint_eq (months_split (mt_day ("2026-04-02"), mt_day ("2026-04-01"), spans), 0);
    ck_assert_uint_eq (months_split (0, 31, spans), 2);
    ck_assert_uint_eq (spans [0].from, 0);
    ck_assert_uint_eq (spans [0].to, 0);
    ck_assert_uint_eq (spans [1].from, 1);
    ck_assert_uint_eq (spans [1].to, 1);
    ck_assert (spans [1].months);
    //  Open-ended: the months run up to the one holding UINT32_MAX.
    size_t count = months_split (mt_day ("2026-01-10"), UINT32_MAX, spans);
    ck_assert_uint_eq (count, 3);
    ck_assert_uint_eq (spans [2].to, UINT32_MAX);

    //  Every range of up to 400 days starting in 2023-2024: the spans
    //  cover it exactly once, in order, months from their first day.
    for (uint32_t from = mt_day ("2023-01-01"); from < mt_day ("2025-01-01"); from += 3)
        for (uint32_t length = 1; length <= 400; length += 7) {
            uint32_t to = from + length - 1;
            count = months_split (from, to, spans);
            ck_assert_uint_ge (count, 1);
            uint32_t next = from;
            for (size_t i = 0; i < count; i++) {
                ck_assert_uint_eq (spans [i].from, next);
                ck_assert_uint_le (spans [i].from, spans [i].to);
                if (spans [i].months) {
                    ck_assert (s_is_first (spans [i].from) && s_is_first (spans [i].to));
                    next = s_next_first (spans [i].to);
                }
                else
                    next = spans [i].to + 1;
                ck_assert (i == 0 || spans [i].months != spans [i - 1].months);
            }
            ck_assert_uint_eq (next, to + 1);
        }
}
END_TEST

//  What the feed below puts on each day, by the day's index i from its
//  first day: a claim received (rejected by rule R<i % 3> when i % 4 ==
//  0), entered with that day as its date of service, and denied on days
//  with i % 5 == 0, in category C<i % 2>.
#define FEED_FIRST "2025-10-01"
#define FEED_DAYS  212          //  to 2026-04-30
static int64_t s_charge (int i) { return 1000 + 37 * i; }

static void
s_feed_days (mt_store_t *store)
{
    uint32_t first = mt_day (FEED_FIRST);
    for (int i = 0; i < FEED_DAYS; i++) {
        char date [16], dos [16], pcn [16], rule [8], denial [32];
        metrics_day_format (first + (uint32_t) i, date, sizeof date);
        snprintf (dos, sizeof dos, "%.4s%.2s%.2s", date, date + 5, date + 8);
        snprintf (pcn, sizeof pcn, "M%d", i);
        snprintf (rule, sizeof rule, "R%d", i % 3);
        mt_received (store, pcn, (mt_dims_t) { 0 }, s_charge (i), date, i % 4 == 0? rule: NULL);
        mt_claim (store, "entered", (mt_claim_t) { .pcn = pcn, .date = date, .dos = dos, .charge = s_charge (i) });
        if (i % 5 == 0) {
            snprintf (denial, sizeof denial, "C%d:%d", i % 2, 100 + i);
            mt_claim (store, "denied", (mt_claim_t) { .pcn = pcn, .date = date, .remit_date = dos,
                                                      .denials = denial });
        }
    }
}

//  Each window's figures against the feed's own sums.
static void
s_assert_windows (mt_store_t *store)
{
    static const char *const ends [] = { "2025-12-31", "2026-01-01", "2026-01-31", "2026-02-28", "2026-03-01",
                                         "2026-03-15", "2026-04-30", "2026-05-20" };
    static const uint32_t windows [] = { 1, 2, 15, 28, 29, 31, 32, 45, 59, 60, 61, 90, 91, 120, 200, 400 };
    uint32_t first = mt_day (FEED_FIRST);
    for (size_t e = 0; e < sizeof ends / sizeof ends [0]; e++)
        for (size_t w = 0; w < sizeof windows / sizeof windows [0]; w++) {
            kpi_query_t query = mt_query (ends [e], windows [w]);
            int64_t received = 0, charges = 0, rejected [3] = { 0 }, denied [2] = { 0 }, denied_cents [2] = { 0 };
            for (int i = 0; i < FEED_DAYS; i++) {
                uint32_t day = first + (uint32_t) i;
                if (day < query.from || day > query.to)
                    continue;
                received++;
                charges += s_charge (i);
                if (i % 4 == 0)
                    rejected [i % 3]++;
                if (i % 5 == 0) {
                    denied [i % 2]++;
                    denied_cents [i % 2] += 100 + i;
                }
            }
            kpi_result_t *result = mt_run (store, &query);
            const kpi_totals_t *all = &result->overall.totals;
            ck_assert_msg (all->slots [KPI_SLOT_FLOW + AGG_DAY_received] == received,
                           "received to %s over %u days", ends [e], windows [w]);
            ck_assert_msg (all->slots [KPI_SLOT_COHORT + AGG_DOS_charge_cents] == charges,
                           "cohort charges to %s over %u days", ends [e], windows [w]);
            for (int r = 0; r < 3; r++) {
                char rule [8];
                snprintf (rule, sizeof rule, "R%d", r);
                ck_assert_msg (kpi_reason (all, 1, rule, false) == rejected [r],
                               "%s to %s over %u days", rule, ends [e], windows [w]);
            }
            for (int c = 0; c < 2; c++) {
                char category [8];
                snprintf (category, sizeof category, "C%d", c);
                ck_assert_msg (kpi_reason (all, 0, category, false) == denied [c]
                            && kpi_reason (all, 0, category, true) == denied_cents [c],
                               "%s to %s over %u days", category, ends [e], windows [w]);
            }
            kpi_result_destroy (&result);
        }
}

START_TEST (test_windows)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    s_feed_days (store);
    s_assert_windows (store);
    mt_store_destroy (&store);
}
END_TEST

static void
s_assert_empty (mt_store_t *store, const char *table)
{
    char *dump = mt_table_dump (store, table);
    ck_assert_msg (*dump == 0, "%s is not empty", table);
    free (dump);
}

static const char *const s_month_tables [] = { "by_month", "by_dos_month", "reasons_month", NULL };

static int
s_drop_months (store_t *store, MDB_txn *txn, void *arg)
{
    (void) arg;
    for (const char *const *table = s_month_tables; *table; table++) {
        int rc = mdb_drop (txn, store_table (store, *table), 0);
        if (rc)
            return rc;
    }
    return 0;
}

//  A received claim on 2027-06-10 of dims 77 taken back the same day: its
//  by_day row stays, at zero (by_day is not pruned), and so does its
//  month's row.
static int
s_add_and_take_back (store_t *store, MDB_txn *txn, void *arg)
{
    (void) arg;
    int64_t delta [AGG_DAY_COUNT] = { 0 };
    delta [AGG_DAY_received] = 1;
    int rc = agg_day_add (store, txn, 77, mt_day ("2027-06-10"), delta);
    delta [AGG_DAY_received] = -1;
    return rc? rc: agg_day_add (store, txn, 77, mt_day ("2027-06-10"), delta);
}

//  A by_dos row of two counters where five belong.
static int
s_put_short_row (store_t *store, MDB_txn *txn, void *arg)
{
    (void) arg;
    uint8_t key [8] = { 0, 0, 0, 9, 0, 0, 0x50, 0 };
    int64_t row [2] = { 1, 2 };
    return store_put (store, txn, "by_dos", key, sizeof key, row, sizeof row);
}

static int
s_fill (store_t *store, MDB_txn *txn, void *arg)
{
    (void) arg;
    return agg_months_fill (store, txn);
}

//  A store from before the month tables (the same feed, its month tables
//  emptied) migrated: the tables as the adds made them, and every window
//  right; a row the migration cannot read fails it, naming the table.
START_TEST (test_migration)
{
    mt_log_reset ();
    mt_store_t *store = mt_store_new ();
    s_feed_days (store);
    ck_assert_int_eq (store_write (store->store, s_add_and_take_back, NULL), 0);
    char *want [3];
    for (int i = 0; s_month_tables [i]; i++) {
        want [i] = mt_table_dump (store, s_month_tables [i]);
        ck_assert (strlen (want [i]) > 0);
    }
    //  The zero row's month (key dims 77, 2027-06-01) is among them.
    char zero_month [64];
    snprintf (zero_month, sizeof zero_month, "0000004d%08x=", mt_day ("2027-06-01"));
    ck_assert_ptr_nonnull (strstr (want [0], zero_month));
    ck_assert_int_eq (store_write (store->store, s_drop_months, NULL), 0);
    s_assert_empty (store, "by_month");
    ck_assert_int_eq (store_write (store->store, s_fill, NULL), 0);
    for (int i = 0; s_month_tables [i]; i++) {
        char *got = mt_table_dump (store, s_month_tables [i]);
        ck_assert_msg (streq (want [i], got), "%s differs after the migration", s_month_tables [i]);
        free (got);
        free (want [i]);
    }
    s_assert_windows (store);

    //  A by_dos row of the wrong size: the migration stops and says where.
    ck_assert_int_eq (store_write (store->store, s_drop_months, NULL), 0);
    ck_assert_int_eq (store_write (store->store, s_put_short_row, NULL), 0);
    ck_assert_int_ne (store_write (store->store, s_fill, NULL), 0);
    ck_assert_ptr_nonnull (strstr (store_error (store->store), "by_dos"));
    s_assert_empty (store, "by_month");
    mt_store_destroy (&store);
}
END_TEST

Suite *
metrics_months_suite (void)
{
    Suite *suite = suite_create ("metrics_months");
    TCase *tc = tcase_create ("months");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_split);
    tcase_add_test (tc, test_windows);
    tcase_add_test (tc, test_migration);
    suite_add_tcase (suite, tc);
    return suite;
}
