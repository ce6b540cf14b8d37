/*  outbox: the transactional outbox (DESIGN §2).

    A service appends the events a state change causes in the SAME LMDB
    write transaction as the change, so either both happen or neither.
    Each event gets the next producer sequence number (dense, from 1); the
    relay (relay.h) sends unacknowledged entries to the broker and deletes
    them once the broker has committed them.

    The producer name is "<service>-<instance>", where the instance id is
    made once per store: a store that is wiped and recreated is a new
    producer, so the broker's dedup table can never swallow its events.

    A store restored from an older copy keeps its instance id, so the name
    cannot tell it from the original. Each open of the outbox therefore
    draws a fresh random epoch, and every event carries its epoch and the
    epoch of the event before it (prev_epoch): the broker, which records the
    seq range it took under each epoch, sees when a producer re-uses numbers
    it already logged under another epoch or continues from an event it
    never logged (docs/adr/0007-store-rollback-detection.md).
*/
#ifndef RCMQ_OUTBOX_H
#define RCMQ_OUTBOX_H

#include "store.h"
#include "codec.h"

//  Tables the service's store must declare for the outbox.
#define OUTBOX_TABLES "outbox", "outbox_meta"

typedef struct _outbox_t outbox_t;

//  NULL (error in store_error) when the store cannot be written.
outbox_t   *outbox_new (store_t *store, const char *service);
void        outbox_destroy (outbox_t **self_p);
const char *outbox_producer (outbox_t *self);
store_t    *outbox_store (outbox_t *self);
//  This run's epoch (random, never 0), stamped on every event appended.
uint64_t    outbox_epoch (outbox_t *self);

//  Appends an event inside txn. payload is a protobuf-c message or NULL.
//  Returns 0 or an LMDB error code (pass it back from the store_write fn).
int         outbox_append (outbox_t *self, MDB_txn *txn, const char *stream,
                           const char *type, const char *key, const void *payload);
int         outbox_append_raw (outbox_t *self, MDB_txn *txn, const char *stream,
                               const char *type, const char *key,
                               const uint8_t *payload, size_t size);
//  Events in the outbox (0 when the store cannot be read): not yet
//  acknowledged by the broker, or acknowledged and waiting (at most ~60 ms)
//  for a write to delete them in (relay.c, docs/adr/0074).
uint64_t    outbox_depth (outbox_t *self);
//  The next seq to assign and the number of unacknowledged events, read
//  together. Returns 0, or -1 with the reason in store_error().
int         outbox_position (outbox_t *self, uint64_t *next_seq, uint64_t *depth);
//  The next seq alone, for display and tests: 0 when it cannot be read.
uint64_t    outbox_next_seq (outbox_t *self);

#endif
