/*  months: see months.h. Pure calendar arithmetic over clock.h's civil
    days; no store.
*/
#include "months.h"
#include "clock.h"

//  The first day of the month holding day (any day >= 1, 64-bit so that
//  the day after UINT32_MAX has one too).
static uint64_t
s_first (uint64_t day)
{
    int year, month, mday;
    clock_civil_from_days ((int64_t) day - 1, &year, &month, &mday);
    return day - (uint64_t) (mday - 1);
}

uint32_t
months_first (uint32_t day)
{
    return day? (uint32_t) s_first (day): 0;
}

size_t
months_split (uint32_t from, uint32_t to, months_span_t spans [MONTHS_SPANS_MAX])
{
    if (from > to)
        return 0;
    //  The first whole month starts at from when from is a month's first
    //  day, else at the next month's; day 0 (not known) is a loose day.
    uint64_t start = from? s_first (from): 1;
    if (start < from)
        start = s_first (start + 31);
    //  The whole months end before the month holding to + 1.
    uint64_t end = s_first ((uint64_t) to + 1);
    size_t count = 0;
    if (start >= end) {
        spans [count++] = (months_span_t) { from, to, false };
        return count;
    }
    if (from < start)
        spans [count++] = (months_span_t) { from, (uint32_t) (start - 1), false };
    spans [count++] = (months_span_t) { (uint32_t) start, (uint32_t) s_first (end - 1), true };
    if (end <= to)
        spans [count++] = (months_span_t) { (uint32_t) end, to, false };
    return count;
}
