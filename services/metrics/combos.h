/*  combos: small ids for combinations of dimension values, the one way
    metrics interns them (the claims dimensions of dims.c, the work-item
    dimensions of work_facts.c).

    A combination is stored twice: the ids table maps its values (joined
    by the unit separator, which no X12 or config value contains) to its
    id, the values table maps the id back, so applying an event costs one
    lookup and a query lists every combination in one cursor pass. The
    last id given is kept in "meta" under the definition's next_key.

    The joined values are the ids key only while they fit an LMDB key with
    room to spare (COMBOS_KEY_MAX); a longer combination is keyed by a NUL
    byte and the BLAKE2b-256 of its joined values. No joined key starts
    with NUL (the values are C strings), so the two kinds of key never
    meet. The values table keeps the values whole either way.
*/
#ifndef RCMQ_METRICS_COMBOS_H
#define RCMQ_METRICS_COMBOS_H

#include "metrics.h"

//  At least as many as the widest combination (dims: 6, work: 5).
#define COMBOS_FIELDS_MAX 8
//  LMDB's default largest key is 511 bytes; stay well inside it.
#define COMBOS_KEY_MAX 400

typedef struct {
    const char *ids;            //  table: joined values -> id (4 bytes)
    const char *values;         //  table: id -> joined values
    const char *next_key;       //  "meta" key of the last id given
    int fields;                 //  values per combination
} combos_def_t;

//  The ids key of joined values (length bytes). Returns the key's size,
//  at most COMBOS_KEY_MAX.
size_t combos_key (const char *joined, size_t length, uint8_t key [COMBOS_KEY_MAX]);

//  The id of the combination of values (def->fields of them, NULL taken
//  as ""), creating it. Returns 0 or an LMDB error (store_fail for a
//  stored value that is not an id).
int    combos_id (store_t *store, MDB_txn *txn, const combos_def_t *def,
                  const char *const values [], uint32_t *id);
//  The values joined by the separator (heap, NUL-terminated; *length
//  without the NUL), and combos_id for values so joined.
char  *combos_join (const char *const values [], int fields, size_t *length);
int    combos_id_joined (store_t *store, MDB_txn *txn, const combos_def_t *def,
                         const char *joined, size_t length, uint32_t *id);

//  Every combination known, loaded for a query, in ascending id.
typedef struct {
    uint32_t id;
    char *values [COMBOS_FIELDS_MAX];
} combos_entry_t;

typedef struct {
    combos_entry_t *entries;
    size_t count;
    int fields;
} combos_list_t;

combos_list_t *combos_load (store_t *store, MDB_txn *txn, const combos_def_t *def);
void           combos_list_destroy (combos_list_t **self_p);

#endif
