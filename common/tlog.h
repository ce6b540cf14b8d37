/*  tlog: an RFC 9162 (RFC 6962) Merkle tree log, as Certificate
    Transparency and Go's checksum database keep theirs.

    Hashes are SHA-256 (common/sha256): a leaf's hash is
    SHA-256(0x00 ‖ leaf), a node's SHA-256(0x01 ‖ left ‖ right), and the
    tree of n leaves is RFC 9162 §2.1.1's MTH (the left part is the
    largest power of two below n). Nothing here depends on what a leaf
    means.

    Where the hashes live is a reader's business (tlog_read_fn): the tree
    only ever needs the hash of a COMPLETE subtree, (level, index) covering
    leaves [index·2^level, (index+1)·2^level). Two readers are given:

      - the store's (tlog_append / tlog_root / tlog_inclusion ...): the
        leaves and every complete subtree hash in LMDB tables, written in
        the caller's transaction. Each hash is kept under its post-order
        number (the order in which an append completes it), so every write
        is an append at the end of the table and an append costs one leaf
        hash plus, amortized, one node hash and one read;
      - an in-memory one (tlog_mem_t), for the offline verifier that
        recomputes a whole export and for benches.

    Proofs and roots take O(log n) reads: a subtree that is not complete
    (the tree's ragged right edge) is folded from at most 64 complete ones,
    and an inclusion or consistency proof meets at most two such ranges.
    The verification functions follow RFC 9162 §2.1.3.2 and §2.1.4.2 and
    need no reader: they are what a client runs.
*/
#ifndef RCMQ_TLOG_H
#define RCMQ_TLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "store.h"

#define TLOG_HASH_SIZE 32
//  A proof never holds more hashes than the tree has levels.
#define TLOG_PROOF_MAX 64

//  The store's tables: leaf bytes by index, subtree hashes by post-order
//  number, and the size.
#define TLOG_TABLES "tlog_leaf", "tlog_hash", "tlog_meta"

typedef uint8_t tlog_hash_t [TLOG_HASH_SIZE];

void tlog_leaf_hash (const void *leaf, size_t size, tlog_hash_t out);
void tlog_node_hash (const tlog_hash_t left, const tlog_hash_t right, tlog_hash_t out);
//  The post-order number of the complete subtree (level, index): where
//  the store keeps its hash.
uint64_t tlog_stored_index (unsigned level, uint64_t index);

//  Reads the hash of the complete subtree (level, index) into out: 0, or
//  an error (the reader's: an LMDB code, -1) that the caller returns.
typedef int (tlog_read_fn) (void *arg, unsigned level, uint64_t index, tlog_hash_t out);

//  The tree hash of the first size leaves (size > 0; the empty tree's is
//  SHA-256 of nothing).
int tlog_root_with (tlog_read_fn *read, void *arg, uint64_t size, tlog_hash_t out);
//  The inclusion proof of leaf index in the tree of size leaves, leaf to
//  root (RFC 9162 order): *count hashes (at most TLOG_PROOF_MAX) in proof.
int tlog_inclusion_with (tlog_read_fn *read, void *arg, uint64_t index, uint64_t size,
                         tlog_hash_t proof [TLOG_PROOF_MAX], size_t *count);
//  The consistency proof from the tree of old_size leaves to that of size
//  (0 < old_size <= size; empty when they are equal).
int tlog_consistency_with (tlog_read_fn *read, void *arg, uint64_t old_size, uint64_t size,
                           tlog_hash_t proof [TLOG_PROOF_MAX], size_t *count);

//  RFC 9162 §2.1.3.2: true when proof shows the leaf whose hash is
//  leaf_hash at index in the tree of size leaves whose root is root.
bool tlog_verify_inclusion (uint64_t index, uint64_t size, const tlog_hash_t leaf_hash,
                            const tlog_hash_t *proof, size_t count, const tlog_hash_t root);
//  RFC 9162 §2.1.4.2: true when proof shows the tree of old_size leaves
//  (old_root) is a prefix of the tree of size leaves (root). Equal sizes
//  need an empty proof and equal roots; old_size 0 an empty proof.
bool tlog_verify_consistency (uint64_t old_size, uint64_t size, const tlog_hash_t *proof,
                              size_t count, const tlog_hash_t old_root, const tlog_hash_t root);

//  ---------------------------------------------------------------------
//  The log in a store (TLOG_TABLES among its tables), inside the caller's
//  transaction. Each returns 0 or an LMDB error / -1 (with store_fail).

//  The number of leaves.
int tlog_size (store_t *store, MDB_txn *txn, uint64_t *size);
//  Appends a leaf (its exact bytes are kept), its index in *index.
int tlog_append (store_t *store, MDB_txn *txn, const void *leaf, size_t size, uint64_t *index);
//  Appends in a batch (docs/adr/0063): tlog_batch_append writes the same
//  records as tlog_append, but the size and the tree's right edge (the
//  hash of the complete subtree for each bit set in the size: the left
//  siblings the next appends need) are read once, at the batch's first
//  append, and kept here; tlog_batch_end writes the size once. Between
//  start and end nothing else in the transaction may append or read the
//  size. A transaction that aborts leaves a stale copy: the next
//  tlog_batch_start drops it, so a batch starts with it, always.
typedef struct {
    bool open;                      //  between start and end
    bool loaded;                    //  size and edge read in this transaction
    bool dirty;                     //  appended since: the size to write
    uint64_t size;
    tlog_hash_t edge [TLOG_PROOF_MAX];  //  edge [l]: subtree (l, (size >> l) - 1)
    //  Cursors on tlog_leaf and tlog_hash, opened at the load and kept at
    //  the tables' ends: an append through them does not walk down from
    //  the root as mdb_put does. LMDB frees them with the transaction; the
    //  end closes them, and the start forgets an aborted batch's.
    MDB_cursor *leaves;
    MDB_cursor *hashes;
} tlog_batch_t;

void tlog_batch_start (tlog_batch_t *self);
int  tlog_batch_append (tlog_batch_t *self, store_t *store, MDB_txn *txn,
                        const void *leaf, size_t size, uint64_t *index);
//  Writes the size if anything was appended; closes the batch.
int  tlog_batch_end (tlog_batch_t *self, store_t *store, MDB_txn *txn);
//  A leaf's bytes (valid until the transaction ends); MDB_NOTFOUND past
//  the end.
int tlog_leaf (store_t *store, MDB_txn *txn, uint64_t index, MDB_val *leaf);
//  A stored subtree hash (a tlog_read_fn whose arg is a tlog_txn_t).
typedef struct { store_t *store; MDB_txn *txn; } tlog_txn_t;
int tlog_read_stored (void *arg, unsigned level, uint64_t index, tlog_hash_t out);
//  The root of the first size leaves (size <= tlog_size; 0 gives the empty
//  tree's hash).
int tlog_root (store_t *store, MDB_txn *txn, uint64_t size, tlog_hash_t out);
int tlog_inclusion (store_t *store, MDB_txn *txn, uint64_t index, uint64_t size,
                    tlog_hash_t proof [TLOG_PROOF_MAX], size_t *count);
int tlog_consistency (store_t *store, MDB_txn *txn, uint64_t old_size, uint64_t size,
                      tlog_hash_t proof [TLOG_PROOF_MAX], size_t *count);

//  ---------------------------------------------------------------------
//  The same tree in memory: every complete subtree hash, level by level.

typedef struct _tlog_mem_t tlog_mem_t;

tlog_mem_t *tlog_mem_new (void);
void        tlog_mem_destroy (tlog_mem_t **self_p);
//  Appends a leaf by its hash (tlog_leaf_hash of its bytes).
void        tlog_mem_append_hash (tlog_mem_t *self, const tlog_hash_t leaf_hash);
uint64_t    tlog_mem_size (tlog_mem_t *self);
//  A tlog_read_fn whose arg is the tlog_mem_t.
int         tlog_mem_read (void *arg, unsigned level, uint64_t index, tlog_hash_t out);

#endif
