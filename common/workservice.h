/*  workservice: what the skeleton (common/service.c) runs for a service
    that holds work items (service_def_t.work): its items (workitem_t)
    bound to its SLA policies and its queues' grid (workpolicy_t), the
    escalation engine's timer, and the work methods every such service
    answers, registered as <name>.Health is:

        <svc>.WorkList    WorkListRequest -> WorkList     work.read   list
        <svc>.WorkGet     WorkId -> WorkItem              work.read   subject
        <svc>.WorkAssign  WorkAssignRequest -> WorkItem   work.work   subject
        <svc>.WorkState   WorkStateRequest -> WorkItem    work.work   subject
        <svc>.WorkNote    WorkNoteRequest -> WorkItem     work.work   subject

    Scope (ADR 0011): a vendor caller sees and acts only on items of
    queues in pilot or vendor phase whose vendor team is its own AND that
    its team owns now (the grid's team: a documentation request stays with
    the practice's internal team in every phase). A list keeps only those
    rows; a subject method names the item's queue to the server, which
    answers NOT_FOUND for another's item before the handler runs.
*/
#ifndef RCMQ_WORKSERVICE_H
#define RCMQ_WORKSERVICE_H

#include <czmq.h>
#include "config.h"
#include "server.h"
#include "sla.h"
#include "workitem.h"
#include "workpolicy.h"
#include "escalation.h"

//  What a service says about its work items in its service_def_t.
typedef struct {
    //  The table of Queue messages by id it keeps from the queue stream
    //  (the grid and the phase are read from it).
    const char *queues_table;
} service_work_t;

typedef struct _workservice_t workservice_t;

//  The services that hold work items (service_def_t.work), NULL-ended:
//  whoever lists everyone's items (rcmqctl work list, rcmq-web's Work
//  page) asks each of them and merges.
extern const char *const workservice_holders [];

//  NULL with error when the SLA configuration (sla/, calendar/) is bad.
workservice_t *workservice_new (const char *service, store_t *store, outbox_t *outbox, config_t *config,
                                const service_work_t *def, char *error, size_t size);
void           workservice_destroy (workservice_t **self_p);
workitem_t    *workservice_items (workservice_t *self);
workpolicy_t  *workservice_policy (workservice_t *self);
const sla_set_t *workservice_sla (workservice_t *self);
//  The methods above, named for the service ({ NULL }-terminated).
const server_method_t *workservice_methods (workservice_t *self);
//  Starts the escalation timer (work/sweep-ms, 1000 by default); each
//  sweep that raised a level calls committed(arg).
int            workservice_attach (workservice_t *self, zloop_t *loop, config_t *config,
                                   void (*committed) (void *arg), void *arg);
escalation_t  *workservice_escalation (workservice_t *self);
//  For a service's own work methods (claims.WorkRequestDoc): answers the
//  result of a workitem change as the work methods do (the item as
//  `work show` shows it, or the refusal with its status), and takes item.
//  Returns what a handler returns.
int            workservice_reply (server_call_t *call, int rc, WorkItem *item);

#endif
