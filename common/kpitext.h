/*  kpitext: a KPI figure as people read it and as --json has it, one
    statement for rcmqctl (cli/cmd_metrics.c) and rcmq-web (pages.c), so
    the dashboard and the terminal never print the same figure two ways.

    Text: rates as percentages with two decimals, days with one decimal,
    money as dollars with the sign before "$", counts as integers, "n/a"
    when the figure's denominator is empty. JSON: null when not available,
    cents and counts as exact integers, rates and days as reals.
*/
#ifndef RCMQ_KPITEXT_H
#define RCMQ_KPITEXT_H

#include "metrics.pb-c.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

//  Cents as "1234.56" / "-0.05" (no currency sign, no separators).
void        kpitext_cents (char *buf, size_t size, int64_t cents);
//  A figure as rcmqctl's tables print it.
void        kpitext_value (const KpiValue *value, char *buf, size_t size);
//  A figure as rcmqctl --json prints it (a new reference; NULL value: null).
json_t     *kpitext_json (const KpiValue *value);

#endif
