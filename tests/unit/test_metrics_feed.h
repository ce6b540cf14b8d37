/*  test_metrics_feed: what the metrics suites share. A temporary metrics
    store, events built the way intake and the claims service write them
    (Event envelopes around ClaimAccepted / ClaimRejected / ClaimEvent),
    applied through metrics_apply in a write transaction as the consumer
    does, and queries run on a read transaction.

    Every event fed is also kept (packed) in a log, so a suite can apply the
    same events to a second store, in another interleaving of the streams.
*/
#ifndef RCMQ_TEST_METRICS_FEED_H
#define RCMQ_TEST_METRICS_FEED_H

#include "suites.h"
#include "kpi.h"
#include "facts.h"
#include "work.pb-c.h"

typedef struct {
    store_t *store;
    char *dir;
} mt_store_t;

mt_store_t *mt_store_new (void);
void        mt_store_destroy (mt_store_t **self_p);

//  Where a claim belongs; NULLs take defaults (payer P1, group commercial,
//  location L1, service line SL1, queue Q1, team internal).
typedef struct {
    const char *payer;
    const char *queue;
    const char *team;
    const char *location;
} mt_dims_t;

//  A claim received by intake on date (YYYY-MM-DD). rules: rejected by
//  these scrub rules ("NPI001,CHG001"), or NULL for accepted.
void mt_received (mt_store_t *self, const char *pcn, mt_dims_t dims, int64_t charge,
                  const char *date, const char *rules);

//  A claims-stream event. Fields not set stay zero / empty.
typedef struct {
    const char *pcn;
    mt_dims_t dims;
    const char *date;           //  event time (YYYY-MM-DD, noon UTC)
    const char *dos;            //  date of service (CCYYMMDD)
    const char *remit_date;     //  CCYYMMDD
    const char *to_status;
    int64_t charge;
    int64_t paid;               //  deltas
    int64_t contractual;
    int64_t patient;
    int64_t denied;
    int64_t patient_total;      //  patient_responsibility_cents (totals)
    const char *denials;        //  "coding:3000,eligibility:1000"
} mt_claim_t;

void mt_claim (mt_store_t *self, const char *type, mt_claim_t claim);

//  queue.changed with the queue as it now is (intake's event): owned by
//  team internal, vendor_team, in phase.
void mt_queue (mt_store_t *self, const char *id, const char *phase, const char *vendor_team);

//  <stream>.work.<what> with the item as the change left it, at `at` (ms);
//  kept in the log like the rest.
void mt_work (mt_store_t *self, const char *stream, const char *what, const WorkItem *item, uint64_t at);

//  The events fed so far (any store), and replaying them into another
//  store: in feed order, or one stream after the other (claims first).
void   mt_log_reset (void);
size_t mt_log_size (void);
void   mt_replay (mt_store_t *self, bool streams_apart);
//  The same in feed order, `per` events a transaction, each transaction a
//  consumer's batch of metrics (metrics_batch around the events, state
//  metrics, as the service runs them).
void   mt_replay_batched (mt_store_t *self, metrics_t *metrics, size_t per);

//  A query over [as_of - window + 1, as_of], no filters, no grouping.
kpi_query_t mt_query (const char *as_of, uint32_t window_days);
//  Sets one filter or adds one group-by dimension.
void        mt_filter (kpi_query_t *query, const char *dim, const char *value);
void        mt_group (kpi_query_t *query, const char *dim);
kpi_result_t *mt_run (mt_store_t *self, const kpi_query_t *query);
//  One figure overall (group NULL) or of a group.
kpi_value_t mt_value (mt_store_t *self, const kpi_query_t *query, const char *group, const char *kpi);

uint32_t    mt_day (const char *date);
//  A table's rows, key and value, as one text (hex; the caller frees it),
//  to compare stores.
char       *mt_table_dump (mt_store_t *self, const char *table);

#endif
