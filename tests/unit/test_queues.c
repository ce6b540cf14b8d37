/*  test_queues: work queue definitions and claim routing
    (services/intake/queues.c).

    A real LMDB store in a temp directory with intake's queue and outbox
    tables. Checked: a definition is refused with a reason naming what is
    wrong; the default queue is made once; every change is written with a
    queue.changed event in the same transaction; routing picks the most
    specific matching queue, then the higher priority, then the smaller id,
    else the default queue; it routes on committed definitions only, and
    a pilot or vendor queue's claims are worked by its vendor team.
*/
#include "suites.h"
#include "queues.h"
#include "codec.h"

#include <czmq.h>

static const char *s_tables [] = { QUEUES_TABLES, OUTBOX_TABLES, NULL };

typedef struct {
    char *dir;
    store_t *store;
    outbox_t *outbox;
    queues_t *queues;
} s_test_t;

static void
s_setup (s_test_t *test)
{
    test->dir = test_tmpdir ("queues");
    char path [PATH_MAX], error [512] = "";
    snprintf (path, sizeof path, "%s/store", test->dir);
    test->store = store_new (path, s_tables, error, sizeof error);
    ck_assert_msg (test->store != NULL, "store_new: %s", error);
    test->outbox = outbox_new (test->store, "intake");
    ck_assert_ptr_nonnull (test->outbox);
    test->queues = queues_new (test->store, test->outbox);
    ck_assert_ptr_nonnull (test->queues);
}

static void
s_teardown (s_test_t *test)
{
    queues_destroy (&test->queues);
    ck_assert_ptr_null (test->queues);
    outbox_destroy (&test->outbox);
    store_destroy (&test->store);
    test_rmtree (test->dir);
    free (test->dir);
}

//  A queue on the stack: lists are comma-separated ("" for none).
typedef struct {
    Queue queue;
    char *lists [4][8];
} s_queue_t;

static size_t
s_split (char *text, char **out)
{
    size_t n = 0;
    for (char *item = strtok (text, ","); item && n < 8; item = strtok (NULL, ","))
        out [n++] = item;
    return n;
}

static Queue *
s_queue (s_queue_t *q, const char *id, const char *phase, const char *owner, const char *vendor,
         const char *payer_ids, const char *groups, const char *locations, const char *lines,
         uint32_t priority)
{
    queue__init (&q->queue);
    q->queue.id = (char *) id;
    q->queue.name = (char *) id;
    q->queue.phase = (char *) phase;
    q->queue.owner_team = (char *) owner;
    q->queue.vendor_team = (char *) vendor;
    q->queue.priority = priority;
    const char *texts [4] = { payer_ids, groups, locations, lines };
    char **lists [4];
    size_t counts [4];
    for (int i = 0; i < 4; i++) {
        static char buffers [4][256];
        snprintf (buffers [i], sizeof buffers [i], "%s", texts [i]);
        lists [i] = q->lists [i];
        counts [i] = s_split (buffers [i], q->lists [i]);
    }
    //  The buffers are static: each s_queue needs its own copy of them.
    for (int i = 0; i < 4; i++)
        for (size_t j = 0; j < counts [i]; j++)
            lists [i][j] = strdup (lists [i][j]);
    q->queue.payer_ids = lists [0];      q->queue.n_payer_ids = counts [0];
    q->queue.payer_groups = lists [1];   q->queue.n_payer_groups = counts [1];
    q->queue.locations = lists [2];      q->queue.n_locations = counts [2];
    q->queue.service_lines = lists [3];  q->queue.n_service_lines = counts [3];
    return &q->queue;
}

static void
s_queue_free (s_queue_t *q)
{
    for (size_t j = 0; j < q->queue.n_payer_ids; j++) free (q->queue.payer_ids [j]);
    for (size_t j = 0; j < q->queue.n_payer_groups; j++) free (q->queue.payer_groups [j]);
    for (size_t j = 0; j < q->queue.n_locations; j++) free (q->queue.locations [j]);
    for (size_t j = 0; j < q->queue.n_service_lines; j++) free (q->queue.service_lines [j]);
}

typedef struct {
    queues_t *queues;
    const Queue *queue;
    int ensure;                 //  1: queues_ensure_default instead
} s_put_t;

static int
s_put_fn (store_t *store, MDB_txn *txn, void *arg)
{
    s_put_t *put = (s_put_t *) arg;
    if (put->ensure)
        return queues_ensure_default (put->queues, txn);
    return queues_put (put->queues, txn, put->queue, "tester", "created");
}

static void
s_put (s_test_t *test, const Queue *queue)
{
    s_put_t put = { test->queues, queue, 0 };
    ck_assert_int_eq (store_write (test->store, s_put_fn, &put), 0);
}

static void
s_ensure_default (s_test_t *test)
{
    s_put_t put = { test->queues, NULL, 1 };
    ck_assert_int_eq (store_write (test->store, s_put_fn, &put), 0);
}

//  The event at outbox seq, decoded (free with codec_free).
static Event *
s_outbox_event (s_test_t *test, uint64_t seq)
{
    MDB_txn *txn = store_read_begin (test->store);
    ck_assert_ptr_nonnull (txn);
    uint8_t key [8];
    store_u64_write (key, seq);
    MDB_val value;
    Event *event = NULL;
    if (store_get (test->store, txn, "outbox", key, 8, &value) == 0)
        event = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
    store_read_end (&txn);
    return event;
}

START_TEST (test_validate)
{
    char long_id [70];
    memset (long_id, 'q', 65);
    long_id [65] = 0;
    static const struct {
        const char *id, *phase, *owner, *vendor, *why;
    } s_cases [] = {
        { "",       "internal", "ar", "",     "1 to 64 characters" },
        { "a/b",    "internal", "ar", "",     "without '/'" },
        { NULL,     "internal", "ar", "",     "1 to 64 characters" },     //  65 characters
        { "q1",     "beta",     "ar", "",     "phase 'beta'" },
        { "q1",     "",         "ar", "",     "is not internal, pilot or vendor" },
        { "q1",     "internal", "",   "",     "owner team is required" },
        { "q1",     "pilot",    "ar", "",     "phase pilot needs a vendor team" },
        { "q1",     "vendor",   "ar", "",     "phase vendor needs a vendor team" },
    };
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases [0]; i++) {
        s_queue_t q;
        Queue *queue = s_queue (&q, s_cases [i].id? s_cases [i].id: long_id, s_cases [i].phase,
                                s_cases [i].owner, s_cases [i].vendor, "", "", "", "", 0);
        char error [256] = "";
        ck_assert_msg (queues_validate (queue, error, sizeof error) == -1, "case %zu valid", i);
        ck_assert_msg (strstr (error, s_cases [i].why), "case %zu: '%s'", i, error);
        s_queue_free (&q);
    }
    long_id [64] = 0;
    static const char *s_phases [] = { "internal", "pilot", "vendor" };
    for (int i = 0; i < 3; i++) {
        s_queue_t q;
        Queue *queue = s_queue (&q, long_id, s_phases [i], "ar", "acme", "", "", "", "", 0);
        char error [256] = "";
        ck_assert_msg (queues_validate (queue, error, sizeof error) == 0, "%s: %s", s_phases [i], error);
        s_queue_free (&q);
    }
}
END_TEST

//  A queue being created carries no grid and no contacts: they name
//  people, which only queue.GridSet / ContactsSet check. A stored queue
//  with them is still a valid definition (queue.SetPhase revalidates it).
START_TEST (test_validate_new)
{
    s_queue_t q;
    Queue *queue = s_queue (&q, "q1", "internal", "ar", "", "", "", "", "", 0);
    char error [256] = "";
    ck_assert_msg (queues_validate_new (queue, error, sizeof error) == 0, "%s", error);
    GridEntry row = GRID_ENTRY__INIT;
    row.work_type = "follow_up";
    row.lead = "someone";
    GridEntry *rows [] = { &row };
    queue->grid = rows;
    queue->n_grid = 1;
    ck_assert_int_eq (queues_validate_new (queue, error, sizeof error), -1);
    ck_assert_msg (strstr (error, "queue q1: set its grid and contacts once it exists"), "'%s'", error);
    ck_assert_int_eq (queues_validate (queue, error, sizeof error), 0);
    queue->grid = NULL;
    queue->n_grid = 0;
    Contact contact = CONTACT__INIT;
    contact.topic = "urgent";
    contact.side = "internal";
    contact.name = "someone";
    Contact *contacts [] = { &contact };
    queue->contacts = contacts;
    queue->n_contacts = 1;
    ck_assert_int_eq (queues_validate_new (queue, error, sizeof error), -1);
    queue->contacts = NULL;
    queue->n_contacts = 0;
    s_queue_free (&q);
}
END_TEST

//  The default queue is made once, with its queue.changed event; a
//  change is seen by routing only once reloaded (committed).
START_TEST (test_default_and_events)
{
    s_test_t test;
    s_setup (&test);
    ck_assert_uint_eq (queues_count (test.queues), 0);
    ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
    dims.payer_id = "ACME1";
    queues_route (test.queues, &dims);
    ck_assert_str_eq (dims.queue, "default");
    ck_assert_str_eq (dims.phase, "internal");

    s_ensure_default (&test);
    s_ensure_default (&test);
    ck_assert_uint_eq (outbox_depth (test.outbox), 1);
    ck_assert_uint_eq (queues_count (test.queues), 0);
    queues_reload (test.queues);
    ck_assert_uint_eq (queues_count (test.queues), 1);
    const Queue *fallback = queues_at (test.queues, 0);
    ck_assert (fallback->is_default);
    ck_assert_str_eq (fallback->id, "default");
    ck_assert_ptr_null (queues_at (test.queues, 1));

    Event *event = s_outbox_event (&test, 1);
    ck_assert_ptr_nonnull (event);
    ck_assert_str_eq (event->stream, "queue");
    ck_assert_str_eq (event->type, "changed");
    ck_assert_str_eq (event->key, "default");
    QueueChanged *changed = (QueueChanged *) codec_decode (&queue_changed__descriptor,
                                                           event->payload.data, event->payload.len);
    ck_assert_ptr_nonnull (changed);
    ck_assert_str_eq (changed->queue->id, "default");
    ck_assert (changed->queue->is_default);
    ck_assert_str_eq (changed->change, "created");
    codec_free (changed);
    codec_free (event);

    s_queue_t q;
    s_put (&test, s_queue (&q, "q-acme", "pilot", "internal-ar", "acme-billing", "ACME1", "", "", "", 0));
    s_queue_free (&q);
    ck_assert_uint_eq (outbox_depth (test.outbox), 2);
    event = s_outbox_event (&test, 2);
    ck_assert_str_eq (event->key, "q-acme");
    codec_free (event);
    MDB_txn *txn = store_read_begin (test.store);
    Queue *stored = queues_get (test.queues, txn, "q-acme");
    ck_assert_ptr_nonnull (stored);
    ck_assert_str_eq (stored->vendor_team, "acme-billing");
    ck_assert_ptr_null (queues_get (test.queues, txn, "q-none"));
    store_read_end (&txn);
    codec_free (stored);

    //  Not reloaded yet: still the default.
    queues_route (test.queues, &dims);
    ck_assert_str_eq (dims.queue, "default");
    queues_reload (test.queues);
    queues_route (test.queues, &dims);
    ck_assert_str_eq (dims.queue, "q-acme");
    //  Pilot: the vendor works it.
    ck_assert_str_eq (dims.phase, "pilot");
    ck_assert_str_eq (dims.owner_team, "acme-billing");
    ck_assert_str_eq (dims.vendor_team, "acme-billing");
    s_teardown (&test);
}
END_TEST

START_TEST (test_route)
{
    s_test_t test;
    s_setup (&test);
    s_ensure_default (&test);
    s_queue_t q [6];
    //  id, phase, owner, vendor, payer ids, groups, locations, lines, priority
    s_put (&test, s_queue (&q [0], "q-payer", "internal", "team-payer", "", "ACME1,ACME2", "", "", "", 0));
    s_put (&test, s_queue (&q [1], "q-comm-l1", "internal", "team-l1", "", "", "commercial", "L1", "", 0));
    s_put (&test, s_queue (&q [2], "q-comm-b", "internal", "team-b", "", "", "commercial", "", "", 5));
    s_put (&test, s_queue (&q [3], "q-comm-a", "internal", "team-a", "", "", "commercial", "", "", 5));
    s_put (&test, s_queue (&q [4], "q-comm-low", "internal", "team-low", "", "", "commercial", "", "", 1));
    s_put (&test, s_queue (&q [5], "q-bcbs", "vendor", "internal-ar", "acme", "", "bcbs", "", "lab,dme", 0));
    for (int i = 0; i < 6; i++)
        s_queue_free (&q [i]);
    queues_reload (test.queues);
    ck_assert_uint_eq (queues_count (test.queues), 7);

    static const struct {
        const char *payer, *group, *location, *line;
        const char *queue, *team;
    } s_cases [] = {
        //  Payer id named: that queue.
        { "ACME2", "medicare",   "L9", "",      "q-payer",   "team-payer" },
        //  Two criteria beat one, whatever the priority.
        { "X",     "commercial", "L1", "",      "q-comm-l1", "team-l1" },
        //  One criterion each: the higher priority; between equals the
        //  smaller id (q-comm-a before q-comm-b).
        { "X",     "commercial", "L2", "",      "q-comm-a",  "team-a" },
        //  A list names several values; a claim must match every list.
        { "X",     "bcbs",       "L1", "dme",   "q-bcbs",    "acme" },
        { "X",     "bcbs",       "L1", "xray",  "default",   "internal" },
        //  Nothing matches: the default queue.
        { "ZZZ",   "medicaid",   "L1", "",      "default",   "internal" },
        { "acme1", "",           "",   "",      "default",   "internal" },     //  ids are exact
    };
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases [0]; i++) {
        ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
        dims.payer_id = (char *) s_cases [i].payer;
        dims.payer_group = (char *) s_cases [i].group;
        dims.location = (char *) s_cases [i].location;
        dims.service_line = (char *) s_cases [i].line;
        queues_route (test.queues, &dims);
        ck_assert_msg (streq (dims.queue, s_cases [i].queue), "case %zu: routed to %s, want %s",
                       i, dims.queue, s_cases [i].queue);
        ck_assert_msg (streq (dims.owner_team, s_cases [i].team), "case %zu: team %s, want %s",
                       i, dims.owner_team, s_cases [i].team);
    }
    for (size_t i = 0; i < queues_count (test.queues); i++) {
        const Queue *queue = queues_at (test.queues, i);
        ck_assert_str_eq (queues_working_team (queue),
                          streq (queue->phase, "internal")? queue->owner_team: queue->vendor_team);
    }
    s_teardown (&test);
}
END_TEST

Suite *
queues_suite (void)
{
    Suite *suite = suite_create ("queues");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_validate);
    tcase_add_test (tc, test_validate_new);
    tcase_add_test (tc, test_default_and_events);
    tcase_add_test (tc, test_route);
    suite_add_tcase (suite, tc);
    return suite;
}
