/*  outbox: see outbox.h. Table "outbox" maps big-endian producer seq to a
    packed Event; "outbox_meta" holds the next seq and the instance id.
*/
#include "outbox.h"
#include "clock.h"

#include <sodium.h>

struct _outbox_t {
    store_t *store;
    char producer [96];
};

static int
s_ensure_instance (store_t *store, MDB_txn *txn, void *arg)
{
    char *instance = (char *) arg;
    MDB_val value;
    int rc = store_get (store, txn, "outbox_meta", "instance", 8, &value);
    if (rc == 0 && value.mv_size < 32) {
        memcpy (instance, value.mv_data, value.mv_size);
        instance [value.mv_size] = 0;
        return 0;
    }
    uint8_t random [4];
    randombytes_buf (random, sizeof random);
    sodium_bin2hex (instance, 9, random, sizeof random);
    return store_put (store, txn, "outbox_meta", "instance", 8, instance, strlen (instance));
}

outbox_t *
outbox_new (store_t *store, const char *service)
{
    char instance [32];
    if (sodium_init () < 0 || store_write (store, s_ensure_instance, instance))
        return NULL;
    outbox_t *self = (outbox_t *) zmalloc (sizeof (outbox_t));
    self->store = store;
    snprintf (self->producer, sizeof self->producer, "%s-%s", service, instance);
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

int
outbox_append_raw (outbox_t *self, MDB_txn *txn, const char *stream, const char *type,
                   const char *key, const uint8_t *payload, size_t size)
{
    //  A next_seq that cannot be read must not start again from 1: the
    //  broker would take the reused numbers for duplicates and drop them.
    uint64_t seq;
    int rc = store_get_u64 (self->store, txn, "outbox_meta", "next_seq", &seq);
    if (rc)
        return rc;
    if (seq == 0)
        seq = 1;
    Event event = EVENT__INIT;
    event.stream = (char *) stream;
    event.type = (char *) type;
    event.producer = self->producer;
    event.producer_seq = seq;
    event.time_ms = clock_now_ms ();
    event.key = (char *) (key? key: "");
    event.payload.data = (uint8_t *) payload;
    event.payload.len = payload? size: 0;

    size_t packed_size;
    uint8_t *packed = codec_pack (&event, &packed_size);
    uint8_t seq_key [8];
    store_u64_write (seq_key, seq);
    rc = store_append (self->store, txn, "outbox", seq_key, 8, packed, packed_size);
    free (packed);
    if (rc == 0)
        rc = store_put_u64 (self->store, txn, "outbox_meta", "next_seq", seq + 1);
    return rc;
}

int
outbox_append (outbox_t *self, MDB_txn *txn, const char *stream, const char *type,
               const char *key, const void *payload)
{
    if (!payload)
        return outbox_append_raw (self, txn, stream, type, key, NULL, 0);
    size_t size;
    uint8_t *packed = codec_pack (payload, &size);
    int rc = outbox_append_raw (self, txn, stream, type, key, packed, size);
    free (packed);
    return rc;
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
