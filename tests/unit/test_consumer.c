/*  test_consumer: the consumer's gap, duplicate and replay logic (DESIGN §2)
    against a small scripted peer that speaks the broker's wire protocol
    (proto/broker.proto): an XPUB fanout that publishes [topic][seq][Event]
    and ["$hb"][Heartbeat], and a ROUTER replay that answers
    ["FETCH", FetchRequest] with ["FETCHED", FetchReply] the way
    rcmq-broker does (from_seq raised to the oldest kept seq). Both are CURVE
    servers in the rcmq ZAP domain, with our ZAP handler admitting the
    consumer's key from a temporary keys directory.

    The peer's readers and the consumer share one zloop per test, which the
    test runs for short bounded times: until a condition holds or a
    deadline passes. The real broker is exercised by the integration tests;
    here we want to script drops, duplicates and failures exactly.

    What is checked is what the consumer promises: every event applied
    exactly once, in order (the apply function counts each seq in the
    store, in the same transaction, so a rolled-back batch counts nothing),
    and the offset on disk always matching what was applied.
*/
#include "suites.h"
#include "consumer.h"
#include "fanout.h"
#include "transport.h"
#include "keyring.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

//  A stored counter the test expects to read (a read error fails the test).
static uint64_t
s_stored_u64 (store_t *store, MDB_txn *txn, const char *table, const char *key)
{
    uint64_t value;
    if (store_get_u64 (store, txn, table, key, &value)) {
        fprintf (stderr, "%s\n", store_error (store));
        abort ();
    }
    return value;
}


#define PEER_MAX_SEQ  64
#define STREAM        "claims"
#define OTHER         "denials"         //  a second stream, for what must go on

//  --------------------------------------------------------------------------
//  The scripted broker

typedef struct {
    zactor_t *zap;
    zcert_t *server_cert;
    zcert_t *client_cert;
    zsock_t *fanout;
    zsock_t *replay;
    char fanout_endpoint [64];
    char replay_endpoint [64];
    //  The log of stream STREAM: packed Events by seq, seqs first..head kept.
    uint8_t *packed [PEER_MAX_SEQ + 1];
    size_t sizes [PEER_MAX_SEQ + 1];
    uint64_t head;
    uint64_t first;             //  oldest seq kept; 0 while the log is empty
    //  The log of stream OTHER, all kept.
    uint8_t *other_packed [PEER_MAX_SEQ + 1];
    size_t other_sizes [PEER_MAX_SEQ + 1];
    uint64_t other_head;
    char store_id [40];         //  sent in heartbeats and fetch replies
    size_t reply_max;           //  events per FetchReply at most
    //  What the consumer sent.
    size_t subscriptions;
    uint64_t fetch_from [256];
    size_t fetches;
    size_t hellos;
    //  When set, FETCH requests are kept unanswered until s_peer_release.
    bool hold;
    //  Types of STREAM's events by seq (NULL: "created"), for filters.
    const char *types [PEER_MAX_SEQ + 1];
    //  The last filter topic subscribed (with its 0x00) and what the last
    //  fetch of STREAM asked for.
    char filter_topic [128];
    size_t filter_size;
    bool fetch_filtered;
    char fetch_types [128];
    zlistx_t *held;             //  zmsg_t *: [routing id][FETCH][request]
} s_peer_t;

//  The packed event seq of stream.
static uint8_t *
s_peer_event_typed (const char *stream, const char *type, uint64_t seq, size_t *size);

static uint8_t *
s_peer_event (const char *stream, uint64_t seq, size_t *size)
{
    return s_peer_event_typed (stream, "created", seq, size);
}

static uint8_t *
s_peer_event_typed (const char *stream, const char *type, uint64_t seq, size_t *size)
{
    char key [32], payload [32];
    snprintf (key, sizeof key, "CLM-%" PRIu64, seq);
    snprintf (payload, sizeof payload, "payload-%" PRIu64, seq);
    Event event = EVENT__INIT;
    event.stream = (char *) stream;
    event.type = (char *) type;
    event.producer = "intake-peer";
    event.producer_seq = seq;
    event.stream_seq = seq;
    event.time_ms = 1000 + seq;
    event.key = key;
    event.payload.data = (uint8_t *) payload;
    event.payload.len = strlen (payload);
    return codec_pack (&event, size);
}

//  Adds the event with the next seq to the peer's log (not published).
static uint64_t
s_peer_log (s_peer_t *peer)
{
    uint64_t seq = ++peer->head;
    ck_assert_uint_le (seq, PEER_MAX_SEQ);
    peer->packed [seq] = s_peer_event (STREAM, seq, &peer->sizes [seq]);
    if (peer->first == 0)
        peer->first = seq;
    return seq;
}

//  Adds the next event, of type, to the peer's log (not published).
static uint64_t
s_peer_log_typed (s_peer_t *peer, const char *type)
{
    uint64_t seq = ++peer->head;
    ck_assert_uint_le (seq, PEER_MAX_SEQ);
    peer->types [seq] = type;
    peer->packed [seq] = s_peer_event_typed (STREAM, type, seq, &peer->sizes [seq]);
    if (peer->first == 0)
        peer->first = seq;
    return seq;
}

static const char *
s_peer_type (s_peer_t *peer, uint64_t seq)
{
    return peer->types [seq]? peer->types [seq]: "created";
}

//  Publishes the filtered frame of topic for "created" events, covering
//  first..last, as broker_publish does for a filter (ADR 58).
static void
s_peer_publish_filtered (s_peer_t *peer, const char *topic, uint64_t first, uint64_t last)
{
    const uint8_t *data [PEER_MAX_SEQ];
    size_t sizes [PEER_MAX_SEQ];
    size_t count = 0;
    for (uint64_t seq = first; seq <= last; seq++) {
        ck_assert (seq >= 1 && seq <= peer->head && peer->packed [seq]);
        if (streq (s_peer_type (peer, seq), "created")) {
            data [count] = peer->packed [seq];
            sizes [count++] = peer->sizes [seq];
        }
    }
    zframe_t *frame = fanout_filtered (topic, first, last, data, sizes, count);
    ck_assert_int_eq (zframe_send (&frame, peer->fanout, 0), 0);
}

//  Logs the next event of stream OTHER and publishes it.
static uint64_t
s_peer_other_publish (s_peer_t *peer)
{
    uint64_t seq = ++peer->other_head;
    ck_assert_uint_le (seq, PEER_MAX_SEQ);
    peer->other_packed [seq] = s_peer_event (OTHER, seq, &peer->other_sizes [seq]);
    zframe_t *frame = fanout_frame (OTHER ".created", seq, peer->other_packed [seq],
                                    peer->other_sizes [seq]);
    ck_assert_int_eq (zframe_send (&frame, peer->fanout, 0), 0);
    return seq;
}

//  Publishes a logged event on the fanout, as broker_publish does.
static void
s_peer_publish (s_peer_t *peer, uint64_t seq)
{
    ck_assert (seq >= 1 && seq <= peer->head && peer->packed [seq]);
    zframe_t *frame = fanout_frame (STREAM ".created", seq, peer->packed [seq], peer->sizes [seq]);
    ck_assert_int_eq (zframe_send (&frame, peer->fanout, 0), 0);
}

//  Publishes logged events from..to as ONE batch frame, as broker_publish
//  does for a commit group's events of a stream (ADR 48); seqs may repeat
//  or skip, as the test wants.
static void
s_peer_publish_batch (s_peer_t *peer, const uint64_t *seqs, size_t count)
{
    const uint8_t *data [PEER_MAX_SEQ];
    size_t sizes [PEER_MAX_SEQ];
    for (size_t i = 0; i < count; i++) {
        ck_assert (seqs [i] >= 1 && seqs [i] <= peer->head && peer->packed [seqs [i]]);
        data [i] = peer->packed [seqs [i]];
        sizes [i] = peer->sizes [seqs [i]];
    }
    zframe_t *frame = fanout_batch (STREAM, data, sizes, count);
    ck_assert_int_eq (zframe_send (&frame, peer->fanout, 0), 0);
}

//  Logs the next event and publishes it.
static uint64_t
s_peer_log_publish (s_peer_t *peer)
{
    uint64_t seq = s_peer_log (peer);
    s_peer_publish (peer, seq);
    return seq;
}

//  Sends a heartbeat; with a stream name, it announces that head.
static void
s_peer_heartbeat (s_peer_t *peer, const char *stream, uint64_t head)
{
    Heartbeat heartbeat = HEARTBEAT__INIT;
    StreamHead entry = STREAM_HEAD__INIT;
    StreamHead *entries [1] = { &entry };
    heartbeat.broker_started_ms = 1;
    heartbeat.store_id = peer->store_id;
    if (stream) {
        entry.stream = (char *) stream;
        entry.head_seq = head;
        heartbeat.heads = entries;
        heartbeat.n_heads = 1;
    }
    size_t size;
    uint8_t *packed = codec_pack (&heartbeat, &size);
    zframe_t *frame = fanout_frame (FANOUT_HEARTBEAT, 0, packed, size);
    free (packed);
    ck_assert_int_eq (zframe_send (&frame, peer->fanout, 0), 0);
}

//  Answers a FETCH as broker replay.c does.
static void
s_peer_answer (s_peer_t *peer, zframe_t **routing_id_p, FetchRequest *request)
{
    FetchReply reply = FETCH_REPLY__INIT;
    reply.stream = request->stream;
    Event *events [PEER_MAX_SEQ];
    size_t count = 0;
    if (streq (request->stream, STREAM)) {
        size_t max = request->max_events < peer->reply_max? request->max_events: peer->reply_max;
        uint64_t from = request->from_seq < peer->first? peer->first: request->from_seq;
        //  A filtered fetch (ADR 58): only its types, and through what it
        //  looked at.
        if (request->filtered)
            reply.through_seq = from - 1;
        for (uint64_t seq = from; seq >= 1 && seq <= peer->head && count < max; seq++) {
            bool wanted = !request->filtered;
            for (size_t t = 0; t < request->n_types; t++)
                wanted |= streq (request->types [t], s_peer_type (peer, seq));
            if (request->filtered)
                reply.through_seq = seq;
            if (!wanted)
                continue;
            events [count] = (Event *) codec_decode (&event__descriptor,
                                                     peer->packed [seq], peer->sizes [seq]);
            ck_assert_ptr_nonnull (events [count]);
            count++;
        }
        reply.from_seq = request->from_seq;
        reply.head_seq = peer->head;
        reply.first_seq = peer->first;
    }
    else
    if (streq (request->stream, OTHER)) {
        for (uint64_t seq = request->from_seq; seq >= 1 && seq <= peer->other_head
                                               && count < request->max_events; seq++)
            events [count++] = (Event *) codec_decode (&event__descriptor,
                                                       peer->other_packed [seq], peer->other_sizes [seq]);
        reply.head_seq = peer->other_head;
        reply.first_seq = 1;
    }
    reply.store_id = peer->store_id;
    reply.events = events;
    reply.n_events = count;
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, routing_id_p);
    zmsg_addstr (msg, "FETCHED");
    zframe_t *frame = codec_encode (&reply);
    zmsg_append (msg, &frame);
    ck_assert_int_eq (zmsg_send (&msg, peer->replay), 0);
    for (size_t i = 0; i < count; i++)
        codec_free (events [i]);
}

//  Takes one replay message: [routing id][command][body].
static void
s_peer_take (s_peer_t *peer, zmsg_t *msg, bool record)
{
    zframe_t *routing_id = zmsg_pop (msg);
    char *command = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    ck_assert_ptr_nonnull (command);
    if (streq (command, "FETCH")) {
        FetchRequest *request = (FetchRequest *) codec_decode_frame (&fetch_request__descriptor, body);
        ck_assert_ptr_nonnull (request);
        ck_assert_str_eq (request->consumer, "test-consumer");
        ck_assert_uint_gt (request->max_events, 0);
        if (record && streq (request->stream, STREAM)) {
            ck_assert_uint_lt (peer->fetches, 256);
            peer->fetch_from [peer->fetches++] = request->from_seq;
            peer->fetch_filtered = request->filtered;
            peer->fetch_types [0] = 0;
            for (size_t t = 0; t < request->n_types; t++)
                snprintf (peer->fetch_types + strlen (peer->fetch_types),
                          sizeof peer->fetch_types - strlen (peer->fetch_types), "%s%s",
                          t? ",": "", request->types [t]);
        }
        if (peer->hold) {
            zmsg_t *kept = zmsg_new ();
            zmsg_append (kept, &routing_id);
            zmsg_addstr (kept, command);
            zmsg_append (kept, &body);
            zlistx_add_end (peer->held, kept);
        }
        else
            s_peer_answer (peer, &routing_id, request);
        codec_free (request);
    }
    else
    if (streq (command, "HELLO")) {
        ConsumerHello *hello = (ConsumerHello *) codec_decode_frame (&consumer_hello__descriptor, body);
        ck_assert_ptr_nonnull (hello);
        ck_assert_str_eq (hello->consumer, "test-consumer");
        peer->hellos++;
        codec_free (hello);
    }
    else
        ck_abort_msg ("unexpected replay command %s", command);
    free (command);
    zframe_destroy (&body);
    zframe_destroy (&routing_id);
}

static int
s_peer_on_replay (zloop_t *loop, zsock_t *socket, void *arg)
{
    zmsg_t *msg = zmsg_recv (socket);
    if (msg)
        s_peer_take ((s_peer_t *) arg, msg, true);
    zmsg_destroy (&msg);
    return 0;
}

//  Answers the FETCH requests held so far, and stops holding.
static void
s_peer_release (s_peer_t *peer)
{
    peer->hold = false;
    zmsg_t *msg;
    while ((msg = (zmsg_t *) zlistx_detach (peer->held, NULL))) {
        s_peer_take (peer, msg, false);
        zmsg_destroy (&msg);
    }
}

static int
s_peer_on_fanout (zloop_t *loop, zsock_t *socket, void *arg)
{
    s_peer_t *peer = (s_peer_t *) arg;
    zframe_t *frame = zframe_recv (socket);
    if (frame && zframe_size (frame) > 0 && zframe_data (frame) [0] == 1) {
        peer->subscriptions++;
        size_t size = zframe_size (frame) - 1;
        if (memchr (zframe_data (frame) + 1, '?', size) && size <= sizeof peer->filter_topic) {
            memcpy (peer->filter_topic, zframe_data (frame) + 1, size);
            peer->filter_size = size;
        }
    }
    zframe_destroy (&frame);
    return 0;
}

//  Heartbeats without heads keep the consumer from thinking us silent
//  without making it fetch.
static int
s_peer_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    s_peer_heartbeat ((s_peer_t *) arg, NULL, 0);
    return 0;
}

static void
s_peer_start (s_peer_t *peer, const char *keys_dir)
{
    memset (peer, 0, sizeof *peer);
    peer->reply_max = 1000;
    snprintf (peer->store_id, sizeof peer->store_id, "store-one");
    peer->held = zlistx_new ();
    //  The consumer's key is the one the keys directory knows; the broker's
    //  own cert is only in memory.
    ck_assert_int_eq (zsys_dir_create ("%s/public", keys_dir), 0);
    peer->client_cert = zcert_new ();
    zcert_set_meta (peer->client_cert, "name", "test-consumer");
    zcert_set_meta (peer->client_cert, "role", "service");
    zcert_set_meta (peer->client_cert, "team", "internal");
    char *path = zsys_sprintf ("%s/public/test-consumer.cert", keys_dir);
    ck_assert_int_eq (zcert_save_public (peer->client_cert, path), 0);
    zstr_free (&path);
    peer->server_cert = zcert_new ();
    peer->zap = transport_zap_new (keyring_admit, keyring_new (keys_dir), keyring_destroy_arg);
    ck_assert_ptr_nonnull (peer->zap);

    peer->fanout = zsock_new (ZMQ_XPUB);
    peer->replay = zsock_new (ZMQ_ROUTER);
    transport_curve_server (peer->fanout, peer->server_cert);
    transport_curve_server (peer->replay, peer->server_cert);
    zsock_set_linger (peer->fanout, 0);
    zsock_set_linger (peer->replay, 0);
    int port = zsock_bind (peer->fanout, "tcp://127.0.0.1:*");
    ck_assert_int_gt (port, 0);
    snprintf (peer->fanout_endpoint, sizeof peer->fanout_endpoint, "tcp://127.0.0.1:%d", port);
    port = zsock_bind (peer->replay, "tcp://127.0.0.1:*");
    ck_assert_int_gt (port, 0);
    snprintf (peer->replay_endpoint, sizeof peer->replay_endpoint, "tcp://127.0.0.1:%d", port);
}

static void
s_peer_attach (s_peer_t *peer, zloop_t *loop)
{
    ck_assert_int_eq (zloop_reader (loop, peer->fanout, s_peer_on_fanout, peer), 0);
    ck_assert_int_eq (zloop_reader (loop, peer->replay, s_peer_on_replay, peer), 0);
    ck_assert_int_ge (zloop_timer (loop, 300, 0, s_peer_on_timer, peer), 0);
}

static void
s_peer_stop (s_peer_t *peer)
{
    zmsg_t *msg;
    while ((msg = (zmsg_t *) zlistx_detach (peer->held, NULL)))
        zmsg_destroy (&msg);
    zlistx_destroy (&peer->held);
    zsock_destroy (&peer->fanout);
    zsock_destroy (&peer->replay);
    zactor_destroy (&peer->zap);
    zcert_destroy (&peer->server_cert);
    zcert_destroy (&peer->client_cert);
    for (size_t seq = 0; seq <= PEER_MAX_SEQ; seq++) {
        free (peer->packed [seq]);
        free (peer->other_packed [seq]);
    }
}

//  --------------------------------------------------------------------------
//  The test fixture: a store, the peer, a consumer of STREAM and its loop

typedef struct {
    char *dir;
    char store_dir [PATH_MAX];
    store_t *store;
    s_peer_t peer;
    consumer_t *consumer;
    zloop_t *loop;
    //  The apply function fails for fail_seq while fail_times > 0.
    uint64_t fail_seq;
    int fail_times;
    size_t apply_calls;
    size_t failed_calls;
    size_t since_begin;         //  STREAM events applied since the batch hook's start
    size_t begins, ends;        //  the batch hook's calls
    uint64_t want;              //  the offset s_until_offset waits for
    const char *const *streams; //  what the consumer consumes
    bool filtered;              //  STREAM filtered to "created" (ADR 58)
    int saved_stderr;           //  the real stderr while s_capture_log holds it, else 0
} s_test_t;

static const char *s_tables [] = { CONSUMER_TABLES, "effects", NULL };
static const char *const s_streams [] = { STREAM, NULL };
static const char *const s_two_streams [] = { STREAM, OTHER, NULL };

//  Counts the event in table "effects" inside the batch's transaction.
static int
s_apply (store_t *store, MDB_txn *txn, const Event *event, void *arg)
{
    s_test_t *test = (s_test_t *) arg;
    if (streq (event->stream, OTHER)) {
        //  Counted under "o<seq>"; it never fails.
        char key [32];
        snprintf (key, sizeof key, "o%" PRIu64, event->stream_seq);
        uint64_t count = s_stored_u64 (store, txn, "effects", key);
        return store_put_u64 (store, txn, "effects", key, count + 1);
    }
    test->apply_calls++;
    test->since_begin++;
    ck_assert_str_eq (event->stream, STREAM);
    ck_assert_str_eq (event->type, "created");
    char expected [32];
    snprintf (expected, sizeof expected, "payload-%" PRIu64, event->stream_seq);
    ck_assert_uint_eq (event->payload.len, strlen (expected));
    ck_assert_mem_eq (event->payload.data, expected, event->payload.len);
    if (event->stream_seq == test->fail_seq && test->fail_times > 0) {
        test->fail_times--;
        test->failed_calls++;
        return store_fail (store, "event %" PRIu64 " refused by the test", event->stream_seq);
    }
    char key [32];
    snprintf (key, sizeof key, "%" PRIu64, event->stream_seq);
    uint64_t count = s_stored_u64 (store, txn, "effects", key);
    return store_put_u64 (store, txn, "effects", key, count + 1);
}

static void
s_open_store (s_test_t *test)
{
    char error [512] = "";
    test->store = store_new (test->store_dir, s_tables, error, sizeof error);
    ck_assert_msg (test->store != NULL, "store_new: %s", error);
}

static void
s_setup (s_test_t *test)
{
    memset (test, 0, sizeof *test);
    test->streams = s_streams;
    test->dir = test_tmpdir ("consumer");
    snprintf (test->store_dir, sizeof test->store_dir, "%s/store", test->dir);
    s_open_store (test);
    char keys_dir [PATH_MAX];
    snprintf (keys_dir, sizeof keys_dir, "%s/keys", test->dir);
    s_peer_start (&test->peer, keys_dir);
}

static void
s_consumer_stop (s_test_t *test)
{
    //  The loop first: it holds the consumer's sockets as readers.
    zloop_destroy (&test->loop);
    consumer_destroy (&test->consumer);
    ck_assert_ptr_null (test->consumer);
}

static void
s_teardown (s_test_t *test)
{
    //  The real stderr back, for what the sanitizers report at exit.
    if (test->saved_stderr > 0) {
        fflush (stderr);
        dup2 (test->saved_stderr, STDERR_FILENO);
        close (test->saved_stderr);
    }
    s_consumer_stop (test);
    s_peer_stop (&test->peer);
    store_destroy (&test->store);
    test_rmtree (test->dir);
    free (test->dir);
}

//  Runs the loop until cond holds or max_ms passed; true when it held.
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
s_until_offset (s_test_t *test)
{
    return consumer_offset (test->consumer, STREAM) >= test->want;
}

static bool
s_until_connected (s_test_t *test)
{
    return consumer_connected (test->consumer);
}

static bool
s_until_hello (s_test_t *test)
{
    return test->peer.hellos > 0;
}

static bool
s_until_subscribed (s_test_t *test)
{
    return test->peer.subscriptions >= 2;
}

static bool
s_until_subscribed_both (s_test_t *test)
{
    return test->peer.subscriptions >= 3;
}

//  Runs until the consumer's offset reaches want; fails the test otherwise.
static void
s_expect_offset (s_test_t *test, uint64_t want, int max_ms)
{
    test->want = want;
    ck_assert_msg (s_run (test, max_ms, s_until_offset),
                   "offset %" PRIu64 " not reached in %d ms (at %" PRIu64 ")",
                   want, max_ms, consumer_offset (test->consumer, STREAM));
    ck_assert_uint_eq (consumer_offset (test->consumer, STREAM), want);
}

//  A consumer on the test's store, connected to the peer, in a new loop.
static void
s_consumer_start (s_test_t *test)
{
    test->consumer = consumer_new (test->store, "test-consumer", test->streams, s_apply, test);
    ck_assert_ptr_nonnull (test->consumer);
    size_t count = test->streams == s_streams? 1: 2;
    ck_assert_uint_eq (consumer_stream_count (test->consumer), count);
    ck_assert_str_eq (consumer_stream_name (test->consumer, 0), STREAM);
    ck_assert_ptr_null (consumer_stream_name (test->consumer, count));
    if (test->filtered) {
        static const consumer_event_t table [] = {
            { STREAM, "created", NULL, NULL },
            { "other", NULL, NULL, NULL },          //  not consumed: no matter
            { NULL }
        };
        consumer_filter_table (test->consumer, table, NULL);
    }
    ck_assert_int_eq (consumer_connect (test->consumer, test->peer.fanout_endpoint,
                                        test->peer.replay_endpoint,
                                        zcert_public_txt (test->peer.server_cert),
                                        test->peer.client_cert), 0);
    test->loop = zloop_new ();
    s_peer_attach (&test->peer, test->loop);
    ck_assert_int_eq (consumer_attach (test->consumer, test->loop), 0);
}

//  The usual start: the peer's log holds seq 1, which the consumer's first
//  fetch brings; once it is applied and the subscriptions arrived, live
//  events will reach it.
static void
s_start_seeded (s_test_t *test)
{
    s_peer_log (&test->peer);
    s_consumer_start (test);
    s_expect_offset (test, 1, 5000);
    ck_assert (s_run (test, 5000, s_until_subscribed));
    if (test->streams != s_streams)
        ck_assert (s_run (test, 5000, s_until_subscribed_both));
    ck_assert_uint_eq (test->peer.fetches, 1);
    ck_assert_uint_eq (test->peer.fetch_from [0], 1);
}

static uint64_t
s_disk_offset (s_test_t *test)
{
    MDB_txn *txn = store_read_begin (test->store);
    ck_assert_ptr_nonnull (txn);
    uint64_t offset = s_stored_u64 (test->store, txn, "offsets", STREAM);
    store_read_end (&txn);
    return offset;
}

static uint64_t
s_effects (s_test_t *test, uint64_t seq)
{
    MDB_txn *txn = store_read_begin (test->store);
    ck_assert_ptr_nonnull (txn);
    char key [32];
    snprintf (key, sizeof key, "%" PRIu64, seq);
    uint64_t count = s_stored_u64 (test->store, txn, "effects", key);
    store_read_end (&txn);
    return count;
}

//  Seqs from..to applied exactly once, none after, and the offset at to.
static void
s_assert_applied (s_test_t *test, uint64_t from, uint64_t to)
{
    for (uint64_t seq = from; seq <= to; seq++)
        ck_assert_msg (s_effects (test, seq) == 1, "seq %" PRIu64 " applied %" PRIu64 " times",
                       seq, s_effects (test, seq));
    ck_assert_uint_eq (s_effects (test, to + 1), 0);
    ck_assert_uint_eq (consumer_offset (test->consumer, STREAM), to);
    ck_assert_uint_eq (s_disk_offset (test), to);
}

//  --------------------------------------------------------------------------

START_TEST (test_live_in_order)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    for (int i = 0; i < 5; i++)
        s_peer_log_publish (&test.peer);
    s_expect_offset (&test, 6, 5000);
    s_assert_applied (&test, 1, 6);
    //  Nothing was missing, so nothing more was fetched.
    ck_assert_uint_eq (test.peer.fetches, 1);
    ck_assert_uint_eq (consumer_known_head (test.consumer, STREAM), 6);
    ck_assert_uint_eq (consumer_applied_total (test.consumer), 6);
    ck_assert_uint_eq (test.apply_calls, 6);
    //  Heartbeats make it connected; its HELLOs tell the broker its offset.
    ck_assert (s_run (&test, 3000, s_until_connected));
    ck_assert (s_run (&test, 3000, s_until_hello));
    ck_assert_uint_eq (consumer_offset (test.consumer, "other"), 0);
    s_teardown (&test);
}
END_TEST

//  Events that come several to a frame are applied exactly once, in
//  order, as if each came alone: duplicates inside and across frames are
//  dropped, a hole inside a frame fetches, and no fetch is needed otherwise.
START_TEST (test_live_batches)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    for (int i = 0; i < 5; i++)
        s_peer_log (&test.peer);
    const uint64_t first [] = { 2, 3, 4, 5, 6 };
    s_peer_publish_batch (&test.peer, first, 5);
    s_expect_offset (&test, 6, 5000);
    ck_assert_uint_eq (test.peer.fetches, 1);
    ck_assert_uint_eq (test.apply_calls, 6);
    //  Repeats of applied events, then new ones, in one frame.
    for (int i = 0; i < 3; i++)
        s_peer_log (&test.peer);
    const uint64_t again [] = { 5, 6, 7, 7, 8, 9 };
    s_peer_publish_batch (&test.peer, again, 6);
    s_expect_offset (&test, 9, 5000);
    ck_assert_uint_eq (test.peer.fetches, 1);
    ck_assert_uint_eq (test.apply_calls, 9);
    //  11 is missing from the frame: the hole drops what was pending (10)
    //  and the fetch brings 10 on.
    for (int i = 0; i < 4; i++)
        s_peer_log (&test.peer);
    const uint64_t holed [] = { 10, 12, 13 };
    s_peer_publish_batch (&test.peer, holed, 3);
    s_expect_offset (&test, 13, 5000);
    ck_assert_uint_eq (test.peer.fetches, 2);
    ck_assert_uint_eq (test.peer.fetch_from [1], 10);
    s_assert_applied (&test, 1, 13);
    ck_assert_uint_eq (test.apply_calls, 13);
    s_teardown (&test);
}
END_TEST

START_TEST (test_duplicate_ignored)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    uint64_t two = s_peer_log_publish (&test.peer);
    uint64_t three = s_peer_log_publish (&test.peer);
    //  Repeated in the same burst.
    s_peer_publish (&test.peer, three);
    s_peer_publish (&test.peer, two);
    s_expect_offset (&test, 3, 5000);
    s_run (&test, 150, NULL);
    //  Repeated after they were applied.
    s_peer_publish (&test.peer, 1);
    s_peer_publish (&test.peer, three);
    s_run (&test, 150, NULL);
    ck_assert_uint_eq (consumer_offset (test.consumer, STREAM), 3);
    s_peer_log_publish (&test.peer);
    s_expect_offset (&test, 4, 5000);
    s_assert_applied (&test, 1, 4);
    ck_assert_uint_eq (test.apply_calls, 4);
    //  A duplicate is not a gap: no fetch.
    ck_assert_uint_eq (test.peer.fetches, 1);
    s_teardown (&test);
}
END_TEST

START_TEST (test_gap_fetches)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    //  2..5 are logged but dropped on the way; 6 arrives live. The peer
    //  answers at most 3 events per fetch, so the consumer must go on
    //  fetching until it reaches the head.
    test.peer.reply_max = 3;
    for (int i = 0; i < 4; i++)
        s_peer_log (&test.peer);
    s_peer_log_publish (&test.peer);
    s_expect_offset (&test, 6, 5000);
    ck_assert_uint_eq (test.peer.fetches, 3);
    ck_assert_uint_eq (test.peer.fetch_from [1], 2);
    ck_assert_uint_eq (test.peer.fetch_from [2], 5);
    //  Live events continue after the fetch.
    s_peer_log_publish (&test.peer);
    s_peer_log_publish (&test.peer);
    s_expect_offset (&test, 8, 5000);
    s_assert_applied (&test, 1, 8);
    ck_assert_uint_eq (test.peer.fetches, 3);
    ck_assert_uint_eq (test.apply_calls, 8);
    s_teardown (&test);
}
END_TEST

START_TEST (test_heartbeat_head_fetches)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    //  The tail 2..3 was lost and nothing more is published: only the
    //  heartbeat tells the consumer. A head of another stream is no concern.
    s_peer_log (&test.peer);
    s_peer_log (&test.peer);
    s_peer_heartbeat (&test.peer, "denials", 9);
    s_run (&test, 150, NULL);
    ck_assert_uint_eq (test.peer.fetches, 1);
    ck_assert_uint_eq (consumer_known_head (test.consumer, "denials"), 0);
    s_peer_heartbeat (&test.peer, STREAM, 3);
    s_expect_offset (&test, 3, 5000);
    ck_assert_uint_eq (test.peer.fetches, 2);
    ck_assert_uint_eq (test.peer.fetch_from [1], 2);
    ck_assert_uint_eq (consumer_known_head (test.consumer, STREAM), 3);
    //  A heartbeat at the applied head fetches nothing.
    s_peer_heartbeat (&test.peer, STREAM, 3);
    s_run (&test, 150, NULL);
    ck_assert_uint_eq (test.peer.fetches, 2);
    s_assert_applied (&test, 1, 3);
    s_teardown (&test);
}
END_TEST

//  An offset the store holds but that cannot be read (here: 3 bytes where
//  8 belong) is an error naming the table and stream, never offset 0:
//  taken for 0 it re-applied a whole stream (~94,700 duplicate events).
static int
s_put_bad_offset (store_t *store, MDB_txn *txn, void *arg)
{
    return store_put (store, txn, "offsets", STREAM, strlen (STREAM), "\x01\x02\x03", 3);
}

START_TEST (test_unreadable_offset_refused)
{
    s_test_t test;
    s_setup (&test);
    ck_assert_int_eq (store_write (test.store, s_put_bad_offset, NULL), 0);
    consumer_t *consumer = consumer_new (test.store, "test-consumer", s_streams, s_apply, &test);
    ck_assert_ptr_null (consumer);
    char expected [128];
    snprintf (expected, sizeof expected, "offsets/%s", STREAM);
    ck_assert_msg (strstr (store_error (test.store), expected),
                   "error does not name the offset: %s", store_error (test.store));
    ck_assert_ptr_nonnull (strstr (store_error (test.store), test.store_dir));
    ck_assert_uint_eq (test.apply_calls, 0);
    s_teardown (&test);
}
END_TEST

START_TEST (test_offset_survives_reopen)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    s_peer_log_publish (&test.peer);
    s_peer_log_publish (&test.peer);
    s_expect_offset (&test, 3, 5000);
    s_consumer_stop (&test);
    store_destroy (&test.store);

    //  While it was away, 4 and 5 were logged.
    s_peer_log_publish (&test.peer);
    s_peer_log_publish (&test.peer);
    s_open_store (&test);
    size_t fetches = test.peer.fetches;
    s_consumer_start (&test);
    ck_assert_uint_eq (consumer_offset (test.consumer, STREAM), 3);
    s_expect_offset (&test, 5, 5000);
    ck_assert_uint_eq (test.peer.fetches, fetches + 1);
    ck_assert_uint_eq (test.peer.fetch_from [fetches], 4);
    s_assert_applied (&test, 1, 5);
    ck_assert_uint_eq (test.apply_calls, 5);
    s_teardown (&test);
}
END_TEST

//  --------------------------------------------------------------------------
//  A stream that stops on an event (issue 12): the helpers

static bool
s_until_stopped (s_test_t *test)
{
    return consumer_stopped_at (test->consumer, STREAM) != 0;
}

static bool
s_until_other (s_test_t *test)
{
    return consumer_offset (test->consumer, OTHER) >= test->want;
}

//  Until teardown the process's stderr (the log) goes to DIR/log.
static void
s_capture_log (s_test_t *test)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/log", test->dir);
    fflush (stderr);
    test->saved_stderr = dup (STDERR_FILENO);
    ck_assert_int_ge (test->saved_stderr, 0);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge (fd, 0);
    ck_assert_int_eq (dup2 (fd, STDERR_FILENO), STDERR_FILENO);
    close (fd);
}

//  Lines of the captured log that contain text.
static size_t
s_log_lines (s_test_t *test, const char *text)
{
    fflush (stderr);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/log", test->dir);
    FILE *file = fopen (path, "r");
    ck_assert_ptr_nonnull (file);
    char line [4096];
    size_t count = 0;
    while (fgets (line, sizeof line, file))
        if (strstr (line, text))
            count++;
    fclose (file);
    return count;
}

typedef struct {
    s_test_t *test;
    const char *stream;
    uint64_t seq;
    const char *reason;
    Status status;
    char error [256];
    DeadletterRecord *record;
} s_aside_t;

static int
s_aside_write (store_t *store, MDB_txn *txn, void *arg)
{
    s_aside_t *aside = (s_aside_t *) arg;
    codec_free (aside->record);
    return consumer_set_aside (aside->test->consumer, txn, aside->stream, aside->seq, "ops-admin",
                               aside->reason, 1234, &aside->status, aside->error,
                               sizeof aside->error, &aside->record);
}

//  consumer_set_aside in a transaction of its own, then the reload the
//  service does after each commit. Returns the status.
static Status
s_set_aside (s_test_t *test, const char *stream, uint64_t seq, const char *reason, s_aside_t *aside)
{
    memset (aside, 0, sizeof *aside);
    aside->test = test;
    aside->stream = stream;
    aside->seq = seq;
    aside->reason = reason;
    ck_assert_int_eq (store_write (test->store, s_aside_write, aside), 0);
    consumer_reload (test->consumer);
    return aside->status;
}

//  --------------------------------------------------------------------------

//  The batch hook: counts, at each batch's end and in its transaction, the
//  events applied since the start under "batched".
static int
s_batch_hook (store_t *store, MDB_txn *txn, bool end, void *arg)
{
    s_test_t *test = (s_test_t *) arg;
    if (!end) {
        test->begins++;
        test->since_begin = 0;
        return 0;
    }
    test->ends++;
    uint64_t count = s_stored_u64 (store, txn, "effects", "batched");
    return store_put_u64 (store, txn, "effects", "batched", count + test->since_begin);
}

//  The hook starts every run of a batch's transaction and ends every batch
//  that commits, inside it: what it wrote counts each event once, though a
//  run aborted on a refused event and its events applied again.
START_TEST (test_batch_hook)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    consumer_on_batch (test.consumer, s_batch_hook);
    test.fail_seq = 4;
    test.fail_times = 1;
    for (int i = 0; i < 5; i++)
        s_peer_log (&test.peer);
    const uint64_t seqs [] = { 2, 3, 4, 5, 6 };
    s_peer_publish_batch (&test.peer, seqs, 5);
    s_expect_offset (&test, 6, 5000);
    s_assert_applied (&test, 1, 6);
    ck_assert_uint_eq (test.failed_calls, 1);
    ck_assert_uint_gt (test.begins, test.ends);     //  the aborted run had no end
    ck_assert_uint_gt (test.ends, 0);
    MDB_txn *txn = store_read_begin (test.store);
    ck_assert_uint_eq (s_stored_u64 (test.store, txn, "effects", "batched"), 5);
    store_read_end (&txn);
    s_teardown (&test);
}
END_TEST

START_TEST (test_apply_failure_live)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    //  Applying 2 fails until told otherwise; fetches wait to be answered.
    test.fail_seq = 2;
    test.fail_times = 1000;
    test.peer.hold = true;
    s_peer_log_publish (&test.peer);
    s_peer_log_publish (&test.peer);
    ck_assert (s_run (&test, 5000, s_until_stopped));
    s_run (&test, 300, NULL);
    ck_assert_uint_gt (test.failed_calls, 0);
    ck_assert_uint_eq (consumer_stopped_at (test.consumer, STREAM), 2);
    ck_assert (problems_has (consumer_problems (test.consumer), "stream_stopped", STREAM));
    ck_assert_uint_eq (consumer_offset (test.consumer, STREAM), 1);
    ck_assert_uint_eq (s_disk_offset (&test), 1);
    ck_assert_uint_eq (s_effects (&test, 2), 0);
    ck_assert_uint_eq (s_effects (&test, 3), 0);
    //  Once the cause is gone, a retry (a fetch from the stopped event)
    //  applies it and the rest, and the problem clears.
    test.fail_times = 0;
    s_peer_release (&test.peer);
    s_expect_offset (&test, 3, 8000);
    ck_assert_uint_eq (test.peer.fetch_from [test.peer.fetches - 1], 2);
    s_assert_applied (&test, 1, 3);
    ck_assert_uint_eq (consumer_stopped_at (test.consumer, STREAM), 0);
    ck_assert_uint_eq (problems_count (consumer_problems (test.consumer)), 0);
    s_teardown (&test);
}
END_TEST

START_TEST (test_apply_failure_fetched)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    //  2..4 come by fetch, and applying 3 fails twice: in the batch, and
    //  alone (tried so to be sure it is 3's fault). 2 is applied (it did
    //  apply, before 3, in the failed transaction), the stream stops at 3,
    //  and a retry after a pause applies 3 and 4.
    test.fail_seq = 3;
    test.fail_times = 2;
    for (int i = 0; i < 3; i++)
        s_peer_log (&test.peer);
    s_peer_heartbeat (&test.peer, STREAM, 4);
    ck_assert (s_run (&test, 5000, s_until_stopped));
    ck_assert_uint_eq (test.failed_calls, 2);
    ck_assert_uint_eq (consumer_stopped_at (test.consumer, STREAM), 3);
    ck_assert_uint_eq (consumer_offset (test.consumer, STREAM), 2);
    ck_assert_uint_eq (s_disk_offset (&test), 2);
    ck_assert_uint_eq (s_effects (&test, 2), 1);
    ck_assert_uint_eq (s_effects (&test, 3), 0);
    s_expect_offset (&test, 4, 8000);
    ck_assert_uint_eq (test.peer.fetch_from [test.peer.fetches - 1], 3);
    s_assert_applied (&test, 1, 4);
    ck_assert_uint_eq (problems_count (consumer_problems (test.consumer)), 0);
    s_teardown (&test);
}
END_TEST

//  The event that can never be applied (a handler that refuses seq 4, as
//  metrics refused a 500-character payer id with MDB_BAD_VALSIZE): the
//  stream stops exactly there with the events before it applied, says so
//  once however often it retries, other streams go on, and once an
//  operator sets it aside the rest of the stream applies.
START_TEST (test_stop_at_bad_event)
{
    s_test_t test;
    s_setup (&test);
    test.streams = s_two_streams;
    s_capture_log (&test);
    s_start_seeded (&test);
    test.fail_seq = 4;
    test.fail_times = 1000000;
    //  2..6 in one live burst: one batch, which fails at 4.
    for (int i = 0; i < 5; i++)
        s_peer_log_publish (&test.peer);
    ck_assert (s_run (&test, 5000, s_until_stopped));
    ck_assert_uint_eq (consumer_stopped_at (test.consumer, STREAM), 4);
    ck_assert_uint_eq (consumer_offset (test.consumer, STREAM), 3);
    ck_assert_uint_eq (s_disk_offset (&test), 3);
    for (uint64_t seq = 2; seq <= 3; seq++)
        ck_assert_uint_eq (s_effects (&test, seq), 1);
    for (uint64_t seq = 4; seq <= 6; seq++)
        ck_assert_uint_eq (s_effects (&test, seq), 0);
    ck_assert (problems_has (consumer_problems (test.consumer), "stream_stopped", STREAM));
    Problem **problems;
    size_t n;
    problems_t *lists [] = { consumer_problems (test.consumer) };
    problems = problems_to_proto (lists, 1, &n);
    ck_assert_uint_eq (n, 1);
    ck_assert_str_eq (problems [0]->code, "stream_stopped");
    ck_assert_str_eq (problems [0]->subject, STREAM);
    ck_assert_uint_eq (problems [0]->seq, 4);
    ck_assert_ptr_nonnull (strstr (problems [0]->message, "event 4 refused by the test"));
    problems_proto_free (&problems, n);

    //  The other stream is not held up by it.
    s_peer_other_publish (&test.peer);
    s_peer_other_publish (&test.peer);
    test.want = 2;
    ck_assert (s_run (&test, 5000, s_until_other));

    //  Retries come (1 s, then 2 s later), fail, and say nothing more;
    //  more live events of the stream are not applied meanwhile.
    size_t failed = test.failed_calls;
    s_peer_log_publish (&test.peer);
    s_run (&test, 3600, NULL);
    ck_assert_uint_ge (test.failed_calls, failed + 2);
    ck_assert_uint_eq (s_log_lines (&test, "stream stopped: cannot apply event"), 1);
    ck_assert_uint_eq (s_log_lines (&test, "\"seq\":4"), 1);
    ck_assert_uint_eq (consumer_offset (test.consumer, STREAM), 3);
    ck_assert_uint_eq (s_effects (&test, 7), 0);

    //  Setting aside: only the event it is stopped at, only with a reason,
    //  only a stream it consumes.
    s_aside_t aside;
    ck_assert_int_eq (s_set_aside (&test, STREAM, 5, "no", &aside), STATUS__FAILED_PRECONDITION);
    ck_assert_ptr_nonnull (strstr (aside.error, "stopped at seq 4, not 5"));
    ck_assert_int_eq (s_set_aside (&test, STREAM, 4, "", &aside), STATUS__INVALID_ARGUMENT);
    ck_assert_int_eq (s_set_aside (&test, "inquiry", 4, "no", &aside), STATUS__INVALID_ARGUMENT);
    ck_assert_int_eq (s_set_aside (&test, OTHER, 1, "no", &aside), STATUS__FAILED_PRECONDITION);
    ck_assert_ptr_nonnull (strstr (aside.error, "not stopped"));
    ck_assert_uint_eq (s_disk_offset (&test), 3);
    ck_assert_uint_eq (consumer_stopped_at (test.consumer, STREAM), 4);

    ck_assert_int_eq (s_set_aside (&test, STREAM, 4, "payer id too long, claim resubmitted", &aside),
                      STATUS__OK);
    ck_assert_ptr_nonnull (aside.record);
    ck_assert_str_eq (aside.record->stream, STREAM);
    ck_assert_uint_eq (aside.record->seq, 4);
    ck_assert_str_eq (aside.record->type, "created");
    ck_assert_str_eq (aside.record->key, "CLM-4");
    ck_assert_str_eq (aside.record->actor, "ops-admin");
    ck_assert_str_eq (aside.record->reason, "payer id too long, claim resubmitted");
    ck_assert_ptr_nonnull (strstr (aside.record->error, "event 4 refused by the test"));
    //  The record holds the event's own bytes, as the broker sent them.
    Event *kept = (Event *) codec_decode (&event__descriptor, aside.record->event.data,
                                          aside.record->event.len);
    ck_assert_ptr_nonnull (kept);
    ck_assert_uint_eq (kept->stream_seq, 4);
    ck_assert_uint_eq (kept->payload.len, strlen ("payload-4"));
    codec_free (kept);
    codec_free (aside.record);

    //  The stream goes on past it; 4 itself is never applied.
    s_expect_offset (&test, 7, 5000);
    ck_assert_uint_eq (s_effects (&test, 4), 0);
    for (uint64_t seq = 5; seq <= 7; seq++)
        ck_assert_uint_eq (s_effects (&test, seq), 1);
    ck_assert_uint_eq (s_disk_offset (&test), 7);
    ck_assert_uint_eq (consumer_stopped_at (test.consumer, STREAM), 0);
    ck_assert_uint_eq (problems_count (consumer_problems (test.consumer)), 0);
    ck_assert_uint_eq (s_log_lines (&test, "stream resumed"), 1);
    //  A second skip of it is refused: the stream is no longer stopped.
    ck_assert_int_eq (s_set_aside (&test, STREAM, 4, "again", &aside), STATUS__FAILED_PRECONDITION);

    //  What was set aside stays listed, by stream then seq.
    MDB_txn *txn = store_read_begin (test.store);
    DeadletterRecord **records;
    ck_assert_int_eq (consumer_deadletters (test.store, txn, &records, &n), 0);
    store_read_end (&txn);
    ck_assert_uint_eq (n, 1);
    ck_assert_str_eq (records [0]->stream, STREAM);
    ck_assert_uint_eq (records [0]->seq, 4);
    ck_assert_uint_eq (records [0]->time_ms, 1234);
    codec_free (records [0]);
    free (records);
    s_teardown (&test);
}
END_TEST

//  Wipes "offsets" and "effects", as metrics.Rebuild wipes its tables.
static int
s_wipe (store_t *store, MDB_txn *txn, void *arg)
{
    int rc = mdb_drop (txn, store_table (store, "offsets"), 0);
    return rc? rc: mdb_drop (txn, store_table (store, "effects"), 0);
}

//  An event set aside stays aside when its stream is replayed from seq 1:
//  after consumer_reset (metrics.Rebuild), and by a consumer started anew
//  on the store (its "deadletter" table). Applying it was never retried.
START_TEST (test_set_aside_survives_replay)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    test.fail_seq = 3;
    test.fail_times = 1000000;
    for (int i = 0; i < 3; i++)
        s_peer_log_publish (&test.peer);
    ck_assert (s_run (&test, 5000, s_until_stopped));
    ck_assert_uint_eq (consumer_stopped_at (test.consumer, STREAM), 3);
    s_aside_t aside;
    ck_assert_int_eq (s_set_aside (&test, STREAM, 3, "bad payer", &aside), STATUS__OK);
    codec_free (aside.record);
    s_expect_offset (&test, 4, 5000);
    size_t failed = test.failed_calls;

    //  Replayed in place.
    ck_assert_int_eq (store_write (test.store, s_wipe, NULL), 0);
    consumer_reset (test.consumer);
    ck_assert_uint_eq (consumer_offset (test.consumer, STREAM), 0);
    s_expect_offset (&test, 4, 5000);
    ck_assert_uint_eq (consumer_stopped_at (test.consumer, STREAM), 0);
    ck_assert_uint_eq (test.failed_calls, failed);
    ck_assert_uint_eq (s_effects (&test, 3), 0);
    ck_assert_uint_eq (s_disk_offset (&test), 4);
    ck_assert_uint_eq (problems_count (consumer_problems (test.consumer)), 0);

    //  Replayed by a new consumer, which knows it from the store.
    s_consumer_stop (&test);
    ck_assert_int_eq (store_write (test.store, s_wipe, NULL), 0);
    s_consumer_start (&test);
    s_expect_offset (&test, 4, 5000);
    ck_assert_uint_eq (test.failed_calls, failed);
    ck_assert_uint_eq (s_effects (&test, 3), 0);
    ck_assert_uint_eq (s_effects (&test, 4), 1);
    ck_assert_uint_eq (consumer_stopped_at (test.consumer, STREAM), 0);
    s_teardown (&test);
}
END_TEST

//  The broker's store restored from an older copy (docs/adr/0007): the
//  consumer applied 1..5, the broker comes back with 1..2 and numbers new
//  events 3, 4 ... again. The old consumer took 3..5 for applied and
//  applied the new 6 on top, skipping the new 3..5 for good; now it stops
//  the stream and says so, naming both seqs, and applies nothing more.
static void
s_peer_rollback (s_peer_t *peer, uint64_t head)
{
    for (uint64_t seq = head + 1; seq <= peer->head; seq++) {
        free (peer->packed [seq]);
        peer->packed [seq] = NULL;
    }
    peer->head = head;
}

static bool
s_until_halted (s_test_t *test)
{
    return consumer_stopped (test->consumer, STREAM);
}

START_TEST (test_broker_store_older)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    for (int i = 0; i < 4; i++)
        s_peer_log_publish (&test.peer);
    s_expect_offset (&test, 5, 5000);
    s_consumer_stop (&test);

    s_peer_rollback (&test.peer, 2);
    s_consumer_start (&test);
    ck_assert (s_run (&test, 5000, s_until_halted));
    problems_t *problems = consumer_problems (test.consumer);
    ck_assert (problems_has (problems, "stream_behind_consumer", STREAM));
    size_t n;
    Problem **list = problems_to_proto (&problems, 1, &n);
    ck_assert_uint_eq (n, 1);
    ck_assert_uint_eq (list [0]->seq, 5);
    ck_assert_ptr_nonnull (strstr (list [0]->message, "ends at seq 2"));
    ck_assert_ptr_nonnull (strstr (list [0]->message, "applied up to seq 5"));
    problems_proto_free (&list, n);

    //  The restored broker numbers new events 3..7; none is applied.
    for (int i = 0; i < 5; i++)
        s_peer_log_publish (&test.peer);
    s_peer_heartbeat (&test.peer, STREAM, 7);
    s_run (&test, 1000, NULL);
    ck_assert_uint_eq (consumer_offset (test.consumer, STREAM), 5);
    ck_assert_uint_eq (test.apply_calls, 5);
    s_assert_applied (&test, 1, 5);
    s_teardown (&test);
}
END_TEST

//  A broker serving another store (its id is not the one the consumer
//  applied from): the consumer remembers the first id in its store, and
//  stops when another one answers, instead of applying that log's events
//  at our offsets.
START_TEST (test_broker_store_changed)
{
    s_test_t test;
    s_setup (&test);
    s_start_seeded (&test);
    s_peer_log_publish (&test.peer);
    s_expect_offset (&test, 2, 5000);
    MDB_txn *txn = store_read_begin (test.store);
    MDB_val value;
    ck_assert_int_eq (store_get (test.store, txn, "offsets", ".broker_store", 13, &value), 0);
    ck_assert_uint_eq (value.mv_size, strlen ("store-one"));
    ck_assert_mem_eq (value.mv_data, "store-one", value.mv_size);
    store_read_end (&txn);
    s_consumer_stop (&test);

    //  Another log that happens to be longer than our offset.
    snprintf (test.peer.store_id, sizeof test.peer.store_id, "store-two");
    s_peer_log (&test.peer);
    s_peer_log (&test.peer);
    s_consumer_start (&test);
    ck_assert (s_run (&test, 5000, s_until_halted));
    ck_assert (problems_has (consumer_problems (test.consumer), "broker_store_changed", ""));
    s_peer_log_publish (&test.peer);
    s_run (&test, 500, NULL);
    ck_assert_uint_eq (consumer_offset (test.consumer, STREAM), 2);
    ck_assert_uint_eq (test.apply_calls, 2);

    //  A replay from seq 1 (metrics.Rebuild wipes the offsets first) is
    //  the way back: the consumer takes the new store as its own.
    ck_assert_int_eq (store_write (test.store, s_wipe, NULL), 0);
    consumer_reset (test.consumer);
    ck_assert (!consumer_stopped (test.consumer, STREAM));
    ck_assert_uint_eq (problems_count (consumer_problems (test.consumer)), 0);
    s_expect_offset (&test, 5, 5000);
    s_teardown (&test);
}
END_TEST

START_TEST (test_retention_empty_reply)
{
    s_test_t test;
    s_setup (&test);
    //  1..4 are gone and nothing is kept: the reply has no events, head 4
    //  and first 5. The consumer moves on past what it can never get.
    test.peer.head = 4;
    test.peer.first = 5;
    s_consumer_start (&test);
    s_expect_offset (&test, 4, 5000);
    ck_assert_uint_eq (s_disk_offset (&test), 4);
    ck_assert (s_run (&test, 5000, s_until_subscribed));
    s_peer_log_publish (&test.peer);
    s_expect_offset (&test, 5, 5000);
    for (uint64_t seq = 1; seq <= 4; seq++)
        ck_assert_uint_eq (s_effects (&test, seq), 0);
    s_assert_applied (&test, 5, 5);
    s_teardown (&test);
}
END_TEST

START_TEST (test_retention_kept_events)
{
    s_test_t test;
    s_setup (&test);
    //  1..4 were pruned, 5..7 are kept. Like rcmq-broker, the peer answers
    //  a fetch from 1 with what it kept: events 5..7, first_seq 5.
    for (int i = 0; i < 7; i++)
        s_peer_log (&test.peer);
    test.peer.first = 5;
    s_consumer_start (&test);
    s_expect_offset (&test, 7, 5000);
    for (uint64_t seq = 1; seq <= 4; seq++)
        ck_assert_uint_eq (s_effects (&test, seq), 0);
    s_assert_applied (&test, 5, 7);
    //  And it did not need to ask again and again.
    s_run (&test, 200, NULL);
    ck_assert_uint_le (test.peer.fetches, 2);
    s_teardown (&test);
}
END_TEST

//  A deadletter record's key as the text pages and audit records name it
//  (STREAM#SEQ) and back; text that names no record is refused.
START_TEST (test_deadletter_ids)
{
    uint8_t key [64];
    size_t size = 0;
    ck_assert_int_eq (consumer_deadletter_key ("intake#42", key, sizeof key, &size), 0);
    ck_assert_uint_eq (size, strlen ("intake") + 9);
    ck_assert_int_eq (memcmp (key, "intake\0", 7), 0);
    ck_assert_uint_eq (store_u64_read (key + 7), 42);
    MDB_val value = { size, key };
    char *id = consumer_deadletter_id (&value);
    ck_assert_str_eq (id, "intake#42");
    free (id);
    //  A '#' in the stream's name: the last one splits.
    ck_assert_int_eq (consumer_deadletter_key ("a#b#7", key, sizeof key, &size), 0);
    ck_assert_uint_eq (size, 3 + 9);
    ck_assert_uint_eq (store_u64_read (key + 4), 7);
    static const char *const bad [] = {
        "intake", "#5", "intake#", "intake#5x", "intake#-5", "intake# 5", "intake#99999999999999999999", NULL
    };
    for (size_t i = 0; bad [i]; i++)
        ck_assert_msg (consumer_deadletter_key (bad [i], key, sizeof key, &size) == -1, "'%s' taken", bad [i]);
    //  A stream longer than the key can hold.
    ck_assert_int_eq (consumer_deadletter_key ("a-very-long-stream-name-that-does-not-fit#1", key, 16, &size), -1);
}
END_TEST

//  A filtered consumer (ADR 58) applies exactly its types, once each; its
//  offset covers the seqs of other types without seeing them, reaches the
//  head when the stream ends with them, and a lost frame or tail is
//  fetched, filtered; a restart where only memory had moved the offset
//  (over a range with nothing to apply) fetches that range again and
//  applies nothing twice.
START_TEST (test_filtered_stream)
{
    s_test_t test;
    s_setup (&test);
    test.filtered = true;
    s_start_seeded (&test);
    //  It subscribed to its filter topic, with the topic's 0x00.
    ck_assert_uint_eq (test.peer.filter_size, strlen (STREAM "?created") + 1);
    ck_assert_mem_eq (test.peer.filter_topic, STREAM "?created", test.peer.filter_size);
    ck_assert (test.peer.fetch_filtered);
    ck_assert_str_eq (test.peer.fetch_types, "created");
    const char *topic = STREAM "?created";

    //  2 and 4 are of another type: the frame covers 2..4 and holds 3.
    s_peer_log_typed (&test.peer, "skipped");
    s_peer_log_typed (&test.peer, "created");
    s_peer_log_typed (&test.peer, "skipped");
    s_peer_publish_filtered (&test.peer, topic, 2, 4);
    s_expect_offset (&test, 4, 5000);
    ck_assert_uint_eq (test.apply_calls, 2);
    ck_assert_uint_eq (s_disk_offset (&test), 4);

    //  The stream ends with skipped types: a frame of none covers them,
    //  and the offset (what HELLO reports) reaches the head without a
    //  write or a fetch.
    s_peer_log_typed (&test.peer, "skipped");
    s_peer_log_typed (&test.peer, "skipped");
    s_peer_publish_filtered (&test.peer, topic, 5, 6);
    s_expect_offset (&test, 6, 5000);
    s_peer_heartbeat (&test.peer, STREAM, 6);
    s_run (&test, 150, NULL);
    ck_assert_uint_eq (test.peer.fetches, 1);
    ck_assert_uint_eq (s_disk_offset (&test), 4);
    ck_assert_uint_eq (consumer_known_head (test.consumer, STREAM), 6);

    //  The frame of 7..8 is lost: the next one's first (9) shows the hole,
    //  and a filtered fetch from 7 brings 7 and 9.
    s_peer_log_typed (&test.peer, "created");
    s_peer_log_typed (&test.peer, "skipped");
    s_peer_log_typed (&test.peer, "created");
    s_peer_publish_filtered (&test.peer, topic, 9, 9);
    s_expect_offset (&test, 9, 5000);
    ck_assert_uint_eq (test.peer.fetches, 2);
    ck_assert_uint_eq (test.peer.fetch_from [1], 7);
    ck_assert (test.peer.fetch_filtered);
    ck_assert_str_eq (test.peer.fetch_types, "created");
    ck_assert_uint_eq (s_disk_offset (&test), 9);

    //  A lost tail: only the heartbeat's head says.
    s_peer_log_typed (&test.peer, "skipped");
    s_peer_log_typed (&test.peer, "created");
    s_peer_heartbeat (&test.peer, STREAM, 11);
    s_expect_offset (&test, 11, 5000);
    ck_assert_uint_eq (test.peer.fetches, 3);
    ck_assert_uint_eq (test.peer.fetch_from [2], 10);

    //  Covered in memory only, then the consumer is killed.
    s_peer_log_typed (&test.peer, "skipped");
    s_peer_log_typed (&test.peer, "skipped");
    s_peer_publish_filtered (&test.peer, topic, 12, 13);
    s_expect_offset (&test, 13, 5000);
    ck_assert_uint_eq (s_disk_offset (&test), 11);
    s_consumer_stop (&test);
    store_destroy (&test.store);
    s_peer_log_typed (&test.peer, "created");
    s_open_store (&test);
    s_consumer_start (&test);
    s_expect_offset (&test, 14, 5000);
    ck_assert_uint_eq (test.peer.fetch_from [test.peer.fetches - 1], 12);
    ck_assert_uint_eq (s_disk_offset (&test), 14);
    //  Each "created" once, no other type ever (s_apply asserts the type).
    static const uint64_t created [] = { 1, 3, 7, 9, 11, 14 };
    for (size_t i = 0; i < sizeof created / sizeof created [0]; i++)
        ck_assert_msg (s_effects (&test, created [i]) == 1, "seq %" PRIu64 " applied %" PRIu64 " times",
                       created [i], s_effects (&test, created [i]));
    static const uint64_t skipped [] = { 2, 4, 5, 6, 8, 10, 12, 13 };
    for (size_t i = 0; i < sizeof skipped / sizeof skipped [0]; i++)
        ck_assert_uint_eq (s_effects (&test, skipped [i]), 0);
    s_teardown (&test);
}
END_TEST

//  A filtered stream that stops on an event of its types stores the offset
//  just before it (over skipped seqs it had only covered in memory), so
//  the event can be set aside.
START_TEST (test_filtered_stop_stores_offset)
{
    s_test_t test;
    s_setup (&test);
    test.filtered = true;
    s_start_seeded (&test);
    const char *topic = STREAM "?created";
    s_peer_log_typed (&test.peer, "skipped");
    s_peer_publish_filtered (&test.peer, topic, 2, 2);
    s_expect_offset (&test, 2, 5000);
    ck_assert_uint_eq (s_disk_offset (&test), 1);
    s_peer_log_typed (&test.peer, "skipped");
    uint64_t bad = s_peer_log_typed (&test.peer, "created");
    test.fail_seq = bad;
    test.fail_times = 1000;
    s_peer_publish_filtered (&test.peer, topic, 3, 4);
    s_expect_offset (&test, 3, 5000);
    s_run (&test, 300, NULL);
    ck_assert_uint_eq (consumer_stopped_at (test.consumer, STREAM), bad);
    ck_assert_uint_eq (consumer_offset (test.consumer, STREAM), bad - 1);
    ck_assert_uint_eq (s_disk_offset (&test), bad - 1);
    s_teardown (&test);
}
END_TEST

START_TEST (test_filter_topic)
{
    char topic [64];
    const char *types [] = { "denied", "acknowledged", "denied", "edited" };
    ck_assert_int_eq (fanout_filter_topic ("claims", types, 4, topic, sizeof topic),
                      (int) strlen ("claims?acknowledged,denied,edited"));
    ck_assert_str_eq (topic, "claims?acknowledged,denied,edited");
    ck_assert (fanout_is_filtered (topic));
    ck_assert (!fanout_is_filtered ("claims.denied"));
    ck_assert (fanout_filter_takes (topic, "denied", 6));
    ck_assert (fanout_filter_takes (topic, "edited", 6));
    ck_assert (!fanout_filter_takes (topic, "denie", 5));
    ck_assert (!fanout_filter_takes (topic, "adjudicated", 11));
    ck_assert_int_eq (fanout_filter_topic ("claims", NULL, 0, topic, sizeof topic), 7);
    ck_assert_str_eq (topic, "claims?");
    ck_assert (!fanout_filter_takes (topic, "denied", 6));
    ck_assert_int_eq (fanout_filter_topic ("claims", types, 4, topic, 10), -1);
    //  A frame's range and events, back.
    const uint8_t one [] = { 1, 2, 3 }, two [] = { 4 };
    const uint8_t *data [] = { one, two };
    size_t sizes [] = { 3, 1 };
    zframe_t *frame = fanout_filtered ("claims?denied", 5, 9, data, sizes, 2);
    const char *parsed;
    uint64_t last, first;
    const uint8_t *body, *event;
    size_t size, body_size, offset = 0, event_size;
    ck_assert_int_eq (fanout_parse (frame, &parsed, &last, &body, &size), 0);
    ck_assert_str_eq (parsed, "claims?denied");
    ck_assert_uint_eq (last, 9);
    const uint8_t *events;
    ck_assert_int_eq (fanout_filtered_range (last, body, size, &first, &events, &body_size), 0);
    ck_assert_uint_eq (first, 5);
    ck_assert_int_eq (fanout_batch_next (events, body_size, &offset, &event, &event_size), 1);
    ck_assert_uint_eq (event_size, 3);
    ck_assert_int_eq (fanout_batch_next (events, body_size, &offset, &event, &event_size), 1);
    ck_assert_uint_eq (event_size, 1);
    ck_assert_int_eq (fanout_batch_next (events, body_size, &offset, &event, &event_size), 0);
    //  An empty range is not a frame of ours.
    ck_assert_int_eq (fanout_filtered_range (4, body, size, &first, &events, &body_size), -1);
    zframe_destroy (&frame);
}
END_TEST

Suite *
consumer_suite (void)
{
    Suite *suite = suite_create ("consumer");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_live_in_order);
    tcase_add_test (tc, test_duplicate_ignored);
    tcase_add_test (tc, test_live_batches);
    tcase_add_test (tc, test_batch_hook);
    tcase_add_test (tc, test_gap_fetches);
    tcase_add_test (tc, test_heartbeat_head_fetches);
    tcase_add_test (tc, test_broker_store_older);
    tcase_add_test (tc, test_broker_store_changed);
    tcase_add_test (tc, test_offset_survives_reopen);
    tcase_add_test (tc, test_unreadable_offset_refused);
    tcase_add_test (tc, test_apply_failure_live);
    tcase_add_test (tc, test_apply_failure_fetched);
    tcase_add_test (tc, test_stop_at_bad_event);
    tcase_add_test (tc, test_set_aside_survives_replay);
    tcase_add_test (tc, test_retention_empty_reply);
    tcase_add_test (tc, test_retention_kept_events);
    tcase_add_test (tc, test_deadletter_ids);
    tcase_add_test (tc, test_filtered_stream);
    tcase_add_test (tc, test_filtered_stop_stores_offset);
    tcase_add_test (tc, test_filter_topic);
    suite_add_tcase (suite, tc);
    return suite;
}
