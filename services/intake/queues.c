/*  queues: see queues.h. Definitions are few (tens), so routing scans the
    in-memory list; the list is a copy of the committed table, reloaded
    after each change.
*/
#include "queues.h"
#include "clock.h"
#include "codec.h"

#include <czmq.h>

struct _queues_t {
    store_t *store;
    outbox_t *outbox;
    Queue **queues;
    size_t count;
};

static const char *s_phases [] = { "internal", "pilot", "vendor", NULL };

static void
s_clear (queues_t *self)
{
    codec_clear (&self->queues, &self->count, codec_free);
}

void
queues_reload (queues_t *self)
{
    s_clear (self);
    MDB_txn *txn = store_read_begin (self->store);
    if (!txn)
        return;
    store_iter_t *iter = store_iter_new (self->store, txn, "queues", NULL, 0);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        Queue *queue = (Queue *) codec_decode (&queue__descriptor, value.mv_data, value.mv_size);
        if (queue)
            codec_append (&self->queues, &self->count, queue);
    }
    store_iter_destroy (&iter);
    store_read_end (&txn);
}

queues_t *
queues_new (store_t *store, outbox_t *outbox)
{
    queues_t *self = (queues_t *) zmalloc (sizeof (queues_t));
    self->store = store;
    self->outbox = outbox;
    queues_reload (self);
    return self;
}

void
queues_destroy (queues_t **self_p)
{
    queues_t *self = *self_p;
    if (!self)
        return;
    s_clear (self);
    free (self);
    *self_p = NULL;
}

int
queues_validate (const Queue *queue, char *error, size_t size)
{
    if (!queue->id || !*queue->id || strlen (queue->id) > 64 || strchr (queue->id, '/')) {
        snprintf (error, size, "queue id must be 1 to 64 characters without '/'");
        return -1;
    }
    bool known_phase = false;
    for (int i = 0; s_phases [i]; i++)
        if (streq (queue->phase, s_phases [i]))
            known_phase = true;
    if (!known_phase) {
        snprintf (error, size, "queue %s: phase '%s' is not internal, pilot or vendor", queue->id, queue->phase);
        return -1;
    }
    if (!*queue->owner_team) {
        snprintf (error, size, "queue %s: an internal owner team is required", queue->id);
        return -1;
    }
    if (!streq (queue->phase, "internal") && !*queue->vendor_team) {
        snprintf (error, size, "queue %s: phase %s needs a vendor team", queue->id, queue->phase);
        return -1;
    }
    return 0;
}

int
queues_validate_new (const Queue *queue, char *error, size_t size)
{
    if (queues_validate (queue, error, size))
        return -1;
    if (queue->n_grid || queue->n_contacts) {
        snprintf (error, size, "queue %s: set its grid and contacts once it exists (queue.GridSet and"
                  " queue.ContactsSet check the people they name: rcmqctl queue grid set, queue contacts --set)",
                  queue->id);
        return -1;
    }
    return 0;
}

int
queues_put (queues_t *self, MDB_txn *txn, const Queue *queue, const char *actor, const char *change)
{
    int rc = store_put_message (self->store, txn, "queues", queue->id, queue);
    if (rc)
        return rc;
    QueueChanged changed = QUEUE_CHANGED__INIT;
    changed.queue = (Queue *) queue;
    changed.actor = (char *) actor;
    changed.change = (char *) change;
    return outbox_append (self->outbox, txn, "queue", "changed", queue->id, &changed);
}

Queue *
queues_get (queues_t *self, MDB_txn *txn, const char *id)
{
    MDB_val value;
    if (store_get (self->store, txn, "queues", id, strlen (id), &value))
        return NULL;
    return (Queue *) codec_decode (&queue__descriptor, value.mv_data, value.mv_size);
}

Queue *
queues_call_get (queues_t *self, server_call_t *call, const char *id)
{
    Queue *queue = queues_get (self, call->txn, id);
    if (!queue)
        server_call_fail (call, STATUS__NOT_FOUND, "%s: no queue '%s'", call->request->method, id);
    return queue;
}

Queue *
queues_call_read (queues_t *self, server_call_t *call, const char *id)
{
    Queue *queue = queues_call_get (self, call, id);
    if (queue)
        server_call_subject (call, queue->id);
    return queue;
}

int
queues_call_scope (queues_t *self, server_call_t *call, const char *id)
{
    Queue *queue = queues_get (self, call->txn, id);
    server_call_scope (call, "queue", id, queue? queue->phase: NULL, queue? queue->vendor_team: NULL);
    codec_free (queue);
    return 0;
}

int
queues_ensure_default (queues_t *self, MDB_txn *txn)
{
    store_iter_t *iter = store_iter_new (self->store, txn, "queues", NULL, 0);
    MDB_val key, value;
    bool found = false;
    while (!found && store_iter_next (iter, &key, &value)) {
        Queue *queue = (Queue *) codec_decode (&queue__descriptor, value.mv_data, value.mv_size);
        found = queue && queue->is_default;
        codec_free (queue);
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    if (rc || found)
        return rc;
    Queue queue = QUEUE__INIT;
    queue.id = "default";
    queue.name = "Unrouted claims";
    queue.owner_team = "internal";
    queue.phase = "internal";
    queue.is_default = true;
    queue.follow_up_days = 30;
    queue.created_ms = queue.updated_ms = clock_now_ms ();
    queue.updated_by = "rcmq-intake";
    return queues_put (self, txn, &queue, "rcmq-intake", "created");
}

static bool
s_in (char **list, size_t count, const char *value)
{
    for (size_t i = 0; i < count; i++)
        if (streq (list [i], value))
            return true;
    return false;
}

//  -1 when the queue does not match, else how many criteria it names.
static int
s_specificity (const Queue *queue, const ClaimDimensions *dims)
{
    struct { char **list; size_t count; const char *value; } criteria [] = {
        { queue->payer_ids,     queue->n_payer_ids,     dims->payer_id },
        { queue->payer_groups,  queue->n_payer_groups,  dims->payer_group },
        { queue->locations,     queue->n_locations,     dims->location },
        { queue->service_lines, queue->n_service_lines, dims->service_line },
    };
    int named = 0;
    for (size_t i = 0; i < sizeof criteria / sizeof criteria [0]; i++) {
        if (criteria [i].count == 0)
            continue;
        if (!s_in (criteria [i].list, criteria [i].count, criteria [i].value))
            return -1;
        named++;
    }
    return named;
}

const char *
queues_working_team (const Queue *queue)
{
    return streq (queue->phase, "internal")? queue->owner_team: queue->vendor_team;
}

void
queues_route (queues_t *self, ClaimDimensions *dims)
{
    const Queue *best = NULL, *fallback = NULL;
    int best_score = -1;
    for (size_t i = 0; i < self->count; i++) {
        const Queue *queue = self->queues [i];
        if (queue->is_default) {
            if (!fallback)
                fallback = queue;
            continue;
        }
        int score = s_specificity (queue, dims);
        if (score < 0)
            continue;
        //  The list is in id order, so ties on score and priority keep the
        //  smallest id.
        if (!best || score > best_score || (score == best_score && queue->priority > best->priority)) {
            best = queue;
            best_score = score;
        }
    }
    const Queue *chosen = best? best: fallback;
    if (!chosen) {
        dims->queue = "default";
        dims->owner_team = "internal";
        dims->phase = "internal";
        dims->vendor_team = "";
        return;
    }
    dims->queue = chosen->id;
    dims->owner_team = (char *) queues_working_team (chosen);
    dims->phase = chosen->phase;
    dims->vendor_team = chosen->vendor_team;
}

size_t
queues_count (queues_t *self)
{
    return self->count;
}

const Queue *
queues_at (queues_t *self, size_t index)
{
    return index < self->count? self->queues [index]: NULL;
}
