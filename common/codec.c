/*  codec: see codec.h. */
#include "codec.h"
#include <endian.h>

uint8_t *
codec_pack (const void *message, size_t *size_out)
{
    const ProtobufCMessage *msg = (const ProtobufCMessage *) message;
    size_t size = protobuf_c_message_get_packed_size (msg);
    //  malloc(0) may return NULL; an empty message is still a valid message.
    uint8_t *data = (uint8_t *) malloc (size? size: 1);
    assert (data);
    protobuf_c_message_pack (msg, data);
    *size_out = size;
    return data;
}

zframe_t *
codec_encode (const void *message)
{
    size_t size;
    uint8_t *data = codec_pack (message, &size);
    zframe_t *frame = zframe_new (data, size);
    free (data);
    return frame;
}

void *
codec_decode (const ProtobufCMessageDescriptor *type, const void *data, size_t size)
{
    assert (type);
    return protobuf_c_message_unpack (type, NULL, size, (const uint8_t *) data);
}

void *
codec_decode_frame (const ProtobufCMessageDescriptor *type, zframe_t *frame)
{
    if (!frame)
        return NULL;
    return codec_decode (type, zframe_data (frame), zframe_size (frame));
}

void
codec_free (void *message)
{
    if (message)
        protobuf_c_message_free_unpacked ((ProtobufCMessage *) message, NULL);
}

size_t
codec_write_varint (uint8_t *out, uint64_t value)
{
    size_t n = 0;
    do {
        uint8_t byte = value & 0x7f;
        value >>= 7;
        out [n++] = value? byte | 0x80: byte;
    } while (value);
    return n;
}

size_t
codec_write_tag (uint8_t *out, uint32_t field, unsigned wire_type)
{
    return codec_write_varint (out, (uint64_t) field << 3 | wire_type);
}

size_t
codec_write_varint_field (uint8_t *out, uint32_t field, uint64_t value)
{
    if (value == 0)
        return 0;
    size_t size = codec_write_tag (out, field, PROTOBUF_C_WIRE_TYPE_VARINT);
    return size + codec_write_varint (out + size, value);
}

size_t
codec_write_bytes_field (uint8_t *out, uint32_t field, const void *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t head = codec_write_tag (out, field, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
    head += codec_write_varint (out + head, size);
    memcpy (out + head, data, size);
    return head + size;
}

bool
codec_read_varint (const uint8_t **at, const uint8_t *end, uint64_t *value)
{
    //  In locals, not through the pointers on every byte (the stores
    //  were most of a short varint's cost).
    const uint8_t *p = *at;
    uint64_t result = 0;
    for (unsigned shift = 0; shift < 70 && p < end; shift += 7) {
        uint8_t byte = *p++;
        result |= (uint64_t) (byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *at = p;
            *value = result;
            return true;
        }
    }
    *at = p;
    *value = result;
    return false;
}

bool
codec_wire_next (const uint8_t **at, const uint8_t *end, codec_wire_field_t *field)
{
    uint64_t tag, value;
    field->start = *at;
    if (!codec_read_varint (at, end, &tag) || (tag >> 3) == 0 || (tag >> 3) > UINT32_MAX)
        return false;
    field->number = (uint32_t) (tag >> 3);
    field->wire_type = (unsigned) (tag & 7);
    field->value = field->payload = *at;
    size_t fixed = 0;
    switch (field->wire_type) {
        case PROTOBUF_C_WIRE_TYPE_VARINT:
            if (!codec_read_varint (at, end, &value))
                return false;
            break;
        case PROTOBUF_C_WIRE_TYPE_64BIT:
            fixed = 8;
            break;
        case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
            if (!codec_read_varint (at, end, &value) || value > (uint64_t) (end - *at))
                return false;
            field->payload = *at;
            fixed = (size_t) value;
            break;
        case PROTOBUF_C_WIRE_TYPE_32BIT:
            fixed = 4;
            break;
        default:                    //  groups (proto2 only) and unknown wire types
            return false;
    }
    if ((size_t) (end - *at) < fixed)
        return false;
    *at += fixed;
    field->payload_size = (size_t) (*at - field->payload);
    field->end = *at;
    return true;
}

//  Copies the fields numbered in fields (n of them) of data, tag and value
//  as they are, in order, into kept (room for size bytes): the record
//  protobuf-c would make of a message holding only them. False when data
//  is not well-formed wire format.
static bool
s_keep_fields (const void *data, size_t size, const uint32_t *fields, size_t n,
               uint8_t *kept, size_t *length)
{
    *length = 0;
    const uint8_t *at = (const uint8_t *) data, *end = at + size;
    while (at < end) {
        codec_wire_field_t field;
        if (!codec_wire_next (&at, end, &field))
            return false;
        for (size_t i = 0; i < n; i++)
            if (fields [i] == field.number) {
                memcpy (kept + *length, field.start, (size_t) (field.end - field.start));
                *length += (size_t) (field.end - field.start);
                break;
            }
    }
    return true;
}

void *
codec_decode_fields (const ProtobufCMessageDescriptor *type, const void *data, size_t size,
                     const uint32_t *fields, size_t n)
{
    //  Sized for a whole claim record (~2.3 KB): a malloc of over 1 KB
    //  makes glibc consolidate its fast bins, the cost this saves.
    uint8_t stack [8192];
    uint8_t *kept = size <= sizeof stack? stack: (uint8_t *) malloc (size);
    size_t length = 0;
    void *message = kept && s_keep_fields (data, size, fields, n, kept, &length)
                  ? codec_decode (type, kept, length): NULL;
    if (kept != stack)
        free (kept);
    return message;
}

void
codec_append_field (uint8_t **buf, size_t *length, size_t *capacity,
                    uint32_t field, const void *data, size_t size)
{
    size_t need = *length + 20 + size;
    if (need > *capacity) {
        *capacity = need * 2;
        *buf = (uint8_t *) realloc (*buf, *capacity);
        assert (*buf);
    }
    *length += codec_write_tag (*buf + *length, field, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
    *length += codec_write_varint (*buf + *length, size);
    if (size)
        memcpy (*buf + *length, data, size);
    *length += size;
}

void *
codec_copy (const void *message)
{
    const ProtobufCMessage *msg = (const ProtobufCMessage *) message;
    size_t size;
    uint8_t *packed = codec_pack (msg, &size);
    void *copy = codec_decode (msg->descriptor, packed, size);
    free (packed);
    return copy;
}

//  The size of a field's value in its message struct, by protobuf type.
static const size_t s_value_sizes [] = {
    [PROTOBUF_C_TYPE_INT32]    = sizeof (int32_t),  [PROTOBUF_C_TYPE_SINT32]   = sizeof (int32_t),
    [PROTOBUF_C_TYPE_SFIXED32] = sizeof (int32_t),  [PROTOBUF_C_TYPE_INT64]    = sizeof (int64_t),
    [PROTOBUF_C_TYPE_SINT64]   = sizeof (int64_t),  [PROTOBUF_C_TYPE_SFIXED64] = sizeof (int64_t),
    [PROTOBUF_C_TYPE_UINT32]   = sizeof (uint32_t), [PROTOBUF_C_TYPE_FIXED32]  = sizeof (uint32_t),
    [PROTOBUF_C_TYPE_UINT64]   = sizeof (uint64_t), [PROTOBUF_C_TYPE_FIXED64]  = sizeof (uint64_t),
    [PROTOBUF_C_TYPE_FLOAT]    = sizeof (float),    [PROTOBUF_C_TYPE_DOUBLE]   = sizeof (double),
    [PROTOBUF_C_TYPE_BOOL]     = sizeof (protobuf_c_boolean),
    [PROTOBUF_C_TYPE_ENUM]     = sizeof (int),      [PROTOBUF_C_TYPE_STRING]   = sizeof (char *),
    [PROTOBUF_C_TYPE_BYTES]    = sizeof (ProtobufCBinaryData),
    [PROTOBUF_C_TYPE_MESSAGE]  = sizeof (ProtobufCMessage *),
};

void
codec_project (const void *from, void *to, const char *const *fields)
{
    const ProtobufCMessage *source = (const ProtobufCMessage *) from;
    ProtobufCMessage *target = (ProtobufCMessage *) to;
    assert (source->descriptor == target->descriptor);
    for (size_t i = 0; fields [i]; i++) {
        const ProtobufCFieldDescriptor *field =
            protobuf_c_message_descriptor_get_field_by_name (source->descriptor, fields [i]);
        assert (field);
        bool repeated = field->label == PROTOBUF_C_LABEL_REPEATED;
        size_t value_size = repeated? sizeof (void *): s_value_sizes [field->type];
        memcpy ((uint8_t *) target + field->offset, (const uint8_t *) source + field->offset, value_size);
        //  An array's count. rcmq's protos (proto3) have no optional or
        //  oneof fields, whose presence would be another quantifier.
        if (repeated)
            memcpy ((uint8_t *) target + field->quantifier_offset,
                    (const uint8_t *) source + field->quantifier_offset, sizeof (size_t));
        else
            assert (!field->quantifier_offset);
    }
}

void
codec_destroy (void *message_p)
{
    assert (message_p);
    void **message = (void **) message_p;
    codec_free (*message);
    *message = NULL;
}

void
codec_set_text (char **field, const char *value)
{
    assert (field);
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    if (!value || !*value)
        *field = (char *) protobuf_c_empty_string;
    else {
        *field = strdup (value);
        assert (*field);
    }
}

void
codec_append (void *array_p, size_t *count, void *item)
{
    void ***array = (void ***) array_p;
    *array = (void **) realloc (*array, (*count + 1) * sizeof (void *));
    assert (*array);
    (*array) [(*count)++] = item;
}

void
codec_clear (void *array_p, size_t *count, void (*item_free) (void *item))
{
    void ***array = (void ***) array_p;
    for (size_t i = 0; i < *count; i++)
        item_free ((*array) [i]);
    free (*array);
    *array = NULL;
    *count = 0;
}

void
codec_append_text (char ***array, size_t *count, const char *text)
{
    //  Always a heap copy, "" too: protobuf-c frees every element of a
    //  repeated string, so the shared empty string must never be one.
    char *copy = strdup (text? text: "");
    assert (copy);
    codec_append (array, count, copy);
}

//  --------------------------------------------------------------------------
//  Arenas: a bump allocator behind protobuf-c's ProtobufCAllocator.

#define CODEC_ARENA_ALIGN       _Alignof (max_align_t)
#define CODEC_ARENA_BLOCK       (64 * 1024)         //  the least a heap block holds
#define CODEC_ARENA_KEEP_MAX    (64 * 1024 * 1024)  //  never kept across a reset

struct _codec_chunk_t {
    codec_chunk_t *next;
    size_t size;
    max_align_t data [];
};

static size_t
s_align (size_t size)
{
    return (size + CODEC_ARENA_ALIGN - 1) & ~(size_t) (CODEC_ARENA_ALIGN - 1);
}

//  A new heap block of at least need bytes becomes the current one; what
//  was left of the last is given up (it is freed at the reset). Blocks
//  double, so a large batch takes few of them.
static bool
s_arena_block (codec_arena_t *self, size_t need)
{
    size_t size = need > CODEC_ARENA_BLOCK? need: CODEC_ARENA_BLOCK;
    if (self->chunks && self->chunks->size * 2 > size)
        size = self->chunks->size * 2;
    codec_chunk_t *chunk = (codec_chunk_t *) malloc (sizeof (codec_chunk_t) + size);
    if (!chunk)
        return false;
    chunk->next = self->chunks;
    chunk->size = size;
    self->chunks = chunk;
    self->at = (uint8_t *) chunk->data;
    self->end = self->at + size;
    return true;
}

static void *
s_arena_alloc (void *data, size_t size)
{
    codec_arena_t *self = (codec_arena_t *) data;
    size = s_align (size);
    if (size > (size_t) (self->end - self->at) && !s_arena_block (self, size))
        return NULL;                //  protobuf-c's unpack then fails cleanly
    void *block = self->at;
    self->at += size;
    self->used += size;
    return block;
}

//  Everything goes at the reset.
static void
s_arena_free (void *data, void *block)
{
}

//  The caller's block, aligned, as the current one.
static void
s_arena_rewind (codec_arena_t *self)
{
    uintptr_t start = (uintptr_t) self->buffer;
    uintptr_t aligned = (start + CODEC_ARENA_ALIGN - 1) & ~(uintptr_t) (CODEC_ARENA_ALIGN - 1);
    bool fits = self->buffer && aligned - start < self->buffer_size;
    self->at = fits? (uint8_t *) aligned: NULL;
    self->end = fits? self->buffer + self->buffer_size: NULL;
}

void
codec_arena_init (codec_arena_t *self, void *buffer, size_t size)
{
    assert (self);
    memset (self, 0, sizeof *self);
    self->allocator.alloc = s_arena_alloc;
    self->allocator.free = s_arena_free;
    self->allocator.allocator_data = self;
    self->buffer = (uint8_t *) buffer;
    self->buffer_size = buffer? size: 0;
    s_arena_rewind (self);
}

static void
s_arena_free_chunks (codec_arena_t *self)
{
    while (self->chunks) {
        codec_chunk_t *next = self->chunks->next;
        free (self->chunks);
        self->chunks = next;
    }
}

void
codec_arena_release (codec_arena_t *self)
{
    assert (self);
    s_arena_free_chunks (self);
    self->used = 0;
    s_arena_rewind (self);
}

codec_arena_t *
codec_arena_new (void)
{
    codec_arena_t *self = (codec_arena_t *) malloc (sizeof (codec_arena_t));
    assert (self);
    codec_arena_init (self, NULL, 0);
    self->keep = true;
    return self;
}

void
codec_arena_destroy (codec_arena_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        codec_arena_release (*self_p);
        free (*self_p);
        *self_p = NULL;
    }
}

void *
codec_arena_decode (codec_arena_t *self, const ProtobufCMessageDescriptor *type,
                    const void *data, size_t size)
{
    assert (self && type);
    return protobuf_c_message_unpack (type, &self->allocator, size, (const uint8_t *) data);
}

void *
codec_arena_decode_fields (codec_arena_t *self, const ProtobufCMessageDescriptor *type,
                           const void *data, size_t size, const uint32_t *fields, size_t n)
{
    assert (self && type);
    //  The kept bytes are taken from the arena too: they go with the rest
    //  at the reset (protobuf-c copies what it keeps of them).
    uint8_t *kept = size? (uint8_t *) s_arena_alloc (self, size): NULL;
    size_t length = 0;
    if (size && !kept)
        return NULL;
    if (size && !s_keep_fields (data, size, fields, n, kept, &length))
        return NULL;
    //  The kept fields read in one pass by codec's own reader (the same
    //  message; protobuf-c's for what that reader does not take): a
    //  claim event's decode was ~30 % of metrics' apply (metrics28).
    return codec_arena_decode_direct (self, type, kept? kept: (const uint8_t *) "", length);
}

//  A string or bytes value copied into the arena (a string NUL-ended).
static uint8_t *
s_arena_copy (codec_arena_t *self, const codec_wire_field_t *field, bool string)
{
    uint8_t *copy = (uint8_t *) s_arena_alloc (self, field->payload_size + (string? 1: 0));
    if (copy) {
        memcpy (copy, field->payload, field->payload_size);
        if (string)
            copy [field->payload_size] = 0;
    }
    return copy;
}

//  ---------------------------------------------------------------------
//  A message read off the wire by its descriptor (codec_arena_decode_direct)
//
//  One pass per message, each value put where its descriptor says: no scan
//  of the whole message first (protobuf-c reads every field twice, once to
//  count and once to parse), no lookup of a field by a search when field n
//  is the n-th, and a repeated field's elements counted only when it is
//  first met (from there to the message's end). What this reader does not
//  take exactly as protobuf-c would (a field the descriptor does not know,
//  kept by protobuf-c as unknown; a singular field met twice, which
//  protobuf-c merges or replaces; a oneof, a proto2 label, a type other
//  than those below, a wire type that does not fit) makes it give up, and
//  protobuf-c decodes the bytes instead.

//  What this reader takes of each protobuf-c type (ProtobufCType, 0 to
//  16): the bytes one value takes in a message (0: not read here: zigzag,
//  signed fixed and floating types go to protobuf-c) and the wire type
//  its value must come in. A table, not a switch per field (a switch on
//  the type was ~10 % of a decode).
static const struct {
    uint8_t size;
    uint8_t wire_type;
} s_direct_types [] = {
    [PROTOBUF_C_TYPE_INT32]   = { sizeof (uint32_t),           PROTOBUF_C_WIRE_TYPE_VARINT },
    [PROTOBUF_C_TYPE_INT64]   = { sizeof (uint64_t),           PROTOBUF_C_WIRE_TYPE_VARINT },
    [PROTOBUF_C_TYPE_UINT32]  = { sizeof (uint32_t),           PROTOBUF_C_WIRE_TYPE_VARINT },
    [PROTOBUF_C_TYPE_FIXED32] = { sizeof (uint32_t),           PROTOBUF_C_WIRE_TYPE_32BIT },
    [PROTOBUF_C_TYPE_UINT64]  = { sizeof (uint64_t),           PROTOBUF_C_WIRE_TYPE_VARINT },
    [PROTOBUF_C_TYPE_FIXED64] = { sizeof (uint64_t),           PROTOBUF_C_WIRE_TYPE_64BIT },
    [PROTOBUF_C_TYPE_BOOL]    = { sizeof (protobuf_c_boolean), PROTOBUF_C_WIRE_TYPE_VARINT },
    [PROTOBUF_C_TYPE_ENUM]    = { sizeof (uint32_t),           PROTOBUF_C_WIRE_TYPE_VARINT },
    [PROTOBUF_C_TYPE_STRING]  = { sizeof (char *),             PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED },
    [PROTOBUF_C_TYPE_BYTES]   = { sizeof (ProtobufCBinaryData), PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED },
    [PROTOBUF_C_TYPE_MESSAGE] = { sizeof (ProtobufCMessage *), PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED },
};

static inline size_t
s_direct_size (ProtobufCType type)
{
    return (size_t) type < sizeof s_direct_types / sizeof s_direct_types [0]? s_direct_types [type].size: 0;
}

//  codec_wire_next with the common cases in line — a one-byte tag and a
//  one-byte varint or length, most of a claim's fields; a one-byte tag
//  and a fixed 64-bit value, an event's epochs — and a varint's value read
//  (codec_wire_next's call and its general loops were the largest part of
//  this reader); anything else through codec_wire_next.
static inline __attribute__ ((always_inline)) bool
s_wire_next (const uint8_t **at, const uint8_t *end, codec_wire_field_t *field, uint64_t *varint)
{
    const uint8_t *p = *at;
    if (end - p >= 2 && p [0] < 0x80 && p [0] >= 8) {
        unsigned wire_type = p [0] & 7;
        bool length_prefixed = wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
        if (p [1] < 0x80
        &&  ((wire_type == PROTOBUF_C_WIRE_TYPE_VARINT)
             || (length_prefixed && p [1] <= end - p - 2))) {
            field->number = p [0] >> 3;
            field->wire_type = wire_type;
            field->start = p;
            field->value = p + 1;
            field->payload = length_prefixed? p + 2: p + 1;
            field->payload_size = length_prefixed? p [1]: 1;
            field->end = field->payload + field->payload_size;
            *varint = p [1];
            *at = field->end;
            return true;
        }
        if (wire_type == PROTOBUF_C_WIRE_TYPE_VARINT || length_prefixed) {
            //  A longer varint or length (a time, a sequence number, a
            //  payload): read once, not once by codec_wire_next and again.
            const uint8_t *q = p + 1;
            uint64_t value;
            if (!codec_read_varint (&q, end, &value) || (length_prefixed && value > (uint64_t) (end - q)))
                return false;
            field->number = p [0] >> 3;
            field->wire_type = wire_type;
            field->start = p;
            field->value = p + 1;
            field->payload = length_prefixed? q: p + 1;
            field->end = *at = length_prefixed? q + value: q;
            field->payload_size = (size_t) (field->end - field->payload);
            *varint = value;
            return true;
        }
        if (wire_type == PROTOBUF_C_WIRE_TYPE_64BIT && end - p >= 9) {
            field->number = p [0] >> 3;
            field->wire_type = wire_type;
            field->start = p;
            field->value = field->payload = p + 1;
            field->payload_size = 8;
            field->end = *at = p + 9;
            return true;
        }
    }
    if (!codec_wire_next (at, end, field))
        return false;
    const uint8_t *value = field->payload;
    if (field->wire_type == PROTOBUF_C_WIRE_TYPE_VARINT)
        codec_read_varint (&value, field->end, varint);
    return true;
}

static bool s_direct_read (codec_arena_t *self, const ProtobufCMessageDescriptor *type,
                           const uint8_t *at, const uint8_t *end, ProtobufCMessage *message,
                           codec_wire_order_t *order);

//  A varint value into member as its type holds it (protobuf-c's casts).
static void
s_direct_put_varint (ProtobufCType type, uint64_t value, void *member)
{
    if (type == PROTOBUF_C_TYPE_INT64 || type == PROTOBUF_C_TYPE_UINT64)
        *(uint64_t *) member = value;
    else
    if (type == PROTOBUF_C_TYPE_BOOL)
        *(protobuf_c_boolean *) member = value != 0;
    else
        *(uint32_t *) member = (uint32_t) value;
}

//  One value of field (as read by codec_wire_next) into member: its wire
//  type the one its type comes in (s_direct_types), or none is taken.
static inline __attribute__ ((always_inline)) bool
s_direct_value (codec_arena_t *self, const ProtobufCFieldDescriptor *field,
                const codec_wire_field_t *wire, uint64_t varint, void *member)
{
    if (wire->wire_type != s_direct_types [field->type].wire_type)
        return false;
    if (wire->wire_type == PROTOBUF_C_WIRE_TYPE_VARINT) {
        s_direct_put_varint (field->type, varint, member);
        return true;
    }
    if (wire->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) {
        //  Fixed: little-endian on the wire (an event's epochs).
        uint64_t value = 0;
        memcpy (&value, wire->payload, wire->payload_size);
        if (wire->wire_type == PROTOBUF_C_WIRE_TYPE_64BIT)
            *(uint64_t *) member = le64toh (value);
        else
            *(uint32_t *) member = le32toh ((uint32_t) value);
        return true;
    }
    if (field->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessageDescriptor *type = (const ProtobufCMessageDescriptor *) field->descriptor;
        ProtobufCMessage *message = (ProtobufCMessage *) s_arena_alloc (self, type->sizeof_message);
        if (!message)
            return false;
        type->message_init (message);
        *(ProtobufCMessage **) member = message;
        return s_direct_read (self, type, wire->payload, wire->end, message, NULL);
    }
    if (field->type == PROTOBUF_C_TYPE_BYTES && self->borrow) {
        ((ProtobufCBinaryData *) member)->data = (uint8_t *) wire->payload;
        ((ProtobufCBinaryData *) member)->len = wire->payload_size;
        return true;
    }
    uint8_t *copy = s_arena_copy (self, wire, field->type == PROTOBUF_C_TYPE_STRING);
    if (!copy)
        return false;
    if (field->type == PROTOBUF_C_TYPE_STRING)
        *(char **) member = (char *) copy;
    else {
        ((ProtobufCBinaryData *) member)->data = copy;
        ((ProtobufCBinaryData *) member)->len = wire->payload_size;
    }
    return true;
}

//  How many elements of field number there are from at (its first one) to
//  end: one for each occurrence, or for a packed run of varints one for
//  each byte that ends a varint. Never fewer than s_direct_read then puts
//  in the array (a malformed run fails there, not here).
static size_t
s_direct_count (const uint8_t *at, const uint8_t *end, uint32_t number, bool varints)
{
    size_t count = 0;
    while (at < end) {
        codec_wire_field_t wire;
        uint64_t varint;
        if (!s_wire_next (&at, end, &wire, &varint))
            break;
        if (wire.number != number)
            continue;
        if (varints && wire.wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            for (size_t i = 0; i < wire.payload_size; i++)
                count += wire.payload [i] < 0x80;
        else
            count++;
    }
    return count;
}

//  One element (or a packed run of them) of a repeated field.
static bool
s_direct_repeated (codec_arena_t *self, const ProtobufCFieldDescriptor *field, const codec_wire_field_t *wire,
                   uint64_t varint, const uint8_t *end, ProtobufCMessage *message)
{
    size_t *count = (size_t *) ((uint8_t *) message + field->quantifier_offset);
    uint8_t **array = (uint8_t **) ((uint8_t *) message + field->offset);
    size_t size = s_direct_size (field->type);
    unsigned wire_type = s_direct_types [field->type].wire_type;
    if (wire_type == PROTOBUF_C_WIRE_TYPE_64BIT || wire_type == PROTOBUF_C_WIRE_TYPE_32BIT)
        return false;               //  packed runs of them are not counted here: protobuf-c's
    bool varints = wire_type == PROTOBUF_C_WIRE_TYPE_VARINT;
    if (!*array) {
        size_t room = s_direct_count (wire->start, end, wire->number, varints);
        *array = (uint8_t *) s_arena_alloc (self, room * size);
        if (!*array)
            return false;
    }
    if (varints && wire->wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) {
        const uint8_t *at = wire->payload;
        while (at < wire->end) {
            uint64_t value;
            if (!codec_read_varint (&at, wire->end, &value))
                return false;
            s_direct_put_varint (field->type, value, *array + (*count)++ * size);
        }
        return true;
    }
    return s_direct_value (self, field, wire, varint, *array + (*count)++ * size);
}

static bool
s_direct_read (codec_arena_t *self, const ProtobufCMessageDescriptor *type,
               const uint8_t *at, const uint8_t *end, ProtobufCMessage *message,
               codec_wire_order_t *order)
{
    uint64_t seen = 0;              //  the singular fields read, by index
    const uint8_t *begin = at;
    uint32_t previous = 0;
    while (at < end) {
        codec_wire_field_t wire;
        uint64_t varint = 0;
        if (!s_wire_next (&at, end, &wire, &varint))
            return false;
        if (order) {
            if (wire.number <= previous || wire.value != wire.start + 1)
                order->ordered = false;
            if (previous < order->above && wire.number >= order->above) {
                order->offset = (size_t) (wire.start - begin);
                order->number = wire.number;
            }
            previous = wire.number;
        }
        //  Field n is the n-th in most messages: its index without a
        //  search or a division.
        size_t index = wire.number - 1;
        const ProtobufCFieldDescriptor *field = index < type->n_fields && type->fields [index].id == wire.number
                                              ? &type->fields [index]: NULL;
        if (!field) {
            field = protobuf_c_message_descriptor_get_field (type, wire.number);
            index = field? (size_t) (field - type->fields): 0;
        }
        if (!field || (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || !s_direct_size (field->type))
            return false;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            if (!s_direct_repeated (self, field, &wire, varint, end, message))
                return false;
            continue;
        }
        if (field->label != PROTOBUF_C_LABEL_NONE || index >= 64 || (seen >> index) & 1)
            return false;
        seen |= (uint64_t) 1 << index;
        if (!s_direct_value (self, field, &wire, varint, (uint8_t *) message + field->offset))
            return false;
    }
    return true;
}

static void *
s_decode_direct (codec_arena_t *self, const ProtobufCMessageDescriptor *type,
                 const void *data, size_t size, codec_wire_order_t *order)
{
    assert (self && type);
    if (order) {
        order->ordered = true;
        order->offset = size;
        order->number = 0;
    }
    ProtobufCMessage *message = (ProtobufCMessage *) s_arena_alloc (self, type->sizeof_message);
    if (!message)
        return NULL;
    type->message_init (message);
    const uint8_t *at = (const uint8_t *) data;
    if (s_direct_read (self, type, at, at + size, message, order))
        return message;
    if (order)
        order->ordered = false;
    return codec_arena_decode (self, type, data, size);
}

void *
codec_arena_decode_direct (codec_arena_t *self, const ProtobufCMessageDescriptor *type,
                           const void *data, size_t size)
{
    return s_decode_direct (self, type, data, size, NULL);
}

//  An event and a fetch reply are read as any message (a consumer's every
//  event; issue 19): by descriptor, protobuf-c's decode for what that
//  reader does not take.
Event *
codec_arena_decode_event (codec_arena_t *self, const void *data, size_t size)
{
    return (Event *) s_decode_direct (self, &event__descriptor, data, size, NULL);
}

Event *
codec_arena_decode_event_order (codec_arena_t *self, const void *data, size_t size,
                                codec_wire_order_t *order)
{
    return (Event *) s_decode_direct (self, &event__descriptor, data, size, order);
}

FetchReply *
codec_arena_decode_fetch_reply (codec_arena_t *self, const void *data, size_t size)
{
    return (FetchReply *) codec_arena_decode_direct (self, &fetch_reply__descriptor, data, size);
}

void
codec_arena_reset (codec_arena_t *self)
{
    assert (self);
    size_t used = self->used;
    self->used = 0;
    //  A heap arena whose last round fitted one block uses it again; one
    //  that needed more gets one block of what it used, so the next round
    //  of the same size fits (fresh heap pages fault, reused ones do not).
    if (self->keep && self->chunks && !self->chunks->next && !self->buffer) {
        self->at = (uint8_t *) self->chunks->data;
        self->end = self->at + self->chunks->size;
        return;
    }
    s_arena_free_chunks (self);
    s_arena_rewind (self);
    if (self->keep && used && used <= CODEC_ARENA_KEEP_MAX)
        s_arena_block (self, used);
}

const char *
codec_status_name (Status status)
{
    const ProtobufCEnumValue *value = protobuf_c_enum_descriptor_get_value (&status__descriptor, (int) status);
    return value? value->name: "UNKNOWN";
}

int
codec_status_from_name (const char *name)
{
    //  Names come from operators and config, so a missing one is an
    //  unknown status, not a crash in protobuf-c's strcmp.
    if (!name)
        return -1;
    const ProtobufCEnumValue *value = protobuf_c_enum_descriptor_get_value_by_name (&status__descriptor, name);
    return value? value->value: -1;
}
