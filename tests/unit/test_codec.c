/*  test_codec: protobuf-c messages to bytes and frames and back, decoding
    that refuses what is not a message of the expected type, and the status
    names operators read.
*/
#include "suites.h"
#include "codec.h"
#include "claim.pb-c.h"

#include <stdlib.h>
#include <string.h>

//  Bytes 0..255 twice: NULs, high bits, everything a payload may hold.
static uint8_t s_binary [512];

static void
s_fill_binary (void)
{
    for (size_t i = 0; i < sizeof s_binary; i++)
        s_binary [i] = (uint8_t) (i & 0xff);
}

static void
s_event_full (Event *event)
{
    s_fill_binary ();
    event__init (event);
    event->stream = "claims";
    event->type = "denied";
    event->producer = "denials-1";
    event->producer_seq = 1;
    event->stream_seq = UINT64_MAX;
    event->time_ms = 1793610000123ULL;
    event->key = "CLM-0001";
    event->payload.data = s_binary;
    event->payload.len = sizeof s_binary;
}

static void
s_assert_event (const Event *copy, const Event *event)
{
    ck_assert_ptr_nonnull (copy);
    ck_assert_str_eq (copy->stream, event->stream);
    ck_assert_str_eq (copy->type, event->type);
    ck_assert_str_eq (copy->producer, event->producer);
    ck_assert_uint_eq (copy->producer_seq, event->producer_seq);
    ck_assert_uint_eq (copy->stream_seq, event->stream_seq);
    ck_assert_uint_eq (copy->time_ms, event->time_ms);
    ck_assert_str_eq (copy->key, event->key);
    ck_assert_uint_eq (copy->payload.len, event->payload.len);
    if (event->payload.len)
        ck_assert_mem_eq (copy->payload.data, event->payload.data, event->payload.len);
}

START_TEST (test_event_round_trip)
{
    Event event;
    s_event_full (&event);
    //  Through a buffer.
    size_t size = 0;
    uint8_t *data = codec_pack (&event, &size);
    ck_assert_ptr_nonnull (data);
    ck_assert_uint_eq (size, protobuf_c_message_get_packed_size (&event.base));
    ck_assert_uint_gt (size, sizeof s_binary);
    Event *copy = (Event *) codec_decode (&event__descriptor, data, size);
    s_assert_event (copy, &event);
    codec_free (copy);
    free (data);
    //  Through a frame.
    zframe_t *frame = codec_encode (&event);
    ck_assert_ptr_nonnull (frame);
    ck_assert_uint_eq (zframe_size (frame), size);
    copy = (Event *) codec_decode_frame (&event__descriptor, frame);
    s_assert_event (copy, &event);
    codec_free (copy);
    zframe_destroy (&frame);
}
END_TEST

START_TEST (test_request_reply_round_trip)
{
    s_fill_binary ();
    Request request = REQUEST__INIT;
    request.id = "req-42";
    request.method = "claims.List";
    request.body.data = s_binary;
    request.body.len = 300;
    request.deadline_ms = 1793610000000ULL;
    zframe_t *frame = codec_encode (&request);
    Request *request_copy = (Request *) codec_decode_frame (&request__descriptor, frame);
    ck_assert_ptr_nonnull (request_copy);
    ck_assert_str_eq (request_copy->id, "req-42");
    ck_assert_str_eq (request_copy->method, "claims.List");
    ck_assert_uint_eq (request_copy->body.len, 300);
    ck_assert_mem_eq (request_copy->body.data, s_binary, 300);
    ck_assert_uint_eq (request_copy->deadline_ms, 1793610000000ULL);
    codec_free (request_copy);
    zframe_destroy (&frame);

    Reply reply = REPLY__INIT;
    reply.id = "req-42";
    reply.status = STATUS__PERMISSION_DENIED;
    reply.message = "role biller may not call claims.Void";
    reply.body.data = s_binary + 1;
    reply.body.len = 17;
    size_t size;
    uint8_t *data = codec_pack (&reply, &size);
    Reply *reply_copy = (Reply *) codec_decode (&reply__descriptor, data, size);
    ck_assert_ptr_nonnull (reply_copy);
    ck_assert_str_eq (reply_copy->id, "req-42");
    ck_assert_int_eq (reply_copy->status, STATUS__PERMISSION_DENIED);
    ck_assert_str_eq (reply_copy->message, "role biller may not call claims.Void");
    ck_assert_uint_eq (reply_copy->body.len, 17);
    ck_assert_mem_eq (reply_copy->body.data, s_binary + 1, 17);
    codec_free (reply_copy);
    free (data);
}
END_TEST

START_TEST (test_empty_messages)
{
    //  Default messages pack to zero bytes and come back as defaults.
    const ProtobufCMessageDescriptor *types [] = {
        &event__descriptor, &request__descriptor, &reply__descriptor
    };
    Event event = EVENT__INIT;
    Request request = REQUEST__INIT;
    Reply reply = REPLY__INIT;
    const void *messages [] = { &event, &request, &reply };
    for (size_t i = 0; i < 3; i++) {
        size_t size = 99;
        uint8_t *data = codec_pack (messages [i], &size);
        ck_assert_ptr_nonnull (data);
        ck_assert_uint_eq (size, 0);
        ProtobufCMessage *copy = (ProtobufCMessage *) codec_decode (types [i], data, size);
        ck_assert_ptr_nonnull (copy);
        ck_assert_ptr_eq (copy->descriptor, types [i]);
        codec_free (copy);
        free (data);
        zframe_t *frame = codec_encode (messages [i]);
        ck_assert_ptr_nonnull (frame);
        ck_assert_uint_eq (zframe_size (frame), 0);
        copy = (ProtobufCMessage *) codec_decode_frame (types [i], frame);
        ck_assert_ptr_nonnull (copy);
        codec_free (copy);
        zframe_destroy (&frame);
    }
    Event *copy = (Event *) codec_decode (&event__descriptor, "", 0);
    ck_assert_ptr_nonnull (copy);
    ck_assert_str_eq (copy->stream, "");
    ck_assert_str_eq (copy->key, "");
    ck_assert_uint_eq (copy->producer_seq, 0);
    ck_assert_uint_eq (copy->payload.len, 0);
    codec_free (copy);
    //  An event with only an empty payload set is still empty on the wire.
    event.payload.data = (uint8_t *) "";
    event.payload.len = 0;
    size_t size;
    uint8_t *data = codec_pack (&event, &size);
    ck_assert_uint_eq (size, 0);
    free (data);
    //  NULL is not a frame, and codec_free takes NULL.
    ck_assert_ptr_null (codec_decode_frame (&event__descriptor, NULL));
    codec_free (NULL);
}
END_TEST

START_TEST (test_garbage)
{
    static const struct { const char *what; size_t size; uint8_t bytes [16]; } bad [] = {
        { "length past the end",        3, { 0x0a, 0x05, 'a' } },
        { "tag with no value",          1, { 0x20 } },
        { "unterminated varint",        4, { 0x20, 0xff, 0xff, 0xff } },
        { "varint of 11 bytes",        12, { 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xff, 0xff, 0xff, 0xff, 0x01 } },
        { "wire type 7",                2, { 0x0f, 0x00 } },
        { "wire type 6",                2, { 0x0e, 0x00 } },
        { "field number 0",             2, { 0x00, 0x00 } },
        { "huge length",                6, { 0x42, 0xff, 0xff, 0xff, 0xff, 0x0f } },
        { "truncated fixed64",          4, { 0x49, 0x01, 0x02, 0x03 } },
        { "truncated fixed32",          3, { 0x4d, 0x01, 0x02 } },
        { "string as varint",           2, { 0x08, 0x01 } },
        { "varint as bytes",            3, { 0x22, 0x01, 0x00 } },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        Event *event = (Event *) codec_decode (&event__descriptor, bad [i].bytes, bad [i].size);
        ck_assert_msg (event == NULL, "%s decoded as an Event", bad [i].what);
        zframe_t *frame = zframe_new (bad [i].bytes, bad [i].size);
        ck_assert_ptr_null (codec_decode_frame (&event__descriptor, frame));
        zframe_destroy (&frame);
    }
}
END_TEST

START_TEST (test_truncated)
{
    //  Cut a full event after every byte. A cut between two fields is a
    //  shorter valid message (protobuf has no end marker); any other cut
    //  must be refused. The field boundaries are the sizes of the message
    //  with fields 1..k set, since fields pack in number order.
    Event event;
    s_event_full (&event);
    Event partial = EVENT__INIT;
    size_t boundaries [9];
    size_t boundary_count = 0;
    boundaries [boundary_count++] = 0;
    partial.stream = event.stream;
    boundaries [boundary_count++] = protobuf_c_message_get_packed_size (&partial.base);
    partial.type = event.type;
    boundaries [boundary_count++] = protobuf_c_message_get_packed_size (&partial.base);
    partial.producer = event.producer;
    boundaries [boundary_count++] = protobuf_c_message_get_packed_size (&partial.base);
    partial.producer_seq = event.producer_seq;
    boundaries [boundary_count++] = protobuf_c_message_get_packed_size (&partial.base);
    partial.stream_seq = event.stream_seq;
    boundaries [boundary_count++] = protobuf_c_message_get_packed_size (&partial.base);
    partial.time_ms = event.time_ms;
    boundaries [boundary_count++] = protobuf_c_message_get_packed_size (&partial.base);
    partial.key = event.key;
    boundaries [boundary_count++] = protobuf_c_message_get_packed_size (&partial.base);
    partial.payload = event.payload;
    boundaries [boundary_count++] = protobuf_c_message_get_packed_size (&partial.base);

    size_t size;
    uint8_t *data = codec_pack (&event, &size);
    ck_assert_uint_eq (size, boundaries [boundary_count - 1]);
    int refused = 0;
    for (size_t cut = 0; cut < size; cut++) {
        //  A copy of exactly `cut` bytes, so ASan sees any read past it.
        uint8_t *prefix = malloc (cut? cut: 1);
        memcpy (prefix, data, cut);
        Event *copy = (Event *) codec_decode (&event__descriptor, prefix, cut);
        int at_boundary = 0;
        for (size_t b = 0; b < boundary_count; b++)
            at_boundary |= boundaries [b] == cut;
        if (at_boundary)
            ck_assert_msg (copy != NULL, "cut at field boundary %zu refused", cut);
        else {
            ck_assert_msg (copy == NULL, "cut inside a field at %zu of %zu decoded", cut, size);
            refused++;
        }
        codec_free (copy);
        free (prefix);
    }
    ck_assert_int_gt (refused, (int) sizeof s_binary);
    free (data);
}
END_TEST

START_TEST (test_random_bytes)
{
    //  Random buffers may happen to be valid (unknown fields are allowed),
    //  so the property is: no crash or overread (the sanitizer build runs
    //  this), and whatever decodes packs again. Most must be refused.
    srand (20261102);
    int refused = 0;
    const int rounds = 2000;
    for (int round = 0; round < rounds; round++) {
        size_t size = 1 + (size_t) (rand () % 64);
        uint8_t *bytes = malloc (size);
        for (size_t i = 0; i < size; i++)
            bytes [i] = (uint8_t) rand ();
        const ProtobufCMessageDescriptor *type = round % 3 == 0? &event__descriptor
                                               : round % 3 == 1? &request__descriptor
                                               : &reply__descriptor;
        ProtobufCMessage *message = (ProtobufCMessage *) codec_decode (type, bytes, size);
        if (message) {
            ck_assert_ptr_eq (message->descriptor, type);
            size_t packed;
            uint8_t *again = codec_pack (message, &packed);
            ck_assert_ptr_nonnull (again);
            free (again);
            codec_free (message);
        }
        else
            refused++;
        free (bytes);
    }
    ck_assert_int_gt (refused, rounds / 2);
}
END_TEST

START_TEST (test_wrong_type)
{
    //  A Reply with a status has a varint in field 2, where a Request has
    //  a string: not a Request.
    Reply reply = REPLY__INIT;
    reply.id = "r1";
    reply.status = STATUS__NOT_FOUND;
    zframe_t *frame = codec_encode (&reply);
    ck_assert_ptr_null (codec_decode_frame (&request__descriptor, frame));
    zframe_destroy (&frame);
    //  An Event has a string in field 2 and a varint in field 4, where a
    //  Reply has its status varint and its body bytes: not a Reply.
    Event event;
    s_event_full (&event);
    frame = codec_encode (&event);
    ck_assert_ptr_null (codec_decode_frame (&reply__descriptor, frame));
    zframe_destroy (&frame);
    //  Where the wire types agree protobuf cannot tell two types apart: a
    //  Request's id and deadline (fields 1 and 4) read as an Event's stream
    //  and producer_seq. The values land where the numbers say, which is
    //  why every socket carries one known type.
    Request request = REQUEST__INIT;
    request.id = "same-wire";
    request.deadline_ms = 7;
    frame = codec_encode (&request);
    Event *as_event = (Event *) codec_decode_frame (&event__descriptor, frame);
    ck_assert_ptr_nonnull (as_event);
    ck_assert_str_eq (as_event->stream, "same-wire");
    ck_assert_uint_eq (as_event->producer_seq, 7);
    codec_free (as_event);
    zframe_destroy (&frame);
}
END_TEST

START_TEST (test_status_names)
{
    static const struct { Status status; const char *name; } names [] = {
        { STATUS__OK, "OK" },
        { STATUS__CANCELLED, "CANCELLED" },
        { STATUS__UNKNOWN, "UNKNOWN" },
        { STATUS__INVALID_ARGUMENT, "INVALID_ARGUMENT" },
        { STATUS__DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED" },
        { STATUS__NOT_FOUND, "NOT_FOUND" },
        { STATUS__ALREADY_EXISTS, "ALREADY_EXISTS" },
        { STATUS__PERMISSION_DENIED, "PERMISSION_DENIED" },
        { STATUS__RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED" },
        { STATUS__FAILED_PRECONDITION, "FAILED_PRECONDITION" },
        { STATUS__ABORTED, "ABORTED" },
        { STATUS__UNIMPLEMENTED, "UNIMPLEMENTED" },
        { STATUS__INTERNAL, "INTERNAL" },
        { STATUS__UNAVAILABLE, "UNAVAILABLE" },
        { STATUS__UNAUTHENTICATED, "UNAUTHENTICATED" },
    };
    size_t count = sizeof names / sizeof names [0];
    //  The table above is every value the proto has.
    ck_assert_uint_eq (status__descriptor.n_values, count);
    for (size_t i = 0; i < count; i++) {
        ck_assert_str_eq (codec_status_name (names [i].status), names [i].name);
        ck_assert_int_eq (codec_status_from_name (names [i].name), (int) names [i].status);
    }
    //  Numbers match gRPC's, which operators know.
    ck_assert_int_eq (codec_status_from_name ("NOT_FOUND"), 5);
    ck_assert_int_eq (codec_status_from_name ("UNAUTHENTICATED"), 16);
    //  Every value the descriptor knows round-trips.
    for (unsigned i = 0; i < status__descriptor.n_values; i++) {
        const ProtobufCEnumValue *value = &status__descriptor.values [i];
        ck_assert_int_eq (codec_status_from_name (codec_status_name ((Status) value->value)),
                          value->value);
    }
    //  Unknown names.
    static const char *unknown [] = {
        "", "not_found", "Not_Found", "NOT_FOUN", "NOT_FOUND ", "STATUS__NOT_FOUND",
        "OUT_OF_RANGE", "5", NULL
    };
    for (const char **name = unknown; *name; name++)
        ck_assert_msg (codec_status_from_name (*name) == -1, "'%s' is not a status", *name);
    ck_assert_int_eq (codec_status_from_name (NULL), -1);
    //  Values the proto lacks still get a printable name.
    ck_assert_ptr_nonnull (codec_status_name ((Status) 11));
    ck_assert_ptr_nonnull (codec_status_name ((Status) 999));
    ck_assert_ptr_nonnull (codec_status_name ((Status) -1));
}
END_TEST

//  A container built on the wire from packed messages decodes to the same
//  message as one packed the usual way; big payloads need multi-byte
//  varints for the lengths.
START_TEST (test_append_field)
{
    Event events [3];
    Event *pointers [3];
    uint8_t *packed_events [3];
    size_t sizes [3];
    static uint8_t big [70000];
    memset (big, 'x', sizeof big);
    size_t payload_sizes [3] = { 0, 200, sizeof big };
    for (int i = 0; i < 3; i++) {
        event__init (&events [i]);
        events [i].stream = "claims";
        events [i].type = "denied";
        events [i].producer = "claims-1";
        events [i].producer_seq = (uint64_t) i + 1;
        events [i].payload.data = big;
        events [i].payload.len = payload_sizes [i];
        pointers [i] = &events [i];
        packed_events [i] = codec_pack (&events [i], &sizes [i]);
    }
    uint8_t *wire = NULL;
    size_t length = 0, capacity = 0;
    codec_append_field (&wire, &length, &capacity, 1, "claims-1", 8);
    for (int i = 0; i < 3; i++)
        codec_append_field (&wire, &length, &capacity, 2, packed_events [i], sizes [i]);

    PublishBatch expected = PUBLISH_BATCH__INIT;
    expected.producer = "claims-1";
    expected.n_events = 3;
    expected.events = pointers;
    size_t expected_size;
    uint8_t *expected_bytes = codec_pack (&expected, &expected_size);
    ck_assert_uint_eq (length, expected_size);
    ck_assert_mem_eq (wire, expected_bytes, length);

    PublishBatch *batch = (PublishBatch *) codec_decode (&publish_batch__descriptor, wire, length);
    ck_assert_ptr_nonnull (batch);
    ck_assert_str_eq (batch->producer, "claims-1");
    ck_assert_uint_eq (batch->n_events, 3);
    ck_assert_uint_eq (batch->events [2]->payload.len, sizeof big);
    ck_assert_uint_eq (batch->events [1]->producer_seq, 2);
    codec_free (batch);
    free (expected_bytes);
    free (wire);
    for (int i = 0; i < 3; i++)
        free (packed_events [i]);
}
END_TEST

//  A copy owns its memory: it packs to the same bytes, and freeing the
//  original leaves it whole.
START_TEST (test_copy)
{
    Event event = EVENT__INIT;
    event.stream = "claims";
    event.type = "adjudicated";
    event.key = "P1";
    uint8_t payload [300];
    memset (payload, 7, sizeof payload);
    event.payload.data = payload;
    event.payload.len = sizeof payload;
    size_t size;
    uint8_t *packed = codec_pack (&event, &size);
    Event *original = (Event *) codec_decode (&event__descriptor, packed, size);
    Event *copy = (Event *) codec_copy (original);
    codec_free (original);
    ck_assert_ptr_nonnull (copy);
    ck_assert_str_eq (copy->type, "adjudicated");
    size_t copy_size;
    uint8_t *copy_packed = codec_pack (copy, &copy_size);
    ck_assert_uint_eq (copy_size, size);
    ck_assert_mem_eq (copy_packed, packed, size);
    free (copy_packed);
    free (packed);
    codec_free (copy);
}
END_TEST

//  codec_project lends the named fields, values and arrays (with their
//  counts) alike, and leaves every other field at its default.
START_TEST (test_project)
{
    uint8_t payload [16] = { 1, 2, 3 };
    Event event = EVENT__INIT;
    event.stream = "claims";
    event.type = "adjudicated";
    event.stream_seq = 42;
    event.producer_epoch = 0x1122334455667788ULL;
    event.payload.data = payload;
    event.payload.len = sizeof payload;
    Event lent = EVENT__INIT;
    const char *const event_fields [] = { "stream", "stream_seq", "payload", "producer_epoch", NULL };
    codec_project (&event, &lent, event_fields);
    ck_assert_ptr_eq (lent.stream, event.stream);
    ck_assert_uint_eq (lent.stream_seq, 42);
    ck_assert_ptr_eq (lent.payload.data, payload);
    ck_assert_uint_eq (lent.payload.len, sizeof payload);
    ck_assert_uint_eq (lent.producer_epoch, 0x1122334455667788ULL);
    ck_assert_str_eq (lent.type, "");          //  not named: the default
    ck_assert_uint_eq (lent.producer_seq, 0);

    ServiceLine line_1 = SERVICE_LINE__INIT, line_2 = SERVICE_LINE__INIT;
    ServiceLine *lines [] = { &line_1, &line_2 };
    Claim claim = CLAIM__INIT;
    claim.patient_control_number = "P1";
    claim.total_charge_cents = 12550;
    claim.lines = lines;
    claim.n_lines = 2;
    claim.place_of_service = "11";
    Claim head = CLAIM__INIT;
    const char *const claim_fields [] = { "patient_control_number", "total_charge_cents", "lines", NULL };
    codec_project (&claim, &head, claim_fields);
    ck_assert_str_eq (head.patient_control_number, "P1");
    ck_assert_int_eq (head.total_charge_cents, 12550);
    ck_assert_uint_eq (head.n_lines, 2);
    ck_assert_ptr_eq (head.lines, lines);
    ck_assert_str_eq (head.place_of_service, "");
    //  What it holds packs as the named fields alone.
    Claim expected = CLAIM__INIT;
    expected.patient_control_number = "P1";
    expected.total_charge_cents = 12550;
    expected.lines = lines;
    expected.n_lines = 2;
    size_t size, expected_size;
    uint8_t *packed = codec_pack (&head, &size);
    uint8_t *expected_packed = codec_pack (&expected, &expected_size);
    ck_assert_uint_eq (size, expected_size);
    ck_assert_mem_eq (packed, expected_packed, size);
    free (packed);
    free (expected_packed);
}
END_TEST

//  Only the named fields are decoded, the others left at their defaults;
//  bytes that are not wire format give NULL, as codec_decode does.
//  Arenas: every message decoded into one reads as codec_decode's does
//  until the reset, whether it fits the caller's block, spills into heap
//  blocks, or comes after a reset that reuses them; bytes that are not a
//  message give NULL and cost nothing after the reset.
START_TEST (test_arena)
{
    Event event;
    s_event_full (&event);
    size_t size;
    uint8_t *packed = codec_pack (&event, &size);
    //  A heap arena: 2,000 events (about 1.5 MB decoded) take several
    //  blocks; all must still read right, then again after each reset.
    codec_arena_t *arena = codec_arena_new ();
    Event **events = (Event **) malloc (2000 * sizeof (Event *));
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < 2000; i++) {
            events [i] = (Event *) codec_arena_decode (arena, &event__descriptor, packed, size);
            ck_assert_ptr_nonnull (events [i]);
            events [i]->stream_seq = i;     //  each its own memory
        }
        for (size_t i = 0; i < 2000; i++) {
            ck_assert_uint_eq (events [i]->stream_seq, i);
            events [i]->stream_seq = event.stream_seq;
            s_assert_event (events [i], &event);
        }
        ck_assert_ptr_null (codec_arena_decode (arena, &event__descriptor, "\xff\xff\xff", 3));
        codec_arena_reset (arena);
    }
    free (events);
    codec_arena_destroy (&arena);
    ck_assert_ptr_null (arena);
    codec_arena_destroy (&arena);           //  idempotent

    //  On the stack: a small event fits the caller's block, one of 100 KB
    //  goes to the heap (released by codec_arena_release; ASan would see a
    //  leak or a bad free).
    max_align_t buffer [4096 / sizeof (max_align_t)];
    codec_arena_t local;
    codec_arena_init (&local, buffer, sizeof buffer);
    Event *small = (Event *) codec_arena_decode (&local, &event__descriptor, packed, size);
    s_assert_event (small, &event);
    ck_assert ((uint8_t *) small >= (uint8_t *) buffer && (uint8_t *) small < (uint8_t *) buffer + sizeof buffer);
    uint8_t *big_payload = (uint8_t *) malloc (100000);
    memset (big_payload, 0xab, 100000);
    Event big = event;
    big.payload.data = big_payload;
    big.payload.len = 100000;
    size_t big_size;
    uint8_t *big_packed = codec_pack (&big, &big_size);
    Event *copy = (Event *) codec_arena_decode (&local, &event__descriptor, big_packed, big_size);
    s_assert_event (copy, &big);
    s_assert_event (small, &event);         //  untouched by the spill
    codec_arena_reset (&local);
    small = (Event *) codec_arena_decode (&local, &event__descriptor, packed, size);
    ck_assert ((uint8_t *) small >= (uint8_t *) buffer && (uint8_t *) small < (uint8_t *) buffer + sizeof buffer);
    s_assert_event (small, &event);
    codec_arena_release (&local);
    //  A copy of an arena's message owns its memory.
    {
        codec_arena_init (&local, NULL, 0);
        Event *in_arena = (Event *) codec_arena_decode (&local, &event__descriptor, packed, size);
        Event *owned = (Event *) codec_copy (in_arena);
        codec_arena_release (&local);
        s_assert_event (owned, &event);
        codec_free (owned);
    }
    free (big_packed);
    free (big_payload);
    free (packed);
}
END_TEST

START_TEST (test_decode_fields)
{
    Event event = EVENT__INIT;
    event.stream = "claims";
    event.type = "submitted";
    event.producer_seq = 300;
    event.key = "P1";
    uint8_t payload [10000];          //  past the stack buffer: the heap path
    memset (payload, 7, sizeof payload);
    event.payload.data = payload;
    event.payload.len = sizeof payload;
    event.producer_epoch = 0x1122334455667788ULL;
    size_t size;
    uint8_t *packed = codec_pack (&event, &size);
    uint32_t fields [] = { 2, 4, 9 };
    Event *some = (Event *) codec_decode_fields (&event__descriptor, packed, size, fields, 3);
    ck_assert_ptr_nonnull (some);
    ck_assert_str_eq (some->type, "submitted");
    ck_assert_uint_eq (some->producer_seq, 300);
    ck_assert_uint_eq (some->producer_epoch, 0x1122334455667788ULL);
    ck_assert_str_eq (some->stream, "");
    ck_assert_str_eq (some->key, "");
    ck_assert_uint_eq (some->payload.len, 0);
    codec_free (some);
    //  Small (the stack buffer) and none of the fields asked for.
    uint32_t key_only [] = { 7 };
    event.payload.len = 10;
    free (packed);
    packed = codec_pack (&event, &size);
    some = (Event *) codec_decode_fields (&event__descriptor, packed, size, key_only, 1);
    ck_assert_str_eq (some->key, "P1");
    ck_assert_str_eq (some->type, "");
    codec_free (some);
    some = (Event *) codec_decode_fields (&event__descriptor, packed, size, NULL, 0);
    ck_assert_ptr_nonnull (some);
    ck_assert_str_eq (some->key, "");
    codec_free (some);
    //  Cut anywhere inside: never read past the end, NULL or a message.
    for (size_t cut = 1; cut < size; cut++) {
        some = (Event *) codec_decode_fields (&event__descriptor, packed, cut, key_only, 1);
        codec_free (some);
    }
    //  A length running past the end, an end-group wire type, field 0.
    uint8_t past [] = { 0x3a, 0x10, 'P', '1' };
    ck_assert_ptr_null (codec_decode_fields (&event__descriptor, past, sizeof past, key_only, 1));
    uint8_t group [] = { 0x3c };
    ck_assert_ptr_null (codec_decode_fields (&event__descriptor, group, sizeof group, key_only, 1));
    uint8_t zero [] = { 0x02, 0x00 };
    ck_assert_ptr_null (codec_decode_fields (&event__descriptor, zero, sizeof zero, key_only, 1));
    free (packed);
}
END_TEST

//  codec_arena_decode_fields: the same fields as codec_decode_fields, in an
//  arena on the stack (a payload past its block: the heap), NULL for what
//  is not wire format.
START_TEST (test_arena_decode_fields)
{
    Event event = EVENT__INIT;
    event.stream = "claims";
    event.type = "submitted";
    event.producer_seq = 300;
    event.key = "P1";
    uint8_t payload [10000];
    memset (payload, 7, sizeof payload);
    event.payload.data = payload;
    event.payload.len = sizeof payload;
    size_t size;
    uint8_t *packed = codec_pack (&event, &size);
    max_align_t buffer [2048 / sizeof (max_align_t)];
    codec_arena_t arena;
    codec_arena_init (&arena, buffer, sizeof buffer);
    uint32_t fields [] = { 2, 4, 8 };
    Event *some = (Event *) codec_arena_decode_fields (&arena, &event__descriptor, packed, size, fields, 3);
    ck_assert_ptr_nonnull (some);
    ck_assert_str_eq (some->type, "submitted");
    ck_assert_uint_eq (some->producer_seq, 300);
    ck_assert_str_eq (some->stream, "");
    ck_assert_str_eq (some->key, "");
    ck_assert_uint_eq (some->payload.len, sizeof payload);
    ck_assert_mem_eq (some->payload.data, payload, sizeof payload);
    uint32_t key_only [] = { 7 };
    some = (Event *) codec_arena_decode_fields (&arena, &event__descriptor, packed, size, key_only, 1);
    ck_assert_str_eq (some->key, "P1");
    ck_assert_uint_eq (some->payload.len, 0);
    some = (Event *) codec_arena_decode_fields (&arena, &event__descriptor, packed, 0, key_only, 1);
    ck_assert_ptr_nonnull (some);
    ck_assert_str_eq (some->key, "");
    for (size_t cut = 1; cut < size; cut += 7)
        codec_arena_decode_fields (&arena, &event__descriptor, packed, cut, key_only, 1);
    uint8_t past [] = { 0x3a, 0x10, 'P', '1' };
    ck_assert_ptr_null (codec_arena_decode_fields (&arena, &event__descriptor, past, sizeof past, key_only, 1));
    uint8_t zero [] = { 0x02, 0x00 };
    ck_assert_ptr_null (codec_arena_decode_fields (&arena, &event__descriptor, zero, sizeof zero, key_only, 1));
    codec_arena_release (&arena);
    free (packed);
}
END_TEST

//  Two decodes agree when both fail, or both give a message that packs to
//  the same bytes.
static void
s_assert_same (const void *a, const void *b)
{
    ck_assert ((a == NULL) == (b == NULL));
    if (!a)
        return;
    size_t a_size, b_size;
    uint8_t *a_packed = codec_pack (a, &a_size), *b_packed = codec_pack (b, &b_size);
    ck_assert_uint_eq (a_size, b_size);
    ck_assert (a_size == 0 || memcmp (a_packed, b_packed, a_size) == 0);
    free (a_packed);
    free (b_packed);
}

//  codec_arena_decode_event and _fetch_reply read the wire by hand: what
//  they give must be what protobuf-c gives for the same bytes, whole, cut
//  anywhere, with a field they do not know, or random.
START_TEST (test_arena_decode_event)
{
    max_align_t buffer [4096 / sizeof (max_align_t)];
    codec_arena_t arena;
    codec_arena_init (&arena, buffer, sizeof buffer);
    uint8_t payload [700];
    for (size_t i = 0; i < sizeof payload; i++)
        payload [i] = (uint8_t) (i * 7);
    FetchReply reply = FETCH_REPLY__INIT;
    Event events [6];
    Event *pointers [6];
    for (int round = 0; round < 6; round++) {
        Event event = EVENT__INIT;
        if (round != 1) {
            event.stream = "claims";
            event.type = round == 2? "": "adjudicated";
            event.producer = "claims-1";
            event.key = round == 3? "": "PCN-0001";
        }
        event.producer_seq = round == 4? 0: 300 + (uint64_t) round;
        event.stream_seq = round == 5? UINT64_MAX: 12345678901ULL;
        event.time_ms = 1765000000000ULL;
        event.payload.data = payload;
        event.payload.len = round == 2? 0: sizeof payload - (size_t) round * 100;
        event.producer_epoch = round & 1? 0: 0x1122334455667788ULL;
        event.prev_epoch = round == 5? 0xffffffffffffffffULL: 0;
        events [round] = event;
        pointers [round] = &events [round];
        size_t size;
        uint8_t *packed = codec_pack (&event, &size);
        for (size_t cut = 0; cut <= size; cut++) {
            Event *mine = codec_arena_decode_event (&arena, packed, cut);
            Event *theirs = (Event *) codec_decode (&event__descriptor, packed, cut);
            s_assert_same (mine, theirs);
            codec_free (theirs);
            codec_arena_reset (&arena);
        }
        Event *mine = codec_arena_decode_event (&arena, packed, size);
        ck_assert_str_eq (mine->stream, event.stream);
        ck_assert_str_eq (mine->key, event.key);
        ck_assert_uint_eq (mine->stream_seq, event.stream_seq);
        ck_assert_uint_eq (mine->producer_epoch, event.producer_epoch);
        ck_assert_uint_eq (mine->payload.len, event.payload.len);
        codec_arena_reset (&arena);
        //  The order noted (the broker's stream seq offset): in field
        //  order, one-byte tags, the first field from 5 on where it starts;
        //  borrowed bytes point into the input.
        codec_wire_order_t order = { .above = 5 };
        arena.borrow = true;
        mine = codec_arena_decode_event_order (&arena, packed, size, &order);
        arena.borrow = false;
        ck_assert_ptr_nonnull (mine);
        ck_assert (order.ordered);
        ck_assert_uint_eq (order.number, 5);
        ck_assert_uint_lt (order.offset, size);
        ck_assert_uint_eq (packed [order.offset], 5 << 3);
        if (mine->payload.len)
            ck_assert (mine->payload.data > packed && mine->payload.data + mine->payload.len <= packed + size);
        codec_arena_reset (&arena);
        //  A field this reader does not know (99, varint): protobuf-c's.
        uint8_t *longer = (uint8_t *) malloc (size + 3);
        memcpy (longer, packed, size);
        longer [size] = 0x98;
        longer [size + 1] = 0x06;
        longer [size + 2] = 0x05;
        mine = codec_arena_decode_event (&arena, longer, size + 3);
        Event *theirs = (Event *) codec_decode (&event__descriptor, longer, size + 3);
        ck_assert_ptr_nonnull (mine);
        ck_assert_uint_eq (mine->base.n_unknown_fields, 1);
        s_assert_same (mine, theirs);
        codec_free (theirs);
        codec_arena_reset (&arena);
        //  Not read by codec's own reader: not noted as in order.
        mine = codec_arena_decode_event_order (&arena, longer, size + 3, &order);
        ck_assert_ptr_nonnull (mine);
        ck_assert (!order.ordered);
        codec_arena_reset (&arena);
        //  An epoch (fixed64) twice: protobuf-c's, the last one kept.
        memcpy (longer, packed, size);
        uint8_t *twice = (uint8_t *) realloc (longer, size + 9);
        twice [size] = 0x49;
        for (int i = 0; i < 8; i++)
            twice [size + 1 + (size_t) i] = (uint8_t) (0xa0 + i);
        mine = codec_arena_decode_event (&arena, twice, size + 9);
        theirs = (Event *) codec_decode (&event__descriptor, twice, size + 9);
        ck_assert_ptr_nonnull (mine);
        ck_assert_uint_eq (mine->producer_epoch, 0xa7a6a5a4a3a2a1a0ULL);
        s_assert_same (mine, theirs);
        codec_free (theirs);
        codec_arena_reset (&arena);
        free (twice);
        free (packed);
    }
    reply.stream = "claims";
    reply.events = pointers;
    reply.n_events = 6;
    reply.head_seq = 99;
    reply.first_seq = 1;
    reply.store_id = "store-1";
    size_t size;
    uint8_t *packed = codec_pack (&reply, &size);
    for (size_t cut = 0; cut <= size; cut += 13) {
        FetchReply *mine = codec_arena_decode_fetch_reply (&arena, packed, cut);
        FetchReply *theirs = (FetchReply *) codec_decode (&fetch_reply__descriptor, packed, cut);
        s_assert_same (mine, theirs);
        codec_free (theirs);
        codec_arena_reset (&arena);
    }
    FetchReply *mine = codec_arena_decode_fetch_reply (&arena, packed, size);
    ck_assert_uint_eq (mine->n_events, 6);
    ck_assert_str_eq (mine->store_id, "store-1");
    ck_assert_uint_eq (mine->events [5]->prev_epoch, 0xffffffffffffffffULL);
    codec_arena_reset (&arena);
    free (packed);
    //  Random bytes: both fail or both agree.
    srand (19);
    uint8_t noise [64];
    for (int round = 0; round < 2000; round++) {
        size_t length = (size_t) (rand () % (int) sizeof noise);
        for (size_t i = 0; i < length; i++)
            noise [i] = (uint8_t) rand ();
        Event *event = codec_arena_decode_event (&arena, noise, length);
        Event *theirs = (Event *) codec_decode (&event__descriptor, noise, length);
        s_assert_same (event, theirs);
        codec_free (theirs);
        FetchReply *fetched = codec_arena_decode_fetch_reply (&arena, noise, length);
        FetchReply *fetched_theirs = (FetchReply *) codec_decode (&fetch_reply__descriptor, noise, length);
        s_assert_same (fetched, fetched_theirs);
        codec_free (fetched_theirs);
        codec_arena_reset (&arena);
    }
    codec_arena_release (&arena);
}
END_TEST

//  codec_arena_decode_direct reads any message by its descriptor: what it
//  gives must be what protobuf-c gives for the same bytes — a claim with
//  every kind of field (nested, repeated, packed and not, negative, enum,
//  bool), cut anywhere, with an unknown field, a singular field twice, or
//  random bytes.
static Claim *
s_direct_claim (ClaimDate **dates, Diagnosis **diagnoses, ServiceLine **lines, ScrubFinding **findings,
                Provider *billing, Address *address, Subscriber *subscriber, Payer *payer)
{
    static Claim claim;
    static uint32_t pointers [2] [4] = { { 1, 2, 3, 4 }, { 200, 70000, 0, 5 } };
    static char *modifiers [] = { "25", "", "59" };
    claim__init (&claim);
    address__init (address);
    address->line1 = "1 MAIN ST";
    address->postal_code = "12345";
    provider__init (billing);
    billing->name = "CLINIC";
    billing->npi = "1234567893";
    billing->address = address;
    subscriber__init (subscriber);
    subscriber->group_number = "G-1";
    subscriber->address = address;
    payer__init (payer);
    payer->payer_id = "ACME1";
    claim.billing_provider = billing;
    claim.subscriber = subscriber;
    claim.payer = payer;
    claim.patient_control_number = "PCN-7";
    claim.total_charge_cents = -12345678901LL;
    claim.segment_index = UINT64_MAX;
    claim.claim_index = UINT32_MAX;
    for (int i = 0; i < 2; i++) {
        claim_date__init (dates [i]);
        dates [i]->qualifier = i? "454": "431";
        dates [i]->date_from = "20261201";
        diagnosis__init (diagnoses [i]);
        diagnoses [i]->code = i? "": "E119";
        service_line__init (lines [i]);
        lines [i]->line_number = (uint32_t) i + 1;
        lines [i]->procedure_code = "99213";
        lines [i]->modifiers = modifiers;
        lines [i]->n_modifiers = i? 3: 1;
        lines [i]->diagnosis_pointers = pointers [i];
        lines [i]->n_diagnosis_pointers = 4;
        lines [i]->charge_cents = i? 0: 7500;
        lines [i]->units_milli = 1500;
        scrub_finding__init (findings [i]);
        findings [i]->rule_id = "PRS001";
        findings [i]->severity = i? SEVERITY__SEVERITY_WARNING: SEVERITY__SEVERITY_ERROR;
    }
    claim.dates = dates;
    claim.n_dates = 2;
    claim.diagnoses = diagnoses;
    claim.n_diagnoses = 2;
    claim.lines = lines;
    claim.n_lines = 2;
    claim.parse_findings = findings;
    claim.n_parse_findings = 1;
    return &claim;
}

static void
s_assert_direct (codec_arena_t *arena, const ProtobufCMessageDescriptor *type, const uint8_t *data, size_t size)
{
    void *mine = codec_arena_decode_direct (arena, type, data, size);
    void *theirs = codec_decode (type, data, size);
    s_assert_same (mine, theirs);
    codec_free (theirs);
    codec_arena_reset (arena);
}

START_TEST (test_arena_decode_direct)
{
    codec_arena_t *arena = codec_arena_new ();
    ClaimDate date_0, date_1;
    Diagnosis dx_0, dx_1;
    ServiceLine line_0, line_1;
    ScrubFinding finding_0, finding_1;
    ClaimDate *dates [] = { &date_0, &date_1 };
    Diagnosis *diagnoses [] = { &dx_0, &dx_1 };
    ServiceLine *lines [] = { &line_0, &line_1 };
    ScrubFinding *findings [] = { &finding_0, &finding_1 };
    Provider billing;
    Address address;
    Subscriber subscriber;
    Payer payer;
    Claim *claim = s_direct_claim (dates, diagnoses, lines, findings, &billing, &address, &subscriber, &payer);
    size_t size;
    uint8_t *packed = codec_pack (claim, &size);
    Claim *mine = (Claim *) codec_arena_decode_direct (arena, &claim__descriptor, packed, size);
    ck_assert_ptr_nonnull (mine);
    ck_assert_uint_eq (mine->base.n_unknown_fields, 0);
    ck_assert_int_eq (mine->total_charge_cents, -12345678901LL);
    ck_assert_uint_eq (mine->lines [1]->n_modifiers, 3);
    ck_assert_uint_eq (mine->lines [1]->diagnosis_pointers [1], 70000);
    ck_assert_int_eq (mine->parse_findings [0]->severity, SEVERITY__SEVERITY_ERROR);
    ck_assert_str_eq (mine->subscriber->address->line1, "1 MAIN ST");
    ck_assert_str_eq (mine->place_of_service, "");
    codec_arena_reset (arena);
    for (size_t cut = 0; cut <= size; cut++)
        s_assert_direct (arena, &claim__descriptor, packed, cut);

    //  Field 99 (unknown, kept by protobuf-c), and field 17 (the PCN, a
    //  singular string) a second time: protobuf-c's last one wins.
    uint8_t *longer = (uint8_t *) malloc (size + 8);
    memcpy (longer, packed, size);
    memcpy (longer + size, "\x98\x06\x05", 3);
    s_assert_direct (arena, &claim__descriptor, longer, size + 3);
    mine = (Claim *) codec_arena_decode_direct (arena, &claim__descriptor, longer, size + 3);
    ck_assert_uint_eq (mine->base.n_unknown_fields, 1);
    codec_arena_reset (arena);
    memcpy (longer + size, "\x8a\x01\x03XYZ", 6);
    s_assert_direct (arena, &claim__descriptor, longer, size + 6);
    mine = (Claim *) codec_arena_decode_direct (arena, &claim__descriptor, longer, size + 6);
    ck_assert_str_eq (mine->patient_control_number, "XYZ");
    codec_arena_reset (arena);
    free (longer);

    //  Diagnosis pointers not packed (a varint each), then a packed run
    //  after them: protobuf-c takes both; so does this reader.
    ServiceLine line = SERVICE_LINE__INIT;
    line.procedure_code = "A";
    size_t line_size;
    uint8_t *line_packed = codec_pack (&line, &line_size);
    uint8_t bytes [64];
    memcpy (bytes, line_packed, line_size);
    memcpy (bytes + line_size, "\x50\x03\x50\x81\x01\x52\x02\x07\x08", 9);
    s_assert_direct (arena, &service_line__descriptor, bytes, line_size + 9);
    ServiceLine *read = (ServiceLine *) codec_arena_decode_direct (arena, &service_line__descriptor,
                                                                   bytes, line_size + 9);
    ck_assert_uint_eq (read->n_diagnosis_pointers, 4);
    ck_assert_uint_eq (read->diagnosis_pointers [1], 129);
    ck_assert_uint_eq (read->diagnosis_pointers [3], 8);
    codec_arena_reset (arena);
    free (line_packed);

    //  Random bytes, and random changes of the claim's: both fail or both agree.
    srand (24);
    uint8_t noise [96];
    for (int round = 0; round < 1500; round++) {
        size_t length = (size_t) (rand () % (int) sizeof noise);
        for (size_t i = 0; i < length; i++)
            noise [i] = (uint8_t) rand ();
        s_assert_direct (arena, &claim__descriptor, noise, length);
        s_assert_direct (arena, &service_line__descriptor, noise, length);
        uint8_t *changed = (uint8_t *) malloc (size);
        memcpy (changed, packed, size);
        changed [(size_t) rand () % size] ^= (uint8_t) (1 + rand () % 255);
        s_assert_direct (arena, &claim__descriptor, changed, size);
        free (changed);
    }
    free (packed);
    codec_arena_destroy (&arena);
}
END_TEST

//  The string-field setter, append and destroy on a message that owns its
//  memory: what the X12 readers and posting build claims and remits with.
START_TEST (test_set_text_append)
{
    Request *request = (Request *) codec_copy (&(Request) REQUEST__INIT);
    ck_assert_ptr_nonnull (request);
    codec_set_text (&request->method, "claims.List");
    ck_assert_str_eq (request->method, "claims.List");
    codec_set_text (&request->method, "claims.Show");          //  frees what it held
    ck_assert_str_eq (request->method, "claims.Show");
    codec_set_text (&request->method, "");
    ck_assert_ptr_eq (request->method, protobuf_c_empty_string);
    codec_set_text (&request->id, NULL);
    ck_assert_ptr_eq (request->id, protobuf_c_empty_string);
    codec_set_text (&request->id, "r1");
    //  A repeated string field, then the whole message freed (ASan: no leak).
    AccessEvent *access = (AccessEvent *) codec_copy (&(AccessEvent) ACCESS_EVENT__INIT);
    ck_assert_ptr_nonnull (access);
    codec_append_text (&access->subjects, &access->n_subjects, "P1");
    codec_append_text (&access->subjects, &access->n_subjects, "");
    codec_append (&access->subjects, &access->n_subjects, strdup ("P3"));
    ck_assert_uint_eq (access->n_subjects, 3);
    ck_assert_str_eq (access->subjects [0], "P1");
    //  A heap "", not the shared empty string: protobuf-c frees every
    //  element of a repeated string (pbutil_append_text handed it out).
    ck_assert_ptr_ne (access->subjects [1], protobuf_c_empty_string);
    ck_assert_str_eq (access->subjects [1], "");
    ck_assert_str_eq (access->subjects [2], "P3");
    size_t size;
    uint8_t *packed = codec_pack (request, &size);
    Request *back = (Request *) codec_decode (&request__descriptor, packed, size);
    ck_assert_str_eq (back->id, "r1");
    ck_assert_str_eq (back->method, "");
    free (packed);
    codec_free (back);
    codec_destroy (&request);
    ck_assert_ptr_null (request);
    codec_destroy (&request);                                  //  NULL-safe
    codec_destroy (&access);
    ck_assert_ptr_null (access);
}
END_TEST

//  codec_clear frees each item with the function given, then the array,
//  and leaves it empty so it can be built again (the grid's plain blocks,
//  the queue list's messages).
static size_t s_cleared;

static void
s_count_free (void *item)
{
    s_cleared++;
    free (item);
}

START_TEST (test_clear)
{
    char **items = NULL;
    size_t count = 0;
    for (int i = 0; i < 3; i++)
        codec_append (&items, &count, strdup ("item"));
    s_cleared = 0;
    codec_clear (&items, &count, s_count_free);
    ck_assert_uint_eq (s_cleared, 3);
    ck_assert_ptr_null (items);
    ck_assert_uint_eq (count, 0);
    codec_clear (&items, &count, s_count_free);                //  empty: nothing freed
    ck_assert_uint_eq (s_cleared, 3);
    //  Messages, through codec_free; built again after (ASan: no leak).
    Event **events = NULL;
    size_t n_events = 0;
    codec_append (&events, &n_events, codec_copy (&(Event) EVENT__INIT));
    codec_clear (&events, &n_events, codec_free);
    codec_append (&events, &n_events, codec_copy (&(Event) EVENT__INIT));
    ck_assert_uint_eq (n_events, 1);
    codec_clear (&events, &n_events, codec_free);
    ck_assert_ptr_null (events);
}
END_TEST

Suite *
codec_suite (void)
{
    Suite *suite = suite_create ("codec");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_event_round_trip);
    tcase_add_test (tc, test_request_reply_round_trip);
    tcase_add_test (tc, test_empty_messages);
    tcase_add_test (tc, test_garbage);
    tcase_add_test (tc, test_truncated);
    tcase_add_test (tc, test_random_bytes);
    tcase_add_test (tc, test_wrong_type);
    tcase_add_test (tc, test_status_names);
    tcase_add_test (tc, test_append_field);
    tcase_add_test (tc, test_copy);
    tcase_add_test (tc, test_project);
    tcase_add_test (tc, test_decode_fields);
    tcase_add_test (tc, test_arena);
    tcase_add_test (tc, test_arena_decode_fields);
    tcase_add_test (tc, test_arena_decode_event);
    tcase_add_test (tc, test_arena_decode_direct);
    tcase_add_test (tc, test_set_text_append);
    tcase_add_test (tc, test_clear);
    suite_add_tcase (suite, tc);
    return suite;
}
