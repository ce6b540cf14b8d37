/*  bench/denials: how fast rcmq-denials opens denials from a remit run,
    next to the LMDB limit of the same records measured in the same run.

    Setup (untimed), as bench/claims: scripts/gen-837 --seed 42 makes N
    clean claims; a real rcmq-broker, rcmq-intake and rcmq-claims (CURVE,
    LMDB with fsync) take them in, claims.Submit writes the 837P files,
    scripts/payer-sim (--seed 7, one wave, every claim accepted:
    paid 50 %, partially paid 20 %, denied 30 %) answers with one 835 per
    payer, and claims.Post posts them all. Once claims' outbox is empty the
    claims stream's head is read from broker.Status.

    Measured:

        denials     a real rcmq-denials started only then, from an empty
                    store: the time from its spawn until its Health says it
                    has applied the claims stream to its head (every
                    claims.denied, reversed, adjudicated, acknowledged: one
                    denial record, its indexes, history, work item and
                    events for each denied claim, in the consumer's
                    batches). denials/s = denials opened (rows of its
                    `denials` table) over that time.
        lmdb        raw limit: the denial records it left (read back once it
                    has stopped), the same keys and bytes, put into a fresh
                    LMDB env in write transactions of --batch records, fsync
                    at commit: the writes it cannot avoid, without its
                    reading, categorizing, indexes, work items and events.
                    denials_vs_lmdb compares the rates of denial records.
        lmdb-all    the same for every row of every table it left (denials,
                    indexes, history, work items, patterns, consumer
                    offsets): what it writes, but for the events it
                    published (their outbox rows are gone once relayed).
                    apply_vs_lmdb = that time over the consumer's time.

    It prints a table and ends with ONE JSON line:
        {"name":"denials","figures":{...},"limits":{...},"ratios":{...}}

    Usage: denials [--claims N] [--batch B] [--keep]
    N defaults to 100,000 claims, B to 500 (records per LMDB transaction).
*/
#include "bench_remits.h"
#include "bench_util.h"
#include "codec.h"
#include "config.h"
#include "store.h"
#include "broker.pb-c.h"

#include <getopt.h>
#include <jansson.h>

#define BENCH_DEFAULT_CLAIMS    100000
#define BENCH_DEFAULT_BATCH     500

typedef struct {
    bench_remits_t run;         //  broker, intake, claims, the posted 835s
    bool keep;
    char denials_api [64];
    pid_t denials;
    size_t batch;
    uint64_t head;              //  the claims stream's head after posting
    uint64_t denials_usec;      //  rcmq-denials' spawn to caught up
} bench_t;

//  --------------------------------------------------------------------------
//  rcmq-denials catching up with the whole remit run

static int
s_denials (bench_t *self)
{
    //  Every claims event at the broker: claims' outbox empty.
    client_t *claims_client = bench_client (self->run.keys, self->run.admin, "claims", self->run.claims_api);
    int rc = -1;
    uint64_t deadline = bench_usec () + 900 * 1000000ULL;
    while (claims_client && bench_usec () < deadline) {
        HealthReply *health = bench_health (claims_client, "claims.Health");
        bool empty = health && health->outbox_depth == 0;
        codec_free (health);
        if (empty) {
            rc = 0;
            break;
        }
        if (bench_watch_sleep (200000))
            break;
    }
    client_destroy (&claims_client);
    //  The claims stream's head, from the broker.
    config_t *config = config_new ();
    const char *endpoint = config_load (config, self->run.config) == 0? config_get (config, "broker/api", NULL): NULL;
    client_t *broker = rc == 0 && endpoint? bench_client (self->run.keys, self->run.admin, "broker", endpoint): NULL;
    BrokerStatus *status = broker? (BrokerStatus *) bench_call (broker, "broker.Status", NULL, &broker_status__descriptor)
                         : NULL;
    for (size_t i = 0; status && i < status->n_streams; i++)
        if (streq (status->streams [i]->stream, "claims"))
            self->head = status->streams [i]->head_seq;
    codec_free (status);
    client_destroy (&broker);
    config_destroy (&config);
    if (rc || self->head == 0) {
        fprintf (stderr, "bench: no claims stream head (claims' outbox not empty, or broker.Status failed)\n");
        return -1;
    }
    printf ("claims stream: %" PRIu64 " events; starting rcmq-denials\n", self->head);
    fflush (stdout);
    uint64_t start = bench_usec ();
    self->denials = bench_spawn (self->run.build, self->run.root, "services/denials/rcmq-denials", self->run.config, "denials");
    client_t *client = self->denials? bench_client (self->run.keys, self->run.admin, "denials", self->denials_api): NULL;
    rc = client? bench_wait_health (client, "denials.Health", "claims", self->head, 3600): -1;
    self->denials_usec = bench_usec () - start;
    client_destroy (&client);
    return rc;
}

//  --------------------------------------------------------------------------
//  The LMDB limit

//  One row of the denials env, copied out: its table (an index into the
//  run's table names) and its key and value.
typedef struct {
    size_t table;
    MDB_val key, value;
} s_row_t;

typedef struct {
    char **tables;              //  the env's named tables, NULL-ended
    size_t table_count;
    s_row_t *rows;
    size_t count, capacity;
    size_t bytes;               //  keys and values
} s_rows_t;

static void
s_copy (MDB_val *to, const MDB_val *from)
{
    to->mv_size = from->mv_size;
    to->mv_data = malloc (from->mv_size + 1);
    memcpy (to->mv_data, from->mv_data, from->mv_size);
}

static void
s_rows_add (s_rows_t *rows, size_t table, const MDB_val *key, const MDB_val *value)
{
    if (rows->count == rows->capacity) {
        rows->capacity = rows->capacity? rows->capacity * 2: 1024;
        rows->rows = (s_row_t *) realloc (rows->rows, rows->capacity * sizeof (s_row_t));
    }
    s_row_t *row = &rows->rows [rows->count++];
    row->table = table;
    s_copy (&row->key, key);
    s_copy (&row->value, value);
    rows->bytes += key->mv_size + value->mv_size;
}

static void
s_rows_free (s_rows_t *rows)
{
    for (size_t i = 0; i < rows->count; i++) {
        free (rows->rows [i].key.mv_data);
        free (rows->rows [i].value.mv_data);
    }
    free (rows->rows);
    for (size_t t = 0; t < rows->table_count; t++)
        free (rows->tables [t]);
    free (rows->tables);
    memset (rows, 0, sizeof *rows);
}

//  Every row of every named table of the env at dir (rcmq-denials has
//  stopped), or only the table named only. The table names come from the
//  env's main table, so a table the service adds later counts too.
typedef struct {
    s_rows_t *rows;
    const char *only;
} s_reading_t;

static void
s_read_row (void *arg, const char *table, const MDB_val *key, const MDB_val *value)
{
    s_reading_t *reading = (s_reading_t *) arg;
    s_rows_t *rows = reading->rows;
    if (reading->only && strcmp (table, reading->only))
        return;
    //  Rows come table by table: a new name is the next table.
    if (!rows->table_count || strcmp (rows->tables [rows->table_count - 1], table)) {
        rows->tables = (char **) realloc (rows->tables, (rows->table_count + 2) * sizeof (char *));
        rows->tables [rows->table_count++] = strdup (table);
        rows->tables [rows->table_count] = NULL;
    }
    s_rows_add (rows, rows->table_count - 1, key, value);
}

static int
s_rows_read (const char *dir, const char *only, s_rows_t *rows)
{
    s_reading_t reading = { rows, only };
    return bench_env_rows (dir, s_read_row, &reading);
}

typedef struct {
    const s_rows_t *rows;
    size_t from, to;
} s_batch_t;

static int
s_fill (store_t *store, MDB_txn *txn, void *arg)
{
    s_batch_t *batch = (s_batch_t *) arg;
    for (size_t i = batch->from; i < batch->to; i++) {
        const s_row_t *row = &batch->rows->rows [i];
        int rc = store_put (store, txn, batch->rows->tables [row->table], row->key.mv_data, row->key.mv_size,
                            row->value.mv_data, row->value.mv_size);
        if (rc)
            return rc;
    }
    return 0;
}

//  The rows written again into a fresh env at <root>/<tag>, --batch rows a
//  transaction, fsync at commit. Returns the time, 0 on error.
static uint64_t
s_lmdb (bench_t *self, const char *tag, const s_rows_t *rows)
{
    char dir [1300], error [256];
    snprintf (dir, sizeof dir, "%s/%s", self->run.root, tag);
    zsys_dir_create ("%s", dir);
    store_t *store = rows->count? store_new (dir, (const char *const *) rows->tables, error, sizeof error): NULL;
    if (!store) {
        fprintf (stderr, "bench: %s\n", rows->count? error: "rcmq-denials left no rows");
        return 0;
    }
    //  Room for everything up front: growing the map is not what we
    //  measure (the service's env has grown already too).
    store_set_map_size (store, rows->bytes * 3 + (64u << 20));
    uint64_t start = bench_usec ();
    int rc = 0;
    for (size_t from = 0; rc == 0 && from < rows->count; from += self->batch) {
        s_batch_t batch = { rows, from, from + self->batch < rows->count? from + self->batch: rows->count };
        rc = store_write (store, s_fill, &batch);
    }
    uint64_t usec = rc? 0: bench_usec () - start;
    if (rc)
        fprintf (stderr, "bench: LMDB write failed: %s\n", store_error (store));
    store_destroy (&store);
    return usec;
}

//  --------------------------------------------------------------------------

static void
s_usage (void)
{
    fprintf (stderr, "usage: denials [--claims N] [--batch B] [--keep]\n");
}

int
main (int argc, char *argv [])
{
    bench_t self = { .run = { .claims = BENCH_DEFAULT_CLAIMS, .mix = "paid=0.5,partial=0.2,denied=0.3" },
                     .batch = BENCH_DEFAULT_BATCH };
    static struct option options [] = {
        { "claims", required_argument, NULL, 'c' },
        { "batch",  required_argument, NULL, 'b' },
        { "events", required_argument, NULL, 'e' },     //  scripts/bench passes it to every bench
        { "keep",   no_argument,       NULL, 'k' },
        { "help",   no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        if (option == 'c')
            self.run.claims = (size_t) strtoul (optarg, NULL, 10);
        else
        if (option == 'b')
            self.batch = (size_t) strtoul (optarg, NULL, 10);
        else
        if (option == 'e')
            ;                   //  the broker's; ours is --claims
        else
        if (option == 'k')
            self.keep = true;
        else
        if (option == 'h') {
            s_usage ();
            return 0;
        }
        else
            fprintf (stderr, "bench denials: ignoring unknown option %s\n", argv [optind - 1]);
    }
    if (self.run.claims < 10 || self.batch == 0) {
        s_usage ();
        return 2;
    }
    bench_build_dir (self.run.build, sizeof self.run.build);
    if (bench_tmpdir (self.run.root, sizeof self.run.root, "denials")) {
        perror ("bench: mkdtemp");
        return 1;
    }
    zsys_init ();
    zsys_set_logstream (NULL);

    printf ("denials bench: %zu claims, 837P from scripts/gen-837 --seed 42, 835s from scripts/payer-sim --seed 7 "
            "(temp %s)\n", self.run.claims, self.run.root);
    fflush (stdout);
    snprintf (self.denials_api, sizeof self.denials_api, "tcp://127.0.0.1:%d", bench_free_port ());
    //  Its sweep is hours away: the catching up is what is timed.
    char *denials_config = zsys_sprintf ("denials\n    api = \"%s\"\n    sweep-ms = 3600000\n", self.denials_api);
    self.run.extra_config = denials_config;
    int failed = bench_remits_start (&self.run) || bench_remits_setup (&self.run) || bench_remits_post (&self.run)
              || s_denials (&self);
    bench_stop (&self.denials);
    bench_remits_stop (&self.run);
    zstr_free (&denials_config);

    //  Two limits: the denial records alone, and every row the consumer
    //  left in its env (denials, indexes, history, work items, patterns,
    //  offsets). Neither counts the events it published: the outbox's rows
    //  are gone once the broker has them, so the second limit is low.
    char dir [1300];
    snprintf (dir, sizeof dir, "%s/data/denials", self.run.root);
    s_rows_t denial_rows = { 0 }, all_rows = { 0 };
    uint64_t lmdb_usec = 0, all_usec = 0;
    if (!failed && s_rows_read (dir, "denials", &denial_rows) == 0 && s_rows_read (dir, NULL, &all_rows) == 0) {
        lmdb_usec = s_lmdb (&self, "lmdb", &denial_rows);
        all_usec = s_lmdb (&self, "lmdb-all", &all_rows);
    }
    size_t records = denial_rows.count, record_bytes = 0;
    for (size_t i = 0; i < denial_rows.count; i++)
        record_bytes += denial_rows.rows [i].value.mv_size;
    size_t all_count = all_rows.count, all_bytes = all_rows.bytes, all_tables = all_rows.table_count;
    s_rows_free (&denial_rows);
    s_rows_free (&all_rows);
    failed = failed || lmdb_usec == 0 || all_usec == 0;
    if (failed) {
        fprintf (stderr, "bench denials: failed; kept %s (logs there)\n", self.run.root);
        bench_remits_free (&self.run);
        return 1;
    }
    size_t clps = 0, posted = 0;
    uint64_t post_usec = 0;
    for (size_t i = 0; i < self.run.file_count; i++) {
        clps += self.run.files [i].clps;
        posted += self.run.files [i].posted;
        post_usec += self.run.files [i].usec;
    }
    double denials_ps = bench_rate ((double) records, self.denials_usec);
    double events_ps = bench_rate ((double) self.head, self.denials_usec);
    double lmdb_ps = bench_rate ((double) records, lmdb_usec);
    printf ("\n%zu claims, %zu CLPs posted in %zu 835 files (%.1f s), %" PRIu64 " claims events\n",
            self.run.claims, posted, self.run.file_count, post_usec / 1e6, self.head);
    printf ("\n%-52s %12s %12s %10s\n", "", "denials/s", "events/s", "seconds");
    printf ("%-52s %12.0f %12.0f %10.3f\n", "rcmq-denials: spawn to caught up, denials opened", denials_ps, events_ps,
            self.denials_usec / 1e6);
    printf ("%-52s %12.0f %12s %10.3f\n", "limit: LMDB, same denial records, batched", lmdb_ps, "", lmdb_usec / 1e6);
    printf ("%-52s %12s %12s %10.3f\n", "limit: LMDB, every row it left, batched", "", "", all_usec / 1e6);
    //  The apply ratio is the time of the same writes over the consumer's
    //  time: 1.0 would be a consumer that only writes.
    double apply_ratio = (double) all_usec / (double) self.denials_usec;
    printf ("\n%zu denials opened (records %.0f B on average), %zu per LMDB transaction\n"
            "denials / LMDB limit %.3f\n"
            "%zu rows in %zu tables (%.1f MB) left by rcmq-denials; apply / LMDB limit of those rows %.3f\n",
            records, records? (double) record_bytes / (double) records: 0, self.batch, denials_ps / lmdb_ps,
            all_count, all_tables, all_bytes / 1e6, apply_ratio);

    json_t *figures = json_pack ("{s:I, s:I, s:I, s:I, s:f, s:f, s:f}",
        "claims", (json_int_t) self.run.claims, "clps_posted", (json_int_t) posted,
        "claims_events", (json_int_t) self.head, "denials_opened", (json_int_t) records,
        "denials_per_s", denials_ps, "events_per_s", events_ps, "denials_seconds", self.denials_usec / 1e6);
    json_t *limits = json_pack ("{s:f, s:I, s:f, s:I, s:I, s:f}", "lmdb_denials_per_s", lmdb_ps,
                                "lmdb_batch", (json_int_t) self.batch,
                                "record_bytes_avg", records? (double) record_bytes / (double) records: 0.0,
                                "lmdb_all_rows", (json_int_t) all_count, "lmdb_all_bytes", (json_int_t) all_bytes,
                                "lmdb_all_seconds", all_usec / 1e6);
    json_t *ratios = json_pack ("{s:f, s:f}", "denials_vs_lmdb", denials_ps / lmdb_ps, "apply_vs_lmdb", apply_ratio);
    bench_print_line ("denials", figures, limits, ratios, 6);
    bench_remits_free (&self.run);
    if (self.keep)
        fprintf (stderr, "bench: kept %s\n", self.run.root);
    else
        bench_rmtree (self.run.root);
    return 0;
}
