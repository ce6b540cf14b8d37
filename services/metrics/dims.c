/*  dims: see dims.h. Combinations are interned by combos.c (the tables
    "dims" and "dims_by_id", long ones keyed by their hash); keys written
    by earlier versions stay valid, the layout did not change.
*/
#include "dims.h"
#include "batch_cache.h"

#include <stddef.h>

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

//  The claims dimensions' combinations: "dims" (joined values -> id),
//  "dims_by_id" (id -> joined values), the last id in meta.
const combos_def_t dims_combos = { "dims", "dims_by_id", "metrics_dims_next", DIMS_COUNT };

int
dims_intern (store_t *store, MDB_txn *txn, const ClaimDimensions *dims, uint32_t *id,
             metrics_batch_t *batch)
{
    const char *values [DIMS_COUNT];
    for (int i = 0; i < DIMS_COUNT; i++)
        values [i] = dims_value (dims, i);
    size_t length;
    char *joined = combos_join (values, DIMS_COUNT, &length);
    int rc = 0;
    if (!batch || !metrics_batch_dims_get (batch, &dims_combos, joined, id)) {
        rc = combos_id_joined (store, txn, &dims_combos, joined, length, id);
        if (rc == 0 && batch)
            metrics_batch_dims_put (batch, &dims_combos, joined, *id);
    }
    free (joined);
    return rc;
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
