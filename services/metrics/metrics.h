/*  rcmq-metrics: the KPIs leaders review (DESIGN §6 Metrics, docs/metrics.md).

    The parts, each in its own file:
        dims.c        the dimension list (payer ... owner team) and the ids
                      metrics gives each combination of their values
        aggregates.c  counters per (dimensions, day), per (dimensions, date of
                      service), open balances and their moves, reasons and
                      the drill indexes: the tables a query sums
        work_facts.c  what metrics keeps of work items, from the work
                      events of any stream (open, due, flows)
        work_kpi.c    the work-item figures and their query
        denial_facts.c  what metrics keeps of denials, from the denials
                      stream (open, appeals and their outcomes, money)
        denial_kpi.c  the denial figures and their query
        facts.c       per-claim facts and the apply function: an event in,
                      the claim's fact and every aggregate it touches updated
                      in the caller's transaction (the consumer's, with the
                      offset)
        kpi.c         the KPI definitions as a table, and the queries: KPIs
                      by group, trend, drill
        methods.c     the request methods (metrics.Kpi ...)
        metrics.c     the helpers the parts share, and the service's state
                      (metrics_t: the rebuild generation)
        main.c        the process

    A query reads aggregate rows for the dimension combinations it matches
    over the days it covers, never the claims, so its cost is bounded by
    combinations x days whatever the claims; below that bound it grows as
    the rows fill in (a row exists only where something happened), most
    in reasons, which hold a row per code seen that day (docs/performance.md,
    kpi26). The months wholly inside a range are read as one row each from
    the month tables (months.h, ADR 0080).

    Days: a day is the number of days since 1970-01-01 plus one, so 0 means
    "not known" in facts and keys.
*/
#ifndef RCMQ_METRICS_H
#define RCMQ_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include "store.h"
#include "codec.h"
#include "intake.pb-c.h"
#include "claims.pb-c.h"
#include "metrics.pb-c.h"
#include "service.h"

//  The tables metrics owns (besides the skeleton's outbox, offsets, meta).
#define METRICS_TABLES "facts", "dims", "dims_by_id", "by_day", "by_dos", \
                       "ar_open", "ar_total", "ar_moves", "ar_weeks", \
                       "ar_week_total", "reasons", "drill", \
                       "by_month", "by_dos_month", "reasons_month", \
                       "names", "claim_providers", METRICS_WORK_TABLES, METRICS_DENIAL_TABLES
//  work_facts.c's (work items; see work_facts.h).
#define METRICS_WORK_TABLES "work_facts", "work_dims", "work_dims_by_id", "work_open", "work_due", \
                            "work_by_day", "work_queues"
//  denial_facts.c's (denials; see denial_facts.h).
#define METRICS_DENIAL_TABLES "denial_facts", "denial_open", "denial_by_day"

//  The store's layout version, and each change of it from the version
//  before (the service's --migrate; bench/metrics --store --migrate).
#define METRICS_STORE_VERSION 2
extern const store_migration_t metrics_migrations [];

//  Big-endian 32-bit integers: the parts of aggregate keys.
void     metrics_u32_write (uint8_t *buf, uint32_t value);
uint32_t metrics_u32_read (const void *buf);

//  Counter rows of int64_t slots, the shape of the work and denial tables
//  (work_facts.c, denial_facts.c).
//  A count under key: delta added, the row deleted when it comes to zero.
int      metrics_count_add (store_t *store, MDB_txn *txn, const char *table, const void *key, size_t key_size,
                            int64_t delta);
//  The count under a dims id added into *count (nothing when there is none).
int      metrics_count_get (store_t *store, MDB_txn *txn, const char *table, uint32_t dims, int64_t *count);
//  A row of `slots` counters under (dims, day of at_ms): delta added to slot.
int      metrics_row_add (store_t *store, MDB_txn *txn, const char *table, uint32_t dims, uint64_t at_ms,
                          size_t slots, size_t slot, int64_t delta);
//  The same under (dims, day) with every slot's delta added at once (a
//  batch's sum, batch_cache.h): the row metrics_row_add's one by one leave.
int      metrics_rows_add (store_t *store, MDB_txn *txn, const char *table, uint32_t dims, uint32_t day,
                           size_t slots, const int64_t *delta);
#define  METRICS_ROW_SLOTS_MAX 64
//  The rows of (dims, day) for the days in [from, to] added into out.
int      metrics_rows_sum (store_t *store, MDB_txn *txn, const char *table, uint32_t dims, uint32_t from,
                           uint32_t to, size_t slots, int64_t *out);
//  Each returns 0 or an LMDB error (store_fail for a row of another size).

//  Days.
uint32_t metrics_day_from_ms (uint64_t ms);
//  "CCYYMMDD" or "YYYY-MM-DD"; 0 when the text is not a date.
uint32_t metrics_day_from_text (const char *text);
//  "YYYY-MM-DD" into buf (at least 11 bytes); "" for day 0.
void     metrics_day_format (uint32_t day, char *buf, size_t size);
//  The service clock's today.
uint32_t metrics_today (void);

//  Wipes every metrics table and the consumer offsets inside txn, so the
//  consumer replays from seq 1 (metrics.Rebuild). Returns 0 or an LMDB error.
int      metrics_wipe (store_t *store, MDB_txn *txn, uint64_t *facts, uint64_t *rows);

//  The service's state: metrics.Rebuild wipes the tables and the offsets
//  in its transaction; the consumer's offsets in memory may go back to
//  zero only once that transaction committed, and only then. The
//  generation in "meta" says whether it did.
typedef struct _metrics_t metrics_t;
typedef struct _metrics_batch_t metrics_batch_t;

//  NULL (logged) when the stored generation cannot be read. service NULL:
//  a state for tests that apply events outside a service (no rebuild).
metrics_t *metrics_new (service_t *service);
void       metrics_destroy (metrics_t **self_p);
//  metrics.Rebuild wrote a new generation in its transaction.
void       metrics_rebuild_requested (metrics_t *self);
//  After each commit: when a rebuild committed, the consumer replays every
//  stream from seq 1.
void       metrics_committed (metrics_t *self);
//  The consumer's batch starts (end false: what an earlier run held is
//  dropped, a batch opens) or ends (end true: what it held is written
//  into txn, batch_cache.h); state is the metrics_t (NULL: nothing to do).
//  Returns 0 or an LMDB error.
int        metrics_batch (store_t *store, MDB_txn *txn, bool end, void *state);
//  The batch open in the consumer's transaction, NULL when none (state
//  NULL, or outside a batch): the handlers then write straight through.
metrics_batch_t *metrics_open_batch (void *state);

#endif
