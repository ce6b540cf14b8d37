/*  test_tlog: the RFC 9162 Merkle tree (common/tlog) against the RFC 6962
    test vectors that Certificate Transparency and its Go ports publish
    (the 8-leaf tree: its roots at every size, inclusion proofs and
    consistency proofs); the store's tree against the in-memory one for
    every proof of every size up to 70 leaves, each verified by the RFC
    9162 client algorithms; proofs that must not verify; and each kind of
    tampering with a small sealed log (modified, inserted, deleted,
    reordered, forked, rolled back).
*/
#include "suites.h"
#include "tlog.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The 8 leaves of the CT test tree, hex.
static const char *s_leaves [] = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

//  The tree's root at sizes 1..8.
static const char *s_roots [] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

typedef struct {
    uint64_t a, b;                  //  leaf index and size, or old size and size
    const char *proof [4];          //  hex, NULL-terminated
} s_vector_t;

static const s_vector_t s_inclusions [] = {
    { 0, 8, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
    { 5, 8, { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
    { 2, 3, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
    { 1, 5, { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
    { 0, 1, { NULL } },
};

static const s_vector_t s_consistencies [] = {
    { 1, 8, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
    { 6, 8, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
    { 2, 5, { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
    { 6, 7, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
              "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
    { 1, 1, { NULL } },
};

static size_t
s_unhex (const char *hex, uint8_t *out, size_t max)
{
    size_t size = 0;
    ck_assert_int_eq (sodium_hex2bin (out, max, hex, strlen (hex), NULL, &size, NULL), 0);
    return size;
}

static void
s_hash_of (const char *hex, tlog_hash_t out)
{
    ck_assert_uint_eq (s_unhex (hex, out, TLOG_HASH_SIZE), TLOG_HASH_SIZE);
}

static tlog_mem_t *
s_vector_tree (void)
{
    tlog_mem_t *tree = tlog_mem_new ();
    for (size_t i = 0; i < 8; i++) {
        uint8_t leaf [16];
        size_t size = s_unhex (s_leaves [i], leaf, sizeof leaf);
        tlog_hash_t hash;
        tlog_leaf_hash (leaf, size, hash);
        tlog_mem_append_hash (tree, hash);
    }
    return tree;
}

START_TEST (test_vector_roots)
{
    tlog_mem_t *tree = s_vector_tree ();
    for (uint64_t size = 1; size <= 8; size++) {
        tlog_hash_t root, want;
        ck_assert_int_eq (tlog_root_with (tlog_mem_read, tree, size, root), 0);
        s_hash_of (s_roots [size - 1], want);
        ck_assert_msg (memcmp (root, want, TLOG_HASH_SIZE) == 0, "root of %d leaves", (int) size);
    }
    //  The empty tree's hash is SHA-256 of nothing.
    tlog_hash_t empty, want;
    ck_assert_int_eq (tlog_root_with (tlog_mem_read, tree, 0, empty), 0);
    s_hash_of ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
    ck_assert (memcmp (empty, want, TLOG_HASH_SIZE) == 0);
    tlog_mem_destroy (&tree);
}
END_TEST

static size_t
s_vector_proof (const s_vector_t *vector, tlog_hash_t *proof)
{
    size_t count = 0;
    while (count < 4 && vector->proof [count]) {
        s_hash_of (vector->proof [count], proof [count]);
        count++;
    }
    return count;
}

START_TEST (test_vector_inclusion)
{
    tlog_mem_t *tree = s_vector_tree ();
    for (size_t v = 0; v < sizeof s_inclusions / sizeof s_inclusions [0]; v++) {
        const s_vector_t *vector = &s_inclusions [v];
        tlog_hash_t want [4], proof [TLOG_PROOF_MAX], root, leaf_hash;
        size_t want_count = s_vector_proof (vector, want), count;
        ck_assert_int_eq (tlog_inclusion_with (tlog_mem_read, tree, vector->a, vector->b, proof, &count), 0);
        ck_assert_uint_eq (count, want_count);
        for (size_t i = 0; i < count; i++)
            ck_assert_msg (memcmp (proof [i], want [i], TLOG_HASH_SIZE) == 0,
                           "inclusion %d in %d: hash %zu", (int) vector->a, (int) vector->b, i);
        s_hash_of (s_roots [vector->b - 1], root);
        ck_assert_int_eq (tlog_mem_read (tree, 0, vector->a, leaf_hash), 0);
        ck_assert (tlog_verify_inclusion (vector->a, vector->b, leaf_hash, want, want_count, root));
        //  Each hash changed, one dropped, the index moved or the size
        //  doubled: refused.
        for (size_t i = 0; i < want_count; i++) {
            want [i][0] ^= 8;
            ck_assert (!tlog_verify_inclusion (vector->a, vector->b, leaf_hash, want, want_count, root));
            want [i][0] ^= 8;
        }
        if (want_count) {
            ck_assert (!tlog_verify_inclusion (vector->a, vector->b, leaf_hash, want, want_count - 1, root));
            ck_assert (!tlog_verify_inclusion (vector->a ^ 1, vector->b, leaf_hash, want, want_count, root));
        }
        ck_assert (!tlog_verify_inclusion (vector->a, vector->b * 2, leaf_hash, want, want_count, root));
        ck_assert (!tlog_verify_inclusion (vector->b, vector->b, leaf_hash, want, want_count, root));
    }
    tlog_mem_destroy (&tree);
}
END_TEST

START_TEST (test_vector_consistency)
{
    tlog_mem_t *tree = s_vector_tree ();
    for (size_t v = 0; v < sizeof s_consistencies / sizeof s_consistencies [0]; v++) {
        const s_vector_t *vector = &s_consistencies [v];
        tlog_hash_t want [4], proof [TLOG_PROOF_MAX], old_root, root;
        size_t want_count = s_vector_proof (vector, want), count;
        ck_assert_int_eq (tlog_consistency_with (tlog_mem_read, tree, vector->a, vector->b, proof, &count), 0);
        ck_assert_uint_eq (count, want_count);
        for (size_t i = 0; i < count; i++)
            ck_assert_msg (memcmp (proof [i], want [i], TLOG_HASH_SIZE) == 0,
                           "consistency %d to %d: hash %zu", (int) vector->a, (int) vector->b, i);
        s_hash_of (s_roots [vector->a - 1], old_root);
        s_hash_of (s_roots [vector->b - 1], root);
        ck_assert (tlog_verify_consistency (vector->a, vector->b, want, want_count, old_root, root));
        if (want_count == 0)
            continue;
        for (size_t i = 0; i < want_count; i++) {
            want [i][0] ^= 16;
            ck_assert (!tlog_verify_consistency (vector->a, vector->b, want, want_count, old_root, root));
            want [i][0] ^= 16;
        }
        ck_assert (!tlog_verify_consistency (vector->a, vector->b, want, want_count - 1, old_root, root));
        ck_assert (!tlog_verify_consistency (vector->a, vector->b, want, 0, old_root, root));
        ck_assert (!tlog_verify_consistency (vector->a, vector->b, want, want_count, root, old_root));
        ck_assert (!tlog_verify_consistency (vector->a - 1 ? vector->a - 1: 3, vector->b, want, want_count, old_root, root));
        ck_assert (!tlog_verify_consistency (vector->b, vector->a, want, want_count, old_root, root));
    }
    tlog_mem_destroy (&tree);
}
END_TEST

static const char *s_tables [] = { TLOG_TABLES, NULL };

typedef struct {
    size_t count;
    uint64_t first;
} s_append_t;

static int
s_append (store_t *store, MDB_txn *txn, void *arg)
{
    s_append_t *append = (s_append_t *) arg;
    int rc = 0;
    for (size_t i = 0; i < append->count && rc == 0; i++) {
        char leaf [32];
        uint64_t size, index;
        rc = tlog_size (store, txn, &size);
        int length = snprintf (leaf, sizeof leaf, "leaf %d", (int) size);
        if (rc == 0)
            rc = tlog_append (store, txn, leaf, (size_t) length, &index);
        if (rc == 0 && i == 0)
            append->first = index;
    }
    return rc;
}

//  The store's tree, appended in uneven batches, gives the in-memory
//  tree's root and proofs at every size, and each proof verifies.
START_TEST (test_store_matches_memory)
{
    char *dir = test_tmpdir ("tlog");
    char error [512];
    store_t *store = store_new (dir, s_tables, error, sizeof error);
    ck_assert_msg (store, "%s", error);
    tlog_mem_t *tree = tlog_mem_new ();
    const uint64_t total = 70;
    uint64_t appended = 0;
    for (size_t batch = 1; appended < total; batch = batch % 5 + 1) {
        s_append_t append = { batch > total - appended? total - appended: batch, 0 };
        ck_assert_int_eq (store_write (store, s_append, &append), 0);
        ck_assert_uint_eq (append.first, appended);
        for (size_t i = 0; i < append.count; i++) {
            char leaf [32];
            int length = snprintf (leaf, sizeof leaf, "leaf %d", (int) appended++);
            tlog_hash_t hash;
            tlog_leaf_hash (leaf, (size_t) length, hash);
            tlog_mem_append_hash (tree, hash);
        }
    }
    MDB_txn *txn = store_read_begin (store);
    uint64_t size;
    ck_assert_int_eq (tlog_size (store, txn, &size), 0);
    ck_assert_uint_eq (size, total);
    MDB_val leaf;
    ck_assert_int_eq (tlog_leaf (store, txn, 69, &leaf), 0);
    ck_assert (leaf.mv_size == 7 && memcmp (leaf.mv_data, "leaf 69", 7) == 0);
    ck_assert_int_eq (tlog_leaf (store, txn, 70, &leaf), MDB_NOTFOUND);
    tlog_hash_t roots [71];
    for (uint64_t n = 1; n <= total; n++) {
        tlog_hash_t mem_root;
        ck_assert_int_eq (tlog_root (store, txn, n, roots [n]), 0);
        ck_assert_int_eq (tlog_root_with (tlog_mem_read, tree, n, mem_root), 0);
        ck_assert_msg (memcmp (roots [n], mem_root, TLOG_HASH_SIZE) == 0, "root at %d", (int) n);
    }
    for (uint64_t n = 1; n <= total; n++) {
        for (uint64_t m = 0; m < n; m++) {
            tlog_hash_t proof [TLOG_PROOF_MAX], mem_proof [TLOG_PROOF_MAX], leaf_hash;
            size_t count, mem_count;
            ck_assert_int_eq (tlog_inclusion (store, txn, m, n, proof, &count), 0);
            ck_assert_int_eq (tlog_inclusion_with (tlog_mem_read, tree, m, n, mem_proof, &mem_count), 0);
            ck_assert_uint_eq (count, mem_count);
            ck_assert (memcmp (proof, mem_proof, count * TLOG_HASH_SIZE) == 0);
            ck_assert_int_eq (tlog_mem_read (tree, 0, m, leaf_hash), 0);
            ck_assert_msg (tlog_verify_inclusion (m, n, leaf_hash, proof, count, roots [n]),
                           "inclusion of %d in %d", (int) m, (int) n);
            if (m == 0)
                continue;
            ck_assert_int_eq (tlog_consistency (store, txn, m, n, proof, &count), 0);
            ck_assert_msg (tlog_verify_consistency (m, n, proof, count, roots [m], roots [n]),
                           "consistency %d to %d", (int) m, (int) n);
            //  Another tree's old root is not consistent with this one.
            ck_assert (!tlog_verify_consistency (m, n, proof, count, roots [m == 1? 2: m - 1], roots [n]));
        }
    }
    //  A size past the end is refused, naming both.
    tlog_hash_t root;
    ck_assert_int_ne (tlog_root (store, txn, total + 1, root), 0);
    ck_assert_ptr_nonnull (strstr (store_error (store), "71"));
    store_read_end (&txn);
    tlog_mem_destroy (&tree);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

typedef struct {
    tlog_batch_t *batch;            //  NULL: tlog_append
    uint64_t from;                  //  leaves "leaf <from>" ...
    size_t count;
    bool abort;                     //  fail after the appends (no end)
    bool old_first;                 //  one tlog_append before the batch starts
} s_batch_job_t;

static int
s_batch_append (store_t *store, MDB_txn *txn, void *arg)
{
    s_batch_job_t *job = (s_batch_job_t *) arg;
    int rc = 0;
    uint64_t next = job->from, index;
    char leaf [32];
    if (job->old_first) {
        int length = snprintf (leaf, sizeof leaf, "leaf %d", (int) next);
        rc = tlog_append (store, txn, leaf, (size_t) length, &index);
        if (rc == 0 && index != next++)
            rc = store_fail (store, "old append at %d, not %d", (int) index, (int) next - 1);
    }
    if (job->batch)
        tlog_batch_start (job->batch);
    for (size_t i = 0; i < job->count && rc == 0; i++) {
        int length = snprintf (leaf, sizeof leaf, "leaf %d", (int) next);
        rc = job->batch? tlog_batch_append (job->batch, store, txn, leaf, (size_t) length, &index)
                       : tlog_append (store, txn, leaf, (size_t) length, &index);
        if (rc == 0 && index != next++)
            rc = store_fail (store, "append at %d, not %d", (int) index, (int) next - 1);
    }
    if (rc == 0 && job->abort)
        return store_fail (store, "aborted on purpose");
    if (rc == 0 && job->batch)
        rc = tlog_batch_end (job->batch, store, txn);
    return rc;
}

//  Every row of a table in two stores, byte for byte.
static void
s_assert_same_table (store_t *a, store_t *b, const char *table)
{
    MDB_txn *ta = store_read_begin (a), *tb = store_read_begin (b);
    MDB_cursor *ca, *cb;
    ck_assert_int_eq (mdb_cursor_open (ta, store_table (a, table), &ca), 0);
    ck_assert_int_eq (mdb_cursor_open (tb, store_table (b, table), &cb), 0);
    MDB_val ka, va, kb, vb;
    int ra = mdb_cursor_get (ca, &ka, &va, MDB_FIRST), rb = mdb_cursor_get (cb, &kb, &vb, MDB_FIRST);
    size_t rows = 0;
    while (ra == 0 && rb == 0) {
        ck_assert_msg (ka.mv_size == kb.mv_size && memcmp (ka.mv_data, kb.mv_data, ka.mv_size) == 0,
                       "%s: key of row %zu differs", table, rows);
        ck_assert_msg (va.mv_size == vb.mv_size && memcmp (va.mv_data, vb.mv_data, va.mv_size) == 0,
                       "%s: value of row %zu differs", table, rows);
        rows++;
        ra = mdb_cursor_get (ca, &ka, &va, MDB_NEXT);
        rb = mdb_cursor_get (cb, &kb, &vb, MDB_NEXT);
    }
    ck_assert_msg (ra == MDB_NOTFOUND && rb == MDB_NOTFOUND, "%s: %zu rows, then one store ends", table, rows);
    mdb_cursor_close (ca);
    mdb_cursor_close (cb);
    store_read_end (&ta);
    store_read_end (&tb);
}

static void
s_assert_same_stores (store_t *a, store_t *b)
{
    s_assert_same_table (a, b, "tlog_leaf");
    s_assert_same_table (a, b, "tlog_hash");
    s_assert_same_table (a, b, "tlog_meta");
}

//  Appends in batches (the tree's edge in memory, the size written at the
//  end) write every table byte for byte as tlog_append does, through
//  batches of every size, an empty one, an old-path append between them,
//  and an aborted batch, which leaves nothing (the next start re-reads).
START_TEST (test_batch_matches_append)
{
    char *dir_a = test_tmpdir ("tlog-a"), *dir_b = test_tmpdir ("tlog-b");
    char error [512];
    store_t *a = store_new (dir_a, s_tables, error, sizeof error);
    ck_assert_msg (a, "%s", error);
    store_t *b = store_new (dir_b, s_tables, error, sizeof error);
    ck_assert_msg (b, "%s", error);
    tlog_batch_t batch;
    memset (&batch, 0, sizeof batch);
    const uint64_t total = 300;
    uint64_t appended = 0;
    for (size_t round = 0, size = 0; appended < total; round++, size = (size + 3) % 11) {
        size_t count = size > total - appended? total - appended: size;
        bool old_first = round % 7 == 3;
        if (round % 5 == 2) {
            //  An aborted batch of other leaves leaves both stores as they were.
            s_batch_job_t junk = { &batch, appended + 1000, 4, true, false };
            ck_assert_int_ne (store_write (b, s_batch_append, &junk), 0);
            s_assert_same_stores (a, b);
        }
        s_batch_job_t old = { NULL, appended, count + old_first, false, false };
        ck_assert_int_eq (store_write (a, s_batch_append, &old), 0);
        s_batch_job_t new = { &batch, appended, count, false, old_first };
        ck_assert_msg (store_write (b, s_batch_append, &new) == 0, "%s", store_error (b));
        ck_assert (!batch.open);
        appended += count + old_first;
        s_assert_same_stores (a, b);
    }
    MDB_txn *txn = store_read_begin (b);
    uint64_t size;
    ck_assert_int_eq (tlog_size (b, txn, &size), 0);
    ck_assert_uint_eq (size, appended);
    store_read_end (&txn);
    store_destroy (&a);
    store_destroy (&b);
    test_rmtree (dir_a);
    test_rmtree (dir_b);
    free (dir_a);
    free (dir_b);
}
END_TEST

//  The post-order numbers are dense: n leaves keep 2n - popcount(n)
//  hashes, numbered 0 .. that - 1 with no number used twice.
START_TEST (test_stored_index_dense)
{
    uint8_t seen [256] = { 0 };
    uint64_t leaves = 64, stored = 2 * leaves - 1;
    for (unsigned level = 0; level <= 6; level++)
        for (uint64_t index = 0; index < (leaves >> level); index++) {
            uint64_t at = tlog_stored_index (level, index);
            ck_assert_uint_lt (at, stored);
            ck_assert_int_eq (seen [at], 0);
            seen [at] = 1;
        }
    ck_assert_uint_eq (tlog_stored_index (0, 0), 0);
    ck_assert_uint_eq (tlog_stored_index (0, 1), 1);
    ck_assert_uint_eq (tlog_stored_index (1, 0), 2);
    ck_assert_uint_eq (tlog_stored_index (0, 2), 3);
}
END_TEST

//  The root of a log of leaves "leaf 0" ... given by their numbers, in
//  order (a tampered copy of the log).
static void
s_root_of (const int *numbers, size_t count, tlog_hash_t root)
{
    tlog_mem_t *tree = tlog_mem_new ();
    for (size_t i = 0; i < count; i++) {
        char leaf [32];
        int length = snprintf (leaf, sizeof leaf, "leaf %d", numbers [i]);
        tlog_hash_t hash;
        tlog_leaf_hash (leaf, (size_t) length, hash);
        tlog_mem_append_hash (tree, hash);
    }
    tlog_root_with (tlog_mem_read, tree, count, root);
    tlog_mem_destroy (&tree);
}

//  Every kind of tampering with a small sealed log changes the root at the
//  checkpoint's size, or leaves the log short of it; and a log that grew
//  honestly proves itself an extension of the checkpoint, where a changed
//  prefix cannot.
START_TEST (test_tamper_kinds)
{
    const int honest [] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    tlog_hash_t sealed, root;
    s_root_of (honest, 10, sealed);
    const struct { const char *what; int numbers [11]; size_t count; } cases [] = {
        { "modified",  { 0, 1, 2, 3, 99, 5, 6, 7, 8, 9 }, 10 },
        { "inserted",  { 0, 1, 2, 3, 4, 4, 5, 6, 7, 8, 9 }, 11 },
        { "deleted",   { 0, 1, 2, 3, 5, 6, 7, 8, 9, 10 }, 10 },
        { "reordered", { 0, 1, 2, 3, 5, 4, 6, 7, 8, 9 }, 10 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        s_root_of (cases [i].numbers, 10, root);
        ck_assert_msg (memcmp (root, sealed, TLOG_HASH_SIZE) != 0, "%s log gives the sealed root", cases [i].what);
    }
    //  Truncated: the log is shorter than what the checkpoint seals.
    tlog_mem_t *tree = tlog_mem_new ();
    for (int i = 0; i < 12; i++) {
        char leaf [32];
        int length = snprintf (leaf, sizeof leaf, "leaf %d", i);
        tlog_hash_t hash;
        tlog_leaf_hash (leaf, (size_t) length, hash);
        tlog_mem_append_hash (tree, hash);
    }
    tlog_hash_t proof [TLOG_PROOF_MAX], grown;
    size_t count;
    tlog_root_with (tlog_mem_read, tree, 12, grown);
    ck_assert_int_eq (tlog_consistency_with (tlog_mem_read, tree, 10, 12, proof, &count), 0);
    ck_assert (tlog_verify_consistency (10, 12, proof, count, sealed, grown));
    //  A fork: the same proof against a prefix that was changed.
    s_root_of (cases [0].numbers, 10, root);
    ck_assert (!tlog_verify_consistency (10, 12, proof, count, root, grown));
    //  A rollback: a checkpoint of 12 is no extension of one of 10 read backwards.
    ck_assert (!tlog_verify_consistency (12, 10, proof, count, grown, sealed));
    tlog_mem_destroy (&tree);
}
END_TEST

Suite *
tlog_suite (void)
{
    Suite *suite = suite_create ("tlog");
    TCase *tc = tcase_create ("tree");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_vector_roots);
    tcase_add_test (tc, test_vector_inclusion);
    tcase_add_test (tc, test_vector_consistency);
    tcase_add_test (tc, test_store_matches_memory);
    tcase_add_test (tc, test_batch_matches_append);
    tcase_add_test (tc, test_stored_index_dense);
    tcase_add_test (tc, test_tamper_kinds);
    suite_add_tcase (suite, tc);
    return suite;
}
