/*  kpi: the KPI definitions (docs/metrics.md) as one table, and the queries
    that evaluate them over the aggregates.

    A query sums, for every dimension combination that matches its filters,
    the flow counters of the days in [from, to], the date-of-service cohort
    of the same days, the charges of the window_days before as_of (days in
    A/R), and the open balances as of as_of by aging bucket. Each KPI is
    then numerator / denominator over those totals, with terms named in the
    table; an empty or non-positive denominator makes the figure "not
    available", never a division by zero.
*/
#ifndef RCMQ_METRICS_KPI_H
#define RCMQ_METRICS_KPI_H

#include "metrics.h"
#include "aggregates.h"
#include "dims.h"

#include <czmq.h>

typedef enum { KPI_RATIO, KPI_DAYS, KPI_CENTS, KPI_COUNT } kpi_unit_t;

//  Terms of a KPI: the totals it adds (a slot, or its negation, plus one
//  so that 0 ends a list).
typedef enum {
    KPI_SLOT_FLOW = 0,                              //  + agg_day_counter_t
    KPI_SLOT_COHORT = KPI_SLOT_FLOW + AGG_DAY_COUNT,    //  + agg_dos_counter_t
    KPI_SLOT_DAR_CHARGES = KPI_SLOT_COHORT + AGG_DOS_COUNT,
    KPI_SLOT_AR_INSURANCE,
    KPI_SLOT_AR_PATIENT,
    KPI_SLOT_AGING,                                 //  + bucket (insurance + patient)
    KPI_SLOT_COUNT = KPI_SLOT_AGING + AGG_BUCKETS
} kpi_slot_t;

#define KPI_MAX_TERMS 4

typedef struct {
    const char *name;           //  JSON key and request name
    const char *title;          //  column header
    kpi_unit_t unit;
    int numerator [KPI_MAX_TERMS];
    int denominator [KPI_MAX_TERMS];
    bool headline;              //  shown in grouped tables and scorecards
} kpi_def_t;

extern const kpi_def_t kpi_table [];
extern const size_t kpi_table_size;
const kpi_def_t *kpi_find (const char *name);
//  The KPI names, comma-separated (only those one can drill into when
//  drillable), for an error that lists what exists; the caller frees it.
char            *kpi_names (bool drillable);
const char      *kpi_unit_name (kpi_unit_t unit);

typedef struct {
    const char *filters [DIMS_COUNT];   //  NULL or "": any
    int group_by [DIMS_COUNT];
    size_t group_count;
    uint32_t from;                      //  flows and cohort: [from, to]
    uint32_t to;
    uint32_t as_of;                     //  balances at the end of this day
    uint32_t window_days;               //  days in A/R: charges of the window_days to as_of
    bool balances_only;                 //  metrics.Aging: no flows, no cohort
    bool without_reasons;               //  metrics.Trend: no denials or rejections by
                                        //  reason (their rows are half of what a
                                        //  query reads at 1M claims)
} kpi_query_t;

typedef struct {
    int64_t slots [KPI_SLOT_COUNT];
    int64_t insurance [AGG_BUCKETS];
    int64_t patient [AGG_BUCKETS];
    zhashx_t *reasons [2];              //  denials, rejections: code -> int64_t [2] count, cents
} kpi_totals_t;

typedef struct {
    char *key;
    kpi_totals_t totals;
} kpi_group_t;

typedef struct {
    kpi_group_t overall;
    kpi_group_t **groups;               //  by key, ascending
    size_t group_count;
} kpi_result_t;

//  A figure of a KPI over some totals.
typedef struct {
    bool available;
    double value;
    int64_t amount;
    int64_t numerator;
    int64_t denominator;
} kpi_value_t;

//  Runs a query. Returns 0 or an LMDB error; *result is set either way
//  (empty on error); destroy it with kpi_result_destroy.
int         kpi_run (store_t *store, MDB_txn *txn, const kpi_query_t *query, kpi_result_t **result);
void        kpi_result_destroy (kpi_result_t **self_p);
//  The group of key, added with empty totals (in key order) when the
//  result has none: figures kept by other tables (work_kpi.h) may have
//  groups the claims do not.
kpi_group_t *kpi_result_group (kpi_result_t *self, const char *key);
kpi_value_t kpi_evaluate (const kpi_def_t *def, const kpi_totals_t *totals, uint32_t window_days);
//  Convenience for tests: the value of a KPI by name over a group.
kpi_value_t kpi_get (const kpi_result_t *result, const char *group_key, const char *name,
                     const kpi_query_t *query);
//  A reason's count and cents; 0 when absent. kind 0 = denials, 1 = rejections.
int64_t     kpi_reason (const kpi_totals_t *totals, int kind, const char *code, bool cents);

//  Trend: the periods (day, week from Monday, calendar month) ending with
//  the one that holds as_of, oldest first; the last one ends at as_of.
//  Returns the number of periods written into from/to: periods, or 0 when
//  the oldest would begin before 1970-01-01.
size_t      kpi_periods (const char *interval, uint32_t as_of, size_t periods,
                         uint32_t *from, uint32_t *to);

//  Drill: which index answers a KPI, and over which days.
typedef enum { KPI_DRILL_WINDOW, KPI_DRILL_ALL, KPI_DRILL_OVER_90 } kpi_drill_range_t;
typedef struct {
    const char *kpi;
    agg_drill_kind_t kind;
    kpi_drill_range_t range;
    int counted;                //  1: counted = the index flag; 0: always; -1: counted = !flag
} kpi_drill_def_t;

const kpi_drill_def_t *kpi_drill_find (const char *kpi);

typedef struct {
    agg_drill_entry_t *entries;
    size_t count;
    bool more;                  //  a further page exists
} kpi_drill_page_t;

//  The entries behind a KPI, in (dims id, day, PCN) order, starting after
//  `after` (NULL: from the start), at most limit.
int         kpi_drill (store_t *store, MDB_txn *txn, const kpi_query_t *query,
                       const kpi_drill_def_t *def, bool numerator_only, size_t limit,
                       const agg_drill_entry_t *after, kpi_drill_page_t *page);

#endif
