/*  work_kpi: the work-item figures (docs/metrics.md "Work items") as one
    table, and the query that sums them over the work tables (work_facts.h)
    for metrics.Kpi, metrics.Scorecard and metrics.Work.

        work_open                    open items now
        work_overdue                 ... whose due instant is at or before
                                     the service clock's now
        sla_met_rate                 done in [from, to] within their SLA
                                     target / done in [from, to] with one
        work_first_touch_mean_hours  mean time from creation to the first
                                     person's change, of the items first
                                     touched in [from, to]
        work_created, work_done      items created / done in [from, to]

    Open and overdue are the stock as it stands now: asked as of another
    day than the service clock's today they are not available (n/a), since
    metrics keeps no history of them. A query that filters or groups by a
    dimension work items do not have (payer, location ...) gets every work
    figure not available rather than figures that ignore the filter.
*/
#ifndef RCMQ_METRICS_WORK_KPI_H
#define RCMQ_METRICS_WORK_KPI_H

#include "work_facts.h"
#include "kpi.h"
#include "tally.h"

typedef struct {
    const char *filters [WORK_DIM_COUNT];   //  NULL or "": any
    int group_by [WORK_DIM_COUNT];
    size_t group_count;
    uint32_t from;                          //  flows: [from, to]
    uint32_t to;
    bool stock;                             //  open and overdue are wanted (as of now)
    uint64_t now_ms;                        //  overdue: due at or before it
    bool unavailable;                       //  a dimension work items lack
} work_query_t;

//  A figure of the query's totals (slots private to work_kpi.c), read as
//  tally.h says.
typedef tally_def_t work_kpi_def_t;

extern const work_kpi_def_t work_kpi_table [];
extern const size_t work_kpi_count;

//  The work query of a claims KPI query: queue and owner team map to the
//  work dimensions queue and team; any other filter or grouping makes the
//  work figures not available. The stock is asked when as_of is today.
void work_query_from_kpi (work_query_t *work, const kpi_query_t *query);

typedef struct _work_result_t work_result_t;

//  Runs a query. Returns 0 or an LMDB error; *result is set either way.
int         work_kpi_run (store_t *store, MDB_txn *txn, const work_query_t *query, work_result_t **result);
void        work_result_destroy (work_result_t **self_p);
//  The group keys found (values joined by "|" in group_by order, as
//  dims_group_key joins them), ascending.
size_t      work_result_group_count (const work_result_t *self);
const char *work_result_group_key (const work_result_t *self, size_t index);
//  The figure of KPI index (work_kpi_table) over a group (NULL: overall);
//  a group with no work items counts zero. Strings point into the table.
void        work_kpi_value (const work_result_t *self, const char *group_key, size_t index, KpiValue *value);

#endif
