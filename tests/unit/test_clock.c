/*  test_clock: the ISO-8601 parser and formatter, the civil calendar
    arithmetic, and RCMQ_NOW.

    Expected instants were computed independently (Python's calendar.timegm)
    rather than with the code under test, so a shared mistake cannot hide.
*/
#include "suites.h"
#include "clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

//  Parses text and checks it gives exactly `expected` ms.
static void
s_parses_to (const char *text, uint64_t expected)
{
    uint64_t ms = 12345;
    int rc = clock_parse_iso8601 (text, &ms);
    ck_assert_msg (rc == 0, "'%s' should parse", text);
    ck_assert_msg (ms == expected, "'%s' gave %llu, expected %llu", text,
                   (unsigned long long) ms, (unsigned long long) expected);
}

//  2026-11-02T00:00:00Z and 09:00:00Z.
#define NOV_2    1793577600000ULL
#define NOV_2_9  1793610000000ULL
#define HOUR_MS  3600000ULL
#define MIN_MS   60000ULL

START_TEST (test_parse_date_only)
{
    s_parses_to ("2026-11-02", NOV_2);
    s_parses_to ("1970-01-01", 0);
    s_parses_to ("2024-02-29", 1709164800000ULL);
}
END_TEST

START_TEST (test_parse_compact)
{
    s_parses_to ("20261102", NOV_2);
    s_parses_to ("19700101", 0);
    s_parses_to ("20240229", 1709164800000ULL);
}
END_TEST

START_TEST (test_parse_times)
{
    //  Without seconds, with seconds, with a zone or none (UTC).
    s_parses_to ("2026-11-02T09:00", NOV_2_9);
    s_parses_to ("2026-11-02T09:00Z", NOV_2_9);
    s_parses_to ("2026-11-02T09:00:00", NOV_2_9);
    s_parses_to ("2026-11-02T09:00:00Z", NOV_2_9);
    s_parses_to ("2026-11-02t09:00:00z", NOV_2_9);
    s_parses_to ("2026-11-02 09:00:00", NOV_2_9);
    s_parses_to ("2026-11-02T09:00:05Z", NOV_2_9 + 5000);
    s_parses_to ("2026-11-02T23:59:59Z", NOV_2 + 86399000ULL);
    s_parses_to ("2024-02-29T23:59:59Z", 1709251199000ULL);
}
END_TEST

START_TEST (test_parse_millis)
{
    s_parses_to ("2026-11-02T09:00:00.123Z", NOV_2_9 + 123);
    s_parses_to ("2026-11-02T09:00:00.5Z", NOV_2_9 + 500);
    s_parses_to ("2026-11-02T09:00:00.05", NOV_2_9 + 50);
    s_parses_to ("2026-11-02T09:00:00.000Z", NOV_2_9);
    s_parses_to ("2026-11-02T09:00:00.999Z", NOV_2_9 + 999);
    //  Digits past milliseconds are truncated, not rounded.
    s_parses_to ("2026-11-02T09:00:00.123999Z", NOV_2_9 + 123);
}
END_TEST

START_TEST (test_parse_offsets)
{
    //  Local time minus the offset is UTC.
    s_parses_to ("2026-11-02T14:30:00+05:30", NOV_2_9);
    s_parses_to ("2026-11-02T14:30:00+0530", NOV_2_9);
    s_parses_to ("2026-11-02T04:00:00-05:00", NOV_2_9);
    s_parses_to ("2026-11-02T04:00-05:00", NOV_2_9);
    s_parses_to ("2026-11-02T09:00:00+00:00", NOV_2_9);
    s_parses_to ("2026-11-02T09:00:00.250+01:00", NOV_2_9 - HOUR_MS + 250);
    //  An offset can move the instant into another day.
    s_parses_to ("2026-11-02T00:30+01:00", NOV_2 - 30 * MIN_MS);
    s_parses_to ("2026-11-01T23:00-10:00", NOV_2_9);
}
END_TEST

START_TEST (test_parse_rejects)
{
    static const char *bad [] = {
        "", "garbage", "2026", "2026-11", "2026-11-2", "2026-1-02",
        "2026/11/02", "2026-11-02x", "2026-11-02 ", " 2026-11-02",
        "2026-13-01", "2026-00-10", "2026-11-00", "2026-11-31", "2026-04-31",
        "2026-02-30", "2023-02-29", "2100-02-29", "1900-02-29",
        "20261302", "20260230", "2026110", "202611021", "2026-1102", "202611-02",
        "2026-11-02T", "2026-11-02T09", "2026-11-02T9:00", "2026-11-02T09:0",
        "2026-11-02T24:00", "2026-11-02T09:60", "2026-11-02T09:00:61",
        "2026-11-02T09:00:00.", "2026-11-02T09:00:00.Z", "2026-11-02T09:00:0Z",
        "2026-11-02T09:00:00ZZ", "2026-11-02T09:00Zjunk", "2026-11-02T09:00:00Q",
        "2026-11-02T09:00:00+5", "2026-11-02T09:00:00+05", "2026-11-02T09:00:00+05:3",
        "2026-11-02T09:00:00+24:00", "2026-11-02T09:00:00+05:60",
        "2026-11-02T09:00:00+05:30x",
        "1969-12-31",           //  before the epoch: not representable
        "1970-01-01T00:30+01:00",
        NULL
    };
    for (const char **text = bad; *text; text++) {
        uint64_t ms = 777;
        ck_assert_msg (clock_parse_iso8601 (*text, &ms) == -1, "'%s' should be rejected", *text);
        ck_assert_msg (ms == 777, "'%s' was rejected but wrote the output", *text);
    }
    uint64_t ms;
    ck_assert_int_eq (clock_parse_iso8601 (NULL, &ms), -1);
}
END_TEST

START_TEST (test_parse_leap_days)
{
    uint64_t ms;
    ck_assert_int_eq (clock_parse_iso8601 ("2000-02-29", &ms), 0);      //  400-year rule
    ck_assert_uint_eq (ms, 11016 * CLOCK_MS_PER_DAY);
    ck_assert_int_eq (clock_parse_iso8601 ("2024-02-29", &ms), 0);
    ck_assert_int_eq (clock_parse_iso8601 ("2400-02-29", &ms), 0);
    ck_assert_uint_eq (ms, 157113 * CLOCK_MS_PER_DAY);
    ck_assert_int_eq (clock_parse_iso8601 ("2100-02-29", &ms), -1);     //  100-year rule
    ck_assert_int_eq (clock_parse_iso8601 ("2025-02-29", &ms), -1);
    ck_assert_int_eq (clock_parse_iso8601 ("2100-02-28", &ms), 0);
    ck_assert_uint_eq (ms, 47540 * CLOCK_MS_PER_DAY);
}
END_TEST

START_TEST (test_format)
{
    char buf [32];
    clock_format_iso8601 (NOV_2_9 + 5007, buf, sizeof buf);
    ck_assert_str_eq (buf, "2026-11-02T09:00:05.007Z");
    clock_format_iso8601 (0, buf, sizeof buf);
    ck_assert_str_eq (buf, "1970-01-01T00:00:00.000Z");
    clock_format_iso8601 (1709251199999ULL, buf, sizeof buf);
    ck_assert_str_eq (buf, "2024-02-29T23:59:59.999Z");
    clock_format_date (NOV_2_9 + 5007, buf, sizeof buf);
    ck_assert_str_eq (buf, "2026-11-02");
    clock_format_date (47541 * CLOCK_MS_PER_DAY - 1, buf, sizeof buf);
    ck_assert_str_eq (buf, "2100-02-28");
    clock_format_date (47541 * CLOCK_MS_PER_DAY, buf, sizeof buf);
    ck_assert_str_eq (buf, "2100-03-01");
    //  The documented minimum buffer sizes are enough.
    char exact [25];
    clock_format_iso8601 (NOV_2_9, exact, sizeof exact);
    ck_assert_str_eq (exact, "2026-11-02T09:00:00.000Z");
    char date [11];
    clock_format_date (NOV_2_9, date, sizeof date);
    ck_assert_str_eq (date, "2026-11-02");
}
END_TEST

START_TEST (test_round_trip)
{
    //  Instants spread over 1970..2200 with odd millisecond parts.
    uint64_t ms = 0;
    for (int i = 0; i < 5000; i++) {
        char buf [32];
        clock_format_iso8601 (ms, buf, sizeof buf);
        uint64_t back;
        ck_assert_msg (clock_parse_iso8601 (buf, &back) == 0, "'%s' does not parse back", buf);
        ck_assert_msg (back == ms, "%llu -> '%s' -> %llu", (unsigned long long) ms, buf,
                       (unsigned long long) back);
        char date [16];
        clock_format_date (ms, date, sizeof date);
        ck_assert_int_eq (strncmp (buf, date, 10), 0);
        ms += 1451234567891ULL + (uint64_t) i * 7;
        ms %= 7258118400000ULL;     //  2200-01-01
    }
}
END_TEST

START_TEST (test_civil_days)
{
    static const struct { int y, m, d; int64_t days; } known [] = {
        { 1970,  1,  1,       0 },
        { 1969, 12, 31,      -1 },
        { 2000,  2, 29,   11016 },
        { 2000,  3,  1,   11017 },
        { 2024,  2, 29,   19782 },
        { 2100,  2, 28,   47540 },
        { 2100,  3,  1,   47541 },
        { 1600,  1,  1, -135140 },
        { 2400,  2, 29,  157113 },
        { 9999, 12, 31, 2932896 },
    };
    for (size_t i = 0; i < sizeof known / sizeof known [0]; i++) {
        ck_assert_int_eq (clock_days_from_civil (known [i].y, known [i].m, known [i].d), known [i].days);
        int y, m, d;
        clock_civil_from_days (known [i].days, &y, &m, &d);
        ck_assert_int_eq (y, known [i].y);
        ck_assert_int_eq (m, known [i].m);
        ck_assert_int_eq (d, known [i].d);
    }
}
END_TEST

START_TEST (test_civil_walk)
{
    //  Walk every day from 1899-01-01 to 2101-12-31 with our own calendar
    //  and check both directions agree with it, which covers every leap
    //  rule (1900 and 2100 are not leap years, 2000 is).
    static const int month_days [] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y = 1899, m = 1, d = 1;
    int64_t days = clock_days_from_civil (y, m, d);
    ck_assert_int_eq (days, -25932);
    int leap_days = 0;
    while (y < 2102) {
        ck_assert_int_eq (clock_days_from_civil (y, m, d), days);
        int cy, cm, cd;
        clock_civil_from_days (days, &cy, &cm, &cd);
        ck_assert_msg (cy == y && cm == m && cd == d, "day %lld: %d-%d-%d, expected %d-%d-%d",
                       (long long) days, cy, cm, cd, y, m, d);
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        int in_month = month_days [m - 1] + (m == 2 && leap);
        if (m == 2 && d == 29)
            leap_days++;
        days++;
        if (++d > in_month) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    //  1904, 1908 .. 2096 (49 years, 2000 among them); not 1900 or 2100.
    ck_assert_int_eq (leap_days, 49);
}
END_TEST

START_TEST (test_env_now)
{
    setenv ("RCMQ_NOW", "2026-11-02T09:00:00Z", 1);
    ck_assert_int_eq (clock_init_from_env (), 0);
    uint64_t now = clock_now_ms ();
    ck_assert_uint_ge (now, NOV_2_9);
    ck_assert_uint_lt (now, NOV_2_9 + 50);
    //  The clock keeps moving from the instant it was set to.
    struct timespec pause = { 0, 25 * 1000000L };
    nanosleep (&pause, NULL);
    uint64_t later = clock_now_ms ();
    ck_assert_uint_ge (later, now + 20);
    ck_assert_uint_lt (later, NOV_2_9 + 1000);

    //  An offset instant works too.
    setenv ("RCMQ_NOW", "2026-11-02T10:00:00+01:00", 1);
    ck_assert_int_eq (clock_init_from_env (), 0);
    now = clock_now_ms ();
    ck_assert_uint_ge (now, NOV_2_9);
    ck_assert_uint_lt (now, NOV_2_9 + 50);

    unsetenv ("RCMQ_NOW");
    ck_assert_int_eq (clock_init_from_env (), 0);
}
END_TEST

START_TEST (test_env_bad)
{
    setenv ("RCMQ_NOW", "2026-11-02T09:00:00Z", 1);
    ck_assert_int_eq (clock_init_from_env (), 0);
    setenv ("RCMQ_NOW", "next tuesday", 1);
    ck_assert_int_eq (clock_init_from_env (), -1);
    setenv ("RCMQ_NOW", "2026-02-30T09:00:00Z", 1);
    ck_assert_int_eq (clock_init_from_env (), -1);
    //  A rejected value leaves the clock where it was.
    uint64_t now = clock_now_ms ();
    ck_assert_uint_ge (now, NOV_2_9);
    ck_assert_uint_lt (now, NOV_2_9 + 1000);
    unsetenv ("RCMQ_NOW");
    ck_assert_int_eq (clock_init_from_env (), 0);
}
END_TEST

START_TEST (test_env_unset_is_wall_clock)
{
    setenv ("RCMQ_NOW", "2026-11-02T09:00:00Z", 1);
    ck_assert_int_eq (clock_init_from_env (), 0);
    unsetenv ("RCMQ_NOW");
    ck_assert_int_eq (clock_init_from_env (), 0);
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    uint64_t wall = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
    uint64_t now = clock_now_ms ();
    ck_assert_uint_ge (now, wall);
    ck_assert_uint_lt (now, wall + 50);
    //  An empty value means unset as well.
    setenv ("RCMQ_NOW", "", 1);
    ck_assert_int_eq (clock_init_from_env (), 0);
    ck_assert_uint_lt (clock_now_ms (), wall + 50);
    unsetenv ("RCMQ_NOW");
}
END_TEST

//  Defect: a restart with RCMQ_NOW earlier than the store's data made the
//  clock run backwards. clock_not_before moves it forward to the floor,
//  never back.
START_TEST (test_not_before)
{
    const uint64_t later = NOV_2_9 + 40 * CLOCK_MS_PER_DAY;
    clock_set_start (NOV_2_9);
    uint64_t moved = clock_not_before (later);
    ck_assert_uint_ge (moved, 40 * CLOCK_MS_PER_DAY - 1000);
    ck_assert_uint_le (moved, 40 * CLOCK_MS_PER_DAY);
    uint64_t now = clock_now_ms ();
    ck_assert_uint_ge (now, later);
    ck_assert_uint_lt (now, later + 1000);
    //  Already past the floor: untouched.
    ck_assert_uint_eq (clock_not_before (NOV_2_9), 0);
    ck_assert_uint_ge (clock_now_ms (), now);
    //  And it keeps moving from there.
    struct timespec pause = { 0, 20 * 1000000L };
    nanosleep (&pause, NULL);
    ck_assert_uint_ge (clock_now_ms (), now + 15);
    clock_set_start (0);
}
END_TEST

START_TEST (test_monotonic)
{
    uint64_t a = clock_monotonic_ms ();
    struct timespec pause = { 0, 15 * 1000000L };
    nanosleep (&pause, NULL);
    uint64_t b = clock_monotonic_ms ();
    ck_assert_uint_ge (b, a + 15);
    //  RCMQ_NOW never shifts the monotonic clock.
    clock_set_start (1000);
    ck_assert_uint_lt (clock_monotonic_ms () - b, 1000);
    ck_assert_uint_lt (clock_now_ms (), 2000);
    clock_set_start (0);
}
END_TEST

Suite *
clock_suite (void)
{
    Suite *suite = suite_create ("clock");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_parse_date_only);
    tcase_add_test (tc, test_parse_compact);
    tcase_add_test (tc, test_parse_times);
    tcase_add_test (tc, test_parse_millis);
    tcase_add_test (tc, test_parse_offsets);
    tcase_add_test (tc, test_parse_rejects);
    tcase_add_test (tc, test_parse_leap_days);
    tcase_add_test (tc, test_format);
    tcase_add_test (tc, test_round_trip);
    tcase_add_test (tc, test_civil_days);
    tcase_add_test (tc, test_civil_walk);
    tcase_add_test (tc, test_env_now);
    tcase_add_test (tc, test_env_bad);
    tcase_add_test (tc, test_not_before);
    tcase_add_test (tc, test_env_unset_is_wall_clock);
    tcase_add_test (tc, test_monotonic);
    suite_add_tcase (suite, tc);
    return suite;
}
