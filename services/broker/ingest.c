/*  ingest: takes PUBLISH batches from outbox relays.

    Group commit: everything that is waiting on the socket (up to a bound) is
    written in ONE LMDB transaction, then every sender gets its ACK and the
    events go out on fanout. An ACK names the highest seq committed for the
    producer, so a producer learns both what is safe to delete and, when
    its batch was cut short by a gap, where to resend from.

    An event that contradicts what the log holds for its producer (a seq
    re-used under another epoch, or a next seq that does not follow the
    logged one: a store restored from an older copy on one side) is not
    taken, nor anything after it in the batch; the ACK says refused with
    the reason, and the broker raises a problem that `rcmqctl status`
    shows until the producer's events are taken again.

    Before a batch joins the group it must pass producers.c: the key of the
    connection, as the registry holds it now, decides which producer names
    and streams it may write. Each access event taken is applied to the
    broker's copy of the registry in the same transaction (registry.c). A
    refused batch is answered REFUSED (with the reason) and logged, never
    committed.
*/
#include "broker.h"
#include "clock.h"
#include "log.h"
#include "transport.h"

#define INGEST_MAX_MESSAGES 256
//  A group's batches also stop at this many bytes of PUBLISH bodies. What
//  a group holds is held several times over until its commit (the bodies,
//  their events unpacked in the arena, LMDB's dirty pages of the log, the
//  fan-out frames), and LMDB and malloc keep the peak for reuse: 256
//  relay batches of 500 events made groups of ~70 MB of events under load
//  and a broker of 230-400 MB of RssAnon (issue 19 asks at most 256 MB at
//  1M claims). What is left waits in the socket for the next group; the
//  relays' windows bound that (docs/performance.md, session 8).
#define INGEST_GROUP_BYTES  (8 * 1024 * 1024)
//  The producer name is an LMDB key (dedup table), and LMDB refuses keys
//  over 511 bytes with MDB_BAD_VALSIZE, which would abort the whole group
//  commit and so the good batches committed with it. Stream names have the
//  same bound in the eventlog.
#define INGEST_MAX_PRODUCER 200

//  The group's batches are unpacked into an arena: protobuf-c allocates
//  every string and bytes field of every event on its own (some six
//  mallocs and frees an event, ~15 % of the broker's CPU with malloc's
//  page faults); from blocks of the arena each costs a bump of a pointer,
//  and all are given back at once when the group has been acked and
//  published. Nothing of a batch outlives broker_ingest_on_input.
//  codec's arena, so that its reader of an Event reads the batch's events
//  into it (eventlog_read_batch); it keeps a block across resets.
static codec_arena_t *s_arena;

typedef struct {
    zframe_t *routing_id;
    zframe_t *body;             //  the packed batch, which packed [] points into
    PublishBatch *batch;
    const uint8_t **packed;     //  each event as its producer packed it (in the
    size_t *packed_sizes;       //  arena), or NULL: eventlog_take packs afresh
    size_t *seq_offsets;        //  where each one's stream seq goes, or NULL: unknown
    uint64_t refused_seq;       //  0: nothing refused
    char *reason;
    size_t taken;
} s_message_t;

typedef struct {
    broker_t *broker;
    s_message_t *messages;
    size_t count;
} s_commit_t;

static int
s_commit (store_t *store, MDB_txn *txn, void *arg)
{
    s_commit_t *commit = (s_commit_t *) arg;
    eventlog_t *log = commit->broker->log;
    eventlog_begin (log);
    for (size_t m = 0; m < commit->count; m++) {
        s_message_t *message = &commit->messages [m];
        PublishBatch *batch = message->batch;
        //  A retried attempt starts over.
        message->refused_seq = 0;
        message->taken = 0;
        zstr_free (&message->reason);
        for (size_t i = 0; i < batch->n_events; i++) {
            Event *event = batch->events [i];
            //  The batch's producer field is what the relay speaks for.
            if (!event->producer || !streq (event->producer, batch->producer))
                break;
            eventlog_outcome_t outcome;
            int rc = eventlog_take_at (log, txn, event, message->packed? message->packed [i]: NULL,
                                       message->packed? message->packed_sizes [i]: 0,
                                       message->seq_offsets? message->seq_offsets [i]
                                                           : EVENTLOG_SEQ_OFFSET_UNKNOWN, &outcome);
            if (rc)
                return rc;
            if (outcome == EVENTLOG_TAKEN) {
                message->taken++;
                //  An access event changes who may connect: the copy
                //  learns it in the transaction that logs it.
                rc = broker_registry_take (commit->broker, txn, event);
                if (rc)
                    return rc;
            }
            if (outcome == EVENTLOG_DIVERGED) {
                message->refused_seq = event->producer_seq;
                message->reason = strdup (eventlog_reason (log));
                break;
            }
            if (outcome == EVENTLOG_OUT_OF_ORDER)
                break;          //  the rest of this batch waits for a resend
        }
    }
    return eventlog_flush (log, txn);
}

static void
s_ack (broker_t *self, s_message_t *message)
{
    PublishBatch *batch = message->batch;
    PublishAck ack = PUBLISH_ACK__INIT;
    ack.producer = batch->producer;
    ack.acked_seq = eventlog_producer_acked (self->log, batch->producer);
    ack.batch_last_seq = batch->n_events? batch->events [batch->n_events - 1]->producer_seq: 0;
    if (message->refused_seq) {
        ack.refused = true;
        ack.refused_seq = message->refused_seq;
        ack.reason = message->reason;
        if (problems_raise (self->problems, "producer_diverged", batch->producer,
                            message->refused_seq, "%s", message->reason))
            log_error ("ingest: producer's events contradict the log, refused",
                       "producer", json_string (batch->producer),
                       "seq", json_integer ((json_int_t) message->refused_seq),
                       "reason", json_string (message->reason), NULL);
    }
    else
    if (message->taken
    &&  problems_clear (self->problems, "producer_diverged", batch->producer))
        log_info ("ingest: producer's events are taken again", "producer",
                  json_string (batch->producer), NULL);
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &message->routing_id);
    zmsg_addstr (msg, "ACK");
    zframe_t *frame = codec_encode (&ack);
    zmsg_append (msg, &frame);
    zmsg_send (&msg, self->ingest);
    zmsg_destroy (&msg);

    uint64_t *seen = (uint64_t *) zhashx_lookup (self->producers_seen, batch->producer);
    if (!seen) {
        seen = (uint64_t *) malloc (sizeof (uint64_t));
        zhashx_insert (self->producers_seen, batch->producer, seen);
    }
    *seen = clock_now_ms ();
}

//  A batch the connection's key may not publish: answered and logged, so the
//  sender and the operator both learn why nothing was taken. True when
//  refused (the routing id is then consumed).
static bool
s_refused (broker_t *self, zframe_t **routing_id_p, zframe_t *body, const PublishBatch *batch)
{
    //  Revocations bite on open connections too: the key is looked up in
    //  the registry copy for every batch (producers.c).
    const char *key = transport_peer_key (body);
    char reason [512];
    const char *stream;
    if (broker_producer_check (self, key, batch, &stream, reason, sizeof reason) == 0)
        return false;
    log_warn ("ingest: batch refused", "reason", json_string (reason), "key", json_string (key? key: ""),
              "producer", json_string (batch->producer), "stream", json_string (stream),
              "events", json_integer ((json_int_t) batch->n_events), NULL);
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, routing_id_p);
    zmsg_addstr (msg, "REFUSED");
    zmsg_addstr (msg, reason);
    zmsg_send (&msg, self->ingest);
    zmsg_destroy (&msg);
    return true;
}

int
broker_ingest_on_input (zloop_t *loop, zsock_t *socket, void *arg)
{
    broker_t *self = (broker_t *) arg;
    s_message_t messages [INGEST_MAX_MESSAGES];
    size_t count = 0, received = 0, bytes = 0;
    if (!s_arena) {
        s_arena = codec_arena_new ();
        //  Each batch's frame is kept until the group is published: an
        //  event's payload points into it, as it did before codec read it.
        s_arena->borrow = true;
    }
    ProtobufCAllocator *allocator = &s_arena->allocator;
    while (count < INGEST_MAX_MESSAGES && bytes < INGEST_GROUP_BYTES) {
        //  Only the first read may wait (zloop saw input); the rest take
        //  what is there, refused messages counted too.
        if (received++ > 0 && !(zsock_events (socket) & ZMQ_POLLIN))
            break;
        zmsg_t *msg = zmsg_recv (socket);
        if (!msg)
            break;
        zframe_t *routing_id = zmsg_pop (msg);
        char *command = zmsg_popstr (msg);
        zframe_t *body = zmsg_pop (msg);
        bytes += body? zframe_size (body): 0;
        //  Read from its tags (the events' own bytes found on the way),
        //  or unpacked when it is not as protobuf-c packs a relay's batch.
        bool publish = command && streq (command, "PUBLISH") && body;
        const uint8_t **packed = NULL;
        size_t *packed_sizes = NULL, *seq_offsets = NULL;
        PublishBatch *batch = publish
            ? eventlog_read_batch (zframe_data (body), zframe_size (body), s_arena, &packed, &packed_sizes,
                                   &seq_offsets)
            : NULL;
        if (publish && !batch)
            batch = (PublishBatch *) protobuf_c_message_unpack (&publish_batch__descriptor, allocator,
                                                                zframe_size (body), zframe_data (body));
        if (batch && batch->producer && *batch->producer
        &&  strlen (batch->producer) <= INGEST_MAX_PRODUCER) {
            if (s_refused (self, &routing_id, body, batch)) {
                free (command);
                zframe_destroy (&body);
                zmsg_destroy (&msg);
                continue;
            }
            //  The events' own bytes, so the log stores them as they came
            //  (with the stream seq put in) instead of packing each again.
            if (!packed && batch->n_events) {
                packed = (const uint8_t **) allocator->alloc (allocator->allocator_data, batch->n_events * sizeof (uint8_t *));
                packed_sizes = (size_t *) allocator->alloc (allocator->allocator_data, batch->n_events * sizeof (size_t));
                if (!packed || !packed_sizes
                ||  eventlog_packed_events (zframe_data (body), zframe_size (body), packed, packed_sizes,
                                            batch->n_events) != batch->n_events)
                    packed = NULL;
            }
            messages [count] = (s_message_t) { routing_id, body, batch, packed, packed_sizes,
                                               packed? seq_offsets: NULL, 0, NULL, 0 };
            body = NULL;
            count++;
        }
        else {
            log_warn ("ingest: message is not a PUBLISH batch with a usable producer name, dropped",
                      "command", json_string (command? command: ""),
                      "bytes", json_integer (body? (json_int_t) zframe_size (body): 0), NULL);
            zframe_destroy (&routing_id);
        }
        free (command);
        zframe_destroy (&body);
        zmsg_destroy (&msg);
    }
    if (count == 0) {
        codec_arena_reset (s_arena);
        return 0;
    }

    s_commit_t commit = { self, messages, count };
    int64_t began_us = zclock_usecs ();
    int committed = store_write (self->store, s_commit, &commit);
    if (self->commit_latency)
        expo_histogram_observe (self->commit_latency, (double) (zclock_usecs () - began_us) / 1e6);
    if (committed == 0) {
        size_t entries;
        const eventlog_entry_t *entry = eventlog_committed (self->log, &entries);
        for (size_t m = 0; m < count; m++)
            s_ack (self, &messages [m]);
        broker_publish (self, entry, entries);
        eventlog_published (self->log);
    }
    else
        //  No ack: the relays resend, and nothing was half-applied.
        log_error ("ingest: commit failed", "error", json_string (store_error (self->store)), NULL);
    for (size_t m = 0; m < count; m++) {
        zframe_destroy (&messages [m].routing_id);
        zframe_destroy (&messages [m].body);
        zstr_free (&messages [m].reason);
    }
    //  Every batch of the group lived in the arena.
    codec_arena_reset (s_arena);
    return 0;
}
