/*  tlog: see tlog.h. The proofs are RFC 9162 §2.1.3.1 and §2.1.4.1's
    recursions over a range [lo, hi) of leaves, with the hash of any range
    (s_range_hash) folded from the complete subtrees that tile it.
*/
#include "tlog.h"
#include "sha256.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void
tlog_leaf_hash (const void *leaf, size_t size, tlog_hash_t out)
{
    sha256_state_t state;
    static const uint8_t prefix = 0x00;
    sha256_init (&state);
    sha256_update (&state, &prefix, 1);
    sha256_update (&state, leaf, size);
    sha256_final (&state, out);
}

void
tlog_node_hash (const tlog_hash_t left, const tlog_hash_t right, tlog_hash_t out)
{
    uint8_t buffer [1 + 2 * TLOG_HASH_SIZE];
    buffer [0] = 0x01;
    memcpy (buffer + 1, left, TLOG_HASH_SIZE);
    memcpy (buffer + 1 + TLOG_HASH_SIZE, right, TLOG_HASH_SIZE);
    sha256 (out, buffer, sizeof buffer);
}

//  The subtree (level, index) is complete once its last leaf,
//  k = (index + 1)·2^level − 1, is appended; appending leaf k stores its
//  own hash then the parents it completes, one per level. Before leaf k's
//  batch come Σ_j floor(k / 2^j) hashes (each earlier leaf and each
//  subtree completed by one), so the subtree's number is that plus level.
uint64_t
tlog_stored_index (unsigned level, uint64_t index)
{
    uint64_t last = ((index + 1) << level) - 1;
    uint64_t before = 0;
    for (uint64_t k = last; k; k >>= 1)
        before += k;
    return before + level;
}

//  The largest power of two strictly below n (n > 1).
static uint64_t
s_split (uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

//  The hash of leaves [lo, hi) (hi > lo) as the tree over them: tiled from
//  the left by the largest complete subtrees that fit, folded from the
//  right, which is MTH's split when lo is aligned as the recursions leave it.
static int
s_range_hash (tlog_read_fn *read, void *arg, uint64_t lo, uint64_t hi, tlog_hash_t out)
{
    assert (lo < hi);
    tlog_hash_t pieces [TLOG_PROOF_MAX];
    size_t count = 0;
    do {
        unsigned level = 0;
        while (level < 63 && (lo & ((uint64_t) 1 << level)) == 0
           &&  lo + ((uint64_t) 2 << level) <= hi)
            level++;
        assert (count < TLOG_PROOF_MAX);
        int rc = read (arg, level, lo >> level, pieces [count++]);
        if (rc)
            return rc;
        lo += (uint64_t) 1 << level;
    } while (lo < hi && count < TLOG_PROOF_MAX);
    size_t at = count - 1;
    memcpy (out, pieces [at], TLOG_HASH_SIZE);
    while (at > 0) {
        at--;
        tlog_node_hash (pieces [at], out, out);
    }
    return 0;
}

int
tlog_root_with (tlog_read_fn *read, void *arg, uint64_t size, tlog_hash_t out)
{
    if (size == 0) {
        sha256 (out, "", 0);
        return 0;
    }
    return s_range_hash (read, arg, 0, size, out);
}

//  RFC 9162 §2.1.3.1 PATH(m, D[lo:hi]): the deeper part first.
static int
s_path (tlog_read_fn *read, void *arg, uint64_t m, uint64_t lo, uint64_t hi,
        tlog_hash_t *proof, size_t *count)
{
    if (hi - lo <= 1)
        return 0;
    uint64_t k = s_split (hi - lo);
    int rc;
    if (m < lo + k) {
        rc = s_path (read, arg, m, lo, lo + k, proof, count);
        if (rc == 0)
            rc = s_range_hash (read, arg, lo + k, hi, proof [(*count)++]);
    }
    else {
        rc = s_path (read, arg, m, lo + k, hi, proof, count);
        if (rc == 0)
            rc = s_range_hash (read, arg, lo, lo + k, proof [(*count)++]);
    }
    return rc;
}

int
tlog_inclusion_with (tlog_read_fn *read, void *arg, uint64_t index, uint64_t size,
                     tlog_hash_t proof [TLOG_PROOF_MAX], size_t *count)
{
    assert (index < size);
    *count = 0;
    return s_path (read, arg, index, 0, size, proof, count);
}

//  RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b).
static int
s_subproof (tlog_read_fn *read, void *arg, uint64_t m, uint64_t lo, uint64_t hi, bool whole,
            tlog_hash_t *proof, size_t *count)
{
    uint64_t n = hi - lo;
    if (m == n)
        return whole? 0: s_range_hash (read, arg, lo, hi, proof [(*count)++]);
    uint64_t k = s_split (n);
    int rc;
    if (m <= k) {
        rc = s_subproof (read, arg, m, lo, lo + k, whole, proof, count);
        if (rc == 0)
            rc = s_range_hash (read, arg, lo + k, hi, proof [(*count)++]);
    }
    else {
        rc = s_subproof (read, arg, m - k, lo + k, hi, false, proof, count);
        if (rc == 0)
            rc = s_range_hash (read, arg, lo, lo + k, proof [(*count)++]);
    }
    return rc;
}

int
tlog_consistency_with (tlog_read_fn *read, void *arg, uint64_t old_size, uint64_t size,
                       tlog_hash_t proof [TLOG_PROOF_MAX], size_t *count)
{
    assert (old_size > 0 && old_size <= size);
    *count = 0;
    if (old_size == size)
        return 0;
    return s_subproof (read, arg, old_size, 0, size, true, proof, count);
}

bool
tlog_verify_inclusion (uint64_t index, uint64_t size, const tlog_hash_t leaf_hash,
                       const tlog_hash_t *proof, size_t count, const tlog_hash_t root)
{
    if (index >= size)
        return false;
    uint64_t fn = index, sn = size - 1;
    tlog_hash_t r;
    memcpy (r, leaf_hash, TLOG_HASH_SIZE);
    for (size_t i = 0; i < count; i++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            tlog_node_hash (proof [i], r, r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        }
        else
            tlog_node_hash (r, proof [i], r);
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && sodium_memcmp (r, root, TLOG_HASH_SIZE) == 0;
}

bool
tlog_verify_consistency (uint64_t old_size, uint64_t size, const tlog_hash_t *proof,
                         size_t count, const tlog_hash_t old_root, const tlog_hash_t root)
{
    if (old_size > size)
        return false;
    if (old_size == size)
        return count == 0 && sodium_memcmp (old_root, root, TLOG_HASH_SIZE) == 0;
    if (old_size == 0)
        return count == 0;
    if (count == 0)
        return false;
    //  When old_size is a power of two its root is the path's first value.
    size_t at = 0;
    const uint8_t *first = proof [0];
    if ((old_size & (old_size - 1)) == 0)
        first = old_root;
    else
        at = 1;
    uint64_t fn = old_size - 1, sn = size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    tlog_hash_t fr, sr;
    memcpy (fr, first, TLOG_HASH_SIZE);
    memcpy (sr, first, TLOG_HASH_SIZE);
    for (; at < count; at++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            tlog_node_hash (proof [at], fr, fr);
            tlog_node_hash (proof [at], sr, sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        }
        else
            tlog_node_hash (sr, proof [at], sr);
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0
        && sodium_memcmp (fr, old_root, TLOG_HASH_SIZE) == 0
        && sodium_memcmp (sr, root, TLOG_HASH_SIZE) == 0;
}

//  ---------------------------------------------------------------------
//  In a store

int
tlog_size (store_t *store, MDB_txn *txn, uint64_t *size)
{
    return store_get_u64 (store, txn, "tlog_meta", "size", size);
}

int
tlog_read_stored (void *arg, unsigned level, uint64_t index, tlog_hash_t out)
{
    tlog_txn_t *at = (tlog_txn_t *) arg;
    uint8_t key [8];
    store_u64_write (key, tlog_stored_index (level, index));
    MDB_val value;
    int rc = store_get (at->store, at->txn, "tlog_hash", key, sizeof key, &value);
    if (rc == MDB_NOTFOUND)
        return store_fail (at->store, "audit log: no hash for subtree (level %u, index %" PRIu64 ")",
                           level, index);
    if (rc)
        return rc;
    if (value.mv_size != TLOG_HASH_SIZE)
        return store_fail (at->store, "audit log: hash of subtree (level %u, index %" PRIu64
                           ") is %zu bytes, not %d", level, index, value.mv_size, TLOG_HASH_SIZE);
    memcpy (out, value.mv_data, TLOG_HASH_SIZE);
    return 0;
}

int
tlog_append (store_t *store, MDB_txn *txn, const void *leaf, size_t size, uint64_t *index)
{
    uint64_t count;
    int rc = tlog_size (store, txn, &count);
    if (rc)
        return rc;
    uint8_t key [8];
    store_u64_write (key, count);
    rc = store_append (store, txn, "tlog_leaf", key, sizeof key, leaf, size);
    tlog_hash_t hash;
    tlog_leaf_hash (leaf, size, hash);
    //  The leaf's hash, then each subtree it completes: while the node is
    //  a right child its left sibling is already stored.
    tlog_txn_t at = { store, txn };
    uint64_t node = count;
    unsigned level = 0;
    while (rc == 0) {
        store_u64_write (key, tlog_stored_index (level, node));
        rc = store_append (store, txn, "tlog_hash", key, sizeof key, hash, TLOG_HASH_SIZE);
        if (rc || (node & 1) == 0)
            break;
        tlog_hash_t left;
        rc = tlog_read_stored (&at, level, node - 1, left);
        if (rc == 0)
            tlog_node_hash (left, hash, hash);
        node >>= 1;
        level++;
    }
    if (rc == 0)
        rc = store_put_u64 (store, txn, "tlog_meta", "size", count + 1);
    if (rc == 0)
        *index = count;
    return rc;
}

void
tlog_batch_start (tlog_batch_t *self)
{
    self->open = true;
    self->loaded = false;
    self->dirty = false;
    //  A batch that ended by an abort left cursors its transaction freed.
    self->leaves = NULL;
    self->hashes = NULL;
}

//  The size and, for each bit set in it, the complete subtree at that
//  level that ends at the edge.
static int
s_batch_load (tlog_batch_t *self, store_t *store, MDB_txn *txn)
{
    int rc = tlog_size (store, txn, &self->size);
    tlog_txn_t at = { store, txn };
    for (unsigned level = 0; rc == 0 && level < 64 && (self->size >> level); level++)
        if ((self->size >> level) & 1)
            rc = tlog_read_stored (&at, level, (self->size >> level) - 1, self->edge [level]);
    if (rc == 0 && !self->leaves)
        rc = mdb_cursor_open (txn, store_table (store, "tlog_leaf"), &self->leaves);
    if (rc == 0 && !self->hashes)
        rc = mdb_cursor_open (txn, store_table (store, "tlog_hash"), &self->hashes);
    self->loaded = rc == 0;
    return rc;
}

//  store_append through a batch's cursor: MDB_APPEND, and a plain put
//  when the key is not past the last (LMDB changed nothing then).
static int
s_cursor_append (MDB_cursor *cursor, const uint8_t key [8], const void *value, size_t size)
{
    MDB_val k = { 8, (void *) key };
    MDB_val v = { size, (void *) value };
    int rc = mdb_cursor_put (cursor, &k, &v, MDB_APPEND);
    return rc == MDB_KEYEXIST? mdb_cursor_put (cursor, &k, &v, 0): rc;
}

//  tlog_append with the left siblings from the edge: the subtree a right
//  child at level l pairs with is edge [l]; the node the append stops at
//  (a left child) is the new edge at its level, and the levels below it
//  are empty in the new size.
int
tlog_batch_append (tlog_batch_t *self, store_t *store, MDB_txn *txn,
                   const void *leaf, size_t size, uint64_t *index)
{
    assert (self->open);
    int rc = self->loaded? 0: s_batch_load (self, store, txn);
    if (rc)
        return rc;
    uint64_t count = self->size;
    uint8_t key [8];
    store_u64_write (key, count);
    rc = s_cursor_append (self->leaves, key, leaf, size);
    tlog_hash_t hash;
    tlog_leaf_hash (leaf, size, hash);
    uint64_t node = count;
    unsigned level = 0;
    while (rc == 0) {
        store_u64_write (key, tlog_stored_index (level, node));
        rc = s_cursor_append (self->hashes, key, hash, TLOG_HASH_SIZE);
        if (rc || (node & 1) == 0)
            break;
        tlog_node_hash (self->edge [level], hash, hash);
        node >>= 1;
        level++;
    }
    if (rc == 0) {
        memcpy (self->edge [level], hash, TLOG_HASH_SIZE);
        self->size = count + 1;
        self->dirty = true;
        *index = count;
    }
    return rc;
}

int
tlog_batch_end (tlog_batch_t *self, store_t *store, MDB_txn *txn)
{
    int rc = self->dirty? store_put_u64 (store, txn, "tlog_meta", "size", self->size): 0;
    if (self->leaves)
        mdb_cursor_close (self->leaves);
    if (self->hashes)
        mdb_cursor_close (self->hashes);
    self->leaves = NULL;
    self->hashes = NULL;
    self->open = false;
    self->loaded = false;
    self->dirty = false;
    return rc;
}

int
tlog_leaf (store_t *store, MDB_txn *txn, uint64_t index, MDB_val *leaf)
{
    uint8_t key [8];
    store_u64_write (key, index);
    return store_get (store, txn, "tlog_leaf", key, sizeof key, leaf);
}

//  A size past the log's end is a caller's mistake with the store's data,
//  said as one.
static int
s_check_size (store_t *store, MDB_txn *txn, uint64_t size)
{
    uint64_t count;
    int rc = tlog_size (store, txn, &count);
    if (rc == 0 && size > count)
        rc = store_fail (store, "audit log: tree size %" PRIu64 " is past the log's %" PRIu64 " leaves",
                         size, count);
    return rc;
}

int
tlog_root (store_t *store, MDB_txn *txn, uint64_t size, tlog_hash_t out)
{
    tlog_txn_t at = { store, txn };
    int rc = s_check_size (store, txn, size);
    return rc? rc: tlog_root_with (tlog_read_stored, &at, size, out);
}

int
tlog_inclusion (store_t *store, MDB_txn *txn, uint64_t index, uint64_t size,
                tlog_hash_t proof [TLOG_PROOF_MAX], size_t *count)
{
    tlog_txn_t at = { store, txn };
    int rc = s_check_size (store, txn, size);
    if (rc == 0 && index >= size)
        rc = store_fail (store, "audit log: leaf %" PRIu64 " is not in a tree of %" PRIu64, index, size);
    return rc? rc: tlog_inclusion_with (tlog_read_stored, &at, index, size, proof, count);
}

int
tlog_consistency (store_t *store, MDB_txn *txn, uint64_t old_size, uint64_t size,
                  tlog_hash_t proof [TLOG_PROOF_MAX], size_t *count)
{
    tlog_txn_t at = { store, txn };
    int rc = s_check_size (store, txn, size);
    if (rc == 0 && (old_size == 0 || old_size > size))
        rc = store_fail (store, "audit log: no consistency proof from %" PRIu64 " to %" PRIu64,
                         old_size, size);
    return rc? rc: tlog_consistency_with (tlog_read_stored, &at, old_size, size, proof, count);
}

//  ---------------------------------------------------------------------
//  In memory

struct _tlog_mem_t {
    tlog_hash_t *levels [TLOG_PROOF_MAX];
    uint64_t counts [TLOG_PROOF_MAX];
    uint64_t sizes [TLOG_PROOF_MAX];        //  allocated
};

tlog_mem_t *
tlog_mem_new (void)
{
    return (tlog_mem_t *) calloc (1, sizeof (tlog_mem_t));
}

void
tlog_mem_destroy (tlog_mem_t **self_p)
{
    tlog_mem_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < TLOG_PROOF_MAX; i++)
            free (self->levels [i]);
        free (self);
        *self_p = NULL;
    }
}

static void
s_mem_push (tlog_mem_t *self, unsigned level, const tlog_hash_t hash)
{
    if (self->counts [level] == self->sizes [level]) {
        self->sizes [level] = self->sizes [level]? self->sizes [level] * 2: 1024;
        self->levels [level] = (tlog_hash_t *) realloc (self->levels [level],
                                                        self->sizes [level] * sizeof (tlog_hash_t));
        assert (self->levels [level]);
    }
    memcpy (self->levels [level][self->counts [level]++], hash, TLOG_HASH_SIZE);
}

void
tlog_mem_append_hash (tlog_mem_t *self, const tlog_hash_t leaf_hash)
{
    tlog_hash_t hash;
    memcpy (hash, leaf_hash, TLOG_HASH_SIZE);
    unsigned level = 0;
    s_mem_push (self, level, hash);
    while (level + 1 < TLOG_PROOF_MAX && (self->counts [level] & 1) == 0) {
        tlog_node_hash (self->levels [level][self->counts [level] - 2], hash, hash);
        s_mem_push (self, ++level, hash);
    }
}

uint64_t
tlog_mem_size (tlog_mem_t *self)
{
    return self->counts [0];
}

int
tlog_mem_read (void *arg, unsigned level, uint64_t index, tlog_hash_t out)
{
    tlog_mem_t *self = (tlog_mem_t *) arg;
    if (level >= TLOG_PROOF_MAX || index >= self->counts [level])
        return -1;
    memcpy (out, self->levels [level][index], TLOG_HASH_SIZE);
    return 0;
}
