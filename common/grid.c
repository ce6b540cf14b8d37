/*  grid: see grid.h. grid_resolve reads the two rows that can speak for a
    work type (its own, then the queue's default row) field by field; the
    phase rule is one table of which types stay with the internal team.
    grid_set checks the whole change before it touches the queue, then
    edits the row in place (creating it when the queue has none).
*/
#include "grid.h"
#include "codec.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const grid_work_types [] = {
    "follow_up", "documentation_request", "denial", "inquiry", "action", NULL
};
const char *const grid_topics [] = { "routine", "urgent", "downtime", "patient", NULL };
const char *const grid_sides [] = { "internal", "vendor", NULL };
const char *const grid_fields [] = { "team", "assignee", "pool", "lead", "escalate", "sla_policy", NULL };

//  Work the practice keeps whatever the queue's phase: only the practice
//  can answer a documentation request (a note, an authorization number).
static const char *const s_stays_internal [] = { "documentation_request", NULL };

bool
grid_known (const char *const *list, const char *name)
{
    for (size_t i = 0; name && list [i]; i++)
        if (strcmp (list [i], name) == 0)
            return true;
    return false;
}

void
grid_list_names (const char *const *list, char *buf, size_t size)
{
    size_t used = 0;
    buf [0] = 0;
    for (size_t i = 0; list [i] && used < size; i++) {
        int n = snprintf (buf + used, size - used, "%s%s", i? ", ": "", list [i]);
        used += n > 0? (size_t) n: 0;
    }
}

const GridEntry *
grid_row (const Queue *queue, const char *work_type)
{
    for (size_t i = 0; i < queue->n_grid; i++)
        if (queue->grid [i] && queue->grid [i]->work_type && strcmp (queue->grid [i]->work_type, work_type) == 0)
            return queue->grid [i];
    return NULL;
}

static bool
s_named (const char *text)
{
    return text && *text;
}

static void
s_copy (char *to, const char *from)
{
    snprintf (to, GRID_NAME_MAX, "%s", from? from: "");
}

int
grid_resolve (const Queue *queue, const char *work_type, grid_entry_t *entry)
{
    memset (entry, 0, sizeof *entry);
    if (!grid_known (grid_work_types, work_type))
        return -1;
    //  Most specific first; a row that is absent is skipped.
    const GridEntry *rows [2] = { grid_row (queue, work_type), grid_row (queue, GRID_DEFAULT) };
    enum { TYPE_ROW = 2, DEFAULT_ROW = 1, BUILT_IN = 0 };

    const char *team = NULL, *lead = NULL, *sla = NULL;
    const GridEntry *chooser = NULL, *chain = NULL;
    int lead_rank = BUILT_IN, chain_rank = BUILT_IN;
    for (int i = 0; i < 2; i++) {
        const GridEntry *row = rows [i];
        if (!row)
            continue;
        if (!team && s_named (row->team))
            team = row->team;
        if (!lead && s_named (row->lead)) {
            lead = row->lead;
            lead_rank = i == 0? TYPE_ROW: DEFAULT_ROW;
        }
        if (!sla && s_named (row->sla_policy))
            sla = row->sla_policy;
        if (!chooser && (s_named (row->assignee) || row->n_pool))
            chooser = row;
        if (!chain && row->n_escalate) {
            chain = row;
            chain_rank = i == 0? TYPE_ROW: DEFAULT_ROW;
        }
    }
    //  The phase rule.
    const char *internal_team = team? team: queue->owner_team;
    bool handed_over = queue->phase && *queue->phase && strcmp (queue->phase, "internal") != 0
                    && s_named (queue->vendor_team);
    s_copy (entry->team, handed_over && !grid_known (s_stays_internal, work_type)?
                         queue->vendor_team: internal_team);
    if (chooser) {
        s_copy (entry->assignee, chooser->assignee);
        for (size_t i = 0; i < chooser->n_pool && entry->n_pool < GRID_POOL_MAX; i++)
            if (s_named (chooser->pool [i]))
                s_copy (entry->pool [entry->n_pool++], chooser->pool [i]);
    }
    s_copy (entry->lead, lead);
    s_copy (entry->sla_policy, sla);
    //  The chain: a row's, else the queue's escalation contacts (the list
    //  queues had before the grid).
    char *const *levels = chain? chain->escalate: queue->escalation_contacts;
    size_t n_levels = chain? chain->n_escalate: queue->n_escalation_contacts;
    for (size_t i = 0; i < n_levels && i < GRID_LEVELS; i++)
        s_copy (entry->escalate [i], levels [i]);
    //  Level 1 is the lead, unless a row as specific as the lead's names
    //  level 1 itself.
    if (lead && (!*entry->escalate [0] || lead_rank > chain_rank))
        s_copy (entry->escalate [0], lead);
    return 0;
}

//  --------------------------------------------------------------------------
//  Changes

static bool
s_fits (const char *text)
{
    return !text || strlen (text) < GRID_NAME_MAX;
}

//  Elements of a repeated string are each the message's own heap copy
//  (codec_append_text), so each is freed.
static void
s_free_list (char ***list, size_t *count)
{
    for (size_t i = 0; i < *count; i++)
        free ((*list) [i]);
    free (*list);
    *list = NULL;
    *count = 0;
}

static void
s_set_list (char ***list, size_t *count, char *const *values, size_t n_values)
{
    s_free_list (list, count);
    for (size_t i = 0; i < n_values; i++)
        codec_append_text (list, count, values [i]);
}

//  0, or -1 with the reason in error: what the change names must fit.
static int
s_check_change (const Queue *queue, const GridEntry *change, char *const *clear, size_t n_clear,
                char *error, size_t size)
{
    char names [256];
    const char *type = change->work_type;
    if (!grid_known (grid_work_types, type) && !(type && strcmp (type, GRID_DEFAULT) == 0)) {
        grid_list_names (grid_work_types, names, sizeof names);
        snprintf (error, size, "queue %s: no work type '%s' (work types: %s, or %s for the queue's default row)",
                  queue->id, type? type: "", names, GRID_DEFAULT);
        return -1;
    }
    for (size_t i = 0; i < n_clear; i++)
        if (!grid_known (grid_fields, clear [i])) {
            grid_list_names (grid_fields, names, sizeof names);
            snprintf (error, size, "queue %s, %s: no grid field '%s' to clear (fields: %s)",
                      queue->id, type, clear [i], names);
            return -1;
        }
    if (s_named (change->assignee) && change->n_pool) {
        snprintf (error, size, "queue %s, %s: a default assignee or a round-robin pool, not both", queue->id, type);
        return -1;
    }
    if (change->n_pool > GRID_POOL_MAX) {
        snprintf (error, size, "queue %s, %s: a pool of %zu people (at most %d)",
                  queue->id, type, change->n_pool, GRID_POOL_MAX);
        return -1;
    }
    if (change->n_escalate > GRID_LEVELS) {
        snprintf (error, size, "queue %s, %s: %zu escalation levels (levels 1 to %d)",
                  queue->id, type, change->n_escalate, GRID_LEVELS);
        return -1;
    }
    bool fits = s_fits (change->team) && s_fits (change->assignee) && s_fits (change->lead)
             && s_fits (change->sla_policy);
    for (size_t i = 0; i < change->n_pool; i++)
        fits = fits && s_named (change->pool [i]) && s_fits (change->pool [i]);
    for (size_t i = 0; i < change->n_escalate; i++)
        fits = fits && s_fits (change->escalate [i]);
    if (!fits) {
        snprintf (error, size, "queue %s, %s: names are 1 to %d characters (a pool names no empty member)",
                  queue->id, type, GRID_NAME_MAX - 1);
        return -1;
    }
    //  Documentation requests are the practice's to answer: their team is
    //  an internal one, never the queue's vendor.
    if (s_named (change->team) && s_named (queue->vendor_team) && strcmp (change->team, queue->vendor_team) == 0
    &&  (grid_known (s_stays_internal, type) || strcmp (type, GRID_DEFAULT) == 0)) {
        snprintf (error, size, "queue %s, %s: team %s is the queue's vendor; documentation requests stay with"
                  " an internal team (the vendor works the other types in pilot and vendor phase by itself)",
                  queue->id, type, change->team);
        return -1;
    }
    return 0;
}

int
grid_set (Queue *queue, const GridEntry *change, char *const *clear, size_t n_clear, char *error, size_t size)
{
    if (s_check_change (queue, change, clear, n_clear, error, size))
        return -1;
    GridEntry *row = (GridEntry *) grid_row (queue, change->work_type);
    if (!row) {
        row = (GridEntry *) malloc (sizeof (GridEntry));
        assert (row);
        grid_entry__init (row);
        codec_set_text (&row->work_type, change->work_type);
        codec_append (&queue->grid, &queue->n_grid, row);
    }
    for (size_t i = 0; i < n_clear; i++) {
        const char *field = clear [i];
        if (strcmp (field, "team") == 0)
            codec_set_text (&row->team, NULL);
        else if (strcmp (field, "assignee") == 0)
            codec_set_text (&row->assignee, NULL);
        else if (strcmp (field, "pool") == 0)
            s_free_list (&row->pool, &row->n_pool);
        else if (strcmp (field, "lead") == 0)
            codec_set_text (&row->lead, NULL);
        else if (strcmp (field, "escalate") == 0)
            s_free_list (&row->escalate, &row->n_escalate);
        else if (strcmp (field, "sla_policy") == 0)
            codec_set_text (&row->sla_policy, NULL);
    }
    if (s_named (change->team))
        codec_set_text (&row->team, change->team);
    //  One choice: naming an assignee drops the pool, and a pool the
    //  assignee.
    if (s_named (change->assignee)) {
        codec_set_text (&row->assignee, change->assignee);
        s_free_list (&row->pool, &row->n_pool);
    }
    if (change->n_pool) {
        s_set_list (&row->pool, &row->n_pool, change->pool, change->n_pool);
        codec_set_text (&row->assignee, NULL);
    }
    if (s_named (change->lead))
        codec_set_text (&row->lead, change->lead);
    if (change->n_escalate)
        s_set_list (&row->escalate, &row->n_escalate, change->escalate, change->n_escalate);
    if (s_named (change->sla_policy))
        codec_set_text (&row->sla_policy, change->sla_policy);
    return 0;
}

int
grid_contact_set (Queue *queue, const Contact *contact, char *error, size_t size)
{
    char names [128];
    if (!grid_known (grid_topics, contact->topic)) {
        grid_list_names (grid_topics, names, sizeof names);
        snprintf (error, size, "queue %s: no contact topic '%s' (topics: %s)", queue->id,
                  contact->topic? contact->topic: "", names);
        return -1;
    }
    if (!grid_known (grid_sides, contact->side)) {
        grid_list_names (grid_sides, names, sizeof names);
        snprintf (error, size, "queue %s: no contact side '%s' (sides: %s)", queue->id,
                  contact->side? contact->side: "", names);
        return -1;
    }
    if (!s_fits (contact->name)) {
        snprintf (error, size, "queue %s: a contact's name is at most %d characters", queue->id, GRID_NAME_MAX - 1);
        return -1;
    }
    size_t found = queue->n_contacts;
    for (size_t i = 0; i < queue->n_contacts; i++)
        if (strcmp (queue->contacts [i]->topic, contact->topic) == 0
        &&  strcmp (queue->contacts [i]->side, contact->side) == 0)
            found = i;
    if (!s_named (contact->name)) {
        //  Removing: the rest keep their order.
        if (found < queue->n_contacts) {
            codec_free (queue->contacts [found]);
            memmove (queue->contacts + found, queue->contacts + found + 1,
                     (queue->n_contacts - found - 1) * sizeof (Contact *));
            queue->n_contacts--;
        }
        return 0;
    }
    if (found < queue->n_contacts) {
        codec_set_text (&queue->contacts [found]->name, contact->name);
        return 0;
    }
    Contact *added = (Contact *) malloc (sizeof (Contact));
    assert (added);
    contact__init (added);
    codec_set_text (&added->topic, contact->topic);
    codec_set_text (&added->side, contact->side);
    codec_set_text (&added->name, contact->name);
    codec_append (&queue->contacts, &queue->n_contacts, added);
    return 0;
}
