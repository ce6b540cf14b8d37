/*  fanout: see fanout.h. */
#include "fanout.h"
#include "store.h"

zframe_t *
fanout_frame (const char *topic, uint64_t seq, const uint8_t *data, size_t size)
{
    size_t topic_len = strlen (topic);
    zframe_t *frame = zframe_new (NULL, topic_len + 1 + 8 + size);
    uint8_t *out = zframe_data (frame);
    memcpy (out, topic, topic_len + 1);
    store_u64_write (out + topic_len + 1, seq);
    if (size)
        memcpy (out + topic_len + 9, data, size);
    return frame;
}

zframe_t *
fanout_frame_new (const char *stream, const char *type, uint64_t seq, size_t size, uint8_t **payload)
{
    size_t stream_len = strlen (stream), type_len = type? strlen (type): 0;
    size_t topic_len = stream_len + 1 + type_len;
    zframe_t *frame = zframe_new (NULL, topic_len + 1 + 8 + size);
    uint8_t *out = zframe_data (frame);
    memcpy (out, stream, stream_len);
    out [stream_len] = '.';
    if (type_len)
        memcpy (out + stream_len + 1, type, type_len);
    out [topic_len] = 0;
    store_u64_write (out + topic_len + 1, seq);
    *payload = out + topic_len + 9;
    return frame;
}

int
fanout_parse (zframe_t *frame, const char **topic, uint64_t *seq, const uint8_t **data, size_t *size)
{
    const uint8_t *bytes = zframe_data (frame);
    size_t length = zframe_size (frame);
    const uint8_t *end = length? (const uint8_t *) memchr (bytes, 0, length): NULL;
    if (!end || (size_t) (end - bytes) + 9 > length)
        return -1;
    *topic = (const char *) bytes;
    *seq = store_u64_read (end + 1);
    *data = end + 9;
    *size = length - (size_t) (end - bytes) - 9;
    return 0;
}
