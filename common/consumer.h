/*  consumer: applies a set of broker streams exactly once, in order.

    For each stream the consumer keeps the last sequence it applied in its
    store's "offsets" table, written in the SAME transaction as the effect of
    the events, so a consumer killed at any instant resumes exactly where its
    last commit left it. Live events come from the broker's fanout (SUB);
    whenever a sequence is missing (start, slow joiner, a drop at the
    publisher's high-water mark, a broker restart) the consumer fetches the
    missing range from the broker's replay socket before it applies more.
    Broker heartbeats carry every stream's head, so a lost tail is noticed
    too, and a silent broker makes the consumer reconnect.

    An event that cannot be applied stops its stream there: the offset
    stays just before it, later events of that stream wait, other streams
    go on (nothing is ever skipped on its own). The consumer raises the
    problem "stream_stopped" (subject the stream, seq the event) and logs
    it once, then retries it now and then, with a growing pause and without
    logging; if a retry applies it, the problem clears. An operator can set
    the event aside instead (consumer_set_aside, `rcmqctl deadletter skip`):
    it is recorded in the "deadletter" table and the offset moves past it in
    one transaction. docs/operations.md, "A stream stopped on an event".

    A broker whose store is another one (its id differs from the one the
    consumer remembers) or older than the consumer's (a stream's head below
    the consumer's offset) stops the consumer, or that stream, with a
    problem (consumer_problems) rather than skipping the events it numbers
    again; consumer_reset (a replay from seq 1) is the way back.
*/
#ifndef RCMQ_CONSUMER_H
#define RCMQ_CONSUMER_H

#include <czmq.h>
#include <stdbool.h>
#include "store.h"
#include "codec.h"
#include "problems.h"
#include "deadletter.pb-c.h"

#define CONSUMER_TABLES "offsets", "deadletter"

//  Applies one event inside txn. Returns 0, or an LMDB error / -1 (after
//  store_fail saying why) when it cannot: the stream then stops at this
//  event. An error a retry may cure (a store resource ran out: ENOSPC,
//  EIO, MDB_TXN_FULL ...) is told apart from one it cannot (-1, the handler
//  refused the event; MDB_BAD_VALSIZE ...) only in what the problem
//  advises: either way the consumer retries now and then.
typedef int (consumer_apply_fn) (store_t *store, MDB_txn *txn, const Event *event, void *arg);

//  A service's event table (one entry per stream and type it acts on), as
//  server_method_t is its request table: consumer_dispatch finds the entry,
//  decodes the payload with its descriptor, calls the handler with the
//  message and frees it. The handler gets the decoded message (never NULL,
//  freed after it returns) and the service's state; it returns as a
//  consumer_apply_fn does. The message is decoded into an arena (codec.h,
//  docs/adr/0051): read it, or lend parts of it and take them back before
//  returning; never keep, codec_free or edit it (codec_copy what must stay).
typedef int (consumer_handler_fn) (store_t *store, MDB_txn *txn, const Event *event,
                                   const void *message, void *state);
//  The types of work-item events (<stream>.work.<event>, WorkEvent payloads,
//  common/workitem.h): a NULL-type entry does not take them, an entry
//  naming one does.
#define CONSUMER_WORK_PREFIX "work."

typedef struct {
    const char *stream;
    const char *type;                               //  NULL: every type of the stream but work.*
    //  What every such payload is. NULL: the handler reads the payload
    //  itself (its message is NULL), e.g. only the fields it uses with
    //  codec_arena_decode_fields, and refuses one that does not decode
    //  with consumer_refuse_payload.
    const ProtobufCMessageDescriptor *descriptor;
    consumer_handler_fn *handler;
} consumer_event_t;

//  The refusal of a payload that does not decode as type: store_fail
//  naming stream, type and seq (-1), as consumer_dispatch refuses one.
int         consumer_refuse_payload (store_t *store, const Event *event,
                                     const ProtobufCMessageDescriptor *type);

//  Applies event through events ({ NULL }-terminated, may be NULL): 0 for
//  an event no entry names (its stream is only kept in step), else the
//  handler's result. A payload that does not decode as its entry says is
//  refused (-1 after store_fail naming stream, type and seq), so the
//  stream stops there as for any event that cannot be applied (docs/adr/
//  0009): skipping it would lose its effect without anyone deciding so.
int         consumer_dispatch (const consumer_event_t *events, store_t *store, MDB_txn *txn,
                               const Event *event, void *state);

//  Called after each committed batch (e.g. to kick the relay).
typedef void (consumer_committed_fn) (void *arg);

//  Called inside each batch's transaction (arg is the apply function's):
//  with end false before its first event, again each time the transaction
//  is run anew (store_write after growing the map); with end true after
//  its last event, before the offset is written and the commit. A batch
//  an event fails aborts without the end call. For a service that holds
//  what a batch changes in memory and writes it once (metrics, docs/adr/
//  0062): the start drops whatever an aborted run left. Returns as a
//  consumer_apply_fn does.
typedef int (consumer_batch_fn) (store_t *store, MDB_txn *txn, bool end, void *arg);

typedef struct _consumer_t consumer_t;

//  streams: NULL-terminated names. name identifies the consumer to the broker.
//  NULL when the stored offsets cannot be read (the reason in store_error()).
consumer_t *consumer_new (store_t *store, const char *name, const char *const *streams,
                          consumer_apply_fn *apply, void *arg);
void        consumer_destroy (consumer_t **self_p);
//  Takes only the events of these types (count of them; none: no event)
//  of stream (docs/adr/0058): the broker sends the consumer those and the
//  seqs they cover, fetches bring only those, and the offset moves over
//  the others without seeing them. Before consumer_connect. 0, or -1 for
//  a stream it does not consume or types too long for a topic.
int         consumer_filter (consumer_t *self, const char *stream, const char *const *types,
                             size_t count);
//  Filters each stream by the types events ({ NULL }-terminated, may be
//  NULL; what consumer_dispatch applies) name for it: a stream with an entry
//  for every type (type NULL) or named in whole (NULL-terminated, may be
//  NULL) is taken whole, one with no entry takes no event (only its
//  offset moves). One source of truth: the table that applies the events.
void        consumer_filter_table (consumer_t *self, const consumer_event_t *events,
                                   const char *const *whole);
void        consumer_on_commit (consumer_t *self, consumer_committed_fn *fn);
void        consumer_on_batch (consumer_t *self, consumer_batch_fn *fn);
//  Connects to the broker's fanout and replay endpoints (CURVE client).
int         consumer_connect (consumer_t *self, const char *fanout, const char *replay,
                              const char *broker_key, zcert_t *cert);
int         consumer_attach (consumer_t *self, zloop_t *loop);
//  Forgets every offset in memory and replays each stream from seq 1. For
//  a service that has just wiped its own effects and the "offsets" table in
//  a committed transaction (metrics.Rebuild); call it only after that commit.
void        consumer_reset (consumer_t *self);
//  The last sequence applied for a stream (0 = none).
uint64_t    consumer_offset (consumer_t *self, const char *stream);
//  True when the stream (or the whole consumer) stopped on a broker log
//  that is not the one it applied from.
bool        consumer_stopped (consumer_t *self, const char *stream);
//  How the consumer takes stream: NULL when it does not consume it, else
//  its name when it takes it whole, or "stream?type,..." (fanout.h) when
//  filtered to those types ("stream?": none).
const char *consumer_topic (consumer_t *self, const char *stream);
//  The head the broker last announced for a stream.
uint64_t    consumer_known_head (consumer_t *self, const char *stream);
size_t      consumer_stream_count (consumer_t *self);
const char *consumer_stream_name (consumer_t *self, size_t index);
bool        consumer_connected (consumer_t *self);
uint64_t    consumer_applied_total (consumer_t *self);
//  What the consumer found wrong (status shows it); owned by the consumer.
problems_t *consumer_problems (consumer_t *self);
//  The seq a stream is stopped at, 0 while it runs.
uint64_t    consumer_stopped_at (consumer_t *self, const char *stream);

//  Sets aside the event stream is stopped at, inside txn (a request's):
//  writes its record to "deadletter" (the event's bytes, the error, actor,
//  reason, time) and moves the offset past it. Returns 0 or an LMDB error
//  for the caller's transaction; *status says whether it was done, and when
//  not (the stream is not stopped at seq, no reason ...) error says why.
//  On STATUS__OK, *record_p is the record (free with codec_free). Memory
//  follows only once the transaction committed: call consumer_reload then.
int         consumer_set_aside (consumer_t *self, MDB_txn *txn, const char *stream,
                                uint64_t seq, const char *actor, const char *reason,
                                uint64_t time_ms, Status *status, char *error,
                                size_t error_size, DeadletterRecord **record_p);
//  After a commit: a stream whose stored offset moved past the event it was
//  stopped at (consumer_set_aside) goes on from there.
void        consumer_reload (consumer_t *self);
//  Every record in txn's "deadletter" table, by stream then seq: an array
//  of *n_p (free each with codec_free, then the array). 0 or an LMDB error.
int         consumer_deadletters (store_t *store, MDB_txn *txn, DeadletterRecord ***records_p,
                                  size_t *n_p);
//  A record's key as the text that names it in pages and audit records,
//  "STREAM#SEQ" (heap), and back: 0, or -1 for text that names no record
//  (no '#', an empty stream, a seq that is not a whole number). The pair
//  store_page_read needs for the deadletter table (store_page_query_t).
char       *consumer_deadletter_id (const MDB_val *key);
int         consumer_deadletter_key (const char *id, uint8_t *key, size_t size, size_t *key_size);

#endif
