/*  workpolicy: see workpolicy.h. */
#include "workpolicy.h"
#include "codec.h"
#include "log.h"

#include <czmq.h>

struct _workpolicy_t {
    const sla_set_t *sla;
    store_t *store;
    char *queues_table;
};

workpolicy_t *
workpolicy_new (const sla_set_t *sla, store_t *store, const char *queues_table)
{
    assert (sla && store && queues_table);
    workpolicy_t *self = (workpolicy_t *) zmalloc (sizeof (workpolicy_t));
    self->sla = sla;
    self->store = store;
    self->queues_table = strdup (queues_table);
    return self;
}

void
workpolicy_destroy (workpolicy_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->queues_table);
        free (*self_p);
        *self_p = NULL;
    }
}

int
workpolicy_queue (workpolicy_t *self, MDB_txn *txn, const char *queue_id, Queue **queue_p)
{
    *queue_p = NULL;
    if (!queue_id || !*queue_id)
        return MDB_NOTFOUND;
    MDB_val value;
    int rc = store_get (self->store, txn, self->queues_table, queue_id, strlen (queue_id), &value);
    if (rc)
        return rc;
    *queue_p = (Queue *) codec_decode (&queue__descriptor, value.mv_data, value.mv_size);
    return *queue_p? 0: MDB_CORRUPTED;
}

//  The clock of a policy: its calendar's working time, or wall time.
static uint64_t
s_calendar_add (void *calendar, uint64_t start_ms, uint64_t business_ms)
{
    return calendar_add ((const calendar_t *) calendar, start_ms, business_ms);
}

static uint64_t
s_calendar_between (void *calendar, uint64_t from_ms, uint64_t to_ms)
{
    return calendar_between ((const calendar_t *) calendar, from_ms, to_ms);
}

static uint64_t
s_wall_add (void *calendar, uint64_t start_ms, uint64_t ms)
{
    return start_ms + ms;
}

static uint64_t
s_wall_between (void *calendar, uint64_t from_ms, uint64_t to_ms)
{
    return to_ms > from_ms? to_ms - from_ms: 0;
}

static bool
s_pauses (void *policy, const char *state)
{
    return sla_policy_pauses ((const sla_policy_t *) policy, state);
}

int
workpolicy_rules (void *arg, const WorkItem *item, workclock_rules_t *rules, char *error, size_t size)
{
    workpolicy_t *self = (workpolicy_t *) arg;
    const sla_policy_t *policy = *item->sla_policy
        ? sla_set_policy (self->sla, item->sla_policy)
        : sla_set_find (self->sla, item->queue, item->type);
    if (*item->sla_policy && !policy) {
        snprintf (error, size, "its SLA policy '%s' is not configured (sla/policies)", item->sla_policy);
        return -1;
    }
    if (!policy)
        return 0;               //  no policy for its type: no clock (the plain rules stand)
    const calendar_t *calendar = *policy->calendar? sla_set_calendar (self->sla, policy->calendar): NULL;
    if (*policy->calendar && !calendar) {
        snprintf (error, size, "policy '%s' counts in calendar '%s', which is not configured",
                  policy->name, policy->calendar);
        return -1;
    }
    rules->calendar = (void *) calendar;
    rules->add = calendar? s_calendar_add: s_wall_add;
    rules->between = calendar? s_calendar_between: s_wall_between;
    rules->pauses = s_pauses;
    rules->policy = (void *) policy;
    //  The levels of the item's own target (set_due), else the policy's.
    sla_policy_t own = *policy;
    if (item->target_ms)
        own.target_ms = item->target_ms;
    rules->target_ms = own.target_ms;
    rules->levels = SLA_LEVEL_MAX < WORKCLOCK_LEVELS? SLA_LEVEL_MAX: WORKCLOCK_LEVELS;
    for (uint32_t level = 1; level <= rules->levels; level++)
        rules->level_spent [level - 1] = sla_level_spent (&own, (int) level);
    //  A first-touch target is met (or missed) once a person acts.
    rules->stopped = policy->measure == SLA_FIRST_TOUCH && item->first_touch_ms;
    return 0;
}

//  The next person of a pool, round robin: the turn is kept per queue and
//  type in work_meta, in the caller's transaction.
static int
s_pool_next (workpolicy_t *self, MDB_txn *txn, const WorkItem *item, const grid_entry_t *entry,
             char *who, size_t size)
{
    char key [200];
    snprintf (key, sizeof key, "pool:%s:%s", item->queue, item->type);
    uint64_t turn;
    int rc = store_next_counter (self->store, txn, "work_meta", key, UINT32_MAX, &turn);
    if (rc == 0)
        snprintf (who, size, "%s", entry->pool [(turn - 1) % entry->n_pool]);
    return rc;
}

//  text into a buffer of size, cut as snprintf would: the grid's six
//  words per new item cost more through snprintf's "%s" than the rest of
//  the lookup (issue 19).
static void
s_copy (char *buffer, size_t size, const char *text)
{
    size_t length = strnlen (text, size - 1);
    memcpy (buffer, text, length);
    buffer [length] = 0;
}

static int
s_grid (void *arg, MDB_txn *txn, const WorkItem *item, workitem_grid_t *out)
{
    workpolicy_t *self = (workpolicy_t *) arg;
    Queue *queue;
    int rc = workpolicy_queue (self, txn, item->queue, &queue);
    if (rc)
        return rc;
    grid_entry_t entry;
    if (grid_resolve (queue, item->type, &entry)) {
        codec_free (queue);
        return MDB_NOTFOUND;    //  a work type the grid does not know: it names no one
    }
    codec_free (queue);
    s_copy (out->team, sizeof out->team, entry.team);
    s_copy (out->owner, sizeof out->owner, entry.assignee);
    //  Only a new item (no id yet has been written for it) takes a turn
    //  of the pool; escalations read the grid without moving it.
    if (!*entry.assignee && entry.n_pool && !item->created_ms) {
        rc = s_pool_next (self, txn, item, &entry, out->owner, sizeof out->owner);
        if (rc)
            return rc;
    }
    const sla_policy_t *policy = *entry.sla_policy? sla_set_policy (self->sla, entry.sla_policy): NULL;
    if (*entry.sla_policy && !policy) {
        //  A grid may name a policy this service's configuration lacks
        //  (the grid is intake's, the policies each service's): the item
        //  follows its type's policy rather than stop the domain change
        //  that opens it (a claim's submission), and says so.
        policy = sla_set_find (self->sla, item->queue, item->type);
        snprintf (out->note, sizeof out->note, "the grid names SLA policy '%s', which is not configured "
                  "(sla/policies): following '%s'", entry.sla_policy, policy? policy->name: "none");
        log_warn ("work item's grid names an SLA policy that is not configured", "queue",
                  json_string (item->queue), "type", json_string (item->type),
                  "policy", json_string (entry.sla_policy), NULL);
    }
    else
    if (!policy)
        policy = sla_set_find (self->sla, item->queue, item->type);
    s_copy (out->sla_policy, sizeof out->sla_policy, policy? policy->name: "");
    for (size_t level = 0; level < WORKCLOCK_LEVELS && level < GRID_LEVELS; level++)
        s_copy (out->escalate [level], sizeof out->escalate [level], entry.escalate [level]);
    return 0;
}

void
workpolicy_bind (workpolicy_t *self, workitem_t *work)
{
    workitem_set_rules (work, workpolicy_rules, self);
    workitem_set_grid (work, s_grid, self);
}
