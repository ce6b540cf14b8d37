/*  work_kpi: see work_kpi.h. A query walks every work combination once:
    under the team that owns its queue and type now (work_facts.h, "Team"),
    when that matches the filters, its open count (one row) and its overdue
    entries up to now (only those, in due order); under the team its events
    carried, when that matches, its flow rows of the days in [from, to].
    Each goes into the overall totals and its group's. Like the claims
    figures, it never reads an item.
*/
#include "work_kpi.h"
#include "clock.h"

#include <czmq.h>

//  Totals: open, overdue, then the flows.
enum { S_OPEN, S_OVERDUE, S_FLOWS, S_COUNT = S_FLOWS + WORK_FLOW_COUNT };
#define FLOW(name) (S_FLOWS + WORK_FLOW_##name)
#define MS_PER_HOUR 3600000.0

const work_kpi_def_t work_kpi_table [] = {
    { "work_open",                   "count", S_OPEN,           -1,              1,           true },
    { "work_overdue",                "count", S_OVERDUE,        -1,              1,           true },
    { "sla_met_rate",                "ratio", FLOW (sla_met),   FLOW (sla_done), 1,           false },
    { "work_first_touch_mean_hours", "hours", FLOW (touch_ms),  FLOW (touched),  MS_PER_HOUR, false },
    { "work_created",                "count", FLOW (created),   -1,              1,           false },
    { "work_done",                   "count", FLOW (done),      -1,              1,           false },
};
const size_t work_kpi_count = sizeof work_kpi_table / sizeof work_kpi_table [0];

struct _work_result_t {
    work_query_t query;
    tally_t *tally;
};

void
work_query_from_kpi (work_query_t *work, const kpi_query_t *query)
{
    memset (work, 0, sizeof *work);
    int queue = dims_index ("queue"), team = dims_index ("owner_team");
    for (int i = 0; i < DIMS_COUNT; i++) {
        const char *value = query->filters [i];
        if (!value || !*value)
            continue;
        if (i == queue)
            work->filters [WORK_DIM_QUEUE] = value;
        else
        if (i == team)
            work->filters [WORK_DIM_TEAM] = value;
        else
            work->unavailable = true;
    }
    for (size_t i = 0; i < query->group_count; i++) {
        int by = query->group_by [i];
        if (by == queue)
            work->group_by [work->group_count++] = WORK_DIM_QUEUE;
        else
        if (by == team)
            work->group_by [work->group_count++] = WORK_DIM_TEAM;
        else
            work->unavailable = true;
    }
    work->from = query->from;
    work->to = query->to;
    work->now_ms = clock_now_ms ();
    work->stock = query->as_of == metrics_day_from_ms (work->now_ms);
}

static bool
s_match (char *const values [WORK_DIM_COUNT], const work_query_t *query)
{
    for (int i = 0; i < WORK_DIM_COUNT; i++)
        if (query->filters [i] && *query->filters [i] && !streq (query->filters [i], values [i]))
            return false;
    return true;
}

//  Adds totals [from, to) under the group of values.
static void
s_add (work_result_t *self, char *const values [WORK_DIM_COUNT], const int64_t *totals, int from, int to)
{
    char key [1024] = "";
    for (size_t g = 0; g < self->query.group_count; g++)
        snprintf (key + strlen (key), sizeof key - strlen (key), "%s%s", g? "|": "",
                  values [self->query.group_by [g]]);
    tally_add (self->tally, self->query.group_count? key: NULL, totals, from, to);
}

//  The team that owns a combination's open items now: the grid's for its
//  queue and type (work_facts.h, "Team"), else the one its events carried.
//  Looked up once per queue and type.
static int
s_team_now (store_t *store, MDB_txn *txn, zhashx_t *teams, const work_dims_entry_t *entry, char **team)
{
    char key [512];
    snprintf (key, sizeof key, "%s\x1f%s", entry->values [WORK_DIM_QUEUE], entry->values [WORK_DIM_TYPE]);
    char *known = (char *) zhashx_lookup (teams, key);
    if (!known) {
        char now [64];
        int rc = work_facts_team_now (store, txn, entry->values [WORK_DIM_QUEUE], entry->values [WORK_DIM_TYPE],
                                      now, sizeof now);
        if (rc)
            return rc;
        known = strdup (now);
        zhashx_insert (teams, key, known);
    }
    *team = *known? known: entry->values [WORK_DIM_TEAM];
    return 0;
}

int
work_kpi_run (store_t *store, MDB_txn *txn, const work_query_t *query, work_result_t **result)
{
    work_result_t *self = (work_result_t *) zmalloc (sizeof (work_result_t));
    *result = self;
    self->query = *query;
    self->tally = tally_new (S_COUNT);
    zhashx_t *teams = zhashx_new ();
    zhashx_set_destructor (teams, (zhashx_destructor_fn *) zstr_free);
    work_dims_list_t *dims = query->unavailable? NULL: combos_load (store, txn, &work_combos);
    int rc = 0;
    for (size_t i = 0; dims && i < dims->count && rc == 0; i++) {
        const work_dims_entry_t *entry = &dims->entries [i];
        int64_t totals [S_COUNT] = { 0 };
        //  The stock under the team of now.
        char *now [WORK_DIM_COUNT];
        memcpy (now, entry->values, sizeof now);
        if (query->stock)
            rc = s_team_now (store, txn, teams, entry, &now [WORK_DIM_TEAM]);
        if (rc == 0 && query->stock && s_match (now, query)) {
            rc = work_open_count (store, txn, entry->id, &totals [S_OPEN]);
            if (rc == 0)
                rc = work_overdue_count (store, txn, entry->id, query->now_ms, &totals [S_OVERDUE]);
            s_add (self, now, totals, S_OPEN, S_FLOWS);
        }
        //  The flows under the team their events carried.
        if (rc == 0 && s_match (entry->values, query)) {
            rc = work_flows_sum (store, txn, entry->id, query->from, query->to, totals + S_FLOWS);
            s_add (self, entry->values, totals, S_FLOWS, S_COUNT);
        }
    }
    combos_list_destroy (&dims);
    zhashx_destroy (&teams);
    return rc;
}

void
work_result_destroy (work_result_t **self_p)
{
    assert (self_p);
    work_result_t *self = *self_p;
    if (!self)
        return;
    tally_destroy (&self->tally);
    free (self);
    *self_p = NULL;
}

size_t
work_result_group_count (const work_result_t *self)
{
    return tally_group_count (self->tally);
}

const char *
work_result_group_key (const work_result_t *self, size_t index)
{
    return tally_group_key (self->tally, index);
}

void
work_kpi_value (const work_result_t *self, const char *group_key, size_t index, KpiValue *value)
{
    assert (index < work_kpi_count);
    const work_kpi_def_t *def = &work_kpi_table [index];
    tally_value (self->tally, def, group_key, !self->query.unavailable && (!def->stock || self->query.stock),
                 value);
}
