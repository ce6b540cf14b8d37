/*  work_facts: see work_facts.h.

    An event goes through three steps, all in the consumer's transaction:
      1. place: the item's combination (service, type, queue, team, owner)
         as the event's item has it, interned to an id;
      2. stock: when the item was counted open, or had a due entry, under
         another combination or with another due instant than it has now,
         that share moves (work_open -1/+1, the work_due entry deleted and
         written again); a final item (done, cancelled) leaves both;
      3. flows, each once per item, flagged in its fact: created (on its
         creation day), first touch (on the day of first_touch_ms, with the
         time it took), end (done or cancelled, on the day of closed_ms;
         a done item with an SLA target counts in sla_done, and in sla_met
         when its clock had not reached the target: spent_ms < target_ms,
         the same test the service's "overdue" makes, settled at closing).

    Flows count under the combination the item had at that event, so a
    first touch counts for the owner who touched it and an end for the
    team that closed it. The figures depend only on the events of each item
    in their order, never on how streams interleave.

    Within the consumer's batch (batch_cache.h, docs/adr/0070) the flows
    and the open counts are summed in memory and written once at the
    batch's end, and a combination's id is looked up once a batch: a
    batch's work events add to a few rows (one per combination and day)
    many times over. The fact and the due entries, one per item, are read
    and written in the store as each event comes.
*/
#include "work_facts.h"
#include "batch_cache.h"
#include "dims.h"
#include "workstate.h"
#include "grid.h"

#include <czmq.h>

//  Item ids go into work_due keys (4 + 8 + id bytes, under LMDB's 511).
#define WORK_ID_MAX 200

const char *const work_dim_names [WORK_DIM_COUNT] = { "service", "type", "queue", "team", "owner" };

int
work_dim_index (const char *name)
{
    //  The claims dimensions call the team "owner_team": both are taken.
    if (streq (name, "owner_team"))
        name = "team";
    if (streq (name, "work_type"))
        name = "type";
    for (int i = 0; i < WORK_DIM_COUNT; i++)
        if (streq (name, work_dim_names [i]))
            return i;
    return -1;
}

//  --------------------------------------------------------------------------
//  Combinations

//  The work dimensions' combinations: "work_dims" (joined values -> id),
//  "work_dims_by_id" (id -> joined values), the last id in meta.
const combos_def_t work_combos = { "work_dims", "work_dims_by_id", "metrics_work_dims_next", WORK_DIM_COUNT };

//  The item's combination id: known to the open batch, or looked up (and
//  made) in the store.
static int
s_intern (store_t *store, MDB_txn *txn, metrics_batch_t *batch, const WorkItem *item, uint32_t *id)
{
    const char *values [WORK_DIM_COUNT] = { item->service, item->type, item->queue, item->team, item->owner };
    size_t length;
    char *joined = combos_join (values, WORK_DIM_COUNT, &length);
    int rc = 0;
    if (!batch || !metrics_batch_dims_get (batch, &work_combos, joined, id)) {
        rc = combos_id_joined (store, txn, &work_combos, joined, length, id);
        if (rc == 0 && batch)
            metrics_batch_dims_put (batch, &work_combos, joined, *id);
    }
    free (joined);
    return rc;
}

//  --------------------------------------------------------------------------
//  Stock and flows

static int
s_open_add (store_t *store, MDB_txn *txn, metrics_batch_t *batch, uint32_t dims, int64_t delta)
{
    if (batch) {
        metrics_batch_slot_add (batch, METRICS_HELD_WORK_OPEN, dims, 0, 0, delta);
        return 0;
    }
    uint8_t key [4];
    metrics_u32_write (key, dims);
    return metrics_count_add (store, txn, "work_open", key, 4, delta);
}

static size_t
s_due_key (uint8_t *key, uint32_t dims, uint64_t due_ms, const char *id)
{
    metrics_u32_write (key, dims);
    store_u64_write (key + 4, due_ms);
    memcpy (key + 12, id, strlen (id));
    return 12 + strlen (id);
}

static int
s_flow_add (store_t *store, MDB_txn *txn, metrics_batch_t *batch, uint32_t dims, uint64_t at_ms, work_flow_t flow,
            int64_t delta)
{
    if (batch) {
        metrics_batch_slot_add (batch, METRICS_HELD_WORK_BY_DAY, dims, metrics_day_from_ms (at_ms), flow, delta);
        return 0;
    }
    return metrics_row_add (store, txn, "work_by_day", dims, at_ms, WORK_FLOW_COUNT, flow, delta);
}

WorkFact *
work_facts_get (store_t *store, MDB_txn *txn, const char *id)
{
    MDB_val value;
    if (!*id || store_get (store, txn, "work_facts", id, strlen (id), &value))
        return NULL;
    return (WorkFact *) codec_decode (&work_fact__descriptor, value.mv_data, value.mv_size);
}

//  The event's figures, from the fact as it stood (a blank one for an
//  item first seen) to the item as it is.
static int
s_apply (store_t *store, MDB_txn *txn, metrics_batch_t *batch, const WorkEvent *work, const Event *event,
         WorkFact *fact)
{
    const WorkItem *item = work->item;
    uint64_t at = work->time_ms? work->time_ms: event->time_ms;
    uint32_t dims = 0;
    int rc = s_intern (store, txn, batch, item, &dims);
    if (rc)
        return rc;
    bool open = !workstate_final (item->state);
    uint64_t due = open? item->due_ms: 0;
    bool moved = fact->dims_id != dims;
    uint8_t key [12 + WORK_ID_MAX];
    if (rc == 0 && fact->open && (!open || moved))
        rc = s_open_add (store, txn, batch, fact->dims_id, -1);
    if (rc == 0 && open && (!fact->open || moved))
        rc = s_open_add (store, txn, batch, dims, 1);
    if (rc == 0 && fact->due_ms && (fact->due_ms != due || moved)) {
        rc = store_del (store, txn, "work_due", key, s_due_key (key, fact->dims_id, fact->due_ms, item->id));
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    if (rc == 0 && due && (due != fact->due_ms || moved))
        rc = store_put (store, txn, "work_due", key, s_due_key (key, dims, due, item->id), "", 0);
    fact->dims_id = dims;
    fact->open = open;
    fact->due_ms = due;

    if (rc == 0 && !fact->created) {
        fact->created = true;
        rc = s_flow_add (store, txn, batch, dims, item->created_ms? item->created_ms: at, WORK_FLOW_created, 1);
    }
    if (rc == 0 && item->first_touch_ms && !fact->touched) {
        fact->touched = true;
        int64_t took = item->created_ms && item->first_touch_ms > item->created_ms
                     ? (int64_t) (item->first_touch_ms - item->created_ms): 0;
        rc = s_flow_add (store, txn, batch, dims, item->first_touch_ms, WORK_FLOW_touched, 1);
        if (rc == 0)
            rc = s_flow_add (store, txn, batch, dims, item->first_touch_ms, WORK_FLOW_touch_ms, took);
    }
    if (rc == 0 && !open && !fact->closed) {
        fact->closed = true;
        uint64_t closed = item->closed_ms? item->closed_ms: at;
        bool done = streq (item->state, "done");
        rc = s_flow_add (store, txn, batch, dims, closed, done? WORK_FLOW_done: WORK_FLOW_cancelled, 1);
        if (rc == 0 && done && item->target_ms) {
            rc = s_flow_add (store, txn, batch, dims, closed, WORK_FLOW_sla_done, 1);
            if (rc == 0 && item->spent_ms < item->target_ms)
                rc = s_flow_add (store, txn, batch, dims, closed, WORK_FLOW_sla_met, 1);
        }
    }
    return rc;
}

int
work_facts_on_event (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    const WorkEvent *work = (const WorkEvent *) message;
    const WorkItem *item = work->item;
    if (!item || !item->id || !*item->id)
        return store_fail (store, "%s.%s #%" PRIu64 " carries no work item: refused", event->stream, event->type,
                           event->stream_seq);
    if (strlen (item->id) > WORK_ID_MAX)
        return store_fail (store, "%s.%s #%" PRIu64 ": work item id of %zu bytes (at most %d): refused",
                           event->stream, event->type, event->stream_seq, strlen (item->id), WORK_ID_MAX);
    //  The fact lives only while this event is applied: decoded on the
    //  stack (codec.h, arenas) and packed straight into its page, where
    //  a heap decode, a copy and a packed copy each cost a malloc.
    max_align_t buffer [1024 / sizeof (max_align_t)];
    codec_arena_t arena;
    codec_arena_init (&arena, buffer, sizeof buffer);
    WorkFact blank = WORK_FACT__INIT;
    blank.id = item->id;
    WorkFact *fact = &blank;
    MDB_val value;
    if (store_get (store, txn, "work_facts", item->id, strlen (item->id), &value) == 0) {
        WorkFact *stored = (WorkFact *) codec_arena_decode_direct (&arena, &work_fact__descriptor, value.mv_data,
                                                                   value.mv_size);
        if (stored)
            fact = stored;
    }
    int rc = s_apply (store, txn, metrics_open_batch (state), work, event, fact);
    if (rc == 0)
        rc = store_put_packed (store, txn, "work_facts", item->id, strlen (item->id), fact);
    codec_arena_release (&arena);
    return rc;
}

int
work_facts_on_queue (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    const QueueChanged *changed = (const QueueChanged *) message;
    if (!changed->queue || !changed->queue->id || !*changed->queue->id)
        return store_fail (store, "%s.%s #%" PRIu64 " names no queue: refused", event->stream, event->type,
                           event->stream_seq);
    return store_put_message (store, txn, "work_queues", changed->queue->id, changed->queue);
}

int
work_facts_team_now (store_t *store, MDB_txn *txn, const char *queue, const char *type, char *team, size_t size)
{
    *team = 0;
    MDB_val value;
    int rc = *queue? store_get (store, txn, "work_queues", queue, strlen (queue), &value): MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    Queue *stored = (Queue *) codec_decode (&queue__descriptor, value.mv_data, value.mv_size);
    if (!stored)
        return MDB_CORRUPTED;
    grid_entry_t entry;
    if (grid_resolve (stored, type, &entry) == 0)
        snprintf (team, size, "%s", entry.team);
    codec_free (stored);
    return 0;
}

//  --------------------------------------------------------------------------
//  Sums

int
work_open_count (store_t *store, MDB_txn *txn, uint32_t dims, int64_t *open)
{
    return metrics_count_get (store, txn, "work_open", dims, open);
}

int
work_overdue_count (store_t *store, MDB_txn *txn, uint32_t dims, uint64_t now_ms, int64_t *overdue)
{
    //  Entries in due order: the walk stops at the first one still ahead,
    //  so it reads the overdue items of the combination and one more.
    uint8_t prefix [4];
    metrics_u32_write (prefix, dims);
    store_iter_t *iter = store_iter_new (store, txn, "work_due", prefix, 4);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        if (key.mv_size < 12 || store_u64_read ((const uint8_t *) key.mv_data + 4) > now_ms)
            break;
        (*overdue)++;
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    return rc;
}

int
work_flows_sum (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t from, uint32_t to,
                int64_t out [WORK_FLOW_COUNT])
{
    return metrics_rows_sum (store, txn, "work_by_day", dims, from, to, WORK_FLOW_COUNT, out);
}
