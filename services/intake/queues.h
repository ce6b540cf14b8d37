/*  queues: work queue definitions, stored in intake, and claim routing.

    A queue matches claims by payer id, payer group, location and service
    line (an empty list matches anything). Routing picks the matching queue
    with the most non-empty criteria, then the highest priority, then the
    smallest id; when nothing matches, the default queue. There is always a
    default queue: intake creates "default" on first start.

    The rollout phase says who works a queue's claims: `internal` its owner
    team; `pilot` and `vendor` the vendor team (pilot = the vendor works it
    while the internal owner still reviews). Every change is published on
    the "queue" stream as queue.changed, in the same transaction.
*/
#ifndef RCMQ_INTAKE_QUEUES_H
#define RCMQ_INTAKE_QUEUES_H

#include "intake.pb-c.h"
#include "outbox.h"
#include "server.h"
#include "store.h"

#define QUEUES_TABLES "queues"

typedef struct _queues_t queues_t;

queues_t    *queues_new (store_t *store, outbox_t *outbox);
void         queues_destroy (queues_t **self_p);
//  Re-reads the committed definitions (after a change was committed).
void         queues_reload (queues_t *self);

//  Checks a definition; 0, or -1 with the reason in error.
int          queues_validate (const Queue *queue, char *error, size_t size);
//  The same for a queue being created: it also carries no grid and no
//  contacts, which name people and are set one checked change at a time
//  (queue_grid.c).
int          queues_validate_new (const Queue *queue, char *error, size_t size);
//  Writes a queue inside txn and appends queue.changed. Returns 0 or an
//  LMDB error.
int          queues_put (queues_t *self, MDB_txn *txn, const Queue *queue,
                         const char *actor, const char *change);
//  The stored queue (free with codec_free) or NULL.
Queue       *queues_get (queues_t *self, MDB_txn *txn, const char *id);
//  The queue a method acts on, in the call's transaction (free with
//  codec_free), or NULL after failing the call NOT_FOUND "<method>: no
//  queue '<id>'": every queue.* method words it so.
Queue       *queues_call_get (queues_t *self, server_call_t *call, const char *id);
//  The resolver of a method on one queue (scope marks, server.h): names
//  the queue and its scope; a queue not there is answered as one out of
//  scope. Returns 0.
//  queues_call_get for a read of the queue: named as the call's subject.
Queue       *queues_call_read (queues_t *self, server_call_t *call, const char *id);
int          queues_call_scope (queues_t *self, server_call_t *call, const char *id);
//  Creates the default queue if there is none. Returns 0 or an LMDB error.
int          queues_ensure_default (queues_t *self, MDB_txn *txn);

//  Routes a claim (committed definitions); fills dims->queue, owner_team,
//  phase, vendor_team.
void         queues_route (queues_t *self, ClaimDimensions *dims);
//  Number of committed queues and each (owned by the queues_t).
size_t       queues_count (queues_t *self);
const Queue *queues_at (queues_t *self, size_t index);
//  Who works a queue's claims in its phase.
const char  *queues_working_team (const Queue *queue);

#endif
