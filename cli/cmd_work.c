/*  rcmqctl work: the work items of every service that holds them (issue
    15, docs/work-items.md).

        work list [--service S] [--type T] [--queue Q] [--owner USER|me] [--team T]
                  [--state S] [--overdue] [--escalated] [--limit N --after ID]
        work mine [same filters]     = --owner me, overdue first
        work show ID
        work assign ID USER [--note TEXT]
        work state ID STATE [--note TEXT]
        work note ID TEXT
        work request-doc --claim PCN --what TEXT [--denial ID]

    `work list` asks every service that holds items (workservice_holders) for its
    first page after --after and merges them by id: the merged page is the
    first --limit ids of all, and next_after the last of them when any
    service had more. An id names its service ("claims-0000000042"), so
    show, assign, state and note ask that service alone.

    --json of a list is {"items": [...], "next_after": ID|null}; an item is
    the WorkItem with due_at (ISO 8601 UTC, null when none) for due_ms.
*/
#include "ctl.h"
#include "workservice.h"
#include "pbjson.h"
#include "clock.h"
#include "workstate.h"
#include "work.pb-c.h"

#define WORK_CTL_MAX_LIMIT 1000
#define WORK_CTL_DEFAULT_LIMIT 100

//  The services that hold work items: a service that starts holding them
//  is one row here.

static json_t *
s_due_at (const ProtobufCMessage *message)
{
    const WorkItem *item = (const WorkItem *) message;
    if (!item->due_ms)
        return json_null ();
    char iso [32];
    clock_format_iso8601 (item->due_ms, iso, sizeof iso);
    return json_string (iso);
}

static const pbjson_view_t s_item_view = { &work_item__descriptor, (const pbjson_rule_t []) {
    { "due_ms", PBJSON_CUSTOM, "due_at", NULL, NULL, NULL, s_due_at },
    { NULL }
} };

static const output_column_t s_columns [] = {
    { "id",           OUTPUT_TEXT },
    { "type",         OUTPUT_TEXT },
    { "subject",      OUTPUT_TEXT },
    { "queue",        OUTPUT_TEXT },
    { "owner",        OUTPUT_TEXT },
    { "team",         OUTPUT_TEXT },
    { "state",        OUTPUT_TEXT },
    { "priority",     OUTPUT_INT },
    { "due_at",       OUTPUT_TEXT },
    { "level",        OUTPUT_INT },
    { "escalated_to", OUTPUT_TEXT },
    { "overdue",      OUTPUT_BOOL },
    { NULL }
};

//  The service an id names: what comes before its last '-'.
static int
s_service_of (const char *id, char *service, size_t size)
{
    const char *dash = strrchr (id, '-');
    if (!dash || dash == id || (size_t) (dash - id) >= size)
        return ctl_fail ("'%s' is not a work item id (SERVICE-NUMBER, as `work list` shows them)", id);
    snprintf (service, size, "%.*s", (int) (dash - id), id);
    for (size_t i = 0; workservice_holders [i]; i++)
        if (streq (workservice_holders [i], service))
            return CTL_OK;
    return ctl_fail ("'%s' is not a work item id: no service '%s' holds work items", id, service);
}

static int
s_check_state (const char *what, const char *state)
{
    if (workstate_known (state))
        return CTL_OK;
    char names [160];
    workstate_names (names, sizeof names);
    fprintf (stderr, "rcmqctl: %s %s: expected one of %s\n", what, state, names);
    return CTL_USAGE;
}

static int
s_by_id (const void *a, const void *b)
{
    return strcmp ((*(WorkItem *const *) a)->id, (*(WorkItem *const *) b)->id);
}

//  Overdue first, then the earliest due (none last), then id.
static int
s_by_urgency (const void *a, const void *b)
{
    const WorkItem *x = *(WorkItem *const *) a, *y = *(WorkItem *const *) b;
    if (x->overdue != y->overdue)
        return x->overdue? -1: 1;
    uint64_t dx = x->due_ms? x->due_ms: UINT64_MAX, dy = y->due_ms? y->due_ms: UINT64_MAX;
    if (dx != dy)
        return dx < dy? -1: 1;
    return strcmp (x->id, y->id);
}

static void
s_print_items (ctl_t *ctl, WorkItem **items, size_t count, const char *next_after)
{
    if (ctl_format (ctl) == OUTPUT_JSON) {
        json_t *array = json_array ();
        for (size_t i = 0; i < count; i++)
            json_array_append_new (array, pbjson_render (&items [i]->base, &s_item_view));
        json_t *object = json_object ();
        json_object_set_new (object, "items", array);
        json_object_set_new (object, "next_after", *next_after? output_json_string (next_after): json_null ());
        output_json (object, stdout);
        return;
    }
    output_table_t *table = output_table_new (s_columns);
    for (size_t i = 0; i < count; i++) {
        const WorkItem *item = items [i];
        output_table_row (table);
        output_table_cell (table, item->id);
        output_table_cell (table, item->type);
        output_table_cell (table, item->subject);
        output_table_cell (table, item->queue);
        output_table_cell (table, item->owner);
        output_table_cell (table, item->team);
        output_table_cell (table, item->state);
        output_table_cellf (table, "%d", item->priority);
        char due [32] = "";
        if (item->due_ms)
            clock_format_iso8601 (item->due_ms, due, sizeof due);
        output_table_cell (table, due);
        output_table_cell_uint (table, item->escalation_level);
        output_table_cell (table, item->escalated_to);
        output_table_cell (table, item->overdue? "yes": "no");
    }
    if (output_table_rows (table) || ctl_format (ctl) == OUTPUT_CSV)
        output_table_print (table, ctl_format (ctl), stdout);
    else
        printf ("no work items\n");
    if (*next_after)
        output_printf (stdout, "more: --after %s\n", next_after);
    output_table_destroy (&table);
}

static int
s_list_as (ctl_t *ctl, ctl_args_t *args, bool mine)
{
    WorkListRequest request = WORK_LIST_REQUEST__INIT;
    const char *text;
    #define S_TEXT(name, field) \
        if ((text = ctl_arg_option (args, name))) request.field = (char *) text;
    S_TEXT ("service", service)
    S_TEXT ("type", type)
    S_TEXT ("queue", queue)
    S_TEXT ("owner", owner)
    S_TEXT ("team", team)
    S_TEXT ("state", state)
    S_TEXT ("after", after)
    #undef S_TEXT
    if (mine)
        request.owner = "me";
    if (*request.state && s_check_state ("--state", request.state) != CTL_OK)
        return CTL_USAGE;
    request.overdue = ctl_arg_flag (args, "overdue");
    request.escalated = ctl_arg_flag (args, "escalated");
    uint64_t limit;
    if (ctl_arg_uint (args, "limit", 1, WORK_CTL_MAX_LIMIT, WORK_CTL_DEFAULT_LIMIT, &limit))
        return CTL_USAGE;
    request.limit = (uint32_t) limit;
    if (*request.service) {
        bool held = false;
        for (size_t i = 0; workservice_holders [i]; i++)
            held |= streq (workservice_holders [i], request.service);
        if (!held)
            return ctl_fail ("--service %s: no such service holds work items", request.service);
    }

    //  Each holder's first page after --after; merged by id.
    zlistx_t *lists = zlistx_new ();
    zlistx_set_destructor (lists, (czmq_destructor *) codec_destroy);
    size_t total = 0;
    bool more = false;
    for (size_t i = 0; workservice_holders [i]; i++) {
        if (*request.service && !streq (request.service, workservice_holders [i]))
            continue;
        char method [64];
        snprintf (method, sizeof method, "%s.WorkList", workservice_holders [i]);
        WorkList *list;
        int rc = ctl_call (ctl, workservice_holders [i], method, &request, &work_list__descriptor, (void **) &list);
        if (rc != CTL_OK) {
            zlistx_destroy (&lists);
            return rc;
        }
        total += list->n_items;
        more |= *list->next_after != 0;
        zlistx_add_end (lists, list);
    }
    WorkItem **items = (WorkItem **) calloc (total + 1, sizeof (WorkItem *));
    size_t count = 0;
    for (WorkList *list = (WorkList *) zlistx_first (lists); list; list = (WorkList *) zlistx_next (lists))
        for (size_t i = 0; i < list->n_items; i++)
            items [count++] = list->items [i];
    if (count)
        qsort (items, count, sizeof (WorkItem *), s_by_id);
    more |= count > limit;
    if (count > limit)
        count = limit;
    char next_after [128] = "";
    if (more && count)
        snprintf (next_after, sizeof next_after, "%s", items [count - 1]->id);
    if (mine && count)
        qsort (items, count, sizeof (WorkItem *), s_by_urgency);
    s_print_items (ctl, items, count, next_after);
    free (items);
    zlistx_destroy (&lists);
    return CTL_OK;
}

static int
s_list (ctl_t *ctl, ctl_args_t *args)
{
    return s_list_as (ctl, args, false);
}

static int
s_mine (ctl_t *ctl, ctl_args_t *args)
{
    if (ctl_arg_option (args, "owner"))
        return ctl_fail ("work mine is --owner me: use work list --owner for another");
    return s_list_as (ctl, args, true);
}

static void
s_print_item (ctl_t *ctl, const WorkItem *item)
{
    if (ctl_format (ctl) == OUTPUT_JSON) {
        output_json (pbjson_render (&item->base, &s_item_view), stdout);
        return;
    }
    char due [32] = "-";
    if (item->due_ms)
        clock_format_iso8601 (item->due_ms, due, sizeof due);
    output_printf (stdout, "%s  %s %s  (%s)\n", item->id, item->type, item->subject, item->state);
    output_printf (stdout, "  queue %s, owner %s, team %s, priority %d\n", *item->queue? item->queue: "-",
                   *item->owner? item->owner: "-", *item->team? item->team: "-", item->priority);
    output_printf (stdout, "  due %s%s, policy %s, escalation level %u%s%s\n", due, item->overdue? " (overdue)": "",
                   *item->sla_policy? item->sla_policy: "-", item->escalation_level,
                   *item->escalated_to? " to ": "", item->escalated_to);
    for (size_t i = 0; i < item->n_history; i++) {
        char when [32];
        clock_format_iso8601 (item->history [i]->when_ms, when, sizeof when);
        output_printf (stdout, "  %s  %s  %s%s%s\n", when, item->history [i]->who, item->history [i]->what,
                       *item->history [i]->note? ": ": "", item->history [i]->note);
    }
}

//  One call on the item's service, printing the item it answers.
static int
s_item_call (ctl_t *ctl, const char *id, const char *verb, const void *request)
{
    char service [64], method [96];
    int rc = s_service_of (id, service, sizeof service);
    if (rc != CTL_OK)
        return rc;
    snprintf (method, sizeof method, "%s.%s", service, verb);
    WorkItem *item;
    rc = ctl_call (ctl, service, method, request, &work_item__descriptor, (void **) &item);
    if (rc != CTL_OK)
        return rc;
    s_print_item (ctl, item);
    codec_free (item);
    return CTL_OK;
}

static int
s_show (ctl_t *ctl, ctl_args_t *args)
{
    WorkId request = WORK_ID__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    return s_item_call (ctl, request.id, "WorkGet", &request);
}

static const char *
s_note_of (ctl_args_t *args)
{
    const char *note = ctl_arg_option (args, "note");
    return note? note: "";
}

static int
s_assign (ctl_t *ctl, ctl_args_t *args)
{
    WorkAssignRequest request = WORK_ASSIGN_REQUEST__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    request.owner = (char *) ctl_arg_operand (args, 1);
    request.note = (char *) s_note_of (args);
    return s_item_call (ctl, request.id, "WorkAssign", &request);
}

static int
s_state (ctl_t *ctl, ctl_args_t *args)
{
    WorkStateRequest request = WORK_STATE_REQUEST__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    request.state = (char *) ctl_arg_operand (args, 1);
    request.note = (char *) s_note_of (args);
    if (s_check_state ("STATE", request.state) != CTL_OK)
        return CTL_USAGE;
    return s_item_call (ctl, request.id, "WorkState", &request);
}

static int
s_note (ctl_t *ctl, ctl_args_t *args)
{
    WorkNoteRequest request = WORK_NOTE_REQUEST__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    request.note = (char *) ctl_arg_operand (args, 1);
    if (!*request.note) {
        fprintf (stderr, "rcmqctl: work note: TEXT is empty\n");
        return CTL_USAGE;
    }
    return s_item_call (ctl, request.id, "WorkNote", &request);
}

//  A documentation request goes to the service that holds the subject:
//  a claim's to claims.
static int
s_request_doc (ctl_t *ctl, ctl_args_t *args)
{
    WorkDocRequest request = WORK_DOC_REQUEST__INIT;
    const char *claim = ctl_arg_option (args, "claim");
    const char *what = ctl_arg_option (args, "what");
    const char *denial = ctl_arg_option (args, "denial");
    if (!claim || !*claim) {
        fprintf (stderr, "rcmqctl: work request-doc: --claim PCN is required (the claim the documentation is for)\n");
        return CTL_USAGE;
    }
    if (!what || !*what) {
        fprintf (stderr, "rcmqctl: work request-doc: --what TEXT is required (what the practice is asked to send)\n");
        return CTL_USAGE;
    }
    request.subject = (char *) claim;
    request.what = (char *) what;
    request.denial = (char *) (denial? denial: "");
    WorkItem *item;
    int rc = ctl_call (ctl, "claims", "claims.WorkRequestDoc", &request, &work_item__descriptor, (void **) &item);
    if (rc != CTL_OK)
        return rc;
    s_print_item (ctl, item);
    codec_free (item);
    return CTL_OK;
}

static const ctl_option_t s_list_options [] = {
    { "service",   "S",    "only items of this service (claims, ...)" },
    { "type",      "T",    "only items of this type (follow_up, documentation_request, denial, ...)" },
    { "queue",     "Q",    "only items of this work queue" },
    { "owner",     "USER", "only items this user owns; 'me' is you" },
    { "team",      "T",    "only items this team owns now" },
    { "state",     "S",    "only items in this state (open, in_progress, waiting_payer, waiting_patient, "
                           "waiting_practice, done, cancelled)" },
    { "overdue",   NULL,   "only items past their due time" },
    { "escalated", NULL,   "only items escalated and not yet done or cancelled" },
    { "limit",     "N",    "at most N items (default 100, at most 1000)" },
    { "after",     "ID",   "the page after this id (a previous page's next_after)" },
    { NULL }
};

static const ctl_option_t s_note_options [] = {
    { "note", "TEXT", "a note for the item's history" },
    { NULL }
};

static const ctl_option_t s_doc_options [] = {
    { "claim",  "PCN",  "the claim the documentation is for (required)" },
    { "what",   "TEXT", "what the practice is asked to send: a note, an authorization number... (required)" },
    { "denial", "ID",   "the denial the documentation is for (kept as a link)" },
    { NULL }
};

static const ctl_command_t s_commands [] = {
    { "list", NULL, 0, 0, "list work items of every service, by id",
      "The items of every service that holds them, merged by id. Filters combine.\n"
      "Pages of --limit items; the next page is --after the last id shown.\n"
      "--json: {\"items\": [WorkItem...], \"next_after\": ID or null}; each item has\n"
      "id, service, type, subject, queue, owner, team, state, priority, due_at\n"
      "(ISO 8601 UTC), sla_policy, escalation_level, escalated_to, overdue.",
      s_list_options, s_list },
    { "mine", NULL, 0, 0, "list your work items, overdue first",
      "work list --owner me, the page shown overdue first, then by due time.",
      s_list_options, s_mine },
    { "show", "ID", 1, 1, "show a work item and its history", NULL, NULL, s_show },
    { "assign", "ID USER", 2, 2, "give a work item to a user (one who holds a key)", NULL, s_note_options, s_assign },
    { "state", "ID STATE", 2, 2, "move a work item to another state",
      "STATE is one of open, in_progress, waiting_payer, waiting_patient,\n"
      "waiting_practice, done, cancelled. done and cancelled are final; the\n"
      "waiting states pause the SLA clock when the item's policy says so.\n"
      "A documentation_request is answered with done --note ANSWER: the item\n"
      "that waited for it returns to its state, the answer in its history.",
      s_note_options, s_state },
    { "note", "ID TEXT", 2, 2, "add a note to a work item's history", NULL, NULL, s_note },
    { "request-doc", NULL, 0, 0, "ask the practice for documentation of a claim",
      "Opens a documentation_request item in claims, owned by the practice's\n"
      "internal team of the claim's queue (whatever the queue's phase), due in\n"
      "2 business days (policy documentation_request). While it is open the\n"
      "claim's follow-up item waits in waiting_practice (its clock paused);\n"
      "`work state ID done --note ANSWER` answers it and the follow-up returns\n"
      "to the state it was in. --json prints the new item as `work show --json`.",
      s_doc_options, s_request_doc },
    { NULL }
};

const ctl_group_t cmd_work = {
    "work", "Lists and works the work items of every service (owner, due time, escalation).", s_commands
};
