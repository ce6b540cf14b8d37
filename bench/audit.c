/*  bench/audit: the audit log's tree (common/tlog) in an LMDB store, as
    rcmq-audit keeps it, next to the raw limit measured in the same run:
    SHA-256 (common/sha256: the CPU's SHA extensions when it has them)
    hashing the same leaves into the same tree in memory.

        build/bench/audit [--records N] [--batch B] [--checkpoint-every C]
                          [--proofs P] [--keep]

    Leaves are AuditRecords like the ones audit appends for a request
    (actor, role, team, method, two subjects: about 200 bytes), made before
    each batch is timed. The figures:

      append_per_s        leaves appended in store_write batches of B (1,000,
                          as the consumer's batches), the leaf and every
                          subtree hash written, with a checkpoint every C
                          leaves (1,000): root, C2SP text, Ed25519 note, row
      raw_append_per_s    the same leaves hashed into tlog_mem_t (no store)
      verify_per_s        the offline check's core: every leaf read back,
                          hashed into a tree in memory, each checkpoint's
                          root compared
      inclusion_us / consistency_us  a proof read from the store at size
                          N (P random leaves / old sizes) and verified
      raw_inclusion_us    the same proofs from the in-memory tree

    N is 1,000,000 by default; the figure is at --records 10000000
    (about 3 GB of store).
*/
#include "bench_util.h"
#include "codec.h"
#include "note.h"
#include "store.h"
#include "tlog.h"
#include "audit.pb-c.h"

#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *data;
    size_t *sizes;
    size_t *offsets;
    size_t count;
} s_batch_t;

//  Leaves [first, first + count): the same bytes on every call.
static void
s_make (s_batch_t *batch, uint64_t first, size_t count)
{
    size_t capacity = count * 320, at = 0;
    batch->data = (uint8_t *) realloc (batch->data, capacity);
    batch->sizes = (size_t *) realloc (batch->sizes, count * sizeof (size_t));
    batch->offsets = (size_t *) realloc (batch->offsets, count * sizeof (size_t));
    for (size_t i = 0; i < count; i++) {
        uint64_t n = first + i;
        char actor [32], request [48], pcn [24], member [80];
        snprintf (actor, sizeof actor, "agent%03u", (unsigned) (n % 500));
        snprintf (request, sizeof request, "%u-19a0c0ffee-%" PRIu64, (unsigned) (n % 9973), n);
        snprintf (pcn, sizeof pcn, "P%09" PRIu64, n % 1000000);
        snprintf (member, sizeof member, "member:%064" PRIx64, n * 2654435761u);
        char *subjects [] = { pcn, member };
        AccessEvent access = ACCESS_EVENT__INIT;
        access.actor_key = "h^yw[W?(.Fc9YI=9PP].00js8v#f8i/{>/}W-/mE";
        access.actor_name = actor;
        access.role = "vendor-agent";
        access.team = "acme";
        access.service = "claims";
        access.method = "claims.Show";
        access.request_id = request;
        access.subjects = subjects;
        access.n_subjects = 2;
        access.time_ms = 1793610000000 + n;
        AuditRecord record = AUDIT_RECORD__INIT;
        record.stream = "audit";
        record.seq = n + 1;
        record.type = "access";
        record.key = actor;
        record.time_ms = access.time_ms;
        record.producer = "claims-7d91e61b";
        record.producer_seq = n + 1;
        record.access = &access;
        record.actor = actor;
        size_t size = audit_record__get_packed_size (&record);
        if (at + size > capacity) {
            capacity = (at + size) * 2;
            batch->data = (uint8_t *) realloc (batch->data, capacity);
        }
        audit_record__pack (&record, batch->data + at);
        batch->offsets [i] = at;
        batch->sizes [i] = size;
        at += size;
    }
    batch->count = count;
}

typedef struct {
    s_batch_t *batch;
    note_signer_t *signer;
    uint64_t every;
    uint64_t checkpoints;
} s_append_t;

static int
s_append (store_t *store, MDB_txn *txn, void *arg)
{
    s_append_t *job = (s_append_t *) arg;
    int rc = 0;
    for (size_t i = 0; i < job->batch->count && rc == 0; i++) {
        uint64_t index;
        rc = tlog_append (store, txn, job->batch->data + job->batch->offsets [i], job->batch->sizes [i], &index);
        if (rc == 0 && (index + 1) % job->every == 0) {
            //  What audit's checkpoint does: root, text, note, row.
            tlog_hash_t root;
            rc = tlog_root (store, txn, index + 1, root);
            const char *extensions [] = { "rcmq-time 2026-11-02T09:00:00.000Z", NULL };
            char *text = note_checkpoint_text ("rcmq-audit", index + 1, root, extensions);
            char error [256];
            char *signed_note = note_sign (job->signer, text, error, sizeof error);
            uint8_t key [8];
            //  Numbered from the index, not counted: store_write runs this
            //  again after the map grows, and a count would run on.
            job->checkpoints = (index + 1) / job->every;
            store_u64_write (key, job->checkpoints);
            if (rc == 0)
                rc = store_append (store, txn, "audit_checkpoints", key, sizeof key, signed_note, strlen (signed_note));
            free (text);
            free (signed_note);
        }
    }
    return rc;
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "records", required_argument, 0, 'n' },
        { "batch", required_argument, 0, 'b' },
        { "checkpoint-every", required_argument, 0, 'c' },
        { "proofs", required_argument, 0, 'p' },
        { "keep", no_argument, 0, 'k' },
        { 0, 0, 0, 0 }
    };
    uint64_t records = 1000000, batch_size = 1000, every = 1000, proofs = 10000;
    bool keep = false;
    int option;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        if (option == 'n')
            records = strtoull (optarg, NULL, 10);
        else
        if (option == 'b')
            batch_size = strtoull (optarg, NULL, 10);
        else
        if (option == 'c')
            every = strtoull (optarg, NULL, 10);
        else
        if (option == 'p')
            proofs = strtoull (optarg, NULL, 10);
        else
        if (option == 'k')
            keep = true;
        else {
            fprintf (stderr, "usage: audit [--records N] [--batch B] [--checkpoint-every C] [--proofs P] [--keep]\n");
            return 2;
        }
    }
    if (sodium_init () < 0 || records < 2 || !batch_size || !every || !proofs)
        return 2;
    char dir [1024];
    if (bench_tmpdir (dir, sizeof dir, "audit"))
        return 1;
    static const char *tables [] = { TLOG_TABLES, "audit_checkpoints", NULL };
    char error [512];
    store_t *store = store_new (dir, tables, error, sizeof error);
    if (!store) {
        fprintf (stderr, "bench/audit: %s\n", error);
        return 1;
    }
    char *key = note_key_generate ("rcmq-audit");
    note_signer_t *signer = note_signer_new (key, error, sizeof error);
    free (key);
    s_batch_t batch = { NULL, NULL, NULL, 0 };
    tlog_mem_t *tree = tlog_mem_new ();
    s_append_t job = { &batch, signer, every, 0 };
    uint64_t store_usec = 0, raw_usec = 0, bytes = 0;
    for (uint64_t first = 0; first < records; first += batch_size) {
        size_t count = (size_t) (records - first < batch_size? records - first: batch_size);
        s_make (&batch, first, count);
        uint64_t start = bench_usec ();
        if (store_write (store, s_append, &job)) {
            fprintf (stderr, "bench/audit: %s\n", store_error (store));
            return 1;
        }
        uint64_t middle = bench_usec ();
        for (size_t i = 0; i < count; i++) {
            tlog_hash_t hash;
            tlog_leaf_hash (batch.data + batch.offsets [i], batch.sizes [i], hash);
            tlog_mem_append_hash (tree, hash);
            bytes += batch.sizes [i];
        }
        raw_usec += bench_usec () - middle;
        store_usec += middle - start;
    }

    //  The offline check's core, from the store.
    uint64_t start = bench_usec ();
    tlog_mem_t *check = tlog_mem_new ();
    MDB_txn *txn = store_read_begin (store);
    uint64_t bad = 0;
    for (uint64_t index = 0; index < records; index++) {
        MDB_val leaf;
        tlog_hash_t hash, root, want;
        if (tlog_leaf (store, txn, index, &leaf))
            return 1;
        tlog_leaf_hash (leaf.mv_data, leaf.mv_size, hash);
        tlog_mem_append_hash (check, hash);
        if ((index + 1) % every == 0) {
            tlog_root_with (tlog_mem_read, check, index + 1, root);
            tlog_root_with (tlog_mem_read, tree, index + 1, want);
            bad += memcmp (root, want, TLOG_HASH_SIZE) != 0;
        }
    }
    uint64_t verify_usec = bench_usec () - start;

    //  Proofs at size N: from the store, and from memory.
    uint64_t seed = 12345, inclusion_usec = 0, consistency_usec = 0, raw_inclusion_usec = 0;
    tlog_hash_t root_n;
    tlog_root (store, txn, records, root_n);
    for (uint64_t i = 0; i < proofs; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint64_t index = (seed >> 11) % records;
        tlog_hash_t proof [TLOG_PROOF_MAX], leaf_hash, old_root;
        size_t count;
        uint64_t t0 = bench_usec ();
        tlog_inclusion (store, txn, index, records, proof, &count);
        tlog_read_stored (&(tlog_txn_t) { store, txn }, 0, index, leaf_hash);
        bad += !tlog_verify_inclusion (index, records, leaf_hash, proof, count, root_n);
        uint64_t t1 = bench_usec ();
        uint64_t old_size = index + 1;
        tlog_consistency (store, txn, old_size, records, proof, &count);
        tlog_root (store, txn, old_size, old_root);
        bad += !tlog_verify_consistency (old_size, records, proof, count, old_root, root_n);
        uint64_t t2 = bench_usec ();
        tlog_inclusion_with (tlog_mem_read, tree, index, records, proof, &count);
        tlog_mem_read (tree, 0, index, leaf_hash);
        bad += !tlog_verify_inclusion (index, records, leaf_hash, proof, count, root_n);
        uint64_t t3 = bench_usec ();
        inclusion_usec += t1 - t0;
        consistency_usec += t2 - t1;
        raw_inclusion_usec += t3 - t2;
    }
    store_read_end (&txn);
    if (bad) {
        fprintf (stderr, "bench/audit: %" PRIu64 " roots or proofs did not verify\n", bad);
        return 1;
    }
    double append = bench_rate ((double) records, store_usec), raw = bench_rate ((double) records, raw_usec);
    double verify = bench_rate ((double) records, verify_usec);
    json_t *figures = json_pack ("{s:I, s:I, s:f, s:f, s:f, s:f, s:I}",
        "records", (json_int_t) records, "checkpoints", (json_int_t) job.checkpoints,
        "append_per_s", append, "verify_per_s", verify,
        "inclusion_us", (double) inclusion_usec / (double) proofs,
        "consistency_us", (double) consistency_usec / (double) proofs,
        "leaf_bytes_avg", (json_int_t) (bytes / records));
    json_t *limits = json_pack ("{s:f, s:f}", "raw_append_per_s", raw,
        "raw_inclusion_us", (double) raw_inclusion_usec / (double) proofs);
    json_t *ratios = json_pack ("{s:f, s:f}", "append_vs_raw", append / raw, "verify_vs_raw", verify / raw);
    bench_print_line ("audit", figures, limits, ratios, 3);
    tlog_mem_destroy (&tree);
    tlog_mem_destroy (&check);
    note_signer_destroy (&signer);
    free (batch.data);
    free (batch.sizes);
    free (batch.offsets);
    store_destroy (&store);
    if (!keep)
        bench_rmtree (dir);
    return 0;
}
