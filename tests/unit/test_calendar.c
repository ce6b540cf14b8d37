/*  test_calendar: working-time arithmetic of business calendars — weekends,
    holidays, starts outside working hours, a zero target, DST changes in
    America/Chicago (2026-03-08 spring forward, 2026-11-01 fall back) —
    and calendars refused for malformed zones, hours and holidays with the
    key named.

    Every expected instant is written as the local time with its UTC
    offset ("2026-03-09T12:00:00-05:00") and read by clock_parse_iso8601,
    so the figures come from the calendar on the wall, not from the code
    under test.
*/
#include "suites.h"
#include "calendar.h"
#include "clock.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000ULL

static uint64_t
s_at (const char *iso)
{
    uint64_t ms;
    ck_assert_msg (clock_parse_iso8601 (iso, &ms) == 0, "bad instant in test: %s", iso);
    return ms;
}

//  Asserts that adding hours (and minutes) of working time at start is due at expected.
static void
s_check_add (const calendar_t *calendar, const char *start, uint64_t business_ms, const char *expected)
{
    uint64_t due = calendar_add (calendar, s_at (start), business_ms);
    char got [32], want [32];
    clock_format_iso8601 (due, got, sizeof got);
    clock_format_iso8601 (s_at (expected), want, sizeof want);
    ck_assert_msg (due == s_at (expected), "%s + %llu ms: due %s, expected %s (%s)", start,
                   (unsigned long long) business_ms, got, want, expected);
    //  And the two functions agree: that much working time lies between.
    ck_assert_uint_eq (calendar_between (calendar, s_at (start), due), business_ms);
}

static calendar_t *
s_calendar (const char *zone, const char *hours, const char *holidays)
{
    char error [512] = "";
    calendar_t *calendar = calendar_new (zone, hours, holidays, error, sizeof error);
    ck_assert_msg (calendar != NULL, "calendar_new: %s", error);
    return calendar;
}

START_TEST (test_issue_example)
{
    //  Issue 15: a 4-business-hour target opened Friday 16:00 in a 9–17
    //  calendar is due Monday 12:00 — in UTC and in Chicago (no DST change
    //  that weekend).
    calendar_t *utc = s_calendar ("UTC", "mon-fri 09:00-17:00", NULL);
    s_check_add (utc, "2026-11-13T16:00:00Z", 4 * HOUR_MS, "2026-11-16T12:00:00Z");
    calendar_destroy (&utc);
    ck_assert_ptr_null (utc);
    calendar_destroy (&utc);            //  idempotent

    calendar_t *chicago = s_calendar ("America/Chicago", "mon-fri 09:00-17:00", "");
    s_check_add (chicago, "2026-11-13T16:00:00-06:00", 4 * HOUR_MS, "2026-11-16T12:00:00-06:00");
    ck_assert_str_eq (calendar_zone (chicago), "America/Chicago");
    ck_assert_uint_eq (calendar_day_ms (chicago), 8 * HOUR_MS);
    calendar_destroy (&chicago);
}
END_TEST

START_TEST (test_weekends_and_boundaries)
{
    calendar_t *calendar = s_calendar ("UTC", "mon-fri 09:00-17:00", "");
    //  A target that ends with the day is due at 17:00 that day, not 09:00 the next.
    s_check_add (calendar, "2026-11-16T09:00:00Z", 8 * HOUR_MS, "2026-11-16T17:00:00Z");
    s_check_add (calendar, "2026-11-16T09:00:00Z", 8 * HOUR_MS + 1, "2026-11-17T09:00:00.001Z");
    //  Five working days from Monday 09:00 end Friday 17:00; ten, the next Friday.
    s_check_add (calendar, "2026-11-16T09:00:00Z", 40 * HOUR_MS, "2026-11-20T17:00:00Z");
    s_check_add (calendar, "2026-11-16T10:30:00Z", 80 * HOUR_MS, "2026-11-30T10:30:00Z");
    //  Starts outside working hours count from the next working instant.
    s_check_add (calendar, "2026-11-14T10:00:00Z", HOUR_MS, "2026-11-16T10:00:00Z");   //  Saturday
    s_check_add (calendar, "2026-11-16T07:00:00Z", HOUR_MS, "2026-11-16T10:00:00Z");   //  before
    s_check_add (calendar, "2026-11-16T20:00:00Z", HOUR_MS, "2026-11-17T10:00:00Z");   //  after
    s_check_add (calendar, "2026-11-20T17:00:00Z", HOUR_MS, "2026-11-23T10:00:00Z");   //  Friday's end

    //  Between: a weekend holds no working time; the span is clipped to hours.
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-11-13T17:00:00Z"), s_at ("2026-11-16T09:00:00Z")), 0);
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-11-13T16:00:00Z"), s_at ("2026-11-16T12:00:00Z")), 4 * HOUR_MS);
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-11-01T00:00:00Z"), s_at ("2026-12-01T00:00:00Z")),
                       21 * 8 * HOUR_MS);      //  November 2026 has 21 weekdays

    ck_assert (calendar_working (calendar, s_at ("2026-11-16T09:00:00Z")));
    ck_assert (calendar_working (calendar, s_at ("2026-11-16T16:59:59.999Z")));
    ck_assert (!calendar_working (calendar, s_at ("2026-11-16T17:00:00Z")));
    ck_assert (!calendar_working (calendar, s_at ("2026-11-14T12:00:00Z")));
    calendar_destroy (&calendar);
}
END_TEST

START_TEST (test_zero_and_backwards)
{
    calendar_t *calendar = s_calendar ("America/Chicago", "mon-fri 09:00-17:00", "");
    //  Zero working time is due at once, in hours or out of them.
    uint64_t inside = s_at ("2026-11-16T10:00:00-06:00");
    uint64_t outside = s_at ("2026-11-14T23:00:00-06:00");
    ck_assert_uint_eq (calendar_add (calendar, inside, 0), inside);
    ck_assert_uint_eq (calendar_add (calendar, outside, 0), outside);
    ck_assert_uint_eq (calendar_between (calendar, inside, inside), 0);
    ck_assert_uint_eq (calendar_between (calendar, inside + HOUR_MS, inside), 0);
    calendar_destroy (&calendar);
}
END_TEST

START_TEST (test_holidays)
{
    calendar_t *calendar = s_calendar ("America/Chicago", "mon-fri 09:00-17:00", "2026-12-25, 2027-01-01");
    //  Thursday 24 December 16:00: the 25th is off, so Monday 28th.
    s_check_add (calendar, "2026-12-24T16:00:00-06:00", 4 * HOUR_MS, "2026-12-28T12:00:00-06:00");
    //  The week of 28 December to 1 January has four working days.
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-12-28T00:00:00-06:00"),
                                         s_at ("2027-01-04T00:00:00-06:00")), 32 * HOUR_MS);
    //  A holiday is the local day: 2026-12-25 09:00 Chicago is 15:00 UTC, still off.
    ck_assert (!calendar_working (calendar, s_at ("2026-12-25T15:00:00Z")));
    ck_assert (calendar_working (calendar, s_at ("2026-12-24T15:00:00Z")));
    calendar_destroy (&calendar);
}
END_TEST

START_TEST (test_lunch_and_short_days)
{
    calendar_t *calendar = s_calendar ("UTC", "mon-fri 08:00-12:00,13:00-17:00; sat 09:00-12:00", "");
    //  The lunch hour does not count; Saturday morning does.
    s_check_add (calendar, "2026-11-16T11:00:00Z", 2 * HOUR_MS, "2026-11-16T14:00:00Z");
    s_check_add (calendar, "2026-11-20T16:00:00Z", 2 * HOUR_MS, "2026-11-21T10:00:00Z");
    s_check_add (calendar, "2026-11-21T11:00:00Z", 2 * HOUR_MS, "2026-11-23T09:00:00Z");
    //  A business day is the longest weekday's working time.
    ck_assert_uint_eq (calendar_day_ms (calendar), 8 * HOUR_MS);
    calendar_destroy (&calendar);

    //  A day range through the week's end.
    calendar = s_calendar ("UTC", "fri-mon 10:00-11:00", "");
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-11-16T00:00:00Z"), s_at ("2026-11-23T00:00:00Z")),
                       4 * HOUR_MS);
    calendar_destroy (&calendar);
}
END_TEST

START_TEST (test_dst_nine_to_five)
{
    //  Chicago springs forward at 02:00 on Sunday 2026-03-08 (CST -06:00 to
    //  CDT -05:00) and falls back on Sunday 2026-11-01. A 9–17 day stays
    //  9–17 local on either side, so the same target lands at the same
    //  local hour while the UTC hour moves.
    calendar_t *calendar = s_calendar ("America/Chicago", "mon-fri 09:00-17:00", "");
    s_check_add (calendar, "2026-03-06T16:00:00-06:00", 4 * HOUR_MS, "2026-03-09T12:00:00-05:00");
    s_check_add (calendar, "2026-10-30T16:00:00-05:00", 4 * HOUR_MS, "2026-11-02T12:00:00-06:00");
    //  Friday 09:00 to Monday 17:00 is two working days across either change,
    //  though the wall time between them is 79 or 81 hours.
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-03-06T09:00:00-06:00"),
                                         s_at ("2026-03-09T17:00:00-05:00")), 16 * HOUR_MS);
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-10-30T09:00:00-05:00"),
                                         s_at ("2026-11-02T17:00:00-06:00")), 16 * HOUR_MS);
    //  Monday after the change: 09:00 local is 14:00 UTC (was 15:00 the Friday before).
    ck_assert (calendar_working (calendar, s_at ("2026-03-09T14:00:00Z")));
    ck_assert (!calendar_working (calendar, s_at ("2026-03-06T14:00:00Z")));
    calendar_destroy (&calendar);
}
END_TEST

START_TEST (test_dst_change_days)
{
    //  A calendar that works through the night sees the short and the long day.
    calendar_t *calendar = s_calendar ("America/Chicago", "mon-sun 00:00-24:00", "");
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-03-08T00:00:00-06:00"),
                                         s_at ("2026-03-09T00:00:00-05:00")), 23 * HOUR_MS);
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-11-01T00:00:00-05:00"),
                                         s_at ("2026-11-02T00:00:00-06:00")), 25 * HOUR_MS);
    //  Working time here is real elapsed time: 24 h after Saturday noon is
    //  Sunday 13:00 on the clocks, which jumped an hour.
    s_check_add (calendar, "2026-03-07T12:00:00-06:00", 24 * HOUR_MS, "2026-03-08T13:00:00-05:00");
    s_check_add (calendar, "2026-10-31T12:00:00-05:00", 24 * HOUR_MS, "2026-11-01T11:00:00-06:00");
    calendar_destroy (&calendar);

    //  Hours across the change itself. 01:00-04:00 on the spring day is two
    //  real hours (02:00-03:00 never happens); on the fall day 01:00-03:00
    //  is three (01:00 is taken the first time, CDT).
    calendar = s_calendar ("America/Chicago", "sun 01:00-04:00", "");
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-03-08T00:00:00-06:00"),
                                         s_at ("2026-03-09T00:00:00-05:00")), 2 * HOUR_MS);
    s_check_add (calendar, "2026-03-08T00:00:00-06:00", HOUR_MS + 1, "2026-03-08T03:00:00.001-05:00");
    calendar_destroy (&calendar);
    calendar = s_calendar ("America/Chicago", "sun 01:00-03:00", "");
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-11-01T00:00:00-05:00"),
                                         s_at ("2026-11-02T00:00:00-06:00")), 3 * HOUR_MS);
    s_check_add (calendar, "2026-11-01T00:00:00-05:00", 0, "2026-11-01T00:00:00-05:00");
    s_check_add (calendar, "2026-11-01T00:00:00-05:00", HOUR_MS, "2026-11-01T01:00:00-06:00");
    calendar_destroy (&calendar);
    //  A range that starts at a skipped time starts when the clocks jump.
    calendar = s_calendar ("America/Chicago", "sun 02:30-04:00", "");
    ck_assert_uint_eq (calendar_between (calendar, s_at ("2026-03-08T00:00:00-06:00"),
                                         s_at ("2026-03-09T00:00:00-05:00")), HOUR_MS);
    s_check_add (calendar, "2026-03-08T00:00:00-06:00", 1, "2026-03-08T03:00:00.001-05:00");
    calendar_destroy (&calendar);
}
END_TEST

START_TEST (test_add_between_agree)
{
    //  Over a year of starts and targets in a zone with DST and holidays,
    //  what calendar_add spends is what calendar_between counts, and the due
    //  instant is inside working time (or the end of an interval).
    calendar_t *calendar = s_calendar ("America/Chicago", "mon-fri 08:00-12:00,13:00-17:30; sat 09:00-12:00",
                                       "2026-01-01, 2026-05-25, 2026-07-03, 2026-09-07, 2026-11-26, 2026-12-25");
    uint64_t year = s_at ("2026-01-01T00:00:00Z");
    uint32_t seed = 12345;
    for (int i = 0; i < 500; i++) {
        seed = seed * 1103515245 + 12345;
        uint64_t start = year + (uint64_t) (seed % 365) * CLOCK_MS_PER_DAY;
        seed = seed * 1103515245 + 12345;
        start += (uint64_t) (seed % 86400) * 1000;
        seed = seed * 1103515245 + 12345;
        uint64_t business = (uint64_t) (seed % (200 * 60)) * 60000 + 1;
        uint64_t due = calendar_add (calendar, start, business);
        ck_assert_uint_gt (due, start);
        ck_assert_uint_eq (calendar_between (calendar, start, due), business);
        ck_assert (calendar_working (calendar, due - 1));
        //  Earliest: a millisecond before, one millisecond less has passed.
        ck_assert_uint_eq (calendar_between (calendar, start, due - 1), business - 1);
    }
    calendar_destroy (&calendar);
}
END_TEST

//  calendar_between over spans under a week: no whole week fits in the
//  days such a span walks, so every day is walked one by one.
static uint64_t
s_between_by_days (const calendar_t *calendar, uint64_t from, uint64_t to)
{
    uint64_t total = 0;
    for (uint64_t at = from; at < to; at += 2 * CLOCK_MS_PER_DAY)
        total += calendar_between (calendar, at, at + 2 * CLOCK_MS_PER_DAY < to? at + 2 * CLOCK_MS_PER_DAY: to);
    return total;
}

START_TEST (test_weeks_as_days)
{
    //  Spans and targets of months (a denial's appeal window) take whole
    //  weeks in one step where no holiday or DST change is near: the
    //  answers are the day-by-day walk's, in a zone with DST and holidays
    //  and in UTC, with starts and ends at any instant of any day.
    calendar_t *calendars [] = {
        s_calendar ("America/Chicago", "mon-fri 08:00-12:00,13:00-17:30; sat 09:00-12:00",
                    "2026-01-01, 2026-05-25, 2026-07-03, 2026-09-07, 2026-11-26, 2026-12-25, 2027-01-01"),
        s_calendar ("UTC", "mon-fri 09:00-17:00", ""),
        s_calendar ("Australia/Lord_Howe", "sun-thu 00:00-24:00", "2026-04-03"),
    };
    //  A target of exactly whole weeks ends with the last week's last
    //  interval, not at the start of the next.
    s_check_add (calendars [1], "2026-01-04T00:00:00Z", 40 * HOUR_MS, "2026-01-09T17:00:00Z");
    s_check_add (calendars [1], "2026-01-04T00:00:00Z", 80 * HOUR_MS, "2026-01-16T17:00:00Z");
    s_check_add (calendars [1], "2026-01-04T00:00:00Z", 80 * HOUR_MS + 60000, "2026-01-19T09:01:00Z");
    uint64_t year = s_at ("2026-01-01T00:00:00Z");
    uint32_t seed = 4242;
    for (size_t c = 0; c < sizeof calendars / sizeof calendars [0]; c++) {
        for (int i = 0; i < 150; i++) {
            seed = seed * 1103515245 + 12345;
            uint64_t from = year + (uint64_t) (seed % 500) * CLOCK_MS_PER_DAY;
            seed = seed * 1103515245 + 12345;
            from += (uint64_t) (seed % 86400000);
            seed = seed * 1103515245 + 12345;
            uint64_t to = from + (uint64_t) (seed % (400 * 86400)) * 1000 + seed % 1000;
            ck_assert_uint_eq (calendar_between (calendars [c], from, to),
                               s_between_by_days (calendars [c], from, to));
            seed = seed * 1103515245 + 12345;
            uint64_t business = (uint64_t) (seed % (120 * 8 * 60)) * 60000 + seed % 60000 + 1;
            uint64_t due = calendar_add (calendars [c], from, business);
            ck_assert_uint_eq (s_between_by_days (calendars [c], from, due), business);
            ck_assert_uint_eq (s_between_by_days (calendars [c], from, due - 1), business - 1);
        }
        calendar_destroy (&calendars [c]);
    }
}
END_TEST

START_TEST (test_malformed_refused)
{
    static const struct {
        const char *zone, *hours, *holidays, *message;
    } cases [] = {
        { "America/Chicgo",  "mon-fri 09:00-17:00", "", "zone = 'America/Chicgo': not a time zone the system knows" },
        { "",                "mon-fri 09:00-17:00", "", "zone = '': expected a time zone name" },
        { "../../etc/passwd","mon-fri 09:00-17:00", "", "zone = '../../etc/passwd'" },
        { "UTC", "mon-fri 9-17",                    "", "hours = 'mon-fri 9-17': expected HH:MM-HH:MM at '9-17'" },
        { "UTC", "",                                "", "hours = '': no working hours" },
        { "UTC", "monday 09:00-17:00",              "", "hours = 'monday 09:00-17:00': expected a weekday" },
        { "UTC", "mon-fri 17:00-09:00",             "", "a range ends after it starts" },
        { "UTC", "mon-fri 09:00-17:00; fri 18:00-19:00", "", "'fri' is named twice" },
        { "UTC", "mon 09:00-13:00,12:00-17:00",     "", "ranges overlap" },
        { "UTC", "mon 24:00-24:00",                 "", "expected HH:MM-HH:MM at '24:00-24:00'" },
        { "UTC", "mon 09:00-17:60",                 "", "expected HH:MM-HH:MM" },
        { "UTC", "mon 09:00-17:00 tue",             "", "unexpected 'tue'" },
        { "UTC", "mon-fri 09:00-17:00", "2026-02-30",   "holidays = '2026-02-30': no such date '2026-02-30'" },
        { "UTC", "mon-fri 09:00-17:00", "12/25/2026",   "holidays = '12/25/2026': expected dates YYYY-MM-DD" },
        { "UTC", "mon-fri 09:00-17:00", "2026-12-25x",  "expected dates YYYY-MM-DD" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char error [512] = "";
        calendar_t *calendar = calendar_new (cases [i].zone, cases [i].hours, cases [i].holidays,
                                             error, sizeof error);
        ck_assert_msg (calendar == NULL, "case %zu accepted", i);
        ck_assert_msg (strstr (error, cases [i].message), "case %zu: '%s' lacks '%s'", i, error, cases [i].message);
    }
}
END_TEST

START_TEST (test_load_from_config)
{
    config_t *config = config_new ();
    char error [512] = "";
    //  The built-in default: UTC, mon-fri 09:00-17:00, no holidays.
    calendar_t *calendar = calendar_load (config, "default", error, sizeof error);
    ck_assert_msg (calendar != NULL, "%s", error);
    ck_assert_str_eq (calendar_zone (calendar), "UTC");
    s_check_add (calendar, "2026-11-13T16:00:00Z", 4 * HOUR_MS, "2026-11-16T12:00:00Z");
    calendar_destroy (&calendar);

    //  A named calendar from its keys.
    config_set (config, "calendar/unittest-billing/zone", "America/Chicago");
    config_set (config, "calendar/unittest-billing/hours", "mon-fri 09:00-17:00");
    config_set (config, "calendar/unittest-billing/holidays", "2026-11-16");
    calendar = calendar_load (config, "unittest-billing", error, sizeof error);
    ck_assert_msg (calendar != NULL, "%s", error);
    s_check_add (calendar, "2026-11-13T16:00:00-06:00", 4 * HOUR_MS, "2026-11-17T12:00:00-06:00");
    calendar_destroy (&calendar);

    //  A malformed value: refused, the key and value named.
    config_set (config, "calendar/unittest-billing/hours", "mon-fri 9-5");
    ck_assert_ptr_null (calendar_load (config, "unittest-billing", error, sizeof error));
    ck_assert_msg (strstr (error, "calendar/unittest-billing/hours = 'mon-fri 9-5'"), "%s", error);
    config_set (config, "calendar/unittest-billing/hours", "mon-fri 09:00-17:00");
    config_set (config, "calendar/unittest-billing/zone", "Central");
    ck_assert_ptr_null (calendar_load (config, "unittest-billing", error, sizeof error));
    ck_assert_msg (strstr (error, "calendar/unittest-billing/zone = 'Central'"), "%s", error);
    config_set (config, "calendar/unittest-billing/zone", "America/Chicago");
    config_set (config, "calendar/unittest-billing/holidays", "2026-13-01");
    ck_assert_ptr_null (calendar_load (config, "unittest-billing", error, sizeof error));
    ck_assert_msg (strstr (error, "calendar/unittest-billing/holidays = '2026-13-01'"), "%s", error);

    //  A calendar config does not define: no silent default.
    ck_assert_ptr_null (calendar_load (config, "unittest-nowhere", error, sizeof error));
    ck_assert_msg (strstr (error, "calendar/unittest-nowhere/zone is not set"), "%s", error);
    config_set (config, "calendar/unittest-half/zone", "UTC");
    ck_assert_ptr_null (calendar_load (config, "unittest-half", error, sizeof error));
    ck_assert_msg (strstr (error, "calendar/unittest-half/hours is not set"), "%s", error);
    ck_assert_ptr_null (calendar_load (config, "bad name", error, sizeof error));
    ck_assert_msg (strstr (error, "calendar 'bad name'"), "%s", error);
    config_destroy (&config);
}
END_TEST

START_TEST (test_tz_left_alone)
{
    //  Loading a calendar puts the process's TZ back as it was.
    const char *old = getenv ("TZ");
    char *saved = old? strdup (old): NULL;
    setenv ("TZ", "Asia/Tokyo", 1);
    calendar_t *calendar = s_calendar ("America/Chicago", "mon-fri 09:00-17:00", "");
    ck_assert_str_eq (getenv ("TZ"), "Asia/Tokyo");
    unsetenv ("TZ");
    calendar_destroy (&calendar);
    calendar = s_calendar ("Europe/Berlin", "mon-fri 09:00-17:00", "");
    ck_assert_ptr_null (getenv ("TZ"));
    calendar_destroy (&calendar);
    if (saved) {
        setenv ("TZ", saved, 1);
        free (saved);
    }
}
END_TEST

Suite *
calendar_suite (void)
{
    Suite *suite = suite_create ("calendar");
    TCase *tc = tcase_create ("calendar");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_issue_example);
    tcase_add_test (tc, test_weekends_and_boundaries);
    tcase_add_test (tc, test_zero_and_backwards);
    tcase_add_test (tc, test_holidays);
    tcase_add_test (tc, test_lunch_and_short_days);
    tcase_add_test (tc, test_dst_nine_to_five);
    tcase_add_test (tc, test_dst_change_days);
    tcase_add_test (tc, test_add_between_agree);
    tcase_add_test (tc, test_weeks_as_days);
    tcase_add_test (tc, test_malformed_refused);
    tcase_add_test (tc, test_load_from_config);
    tcase_add_test (tc, test_tz_left_alone);
    suite_add_tcase (suite, tc);
    return suite;
}
