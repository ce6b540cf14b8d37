/*  fanout: the one-frame message the broker publishes for each event.

        topic ‖ 0x00 ‖ stream seq (8 bytes, big-endian) ‖ packed Event

    The topic ("stream.type", or "$hb" for heartbeats whose body is a
    Heartbeat) leads the frame, so SUB prefix subscriptions ("claims.")
    filter on it. One frame, not three: over CURVE every frame is encrypted
    on its own for every subscriber, and that was most of the fan-out cost.
*/
#ifndef RCMQ_FANOUT_H
#define RCMQ_FANOUT_H

#include <czmq.h>

#define FANOUT_HEARTBEAT "$hb"

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

#endif
