/*  rcmqctl queue: the work queues claims are routed to, and their rollout
    phase (internal -> pilot -> vendor, and back).

        queue create ID [--name N] [--payer-ids A,B] [--payer-groups ..]
                        [--locations ..] [--service-lines ..] --owner-team T
                        [--vendor-team V] [--phase P] [--escalation A,B]
                        [--follow-up-days N] [--priority N]
        queue list
        queue show ID
        queue phase ID PHASE
        queue grid [QUEUE]
        queue grid set QUEUE TYPE [--team T] [--assignee U | --pool U1,U2]
                       [--lead U] [--escalate U1,U2,U3] [--sla POLICY]
        queue contacts QUEUE [--set TOPIC --side SIDE --name USER]

    The grid and contacts are issue 15's (docs/work-items.md): who owns each
    work type of a queue now, who gets new items, who it escalates to, which
    SLA policy; and whom to call per topic and side. Work types, topics and
    sides are common/grid's tables, so a wrong one is refused here with the
    list before any request.
*/
#include "ctl.h"
#include "pbjson.h"
#include "intake.pb-c.h"
#include "grid.h"

#include <stdarg.h>

//  A queue's rollout phases (services/intake/queues.c refuses others).
static const char *const s_phases [] = { "internal", "pilot", "vendor", NULL };

static void
s_join (char **list, size_t count, char *buf, size_t size)
{
    buf [0] = 0;
    for (size_t i = 0; i < count; i++)
        snprintf (buf + strlen (buf), size - strlen (buf), "%s%s", i? ",": "", list [i]);
    if (!count)
        snprintf (buf, size, "*");
}

static void
s_print_queues (ctl_t *ctl, Queue **queues, size_t count, bool single)
{
    if (ctl_format (ctl) == OUTPUT_JSON) {
        if (single) {
            output_json (pbjson_message (&queues [0]->base), stdout);
            return;
        }
        json_t *rows = json_array ();
        for (size_t i = 0; i < count; i++)
            json_array_append_new (rows, pbjson_message (&queues [i]->base));
        output_json (rows, stdout);
        return;
    }
    output_column_t columns [] = {
        { "id", OUTPUT_TEXT }, { "name", OUTPUT_TEXT }, { "phase", OUTPUT_TEXT },
        { "owner_team", OUTPUT_TEXT }, { "vendor_team", OUTPUT_TEXT }, { "payers", OUTPUT_TEXT },
        { "payer_groups", OUTPUT_TEXT }, { "locations", OUTPUT_TEXT }, { "service_lines", OUTPUT_TEXT },
        { "default", OUTPUT_BOOL }, { NULL }
    };
    output_table_t *table = output_table_new (columns);
    for (size_t i = 0; i < count; i++) {
        Queue *q = queues [i];
        char buf [512];
        output_table_row (table);
        output_table_cell (table, q->id);
        output_table_cell (table, q->name);
        output_table_cell (table, q->phase);
        output_table_cell (table, q->owner_team);
        output_table_cell (table, q->vendor_team);
        s_join (q->payer_ids, q->n_payer_ids, buf, sizeof buf);
        output_table_cell (table, buf);
        s_join (q->payer_groups, q->n_payer_groups, buf, sizeof buf);
        output_table_cell (table, buf);
        s_join (q->locations, q->n_locations, buf, sizeof buf);
        output_table_cell (table, buf);
        s_join (q->service_lines, q->n_service_lines, buf, sizeof buf);
        output_table_cell (table, buf);
        output_table_cell (table, q->is_default? "yes": "no");
    }
    output_table_print (table, ctl_format (ctl), stdout);
    output_table_destroy (&table);
}

static int
s_create (ctl_t *ctl, ctl_args_t *args)
{
    Queue queue = QUEUE__INIT;
    const char *value;
    queue.id = (char *) ctl_arg_operand (args, 0);
    queue.name = (char *) ((value = ctl_arg_option (args, "name"))? value: queue.id);
    queue.owner_team = (char *) ((value = ctl_arg_option (args, "owner-team"))? value: "internal");
    queue.vendor_team = (char *) ctl_arg_text (args, "vendor-team");
    if (ctl_arg_choice (args, "phase", s_phases, "internal", &value))
        return CTL_USAGE;
    queue.phase = (char *) value;
    uint64_t follow_up_days, priority;
    if (ctl_arg_uint (args, "follow-up-days", 1, 3650, 0, &follow_up_days)
    ||  ctl_arg_uint (args, "priority", 0, 1000000, 0, &priority))
        return CTL_USAGE;
    queue.follow_up_days = (uint32_t) follow_up_days;
    queue.priority = (uint32_t) priority;
    queue.payer_ids = ctl_arg_list (args, "payer-ids", &queue.n_payer_ids);
    queue.payer_groups = ctl_arg_list (args, "payer-groups", &queue.n_payer_groups);
    queue.locations = ctl_arg_list (args, "locations", &queue.n_locations);
    queue.service_lines = ctl_arg_list (args, "service-lines", &queue.n_service_lines);
    queue.escalation_contacts = ctl_arg_list (args, "escalation", &queue.n_escalation_contacts);
    Queue *created;
    int rc = ctl_call (ctl, "intake", "queue.Create", &queue, &queue__descriptor, (void **) &created);
    if (rc == CTL_OK)
        s_print_queues (ctl, &created, 1, true);
    codec_free (created);
    ctl_list_free (queue.payer_ids, queue.n_payer_ids);
    ctl_list_free (queue.payer_groups, queue.n_payer_groups);
    ctl_list_free (queue.locations, queue.n_locations);
    ctl_list_free (queue.service_lines, queue.n_service_lines);
    ctl_list_free (queue.escalation_contacts, queue.n_escalation_contacts);
    return rc;
}

static int
s_list_cmd (ctl_t *ctl, ctl_args_t *args)
{
    QueueList *list;
    int rc = ctl_call (ctl, "intake", "queue.List", NULL, &queue_list__descriptor, (void **) &list);
    if (rc == CTL_OK)
        s_print_queues (ctl, list->queues, list->n_queues, false);
    codec_free (list);
    return rc;
}

static int
s_show (ctl_t *ctl, ctl_args_t *args)
{
    QueueId request = QUEUE_ID__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    Queue *queue;
    int rc = ctl_call (ctl, "intake", "queue.Show", &request, &queue__descriptor, (void **) &queue);
    if (rc == CTL_OK)
        s_print_queues (ctl, &queue, 1, true);
    codec_free (queue);
    return rc;
}

static int
s_phase (ctl_t *ctl, ctl_args_t *args)
{
    QueuePhaseRequest request = QUEUE_PHASE_REQUEST__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    request.phase = (char *) ctl_arg_operand (args, 1);
    if (ctl_parse_choice ("PHASE", request.phase, s_phases))
        return CTL_USAGE;
    Queue *queue;
    int rc = ctl_call (ctl, "intake", "queue.SetPhase", &request, &queue__descriptor, (void **) &queue);
    if (rc == CTL_OK)
        s_print_queues (ctl, &queue, 1, true);
    codec_free (queue);
    return rc;
}

//  --------------------------------------------------------------------------
//  The responsibility grid and contacts

//  `queue grid --json`: {"grid": [row, ...]}, a row as queue.Grid gives it.
static const pbjson_view_t s_grid_view = { &grid_list__descriptor, (const pbjson_rule_t []) {
    { "rows", .as = "grid" },
    { NULL } } };

static void
s_print_grid (ctl_t *ctl, GridList *list)
{
    if (ctl_format (ctl) == OUTPUT_JSON) {
        output_json (pbjson_render (&list->base, &s_grid_view), stdout);
        return;
    }
    output_column_t columns [] = {
        { "queue", OUTPUT_TEXT }, { "phase", OUTPUT_TEXT }, { "type", OUTPUT_TEXT }, { "team", OUTPUT_TEXT },
        { "assignee", OUTPUT_TEXT }, { "pool", OUTPUT_TEXT }, { "lead", OUTPUT_TEXT },
        { "level1", OUTPUT_TEXT }, { "level2", OUTPUT_TEXT }, { "level3", OUTPUT_TEXT },
        { "sla_policy", OUTPUT_TEXT }, { NULL }
    };
    output_table_t *table = output_table_new (columns);
    for (size_t i = 0; i < list->n_rows; i++) {
        GridRow *row = list->rows [i];
        char pool [GRID_POOL_MAX * GRID_NAME_MAX + 8];
        s_join (row->pool, row->n_pool, pool, sizeof pool);
        output_table_row (table);
        output_table_cell (table, row->queue);
        output_table_cell (table, row->phase);
        output_table_cell (table, row->work_type);
        output_table_cell (table, row->team);
        output_table_cell (table, row->assignee);
        output_table_cell (table, row->n_pool? pool: "");
        output_table_cell (table, row->lead);
        for (size_t level = 0; level < GRID_LEVELS; level++)
            output_table_cell (table, level < row->n_escalate? row->escalate [level]: "");
        output_table_cell (table, *row->sla_policy? row->sla_policy: "(type default)");
    }
    output_table_print (table, ctl_format (ctl), stdout);
    output_table_destroy (&table);
}

//  A usage error: the reason on stderr, exit code 2.
static int
s_usage (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "rcmqctl: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
    return CTL_USAGE;
}

//  "U1,,U3" as levels, empty ones kept (a level left to the lead or to
//  nobody); NULL and 0 for "".
static char **
s_levels (const char *text, size_t *count)
{
    *count = 0;
    if (!text || !*text)
        return NULL;
    char **levels = NULL;
    const char *start = text;
    while (true) {
        const char *comma = strchr (start, ',');
        size_t length = comma? (size_t) (comma - start): strlen (start);
        levels = (char **) realloc (levels, (*count + 1) * sizeof (char *));
        levels [(*count)++] = strndup (start, length);
        if (!comma)
            break;
        start = comma + 1;
    }
    return levels;
}

//  Work types and "default", for TYPE.
static const char *const *
s_grid_types (void)
{
    static const char *types [16];
    if (!types [0]) {
        size_t n = 0;
        for (; grid_work_types [n] && n < 14; n++)
            types [n] = grid_work_types [n];
        types [n] = GRID_DEFAULT;
    }
    return types;
}

static int
s_grid_set (ctl_t *ctl, ctl_args_t *args)
{
    if (ctl_arg_count (args) != 3)
        return s_usage ("queue grid set: expected QUEUE TYPE (queue grid set QUEUE TYPE [--team T] ...)");
    QueueGridSetRequest request = QUEUE_GRID_SET_REQUEST__INIT;
    GridEntry entry = GRID_ENTRY__INIT;
    request.queue = (char *) ctl_arg_operand (args, 1);
    request.entry = &entry;
    entry.work_type = (char *) ctl_arg_operand (args, 2);
    if (ctl_parse_choice ("TYPE", entry.work_type, s_grid_types ()))
        return CTL_USAGE;
    //  An option given empty resets its field; one not given keeps it.
    static const struct { const char *option; const char *field; } fields [] = {
        { "team", "team" }, { "assignee", "assignee" }, { "pool", "pool" }, { "lead", "lead" },
        { "escalate", "escalate" }, { "sla", "sla_policy" },
    };
    char *clear [8];
    bool named = false;
    for (size_t i = 0; i < sizeof fields / sizeof fields [0]; i++) {
        const char *value = ctl_arg_option (args, fields [i].option);
        named = named || value;
        if (value && !*value)
            clear [request.n_clear++] = (char *) fields [i].field;
    }
    if (!named)
        return s_usage ("queue grid set %s %s: nothing to change (--team, --assignee, --pool, --lead, --escalate, --sla)",
                         request.queue, entry.work_type);
    request.clear = clear;
    entry.team = (char *) ctl_arg_text (args, "team");
    entry.assignee = (char *) ctl_arg_text (args, "assignee");
    entry.lead = (char *) ctl_arg_text (args, "lead");
    entry.sla_policy = (char *) ctl_arg_text (args, "sla");
    entry.pool = ctl_arg_list (args, "pool", &entry.n_pool);
    entry.escalate = s_levels (ctl_arg_option (args, "escalate"), &entry.n_escalate);
    int rc = CTL_OK;
    if (entry.n_escalate > GRID_LEVELS)
        rc = s_usage ("queue grid set: --escalate '%s': %zu levels; levels are 1 to %d",
                      ctl_arg_option (args, "escalate"), entry.n_escalate, GRID_LEVELS);
    else
    if (*entry.assignee && entry.n_pool)
        rc = s_usage ("queue grid set: --assignee or --pool, not both (new items go to one person or round the pool)");
    else {
        GridList *list;
        rc = ctl_call (ctl, "intake", "queue.GridSet", &request, &grid_list__descriptor, (void **) &list);
        if (rc == CTL_OK)
            s_print_grid (ctl, list);
        codec_free (list);
    }
    ctl_list_free (entry.pool, entry.n_pool);
    ctl_list_free (entry.escalate, entry.n_escalate);
    return rc;
}

static int
s_grid (ctl_t *ctl, ctl_args_t *args)
{
    const char *first = ctl_arg_operand (args, 0);
    if (first && streq (first, "set") && ctl_arg_count (args) > 1)
        return s_grid_set (ctl, args);
    if (ctl_arg_count (args) > 1)
        return s_usage ("queue grid: expected [QUEUE], or set QUEUE TYPE");
    static const char *const set_options [] = { "team", "assignee", "pool", "lead", "escalate", "sla", NULL };
    for (size_t i = 0; set_options [i]; i++)
        if (ctl_arg_option (args, set_options [i]))
            return s_usage ("queue grid: --%s changes the grid: queue grid set QUEUE TYPE --%s ...",
                             set_options [i], set_options [i]);
    QueueGridRequest request = QUEUE_GRID_REQUEST__INIT;
    request.queue = (char *) (first? first: "");
    GridList *list;
    int rc = ctl_call (ctl, "intake", "queue.Grid", &request, &grid_list__descriptor, (void **) &list);
    //  A queue the caller may not see is filtered to nothing, as a list is.
    if (rc == CTL_OK && first && list->n_rows == 0)
        rc = ctl_fail ("queue grid: no queue '%s' (rcmqctl queue list)", first);
    else
    if (rc == CTL_OK)
        s_print_grid (ctl, list);
    codec_free (list);
    return rc;
}

static void
s_print_contacts (ctl_t *ctl, QueueContacts *contacts)
{
    if (ctl_format (ctl) == OUTPUT_JSON) {
        output_json (pbjson_message (&contacts->base), stdout);
        return;
    }
    output_column_t columns [] = {
        { "topic", OUTPUT_TEXT }, { "side", OUTPUT_TEXT }, { "name", OUTPUT_TEXT }, { NULL }
    };
    output_table_t *table = output_table_new (columns);
    //  In the tables' order, so every queue reads the same way.
    for (size_t t = 0; grid_topics [t]; t++)
        for (size_t s = 0; grid_sides [s]; s++)
            for (size_t i = 0; i < contacts->n_contacts; i++) {
                Contact *contact = contacts->contacts [i];
                if (streq (contact->topic, grid_topics [t]) && streq (contact->side, grid_sides [s])) {
                    output_table_row (table);
                    output_table_cell (table, contact->topic);
                    output_table_cell (table, contact->side);
                    output_table_cell (table, contact->name);
                }
            }
    output_table_print (table, ctl_format (ctl), stdout);
    output_table_destroy (&table);
}

static int
s_contacts (ctl_t *ctl, ctl_args_t *args)
{
    const char *topic = ctl_arg_option (args, "set");
    const char *side = ctl_arg_option (args, "side");
    const char *name = ctl_arg_option (args, "name");
    QueueContacts *contacts;
    int rc;
    if (!topic) {
        if (side || name)
            return s_usage ("queue contacts: --side and --name go with --set TOPIC");
        QueueId request = QUEUE_ID__INIT;
        request.id = (char *) ctl_arg_operand (args, 0);
        rc = ctl_call (ctl, "intake", "queue.Contacts", &request, &queue_contacts__descriptor, (void **) &contacts);
    }
    else {
        if (ctl_parse_choice ("--set", topic, grid_topics))
            return CTL_USAGE;
        if (!side)
            return s_usage ("queue contacts --set %s: --side internal or --side vendor is required", topic);
        if (ctl_parse_choice ("--side", side, grid_sides))
            return CTL_USAGE;
        if (!name)
            return s_usage ("queue contacts --set %s: --name USER is required (--name '' removes the contact)", topic);
        QueueContactsSetRequest request = QUEUE_CONTACTS_SET_REQUEST__INIT;
        Contact contact = CONTACT__INIT;
        request.queue = (char *) ctl_arg_operand (args, 0);
        request.contact = &contact;
        contact.topic = (char *) topic;
        contact.side = (char *) side;
        contact.name = (char *) name;
        rc = ctl_call (ctl, "intake", "queue.ContactsSet", &request, &queue_contacts__descriptor, (void **) &contacts);
    }
    if (rc == CTL_OK)
        s_print_contacts (ctl, contacts);
    codec_free (contacts);
    return rc;
}

static const ctl_option_t s_grid_options [] = {
    { "team",     "TEAM",   "set: internal team owning TYPE (pilot/vendor: the vendor's)" },
    { "assignee", "USER",   "set: default assignee of new items (or --pool)" },
    { "pool",     "LIST",   "set: round-robin pool of new items, comma-separated" },
    { "lead",     "USER",   "set: the lead (escalation level 1 unless --escalate names one)" },
    { "escalate", "LIST",   "set: levels 1..3, comma-separated (',mgr,cfo': level 1 = lead)" },
    { "sla",      "POLICY", "set: SLA policy name (default: the work type's)" },
    { NULL }
};

static const ctl_option_t s_contacts_options [] = {
    { "set",  "TOPIC", "the contact to set: routine, urgent, downtime or patient" },
    { "side", "SIDE",  "with --set: internal or vendor" },
    { "name", "USER",  "with --set: the person ('' removes the contact)" },
    { NULL }
};

static const ctl_option_t s_create_options [] = {
    { "name",            "NAME",              "what people call it (default: the id)" },
    { "payer-ids",       "ID[,ID...]",        "payer ids it takes, comma-separated (default: any)" },
    { "payer-groups",    "GROUP[,GROUP...]",  "payer groups: medicare, medicaid, bcbs, commercial, ..." },
    { "locations",       "LOC[,LOC...]",      "locations (facility or billing NPIs)" },
    { "service-lines",   "LINE[,LINE...]",    "service lines (e.g. cardiology, family_medicine)" },
    { "owner-team",      "TEAM",              "internal team that owns it (default: internal)" },
    { "vendor-team",     "TEAM",              "outside team it moves to" },
    { "phase",           "PHASE",             "internal (default), pilot or vendor" },
    { "escalation",      "WHO[,WHO...]",      "escalation contacts" },
    { "follow-up-days",  "N",                 "days without payer response before follow-up (default 30)" },
    { "priority",        "N",                 "breaks ties between equally specific queues" },
    { NULL }
};

static const ctl_command_t s_commands [] = {
    { "create", "ID", 1, 1, "define a work queue",
      "Defines a queue: which claims it takes (empty lists match anything; the\n"
      "most specific match wins), who owns it and its rollout phase.",
      s_create_options, s_create },
    { "list", NULL, 0, 0, "list the work queues", NULL, NULL, s_list_cmd },
    { "show", "ID", 1, 1, "show one queue", NULL, NULL, s_show },
    { "phase", "ID PHASE", 2, 2, "move a queue to internal, pilot or vendor",
      "Moves a queue's work: internal (its owner team), pilot (the vendor works it\n"
      "under internal review) or vendor. pilot and vendor need a vendor team.",
      NULL, s_phase },
    { "grid", "[QUEUE] | set QUEUE TYPE", 0, 3, "show or change the responsibility grid",
      "Shows, per queue and work type (follow_up, documentation_request, denial,\n"
      "inquiry, action), who owns the work now, who gets new items, the lead, the\n"
      "escalation levels 1..3 and the SLA policy: the queue's row for the type,\n"
      "else its default row, else the built-in defaults (docs/work-items.md).\n"
      "\n"
      "`queue grid set QUEUE TYPE` changes what its options name in the row of TYPE\n"
      "(`default` for the queue's default row) and keeps the rest; an option given\n"
      "empty (--lead '') resets that field. People must be known users. Internal\n"
      "leads and admins change any field; a vendor lead only --assignee/--pool of\n"
      "the types its team owns now. In pilot and vendor phase the vendor team owns\n"
      "every type but documentation_request, which stays with the internal team.",
      s_grid_options, s_grid },
    { "contacts", "QUEUE", 1, 1, "show or set whom to call about a queue",
      "Shows the queue's contacts per topic (routine, urgent, downtime, patient)\n"
      "and side (internal, vendor); with --set TOPIC --side SIDE --name USER sets\n"
      "one (the user must be of that side: the practice's staff, or the queue's\n"
      "vendor). A vendor lead sets only the vendor side.",
      s_contacts_options, s_contacts },
    { NULL }
};

const ctl_group_t cmd_queue = {
    "queue", "Defines work queues and moves them between teams.", s_commands
};
