/*  The unit suites, one per class. main.c runs them all in one SRunner so
    the run ends in one Check summary line. Add a suite: write its
    test_<class>.c with a <class>_suite() constructor, list it here and in
    main.c's table, and in CMakeLists.txt.
*/
#ifndef RCMQ_TEST_SUITES_H
#define RCMQ_TEST_SUITES_H

#include <check.h>

Suite *clock_suite (void);
Suite *memory_suite (void);
Suite *expo_suite (void);
Suite *config_suite (void);
Suite *store_suite (void);
Suite *codec_suite (void);
Suite *x12_suite (void);
Suite *parse_837p_suite (void);
Suite *scrub_suite (void);
Suite *stage_suite (void);
Suite *element_limits_suite (void);
Suite *access_suite (void);
Suite *registry_suite (void);
Suite *web_suite (void);
Suite *mask_suite (void);
Suite *outbox_suite (void);
Suite *eventlog_suite (void);
Suite *consumer_suite (void);
Suite *failpoint_suite (void);
Suite *relay_suite (void);
Suite *metrics_kpi_suite (void);
Suite *metrics_months_suite (void);
Suite *metrics_aging_suite (void);
Suite *metrics_rebuild_suite (void);
Suite *metrics_bounds_suite (void);
Suite *metrics_work_suite (void);
Suite *metrics_denials_suite (void);
Suite *metrics_tally_suite (void);
Suite *write837_suite (void);
Suite *remit835_suite (void);
Suite *posting_suite (void);
Suite *apply_suite (void);
Suite *carc_suite (void);
Suite *denial_workflow_suite (void);
Suite *denial_letter_suite (void);
Suite *denial_records_suite (void);
Suite *ack277_suite (void);
Suite *lifecycle_suite (void);
Suite *claimedit_suite (void);
Suite *output_suite (void);
Suite *text_suite (void);
Suite *files_suite (void);
Suite *spool_suite (void);
Suite *phi_suite (void);
Suite *phi_claim_suite (void);
Suite *keyring_suite (void);
Suite *gate_suite (void);
Suite *server_suite (void);
Suite *queues_suite (void);
Suite *grid_suite (void);
Suite *workitem_suite (void);
Suite *ledger_suite (void);
Suite *ledger_mark_suite (void);
Suite *sha256_suite (void);
Suite *tlog_suite (void);
Suite *auditrecord_suite (void);
Suite *note_suite (void);
Suite *calendar_suite (void);
Suite *sla_suite (void);

//  A fresh empty directory under $TMPDIR for one test; caller removes it
//  with test_rmtree.
char *test_tmpdir (const char *tag);
void  test_rmtree (const char *dir);

#endif
