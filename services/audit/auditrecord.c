/*  auditrecord: see auditrecord.h. The fields are written with codec's
    wire writers (common/codec.c); what they do not do is check room, so
    the record's largest size (each field's key, a varint of at most 10
    bytes, its bytes) is checked once before any is written, and a record
    that might not fit writes nothing (the caller packs it another way).
*/
#include "auditrecord.h"
#include "codec.h"

#include <string.h>

//  A field's key and the longest varint (a number or a length).
#define S_FIELD_HEAD_MAX 11

static size_t
s_length (const char *text)
{
    return text? strlen (text): 0;
}

size_t
auditrecord_pack_event (const Event *event, const uint8_t digest [SHA256_BYTES], uint8_t *out, size_t size)
{
    size_t stream = s_length (event->stream), type = s_length (event->type);
    size_t key = s_length (event->key), producer = s_length (event->producer);
    if (size < stream + type + key + producer + SHA256_BYTES + 8 * S_FIELD_HEAD_MAX)
        return 0;
    //  AuditRecord's numbers (proto/audit.proto), in order; proto3 leaves
    //  out a zero number and an empty text, as the writers do.
    uint8_t *at = out;
    at += codec_write_bytes_field (at, 1, event->stream, stream);
    at += codec_write_varint_field (at, 2, event->stream_seq);
    at += codec_write_bytes_field (at, 3, event->type, type);
    at += codec_write_bytes_field (at, 4, event->key, key);
    at += codec_write_varint_field (at, 5, event->time_ms);
    at += codec_write_bytes_field (at, 6, event->producer, producer);
    at += codec_write_varint_field (at, 7, event->producer_seq);
    at += codec_write_bytes_field (at, 8, digest, SHA256_BYTES);
    return (size_t) (at - out);
}
