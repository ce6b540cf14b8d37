/*  codec: protobuf-c messages to and from bytes and czmq frames.

    Decoding never trusts its input: a frame that is not a valid message of
    the expected type gives NULL, never a crash, and the caller answers
    INVALID_ARGUMENT naming what it expected.
*/
#ifndef RCMQ_CODEC_H
#define RCMQ_CODEC_H

#include <czmq.h>
#include <protobuf-c/protobuf-c.h>

#include "api.pb-c.h"
#include "event.pb-c.h"
#include "broker.pb-c.h"

//  Packs a message into a new frame / a new malloc'd buffer.
zframe_t *codec_encode (const void *message);
uint8_t  *codec_pack (const void *message, size_t *size_out);
//  Unpacks bytes as the given type; NULL when they are not one. Free the
//  result with codec_free.
void     *codec_decode (const ProtobufCMessageDescriptor *type, const void *data, size_t size);
void     *codec_decode_frame (const ProtobufCMessageDescriptor *type, zframe_t *frame);
//  One field of packed protobuf, as codec_wire_next reads it: its number
//  and wire type, where it starts (its tag), where its value starts (after
//  the tag; a length prefix included), the payload of a length-delimited
//  value (after the prefix; for the other wire types, the value itself),
//  and where the field ends. The one reader of the wire format for those
//  who walk records without unpacking them (codec_decode_fields, wirekeep,
//  the broker's event log).
typedef struct {
    uint32_t number;
    unsigned wire_type;             //  ProtobufCWireType
    const uint8_t *start;
    const uint8_t *value;
    const uint8_t *payload;
    size_t payload_size;
    const uint8_t *end;
} codec_wire_field_t;

//  Reads the field at *at (below end) and moves *at past it. False when
//  the bytes are not well-formed there (a varint past end or over ten
//  bytes, field number 0 or over 2^32-1, a value cut short, a group or an
//  unknown wire type).
bool      codec_wire_next (const uint8_t **at, const uint8_t *end, codec_wire_field_t *field);
//  Reads a varint at *at (below end) and moves *at past it; false when it
//  runs past end or is longer than ten bytes.
bool      codec_read_varint (const uint8_t **at, const uint8_t *end, uint64_t *value);
//  Writes value as a varint at out (room for ten bytes); returns its size.
size_t    codec_write_varint (uint8_t *out, uint64_t value);
//  Writers of single fields at out (room for the tag, ten bytes of varint
//  and the value); each returns the bytes it wrote. The field functions
//  write nothing for "" or 0, as protobuf-c packs a proto3 field, so bytes
//  written here equal its pack.
size_t    codec_write_tag (uint8_t *out, uint32_t field, unsigned wire_type);
size_t    codec_write_varint_field (uint8_t *out, uint32_t field, uint64_t value);
size_t    codec_write_bytes_field (uint8_t *out, uint32_t field, const void *data, size_t size);

//  Unpacks only the named fields (numbers, n of them) of bytes as the
//  given type; the others are left at their defaults, never read into
//  memory. For a reader that needs a few small fields of a large record
//  (claims.Submit reads each ready claim's dims to sort it by payer, not
//  its sealed claim and history: issue 19). NULL when the bytes are not
//  well-formed protobuf wire format or not the type.
void     *codec_decode_fields (const ProtobufCMessageDescriptor *type, const void *data, size_t size,
                               const uint32_t *fields, size_t n);
void      codec_free (void *message);
//  A deep copy that owns all its memory (pack, then unpack), so its fields
//  can be freed and replaced one by one. NULL only when out of memory.
void     *codec_copy (const void *message);
//  Frees a message and sets the caller's pointer to NULL (message_p is the
//  address of a message pointer; NULL-safe).
void      codec_destroy (void *message_p);
//  Lends the named fields of from to to, a message of the same type
//  (initialised): each field's value is copied (the pointer of a string,
//  bytes, message or array, with an array's count), nothing duplicated,
//  so to borrows from from and is never codec_free'd. The names make the
//  projection a list to read and review (which fields of a claim leave
//  its seal); a name the type does not have is a programming error.
void      codec_project (const void *from, void *to, const char *const *fields);

//  Editing messages that own all their memory (decoded, or codec_copy'd:
//  every string and array from malloc, an empty string the shared
//  protobuf_c_empty_string), so codec_free frees them whole.
//
//  Sets a string field to a heap copy of value (the shared empty string
//  when value is NULL or empty), freeing what it held.
void      codec_set_text (char **field, const char *value);
//  Appends an item to a repeated field (the address of its array of
//  pointers, and its count); the message takes ownership of item.
void      codec_append (void *array_p, size_t *count, void *item);
//  Frees every item of an array built with codec_append, with item_free
//  (codec_free for messages, free for plain blocks), then the array, and
//  leaves it empty (NULL, 0) to be built again.
void      codec_clear (void *array_p, size_t *count, void (*item_free) (void *item));
//  Appends a heap copy of text ("" when NULL) to a repeated string field.
void      codec_append_text (char ***array, size_t *count, const char *text);

//  Appends a length-delimited field (wire type 2) to a growing buffer: the
//  way a string or an embedded message sits in protobuf's wire format, so
//  messages already packed (outbox entries) go into a container message
//  without being decoded and encoded again. *buf is realloc'd as needed.
void      codec_append_field (uint8_t **buf, size_t *length, size_t *capacity,
                              uint32_t field, const void *data, size_t size);

//  An arena: messages decoded into it take their memory from a few large
//  blocks instead of one malloc per string, array and sub-message, and
//  are all freed at once by codec_arena_reset. For a message that lives
//  only while one event is applied (common/consumer.c), where malloc and
//  free were the largest cost of every consumer (issue 19). A message of
//  an arena is never codec_free'd, edited with codec_set_text/append, or
//  kept past the reset; codec_copy makes one that owns its memory.
//  The struct is public so that an arena can live on the stack with a
//  first block of the caller's (codec_arena_init); its fields are the
//  arena's own.
typedef struct _codec_chunk_t codec_chunk_t;
typedef struct {
    ProtobufCAllocator allocator;   //  what protobuf-c allocates through
    uint8_t *at, *end;              //  the free part of the current block
    uint8_t *buffer;                //  the caller's first block (or NULL)
    size_t buffer_size;
    codec_chunk_t *chunks;          //  heap blocks, newest first
    size_t used;                    //  bytes handed out since the reset
    bool keep;                      //  keeps a heap block across resets (codec_arena_new)
    bool borrow;                    //  set by the caller: codec's reader points bytes fields
                                    //  into the input, which outlives the messages, instead
                                    //  of copying them (the broker's frames)
} codec_arena_t;

//  Starts an arena with a first block of the caller's (NULL, 0: none);
//  codec_arena_release frees what it took from the heap.
void      codec_arena_init (codec_arena_t *self, void *buffer, size_t size);
void      codec_arena_release (codec_arena_t *self);
//  A heap arena; its memory is kept across resets (one block the size of
//  the most a reset freed, so a steady load allocates nothing).
codec_arena_t *codec_arena_new (void);
void      codec_arena_destroy (codec_arena_t **self_p);
//  Unpacks bytes as the given type into the arena; NULL when they are
//  not one (what a failed decode took stays until the reset).
void     *codec_arena_decode (codec_arena_t *self, const ProtobufCMessageDescriptor *type,
                              const void *data, size_t size);
//  codec_decode_fields into the arena: only the fields numbered in fields
//  (n of them) are unpacked, the others left at their defaults; NULL when
//  the bytes are not well-formed wire format or not the type. For a
//  consumer's handler that reads a few fields of a large event (metrics
//  and a claim event's posting: issue 19).
void     *codec_arena_decode_fields (codec_arena_t *self, const ProtobufCMessageDescriptor *type,
                                     const void *data, size_t size, const uint32_t *fields, size_t n);
//  An Event, and a FetchReply with its events, into the arena as
//  codec_arena_decode decodes them (the same message, NULL for the same
//  bytes): codec_arena_decode_direct of their types, the envelope of
//  every event each consumer takes, where protobuf-c's generic unpack was
//  most of the consumer loop's own cost (issue 19).
Event      *codec_arena_decode_event (codec_arena_t *self, const void *data, size_t size);
//  How the fields of bytes read by codec_arena_decode_event_order lie, for
//  the broker, which inserts an Event's stream seq into the bytes its
//  producer packed instead of packing the Event again (eventlog_read_batch).
typedef struct {
    uint32_t above;                 //  in: a field number
    bool ordered;                   //  read by codec's own reader (not protobuf-c's), each
                                    //  field's number above the one before, one-byte tags
    size_t offset;                  //  where the first field numbered `above` or more starts
                                    //  (the size: none)
    uint32_t number;                //  that field's number (0: none)
} codec_wire_order_t;
//  codec_arena_decode_event, the fields' order noted in *order on the way.
Event      *codec_arena_decode_event_order (codec_arena_t *self, const void *data, size_t size,
                                            codec_wire_order_t *order);
FetchReply *codec_arena_decode_fetch_reply (codec_arena_t *self, const void *data, size_t size);
//  codec_arena_decode of the same message (the same values, NULL for the
//  same bytes) read off the wire in one pass driven by type's descriptor:
//  proto3 strings, bytes, sub-messages and varint scalars, repeated or not,
//  and fixed64 / fixed32 scalars (an event's epochs) not repeated.
//  Bytes it does not take as protobuf-c would (an unknown field, kept by
//  protobuf-c; a singular field twice; a oneof; another type) go through
//  codec_arena_decode. For the sealed claims claims.Submit opens, where
//  protobuf-c's two passes over ~180 fields were most of the open (issue 19).
void     *codec_arena_decode_direct (codec_arena_t *self, const ProtobufCMessageDescriptor *type,
                                     const void *data, size_t size);
//  Frees every message decoded into the arena since the last reset.
void      codec_arena_reset (codec_arena_t *self);

//  Status names as operators read them ("NOT_FOUND"); NULL-safe.
const char *codec_status_name (Status status);
//  Parses a status name back; -1 when unknown.
int         codec_status_from_name (const char *name);

#endif
