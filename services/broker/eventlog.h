/*  eventlog: the broker's durable, replayable log (DESIGN §2).

    Tables in the broker's store:
        events     stream ‖ 0x00 ‖ be64 stream seq  -> packed Event
        heads      stream -> be64 newest seq
        firsts     stream -> be64 oldest seq kept (retention)
        producers  producer -> be64 highest producer seq committed
        producer_epochs  producer -> be64 epoch of that newest event
        epochs     producer ‖ 0x00 ‖ be64 epoch -> be64 first ‖ be64 last seq
                   taken under that epoch

    Producer epochs (docs/adr/0007-store-rollback-detection.md) tell a
    true duplicate from a re-used number: a seq at or below acked is a
    duplicate only when the event's epoch took that seq; the next seq must
    name as prev_epoch the epoch of the event the log holds at acked.
    Anything else is a divergence: one side's store was restored from an
    older copy, and the log takes nothing more of that producer.

    Writes happen inside a store_write: eventlog_begin clears the scratch
    state of the attempt, eventlog_take / eventlog_append add events, and
    after the commit eventlog_committed makes the scratch state the
    committed state and hands back what must now be published. If the
    transaction is retried (map growth) or fails, nothing leaks: the next
    eventlog_begin starts clean from the committed state.
*/
#ifndef RCMQ_EVENTLOG_H
#define RCMQ_EVENTLOG_H

#include "store.h"
#include "codec.h"

#define EVENTLOG_TABLES "events", "heads", "firsts", "producers", "producer_epochs", "epochs"

typedef struct _eventlog_t eventlog_t;

//  One event ready to publish after commit. Its bytes are laid out as its
//  single-event fanout frame (common/fanout.h): topic ‖ 0 ‖ be64 seq ‖
//  packed Event, in blocks the log keeps for the attempt (no frame, entry
//  or list node allocated per event); topic and data point into them.
typedef struct {
    const char *topic;          //  "stream.type", where the frame's bytes start
    size_t topic_len;
    size_t stream_len;          //  of the stream's name at the topic's start
    uint64_t seq;
    const uint8_t *data;        //  packed Event (stream_seq set), as stored
    size_t size;
} eventlog_entry_t;

eventlog_t *eventlog_new (store_t *store);
void        eventlog_destroy (eventlog_t **self_p);

void        eventlog_begin (eventlog_t *self);
typedef enum {
    EVENTLOG_TAKEN,             //  logged with the next stream seq
    EVENTLOG_DUPLICATE,         //  committed before: dropped
    EVENTLOG_OUT_OF_ORDER,      //  skips past acked + 1: the producer resends
    EVENTLOG_INVALID,           //  no usable stream name: dropped, logged, acked
    EVENTLOG_DIVERGED           //  contradicts the log (see above): not taken,
                                //  eventlog_reason says why
} eventlog_outcome_t;

//  Takes a producer's event if it is the next one (producer_seq = acked+1).
//  packed (NULL: none) is the event as the producer packed it, which the
//  log stores with the stream seq put in, instead of packing the unpacked
//  event again. Returns 0 with the outcome, or an LMDB error for
//  store_write.
int         eventlog_take (eventlog_t *self, MDB_txn *txn, Event *event,
                           const uint8_t *packed, size_t packed_size,
                           eventlog_outcome_t *outcome);
//  As eventlog_take, packed's stream seq put at seq_offset (as
//  eventlog_read_batch found it) instead of where a walk over its fields
//  finds it; EVENTLOG_SEQ_OFFSET_UNKNOWN: walked as eventlog_take does.
#define EVENTLOG_SEQ_OFFSET_UNKNOWN SIZE_MAX
int         eventlog_take_at (eventlog_t *self, MDB_txn *txn, Event *event,
                              const uint8_t *packed, size_t packed_size, size_t seq_offset,
                              eventlog_outcome_t *outcome);
//  The packed Events of a packed PublishBatch (its field 2), in order, at
//  events [i], sizes [i]: returns how many, 0 when there are more than max
//  or the bytes are not a batch (eventlog_take then packs afresh).
size_t      eventlog_packed_events (const uint8_t *data, size_t size, const uint8_t **events,
                                    size_t *sizes, size_t max);
//  A packed PublishBatch read without protobuf-c's unpack: the batch and
//  its Events in the arena (each Event read by codec_arena_decode_event),
//  and each event's packed
//  bytes at (*events_p) [i], (*sizes_p) [i]. Only for the bytes protobuf-c
//  packs for an event of a producer (each known field at most once, in
//  field order, no stream seq, nothing unknown; a producer before the
//  events): anything else gives NULL, and the caller unpacks as before.
//  What it reads is what protobuf_c_message_unpack gives for those bytes.
//  (*seq_offsets_p) [i] is where in its bytes the event's stream seq goes,
//  for eventlog_take_at.
PublishBatch *eventlog_read_batch (const uint8_t *data, size_t size, codec_arena_t *arena,
                                   const uint8_t ***events_p, size_t **sizes_p,
                                   size_t **seq_offsets_p);
//  Why the last event was refused as EVENTLOG_DIVERGED, naming both sides.
const char *eventlog_reason (eventlog_t *self);
//  Appends an event of the broker's own (no producer dedup). Returns 0, an
//  LMDB error, or EINVAL for an unusable stream name.
int         eventlog_append (eventlog_t *self, MDB_txn *txn, Event *event);
//  Writes the attempt's new heads, first seqs and producer seqs into their
//  tables: once per transaction, not once per event. Call it last, before
//  the commit. Returns 0 or an LMDB error.
int         eventlog_flush (eventlog_t *self, MDB_txn *txn);
//  After a successful commit: returns the entries to publish, in the order
//  taken (*count of them), and makes the attempt's state committed. The
//  entries and their bytes stay valid until eventlog_published or the next
//  eventlog_begin.
const eventlog_entry_t *eventlog_committed (eventlog_t *self, size_t *count);
//  Drops the committed entries and gives their blocks back (one is kept
//  for the next attempt).
void        eventlog_published (eventlog_t *self);
//  The entry's single-event fanout frame (a copy of its bytes).
zframe_t   *eventlog_entry_frame (const eventlog_entry_t *entry);

//  Committed figures.
uint64_t    eventlog_producer_acked (eventlog_t *self, const char *producer);
//  The epoch of the producer's newest event (0: none recorded).
uint64_t    eventlog_producer_epoch (eventlog_t *self, const char *producer);
uint64_t    eventlog_head (eventlog_t *self, const char *stream);
uint64_t    eventlog_first (eventlog_t *self, const char *stream);
//  Stream names, for heartbeats and status (caller destroys the list).
zlistx_t   *eventlog_streams (eventlog_t *self);
zlistx_t   *eventlog_producers (eventlog_t *self);

//  Reads up to max events of a stream from seq on, at most max_bytes of
//  payload. Returns Events (caller frees each with codec_free), count in *n.
Event     **eventlog_fetch (eventlog_t *self, const char *stream, uint64_t from_seq,
                            size_t max, size_t max_bytes, size_t *n);
//  As eventlog_fetch, but only events whose type is one of types (n_types
//  of them; ADR 58), looking at no more than max_scan events. *through is
//  the last seq it looked at: every seq from from_seq through it is
//  covered, taken or not (the stream's head when it reached the end).
Event     **eventlog_fetch_types (eventlog_t *self, const char *stream, uint64_t from_seq,
                                  char *const *types, size_t n_types, size_t max,
                                  size_t max_bytes, size_t max_scan, size_t *n, uint64_t *through);
//  Deletes events older than cutoff_ms (time_ms), at most limit per call.
//  Returns the number deleted, -1 on error.
int64_t     eventlog_prune (eventlog_t *self, uint64_t cutoff_ms, size_t limit);

#endif
