/*  queue_grid: the responsibility grid and contacts of intake's queues
    (issue 15; docs/work-items.md "Responsibility grid"): the handlers of
    the four methods, rows of intake's one table (methods.c).

        queue.GridSet      QueueGridSetRequest -> GridList       queue.grid
        queue.Grid         QueueGridRequest -> GridList          queue.read
        queue.ContactsSet  QueueContactsSetRequest -> QueueContacts  queue.grid
        queue.Contacts     QueueId -> QueueContacts               contacts.read

    A change edits the stored queue with common/grid's checked edits and
    writes it back through queues_put, which appends queue.changed (change
    "grid" or "contacts") to the outbox in the same transaction: claims and
    every other holder of the queue see the grid the moment they see the
    change. A refused change writes nothing (the handler fails before its
    first write); the server records it as every request.

    Who may change what. queue.grid is held by admins, internal leads and
    vendor leads. An internal caller changes any field of any queue. A
    vendor lead (scoped to its queues by the server before the handler
    runs) changes only who gets new items -- assignee or pool -- of a type
    its team owns now, naming people of its own team, and only the vendor
    side's contacts: teams, leads, escalation and SLA are the practice's
    control over its outsourced work. Every name must be a known user (the
    server's keyring; a service key is not a person).

    Reading contacts is contacts.read, which vendor agents hold too (whom
    to call about a queue they work), while the grid is queue set-up
    (queue.read).
*/
#include "queue_grid.h"
#include "access.h"
#include "clock.h"
#include "codec.h"
#include "grid.h"
#include "registry.h"

#include <assert.h>

//  The user a request names, in found, or NULL (the call failed) when the
//  access registry (our copy) holds no active person of that name. A
//  vendor caller names only its own team.
static const identity_t *
s_user (server_call_t *call, const char *what, const char *name, identity_t *found)
{
    int rc = registry_person (call->store, call->txn, name, found);
    if (rc < 0) {
        server_call_fail (call, STATUS__INTERNAL, "%s: the access registry could not be read: %s",
                          call->request->method, store_error (call->store));
        return NULL;
    }
    if (rc > 0) {
        server_call_fail (call, STATUS__INVALID_ARGUMENT,
                          "%s: %s '%s' is no active user (a person must be granted: rcmqctl access list)",
                          call->request->method, what, name);
        return NULL;
    }
    const char *team = access_scope_team (call->caller);
    if (team && !streq (found->team, team)) {
        server_call_fail (call, STATUS__PERMISSION_DENIED, "%s: %s '%s' is of team %s; role '%s' names only people of %s",
                          call->request->method, what, name, found->team, call->caller->role, team);
        return NULL;
    }
    return found;
}

//  True when every person the change names is a user (else the call failed).
static bool
s_users_known (server_call_t *call, const GridEntry *change)
{
    identity_t found;
    if (*change->assignee && !s_user (call, "assignee", change->assignee, &found))
        return false;
    for (size_t i = 0; i < change->n_pool; i++)
        if (*change->pool [i] && !s_user (call, "pool member", change->pool [i], &found))
            return false;
    if (*change->lead && !s_user (call, "lead", change->lead, &found))
        return false;
    for (size_t i = 0; i < change->n_escalate; i++)
        if (*change->escalate [i] && !s_user (call, "escalation contact", change->escalate [i], &found))
            return false;
    return true;
}

//  False (the call failed) when a vendor caller's change reaches past who
//  gets new items of its own team's work.
static bool
s_vendor_may (server_call_t *call, const Queue *queue, const QueueGridSetRequest *request)
{
    const char *team = access_scope_team (call->caller);
    if (!team)
        return true;
    const GridEntry *change = request->entry;
    bool beyond = *change->team || *change->lead || change->n_escalate || *change->sla_policy;
    for (size_t i = 0; i < request->n_clear; i++)
        beyond = beyond || !(streq (request->clear [i], "assignee") || streq (request->clear [i], "pool"));
    if (beyond) {
        server_call_fail (call, STATUS__PERMISSION_DENIED,
                          "queue.GridSet: role '%s' sets only the assignee or pool of its team's work"
                          " (team, lead, escalation and SLA are the practice's: an internal lead or admin)",
                          call->caller->role);
        return false;
    }
    grid_entry_t now;
    if (grid_resolve (queue, change->work_type, &now)) {
        //  The default row speaks for every type, the practice's too.
        server_call_fail (call, STATUS__PERMISSION_DENIED, "queue.GridSet: %s of queue %s is the practice's;"
                          " role '%s' sets a work type its team owns", change->work_type, queue->id,
                          call->caller->role);
        return false;
    }
    if (!streq (now.team, team)) {
        server_call_fail (call, STATUS__PERMISSION_DENIED, "queue.GridSet: %s of queue %s is %s's work now, not %s's",
                          change->work_type, queue->id, now.team, team);
        return false;
    }
    return true;
}

//  A resolved row with the storage its strings point into: one block, so
//  a list of them frees row by row.
typedef struct {
    GridRow row;                //  first: the block is freed through it
    grid_entry_t entry;
    char *pool [GRID_POOL_MAX];
    char *escalate [GRID_LEVELS];
} s_row_t;

//  Appends the queue's rows, one per work type, as grid_resolve gives them.
static void
s_add_rows (GridList *list, const Queue *queue)
{
    for (size_t t = 0; grid_work_types [t]; t++) {
        s_row_t *block = (s_row_t *) zmalloc (sizeof (s_row_t));
        grid_entry_t *entry = &block->entry;
        grid_resolve (queue, grid_work_types [t], entry);
        GridRow *row = &block->row;
        grid_row__init (row);
        row->queue = queue->id;
        row->phase = queue->phase;
        row->work_type = (char *) grid_work_types [t];
        row->team = entry->team;
        row->assignee = entry->assignee;
        row->lead = entry->lead;
        row->sla_policy = entry->sla_policy;
        row->pool = block->pool;
        row->n_pool = entry->n_pool;
        for (size_t i = 0; i < entry->n_pool; i++)
            block->pool [i] = entry->pool [i];
        row->escalate = block->escalate;
        row->n_escalate = GRID_LEVELS;
        for (size_t i = 0; i < GRID_LEVELS; i++)
            block->escalate [i] = entry->escalate [i];
        codec_append (&list->rows, &list->n_rows, row);
    }
}

//  Writes the changed queue (queue.changed with change) and answers.
static int
s_put (server_call_t *call, Queue *queue, const char *change)
{
    queue->updated_ms = clock_now_ms ();
    codec_set_text (&queue->updated_by, call->caller->name);
    int rc = queues_put (intake_of (call)->queues, call->txn, queue, call->caller->name, change);
    if (rc == 0)
        server_call_subject (call, queue->id);
    return rc;
}

int
queue_grid_set (server_call_t *call)
{
    intake_t *intake = intake_of (call);
    QueueGridSetRequest *request = (QueueGridSetRequest *) call->body;
    if (!request->entry)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "queue.GridSet: no entry (the work type and what changes)");
    Queue *queue = queues_call_get (intake->queues, call, request->queue);
    if (!queue)
        return 0;
    char error [512];
    int rc = 0;
    if (s_vendor_may (call, queue, request) && s_users_known (call, request->entry)) {
        if (grid_set (queue, request->entry, request->clear, request->n_clear, error, sizeof error))
            server_call_fail (call, STATUS__INVALID_ARGUMENT, "queue.GridSet: %s", error);
        else
        if ((rc = s_put (call, queue, "grid")) == 0) {
            GridList list = GRID_LIST__INIT;
            s_add_rows (&list, queue);
            server_call_reply (call, &list);
            codec_clear (&list.rows, &list.n_rows, free);
        }
    }
    codec_free (queue);
    return rc;
}

int
queue_grid_read (server_call_t *call)
{
    intake_t *intake = intake_of (call);
    QueueGridRequest *request = (QueueGridRequest *) call->body;
    GridList list = GRID_LIST__INIT;
    zlistx_t *queues = zlistx_new ();
    zlistx_set_destructor (queues, (zlistx_destructor_fn *) codec_destroy);
    int rc = 0;
    if (*request->queue) {
        Queue *queue = queues_get (intake->queues, call->txn, request->queue);
        //  A vendor learns nothing of queues it may not see: filtered to
        //  nothing, as a list is; everyone else is told the queue is not there.
        if (queue && server_call_in_scope (call, queue->phase, queue->vendor_team))
            zlistx_add_end (queues, queue);
        else {
            codec_free (queue);
            if (!access_scope_team (call->caller) && !queue)
                server_call_fail (call, STATUS__NOT_FOUND, "queue.Grid: no queue '%s'", request->queue);
        }
    }
    else {
        store_iter_t *iter = store_iter_new (intake->store, call->txn, "queues", NULL, 0);
        MDB_val key, value;
        while (store_iter_next (iter, &key, &value)) {
            Queue *queue = (Queue *) codec_decode (&queue__descriptor, value.mv_data, value.mv_size);
            if (queue && server_call_in_scope (call, queue->phase, queue->vendor_team))
                zlistx_add_end (queues, queue);
            else
                codec_free (queue);
        }
        rc = store_iter_error (iter);
        store_iter_destroy (&iter);
    }
    if (rc == 0 && call->status == STATUS__OK) {
        for (Queue *queue = (Queue *) zlistx_first (queues); queue; queue = (Queue *) zlistx_next (queues)) {
            s_add_rows (&list, queue);
            server_call_subject (call, queue->id);
        }
        server_call_reply (call, &list);
    }
    codec_clear (&list.rows, &list.n_rows, free);
    zlistx_destroy (&queues);
    return rc;
}

static void
s_reply_contacts (server_call_t *call, Queue *queue)
{
    QueueContacts contacts = QUEUE_CONTACTS__INIT;
    contacts.queue = queue->id;
    contacts.contacts = queue->contacts;
    contacts.n_contacts = queue->n_contacts;
    server_call_reply (call, &contacts);
}

int
queue_grid_contacts_set (server_call_t *call)
{
    intake_t *intake = intake_of (call);
    QueueContactsSetRequest *request = (QueueContactsSetRequest *) call->body;
    if (!request->contact)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "queue.ContactsSet: no contact (topic, side, name)");
    Queue *queue = queues_call_get (intake->queues, call, request->queue);
    if (!queue)
        return 0;
    const Contact *contact = request->contact;
    const char *team = access_scope_team (call->caller);
    char error [512];
    int rc = 0;
    identity_t found;
    const identity_t *user = NULL;
    if (team && !streq (contact->side, "vendor"))
        server_call_fail (call, STATUS__PERMISSION_DENIED,
                          "queue.ContactsSet: role '%s' sets only the vendor side's contacts", call->caller->role);
    else
    if (grid_contact_set (queue, contact, error, sizeof error))
        server_call_fail (call, STATUS__INVALID_ARGUMENT, "queue.ContactsSet: %s", error);
    else
    if (*contact->name && !(user = s_user (call, "contact", contact->name, &found)))
        ;   //  failed: not a user
    else
    //  A side's contact is a person of that side: the practice's staff for
    //  internal, the queue's vendor for vendor.
    if (user && streq (contact->side, "internal") && access_role_is_vendor (user->role))
        server_call_fail (call, STATUS__INVALID_ARGUMENT,
                          "queue.ContactsSet: %s is %s of team %s, not of the internal side",
                          user->name, user->role, user->team);
    else
    if (user && streq (contact->side, "vendor") && !(access_role_is_vendor (user->role) && streq (user->team, queue->vendor_team)))
        server_call_fail (call, STATUS__INVALID_ARGUMENT,
                          "queue.ContactsSet: %s is %s of team %s, not of queue %s's vendor (%s)",
                          user->name, user->role, user->team, queue->id,
                          *queue->vendor_team? queue->vendor_team: "none yet");
    else
    if ((rc = s_put (call, queue, "contacts")) == 0)
        s_reply_contacts (call, queue);
    codec_free (queue);
    return rc;
}

int
queue_grid_contacts (server_call_t *call)
{
    Queue *queue = queues_call_read (intake_of (call)->queues, call, ((QueueId *) call->body)->id);
    if (queue)
        s_reply_contacts (call, queue);
    codec_free (queue);
    return 0;
}

//  The queue a change or a read of one queue acts on (scope marks).
static int
s_scope (server_call_t *call, const char *id)
{
    return queues_call_scope (intake_of (call)->queues, call, id);
}

int
queue_grid_scope_set (server_call_t *call)
{
    return s_scope (call, ((QueueGridSetRequest *) call->body)->queue);
}

int
queue_grid_scope_contacts_set (server_call_t *call)
{
    return s_scope (call, ((QueueContactsSetRequest *) call->body)->queue);
}
