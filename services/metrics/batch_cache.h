/*  batch_cache: what metrics holds in memory while the consumer applies one
    batch of events in one transaction (docs/adr/0062).

    Many events of a batch add to the same by_day row (a day's flows for a
    payer, location ...), intern the same dimensions and move the same
    claim along (entered then submitted; adjudicated, denied, patient
    balance): the row's deltas are summed here and written once when the
    batch ends (metrics_batch, called by the consumer before it writes the
    offsets and commits), an id found or created is looked up once a
    batch, and a claim's fact is read from the store once a batch and
    written once at its end. Work items' events (work_facts.c) hold the
    same way: their flows per (work dims, day) and their open counts per
    work dims summed, their combination ids looked up once a batch. So do
    the cohorts' rows (by_dos) and the reasons' (denials by category,
    rejections by rule), with their month twins: every claim event moves
    its cohort row, summed here per (dims, date of service).

    It lives exactly as long as the transaction: the consumer opens it
    before the batch's first event, every time it runs the transaction
    (store_write runs it again after growing the map), which drops
    whatever an earlier, aborted run left; an event that fails aborts the
    transaction without the end call, and the next batch's start drops
    what it held. Nothing seen in a transaction that did not commit is ever
    used or written after it. Outside a batch (no metrics state, tests,
    requests) every write goes straight to the store.
*/
#ifndef RCMQ_METRICS_BATCH_CACHE_H
#define RCMQ_METRICS_BATCH_CACHE_H

#include "metrics.h"
#include "combos.h"
#include "aggregates.h"

typedef struct _metrics_batch_t metrics_batch_t;

//  The counter tables a batch sums besides by_day: rows of slots under
//  (dims, day), or one count under dims (day 0), each written at the end
//  as the same adds one by one would have left it (metrics_rows_add,
//  metrics_count_add).
typedef enum {
    METRICS_HELD_WORK_BY_DAY,       //  work_by_day: WORK_FLOW_COUNT slots
    METRICS_HELD_WORK_OPEN,         //  work_open: a count
    METRICS_HELD_AR_OPEN,           //  ar_open of (dims, dos)
    METRICS_HELD_AR_TOTAL,          //  ar_total of dims
    METRICS_HELD_AR_MOVE,           //  ar_moves and the weekly snapshots of (dims, day, dos)
    METRICS_HELD_KINDS
} metrics_held_t;

metrics_batch_t *metrics_batch_new (void);
void             metrics_batch_destroy (metrics_batch_t **self_p);
//  Forgets everything held (the transaction it was for is gone).
void             metrics_batch_clear (metrics_batch_t *self);
//  Adds delta (AGG_DAY_COUNT counters) to the (dims, day) row to be written.
void             metrics_batch_day_add (metrics_batch_t *self, uint32_t dims, uint32_t day, const int64_t *delta);
//  Adds delta to slot of the held row (kind, dims, day); a count is slot 0
//  of day 0.
void             metrics_batch_slot_add (metrics_batch_t *self, metrics_held_t kind, uint32_t dims, uint32_t day,
                                         size_t slot, int64_t delta);
//  Adds delta (AGG_DOS_COUNT counters) to the cohort row (dims, dos),
//  written at the end as agg_dos_add one by one would have left it (the
//  row there, at zero, when the adds cancel out).
void             metrics_batch_dos_add (metrics_batch_t *self, uint32_t dims, uint32_t dos, const int64_t *delta);
//  Adds (count, cents) to the reasons row (kind, dims, day, code), code
//  as agg_reason_add takes it; written at the end by agg_reason_add.
void             metrics_batch_reason_add (metrics_batch_t *self, agg_reason_kind_t kind, uint32_t dims,
                                           uint32_t day, const char *code, int64_t count, int64_t cents);
//  A move of the open balances of (dims, dos) on day by (insurance,
//  patient), as agg_balance_move would write it; nothing when both are 0.
void             metrics_batch_balance_move (metrics_batch_t *self, uint32_t dims, uint32_t dos, uint32_t day,
                                             int64_t insurance, int64_t patient);
//  The id interned for joined (a combination's joined values, combos.h)
//  of def in this batch: true and *id when known.
bool             metrics_batch_dims_get (metrics_batch_t *self, const combos_def_t *def, const char *joined,
                                         uint32_t *id);
void             metrics_batch_dims_put (metrics_batch_t *self, const combos_def_t *def, const char *joined,
                                         uint32_t id);
//  Claims' facts (facts.c's working form, opaque here, size bytes): the
//  one held for pcn, or NULL; and keeping one (a copy) to be written at
//  the end by facts_write.
const void      *metrics_batch_fact (metrics_batch_t *self, const char *pcn);
void             metrics_batch_fact_keep (metrics_batch_t *self, const char *pcn, const void *fact, size_t size);
//  Writes the rows and facts held into txn and forgets everything. 0 or
//  an LMDB error.
int              metrics_batch_flush (metrics_batch_t *self, store_t *store, MDB_txn *txn);
//  How many rows it holds, reasons' included (tests).
size_t           metrics_batch_rows (metrics_batch_t *self);

#endif
