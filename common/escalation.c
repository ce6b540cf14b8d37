/*  escalation: see escalation.h. A sweep first collects the ids under
    now from the boundary index (a store iterator may not be open while its
    table is written), then raises each item's due levels and writes it
    back: workitem_store_change moves its index entry to its next boundary,
    or removes it after the last level.
*/
#include "escalation.h"
#include "clock.h"
#include "codec.h"
#include "log.h"

#define ESCALATION_BATCH 1000

struct _escalation_t {
    workitem_t *work;
    uint64_t interval_ms;
    size_t batch;
    void (*committed) (void *arg);
    void *arg;
    zloop_t *loop;
    int timer;
    escalation_stats_t totals;
    bool failing;                       //  the last sweep failed: said once
};

//  Raises every level of item reached by now, each with its event.
static int
s_raise (workitem_t *work, MDB_txn *txn, WorkItem *old, uint64_t now, escalation_stats_t *stats)
{
    workclock_rules_t rules;
    int rc = workitem_rules (work, old, &rules);
    WorkItem *item = (WorkItem *) codec_copy (old);
    if (rc == WORKITEM_REFUSED) {
        //  Its policy is gone from the configuration: the item cannot
        //  climb, and staying in the index it would be read each sweep.
        //  It leaves the index, said once in the log and its history.
        log_warn ("work item's SLA policy is not configured: its escalation stops",
                  "item", json_string (old->id), "policy", json_string (old->sla_policy), NULL);
        item->next_boundary_ms = 0;
        workitem_history_add (item, workitem_service (work), now, "escalation stopped",
                              workitem_error (work));
        rc = workitem_store_change (work, txn, old, item, NULL, NULL);
        codec_free (item);
        return rc;
    }
    uint32_t reached = workclock_level_at (old, &rules, now);
    workitem_grid_t grid;
    rc = reached > old->escalation_level? workitem_grid (work, txn, old, &grid): 0;
    for (uint32_t level = old->escalation_level + 1; rc == 0 && level <= reached; level++) {
        uint64_t boundary = workclock_level_instant (old, &rules, level);
        item->escalation_level = level;
        codec_set_text (&item->escalated_to, grid.escalate [level - 1]);
        item->updated_ms = now;
        char what [128];
        snprintf (what, sizeof what, "escalated %u to %s", level, *grid.escalate [level - 1]
                  ? grid.escalate [level - 1]: "nobody (the grid names no one)");
        workitem_history_add (item, workitem_service (work), now, what, NULL);
        workclock_plan (item, &rules);
        //  Each level is its own event, carrying the item as that level
        //  left it; the item is written once, after the last.
        WorkEvent event = WORK_EVENT__INIT;
        event.actor = (char *) workitem_service (work);
        event.level = level;
        event.time_ms = now;
        event.boundary_ms = boundary;
        rc = workitem_emit (work, txn, item, "escalated", &event);
        if (rc == 0)
            stats->raised++;
    }
    //  Read at its boundary with no level reached (its policy's thresholds
    //  changed since), it is planned again all the same.
    workclock_plan (item, &rules);
    if (rc == 0)
        rc = workitem_store_change (work, txn, old, item, NULL, NULL);
    codec_free (item);
    return rc;
}

//  Removes the boundary entry of id at or before now (the first such).
static int
s_drop_entry (store_t *store, MDB_txn *txn, const char *id, uint64_t now)
{
    store_iter_t *iter = store_iter_new (store, txn, "work_by_boundary", NULL, 0);
    MDB_val key, value;
    uint8_t found [WORKITEM_KEY_MAX];
    size_t found_size = 0;
    size_t id_size = strlen (id);
    while (store_iter_next (iter, &key, &value) && store_u64_read (key.mv_data) <= now)
        if (key.mv_size == 8 + id_size && memcmp ((const char *) key.mv_data + 8, id, id_size) == 0) {
            memcpy (found, key.mv_data, key.mv_size);
            found_size = key.mv_size;
            break;
        }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    if (rc == 0 && found_size)
        rc = store_del (store, txn, "work_by_boundary", found, found_size);
    return rc;
}

int
escalation_sweep (workitem_t *work, MDB_txn *txn, uint64_t now, size_t batch, escalation_stats_t *stats)
{
    memset (stats, 0, sizeof *stats);
    store_t *store = workitem_store (work);
    zlistx_t *due = zlistx_new ();
    zlistx_set_destructor (due, (czmq_destructor *) zstr_free);
    store_iter_t *iter = store_iter_new (store, txn, "work_by_boundary", NULL, 0);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        if (key.mv_size <= 8 || store_u64_read (key.mv_data) > now)
            break;              //  the first boundary ahead: nothing after it is due
        if (batch && zlistx_size (due) == batch) {
            stats->more = true;
            break;
        }
        stats->visited++;
        zlistx_add_end (due, strndup ((const char *) key.mv_data + 8, key.mv_size - 8));
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    for (char *id = (char *) zlistx_first (due); rc == 0 && id; id = (char *) zlistx_next (due)) {
        WorkItem *item;
        rc = workitem_get (work, txn, id, &item);
        if (rc == 0)
            rc = s_raise (work, txn, item, now, stats);
        else
        if (rc == MDB_NOTFOUND) {
            //  An index entry whose item is gone would stop every later
            //  sweep at it: it is removed, and said.
            log_warn ("escalation index names a work item that is not there: entry removed",
                      "item", json_string (id), NULL);
            rc = s_drop_entry (store, txn, id, now);
        }
        codec_free (item);
    }
    zlistx_destroy (&due);
    return rc;
}

escalation_t *
escalation_new (workitem_t *work, uint64_t interval_ms, size_t batch, void (*committed) (void *arg), void *arg)
{
    assert (work);
    escalation_t *self = (escalation_t *) zmalloc (sizeof (escalation_t));
    self->work = work;
    self->interval_ms = interval_ms? interval_ms: 1000;
    self->batch = batch? batch: ESCALATION_BATCH;
    self->committed = committed;
    self->arg = arg;
    self->timer = -1;
    return self;
}

void
escalation_destroy (escalation_t **self_p)
{
    assert (self_p);
    escalation_t *self = *self_p;
    if (self) {
        if (self->loop && self->timer >= 0)
            zloop_timer_end (self->loop, self->timer);
        free (self);
        *self_p = NULL;
    }
}

typedef struct {
    escalation_t *self;
    uint64_t now;
    escalation_stats_t stats;
} s_sweep_t;

static int
s_write (store_t *store, MDB_txn *txn, void *arg)
{
    s_sweep_t *sweep = (s_sweep_t *) arg;
    return escalation_sweep (sweep->self->work, txn, sweep->now, sweep->self->batch, &sweep->stats);
}

int
escalation_run (escalation_t *self)
{
    store_t *store = workitem_store (self->work);
    //  One instant for the whole run, so its batches agree on what is due.
    s_sweep_t sweep = { self, clock_now_ms (), { 0 } };
    do {
        //  An empty index costs one read, not a write transaction.
        MDB_txn *txn = store_read_begin (store);
        bool any = false;
        if (txn) {
            store_iter_t *iter = store_iter_new (store, txn, "work_by_boundary", NULL, 0);
            MDB_val key, value;
            any = store_iter_next (iter, &key, &value) && key.mv_size > 8 && store_u64_read (key.mv_data) <= sweep.now;
            store_iter_destroy (&iter);
            store_read_end (&txn);
        }
        if (!any)
            break;
        if (store_write (store, s_write, &sweep)) {
            if (!self->failing)
                log_error ("escalation sweep failed; it is tried again next interval",
                           "error", json_string (store_error (store)), NULL);
            self->failing = true;
            return -1;
        }
        self->failing = false;
        self->totals.visited += sweep.stats.visited;
        self->totals.raised += sweep.stats.raised;
        if (sweep.stats.raised && self->committed)
            self->committed (self->arg);
    } while (sweep.stats.more);
    return 0;
}

escalation_stats_t
escalation_totals (escalation_t *self)
{
    return self->totals;
}

static int
s_timer (zloop_t *loop, int timer_id, void *arg)
{
    escalation_run ((escalation_t *) arg);
    return 0;       //  a failed sweep is logged and tried again; the service runs on
}

int
escalation_attach (escalation_t *self, zloop_t *loop)
{
    self->loop = loop;
    //  At once (a restart catches up before the first interval), then
    //  every interval.
    escalation_run (self);
    self->timer = zloop_timer (loop, self->interval_ms, 0, s_timer, self);
    return self->timer < 0? -1: 0;
}
