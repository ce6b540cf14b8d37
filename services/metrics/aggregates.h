/*  aggregates: the tables a KPI query sums, and nothing else reads.

        by_day    (dims, day) -> flow counters: what happened that day
                  (received, adjudicated, payments posted ...)
        by_dos    (dims, date of service) -> the cohort of claims of that
                  date of service: charges, payments, contractual ...
        ar_open   (dims, date of service) -> open insurance and patient
                  balance now; a row goes when both reach zero, so aging
                  sums only days that still owe money
        ar_total  (dims) -> the sum of its ar_open rows, so aging reads
                  only the 121 days of service that are not yet "over 120"
        ar_moves  (dims, day, date of service) -> how much those balances
                  moved that day
        ar_week_total (dims, Sunday) -> the combination's open balances at
                  the end of each ISO week in which they moved (a snapshot)
        ar_weeks  (dims, Sunday, date of service) -> the same by date of
                  service, for the dates still under 121 days old that
                  Sunday; so A/R as of an earlier day is the last snapshot
                  on or before it plus at most one week of moves
        reasons   (dims, kind, day, code) -> count and cents: denials by
                  root cause, rejections by scrub rule
        drill     (dims, kind, day, PCN) -> flag: which claims are behind
                  a figure, for metrics.Drill
        by_month, by_dos_month, reasons_month
                  by_day, by_dos and reasons again with the first day of
                  the month in the day's place: every add goes to both, and
                  a sum reads the months wholly inside its range from these
                  (months.h, ADR 0080)

    Every key starts with the dims id and then a day, so a query is one
    cursor range per dimension combination. Counters are int64 in the host's
    byte order (a store never leaves its machine); keys are big-endian.
*/
#ifndef RCMQ_METRICS_AGGREGATES_H
#define RCMQ_METRICS_AGGREGATES_H

#include "metrics.h"

//  Flow counters per (dims, day), named once here for the enum, the
//  KPI table and the trend command.
#define AGG_DAY_COUNTERS(X) \
    X (received)            /* claims received by intake */ \
    X (received_cents) \
    X (clean)               /* accepted by intake: no scrub error */ \
    X (clean_cents) \
    X (rejected)            /* rejected by intake's scrub */ \
    X (rejected_cents) \
    X (entered)             /* claims entered in the claims service */ \
    X (entered_cents) \
    X (submitted)           /* written to an outbound 837P */ \
    X (acknowledged)        /* 277CA statuses */ \
    X (ack_rejected) \
    X (adjudicated)         /* 835 CLPs posted, by remit date */ \
    X (paid)                /* adjudications that paid something */ \
    X (paid_cents)          /* payments posted, net of reversals */ \
    X (contractual_cents)   /* CO adjustments on paid claims and lines */ \
    X (reversed)            /* CLP02 = 22 */ \
    X (first_adjudicated)   /* claims with their first adjudication that day */ \
    X (first_adjudicated_cents) \
    X (first_denied)        /* ... which was a denial */ \
    X (first_denied_cents) \
    X (denied)              /* denial events (any adjudication) */ \
    X (denied_cents) \
    X (corrected) \
    X (voided) \
    X (closed) \
    X (written_off_cents)   /* insurance balance closed without payment */

//  Cohort counters per (dims, date of service).
#define AGG_DOS_COUNTERS(X) \
    X (claims) \
    X (charge_cents) \
    X (paid_cents) \
    X (contractual_cents) \
    X (patient_responsibility_cents)

#define AGG_ENUM(name) AGG_DAY_##name,
typedef enum { AGG_DAY_COUNTERS (AGG_ENUM) AGG_DAY_COUNT } agg_day_counter_t;
#undef AGG_ENUM
#define AGG_ENUM(name) AGG_DOS_##name,
typedef enum { AGG_DOS_COUNTERS (AGG_ENUM) AGG_DOS_COUNT } agg_dos_counter_t;
#undef AGG_ENUM

extern const char *const agg_day_names [AGG_DAY_COUNT];
extern const char *const agg_dos_names [AGG_DOS_COUNT];

//  Aging buckets by days from date of service to as_of.
#define AGG_BUCKETS 5
typedef struct {
    const char *name;           //  "0_30": the JSON key
    int64_t from_days;
    int64_t to_days;            //  inclusive; INT64_MAX for the last
} agg_bucket_t;
extern const agg_bucket_t agg_buckets [AGG_BUCKETS];
int      agg_bucket_of (int64_t age_days);

//  Reasons and drill indexes.
typedef enum { AGG_REASON_DENIAL = 'D', AGG_REASON_REJECTION = 'R' } agg_reason_kind_t;
typedef enum {
    AGG_DRILL_RECEIVED = 'r',   //  day received; flag: clean
    AGG_DRILL_FIRST = 'f',      //  day of first adjudication; flag: denied
    AGG_DRILL_COHORT = 'c',     //  date of service
    AGG_DRILL_OPEN = 'o',       //  date of service; claims with a balance now
    AGG_DRILL_DENIED = 'd',     //  day of a denial
} agg_drill_kind_t;

//  Writes, inside the caller's transaction. Each returns 0 or an LMDB error.
int  agg_day_add (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t day, const int64_t *delta);
int  agg_dos_add (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t dos, const int64_t *delta);
//  agg_dos_add of a batch's summed adds (batch_cache.h): written true when
//  one of them was not all zero, so the row (and its month's) is there,
//  at zero when new, even when they cancel out, as they one by one left it.
int  agg_dos_add_written (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t dos, const int64_t *delta,
                          bool written);
//  Moves the open balances of (dims, dos) by (insurance, patient) on day.
int  agg_balance_move (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t dos, uint32_t day,
                       int64_t insurance, int64_t patient);
//  agg_balance_move's parts, each a function of the sum of the moves it
//  is given, so a batch may sum the moves and call each once
//  (batch_cache.h): ar_open of (dims, dos); ar_total of dims (written
//  even when the sum is zero: a move had made the row); a move of
//  (dims, dos) on day into ar_moves and the weekly snapshots (the week's
//  snapshot is opened even when the sum is zero: the week saw moves).
int  agg_open_add (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t dos, const int64_t delta [2]);
int  agg_open_total_add (store_t *store, MDB_txn *txn, uint32_t dims, const int64_t delta [2]);
int  agg_move_add (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t dos, uint32_t day,
                   const int64_t delta [2]);
int  agg_reason_add (store_t *store, MDB_txn *txn, agg_reason_kind_t kind, uint32_t dims,
                     uint32_t day, const char *code, int64_t count, int64_t cents);
//  Fills the month tables from by_day, by_dos and reasons (empty month
//  tables: the migration of a store from before they existed, version 1
//  to 2). A store_migrate_fn.
int  agg_months_fill (store_t *store, MDB_txn *txn);
int  agg_drill_put (store_t *store, MDB_txn *txn, agg_drill_kind_t kind, uint32_t dims,
                    uint32_t day, const char *pcn, bool flag);
int  agg_drill_del (store_t *store, MDB_txn *txn, agg_drill_kind_t kind, uint32_t dims,
                    uint32_t day, const char *pcn);

//  Sums for one dims id, adding into out. Days are inclusive.
int  agg_day_sum (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t from, uint32_t to, int64_t *out);
int  agg_dos_sum (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t from, uint32_t to, int64_t *out);
//  Open balances as of the end of day as_of, by aging bucket.
int  agg_ar_as_of (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t as_of,
                   int64_t insurance [AGG_BUCKETS], int64_t patient [AGG_BUCKETS]);

//  code is the key's bytes, length of them (at most 64), not terminated.
typedef void (agg_reason_fn) (void *arg, agg_reason_kind_t kind, const char *code, size_t length,
                              int64_t count, int64_t cents);
int  agg_reasons_sum (store_t *store, MDB_txn *txn, uint32_t dims, agg_reason_kind_t kind,
                      uint32_t from, uint32_t to, agg_reason_fn *fn, void *arg);

//  One drill index entry, for metrics.Drill's walk.
typedef struct {
    uint32_t dims;
    uint32_t day;
    char pcn [128];
    bool flag;
} agg_drill_entry_t;

//  Walks entries of (dims, kind) with day in [from, to] in key order,
//  starting after `after` when it is of the same dims (NULL: from the
//  start). fn returns false to stop. Returns 0 or an LMDB error.
typedef bool (agg_drill_fn) (void *arg, const agg_drill_entry_t *entry);
int  agg_drill_walk (store_t *store, MDB_txn *txn, agg_drill_kind_t kind, uint32_t dims,
                     uint32_t from, uint32_t to, const agg_drill_entry_t *after,
                     agg_drill_fn *fn, void *arg);

#endif
