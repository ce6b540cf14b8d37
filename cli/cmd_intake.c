/*  rcmqctl intake: hand 837P files to rcmq-intake and read what it made
    of them.

        intake submit FILE|-        one batch (- reads standard input), sent
                                    in chunks; prints its counts
        intake batch ID             a batch record
        intake rejections           the work list of rejected claims,
            [--batch ID] [--queue Q] [--limit N] [--after CLAIM]
                                    with warnings and, once a later claim
                                    of the PCN was accepted, resolved_by
*/
#include "chunks.h"
#include "pbjson.h"
#include "intake.pb-c.h"
#include "upload.pb-c.h"

#include <sys/stat.h>
#include <unistd.h>

#define SUBMIT_TIMEOUT_MS   600000      //  a large batch takes a while to apply
#define SUBMIT_POLL_MS      200

static void
s_print_batch (ctl_t *ctl, Batch *batch)
{
    if (ctl_format (ctl) == OUTPUT_JSON) {
        output_json (pbjson_message (&batch->base), stdout);
        return;
    }
    printf ("batch         %s  (%s)\n", batch->batch_id, batch->status);
    if (*batch->error)
        printf ("refused       %s\n", batch->error);
    printf ("file          %s, %" PRIu64 " bytes, from %s\n", batch->filename, batch->bytes,
            *batch->submitted_by? batch->submitted_by: batch->source);
    printf ("interchanges  %u   transactions %u\n", batch->interchanges, batch->transactions);
    printf ("claims        %u   accepted %u (%.2f)   rejected %u (%.2f)   duplicates %u   with warnings %u\n",
            batch->claims, batch->accepted, batch->accepted_cents / 100.0,
            batch->rejected, batch->rejected_cents / 100.0, batch->duplicates, batch->with_warnings);
    if (batch->n_rules) {
        output_column_t columns [] = { { "rule", OUTPUT_TEXT }, { "claims", OUTPUT_INT }, { NULL } };
        output_table_t *table = output_table_new (columns);
        for (size_t i = 0; i < batch->n_rules; i++) {
            output_table_row (table);
            output_table_cell (table, batch->rules [i]->rule_id);
            output_table_cell_uint (table, batch->rules [i]->count);
        }
        printf ("\n");
        output_table_print (table, ctl_format (ctl), stdout);
        output_table_destroy (&table);
    }
    for (size_t i = 0; i < batch->n_ack_files; i++)
        printf ("999           %s\n", batch->ack_files [i]);
}

//  One call of the upload; the decoded Upload, or NULL with the error
//  printed.
static Upload *
s_upload_call (client_t *client, const char *method, const void *body, const char *what)
{
    Reply *reply = client_call (client, method, body);
    Upload *upload = NULL;
    if (!reply)
        ctl_fail ("intake submit %s: %s", what, client_error (client));
    else
    if (reply->status != STATUS__OK)
        ctl_fail ("intake submit %s: %s: %s", what, codec_status_name (reply->status), reply->message);
    else {
        upload = (Upload *) codec_decode (&upload__descriptor, reply->body.data, reply->body.len);
        if (!upload)
            ctl_fail ("intake submit %s: the reply to %s is not an Upload", what, method);
    }
    codec_free (reply);
    return upload;
}

//  What intake has made of a committed upload so far.
static void
s_progress (bool show, const char *what, const Upload *upload)
{
    if (!show)
        return;
    double percent = upload->bytes_received? 100.0 * (double) upload->bytes_parsed / (double) upload->bytes_received: 0;
    fprintf (stderr, "\r%s: %s, %u claims read (%.0f%% of %" PRIu64 " MB)   ", what, upload->state,
             upload->claims_read, percent, upload->bytes_received >> 20);
    fflush (stderr);
}

//  The whole file as one intake.Submit request (small files; the request
//  limit applies).
static int
s_submit_whole (ctl_t *ctl, const char *path, const char *name)
{
    zchunk_t *content = ctl_read_file ("intake submit", path);
    if (!content)
        return CTL_FAILED;
    SubmitRequest request = SUBMIT_REQUEST__INIT;
    request.filename = (char *) name;
    request.content.data = zchunk_data (content);
    request.content.len = zchunk_size (content);
    char error [1024];
    client_t *client = ctl_client_new (ctl, "intake", error, sizeof error);
    if (!client) {
        zchunk_destroy (&content);
        return ctl_fail ("%s", error);
    }
    int64_t limit;
    if (chunks_request_limit (ctl, "intake", &limit)) {
        client_destroy (&client);
        zchunk_destroy (&content);
        return ctl_fail ("%s", config_bad_setting (ctl_config (ctl)));
    }
    client_set_max_request (client, limit);
    client_set_timeout (client, ctl_timeout (ctl, SUBMIT_TIMEOUT_MS));
    client_set_retries (client, 1);
    Reply *reply = client_call (client, "intake.Submit", &request);
    zchunk_destroy (&content);
    int rc = CTL_OK;
    if (!reply)
        rc = ctl_fail ("intake submit: %s", client_error (client));
    else
    if (reply->status != STATUS__OK)
        rc = ctl_fail ("intake submit %s: %s: %s", path, codec_status_name (reply->status), reply->message);
    else {
        Batch *batch = (Batch *) codec_decode (&batch__descriptor, reply->body.data, reply->body.len);
        if (batch) {
            s_print_batch (ctl, batch);
            if (streq (batch->status, "refused"))
                rc = CTL_FAILED;
        }
        else
            rc = ctl_fail ("intake submit: the reply is not a Batch");
        codec_free (batch);
    }
    codec_free (reply);
    client_destroy (&client);
    return rc;
}

//  The file goes in chunks (intake.UploadBegin / UploadChunk / UploadCommit),
//  never whole in memory on either side, then UploadStatus is polled until
//  intake has applied the batch.
static int
s_submit (ctl_t *ctl, ctl_args_t *args)
{
    const char *path = ctl_arg_operand (args, 0);
    bool from_stdin = streq (path, "-");
    const char *name = ctl_arg_option (args, "name");
    if (!name) {
        const char *slash = strrchr (path, '/');
        name = from_stdin? "stdin": slash? slash + 1: path;
    }
    if (ctl_arg_flag (args, "whole")) {
        if (from_stdin)
            return ctl_fail ("intake submit: --whole sends a file, not standard input");
        return s_submit_whole (ctl, path, name);
    }
    FILE *input = from_stdin? stdin: fopen (path, "rb");
    if (!input)
        return ctl_fail ("intake submit: cannot read %s: %s", path, strerror (errno));
    struct stat info;
    uint64_t size = fstat (fileno (input), &info) == 0 && S_ISREG (info.st_mode)? (uint64_t) info.st_size: 0;

    char error [1024];
    client_t *client = ctl_client_new (ctl, "intake", error, sizeof error);
    if (!client) {
        if (!from_stdin)
            fclose (input);
        return ctl_fail ("%s", error);
    }
    //  Chunks fit the request limit intake was given (same keys).
    int64_t limit;
    if (chunks_request_limit (ctl, "intake", &limit)) {
        client_destroy (&client);
        if (!from_stdin)
            fclose (input);
        return ctl_fail ("%s", config_bad_setting (ctl_config (ctl)));
    }
    client_set_max_request (client, limit);
    //  Waits are long: while intake applies a large batch (one
    //  transaction) it answers nothing else.
    client_set_timeout (client, ctl_timeout (ctl, SUBMIT_TIMEOUT_MS));
    client_set_retries (client, 1);
    bool show = isatty (STDERR_FILENO);
    static const chunks_methods_t methods = {
        "intake submit", "intake.UploadBegin", "intake.UploadChunk", "intake.UploadAbort"
    };
    uint64_t sent;
    char *upload_id = chunks_send (client, &methods, input, path, name, size, limit, show, &sent);
    if (!from_stdin)
        fclose (input);
    bool ok = upload_id != NULL;
    Upload *upload = NULL;

    //  Commit, then wait for the batch.
    char batch_id [64] = "";
    if (ok) {
        UploadId id = UPLOAD_ID__INIT;
        id.upload_id = upload_id;
        upload = s_upload_call (client, "intake.UploadCommit", &id, path);
        //  Small files are done in a few ms: poll soon, then less often.
        int pause_ms = 5;
        while (upload && !streq (upload->state, "done") && !streq (upload->state, "failed")) {
            snprintf (batch_id, sizeof batch_id, "%s", upload->batch_id);
            s_progress (show, path, upload);
            codec_free (upload);
            zclock_sleep (pause_ms);
            pause_ms = pause_ms * 2 < SUBMIT_POLL_MS? pause_ms * 2: SUBMIT_POLL_MS;
            upload = s_upload_call (client, "intake.UploadStatus", &id, path);
        }
        if (show)
            fprintf (stderr, "\n");
        if (upload && streq (upload->state, "failed"))
            ok = !ctl_fail ("intake submit %s: %s", path, upload->error);
        else
        if (!upload) {
            ok = false;
            if (*batch_id)
                fprintf (stderr, "rcmqctl: batch %s: see `rcmqctl intake batch %s`; if it does not exist, nothing of the file was applied\n",
                         batch_id, batch_id);
        }
        else
            snprintf (batch_id, sizeof batch_id, "%s", upload->batch_id);
        codec_free (upload);
    }
    free (upload_id);
    int rc = ok? CTL_OK: CTL_FAILED;
    if (ok) {
        BatchId request = BATCH_ID__INIT;
        request.batch_id = batch_id;
        Reply *reply = client_call (client, "intake.GetBatch", &request);
        Batch *batch = reply && reply->status == STATUS__OK
                     ? (Batch *) codec_decode (&batch__descriptor, reply->body.data, reply->body.len): NULL;
        if (batch) {
            s_print_batch (ctl, batch);
            //  A refused file is a failure to the shell, even though the
            //  request itself went through.
            if (streq (batch->status, "refused"))
                rc = CTL_FAILED;
        }
        else
            rc = ctl_fail ("intake submit: batch %s: %s", batch_id,
                           reply? reply->message: client_error (client));
        codec_free (batch);
        codec_free (reply);
    }
    client_destroy (&client);
    return rc;
}

static int
s_batch (ctl_t *ctl, ctl_args_t *args)
{
    BatchId request = BATCH_ID__INIT;
    request.batch_id = (char *) ctl_arg_operand (args, 0);
    Batch *batch;
    int rc = ctl_call (ctl, "intake", "intake.GetBatch", &request, &batch__descriptor, (void **) &batch);
    if (rc == CTL_OK)
        s_print_batch (ctl, batch);
    codec_free (batch);
    return rc;
}

static int
s_rejections (ctl_t *ctl, ctl_args_t *args)
{
    ListRejectionsRequest request = LIST_REJECTIONS_REQUEST__INIT;
    uint64_t limit;
    if (ctl_arg_uint (args, "limit", 1, 1000, 100, &limit))
        return CTL_USAGE;
    request.batch_id = (char *) ctl_arg_text (args, "batch");
    request.queue = (char *) ctl_arg_text (args, "queue");
    request.after = (char *) ctl_arg_text (args, "after");
    request.limit = (uint32_t) limit;
    RejectionList *list;
    int rc = ctl_call (ctl, "intake", "intake.ListRejections", &request, &rejection_list__descriptor, (void **) &list);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON) {
        json_t *rows = json_array ();
        for (size_t i = 0; i < list->n_rejections; i++) {
            json_t *row = pbjson_message (&list->rejections [i]->base);
            //  Flattened for scripts: the queue at the top level, and each
            //  error as {rule, field, message}.
            json_object_set_new (row, "queue", json_string (list->rejections [i]->dims->queue));
            size_t index;
            json_t *error;
            json_array_foreach (json_object_get (row, "errors"), index, error)
                json_object_set (error, "rule", json_object_get (error, "rule_id"));
            json_array_foreach (json_object_get (row, "warnings"), index, error)
                json_object_set (error, "rule", json_object_get (error, "rule_id"));
            //  Resolved: a later claim of the same PCN was accepted, the
            //  link (resolved_by) is that claim's id.
            json_object_set_new (row, "resolved", json_boolean (*list->rejections [i]->resolved_by));
            json_object_set_new (row, "resolved_by", json_string (list->rejections [i]->resolved_by));
            json_array_append_new (rows, row);
        }
        output_json (rows, stdout);
    }
    else {
        output_column_t columns [] = {
            { "pcn", OUTPUT_TEXT }, { "claim_id", OUTPUT_TEXT }, { "queue", OUTPUT_TEXT },
            { "team", OUTPUT_TEXT }, { "payer", OUTPUT_TEXT }, { "charge", OUTPUT_TEXT },
            { "rules", OUTPUT_TEXT }, { "first_error", OUTPUT_TEXT }, { "warnings", OUTPUT_TEXT },
            { "resolved_by", OUTPUT_TEXT }, { NULL }
        };
        output_table_t *table = output_table_new (columns);
        for (size_t i = 0; i < list->n_rejections; i++) {
            Rejection *r = list->rejections [i];
            char rules [256] = "";
            for (size_t j = 0; j < r->n_errors; j++)
                snprintf (rules + strlen (rules), sizeof rules - strlen (rules), "%s%s",
                          j? ",": "", r->errors [j]->rule_id);
            output_table_row (table);
            output_table_cell (table, r->pcn);
            output_table_cell (table, r->claim_id);
            output_table_cell (table, r->dims->queue);
            output_table_cell (table, r->dims->owner_team);
            output_table_cell (table, r->dims->payer_id);
            output_table_cellf (table, "%.2f", r->charge_cents / 100.0);
            output_table_cell (table, rules);
            output_table_cell (table, r->n_errors? r->errors [0]->message: "");
            char warnings [256] = "";
            for (size_t j = 0; j < r->n_warnings; j++)
                snprintf (warnings + strlen (warnings), sizeof warnings - strlen (warnings), "%s%s",
                          j? ",": "", r->warnings [j]->rule_id);
            output_table_cell (table, warnings);
            output_table_cell (table, *r->resolved_by? r->resolved_by: "");
        }
        output_table_print (table, ctl_format (ctl), stdout);
        output_table_destroy (&table);
        if (*list->next)
            fprintf (stderr, "more: rcmqctl intake rejections --after %s\n", list->next);
    }
    codec_free (list);
    return CTL_OK;
}

static const ctl_option_t s_rejection_options [] = {
    { "batch", "ID",    "only this batch" },
    { "queue", "QUEUE", "only this queue's work list" },
    { "limit", "N",     "at most N rows (default 100, at most 1000)" },
    { "after", "CLAIM", "continue after this claim id (paging)" },
    { NULL }
};

static const ctl_option_t s_submit_options [] = {
    { "name", "NAME", "file name to record in the batch (default: FILE's name; stdin for -)" },
    { "whole", NULL,  "send FILE as one intake.Submit request (small files: api/max-request-bytes applies)" },
    { NULL }
};

static const ctl_command_t s_commands [] = {
    { "submit", "FILE", 1, 1, "send an 837P file (- for standard input) to intake as one batch",
      "Sends FILE to rcmq-intake in chunks (it is staged on intake's side and\n"
      "applied once whole), shows progress on a terminal, and prints the batch\n"
      "record: intake parses, scrubs and routes every claim. A structurally\n"
      "broken file, or one whose interchange was already processed, is refused\n"
      "whole (exit status 1). FILE - reads standard input.",
      s_submit_options, s_submit },
    { "batch", "ID", 1, 1, "show a batch record", NULL, NULL, s_batch },
    { "rejections", NULL, 0, 0, "the work list of rejected claims, with every error",
      "Lists rejected claims oldest batch first, with each scrub error's rule,\n"
      "field and message, and the claim's warnings (DEN001: its payer has been\n"
      "denying its procedure, a lesson from denials). A rejection is resolved\n"
      "once a later claim with the same PCN is accepted: resolved_by names that\n"
      "claim. Vendor identities see only their queues.",
      s_rejection_options, s_rejections },
    { NULL }
};

const ctl_group_t cmd_intake = {
    "intake", "Submits 837P files and reads batches and rejections.", s_commands
};
