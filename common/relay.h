/*  relay: sends the outbox to the broker and deletes what it acknowledged.

    Runs inside the service's zloop on a DEALER socket (CURVE client) to the
    broker's ingest ROUTER. It keeps a window of events in flight, resends
    from the last acknowledged seq when an ack says the broker took less than
    was sent or when no ack comes in time, and relies on the broker dropping
    duplicates by (producer, seq). So an event leaves the outbox only after
    the broker committed it, and a crash anywhere only causes resends.

    An ack that contradicts the outbox (below what the broker acked before,
    above the last seq written, or refused) means one of the two stores was
    restored from an older copy: the relay stops sending and raises a
    problem (relay_problems) instead of dropping or re-using anything.
*/
#ifndef RCMQ_RELAY_H
#define RCMQ_RELAY_H

#include <czmq.h>
#include <stdbool.h>
#include "outbox.h"
#include "problems.h"

typedef struct _relay_t relay_t;

relay_t *relay_new (outbox_t *outbox, const char *endpoint, const char *broker_key, zcert_t *cert);
void     relay_destroy (relay_t **self_p);
//  Adds the relay's socket and timer to a loop.
int      relay_attach (relay_t *self, zloop_t *loop);
//  Sends what the outbox holds now (call after a commit that appended).
void     relay_kick (relay_t *self);
//  The acked entries still in the outbox are deleted at once (they
//  usually wait for the service's next write: see relay.c).
//  Blocks until the outbox is empty or timeout_ms passed; for shutdown.
//  Returns 0 when empty, -1 otherwise.
int      relay_flush (relay_t *self, int timeout_ms);
//  True when the broker acked within the last few seconds.
bool     relay_connected (relay_t *self);
uint64_t relay_acked_seq (relay_t *self);
//  The outbox holds no entry up to this seq (<= relay_acked_seq).
uint64_t relay_deleted_seq (relay_t *self);
//  How many writes the relay committed for its deletes alone (the rest
//  rode along in the service's own writes); for tests and measures.
uint64_t relay_delete_commits (relay_t *self);
//  Acked entries wait up to wait_ms for a write to ride in, or until max
//  of them wait (defaults 40 ms, 2000); for tests.
void     relay_set_delete_wait (relay_t *self, uint64_t wait_ms, uint64_t max);
//  True once an ack contradicted the outbox (see above); for good.
bool     relay_stopped (relay_t *self);
//  What the relay found wrong (status shows it); owned by the relay.
problems_t *relay_problems (relay_t *self);

#endif
