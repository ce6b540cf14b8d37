/*  workpolicy: binds a service's work items to what they follow — the SLA
    policies (common/sla: calendar, pause states, target, levels) and the
    responsibility grid of the queues the service keeps (common/grid, the
    Queue messages of its queues table, from the queue stream).

    It is the one implementation of workitem's two hooks:

      rules  the item's policy (by the name it records, else the one
             sla_set_find chooses for its queue and type) as clock rules:
             its calendar (or wall time), its pause states, its target (the
             item's own when set_due gave it one) and the levels for that
             target (sla_level_spent). A first-touch policy's clock stops
             once a person has touched the item.
      grid   grid_resolve of the item's queue (read now, so a grid or phase
             change reaches open items at once) and type: the owner team,
             the default assignee (a pool's next person, round robin, the
             turn kept in the store), the policy's name (the type's
             default resolved, so an item records which policy it follows)
             and the person of each escalation level.

    workpolicy_team is the team an item has now (the grid's, phase
    applied), and workpolicy_queue the queue itself for scope checks.
*/
#ifndef RCMQ_WORKPOLICY_H
#define RCMQ_WORKPOLICY_H

#include "grid.h"
#include "sla.h"
#include "workitem.h"

typedef struct _workpolicy_t workpolicy_t;

//  sla: the service's policies (not owned); queues_table: the table of
//  Queue messages by id in store.
workpolicy_t *workpolicy_new (const sla_set_t *sla, store_t *store, const char *queues_table);
void          workpolicy_destroy (workpolicy_t **self_p);
//  Sets both hooks of work to this binder.
void          workpolicy_bind (workpolicy_t *self, workitem_t *work);

//  The queue of an item: 0 with *queue_p (codec_free it), MDB_NOTFOUND, or
//  an LMDB error.
int           workpolicy_queue (workpolicy_t *self, MDB_txn *txn, const char *queue_id, Queue **queue_p);
//  The rules hook, for tests and the bench: see workitem_rules_fn.
int           workpolicy_rules (void *self, const WorkItem *item, workclock_rules_t *rules,
                                char *error, size_t size);

#endif
