/*  rcmqctl queue: the work queues claims are routed to, and their rollout
    phase (internal -> pilot -> vendor, and back).

        queue create ID [--name N] [--payer-ids A,B] [--payer-groups ..]
                        [--locations ..] [--service-lines ..] --owner-team T
                        [--vendor-team V] [--phase P] [--escalation A,B]
                        [--follow-up-days N] [--priority N]
        queue list
        queue show ID
        queue phase ID PHASE
*/
#include "ctl.h"
#include "pbjson.h"
#include "intake.pb-c.h"

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

static const ctl_option_t s_create_options [] = {
    { "name",           "NAME",  "what people call it (default: the id)" },
    { "payer-ids",      "LIST",  "payer ids it takes, comma-separated (default: any)" },
    { "payer-groups",   "LIST",  "payer groups: medicare, medicaid, bcbs, commercial, ..." },
    { "locations",      "LIST",  "locations (facility or billing NPIs)" },
    { "service-lines",  "LIST",  "service lines (e.g. cardiology, family_medicine)" },
    { "owner-team",     "TEAM",  "internal team that owns it (default: internal)" },
    { "vendor-team",    "TEAM",  "outside team it moves to" },
    { "phase",          "PHASE", "internal (default), pilot or vendor" },
    { "escalation",     "LIST",  "escalation contacts" },
    { "follow-up-days", "N",     "days without payer response before follow-up (default 30)" },
    { "priority",       "N",     "breaks ties between equally specific queues" },
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
    { NULL }
};

const ctl_group_t cmd_queue = {
    "queue", "Defines work queues and moves them between teams.", s_commands
};
