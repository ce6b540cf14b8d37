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

#endif
