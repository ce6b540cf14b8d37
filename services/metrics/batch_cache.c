/*  batch_cache: see batch_cache.h. The rows by (table, dims, day) in one
    open-addressing table (a batch touches tens to hundreds of them), the
    reasons' rows, keyed by a code too, in a second one, the ids in a
    zhashx per combination definition.
*/
#include "batch_cache.h"
#include "aggregates.h"
#include "work_facts.h"
#include "facts.h"

#include <czmq.h>

//  What a row is: by_day's, by_dos', or one of metrics_held_t.
#define S_BY_DAY METRICS_HELD_KINDS
#define S_BY_DOS (METRICS_HELD_KINDS + 1)

typedef struct {
    bool used;
    uint8_t kind;               //  S_BY_DAY or a metrics_held_t
    uint32_t dims;
    uint32_t day;
    uint32_t dos;               //  AR_MOVE's date of service; 0 for the rest
    bool written;               //  BY_DOS: an add was not all zero
    int64_t delta [AGG_DAY_COUNT];
} s_row_t;

//  A reasons row: agg_reason_add's key, its code as given (cut where
//  agg_reason_add cuts it).
#define S_CODE_MAX 64
typedef struct {
    bool used;
    char kind;                  //  agg_reason_kind_t
    uint8_t length;
    uint32_t dims;
    uint32_t day;
    char code [S_CODE_MAX + 1];
    int64_t delta [2];
} s_reason_t;

_Static_assert ((int) WORK_FLOW_COUNT <= (int) AGG_DAY_COUNT, "a held row holds every work flow");

//  The held kinds' tables and shapes, in metrics_held_t's order.
static const struct {
    const char *table;
    size_t slots;               //  0: a count under dims alone
} s_held [METRICS_HELD_KINDS] = {
    { "work_by_day", WORK_FLOW_COUNT },
    { "work_open",   0 },
    { "ar_open",     2 },
    { "ar_total",    2 },
    { "ar_moves",    2 },
};

//  The combinations' ids, one table per definition (dims, work dims).
#define S_ID_TABLES 4

struct _metrics_batch_t {
    s_row_t *rows;
    size_t capacity;            //  a power of two
    size_t count;
    //  The used rows' slots, in the order they were made: the flush and
    //  the clear visit these, not the whole table, which keeps the size
    //  the largest batch grew it to (thousands of rows) while a live
    //  batch holds a few.
    uint32_t *used;
    struct {
        const combos_def_t *def;
        zhashx_t *ids;          //  joined values -> id (as a pointer; ids start at 1)
    } ids [S_ID_TABLES];
    zhashx_t *facts;            //  PCN -> a copy of the fact (heap)
    s_reason_t *reasons;
    size_t reason_capacity;     //  a power of two
    size_t reason_count;
};

#define S_START_CAPACITY 256
#define S_START_REASONS  64

metrics_batch_t *
metrics_batch_new (void)
{
    metrics_batch_t *self = (metrics_batch_t *) zmalloc (sizeof (metrics_batch_t));
    self->capacity = S_START_CAPACITY;
    self->rows = (s_row_t *) zmalloc (self->capacity * sizeof (s_row_t));
    self->used = (uint32_t *) zmalloc (self->capacity / 2 * sizeof (uint32_t));
    self->facts = zhashx_new ();
    self->reason_capacity = S_START_REASONS;
    self->reasons = (s_reason_t *) zmalloc (self->reason_capacity * sizeof (s_reason_t));
    assert (self->rows && self->used && self->facts && self->reasons);
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
    free (self->used);
    free (self->reasons);
    for (size_t i = 0; i < S_ID_TABLES; i++)
        zhashx_destroy (&self->ids [i].ids);
    zhashx_destroy (&self->facts);
    free (self);
    *self_p = NULL;
}

void
metrics_batch_clear (metrics_batch_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        memset (&self->rows [self->used [i]], 0, sizeof (s_row_t));
    self->count = 0;
    if (self->reason_count)
        memset (self->reasons, 0, self->reason_capacity * sizeof (s_reason_t));
    self->reason_count = 0;
    for (size_t i = 0; i < S_ID_TABLES && self->ids [i].ids; i++)
        zhashx_purge (self->ids [i].ids);
    zhashx_purge (self->facts);
}

static size_t
s_slot (const s_row_t *rows, size_t capacity, uint8_t kind, uint32_t dims, uint32_t day, uint32_t dos)
{
    uint64_t hash = (((uint64_t) dims << 32 | day) ^ ((uint64_t) kind << 56) ^ ((uint64_t) dos << 20))
                  * 0x9E3779B97F4A7C15ULL;
    size_t slot = (size_t) (hash >> 32) & (capacity - 1);
    while (rows [slot].used && (rows [slot].kind != kind || rows [slot].dims != dims || rows [slot].day != day
                                || rows [slot].dos != dos))
        slot = (slot + 1) & (capacity - 1);
    return slot;
}

static void
s_grow (metrics_batch_t *self)
{
    size_t capacity = self->capacity * 2;
    s_row_t *rows = (s_row_t *) zmalloc (capacity * sizeof (s_row_t));
    uint32_t *used = (uint32_t *) zmalloc (capacity / 2 * sizeof (uint32_t));
    assert (rows && used && capacity <= UINT32_MAX);
    for (size_t i = 0; i < self->count; i++) {
        const s_row_t *row = &self->rows [self->used [i]];
        size_t slot = s_slot (rows, capacity, row->kind, row->dims, row->day, row->dos);
        rows [slot] = *row;
        used [i] = (uint32_t) slot;
    }
    free (self->rows);
    free (self->used);
    self->rows = rows;
    self->used = used;
    self->capacity = capacity;
}

//  The held row of (kind, dims, day), made (zero) when new.
static s_row_t *
s_row (metrics_batch_t *self, uint8_t kind, uint32_t dims, uint32_t day, uint32_t dos)
{
    if (2 * (self->count + 1) > self->capacity)
        s_grow (self);
    size_t slot = s_slot (self->rows, self->capacity, kind, dims, day, dos);
    s_row_t *row = &self->rows [slot];
    if (!row->used) {
        self->used [self->count] = (uint32_t) slot;
        row->used = true;
        row->kind = kind;
        row->dims = dims;
        row->day = day;
        row->dos = dos;
        self->count++;
    }
    return row;
}

void
metrics_batch_day_add (metrics_batch_t *self, uint32_t dims, uint32_t day, const int64_t *delta)
{
    s_row_t *row = s_row (self, S_BY_DAY, dims, day, 0);
    for (size_t i = 0; i < AGG_DAY_COUNT; i++)
        row->delta [i] += delta [i];
}

void
metrics_batch_dos_add (metrics_batch_t *self, uint32_t dims, uint32_t dos, const int64_t *delta)
{
    s_row_t *row = s_row (self, S_BY_DOS, dims, dos, 0);
    for (size_t i = 0; i < AGG_DOS_COUNT; i++) {
        row->delta [i] += delta [i];
        row->written |= delta [i] != 0;
    }
}

static size_t
s_reason_slot (const s_reason_t *reasons, size_t capacity, char kind, uint32_t dims, uint32_t day,
               const char *code, size_t length)
{
    //  FNV-1a over the code, then the numbers mixed in.
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ (uint8_t) code [i]) * 0x100000001b3ULL;
    hash = (hash ^ ((uint64_t) dims << 32 | day) ^ (uint64_t) (uint8_t) kind << 24) * 0x9E3779B97F4A7C15ULL;
    size_t slot = (size_t) (hash >> 32) & (capacity - 1);
    while (reasons [slot].used
       && (reasons [slot].kind != kind || reasons [slot].dims != dims || reasons [slot].day != day
           || reasons [slot].length != length || memcmp (reasons [slot].code, code, length)))
        slot = (slot + 1) & (capacity - 1);
    return slot;
}

void
metrics_batch_reason_add (metrics_batch_t *self, agg_reason_kind_t kind, uint32_t dims, uint32_t day,
                          const char *code, int64_t count, int64_t cents)
{
    if (2 * (self->reason_count + 1) > self->reason_capacity) {
        size_t capacity = self->reason_capacity * 2;
        s_reason_t *reasons = (s_reason_t *) zmalloc (capacity * sizeof (s_reason_t));
        assert (reasons);
        for (size_t i = 0; i < self->reason_capacity; i++) {
            const s_reason_t *from = &self->reasons [i];
            if (from->used)
                reasons [s_reason_slot (reasons, capacity, from->kind, from->dims, from->day, from->code,
                                        from->length)] = *from;
        }
        free (self->reasons);
        self->reasons = reasons;
        self->reason_capacity = capacity;
    }
    size_t length = strnlen (code, S_CODE_MAX);
    s_reason_t *reason = &self->reasons [s_reason_slot (self->reasons, self->reason_capacity, (char) kind, dims,
                                                        day, code, length)];
    if (!reason->used) {
        reason->used = true;
        reason->kind = (char) kind;
        reason->dims = dims;
        reason->day = day;
        reason->length = (uint8_t) length;
        memcpy (reason->code, code, length);
        reason->code [length] = 0;
        self->reason_count++;
    }
    reason->delta [0] += count;
    reason->delta [1] += cents;
}

void
metrics_batch_slot_add (metrics_batch_t *self, metrics_held_t kind, uint32_t dims, uint32_t day,
                        size_t slot, int64_t delta)
{
    assert (kind == METRICS_HELD_WORK_BY_DAY || kind == METRICS_HELD_WORK_OPEN);
    assert (s_held [kind].slots? slot < s_held [kind].slots: slot == 0 && day == 0);
    s_row (self, (uint8_t) kind, dims, day, 0)->delta [slot] += delta;
}

void
metrics_batch_balance_move (metrics_batch_t *self, uint32_t dims, uint32_t dos, uint32_t day,
                            int64_t insurance, int64_t patient)
{
    if (!insurance && !patient)
        return;
    //  Room for the three first: a lookup that grew the table would move
    //  the rows found before it.
    while (2 * (self->count + 3) > self->capacity)
        s_grow (self);
    s_row_t *rows [3] = {
        s_row (self, METRICS_HELD_AR_OPEN, dims, dos, 0),
        s_row (self, METRICS_HELD_AR_TOTAL, dims, 0, 0),
        s_row (self, METRICS_HELD_AR_MOVE, dims, day, dos)
    };
    for (size_t i = 0; i < 3; i++) {
        rows [i]->delta [0] += insurance;
        rows [i]->delta [1] += patient;
    }
}

//  The ids of def's combinations, made on first use (NULL: no room, which
//  only a new definition without a larger S_ID_TABLES would meet).
static zhashx_t *
s_ids (metrics_batch_t *self, const combos_def_t *def)
{
    for (size_t i = 0; i < S_ID_TABLES; i++) {
        if (self->ids [i].def == def)
            return self->ids [i].ids;
        if (!self->ids [i].def) {
            self->ids [i].def = def;
            self->ids [i].ids = zhashx_new ();
            assert (self->ids [i].ids);
            return self->ids [i].ids;
        }
    }
    assert (false);
    return NULL;
}

bool
metrics_batch_dims_get (metrics_batch_t *self, const combos_def_t *def, const char *joined, uint32_t *id)
{
    void *found = zhashx_lookup (s_ids (self, def), joined);
    if (found)
        *id = (uint32_t) (uintptr_t) found;
    return found != NULL;
}

void
metrics_batch_dims_put (metrics_batch_t *self, const combos_def_t *def, const char *joined, uint32_t id)
{
    if (id)
        zhashx_insert (s_ids (self, def), joined, (void *) (uintptr_t) id);
}

//  A held row into the store: what its kind's adds, one by one, would
//  have left.
static int
s_row_write (store_t *store, MDB_txn *txn, const s_row_t *row)
{
    if (row->kind == S_BY_DAY)
        return agg_day_add (store, txn, row->dims, row->day, row->delta);
    if (row->kind == S_BY_DOS)
        return agg_dos_add_written (store, txn, row->dims, row->day, row->delta, row->written);
    if (row->kind == METRICS_HELD_AR_OPEN)
        return agg_open_add (store, txn, row->dims, row->day, row->delta);
    if (row->kind == METRICS_HELD_AR_TOTAL)
        return agg_open_total_add (store, txn, row->dims, row->delta);
    if (row->kind == METRICS_HELD_AR_MOVE)
        return agg_move_add (store, txn, row->dims, row->dos, row->day, row->delta);
    if (s_held [row->kind].slots)
        return metrics_rows_add (store, txn, s_held [row->kind].table, row->dims, row->day,
                                 s_held [row->kind].slots, row->delta);
    uint8_t key [4];
    metrics_u32_write (key, row->dims);
    return metrics_count_add (store, txn, s_held [row->kind].table, key, sizeof key, row->delta [0]);
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
    //  The used rows only, each zeroed once written (the table keeps the
    //  size the largest batch grew it to). In the order they were made,
    //  not the keys': sorting them cost more instructions than the writes
    //  in order saved (docs/performance.md, metrics28).
    size_t written = 0;
    for (; rc == 0 && written < self->count; written++) {
        s_row_t *row = &self->rows [self->used [written]];
        rc = s_row_write (store, txn, row);
        memset (row, 0, sizeof *row);
    }
    //  What a failed write left is cleared below.
    memmove (self->used, self->used + written, (self->count - written) * sizeof (uint32_t));
    self->count -= written;
    for (size_t i = 0; rc == 0 && i < self->reason_capacity; i++) {
        s_reason_t *reason = &self->reasons [i];
        if (reason->used) {
            rc = agg_reason_add (store, txn, (agg_reason_kind_t) reason->kind, reason->dims, reason->day,
                                 reason->code, reason->delta [0], reason->delta [1]);
            memset (reason, 0, sizeof *reason);
            self->reason_count--;
        }
    }
    for (void *fact = zhashx_first (self->facts); rc == 0 && fact; fact = zhashx_next (self->facts))
        rc = facts_write (store, txn, (const char *) zhashx_cursor (self->facts), fact);
    metrics_batch_clear (self);
    return rc;
}

size_t
metrics_batch_rows (metrics_batch_t *self)
{
    return self->count + self->reason_count;
}
