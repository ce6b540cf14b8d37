/*  Tests for common/failpoint: RCMQ_FAIL_APPLY's text, the entries a
    service keeps, when one fires and when one was passed over.
*/
#include "suites.h"
#include "failpoint.h"

#include <string.h>

START_TEST (test_parse)
{
    char error [256];
    failpoint_t *failpoint = (failpoint_t *) 1;
    //  None set: no object, no error.
    ck_assert_int_eq (failpoint_new (NULL, "metrics", &failpoint, error, sizeof error), 0);
    ck_assert_ptr_null (failpoint);
    ck_assert_int_eq (failpoint_new ("", "metrics", &failpoint, error, sizeof error), 0);
    ck_assert_ptr_null (failpoint);
    //  Another service's entries only: none of ours.
    ck_assert_int_eq (failpoint_new ("claims:intake:2", "metrics", &failpoint, error, sizeof error), 0);
    ck_assert_ptr_null (failpoint);
    //  Ours, among others'.
    ck_assert_int_eq (failpoint_new ("metrics:intake:2,claims:intake:3,metrics:claims:12", "metrics",
                                     &failpoint, error, sizeof error), 0);
    ck_assert_uint_eq (failpoint_count (failpoint), 2);
    ck_assert_str_eq (failpoint_stream (failpoint, 0), "intake");
    ck_assert_uint_eq (failpoint_seq (failpoint, 0), 2);
    ck_assert_str_eq (failpoint_stream (failpoint, 1), "claims");
    ck_assert_uint_eq (failpoint_seq (failpoint, 1), 12);
    failpoint_destroy (&failpoint);
    ck_assert_ptr_null (failpoint);
    failpoint_destroy (&failpoint);
    //  Text that is no entry stops every service, naming the item, even
    //  one of another service's.
    static const char *const bad [] = {
        "metrics:intake", "metrics:intake:", "metrics:intake:x", "metrics:intake:0", ":intake:2",
        "metrics::2", "metrics:intake:2,", "metrics:intake:2,,claims:intake:1", "claims:intake:-1",
        "metrics:intake:2 ", "metrics:intake:99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        failpoint = (failpoint_t *) 1;
        ck_assert_msg (failpoint_new (bad [i], "metrics", &failpoint, error, sizeof error) == -1, "%s", bad [i]);
        ck_assert_ptr_null (failpoint);
        ck_assert_msg (strstr (error, "RCMQ_FAIL_APPLY") && strstr (error, "<service>:<stream>:<seq>"), "%s", error);
    }
    failpoint_new ("metrics:intake:2,metrics:intake:x", "metrics", &failpoint, error, sizeof error);
    ck_assert_str_eq (error, "RCMQ_FAIL_APPLY: 'metrics:intake:x' is not <service>:<stream>:<seq> (a seq from 1)");
}
END_TEST

START_TEST (test_fire_and_pass)
{
    char error [256];
    failpoint_t *failpoint;
    ck_assert_int_eq (failpoint_new ("metrics:intake:2,metrics:intake:5,metrics:claims:3,metrics:queue:4",
                                     "metrics", &failpoint, error, sizeof error), 0);
    //  queue:4 is behind the offset at start: never said passed over.
    failpoint_behind (failpoint, "queue", 4);
    ck_assert_int_eq (failpoint_passed (failpoint, "queue", 10), -1);
    //  Only the entries' (stream, seq) fire, each time they are applied.
    ck_assert (!failpoint_hit (failpoint, "intake", 1));
    ck_assert (!failpoint_hit (failpoint, "claims", 2));
    ck_assert (failpoint_hit (failpoint, "intake", 2));
    ck_assert (failpoint_hit (failpoint, "intake", 2));
    //  One that fired is not passed over when the offset moves on (the
    //  event set aside); one the offset passed without it firing is, once.
    ck_assert_int_eq (failpoint_passed (failpoint, "intake", 4), -1);
    ck_assert_int_eq (failpoint_passed (failpoint, "intake", 5), 1);
    ck_assert_int_eq (failpoint_passed (failpoint, "intake", 9), -1);
    ck_assert_int_eq (failpoint_passed (failpoint, "claims", 2), -1);
    ck_assert_int_eq (failpoint_passed (failpoint, "claims", 3), 2);
    //  A replay from seq 1 still meets what was behind.
    ck_assert (failpoint_hit (failpoint, "queue", 4));
    failpoint_destroy (&failpoint);
    //  No object: nothing fires, nothing passed.
    ck_assert (!failpoint_hit (NULL, "intake", 2));
    ck_assert_int_eq (failpoint_passed (NULL, "intake", 2), -1);
    ck_assert_uint_eq (failpoint_count (NULL), 0);
}
END_TEST

Suite *
failpoint_suite (void)
{
    Suite *suite = suite_create ("failpoint");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_parse);
    tcase_add_test (tc, test_fire_and_pass);
    suite_add_tcase (suite, tc);
    return suite;
}
