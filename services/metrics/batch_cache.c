/*  batch_cache: see batch_cache.h. The rows by (dims, day) in an open-addressing table
    (a batch touches tens to hundreds of them), the ids in a zhashx.
*/
#include "batch_cache.h"
#include "aggregates.h"
#include "facts.h"

#include <czmq.h>

typedef struct {
    bool used;
    uint32_t dims;
    uint32_t day;
    int64_t delta [AGG_DAY_COUNT];
} s_row_t;

struct _metrics_batch_t {
    s_row_t *rows;
    size_t capacity;            //  a power of two
    size_t count;
    zhashx_t *dims_ids;         //  joined values -> id (as a pointer; ids start at 1)
    zhashx_t *facts;            //  PCN -> a copy of the fact (heap)
};

#define S_START_CAPACITY 256

metrics_batch_t *
metrics_batch_new (void)
{
    metrics_batch_t *self = (metrics_batch_t *) zmalloc (sizeof (metrics_batch_t));
    self->capacity = S_START_CAPACITY;
    self->rows = (s_row_t *) zmalloc (self->capacity * sizeof (s_row_t));
    self->dims_ids = zhashx_new ();
    self->facts = zhashx_new ();
    assert (self->rows && self->dims_ids && self->facts);
    zhashx_set_destructor (self->facts, (zhashx_destructor_fn *) zstr_free);
    return self;
}

void
metrics_batch_destroy (metrics_batch_t **self_p)
{
    metrics_batch_t *self = *self_p;
    if (!self)
        return;
    free (self->rows);
    zhashx_destroy (&self->dims_ids);
    zhashx_destroy (&self->facts);
    free (self);
    *self_p = NULL;
}

void
metrics_batch_clear (metrics_batch_t *self)
{
    if (self->count)
        memset (self->rows, 0, self->capacity * sizeof (s_row_t));
    self->count = 0;
    zhashx_purge (self->dims_ids);
    zhashx_purge (self->facts);
}

static size_t
s_slot (const s_row_t *rows, size_t capacity, uint32_t dims, uint32_t day)
{
    uint64_t hash = ((uint64_t) dims << 32 | day) * 0x9E3779B97F4A7C15ULL;
    size_t slot = (size_t) (hash >> 32) & (capacity - 1);
    while (rows [slot].used && (rows [slot].dims != dims || rows [slot].day != day))
        slot = (slot + 1) & (capacity - 1);
    return slot;
}

static void
s_grow (metrics_batch_t *self)
{
    size_t capacity = self->capacity * 2;
    s_row_t *rows = (s_row_t *) zmalloc (capacity * sizeof (s_row_t));
    assert (rows);
    for (size_t i = 0; i < self->capacity; i++)
        if (self->rows [i].used)
            rows [s_slot (rows, capacity, self->rows [i].dims, self->rows [i].day)] = self->rows [i];
    free (self->rows);
    self->rows = rows;
    self->capacity = capacity;
}

void
metrics_batch_day_add (metrics_batch_t *self, uint32_t dims, uint32_t day, const int64_t *delta)
{
    if (2 * (self->count + 1) > self->capacity)
        s_grow (self);
    s_row_t *row = &self->rows [s_slot (self->rows, self->capacity, dims, day)];
    if (!row->used) {
        row->used = true;
        row->dims = dims;
        row->day = day;
        self->count++;
    }
    for (size_t i = 0; i < AGG_DAY_COUNT; i++)
        row->delta [i] += delta [i];
}

bool
metrics_batch_dims_get (metrics_batch_t *self, const char *joined, uint32_t *id)
{
    void *found = zhashx_lookup (self->dims_ids, joined);
    if (found)
        *id = (uint32_t) (uintptr_t) found;
    return found != NULL;
}

void
metrics_batch_dims_put (metrics_batch_t *self, const char *joined, uint32_t id)
{
    if (id)
        zhashx_insert (self->dims_ids, joined, (void *) (uintptr_t) id);
}

const void *
metrics_batch_fact (metrics_batch_t *self, const char *pcn)
{
    return zhashx_lookup (self->facts, pcn);
}

void
metrics_batch_fact_keep (metrics_batch_t *self, const char *pcn, const void *fact, size_t size)
{
    void *kept = zhashx_lookup (self->facts, pcn);
    if (!kept) {
        kept = malloc (size);
        assert (kept);
        zhashx_insert (self->facts, pcn, kept);
    }
    memcpy (kept, fact, size);
}

int
metrics_batch_flush (metrics_batch_t *self, store_t *store, MDB_txn *txn)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < self->capacity; i++)
        if (self->rows [i].used)
            rc = agg_day_add (store, txn, self->rows [i].dims, self->rows [i].day, self->rows [i].delta);
    for (void *fact = zhashx_first (self->facts); rc == 0 && fact; fact = zhashx_next (self->facts))
        rc = facts_write (store, txn, (const char *) zhashx_cursor (self->facts), fact);
    metrics_batch_clear (self);
    return rc;
}

size_t
metrics_batch_rows (metrics_batch_t *self)
{
    return self->count;
}
