/*  Tests for common/expo, the Prometheus text exposition writer, and for
    ops_scrape's own families (common/ops). The expected text is written
    out here from the format's rules (escapes, cumulative buckets ending
    in +Inf equal to _count), never produced by the code under test.
*/
#include "suites.h"
#include "expo.h"
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST (test_escaping)
{
    expo_t *out = expo_new ();
    expo_family (out, "rcmq_things", EXPO_GAUGE, "Back\\slash and\nnewline; \"quotes\" stay in HELP.");
    expo_sample (out, "rcmq_things", (const char *const []) {
        "path", "C:\\dir", "say", "he said \"hi\"\nthen left", NULL }, 3);
    expo_sample (out, "rcmq_things", NULL, -2.5);
    ck_assert_str_eq (expo_text (out),
        "# HELP rcmq_things Back\\\\slash and\\nnewline; \"quotes\" stay in HELP.\n"
        "# TYPE rcmq_things gauge\n"
        "rcmq_things{path=\"C:\\\\dir\",say=\"he said \\\"hi\\\"\\nthen left\"} 3\n"
        "rcmq_things -2.5\n");
    ck_assert_uint_eq (expo_size (out), strlen (expo_text (out)));
    expo_destroy (&out);
    expo_destroy (&out);            //  idempotent
    ck_assert_ptr_null (out);
}
END_TEST

START_TEST (test_histogram_cumulative)
{
    static const double bounds [] = { 0.125, 1, 5 };
    expo_histogram_t *histogram = expo_histogram_new (bounds, 3);
    //  0.0625 and 0.125 in the first bucket (le is "at or below"), 0.5 in
    //  the second, none in the third, 7 and 100 above every bound. (Binary
    //  fractions, so the sum is exact: 107.6875.)
    const double values [] = { 0.0625, 0.125, 0.5, 7, 100 };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++)
        expo_histogram_observe (histogram, values [i]);
    expo_t *out = expo_new ();
    expo_family (out, "rcmq_wait_seconds", EXPO_HISTOGRAM, "Waits.");
    expo_histogram (out, "rcmq_wait_seconds", (const char *const []) { "method", "a.B", NULL }, histogram);
    ck_assert_str_eq (expo_text (out),
        "# HELP rcmq_wait_seconds Waits.\n"
        "# TYPE rcmq_wait_seconds histogram\n"
        "rcmq_wait_seconds_bucket{method=\"a.B\",le=\"0.125\"} 2\n"
        "rcmq_wait_seconds_bucket{method=\"a.B\",le=\"1\"} 3\n"
        "rcmq_wait_seconds_bucket{method=\"a.B\",le=\"5\"} 3\n"
        "rcmq_wait_seconds_bucket{method=\"a.B\",le=\"+Inf\"} 5\n"
        "rcmq_wait_seconds_sum{method=\"a.B\"} 107.6875\n"
        "rcmq_wait_seconds_count{method=\"a.B\"} 5\n");
    expo_destroy (&out);

    //  Without labels, le is the only one; an empty histogram is all 0.
    expo_histogram_t *empty = expo_histogram_new (bounds, 3);
    out = expo_new ();
    expo_histogram (out, "rcmq_idle_seconds", NULL, empty);
    ck_assert_str_eq (expo_text (out),
        "rcmq_idle_seconds_bucket{le=\"0.125\"} 0\n"
        "rcmq_idle_seconds_bucket{le=\"1\"} 0\n"
        "rcmq_idle_seconds_bucket{le=\"5\"} 0\n"
        "rcmq_idle_seconds_bucket{le=\"+Inf\"} 0\n"
        "rcmq_idle_seconds_sum 0\n"
        "rcmq_idle_seconds_count 0\n");
    expo_destroy (&out);
    expo_histogram_destroy (&empty);
    expo_histogram_destroy (&histogram);
    ck_assert_ptr_null (histogram);
}
END_TEST

START_TEST (test_numbers)
{
    static const struct {
        double value;
        const char *text;
    } cases [] = {
        { 0, "0" },
        { 42, "42" },
        { 9007199254740992.0, "9007199254740992" },     //  2^53, exactly
        { 0.005, "0.005" },                             //  shortest that reads back
        { 0.1 + 0.2, "0.30000000000000004" },
        { 1e-7, "1e-07" },
        { -0.25, "-0.25" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        expo_t *out = expo_new ();
        expo_sample (out, "x", NULL, cases [i].value);
        char want [64];
        snprintf (want, sizeof want, "x %s\n", cases [i].text);
        ck_assert_str_eq (expo_text (out), want);
        expo_destroy (&out);
    }
    expo_t *out = expo_new ();
    expo_sample (out, "a", NULL, INFINITY);
    expo_sample (out, "b", NULL, -INFINITY);
    expo_sample (out, "c", NULL, NAN);
    ck_assert_str_eq (expo_text (out), "a +Inf\nb -Inf\nc NaN\n");
    expo_destroy (&out);
}
END_TEST

START_TEST (test_names)
{
    ck_assert (expo_name_valid ("rcmq_requests_total"));
    ck_assert (expo_name_valid ("_x:y9"));
    ck_assert (!expo_name_valid ("9lives"));
    ck_assert (!expo_name_valid ("claims.List"));
    ck_assert (!expo_name_valid ("a-b"));
    ck_assert (!expo_name_valid (""));
    ck_assert (!expo_name_valid (NULL));
}
END_TEST

START_TEST (test_grows)
{
    //  Past the first buffer: every line is kept whole.
    expo_t *out = expo_new ();
    char value [200];
    memset (value, 'v', sizeof value - 1);
    value [sizeof value - 1] = 0;
    for (int i = 0; i < 100; i++)
        expo_sample (out, "rcmq_long", (const char *const []) { "v", value, NULL }, i);
    size_t line = strlen ("rcmq_long{v=\"\"} ") + 199 + 1;
    //  values 0-9 are one digit, 10-99 two
    ck_assert_uint_eq (expo_size (out), 100 * line + 10 * 1 + 90 * 2);
    ck_assert (strstr (expo_text (out), "\"} 99\n"));
    expo_destroy (&out);
}
END_TEST

//  ops_scrape: the families ops keeps itself, requests sorted by method
//  and status, an unknown method counted under "unknown".
START_TEST (test_ops_requests)
{
    ops_t *ops = ops_new ("claims");
    ck_assert_ptr_null (ops_url (ops));         //  no port configured
    ops_request (ops, "claims.List", "OK", 0.001953125);     //  2^-9
    ops_request (ops, "claims.Get", "NOT_FOUND", 0.0004);
    ops_request (ops, "claims.List", "OK", 3);
    ops_request (ops, NULL, "INVALID_ARGUMENT", 0.0001);
    char *text = ops_scrape (ops);
    ck_assert (strstr (text, "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds "));
    ck_assert (strstr (text, "rcmq_build_info{process=\"claims\",version=\"" RCMQ_VERSION "\"} 1\n"));
    ck_assert (strstr (text,
        "# TYPE rcmq_requests_total counter\n"
        "rcmq_requests_total{method=\"claims.Get\",status=\"NOT_FOUND\"} 1\n"
        "rcmq_requests_total{method=\"claims.List\",status=\"OK\"} 2\n"
        "rcmq_requests_total{method=\"unknown\",status=\"INVALID_ARGUMENT\"} 1\n"));
    //  claims.List: 2^-9 is at or below 0.0025; 3 is above 2.5, below 5.
    ck_assert (strstr (text, "rcmq_request_duration_seconds_bucket{method=\"claims.List\",le=\"0.001\"} 0\n"
                             "rcmq_request_duration_seconds_bucket{method=\"claims.List\",le=\"0.0025\"} 1\n"));
    ck_assert (strstr (text, "rcmq_request_duration_seconds_bucket{method=\"claims.List\",le=\"2.5\"} 1\n"
                             "rcmq_request_duration_seconds_bucket{method=\"claims.List\",le=\"5\"} 2\n"));
    ck_assert (strstr (text, "rcmq_request_duration_seconds_bucket{method=\"claims.List\",le=\"+Inf\"} 2\n"
                             "rcmq_request_duration_seconds_sum{method=\"claims.List\"} 3.001953125\n"
                             "rcmq_request_duration_seconds_count{method=\"claims.List\"} 2\n"));
    //  Each family once (HELP and TYPE lines once each).
    const char *at = strstr (text, "# TYPE rcmq_request_duration_seconds histogram");
    ck_assert (at && !strstr (at + 1, "# TYPE rcmq_request_duration_seconds histogram"));
    free (text);
    ops_destroy (&ops);
    ops_destroy (&ops);
    ck_assert_ptr_null (ops);
}
END_TEST

Suite *
expo_suite (void)
{
    Suite *suite = suite_create ("expo");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_escaping);
    tcase_add_test (tc, test_histogram_cumulative);
    tcase_add_test (tc, test_numbers);
    tcase_add_test (tc, test_names);
    tcase_add_test (tc, test_grows);
    tcase_add_test (tc, test_ops_requests);
    suite_add_tcase (suite, tc);
    return suite;
}
