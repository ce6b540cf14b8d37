/*  wirekeep: see wirekeep.h. One walk over the top-level fields splits the
    bytes: the decoded fields are copied, in order, into one buffer (on the
    stack for a record of up to 8 KB) and unpacked; each kept field's value
    goes into an unknown field of its own, as protobuf-c itself stores a
    field its descriptor does not know.
*/
#include "wirekeep.h"
#include "codec.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static bool
s_kept (const uint32_t *keep, size_t n, uint64_t field)
{
    for (size_t i = 0; i < n; i++)
        if (keep [i] == field)
            return true;
    return false;
}

//  Adds an unknown field (its value's bytes copied) to message.
static void
s_hold (ProtobufCMessage *message, uint32_t field, ProtobufCWireType wire_type, const uint8_t *value,
        size_t size)
{
    ProtobufCMessageUnknownField *fields = (ProtobufCMessageUnknownField *)
        realloc (message->unknown_fields, (message->n_unknown_fields + 1) * sizeof *fields);
    assert (fields);
    uint8_t *data = (uint8_t *) malloc (size? size: 1);
    assert (data);
    memcpy (data, value, size);
    fields [message->n_unknown_fields++] = (ProtobufCMessageUnknownField) {
        .tag = field, .wire_type = wire_type, .len = size, .data = data
    };
    message->unknown_fields = fields;
}

typedef struct {
    uint32_t field;
    ProtobufCWireType wire_type;
    size_t offset, size;            //  of the value (a length prefix included) in the input
} s_span_t;

void *
wirekeep_decode (const ProtobufCMessageDescriptor *type, const void *data, size_t size,
                 const uint32_t *keep, size_t n)
{
    uint8_t stack [8192];
    uint8_t *decoded = size <= sizeof stack? stack: (uint8_t *) malloc (size);
    s_span_t spans_stack [64], *spans = spans_stack;
    size_t spans_max = sizeof spans_stack / sizeof spans_stack [0], n_spans = 0;
    size_t length = 0;
    const uint8_t *start = (const uint8_t *) data, *at = start, *end = at + size;
    bool valid = decoded != NULL;
    while (valid && at < end) {
        codec_wire_field_t field;
        valid = codec_wire_next (&at, end, &field);
        if (!valid)
            break;
        if (s_kept (keep, n, field.number)) {
            if (n_spans == spans_max) {
                spans_max *= 2;
                s_span_t *grown = (s_span_t *) malloc (spans_max * sizeof (s_span_t));
                assert (grown);
                memcpy (grown, spans, n_spans * sizeof (s_span_t));
                if (spans != spans_stack)
                    free (spans);
                spans = grown;
            }
            spans [n_spans++] = (s_span_t) {
                field.number, (ProtobufCWireType) field.wire_type,
                (size_t) (field.value - start), (size_t) (field.end - field.value)
            };
        }
        else {
            memcpy (decoded + length, field.start, (size_t) (field.end - field.start));
            length += (size_t) (field.end - field.start);
        }
    }
    ProtobufCMessage *message = valid? (ProtobufCMessage *) codec_decode (type, decoded, length): NULL;
    for (size_t i = 0; message && i < n_spans; i++)
        s_hold (message, spans [i].field, spans [i].wire_type, start + spans [i].offset, spans [i].size);
    if (decoded != stack)
        free (decoded);
    if (spans != spans_stack)
        free (spans);
    return message;
}

bool
wirekeep_holds (const void *message, uint32_t field)
{
    const ProtobufCMessage *base = (const ProtobufCMessage *) message;
    for (unsigned i = 0; base && i < base->n_unknown_fields; i++)
        if (base->unknown_fields [i].tag == field)
            return true;
    return false;
}

const uint8_t *
wirekeep_bytes (const void *message, uint32_t field, size_t *size)
{
    const ProtobufCMessage *base = (const ProtobufCMessage *) message;
    for (unsigned i = 0; base && i < base->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *held = &base->unknown_fields [i];
        if (held->tag != field || held->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            continue;
        const uint8_t *at = held->data, *end = at + held->len;
        uint64_t length;
        if (!codec_read_varint (&at, end, &length) || length != (uint64_t) (end - at))
            return NULL;
        *size = (size_t) length;
        return at;
    }
    return NULL;
}

const uint8_t *
wirekeep_find (const void *data, size_t size, uint32_t field, size_t *value_size)
{
    const uint8_t *at = (const uint8_t *) data, *end = at + size;
    while (at < end) {
        codec_wire_field_t found;
        if (!codec_wire_next (&at, end, &found))
            return NULL;
        if (found.number == field && found.wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) {
            *value_size = found.payload_size;
            return found.payload;
        }
    }
    return NULL;
}

void
wirekeep_append (void *message, uint32_t field, const void *item)
{
    size_t size = protobuf_c_message_get_packed_size ((const ProtobufCMessage *) item);
    uint8_t stack [2048];
    uint8_t *value = size + 10 <= sizeof stack? stack: (uint8_t *) malloc (size + 10);
    assert (value);
    size_t prefix = codec_write_varint (value, size);
    protobuf_c_message_pack ((const ProtobufCMessage *) item, value + prefix);
    s_hold ((ProtobufCMessage *) message, field, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, value, prefix + size);
    if (value != stack)
        free (value);
}
