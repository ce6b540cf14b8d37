/*  denialpack: see denialpack.h. */
#include "denialpack.h"
#include "codec.h"

#include <string.h>

//  DenialItem.history's number and its tag (wire type 2).
#define S_HISTORY_FIELD 34
#define S_HISTORY_TAG   ((S_HISTORY_FIELD << 3) | 2)

size_t
denialpack_history_size (const DenialItem *item)
{
    uint8_t head [10];
    size_t size = 0;
    for (size_t i = 0; i < item->n_history; i++) {
        size_t entry = protobuf_c_message_get_packed_size (&item->history [i]->base);
        size += codec_write_varint (head, S_HISTORY_TAG) + codec_write_varint (head, entry) + entry;
    }
    return size;
}

void
denialpack_stored (const DenialItem *item, const uint8_t *light, size_t light_size, uint8_t *out)
{
    //  Where field 34 goes: before the first field numbered above it.
    const uint8_t *at = light, *end = light + light_size, *split = end;
    codec_wire_field_t field;
    while (at < end && codec_wire_next (&at, end, &field))
        if (field.number > S_HISTORY_FIELD) {
            split = field.start;
            break;
        }
    size_t before = (size_t) (split - light);
    memcpy (out, light, before);
    out += before;
    for (size_t i = 0; i < item->n_history; i++) {
        out += codec_write_varint (out, S_HISTORY_TAG);
        out += codec_write_varint (out, protobuf_c_message_get_packed_size (&item->history [i]->base));
        out += protobuf_c_message_pack (&item->history [i]->base, out);
    }
    memcpy (out, split, light_size - before);
}

