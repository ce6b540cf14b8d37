/*  bench/claims: 835 payment posting through the real rcmq-claims, next to
    the LMDB limit of the same machine measured in the same run.

    Setup (untimed): scripts/gen-837 --seed 42 makes N clean claims; a real
    rcmq-broker, rcmq-intake and rcmq-claims (CURVE, LMDB with fsync) take
    them in through intake.Submit; once claims has consumed every
    intake.claim_accepted, claims.Submit writes the 837P files and
    scripts/payer-sim (--seed 7, one wave, every claim accepted and
    adjudicated once: paid 60 %, partially paid 20 %, denied 20 %, PLB)
    answers with one 835 per payer, which together cover all N claims.

    Measured:

        post        the claims.Post calls, one per 835 file, from the client
                    library until each reply (the file read, checked to
                    balance, every CLP applied to its claim record, the
                    events in the outbox, committed). claims/s = CLPs posted
                    over the sum of the calls' times.
        lmdb        raw limit: the claim records as the service left them
                    after posting (read back from its env once it has
                    stopped), the same keys and bytes, put into a fresh LMDB
                    env in one write transaction per 835 file with the same
                    number of claims each, fsync at commit - the writes the
                    service cannot avoid, without its reading, matching,
                    arithmetic and events.

    It prints a table and ends with ONE JSON line:
        {"name":"claims","figures":{...},"limits":{...},"ratios":{...}}

    Usage: claims [--claims N] [--keep]
    N defaults to 100,000 (an 835 set covering 100,000 claims). Programs are
    found in $RCMQ_BUILD or next to this one's build folder; gen-837 and
    payer-sim in the source tree.
*/
#include "bench_remits.h"
#include "bench_util.h"
#include "store.h"

#include <getopt.h>
#include <jansson.h>

#define BENCH_DEFAULT_CLAIMS    100000

//  --------------------------------------------------------------------------
//  The LMDB limit

typedef struct {
    bench_remit_file_t *file;
    MDB_val *records;           //  the claim records of its PCNs (copies)
    MDB_val *keys;              //  their keys in "claims" (payer, 0, PCN: ADR 82)
} s_batch_t;

static int
s_fill (store_t *store, MDB_txn *txn, void *arg)
{
    s_batch_t *batch = (s_batch_t *) arg;
    for (size_t i = 0; i < batch->file->pcn_count; i++) {
        if (!batch->keys [i].mv_size)
            continue;           //  a PCN the service did not have
        int rc = store_put (store, txn, "claims", batch->keys [i].mv_data, batch->keys [i].mv_size,
                            batch->records [i].mv_data, batch->records [i].mv_size);
        if (rc)
            return rc;
    }
    return 0;
}

//  The claim records rcmq-claims left (it has stopped), written again into
//  a fresh env, one transaction per 835 file. Returns the time, 0 on error.
static uint64_t
s_lmdb (bench_remits_t *self, size_t *records_out, size_t *bytes_out)
{
    char dir [1300], error [256];
    snprintf (dir, sizeof dir, "%s/data/claims", self->root);
    const char *tables [] = { "claims", "claim_keys", NULL };
    store_t *service = store_new (dir, tables, error, sizeof error);
    if (!service) {
        fprintf (stderr, "bench: the claims env: %s\n", error);
        return 0;
    }
    s_batch_t batches [BENCH_REMITS_MAX_FILES];
    size_t records = 0, bytes = 0;
    MDB_txn *txn = store_read_begin (service);
    for (size_t f = 0; f < self->file_count; f++) {
        batches [f].file = &self->files [f];
        batches [f].records = (MDB_val *) calloc (self->files [f].pcn_count + 1, sizeof (MDB_val));
        batches [f].keys = (MDB_val *) calloc (self->files [f].pcn_count + 1, sizeof (MDB_val));
        for (size_t i = 0; txn && i < self->files [f].pcn_count; i++) {
            const char *pcn = self->files [f].pcns [i];
            MDB_val key, value;
            if (store_get (service, txn, "claim_keys", pcn, strlen (pcn), &key) == 0
            &&  store_get (service, txn, "claims", key.mv_data, key.mv_size, &value) == 0) {
                batches [f].keys [i].mv_size = key.mv_size;
                batches [f].keys [i].mv_data = malloc (key.mv_size);
                memcpy (batches [f].keys [i].mv_data, key.mv_data, key.mv_size);
                batches [f].records [i].mv_size = value.mv_size;
                batches [f].records [i].mv_data = malloc (value.mv_size);
                memcpy (batches [f].records [i].mv_data, value.mv_data, value.mv_size);
                records++;
                bytes += value.mv_size;
            }
        }
    }
    store_read_end (&txn);
    store_destroy (&service);

    snprintf (dir, sizeof dir, "%s/lmdb", self->root);
    zsys_dir_create ("%s", dir);
    store_t *store = store_new (dir, tables, error, sizeof error);
    uint64_t usec = 0;
    if (store) {
        //  Room for everything up front: growing the map is not what we
        //  measure (the service's env has grown already too).
        store_set_map_size (store, bytes * 3 + (64u << 20));
        uint64_t start = bench_usec ();
        int rc = 0;
        for (size_t f = 0; rc == 0 && f < self->file_count; f++)
            rc = store_write (store, s_fill, &batches [f]);
        usec = rc? 0: bench_usec () - start;
        if (rc)
            fprintf (stderr, "bench: LMDB write failed: %s\n", store_error (store));
        store_destroy (&store);
    }
    else
        fprintf (stderr, "bench: %s\n", error);
    for (size_t f = 0; f < self->file_count; f++) {
        for (size_t i = 0; i < self->files [f].pcn_count; i++) {
            free (batches [f].records [i].mv_data);
            free (batches [f].keys [i].mv_data);
        }
        free (batches [f].records);
        free (batches [f].keys);
    }
    *records_out = records;
    *bytes_out = bytes;
    return usec;
}

//  --------------------------------------------------------------------------

static void
s_usage (void)
{
    fprintf (stderr, "usage: claims [--claims N] [--keep]\n");
}

int
main (int argc, char *argv [])
{
    bench_remits_t self = { .claims = BENCH_DEFAULT_CLAIMS, .mix = "paid=0.6,partial=0.2,denied=0.2", .plb = true };
    bool keep = false;
    static struct option options [] = {
        { "claims", required_argument, NULL, 'c' },
        { "events", required_argument, NULL, 'e' },     //  scripts/bench passes it to every bench
        { "keep",   no_argument,       NULL, 'k' },
        { "help",   no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        if (option == 'c')
            self.claims = (size_t) strtoul (optarg, NULL, 10);
        else
        if (option == 'e')
            ;                   //  the broker's; ours is --claims
        else
        if (option == 'k')
            keep = true;
        else
        if (option == 'h') {
            s_usage ();
            return 0;
        }
        else
            fprintf (stderr, "bench claims: ignoring unknown option %s\n", argv [optind - 1]);
    }
    if (self.claims < 10) {
        s_usage ();
        return 2;
    }
    bench_build_dir (self.build, sizeof self.build);
    if (bench_tmpdir (self.root, sizeof self.root, "claims")) {
        perror ("bench: mkdtemp");
        return 1;
    }
    zsys_init ();
    zsys_set_logstream (NULL);

    printf ("claims bench: %zu claims, 837P from scripts/gen-837 --seed 42, 835s from scripts/payer-sim --seed 7 "
            "(temp %s)\n", self.claims, self.root);
    fflush (stdout);
    int failed = bench_remits_start (&self) || bench_remits_setup (&self) || bench_remits_post (&self);
    bench_remits_stop (&self);

    size_t records = 0, record_bytes = 0;
    uint64_t lmdb_usec = failed? 0: s_lmdb (&self, &records, &record_bytes);
    failed = failed || lmdb_usec == 0;
    if (failed) {
        fprintf (stderr, "bench claims: failed; kept %s (logs there)\n", self.root);
        bench_remits_free (&self);
        return 1;
    }
    uint64_t post_usec = 0;
    size_t clps = 0, posted = 0, exceptions = 0, bytes = 0;
    printf ("\n%-24s %10s %10s %10s %12s\n", "835 file", "CLPs", "posted", "seconds", "claims/s");
    for (size_t i = 0; i < self.file_count; i++) {
        bench_remit_file_t *file = &self.files [i];
        struct stat st;
        if (stat (file->path, &st) == 0)
            bytes += (size_t) st.st_size;
        const char *slash = strrchr (file->path, '/');
        printf ("%-24s %10zu %10u %10.3f %12.0f\n", slash? slash + 1: file->path, file->clps, file->posted,
                file->usec / 1e6, bench_rate (file->posted, file->usec));
        post_usec += file->usec;
        clps += file->clps;
        posted += file->posted;
        exceptions += file->exceptions;
    }
    double post_cps = bench_rate ((double) posted, post_usec);
    double lmdb_cps = bench_rate ((double) records, lmdb_usec);
    printf ("\n%-44s %12s %10s %10s\n", "", "claims/s", "MB/s", "seconds");
    printf ("%-44s %12.0f %10.1f %10.3f\n", "claims.Post (835 read, checked, posted)", post_cps,
            bench_rate (bytes / 1e6, post_usec), post_usec / 1e6);
    printf ("%-44s %12.0f %10.1f %10.3f\n", "limit: LMDB, same records, 1 txn per file", lmdb_cps,
            bench_rate (record_bytes / 1e6, lmdb_usec), lmdb_usec / 1e6);
    printf ("\n%zu CLPs in %zu files (%.1f MB), %zu posted, %zu exceptions; claim records %.0f B on average\n"
            "post / LMDB limit %.2f\n", clps, self.file_count, bytes / 1e6, posted, exceptions,
            records? (double) record_bytes / (double) records: 0, post_cps / lmdb_cps);

    json_t *figures = json_pack ("{s:I, s:I, s:I, s:f, s:f, s:f}",
        "claims", (json_int_t) self.claims, "clps_posted", (json_int_t) posted, "files", (json_int_t) self.file_count,
        "post_claims_per_s", post_cps, "post_seconds", post_usec / 1e6, "file_mb", bytes / 1e6);
    json_t *limits = json_pack ("{s:f, s:f}", "lmdb_claims_per_s", lmdb_cps,
                                "record_bytes_avg", records? (double) record_bytes / (double) records: 0.0);
    json_t *ratios = json_pack ("{s:f}", "post_vs_lmdb", post_cps / lmdb_cps);
    bench_print_line ("claims", figures, limits, ratios, 6);
    bench_remits_free (&self);
    if (keep)
        fprintf (stderr, "bench: kept %s\n", self.root);
    else
        bench_rmtree (self.root);
    return 0;
}
