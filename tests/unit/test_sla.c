/*  test_sla: SLA policies from config — the built-in default per work type,
    the queue×type choice before the type's default, targets in business
    and wall-clock time, pause states, escalation levels at their exact
    boundaries, and malformed settings refused with the key named.

    Config is set with config_set (flags beat the environment), under
    names no real deployment uses, so the caller's RCMQ_ variables cannot
    change an outcome. Expected instants are local times with their
    offsets, read by clock_parse_iso8601.
*/
#include "suites.h"
#include "sla.h"
#include "clock.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000ULL
#define DAY_MS  (24 * HOUR_MS)

static uint64_t
s_at (const char *iso)
{
    uint64_t ms;
    ck_assert_msg (clock_parse_iso8601 (iso, &ms) == 0, "bad instant in test: %s", iso);
    return ms;
}

static sla_set_t *
s_load (config_t *config)
{
    char error [512] = "";
    sla_set_t *set = sla_set_load (config, error, sizeof error);
    ck_assert_msg (set != NULL, "sla_set_load: %s", error);
    return set;
}

//  Asserts sla_set_load refuses the config with a message containing text.
static void
s_refused (config_t *config, const char *text)
{
    char error [512] = "";
    sla_set_t *set = sla_set_load (config, error, sizeof error);
    ck_assert_msg (set == NULL, "accepted; expected '%s'", text);
    ck_assert_msg (strstr (error, text), "error '%s' lacks '%s'", error, text);
}

//  A config with the Chicago billing calendar.
static config_t *
s_config (void)
{
    config_t *config = config_new ();
    config_set (config, "calendar/unittest-chi/zone", "America/Chicago");
    config_set (config, "calendar/unittest-chi/hours", "mon-fri 09:00-17:00");
    config_set (config, "calendar/unittest-chi/holidays", "2026-12-25");
    return config;
}

START_TEST (test_builtin_defaults)
{
    config_t *config = config_new ();
    sla_set_t *set = s_load (config);

    //  follow_up: a payer's 30-day no-response window, wall-clock days.
    const sla_policy_t *follow_up = sla_set_find (set, "any-queue", "follow_up");
    ck_assert_ptr_nonnull (follow_up);
    ck_assert_str_eq (follow_up->name, "follow_up");
    ck_assert_str_eq (follow_up->calendar, "");
    ck_assert_uint_eq (follow_up->target_ms, 30 * DAY_MS);
    ck_assert_uint_eq (follow_up->level1_pct, 75);
    ck_assert_uint_eq (follow_up->level3_after_ms, 7 * DAY_MS);
    ck_assert (sla_policy_pauses (follow_up, "waiting_practice"));
    ck_assert (!sla_policy_pauses (follow_up, "waiting_payer"));
    //  Wall-clock: Saturdays count.
    ck_assert_uint_eq (sla_set_when (set, follow_up, s_at ("2026-11-13T16:00:00Z"), 30 * DAY_MS),
                       s_at ("2026-12-13T16:00:00Z"));

    //  documentation_request: 2 business days in the default calendar
    //  (UTC, mon-fri 09:00-17:00): two 8-hour days.
    const sla_policy_t *doc = sla_set_find (set, NULL, "documentation_request");
    ck_assert_ptr_nonnull (doc);
    ck_assert_str_eq (doc->calendar, "default");
    ck_assert_uint_eq (doc->target_ms, 16 * HOUR_MS);
    ck_assert_uint_eq (doc->level3_after_ms, 8 * HOUR_MS);
    ck_assert_uint_eq (doc->n_pause_states, 0);
    ck_assert_ptr_nonnull (sla_set_calendar (set, "default"));
    //  Opened Friday 10:00, due Tuesday 10:00.
    ck_assert_uint_eq (sla_set_when (set, doc, s_at ("2026-11-13T10:00:00Z"), doc->target_ms),
                       s_at ("2026-11-17T10:00:00Z"));

    const sla_policy_t *denial = sla_set_find (set, "q", "denial");
    ck_assert_ptr_nonnull (denial);
    ck_assert_uint_eq (denial->target_ms, 80 * HOUR_MS);
    ck_assert (sla_policy_pauses (denial, "waiting_payer"));
    ck_assert (sla_policy_pauses (denial, "waiting_practice"));
    ck_assert (!sla_policy_pauses (denial, "open"));
    const sla_policy_t *inquiry = sla_set_find (set, "q", "inquiry");
    ck_assert_ptr_nonnull (inquiry);
    ck_assert_uint_eq (inquiry->target_ms, 16 * HOUR_MS);
    ck_assert (sla_policy_pauses (inquiry, "waiting_patient"));

    //  No default for action; nothing for an unknown type.
    ck_assert_ptr_null (sla_set_find (set, "q", "action"));
    ck_assert_ptr_null (sla_set_find (set, "q", "nonsense"));
    ck_assert_uint_eq (sla_set_size (set), 4);
    ck_assert_str_eq (sla_set_at (set, 0)->name, "denial");
    ck_assert_ptr_eq (sla_set_policy (set, "inquiry"), inquiry);
    ck_assert_ptr_null (sla_set_policy (set, "nope"));

    sla_set_destroy (&set);
    ck_assert_ptr_null (set);
    sla_set_destroy (&set);
    config_destroy (&config);
}
END_TEST

START_TEST (test_issue_example)
{
    //  "first_touch 4 business hours" in a Chicago 9–17 calendar, opened
    //  Friday 16:00: due Monday 12:00.
    config_t *config = s_config ();
    config_set (config, "sla/policies", "unittest-touch");
    config_set (config, "sla/unittest-touch/target", "first_touch 4 business hours");
    config_set (config, "sla/unittest-touch/calendar", "unittest-chi");
    config_set (config, "sla/unittest-touch/applies-to", "unittest-cardio:denial");
    sla_set_t *set = s_load (config);
    const sla_policy_t *policy = sla_set_find (set, "unittest-cardio", "denial");
    ck_assert_ptr_nonnull (policy);
    ck_assert_str_eq (policy->name, "unittest-touch");
    ck_assert_str_eq (policy->calendar, "unittest-chi");
    ck_assert_int_eq (policy->measure, SLA_FIRST_TOUCH);
    ck_assert_str_eq (policy->target_text, "first_touch 4 business hours");
    ck_assert_uint_eq (policy->target_ms, 4 * HOUR_MS);
    ck_assert_uint_eq (sla_set_when (set, policy, s_at ("2026-11-13T16:00:00-06:00"), policy->target_ms),
                       s_at ("2026-11-16T12:00:00-06:00"));
    ck_assert_uint_eq (sla_set_elapsed (set, policy, s_at ("2026-11-13T16:00:00-06:00"),
                                        s_at ("2026-11-16T12:00:00-06:00")), 4 * HOUR_MS);
    //  Other queues keep the type's default.
    ck_assert_str_eq (sla_set_find (set, "unittest-ortho", "denial")->name, "denial");
    ck_assert_str_eq (sla_set_find (set, NULL, "denial")->name, "denial");
    sla_set_destroy (&set);
    config_destroy (&config);
}
END_TEST

START_TEST (test_choice_precedence)
{
    //  queue×type beats the type's default, which a configured policy
    //  takes over from the built-in one; the built-in stays by name.
    config_t *config = s_config ();
    config_set (config, "sla/policies", "unittest-std, unittest-fast");
    config_set (config, "sla/unittest-std/target", "resolve 5 business days");
    config_set (config, "sla/unittest-std/calendar", "unittest-chi");
    config_set (config, "sla/unittest-std/applies-to", "denial, inquiry");
    config_set (config, "sla/unittest-fast/target", "2 business hours");
    config_set (config, "sla/unittest-fast/calendar", "unittest-chi");
    config_set (config, "sla/unittest-fast/applies-to", "unittest-cardio:denial unittest-er:denial");
    sla_set_t *set = s_load (config);
    ck_assert_str_eq (sla_set_find (set, "unittest-cardio", "denial")->name, "unittest-fast");
    ck_assert_str_eq (sla_set_find (set, "unittest-er", "denial")->name, "unittest-fast");
    ck_assert_str_eq (sla_set_find (set, "unittest-ortho", "denial")->name, "unittest-std");
    ck_assert_str_eq (sla_set_find (set, "unittest-cardio", "inquiry")->name, "unittest-std");
    ck_assert_str_eq (sla_set_find (set, "unittest-cardio", "follow_up")->name, "follow_up");
    ck_assert_ptr_nonnull (sla_set_policy (set, "denial"));
    ck_assert_uint_eq (sla_set_size (set), 6);
    ck_assert_uint_eq (sla_set_policy (set, "unittest-std")->target_ms, 40 * HOUR_MS);
    sla_set_destroy (&set);
    config_destroy (&config);
}
END_TEST

START_TEST (test_builtin_changed)
{
    //  sla/<type>/… changes a built-in policy without listing it.
    config_t *config = s_config ();
    config_set (config, "sla/follow_up/target", "45 days");
    config_set (config, "sla/follow_up/level3-after", "2 weeks");
    config_set (config, "sla/follow_up/pause", "waiting_practice waiting_patient");
    config_set (config, "sla/documentation_request/calendar", "unittest-chi");
    config_set (config, "sla/documentation_request/level1-pct", "50");
    sla_set_t *set = s_load (config);
    const sla_policy_t *follow_up = sla_set_find (set, "q", "follow_up");
    ck_assert_uint_eq (follow_up->target_ms, 45 * DAY_MS);
    ck_assert_uint_eq (follow_up->level3_after_ms, 14 * DAY_MS);
    ck_assert_uint_eq (follow_up->n_pause_states, 2);
    ck_assert (sla_policy_pauses (follow_up, "waiting_patient"));
    const sla_policy_t *doc = sla_set_find (set, "q", "documentation_request");
    ck_assert_str_eq (doc->calendar, "unittest-chi");
    ck_assert_uint_eq (doc->level1_pct, 50);
    //  Thursday 24 December 10:00 Chicago: the 25th is a holiday there, so
    //  two business days end Tuesday 29th 10:00.
    ck_assert_uint_eq (sla_set_when (set, doc, s_at ("2026-12-24T10:00:00-06:00"), doc->target_ms),
                       s_at ("2026-12-29T10:00:00-06:00"));
    sla_set_destroy (&set);
    config_destroy (&config);
}
END_TEST

START_TEST (test_pause_states)
{
    //  A clock that stops while the item waits on the payer: the work
    //  model keeps spent time; here the same arithmetic by hand. Opened
    //  Monday 09:00 with 4 business hours; waiting_payer from 11:00 Monday
    //  until 11:00 Wednesday; the remaining 2 hours end Wednesday 13:00.
    config_t *config = s_config ();
    config_set (config, "sla/policies", "unittest-p");
    config_set (config, "sla/unittest-p/target", "4 business hours");
    config_set (config, "sla/unittest-p/calendar", "unittest-chi");
    config_set (config, "sla/unittest-p/pause", "waiting_payer,waiting_patient, waiting_payer");
    sla_set_t *set = s_load (config);
    const sla_policy_t *policy = sla_set_policy (set, "unittest-p");
    ck_assert_uint_eq (policy->n_pause_states, 2);      //  the repeat counted once
    ck_assert (sla_policy_pauses (policy, "waiting_payer"));
    ck_assert (sla_policy_pauses (policy, "waiting_patient"));
    ck_assert (!sla_policy_pauses (policy, "waiting_practice"));
    ck_assert (!sla_policy_pauses (policy, "in_progress"));
    ck_assert (!sla_policy_pauses (policy, "waiting"));
    //  Not chosen for any type: only by name.
    ck_assert_str_eq (sla_set_find (set, "q", "denial")->name, "denial");

    uint64_t opened = s_at ("2026-11-16T09:00:00-06:00");
    uint64_t paused = s_at ("2026-11-16T11:00:00-06:00");
    uint64_t resumed = s_at ("2026-11-18T11:00:00-06:00");
    uint64_t spent = sla_set_elapsed (set, policy, opened, paused);
    ck_assert_uint_eq (spent, 2 * HOUR_MS);
    ck_assert_uint_eq (sla_set_when (set, policy, resumed, policy->target_ms - spent),
                       s_at ("2026-11-18T13:00:00-06:00"));
    sla_set_destroy (&set);
    config_destroy (&config);
}
END_TEST

START_TEST (test_level_boundaries)
{
    config_t *config = s_config ();
    config_set (config, "sla/policies", "unittest-l");
    config_set (config, "sla/unittest-l/target", "4 business hours");
    config_set (config, "sla/unittest-l/calendar", "unittest-chi");
    sla_set_t *set = s_load (config);
    const sla_policy_t *policy = sla_set_policy (set, "unittest-l");
    //  Level 1 at exactly 75% (3 h), 2 at the target, 3 a business day later.
    ck_assert_uint_eq (sla_level_spent (policy, 0), 0);
    ck_assert_uint_eq (sla_level_spent (policy, 1), 3 * HOUR_MS);
    ck_assert_uint_eq (sla_level_spent (policy, 2), 4 * HOUR_MS);
    ck_assert_uint_eq (sla_level_spent (policy, 3), 12 * HOUR_MS);
    static const struct { uint64_t spent; int level; } cases [] = {
        { 0, 0 },
        { 3 * HOUR_MS - 1, 0 }, { 3 * HOUR_MS, 1 }, { 3 * HOUR_MS + 1, 1 },
        { 4 * HOUR_MS - 1, 1 }, { 4 * HOUR_MS, 2 },
        { 12 * HOUR_MS - 1, 2 }, { 12 * HOUR_MS, 3 }, { UINT64_MAX, 3 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        ck_assert_msg (sla_level_at (policy, cases [i].spent) == cases [i].level,
                       "spent %llu: level %d, expected %d", (unsigned long long) cases [i].spent,
                       sla_level_at (policy, cases [i].spent), cases [i].level);
    //  The instants: opened Friday 14:00 Chicago, level 1 at Friday's
    //  close (17:00, not Monday 09:00), level 2 Monday 10:00, level 3
    //  Tuesday 10:00.
    uint64_t opened = s_at ("2026-11-13T14:00:00-06:00");
    ck_assert_uint_eq (sla_set_when (set, policy, opened, sla_level_spent (policy, 1)),
                       s_at ("2026-11-13T17:00:00-06:00"));
    ck_assert_uint_eq (sla_set_when (set, policy, opened, sla_level_spent (policy, 2)),
                       s_at ("2026-11-16T10:00:00-06:00"));
    ck_assert_uint_eq (sla_set_when (set, policy, opened, sla_level_spent (policy, 3)),
                       s_at ("2026-11-17T10:00:00-06:00"));
    //  The same through sla_set_level_when, for a fresh item and for one
    //  that has spent 2 h before a pause and resumed Wednesday 11:00: level
    //  1 one hour later, 2 at 13:00, 3 ten working hours later (Thursday
    //  13:00); a level already reached is reached at the resume.
    ck_assert_uint_eq (sla_set_level_when (set, policy, 2, 0, opened), s_at ("2026-11-16T10:00:00-06:00"));
    uint64_t resumed = s_at ("2026-11-18T11:00:00-06:00");
    ck_assert_uint_eq (sla_set_level_when (set, policy, 1, 2 * HOUR_MS, resumed), s_at ("2026-11-18T12:00:00-06:00"));
    ck_assert_uint_eq (sla_set_level_when (set, policy, 2, 2 * HOUR_MS, resumed), s_at ("2026-11-18T13:00:00-06:00"));
    ck_assert_uint_eq (sla_set_level_when (set, policy, 3, 2 * HOUR_MS, resumed), s_at ("2026-11-19T13:00:00-06:00"));
    ck_assert_uint_eq (sla_set_level_when (set, policy, 1, 3 * HOUR_MS, resumed), resumed);
    ck_assert_uint_eq (sla_set_level_when (set, policy, 2, 3 * HOUR_MS - 1, resumed), s_at ("2026-11-18T12:00:00.001-06:00"));
    sla_set_destroy (&set);
    config_destroy (&config);

    //  Level 1 rounds up: 75% of 1001 ms is 750.75, reached at 751.
    sla_policy_t odd = { .target_ms = 1001, .level1_pct = 75, .level3_after_ms = 10 };
    ck_assert_uint_eq (sla_level_spent (&odd, 1), 751);
    ck_assert_int_eq (sla_level_at (&odd, 750), 0);
    ck_assert_int_eq (sla_level_at (&odd, 751), 1);
    ck_assert_uint_eq (sla_level_spent (&odd, 3), 1011);
    //  No overflow at the top of the range.
    sla_policy_t huge = { .target_ms = UINT64_MAX / 2, .level1_pct = 99, .level3_after_ms = UINT64_MAX };
    ck_assert_uint_lt (sla_level_spent (&huge, 1), huge.target_ms);
    ck_assert_uint_gt (sla_level_spent (&huge, 1), huge.target_ms / 100 * 98);
    ck_assert_uint_eq (sla_level_spent (&huge, 3), UINT64_MAX);
}
END_TEST

//  A hard deadline escalates before it: the built-in denial policy at 50 %,
//  80 % and the last five business days of the item's own run (issue 17),
//  level 3 never before level 2 when the run is short; configurable.
START_TEST (test_deadline_levels)
{
    config_t *config = config_new ();
    sla_set_t *set = s_load (config);
    const sla_policy_t *builtin = sla_set_find (set, "q", "denial");
    ck_assert_uint_eq (builtin->level1_pct, 50);
    ck_assert_uint_eq (builtin->level2_pct, 80);
    ck_assert_uint_eq (builtin->level3_before_ms, 40 * HOUR_MS);     //  5 days of 8 hours
    ck_assert_uint_eq (builtin->level3_after_ms, 0);
    //  A 100-business-day run to the deadline: 50, 80 and 95 days.
    sla_policy_t run = *builtin;
    run.target_ms = 800 * HOUR_MS;
    ck_assert_uint_eq (sla_level_spent (&run, 1), 400 * HOUR_MS);
    ck_assert_uint_eq (sla_level_spent (&run, 2), 640 * HOUR_MS);
    ck_assert_uint_eq (sla_level_spent (&run, 3), 760 * HOUR_MS);
    ck_assert_int_eq (sla_level_at (&run, 760 * HOUR_MS - 1), 2);
    ck_assert_int_eq (sla_level_at (&run, 760 * HOUR_MS), 3);
    //  Ten business days: the last five begin before 80 %, so level 3 comes with level 2.
    run.target_ms = 80 * HOUR_MS;
    ck_assert_uint_eq (sla_level_spent (&run, 2), 64 * HOUR_MS);
    ck_assert_uint_eq (sla_level_spent (&run, 3), 64 * HOUR_MS);
    ck_assert_int_eq (sla_level_at (&run, 64 * HOUR_MS), 3);
    //  A deadline closer than five business days: level 3 at level 2.
    run.target_ms = 8 * HOUR_MS;
    ck_assert_uint_eq (sla_level_spent (&run, 3), sla_level_spent (&run, 2));
    //  Other policies keep level 2 at the target and level 3 after it.
    const sla_policy_t *follow_up = sla_set_find (set, "q", "follow_up");
    ck_assert_uint_eq (follow_up->level2_pct, 100);
    ck_assert_uint_eq (sla_level_spent (follow_up, 2), follow_up->target_ms);
    ck_assert_uint_eq (sla_level_spent (follow_up, 3), follow_up->target_ms + follow_up->level3_after_ms);
    sla_set_destroy (&set);
    config_destroy (&config);

    //  Configured: level2-pct 90 and level3-after in place of the built-in before.
    config = config_new ();
    config_set (config, "sla/denial/level2-pct", "90");
    config_set (config, "sla/denial/level3-after", "1 business day");
    set = s_load (config);
    const sla_policy_t *changed = sla_set_find (set, "q", "denial");
    ck_assert_uint_eq (changed->level2_pct, 90);
    ck_assert_uint_eq (changed->level3_before_ms, 0);
    ck_assert_uint_eq (sla_level_spent (changed, 2), 72 * HOUR_MS);
    ck_assert_uint_eq (sla_level_spent (changed, 3), 88 * HOUR_MS);
    sla_set_destroy (&set);
    config_destroy (&config);
}
END_TEST

START_TEST (test_parse_target)
{
    char error [256];
    uint64_t ms;
    bool business;
    sla_measure_t measure;
    static const struct {
        const char *text;
        uint64_t ms;
        bool business;
        sla_measure_t measure;
    } good [] = {
        { "30 days",                       30 * DAY_MS,  false, SLA_RESOLVE },
        { "resolve 1 day",                 DAY_MS,       false, SLA_RESOLVE },
        { "2 weeks",                       14 * DAY_MS,  false, SLA_RESOLVE },
        { "90 minutes",                    5400000,      false, SLA_RESOLVE },
        { "  first_touch   4 business hours ", 4 * HOUR_MS, true, SLA_FIRST_TOUCH },
        { "resolve 10 business days",      80 * HOUR_MS, true,  SLA_RESOLVE },
        { "1 business day",                8 * HOUR_MS,  true,  SLA_RESOLVE },
        { "30 business minutes",           1800000,      true,  SLA_RESOLVE },
    };
    config_t *config = config_new ();
    char load_error [512];
    calendar_t *calendar = calendar_load (config, "default", load_error, sizeof load_error);
    ck_assert_ptr_nonnull (calendar);
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        ck_assert_msg (sla_parse_target (good [i].text, calendar, &ms, &business, &measure, error, sizeof error) == 0,
                       "'%s': %s", good [i].text, error);
        ck_assert_uint_eq (ms, good [i].ms);
        ck_assert_int_eq (business, good [i].business);
        ck_assert_int_eq (measure, good [i].measure);
    }
    static const struct { const char *text, *message; } bad [] = {
        { "",                       "expected a number" },
        { "4 busines hours",        "expected [business] minutes, hours, days or weeks" },
        { "4 business weeks",       "business time counts in minutes, hours or days" },
        { "0 days",                 "expected a whole number from 1" },
        { "-3 days",                "expected a whole number from 1" },
        { "1.5 days",               "expected a whole number from 1" },
        { "four hours",             "expected a whole number from 1" },
        { "4 fortnights",           "expected minutes, hours, days or weeks, not 'fortnights'" },
        { "4 hours please",         "expected [business] minutes" },
        { "first_touch",            "expected a number" },
        { "10 days 10 days 10 days","expected [first_touch|resolve]" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        ck_assert_msg (sla_parse_target (bad [i].text, calendar, &ms, &business, &measure, error, sizeof error) == -1,
                       "'%s' accepted", bad [i].text);
        ck_assert_msg (strstr (error, bad [i].message), "'%s': '%s' lacks '%s'", bad [i].text, error, bad [i].message);
    }
    ck_assert_int_eq (sla_parse_target ("2 business days", NULL, &ms, &business, &measure, error, sizeof error), -1);
    ck_assert_msg (strstr (error, "need a calendar"), "%s", error);
    calendar_destroy (&calendar);
    config_destroy (&config);
}
END_TEST

START_TEST (test_malformed_refused)
{
    //  Each malformed setting stops the load, naming its key and value.
    static const struct {
        const char *key, *value, *message;
    } cases [] = {
        { "sla/unittest-m/target",       "4 busines hours",   "sla/unittest-m/target = '4 busines hours'" },
        { "sla/unittest-m/calendar",     "unittest-nowhere",  "sla/unittest-m/calendar = 'unittest-nowhere': calendar/unittest-nowhere/zone is not set" },
        { "sla/unittest-m/pause",        "waiting_payor",     "sla/unittest-m/pause = 'waiting_payor': 'waiting_payor' is not a work state" },
        { "sla/unittest-m/pause",        "done",              "'done' is not a work state that can pause" },
        { "sla/unittest-m/level1-pct",   "120",               "sla/unittest-m/level1-pct = '120': expected a whole number from 1 to 99" },
        { "sla/unittest-m/level1-pct",   "75%",               "sla/unittest-m/level1-pct = '75%'" },
        { "sla/unittest-m/level3-after", "3 days",            "sla/unittest-m/level3-after = '3 days': expected business time" },
        { "sla/unittest-m/level3-after", "soon",              "sla/unittest-m/level3-after = 'soon'" },
        { "sla/unittest-m/level2-pct",   "101",               "sla/unittest-m/level2-pct = '101': expected a whole number from 1 to 100" },
        { "sla/unittest-m/level2-pct",   "75",                "sla/unittest-m/level2-pct = 75: level 2 must come after level 1 (level1-pct 75)" },
        { "sla/unittest-m/level3-before", "2 days",           "sla/unittest-m/level3-before = '2 days': expected business time" },
        { "sla/unittest-m/applies-to",   "denail",            "sla/unittest-m/applies-to = 'denail': 'denail' is not a work type" },
        { "sla/unittest-m/applies-to",   ":denial",           "expected TYPE or QUEUE:TYPE at ':denial'" },
        { "sla/policies",                "unittest-m, bad/name", "sla/policies = 'unittest-m, bad/name': 'bad/name' is not a policy name" },
        { "sla/policies",                "policies",          "'policies' is not a policy name" },
        { "sla/follow_up/target",        "30 dayz",           "sla/follow_up/target = '30 dayz'" },
        { "sla/follow_up/calendar",      "unittest-chi",      "sla/follow_up/calendar = 'unittest-chi': the target 'resolve 30 days' is wall-clock time" },
        { "sla/denial/calendar",         "unittest-nowhere",  "sla/denial/calendar = 'unittest-nowhere'" },
        { "calendar/default/hours",      "weekdays",          "calendar/default/hours = 'weekdays'" },
        { "calendar/unittest-chi/zone",  "America/Chicag0",   "calendar/unittest-chi/zone = 'America/Chicag0'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        config_t *config = s_config ();
        config_set (config, "sla/policies", "unittest-m");
        config_set (config, "sla/unittest-m/target", "4 business hours");
        config_set (config, "sla/unittest-m/calendar", "unittest-chi");
        //  The same config without the bad value loads: the value is what is refused.
        sla_set_t *set = s_load (config);
        sla_set_destroy (&set);
        config_set (config, cases [i].key, cases [i].value);
        s_refused (config, cases [i].message);
        config_destroy (&config);
    }

    //  Level 3 is one point: after the target or before it, not both.
    config_t *config = s_config ();
    config_set (config, "sla/denial/level3-before", "2 business days");
    config_set (config, "sla/denial/level3-after", "1 business day");
    s_refused (config, "sla/denial/level3-after and sla/denial/level3-before are both set: level 3 is one point");
    config_destroy (&config);

    //  A listed policy without a target.
    config = s_config ();
    config_set (config, "sla/policies", "unittest-empty");
    s_refused (config, "sla/unittest-empty/target is not set");
    config_destroy (&config);

    //  Two policies choosing the same queue×type, or the same type's default.
    config = s_config ();
    config_set (config, "sla/policies", "unittest-a unittest-b");
    config_set (config, "sla/unittest-a/target", "3 days");
    config_set (config, "sla/unittest-b/target", "4 days");
    config_set (config, "sla/unittest-a/applies-to", "unittest-q:denial");
    config_set (config, "sla/unittest-b/applies-to", "inquiry, unittest-q:denial");
    s_refused (config, "sla/unittest-b/applies-to = 'inquiry, unittest-q:denial': unittest-q:denial is already chosen by policy 'unittest-a'");
    config_set (config, "sla/unittest-a/applies-to", "inquiry");
    config_set (config, "sla/unittest-b/applies-to", "inquiry");
    s_refused (config, "inquiry is already chosen by policy 'unittest-a'");
    config_destroy (&config);
}
END_TEST

START_TEST (test_from_zpl_file)
{
    //  The example of docs/work-items.md, as a config file.
    static const char *zpl =
        "calendar\n"
        "    unittest-billing\n"
        "        zone = \"America/Chicago\"\n"
        "        hours = \"mon-fri 09:00-17:00; sat 09:00-12:00\"\n"
        "        holidays = \"2026-11-26, 2026-12-25, 2027-01-01\"\n"
        "sla\n"
        "    policies = \"unittest-denials-fast\"\n"
        "    unittest-denials-fast\n"
        "        target = \"first_touch 4 business hours\"\n"
        "        calendar = \"unittest-billing\"\n"
        "        pause = \"waiting_payer, waiting_practice\"\n"
        "        level1-pct = 75\n"
        "        level3-after = \"1 business day\"\n"
        "        applies-to = \"unittest-cardiology:denial, unittest-er:denial\"\n"
        "    follow_up\n"
        "        target = \"45 days\"\n";
    char *dir = test_tmpdir ("sla");
    char path [4096];
    snprintf (path, sizeof path, "%s/rcmq.conf", dir);
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fputs (zpl, file);
    fclose (file);
    config_t *config = config_new ();
    ck_assert_int_eq (config_load (config, path), 0);
    sla_set_t *set = s_load (config);
    const sla_policy_t *policy = sla_set_find (set, "unittest-er", "denial");
    ck_assert_str_eq (policy->name, "unittest-denials-fast");
    ck_assert_uint_eq (policy->n_pause_states, 2);
    ck_assert_uint_eq (policy->level3_after_ms, 8 * HOUR_MS);
    //  Wednesday before Thanksgiving 15:00: 2 h Wednesday, Thursday off,
    //  2 h Friday: due Friday 11:00.
    ck_assert_uint_eq (sla_set_level_when (set, policy, 2, 0, s_at ("2026-11-25T15:00:00-06:00")),
                       s_at ("2026-11-27T11:00:00-06:00"));
    //  Saturday's three hours count.
    ck_assert_uint_eq (sla_set_level_when (set, policy, 2, 0, s_at ("2026-11-27T16:00:00-06:00")),
                       s_at ("2026-11-28T12:00:00-06:00"));
    ck_assert_uint_eq (sla_set_find (set, "x", "follow_up")->target_ms, 45 * DAY_MS);
    sla_set_destroy (&set);
    config_destroy (&config);
    test_rmtree (dir);
    free (dir);
}
END_TEST

Suite *
sla_suite (void)
{
    Suite *suite = suite_create ("sla");
    TCase *tc = tcase_create ("sla");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, test_builtin_defaults);
    tcase_add_test (tc, test_issue_example);
    tcase_add_test (tc, test_choice_precedence);
    tcase_add_test (tc, test_builtin_changed);
    tcase_add_test (tc, test_pause_states);
    tcase_add_test (tc, test_level_boundaries);
    tcase_add_test (tc, test_deadline_levels);
    tcase_add_test (tc, test_parse_target);
    tcase_add_test (tc, test_malformed_refused);
    tcase_add_test (tc, test_from_zpl_file);
    suite_add_tcase (suite, tc);
    return suite;
}
