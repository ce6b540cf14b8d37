/*  auditrecord: see auditrecord.h. Protobuf's wire format for the fields
    an event's record has: a key byte (field number << 3 | wire type; every
    number here is under 16, so one byte), then a varint (wire type 0) or
    a varint length and the bytes (wire type 2). The writer checks room
    before every field, so a record that does not fit writes nothing the
    caller keeps.
*/
#include "auditrecord.h"

#include <stdbool.h>
#include <string.h>

#define S_VARINT 0
#define S_BYTES  2

typedef struct {
    uint8_t *at;
    uint8_t *end;
    bool full;                      //  a field did not fit
} s_writer_t;

static size_t
s_varint_size (uint64_t value)
{
    size_t size = 1;
    while (value >= 0x80) {
        value >>= 7;
        size++;
    }
    return size;
}

static void
s_varint (uint8_t *out, uint64_t value)
{
    while (value >= 0x80) {
        *out++ = (uint8_t) (value | 0x80);
        value >>= 7;
    }
    *out = (uint8_t) value;
}

//  A uint64 field; proto3 leaves out a zero.
static void
s_number (s_writer_t *self, unsigned field, uint64_t value)
{
    if (value == 0 || self->full)
        return;
    size_t size = 1 + s_varint_size (value);
    if ((size_t) (self->end - self->at) < size) {
        self->full = true;
        return;
    }
    *self->at = (uint8_t) (field << 3 | S_VARINT);
    s_varint (self->at + 1, value);
    self->at += size;
}

//  A string or bytes field; proto3 leaves out an empty one.
static void
s_bytes (s_writer_t *self, unsigned field, const void *data, size_t length)
{
    if (length == 0 || self->full)
        return;
    size_t head = 1 + s_varint_size (length);
    if ((size_t) (self->end - self->at) < head + length) {
        self->full = true;
        return;
    }
    *self->at = (uint8_t) (field << 3 | S_BYTES);
    s_varint (self->at + 1, length);
    memcpy (self->at + head, data, length);
    self->at += head + length;
}

static void
s_text (s_writer_t *self, unsigned field, const char *text)
{
    if (text)
        s_bytes (self, field, text, strlen (text));
}

size_t
auditrecord_pack_event (const Event *event, const uint8_t digest [SHA256_BYTES], uint8_t *out, size_t size)
{
    //  AuditRecord's numbers (proto/audit.proto), in order.
    s_writer_t writer = { out, out + size, false };
    s_text (&writer, 1, event->stream);
    s_number (&writer, 2, event->stream_seq);
    s_text (&writer, 3, event->type);
    s_text (&writer, 4, event->key);
    s_number (&writer, 5, event->time_ms);
    s_text (&writer, 6, event->producer);
    s_number (&writer, 7, event->producer_seq);
    s_bytes (&writer, 8, digest, SHA256_BYTES);
    return writer.full? 0: (size_t) (writer.at - out);
}
