/*  bench/broker: events through the real rcmq-broker, next to the raw limits
    of the same machine measured in the same run.

    For each event size (200 B and 1 KB of payload) and each fan-out (1 and 3
    subscribers) it starts a fresh rcmq-broker process (temporary data and
    keys dirs, ephemeral ports, CURVE on every socket, LMDB with fsync on
    every commit as in production) and measures N events end to end:

        producer thread: its own LMDB store with the outbox pre-filled with N
            events (untimed), then the real relay (common/relay.c) sends them
            to the broker's ingest and deletes what the broker acks;
        broker process: group commit to its log, ack, fan-out on XPUB;
        subscriber threads: real consumers (common/consumer.c), each with its
            own LMDB store, applying every event (one put of the payload under
            its stream seq, plus the consumer's offset, one transaction per
            batch).

    The clock starts when the relay is told to go and stops when the last
    subscriber has applied event N. Next to it, the same run measures:

        CURVE PUSH/PULL: N messages of the same size, one PUSH thread to one
            PULL socket over tcp loopback, both CURVE, ZAP as in rcmq; and
            the limit of a fan-out to three: the same N messages sent by one
            thread to three PULL sockets (three PUSH sockets, each message
            sealed three times), N/s each;
        LMDB batched writes: N records of the same size, in write
            transactions of --batch records (the relay's batch, which is what
            the broker group-commits under one producer), fsync per commit.

    It prints a table and ends with ONE JSON line:
        {"name":"broker","figures":{...},"limits":{...},"ratios":{...}}

    Usage: broker [--events N] [--batch B] [--broker PATH] [--keep] [--only SxN]
    The broker binary defaults to ../services/broker/rcmq-broker next to this
    program's build folder, or $RCMQ_BROKER.
*/
#include "bench_util.h"
#include "client.h"
#include "codec.h"
#include "consumer.h"
#include "outbox.h"
#include "relay.h"
#include "store.h"
#include "transport.h"
#include "keyring.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

#define BENCH_DEFAULT_EVENTS   100000
#define BENCH_DEFAULT_BATCH    500
#define BENCH_PREFILL_TXN      2000
#define BENCH_CASE_TIMEOUT_MS  120000
#define BENCH_MAX_SUBSCRIBERS  3

typedef struct {
    size_t events;
    size_t batch;
    bool keep;
    const char *only;                   //  "200x1": run just this case
    size_t size;                        //  --size: just this event size
    char broker_path [PATH_MAX];
    char root [1024];                   //  temporary folder of the run
    char keys_dir [1100];
    zactor_t *zap;                      //  for the PUSH/PULL limit's server socket
} bench_t;

//  Names of the identities the run creates; all are role "service".
//  The broker admits, without an access registry (no rcmq-audit here),
//  only the deployment's own process keys (ADR 21): the bench's producer,
//  subscribers and api client wear those names.
static const char *s_identities [] = {
    "broker", "intake", "claims", "denials", "inquiry", "metrics", "pusher", NULL
};
static const char *s_subscriber_keys [] = { "claims", "denials", "inquiry" };

//  Ports nobody listens on now: the kernel's choice for port 0, all held
//  open together so no two are the same.
static int
s_free_ports (int *ports, int count)
{
    int fds [8];
    assert (count <= 8);
    int rc = 0;
    for (int i = 0; i < count; i++) {
        fds [i] = socket (AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in address = { .sin_family = AF_INET };
        address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (fds [i] < 0
        ||  bind (fds [i], (struct sockaddr *) &address, sizeof address)
        ||  getsockname (fds [i], (struct sockaddr *) &address, &length))
            rc = -1;
        ports [i] = ntohs (address.sin_port);
    }
    for (int i = 0; i < count; i++)
        if (fds [i] >= 0)
            close (fds [i]);
    return rc;
}

static int
s_make_keys (bench_t *self)
{
    char path [PATH_MAX];
    snprintf (self->keys_dir, sizeof self->keys_dir, "%s/keys", self->root);
    snprintf (path, sizeof path, "%s/public", self->keys_dir);
    if (zsys_dir_create ("%s", path))
        return -1;
    snprintf (path, sizeof path, "%s/secret", self->keys_dir);
    if (zsys_dir_create ("%s", path))
        return -1;
    for (const char **name = s_identities; *name; name++) {
        zcert_t *cert = zcert_new ();
        zcert_set_meta (cert, "name", "%s", *name);
        zcert_set_meta (cert, "role", "%s", "service");
        zcert_set_meta (cert, "team", "%s", "internal");
        snprintf (path, sizeof path, "%s/public/%s.cert", self->keys_dir, *name);
        int rc = zcert_save_public (cert, path);
        snprintf (path, sizeof path, "%s/secret/%s.cert_secret", self->keys_dir, *name);
        rc |= zcert_save_secret (cert, path);
        zcert_destroy (&cert);
        if (rc)
            return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The broker process of one case

//  utime + stime of a process so far, in seconds (0 when gone).
static double
s_cpu_seconds (pid_t pid)
{
    char path [64], line [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    unsigned long long utime = 0, stime = 0;
    if (file && fgets (line, sizeof line, file)) {
        char *field = strrchr (line, ')');
        if (!field || sscanf (field + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                              &utime, &stime) != 2)
            utime = stime = 0;
    }
    if (file)
        fclose (file);
    return (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}

typedef struct {
    char dir [1200];
    char ingest [64], fanout [64], replay [64], api [64];
    pid_t pid;
} broker_proc_t;

static int
s_broker_start (bench_t *self, broker_proc_t *broker, const char *dir, const char *stream)
{
    snprintf (broker->dir, sizeof broker->dir, "%s", dir);
    int ports [4];
    if (s_free_ports (ports, 4))
        return -1;
    snprintf (broker->ingest, sizeof broker->ingest, "tcp://127.0.0.1:%d", ports [0]);
    snprintf (broker->fanout, sizeof broker->fanout, "tcp://127.0.0.1:%d", ports [1]);
    snprintf (broker->replay, sizeof broker->replay, "tcp://127.0.0.1:%d", ports [2]);
    snprintf (broker->api, sizeof broker->api, "tcp://127.0.0.1:%d", ports [3]);
    char config [PATH_MAX], log [PATH_MAX];
    snprintf (config, sizeof config, "%s/rcmq.conf", dir);
    snprintf (log, sizeof log, "%s/broker.log", dir);
    FILE *file = fopen (config, "w");
    if (!file)
        return -1;
    fprintf (file, "data\n    dir = \"%s/data\"\nkeys\n    dir = \"%s\"\n"
             "broker\n    ingest = \"%s\"\n    fanout = \"%s\"\n    replay = \"%s\"\n    api = \"%s\"\n"
             "producers\n    intake = \"%s\"\n",
             dir, self->keys_dir, broker->ingest, broker->fanout, broker->replay, broker->api, stream);
    fclose (file);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_addopen (&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
    char *argv [] = { self->broker_path, "--config", config, NULL };
    int rc = posix_spawn (&broker->pid, self->broker_path, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy (&actions);
    if (rc) {
        fprintf (stderr, "bench: cannot start %s: %s\n", self->broker_path, strerror (rc));
        return -1;
    }
    //  Up means: it answers broker.Health over CURVE.
    zcert_t *cert = transport_load_secret (self->keys_dir, "metrics");
    char *broker_key = transport_load_public_key (self->keys_dir, "broker");
    client_t *client = client_new (broker->api, broker_key, cert);
    client_set_timeout (client, 500);
    client_set_retries (client, 0);
    int up = -1;
    for (int attempt = 0; attempt < 20 && up; attempt++) {
        Reply *reply = client_call (client, "broker.Health", NULL);
        if (reply && reply->status == STATUS__OK)
            up = 0;
        codec_free (reply);
        if (waitpid (broker->pid, NULL, WNOHANG) == broker->pid) {
            broker->pid = 0;
            break;
        }
    }
    client_destroy (&client);
    zcert_destroy (&cert);
    free (broker_key);
    if (up)
        fprintf (stderr, "bench: the broker did not come up; see %s\n", log);
    return up;
}

static void
s_broker_stop (broker_proc_t *broker)
{
    if (broker->pid > 0) {
        kill (broker->pid, SIGTERM);
        waitpid (broker->pid, NULL, 0);
        broker->pid = 0;
    }
}

//  --------------------------------------------------------------------------
//  Producer: outbox pre-filled, then the relay drains it into the broker

typedef struct {
    const char *dir;
    const char *keys_dir;
    const char *ingest;
    const char *stream;
    size_t events;
    size_t size;
    //  Out
    uint64_t acked_at;
    uint64_t prefill_usec;
    bool failed;
} producer_args_t;

typedef struct {
    outbox_t *outbox;
    const char *stream;
    uint8_t *payload;
    size_t size;
    size_t from, count;
} s_prefill_t;

static int
s_prefill (store_t *store, MDB_txn *txn, void *arg)
{
    s_prefill_t *fill = (s_prefill_t *) arg;
    for (size_t i = 0; i < fill->count; i++) {
        uint64_t n = fill->from + i;
        memcpy (fill->payload, &n, sizeof n);      //  no two payloads alike
        char key [24];
        snprintf (key, sizeof key, "k%zu", (size_t) n);
        int rc = outbox_append_raw (fill->outbox, txn, fill->stream, "bench", key,
                                    fill->payload, fill->size);
        if (rc)
            return rc;
    }
    return 0;
}

typedef struct {
    producer_args_t *args;
    relay_t *relay;
    zsock_t *pipe;
} s_producer_t;

static int
s_producer_tick (zloop_t *loop, int timer_id, void *arg)
{
    s_producer_t *producer = (s_producer_t *) arg;
    if (!producer->args->acked_at && relay_acked_seq (producer->relay) >= producer->args->events) {
        producer->args->acked_at = bench_usec ();
        zstr_send (producer->pipe, "ACKED");
    }
    return 0;
}

static int
s_pipe_input (zloop_t *loop, zsock_t *pipe, void *arg)
{
    char *command = zstr_recv (pipe);
    int rc = command && streq (command, "$TERM")? -1: 0;
    if (command && streq (command, "GO"))
        relay_kick ((relay_t *) arg);
    free (command);
    return rc;
}

static void
s_producer_actor (zsock_t *pipe, void *arg)
{
    producer_args_t *args = (producer_args_t *) arg;
    static const char *tables [] = { OUTBOX_TABLES, NULL };
    char error [256];
    store_t *store = store_new (args->dir, tables, error, sizeof error);
    outbox_t *outbox = store? outbox_new (store, "intake"): NULL;
    zcert_t *cert = transport_load_secret (args->keys_dir, "intake");
    char *broker_key = transport_load_public_key (args->keys_dir, "broker");
    relay_t *relay = NULL;
    if (outbox && cert && broker_key) {
        uint8_t *payload = (uint8_t *) malloc (args->size);
        randombytes_buf (payload, args->size);
        s_prefill_t fill = { outbox, args->stream, payload, args->size, 1, 0 };
        uint64_t start = bench_usec ();
        while (fill.from <= args->events) {
            fill.count = args->events - fill.from + 1;
            if (fill.count > BENCH_PREFILL_TXN)
                fill.count = BENCH_PREFILL_TXN;
            if (store_write (store, s_prefill, &fill)) {
                fprintf (stderr, "bench: prefill: %s\n", store_error (store));
                break;
            }
            fill.from += fill.count;
        }
        args->prefill_usec = bench_usec () - start;
        free (payload);
        if (fill.from > args->events)
            relay = relay_new (outbox, args->ingest, broker_key, cert);
    }
    args->failed = relay == NULL;
    zsock_signal (pipe, 0);
    if (relay) {
        //  The relay sends as soon as its socket is in a loop, so the loop
        //  starts only when the run says GO (first message on the pipe).
        char *go = zstr_recv (pipe);
        bool run = go && streq (go, "GO");
        free (go);
        if (run) {
            s_producer_t producer = { args, relay, pipe };
            zloop_t *loop = zloop_new ();
            relay_attach (relay, loop);
            relay_kick (relay);
            zloop_reader (loop, pipe, s_pipe_input, relay);
            zloop_timer (loop, 1, 0, s_producer_tick, &producer);
            zloop_start (loop);
            zloop_destroy (&loop);
        }
    }
    else {
        char *term = zstr_recv (pipe);
        free (term);
    }
    relay_destroy (&relay);
    free (broker_key);
    zcert_destroy (&cert);
    outbox_destroy (&outbox);
    store_destroy (&store);
}

//  --------------------------------------------------------------------------
//  Subscribers: real consumers applying to their own LMDB

typedef struct {
    char dir [PATH_MAX];
    char name [32];
    const char *keys_dir;
    const char *fanout;
    const char *replay;
    const char *stream;
    size_t events;
    //  Out
    uint64_t done_at;
    bool failed;
} consumer_args_t;

static int
s_apply (store_t *store, MDB_txn *txn, const Event *event, void *arg)
{
    uint8_t key [8];
    store_u64_write (key, event->stream_seq);
    return store_put (store, txn, "applied", key, sizeof key, event->payload.data, event->payload.len);
}

typedef struct {
    consumer_args_t *args;
    consumer_t *consumer;
    zsock_t *pipe;
    bool ready;
} s_subscriber_t;

static int
s_subscriber_tick (zloop_t *loop, int timer_id, void *arg)
{
    s_subscriber_t *sub = (s_subscriber_t *) arg;
    if (!sub->ready && consumer_connected (sub->consumer)) {
        sub->ready = true;
        zstr_send (sub->pipe, "READY");
    }
    if (!sub->args->done_at && consumer_offset (sub->consumer, sub->args->stream) >= sub->args->events) {
        sub->args->done_at = bench_usec ();
        zstr_send (sub->pipe, "DONE");
    }
    return 0;
}

static int
s_subscriber_pipe (zloop_t *loop, zsock_t *pipe, void *arg)
{
    char *command = zstr_recv (pipe);
    free (command);
    return -1;          //  $TERM is the only thing we are told
}

static void
s_consumer_actor (zsock_t *pipe, void *arg)
{
    consumer_args_t *args = (consumer_args_t *) arg;
    static const char *tables [] = { CONSUMER_TABLES, "applied", NULL };
    char error [256];
    store_t *store = store_new (args->dir, tables, error, sizeof error);
    zcert_t *cert = transport_load_secret (args->keys_dir, args->name);
    char *broker_key = transport_load_public_key (args->keys_dir, "broker");
    const char *streams [] = { args->stream, NULL };
    consumer_t *consumer = store? consumer_new (store, args->name, streams, s_apply, NULL): NULL;
    zloop_t *loop = zloop_new ();
    args->failed = !consumer || !cert || !broker_key
                || consumer_connect (consumer, args->fanout, args->replay, broker_key, cert)
                || consumer_attach (consumer, loop);
    zsock_signal (pipe, 0);
    if (!args->failed) {
        s_subscriber_t sub = { args, consumer, pipe, false };
        zloop_reader (loop, pipe, s_subscriber_pipe, NULL);
        zloop_timer (loop, 1, 0, s_subscriber_tick, &sub);
        zloop_start (loop);
    }
    else {
        char *term = zstr_recv (pipe);
        free (term);
    }
    zloop_destroy (&loop);
    consumer_destroy (&consumer);
    free (broker_key);
    zcert_destroy (&cert);
    store_destroy (&store);
}

//  Waits for one string from an actor; true when it is `expected`.
static bool
s_expect (zactor_t *actor, const char *expected, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (actor, NULL);
    bool got = false;
    if (zpoller_wait (poller, timeout_ms) == actor) {
        char *text = zstr_recv (actor);
        got = text && streq (text, expected);
        free (text);
    }
    zpoller_destroy (&poller);
    return got;
}

//  --------------------------------------------------------------------------
//  One broker case: N events of `size` bytes to `subscribers` consumers.

typedef struct {
    double events_per_s;        //  0 when the case failed
    double ingest_per_s;        //  to the last broker ack
    double prefill_per_s;
    double cpu_us_per_event;
} case_result_t;

static case_result_t
s_broker_case (bench_t *self, size_t size, int subscribers)
{
    case_result_t result = { 0 };
    char dir [1200], stream [32];
    snprintf (dir, sizeof dir, "%s/broker-%zu-%d", self->root, size, subscribers);
    snprintf (stream, sizeof stream, "bench%zu", size);
    if (zsys_dir_create ("%s", dir))
        return result;
    broker_proc_t broker = { .pid = 0 };
    zactor_t *consumers [BENCH_MAX_SUBSCRIBERS] = { NULL };
    consumer_args_t consumer_args [BENCH_MAX_SUBSCRIBERS];
    zactor_t *producer = NULL;
    producer_args_t producer_args = { .dir = NULL };
    char producer_dir [PATH_MAX];
    if (s_broker_start (self, &broker, dir, stream))
        goto done;

    for (int i = 0; i < subscribers; i++) {
        consumer_args_t *args = &consumer_args [i];
        memset (args, 0, sizeof *args);
        char name [16];
        snprintf (name, sizeof name, "%s", s_subscriber_keys [i % 3]);
        snprintf (args->name, sizeof args->name, "%s", name);
        snprintf (args->dir, sizeof args->dir, "%s/%s", dir, name);
        args->keys_dir = self->keys_dir;
        args->fanout = broker.fanout;
        args->replay = broker.replay;
        args->stream = stream;
        args->events = self->events;
        consumers [i] = zactor_new (s_consumer_actor, args);
        if (args->failed) {
            fprintf (stderr, "bench: consumer %s did not start\n", args->name);
            goto done;
        }
    }
    //  Subscribed and hearing heartbeats before the first event is sent.
    for (int i = 0; i < subscribers; i++)
        if (!s_expect (consumers [i], "READY", 5000)) {
            fprintf (stderr, "bench: consumer sub%d did not connect\n", i + 1);
            goto done;
        }

    snprintf (producer_dir, sizeof producer_dir, "%s/producer", dir);
    producer_args.dir = producer_dir;
    producer_args.keys_dir = self->keys_dir;
    producer_args.ingest = broker.ingest;
    producer_args.stream = stream;
    producer_args.events = self->events;
    producer_args.size = size;
    producer = zactor_new (s_producer_actor, &producer_args);
    if (producer_args.failed) {
        fprintf (stderr, "bench: producer did not start\n");
        goto done;
    }
    result.prefill_per_s = bench_rate (self->events, producer_args.prefill_usec);

    uint64_t start = bench_usec ();
    zstr_send (producer, "GO");
    zpoller_t *poller = zpoller_new (zactor_sock (producer), NULL);
    for (int i = 0; i < subscribers; i++)
        zpoller_add (poller, consumers [i]);
    int waiting = subscribers + 1;
    while (waiting > 0) {
        void *which = zpoller_wait (poller, BENCH_CASE_TIMEOUT_MS);
        if (!which)
            break;
        char *text = zstr_recv (which);
        free (text);
        waiting--;
    }
    zpoller_destroy (&poller);
    if (waiting > 0) {
        fprintf (stderr, "bench: %zu B to %d: timed out with %d parties still waiting\n",
                 size, subscribers, waiting);
        goto done;
    }
    uint64_t last = 0;
    for (int i = 0; i < subscribers; i++)
        if (consumer_args [i].done_at > last)
            last = consumer_args [i].done_at;
    result.events_per_s = bench_rate (self->events, last - start);
    result.ingest_per_s = bench_rate (self->events, producer_args.acked_at - start);
    //  The broker's own CPU (all its threads, from start-up: a few ms of
    //  it) per event: steadier than the rate on a loaded box.
    result.cpu_us_per_event = self->events? s_cpu_seconds (broker.pid) * 1e6 / (double) self->events: 0;

done:
    zactor_destroy (&producer);
    for (int i = 0; i < subscribers; i++)
        zactor_destroy (&consumers [i]);
    s_broker_stop (&broker);
    if (!self->keep)
        bench_rmtree (dir);
    return result;
}

//  --------------------------------------------------------------------------
//  Limit 1: CURVE PUSH -> PULL over tcp loopback

#define BENCH_MAX_RECEIVERS 3

typedef struct {
    char endpoints [BENCH_MAX_RECEIVERS][64];
    int receivers;              //  1, or 3: each event sent to every receiver
    const char *keys_dir;
    size_t events;
    size_t size;
    bool framed;                //  send as the fanout does: [topic][seq][payload]
} pusher_args_t;

//  Sends every event to each receiver, on a PUSH socket of its own, as the
//  broker's fanout sends each event to each subscriber (CURVE seals it once
//  per connection).
static void
s_pusher_actor (zsock_t *pipe, void *arg)
{
    pusher_args_t *args = (pusher_args_t *) arg;
    zcert_t *cert = transport_load_secret (args->keys_dir, "pusher");
    char *server_key = transport_load_public_key (args->keys_dir, "metrics");
    zsock_t *push [BENCH_MAX_RECEIVERS];
    void *handle [BENCH_MAX_RECEIVERS];
    for (int r = 0; r < args->receivers; r++) {
        push [r] = zsock_new (ZMQ_PUSH);
        transport_curve_client (push [r], cert, server_key);
        zsock_set_linger (push [r], 1000);
        zsock_connect (push [r], "%s", args->endpoints [r]);
        handle [r] = zsock_resolve (push [r]);
    }
    zsock_signal (pipe, 0);
    uint8_t *payload = (uint8_t *) malloc (args->size);
    randombytes_buf (payload, args->size);
    //  One message first, so the handshake is not part of the timing.
    for (int r = 0; r < args->receivers; r++) {
        if (args->framed) {
            zmq_send (handle [r], "warm", 4, ZMQ_SNDMORE);
            zmq_send (handle [r], "up", 2, ZMQ_SNDMORE);
        }
        zmq_send (handle [r], payload, args->size, 0);
    }
    char *go = zstr_recv (pipe);
    bool sending = go && streq (go, "GO");
    for (size_t i = 0; sending && i < args->events; i++) {
        memcpy (payload, &i, sizeof i);
        for (int r = 0; sending && r < args->receivers; r++) {
            if (args->framed) {
                uint8_t seq [8];
                store_u64_write (seq, i + 1);
                zmq_send (handle [r], "bench.bench", 11, ZMQ_SNDMORE);
                zmq_send (handle [r], seq, sizeof seq, ZMQ_SNDMORE);
            }
            sending = zmq_send (handle [r], payload, args->size, 0) >= 0;
        }
    }
    free (go);
    char *term = zstr_recv (pipe);
    free (term);
    free (payload);
    for (int r = 0; r < args->receivers; r++)
        zsock_destroy (&push [r]);
    zcert_destroy (&cert);
    free (server_key);
}

//  Receives one message of `parts` frames whose last is `size` bytes.
static bool
s_pull_one (void *handle, uint8_t *buffer, size_t size, int parts)
{
    for (int part = 1; part < parts; part++)
        if (zmq_recv (handle, buffer, size + 1, 0) < 0)
            return false;
    return zmq_recv (handle, buffer, size + 1, 0) == (int) size;
}

//  framed: three frames per message as the broker's fanout sends an event,
//  the cost of the wire format itself (CURVE seals each frame on its own).
//  receivers: 1, or 3 PULL sockets each getting every event (the limit of
//  a fan-out to three). Events per second per receiver.
static double
s_pushpull (bench_t *self, size_t size, bool framed, int receivers)
{
    zcert_t *cert = transport_load_secret (self->keys_dir, "metrics");
    pusher_args_t args = { .receivers = receivers, .keys_dir = self->keys_dir, .events = self->events,
                           .size = size, .framed = framed };
    zsock_t *pull [BENCH_MAX_RECEIVERS];
    zmq_pollitem_t items [BENCH_MAX_RECEIVERS];
    for (int r = 0; r < receivers; r++) {
        pull [r] = zsock_new (ZMQ_PULL);
        transport_curve_server (pull [r], cert);
        int port = zsock_bind (pull [r], "tcp://127.0.0.1:*");
        snprintf (args.endpoints [r], sizeof args.endpoints [r], "tcp://127.0.0.1:%d", port);
        zsock_set_rcvtimeo (pull [r], 10000);
        items [r] = (zmq_pollitem_t) { zsock_resolve (pull [r]), 0, ZMQ_POLLIN, 0 };
    }
    int parts = framed? 3: 1;
    zactor_t *pusher = zactor_new (s_pusher_actor, &args);
    uint8_t *buffer = (uint8_t *) malloc (size + 1);
    double rate = 0;
    bool warm = true;
    for (int r = 0; r < receivers; r++)
        warm = warm && s_pull_one (items [r].socket, buffer, size, parts);
    if (warm) {
        uint64_t start = bench_usec ();
        zstr_send (pusher, "GO");
        size_t received [BENCH_MAX_RECEIVERS] = { 0 }, total = 0, want = self->events * (size_t) receivers;
        while (total < want) {
            for (int r = 0; r < receivers; r++)
                items [r].events = received [r] < self->events? ZMQ_POLLIN: 0;
            if (zmq_poll (items, receivers, 10000) <= 0)
                break;
            for (int r = 0; r < receivers; r++)
                //  Drain what is there without waiting on one socket.
                while ((items [r].revents & ZMQ_POLLIN) && received [r] < self->events) {
                    if (!s_pull_one (items [r].socket, buffer, size, parts))
                        break;
                    received [r]++;
                    total++;
                    if (!(zsock_events (pull [r]) & ZMQ_POLLIN))
                        break;
                }
        }
        uint64_t elapsed = bench_usec () - start;
        if (total == want)
            rate = bench_rate (self->events, elapsed);
        else
            fprintf (stderr, "bench: push/pull %zu B to %d: %zu of %zu received\n", size, receivers, total, want);
    }
    else
        fprintf (stderr, "bench: push/pull %zu B: no first message\n", size);
    zactor_destroy (&pusher);
    free (buffer);
    for (int r = 0; r < receivers; r++)
        zsock_destroy (&pull [r]);
    zcert_destroy (&cert);
    return rate;
}

//  --------------------------------------------------------------------------
//  Limit 2: LMDB batched writes with fsync per commit

typedef struct {
    uint8_t *value;
    size_t size;
    uint64_t from, count;
} s_lmdb_batch_t;

static int
s_lmdb_batch (store_t *store, MDB_txn *txn, void *arg)
{
    s_lmdb_batch_t *batch = (s_lmdb_batch_t *) arg;
    for (uint64_t i = 0; i < batch->count; i++) {
        uint8_t key [8];
        store_u64_write (key, batch->from + i);
        memcpy (batch->value, &i, sizeof i);
        int rc = store_put (store, txn, "events", key, sizeof key, batch->value, batch->size);
        if (rc)
            return rc;
    }
    return 0;
}

static double
s_lmdb (bench_t *self, size_t size)
{
    char dir [PATH_MAX], error [256];
    snprintf (dir, sizeof dir, "%s/lmdb-%zu", self->root, size);
    static const char *tables [] = { "events", NULL };
    store_t *store = store_new (dir, tables, error, sizeof error);
    if (!store) {
        fprintf (stderr, "bench: lmdb: %s\n", error);
        return 0;
    }
    s_lmdb_batch_t batch = { (uint8_t *) malloc (size), size, 1, 0 };
    randombytes_buf (batch.value, size);
    uint64_t start = bench_usec ();
    while (batch.from <= self->events) {
        batch.count = self->events - batch.from + 1;
        if (batch.count > self->batch)
            batch.count = self->batch;
        if (store_write (store, s_lmdb_batch, &batch)) {
            fprintf (stderr, "bench: lmdb: %s\n", store_error (store));
            break;
        }
        batch.from += batch.count;
    }
    uint64_t elapsed = bench_usec () - start;
    double rate = batch.from > self->events? bench_rate (self->events, elapsed): 0;
    free (batch.value);
    store_destroy (&store);
    bench_rmtree (dir);
    return rate;
}

//  --------------------------------------------------------------------------

static void
s_usage (void)
{
    printf ("Usage: broker [--events N] [--batch B] [--broker PATH] [--keep] [--only SxN] [--size B]\n\n"
            "Measures events/s through a real rcmq-broker (durable, CURVE) for 200 B\n"
            "and 1 KB events to 1 and 3 subscribers, next to CURVE PUSH/PULL and LMDB\n"
            "batched writes of the same sizes and count in the same run. Prints a\n"
            "table, then one JSON line.\n\n"
            "  --events N     events per case (default %d)\n"
            "  --batch B      records per LMDB transaction for the LMDB limit (default %d)\n"
            "  --broker PATH  the rcmq-broker binary (default: $RCMQ_BROKER, else\n"
            "                 ../services/broker/rcmq-broker from this program)\n"
            "  --keep         keep the temporary folder (logs, stores)\n"
            "  --only SxN     just the case of S-byte events to N subscribers (200x1,\n"
            "                 200x3, 1024x1, 1024x3) and its size's limits; for profiling\n"
            "  --size B       events of B bytes instead of 200 B and 1 KB (bench/e2e\n"
            "                 measures its own events' mean size this way)\n",
            BENCH_DEFAULT_EVENTS, BENCH_DEFAULT_BATCH);
}

static void
s_find_broker (bench_t *self)
{
    const char *env = getenv ("RCMQ_BROKER");
    if (env && *env) {
        snprintf (self->broker_path, sizeof self->broker_path, "%s", env);
        return;
    }
    char exe [2048];
    ssize_t len = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return;
    exe [len] = 0;
    char *slash = strrchr (exe, '/');
    if (slash)
        *slash = 0;
    snprintf (self->broker_path, sizeof self->broker_path, "%s/../services/broker/rcmq-broker", exe);
}

//  "200B", "1KB", else "<size>B": names in the JSON keys.
static const char *
s_size_name (size_t size, char *buffer, size_t buffer_size)
{
    if (size == 1024)
        return "1KB";
    snprintf (buffer, buffer_size, "%zuB", size);
    return buffer;
}

int
main (int argc, char *argv [])
{
    bench_t bench = { .events = BENCH_DEFAULT_EVENTS, .batch = BENCH_DEFAULT_BATCH };
    bench_t *self = &bench;
    s_find_broker (self);
    static struct option options [] = {
        { "events", required_argument, 0, 'n' },
        { "batch",  required_argument, 0, 'b' },
        { "broker", required_argument, 0, 'B' },
        { "keep",   no_argument,       0, 'k' },
        { "only",   required_argument, 0, 'o' },
        { "size",   required_argument, 0, 's' },
        { "help",   no_argument,       0, 'h' },
        { 0, 0, 0, 0 }
    };
    int option;
    while ((option = getopt_long (argc, argv, "n:b:B:ko:s:h", options, NULL)) != -1) {
        if (option == 'n')
            self->events = strtoul (optarg, NULL, 10);
        else
        if (option == 'b')
            self->batch = strtoul (optarg, NULL, 10);
        else
        if (option == 'B')
            snprintf (self->broker_path, sizeof self->broker_path, "%s", optarg);
        else
        if (option == 'k')
            self->keep = true;
        else
        if (option == 'o')
            self->only = optarg;
        else
        if (option == 's')
            self->size = strtoul (optarg, NULL, 10);
        else {
            s_usage ();
            return option == 'h'? 0: 2;
        }
    }
    if (self->events == 0 || self->batch == 0) {
        s_usage ();
        return 2;
    }
    if (access (self->broker_path, X_OK)) {
        fprintf (stderr, "bench: no rcmq-broker at '%s' (build it, or give --broker)\n", self->broker_path);
        return 1;
    }
    if (sodium_init () < 0)
        return 1;
    //  The broker logs to its own file; our own libraries stay quiet.
    setenv ("RCMQ_LOG_LEVEL", "warn", 0);
    zsys_init ();
    zsys_set_linger (0);
    if (bench_tmpdir (self->root, sizeof self->root, "broker") || s_make_keys (self)) {
        fprintf (stderr, "bench: cannot make %s\n", self->root);
        return 1;
    }
    self->zap = transport_zap_new (keyring_admit, keyring_new (self->keys_dir), keyring_destroy_arg);

    size_t sizes [] = { 200, 1024 };
    size_t size_count = 2;
    if (self->size) {
        sizes [0] = self->size;
        size_count = 1;
    }
    static const int fanouts [] = { 1, 3 };
    json_t *figures = json_object (), *limits = json_object (), *ratios = json_object ();
    bool ok = true;
    printf ("rcmq bench broker: %zu events per case, durable (fsync per commit), CURVE\n", self->events);
    printf ("%-6s %-5s %12s %12s %12s %12s %12s %8s %8s\n", "size", "subs", "broker ev/s",
            "push/pull/s", "p/p 3fr/s", "p/p to 3/s", "lmdb/s", "vs p/p", "vs lmdb");
    for (size_t s = 0; s < size_count; s++) {
        size_t size = sizes [s];
        char prefix [32];
        snprintf (prefix, sizeof prefix, "%zux", size);
        if (self->only && strncmp (self->only, prefix, strlen (prefix)))
            continue;
        char name_buffer [32];
        const char *size_name = s_size_name (size, name_buffer, sizeof name_buffer);
        double pushpull = s_pushpull (self, size, false, 1);
        double pushpull_framed = s_pushpull (self, size, true, 1);
        //  The limit of a fan-out to three: each event sealed and sent
        //  three times, to three receivers (events/s each receives).
        double pushpull_3 = s_pushpull (self, size, false, 3);
        double lmdb = s_lmdb (self, size);
        char key [64];
        snprintf (key, sizeof key, "curve_pushpull_%s", size_name);
        json_object_set_new (limits, key, json_integer ((json_int_t) pushpull));
        snprintf (key, sizeof key, "curve_pushpull_3frames_%s", size_name);
        json_object_set_new (limits, key, json_integer ((json_int_t) pushpull_framed));
        snprintf (key, sizeof key, "curve_pushpull_3recv_%s", size_name);
        json_object_set_new (limits, key, json_integer ((json_int_t) pushpull_3));
        snprintf (key, sizeof key, "lmdb_batched_%s", size_name);
        json_object_set_new (limits, key, json_integer ((json_int_t) lmdb));
        ok = ok && pushpull > 0 && pushpull_framed > 0 && pushpull_3 > 0 && lmdb > 0;
        for (size_t f = 0; f < sizeof fanouts / sizeof fanouts [0]; f++) {
            char name [32];
            snprintf (name, sizeof name, "%zux%d", size, fanouts [f]);
            if (self->only && !streq (self->only, name))
                continue;
            case_result_t result = s_broker_case (self, size, fanouts [f]);
            ok = ok && result.events_per_s > 0;
            double vs_pushpull = pushpull > 0? result.events_per_s / pushpull: 0;
            double vs_lmdb = lmdb > 0? result.events_per_s / lmdb: 0;
            //  With three subscribers the limit is three receivers'.
            double vs_curve_n = fanouts [f] == 3? (pushpull_3 > 0? result.events_per_s / pushpull_3: 0)
                                                : vs_pushpull;
            printf ("%-6s %-5d %12.0f %12.0f %12.0f %12.0f %12.0f %8.2f %8.2f  (vs same fan-out %.2f, acked %.0f/s,"
                    " broker CPU %.1f us/event)\n",
                    size_name, fanouts [f], result.events_per_s, pushpull, pushpull_framed, pushpull_3,
                    lmdb, vs_pushpull, vs_lmdb, vs_curve_n, result.ingest_per_s, result.cpu_us_per_event);
            fflush (stdout);
            snprintf (key, sizeof key, "broker_%s_%dsub", size_name, fanouts [f]);
            json_object_set_new (figures, key, json_integer ((json_int_t) result.events_per_s));
            char cpu_key [96];
            snprintf (cpu_key, sizeof cpu_key, "%s_cpu_us_per_event", key);
            json_object_set_new (figures, cpu_key, json_real (result.cpu_us_per_event));
            char ratio_key [96];
            snprintf (ratio_key, sizeof ratio_key, "%s_vs_pushpull", key);
            json_object_set_new (ratios, ratio_key, json_real (vs_pushpull));
            snprintf (ratio_key, sizeof ratio_key, "%s_vs_lmdb", key);
            json_object_set_new (ratios, ratio_key, json_real (vs_lmdb));
            if (fanouts [f] == 3) {
                snprintf (ratio_key, sizeof ratio_key, "%s_vs_3recv", key);
                json_object_set_new (ratios, ratio_key, json_real (vs_curve_n));
            }
        }
    }
    bench_print_line ("broker", figures, limits, ratios, 3);

    zactor_destroy (&self->zap);
    if (self->keep)
        fprintf (stderr, "bench: kept %s\n", self->root);
    else
        bench_rmtree (self->root);
    return ok? 0: 1;
}
