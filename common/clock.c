/*  clock: see clock.h. The shift is computed once: offset = start - wall at
    init, and every read adds it to the wall clock, so time keeps moving.
*/
#include "clock.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t s_offset_ms;     //  start instant minus wall clock at init

static uint64_t
s_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

uint64_t
clock_monotonic_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void
clock_set_start (uint64_t start_ms)
{
    s_offset_ms = start_ms? (int64_t) start_ms - (int64_t) s_wall_ms (): 0;
}

int
clock_init_from_env (void)
{
    const char *now = getenv ("RCMQ_NOW");
    if (!now || !*now) {
        clock_set_start (0);
        return 0;
    }
    uint64_t start;
    if (clock_parse_iso8601 (now, &start))
        return -1;
    clock_set_start (start);
    return 0;
}

uint64_t
clock_not_before (uint64_t floor_ms)
{
    uint64_t wall = s_wall_ms ();
    uint64_t now = (uint64_t) ((int64_t) wall + s_offset_ms);
    if (now >= floor_ms)
        return 0;
    s_offset_ms = (int64_t) floor_ms - (int64_t) wall;
    return floor_ms - now;
}

uint64_t
clock_now_ms (void)
{
    return (uint64_t) ((int64_t) s_wall_ms () + s_offset_ms);
}

//  Proleptic Gregorian calendar arithmetic in 400-year eras, so any date
//  converts without tables or loops.
int64_t
clock_days_from_civil (int year, int month, int day)
{
    int64_t y = month <= 2? year - 1: year;
    int64_t era = (y >= 0? y: y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month + (month > 2? -3: 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
clock_civil_from_days (int64_t days, int *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0? days: days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int) (doy - (153 * mp + 2) / 5 + 1);
    *month = (int) (mp < 10? mp + 3: mp - 9);
    *year = (int) (yoe + era * 400 + (*month <= 2));
}

//  Reads exactly `width` digits at *p into *value; advances p.
static int
s_digits (const char **p, int width, int *value)
{
    int v = 0;
    for (int i = 0; i < width; i++) {
        if (!isdigit ((unsigned char) (*p) [i]))
            return -1;
        v = v * 10 + ((*p) [i] - '0');
    }
    *p += width;
    *value = v;
    return 0;
}

static int
s_days_in_month (int year, int month)
{
    static const int days [] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap? 29: days [month - 1];
}

int
clock_parse_iso8601 (const char *text, uint64_t *ms_out)
{
    if (!text)
        return -1;
    const char *p = text;
    int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
    if (s_digits (&p, 4, &year))
        return -1;
    int compact = isdigit ((unsigned char) *p);
    if (!compact && *p++ != '-')
        return -1;
    if (s_digits (&p, 2, &month))
        return -1;
    if (!compact && *p++ != '-')
        return -1;
    if (s_digits (&p, 2, &day))
        return -1;
    if (month < 1 || month > 12 || day < 1 || day > s_days_in_month (year, month))
        return -1;
    int64_t offset_minutes = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (s_digits (&p, 2, &hour) || *p++ != ':' || s_digits (&p, 2, &minute))
            return -1;
        if (*p == ':') {
            p++;
            if (s_digits (&p, 2, &second))
                return -1;
            if (*p == '.') {
                p++;
                int scale = 100;
                if (!isdigit ((unsigned char) *p))
                    return -1;
                while (isdigit ((unsigned char) *p)) {
                    millis += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                }
            }
        }
        if (hour > 23 || minute > 59 || second > 60)
            return -1;
        if (*p == 'Z' || *p == 'z')
            p++;
        else
        if (*p == '+' || *p == '-') {
            int sign = *p++ == '-'? -1: 1;
            int oh, om;
            if (s_digits (&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (s_digits (&p, 2, &om))
                return -1;
            //  Real offsets run from -12:00 to +14:00; anything past 23:59
            //  is a typo, not a zone.
            if (oh > 23 || om > 59)
                return -1;
            offset_minutes = sign * (oh * 60 + om);
        }
    }
    if (*p)
        return -1;
    int64_t days = clock_days_from_civil (year, month, day);
    int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    if (seconds < 0)
        return -1;
    *ms_out = (uint64_t) seconds * 1000 + (uint64_t) millis;
    return 0;
}

void
clock_format_iso8601 (uint64_t ms, char *buf, size_t size)
{
    int64_t seconds = (int64_t) (ms / 1000);
    int year, month, day;
    clock_civil_from_days (seconds / 86400, &year, &month, &day);
    int64_t rest = seconds % 86400;
    snprintf (buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month, day,
              (int) (rest / 3600), (int) (rest / 60 % 60), (int) (rest % 60), (int) (ms % 1000));
}

void
clock_format_date (uint64_t ms, char *buf, size_t size)
{
    int year, month, day;
    clock_civil_from_days ((int64_t) (ms / CLOCK_MS_PER_DAY), &year, &month, &day);
    snprintf (buf, size, "%04d-%02d-%02d", year, month, day);
}
