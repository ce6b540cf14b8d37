/*  pageprobe_sim: what-if for claims' "claims" table under an ack or post
    file, measured with pageprobe (bench/pageprobe.c): N records of SIZE
    bytes are written in PCN order, each with one of PAYERS payers drawn at
    random (as scripts/gen-837 does), then one write transaction rewrites
    every record of payer 0 (one 277CA or 835 file: one payer's claims).
    The probe's line for that last commit says how many pages it wrote.

        pageprobe_sim DIR pcn|payer N SIZE PAYERS

    "pcn" keys the table by PCN (today); "payer" by payer ‖ PCN (a file's
    claims side by side). Built as build/bench/pageprobe_sim; run:
        LD_PRELOAD=build/bench/pageprobe.so PAGEPROBE_OUT=out \
            build/bench/pageprobe_sim /tmp/x pcn 30000 600 6
    The size to give is the record's in the store at the ack: the 100k
    run's table held 100,000 records in 17,355 leaves (5.8 a leaf), as
    600-byte records do here (5 a leaf).
*/
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
s_key (char *key, size_t size, int by_payer, int payer, int index)
{
    return by_payer? snprintf (key, size, "P%d%cT%07d", payer, 0, index + 1)
                   : snprintf (key, size, "T%07d", index + 1);
}

int
main (int argc, char *argv [])
{
    if (argc != 6) {
        fprintf (stderr, "usage: pageprobe_sim DIR pcn|payer N SIZE PAYERS\n");
        return 2;
    }
    const char *dir = argv [1];
    int by_payer = strcmp (argv [2], "payer") == 0;
    int count = atoi (argv [3]), size = atoi (argv [4]), payers = atoi (argv [5]);
    mkdir (dir, 0700);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    mdb_env_create (&env);
    mdb_env_set_maxdbs (env, 4);
    mdb_env_set_mapsize (env, 4UL << 30);
    if (mdb_env_open (env, dir, MDB_WRITEMAP | MDB_NOTLS, 0600))
        return 1;
    int *payer_of = malloc (count * sizeof (int));
    srand (42);
    for (int i = 0; i < count; i++)
        payer_of [i] = rand () % payers;
    char *value = calloc (size, 1);
    char key [64];
    //  Written as intake sends them: in PCN order, in batches.
    for (int start = 0; start < count; start += 1000) {
        mdb_txn_begin (env, NULL, 0, &txn);
        mdb_dbi_open (txn, "claims", MDB_CREATE, &dbi);
        for (int i = start; i < count && i < start + 1000; i++) {
            int length = s_key (key, sizeof key, by_payer, payer_of [i], i);
            MDB_val k = { (size_t) length, key }, v = { (size_t) size, value };
            mdb_put (txn, dbi, &k, &v, 0);
        }
        mdb_txn_commit (txn);
    }
    //  One file: every claim of payer 0 rewritten, same size.
    value [0] = 1;
    mdb_txn_begin (env, NULL, 0, &txn);
    int rewritten = 0;
    for (int i = 0; i < count; i++)
        if (payer_of [i] == 0) {
            int length = s_key (key, sizeof key, by_payer, 0, i);
            MDB_val k = { (size_t) length, key }, v = { (size_t) size, value };
            mdb_put (txn, dbi, &k, &v, 0);
            rewritten++;
        }
    int rc = mdb_txn_commit (txn);
    MDB_stat stat;
    mdb_txn_begin (env, NULL, MDB_RDONLY, &txn);
    mdb_stat (txn, dbi, &stat);
    mdb_txn_abort (txn);
    printf ("%s N=%d size=%d payers=%d: rewrote %d records; table %zu leaves (%.2f records a leaf); commit %s\n",
            argv [2], count, size, payers, rewritten, stat.ms_leaf_pages, (double) count / stat.ms_leaf_pages,
            rc? mdb_strerror (rc): "ok");
    mdb_env_close (env);
    free (payer_of);
    free (value);
    return 0;
}
