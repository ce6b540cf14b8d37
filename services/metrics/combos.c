/*  combos: see combos.h. */
#include "combos.h"

#include <sodium.h>

#define COMBOS_SEPARATOR '\x1f'
#define COMBOS_HASH_SIZE 32

//  The values joined by the separator, in a new heap string; *length is
//  its length. Sized from the values, so no value is ever cut.
char *
combos_join (const char *const values [], int fields, size_t *length)
{
    size_t size = (size_t) fields + 1;     //  separators and the NUL, with room
    for (int i = 0; i < fields; i++)
        size += values [i]? strlen (values [i]): 0;
    char *joined = (char *) malloc (size);
    assert (joined);
    size_t at = 0;
    for (int i = 0; i < fields; i++) {
        size_t value_length = values [i]? strlen (values [i]): 0;
        memcpy (joined + at, values [i]? values [i]: "", value_length);
        at += value_length;
        if (i < fields - 1)
            joined [at++] = COMBOS_SEPARATOR;
    }
    joined [at] = 0;
    *length = at;
    return joined;
}

size_t
combos_key (const char *joined, size_t length, uint8_t key [COMBOS_KEY_MAX])
{
    if (length <= COMBOS_KEY_MAX) {
        memcpy (key, joined, length);
        return length;
    }
    key [0] = 0;
    crypto_generichash (key + 1, COMBOS_HASH_SIZE, (const unsigned char *) joined, length, NULL, 0);
    return 1 + COMBOS_HASH_SIZE;
}

//  A new id for joined under key, written both ways with the last id.
static int
s_create (store_t *store, MDB_txn *txn, const combos_def_t *def,
          const uint8_t *key, size_t key_size, const char *joined, size_t length, uint32_t *id)
{
    uint64_t next;
    int rc = store_get_u64 (store, txn, "meta", def->next_key, &next);
    if (rc)
        return rc;
    next++;
    uint8_t id_key [4];
    metrics_u32_write (id_key, (uint32_t) next);
    if ((rc = store_put (store, txn, def->ids, key, key_size, id_key, 4)) == 0
    &&  (rc = store_put (store, txn, def->values, id_key, 4, joined, length)) == 0
    &&  (rc = store_put_u64 (store, txn, "meta", def->next_key, next)) == 0)
        *id = (uint32_t) next;
    return rc;
}

int
combos_id (store_t *store, MDB_txn *txn, const combos_def_t *def,
           const char *const values [], uint32_t *id)
{
    assert (def->fields > 0 && def->fields <= COMBOS_FIELDS_MAX);
    size_t length;
    char *joined = combos_join (values, def->fields, &length);
    int rc = combos_id_joined (store, txn, def, joined, length, id);
    free (joined);
    return rc;
}

int
combos_id_joined (store_t *store, MDB_txn *txn, const combos_def_t *def,
                  const char *joined, size_t length, uint32_t *id)
{
    uint8_t key [COMBOS_KEY_MAX];
    size_t key_size = combos_key (joined, length, key);
    MDB_val value;
    int rc = store_get (store, txn, def->ids, key, key_size, &value);
    if (rc == 0 && value.mv_size == 4)
        *id = metrics_u32_read (value.mv_data);
    else
    if (rc == 0)
        rc = store_fail (store, "%s: a value of %zu bytes, not an id", def->ids, value.mv_size);
    else
    if (rc == MDB_NOTFOUND)
        rc = s_create (store, txn, def, key, key_size, joined, length, id);
    return rc;
}

combos_list_t *
combos_load (store_t *store, MDB_txn *txn, const combos_def_t *def)
{
    combos_list_t *self = (combos_list_t *) zmalloc (sizeof (combos_list_t));
    self->fields = def->fields;
    size_t capacity = 0;
    store_iter_t *iter = store_iter_new (store, txn, def->values, NULL, 0);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        if (key.mv_size != 4)
            continue;
        if (self->count == capacity) {
            capacity = capacity? capacity * 2: 64;
            self->entries = (combos_entry_t *) realloc (self->entries, capacity * sizeof (combos_entry_t));
            assert (self->entries);
        }
        combos_entry_t *entry = &self->entries [self->count++];
        memset (entry, 0, sizeof *entry);
        entry->id = metrics_u32_read (key.mv_data);
        const char *text = (const char *) value.mv_data, *end = text + value.mv_size;
        for (int i = 0; i < def->fields; i++) {
            const char *stop = memchr (text, COMBOS_SEPARATOR, (size_t) (end - text));
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
combos_list_destroy (combos_list_t **self_p)
{
    assert (self_p);
    combos_list_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        for (int d = 0; d < self->fields; d++)
            free (self->entries [i].values [d]);
    free (self->entries);
    free (self);
    *self_p = NULL;
}
