/*  test_lifecycle: the claim lifecycle's moves and the history they write
    (services/claims/lifecycle.c).
*/
#include "suites.h"
#include "lifecycle.h"

#include <czmq.h>

//  A "ready" claim whose first entry is dated at (as intake's event dates it).
static ClaimRecord *
s_ready (uint64_t at)
{
    ClaimRecord *record = (ClaimRecord *) zmalloc (sizeof (ClaimRecord));
    claim_record__init (record);
    record->pcn = strdup ("P1");
    record->status = strdup ("ready");
    HistoryEntry *entry = (HistoryEntry *) zmalloc (sizeof (HistoryEntry));
    history_entry__init (entry);
    entry->time_ms = at;
    entry->to_status = strdup ("ready");
    record->history = (HistoryEntry **) zmalloc (sizeof (HistoryEntry *));
    record->history [record->n_history++] = entry;
    return record;
}

START_TEST (test_moves)
{
    ck_assert (lifecycle_allows ("ready", "submitted"));
    ck_assert (!lifecycle_allows ("ready", "paid"));
    ck_assert (!lifecycle_allows ("closed", "submitted"));
    ck_assert (lifecycle_known ("partially_paid"));
    ck_assert (!lifecycle_known ("lost"));
    ClaimRecord *record = s_ready (1000);
    char error [256] = "";
    ck_assert_int_eq (lifecycle_move (record, "paid", "me", "why", 2000, error, sizeof error), -1);
    ck_assert_ptr_nonnull (strstr (error, "ready"));
    ck_assert_uint_eq (record->n_history, 1);
    ck_assert_int_eq (lifecycle_move (record, "submitted", "me", "why", 2000, error, sizeof error), 0);
    ck_assert_str_eq (record->status, "submitted");
    ck_assert_uint_eq (record->n_history, 2);
    ck_assert_uint_eq (record->history [1]->time_ms, 2000);
    ck_assert_str_eq (record->history [1]->from_status, "ready");
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  Issue 10 defect 5: a history went `ready` on 12-06, then `paid` on
//  11-01. A move dated before the last entry (a clock set back, or another
//  process's clock a little ahead) is dated at the last entry instead.
START_TEST (test_history_never_runs_back)
{
    const uint64_t dec_6 = 1796547600000ULL, nov_1 = dec_6 - 35 * 86400000ULL;
    ClaimRecord *record = s_ready (dec_6);
    char error [256] = "";
    ck_assert_int_eq (lifecycle_move (record, "submitted", "claims", "", dec_6 - 120, error, sizeof error), 0);
    ck_assert_int_eq (lifecycle_move (record, "paid", "claims", "", nov_1, error, sizeof error), 0);
    ck_assert_int_eq (lifecycle_move (record, "closed", "claims", "", dec_6 + 5000, error, sizeof error), 0);
    ck_assert_uint_eq (record->n_history, 4);
    ck_assert_uint_eq (record->history [1]->time_ms, dec_6);
    ck_assert_uint_eq (record->history [2]->time_ms, dec_6);
    ck_assert_uint_eq (record->history [3]->time_ms, dec_6 + 5000);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

Suite *
lifecycle_suite (void)
{
    Suite *suite = suite_create ("lifecycle");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_moves);
    tcase_add_test (tc, test_history_never_runs_back);
    suite_add_tcase (suite, tc);
    return suite;
}
