/*  outbox: see outbox.h. Table "outbox" maps big-endian producer seq to a
    packed Event; "outbox_meta" holds the next seq, the instance id, this
    run's epoch ("epoch") and the epoch of the last event written
    ("last_epoch"), which becomes the prev_epoch of the next one.
*/
#include "outbox.h"
#include "clock.h"

#include <sodium.h>

struct _outbox_t {
    store_t *store;
    char producer [96];
    uint64_t epoch;
};

typedef struct {
    char instance [32];
    uint64_t epoch;
} s_open_t;

static int
s_open (store_t *store, MDB_txn *txn, void *arg)
{
    s_open_t *open = (s_open_t *) arg;
    //  A fresh epoch on every open, never 0 (0 means "no epoch"). The
    //  store keeps it so a copy taken now carries it, and a copy put back
    //  later opens under yet another one.
    do
        randombytes_buf (&open->epoch, sizeof open->epoch);
    while (open->epoch == 0);
    int rc = store_put_u64 (store, txn, "outbox_meta", "epoch", open->epoch);
    if (rc)
        return rc;
    MDB_val value;
    rc = store_get (store, txn, "outbox_meta", "instance", 8, &value);
    if (rc == 0 && value.mv_size < 32) {
        memcpy (open->instance, value.mv_data, value.mv_size);
        open->instance [value.mv_size] = 0;
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc;
    uint8_t random [4];
    randombytes_buf (random, sizeof random);
    sodium_bin2hex (open->instance, 9, random, sizeof random);
    return store_put (store, txn, "outbox_meta", "instance", 8, open->instance, strlen (open->instance));
}

outbox_t *
outbox_new (store_t *store, const char *service)
{
    s_open_t open = { "", 0 };
    if (sodium_init () < 0 || store_write (store, s_open, &open))
        return NULL;
    outbox_t *self = (outbox_t *) zmalloc (sizeof (outbox_t));
    self->store = store;
    self->epoch = open.epoch;
    snprintf (self->producer, sizeof self->producer, "%s-%s", service, open.instance);
    return self;
}

void
outbox_destroy (outbox_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

const char *
outbox_producer (outbox_t *self)
{
    return self->producer;
}

store_t *
outbox_store (outbox_t *self)
{
    return self->store;
}

uint64_t
outbox_epoch (outbox_t *self)
{
    return self->epoch;
}

//  An Event's bytes are written here, not by protobuf_c_message_pack: the
//  pack walked Event's descriptor for every event, and a payload went
//  through two buffers (its own pack, then the event's) before LMDB copied
//  it a third time. Now the payload is packed once, straight into the
//  outbox's value (MDB_RESERVE). The bytes are protobuf-c's: fields in
//  order, proto3's empty strings and zeros left out (the broker splices the
//  stream seq into them, eventlog.c); tests/unit/test_outbox.c compares
//  them with protobuf-c's for each field present and absent.
#define OUTBOX_HEAD_STACK 1024

//  The payload: a message packed into place, or bytes copied.
typedef struct {
    const ProtobufCMessage *message;
    const uint8_t *bytes;
    size_t size;
} s_payload_t;

static size_t
s_put_fixed64 (uint8_t *at, uint32_t field, uint64_t value)
{
    if (value == 0)
        return 0;
    size_t size = codec_write_tag (at, field, PROTOBUF_C_WIRE_TYPE_64BIT);
    for (int i = 0; i < 8; i++)
        at [size + i] = (uint8_t) (value >> (8 * i));
    return size + 8;
}

//  Puts the event in the outbox under seq, its value reserved in the map
//  and filled in place.
static int
s_put_event (outbox_t *self, MDB_txn *txn, uint64_t seq, uint64_t prev_epoch, const char *stream,
             const char *type, const char *key, const s_payload_t *payload)
{
    size_t stream_size = strlen (stream), type_size = strlen (type);
    size_t producer_size = strlen (self->producer), key_size = strlen (key);
    //  Each of the seven fields up to the payload's length: a tag, at most
    //  ten bytes of varint, its text.
    size_t head_max = stream_size + type_size + producer_size + key_size + 7 * 11;
    uint8_t stack [OUTBOX_HEAD_STACK];
    uint8_t *head = head_max <= sizeof stack? stack: (uint8_t *) malloc (head_max);
    if (!head)
        return ENOMEM;
    size_t head_size = codec_write_bytes_field (head, 1, stream, stream_size);
    head_size += codec_write_bytes_field (head + head_size, 2, type, type_size);
    head_size += codec_write_bytes_field (head + head_size, 3, self->producer, producer_size);
    head_size += codec_write_varint_field (head + head_size, 4, seq);
    head_size += codec_write_varint_field (head + head_size, 6, clock_now_ms ());
    head_size += codec_write_bytes_field (head + head_size, 7, key, key_size);
    //  The payload's tag and length; it goes in after them, in place.
    if (payload->size) {
        head_size += codec_write_tag (head + head_size, 8, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
        head_size += codec_write_varint (head + head_size, payload->size);
    }
    uint8_t tail [18];
    size_t tail_size = s_put_fixed64 (tail, 9, self->epoch);
    tail_size += s_put_fixed64 (tail + tail_size, 10, seq == 1? 0: prev_epoch);

    uint8_t seq_key [8];
    store_u64_write (seq_key, seq);
    MDB_val k = { 8, seq_key }, value = { head_size + payload->size + tail_size, NULL };
    MDB_dbi outbox = store_table (self->store, "outbox");
    int rc = mdb_put (txn, outbox, &k, &value, MDB_APPEND | MDB_RESERVE);
    //  Not the last key after all: LMDB changed nothing, so put it normally.
    if (rc == MDB_KEYEXIST)
        rc = mdb_put (txn, outbox, &k, &value, MDB_RESERVE);
    if (rc == 0) {
        uint8_t *at = (uint8_t *) value.mv_data;
        memcpy (at, head, head_size);
        if (payload->message)
            protobuf_c_message_pack (payload->message, at + head_size);
        else if (payload->size)
            memcpy (at + head_size, payload->bytes, payload->size);
        memcpy (at + head_size + payload->size, tail, tail_size);
    }
    if (head != stack)
        free (head);
    return rc;
}

static int
s_append (outbox_t *self, MDB_txn *txn, const char *stream, const char *type, const char *key,
          const s_payload_t *payload)
{
    //  A next_seq that cannot be read must not start again from 1: the
    //  broker would take the reused numbers for duplicates and drop them.
    uint64_t seq;
    int rc = store_get_u64 (self->store, txn, "outbox_meta", "next_seq", &seq);
    if (rc)
        return rc;
    if (seq == 0)
        seq = 1;
    //  The epoch of the event before this one: read in this transaction,
    //  so an aborted write leaves it as it was.
    uint64_t prev_epoch;
    rc = store_get_u64 (self->store, txn, "outbox_meta", "last_epoch", &prev_epoch);
    if (rc)
        return rc;
    rc = s_put_event (self, txn, seq, prev_epoch, stream, type, key? key: "", payload);
    if (rc == 0)
        rc = store_put_u64 (self->store, txn, "outbox_meta", "next_seq", seq + 1);
    if (rc == 0 && prev_epoch != self->epoch)
        rc = store_put_u64 (self->store, txn, "outbox_meta", "last_epoch", self->epoch);
    return rc;
}

int
outbox_append_raw (outbox_t *self, MDB_txn *txn, const char *stream, const char *type,
                   const char *key, const uint8_t *payload, size_t size)
{
    s_payload_t bytes = { NULL, payload, payload? size: 0 };
    return s_append (self, txn, stream, type, key, &bytes);
}

int
outbox_append (outbox_t *self, MDB_txn *txn, const char *stream, const char *type,
               const char *key, const void *payload)
{
    const ProtobufCMessage *message = (const ProtobufCMessage *) payload;
    s_payload_t packed = { message, NULL, message? protobuf_c_message_get_packed_size (message): 0 };
    return s_append (self, txn, stream, type, key, &packed);
}

uint64_t
outbox_depth (outbox_t *self)
{
    MDB_txn *txn = store_read_begin (self->store);
    if (!txn)
        return 0;
    uint64_t depth = store_count (self->store, txn, "outbox");
    store_read_end (&txn);
    return depth;
}

int
outbox_position (outbox_t *self, uint64_t *next_seq, uint64_t *depth)
{
    MDB_txn *txn = store_read_begin (self->store);
    if (!txn)
        return -1;
    int rc = store_get_u64 (self->store, txn, "outbox_meta", "next_seq", next_seq);
    if (*next_seq == 0)
        *next_seq = 1;
    *depth = store_count (self->store, txn, "outbox");
    store_read_end (&txn);
    return rc;
}

uint64_t
outbox_next_seq (outbox_t *self)
{
    uint64_t next, depth;
    return outbox_position (self, &next, &depth)? 0: next;
}
