/*  rcmqctl denials: the denial work items rcmq-denials keeps (one per
    denied claim; docs/new-service.md).

        denials list [--queue Q] [--after PCN] [--limit N]

    --json is the reply itself (pbjson): {"denials": [...], "next_after":
    "..."}; a table otherwise, amounts in dollars.
*/
#include "ctl.h"
#include "pbjson.h"
#include "denials.pb-c.h"

#define DENIALS_CTL_MAX_LIMIT 1000

static const output_column_t s_columns [] = {
    { "pcn",         OUTPUT_TEXT },
    { "state",       OUTPUT_TEXT },
    { "queue",       OUTPUT_TEXT },
    { "denied_usd",  OUTPUT_TEXT },
    { "denials",     OUTPUT_INT },
    { "carcs",       OUTPUT_TEXT },
    { NULL }
};

static int
s_list (ctl_t *ctl, ctl_args_t *args)
{
    DenialListRequest request = DENIAL_LIST_REQUEST__INIT;
    const char *queue = ctl_arg_option (args, "queue");
    const char *after = ctl_arg_option (args, "after");
    request.queue = (char *) (queue? queue: "");
    request.after = (char *) (after? after: "");
    uint64_t limit;
    if (ctl_arg_uint (args, "limit", 1, DENIALS_CTL_MAX_LIMIT, 0, &limit))
        return CTL_USAGE;
    request.limit = (uint32_t) limit;
    DenialList *list;
    int rc = ctl_call (ctl, "denials", "denials.List", &request, &denial_list__descriptor, (void **) &list);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_message (&list->base), stdout);
    else {
        output_table_t *table = output_table_new (s_columns);
        for (size_t i = 0; i < list->n_denials; i++) {
            const DenialItem *item = list->denials [i];
            output_table_row (table);
            output_table_cell (table, item->pcn);
            output_table_cell (table, item->state);
            output_table_cell (table, item->dims? item->dims->queue: "");
            output_table_cellf (table, "%s%lld.%02lld", item->denied_cents < 0? "-": "",
                                llabs ((long long) item->denied_cents) / 100,
                                llabs ((long long) item->denied_cents) % 100);
            output_table_cell_uint (table, item->denial_count);
            char carcs [256] = "";
            for (size_t r = 0; r < item->n_reasons; r++)
                snprintf (carcs + strlen (carcs), sizeof carcs - strlen (carcs), "%s%s",
                          r? ",": "", item->reasons [r]->carc);
            output_table_cell (table, carcs);
        }
        if (output_table_rows (table) || ctl_format (ctl) == OUTPUT_CSV)
            output_table_print (table, ctl_format (ctl), stdout);
        else
            printf ("no denials\n");
        if (*list->next_after)
            printf ("more: --after %s\n", list->next_after);
        output_table_destroy (&table);
    }
    codec_free (list);
    return CTL_OK;
}

static const ctl_option_t s_list_options [] = {
    { "queue", "Q",   "only items of this work queue" },
    { "after", "PCN", "the page after this PCN (a previous page's next_after)" },
    { "limit", "N",   "at most N items (default 100, at most 1000)" },
    { NULL }
};

static const ctl_command_t s_commands [] = {
    { "list", NULL, 0, 0, "list denial work items, by PCN",
      "One item per denied claim, with its latest denial's reasons and total.\n"
      "Pages of --limit items; the next page is --after the last PCN shown.\n"
      "--json: {\"denials\": [DenialItem...], \"next_after\": \"PCN\" or \"\"}.",
      s_list_options, s_list },
    { NULL }
};

const ctl_group_t cmd_denials = {
    "denials", "Lists denial work items (rcmq-denials).", s_commands
};
