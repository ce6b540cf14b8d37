/*  rcmq-broker: start-up, fan-out, heartbeats, retention, shutdown.
    See broker.h for the parts.
*/
#include "broker.h"
#include "clock.h"
#include "service.h"
#include "fanout.h"
#include "log.h"
#include "memory.h"
#include "transport.h"

#include <sodium.h>

#define BROKER_HEARTBEAT_MS   1000
#define BROKER_RETENTION_MS   60000
//  Frames queued for a subscriber before it misses some (and fetches them
//  from replay). A frame holds up to FANOUT_BATCH_BYTES of events, so this
//  bounds a lagging subscriber's queue to 32 MB (it was 200,000 frames of
//  one event: ~100 MB at 472 B, 401 MB of RssAnon seen at 100k claims).
//  Whole-stream subscribers share their frames (one message, counted
//  once), but each filter's frames are its own (ADR 58): with 4,000 a
//  subscriber (64 MB) the broker reached 270.8 MB of RssAnon at 1M claims
//  with metrics, audit and denials all lagging in the catch-up.
#define BROKER_FANOUT_HWM     2000
//  Filter topics kept (ADR 58): each costs a frame per commit group with
//  events of its stream, so a key that subscribes to many cannot make the
//  broker build thousands. A deployment has a few per consuming service.
#define BROKER_MAX_FILTERS    256
//  The layout version of the broker's store; a layout change bumps it and
//  adds its step to s_migrations (store_check_version).
#define BROKER_STORE_VERSION  1

static const store_migration_t s_migrations [] = { { 0 } };

//  A commit group's entries by stream: each distinct stream once (its
//  entries chained in log order through s_next), so the publish walks each
//  stream's entries instead of comparing every entry's topic with each run
//  and each filter (the strncmp of 4 % of the broker's CPU). Kept from
//  group to group.
typedef struct {
    const char *name;           //  the topic of its first entry: not terminated
    size_t length;
    size_t first;               //  index of its first entry in the group
    size_t last;
} s_stream_t;

#define S_NONE SIZE_MAX

static s_stream_t *s_streams;
static size_t s_streams_room;
static size_t *s_next;          //  [entry] the next entry of its stream, or S_NONE
static size_t *s_run;           //  [entry] the length of the whole-stream frame it starts, or 0
static size_t s_entries_room;

//  Sorts the group's entries into streams; returns how many streams.
static size_t
s_group_streams (const eventlog_entry_t *entries, size_t count)
{
    if (count > s_entries_room) {
        s_next = (size_t *) realloc (s_next, count * sizeof (size_t));
        s_run = (size_t *) realloc (s_run, count * sizeof (size_t));
        assert (s_next && s_run);
        s_entries_room = count;
    }
    size_t streams = 0, last = S_NONE;
    for (size_t i = 0; i < count; i++) {
        const eventlog_entry_t *entry = &entries [i];
        s_next [i] = S_NONE;
        s_run [i] = 0;
        //  Mostly the stream of the entry before (a producer's batch).
        size_t s = last;
        if (s == S_NONE || s_streams [s].length != entry->stream_len
        ||  memcmp (s_streams [s].name, entry->topic, entry->stream_len) != 0)
            for (s = 0; s < streams; s++)
                if (s_streams [s].length == entry->stream_len
                &&  memcmp (s_streams [s].name, entry->topic, entry->stream_len) == 0)
                    break;
        if (s == streams) {
            if (streams == s_streams_room) {
                s_streams_room = s_streams_room? s_streams_room * 2: 16;
                s_streams = (s_stream_t *) realloc (s_streams, s_streams_room * sizeof (s_stream_t));
                assert (s_streams);
            }
            s_streams [streams++] = (s_stream_t) { entry->topic, entry->stream_len, i, i };
        }
        else {
            s_next [s_streams [s].last] = i;
            s_streams [s].last = i;
        }
        last = s;
    }
    return streams;
}

//  A filter's frames for one commit group (ADR 58): the group's events of
//  its stream cover their seqs; those of its types go in, up to the batch
//  bounds a frame, and each frame covers the seqs up to its last event (the
//  last frame up to the group's last seq of the stream, even with none).
static void
s_publish_filter (broker_t *self, broker_filter_t *filter, const eventlog_entry_t *entries,
                  size_t streams)
{
    const char *topic = filter->topic;
    size_t stream_len = filter->stream_len;
    size_t s = 0;
    while (s < streams && (s_streams [s].length != stream_len
                       ||  memcmp (s_streams [s].name, topic, stream_len) != 0))
        s++;
    if (s == streams)
        return;                     //  nothing of its stream in this group
    const uint8_t *data [FANOUT_BATCH_EVENTS];
    size_t sizes [FANOUT_BATCH_EVENTS];
    size_t n = 0, bytes = 0;
    uint64_t first = 0, last = 0;
    for (size_t i = s_streams [s].first; i != S_NONE; i = s_next [i]) {
        const eventlog_entry_t *entry = &entries [i];
        if (first == 0)
            first = entry->seq;
        if (fanout_types_take (filter->topic, filter->types, filter->n_types, entry->topic + stream_len + 1,
                               entry->topic_len - stream_len - 1)) {
            if (n == FANOUT_BATCH_EVENTS || (n > 0 && bytes + 4 + entry->size > FANOUT_BATCH_BYTES)) {
                zframe_t *frame = fanout_filtered (topic, first, last, data, sizes, n);
                filter->frames++;
                filter->bytes += zframe_size (frame);
                zframe_send (&frame, self->fanout, 0);
                zframe_destroy (&frame);
                first = entry->seq;
                n = 0;
                bytes = 0;
            }
            data [n] = entry->data;
            sizes [n++] = entry->size;
            bytes += 4 + entry->size;
        }
        last = entry->seq;
    }
    zframe_t *frame = fanout_filtered (topic, first, last, data, sizes, n);
    filter->frames++;
    filter->bytes += zframe_size (frame);
    zframe_send (&frame, self->fanout, 0);
    zframe_destroy (&frame);
}

void
broker_publish (broker_t *self, const eventlog_entry_t *entries, size_t count)
{
    //  A commit group's events of one stream go out together, in as few
    //  frames as the batch bounds allow (common/fanout.h, ADR 48): CURVE
    //  seals and ZeroMQ queues each message, whatever it holds. An event
    //  alone in its frame goes as its single-event frame.
    if (count == 0)
        return;
    size_t streams = s_group_streams (entries, count);
    for (broker_filter_t *filter = (broker_filter_t *) zlistx_first (self->filters); filter;
         filter = (broker_filter_t *) zlistx_next (self->filters))
        s_publish_filter (self, filter, entries, streams);
    //  Each stream's entries in runs (up to FANOUT_BATCH_EVENTS and
    //  FANOUT_BATCH_BYTES, the first always), marked at the entry each
    //  starts at; the frames go out in the order of those entries.
    for (size_t s = 0; s < streams; s++) {
        size_t start = S_NONE, n = 0, bytes = 0;
        for (size_t i = s_streams [s].first; i != S_NONE; i = s_next [i]) {
            size_t size = 4 + entries [i].size;
            if (start == S_NONE || n == FANOUT_BATCH_EVENTS || bytes + size > FANOUT_BATCH_BYTES) {
                if (start != S_NONE)
                    s_run [start] = n;
                start = i;
                n = 0;
                bytes = 0;
            }
            n++;
            bytes += size;
        }
        s_run [start] = n;
    }
    const uint8_t *data [FANOUT_BATCH_EVENTS];
    size_t sizes [FANOUT_BATCH_EVENTS];
    for (size_t i = 0; i < count; i++) {
        size_t n = s_run [i];
        if (n == 0)
            continue;
        zframe_t *frame;
        if (n == 1)
            frame = eventlog_entry_frame (&entries [i]);
        else {
            char stream [256];
            size_t stream_len = entries [i].stream_len;
            assert (stream_len < sizeof stream);
            memcpy (stream, entries [i].topic, stream_len);
            stream [stream_len] = 0;
            size_t k = 0;
            for (size_t j = i; k < n; j = s_next [j], k++) {
                data [k] = entries [j].data;
                sizes [k] = entries [j].size;
            }
            frame = fanout_batch (stream, data, sizes, n);
        }
        zframe_send (&frame, self->fanout, 0);
        zframe_destroy (&frame);
        self->published += n;
    }
}

static void
s_filter_free (void **item_p)
{
    broker_filter_t *filter = (broker_filter_t *) *item_p;
    if (filter) {
        free (filter->topic);
        free (filter->types);
        free (filter);
    }
    *item_p = NULL;
}

//  XPUB passes a topic's subscription when its first subscriber makes it,
//  and its unsubscription when its last one leaves (or disconnects): the
//  list holds each filter topic that has a subscriber. A filter's topic is
//  subscribed with its 0x00 (fanout.h), which is not kept here.
int
broker_fanout_on_input (zloop_t *loop, zsock_t *socket, void *arg)
{
    broker_t *self = (broker_t *) arg;
    zframe_t *frame = zframe_recv (socket);
    if (!frame)
        return 0;
    const uint8_t *data = zframe_data (frame);
    size_t size = zframe_size (frame);
    if (size >= 2 && size <= 1024 && (data [0] == 0 || data [0] == 1) && data [size - 1] == 0
    &&  memchr (data + 1, '?', size - 2) && !memchr (data + 1, 0, size - 2)) {
        const char *topic = (const char *) data + 1;
        broker_filter_t *found = NULL;
        for (broker_filter_t *filter = (broker_filter_t *) zlistx_first (self->filters); filter;
             filter = (broker_filter_t *) zlistx_next (self->filters))
            if (streq (filter->topic, topic))
                found = filter;
        if (data [0] == 1 && !found && zlistx_size (self->filters) >= BROKER_MAX_FILTERS)
            //  Its consumer gets no live frames and still catches up: each
            //  heartbeat's head past what it covered fetches (ADR 58).
            log_warn ("fanout: too many filters, one more not kept", "topic", json_string (topic),
                      "filters", json_integer ((json_int_t) zlistx_size (self->filters)), NULL);
        else
        if (data [0] == 1 && !found) {
            broker_filter_t *filter = (broker_filter_t *) zmalloc (sizeof (broker_filter_t));
            filter->topic = strdup (topic);
            filter->stream_len = strcspn (topic, "?");
            filter->types = fanout_filter_types (topic, &filter->n_types);
            zlistx_add_end (self->filters, filter);
            log_info ("fanout: filter subscribed", "topic", json_string (topic), NULL);
        }
        else
        if (data [0] == 0 && found) {
            log_info ("fanout: filter unsubscribed", "topic", json_string (topic),
                      "frames", json_integer ((json_int_t) found->frames),
                      "bytes", json_integer ((json_int_t) found->bytes), NULL);
            void *handle = zlistx_find (self->filters, found);
            zlistx_delete (self->filters, handle);
        }
    }
    zframe_destroy (&frame);
    return 0;
}

static int
s_heartbeat (zloop_t *loop, int timer_id, void *arg)
{
    broker_t *self = (broker_t *) arg;
    zlistx_t *streams = eventlog_streams (self->log);
    size_t count = zlistx_size (streams);
    StreamHead *heads = (StreamHead *) calloc (count + 1, sizeof (StreamHead));
    StreamHead **head_ptrs = (StreamHead **) calloc (count + 1, sizeof (StreamHead *));
    size_t i = 0;
    for (char *name = (char *) zlistx_first (streams); name; name = (char *) zlistx_next (streams), i++) {
        stream_head__init (&heads [i]);
        heads [i].stream = name;
        heads [i].head_seq = eventlog_head (self->log, name);
        head_ptrs [i] = &heads [i];
    }
    Heartbeat heartbeat = HEARTBEAT__INIT;
    heartbeat.broker_started_ms = self->started_ms;
    heartbeat.store_id = self->store_id;
    heartbeat.n_heads = count;
    heartbeat.heads = head_ptrs;
    size_t size;
    uint8_t *packed = codec_pack (&heartbeat, &size);
    zframe_t *frame = fanout_frame (FANOUT_HEARTBEAT, 0, packed, size);
    zframe_send (&frame, self->fanout, 0);
    zframe_destroy (&frame);
    free (packed);
    free (heads);
    free (head_ptrs);
    zlistx_destroy (&streams);
    return 0;
}

static int
s_retention (zloop_t *loop, int timer_id, void *arg)
{
    broker_t *self = (broker_t *) arg;
    if (!self->retention_hours)
        return 0;
    uint64_t cutoff = clock_now_ms () - self->retention_hours * 3600000ULL;
    int64_t deleted = eventlog_prune (self->log, cutoff, 50000);
    if (deleted > 0)
        log_info ("retention pruned events", "deleted", json_integer ((json_int_t) deleted), NULL);
    return 0;
}

static zsock_t *
s_bind (broker_t *self, int type, const char *name, const char *fallback)
{
    char key [64], bind_key [64];
    snprintf (key, sizeof key, "broker/%s", name);
    snprintf (bind_key, sizeof bind_key, "broker/%s-bind", name);
    const char *endpoint = config_get (self->config, bind_key,
                                       config_get (self->config, key, fallback));
    zsock_t *socket = zsock_new (type);
    transport_curve_server_domain (socket, self->cert, TRANSPORT_ZAP_DOMAIN_EVENTS);
    zsock_set_linger (socket, 0);
    if (type == ZMQ_XPUB)
        zsock_set_sndhwm (socket, BROKER_FANOUT_HWM);
    if (zsock_bind (socket, "%s", endpoint) < 0) {
        log_error ("cannot bind", "socket", json_string (name), "endpoint", json_string (endpoint),
                   "error", json_string (zmq_strerror (zmq_errno ())), NULL);
        zsock_destroy (&socket);
    }
    return socket;
}

//  The store's identity: random, made when the store is, so consumers can
//  tell this log from another one (a store wiped and made again, or
//  another broker's). A copy of the store carries it: a copy restored
//  over a newer store is caught by the heads and producer epochs instead.
static int
s_ensure_store_id (store_t *store, MDB_txn *txn, void *arg)
{
    char *store_id = (char *) arg;
    MDB_val value;
    int rc = store_get (store, txn, "meta", "store_id", 8, &value);
    if (rc == 0 && value.mv_size > 0 && value.mv_size < 40) {
        memcpy (store_id, value.mv_data, value.mv_size);
        store_id [value.mv_size] = 0;
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc? rc: -1;
    uint8_t random [16];
    randombytes_buf (random, sizeof random);
    sodium_bin2hex (store_id, 33, random, sizeof random);
    return store_put (store, txn, "meta", "store_id", 8, store_id, strlen (store_id));
}

static int
s_start (broker_t *self, bool migrate)
{
    if (clock_init_from_env ()) {
        log_error ("RCMQ_NOW is not an ISO-8601 instant", NULL);
        return -1;
    }
    const char *keys_dir = config_path (self->config, "keys/dir", "var/keys");
    const char *data_dir = config_path (self->config, "data/dir", "var/data");
    char store_dir [PATH_MAX], error [512];
    int64_t retention_hours;
    if (config_get_int_checked (self->config, "broker/retention-hours", 0, 0, INT64_MAX, &retention_hours,
                                error, sizeof error)) {
        log_error ("bad setting", "error", json_string (error), NULL);
        return -1;
    }
    self->retention_hours = (uint64_t) retention_hours;
    snprintf (store_dir, sizeof store_dir, "%s/broker", data_dir);
    static const char *const tables [] = { EVENTLOG_TABLES, "meta", BROKER_REGISTRY_TABLES, NULL };
    uint64_t moved;
    int rc = service_store_open (store_dir, tables, BROKER_STORE_VERSION, s_migrations, migrate,
                                 &self->store, &moved);
    if (rc)
        return rc;
    if (store_write (self->store, s_ensure_store_id, self->store_id)) {
        log_error ("cannot read or make the store's id", "error", json_string (store_error (self->store)), NULL);
        return -1;
    }
    self->started_ms = clock_now_ms ();
    self->log = eventlog_new (self->store);
    //  The registry copy is current before anyone connects (ADR 21).
    if (broker_registry_catch_up (self)) {
        log_error ("access registry: cannot catch up from the log", "error",
                   json_string (store_error (self->store)), NULL);
        return -1;
    }
    if (service_security (keys_dir, "broker", self->store, &self->cert, &self->gate, &self->zap))
        return -1;

    self->ingest = s_bind (self, ZMQ_ROUTER, "ingest", "tcp://127.0.0.1:7601");
    self->fanout = s_bind (self, ZMQ_XPUB, "fanout", "tcp://127.0.0.1:7602");
    self->replay = s_bind (self, ZMQ_ROUTER, "replay", "tcp://127.0.0.1:7603");
    if (!self->ingest || !self->fanout || !self->replay)
        return -1;
    self->api = server_new ("broker", self->store, gate_server_caller, self->gate, broker_methods, self);
    server_set_audit (self->api, broker_audit, self);
    if (server_configure (self->api, self->config, error, sizeof error)) {
        log_error ("bad api setting", "error", json_string (error), NULL);
        return -1;
    }
    server_on_commit (self->api, broker_api_committed, self);
    const char *api = config_get (self->config, "broker/api", "tcp://127.0.0.1:7604");
    if (server_bind (self->api, config_get (self->config, "broker/api-bind", api), self->cert))
        return -1;

    self->loop = zloop_new ();
    zloop_reader (self->loop, self->ingest, broker_ingest_on_input, self);
    zloop_reader (self->loop, self->replay, broker_replay_on_input, self);
    zloop_reader (self->loop, self->fanout, broker_fanout_on_input, self);
    server_attach (self->api, self->loop);
    zloop_timer (self->loop, BROKER_HEARTBEAT_MS, 0, s_heartbeat, self);
    zloop_timer (self->loop, BROKER_RETENTION_MS, 0, s_retention, self);
    //  The ops port last: ready means everything above is.
    if (broker_ops_start (self))
        return -1;
    char now [32];
    clock_format_iso8601 (clock_now_ms (), now, sizeof now);
    log_info ("started", "store", json_string (store_dir), "store_id", json_string (self->store_id),
              "retention_hours", json_integer ((json_int_t) self->retention_hours),
              "clock", json_string (now), "clock_moved_forward_ms", json_integer ((json_int_t) moved), NULL);
    return 0;
}

static void
s_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

int
main (int argc, char *argv [])
{
    log_init ("rcmq-broker");
    memory_init ();
    if (sodium_init () < 0)
        return 1;
    broker_t *self = (broker_t *) zmalloc (sizeof (broker_t));
    self->config = config_new ();
    self->problems = problems_new ();
    self->consumers = zhashx_new ();
    zhashx_set_destructor (self->consumers, s_free);
    self->producers_seen = zhashx_new ();
    zhashx_set_destructor (self->producers_seen, s_free);
    self->filters = zlistx_new ();
    zlistx_set_destructor (self->filters, s_filter_free);

    bool migrate = false;
    int rc = service_options ("broker", "Runs the rcmq event broker: a durable log that group-commits\n"
                              "published events, fans them out and replays them.",
                              argc, argv, self->config, &migrate);
    if (rc) {
        rc = rc == 1? 0: rc;
        goto done;
    }
    zsys_catch_interrupts ();
    //  0 to run; 1 when --migrate has done its work; -1 on failure.
    int started = s_start (self, migrate);
    if (started == 0) {
        zloop_start (self->loop);
        log_info ("stopping", "published", json_integer ((json_int_t) self->published), NULL);
        for (broker_filter_t *filter = (broker_filter_t *) zlistx_first (self->filters); filter;
             filter = (broker_filter_t *) zlistx_next (self->filters))
            log_info ("fanout: filter at stop", "topic", json_string (filter->topic),
                      "frames", json_integer ((json_int_t) filter->frames),
                      "bytes", json_integer ((json_int_t) filter->bytes), NULL);
        if (store_mark_clock (self->store))
            log_warn ("cannot record the clock in the store", "error", json_string (store_error (self->store)), NULL);
    }
    else
        rc = started < 0? 1: 0;
done:
    broker_ops_destroy (self);
    server_destroy (&self->api);
    zloop_destroy (&self->loop);
    zsock_destroy (&self->ingest);
    zsock_destroy (&self->fanout);
    zsock_destroy (&self->replay);
    zactor_destroy (&self->zap);
    gate_destroy (&self->gate);
    zcert_destroy (&self->cert);
    eventlog_destroy (&self->log);
    store_destroy (&self->store);
    zhashx_destroy (&self->consumers);
    zhashx_destroy (&self->producers_seen);
    zlistx_destroy (&self->filters);
    config_destroy (&self->config);
    problems_destroy (&self->problems);
    free (self);
    return rc;
}
