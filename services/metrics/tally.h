/*  tally: the totals a counter query sums, overall and by group, and the
    figures read from them -- the one mechanism of the work-item figures
    (work_kpi.c) and the denial figures (denial_kpi.c), whose queries differ
    only in which tables they read and which team a row counts under.

    A query adds each matching row's counter slots [from, to) under the
    row's group key (tally_add); the overall totals get every row. A figure
    is a row of the caller's table (tally_def_t): numerator over denominator
    of those slots, divided by scale, or a count (or cents) when it has no
    denominator; an empty denominator, or a figure the caller says is not
    available, is n/a, never a division by zero.
*/
#ifndef RCMQ_METRICS_TALLY_H
#define RCMQ_METRICS_TALLY_H

#include "metrics.h"

#include <czmq.h>

//  A figure of a counter table. Slots are the caller's own (private enums
//  of work_kpi.c and denial_kpi.c).
typedef struct {
    const char *name;               //  JSON key
    const char *unit;               //  count | cents | ratio | hours | days
    int numerator;
    int denominator;                //  -1: none (a count or cents)
    double scale;
    bool stock;                     //  as of now only
} tally_def_t;

typedef struct _tally_t tally_t;

//  Totals of slots counter slots each.
tally_t    *tally_new (size_t slots);
void        tally_destroy (tally_t **self_p);
//  Adds totals [from, to) into the overall totals and, when key is not
//  NULL (the query groups), into the group of key.
void        tally_add (tally_t *self, const char *key, const int64_t *totals, int from, int to);
//  The group keys added, ascending.
size_t      tally_group_count (tally_t *self);
const char *tally_group_key (tally_t *self, size_t index);
//  The figure def over a group (NULL: overall); a group never added
//  counts zero. available false makes it n/a whatever the totals.
//  Strings point into def.
void        tally_value (tally_t *self, const tally_def_t *def, const char *group_key, bool available,
                         KpiValue *value);

#endif
