/*  bench/workitems: the escalation sweep (common/escalation.c) over many
    open work items, next to an LMDB cursor walk of the same keys in the
    same run (issue 15).

        build/bench/workitems [--items N] [--few F] [--many M] [--keep]

    Setup (untimed): a real LMDB store with N (1,000,000) open items made
    by workitem_create, one a second of clock, each on a plain clock whose
    level 1 is 75 s after creation (its other levels decades later) (so item i's boundary is T0 + i s + 75 s).
    Then, timed:

      sweep_idle     a sweep at an instant before any boundary (0 due)
      sweep_few      a sweep at the instant F (100) items reached level 1
      sweep_many     a sweep at the instant M (100,000) more reached it,
                     a batch of 1,000 per transaction as the engine runs
      walk_all       a cursor walk (store_iter) of every key of the
                     boundary index: what a sweep that scanned every item
                     would at least cost
      walk_many      a cursor walk of the first M keys

    Ratios: walk_all over sweep_few (how much a scan would cost more than
    the index's sweep) and sweep_many over walk_many (a due item's cost
    next to reading its key).
*/
#include "bench_util.h"
#include "codec.h"
#include "escalation.h"
#include "workitem.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define T0          1800000000000ULL
#define STEP_MS     1000ULL
#define LEVEL1_MS   75000ULL
#define SETUP_BATCH 10000

static const char *s_tables [] = { WORKITEM_TABLES, NULL };

//  Every item follows one plain policy: level 1 at 75 s, the target (level
//  2) and level 3 far beyond the run, so a sweep raises level 1 only and
//  its figures count one level per due item.
#define FAR_MS (1000ULL * 86400 * 365 * 50)

static int
s_rules (void *arg, const WorkItem *item, workclock_rules_t *rules, char *error, size_t size)
{
    rules->target_ms = FAR_MS;
    rules->levels = 3;
    rules->level_spent [0] = LEVEL1_MS;
    rules->level_spent [1] = FAR_MS;
    rules->level_spent [2] = 2 * FAR_MS;
    return 0;
}

static int
s_grid (void *arg, MDB_txn *txn, const WorkItem *item, workitem_grid_t *entry)
{
    snprintf (entry->team, sizeof entry->team, "internal");
    snprintf (entry->escalate [0], 64, "lead");
    snprintf (entry->escalate [1], 64, "manager");
    snprintf (entry->escalate [2], 64, "leadership");
    return 0;
}

typedef struct {
    workitem_t *work;
    size_t from, count;
} s_setup_t;

static int
s_make (store_t *store, MDB_txn *txn, void *arg)
{
    s_setup_t *setup = (s_setup_t *) arg;
    int rc = 0;
    for (size_t i = setup->from; rc == 0 && i < setup->from + setup->count; i++) {
        char subject [32];
        snprintf (subject, sizeof subject, "P%08zu", i);
        workitem_spec_t spec = { .type = "follow_up", .subject = subject, .queue = "q1", .sla_policy = "plain" };
        rc = workitem_create (setup->work, txn, &spec, "bench", T0 + i * STEP_MS, NULL);
    }
    return rc;
}

typedef struct {
    workitem_t *work;
    uint64_t now;
    escalation_stats_t stats;
} s_sweep_t;

static int
s_sweep (store_t *store, MDB_txn *txn, void *arg)
{
    s_sweep_t *sweep = (s_sweep_t *) arg;
    return escalation_sweep (sweep->work, txn, sweep->now, 1000, &sweep->stats);
}

//  Sweeps at now until nothing due is left: usec, and the totals.
static uint64_t
s_sweep_all (store_t *store, workitem_t *work, uint64_t now, uint64_t *visited, uint64_t *raised)
{
    *visited = *raised = 0;
    uint64_t start = bench_usec ();
    s_sweep_t sweep = { work, now, { 0 } };
    do {
        if (store_write (store, s_sweep, &sweep)) {
            fprintf (stderr, "workitems: sweep: %s\n", store_error (store));
            exit (1);
        }
        *visited += sweep.stats.visited;
        *raised += sweep.stats.raised;
    } while (sweep.stats.more);
    return bench_usec () - start;
}

//  A cursor walk of the first `limit` keys (0: all) of the boundary index.
static uint64_t
s_walk (store_t *store, size_t limit, size_t *walked)
{
    uint64_t start = bench_usec ();
    MDB_txn *txn = store_read_begin (store);
    store_iter_t *iter = store_iter_new (store, txn, "work_by_boundary", NULL, 0);
    MDB_val key, value;
    size_t count = 0;
    uint64_t sum = 0;
    while ((!limit || count < limit) && store_iter_next (iter, &key, &value)) {
        sum += store_u64_read (key.mv_data);        //  read the key, as the sweep does
        count++;
    }
    store_iter_destroy (&iter);
    store_read_end (&txn);
    *walked = count + (sum == 1);                   //  keeps sum from being optimised away
    return bench_usec () - start;
}

int
main (int argc, char *argv [])
{
    size_t items = 1000000, few = 100, many = 100000;
    bool keep = false;
    static struct option options [] = {
        { "items", required_argument, 0, 'n' },
        { "few",   required_argument, 0, 'f' },
        { "many",  required_argument, 0, 'm' },
        { "keep",  no_argument,       0, 'k' },
        { 0, 0, 0, 0 }
    };
    int option;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        if (option == 'n')
            items = strtoull (optarg, NULL, 10);
        else
        if (option == 'f')
            few = strtoull (optarg, NULL, 10);
        else
        if (option == 'm')
            many = strtoull (optarg, NULL, 10);
        else
        if (option == 'k')
            keep = true;
        else {
            fprintf (stderr, "usage: workitems [--items N] [--few F] [--many M] [--keep]\n");
            return 2;
        }
    }
    if (!items || few + many > items) {
        fprintf (stderr, "workitems: --few + --many must not exceed --items\n");
        return 2;
    }
    char dir [1024];
    if (bench_tmpdir (dir, sizeof dir, "workitems"))
        return 1;
    char error [512];
    store_t *store = store_new (dir, s_tables, error, sizeof error);
    if (!store) {
        fprintf (stderr, "workitems: %s\n", error);
        return 1;
    }
    //  No outbox: the setup's million created events are not what is measured.
    workitem_t *work = workitem_new (store, NULL, "bench", "bench");
    workitem_set_rules (work, s_rules, NULL);
    workitem_set_grid (work, s_grid, NULL);

    uint64_t start = bench_usec ();
    for (size_t from = 0; from < items; from += SETUP_BATCH) {
        s_setup_t setup = { work, from, items - from < SETUP_BATCH? items - from: SETUP_BATCH };
        if (store_write (store, s_make, &setup)) {
            fprintf (stderr, "workitems: setup: %s\n", store_error (store));
            return 1;
        }
    }
    double setup_s = (bench_usec () - start) / 1e6;
    printf ("setup: %zu open items in %.1f s\n", items, setup_s);

    uint64_t visited, raised, idle_visited;
    size_t walked_all, walked_many;
    //  Item i reaches level 1 at T0 + i s + 75 s.
    uint64_t idle_us = s_sweep_all (store, work, T0 + LEVEL1_MS - 1, &idle_visited, &raised);
    uint64_t few_us = s_sweep_all (store, work, T0 + (few - 1) * STEP_MS + LEVEL1_MS, &visited, &raised);
    printf ("sweep, %zu due: %.3f ms (%" PRIu64 " index entries read, %" PRIu64 " levels raised)\n",
            few, few_us / 1e3, visited, raised);
    if (visited != few || raised != few) {
        fprintf (stderr, "workitems: expected %zu visited and raised\n", few);
        return 1;
    }
    uint64_t many_visited, many_raised;
    uint64_t many_us = s_sweep_all (store, work, T0 + (few + many - 1) * STEP_MS + LEVEL1_MS,
                                    &many_visited, &many_raised);
    printf ("sweep, %zu due: %.1f ms (%" PRIu64 " read, %" PRIu64 " raised)\n", many, many_us / 1e3,
            many_visited, many_raised);
    uint64_t walk_all_us = s_walk (store, 0, &walked_all);
    uint64_t walk_many_us = s_walk (store, many, &walked_many);
    printf ("idle sweep: %.3f ms; cursor walk of all %zu keys: %.1f ms, of %zu: %.1f ms\n",
            idle_us / 1e3, walked_all, walk_all_us / 1e3, walked_many, walk_many_us / 1e3);

    json_t *figures = json_object (), *limits = json_object (), *ratios = json_object ();
    json_object_set_new (figures, "items", json_integer ((json_int_t) items));
    json_object_set_new (figures, "setup_s", json_real (setup_s));
    json_object_set_new (figures, "sweep_idle_ms", json_real (idle_us / 1e3));
    json_object_set_new (figures, "sweep_few_ms", json_real (few_us / 1e3));
    json_object_set_new (figures, "sweep_few_due", json_integer ((json_int_t) few));
    json_object_set_new (figures, "sweep_many_ms", json_real (many_us / 1e3));
    json_object_set_new (figures, "sweep_many_due", json_integer ((json_int_t) many));
    json_object_set_new (figures, "sweep_many_us_per_item", json_real (many? (double) many_us / many: 0));
    json_object_set_new (limits, "walk_all_ms", json_real (walk_all_us / 1e3));
    json_object_set_new (limits, "walk_many_ms", json_real (walk_many_us / 1e3));
    json_object_set_new (ratios, "walk_all_over_sweep_few",
                         json_real (few_us? (double) walk_all_us / few_us: 0));
    json_object_set_new (ratios, "sweep_many_over_walk_many",
                         json_real (walk_many_us? (double) many_us / walk_many_us: 0));
    workitem_destroy (&work);
    store_destroy (&store);
    if (!keep)
        bench_rmtree (dir);
    else
        printf ("kept: %s\n", dir);
    bench_print_line ("workitems", figures, limits, ratios, 4);
    return 0;
}
