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
//  Splits a frame; returns 0, or -1 when it is not one of ours. topic
//  points into the frame (NUL-terminated there).
int       fanout_parse (zframe_t *frame, const char **topic, uint64_t *seq,
                        const uint8_t **data, size_t *size);

#endif
