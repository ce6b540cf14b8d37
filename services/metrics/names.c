/*  names: see names.h. Keys longer than an LMDB key allows (an id from an
    old event, before intake limited element lengths) have no name: such an
    id shows without one rather than failing the event.
*/
#include "names.h"

#define NAMES_KEY_MAX 400

static size_t
s_key (names_kind_t kind, const char *id, uint8_t *key)
{
    size_t length = strlen (id);
    if (!length || length + 1 > NAMES_KEY_MAX)
        return 0;
    key [0] = (uint8_t) kind;
    memcpy (key + 1, id, length);
    return length + 1;
}

//  Writes only what changes: most claims repeat the names already kept.
static int
s_put (store_t *store, MDB_txn *txn, const char *table, const void *key, size_t key_size, const char *value)
{
    if (!key_size || !value || !*value)
        return 0;
    MDB_val stored;
    size_t size = strlen (value) + 1;
    int rc = store_get (store, txn, table, key, key_size, &stored);
    if (rc == 0 && stored.mv_size == size && memcmp (stored.mv_data, value, size) == 0)
        return 0;
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    return store_put (store, txn, table, key, key_size, value, size);
}

int
names_note (store_t *store, MDB_txn *txn, const char *pcn, const ClaimDimensions *dims)
{
    if (!dims)
        return 0;
    const struct {
        names_kind_t kind;
        const char *id;
        const char *name;
    } names [] = {
        { NAMES_PAYER,    dims->payer_id,    dims->payer_name },
        { NAMES_LOCATION, dims->location,    dims->location_name },
        { NAMES_PROVIDER, dims->provider_id, dims->provider_name },
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof names / sizeof names [0] && rc == 0; i++) {
        uint8_t key [NAMES_KEY_MAX];
        rc = s_put (store, txn, "names", key, s_key (names [i].kind, names [i].id, key), names [i].name);
    }
    size_t pcn_length = strlen (pcn);
    if (rc == 0 && pcn_length && pcn_length < NAMES_KEY_MAX)
        rc = s_put (store, txn, "claim_providers", pcn, pcn_length, dims->provider_id);
    return rc;
}

static void
s_get (store_t *store, MDB_txn *txn, const char *table, const void *key, size_t key_size, char *buf, size_t size)
{
    MDB_val value;
    buf [0] = 0;
    if (key_size && store_get (store, txn, table, key, key_size, &value) == 0 && value.mv_size)
        snprintf (buf, size, "%.*s", (int) strnlen ((const char *) value.mv_data, value.mv_size),
                  (const char *) value.mv_data);
}

void
names_get (store_t *store, MDB_txn *txn, names_kind_t kind, const char *id, char *buf, size_t size)
{
    uint8_t key [NAMES_KEY_MAX];
    s_get (store, txn, "names", key, s_key (kind, id? id: "", key), buf, size);
}

void
names_claim_provider (store_t *store, MDB_txn *txn, const char *pcn, char *buf, size_t size)
{
    size_t length = strlen (pcn);
    s_get (store, txn, "claim_providers", pcn, length < NAMES_KEY_MAX? length: 0, buf, size);
}
