/*  The integration suites: real processes (harness.h), one suite per
    concern. main.c runs them all in one SRunner so the run ends in one
    Check summary line. Add a suite: write its test_<concern>.c with a
    <concern>_suite() constructor, list it here, in main.c's table and in
    CMakeLists.txt.
*/
#ifndef RCMQ_ITEST_SUITES_H
#define RCMQ_ITEST_SUITES_H

#include <check.h>

Suite *events_suite (void);
Suite *auth_suite (void);
Suite *intake_suite (void);
Suite *claims_suite (void);
Suite *metrics_suite (void);
Suite *posting_suite (void);
Suite *replycache_suite (void);
Suite *producers_suite (void);
Suite *scope_suite (void);
Suite *stores_suite (void);
Suite *upload_suite (void);
Suite *claims_upload_suite (void);
Suite *event_table_suite (void);
Suite *filters_suite (void);
Suite *access_suite (void);

#endif
