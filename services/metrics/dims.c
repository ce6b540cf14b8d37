/*  dims: see dims.h. A combination is stored twice: "dims" maps its values
    (joined by the unit separator, which no X12 or config value contains)
    to its id, "dims_by_id" maps the id back, so applying an event costs one
    lookup and a query lists every combination in one cursor pass.
*/
#include "dims.h"

#include <stddef.h>

#define DIMS_SEPARATOR '\x1f'
#define DIMS_KEY_MAX   1024

//  ClaimDimensions and MetricsFilters list these fields in the same order
//  with the same types; the asserts in dims_value keep that true.
const dims_def_t dims_table [DIMS_COUNT] = {
    { "payer_id",     "payer",        offsetof (ClaimDimensions, payer_id) },
    { "payer_group",  "group",        offsetof (ClaimDimensions, payer_group) },
    { "location",     "location",     offsetof (ClaimDimensions, location) },
    { "service_line", "service_line", offsetof (ClaimDimensions, service_line) },
    { "queue",        "queue",        offsetof (ClaimDimensions, queue) },
    { "owner_team",   "team",         offsetof (ClaimDimensions, owner_team) },
};

_Static_assert (offsetof (ClaimDimensions, payer_id) == offsetof (MetricsFilters, payer_id), "layout");
_Static_assert (offsetof (ClaimDimensions, owner_team) == offsetof (MetricsFilters, owner_team), "layout");

int
dims_index (const char *name)
{
    //  People type "service-line" as often as "service_line".
    char spelled [64];
    snprintf (spelled, sizeof spelled, "%s", name);
    for (char *c = spelled; *c; c++)
        if (*c == '-')
            *c = '_';
    for (int i = 0; i < DIMS_COUNT; i++)
        if (streq (spelled, dims_table [i].name) || streq (spelled, dims_table [i].alias))
            return i;
    return -1;
}

const char *
dims_value (const void *message, int index)
{
    assert (index >= 0 && index < DIMS_COUNT);
    if (!message)
        return "";
    const char *value = *(const char *const *) ((const char *) message + dims_table [index].offset);
    return value? value: "";
}

//  Joins the values into buf; returns the length.
static size_t
s_join (const ClaimDimensions *dims, char *buf, size_t size)
{
    size_t length = 0;
    for (int i = 0; i < DIMS_COUNT; i++) {
        const char *value = dims_value (dims, i);
        size_t value_length = strlen (value);
        if (length + value_length + 1 >= size)
            value_length = size > length + 1? size - length - 2: 0;
        memcpy (buf + length, value, value_length);
        length += value_length;
        if (i < DIMS_COUNT - 1)
            buf [length++] = DIMS_SEPARATOR;
    }
    buf [length] = 0;
    return length;
}

int
dims_intern (store_t *store, MDB_txn *txn, const ClaimDimensions *dims, uint32_t *id)
{
    char key [DIMS_KEY_MAX];
    size_t length = s_join (dims, key, sizeof key);
    MDB_val value;
    int rc = store_get (store, txn, "dims", key, length, &value);
    if (rc == 0 && value.mv_size == 4) {
        *id = metrics_u32_read (value.mv_data);
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc? rc: -1;
    uint64_t next;
    if ((rc = store_get_u64 (store, txn, "meta", "metrics_dims_next", &next)))
        return rc;
    next++;
    uint8_t id_key [4];
    metrics_u32_write (id_key, (uint32_t) next);
    if ((rc = store_put (store, txn, "dims", key, length, id_key, 4))
    ||  (rc = store_put (store, txn, "dims_by_id", id_key, 4, key, length))
    ||  (rc = store_put_u64 (store, txn, "meta", "metrics_dims_next", next)))
        return rc;
    *id = (uint32_t) next;
    return 0;
}

dims_list_t *
dims_load (store_t *store, MDB_txn *txn)
{
    dims_list_t *self = (dims_list_t *) zmalloc (sizeof (dims_list_t));
    MDB_cursor *cursor;
    if (mdb_cursor_open (txn, store_table (store, "dims_by_id"), &cursor))
        return self;
    size_t capacity = 0;
    MDB_val key, value;
    int rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST);
    while (rc == 0) {
        if (self->count == capacity) {
            capacity = capacity? capacity * 2: 64;
            self->entries = (dims_entry_t *) realloc (self->entries, capacity * sizeof (dims_entry_t));
        }
        dims_entry_t *entry = &self->entries [self->count++];
        entry->id = metrics_u32_read (key.mv_data);
        const char *text = (const char *) value.mv_data, *end = text + value.mv_size;
        for (int i = 0; i < DIMS_COUNT; i++) {
            const char *stop = memchr (text, DIMS_SEPARATOR, (size_t) (end - text));
            if (!stop)
                stop = end;
            entry->values [i] = strndup (text, (size_t) (stop - text));
            text = stop < end? stop + 1: end;
        }
        rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT);
    }
    mdb_cursor_close (cursor);
    return self;
}

void
dims_list_destroy (dims_list_t **self_p)
{
    assert (self_p);
    dims_list_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        for (int d = 0; d < DIMS_COUNT; d++)
            free (self->entries [i].values [d]);
    free (self->entries);
    free (self);
    *self_p = NULL;
}

const dims_entry_t *
dims_find (dims_list_t *self, uint32_t id)
{
    size_t low = 0, high = self->count;
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (self->entries [middle].id == id)
            return &self->entries [middle];
        if (self->entries [middle].id < id)
            low = middle + 1;
        else
            high = middle;
    }
    return NULL;
}

bool
dims_match (const dims_entry_t *entry, const char *const filters [DIMS_COUNT])
{
    for (int i = 0; i < DIMS_COUNT; i++)
        if (filters [i] && *filters [i] && !streq (filters [i], entry->values [i]))
            return false;
    return true;
}

void
dims_group_key (const dims_entry_t *entry, const int *group_by, size_t group_count,
                char *buf, size_t size)
{
    buf [0] = 0;
    for (size_t i = 0; i < group_count; i++)
        snprintf (buf + strlen (buf), size - strlen (buf), "%s%s", i? "|": "", entry->values [group_by [i]]);
}

void
dims_to_message (const dims_entry_t *entry, ClaimDimensions *message)
{
    claim_dimensions__init (message);
    for (int i = 0; i < DIMS_COUNT; i++)
        *(char **) ((char *) message + dims_table [i].offset) = entry->values [i];
}
