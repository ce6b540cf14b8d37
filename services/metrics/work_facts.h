/*  work_facts: what metrics keeps of work items (issue 15, docs/metrics.md
    "Work items"), from the `<stream>.work.<event>` events every service
    that holds items sends through its outbox (common/workitem.h).

    Every work event carries the item as the change left it, so the handler
    does not care which change it was: it compares the item with what
    metrics last counted of it (its WorkFact) and moves the difference.

    Work dimensions: service, type, queue, team, owner. An item's
    combination gets a small id, as claims' combinations do (dims.c), in
    tables of its own.

    Tables (METRICS_WORK_TABLES in metrics.h):
        work_facts     item id -> WorkFact
        work_dims      joined values -> id; work_dims_by_id id -> joined
                       values (combos.h; the last id in meta)
        work_open      (dims) -> open items now
        work_due       (dims, due_ms, item id) -> "": open items with a due
                       instant; overdue at a query's instant is the
                       entries up to it, so nothing changes as time passes
                       and a restart has nothing to catch up
        work_by_day    (dims, day) -> flow counters (WORK_FLOWS)
        work_queues    queue id -> Queue, from the queue stream: the grid
                       that says which team owns an open item now

    Team. An item names the team it had when it was created (the grid's
    then); the grid's team of now (phase applied) is what `work list`
    shows, and a queue moving to vendor moves its open items' team at once
    without rewriting them (docs/work-items.md). So the stock (open,
    overdue) is counted by the team of now, resolved at query time from
    work_queues (grid_resolve), as the services resolve it; the flows keep
    the team the item's event carried when they happened, so a team is
    credited with what it did. Resolving at query time, not when events
    are applied, keeps the figures independent of how the queue stream and
    the items' streams interleave (a live run and a rebuild).

    The handler runs in the consumer's transaction with the stream's offset
    (ADR 0009), like facts.c: a kill at any instant leaves the figures and
    the offset together.
*/
#ifndef RCMQ_METRICS_WORK_FACTS_H
#define RCMQ_METRICS_WORK_FACTS_H

#include "consumer.h"
#include "metrics.h"
#include "combos.h"
#include "work.pb-c.h"

//  The work dimensions, in key order.
typedef enum {
    WORK_DIM_SERVICE, WORK_DIM_TYPE, WORK_DIM_QUEUE, WORK_DIM_TEAM, WORK_DIM_OWNER, WORK_DIM_COUNT
} work_dim_t;
extern const char *const work_dim_names [WORK_DIM_COUNT];
//  The dimension by name ("team" or "owner_team" ...); -1 when unknown.
int  work_dim_index (const char *name);

//  Flow counters per (dims, day): the day of the change that made them.
#define WORK_FLOWS(X) \
    X (created)             /* items created */ \
    X (done)                /* items that reached done */ \
    X (cancelled) \
    X (sla_done)            /* done with an SLA target */ \
    X (sla_met)             /* ... whose clock had not reached it */ \
    X (touched)             /* items first touched by a person */ \
    X (touch_ms)            /* their time from creation to first touch */

#define WORK_ENUM(name) WORK_FLOW_##name,
typedef enum { WORK_FLOWS (WORK_ENUM) WORK_FLOW_COUNT } work_flow_t;
#undef WORK_ENUM

//  The event types of work items (a service may add more: those change
//  nothing here until they are listed).
#define WORK_FACTS_TYPE(stream, type) { stream, "work." type, &work_event__descriptor, work_facts_on_event }
#define WORK_FACTS_EVENTS(stream) \
    WORK_FACTS_TYPE (stream, "created"), WORK_FACTS_TYPE (stream, "assigned"), \
    WORK_FACTS_TYPE (stream, "state_changed"), WORK_FACTS_TYPE (stream, "noted"), \
    WORK_FACTS_TYPE (stream, "due_changed"), WORK_FACTS_TYPE (stream, "escalated")

//  A consumer_handler_fn for a WorkEvent. An event without an item or an
//  item id is refused (the stream stops on it, ADR 0009).
int  work_facts_on_event (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state);

//  queue.changed: the queue as it now is, into work_queues.
int  work_facts_on_queue (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state);
//  The team that owns work of type in queue now (grid_resolve over the
//  stored queue) into team (size bytes); "" when metrics holds no such
//  queue or the grid names none. 0 or an LMDB error.
int  work_facts_team_now (store_t *store, MDB_txn *txn, const char *queue, const char *type,
                          char *team, size_t size);

//  The fact of an item, or NULL. Free with codec_free.
WorkFact *work_facts_get (store_t *store, MDB_txn *txn, const char *id);

//  Every work combination, for a query: entries [i].values [d] (combos.h).
typedef combos_entry_t work_dims_entry_t;
typedef combos_list_t work_dims_list_t;

//  Load with combos_load (store, txn, &work_combos), free with
//  combos_list_destroy.
extern const combos_def_t work_combos;

//  Sums for one combination. Returns 0 or an LMDB error.
int  work_open_count (store_t *store, MDB_txn *txn, uint32_t dims, int64_t *open);
int  work_overdue_count (store_t *store, MDB_txn *txn, uint32_t dims, uint64_t now_ms, int64_t *overdue);
int  work_flows_sum (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t from, uint32_t to,
                     int64_t out [WORK_FLOW_COUNT]);

#endif
