/*  Tests for the denials service's pure parts: the workflow table (every
    legal move and every illegal one, FAILED_PRECONDITION's message naming
    both states), the appeal deadline's date arithmetic, the priority
    order, and the appeal windows (built-in, config, precedence, errors).
*/
#include "suites.h"
#include "workflow.h"
#include "appeal.h"
#include "denialpack.h"
#include "codec.h"
#include <stdlib.h>

#include <stdio.h>
#include <string.h>

static const char *const s_states [] = {
    "new", "in_review", "waiting_payer", "waiting_practice", "corrected", "appealed",
    "lost", "won", "written_off", "cancelled", "reworked", NULL
};

//  The moves the workflow allows, written out by hand from docs/denials.md.
static const struct {
    const char *from, *to;
} s_legal [] = {
    { "new", "in_review" },
    { "in_review", "corrected" }, { "in_review", "appealed" }, { "in_review", "waiting_payer" },
    { "in_review", "waiting_practice" }, { "in_review", "written_off" },
    { "waiting_payer", "in_review" }, { "waiting_payer", "corrected" }, { "waiting_payer", "appealed" },
    { "waiting_payer", "written_off" },
    { "waiting_practice", "in_review" }, { "waiting_practice", "corrected" }, { "waiting_practice", "appealed" },
    { "waiting_practice", "written_off" },
    { "corrected", "won" }, { "corrected", "lost" }, { "corrected", "written_off" }, { "corrected", "in_review" },
    { "corrected", "waiting_payer" }, { "corrected", "waiting_practice" },
    { "appealed", "won" }, { "appealed", "lost" }, { "appealed", "written_off" }, { "appealed", "in_review" },
    { "appealed", "waiting_payer" }, { "appealed", "waiting_practice" },
    { "lost", "written_off" }, { "lost", "in_review" },
};

static bool
s_is_legal (const char *from, const char *to)
{
    for (size_t i = 0; i < sizeof s_legal / sizeof s_legal [0]; i++)
        if (strcmp (s_legal [i].from, from) == 0 && strcmp (s_legal [i].to, to) == 0)
            return true;
    return false;
}

START_TEST (test_every_move)
{
    size_t legal = 0, illegal = 0;
    for (size_t i = 0; s_states [i]; i++)
        for (size_t j = 0; s_states [j]; j++) {
            char error [256] = "";
            int rc = workflow_check (s_states [i], s_states [j], error, sizeof error);
            if (s_is_legal (s_states [i], s_states [j])) {
                ck_assert_msg (rc == 0, "%s -> %s refused: %s", s_states [i], s_states [j], error);
                legal++;
            }
            else {
                ck_assert_msg (rc == -1, "%s -> %s allowed", s_states [i], s_states [j]);
                //  The message names both states.
                char from [64], to [64];
                snprintf (from, sizeof from, "state %s", s_states [i]);
                snprintf (to, sizeof to, "move to %s", s_states [j]);
                ck_assert_msg (strstr (error, from) && strstr (error, to), "%s -> %s: '%s'", s_states [i],
                               s_states [j], error);
                illegal++;
            }
        }
    ck_assert_uint_eq (legal, sizeof s_legal / sizeof s_legal [0]);
    ck_assert_uint_eq (legal + illegal, 11 * 11);
    char error [256];
    ck_assert_int_eq (workflow_check ("new", "closed", error, sizeof error), -1);
    ck_assert_msg (strstr (error, "no denial state 'closed'"), "%s", error);
    ck_assert_int_eq (workflow_check ("won", "lost", error, sizeof error), -1);
    ck_assert_msg (strstr (error, "won is final"), "%s", error);
    ck_assert_int_eq (workflow_check ("new", "won", error, sizeof error), -1);
    ck_assert_str_eq (error, "a denial in state new cannot move to won (from new: in_review)");
}
END_TEST

START_TEST (test_state_kinds)
{
    ck_assert (workflow_final ("won") && workflow_final ("written_off") && workflow_final ("cancelled"));
    ck_assert (!workflow_final ("lost") && !workflow_final ("new") && !workflow_final ("nonsense"));
    ck_assert (workflow_before_action ("new") && workflow_before_action ("in_review")
            && workflow_before_action ("waiting_payer") && workflow_before_action ("waiting_practice"));
    ck_assert (!workflow_before_action ("appealed") && !workflow_before_action ("corrected")
            && !workflow_before_action ("won") && !workflow_before_action ("lost"));
    ck_assert_str_eq (workflow_work_state ("new"), "open");
    ck_assert_str_eq (workflow_work_state ("in_review"), "in_progress");
    ck_assert_str_eq (workflow_work_state ("appealed"), "waiting_payer");
    ck_assert_str_eq (workflow_work_state ("waiting_practice"), "waiting_practice");
    ck_assert_str_eq (workflow_work_state ("won"), "done");
    ck_assert_str_eq (workflow_work_state ("cancelled"), "cancelled");
    //  A rework path that ended with the claim accepted: final, its item done.
    ck_assert (workflow_final ("reworked") && !workflow_before_action ("reworked"));
    ck_assert_str_eq (workflow_work_state ("reworked"), "done");
    for (size_t i = 0; s_states [i]; i++)
        ck_assert_msg (workflow_known (s_states [i]), "%s", s_states [i]);
}
END_TEST

START_TEST (test_deadline)
{
    char date [16];
    uint64_t end;
    //  120 days from 2026-11-02: 2027-03-02 (2027 is not a leap year).
    ck_assert_int_eq (workflow_deadline ("20261102", 120, date, sizeof date, &end), 0);
    ck_assert_str_eq (date, "2027-03-02");
    ck_assert_uint_eq (end, 1804032000000ULL);          //  2027-03-03T00:00:00Z
    ck_assert_int_eq (workflow_deadline ("2026-11-02", 180, date, sizeof date, &end), 0);
    ck_assert_str_eq (date, "2027-05-01");
    //  Across 29 February 2028.
    ck_assert_int_eq (workflow_deadline ("20280201", 30, date, sizeof date, &end), 0);
    ck_assert_str_eq (date, "2028-03-02");
    ck_assert_int_eq (workflow_deadline ("20281231", 1, date, sizeof date, &end), 0);
    ck_assert_str_eq (date, "2029-01-01");
    ck_assert_int_eq (workflow_deadline ("20260231", 90, date, sizeof date, &end), -1);
    ck_assert_int_eq (workflow_deadline ("2026110", 90, date, sizeof date, &end), -1);
    ck_assert_int_eq (workflow_deadline ("", 90, date, sizeof date, &end), -1);
    ck_assert_int_eq (workflow_deadline ("2026-13-01", 90, date, sizeof date, &end), -1);
}
END_TEST

START_TEST (test_priority)
{
    const uint64_t day = 86400000ULL, now = 1800000000000ULL;
    //  $1,000 due in 10 days ranks with $100 due tomorrow.
    ck_assert_int_eq (workflow_priority ("new", 100000, now + 10 * day, now), 10000);
    ck_assert_int_eq (workflow_priority ("in_review", 10000, now + 1 * day, now), 10000);
    //  Part of a day counts as a day; a passed deadline as one day.
    ck_assert_int_eq (workflow_priority ("new", 10000, now + day / 2, now), 10000);
    ck_assert_int_eq (workflow_priority ("new", 10000, now + day + 1, now), 5000);
    ck_assert_int_eq (workflow_priority ("new", 10000, now - 5 * day, now), 10000);
    //  Final, or nothing at stake: 0.
    ck_assert_int_eq (workflow_priority ("won", 10000, now + day, now), 0);
    ck_assert_int_eq (workflow_priority ("written_off", 10000, now + day, now), 0);
    ck_assert_int_eq (workflow_priority ("new", 0, now + day, now), 0);
    //  The order: bigger and closer first.
    int64_t a = workflow_priority ("new", 50000, now + 100 * day, now);     //  500
    int64_t b = workflow_priority ("new", 20000, now + 5 * day, now);       //  4000
    int64_t c = workflow_priority ("new", 90000, now + 3 * day, now);       //  30000
    ck_assert (c > b && b > a);
}
END_TEST

START_TEST (test_appeal_windows)
{
    appeal_windows_t windows;
    char error [256] = "";
    ck_assert_int_eq (appeal_windows_parse (&windows, "", error, sizeof error), 0);
    const appeal_window_t *window = appeal_window_find (&windows, "MCR01", "medicare", 1);
    ck_assert (window && window->days == 120 && window->built_in);
    ck_assert_uint_eq (appeal_window_find (&windows, "MCR01", "medicare", 2)->days, 180);
    ck_assert_uint_eq (appeal_window_find (&windows, "AETNA", "commercial", 1)->days, 180);
    ck_assert_uint_eq (appeal_window_find (&windows, "X", "medicaid", 1)->days, 90);     //  default
    ck_assert_ptr_null (appeal_window_find (&windows, "X", "medicaid", 3));
    char text [128];
    appeal_window_describe (window, text, sizeof text);
    ck_assert_str_eq (text, "payer_group medicare level 1: 120 days (built-in)");

    //  Config: a Medicaid state's payer, a group's change; payer beats group.
    ck_assert_int_eq (appeal_windows_parse (&windows, "payer SKNY0 1 60; group medicare 1 125 ;group medicaid 1 75;",
                                            error, sizeof error), 0);
    ck_assert_uint_eq (appeal_window_find (&windows, "SKNY0", "medicaid", 1)->days, 60);
    ck_assert_uint_eq (appeal_window_find (&windows, "SKCA0", "medicaid", 1)->days, 75);
    window = appeal_window_find (&windows, "MCR01", "medicare", 1);
    ck_assert (window->days == 125 && !window->built_in);
    appeal_window_describe (appeal_window_find (&windows, "SKNY0", "medicaid", 1), text, sizeof text);
    ck_assert_str_eq (text, "payer_id SKNY0 level 1: 60 days");

    //  Bad entries are refused, naming the entry.
    ck_assert_int_eq (appeal_windows_parse (&windows, "payor X 1 60", error, sizeof error), -1);
    ck_assert_msg (strstr (error, "'payor X 1 60'"), "%s", error);
    ck_assert_int_eq (appeal_windows_parse (&windows, "payer X 1 sixty", error, sizeof error), -1);
    ck_assert_int_eq (appeal_windows_parse (&windows, "payer X 0 60", error, sizeof error), -1);
    ck_assert_int_eq (appeal_windows_parse (&windows, "payer X 1 60 extra", error, sizeof error), -1);
    ck_assert_int_eq (appeal_windows_parse (&windows, "payer X 1 60; payer X 1 90", error, sizeof error), -1);
    ck_assert_msg (strstr (error, "named twice"), "%s", error);
}
END_TEST

//  Timely filing (an intake rejection's clock): built-in per group,
//  config per payer and group, level 0 beside the appeal windows and
//  never answering for an appeal level.
START_TEST (test_timely_filing)
{
    appeal_windows_t windows;
    char error [256] = "";
    ck_assert_int_eq (appeal_windows_parse (&windows, "", error, sizeof error), 0);
    ck_assert_int_eq (appeal_filing_parse (&windows, "", error, sizeof error), 0);
    ck_assert_uint_eq (appeal_window_find (&windows, "MCR01", "medicare", 0)->days, 365);
    ck_assert_uint_eq (appeal_window_find (&windows, "BX", "bcbs", 0)->days, 180);
    ck_assert_uint_eq (appeal_window_find (&windows, "X", "medicaid", 0)->days, 90);        //  default
    ck_assert_uint_eq (appeal_window_find (&windows, "MCR01", "medicare", 1)->days, 120);   //  untouched
    char text [160];
    appeal_window_describe (appeal_window_find (&windows, "MCR01", "medicare", 0), text, sizeof text);
    ck_assert_str_eq (text, "payer_group medicare timely filing: 365 days from the date of service (built-in)");

    ck_assert_int_eq (appeal_windows_parse (&windows, "payer SKNY0 1 60", error, sizeof error), 0);
    ck_assert_int_eq (appeal_filing_parse (&windows, "payer SKNY0 120; group medicaid 180", error, sizeof error), 0);
    ck_assert_uint_eq (appeal_window_find (&windows, "SKNY0", "medicaid", 0)->days, 120);
    ck_assert_uint_eq (appeal_window_find (&windows, "SKCA0", "medicaid", 0)->days, 180);
    ck_assert_uint_eq (appeal_window_find (&windows, "SKNY0", "medicaid", 1)->days, 60);
    appeal_window_describe (appeal_window_find (&windows, "SKNY0", "medicaid", 0), text, sizeof text);
    ck_assert_str_eq (text, "payer_id SKNY0 timely filing: 120 days from the date of service");

    //  Bad entries name themselves; an appeal-windows entry cannot be level 0.
    ck_assert_int_eq (appeal_windows_parse (&windows, "", error, sizeof error), 0);
    ck_assert_int_eq (appeal_filing_parse (&windows, "payer X 1 60", error, sizeof error), -1);
    ck_assert_msg (strstr (error, "denials/timely-filing: 'payer X 1 60'"), "%s", error);
    ck_assert_int_eq (appeal_windows_parse (&windows, "", error, sizeof error), 0);
    ck_assert_int_eq (appeal_filing_parse (&windows, "group medicare 0", error, sizeof error), -1);
    ck_assert_int_eq (appeal_windows_parse (&windows, "", error, sizeof error), 0);
    ck_assert_int_eq (appeal_filing_parse (&windows, "payer X 30; payer X 40", error, sizeof error), -1);
    ck_assert_msg (strstr (error, "named twice"), "%s", error);
}
END_TEST

//  One pack for the record and the event (records_save): the event's
//  bytes with the history put in give protobuf-c's bytes of the whole
//  item, whatever fields are set on either side of field 34.
static void
s_check_stored (const DenialItem *item)
{
    size_t whole_size;
    uint8_t *whole = codec_pack (item, &whole_size);
    DenialItem light = *item;
    light.n_history = 0;
    light.history = NULL;
    size_t light_size;
    uint8_t *bytes = codec_pack (&light, &light_size);
    ck_assert_uint_eq (light_size + denialpack_history_size (item), whole_size);
    uint8_t *out = (uint8_t *) malloc (whole_size + 1);
    denialpack_stored (item, bytes, light_size, out);
    ck_assert (memcmp (out, whole, whole_size) == 0);
    free (out);
    free (bytes);
    free (whole);
}

static void
s_history (DenialItem *item, uint64_t when, const char *what, const char *reason)
{
    DenialHistory *entry = (DenialHistory *) malloc (sizeof *entry);
    denial_history__init (entry);
    entry->time_ms = when;
    codec_set_text (&entry->actor, "denials");
    codec_set_text (&entry->what, what);
    codec_set_text (&entry->from, "");
    codec_set_text (&entry->to, "");
    codec_set_text (&entry->reason, reason);
    codec_append (&item->history, &item->n_history, entry);
}

START_TEST (test_stored_from_event)
{
    DenialItem *item = (DenialItem *) calloc (1, sizeof (DenialItem));
    denial_item__init (item);
    s_check_stored (item);                          //  empty
    codec_set_text (&item->id, "DEN-0000000001");
    codec_set_text (&item->pcn, "PCN-1");
    codec_set_text (&item->state, "new");
    s_check_stored (item);                          //  fields below 34 only
    s_history (item, 1796000000000ULL, "opened", "opened denial on remit T");
    s_check_stored (item);                          //  the history last
    item->taken_back_cents = 1234;                  //  38
    codec_set_text (&item->claim_status, "denied"); //  39
    item->pattern_counted = true;                   //  43
    s_check_stored (item);
    for (int i = 0; i < 40; i++) {
        char reason [300];
        memset (reason, 'a' + i % 26, sizeof reason - 1);
        reason [sizeof reason - 1 - (size_t) i] = 0;
        s_history (item, (uint64_t) i, "note", reason);
    }
    s_check_stored (item);                          //  long entries, many
    item->resolved_ms = 99;                         //  32, just below
    s_check_stored (item);
    codec_free (item);
}
END_TEST

Suite *
denial_workflow_suite (void)
{
    Suite *suite = suite_create ("denial_workflow");
    TCase *tc = tcase_create ("pure");
    tcase_add_test (tc, test_every_move);
    tcase_add_test (tc, test_state_kinds);
    tcase_add_test (tc, test_deadline);
    tcase_add_test (tc, test_priority);
    tcase_add_test (tc, test_appeal_windows);
    tcase_add_test (tc, test_timely_filing);
    tcase_add_test (tc, test_stored_from_event);
    suite_add_tcase (suite, tc);
    return suite;
}
