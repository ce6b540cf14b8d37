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

//  A batch body's records: each length (4 bytes, big-endian), then its
//  packed Event; out has room for them all.
static void
s_write_records (uint8_t *out, const uint8_t *const *data, const size_t *sizes, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint32_t size = (uint32_t) sizes [i];
        out [0] = (uint8_t) (size >> 24);
        out [1] = (uint8_t) (size >> 16);
        out [2] = (uint8_t) (size >> 8);
        out [3] = (uint8_t) size;
        memcpy (out + 4, data [i], sizes [i]);
        out += 4 + sizes [i];
    }
}

zframe_t *
fanout_batch (const char *stream, const uint8_t *const *data, const size_t *sizes, size_t count)
{
    size_t stream_len = strlen (stream), total = stream_len + 2 + 8;
    for (size_t i = 0; i < count; i++)
        total += 4 + sizes [i];
    zframe_t *frame = zframe_new (NULL, total);
    uint8_t *out = zframe_data (frame);
    memcpy (out, stream, stream_len);
    out [stream_len] = '.';
    out [stream_len + 1] = 0;
    store_u64_write (out + stream_len + 2, 0);
    out += stream_len + 10;
    s_write_records (out, data, sizes, count);
    return frame;
}

bool
fanout_is_batch (const char *topic, uint64_t seq)
{
    return seq == 0 && strcmp (topic, FANOUT_HEARTBEAT) != 0;
}

int
fanout_batch_next (const uint8_t *body, size_t size, size_t *offset, const uint8_t **data,
                   size_t *data_size)
{
    if (*offset == size)
        return 0;
    if (size - *offset < 4)
        return -1;
    const uint8_t *at = body + *offset;
    size_t length = (size_t) at [0] << 24 | (size_t) at [1] << 16 | (size_t) at [2] << 8 | at [3];
    if (length > size - *offset - 4)
        return -1;
    *data = at + 4;
    *data_size = length;
    *offset += 4 + length;
    return 1;
}

static int
s_compare_text (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

int
fanout_filter_topic (const char *stream, const char *const *types, size_t count, char *topic,
                     size_t size)
{
    const char **sorted = (const char **) malloc ((count + 1) * sizeof (char *));
    assert (sorted);
    if (count) {
        //  types may be NULL when there are none (a stream that takes no
        //  type): memcpy's source must not be, even for no bytes.
        memcpy (sorted, types, count * sizeof (char *));
        qsort (sorted, count, sizeof (char *), s_compare_text);
    }
    size_t length = (size_t) snprintf (topic, size, "%s?", stream);
    for (size_t i = 0; i < count && length < size; i++) {
        if (i > 0 && streq (sorted [i], sorted [i - 1]))
            continue;
        length += (size_t) snprintf (topic + length, size - length, "%s%s",
                                     length > strlen (stream) + 1? ",": "", sorted [i]);
    }
    free (sorted);
    return length < size? (int) length: -1;
}

bool
fanout_is_filtered (const char *topic)
{
    return strchr (topic, '?') != NULL;
}

zframe_t *
fanout_filtered (const char *topic, uint64_t first, uint64_t last, const uint8_t *const *data,
                 const size_t *sizes, size_t count)
{
    size_t topic_len = strlen (topic), total = topic_len + 1 + 16;
    for (size_t i = 0; i < count; i++)
        total += 4 + sizes [i];
    zframe_t *frame = zframe_new (NULL, total);
    uint8_t *out = zframe_data (frame);
    memcpy (out, topic, topic_len + 1);
    store_u64_write (out + topic_len + 1, last);
    store_u64_write (out + topic_len + 9, first);
    out += topic_len + 17;
    s_write_records (out, data, sizes, count);
    return frame;
}

int
fanout_filtered_range (uint64_t last, const uint8_t *data, size_t size, uint64_t *first,
                       const uint8_t **body, size_t *body_size)
{
    if (size < 8)
        return -1;
    *first = store_u64_read (data);
    if (*first == 0 || *first > last)
        return -1;
    *body = data + 8;
    *body_size = size - 8;
    return 0;
}

fanout_type_t *
fanout_filter_types (const char *topic, size_t *count)
{
    *count = 0;
    const char *at = strchr (topic, '?');
    if (!at)
        return NULL;
    size_t room = 1;
    for (const char *c = at; *c; c++)
        room += *c == ',';
    fanout_type_t *types = (fanout_type_t *) calloc (room, sizeof (fanout_type_t));
    assert (types);
    for (at++; *at; ) {
        size_t length = strcspn (at, ",");
        types [(*count)++] = (fanout_type_t) { (size_t) (at - topic), length };
        at += length;
        if (*at == ',')
            at++;
    }
    return types;
}

bool
fanout_types_take (const char *topic, const fanout_type_t *types, size_t count, const char *type,
                   size_t type_len)
{
    for (size_t t = 0; t < count; t++)
        if (types [t].length == type_len && memcmp (topic + types [t].offset, type, type_len) == 0)
            return true;
    return false;
}

bool
fanout_filter_takes (const char *topic, const char *type, size_t type_len)
{
    size_t count;
    fanout_type_t *types = fanout_filter_types (topic, &count);
    bool takes = types && fanout_types_take (topic, types, count, type, type_len);
    free (types);
    return takes;
}
