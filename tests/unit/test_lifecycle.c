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

//  The whole table, pair by pair: the moves lifecycle.h draws are
//  allowed, every other pair of known states is refused by
//  lifecycle_move with the record as it was and an error naming the
//  claim and both states. A move added to or dropped from the table by
//  mistake fails here.
static const char *s_states [] = {
    "ready", "submitted", "accepted", "rejected", "paid", "partially_paid",
    "denied", "reversed", "corrected", "voided", "closed", NULL
};

static const struct {
    const char *from;
    const char *to;
} s_legal [] = {
    //  ready -> submitted; withdrawn before it went out
    { "ready", "submitted" }, { "ready", "voided" }, { "ready", "closed" },
    //  277CA and 835 answers to a submitted claim
    { "submitted", "accepted" }, { "submitted", "rejected" }, { "submitted", "paid" },
    { "submitted", "partially_paid" }, { "submitted", "denied" }, { "submitted", "voided" },
    { "accepted", "paid" }, { "accepted", "partially_paid" }, { "accepted", "denied" },
    { "accepted", "rejected" }, { "accepted", "voided" },
    //  a rejected claim is fixed and sent again: edited back to ready (an
    //  original again: the payer never accepted it, issue 17), or replaced
    //  when the payer gave it a claim number
    { "rejected", "ready" }, { "rejected", "corrected" }, { "rejected", "voided" }, { "rejected", "submitted" },
    { "rejected", "closed" },
    //  adjudicated: reversed, re-adjudicated, corrected, voided, closed
    { "paid", "reversed" }, { "paid", "paid" }, { "paid", "partially_paid" }, { "paid", "denied" },
    { "paid", "corrected" }, { "paid", "voided" }, { "paid", "closed" },
    { "partially_paid", "reversed" }, { "partially_paid", "paid" },
    { "partially_paid", "partially_paid" }, { "partially_paid", "denied" },
    { "partially_paid", "corrected" }, { "partially_paid", "voided" }, { "partially_paid", "closed" },
    { "denied", "reversed" }, { "denied", "paid" }, { "denied", "partially_paid" },
    { "denied", "denied" }, { "denied", "corrected" }, { "denied", "voided" }, { "denied", "closed" },
    { "reversed", "paid" }, { "reversed", "partially_paid" }, { "reversed", "denied" },
    { "reversed", "corrected" }, { "reversed", "voided" }, { "reversed", "closed" },
    //  a replacement (frequency 7) goes out again
    { "corrected", "submitted" }, { "corrected", "voided" },
    //  a void (frequency 8) goes out, then the claim closes
    { "voided", "submitted" }, { "voided", "closed" },
};

static bool
s_expected (const char *from, const char *to)
{
    for (size_t i = 0; i < sizeof s_legal / sizeof s_legal [0]; i++)
        if (streq (s_legal [i].from, from) && streq (s_legal [i].to, to))
            return true;
    return false;
}

START_TEST (test_table)
{
    size_t allowed = 0;
    for (size_t f = 0; s_states [f]; f++) {
        ck_assert_msg (lifecycle_known (s_states [f]), "%s unknown", s_states [f]);
        for (size_t t = 0; s_states [t]; t++) {
            const char *from = s_states [f], *to = s_states [t];
            bool expect = s_expected (from, to);
            ck_assert_msg (lifecycle_allows (from, to) == expect, "%s -> %s: allows says %s",
                           from, to, expect? "no": "yes");
            ClaimRecord *record = s_ready (1000);
            free (record->status);
            record->status = strdup (from);
            char error [256] = "";
            int rc = lifecycle_move (record, to, "tester", "table", 2000, error, sizeof error);
            if (expect) {
                allowed++;
                ck_assert_int_eq (rc, 0);
                ck_assert_str_eq (record->status, to);
                ck_assert_uint_eq (record->n_history, 2);
                ck_assert_str_eq (record->history [1]->from_status, from);
                ck_assert_str_eq (record->history [1]->to_status, to);
                ck_assert_str_eq (record->history [1]->actor, "tester");
                ck_assert_str_eq (record->history [1]->reason, "table");
            }
            else {
                ck_assert_msg (rc == -1, "%s -> %s moved", from, to);
                ck_assert_str_eq (record->status, from);
                ck_assert_uint_eq (record->n_history, 1);
                ck_assert_msg (strstr (error, "P1") && strstr (error, from) && strstr (error, to),
                               "%s -> %s: '%s'", from, to, error);
            }
            claim_record__free_unpacked (record, NULL);
        }
    }
    ck_assert_uint_eq (allowed, sizeof s_legal / sizeof s_legal [0]);
    //  Nothing leaves closed; states the table does not know go nowhere.
    ck_assert (!lifecycle_known ("PAID"));
    ck_assert (!lifecycle_known (""));
    ck_assert (!lifecycle_known (NULL));
    ck_assert (!lifecycle_allows ("lost", "ready"));
    ck_assert (!lifecycle_allows ("ready", "lost"));
    ck_assert (!lifecycle_allows (NULL, "submitted"));
    //  Open until closed or voided.
    for (size_t i = 0; s_states [i]; i++)
        ck_assert_msg (lifecycle_open (s_states [i]) == !(streq (s_states [i], "closed")
                                                       || streq (s_states [i], "voided")),
                       "open (%s)", s_states [i]);
}
END_TEST

Suite *
lifecycle_suite (void)
{
    Suite *suite = suite_create ("lifecycle");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_moves);
    tcase_add_test (tc, test_history_never_runs_back);
    tcase_add_test (tc, test_table);
    suite_add_tcase (suite, tc);
    return suite;
}
