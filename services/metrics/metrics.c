/*  metrics: the helpers every part shares (see metrics.h): big-endian key
    parts, days, the wipe behind metrics.Rebuild, and the service's state.
*/
#include "metrics.h"
#include "aggregates.h"
#include "batch_cache.h"
#include "clock.h"
#include "log.h"

#include <czmq.h>

const store_migration_t metrics_migrations [] = {
    { 1, 2, agg_months_fill, "by_day, by_dos and reasons rolled up by month (ADR 0080)" },
    { 0 }
};

void
metrics_u32_write (uint8_t *buf, uint32_t value)
{
    buf [0] = (uint8_t) (value >> 24);
    buf [1] = (uint8_t) (value >> 16);
    buf [2] = (uint8_t) (value >> 8);
    buf [3] = (uint8_t) value;
}

uint32_t
metrics_u32_read (const void *buf)
{
    const uint8_t *bytes = (const uint8_t *) buf;
    return (uint32_t) bytes [0] << 24 | (uint32_t) bytes [1] << 16 | (uint32_t) bytes [2] << 8 | bytes [3];
}

int
metrics_count_add (store_t *store, MDB_txn *txn, const char *table, const void *key, size_t key_size, int64_t delta)
{
    int64_t count = 0;
    MDB_val value;
    int rc = store_get (store, txn, table, key, key_size, &value);
    if (rc == 0 && value.mv_size == sizeof count)
        memcpy (&count, value.mv_data, sizeof count);
    else
    if (rc == 0)
        return store_fail (store, "%s: a row of %zu bytes", table, value.mv_size);
    else
    if (rc != MDB_NOTFOUND)
        return rc;
    count += delta;
    if (count == 0)
        return rc == 0? store_del (store, txn, table, key, key_size): 0;
    return store_put (store, txn, table, key, key_size, &count, sizeof count);
}

int
metrics_count_get (store_t *store, MDB_txn *txn, const char *table, uint32_t dims, int64_t *count)
{
    uint8_t key [4];
    metrics_u32_write (key, dims);
    MDB_val value;
    int rc = store_get (store, txn, table, key, 4, &value);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc == 0 && value.mv_size == sizeof (int64_t)) {
        int64_t stored;
        memcpy (&stored, value.mv_data, sizeof stored);
        *count += stored;
    }
    return rc;
}

int
metrics_row_add (store_t *store, MDB_txn *txn, const char *table, uint32_t dims, uint64_t at_ms,
                 size_t slots, size_t slot, int64_t delta)
{
    assert (slot < slots && slots <= METRICS_ROW_SLOTS_MAX);
    int64_t deltas [METRICS_ROW_SLOTS_MAX] = { 0 };
    deltas [slot] = delta;
    return metrics_rows_add (store, txn, table, dims, metrics_day_from_ms (at_ms), slots, deltas);
}

int
metrics_rows_add (store_t *store, MDB_txn *txn, const char *table, uint32_t dims, uint32_t day,
                  size_t slots, const int64_t *delta)
{
    assert (slots <= METRICS_ROW_SLOTS_MAX);
    uint8_t key [8];
    metrics_u32_write (key, dims);
    metrics_u32_write (key + 4, day);
    int64_t row [METRICS_ROW_SLOTS_MAX] = { 0 };
    size_t size = slots * sizeof (int64_t);
    //  One cursor: the put goes where the get found the row (aggregates.c,
    //  s_add). The row is written even when the deltas are zero, as a
    //  single add has always written it.
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (store, table), &cursor);
    if (rc)
        return rc;
    MDB_val found_key = { 8, key }, value;
    rc = mdb_cursor_get (cursor, &found_key, &value, MDB_SET_KEY);
    bool found = rc == 0;
    if (found && value.mv_size == size)
        memcpy (row, value.mv_data, size);
    else
    if (found)
        rc = store_fail (store, "%s: a row of %zu bytes, not %zu", table, value.mv_size, size);
    if (rc == 0 || rc == MDB_NOTFOUND) {
        for (size_t i = 0; i < slots; i++)
            row [i] += delta [i];
        MDB_val put_key = { 8, key }, put_value = { size, row };
        rc = mdb_cursor_put (cursor, &put_key, &put_value, found? MDB_CURRENT: 0);
    }
    mdb_cursor_close (cursor);
    return rc;
}

int
metrics_rows_sum (store_t *store, MDB_txn *txn, const char *table, uint32_t dims, uint32_t from, uint32_t to,
                  size_t slots, int64_t *out)
{
    if (from > to)
        return 0;
    uint8_t prefix [4], day [4];
    metrics_u32_write (prefix, dims);
    metrics_u32_write (day, from);
    store_iter_t *iter = store_iter_new (store, txn, table, prefix, 4);
    store_iter_seek (iter, day, 4);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        if (key.mv_size != 8 || metrics_u32_read ((const uint8_t *) key.mv_data + 4) > to)
            break;
        if (value.mv_size != slots * sizeof (int64_t))
            continue;
        for (size_t i = 0; i < slots; i++) {
            int64_t count;
            memcpy (&count, (const uint8_t *) value.mv_data + i * sizeof count, sizeof count);
            out [i] += count;
        }
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    return rc;
}

uint32_t
metrics_day_from_ms (uint64_t ms)
{
    return (uint32_t) (ms / CLOCK_MS_PER_DAY) + 1;
}

static bool
s_digits (const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (text [i] < '0' || text [i] > '9')
            return false;
    return true;
}

static int
s_number (const char *text, size_t n)
{
    int value = 0;
    for (size_t i = 0; i < n; i++)
        value = value * 10 + (text [i] - '0');
    return value;
}

uint32_t
metrics_day_from_text (const char *text)
{
    if (!text)
        return 0;
    int year, month, day;
    char tail;
    size_t length = strlen (text);
    //  Every claim event carries its date of service: the usual shapes
    //  are read by hand (sscanf was 2.7 % of metrics' instructions),
    //  anything else as before.
    if (length == 10 && s_digits (text, 4) && text [4] == '-' && s_digits (text + 5, 2)
    &&  text [7] == '-' && s_digits (text + 8, 2)) {
        year = s_number (text, 4);
        month = s_number (text + 5, 2);
        day = s_number (text + 8, 2);
    }
    else
    if (length == 8 && strspn (text, "0123456789") == 8) {
        year = s_number (text, 4);
        month = s_number (text + 4, 2);
        day = s_number (text + 6, 2);
    }
    else
    if (length == 10 && sscanf (text, "%4d-%2d-%2d%c", &year, &month, &day, &tail) == 3)
        ;
    else
        return 0;
    if (year < 1971 || month < 1 || month > 12 || day < 1 || day > 31)
        return 0;
    int64_t days = clock_days_from_civil (year, month, day);
    //  Reject 2026-02-31 and the like: the civil date must come back.
    int y, m, d;
    clock_civil_from_days (days, &y, &m, &d);
    if (y != year || m != month || d != day)
        return 0;
    return (uint32_t) days + 1;
}

void
metrics_day_format (uint32_t day, char *buf, size_t size)
{
    if (day == 0) {
        snprintf (buf, size, "%s", "");
        return;
    }
    int year, month, mday;
    clock_civil_from_days ((int64_t) day - 1, &year, &month, &mday);
    snprintf (buf, size, "%04d-%02d-%02d", year, month, mday);
}

uint32_t
metrics_today (void)
{
    return metrics_day_from_ms (clock_now_ms ());
}

int
metrics_wipe (store_t *store, MDB_txn *txn, uint64_t *facts, uint64_t *rows)
{
    static const char *const tables [] = { METRICS_TABLES, "offsets", NULL };
    *facts = store_count (store, txn, "facts");
    *rows = 0;
    for (const char *const *table = tables; *table; table++) {
        *rows += store_count (store, txn, *table);
        int rc = mdb_drop (txn, store_table (store, *table), 0);
        if (rc)
            return rc;
    }
    int rc = store_del (store, txn, "meta", "metrics_dims_next", strlen ("metrics_dims_next"));
    return rc == MDB_NOTFOUND? 0: rc;
}

struct _metrics_t {
    service_t *service;
    bool rebuild_requested;     //  by metrics.Rebuild, until the next commit
    uint64_t generation;        //  the rebuild generation the consumer runs on
    metrics_batch_t *batch;     //  what the consumer's batch holds (batch_cache.h)
    bool batch_open;            //  between a batch's start and its end
};

//  The rebuild generation in the store; -1 (logged) when it cannot be read.
static int
s_stored_generation (store_t *store, uint64_t *generation)
{
    MDB_txn *txn = store_read_begin (store);
    int rc = txn? store_get_u64 (store, txn, "meta", "metrics_generation", generation): -1;
    store_read_end (&txn);
    if (rc)
        log_error ("cannot read the rebuild generation", "error", json_string (store_error (store)), NULL);
    return rc;
}

metrics_t *
metrics_new (service_t *service)
{
    metrics_t *self = (metrics_t *) zmalloc (sizeof (metrics_t));
    self->service = service;
    self->batch = metrics_batch_new ();
    if (service && s_stored_generation (service_store (service), &self->generation))
        metrics_destroy (&self);
    return self;
}

void
metrics_destroy (metrics_t **self_p)
{
    if (*self_p)
        metrics_batch_destroy (&(*self_p)->batch);
    free (*self_p);
    *self_p = NULL;
}

void
metrics_rebuild_requested (metrics_t *self)
{
    self->rebuild_requested = true;
}

void
metrics_committed (metrics_t *self)
{
    if (!self->rebuild_requested || !self->service)
        return;
    self->rebuild_requested = false;
    uint64_t generation;
    if (s_stored_generation (service_store (self->service), &generation) || generation == self->generation)
        return;             //  the rebuild's transaction did not commit
    self->generation = generation;
    consumer_reset (service_consumer (self->service));
    log_info ("metrics rebuild: replaying every stream from seq 1",
              "generation", json_integer ((json_int_t) generation), NULL);
}

int
metrics_batch (store_t *store, MDB_txn *txn, bool end, void *state)
{
    metrics_t *self = (metrics_t *) state;
    if (!self)
        return 0;
    int rc = 0;
    if (end && self->batch_open)
        rc = metrics_batch_flush (self->batch, store, txn);
    else
        metrics_batch_clear (self->batch);
    self->batch_open = !end;
    return rc;
}

metrics_batch_t *
metrics_open_batch (void *state)
{
    metrics_t *self = (metrics_t *) state;
    return self && self->batch_open? self->batch: NULL;
}
