/*  bench/metrics: what a KPI query costs as claims pile up, and how fast
    metrics applies events, next to LMDB's batched writes measured in the
    same run.

    For each size (10k, 100k and 1M claims by default) it makes a fresh
    metrics store (LMDB, fsync on every commit as in production) and feeds
    it, in-process through metrics_apply, the events a year of claims makes:
    per claim intake.claim_accepted (1 in 20 claim_rejected instead),
    claims.entered, claims.submitted, claims.adjudicated, and for 1 in 8 a
    claims.denied; 1 in 25 is reversed. Claims spread over 365 days, 6
    payers, 4 locations, 5 service lines and the queues and teams they map
    to (~120 dimension combinations). Events are applied in transactions of
    --batch (the consumer's live batch), each opened and ended through
    metrics_batch as the consumer does (the batch cache, batch_cache.h),
    so the apply rate is the consumer's ceiling without the network.

    Then it times queries, each in its own read transaction:
        kpi          every KPI, overall, 90 days to today
        kpi_by_payer the same grouped by payer
        aging_past   A/R aging as of 180 days ago (the weekly snapshot
                     on or before that day plus that week's moves)
    --queries times each (median and p99). A query reads rows per
    (dimension combination, day), never claims, so its latency should not
    grow with the number of claims.

    Next to it: LMDB batched writes of as many records as events were
    applied (32-byte key, 96-byte value, --batch per transaction, fsync per
    commit), in a store of its own.

    It prints a table and ends with ONE JSON line:
        {"name":"metrics","figures":{...},"limits":{...},"ratios":{...}}

    Usage: metrics [--claims N[,N...]] [--queries Q] [--batch B] [--keep]
                   [--store DIR [--migrate]] [--dump] [--without-reasons]
    --store DIR times the queries on a store kept by an earlier --keep (no
    loading: for callgrind's --toggle-collect=kpi_run, or a before/after
    of the query code on the same rows); a store of an older layout is
    refused, or with --migrate upgraded first (timed, a copy kept beside);
    --dump prints every query's totals and KPI figures, overall and by
    group, to compare two builds;
    --without-reasons runs the queries as metrics.Trend's points do (no
    reasons summed).
*/
#include "bench_util.h"
#include "bench_events.h"
#include "metrics.h"
#include "facts.h"
#include "kpi.h"
#include "clock.h"

#include <getopt.h>
#include <jansson.h>
#include <time.h>

#define BENCH_DEFAULT_QUERIES 200
#define BENCH_DEFAULT_BATCH   2000
#define BENCH_MAX_SIZES       8

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

//  A fresh temp dir (caller frees); exits when it cannot make one.
static char *
s_tmpdir (const char *tag)
{
    char *path = (char *) malloc (4096);
    if (bench_tmpdir (path, 4096, tag)) {
        perror ("mkdtemp");
        exit (1);
    }
    return path;
}

//  --------------------------------------------------------------------------
//  Applying, and the raw limit

typedef struct {
    Event **events;
    size_t count;
    metrics_t *state;           //  the service's state, its batch cache
} s_batch_t;

//  As the consumer applies a batch (common/consumer.c): the batch opened,
//  its events, the batch's held rows written, then the offset, all in the
//  one transaction.
static int
s_apply_batch (store_t *store, MDB_txn *txn, void *arg)
{
    s_batch_t *batch = (s_batch_t *) arg;
    int rc = metrics_batch (store, txn, false, batch->state);
    for (size_t i = 0; rc == 0 && i < batch->count; i++)
        rc = metrics_apply (store, txn, batch->events [i], batch->state);
    if (rc == 0)
        rc = metrics_batch (store, txn, true, batch->state);
    if (rc)
        return rc;
    //  The consumer writes its offset with every batch.
    return store_put_u64 (store, txn, "offsets", batch->events [batch->count - 1]->stream,
                          batch->events [batch->count - 1]->stream_seq);
}

typedef struct {
    size_t from;
    size_t count;
} s_raw_t;

static int
s_raw_batch (store_t *store, MDB_txn *txn, void *arg)
{
    s_raw_t *raw = (s_raw_t *) arg;
    uint8_t key [32], value [96];
    memset (value, 'v', sizeof value);
    for (size_t i = raw->from; i < raw->from + raw->count; i++) {
        //  Keys spread like PCN-keyed facts: a hash, not an append.
        uint64_t hash = (i + 1) * 0x9E3779B97F4A7C15ULL;
        memset (key, 0, sizeof key);
        store_u64_write (key, hash);
        store_u64_write (key + 8, i);
        int rc = store_put (store, txn, "records", key, sizeof key, value, sizeof value);
        if (rc)
            return rc;
    }
    return 0;
}

static double
s_lmdb_rate (size_t records, size_t batch, bool keep)
{
    static const char *const tables [] = { "records", NULL };
    char *dir = s_tmpdir ("lmdb");
    char error [256];
    store_t *store = store_new (dir, tables, error, sizeof error);
    if (!store) {
        fprintf (stderr, "bench: %s\n", error);
        exit (1);
    }
    double start = s_now ();
    for (size_t from = 0; from < records; from += batch) {
        s_raw_t raw = { from, from + batch <= records? batch: records - from };
        if (store_write (store, s_raw_batch, &raw)) {
            fprintf (stderr, "bench: %s\n", store_error (store));
            exit (1);
        }
    }
    double seconds = s_now () - start;
    store_destroy (&store);
    if (!keep)
        bench_rmtree (dir);
    free (dir);
    return records / seconds;
}

//  --------------------------------------------------------------------------
//  Queries

typedef struct {
    const char *name;
    const char *group_by;       //  NULL: overall
    int32_t as_of_days_ago;
    bool balances_only;
} s_query_def_t;

static const s_query_def_t s_queries [] = {
    { "kpi",          NULL,       0,   false },
    { "kpi_by_payer", "payer_id", 0,   false },
    { "aging_past",   NULL,       180, true },
};
#define QUERY_COUNT (sizeof s_queries / sizeof s_queries [0])

static int
s_compare_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y? -1: x > y;
}

static bool s_dump = false;
static bool s_without_reasons = false;

//  Every total and figure of a result, one line each, for a diff of two builds.
static void
s_dump_group (const char *query, const kpi_group_t *group, uint32_t window_days)
{
    printf ("dump %s [%s] slots", query, group->key);
    for (int i = 0; i < KPI_SLOT_COUNT; i++)
        printf (" %" PRId64, group->totals.slots [i]);
    printf ("\n");
    for (size_t k = 0; k < kpi_table_size; k++) {
        kpi_value_t value = kpi_evaluate (&kpi_table [k], &group->totals, window_days);
        printf ("dump %s [%s] %s %d %.17g %" PRId64 "/%" PRId64 "\n", query, group->key,
                kpi_table [k].name, value.available, value.value, value.numerator, value.denominator);
    }
    for (int kind = 0; kind < 2; kind++) {
        //  Reasons in code order, whatever the hash's.
        zlistx_t *codes = zlistx_new ();
        zlistx_set_comparator (codes, (zlistx_comparator_fn *) strcmp);
        for (void *row = zhashx_first (group->totals.reasons [kind]); row;
             row = zhashx_next (group->totals.reasons [kind]))
            zlistx_add_end (codes, (void *) zhashx_cursor (group->totals.reasons [kind]));
        zlistx_sort (codes);
        for (const char *code = (const char *) zlistx_first (codes); code;
             code = (const char *) zlistx_next (codes))
            printf ("dump %s [%s] reason %d %s %" PRId64 " %" PRId64 "\n", query, group->key, kind, code,
                    kpi_reason (&group->totals, kind, code, false), kpi_reason (&group->totals, kind, code, true));
        zlistx_destroy (&codes);
    }
}

//  Times a query; returns median and p99 in microseconds, and a checksum
//  of the figures (so the work cannot be skipped, and runs can be compared).
static void
s_time_query (store_t *store, const s_query_def_t *def, uint32_t today, size_t queries,
              double *median, double *p99, int64_t *ar)
{
    kpi_query_t query;
    memset (&query, 0, sizeof query);
    query.as_of = query.to = today - (uint32_t) def->as_of_days_ago;
    query.window_days = 90;
    query.from = query.to - 89;
    query.balances_only = def->balances_only;
    query.without_reasons = s_without_reasons;
    if (def->group_by)
        query.group_by [query.group_count++] = dims_index (def->group_by);
    double *samples = (double *) calloc (queries, sizeof (double));
    for (size_t i = 0; i < queries; i++) {
        double start = s_now ();
        MDB_txn *txn = store_read_begin (store);
        kpi_result_t *result;
        kpi_run (store, txn, &query, &result);
        for (size_t k = 0; k < kpi_table_size; k++)
            kpi_evaluate (&kpi_table [k], &result->overall.totals, query.window_days);
        *ar = result->overall.totals.slots [KPI_SLOT_AR_INSURANCE] + result->overall.totals.slots [KPI_SLOT_AR_PATIENT];
        if (s_dump && i == 0) {
            s_dump_group (def->name, &result->overall, query.window_days);
            for (size_t g = 0; g < result->group_count; g++)
                s_dump_group (def->name, result->groups [g], query.window_days);
        }
        kpi_result_destroy (&result);
        store_read_end (&txn);
        samples [i] = (s_now () - start) * 1e6;
    }
    qsort (samples, queries, sizeof (double), s_compare_double);
    *median = samples [queries / 2];
    *p99 = samples [(queries * 99) / 100 < queries? (queries * 99) / 100: queries - 1];
    free (samples);
}

//  --------------------------------------------------------------------------

typedef struct {
    size_t claims;
    size_t events;
    double apply_rate;
    double lmdb_rate;
    double median [QUERY_COUNT];
    double p99 [QUERY_COUNT];
    size_t dims;
    uint64_t map_mb;
} s_result_t;

//  The bench's metrics store in DIR (made and stamped when new); exits
//  when it cannot, or when it is of an older layout than this build's and
//  migrate is not set (the queries would read tables it lacks); with
//  migrate, prints how long the migration took.
static store_t *
s_store_open (const char *dir, bool migrate)
{
    static const char *const tables [] = { METRICS_TABLES, "offsets", "meta", NULL };
    char error [512];
    store_t *store = store_new (dir, tables, error, sizeof error);
    if (!store) {
        fprintf (stderr, "bench: %s\n", error);
        exit (1);
    }
    double start = s_now ();
    uint32_t found = 0;
    if (store_check_version (store, METRICS_STORE_VERSION, metrics_migrations, migrate, &found,
                             error, sizeof error)) {
        fprintf (stderr, "bench: %s%s\n", error, migrate? "": " (bench/metrics --store DIR --migrate upgrades it)");
        exit (1);
    }
    if (found < METRICS_STORE_VERSION)
        printf ("store %s migrated from version %u to %u in %.3f s (a copy in %s)\n", dir, found,
                METRICS_STORE_VERSION, s_now () - start, store_backup (store));
    return store;
}

//  The store's dimension combinations and map size, then each query timed;
//  closes the store.
static void
s_time_queries (store_t *store, size_t queries, s_result_t *result)
{
    uint32_t today = metrics_day_from_text ("2026-11-02");
    MDB_txn *txn = store_read_begin (store);
    dims_list_t *dims = combos_load (store, txn, &dims_combos);
    result->dims = dims->count;
    combos_list_destroy (&dims);
    store_read_end (&txn);
    result->map_mb = store_map_size (store) >> 20;
    int64_t ar = 0;
    for (size_t q = 0; q < QUERY_COUNT; q++)
        s_time_query (store, &s_queries [q], today, queries, &result->median [q], &result->p99 [q], &ar);
    store_destroy (&store);
}

//  Times the queries on a store kept by --keep.
static void
s_run_store (const char *dir, bool migrate, size_t queries, s_result_t *result)
{
    memset (result, 0, sizeof *result);
    s_time_queries (s_store_open (dir, migrate), queries, result);
}

static void
s_run (size_t claims, size_t queries, size_t batch, bool keep, s_result_t *result)
{
    uint32_t today = metrics_day_from_text ("2026-11-02");
    bench_events_t events = { 0 };
    bench_events_make (&events, claims, today);
    result->claims = claims;
    result->events = events.count;

    char *dir = s_tmpdir ("metrics");
    store_t *store = s_store_open (dir, false);
    metrics_t *state = metrics_new (NULL);
    assert (state);
    double start = s_now ();
    for (size_t from = 0; from < events.count; from += batch) {
        s_batch_t run = { events.events + from, from + batch <= events.count? batch: events.count - from, state };
        if (store_write (store, s_apply_batch, &run)) {
            fprintf (stderr, "bench: apply: %s\n", store_error (store));
            exit (1);
        }
    }
    result->apply_rate = events.count / (s_now () - start);
    metrics_destroy (&state);
    bench_events_free (&events);
    result->lmdb_rate = s_lmdb_rate (result->events, batch, keep);
    s_time_queries (store, queries, result);
    if (!keep)
        bench_rmtree (dir);
    else
        fprintf (stderr, "kept %s\n", dir);
    free (dir);
}

int
main (int argc, char *argv [])
{
    size_t sizes [BENCH_MAX_SIZES] = { 10000, 100000, 1000000 };
    size_t size_count = 3, queries = BENCH_DEFAULT_QUERIES, batch = BENCH_DEFAULT_BATCH;
    bool keep = false;
    bool migrate = false;
    const char *store_dir = NULL;
    static struct option options [] = {
        { "store",   required_argument, 0, 's' },
        { "dump",    no_argument,       0, 'd' },
        { "without-reasons", no_argument, 0, 'w' },
        { "claims",  required_argument, 0, 'c' },
        { "queries", required_argument, 0, 'q' },
        { "batch",   required_argument, 0, 'b' },
        { "keep",    no_argument,       0, 'k' },
        { "migrate", no_argument,       0, 'm' },
        { "help",    no_argument,       0, 'h' },
        { 0, 0, 0, 0 }
    };
    //  scripts/bench passes its arguments to every benchmark: ignore others'.
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        if (option == 'c') {
            size_count = 0;
            char *copy = strdup (optarg), *save = NULL;
            for (char *item = strtok_r (copy, ",", &save); item && size_count < BENCH_MAX_SIZES;
                 item = strtok_r (NULL, ",", &save))
                sizes [size_count++] = (size_t) atoll (item);
            free (copy);
        }
        else
        if (option == 'q')
            queries = (size_t) atoll (optarg);
        else
        if (option == 'b')
            batch = (size_t) atoll (optarg);
        else
        if (option == 'k')
            keep = true;
        else
        if (option == 'm')
            migrate = true;
        else
        if (option == 's')
            store_dir = optarg;
        else
        if (option == 'd')
            s_dump = true;
        else
        if (option == 'w')
            s_without_reasons = true;
        else
        if (option == 'h') {
            printf ("usage: metrics [--claims N[,N...]] [--queries Q] [--batch B] [--keep] [--store DIR [--migrate]] [--dump] [--without-reasons]\n");
            return 0;
        }
    }
    if (!queries || !batch || !size_count) {
        fprintf (stderr, "metrics: --claims, --queries and --batch must be positive\n");
        return 2;
    }
    s_result_t results [BENCH_MAX_SIZES];
    if (store_dir) {
        s_run_store (store_dir, migrate, queries, &results [0]);
        printf ("store %s: %zu dims\n", store_dir, results [0].dims);
        for (size_t q = 0; q < QUERY_COUNT; q++)
            printf ("%-14s median %.0f us, p99 %.0f us\n", s_queries [q].name,
                    results [0].median [q], results [0].p99 [q]);
        return 0;
    }
    printf ("%-9s %-9s %-6s %-12s %-12s %-6s", "claims", "events", "dims", "apply ev/s", "lmdb rec/s", "ratio");
    for (size_t q = 0; q < QUERY_COUNT; q++)
        printf (" %-22s", s_queries [q].name);
    printf ("\n%-58s", "");
    for (size_t q = 0; q < QUERY_COUNT; q++)
        printf (" %-22s", "median / p99 (us)");
    printf ("\n");
    for (size_t s = 0; s < size_count; s++) {
        s_result_t *result = &results [s];
        s_run (sizes [s], queries, batch, keep, result);
        printf ("%-9zu %-9zu %-6zu %-12.0f %-12.0f %-6.3f", result->claims, result->events, result->dims,
                result->apply_rate, result->lmdb_rate, result->apply_rate / result->lmdb_rate);
        for (size_t q = 0; q < QUERY_COUNT; q++) {
            char cell [32];
            snprintf (cell, sizeof cell, "%.0f / %.0f", result->median [q], result->p99 [q]);
            printf (" %-22s", cell);
        }
        printf ("\n");
        fflush (stdout);
    }
    //  Flatness: each query's median at the largest size over the smallest.
    json_t *figures = json_object (), *limits = json_object (), *ratios = json_object ();
    for (size_t s = 0; s < size_count; s++) {
        char key [96];
        s_result_t *result = &results [s];
        snprintf (key, sizeof key, "apply_events_per_s_%zu", result->claims);
        json_object_set_new (figures, key, json_integer ((json_int_t) result->apply_rate));
        for (size_t q = 0; q < QUERY_COUNT; q++) {
            snprintf (key, sizeof key, "%s_median_us_%zu", s_queries [q].name, result->claims);
            json_object_set_new (figures, key, json_integer ((json_int_t) result->median [q]));
            snprintf (key, sizeof key, "%s_p99_us_%zu", s_queries [q].name, result->claims);
            json_object_set_new (figures, key, json_integer ((json_int_t) result->p99 [q]));
        }
        snprintf (key, sizeof key, "lmdb_batched_records_per_s_%zu", result->events);
        json_object_set_new (limits, key, json_integer ((json_int_t) result->lmdb_rate));
        snprintf (key, sizeof key, "apply_vs_lmdb_%zu", result->claims);
        json_object_set_new (ratios, key, json_real (result->apply_rate / result->lmdb_rate));
    }
    if (size_count > 1)
        for (size_t q = 0; q < QUERY_COUNT; q++) {
            char key [96];
            snprintf (key, sizeof key, "%s_median_%zu_vs_%zu", s_queries [q].name,
                      results [size_count - 1].claims, results [0].claims);
            json_object_set_new (ratios, key, json_real (results [size_count - 1].median [q] / results [0].median [q]));
        }
    bench_print_line ("metrics", figures, limits, ratios, 3);
    return 0;
}
