/*  rcmqctl deadletter: events a service's consumer could not apply, and
    setting one aside so its stream goes on (docs/operations.md, "A stream
    stopped on an event").

        deadletter skip SERVICE STREAM SEQ --reason TEXT
        deadletter list [--service S [--limit N] [--after STREAM#SEQ]]

    A stream stops at an event its service cannot apply; `rcmqctl status`
    shows it as the problem stream_stopped with the stream and seq. skip
    asks SERVICE to set exactly that event aside (<svc>.DeadletterSkip,
    admins only): the service records it, with the error, who, when and
    why, and moves the stream's offset past it in one transaction, and the
    request is audited like every other. list asks every service (or one)
    for what it set aside (<svc>.DeadletterList), every page of it, or
    with --limit / --after one page of one service's.
*/
#include "ctl.h"
#include "clock.h"
#include "pages.h"
#include "pbjson.h"
#include "deadletter.pb-c.h"

//  The services that consume streams and so may set events aside.
static const char *const s_services [] = {
    "intake", "claims", "denials", "inquiry", "audit", "metrics", NULL
};

static json_t *
s_time_json (const ProtobufCMessage *message)
{
    char time [32];
    clock_format_iso8601 (((const DeadletterRecord *) message)->time_ms, time, sizeof time);
    return json_string (time);
}

//  A record as docs/rcmqctl.md gives it: its time in ISO-8601 UTC, without
//  the event's bytes (kept by the service for the record, no use to a
//  script), and the service that holds it.
static const pbjson_view_t s_record_view = { &deadletter_record__descriptor, (const pbjson_rule_t []) {
    { "time_ms", .how = PBJSON_CUSTOM, .as = "time", .render = s_time_json },
    { "event", .how = PBJSON_OMIT }, { NULL } } };

static json_t *
s_record_json (const char *service, const DeadletterRecord *record)
{
    json_t *json = pbjson_render (&record->base, &s_record_view);
    json_object_set_new (json, "service", json_string (service));
    return json;
}

static const output_column_t s_columns [] = {
    { "service", OUTPUT_TEXT },
    { "stream",  OUTPUT_TEXT },
    { "seq",     OUTPUT_INT },
    { "type",    OUTPUT_TEXT },
    { "actor",   OUTPUT_TEXT },
    { "time",    OUTPUT_TEXT },
    { "reason",  OUTPUT_TEXT },
    { "error",   OUTPUT_TEXT },
    { NULL }
};

static void
s_record_row (output_table_t *table, const char *service, const DeadletterRecord *record)
{
    char time [32];
    clock_format_iso8601 (record->time_ms, time, sizeof time);
    output_table_row (table);
    output_table_cell (table, service);
    output_table_cell (table, record->stream);
    output_table_cell_uint (table, record->seq);
    output_table_cell (table, record->type);
    output_table_cell (table, record->actor);
    output_table_cell (table, time);
    output_table_cell (table, record->reason);
    output_table_cell (table, record->error);
}

static int
s_skip (ctl_t *ctl, ctl_args_t *args)
{
    const char *service = ctl_arg_operand (args, 0);
    const char *seq_text = ctl_arg_operand (args, 2);
    const char *reason = ctl_arg_option (args, "reason");
    if (ctl_parse_choice ("SERVICE", service, s_services))
        return CTL_USAGE;
    uint64_t seq;
    if (ctl_parse_uint ("SEQ", seq_text, 1, UINT64_MAX, &seq))
        return CTL_USAGE;
    //  Setting an event aside loses its effect for good; the record must
    //  say why someone decided that was right.
    if (!reason || !*reason) {
        fprintf (stderr, "rcmqctl deadletter skip: --reason TEXT is required (why it is safe "
                 "to go on without this event)\n");
        return CTL_USAGE;
    }
    DeadletterSkipRequest request = DEADLETTER_SKIP_REQUEST__INIT;
    request.stream = (char *) ctl_arg_operand (args, 1);
    request.seq = seq;
    request.reason = (char *) reason;
    char method [64];
    snprintf (method, sizeof method, "%s.DeadletterSkip", service);
    DeadletterRecord *record = NULL;
    int rc = ctl_call (ctl, service, method, &request, &deadletter_record__descriptor, (void **) &record);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (s_record_json (service, record), stdout);
    else {
        output_table_t *table = output_table_new (s_columns);
        s_record_row (table, service, record);
        output_table_print (table, ctl_format (ctl), stdout);
        output_table_destroy (&table);
    }
    codec_free (record);
    return CTL_OK;
}

#define DEADLETTER_CTL_MAX_LIMIT 1000

static int
s_list (ctl_t *ctl, ctl_args_t *args)
{
    const char *only;
    if (ctl_arg_choice (args, "service", s_services, NULL, &only))
        return CTL_USAGE;
    DeadletterListRequest request = DEADLETTER_LIST_REQUEST__INIT;
    uint64_t limit;
    if (ctl_arg_uint (args, "limit", 1, DEADLETTER_CTL_MAX_LIMIT, 0, &limit))
        return CTL_USAGE;
    request.limit = (uint32_t) limit;
    request.after = (char *) ctl_arg_text (args, "after");
    //  A page is of one service's records: its cursor means nothing to another.
    bool one_page = ctl_arg_option (args, "limit") || ctl_arg_option (args, "after");
    if (one_page && !only) {
        fprintf (stderr, "rcmqctl deadletter list: --limit and --after need --service NAME (a page is "
                 "of one service's records)\n");
        return CTL_USAGE;
    }
    char next_after [300] = "";
    //  Each service that answers is listed; one that does not is named on
    //  stderr and makes the exit status 1, so a partial list is never
    //  mistaken for the whole.
    int rc = CTL_OK;
    json_t *rows = json_array ();
    output_table_t *table = output_table_new (s_columns);
    for (size_t i = 0; s_services [i]; i++) {
        const char *service = s_services [i];
        if (only && !streq (only, service))
            continue;
        char method [64];
        snprintf (method, sizeof method, "%s.DeadletterList", service);
        DeadletterList *list = NULL;
        int called = one_page
            ? ctl_call (ctl, service, method, &request, &deadletter_list__descriptor, (void **) &list)
            : pages_call_all (ctl, service, method, &request.base, &deadletter_list__descriptor, (void **) &list);
        if (called != CTL_OK) {
            rc = CTL_FAILED;
            continue;
        }
        snprintf (next_after, sizeof next_after, "%s", list->next_after);
        for (size_t r = 0; r < list->n_records; r++) {
            json_array_append_new (rows, s_record_json (service, list->records [r]));
            s_record_row (table, service, list->records [r]);
        }
        codec_free (list);
    }
    if (ctl_format (ctl) == OUTPUT_JSON && one_page)
        output_json (json_pack ("{s:o,s:o}", "deadletters", rows, "next_after",
                                *next_after? json_string (next_after): json_null ()), stdout);
    else
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (json_pack ("{s:o}", "deadletters", rows), stdout);
    else {
        if (*next_after)
            fprintf (stderr, "more: add --after %s\n", next_after);
        json_decref (rows);
        if (output_table_rows (table) || ctl_format (ctl) == OUTPUT_CSV)
            output_table_print (table, ctl_format (ctl), stdout);
        else
            printf ("no events set aside\n");
    }
    output_table_destroy (&table);
    return rc;
}

static const ctl_option_t s_skip_options [] = {
    { "reason", "TEXT", "why it is safe to go on without this event (required)" },
    { NULL }
};

static const ctl_option_t s_list_options [] = {
    { "service", "NAME",        "only this service (default: every one)" },
    { "limit",   "N",           "with --service: one page of at most N records (at most 1000)" },
    { "after",   "STREAM#SEQ",  "with --service: one page, after this record (the previous page's next_after)" },
    { NULL }
};

static const ctl_command_t s_commands [] = {
    { "skip", "SERVICE STREAM SEQ", 3, 3, "set aside the event a stopped stream is stuck on",
      "SERVICE could not apply event SEQ of STREAM and stopped that stream there\n"
      "(`rcmqctl status` shows the problem stream_stopped). This sets exactly that\n"
      "event aside: the service records it (the event, the error, who, when and\n"
      "--reason) and moves on to SEQ+1, in one transaction. Refused unless the\n"
      "stream is stopped at SEQ; admins only; audited.",
      s_skip_options, s_skip },
    { "list", NULL, 0, 0, "list the events set aside",
      "Asks every service (or --service NAME) for the events it set aside. --json:\n"
      "{\"deadletters\": [{service, stream, seq, type, error, reason, actor, time,\n"
      "key, producer, producer_seq}]}. Exit status 1 when a service did not answer.\n"
      "With --service NAME and --limit N or --after STREAM#SEQ, one page of that\n"
      "service's records, and \"next_after\": the next page's STREAM#SEQ, null on the\n"
      "last.",
      s_list_options, s_list },
    { NULL }
};

const ctl_group_t cmd_deadletter = {
    "deadletter", "Sets aside events a service cannot apply, and lists them.", s_commands
};
