/*  fanout: the one-frame message the broker publishes for each event.

        topic ‖ 0x00 ‖ stream seq (8 bytes, big-endian) ‖ packed Event

    The topic ("stream.type", or "$hb" for heartbeats whose body is a
    Heartbeat) leads the frame, so SUB prefix subscriptions ("claims.")
    filter on it. One frame, not three: over CURVE every frame is encrypted
    on its own for every subscriber, and that was most of the fan-out cost.

    Several events of one stream committed together go out as ONE frame
    (docs/adr/0048), since CURVE's cost is per message as much as per byte:

        stream "." ‖ 0x00 ‖ 0 (8 bytes) ‖ { length (4 bytes, big-endian) ‖ packed Event } ...

    The topic "stream." still matches a consumer's "stream." subscription;
    seq 0 (which no event has: seqs start at 1; a heartbeat has "$hb") says
    the body is a batch. Each packed Event carries its own stream_seq, in
    ascending order, so the consumer takes each as it took a frame of one.

    A consumer that applies only some types of a stream subscribes to its
    filter topic instead (docs/adr/0058): "stream?type,type" with the types
    sorted, and the topic's 0x00 in the subscription, so ZeroMQ's prefix
    match is an exact one. For each commit group with events of the stream
    the broker then sends, per filter, frames of

        filter topic ‖ 0x00 ‖ last (8 bytes) ‖ first (8 bytes) ‖ { length (4) ‖ packed Event } ...

    which cover the seqs first..last of the stream: every event among them
    of the filter's types is in the frame, the others are not (a frame
    with no events still covers its range, so the consumer's offset moves).
*/
#ifndef RCMQ_FANOUT_H
#define RCMQ_FANOUT_H

#include <czmq.h>

#define FANOUT_HEARTBEAT "$hb"
//  A batch frame holds at most this many events and body bytes (an event
//  larger than that goes alone): it bounds what one frame holds in the
//  broker's queue and in a consumer's (BROKER_FANOUT_HWM counts frames).
#define FANOUT_BATCH_EVENTS 64
#define FANOUT_BATCH_BYTES  (16 * 1024)

zframe_t *fanout_frame (const char *topic, uint64_t seq, const uint8_t *data, size_t size);
//  The frame of an event of `stream` and `type` (topic "stream.type") with
//  room for `size` bytes of packed Event at *payload, for the caller to
//  pack into: the broker packs each event once, straight into the frame it
//  will send, and stores those same bytes (no copy, no second buffer).
zframe_t *fanout_frame_new (const char *stream, const char *type, uint64_t seq, size_t size,
                            uint8_t **payload);
//  Splits a frame; returns 0, or -1 when it is not one of ours. topic
//  points into the frame (NUL-terminated there).
int       fanout_parse (zframe_t *frame, const char **topic, uint64_t *seq,
                        const uint8_t **data, size_t *size);

//  A batch frame of count events of stream (packed Events at data [i],
//  sizes [i] bytes; ascending stream_seq), laid out as above.
zframe_t *fanout_batch (const char *stream, const uint8_t *const *data, const size_t *sizes,
                        size_t count);
//  True for a frame fanout_parse split whose body is a batch.
bool      fanout_is_batch (const char *topic, uint64_t seq);
//  The next event of a batch body (fanout_parse's data and size): *offset
//  starts at 0. Returns 1 with the event's bytes, 0 at the end, -1 when
//  the body is cut short (a record's length runs past its end).
int       fanout_batch_next (const uint8_t *body, size_t size, size_t *offset,
                             const uint8_t **data, size_t *data_size);

//  The filter topic of stream and types (count of them, any order; none is
//  a filter that takes no event, only coverage): "stream?a,b" with the
//  types sorted and repeats dropped. Returns its length, or -1 when it
//  does not fit in size bytes (with its NUL).
int       fanout_filter_topic (const char *stream, const char *const *types, size_t count,
                               char *topic, size_t size);
//  True for a filter topic ("stream?...").
bool      fanout_is_filtered (const char *topic);
//  A filtered frame on topic covering first..last, holding count events
//  (packed at data [i], sizes [i] bytes, ascending seqs inside the range).
zframe_t *fanout_filtered (const char *topic, uint64_t first, uint64_t last,
                           const uint8_t *const *data, const size_t *sizes, size_t count);
//  Splits what fanout_parse gave for a filtered frame (its seq is last):
//  0 with first and the events' body (for fanout_batch_next), or -1 when
//  it is cut short or its range is empty.
int       fanout_filtered_range (uint64_t last, const uint8_t *data, size_t size, uint64_t *first,
                                 const uint8_t **body, size_t *body_size);
//  Where each type a filter topic ("stream?a,b", as fanout_filter_topic
//  made it) names is in the topic, empty ones included: parsed once by a
//  holder of the filter (the broker, at its subscription). *count types;
//  NULL when topic is no filter topic. Free with free.
typedef struct {
    size_t offset;              //  of the type's name in the topic
    size_t length;
} fanout_type_t;
fanout_type_t *fanout_filter_types (const char *topic, size_t *count);
//  True when type is one of types (fanout_filter_types of topic).
bool      fanout_types_take (const char *topic, const fanout_type_t *types, size_t count,
                             const char *type, size_t type_len);
//  True when type is one a filter topic names (both of the above).
bool      fanout_filter_takes (const char *topic, const char *type, size_t type_len);

#endif
