/*  escalation: the engine that raises work items' escalation levels
    (issue 15, docs/work-items.md "Escalation engine").

    A service that holds work items runs one escalation_t: a zloop timer
    that every interval reads the service clock (common/clock, RCMQ_NOW
    respected) and sweeps. A sweep walks the boundary index
    (work_by_boundary, keyed by the instant an item's next level is due,
    then its id) from its start up to now, and for each item found raises
    every level its clock has reached, in order, each once: the level,
    the person the grid names for it, a history entry and a
    `<stream>.work.escalated` event, all in the sweep's one write
    transaction, with the item's next boundary moved in the index. So:

    - exactly once: a level raised is in the item and its event in the
      outbox, or neither; the item's boundary then lies past it, so no
      later sweep sees that level again;
    - never forgotten: an item's boundary stays in the index until its
      level is raised, so a restart at a later RCMQ_NOW finds it and raises
      each level passed meanwhile (two levels behind raises both, in
      order, each with its own event);
    - bounded work: items whose boundary lies ahead are never read (the
      walk stops at the first key past now), and a sweep with more due
      items than its batch takes them a batch per transaction.

    An item at its last level has no further boundary and leaves the
    index, but stays escalated (escalation_level, escalated_to) until it
    is done or cancelled.
*/
#ifndef RCMQ_ESCALATION_H
#define RCMQ_ESCALATION_H

#include <czmq.h>
#include "workitem.h"

typedef struct _escalation_t escalation_t;

typedef struct {
    uint64_t visited;           //  index entries read (items at or past a boundary)
    uint64_t raised;            //  levels raised
    bool more;                  //  the batch filled: more items are due
} escalation_stats_t;

//  One sweep inside txn at now: at most batch items (0: no limit). 0 or
//  an LMDB error (nothing of the sweep applied).
int  escalation_sweep (workitem_t *work, MDB_txn *txn, uint64_t now, size_t batch,
                       escalation_stats_t *stats);

//  The timer: sweeps every interval_ms (and at once on attach, so a
//  restart catches up), each batch in a store_write of its own;
//  committed(arg) runs after each sweep that raised a level (to send the
//  outbox). batch 0: the default (1000 items per transaction).
escalation_t *escalation_new (workitem_t *work, uint64_t interval_ms, size_t batch,
                              void (*committed) (void *arg), void *arg);
void          escalation_destroy (escalation_t **self_p);
int           escalation_attach (escalation_t *self, zloop_t *loop);
//  Runs sweeps until no due item is left: 0, or -1 (logged) when a
//  transaction failed.
int           escalation_run (escalation_t *self);
//  What the sweeps did since the engine started.
escalation_stats_t escalation_totals (escalation_t *self);

#endif
