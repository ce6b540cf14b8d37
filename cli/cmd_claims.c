/*  rcmqctl claims: the claims service's work.

        claims list [--queue Q] [--status S] [--payer P] [--limit N] [--after PCN]
        claims show PCN            with the patient, as the caller's role may see it
        claims followup PCN [--assign U] [--next DATE] [--note TEXT] [--state STATE]
        claims due [--queue Q] [--limit N]
        claims submit [--queue Q] [--payer P]
        claims ack FILE            a 277CA
        claims post FILE           an 835
        claims exceptions [--limit N] [--after ID]
        claims credits [--limit N] [--after ID]   claims holding money beyond what they are owed
        claims match ID PCN        post an exception to a claim by hand
        claims correct PCN --reason TEXT
        claims void PCN --reason TEXT
        claims request-correction PCN --reason TEXT --requested-by USER [--reference ID] [--void] [--total AMOUNT]
                                   what the denials service asks, with its own key (--as denials)
        claims edit PCN --reason TEXT [--member-id ID] [--payer ID] [--dx CODE,...]
            [--line N [--procedure CODE] [--modifiers M[,M...]] [--pointers N[,N...]] [--charge AMOUNT]]
                                   fix a claim its payer rejected; it goes out again as an original
*/
#include "chunks.h"
#include "pages.h"
#include "workstate.h"
#include "pbjson.h"
#include "claims.pb-c.h"

#include <sys/stat.h>
#include <unistd.h>

//  The most rows claims.List and claims.ListFollowUp answer (the service
//  checks it too).
#define CLAIMS_CTL_MAX_LIMIT 1000

#define FILE_TIMEOUT_MS 600000

//  The statuses of a claim (services/claims/lifecycle.c, which refuses
//  any other too): checked here so a typo is a usage error that lists them.
static const char *const s_statuses [] = {
    "ready", "submitted", "accepted", "rejected", "paid", "partially_paid", "denied",
    "reversed", "corrected", "voided", "closed", NULL
};

//  The patient fields are claims.Show's (its PHI, as the caller's role may
//  see it): every other command's claim leaves them out rather than print
//  them empty, since there they mean nothing.
static const pbjson_view_t s_claim_no_patient_view = { &claim_record__descriptor, (const pbjson_rule_t []) {
    { "patient_name", .how = PBJSON_OMIT }, { "patient_dob", .how = PBJSON_OMIT },
    { "member_id", .how = PBJSON_OMIT }, { "patient_address", .how = PBJSON_OMIT }, { NULL } } };

//  A claim as JSON: every field, plus queue and payer_id at the top for
//  scripts; the patient's fields only for claims show (with_patient), where
//  they are always there, "" for what the caller may not see.
static json_t *
s_claim_json (ClaimRecord *record, bool with_patient)
{
    json_t *json = pbjson_render (&record->base, with_patient? NULL: &s_claim_no_patient_view);
    json_object_set_new (json, "queue", output_json_string (record->dims? record->dims->queue: ""));
    json_object_set_new (json, "payer_id", output_json_string (record->dims? record->dims->payer_id: ""));
    json_object_set_new (json, "owner_team", output_json_string (record->dims? record->dims->owner_team: ""));
    return json;
}

static void
s_print_list (ctl_t *ctl, ClaimRecord **claims, size_t count, const char *next)
{
    if (ctl_format (ctl) == OUTPUT_JSON) {
        json_t *rows = json_array ();
        for (size_t i = 0; i < count; i++)
            json_array_append_new (rows, s_claim_json (claims [i], false));
        output_json (rows, stdout);
        return;
    }
    output_column_t columns [] = {
        { "pcn", OUTPUT_TEXT }, { "status", OUTPUT_TEXT }, { "queue", OUTPUT_TEXT },
        { "team", OUTPUT_TEXT }, { "payer", OUTPUT_TEXT }, { "dos", OUTPUT_TEXT },
        { "charge", OUTPUT_TEXT }, { "paid", OUTPUT_TEXT }, { "patient", OUTPUT_TEXT },
        { "assignee", OUTPUT_TEXT }, { "next_action", OUTPUT_TEXT }, { NULL }
    };
    output_table_t *table = output_table_new (columns);
    for (size_t i = 0; i < count; i++) {
        ClaimRecord *r = claims [i];
        output_table_row (table);
        output_table_cell (table, r->pcn);
        output_table_cell (table, r->status);
        output_table_cell (table, r->dims? r->dims->queue: "");
        output_table_cell (table, r->dims? r->dims->owner_team: "");
        output_table_cell (table, r->dims? r->dims->payer_id: "");
        output_table_cell (table, r->date_of_service);
        output_table_cellf (table, "%.2f", r->charge_cents / 100.0);
        output_table_cellf (table, "%.2f", r->paid_cents / 100.0);
        output_table_cellf (table, "%.2f", r->patient_responsibility_cents / 100.0);
        output_table_cell (table, r->assignee);
        output_table_cell (table, r->next_action_date);
    }
    output_table_print (table, ctl_format (ctl), stdout);
    output_table_destroy (&table);
    if (next && *next)
        fprintf (stderr, "more: add --after %s\n", next);
}

static void
s_print_claim (ctl_t *ctl, ClaimRecord *r, bool with_patient)
{
    if (ctl_format (ctl) == OUTPUT_JSON) {
        output_json (s_claim_json (r, with_patient), stdout);
        return;
    }
    //  Every value here is data: escaped, so none can drive the terminal.
    output_printf (stdout, "claim      %s  (%s)\n", r->pcn, r->status);
    //  The patient as this caller may see it (masked for vendor staff);
    //  nothing at all for a role that sees no PHI.
    if (*r->patient_name || *r->patient_dob || *r->member_id)
        output_printf (stdout, "patient    %s   born %s   member id %s\n", r->patient_name, r->patient_dob,
                       r->member_id);
    if (*r->patient_address)
        output_printf (stdout, "address    %s\n", r->patient_address);
    output_printf (stdout, "queue      %s  team %s  phase %s\n", r->dims? r->dims->queue: "", r->dims? r->dims->owner_team: "",
            r->dims? r->dims->phase: "");
    output_printf (stdout, "payer      %s (%s)   location %s   service line %s\n", r->dims? r->dims->payer_id: "",
            r->dims? r->dims->payer_group: "", r->dims? r->dims->location: "", r->dims? r->dims->service_line: "");
    output_printf (stdout, "service    %s   charge %.2f   paid %.2f   patient %.2f   contractual %.2f\n", r->date_of_service,
            r->charge_cents / 100.0, r->paid_cents / 100.0, r->patient_responsibility_cents / 100.0,
            r->contractual_cents / 100.0);
    if (r->credit_cents)
        printf ("credit     %.2f received beyond what the claim is owed\n", r->credit_cents / 100.0);
    for (size_t i = 0; i < r->n_unapplied; i++)
        printf ("held       835 %s from payer %s: CLP02 %s paid %.2f, not posted (contradicts the claim)\n",
                r->unapplied [i]->trace, r->unapplied [i]->payer_id,
                r->unapplied [i]->remit? r->unapplied [i]->remit->status_code: "",
                r->unapplied [i]->remit? r->unapplied [i]->remit->paid_cents / 100.0: 0.0);
    if (*r->assignee || *r->next_action_date)
        output_printf (stdout, "follow-up  %s  next %s\n", r->assignee, r->next_action_date);
    for (size_t i = 0; i < r->n_adjustments; i++)
        output_printf (stdout, "adjusted   %s-%s  %.2f\n", r->adjustments [i]->group, r->adjustments [i]->carc,
                r->adjustments [i]->amount_cents / 100.0);
    for (size_t i = 0; i < r->n_denials; i++)
        output_printf (stdout, "denial     line %u  %s-%s  %s\n", r->denials [i]->line_number, r->denials [i]->group,
                r->denials [i]->carc, r->denials [i]->category);
    for (size_t i = 0; i < r->n_history; i++) {
        char when [32];
        time_t seconds = (time_t) (r->history [i]->time_ms / 1000);
        strftime (when, sizeof when, "%Y-%m-%d %H:%M", gmtime (&seconds));
        output_printf (stdout, "history    %s  %s -> %s  by %s: %s\n", when, *r->history [i]->from_status? r->history [i]->from_status: "-",
                r->history [i]->to_status, r->history [i]->actor, r->history [i]->reason);
    }
    for (size_t i = 0; i < r->n_scrub_warnings; i++)
        output_printf (stdout, "warning    %s  %s: %s\n", r->scrub_warnings [i]->rule_id, r->scrub_warnings [i]->field,
                       r->scrub_warnings [i]->message);
    for (size_t i = 0; i < r->n_edits; i++) {
        const ClaimEdit *edit = r->edits [i];
        char when [32];
        time_t seconds = (time_t) (edit->time_ms / 1000);
        strftime (when, sizeof when, "%Y-%m-%d %H:%M", gmtime (&seconds));
        output_printf (stdout, "edited     %s  by %s: %s\n", when, edit->actor, edit->reason);
        for (size_t c = 0; c < edit->n_changes; c++) {
            const FieldChange *change = edit->changes [c];
            if (*change->from || *change->to)
                output_printf (stdout, "             %s: %s -> %s\n", change->field, change->from, change->to);
            else
                output_printf (stdout, "             %s: changed (PHI, not shown)\n", change->field);
        }
    }
    for (size_t i = 0; i < r->n_notes; i++)
        output_printf (stdout, "note       %s: %s\n", r->notes [i]->actor, r->notes [i]->text);
}

static int
s_list (ctl_t *ctl, ctl_args_t *args)
{
    ClaimListRequest request = CLAIM_LIST_REQUEST__INIT;
    request.queue = (char *) ctl_arg_text (args, "queue");
    const char *status;
    if (ctl_arg_choice (args, "status", s_statuses, "", &status))
        return CTL_USAGE;
    request.status = (char *) status;
    request.payer_id = (char *) ctl_arg_text (args, "payer");
    request.after = (char *) ctl_arg_text (args, "after");
    uint64_t limit;
    if (ctl_arg_uint (args, "limit", 1, CLAIMS_CTL_MAX_LIMIT, 0, &limit))
        return CTL_USAGE;
    request.limit = (uint32_t) limit;
    ClaimList *list;
    int rc = ctl_call (ctl, "claims", "claims.List", &request, &claim_list__descriptor, (void **) &list);
    if (rc == CTL_OK)
        s_print_list (ctl, list->claims, list->n_claims, list->next);
    codec_free (list);
    return rc;
}

static int
s_show (ctl_t *ctl, ctl_args_t *args)
{
    ClaimKey request = CLAIM_KEY__INIT;
    request.pcn = (char *) ctl_arg_operand (args, 0);
    ClaimRecord *record;
    int rc = ctl_call (ctl, "claims", "claims.Show", &request, &claim_record__descriptor, (void **) &record);
    if (rc == CTL_OK)
        s_print_claim (ctl, record, true);
    codec_free (record);
    return rc;
}

static int
s_followup (ctl_t *ctl, ctl_args_t *args)
{
    FollowUpRequest request = FOLLOW_UP_REQUEST__INIT;
    request.pcn = (char *) ctl_arg_operand (args, 0);
    request.assignee = (char *) ctl_arg_text (args, "assign");
    request.next_action_date = (char *) ctl_arg_text (args, "next");
    request.note = (char *) ctl_arg_text (args, "note");
    request.state = (char *) ctl_arg_text (args, "state");
    if (*request.state && !workstate_known (request.state)) {
        char names [160];
        workstate_names (names, sizeof names);
        fprintf (stderr, "rcmqctl: --state %s: expected one of %s\n", request.state, names);
        return CTL_USAGE;
    }
    ClaimRecord *record;
    int rc = ctl_call (ctl, "claims", "claims.FollowUp", &request, &claim_record__descriptor, (void **) &record);
    if (rc == CTL_OK)
        s_print_claim (ctl, record, false);
    codec_free (record);
    return rc;
}

static int
s_due (ctl_t *ctl, ctl_args_t *args)
{
    DueRequest request = DUE_REQUEST__INIT;
    request.queue = (char *) ctl_arg_text (args, "queue");
    uint64_t limit;
    if (ctl_arg_uint (args, "limit", 1, CLAIMS_CTL_MAX_LIMIT, 0, &limit))
        return CTL_USAGE;
    request.limit = (uint32_t) limit;
    ClaimList *list;
    int rc = ctl_call (ctl, "claims", "claims.ListFollowUp", &request, &claim_list__descriptor, (void **) &list);
    if (rc == CTL_OK)
        s_print_list (ctl, list->claims, list->n_claims, NULL);
    codec_free (list);
    return rc;
}

static int
s_submit (ctl_t *ctl, ctl_args_t *args)
{
    SubmitClaimsRequest request = SUBMIT_CLAIMS_REQUEST__INIT;
    request.queue = (char *) ctl_arg_text (args, "queue");
    request.payer_id = (char *) ctl_arg_text (args, "payer");
    SubmitClaimsReply *reply;
    int rc = ctl_call (ctl, "claims", "claims.Submit", &request, &submit_claims_reply__descriptor, (void **) &reply);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_message (&reply->base), stdout);
    else {
        printf ("submitted  %u claims in %u interchanges\n", reply->claims, reply->interchanges);
        for (size_t i = 0; i < reply->n_files; i++)
            printf ("file       %s\n", reply->files [i]);
        for (size_t i = 0; i < reply->n_skipped; i++)
            printf ("skipped    %s\n", reply->skipped [i]);
    }
    codec_free (reply);
    return CTL_OK;
}

//  Sends a file (277CA or 835) to a claims method and returns its reply:
//  whole in the request when it fits the request limit claims was given,
//  else in chunks (claims.UploadBegin / UploadChunk, cli/chunks.h) that
//  the method's request then names (FileRequest upload_id).
static int
s_send_file (ctl_t *ctl, const char *command, const char *method, const char *path,
             const ProtobufCMessageDescriptor *reply_type, void **reply)
{
    *reply = NULL;
    FILE *input = fopen (path, "rb");
    if (!input)
        return ctl_fail ("%s: cannot read %s: %s", command, path, strerror (errno));
    struct stat info;
    uint64_t size = fstat (fileno (input), &info) == 0? (uint64_t) info.st_size: 0;
    int64_t limit;
    if (chunks_request_limit (ctl, "claims", &limit)) {
        fclose (input);
        return ctl_fail ("%s", config_bad_setting (ctl_config (ctl)));
    }
    FileRequest request = FILE_REQUEST__INIT;
    const char *slash = strrchr (path, '/');
    request.filename = (char *) (slash? slash + 1: path);
    if (chunks_fits (size, limit)) {
        fclose (input);
        zchunk_t *content = ctl_read_file (method, path);
        if (!content)
            return CTL_FAILED;
        request.content.data = zchunk_data (content);
        request.content.len = zchunk_size (content);
        int rc = ctl_call_timeout (ctl, "claims", method, &request, reply_type, reply, FILE_TIMEOUT_MS);
        zchunk_destroy (&content);
        return rc;
    }
    char error [1024];
    client_t *client = ctl_client_new (ctl, "claims", error, sizeof error);
    if (!client) {
        fclose (input);
        return ctl_fail ("%s", error);
    }
    client_set_max_request (client, limit);
    client_set_timeout (client, ctl_timeout (ctl, FILE_TIMEOUT_MS));
    client_set_retries (client, 1);
    chunks_methods_t methods = { command, "claims.UploadBegin", "claims.UploadChunk", "claims.UploadAbort" };
    bool show = isatty (STDERR_FILENO);
    uint64_t sent;
    char *upload_id = chunks_send (client, &methods, input, path, request.filename, size, limit, show, &sent);
    fclose (input);
    if (show)
        fprintf (stderr, "\n");
    int rc = CTL_FAILED;
    if (upload_id) {
        //  The file, now whole on claims' side, is applied by this call
        //  exactly as if it had come in it.
        request.upload_id = upload_id;
        rc = ctl_client_call (client, "claims", method, &request, reply_type, reply);
    }
    free (upload_id);
    client_destroy (&client);
    return rc;
}

static int
s_post (ctl_t *ctl, ctl_args_t *args)
{
    PostReply *reply;
    int rc = s_send_file (ctl, "claims post", "claims.Post", ctl_arg_operand (args, 0), &post_reply__descriptor, (void **) &reply);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_message (&reply->base), stdout);
    else
    if (reply->duplicate)
        printf ("already posted: 835 %s changed nothing\n", reply->trace);
    else {
        printf ("posted     835 %s: %u claims, %.2f paid, %u exceptions, %.2f provider adjustments\n",
                reply->trace, reply->claims_posted, reply->paid_cents / 100.0, reply->exceptions,
                reply->provider_adjustment_cents / 100.0);
        if (reply->credit_cents)
            printf ("credit     %.2f received beyond what the claims are owed (claims credits)\n",
                    reply->credit_cents / 100.0);
        for (size_t i = 0; i < reply->n_new_exceptions; i++) {
            RemitException *e = reply->new_exceptions [i];
            printf ("exception  %s (segment %" PRIu64 ", %s): %s\n", e->id, e->segment, e->kind, e->reason);
        }
    }
    codec_free (reply);
    return CTL_OK;
}

static int
s_ack (ctl_t *ctl, ctl_args_t *args)
{
    AcknowledgeReply *reply;
    int rc = s_send_file (ctl, "claims ack", "claims.Acknowledge", ctl_arg_operand (args, 0),
                          &acknowledge_reply__descriptor, (void **) &reply);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_message (&reply->base), stdout);
    else
        printf ("277CA      %s: %u accepted, %u rejected, %u unmatched\n", reply->trace,
                reply->accepted, reply->rejected, reply->unmatched);
    codec_free (reply);
    return CTL_OK;
}

//  A paged list command: with --limit or --after, the one page asked for;
//  without, every page (pages_call_all), as these commands always printed
//  the whole list. request is the method's request with "after" and
//  "limit" fields.
static int
s_call_list (ctl_t *ctl, ctl_args_t *args, const char *method, ProtobufCMessage *request,
             const ProtobufCMessageDescriptor *reply_type, void **reply)
{
    *reply = NULL;
    uint64_t limit;
    if (ctl_arg_uint (args, "limit", 1, CLAIMS_CTL_MAX_LIMIT, 0, &limit))
        return CTL_USAGE;
    const ProtobufCFieldDescriptor *limit_field =
        protobuf_c_message_descriptor_get_field_by_name (request->descriptor, "limit");
    const ProtobufCFieldDescriptor *after_field =
        protobuf_c_message_descriptor_get_field_by_name (request->descriptor, "after");
    assert (limit_field && limit_field->type == PROTOBUF_C_TYPE_UINT32 && after_field);
    *(uint32_t *) ((char *) request + limit_field->offset) = (uint32_t) limit;
    *(const char **) ((char *) request + after_field->offset) = ctl_arg_text (args, "after");
    if (ctl_arg_option (args, "limit") || ctl_arg_option (args, "after"))
        return ctl_call (ctl, "claims", method, request, reply_type, reply);
    return pages_call_all (ctl, "claims", method, request, reply_type, reply);
}

static int
s_exceptions (ctl_t *ctl, ctl_args_t *args)
{
    ExceptionListRequest request = EXCEPTION_LIST_REQUEST__INIT;
    ExceptionList *list;
    int rc = s_call_list (ctl, args, "claims.ListExceptions", &request.base, &exception_list__descriptor,
                          (void **) &list);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON) {
        json_t *rows = json_array ();
        for (size_t i = 0; i < list->n_exceptions; i++)
            json_array_append_new (rows, pbjson_message (&list->exceptions [i]->base));
        output_json (rows, stdout);
    }
    else {
        output_column_t columns [] = {
            { "id", OUTPUT_TEXT }, { "pcn", OUTPUT_TEXT }, { "payer", OUTPUT_TEXT },
            { "paid", OUTPUT_TEXT }, { "kind", OUTPUT_TEXT }, { "segment", OUTPUT_TEXT },
            { "reason", OUTPUT_TEXT }, { NULL }
        };
        output_table_t *table = output_table_new (columns);
        for (size_t i = 0; i < list->n_exceptions; i++) {
            RemitException *e = list->exceptions [i];
            output_table_row (table);
            output_table_cell (table, e->id);
            output_table_cell (table, e->remit->pcn);
            output_table_cell (table, e->payer_id);
            output_table_cellf (table, "%.2f", e->remit->paid_cents / 100.0);
            output_table_cell (table, e->kind);
            if (e->segment)
                output_table_cellf (table, "%" PRIu64, e->segment);
            else
                output_table_cell (table, "");
            output_table_cell (table, e->reason);
        }
        output_table_print (table, ctl_format (ctl), stdout);
        output_table_destroy (&table);
        if (*list->next_after)
            fprintf (stderr, "more: add --after %s\n", list->next_after);
    }
    codec_free (list);
    return CTL_OK;
}

//  The JSON of a credit list is a contract (issue 11): {"credits": [{pcn,
//  payer_id, credit_cents, since, age_days}]}, the message without the
//  milliseconds since is made from.
static const pbjson_view_t s_credit_view = { &credit_balance__descriptor, (const pbjson_rule_t []) {
    { "since_ms", .how = PBJSON_OMIT }, { NULL } } };
//  The whole list is that; one page (--limit, --after) adds next_after, the
//  cursor of the next page or null on the last.
static const pbjson_view_t s_credits_view = { &credit_list__descriptor, (const pbjson_rule_t []) {
    { "credits", .view = &s_credit_view }, { "next_after", .how = PBJSON_OMIT }, { NULL } } };

static json_t *
s_next_after_json (const ProtobufCMessage *message)
{
    const char *next = ((const CreditList *) message)->next_after;
    return *next? json_string (next): json_null ();
}

static const pbjson_view_t s_credit_page_view = { &credit_list__descriptor, (const pbjson_rule_t []) {
    { "credits", .view = &s_credit_view },
    { "next_after", .how = PBJSON_CUSTOM, .as = "next_after", .render = s_next_after_json }, { NULL } } };

static int
s_credits (ctl_t *ctl, ctl_args_t *args)
{
    CreditListRequest request = CREDIT_LIST_REQUEST__INIT;
    CreditList *list;
    int rc = s_call_list (ctl, args, "claims.ListCredits", &request.base, &credit_list__descriptor, (void **) &list);
    if (rc != CTL_OK)
        return rc;
    bool one_page = ctl_arg_option (args, "limit") || ctl_arg_option (args, "after");
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_render (&list->base, one_page? &s_credit_page_view: &s_credits_view), stdout);
    else {
        output_column_t columns [] = {
            { "pcn", OUTPUT_TEXT }, { "payer", OUTPUT_TEXT }, { "credit", OUTPUT_TEXT },
            { "since", OUTPUT_TEXT }, { "age_days", OUTPUT_TEXT }, { NULL }
        };
        output_table_t *table = output_table_new (columns);
        for (size_t i = 0; i < list->n_credits; i++) {
            CreditBalance *c = list->credits [i];
            output_table_row (table);
            output_table_cell (table, c->pcn);
            output_table_cell (table, c->payer_id);
            output_table_cellf (table, "%.2f", c->credit_cents / 100.0);
            output_table_cell (table, c->since);
            output_table_cellf (table, "%u", c->age_days);
        }
        output_table_print (table, ctl_format (ctl), stdout);
        output_table_destroy (&table);
        if (*list->next_after)
            fprintf (stderr, "more: add --after %s\n", list->next_after);
    }
    codec_free (list);
    return CTL_OK;
}

static int
s_match (ctl_t *ctl, ctl_args_t *args)
{
    MatchExceptionRequest request = MATCH_EXCEPTION_REQUEST__INIT;
    request.id = (char *) ctl_arg_operand (args, 0);
    request.pcn = (char *) ctl_arg_operand (args, 1);
    PostReply *reply;
    int rc = ctl_call (ctl, "claims", "claims.MatchException", &request, &post_reply__descriptor, (void **) &reply);
    if (rc == CTL_OK) {
        if (ctl_format (ctl) == OUTPUT_JSON)
            output_json (pbjson_message (&reply->base), stdout);
        else
            printf ("posted     exception %s to claim %s\n", request.id, request.pcn);
    }
    codec_free (reply);
    return rc;
}

static int
s_correct_or_void (ctl_t *ctl, ctl_args_t *args, const char *method)
{
    CorrectRequest request = CORRECT_REQUEST__INIT;
    request.pcn = (char *) ctl_arg_operand (args, 0);
    request.reason = (char *) ctl_arg_text (args, "reason");
    if (ctl_arg_cents (args, "total", &request.total_charge_cents))
        return CTL_USAGE;
    ClaimRecord *record;
    int rc = ctl_call (ctl, "claims", method, &request, &claim_record__descriptor, (void **) &record);
    if (rc == CTL_OK)
        s_print_claim (ctl, record, false);
    codec_free (record);
    return rc;
}

static int
s_correct (ctl_t *ctl, ctl_args_t *args)
{
    return s_correct_or_void (ctl, args, "claims.Correct");
}

static int
s_void (ctl_t *ctl, ctl_args_t *args)
{
    return s_correct_or_void (ctl, args, "claims.Void");
}

//  claims edit: the options of the line need --line, and a line without
//  any of them changes nothing; both are said here, before the request.
static const char *const s_line_options [] = { "procedure", "modifiers", "pointers", "charge", NULL };

static int
s_edit (ctl_t *ctl, ctl_args_t *args)
{
    EditRequest request = EDIT_REQUEST__INIT;
    request.pcn = (char *) ctl_arg_operand (args, 0);
    request.reason = (char *) ctl_arg_text (args, "reason");
    request.member_id = (char *) ctl_arg_text (args, "member-id");
    request.payer_id = (char *) ctl_arg_text (args, "payer");
    request.procedure_code = (char *) ctl_arg_text (args, "procedure");
    if (!*request.reason) {
        fprintf (stderr, "rcmqctl: claims edit: --reason TEXT is required (it goes into the claim's edits)\n");
        return CTL_USAGE;
    }
    uint64_t line = 0;
    if (ctl_arg_uint (args, "line", 1, 9999, 0, &line))
        return CTL_USAGE;
    request.line_number = (uint32_t) line;
    const char *given = NULL;
    for (size_t i = 0; s_line_options [i] && !given; i++)
        if (ctl_arg_option (args, s_line_options [i]))
            given = s_line_options [i];
    if (given && !line) {
        fprintf (stderr, "rcmqctl: claims edit: --%s changes a line: give --line N (one line per call)\n", given);
        return CTL_USAGE;
    }
    if (line && !given) {
        fprintf (stderr, "rcmqctl: claims edit: --line %" PRIu64 " with nothing to change on it "
                 "(--procedure, --modifiers, --pointers or --charge)\n", line);
        return CTL_USAGE;
    }
    if (ctl_arg_cents (args, "charge", &request.charge_cents))
        return CTL_USAGE;
    if (ctl_arg_option (args, "charge") && request.charge_cents <= 0) {
        fprintf (stderr, "rcmqctl: claims edit: --charge %s: a line's charge is above 0\n", ctl_arg_option (args, "charge"));
        return CTL_USAGE;
    }
    size_t n_pointers = 0;
    char **pointers = ctl_arg_list (args, "pointers", &n_pointers);
    uint32_t *numbers = n_pointers? (uint32_t *) calloc (n_pointers, sizeof (uint32_t)): NULL;
    for (size_t i = 0; i < n_pointers; i++) {
        uint64_t number;
        if (ctl_parse_uint ("--pointers", pointers [i], 1, 12, &number)) {
            ctl_list_free (pointers, n_pointers);
            free (numbers);
            return CTL_USAGE;
        }
        numbers [i] = (uint32_t) number;
    }
    ctl_list_free (pointers, n_pointers);
    request.pointers = numbers;
    request.n_pointers = n_pointers;
    request.diagnoses = ctl_arg_list (args, "dx", &request.n_diagnoses);
    request.modifiers = ctl_arg_list (args, "modifiers", &request.n_modifiers);
    ClaimRecord *record;
    int rc = ctl_call (ctl, "claims", "claims.Edit", &request, &claim_record__descriptor, (void **) &record);
    if (rc == CTL_OK)
        s_print_claim (ctl, record, false);
    codec_free (record);
    ctl_list_free (request.diagnoses, request.n_diagnoses);
    ctl_list_free (request.modifiers, request.n_modifiers);
    free (numbers);
    return rc;
}

static const ctl_option_t s_edit_options [] = {
    { "reason",     "TEXT",            "why (required; kept in the claim's edits with who and what changed)" },
    { "member-id",  "ID",              "the subscriber's member id" },
    { "payer",      "ID",              "the payer id" },
    { "dx",         "CODE[,CODE...]",  "every diagnosis, in order, the first principal: E119,I10" },
    { "line",       "N",               "the service line (LX) the options below change; one per call" },
    { "procedure",  "CODE",            "the line's CPT/HCPCS code" },
    { "modifiers",  "M[,M...]",        "the line's modifiers (all of them, at most 4)" },
    { "pointers",   "N[,N...]",        "the line's diagnosis pointers (at most 4)" },
    { "charge",     "AMOUNT",          "the line's charge in dollars, e.g. 125.50 (the total follows)" },
    { NULL }
};

//  claims.RequestCorrection: the method a service calls with its own key;
//  here for scripts and tests (rcmqctl --as denials ...).
static int
s_request_correction (ctl_t *ctl, ctl_args_t *args)
{
    CorrectRequest correct = CORRECT_REQUEST__INIT;
    correct.pcn = (char *) ctl_arg_operand (args, 0);
    correct.reason = (char *) ctl_arg_text (args, "reason");
    if (ctl_arg_cents (args, "total", &correct.total_charge_cents))
        return CTL_USAGE;
    CorrectionRequest request = CORRECTION_REQUEST__INIT;
    request.correct = &correct;
    request.as_void = ctl_arg_flag (args, "void");
    request.requested_by = (char *) ctl_arg_text (args, "requested-by");
    request.reference = (char *) ctl_arg_text (args, "reference");
    if (request.as_void && correct.total_charge_cents) {
        fprintf (stderr, "rcmqctl: claims request-correction: --total corrects a claim; a --void sends none\n");
        return CTL_USAGE;
    }
    ClaimRecord *record;
    int rc = ctl_call (ctl, "claims", "claims.RequestCorrection", &request, &claim_record__descriptor, (void **) &record);
    if (rc == CTL_OK)
        s_print_claim (ctl, record, false);
    codec_free (record);
    return rc;
}

static const ctl_option_t s_request_correction_options [] = {
    { "reason",       "TEXT",   "why (required; goes into the claim's history)" },
    { "requested-by", "USER",   "the person who asked, in the calling service (required)" },
    { "reference",    "ID",     "the caller's record, e.g. a denial id" },
    { "void",         NULL,     "a void (frequency 8) instead of a replacement (7)" },
    { "total",        "AMOUNT", "corrected total charge, e.g. 125.50" },
    { NULL }
};

static const ctl_option_t s_correct_options [] = {
    { "reason", "TEXT",   "why (required; goes into the claim's history)" },
    { "total",  "AMOUNT", "corrected total charge, e.g. 125.50" },
    { NULL }
};

static const ctl_option_t s_void_options [] = {
    { "reason", "TEXT", "why (required; goes into the claim's history)" },
    { NULL }
};

static const ctl_option_t s_submit_options [] = {
    { "queue", "QUEUE", "only this queue's claims" },
    { "payer", "PAYER", "only this payer's claims" },
    { NULL }
};

static const ctl_option_t s_list_options [] = {
    { "queue",  "QUEUE",  "only this queue" },
    { "status", "STATUS", "ready, submitted, accepted, rejected, paid, partially_paid, denied, reversed, corrected, voided, closed" },
    { "payer",  "PAYER",  "only this payer id" },
    { "limit",  "N",      "at most N rows (default 100, at most 1000)" },
    { "after",  "PCN",    "continue after this PCN (paging)" },
    { NULL }
};

//  exceptions and credits: the whole list, or with these one page.
static const ctl_option_t s_page_options [] = {
    { "limit", "N",  "one page of at most N rows (default 100, at most 1000)" },
    { "after", "ID", "one page: the rows after ID (see above)" },
    { NULL }
};

static const ctl_option_t s_followup_options [] = {
    { "assign", "USER", "who works the claim next" },
    { "next",   "DATE", "next action date (YYYY-MM-DD)" },
    { "note",   "TEXT", "a note for the claim's history" },
    { "state",  "STATE", "the follow-up work item's new state (open, in_progress, waiting_payer, ...)" },
    { NULL }
};

static const ctl_option_t s_due_options [] = {
    { "queue", "QUEUE", "only this queue" },
    { "limit", "N",     "at most N rows (default 100)" },
    { NULL }
};

static const ctl_command_t s_commands [] = {
    { "list", NULL, 0, 0, "list claims by queue, status or payer", NULL, s_list_options, s_list },
    { "show", "PCN", 1, 1, "show a claim with its patient, postings, adjustments and history",
      "Shows the patient's name, date of birth, member id and address as your\n"
      "role may see them: in full for internal staff (to call the payer),\n"
      "masked for vendor staff (A. SMITH, 1957, ****6789, IL), not at all for\n"
      "roles without phi.read. Each view is recorded, with the fields shown\n"
      "and their form, as an access on the audit stream (docs/access.md).",
      NULL, s_show },
    { "followup", "PCN", 1, 1, "assign a claim, set its next action date, add a note", NULL, s_followup_options, s_followup },
    { "due", NULL, 0, 0, "claims whose next action is due or whose payer has not answered, oldest first",
      "Lists open claims whose next action date has come, and submitted claims\n"
      "with no payer response after the payer's follow-up days (default 30).",
      s_due_options, s_due },
    { "submit", NULL, 0, 0, "write 837P batches of ready, corrected and voided claims",
      "Writes one 837P interchange per payer into the outbound folder (config\n"
      "claims/outbound-dir) for the clearinghouse: ready claims as originals,\n"
      "corrected ones as replacements (frequency 7), voided ones as voids (8).",
      s_submit_options, s_submit },
    { "ack", "FILE", 1, 1, "read a 277CA: accepted claims move on, rejected ones join the work list",
      "Applies a 277CA whole or not at all; the same 277CA (payer, trace) again\n"
      "changes nothing. A file larger than one request (claims/max-request-bytes,\n"
      "else api/max-request-bytes) is sent in chunks and applied the same way.",
      NULL, s_ack },
    { "post", "FILE", 1, 1, "post an 835 remittance",
      "Posts every sound claim payment of an 835. The file is refused whole only\n"
      "when it cannot be read as an 835 or a payment does not balance (BPR02 =\n"
      "sum of CLP04 - PLB); the error names what does not add up. A claim that\n"
      "cannot be read or does not add up, that matches no claim, or that\n"
      "contradicts its claim (a second payment, or a denial of a paid claim,\n"
      "without a reversal) goes to the exceptions with its segment and reason.\n"
      "Posting the same 835 again changes nothing; a corrected one posts only the\n"
      "claims not posted before (docs/posting.md). A file larger than one request\n"
      "(claims/max-request-bytes, else api/max-request-bytes) is sent in chunks\n"
      "and posted the same way.",
      NULL, s_post },
    { "exceptions", NULL, 0, 0, "remits that could not be posted: unmatched, unsound, contradicting",
      "Lists the exceptions by id, every one (asked for a page at a time). With\n"
      "--limit N or --after ID, one page: at most N (default 100) after ID. --json\n"
      "is an array of exceptions either way; the next page is --after the last\n"
      "row's id, and an empty array is the end.",
      s_page_options, s_exceptions },
    { "credits", NULL, 0, 0, "claims holding money beyond what they are owed (credit balances)",
      "Lists claims with a credit balance: an overpayment, or a payment held as\n"
      "contradicting the claim. --json gives {\"credits\": [{\"pcn\", \"payer_id\",\n"
      "\"credit_cents\", \"since\", \"age_days\"}]}, oldest first. With --limit N or\n"
      "--after ID, one page, and \"next_after\": the ID to ask the next page after\n"
      "(an age cursor, not a PCN), null on the last.",
      s_page_options, s_credits },
    { "match", "ID PCN", 2, 2, "post an exception to a claim by hand", NULL, NULL, s_match },
    { "correct", "PCN", 1, 1, "resend a claim as a replacement (frequency 7)", NULL, s_correct_options, s_correct },
    { "void", "PCN", 1, 1, "void a claim (frequency 8 at the next submit)", NULL, s_void_options, s_void },
    { "request-correction", "PCN", 1, 1, "a service's request for a replacement (7) or void (8) of a claim",
      "What the denials service asks claims, with its own key (role service,\n"
      "permission claims.correct; rcmqctl --as denials), when a denial is worked\n"
      "to a corrected claim or a void: claims checks the claim's state and\n"
      "writes it as claims correct / void would, and the history names the\n"
      "person who asked and the caller's record (docs/denials-claims-api.md).",
      s_request_correction_options, s_request_correction },
    { "edit", "PCN", 1, 1, "fix a claim its payer rejected; the next submit sends it as an original",
      "A claim its payer rejected (277CA) was never accepted, so it cannot be\n"
      "replaced (frequency 7 needs the payer's claim number). Edit fixes its\n"
      "member id, payer, diagnoses or one service line per call, moves it back\n"
      "to ready, and the next `claims submit` sends it as a new original\n"
      "(frequency 1). A ready claim takes further edits; any other state is\n"
      "refused (claims correct / void are for claims the payer accepted). Each\n"
      "edit is kept with who made it, why, and each field's old and new value\n"
      "(the member id by name only: it is PHI).",
      s_edit_options, s_edit },
    { NULL }
};

const ctl_group_t cmd_claims = {
    "claims", "Lists, shows and follows up claims; submits, acknowledges and posts.", s_commands
};
