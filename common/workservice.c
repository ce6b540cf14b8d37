/*  workservice: see workservice.h. The handlers reach this object through
    the skeleton (service_work of the call's service_t), do their check,
    call the one workitem function that makes the change in the call's
    transaction, and answer the item as worklist_present shows it.
*/
#include "workservice.h"
#include "registry.h"
#include "access.h"
#include "clock.h"
#include "codec.h"
#include "log.h"
#include "service.h"
#include "worklist.h"

const char *const workservice_holders [] = { "claims", "denials", NULL };

#define WORK_METHODS 5

struct _workservice_t {
    char *name;
    sla_set_t *sla;
    workpolicy_t *policy;
    workitem_t *items;
    escalation_t *escalation;
    char method_names [WORK_METHODS][64];
    server_method_t methods [WORK_METHODS + 1];
};

static workservice_t *
s_self (server_call_t *call)
{
    return service_work ((service_t *) call->state);
}

//  The scope rule of work items: the queue's (access_in_scope), and for a
//  vendor the team that owns the item now must be its own.
static bool
s_in_scope (void *arg, const char *phase, const char *vendor_team, const char *team)
{
    server_call_t *call = (server_call_t *) arg;
    if (!server_call_in_scope (call, phase, vendor_team))
        return false;
    const char *own = access_scope_team (call->caller);
    return !own || streq (own, team);
}

static worklist_t
s_list_of (server_call_t *call)
{
    workservice_t *self = s_self (call);
    return (worklist_t) { self->items, self->policy, clock_now_ms (), s_in_scope, call };
}

static int
s_list (server_call_t *call)
{
    WorkListRequest *request = (WorkListRequest *) call->body;
    size_t limit;
    char error [160];
    if (store_page_limit (request->limit, STORE_PAGE_DEFAULT, STORE_PAGE_MAX, &limit, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: %s", call->request->method, error);
    if (*request->state && !workstate_known (request->state)) {
        workstate_names (error, sizeof error);
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: no state '%s' (states: %s)",
                                 call->request->method, request->state, error);
    }
    //  "me" is the caller.
    WorkListRequest asked = *request;
    if (streq (asked.owner, "me"))
        asked.owner = (char *) call->caller->name;
    worklist_t list = s_list_of (call);
    store_page_t page;
    int rc = worklist_read (&list, call->txn, &asked, limit, &page);
    if (rc == 0)
        server_call_reply_page (call, &work_list__descriptor, &page);
    store_page_clear (&page);
    return rc;
}

//  The item a subject method acts on, for the server's scope check: its
//  queue's phase and vendor team, or none (out of scope for a vendor)
//  when the item is not there or its team is not the caller's.
static int
s_resolve_id (server_call_t *call, const char *id)
{
    workservice_t *self = s_self (call);
    WorkItem *item;
    int rc = workitem_get (self->items, call->txn, id, &item);
    if (rc == MDB_NOTFOUND) {
        //  Refused as another's would be (SERVER_ITEM), and audited with
        //  the id asked for.
        server_call_scope (call, "work item", id, NULL, NULL);
        server_call_subject (call, id);
        return 0;
    }
    if (rc)
        return rc;
    Queue *queue = NULL;
    rc = workpolicy_queue (self->policy, call->txn, item->queue, &queue);
    if (rc && rc != MDB_NOTFOUND) {
        codec_free (item);
        return rc;
    }
    worklist_t list = s_list_of (call);
    bool in_scope;
    rc = worklist_present (&list, call->txn, item, false, &in_scope);
    if (rc == 0)
        server_call_scope (call, "work item", id, in_scope && queue? queue->phase: NULL,
                           in_scope && queue? queue->vendor_team: NULL);
    //  The refusal's access record names the item and its subject (the
    //  answer names them when it is given).
    if (rc == 0 && *call->scope_refused) {
        server_call_subject (call, id);
        if (*item->subject)
            server_call_subject (call, item->subject);
    }
    //  An internal caller is in scope whatever the queue: the server asks
    //  access_in_scope, which lets every non-vendor role through.
    codec_free (queue);
    codec_free (item);
    return rc;
}

static int s_resolve_get (server_call_t *call)    { return s_resolve_id (call, ((WorkId *) call->body)->id); }
static int s_resolve_assign (server_call_t *call) { return s_resolve_id (call, ((WorkAssignRequest *) call->body)->id); }
static int s_resolve_state (server_call_t *call)  { return s_resolve_id (call, ((WorkStateRequest *) call->body)->id); }
static int s_resolve_note (server_call_t *call)   { return s_resolve_id (call, ((WorkNoteRequest *) call->body)->id); }

//  Answers a change's result: the item (as lists show it, with its
//  history), a refusal with its status, or the LMDB error.
static int
s_answer (server_call_t *call, const char *id, int rc, WorkItem *item)
{
    workservice_t *self = s_self (call);
    if (rc == WORKITEM_REFUSED)
        return server_call_fail (call, workitem_status (self->items), "%s: %s", call->request->method,
                                 workitem_error (self->items));
    if (rc)
        return rc;
    worklist_t list = s_list_of (call);
    bool in_scope;
    rc = worklist_present (&list, call->txn, item, true, &in_scope);
    if (rc == 0) {
        server_call_subject (call, id);
        if (*item->subject)
            server_call_subject (call, item->subject);
        server_call_reply (call, item);
    }
    codec_free (item);
    return rc;
}

int
workservice_reply (server_call_t *call, int rc, WorkItem *item)
{
    if (rc) {
        codec_free (item);
        return s_answer (call, "", rc, NULL);
    }
    return s_answer (call, item->id, rc, item);
}

static int
s_get (server_call_t *call)
{
    WorkId *request = (WorkId *) call->body;
    WorkItem *item;
    int rc = workitem_get (s_self (call)->items, call->txn, request->id, &item);
    if (rc == MDB_NOTFOUND)
        return server_call_fail (call, STATUS__NOT_FOUND, "%s: no work item '%s'", call->request->method, request->id);
    return s_answer (call, request->id, rc, item);
}

static int
s_assign (server_call_t *call)
{
    WorkAssignRequest *request = (WorkAssignRequest *) call->body;
    //  Work assigned to a name nobody holds would wait for no one: the
    //  owner is an active person of the access registry (our copy).
    identity_t found;
    const identity_t *owner = NULL;
    if (*request->owner) {
        int rc = registry_person (call->store, call->txn, request->owner, &found);
        if (rc < 0)
            return -1;
        if (rc > 0)
            return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                     "%s: no user '%s' (an owner must be active in the access registry: rcmqctl access list)",
                                     call->request->method, request->owner);
        owner = &found;
    }
    //  A vendor hands work only to its own team.
    const char *own = access_scope_team (call->caller);
    if (owner && own && !streq (owner->team, own))
        return server_call_fail (call, STATUS__PERMISSION_DENIED, "%s: %s is not of team %s",
                                 call->request->method, request->owner, own);
    WorkItem *item = NULL;
    int rc = workitem_assign (s_self (call)->items, call->txn, request->id, request->owner, call->caller->name,
                              request->note, clock_now_ms (), &item);
    return s_answer (call, request->id, rc, item);
}

static int
s_state (server_call_t *call)
{
    WorkStateRequest *request = (WorkStateRequest *) call->body;
    WorkItem *item = NULL;
    int rc = workitem_set_state (s_self (call)->items, call->txn, request->id, request->state,
                                 call->caller->name, request->note, clock_now_ms (), &item);
    return s_answer (call, request->id, rc, item);
}

static int
s_note (server_call_t *call)
{
    WorkNoteRequest *request = (WorkNoteRequest *) call->body;
    WorkItem *item = NULL;
    int rc = workitem_note (s_self (call)->items, call->txn, request->id, call->caller->name,
                            request->note, clock_now_ms (), &item);
    return s_answer (call, request->id, rc, item);
}

workservice_t *
workservice_new (const char *service, store_t *store, outbox_t *outbox, config_t *config,
                 const service_work_t *def, char *error, size_t size)
{
    sla_set_t *sla = sla_set_load (config, error, size);
    if (!sla)
        return NULL;
    workservice_t *self = (workservice_t *) zmalloc (sizeof (workservice_t));
    self->name = strdup (service);
    self->sla = sla;
    self->policy = workpolicy_new (sla, store, def->queues_table? def->queues_table: "queues");
    self->items = workitem_new (store, outbox, service, service);
    workpolicy_bind (self->policy, self->items);

    static const struct {
        const char *verb, *permission;
        const ProtobufCMessageDescriptor *type;
        server_handler_fn *handler;
        server_scope_t scope;
        server_resolve_fn *resolve;
    } table [WORK_METHODS] = {
        { "WorkList",   "work.read", &work_list_request__descriptor,   s_list,   SERVER_LIST,    NULL },
        { "WorkGet",    "work.read", &work_id__descriptor,             s_get,    SERVER_ITEM,    s_resolve_get },
        { "WorkAssign", "work.work", &work_assign_request__descriptor, s_assign, SERVER_ITEM,    s_resolve_assign },
        { "WorkState",  "work.work", &work_state_request__descriptor,  s_state,  SERVER_ITEM,    s_resolve_state },
        { "WorkNote",   "work.work", &work_note_request__descriptor,   s_note,   SERVER_ITEM,    s_resolve_note },
    };
    for (size_t i = 0; i < WORK_METHODS; i++) {
        snprintf (self->method_names [i], sizeof self->method_names [i], "%s.%s", service, table [i].verb);
        self->methods [i] = (server_method_t) { self->method_names [i], table [i].permission, table [i].type,
                                                table [i].handler, table [i].scope, table [i].resolve,
                                                SERVER_NO_PHI };
    }
    self->methods [WORK_METHODS] = (server_method_t) { NULL };
    return self;
}

void
workservice_destroy (workservice_t **self_p)
{
    assert (self_p);
    workservice_t *self = *self_p;
    if (self) {
        escalation_destroy (&self->escalation);
        workitem_destroy (&self->items);
        workpolicy_destroy (&self->policy);
        sla_set_destroy (&self->sla);
        free (self->name);
        free (self);
        *self_p = NULL;
    }
}

workitem_t            *workservice_items (workservice_t *self)      { return self->items; }
workpolicy_t          *workservice_policy (workservice_t *self)     { return self->policy; }
const sla_set_t       *workservice_sla (workservice_t *self)        { return self->sla; }
const server_method_t *workservice_methods (workservice_t *self)    { return self->methods; }
escalation_t          *workservice_escalation (workservice_t *self) { return self->escalation; }

int
workservice_attach (workservice_t *self, zloop_t *loop, config_t *config, void (*committed) (void *arg), void *arg)
{
    int64_t interval;
    char error [256];
    if (config_get_int_checked (config, "work/sweep-ms", 1000, 10, 3600000, &interval, error, sizeof error)) {
        log_error ("bad setting", "error", json_string (error), NULL);
        return -1;
    }
    self->escalation = escalation_new (self->items, (uint64_t) interval, 0, committed, arg);
    return escalation_attach (self->escalation, loop);
}
