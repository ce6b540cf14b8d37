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
    //  The epoch of the event before this one: read in this transaction,
    //  so an aborted write leaves it as it was.
    uint64_t prev_epoch;
    rc = store_get_u64 (self->store, txn, "outbox_meta", "last_epoch", &prev_epoch);
    if (rc)
        return rc;
    Event event = EVENT__INIT;
    event.stream = (char *) stream;
    event.type = (char *) type;
    event.producer = self->producer;
    event.producer_seq = seq;
    event.producer_epoch = self->epoch;
    event.prev_epoch = seq == 1? 0: prev_epoch;
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
    if (rc == 0 && prev_epoch != self->epoch)
        rc = store_put_u64 (self->store, txn, "outbox_meta", "last_epoch", self->epoch);
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
