/*  dims: see dims.h. A combination is stored twice: "dims" maps its values
    (joined by the unit separator, which no X12 or config value contains)
    to its id, "dims_by_id" maps the id back, so applying an event costs one
    lookup and a query lists every combination in one cursor pass.

    The joined values are the "dims" key only while they fit an LMDB key
    with room to spare (DIMS_KEY_MAX). Intake refuses over-long elements
    now (LEN001), but events already in a broker log, and the dimensions of
    a claim intake rejected, may carry a payer id or NPI of any length; such
    a combination is keyed by a NUL byte and the BLAKE2b-256 of its joined
    values instead. No joined key starts with NUL (the values are C strings
    joined by 0x1f), so the two kinds of key never meet, and keys written
    before this rule stay valid. "dims_by_id" keeps the values whole either
    way: an LMDB value has no such limit.
*/
#include "dims.h"

#include <sodium.h>
#include <stddef.h>

#define DIMS_SEPARATOR '\x1f'
#define DIMS_HASH_SIZE  32

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

//  The values joined by DIMS_SEPARATOR, in a new heap string; *length
//  is its length. Sized from the values, so no value is ever cut or
//  written past the end.
static char *
s_join (const ClaimDimensions *dims, size_t *length)
{
    size_t size = DIMS_COUNT;
    for (int i = 0; i < DIMS_COUNT; i++)
        size += strlen (dims_value (dims, i));
    char *joined = (char *) malloc (size);
    assert (joined);
    size_t at = 0;
    for (int i = 0; i < DIMS_COUNT; i++) {
        const char *value = dims_value (dims, i);
        size_t value_length = strlen (value);
        memcpy (joined + at, value, value_length);
        at += value_length;
        if (i < DIMS_COUNT - 1)
            joined [at++] = DIMS_SEPARATOR;
    }
    joined [at] = 0;
    *length = at;
    return joined;
}

size_t
dims_key (const char *joined, size_t length, uint8_t key [DIMS_KEY_MAX])
{
    if (length <= DIMS_KEY_MAX) {
        memcpy (key, joined, length);
        return length;
    }
    key [0] = 0;
    crypto_generichash (key + 1, DIMS_HASH_SIZE, (const unsigned char *) joined, length, NULL, 0);
    return 1 + DIMS_HASH_SIZE;
}

int
dims_intern (store_t *store, MDB_txn *txn, const ClaimDimensions *dims, uint32_t *id)
{
    size_t length;
    char *joined = s_join (dims, &length);
    uint8_t key [DIMS_KEY_MAX];
    size_t key_size = dims_key (joined, length, key);
    MDB_val value;
    int rc = store_get (store, txn, "dims", key, key_size, &value);
    if (rc == 0 && value.mv_size == 4) {
        *id = metrics_u32_read (value.mv_data);
        free (joined);
        return 0;
    }
    if (rc != MDB_NOTFOUND) {
        free (joined);
        return rc? rc: -1;
    }
    uint64_t next;
    if ((rc = store_get_u64 (store, txn, "meta", "metrics_dims_next", &next))) {
        free (joined);
        return rc;
    }
    next++;
    uint8_t id_key [4];
    metrics_u32_write (id_key, (uint32_t) next);
    if ((rc = store_put (store, txn, "dims", key, key_size, id_key, 4)) == 0
    &&  (rc = store_put (store, txn, "dims_by_id", id_key, 4, joined, length)) == 0
    &&  (rc = store_put_u64 (store, txn, "meta", "metrics_dims_next", next)) == 0)
        *id = (uint32_t) next;
    free (joined);
    return rc;
}

dims_list_t *
dims_load (store_t *store, MDB_txn *txn)
{
    dims_list_t *self = (dims_list_t *) zmalloc (sizeof (dims_list_t));
    size_t capacity = 0;
    store_iter_t *iter = store_iter_new (store, txn, "dims_by_id", NULL, 0);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
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
    }
    store_iter_destroy (&iter);
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
