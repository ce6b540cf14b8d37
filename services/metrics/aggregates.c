/*  aggregates: see aggregates.h. Every write is a read-modify-write of one
    row of int64 counters; the helpers below do that once for all tables.
*/
#include "aggregates.h"
#include "months.h"

#include <czmq.h>

#define AGG_NAME(name) #name,
const char *const agg_day_names [AGG_DAY_COUNT] = { AGG_DAY_COUNTERS (AGG_NAME) };
const char *const agg_dos_names [AGG_DOS_COUNT] = { AGG_DOS_COUNTERS (AGG_NAME) };
#undef AGG_NAME

const agg_bucket_t agg_buckets [AGG_BUCKETS] = {
    { "0_30",       0,  30 },
    { "31_60",     31,  60 },
    { "61_90",     61,  90 },
    { "91_120",    91, 120 },
    { "over_120", 121, INT64_MAX },
};

int
agg_bucket_of (int64_t age_days)
{
    //  A date of service after as_of (a claim dated ahead) is current.
    for (int i = 0; i < AGG_BUCKETS; i++)
        if (age_days <= agg_buckets [i].to_days)
            return i;
    return AGG_BUCKETS - 1;
}

//  Adds delta [count] to the row at key; with prune, a row whose counters
//  all reach zero is deleted. All-zero deltas change nothing, unless
//  written (a table not pruned, a batch's sum of moves that cancel out):
//  the row is then there, at zero when new, as the moves one by one
//  would have left it. Through one cursor: the put (or delete) of a
//  row that is there goes where the get found it, not down the tree again
//  (a claim event adds to ~8 rows: issue 19).
static int
s_add_written (store_t *store, MDB_txn *txn, const char *table, const void *key, size_t key_size,
               const int64_t *delta, size_t count, bool prune, bool written)
{
    int64_t row [AGG_DAY_COUNT];
    assert (count <= AGG_DAY_COUNT);
    assert (!(written && prune));
    bool any = written;
    for (size_t i = 0; i < count; i++)
        any |= delta [i] != 0;
    if (!any)
        return 0;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (store, table), &cursor);
    if (rc)
        return rc;
    MDB_val found_key = { key_size, (void *) key }, value;
    rc = mdb_cursor_get (cursor, &found_key, &value, MDB_SET_KEY);
    bool found = rc == 0;
    if (found && value.mv_size == count * sizeof (int64_t))
        memcpy (row, value.mv_data, value.mv_size);
    else
    if (found || rc == MDB_NOTFOUND)
        memset (row, 0, sizeof row);
    else {
        mdb_cursor_close (cursor);
        return rc;
    }
    bool zero = true;
    for (size_t i = 0; i < count; i++) {
        row [i] += delta [i];
        zero &= row [i] == 0;
    }
    if (prune && zero)
        rc = found? mdb_cursor_del (cursor, 0): 0;
    else {
        MDB_val put_key = { key_size, (void *) key };
        MDB_val put_value = { count * sizeof (int64_t), row };
        rc = mdb_cursor_put (cursor, &put_key, &put_value, found? MDB_CURRENT: 0);
    }
    mdb_cursor_close (cursor);
    return rc;
}

static int
s_add (store_t *store, MDB_txn *txn, const char *table, const void *key, size_t key_size,
       const int64_t *delta, size_t count, bool prune)
{
    return s_add_written (store, txn, table, key, key_size, delta, count, prune, false);
}

static size_t
s_key (uint8_t *key, uint32_t dims, uint32_t day)
{
    metrics_u32_write (key, dims);
    metrics_u32_write (key + 4, day);
    return 8;
}

//  A day table and its month twin (months.h): every add goes to both.
typedef struct {
    const char *days;
    const char *months;
    size_t day_at;              //  where the day sits in the key
    size_t counters;
    bool prune;
} s_rollup_t;

static const s_rollup_t s_rollups [] = {
    { "by_day",  "by_month",      4, AGG_DAY_COUNT, false },
    { "by_dos",  "by_dos_month",  4, AGG_DOS_COUNT, false },
    { "reasons", "reasons_month", 5, 2,             true },
};
enum { S_BY_DAY, S_BY_DOS, S_REASONS };

//  A day row's key made its month's: the month's first day in the day's
//  place, the rest as it was.
static void
s_month_key (const s_rollup_t *rollup, uint8_t *key)
{
    uint8_t *day = key + rollup->day_at;
    metrics_u32_write (day, months_first (metrics_u32_read (day)));
}

//  Adds delta to the row at key (its day's), then makes key its month's
//  (s_month_key) and adds delta there.
static int
s_rollup_add (store_t *store, MDB_txn *txn, const s_rollup_t *rollup, uint8_t *key, size_t key_size,
              const int64_t *delta, bool written)
{
    int rc = s_add_written (store, txn, rollup->days, key, key_size, delta, rollup->counters, rollup->prune,
                            written);
    if (rc)
        return rc;
    s_month_key (rollup, key);
    return s_add_written (store, txn, rollup->months, key, key_size, delta, rollup->counters, rollup->prune,
                          written);
}

int
agg_day_add (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t day, const int64_t *delta)
{
    uint8_t key [8];
    return s_rollup_add (store, txn, &s_rollups [S_BY_DAY], key, s_key (key, dims, day), delta, false);
}

int
agg_dos_add (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t dos, const int64_t *delta)
{
    return agg_dos_add_written (store, txn, dims, dos, delta, false);
}

int
agg_dos_add_written (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t dos, const int64_t *delta,
                     bool written)
{
    uint8_t key [8];
    return s_rollup_add (store, txn, &s_rollups [S_BY_DOS], key, s_key (key, dims, dos), delta, written);
}

int
agg_months_fill (store_t *store, MDB_txn *txn)
{
    for (size_t i = 0; i < sizeof s_rollups / sizeof s_rollups [0]; i++) {
        const s_rollup_t *rollup = &s_rollups [i];
        MDB_cursor *cursor;
        int rc = mdb_cursor_open (txn, store_table (store, rollup->days), &cursor);
        if (rc)
            return rc;
        MDB_val key, value;
        rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST);
        for (; rc == 0; rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
            uint8_t month_key [9 + 64];
            int64_t row [AGG_DAY_COUNT];
            if (key.mv_size < rollup->day_at + 4 || key.mv_size > sizeof month_key
            ||  value.mv_size != rollup->counters * sizeof (int64_t)) {
                rc = store_fail (store, "%s: a row of %zu bytes under a key of %zu", rollup->days,
                                 value.mv_size, key.mv_size);
                break;
            }
            memcpy (month_key, key.mv_data, key.mv_size);
            memcpy (row, value.mv_data, value.mv_size);
            s_month_key (rollup, month_key);
            //  A day row at zero (by_day keeps them) makes its month's row,
            //  as the adds one by one did; a pruned month at zero goes.
            rc = s_add_written (store, txn, rollup->months, month_key, key.mv_size, row, rollup->counters,
                                rollup->prune, !rollup->prune);
            if (rc)
                break;
        }
        mdb_cursor_close (cursor);
        if (rc != MDB_NOTFOUND)
            return rc;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Balances and their weekly snapshots
//
//  A/R as of an earlier day D could be today's balances less every move
//  after D, but that reads more rows the more claims (and so the more
//  (day, date of service) moves) there are. Instead, every week in which a
//  combination's balances moved keeps a snapshot of them as of that week's
//  end (Sunday): ar_weeks holds the rows of the dates of service still
//  young enough then to age below "over 120", ar_week_total all of it. A
//  query as of D starts from the last snapshot on or before D and adds the
//  moves after it: those can only be moves of D's own week (any earlier
//  week that moved has a snapshot of its own), so it reads at most one
//  snapshot's young rows and seven days of moves, whatever the volume.
//
//  Weekly rather than monthly: a week bounds the moves a query adds to
//  seven days of ar_moves rows, a month would allow thirty-one. Rather
//  than balances per as-of day: a snapshot is written once per week that
//  moved, and copies only the rows aging reads (the dates of service not
//  yet over 120 days old, and one total), not every date every day.
//
//  They are written here, with the move, so in the consumer's transaction.
//  A snapshot's content is a function of the moves alone (every move on or
//  before its Sunday), and the set of snapshots is the set of weeks that
//  saw a move, so the order moves arrive in (a live run, a rebuild, a
//  claim posted late) changes nothing a query reads.

//  The last day (Sunday) of the ISO week holding day; day 1 (1970-01-01)
//  was a Thursday.
static uint32_t
s_week_end (uint32_t day)
{
    return day + 6 - (uint32_t) (((int64_t) day + 2) % 7);
}

//  The oldest date of service that is not yet "over 120" as of as_of.
static uint32_t
s_young (uint32_t as_of)
{
    int64_t oldest = agg_buckets [AGG_BUCKETS - 1].from_days;
    return as_of > oldest? as_of - (uint32_t) oldest + 1: 0;
}

//  Finds the last key of table (dims, day) with day in [from, to], for
//  tables keyed (dims, day ...). Returns 0 and sets *found, or an LMDB error.
static int
s_last_day (store_t *store, MDB_txn *txn, const char *table, uint32_t dims, uint32_t from,
            uint32_t to, uint32_t *found, MDB_val *value)
{
    *found = 0;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (store, table), &cursor);
    if (rc)
        return rc;
    uint8_t start [8];
    //  The first key after (dims, to), then one back.
    uint32_t next_dims = to == UINT32_MAX? dims + 1: dims;
    s_key (start, next_dims, to == UINT32_MAX? 0: to + 1);
    MDB_val key = { sizeof start, start }, row;
    rc = next_dims < dims? MDB_NOTFOUND: mdb_cursor_get (cursor, &key, &row, MDB_SET_RANGE);
    rc = mdb_cursor_get (cursor, &key, &row, rc == MDB_NOTFOUND? MDB_LAST: MDB_PREV);
    if (rc == 0 && key.mv_size >= 8 && metrics_u32_read (key.mv_data) == dims) {
        uint32_t day = metrics_u32_read ((const uint8_t *) key.mv_data + 4);
        if (day >= from && day <= to) {
            *found = day;
            if (value)
                *value = row;
        }
    }
    mdb_cursor_close (cursor);
    return rc == MDB_NOTFOUND? 0: rc;
}

//  Opens the snapshot of (dims, week) before the week's first move: the
//  previous snapshot carried over, since nothing moved in between.
static int
s_snapshot_open (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t week)
{
    uint32_t previous;
    MDB_val value;
    int64_t total [2] = { 0, 0 };
    int rc = s_last_day (store, txn, "ar_week_total", dims, 0, week - 1, &previous, &value);
    if (rc)
        return rc;
    if (previous && value.mv_size == sizeof total)
        memcpy (total, value.mv_data, sizeof total);
    uint8_t key [12];
    s_key (key, dims, week);
    //  The total row is written even at zero: it marks the week as moved.
    rc = store_put (store, txn, "ar_week_total", key, 8, total, sizeof total);
    if (rc || !previous)
        return rc;
    //  The previous week's rows that are still young at this week's end.
    //  Collected first, then written, not to write under a cursor.
    uint8_t prefix [8], young [4];
    s_key (prefix, dims, previous);
    metrics_u32_write (young, s_young (week));
    store_iter_t *iter = store_iter_new (store, txn, "ar_weeks", prefix, sizeof prefix);
    store_iter_seek (iter, young, sizeof young);
    MDB_val row_key, row;
    size_t count = 0, capacity = 0;
    struct { uint32_t dos; int64_t balance [2]; } *rows = NULL;
    while (store_iter_next (iter, &row_key, &row) && row_key.mv_size == 12) {
        if (row.mv_size == sizeof rows [0].balance) {
            if (count == capacity) {
                capacity = capacity? capacity * 2: 256;
                rows = realloc (rows, capacity * sizeof rows [0]);
                assert (rows);
            }
            rows [count].dos = metrics_u32_read ((const uint8_t *) row_key.mv_data + 8);
            memcpy (rows [count].balance, row.mv_data, sizeof rows [0].balance);
            count++;
        }
    }
    rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    for (size_t i = 0; i < count && rc == 0; i++) {
        metrics_u32_write (key + 8, rows [i].dos);
        rc = store_put (store, txn, "ar_weeks", key, 12, rows [i].balance, sizeof rows [i].balance);
    }
    free (rows);
    return rc;
}

//  Adds a move of (dims, dos) on day to every snapshot it belongs in: its
//  own week's (opened if this is the week's first move) and any later
//  week's already there (when a move is posted late).
static int
s_snapshot_move (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t dos, uint32_t day,
                 const int64_t *delta)
{
    uint32_t week = s_week_end (day);
    uint8_t key [12];
    s_key (key, dims, week);
    MDB_val value;
    int rc = store_get (store, txn, "ar_week_total", key, 8, &value);
    if (rc == MDB_NOTFOUND)
        rc = s_snapshot_open (store, txn, dims, week);
    if (rc)
        return rc;
    MDB_cursor *cursor;
    rc = mdb_cursor_open (txn, store_table (store, "ar_week_total"), &cursor);
    if (rc)
        return rc;
    MDB_val total_key = { 8, key };
    rc = mdb_cursor_get (cursor, &total_key, &value, MDB_SET_RANGE);
    while (rc == 0 && total_key.mv_size == 8 && metrics_u32_read (total_key.mv_data) == dims) {
        uint32_t snapshot = metrics_u32_read ((const uint8_t *) total_key.mv_data + 4);
        int64_t total [2] = { 0, 0 };
        if (value.mv_size == sizeof total)
            memcpy (total, value.mv_data, sizeof total);
        total [0] += delta [0];
        total [1] += delta [1];
        MDB_val update = { sizeof total, total };
        rc = mdb_cursor_put (cursor, &total_key, &update, MDB_CURRENT);
        if (rc == 0 && dos >= s_young (snapshot)) {
            uint8_t row_key [12];
            s_key (row_key, dims, snapshot);
            metrics_u32_write (row_key + 8, dos);
            rc = s_add (store, txn, "ar_weeks", row_key, 12, delta, 2, true);
        }
        if (rc == 0)
            rc = mdb_cursor_get (cursor, &total_key, &value, MDB_NEXT);
    }
    mdb_cursor_close (cursor);
    return rc == MDB_NOTFOUND? 0: rc;
}

int
agg_balance_move (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t dos, uint32_t day,
                  int64_t insurance, int64_t patient)
{
    int64_t delta [2] = { insurance, patient };
    if (!insurance && !patient)
        return 0;
    int rc = agg_open_add (store, txn, dims, dos, delta);
    if (rc == 0)
        rc = agg_open_total_add (store, txn, dims, delta);
    if (rc == 0)
        rc = agg_move_add (store, txn, dims, dos, day, delta);
    return rc;
}

int
agg_open_add (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t dos, const int64_t delta [2])
{
    uint8_t key [8];
    return s_add (store, txn, "ar_open", key, s_key (key, dims, dos), delta, 2, true);
}

int
agg_open_total_add (store_t *store, MDB_txn *txn, uint32_t dims, const int64_t delta [2])
{
    uint8_t key [4];
    metrics_u32_write (key, dims);
    return s_add_written (store, txn, "ar_total", key, 4, delta, 2, false, true);
}

int
agg_move_add (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t dos, uint32_t day, const int64_t delta [2])
{
    int rc = s_snapshot_move (store, txn, dims, dos, day, delta);
    if (rc)
        return rc;
    uint8_t key [12];
    s_key (key, dims, day);
    metrics_u32_write (key + 8, dos);
    return s_add (store, txn, "ar_moves", key, 12, delta, 2, true);
}

//  (dims, kind, day, text): the key of reasons and drill rows.
static size_t
s_text_key (uint8_t *key, size_t size, uint32_t dims, char kind, uint32_t day, const char *text)
{
    metrics_u32_write (key, dims);
    key [4] = (uint8_t) kind;
    metrics_u32_write (key + 5, day);
    size_t length = strlen (text);
    if (length > size - 9)
        length = size - 9;
    memcpy (key + 9, text, length);
    return 9 + length;
}

int
agg_reason_add (store_t *store, MDB_txn *txn, agg_reason_kind_t kind, uint32_t dims,
                uint32_t day, const char *code, int64_t count, int64_t cents)
{
    uint8_t key [9 + 64];
    int64_t delta [2] = { count, cents };
    size_t size = s_text_key (key, sizeof key, dims, (char) kind, day, *code? code: "uncategorized");
    return s_rollup_add (store, txn, &s_rollups [S_REASONS], key, size, delta, false);
}

int
agg_drill_put (store_t *store, MDB_txn *txn, agg_drill_kind_t kind, uint32_t dims,
               uint32_t day, const char *pcn, bool flag)
{
    uint8_t key [9 + 128];
    uint8_t value = flag;
    size_t size = s_text_key (key, sizeof key, dims, (char) kind, day, pcn);
    return store_put (store, txn, "drill", key, size, &value, 1);
}

int
agg_drill_del (store_t *store, MDB_txn *txn, agg_drill_kind_t kind, uint32_t dims,
               uint32_t day, const char *pcn)
{
    uint8_t key [9 + 128];
    size_t size = s_text_key (key, sizeof key, dims, (char) kind, day, pcn);
    int rc = store_del (store, txn, "drill", key, size);
    return rc == MDB_NOTFOUND? 0: rc;
}

//  --------------------------------------------------------------------------
//  Sums

//  Calls fn for each row of table whose key starts with prefix [prefix_size]
//  followed by a big-endian day in [from, to]. A query calls this for
//  every row it sums, so the walk is a bare cursor: one seek, then
//  MDB_NEXT, with the prefix compared here rather than through
//  store_iter (which allocates per walk and calls memcmp per row).
typedef void (s_row_fn) (void *arg, const MDB_val *key, const MDB_val *value);

static int
s_range (store_t *store, MDB_txn *txn, const char *table, const uint8_t *prefix, size_t prefix_size,
         uint32_t from, uint32_t to, s_row_fn *fn, void *arg)
{
    if (from > to)
        return 0;
    uint8_t start [16];
    assert (prefix_size + 4 <= sizeof start);
    memcpy (start, prefix, prefix_size);
    metrics_u32_write (start + prefix_size, from);
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (store, table), &cursor);
    if (rc)
        return rc;
    MDB_val key = { prefix_size + 4, start }, value;
    rc = mdb_cursor_get (cursor, &key, &value, MDB_SET_RANGE);
    while (rc == 0) {
        const uint8_t *bytes = (const uint8_t *) key.mv_data;
        if (key.mv_size < prefix_size + 4)
            break;
        bool same = true;
        for (size_t i = 0; i < prefix_size && same; i++)
            same = bytes [i] == prefix [i];
        const uint8_t *day = bytes + prefix_size;
        if (!same
        ||  ((uint32_t) day [0] << 24 | (uint32_t) day [1] << 16 | (uint32_t) day [2] << 8 | day [3]) > to)
            break;
        fn (arg, &key, &value);
        rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT);
    }
    mdb_cursor_close (cursor);
    return rc == MDB_NOTFOUND? 0: rc;
}

//  Adds a row of count int64 counters to out, counter by counter from the
//  page (LMDB aligns values to 2 bytes only), not through a copy of the
//  row; one function per table so that count is a constant the compiler
//  unrolls: a query adds one such row per (combination, day).
static inline void
s_sum_counters (int64_t *out, const MDB_val *value, size_t count)
{
    if (value->mv_size != count * sizeof (int64_t))
        return;
    const uint8_t *data = (const uint8_t *) value->mv_data;
    for (size_t i = 0; i < count; i++) {
        int64_t counter;
        memcpy (&counter, data + i * sizeof counter, sizeof counter);
        out [i] += counter;
    }
}

static void
s_day_row (void *arg, const MDB_val *key, const MDB_val *value)
{
    (void) key;
    s_sum_counters ((int64_t *) arg, value, AGG_DAY_COUNT);
}

static void
s_dos_row (void *arg, const MDB_val *key, const MDB_val *value)
{
    (void) key;
    s_sum_counters ((int64_t *) arg, value, AGG_DOS_COUNT);
}

//  s_range over [from, to] of a rolled-up table: the whole months from
//  its month twin, the days around them from the day table.
static int
s_rollup_range (store_t *store, MDB_txn *txn, const s_rollup_t *rollup, const uint8_t *prefix,
                uint32_t from, uint32_t to, s_row_fn *fn, void *arg)
{
    months_span_t spans [MONTHS_SPANS_MAX];
    size_t count = months_split (from, to, spans);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = s_range (store, txn, spans [i].months? rollup->months: rollup->days, prefix, rollup->day_at,
                      spans [i].from, spans [i].to, fn, arg);
    return rc;
}

int
agg_day_sum (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t from, uint32_t to, int64_t *out)
{
    uint8_t prefix [4];
    metrics_u32_write (prefix, dims);
    return s_rollup_range (store, txn, &s_rollups [S_BY_DAY], prefix, from, to, s_day_row, out);
}

int
agg_dos_sum (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t from, uint32_t to, int64_t *out)
{
    uint8_t prefix [4];
    metrics_u32_write (prefix, dims);
    return s_rollup_range (store, txn, &s_rollups [S_BY_DOS], prefix, from, to, s_dos_row, out);
}

typedef struct {
    uint32_t as_of;
    int64_t sign;
    size_t dos_offset;          //  where the date of service sits in the key
    int64_t *insurance;
    int64_t *patient;
    int64_t seen [2];           //  what the rows added up to
} s_aging_t;

static void
s_aging_row (void *arg, const MDB_val *key, const MDB_val *value)
{
    s_aging_t *aging = (s_aging_t *) arg;
    int64_t row [2];
    if (value->mv_size != sizeof row)
        return;
    memcpy (row, value->mv_data, sizeof row);
    uint32_t dos = metrics_u32_read ((const uint8_t *) key->mv_data + aging->dos_offset);
    int bucket = agg_bucket_of ((int64_t) aging->as_of - (int64_t) dos);
    aging->insurance [bucket] += aging->sign * row [0];
    aging->patient [bucket] += aging->sign * row [1];
    aging->seen [0] += row [0];
    aging->seen [1] += row [1];
}

int
agg_ar_as_of (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t as_of,
              int64_t insurance [AGG_BUCKETS], int64_t patient [AGG_BUCKETS])
{
    uint8_t prefix [8];
    metrics_u32_write (prefix, dims);
    uint32_t young = s_young (as_of);
    //  Nothing moved after as_of (the usual query, as of today): today's
    //  open balances are the answer.
    uint32_t last_move;
    int rc = s_last_day (store, txn, "ar_moves", dims, as_of == UINT32_MAX? UINT32_MAX: as_of + 1,
                         UINT32_MAX, &last_move, NULL);
    if (rc)
        return rc;
    const char *rows = "ar_open", *totals = "ar_total";
    size_t prefix_size = 4;
    uint32_t snapshot = 0;
    if (last_move) {
        //  Otherwise the last weekly snapshot on or before as_of, plus the
        //  moves after it (of as_of's week only). No snapshot: nothing had
        //  moved before as_of's week, and its moves are the whole balance.
        rc = s_last_day (store, txn, "ar_week_total", dims, 0, as_of, &snapshot, NULL);
        if (rc)
            return rc;
        rows = "ar_weeks";
        totals = "ar_week_total";
        s_key (prefix, dims, snapshot);
        prefix_size = 8;
    }
    //  Balances by date of service, day by day for the dates young enough
    //  to fall in a bucket below "over 120" ...
    s_aging_t aging = { as_of, 1, prefix_size, insurance, patient, { 0, 0 } };
    if (!last_move || snapshot)
        rc = s_range (store, txn, rows, prefix, prefix_size, young, UINT32_MAX, s_aging_row, &aging);
    if (rc)
        return rc;
    //  ... and the rest, all over 120 days, as the total less those.
    MDB_val value;
    rc = !last_move || snapshot? store_get (store, txn, totals, prefix, prefix_size, &value): MDB_NOTFOUND;
    if (rc == 0 && value.mv_size == 2 * sizeof (int64_t)) {
        int64_t total [2];
        memcpy (total, value.mv_data, sizeof total);
        insurance [AGG_BUCKETS - 1] += total [0] - aging.seen [0];
        patient [AGG_BUCKETS - 1] += total [1] - aging.seen [1];
    }
    else
    if (rc != MDB_NOTFOUND && rc != 0)
        return rc;
    if (!last_move)
        return 0;
    //  Plus the moves after the snapshot, up to as_of.
    aging = (s_aging_t) { as_of, 1, 8, insurance, patient, { 0, 0 } };
    return s_range (store, txn, "ar_moves", prefix, 4, snapshot + 1, as_of, s_aging_row, &aging);
}

typedef struct {
    agg_reason_kind_t kind;
    agg_reason_fn *fn;
    void *arg;
} s_reasons_t;

static void
s_reason_row (void *arg, const MDB_val *key, const MDB_val *value)
{
    s_reasons_t *reasons = (s_reasons_t *) arg;
    int64_t row [2];
    if (value->mv_size != sizeof row)
        return;
    memcpy (row, value->mv_data, sizeof row);
    size_t length = key->mv_size - 9 < 64? key->mv_size - 9: 64;
    reasons->fn (reasons->arg, reasons->kind, (const char *) key->mv_data + 9, length, row [0], row [1]);
}

int
agg_reasons_sum (store_t *store, MDB_txn *txn, uint32_t dims, agg_reason_kind_t kind,
                 uint32_t from, uint32_t to, agg_reason_fn *fn, void *arg)
{
    uint8_t prefix [5];
    metrics_u32_write (prefix, dims);
    prefix [4] = (uint8_t) kind;
    s_reasons_t reasons = { kind, fn, arg };
    return s_rollup_range (store, txn, &s_rollups [S_REASONS], prefix, from, to, s_reason_row, &reasons);
}

int
agg_drill_walk (store_t *store, MDB_txn *txn, agg_drill_kind_t kind, uint32_t dims,
                uint32_t from, uint32_t to, const agg_drill_entry_t *after,
                agg_drill_fn *fn, void *arg)
{
    uint8_t prefix [5], start [9 + 128];
    metrics_u32_write (prefix, dims);
    prefix [4] = (uint8_t) kind;
    bool resume = after && after->dims == dims && after->day >= from;
    size_t start_size = s_text_key (start, sizeof start, dims, (char) kind,
                                    resume? after->day: from, resume? after->pcn: "");
    store_iter_t *iter = store_iter_new (store, txn, "drill", prefix, sizeof prefix);
    store_iter_seek (iter, start + sizeof prefix, start_size - sizeof prefix);
    MDB_val key, value;
    bool first = true;
    while (store_iter_next (iter, &key, &value)) {
        //  Resuming lands on the last entry returned: step past it.
        bool returned = first && resume && key.mv_size == start_size && !memcmp (key.mv_data, start, start_size);
        first = false;
        if (returned)
            continue;
        if (key.mv_size < 9)
            break;
        agg_drill_entry_t entry;
        entry.dims = dims;
        entry.day = metrics_u32_read ((const uint8_t *) key.mv_data + 5);
        if (entry.day > to)
            break;
        size_t length = key.mv_size - 9 < sizeof entry.pcn - 1? key.mv_size - 9: sizeof entry.pcn - 1;
        memcpy (entry.pcn, (const char *) key.mv_data + 9, length);
        entry.pcn [length] = 0;
        entry.flag = value.mv_size == 1 && *(const uint8_t *) value.mv_data;
        if (!fn (arg, &entry))
            break;
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    return rc;
}
