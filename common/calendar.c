/*  calendar: see calendar.h. How the parts fit:

    1. calendar_new reads the zone's UTC offsets from the C library once:
       under TZ=:<zoneinfo file>, localtime_r at every day from 1970 to
       2100, and where two probes differ, a bisection to the second of the
       change. The result is a sorted table of (instant, new offset); TZ is
       put back as it was. Everything after that is arithmetic on the
       table, so no later call depends on (or disturbs) the process's TZ.
    2. A local day (days since 1970-01-01 in the zone's civil calendar) has
       working intervals: its weekday's ranges, none on a holiday. Each
       range's local ends become UTC instants through the table
       (s_utc_of_local), which also settles skipped and repeated local
       times (calendar.h).
    3. calendar_between sums the overlap of [from, to) with the intervals of
       every local day the span touches; calendar_add walks the intervals
       from the start's day on, spending the target until it runs out.

    Days are walked one by one where holidays and DST changes live. A
    whole week with neither (s_plain_week) is taken in one step: its
    intervals are then each local range less one fixed offset, so its
    working time is the weekly sum of the ranges, and a span of months
    (a denial's appeal window: 120-180 days, walked three times for its
    work item) costs a few dozen steps instead of a few hundred days
    (issue 19). The step gives what the days would: calendar_between adds
    the week only when all of it lies inside the span, calendar_add skips
    it only when the target outlasts it.
*/
#include "calendar.h"
#include "clock.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_RANGES_MAX   4            //  working ranges per weekday
#define S_DAY_S        86400
#define S_MINUTES_DAY  1440
//  The years the offset table covers; outside them the nearest end's offset holds.
#define S_PROBE_FROM_YEAR  1970
#define S_PROBE_TO_YEAR    2100
//  calendar_add gives up (UINT64_MAX) after this many days without
//  spending the target: only a calendar with almost no working time and a
//  target of centuries gets there.
#define S_ADD_DAYS_MAX     (366 * 200)

typedef struct {
    int start, end;                 //  minutes of the local day, start < end <= 1440
} s_range_t;

typedef struct {
    int64_t at;                     //  UTC seconds from which offset holds
    int32_t offset;                 //  local = UTC + offset (seconds)
} s_change_t;

struct _calendar_t {
    char zone [64];
    s_range_t ranges [7][S_RANGES_MAX];     //  per weekday, 0 = Sunday, sorted
    size_t n_ranges [7];
    int64_t *holidays;                      //  local days since the epoch, sorted
    size_t n_holidays;
    int32_t first_offset;                   //  the offset before the first change
    s_change_t *changes;
    size_t n_changes;
    uint64_t day_ms;                        //  the longest weekday's working time
    uint64_t week_ms;                       //  every weekday's working time, summed
};

static const char *s_weekdays [7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

//  ---------------------------------------------------------------------
//  Time zone: from the C library into a table of offset changes.

//  The zoneinfo file for a zone name, checked to be one: glibc takes an
//  unknown TZ as UTC without a word, which would shift every due time of a
//  misspelt zone by hours.
static int
s_zone_file (const char *zone, char *path, size_t size, char *error, size_t error_size)
{
    size_t length = strlen (zone);
    if (length == 0 || length >= 64) {
        snprintf (error, error_size, "expected a time zone name such as America/Chicago");
        return -1;
    }
    for (const char *p = zone; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("/_+-", *p)) {
            snprintf (error, error_size, "a time zone name has letters, digits and / _ + - only");
            return -1;
        }
    if (zone [0] == '/' || strstr (zone, "..")) {
        snprintf (error, error_size, "a time zone name is relative to the zoneinfo folder");
        return -1;
    }
    const char *dir = getenv ("TZDIR");
    snprintf (path, size, "%s/%s", dir && *dir? dir: "/usr/share/zoneinfo", zone);
    FILE *file = fopen (path, "rb");
    char magic [4] = { 0 };
    bool is_tzif = file && fread (magic, 1, 4, file) == 4 && memcmp (magic, "TZif", 4) == 0;
    if (file)
        fclose (file);
    if (!is_tzif) {
        snprintf (error, error_size, "not a time zone the system knows (no zoneinfo file %.300s)", path);
        return -1;
    }
    return 0;
}

static int32_t
s_probe (int64_t at)
{
    time_t t = (time_t) at;
    struct tm tm;
    if (!localtime_r (&t, &tm))
        return 0;
    return (int32_t) tm.tm_gmtoff;
}

//  Fills the change table by probing localtime_r under the zone. Changes
//  closer together than a day would be missed; tzdata has none since 1970
//  that matter to a working day.
static int
s_load_zone (calendar_t *self, const char *path)
{
    const char *old = getenv ("TZ");
    char *saved = old? strdup (old): NULL;
    char tz [4200];
    snprintf (tz, sizeof tz, ":%s", path);
    setenv ("TZ", tz, 1);
    tzset ();

    int64_t from = clock_days_from_civil (S_PROBE_FROM_YEAR, 1, 1) * S_DAY_S;
    int64_t to = clock_days_from_civil (S_PROBE_TO_YEAR, 1, 1) * S_DAY_S;
    size_t capacity = 512;
    self->changes = (s_change_t *) malloc (capacity * sizeof (s_change_t));
    self->first_offset = s_probe (from);
    int32_t offset = self->first_offset;
    for (int64_t at = from + S_DAY_S; at <= to; at += S_DAY_S) {
        int32_t next = s_probe (at);
        if (next == offset)
            continue;
        //  The change is in (at - day, at]: the first second with the new offset.
        int64_t low = at - S_DAY_S, high = at;
        while (high - low > 1) {
            int64_t middle = low + (high - low) / 2;
            if (s_probe (middle) == offset)
                low = middle;
            else
                high = middle;
        }
        if (self->n_changes == capacity) {
            capacity *= 2;
            self->changes = (s_change_t *) realloc (self->changes, capacity * sizeof (s_change_t));
        }
        self->changes [self->n_changes++] = (s_change_t) { high, next };
        offset = next;
    }

    if (saved) {
        setenv ("TZ", saved, 1);
        free (saved);
    }
    else
        unsetenv ("TZ");
    tzset ();
    return 0;
}

//  The offset in force at a UTC instant (seconds).
static int32_t
s_offset_at (const calendar_t *self, int64_t at)
{
    size_t low = 0, high = self->n_changes;     //  first change after at
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (self->changes [middle].at <= at)
            low = middle + 1;
        else
            high = middle;
    }
    return low? self->changes [low - 1].offset: self->first_offset;
}

//  The first change after an instant, or INT64_MAX.
static int64_t
s_change_after (const calendar_t *self, int64_t at)
{
    size_t low = 0, high = self->n_changes;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (self->changes [middle].at <= at)
            low = middle + 1;
        else
            high = middle;
    }
    return low < self->n_changes? self->changes [low].at: INT64_MAX;
}

//  The UTC instant (seconds) when the zone's clocks read local (seconds
//  since 1970-01-01 00:00 local). Offsets are under a day, so the offsets
//  a day either side are the ones before and after any change near it.
static int64_t
s_utc_of_local (const calendar_t *self, int64_t local)
{
    int32_t before = s_offset_at (self, local - S_DAY_S);
    int32_t after = s_offset_at (self, local + S_DAY_S);
    int64_t first = local - before;
    int64_t second = local - after;
    bool first_ok = s_offset_at (self, first) == before;
    bool second_ok = s_offset_at (self, second) == after;
    if (first_ok && second_ok)
        return first < second? first: second;   //  repeated: the first of the two
    if (first_ok)
        return first;
    if (second_ok)
        return second;
    //  Skipped by a change: the instant the clocks jump.
    int64_t jump = s_change_after (self, second < first? second: first);
    return jump != INT64_MAX? jump: first;
}

//  The local day (days since the epoch) an instant falls on.
static int64_t
s_local_day (const calendar_t *self, int64_t at)
{
    int64_t local = at + s_offset_at (self, at);
    return local >= 0? local / S_DAY_S: -((-local + S_DAY_S - 1) / S_DAY_S);
}

static int
s_weekday (int64_t day)
{
    return (int) (((day % 7) + 7 + 4) % 7);     //  1970-01-01 was a Thursday
}

static bool
s_holiday (const calendar_t *self, int64_t day)
{
    size_t low = 0, high = self->n_holidays;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (self->holidays [middle] == day)
            return true;
        if (self->holidays [middle] < day)
            low = middle + 1;
        else
            high = middle;
    }
    return false;
}

//  The working intervals of a local day as UTC ms [start, end); returns
//  how many (0 on a holiday or a day off).
static size_t
s_day_intervals (const calendar_t *self, int64_t day, int64_t intervals [][2])
{
    if (s_holiday (self, day))
        return 0;
    int weekday = s_weekday (day);
    size_t count = 0;
    for (size_t i = 0; i < self->n_ranges [weekday]; i++) {
        const s_range_t *range = &self->ranges [weekday][i];
        int64_t start = s_utc_of_local (self, day * S_DAY_S + range->start * 60);
        int64_t end = s_utc_of_local (self, day * S_DAY_S + range->end * 60);
        if (end > start) {
            intervals [count][0] = start * 1000;
            intervals [count][1] = end * 1000;
            count++;
        }
    }
    return count;
}

//  True when the week of local days [day, day + 7) has no holiday and no
//  offset change near it (two days either side, more than any offset):
//  then s_utc_of_local is local - *offset for every time of those days,
//  and the week's intervals lie inside [day·86400 - *offset, (day + 7)·
//  86400 - *offset) seconds.
static bool
s_plain_week (const calendar_t *self, int64_t day, int32_t *offset)
{
    int64_t from = (day - 3) * S_DAY_S, to = (day + 10) * S_DAY_S;
    if (s_change_after (self, from) <= to)
        return false;
    size_t low = 0, high = self->n_holidays;    //  the first holiday >= day
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (self->holidays [middle] < day)
            low = middle + 1;
        else
            high = middle;
    }
    if (low < self->n_holidays && self->holidays [low] < day + 7)
        return false;
    *offset = s_offset_at (self, from);
    return true;
}

//  ---------------------------------------------------------------------
//  Parsing hours and holidays.

static const char *
s_skip_space (const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static int
s_parse_weekday (const char *p, int *weekday)
{
    for (int i = 0; i < 7; i++)
        if (tolower ((unsigned char) p [0]) == s_weekdays [i][0]
        &&  tolower ((unsigned char) p [1]) == s_weekdays [i][1]
        &&  tolower ((unsigned char) p [2]) == s_weekdays [i][2]
        &&  !isalpha ((unsigned char) p [3])) {
            *weekday = i;
            return 0;
        }
    return -1;
}

//  "HH:MM" into minutes of the day; 24:00 only where allow_24.
static int
s_parse_time (const char *p, int *minutes, bool allow_24)
{
    if (!isdigit ((unsigned char) p [0]) || !isdigit ((unsigned char) p [1]) || p [2] != ':'
    ||  !isdigit ((unsigned char) p [3]) || !isdigit ((unsigned char) p [4]))
        return -1;
    int hour = (p [0] - '0') * 10 + p [1] - '0';
    int minute = (p [3] - '0') * 10 + p [4] - '0';
    if (minute > 59 || hour > 24 || (hour == 24 && (minute || !allow_24)))
        return -1;
    *minutes = hour * 60 + minute;
    return 0;
}

static int
s_range_compare (const void *a, const void *b)
{
    return ((const s_range_t *) a)->start - ((const s_range_t *) b)->start;
}

//  One clause "mon-fri 09:00-12:00,13:00-17:00" (already cut at ';').
static int
s_parse_clause (calendar_t *self, const char *clause, bool named [7], char *error, size_t size)
{
    const char *p = s_skip_space (clause);
    bool days [7] = { false };
    while (true) {
        int first, last;
        if (s_parse_weekday (p, &first)) {
            snprintf (error, size, "expected a weekday (mon, tue, … sun) at '%s'", p);
            return -1;
        }
        p += 3;
        last = first;
        if (*p == '-') {
            if (s_parse_weekday (p + 1, &last)) {
                snprintf (error, size, "expected a weekday after '-' at '%s'", p);
                return -1;
            }
            p += 4;
        }
        //  mon-fri, or a range through the week's end such as fri-mon.
        for (int day = first; ; day = (day + 1) % 7) {
            days [day] = true;
            if (day == last)
                break;
        }
        if (*p != ',')
            break;
        p++;
    }
    if (*p != ' ' && *p != '\t') {
        snprintf (error, size, "expected a space, then working hours, at '%s'", p);
        return -1;
    }
    s_range_t ranges [S_RANGES_MAX];
    size_t n_ranges = 0;
    p = s_skip_space (p);
    while (true) {
        s_range_t range;
        if (s_parse_time (p, &range.start, false) || p [5] != '-'
        ||  s_parse_time (p + 6, &range.end, true)) {
            snprintf (error, size, "expected HH:MM-HH:MM at '%s'", p);
            return -1;
        }
        if (range.end <= range.start) {
            snprintf (error, size, "a range ends after it starts: '%.11s'", p);
            return -1;
        }
        if (n_ranges == S_RANGES_MAX) {
            snprintf (error, size, "at most %d ranges a day", S_RANGES_MAX);
            return -1;
        }
        ranges [n_ranges++] = range;
        p = s_skip_space (p + 11);
        if (*p != ',')
            break;
        p = s_skip_space (p + 1);
    }
    if (*p) {
        snprintf (error, size, "unexpected '%s'", p);
        return -1;
    }
    qsort (ranges, n_ranges, sizeof ranges [0], s_range_compare);
    for (size_t i = 1; i < n_ranges; i++)
        if (ranges [i].start < ranges [i - 1].end) {
            snprintf (error, size, "ranges overlap in '%s'", clause);
            return -1;
        }
    for (int day = 0; day < 7; day++) {
        if (!days [day])
            continue;
        //  A weekday in two clauses: one of them is a mistake, and which
        //  one wins is not something to guess.
        if (named [day]) {
            snprintf (error, size, "'%s' is named twice", s_weekdays [day]);
            return -1;
        }
        named [day] = true;
        memcpy (self->ranges [day], ranges, sizeof ranges);
        self->n_ranges [day] = n_ranges;
    }
    return 0;
}

static int
s_parse_hours (calendar_t *self, const char *hours, char *error, size_t size)
{
    bool named [7] = { false };
    char *copy = strdup (hours);
    int rc = 0;
    char *rest = copy, *clause;
    while (rc == 0 && (clause = strsep (&rest, ";"))) {
        if (!*s_skip_space (clause))
            continue;           //  "mon-fri 09:00-17:00;" is fine
        rc = s_parse_clause (self, clause, named, error, size);
    }
    free (copy);
    if (rc)
        return -1;
    for (int day = 0; day < 7; day++) {
        uint64_t length = 0;
        for (size_t i = 0; i < self->n_ranges [day]; i++)
            length += (uint64_t) (self->ranges [day][i].end - self->ranges [day][i].start) * 60000;
        if (length > self->day_ms)
            self->day_ms = length;
        self->week_ms += length;
    }
    if (self->day_ms == 0) {
        snprintf (error, size, "no working hours (expected e.g. 'mon-fri 09:00-17:00')");
        return -1;
    }
    return 0;
}

static int
s_day_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y? -1: x > y;
}

static int
s_parse_holidays (calendar_t *self, const char *holidays, char *error, size_t size)
{
    const char *p = holidays;
    size_t capacity = 0;
    while (true) {
        while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n')
            p++;
        if (!*p)
            break;
        int year, month, day, length = 0;
        if (sscanf (p, "%4d-%2d-%2d%n", &year, &month, &day, &length) != 3 || length != 10
        ||  (p [10] && !strchr (" \t,\n", p [10]))) {
            snprintf (error, size, "expected dates YYYY-MM-DD separated by ',' at '%s'", p);
            return -1;
        }
        //  A date that does not exist (2026-02-30) comes back as another.
        int64_t days = clock_days_from_civil (year, month, day);
        int y, m, d;
        clock_civil_from_days (days, &y, &m, &d);
        if (month < 1 || month > 12 || y != year || m != month || d != day) {
            snprintf (error, size, "no such date '%.10s'", p);
            return -1;
        }
        if (self->n_holidays == capacity) {
            capacity = capacity? capacity * 2: 16;
            self->holidays = (int64_t *) realloc (self->holidays, capacity * sizeof (int64_t));
        }
        self->holidays [self->n_holidays++] = days;
        p += 10;
    }
    if (self->n_holidays)
        qsort (self->holidays, self->n_holidays, sizeof (int64_t), s_day_compare);
    return 0;
}

//  ---------------------------------------------------------------------
//  Construction.

//  labels name the three values in errors: "zone" for calendar_new,
//  "calendar/billing/zone" for calendar_load.
static calendar_t *
s_calendar_new (const char *zone, const char *hours, const char *holidays,
                const char *labels [3], char *error, size_t size)
{
    calendar_t *self = (calendar_t *) calloc (1, sizeof (calendar_t));
    char reason [512];
    char path [4096];
    if (s_zone_file (zone, path, sizeof path, reason, sizeof reason)) {
        snprintf (error, size, "%s = '%s': %s", labels [0], zone, reason);
        calendar_destroy (&self);
        return NULL;
    }
    snprintf (self->zone, sizeof self->zone, "%s", zone);
    if (s_parse_hours (self, hours, reason, sizeof reason)) {
        snprintf (error, size, "%s = '%s': %s", labels [1], hours, reason);
        calendar_destroy (&self);
        return NULL;
    }
    if (s_parse_holidays (self, holidays? holidays: "", reason, sizeof reason)) {
        snprintf (error, size, "%s = '%s': %s", labels [2], holidays, reason);
        calendar_destroy (&self);
        return NULL;
    }
    s_load_zone (self, path);
    return self;
}

calendar_t *
calendar_new (const char *zone, const char *hours, const char *holidays, char *error, size_t size)
{
    assert (zone && hours);
    const char *labels [3] = { "zone", "hours", "holidays" };
    return s_calendar_new (zone, hours, holidays, labels, error, size);
}

//  The built-in "default" calendar: the deployment names its zone in
//  calendar/default/zone; without it, UTC (docs/adr/0023).
static const char *s_default_values [3] = { "UTC", "mon-fri 09:00-17:00", "" };

calendar_t *
calendar_load (config_t *config, const char *name, char *error, size_t size)
{
    assert (config && name);
    size_t length = strlen (name);
    bool name_ok = length > 0 && length < 64;
    for (const char *p = name; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("_-.", *p))
            name_ok = false;
    if (!name_ok) {
        snprintf (error, size, "calendar '%s': a calendar name has letters, digits and _ - . only", name);
        return NULL;
    }
    static const char *fields [3] = { "zone", "hours", "holidays" };
    char keys [3][128];
    const char *labels [3];
    const char *values [3];
    bool builtin = strcmp (name, "default") == 0;
    for (int i = 0; i < 3; i++) {
        snprintf (keys [i], sizeof keys [i], "calendar/%s/%s", name, fields [i]);
        labels [i] = keys [i];
        values [i] = config_get (config, keys [i], NULL);
        if (values [i] && !*values [i])
            values [i] = NULL;      //  empty is unset, as everywhere in config
        if (!values [i])
            values [i] = builtin? s_default_values [i]: (i == 2? "": NULL);
        if (!values [i]) {
            snprintf (error, size, "%s is not set (calendar '%s' needs zone and hours)", keys [i], name);
            return NULL;
        }
    }
    return s_calendar_new (values [0], values [1], values [2], labels, error, size);
}

void
calendar_destroy (calendar_t **self_p)
{
    assert (self_p);
    calendar_t *self = *self_p;
    if (!self)
        return;
    free (self->holidays);
    free (self->changes);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------
//  Working-time arithmetic.

uint64_t
calendar_between (const calendar_t *self, uint64_t from_ms, uint64_t to_ms)
{
    assert (self);
    if (to_ms <= from_ms)
        return 0;
    int64_t from = (int64_t) from_ms, to = (int64_t) to_ms;
    //  A day either side: intervals of a day can reach past its local
    //  midnight where a change repeats or skips the hour around it.
    int64_t first = s_local_day (self, from / 1000) - 1;
    int64_t last = s_local_day (self, to / 1000) + 1;
    uint64_t total = 0;
    for (int64_t day = first; day <= last; day++) {
        int32_t offset;
        if (day + 6 <= last && s_plain_week (self, day, &offset)
        &&  (day * S_DAY_S - offset) * 1000 >= from && ((day + 7) * S_DAY_S - offset) * 1000 <= to) {
            total += self->week_ms;
            day += 6;
            continue;
        }
        int64_t intervals [S_RANGES_MAX][2];
        size_t count = s_day_intervals (self, day, intervals);
        for (size_t i = 0; i < count; i++) {
            int64_t start = intervals [i][0] > from? intervals [i][0]: from;
            int64_t end = intervals [i][1] < to? intervals [i][1]: to;
            if (end > start)
                total += (uint64_t) (end - start);
        }
    }
    return total;
}

uint64_t
calendar_add (const calendar_t *self, uint64_t start_ms, uint64_t business_ms)
{
    assert (self);
    if (business_ms == 0)
        return start_ms;
    int64_t start = (int64_t) start_ms;
    uint64_t left = business_ms;
    int64_t first = s_local_day (self, start / 1000) - 1;
    for (int64_t day = first; day < first + S_ADD_DAYS_MAX; day++) {
        //  A week all after the start that the target outlasts (>: a
        //  target that ends with the week is due inside it).
        int32_t offset;
        if (left > self->week_ms && day + 7 <= first + S_ADD_DAYS_MAX && s_plain_week (self, day, &offset)
        &&  (day * S_DAY_S - offset) * 1000 >= start) {
            left -= self->week_ms;
            day += 6;
            continue;
        }
        int64_t intervals [S_RANGES_MAX][2];
        size_t count = s_day_intervals (self, day, intervals);
        for (size_t i = 0; i < count; i++) {
            if (intervals [i][1] <= start)
                continue;
            int64_t from = intervals [i][0] > start? intervals [i][0]: start;
            uint64_t available = (uint64_t) (intervals [i][1] - from);
            //  <=: a target that ends with the working day is due at its
            //  end, the earliest instant that much working time has passed.
            if (left <= available)
                return (uint64_t) from + left;
            left -= available;
        }
    }
    return UINT64_MAX;
}

bool
calendar_working (const calendar_t *self, uint64_t at_ms)
{
    assert (self);
    int64_t at = (int64_t) at_ms;
    int64_t day = s_local_day (self, at / 1000);
    for (int64_t d = day - 1; d <= day + 1; d++) {
        int64_t intervals [S_RANGES_MAX][2];
        size_t count = s_day_intervals (self, d, intervals);
        for (size_t i = 0; i < count; i++)
            if (intervals [i][0] <= at && at < intervals [i][1])
                return true;
    }
    return false;
}

uint64_t
calendar_day_ms (const calendar_t *self)
{
    assert (self);
    return self->day_ms;
}

const char *
calendar_zone (const calendar_t *self)
{
    assert (self);
    return self->zone;
}
