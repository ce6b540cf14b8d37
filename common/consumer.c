/*  consumer: see consumer.h.

    Per stream we keep `applied` (committed offset), `head` (newest seq the
    broker announced) and whether a fetch is in flight. While a fetch is in
    flight, live events of that stream are dropped: the fetch chain will
    deliver them, in order, and dropping is what keeps the logic simple
    enough to trust. Live events are applied in batches, one transaction
    per batch, which is what makes a consumer fast.

    When a batch fails, the event that failed is found before the stream
    stops (s_apply): the handler's failure names the seq, the events before
    it applied in that same transaction and are committed on their own,
    and the failing event is then tried alone, so a batch that was too big
    for one transaction (MDB_TXN_FULL) is not blamed on one event. A
    stopped stream (s_stop) keeps a copy of its event for DeadletterSkip,
    drops live events and fetches nothing until its next retry.
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

#include <errno.h>
#include <inttypes.h>

#define CONSUMER_MAX_STREAMS    16
#define CONSUMER_DRAIN          2000        //  live events per batch at most (+ a frame's rest)
//  Frames the SUB socket queues: a frame holds up to FANOUT_BATCH_BYTES,
//  so this bounds what a lagging consumer holds (64 MB) and, as the broker's
//  BROKER_FANOUT_HWM, when it drops to replay instead.
#define CONSUMER_RCVHWM         4000
#define CONSUMER_FETCH_MAX      2000
#define CONSUMER_FETCH_RETRY_MS 3000
#define CONSUMER_SILENT_MS      3500        //  no heartbeat this long: reconnect
#define CONSUMER_HELLO_MS       1000
#define CONSUMER_TICK_MS        200
#define CONSUMER_RETRY_MIN_MS   1000        //  a stopped stream's first retry
#define CONSUMER_RETRY_MAX_MS   60000       //  the pause doubles up to this
//  consumer_dispatch's payload arena on the stack: a claim event and
//  intake's claim_accepted (1.6 KB on the wire) take a few KB decoded.
#define CONSUMER_PAYLOAD_STACK  16384

//  An event set aside, as a replay recognises it: the same seq from the
//  same producer's same seq (a broker that lost its log could reuse seqs).
typedef struct {
    uint64_t seq;
    char *producer;
    uint64_t producer_seq;
} s_aside_t;
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
    //  Stopped on an event (applied + 1) that could not be applied:
    Event *stopped;             //  a copy of it; NULL while the stream runs
    char *error;                //  why it failed, the last time it was tried
    uint64_t retry_ms;          //  the pause before the next retry
    uint64_t retry_at;          //  monotonic ms
    //  The events of this stream set aside ("deadletter"), which a replay
    //  from an earlier offset (metrics.Rebuild) passes over again.
    s_aside_t *aside;
    size_t aside_count;
    bool behind;                //  the log is behind our offset: apply nothing
    //  Filtered (consumer_filter, ADR 58): only events of these types come,
    //  live on topic and from fetches, with the seqs they cover. applied is
    //  then what is covered; stored, what "offsets" holds, may be less (a
    //  range with no event to apply is not written at once: a consumer
    //  restarted there fetches the range again and skips it again).
    bool filtered;
    char *topic;                //  "stream?type,..." (common/fanout.h)
    char **types;
    size_t n_types;
    uint64_t stored;
    uint64_t pending_through;   //  what pending covers (0: nothing more than applied)
} s_stream_t;

struct _consumer_t {
    store_t *store;
    char *name;
    s_stream_t streams [CONSUMER_MAX_STREAMS];
    size_t stream_count;
    consumer_apply_fn *apply;
    void *arg;
    consumer_committed_fn *committed;
    consumer_batch_fn *batch;           //  a batch's start and end (may be NULL)
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
    bool set_aside;             //  consumer_set_aside wrote; consumer_reload reads
    char broker_store [40];     //  the broker store's id we applied from ("": none yet)
    bool halted;                //  the broker's store is another one: apply nothing
    uint64_t broker_started_ms; //  of the broker run we last heard
    uint64_t received_frames;   //  live frames and their bytes, for the log at stop
    uint64_t received_bytes;
    //  Live events and fetch replies are decoded here, not with a malloc
    //  per string: they live only until the batch they came in is
    //  applied, and the arena is reset at the end of each socket callback
    //  (s_on_sub, s_on_replay), when no pending list holds one any more.
    codec_arena_t *arena;
};

typedef struct {
    consumer_t *consumer;
    s_stream_t *stream;
    Event **events;
    size_t count;
    uint64_t applied;           //  result: the new offset
    uint64_t limit;             //  apply no event past this seq
    uint64_t through;           //  a filtered stream's: what the events cover
    bool limited;               //  result: the limit left events unapplied
    uint64_t failed_seq;        //  result: the event the handler failed on, or 0
    int rc;                     //  result: what it (or the offset's put) returned
} s_batch_t;

//  Drops what arrived live and waits for its batch: older news than the
//  fetch (or the stop) that drops it.
static void
s_purge (s_stream_t *stream)
{
    zlistx_purge (stream->pending);
    stream->pending_through = 0;
}

//  The seq up to which the stream's applied and pending events reach.
static uint64_t
s_covered (s_stream_t *stream)
{
    if (stream->filtered)
        return stream->pending_through > stream->applied? stream->pending_through: stream->applied;
    Event *last = (Event *) zlistx_last (stream->pending);
    return last? last->stream_seq: stream->applied;
}

static s_stream_t *
s_stream (consumer_t *self, const char *name)
{
    for (size_t i = 0; i < self->stream_count; i++)
        if (streq (self->streams [i].name, name))
            return &self->streams [i];
    return NULL;
}

static void
s_aside_add (s_stream_t *stream, uint64_t seq, const char *producer, uint64_t producer_seq)
{
    stream->aside = (s_aside_t *) realloc (stream->aside, (stream->aside_count + 1) * sizeof (s_aside_t));
    stream->aside [stream->aside_count++] = (s_aside_t) { seq, strdup (producer? producer: ""), producer_seq };
}

static bool
s_aside_has (const s_stream_t *stream, const Event *event)
{
    for (size_t i = 0; i < stream->aside_count; i++)
        if (stream->aside [i].seq == event->stream_seq
        &&  stream->aside [i].producer_seq == event->producer_seq
        &&  streq (stream->aside [i].producer, event->producer? event->producer: ""))
            return true;
    return false;
}

//  The records of "deadletter" into each stream's list.
static int
s_aside_load (consumer_t *self, MDB_txn *txn)
{
    DeadletterRecord **records;
    size_t n;
    int rc = consumer_deadletters (self->store, txn, &records, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        s_stream_t *stream = s_stream (self, records [i]->stream);
        if (stream)
            s_aside_add (stream, records [i]->seq, records [i]->producer, records [i]->producer_seq);
        codec_free (records [i]);
    }
    free (records);
    return 0;
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
    self->arena = codec_arena_new ();
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
        entry->stored = entry->applied;
        entry->head = entry->applied;
        //  No destructor: its events are the arena's.
        entry->pending = zlistx_new ();
    }
    if (rc == 0)
        rc = s_aside_load (self, txn);
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

int
consumer_filter (consumer_t *self, const char *stream, const char *const *types, size_t count)
{
    assert (!self->sub);            //  before consumer_connect: it subscribes
    s_stream_t *entry = s_stream (self, stream);
    if (!entry)
        return -1;
    char topic [1024];
    if (fanout_filter_topic (stream, types, count, topic, sizeof topic) < 0)
        return -1;
    free (entry->topic);
    for (size_t t = 0; t < entry->n_types; t++)
        free (entry->types [t]);
    free (entry->types);
    entry->filtered = true;
    entry->topic = strdup (topic);
    entry->types = (char **) calloc (count + 1, sizeof (char *));
    entry->n_types = count;
    for (size_t t = 0; t < count; t++)
        entry->types [t] = strdup (types [t]);
    return 0;
}

void
consumer_filter_table (consumer_t *self, const consumer_event_t *events, const char *const *whole)
{
    for (size_t i = 0; i < self->stream_count; i++) {
        const char *stream = self->streams [i].name;
        bool all = false;
        for (const char *const *name = whole; name && *name && !all; name++)
            all = streq (*name, stream);
        const char *types [64];
        size_t count = 0;
        for (const consumer_event_t *entry = events; entry && entry->stream && !all; entry++) {
            if (!streq (entry->stream, stream))
                continue;
            if (!entry->type || count == sizeof types / sizeof types [0])
                all = true;             //  every type of it (but work.*)
            else
                types [count++] = entry->type;
        }
        if (!all && consumer_filter (self, stream, types, count) == 0)
            log_info ("consumer: stream filtered", "consumer", json_string (self->name),
                      "topic", json_string (self->streams [i].topic), NULL);
    }
}

void
consumer_destroy (consumer_t **self_p)
{
    assert (self_p);
    consumer_t *self = *self_p;
    if (!self)
        return;
    if (self->received_frames)
        log_info ("consumer: live frames received", "consumer", json_string (self->name),
                  "frames", json_integer ((json_int_t) self->received_frames),
                  "bytes", json_integer ((json_int_t) self->received_bytes), NULL);
    for (size_t i = 0; i < self->stream_count; i++) {
        free (self->streams [i].name);
        free (self->streams [i].topic);
        for (size_t t = 0; t < self->streams [i].n_types; t++)
            free (self->streams [i].types [t]);
        free (self->streams [i].types);
        zlistx_destroy (&self->streams [i].pending);
        codec_free (self->streams [i].stopped);
        free (self->streams [i].error);
        for (size_t a = 0; a < self->streams [i].aside_count; a++)
            free (self->streams [i].aside [a].producer);
        free (self->streams [i].aside);
    }
    zsock_destroy (&self->sub);
    zsock_destroy (&self->replay);
    zcert_destroy (&self->cert);
    free (self->fanout_endpoint);
    free (self->replay_endpoint);
    free (self->broker_key);
    free (self->name);
    problems_destroy (&self->problems);
    codec_arena_destroy (&self->arena);
    free (self);
    *self_p = NULL;
}

void
consumer_on_commit (consumer_t *self, consumer_committed_fn *fn)
{
    self->committed = fn;
}

void
consumer_on_batch (consumer_t *self, consumer_batch_fn *fn)
{
    self->batch = fn;
}

//  --------------------------------------------------------------------------
//  Applying

static int
s_apply_batch (store_t *store, MDB_txn *txn, void *arg)
{
    s_batch_t *batch = (s_batch_t *) arg;
    //  store_write runs us again after growing the map: start clean.
    batch->limited = false;
    batch->failed_seq = 0;
    batch->rc = 0;
    uint64_t applied = batch->stream->applied;
    consumer_batch_fn *hook = batch->consumer->batch;
    if (hook && (batch->rc = hook (store, txn, false, batch->consumer->arg)))
        return batch->rc;
    for (size_t i = 0; i < batch->count; i++) {
        Event *event = batch->events [i];
        if (event->stream_seq <= applied)
            continue;               //  already applied: a duplicate
        if (event->stream_seq != applied + 1 && !batch->stream->filtered)
            break;                  //  a hole: the rest waits for a fetch
        if (event->stream_seq > batch->limit) {
            batch->limited = true;
            break;
        }
        if (s_aside_has (batch->stream, event)) {
            applied = event->stream_seq;    //  an operator set it aside before
            continue;
        }
        int rc = batch->consumer->apply (store, txn, event, batch->consumer->arg);
        if (rc) {
            batch->failed_seq = event->stream_seq;
            batch->rc = rc;
            return rc;
        }
        applied = event->stream_seq;
    }
    //  A filtered stream's events cover the seqs between them, and the
    //  batch all it covers, but what is past the limit.
    if (batch->stream->filtered) {
        uint64_t through = batch->through < batch->limit? batch->through: batch->limit;
        if (through > applied)
            applied = through;
    }
    batch->applied = applied;
    if (hook && (batch->rc = hook (store, txn, true, batch->consumer->arg)))
        return batch->rc;
    if (applied == batch->stream->applied && applied == batch->stream->stored)
        return 0;
    batch->rc = store_put_u64 (store, txn, "offsets", batch->stream->name, applied);
    return batch->rc;
}

int
consumer_dispatch (const consumer_event_t *events, store_t *store, MDB_txn *txn,
                   const Event *event, void *state)
{
    //  Work-item events ride on their service's stream but are WorkEvents
    //  (common/workitem): an entry for every type of a stream is for the
    //  stream's own family, and takes them only by name.
    bool work_event = strncmp (event->type, CONSUMER_WORK_PREFIX, strlen (CONSUMER_WORK_PREFIX)) == 0;
    const consumer_event_t *entry = events;
    while (entry && entry->stream
       && !(streq (entry->stream, event->stream)
            && (entry->type? streq (entry->type, event->type): !work_event)))
        entry++;
    if (!entry || !entry->stream)
        return 0;
    if (!entry->descriptor)
        return entry->handler (store, txn, event, NULL, state);
    //  The payload lives only while its handler runs (handlers read it,
    //  lend parts of it and put them back, never keep or free them), so it
    //  is decoded into an arena on the stack: no malloc for an event that
    //  fits, where one per string and sub-message was each consumer's
    //  largest cost (issue 19, docs/performance.md).
    max_align_t buffer [CONSUMER_PAYLOAD_STACK / sizeof (max_align_t)];
    codec_arena_t arena;
    codec_arena_init (&arena, buffer, sizeof buffer);
    void *message = codec_arena_decode (&arena, entry->descriptor, event->payload.data, event->payload.len);
    int rc = message? entry->handler (store, txn, event, message, state)
                    : consumer_refuse_payload (store, event, entry->descriptor);
    codec_arena_release (&arena);
    return rc;
}

int
consumer_refuse_payload (store_t *store, const Event *event, const ProtobufCMessageDescriptor *type)
{
    return store_fail (store, "%s.%s #%" PRIu64 " does not decode as %s: refused",
                       event->stream, event->type, event->stream_seq, type->name);
}

//  Moves a stream's offset past events that no longer exist.
static int
s_skip_to (store_t *store, MDB_txn *txn, void *arg)
{
    s_batch_t *skip = (s_batch_t *) arg;
    return store_put_u64 (store, txn, "offsets", skip->stream->name, skip->applied);
}

//  What a retry can cure: a resource of the store or the machine that ran
//  out. Anything else the handler returned (-1: it refused the event; an
//  LMDB error about the data, MDB_BAD_VALSIZE) comes back the same on
//  every retry, so the problem tells the operator to act.
static const int s_retryable [] = {
    MDB_TXN_FULL, MDB_MAP_RESIZED, MDB_READERS_FULL, MDB_MAP_FULL,
    ENOSPC, EIO, ENOMEM, EAGAIN, EDQUOT,
};

static bool
s_is_retryable (const s_batch_t *batch)
{
    //  The handler took the event; the store failed around it (the offset's
    //  put, the commit, the transaction's start): not the event's fault.
    if (batch->failed_seq == 0)
        return true;
    for (size_t i = 0; i < sizeof s_retryable / sizeof s_retryable [0]; i++)
        if (batch->rc == s_retryable [i])
            return true;
    return false;
}

static Event *
s_event_at (Event **events, size_t count, uint64_t seq)
{
    for (size_t i = 0; i < count; i++)
        if (events [i]->stream_seq == seq)
            return events [i];
    return NULL;
}

//  The event at stream->applied + 1 cannot be applied: the stream stops
//  there. Said once (the problem is new); a retry that fails again only
//  waits longer for the next.
static void
s_stop (consumer_t *self, s_stream_t *stream, Event *event, const s_batch_t *batch)
{
    uint64_t seq = stream->applied + 1;
    if (!event)
        return;                     //  not among them: nothing to stop on
    const char *error = store_error (self->store);
    if (batch->rc == -1 && strstr (error, "write aborted"))
        error = "the service's apply function refused it";
    free (stream->error);
    stream->error = strdup (error);
    if (stream->stopped && stream->stopped->stream_seq == seq)
        stream->retry_ms = stream->retry_ms * 2 > CONSUMER_RETRY_MAX_MS
                         ? CONSUMER_RETRY_MAX_MS: stream->retry_ms * 2;
    else {
        codec_free (stream->stopped);
        stream->stopped = (Event *) codec_copy (event);
        stream->retry_ms = CONSUMER_RETRY_MIN_MS;
    }
    stream->retry_at = clock_monotonic_ms () + stream->retry_ms;
    bool retryable = s_is_retryable (batch);
    const char *type = event->type? event->type: "?";
    bool is_new = problems_raise (self->problems, "stream_stopped", stream->name, seq,
        "cannot apply %s #%" PRIu64 " (%s): %s; %s%s %" PRIu64 " --reason TEXT`", stream->name,
        seq, type, error,
        retryable
        ? "the store failed, not the event, so it is retried until it applies; if it is "
          "the event after all, set it aside with `rcmqctl deadletter skip <this service> "
        : "retrying will not fix this: fix the cause and restart, or set the event aside "
          "with `rcmqctl deadletter skip <this service> ", stream->name, seq);
    problems_detail (self->problems, "stream_stopped", stream->name, stream->name, error);
    if (is_new)
        log_error ("stream stopped: cannot apply event", "stream", json_string (stream->name),
                   "seq", json_integer ((json_int_t) seq), "type", json_string (type),
                   "key", json_string (event->key? event->key: ""),
                   "error", json_string (error), "retryable", json_boolean (retryable), NULL);
}

//  The stream got past the event it was stopped at.
static void
s_resume (consumer_t *self, s_stream_t *stream, const char *how)
{
    uint64_t seq = stream->stopped? stream->stopped->stream_seq: 0;
    codec_free (stream->stopped);
    stream->stopped = NULL;
    free (stream->error);
    stream->error = NULL;
    if (problems_clear (self->problems, "stream_stopped", stream->name))
        log_info ("stream resumed", "stream", json_string (stream->name),
                  "seq", json_integer ((json_int_t) seq), "how", json_string (how), NULL);
}

//  True when events hold one past the stream's offset.
static bool
s_any_new (const s_stream_t *stream, Event **events, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (events [i]->stream_seq > stream->applied)
            return true;
    return false;
}

//  Applies events (ascending) to a stream: in one transaction when they
//  all apply; else as many as apply, and the stream stops at the first
//  that does not. through: what a filtered stream's events cover (ignored
//  for another). Returns the number of events applied.
static int64_t
s_apply (consumer_t *self, s_stream_t *stream, Event **events, size_t count, uint64_t through)
{
    if (stream->filtered && !s_any_new (stream, events, count)) {
        //  Nothing to apply: the offset moves in memory only (see
        //  s_stream_t), as reported in HELLOs; the next batch stores it.
        if (through > stream->applied && !stream->stopped)
            stream->applied = through;
        if (stream->head < stream->applied)
            stream->head = stream->applied;
        return 0;
    }
    if (count == 0)
        return 0;
    uint64_t before = stream->applied;
    uint64_t limit = UINT64_MAX;
    uint64_t suspect = 0;               //  the event a failed batch stopped at
    while (true) {
        s_batch_t batch = { .consumer = self, .stream = stream, .events = events,
                            .count = count, .applied = stream->applied, .limit = limit,
                            .through = through };
        if (store_write (self->store, s_apply_batch, &batch) == 0) {
            stream->applied = batch.applied;
            stream->stored = batch.applied;
            if (!batch.limited)
                break;
            //  Now the suspect alone, or the rest after it.
            limit = suspect == stream->applied + 1? suspect: UINT64_MAX;
            continue;
        }
        uint64_t next = stream->applied + 1;
        if (batch.failed_seq > next) {
            //  The events before it applied in that transaction, so they
            //  apply in one of their own.
            suspect = batch.failed_seq;
            limit = batch.failed_seq - 1;
        }
        else
        if (limit != next)
            limit = next;               //  it alone, to know it fails alone
        else {
            //  What a filtered stream covered before it is stored first:
            //  a set-aside (consumer_set_aside) finds the offset just
            //  before the event.
            if (stream->stored < stream->applied) {
                s_batch_t skip = { .consumer = self, .stream = stream, .applied = stream->applied };
                if (store_write (self->store, s_skip_to, &skip) == 0)
                    stream->stored = stream->applied;
            }
            s_stop (self, stream, s_event_at (events, count, next), &batch);
            break;
        }
    }
    int64_t applied = (int64_t) (stream->applied - before);
    if (stream->stopped && stream->applied >= stream->stopped->stream_seq)
        s_resume (self, stream, "a retry applied it");
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
    if (stream->behind || self->halted) {
        stream->fetching = false;
        s_purge (stream);
        return;
    }
    FetchRequest request = FETCH_REQUEST__INIT;
    request.stream = stream->name;
    request.filtered = stream->filtered;
    request.types = stream->types;
    request.n_types = stream->n_types;
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
    s_purge (stream);
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
        s_purge (&self->streams [i]);
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
    stream->behind = true;
    stream->fetching = false;
    s_purge (stream);
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
    if (reply->from_seq && reply->from_seq != stream->fetch_from)
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
        s_batch_t skip = { .consumer = self, .stream = stream, .applied = reply->first_seq - 1 };
        if (store_write (self->store, s_skip_to, &skip) == 0)
            stream->applied = stream->stored = skip.applied;
    }
    //  A filtered fetch covers through what the broker looked at (an older
    //  broker sends all events, which cover up to the last).
    uint64_t through = reply->through_seq;
    if (reply->n_events > 0 && reply->events [reply->n_events - 1]->stream_seq > through)
        through = reply->events [reply->n_events - 1]->stream_seq;
    uint64_t before = stream->applied;
    s_apply (self, stream, reply->events, reply->n_events, through);
    bool more = stream->filtered? stream->applied > before: reply->n_events > 0;
    if (stream->stopped)
        stream->fetching = false;       //  until the next retry (s_on_tick)
    else
    if (stream->applied < stream->head && more)
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
        FetchReply *reply = body? codec_arena_decode_fetch_reply (self->arena, zframe_data (body), zframe_size (body))
                                : NULL;
        if (reply)
            s_on_fetched (self, reply);
        codec_arena_reset (self->arena);
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
        if (stream->behind || stream->stopped || stream->fetching)
            continue;
        //  A filtered stream knows what its pending frames cover: a head
        //  past that is a lost frame (or tail), as for a whole stream a
        //  head past the offset with nothing pending.
        if (restarted || (named && head < stream->applied)
        ||  (stream->filtered? stream->head > s_covered (stream)
                             : stream->head > stream->applied && zlistx_size (stream->pending) == 0))
            s_fetch (self, stream);
    }
    codec_free (heartbeat);
}

//  Takes one live event. It goes to its stream's pending list when it
//  continues it; a hole starts a fetch.
static void
s_on_event (consumer_t *self, const uint8_t *data, size_t size)
{
    //  Into the arena: an event dropped here is freed with the rest at
    //  the end of s_on_sub.
    Event *event = codec_arena_decode_event (self->arena, data, size);
    if (!event)
        return;
    s_stream_t *stream = s_stream (self, event->stream);
    if (!stream || stream->filtered || stream->fetching || stream->stopped || stream->behind || self->halted)
        return;
    Event *last = (Event *) zlistx_last (stream->pending);
    uint64_t expected = (last? last->stream_seq: stream->applied) + 1;
    if (event->stream_seq == expected) {
        zlistx_add_end (stream->pending, event);
        if (event->stream_seq > stream->head)
            stream->head = event->stream_seq;
    }
    else
    if (event->stream_seq > expected)
        s_fetch (self, stream);         //  a hole (below: a duplicate, dropped)
}

//  Takes one filtered frame (ADR 58): events of first..last, only those of
//  our types. It continues what is pending when first is the next seq we
//  wait for; then its events go to pending and what pending covers moves
//  to last. A first past that is a hole (a frame lost): a fetch. Returns
//  how many events it held.
static size_t
s_on_filtered (consumer_t *self, const char *topic, uint64_t last, const uint8_t *data, size_t size)
{
    uint64_t first;
    const uint8_t *body;
    size_t body_size;
    if (fanout_filtered_range (last, data, size, &first, &body, &body_size))
        return 0;
    const char *mark = strchr (topic, '?');
    s_stream_t *stream = NULL;
    for (size_t i = 0; i < self->stream_count && !stream; i++)
        if (self->streams [i].filtered && streq (self->streams [i].topic, topic))
            stream = &self->streams [i];
    //  Only our own topic: a subscription's prefix match could bring a
    //  filter of more types than ours.
    if (!mark || !stream || stream->fetching || stream->stopped || stream->behind || self->halted)
        return 0;
    uint64_t covered = s_covered (stream);
    if (last <= covered)
        return 0;                       //  covered before: a duplicate
    if (first > covered + 1) {
        s_fetch (self, stream);         //  a hole
        return 0;
    }
    size_t offset = 0, count = 0, event_size;
    const uint8_t *bytes;
    int rc;
    while ((rc = fanout_batch_next (body, body_size, &offset, &bytes, &event_size)) == 1) {
        Event *event = codec_arena_decode_event (self->arena, bytes, event_size);
        if (!event || !streq (event->stream, stream->name) || event->stream_seq < first
        ||  event->stream_seq > last) {
            rc = -1;
            break;
        }
        count++;
        if (event->stream_seq > covered)
            zlistx_add_end (stream->pending, event);
    }
    if (rc != 0) {
        //  Not what a broker sends: take none of it, and fetch.
        s_fetch (self, stream);
        return count;
    }
    stream->pending_through = last;
    if (last > stream->head)
        stream->head = last;
    return count;
}

//  Takes one live message: a heartbeat, one event, or a batch of events of
//  one stream (common/fanout.h), each taken as if it came alone. Returns
//  how many events it held.
static size_t
s_on_live (consumer_t *self, zmsg_t *msg)
{
    const char *topic;
    uint64_t seq;
    const uint8_t *data;
    size_t size;
    if (fanout_parse (zmsg_first (msg), &topic, &seq, &data, &size))
        return 0;
    if (streq (topic, FANOUT_HEARTBEAT)) {
        s_on_heartbeat (self, data, size);
        return 0;
    }
    if (fanout_is_filtered (topic))
        return s_on_filtered (self, topic, seq, data, size);
    if (!fanout_is_batch (topic, seq)) {
        s_on_event (self, data, size);
        return 1;
    }
    //  A batch cut short loses its tail like a dropped message: the next
    //  event or heartbeat shows the hole and the fetch fills it.
    size_t offset = 0, count = 0, event_size;
    const uint8_t *event;
    while (fanout_batch_next (data, size, &offset, &event, &event_size) == 1) {
        s_on_event (self, event, event_size);
        count++;
    }
    return count;
}

static void
s_flush_pending (consumer_t *self)
{
    for (size_t i = 0; i < self->stream_count; i++) {
        s_stream_t *stream = &self->streams [i];
        size_t count = zlistx_size (stream->pending);
        if (count == 0 && !(stream->filtered && stream->pending_through > stream->applied))
            continue;
        Event **events = (Event **) malloc (count * sizeof (Event *));
        size_t n = 0;
        for (Event *event = (Event *) zlistx_first (stream->pending); event;
             event = (Event *) zlistx_next (stream->pending))
            events [n++] = event;
        s_apply (self, stream, events, n, stream->pending_through);
        free (events);
        s_purge (stream);
    }
}

static int
s_on_sub (zloop_t *loop, zsock_t *socket, void *arg)
{
    consumer_t *self = (consumer_t *) arg;
    //  Counted in events, not messages: a message may hold a batch.
    for (size_t count = 0; count < CONSUMER_DRAIN; ) {
        if (count > 0 && !(zsock_events (socket) & ZMQ_POLLIN))
            break;
        zmsg_t *msg = zmsg_recv (socket);
        if (!msg)
            break;
        self->received_frames++;
        self->received_bytes += zmsg_content_size (msg);
        //  Any message proves the broker alive, not only "$hb": under load
        //  the heartbeat queues behind many seconds of events, and taking
        //  that for silence would drop them all in a reconnect.
        self->last_heartbeat_at = clock_monotonic_ms ();
        size_t events = s_on_live (self, msg);
        count += events? events: 1;
        zmsg_destroy (&msg);
    }
    s_flush_pending (self);
    codec_arena_reset (self->arena);    //  every pending list is empty now
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
    zsock_set_rcvhwm (self->sub, CONSUMER_RCVHWM);
    for (size_t i = 0; i < self->stream_count; i++) {
        s_stream_t *stream = &self->streams [i];
        if (stream->filtered)
            //  With its 0x00: ZeroMQ matches prefixes, this one only itself.
            zmq_setsockopt (zsock_resolve (self->sub), ZMQ_SUBSCRIBE, stream->topic,
                            strlen (stream->topic) + 1);
        else {
            char prefix [128];
            snprintf (prefix, sizeof prefix, "%s.", stream->name);
            zsock_set_subscribe (self->sub, prefix);
        }
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
        else
        //  A stopped stream's retry: the fetch brings its event again. The
        //  next is due in any case, should the reply not bring it.
        if (stream->stopped && !stream->fetching && now >= stream->retry_at) {
            stream->retry_at = now + stream->retry_ms;
            s_fetch (self, stream);
        }
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
        stream->behind = false;
        problems_clear (self->problems, "stream_behind_consumer", stream->name);
        stream->applied = 0;
        stream->stored = 0;
        s_purge (stream);
        //  Replayed from seq 1, the event it stopped on is tried again.
        s_resume (self, stream, "reset");
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

const char *
consumer_topic (consumer_t *self, const char *stream)
{
    s_stream_t *entry = s_stream (self, stream);
    return !entry? NULL: entry->filtered? entry->topic: entry->name;
}

bool
consumer_stopped (consumer_t *self, const char *stream)
{
    s_stream_t *entry = s_stream (self, stream);
    return self->halted || (entry && (entry->behind || entry->stopped));
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

uint64_t
consumer_stopped_at (consumer_t *self, const char *stream)
{
    s_stream_t *entry = s_stream (self, stream);
    return entry && entry->stopped? entry->stopped->stream_seq: 0;
}

//  --------------------------------------------------------------------------
//  Setting events aside (the "deadletter" table)

//  Key: the stream's name, a 0 byte, the seq big-endian; so a cursor reads
//  the records by stream then seq.
static size_t
s_deadletter_key (const char *stream, uint64_t seq, uint8_t *key, size_t size)
{
    size_t length = strlen (stream);
    assert (length + 9 <= size);
    memcpy (key, stream, length);
    key [length] = 0;
    store_u64_write (key + length + 1, seq);
    return length + 9;
}

char *
consumer_deadletter_id (const MDB_val *key)
{
    const char *bytes = (const char *) key->mv_data;
    size_t length = key->mv_size > 9? key->mv_size - 9: 0;
    uint64_t seq = key->mv_size >= 9? store_u64_read (bytes + key->mv_size - 8): 0;
    char id [300];
    snprintf (id, sizeof id, "%.*s#%" PRIu64, (int) (length < 256? length: 256), bytes, seq);
    char *copy = strdup (id);
    assert (copy);
    return copy;
}

int
consumer_deadletter_key (const char *id, uint8_t *key, size_t size, size_t *key_size)
{
    const char *hash = strrchr (id, '#');
    if (!hash || hash == id || !hash [1] || (size_t) (hash - id) + 9 > size)
        return -1;
    for (const char *digit = hash + 1; *digit; digit++)
        if (*digit < '0' || *digit > '9')
            return -1;
    errno = 0;
    unsigned long long seq = strtoull (hash + 1, NULL, 10);
    if (errno == ERANGE)
        return -1;
    size_t length = (size_t) (hash - id);
    memcpy (key, id, length);
    key [length] = 0;
    store_u64_write (key + length + 1, (uint64_t) seq);
    *key_size = length + 9;
    return 0;
}

int
consumer_set_aside (consumer_t *self, MDB_txn *txn, const char *stream, uint64_t seq,
                    const char *actor, const char *reason, uint64_t time_ms, Status *status,
                    char *error, size_t error_size, DeadletterRecord **record_p)
{
    *status = STATUS__FAILED_PRECONDITION;
    *record_p = NULL;
    s_stream_t *entry = s_stream (self, stream);
    if (!entry) {
        *status = STATUS__INVALID_ARGUMENT;
        snprintf (error, error_size, "this service does not consume stream '%s'", stream);
        return 0;
    }
    if (!reason || !*reason) {
        *status = STATUS__INVALID_ARGUMENT;
        snprintf (error, error_size, "a reason is required to set an event aside");
        return 0;
    }
    if (!entry->stopped) {
        snprintf (error, error_size, "stream '%s' is not stopped (applied through %" PRIu64 ")",
                  stream, entry->applied);
        return 0;
    }
    if (entry->stopped->stream_seq != seq) {
        snprintf (error, error_size, "stream '%s' is stopped at seq %" PRIu64 ", not %" PRIu64,
                  stream, entry->stopped->stream_seq, seq);
        return 0;
    }
    //  What is stored must agree with memory; an earlier skip of the same
    //  event whose reload has not run yet would not.
    uint64_t offset;
    if (store_get_u64 (self->store, txn, "offsets", stream, &offset))
        return -1;
    if (offset != seq - 1) {
        snprintf (error, error_size, "stream '%s' is stored at %" PRIu64 ", not just before %" PRIu64,
                  stream, offset, seq);
        return 0;
    }
    DeadletterRecord record = DEADLETTER_RECORD__INIT;
    Event *event = entry->stopped;
    record.stream = (char *) stream;
    record.seq = seq;
    record.type = event->type;
    record.key = event->key;
    record.producer = event->producer;
    record.producer_seq = event->producer_seq;
    record.error = entry->error? entry->error: "";
    record.reason = (char *) reason;
    record.actor = (char *) actor;
    record.time_ms = time_ms;
    record.event.data = codec_pack (event, &record.event.len);
    size_t size;
    uint8_t *packed = codec_pack (&record, &size);
    uint8_t key [256 + 9];
    size_t key_size = s_deadletter_key (stream, seq, key, sizeof key);
    int rc = store_put (self->store, txn, "deadletter", key, key_size, packed, size);
    if (rc == 0)
        rc = store_put_u64 (self->store, txn, "offsets", stream, seq);
    if (rc == 0) {
        *record_p = (DeadletterRecord *) codec_decode (&deadletter_record__descriptor, packed, size);
        *status = STATUS__OK;
        self->set_aside = true;
    }
    free (record.event.data);
    free (packed);
    return rc;
}

void
consumer_reload (consumer_t *self)
{
    if (!self->set_aside)
        return;
    self->set_aside = false;
    MDB_txn *txn = store_read_begin (self->store);
    if (!txn)
        return;
    for (size_t i = 0; i < self->stream_count; i++) {
        s_stream_t *stream = &self->streams [i];
        uint64_t offset;
        if (!stream->stopped
        ||  store_get_u64 (self->store, txn, "offsets", stream->name, &offset)
        ||  offset < stream->stopped->stream_seq)
            continue;
        stream->applied = stream->stored = offset;
        s_aside_add (stream, stream->stopped->stream_seq, stream->stopped->producer,
                     stream->stopped->producer_seq);
        s_resume (self, stream, "set aside");
        if (self->replay && !stream->fetching)
            s_fetch (self, stream);
    }
    store_read_end (&txn);
}

int
consumer_deadletters (store_t *store, MDB_txn *txn, DeadletterRecord ***records_p, size_t *n_p)
{
    *records_p = NULL;
    *n_p = 0;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (store, "deadletter"), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    size_t n = 0;
    DeadletterRecord **records = NULL;
    for (rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        DeadletterRecord *record = (DeadletterRecord *)
            codec_decode (&deadletter_record__descriptor, value.mv_data, value.mv_size);
        if (!record) {
            rc = store_fail (store, "store %s: a record of table deadletter (%zu bytes) "
                             "is not a DeadletterRecord", store_dir (store), value.mv_size);
            break;
        }
        records = (DeadletterRecord **) realloc (records, (n + 1) * sizeof *records);
        records [n++] = record;
    }
    mdb_cursor_close (cursor);
    if (rc != MDB_NOTFOUND) {
        for (size_t i = 0; i < n; i++)
            codec_free (records [i]);
        free (records);
        return rc;
    }
    *records_p = records;
    *n_p = n;
    return 0;
}
