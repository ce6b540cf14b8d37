/*  denial_kpi: the denial figures (docs/metrics.md "Denials") as one
    table, and the query that sums them over the denial tables
    (denial_facts.h) for metrics.Kpi and metrics.Scorecard.

        denial_overturn_rate      appeals won / appeals the payer decided
                                  (won or lost), decided in [from, to]
        denials_open              denials not won, written off or
                                  cancelled, now
        denials_missed_deadline   appeal deadlines (their day in [from, to])
                                  that passed with no action
        denial_recovered_cents    recovered after a denial in [from, to]
        denial_written_off_cents  written off in [from, to]
        denial_days_to_appeal     mean days from a denial's opening to its
                                  first appeal, of those appealed in
                                  [from, to]
        denials_opened,           denials opened / appeals started in
        denials_appealed          [from, to]

    A denial carries the claims dimensions, so every filter and grouping of
    metrics.Kpi applies: the query walks the same combinations kpi_run
    does. denials_open is the stock as it stands now, by the team that owns
    the queue's denials now (denial_kpi.c, "Team of now"): asked as of
    another day than the service clock's today it is not available (n/a),
    as the work items' open count is.
*/
#ifndef RCMQ_METRICS_DENIAL_KPI_H
#define RCMQ_METRICS_DENIAL_KPI_H

#include "denial_facts.h"
#include "kpi.h"
#include "tally.h"

//  A figure of the query's totals (slots private to denial_kpi.c), read as
//  tally.h says.
typedef tally_def_t denial_kpi_def_t;

extern const denial_kpi_def_t denial_kpi_table [];
extern const size_t denial_kpi_count;

typedef struct _denial_result_t denial_result_t;

//  Runs a claims KPI query's filters, groups and flow days over the denial
//  tables; the stock is asked when as_of is the service clock's today.
//  Returns 0 or an LMDB error; *result is set either way.
int         denial_kpi_run (store_t *store, MDB_txn *txn, const kpi_query_t *query, denial_result_t **result);
void        denial_result_destroy (denial_result_t **self_p);
//  The group keys found (dims_group_key's), ascending.
size_t      denial_result_group_count (const denial_result_t *self);
const char *denial_result_group_key (const denial_result_t *self, size_t index);
//  The figure of KPI index (denial_kpi_table) over a group (NULL:
//  overall); a group with no denials counts zero. Strings point into the
//  table.
void        denial_kpi_value (const denial_result_t *self, const char *group_key, size_t index, KpiValue *value);

#endif
