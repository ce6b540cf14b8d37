/*  months: a range of days read as the calendar months wholly inside it
    and the loose days at either end.

    by_day, by_dos and reasons each have a twin keyed by the first day of a
    month instead of the day (by_month, by_dos_month, reasons_month: see
    aggregates.h) that every write adds to as well. A query over [from, to]
    then reads one row a combination for each month that lies wholly in
    the range and the days around them one by one: a 90-day window is 32
    rows or fewer instead of 90 (docs/adr/0080-metrics-month-rollups.md).

    Days are metrics' (days since 1970-01-01 plus one; 0 is "not known"
    and belongs to no month but its own, 0).
*/
#ifndef RCMQ_METRICS_MONTHS_H
#define RCMQ_METRICS_MONTHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  One part of a range: days [from, to] of the day table, or, with
//  months, the month rows keyed from `from` to `to` (both a month's first
//  day) of its twin.
typedef struct {
    uint32_t from;
    uint32_t to;
    bool months;
} months_span_t;

#define MONTHS_SPANS_MAX 3

//  The first day of day's month (0 for 0).
uint32_t months_first (uint32_t day);

//  Splits [from, to] into the loose days before the first whole month,
//  the whole months, and the loose days after the last, leaving out the
//  parts that are empty. A range holding no whole month is its days.
//  Returns the number of spans (0 when from > to).
size_t   months_split (uint32_t from, uint32_t to, months_span_t spans [MONTHS_SPANS_MAX]);

#endif
