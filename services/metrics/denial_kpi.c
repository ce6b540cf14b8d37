/*  denial_kpi: see denial_kpi.h. A query walks every claims combination
    once: under the team that owns its queue's denials now (below), when
    that matches the filters, its denial_open row (the stock is wanted only
    as of today); under the team its events carried, when that matches, its
    denial_by_day rows of the days in [from, to]. Each goes into the overall
    totals and its group's. Like the claims figures, it never reads a
    denial.

    Team of now. A denial carries the owner team the claims event had; a
    queue moving to pilot or vendor moves its open denials' work items to
    the vendor team at once (docs/work-items.md), so the open stock is
    counted by the team the queue's grid gives the `denial` work type now
    (work_facts_team_now, as work_kpi.c counts open work items), falling
    back to the carried team when metrics holds no such queue. The flows
    keep the team they happened under: a team is credited with what it did.
*/
#include "denial_kpi.h"
#include "work_facts.h"
#include "clock.h"

#include <czmq.h>

//  Totals: open, then the flows.
enum { S_OPEN, S_FLOWS, S_COUNT = S_FLOWS + DENIAL_FLOW_COUNT };
#define FLOW(name) (S_FLOWS + DENIAL_FLOW_##name)
#define MS_PER_DAY 86400000.0

const denial_kpi_def_t denial_kpi_table [] = {
    { "denial_overturn_rate",     "ratio", FLOW (overturned),        FLOW (decided),        1,          false },
    { "denials_open",             "count", S_OPEN,                   -1,                    1,          true },
    { "denials_missed_deadline",  "count", FLOW (missed),            -1,                    1,          false },
    { "denial_recovered_cents",   "cents", FLOW (recovered_cents),   -1,                    1,          false },
    { "denial_written_off_cents", "cents", FLOW (written_off_cents), -1,                    1,          false },
    { "denial_days_to_appeal",    "days",  FLOW (appeal_ms),         FLOW (first_appealed), MS_PER_DAY, false },
    { "denials_opened",           "count", FLOW (opened),            -1,                    1,          false },
    { "denials_appealed",         "count", FLOW (appealed),          -1,                    1,          false },
};
const size_t denial_kpi_count = sizeof denial_kpi_table / sizeof denial_kpi_table [0];

struct _denial_result_t {
    bool stock;
    tally_t *tally;
};

//  Adds totals [from, to) under the group of entry.
static void
s_add (denial_result_t *self, const kpi_query_t *query, const dims_entry_t *entry,
       const int64_t *totals, int from, int to)
{
    char key [1024];
    if (query->group_count)
        dims_group_key (entry, query->group_by, query->group_count, key, sizeof key);
    tally_add (self->tally, query->group_count? key: NULL, totals, from, to);
}

//  The team that owns a queue's denials now ("" when metrics cannot say),
//  looked up once per queue.
static int
s_team_now (store_t *store, MDB_txn *txn, zhashx_t *teams, const char *queue, const char **team)
{
    char *known = (char *) zhashx_lookup (teams, queue);
    if (!known) {
        char now [64];
        int rc = work_facts_team_now (store, txn, queue, "denial", now, sizeof now);
        if (rc)
            return rc;
        known = strdup (now);
        zhashx_insert (teams, queue, known);
    }
    *team = known;
    return 0;
}

int
denial_kpi_run (store_t *store, MDB_txn *txn, const kpi_query_t *query, denial_result_t **result)
{
    denial_result_t *self = (denial_result_t *) zmalloc (sizeof (denial_result_t));
    *result = self;
    self->stock = query->as_of == metrics_day_from_ms (clock_now_ms ());
    self->tally = tally_new (S_COUNT);
    zhashx_t *teams = zhashx_new ();
    zhashx_set_destructor (teams, (zhashx_destructor_fn *) zstr_free);
    dims_list_t *dims = combos_load (store, txn, &dims_combos);
    int queue = dims_index ("queue"), team = dims_index ("owner_team");
    int rc = 0;
    for (size_t i = 0; i < dims->count && rc == 0; i++) {
        const dims_entry_t *entry = &dims->entries [i];
        int64_t totals [S_COUNT] = { 0 };
        //  The stock under the team of now.
        if (self->stock) {
            dims_entry_t now = *entry;
            const char *owner;
            rc = s_team_now (store, txn, teams, entry->values [queue], &owner);
            if (rc == 0 && *owner)
                now.values [team] = (char *) owner;
            if (rc == 0 && dims_match (&now, query->filters)) {
                rc = denial_open_count (store, txn, entry->id, &totals [S_OPEN]);
                s_add (self, query, &now, totals, S_OPEN, S_FLOWS);
            }
        }
        //  The flows under the team their events carried.
        if (rc == 0 && dims_match (entry, query->filters)) {
            rc = denial_flows_sum (store, txn, entry->id, query->from, query->to, totals + S_FLOWS);
            s_add (self, query, entry, totals, S_FLOWS, S_COUNT);
        }
    }
    combos_list_destroy (&dims);
    zhashx_destroy (&teams);
    return rc;
}

void
denial_result_destroy (denial_result_t **self_p)
{
    assert (self_p);
    denial_result_t *self = *self_p;
    if (!self)
        return;
    tally_destroy (&self->tally);
    free (self);
    *self_p = NULL;
}

size_t
denial_result_group_count (const denial_result_t *self)
{
    return tally_group_count (self->tally);
}

const char *
denial_result_group_key (const denial_result_t *self, size_t index)
{
    return tally_group_key (self->tally, index);
}

void
denial_kpi_value (const denial_result_t *self, const char *group_key, size_t index, KpiValue *value)
{
    assert (index < denial_kpi_count);
    const denial_kpi_def_t *def = &denial_kpi_table [index];
    tally_value (self->tally, def, group_key, !def->stock || self->stock, value);
}
