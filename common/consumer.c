/*  consumer: see consumer.h.

    Per stream we keep `applied` (committed offset), `head` (newest seq the
    broker announced) and whether a fetch is in flight. While a fetch is in
    flight, live events of that stream are dropped: the fetch chain will
    deliver them, in order, and dropping is what keeps the logic simple
    enough to trust. Live events are applied in batches, one transaction
    per batch, which is what makes a consumer fast.

    Checks against a log that is not the one we applied from (docs/adr/
    0007-store-rollback-detection.md): the broker store's id, remembered in
    our "offsets" table under BROKER_STORE_KEY the first time we see it,
    must match every heartbeat and fetch reply; and a fetch reply whose
    stream head is below our offset means the broker's store is older than
    ours. Either stops (the whole consumer, or the stream) with a problem
    naming both sides: applying on would skip the events the log numbers
    again, as duplicates. A heartbeat head below our offset only starts a
    fetch, since a heartbeat can queue behind seconds of live events.
*/
#include "consumer.h"
#include "clock.h"
#include "fanout.h"
#include "log.h"
#include "transport.h"

#include <inttypes.h>

#define CONSUMER_MAX_STREAMS    16
#define CONSUMER_DRAIN          2000        //  live messages per batch at most
#define CONSUMER_FETCH_MAX      2000
#define CONSUMER_FETCH_RETRY_MS 3000
#define CONSUMER_SILENT_MS      3500        //  no heartbeat this long: reconnect
#define CONSUMER_HELLO_MS       1000
#define CONSUMER_TICK_MS        200
//  Not a stream name (those have no '.'), so it never meets an offset.
#define BROKER_STORE_KEY        ".broker_store"

typedef struct {
    char *name;
    uint64_t applied;
    uint64_t head;
    bool fetching;
    uint64_t fetch_from;        //  from_seq of the last fetch sent
    uint64_t fetch_sent_at;
    zlistx_t *pending;          //  live events waiting for this batch's commit
    bool stopped;               //  the log is behind our offset: apply nothing
} s_stream_t;

struct _consumer_t {
    store_t *store;
    char *name;
    s_stream_t streams [CONSUMER_MAX_STREAMS];
    size_t stream_count;
    consumer_apply_fn *apply;
    void *arg;
    consumer_committed_fn *committed;
    zsock_t *sub;
    zsock_t *replay;
    char *fanout_endpoint;
    char *replay_endpoint;
    char *broker_key;
    zcert_t *cert;
    zloop_t *loop;
    uint64_t last_heartbeat_at;
    bool heard;                 //  a heartbeat arrived since (re)connecting
    uint64_t last_hello_at;
    uint64_t applied_total;
    problems_t *problems;
    char broker_store [40];     //  the broker store's id we applied from ("": none yet)
    bool halted;                //  the broker's store is another one: apply nothing
    uint64_t broker_started_ms; //  of the broker run we last heard
};

typedef struct {
    consumer_t *consumer;
    s_stream_t *stream;
    Event **events;
    size_t count;
    uint64_t applied;           //  result: the new offset
} s_batch_t;

static void
s_event_free (void **item_p)
{
    codec_free (*item_p);
    *item_p = NULL;
}

static s_stream_t *
s_stream (consumer_t *self, const char *name)
{
    for (size_t i = 0; i < self->stream_count; i++)
        if (streq (self->streams [i].name, name))
            return &self->streams [i];
    return NULL;
}

consumer_t *
consumer_new (store_t *store, const char *name, const char *const *streams,
              consumer_apply_fn *apply, void *arg)
{
    consumer_t *self = (consumer_t *) zmalloc (sizeof (consumer_t));
    self->store = store;
    self->name = strdup (name);
    self->apply = apply;
    self->arg = arg;
    self->problems = problems_new ();
    //  An offset that cannot be read is not 0: taking it for 0 re-applies
    //  the whole stream. No consumer then, and the service stops.
    MDB_txn *txn = store_read_begin (store);
    int rc = txn? 0: -1;
    for (const char *const *stream = streams; *stream; stream++) {
        assert (self->stream_count < CONSUMER_MAX_STREAMS);
        s_stream_t *entry = &self->streams [self->stream_count++];
        entry->name = strdup (*stream);
        if (rc == 0)
            rc = store_get_u64 (store, txn, "offsets", *stream, &entry->applied);
        entry->head = entry->applied;
        entry->pending = zlistx_new ();
        zlistx_set_destructor (entry->pending, s_event_free);
    }
    if (rc == 0) {
        MDB_val value;
        int get = store_get (store, txn, "offsets", BROKER_STORE_KEY, strlen (BROKER_STORE_KEY), &value);
        if (get == 0 && value.mv_size < sizeof self->broker_store) {
            memcpy (self->broker_store, value.mv_data, value.mv_size);
            self->broker_store [value.mv_size] = 0;
        }
        else
        if (get != MDB_NOTFOUND)
            rc = -1;
    }
    store_read_end (&txn);
    if (rc)
        consumer_destroy (&self);
    return self;
}

void
consumer_destroy (consumer_t **self_p)
{
    assert (self_p);
    consumer_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->stream_count; i++) {
        free (self->streams [i].name);
        zlistx_destroy (&self->streams [i].pending);
    }
    zsock_destroy (&self->sub);
    zsock_destroy (&self->replay);
    zcert_destroy (&self->cert);
    free (self->fanout_endpoint);
    free (self->replay_endpoint);
    free (self->broker_key);
    free (self->name);
    problems_destroy (&self->problems);
    free (self);
    *self_p = NULL;
}

void
consumer_on_commit (consumer_t *self, consumer_committed_fn *fn)
{
    self->committed = fn;
}

//  --------------------------------------------------------------------------
//  Applying

static int
s_apply_batch (store_t *store, MDB_txn *txn, void *arg)
{
    s_batch_t *batch = (s_batch_t *) arg;
    uint64_t applied = batch->stream->applied;
    for (size_t i = 0; i < batch->count; i++) {
        Event *event = batch->events [i];
        if (event->stream_seq <= applied)
            continue;               //  already applied: a duplicate
        if (event->stream_seq != applied + 1)
            break;                  //  a hole: the rest waits for a fetch
        int rc = batch->consumer->apply (store, txn, event, batch->consumer->arg);
        if (rc)
            return rc;
        applied = event->stream_seq;
    }
    batch->applied = applied;
    if (applied == batch->stream->applied)
        return 0;
    return store_put_u64 (store, txn, "offsets", batch->stream->name, applied);
}

//  Moves a stream's offset past events that no longer exist.
static int
s_skip_to (store_t *store, MDB_txn *txn, void *arg)
{
    s_batch_t *skip = (s_batch_t *) arg;
    return store_put_u64 (store, txn, "offsets", skip->stream->name, skip->applied);
}

//  Applies events (ascending) to a stream in one transaction. Returns the
//  number of events applied, -1 on failure.
static int64_t
s_apply (consumer_t *self, s_stream_t *stream, Event **events, size_t count)
{
    if (count == 0)
        return 0;
    s_batch_t batch = { self, stream, events, count, stream->applied };
    if (store_write (self->store, s_apply_batch, &batch)) {
        log_error ("consumer cannot apply events", "stream", json_string (stream->name),
                   "from_seq", json_integer ((json_int_t) stream->applied + 1),
                   "error", json_string (store_error (self->store)), NULL);
        return -1;
    }
    int64_t applied = (int64_t) (batch.applied - stream->applied);
    stream->applied = batch.applied;
    if (stream->head < stream->applied)
        stream->head = stream->applied;
    self->applied_total += (uint64_t) applied;
    if (applied && self->committed)
        self->committed (self->arg);
    return applied;
}

//  --------------------------------------------------------------------------
//  Fetching from replay

static void
s_fetch (consumer_t *self, s_stream_t *stream)
{
    if (stream->stopped || self->halted) {
        stream->fetching = false;
        zlistx_purge (stream->pending);
        return;
    }
    FetchRequest request = FETCH_REQUEST__INIT;
    request.stream = stream->name;
    request.from_seq = stream->applied + 1;
    request.max_events = CONSUMER_FETCH_MAX;
    request.consumer = self->name;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "FETCH");
    zframe_t *frame = codec_encode (&request);
    zmsg_append (msg, &frame);
    zmsg_send (&msg, self->replay);
    zmsg_destroy (&msg);
    stream->fetching = true;
    stream->fetch_from = request.from_seq;
    stream->fetch_sent_at = clock_monotonic_ms ();
    //  Whatever arrived live is older news than the fetch will bring.
    zlistx_purge (stream->pending);
}

//  --------------------------------------------------------------------------
//  Checks that the broker's log is the one we applied from

static int
s_put_broker_store (store_t *store, MDB_txn *txn, void *arg)
{
    const char *store_id = (const char *) arg;
    return store_put (store, txn, "offsets", BROKER_STORE_KEY, strlen (BROKER_STORE_KEY),
                      store_id, strlen (store_id));
}

//  True when the broker's store is the one we remember (or the first we
//  see, which we then remember). A broker that sends no id is older than
//  the check and passes.
static bool
s_check_store (consumer_t *self, const char *store_id)
{
    if (self->halted)
        return false;
    if (!store_id || !*store_id || streq (store_id, self->broker_store))
        return true;
    if (!*self->broker_store) {
        if (strlen (store_id) >= sizeof self->broker_store
        ||  store_write (self->store, s_put_broker_store, (void *) store_id)) {
            log_error ("consumer cannot remember the broker's store id", "consumer", json_string (self->name),
                       "error", json_string (store_error (self->store)), NULL);
            return false;       //  asked again at the next heartbeat
        }
        snprintf (self->broker_store, sizeof self->broker_store, "%s", store_id);
        return true;
    }
    self->halted = true;
    for (size_t i = 0; i < self->stream_count; i++) {
        self->streams [i].fetching = false;
        zlistx_purge (self->streams [i].pending);
    }
    if (problems_raise (self->problems, "broker_store_changed", "", 0,
                        "consumer %s applied events from broker store %s but the broker now serves store %s:"
                        " another log (a broker store made again?); nothing more is applied",
                        self->name, self->broker_store, store_id))
        log_error ("consumer stopped: the broker's store is not the one it applied from",
                   "consumer", json_string (self->name), "remembered", json_string (self->broker_store),
                   "broker", json_string (store_id), NULL);
    return false;
}

//  True when the stream's head is at or past our offset. Below it, the
//  broker's log lost events we applied and would number new ones again
//  with seqs we take for applied: stop the stream.
static bool
s_check_head (consumer_t *self, s_stream_t *stream, uint64_t head)
{
    if (head >= stream->applied)
        return true;
    stream->stopped = true;
    stream->fetching = false;
    zlistx_purge (stream->pending);
    if (problems_raise (self->problems, "stream_behind_consumer", stream->name, stream->applied,
                        "the broker's stream %s ends at seq %" PRIu64 " but consumer %s has applied up to seq %" PRIu64
                        ": the broker's store is older than this consumer's (restored from a copy?);"
                        " nothing more of %s is applied",
                        stream->name, head, self->name, stream->applied, stream->name))
        log_error ("consumer stopped a stream: the broker's log is behind what it applied",
                   "consumer", json_string (self->name), "stream", json_string (stream->name),
                   "head", json_integer ((json_int_t) head),
                   "applied", json_integer ((json_int_t) stream->applied), NULL);
    return false;
}

static void
s_on_fetched (consumer_t *self, FetchReply *reply)
{
    s_stream_t *stream = s_stream (self, reply->stream);
    if (!stream || !stream->fetching)
        return;                         //  a late answer to a resent fetch
    //  An answer to an earlier request (a fetch resent after a timeout, or
    //  sent before a reconnect) starts before the last one we sent. Its
    //  events are applied already; fetching on from it would start a
    //  second fetch chain next to the first, and each resend one more.
    if (reply->n_events > 0 && reply->events [0]->stream_seq < stream->fetch_from)
        return;
    //  The reply's head was read with its events: below our offset, the
    //  log really is behind us (unlike a heartbeat's, which can be late).
    if (!s_check_store (self, reply->store_id) || !s_check_head (self, stream, reply->head_seq))
        return;
    if (reply->head_seq > stream->head)
        stream->head = reply->head_seq;
    if (reply->first_seq > stream->applied + 1) {
        //  Retention dropped events this consumer never saw; say so loudly
        //  and go on from what is kept rather than stall forever. The
        //  broker answers such a fetch with the events it kept, from
        //  first_seq on, so this holds whether or not the reply has events.
        log_error ("events lost to broker retention", "stream", json_string (stream->name),
                   "from_seq", json_integer ((json_int_t) stream->applied + 1),
                   "first_kept", json_integer ((json_int_t) reply->first_seq), NULL);
        s_batch_t skip = { self, stream, NULL, 0, reply->first_seq - 1 };
        if (store_write (self->store, s_skip_to, &skip) == 0)
            stream->applied = skip.applied;
    }
    if (s_apply (self, stream, reply->events, reply->n_events) < 0) {
        stream->fetch_sent_at = clock_monotonic_ms ();     //  retry after a pause
        return;
    }
    if (stream->applied < stream->head && reply->n_events > 0)
        s_fetch (self, stream);
    else
        stream->fetching = false;
}

static int
s_on_replay (zloop_t *loop, zsock_t *socket, void *arg)
{
    consumer_t *self = (consumer_t *) arg;
    zmsg_t *msg = zmsg_recv (socket);
    if (!msg)
        return 0;
    char *command = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    if (command && streq (command, "FETCHED")) {
        FetchReply *reply = (FetchReply *) codec_decode_frame (&fetch_reply__descriptor, body);
        if (reply) {
            s_on_fetched (self, reply);
            codec_free (reply);
        }
    }
    free (command);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    return 0;
}

//  --------------------------------------------------------------------------
//  Live events and heartbeats from fanout

static void
s_on_heartbeat (consumer_t *self, const uint8_t *data, size_t size)
{
    self->last_heartbeat_at = clock_monotonic_ms ();
    self->heard = true;
    Heartbeat *heartbeat = (Heartbeat *) codec_decode (&heartbeat__descriptor, data, size);
    if (!heartbeat)
        return;
    if (!s_check_store (self, heartbeat->store_id)) {
        codec_free (heartbeat);
        return;
    }
    //  A broker that restarted under us (no reconnect needed) may have
    //  come back with an older store: every stream fetches once, and the
    //  replies' heads say.
    bool restarted = self->broker_started_ms && heartbeat->broker_started_ms != self->broker_started_ms;
    self->broker_started_ms = heartbeat->broker_started_ms;
    for (size_t i = 0; i < self->stream_count; i++) {
        s_stream_t *stream = &self->streams [i];
        //  A stream the heartbeat does not name is left to the fetch
        //  replies: that is where a head below our offset is decided.
        bool named = false;
        uint64_t head = 0;
        for (size_t h = 0; h < heartbeat->n_heads; h++)
            if (streq (heartbeat->heads [h]->stream, stream->name)) {
                head = heartbeat->heads [h]->head_seq;
                named = true;
            }
        if (head > stream->head)
            stream->head = head;
        if (stream->stopped || stream->fetching)
            continue;
        if (restarted || (named && head < stream->applied)
        ||  (stream->head > stream->applied && zlistx_size (stream->pending) == 0))
            s_fetch (self, stream);
    }
    codec_free (heartbeat);
}

//  Takes one live message. Events go to their stream's pending list when
//  they continue it; a hole starts a fetch.
static void
s_on_live (consumer_t *self, zmsg_t *msg)
{
    const char *topic;
    uint64_t seq;
    const uint8_t *data;
    size_t size;
    if (fanout_parse (zmsg_first (msg), &topic, &seq, &data, &size))
        return;
    if (streq (topic, FANOUT_HEARTBEAT)) {
        s_on_heartbeat (self, data, size);
        return;
    }
    Event *event = (Event *) codec_decode (&event__descriptor, data, size);
    if (!event)
        return;
    s_stream_t *stream = s_stream (self, event->stream);
    if (!stream || stream->fetching || stream->stopped || self->halted) {
        codec_free (event);
        return;
    }
    Event *last = (Event *) zlistx_last (stream->pending);
    uint64_t expected = (last? last->stream_seq: stream->applied) + 1;
    if (event->stream_seq < expected)
        codec_free (event);             //  duplicate
    else
    if (event->stream_seq == expected) {
        zlistx_add_end (stream->pending, event);
        if (event->stream_seq > stream->head)
            stream->head = event->stream_seq;
    }
    else {
        codec_free (event);
        s_fetch (self, stream);
    }
}

static void
s_flush_pending (consumer_t *self)
{
    for (size_t i = 0; i < self->stream_count; i++) {
        s_stream_t *stream = &self->streams [i];
        size_t count = zlistx_size (stream->pending);
        if (count == 0)
            continue;
        Event **events = (Event **) malloc (count * sizeof (Event *));
        size_t n = 0;
        for (Event *event = (Event *) zlistx_first (stream->pending); event;
             event = (Event *) zlistx_next (stream->pending))
            events [n++] = event;
        int64_t applied = s_apply (self, stream, events, n);
        free (events);
        zlistx_purge (stream->pending);
        if (applied < 0)
            s_fetch (self, stream);
    }
}

static int
s_on_sub (zloop_t *loop, zsock_t *socket, void *arg)
{
    consumer_t *self = (consumer_t *) arg;
    for (int count = 0; count < CONSUMER_DRAIN; count++) {
        if (count > 0 && !(zsock_events (socket) & ZMQ_POLLIN))
            break;
        zmsg_t *msg = zmsg_recv (socket);
        if (!msg)
            break;
        //  Any message proves the broker alive, not only "$hb": under load
        //  the heartbeat queues behind many seconds of events, and taking
        //  that for silence would drop them all in a reconnect.
        self->last_heartbeat_at = clock_monotonic_ms ();
        s_on_live (self, msg);
        zmsg_destroy (&msg);
    }
    s_flush_pending (self);
    return 0;
}

//  --------------------------------------------------------------------------
//  Connection management

static void
s_send_hello (consumer_t *self)
{
    ConsumerHello hello = CONSUMER_HELLO__INIT;
    StreamHead heads [CONSUMER_MAX_STREAMS];
    StreamHead *head_ptrs [CONSUMER_MAX_STREAMS];
    for (size_t i = 0; i < self->stream_count; i++) {
        stream_head__init (&heads [i]);
        heads [i].stream = self->streams [i].name;
        heads [i].head_seq = self->streams [i].applied;
        head_ptrs [i] = &heads [i];
    }
    hello.consumer = self->name;
    hello.n_applied = self->stream_count;
    hello.applied = head_ptrs;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "HELLO");
    zframe_t *frame = codec_encode (&hello);
    zmsg_append (msg, &frame);
    zmsg_send (&msg, self->replay);
    zmsg_destroy (&msg);
    self->last_hello_at = clock_monotonic_ms ();
}

static int
s_open_sockets (consumer_t *self)
{
    self->sub = zsock_new (ZMQ_SUB);
    self->replay = zsock_new (ZMQ_DEALER);
    transport_curve_client (self->sub, self->cert, self->broker_key);
    transport_curve_client (self->replay, self->cert, self->broker_key);
    zsock_set_linger (self->sub, 0);
    zsock_set_linger (self->replay, 0);
    zsock_set_rcvhwm (self->sub, 100000);
    for (size_t i = 0; i < self->stream_count; i++) {
        char prefix [128];
        snprintf (prefix, sizeof prefix, "%s.", self->streams [i].name);
        zsock_set_subscribe (self->sub, prefix);
    }
    zsock_set_subscribe (self->sub, "$hb");
    if (zsock_connect (self->sub, "%s", self->fanout_endpoint)
    ||  zsock_connect (self->replay, "%s", self->replay_endpoint))
        return -1;
    return 0;
}

int
consumer_connect (consumer_t *self, const char *fanout, const char *replay,
                  const char *broker_key, zcert_t *cert)
{
    self->fanout_endpoint = strdup (fanout);
    self->replay_endpoint = strdup (replay);
    self->broker_key = strdup (broker_key);
    self->cert = zcert_dup (cert);
    if (s_open_sockets (self))
        return -1;
    //  Catch up on whatever happened while we were away.
    for (size_t i = 0; i < self->stream_count; i++)
        s_fetch (self, &self->streams [i]);
    self->last_heartbeat_at = clock_monotonic_ms ();
    return 0;
}

static void
s_reconnect (consumer_t *self)
{
    log_warn ("broker silent, reconnecting", "consumer", json_string (self->name), NULL);
    zloop_reader_end (self->loop, self->sub);
    zloop_reader_end (self->loop, self->replay);
    zsock_destroy (&self->sub);
    zsock_destroy (&self->replay);
    if (s_open_sockets (self) == 0) {
        zloop_reader (self->loop, self->sub, s_on_sub, self);
        zloop_reader (self->loop, self->replay, s_on_replay, self);
    }
    for (size_t i = 0; i < self->stream_count; i++)
        s_fetch (self, &self->streams [i]);
    self->last_heartbeat_at = clock_monotonic_ms ();
    self->heard = false;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    consumer_t *self = (consumer_t *) arg;
    uint64_t now = clock_monotonic_ms ();
    if (now - self->last_heartbeat_at > CONSUMER_SILENT_MS) {
        s_reconnect (self);
        return 0;
    }
    for (size_t i = 0; i < self->stream_count; i++) {
        s_stream_t *stream = &self->streams [i];
        if (stream->fetching && now - stream->fetch_sent_at > CONSUMER_FETCH_RETRY_MS)
            s_fetch (self, stream);
    }
    if (now - self->last_hello_at > CONSUMER_HELLO_MS)
        s_send_hello (self);
    return 0;
}

int
consumer_attach (consumer_t *self, zloop_t *loop)
{
    assert (self->sub);         //  consumer_connect first
    self->loop = loop;
    if (zloop_reader (loop, self->sub, s_on_sub, self)
    ||  zloop_reader (loop, self->replay, s_on_replay, self))
        return -1;
    return zloop_timer (loop, CONSUMER_TICK_MS, 0, s_on_tick, self) < 0? -1: 0;
}

void
consumer_reset (consumer_t *self)
{
    //  Replaying from seq 1 is a recovery from a broker store that is
    //  older than ours or another one: the wiped "offsets" table forgot the
    //  store id too, and nothing we applied is left to skip.
    self->halted = false;
    self->broker_store [0] = 0;
    problems_clear (self->problems, "broker_store_changed", "");
    for (size_t i = 0; i < self->stream_count; i++) {
        s_stream_t *stream = &self->streams [i];
        stream->stopped = false;
        problems_clear (self->problems, "stream_behind_consumer", stream->name);
        stream->applied = 0;
        zlistx_purge (stream->pending);
        //  A fetch still in flight answers from its old from_seq; s_fetch
        //  moves fetch_from to 1, so its reply applies nothing (a hole).
        if (self->replay)
            s_fetch (self, stream);
    }
}

uint64_t
consumer_offset (consumer_t *self, const char *stream)
{
    s_stream_t *entry = s_stream (self, stream);
    return entry? entry->applied: 0;
}

bool
consumer_stopped (consumer_t *self, const char *stream)
{
    s_stream_t *entry = s_stream (self, stream);
    return self->halted || (entry && entry->stopped);
}

uint64_t
consumer_known_head (consumer_t *self, const char *stream)
{
    s_stream_t *entry = s_stream (self, stream);
    return entry? entry->head: 0;
}

size_t
consumer_stream_count (consumer_t *self)
{
    return self->stream_count;
}

const char *
consumer_stream_name (consumer_t *self, size_t index)
{
    return index < self->stream_count? self->streams [index].name: NULL;
}

bool
consumer_connected (consumer_t *self)
{
    return self->heard && clock_monotonic_ms () - self->last_heartbeat_at < CONSUMER_SILENT_MS;
}

uint64_t
consumer_applied_total (consumer_t *self)
{
    return self->applied_total;
}

problems_t *
consumer_problems (consumer_t *self)
{
    return self->problems;
}
