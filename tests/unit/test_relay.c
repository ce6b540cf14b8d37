/*  test_relay: the relay's checks of the broker's acks against its outbox
    (common/relay.c, docs/adr/0007-store-rollback-detection.md).

    A scripted broker (a CURVE ROUTER in the test's thread) answers each
    PUBLISH with the ack the test chooses. An ack below what the broker
    acked before (its store was rolled back), an ack above the last seq
    the outbox wrote (the producer's store was rolled back) and a refused
    ack each stop the relay: it raises a problem naming both numbers,
    deletes nothing more and sends no more events. The old relay ignored
    a lower ack, took a higher one as progress, and went on sending.

    Each test gets its own directory from test_tmpdir and removes it.
*/
#include "suites.h"
#include "relay.h"
#include "transport.h"
#include "keyring.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_tables [] = { OUTBOX_TABLES, NULL };

typedef enum {
    ACK_ALL,                    //  acks the batch's last seq (ack_override if set)
    ACK_FIXED,                  //  acks ack_override whatever came
    ACK_REFUSE                  //  refuses the batch's first event
} s_mode_t;

typedef struct {
    char *dir;
    store_t *store;
    outbox_t *outbox;
    relay_t *relay;
    zactor_t *zap;
    zcert_t *server_cert;
    zcert_t *client_cert;
    zsock_t *ingest;
    zloop_t *loop;
    s_mode_t mode;
    uint64_t ack_fixed;
    uint64_t acked;             //  what the scripted broker holds
    uint64_t events_seen;       //  events received in PUBLISH batches
    uint64_t last_seq_seen;
    size_t acks_sent;
    size_t drop;                //  PUBLISH messages to leave unanswered (lost acks)
    size_t dropped;
    uint64_t until_acked;       //  what s_until_acked waits for
} s_test_t;

static int
s_on_ingest (zloop_t *loop, zsock_t *socket, void *arg)
{
    s_test_t *test = (s_test_t *) arg;
    zmsg_t *msg = zmsg_recv (socket);
    if (!msg)
        return 0;
    zframe_t *routing_id = zmsg_pop (msg);
    char *command = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    ck_assert_str_eq (command, "PUBLISH");
    PublishBatch *batch = (PublishBatch *) codec_decode_frame (&publish_batch__descriptor, body);
    ck_assert_ptr_nonnull (batch);
    PublishAck ack = PUBLISH_ACK__INIT;
    ack.producer = batch->producer;
    if (test->drop) {
        //  The broker never answers this one (an ack lost on the way).
        test->drop--;
        test->dropped++;
        test->events_seen += batch->n_events;
        codec_free (batch);
        free (command);
        zframe_destroy (&body);
        zframe_destroy (&routing_id);
        zmsg_destroy (&msg);
        return 0;
    }
    for (size_t i = 0; i < batch->n_events; i++) {
        uint64_t seq = batch->events [i]->producer_seq;
        test->events_seen++;
        test->last_seq_seen = seq;
        if (test->mode == ACK_ALL && seq == test->acked + 1)
            test->acked = seq;
    }
    ack.batch_last_seq = batch->n_events? batch->events [batch->n_events - 1]->producer_seq: 0;
    ack.acked_seq = test->mode == ACK_FIXED? test->ack_fixed: test->acked;
    char reason [] = "producer sent seq 1 under epoch 00000000000000c3 (test)";
    if (test->mode == ACK_REFUSE && batch->n_events) {
        ack.refused = true;
        ack.refused_seq = batch->events [0]->producer_seq;
        ack.reason = reason;
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_append (reply, &routing_id);
    zmsg_addstr (reply, "ACK");
    zframe_t *frame = codec_encode (&ack);
    zmsg_append (reply, &frame);
    ck_assert_int_eq (zmsg_send (&reply, socket), 0);
    test->acks_sent++;
    codec_free (batch);
    free (command);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    return 0;
}

typedef struct {
    outbox_t *outbox;
    size_t count;
} s_write_t;

static int
s_append (store_t *store, MDB_txn *txn, void *arg)
{
    s_write_t *write = (s_write_t *) arg;
    for (size_t i = 0; i < write->count; i++) {
        int rc = outbox_append_raw (write->outbox, txn, "claims", "created", "k", NULL, 0);
        if (rc)
            return rc;
    }
    return 0;
}

static void
s_write (s_test_t *test, size_t count)
{
    s_write_t write = { test->outbox, count };
    ck_assert_int_eq (store_write (test->store, s_append, &write), 0);
}

static void
s_setup (s_test_t *test)
{
    memset (test, 0, sizeof *test);
    test->dir = test_tmpdir ("relay");
    char path [PATH_MAX], error [512] = "";
    snprintf (path, sizeof path, "%s/store", test->dir);
    test->store = store_new (path, s_tables, error, sizeof error);
    ck_assert_msg (test->store != NULL, "store_new: %s", error);
    test->outbox = outbox_new (test->store, "claims");
    ck_assert_ptr_nonnull (test->outbox);

    snprintf (path, sizeof path, "%s/keys", test->dir);
    ck_assert_int_eq (zsys_dir_create ("%s/public", path), 0);
    test->client_cert = zcert_new ();
    zcert_set_meta (test->client_cert, "name", "claims");
    zcert_set_meta (test->client_cert, "role", "service");
    zcert_set_meta (test->client_cert, "team", "internal");
    char *cert_path = zsys_sprintf ("%s/public/claims.cert", path);
    ck_assert_int_eq (zcert_save_public (test->client_cert, cert_path), 0);
    zstr_free (&cert_path);
    test->server_cert = zcert_new ();
    test->zap = transport_zap_new (keyring_admit, keyring_new (path), keyring_destroy_arg);
    ck_assert_ptr_nonnull (test->zap);
    test->ingest = zsock_new (ZMQ_ROUTER);
    transport_curve_server (test->ingest, test->server_cert);
    zsock_set_linger (test->ingest, 0);
    int port = zsock_bind (test->ingest, "tcp://127.0.0.1:*");
    ck_assert_int_gt (port, 0);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);

    test->relay = relay_new (test->outbox, endpoint, zcert_public_txt (test->server_cert),
                             test->client_cert);
    ck_assert_ptr_nonnull (test->relay);
    test->loop = zloop_new ();
    ck_assert_int_eq (zloop_reader (test->loop, test->ingest, s_on_ingest, test), 0);
    ck_assert_int_eq (relay_attach (test->relay, test->loop), 0);
}

static void
s_teardown (s_test_t *test)
{
    zloop_destroy (&test->loop);
    relay_destroy (&test->relay);
    zsock_destroy (&test->ingest);
    zactor_destroy (&test->zap);
    zcert_destroy (&test->server_cert);
    zcert_destroy (&test->client_cert);
    outbox_destroy (&test->outbox);
    store_destroy (&test->store);
    test_rmtree (test->dir);
    free (test->dir);
}

typedef bool (s_cond_fn) (s_test_t *test);

typedef struct {
    s_test_t *test;
    s_cond_fn *cond;
    int64_t deadline;
    bool held;
} s_wait_t;

static int
s_wait_tick (zloop_t *loop, int timer_id, void *arg)
{
    s_wait_t *wait = (s_wait_t *) arg;
    if (wait->cond && wait->cond (wait->test))
        wait->held = true;
    //  The timer is ended by s_run once the loop is out: ended here,
    //  czmq frees it while zloop_start still walks its timers.
    return wait->held || zclock_mono () >= wait->deadline? -1: 0;
}

//  Runs the loop until cond holds or max_ms passed; true when it held.
static bool
s_run (s_test_t *test, int max_ms, s_cond_fn *cond)
{
    s_wait_t wait = { test, cond, zclock_mono () + max_ms, false };
    int timer = zloop_timer (test->loop, 5, 0, s_wait_tick, &wait);
    ck_assert_int_ge (timer, 0);
    zloop_start (test->loop);
    zloop_timer_end (test->loop, timer);
    return wait.held;
}

static bool
s_until_empty (s_test_t *test)
{
    return outbox_depth (test->outbox) == 0;
}

static bool
s_until_stopped (s_test_t *test)
{
    return relay_stopped (test->relay);
}

//  The one problem the relay raised: its code, seq and message.
static void
s_expect_problem (s_test_t *test, const char *code, uint64_t seq, const char *part1, const char *part2)
{
    problems_t *problems = relay_problems (test->relay);
    size_t n;
    Problem **list = problems_to_proto (&problems, 1, &n);
    ck_assert_uint_eq (n, 1);
    ck_assert_str_eq (list [0]->code, code);
    ck_assert_str_eq (list [0]->subject, outbox_producer (test->outbox));
    ck_assert_uint_eq (list [0]->seq, seq);
    ck_assert_msg (strstr (list [0]->message, part1), "no '%s' in: %s", part1, list [0]->message);
    ck_assert_msg (strstr (list [0]->message, part2), "no '%s' in: %s", part2, list [0]->message);
    problems_proto_free (&list, n);
}

//  The broker's store put back from an older copy: it acked 1..5, now it
//  says 3. Events 4..5 are gone from its log; the relay must not carry on
//  as if they were there (the old relay ignored the lower ack and sent 6,
//  which the broker took as out of order for good: a silent wedge).
START_TEST (test_ack_below_acked)
{
    s_test_t test;
    s_setup (&test);
    s_write (&test, 5);
    relay_kick (test.relay);
    ck_assert (s_run (&test, 5000, s_until_empty));
    ck_assert_uint_eq (relay_acked_seq (test.relay), 5);

    test.mode = ACK_FIXED;
    test.ack_fixed = 3;
    uint64_t seen = test.events_seen;
    s_write (&test, 2);
    relay_kick (test.relay);
    ck_assert (s_run (&test, 5000, s_until_stopped));
    s_expect_problem (&test, "broker_lost_acked_events", 3, "up to seq 3", "had acked up to 5");
    //  What was sent before the answer came is all it sends: 6 and 7 stay.
    s_run (&test, 2500, NULL);
    ck_assert_uint_le (test.events_seen, seen + 2);
    size_t sent = test.events_seen;
    s_write (&test, 1);
    relay_kick (test.relay);
    s_run (&test, 2500, NULL);
    ck_assert_uint_eq (test.events_seen, sent);
    ck_assert_uint_eq (outbox_depth (test.outbox), 3);
    ck_assert_uint_eq (relay_acked_seq (test.relay), 5);
    ck_assert_int_eq (relay_flush (test.relay, 100), -1);
    s_teardown (&test);
}
END_TEST

//  The producer's store put back from an older copy: its outbox ends at 2
//  but the broker has logged up to 9. The old relay deleted nothing wrong
//  but took 9 for progress and went on writing 3, 4 ... which the broker
//  dropped as duplicates of the events it had.
START_TEST (test_ack_above_last_written)
{
    s_test_t test;
    s_setup (&test);
    test.mode = ACK_FIXED;
    test.ack_fixed = 9;
    s_write (&test, 2);
    relay_kick (test.relay);
    ck_assert (s_run (&test, 5000, s_until_stopped));
    s_expect_problem (&test, "outbox_behind_broker", 9, "up to seq 9", "outbox ends at seq 2");
    ck_assert_uint_eq (outbox_depth (test.outbox), 2);
    ck_assert_uint_eq (relay_acked_seq (test.relay), 0);
    s_teardown (&test);
}
END_TEST

//  The broker refused an event (its epoch contradicts the log): the relay
//  stops and passes the broker's reason on.
START_TEST (test_refused)
{
    s_test_t test;
    s_setup (&test);
    test.mode = ACK_REFUSE;
    s_write (&test, 3);
    relay_kick (test.relay);
    ck_assert (s_run (&test, 5000, s_until_stopped));
    s_expect_problem (&test, "broker_refused_events", 1, "refused seq 1", "epoch 00000000000000c3");
    size_t seen = test.events_seen;
    s_run (&test, 2500, NULL);
    ck_assert_uint_eq (test.events_seen, seen);
    ck_assert_uint_eq (outbox_depth (test.outbox), 3);
    s_teardown (&test);
}
END_TEST

//  All is well: no problem, nothing stopped.
START_TEST (test_agreeing_acks)
{
    s_test_t test;
    s_setup (&test);
    s_write (&test, 1200);
    relay_kick (test.relay);
    ck_assert (s_run (&test, 10000, s_until_empty));
    ck_assert (!relay_stopped (test.relay));
    ck_assert_uint_eq (problems_count (relay_problems (test.relay)), 0);
    ck_assert_uint_eq (test.acked, 1200);
    ck_assert_int_eq (relay_flush (test.relay, 100), 0);
    s_teardown (&test);
}
END_TEST

//  Acks lost: the relay resends from the last acked seq once no ack came
//  in time, the broker drops what it already has, and every event leaves
//  the outbox exactly when acked. Not connected until the first ack.
START_TEST (test_resend_after_lost_ack)
{
    s_test_t test;
    s_setup (&test);
    test.drop = 1;
    s_write (&test, 7);
    ck_assert (!relay_connected (test.relay));
    relay_kick (test.relay);
    ck_assert (s_run (&test, 15000, s_until_empty));
    ck_assert_uint_ge (test.dropped, 1);
    //  The first 7 went out twice: once unanswered, once again.
    ck_assert_uint_ge (test.events_seen, 14);
    ck_assert_uint_eq (test.acked, 7);
    ck_assert_uint_eq (relay_acked_seq (test.relay), 7);
    ck_assert (relay_connected (test.relay));
    ck_assert (!relay_stopped (test.relay));
    ck_assert_uint_eq (problems_count (relay_problems (test.relay)), 0);
    s_teardown (&test);
}
END_TEST

static bool
s_until_acked (s_test_t *test)
{
    return relay_acked_seq (test->relay) == test->until_acked;
}

static int
s_abort (store_t *store, MDB_txn *txn, void *arg)
{
    s_write_t *write = (s_write_t *) arg;
    int rc = outbox_append_raw (write->outbox, txn, "claims", "created", "k", NULL, 0);
    return rc? rc: -1;
}

//  Says the map is full the first time it runs, as LMDB does when the
//  write needs more room: store_write grows the map and runs it again.
static int
s_full_once (store_t *store, MDB_txn *txn, void *arg)
{
    int *runs = (int *) arg;
    return (*runs)++ == 0? MDB_MAP_FULL: 0;
}

//  Acks in a row delete nothing by themselves: the entries they confirm
//  leave the outbox in the service's next write that commits (ADR 0074),
//  not in one an abort threw away. The old relay committed a delete per
//  ack (six here).
START_TEST (test_deletes_ride_along)
{
    s_test_t test;
    s_setup (&test);
    relay_set_delete_wait (test.relay, 600000, 1000000);
    s_write (&test, 3000);
    uint64_t commits = store_commits (test.store);
    relay_kick (test.relay);
    test.until_acked = 3000;
    ck_assert (s_run (&test, 10000, s_until_acked));
    ck_assert_uint_ge (test.acks_sent, 6);
    ck_assert_uint_eq (store_commits (test.store), commits);
    ck_assert_uint_eq (outbox_depth (test.outbox), 3000);
    ck_assert_uint_eq (relay_deleted_seq (test.relay), 0);

    //  A write that aborts deletes nothing either.
    s_write_t write = { test.outbox, 1 };
    ck_assert_int_eq (store_write (test.store, s_abort, &write), -1);
    ck_assert_uint_eq (store_commits (test.store), commits);
    ck_assert_uint_eq (outbox_depth (test.outbox), 3000);
    ck_assert_uint_eq (relay_deleted_seq (test.relay), 0);

    //  The next one that commits takes them along, and only them: the
    //  event it appends (3001, not acked) stays.
    s_write (&test, 1);
    ck_assert_uint_eq (store_commits (test.store), commits + 1);
    ck_assert_uint_eq (relay_deleted_seq (test.relay), 3000);
    uint64_t next, depth;
    ck_assert_int_eq (outbox_position (test.outbox, &next, &depth), 0);
    ck_assert_uint_eq (next, 3002);
    ck_assert_uint_eq (depth, 1);

    //  A write run again on a grown map deletes once it commits.
    relay_kick (test.relay);
    test.until_acked = 3001;
    ck_assert (s_run (&test, 10000, s_until_acked));
    ck_assert_uint_eq (outbox_depth (test.outbox), 1);
    int runs = 0;
    ck_assert_int_eq (store_write (test.store, s_full_once, &runs), 0);
    ck_assert_int_eq (runs, 2);
    ck_assert_uint_eq (outbox_depth (test.outbox), 0);
    ck_assert_uint_eq (relay_deleted_seq (test.relay), 3001);
    ck_assert_uint_eq (relay_delete_commits (test.relay), 0);
    s_teardown (&test);
}
END_TEST

//  With no write of the service's own, the relay deletes the acked
//  entries alone once they waited long enough (so the outbox, and status'
//  outbox_depth, still comes to 0), and at once when that many wait.
START_TEST (test_deletes_alone_when_idle)
{
    s_test_t test;
    s_setup (&test);
    s_write (&test, 5);
    relay_kick (test.relay);
    ck_assert (s_run (&test, 5000, s_until_empty));
    ck_assert_uint_eq (relay_delete_commits (test.relay), 1);
    ck_assert_uint_eq (relay_deleted_seq (test.relay), 5);

    //  Acks of 500 each, at most 1000 waiting: one delete every two acks.
    relay_set_delete_wait (test.relay, 600000, 1000);
    s_write (&test, 3000);
    relay_kick (test.relay);
    ck_assert (s_run (&test, 10000, s_until_empty));
    ck_assert_uint_eq (relay_delete_commits (test.relay), 1 + 3);
    s_teardown (&test);
}
END_TEST

//  Only what the broker acked is deleted, whichever write takes it: here
//  it acks 1..2 of 5 (and keeps refusing the rest).
START_TEST (test_unacked_kept)
{
    s_test_t test;
    s_setup (&test);
    relay_set_delete_wait (test.relay, 600000, 1000000);
    test.mode = ACK_FIXED;
    test.ack_fixed = 2;
    s_write (&test, 5);
    relay_kick (test.relay);
    test.until_acked = 2;
    ck_assert (s_run (&test, 5000, s_until_acked));
    ck_assert_uint_eq (outbox_depth (test.outbox), 5);
    s_write (&test, 1);
    uint64_t next, depth;
    ck_assert_int_eq (outbox_position (test.outbox, &next, &depth), 0);
    ck_assert_uint_eq (next, 7);
    ck_assert_uint_eq (depth, 4);
    //  The flush deletes at once what gets acked (3..4), and nothing else.
    test.ack_fixed = 4;
    s_write (&test, 1);
    relay_kick (test.relay);
    test.until_acked = 4;
    ck_assert (s_run (&test, 5000, s_until_acked));
    ck_assert_uint_eq (relay_deleted_seq (test.relay), 2);
    ck_assert_int_eq (relay_flush (test.relay, 200), -1);
    ck_assert_uint_eq (relay_deleted_seq (test.relay), 4);
    ck_assert_int_eq (outbox_position (test.outbox, &next, &depth), 0);
    ck_assert_uint_eq (next, 8);
    ck_assert_uint_eq (depth, 3);
    s_teardown (&test);
}
END_TEST

Suite *
relay_suite (void)
{
    Suite *suite = suite_create ("relay");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_ack_below_acked);
    tcase_add_test (tc, test_ack_above_last_written);
    tcase_add_test (tc, test_refused);
    tcase_add_test (tc, test_agreeing_acks);
    tcase_add_test (tc, test_resend_after_lost_ack);
    tcase_add_test (tc, test_deletes_ride_along);
    tcase_add_test (tc, test_deletes_alone_when_idle);
    tcase_add_test (tc, test_unacked_kept);
    suite_add_tcase (suite, tc);
    return suite;
}
