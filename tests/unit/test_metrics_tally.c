/*  test_metrics_tally: the counter totals of the work and denial figures
    (services/metrics/tally.c). Rows are added here by hand; each expected
    figure is worked out from the rows the test added.
*/
#include "tally.h"

#include <check.h>

enum { S_DONE, S_MET, S_OPEN, S_COUNT };

static const tally_def_t s_rate = { "met_rate", "ratio", S_MET, S_DONE, 1, false };
static const tally_def_t s_open = { "open", "count", S_OPEN, -1, 1, true };
static const tally_def_t s_mean = { "mean_hours", "hours", S_MET, S_DONE, 2, false };

START_TEST (test_overall_and_groups)
{
    tally_t *tally = tally_new (S_COUNT);
    int64_t a [S_COUNT] = { 4, 3, 7 }, b [S_COUNT] = { 2, 0, 1 }, c [S_COUNT] = { 10, 5, 0 };
    //  Added out of key order, b's group twice, and only some slots.
    tally_add (tally, "team-b", b, S_DONE, S_COUNT);
    tally_add (tally, "team-a", a, S_DONE, S_COUNT);
    tally_add (tally, "team-b", c, S_DONE, S_OPEN);
    ck_assert_uint_eq (tally_group_count (tally), 2);
    ck_assert_str_eq (tally_group_key (tally, 0), "team-a");
    ck_assert_str_eq (tally_group_key (tally, 1), "team-b");
    ck_assert_ptr_null (tally_group_key (tally, 2));

    KpiValue value;
    tally_value (tally, &s_rate, NULL, true, &value);
    ck_assert_str_eq (value.name, "met_rate");
    ck_assert_str_eq (value.unit, "ratio");
    ck_assert (value.available);
    ck_assert_int_eq (value.numerator, 3 + 0 + 5);
    ck_assert_int_eq (value.denominator, 4 + 2 + 10);
    ck_assert_double_eq_tol (value.value, 8.0 / 16.0, 1e-12);

    //  c's open slot was not added: team-b's open is b's alone.
    tally_value (tally, &s_open, "team-b", true, &value);
    ck_assert (value.available);
    ck_assert_int_eq (value.numerator, 1);
    ck_assert_int_eq (value.amount, 1);
    ck_assert_double_eq_tol (value.value, 1.0, 1e-12);

    tally_value (tally, &s_mean, "team-a", true, &value);
    ck_assert_double_eq_tol (value.value, 3.0 / 4.0 / 2.0, 1e-12);
    tally_destroy (&tally);
    ck_assert_ptr_null (tally);
}
END_TEST

START_TEST (test_not_available)
{
    tally_t *tally = tally_new (S_COUNT);
    int64_t a [S_COUNT] = { 0, 0, 5 };
    tally_add (tally, "q1", a, S_DONE, S_COUNT);
    KpiValue value;
    //  An empty denominator is n/a, not a division by zero.
    tally_value (tally, &s_rate, "q1", true, &value);
    ck_assert (!value.available);
    //  The caller's word makes any figure n/a.
    tally_value (tally, &s_open, "q1", false, &value);
    ck_assert (!value.available);
    ck_assert_int_eq (value.numerator, 5);
    //  A group never added counts zero.
    tally_value (tally, &s_open, "q9", true, &value);
    ck_assert (value.available);
    ck_assert_int_eq (value.numerator, 0);
    tally_destroy (&tally);
}
END_TEST

START_TEST (test_ungrouped)
{
    tally_t *tally = tally_new (S_COUNT);
    int64_t a [S_COUNT] = { 1, 1, 1 };
    tally_add (tally, NULL, a, S_DONE, S_COUNT);
    tally_add (tally, NULL, a, S_DONE, S_COUNT);
    ck_assert_uint_eq (tally_group_count (tally), 0);
    KpiValue value;
    tally_value (tally, &s_open, NULL, true, &value);
    ck_assert_int_eq (value.numerator, 2);
    tally_destroy (&tally);
}
END_TEST

Suite *
metrics_tally_suite (void)
{
    Suite *suite = suite_create ("metrics_tally");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_overall_and_groups);
    tcase_add_test (tc, test_not_available);
    tcase_add_test (tc, test_ungrouped);
    suite_add_tcase (suite, tc);
    return suite;
}
