/*  wirekeep: decodes a protobuf message but keeps some of its fields as
    the wire bytes they are, for a reader that changes a few fields of a
    large record and writes it back (issue 19: each step of a claim's life
    decoded its whole record, the sealed claim's ~80 allocations, only to
    pack it again unchanged).

    The kept fields ride in the message's unknown fields (protobuf-c's
    ProtobufCMessageUnknownField: tag, wire type, and the value's bytes as
    they were): protobuf_c_message_pack writes them back verbatim after
    the decoded fields, get_packed_size counts them, and codec_free frees
    them. A message so decoded packs to the same record a whole decode
    would pack (its kept fields last: field order on the wire means
    nothing to a reader), and each kept field reads as NULL / empty in the
    struct: a reader must not take "empty" for "absent" (wirekeep_holds
    says which is which).
*/
#ifndef RCMQ_WIREKEEP_H
#define RCMQ_WIREKEEP_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Decodes data as type, the fields numbered in keep (n of them) kept as
//  their wire bytes. NULL when the bytes are not well-formed protobuf or
//  not the type (as codec_decode). Free with codec_free.
void *wirekeep_decode (const ProtobufCMessageDescriptor *type, const void *data, size_t size,
                       const uint32_t *keep, size_t n);
//  True when message holds field as wire bytes (at least one occurrence).
bool  wirekeep_holds (const void *message, uint32_t field);
//  The value of a length-delimited field held as wire bytes (the first
//  occurrence; an embedded message's packed bytes), its size in *size;
//  NULL when the message holds none.
const uint8_t *wirekeep_bytes (const void *message, uint32_t field, size_t *size);
//  The value of the first length-delimited occurrence of field in packed
//  bytes (an embedded message's own bytes), its size in *size; NULL when
//  there is none or the bytes are not well-formed. For a reader of one
//  part of a nested message (a claim's lines inside its sealed claim).
const uint8_t *wirekeep_find (const void *data, size_t size, uint32_t field, size_t *value_size);
//  Appends item, a message, packed, as one more occurrence of the repeated
//  field held as wire bytes, after those held: the order a reader decodes
//  them in. The message takes nothing from item.
void  wirekeep_append (void *message, uint32_t field, const void *item);

#endif
