/*  rcmqctl intake: hand 837P files to rcmq-intake and read what it made
    of them.

        intake submit FILE          one batch; prints its counts
        intake batch ID             a batch record
        intake rejections           the work list of rejected claims,
            [--batch ID] [--queue Q] [--limit N] [--after CLAIM]
*/
#include "ctl.h"
#include "pbjson.h"
#include "intake.pb-c.h"

#include <sys/stat.h>
#include <unistd.h>

#define SUBMIT_TIMEOUT_MS 600000        //  a large file takes a while to parse

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

static int
s_submit (ctl_t *ctl, ctl_args_t *args)
{
    const char *path = ctl_arg_operand (args, 0);
    zchunk_t *content = ctl_read_file ("intake submit", path);
    if (!content)
        return CTL_FAILED;
    bool progress = isatty (STDERR_FILENO) && zchunk_size (content) > (8u << 20);
    if (progress)
        fprintf (stderr, "sending %s (%zu MB) to intake; parsing and scrubbing...\n",
                 path, zchunk_size (content) >> 20);
    SubmitRequest request = SUBMIT_REQUEST__INIT;
    const char *slash = strrchr (path, '/');
    request.filename = (char *) (slash? slash + 1: path);
    request.content.data = zchunk_data (content);
    request.content.len = zchunk_size (content);

    char error [1024];
    client_t *client = ctl_client_new (ctl, "intake", error, sizeof error);
    if (!client) {
        zchunk_destroy (&content);
        return ctl_fail ("%s", error);
    }
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
            //  A refused file is a failure to the shell, even though the
            //  request itself went through.
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
    const char *batch = ctl_arg_option (args, "batch");
    const char *queue = ctl_arg_option (args, "queue");
    const char *after = ctl_arg_option (args, "after");
    const char *limit = ctl_arg_option (args, "limit");
    request.batch_id = (char *) (batch? batch: "");
    request.queue = (char *) (queue? queue: "");
    request.after = (char *) (after? after: "");
    request.limit = limit? (uint32_t) atoi (limit): 100;
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
            json_array_append_new (rows, row);
        }
        output_json (rows, stdout);
    }
    else {
        output_column_t columns [] = {
            { "pcn", OUTPUT_TEXT }, { "claim_id", OUTPUT_TEXT }, { "queue", OUTPUT_TEXT },
            { "team", OUTPUT_TEXT }, { "payer", OUTPUT_TEXT }, { "charge", OUTPUT_TEXT },
            { "rules", OUTPUT_TEXT }, { "first_error", OUTPUT_TEXT }, { NULL }
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

static const ctl_command_t s_commands [] = {
    { "submit", "FILE", 1, 1, "send an 837P file to intake as one batch",
      "Sends FILE to rcmq-intake, which parses, scrubs and routes every claim and\n"
      "answers with the batch record. A structurally broken file, or one whose\n"
      "interchange was already processed, is refused whole (exit status 1).",
      NULL, s_submit },
    { "batch", "ID", 1, 1, "show a batch record", NULL, NULL, s_batch },
    { "rejections", NULL, 0, 0, "the work list of rejected claims, with every error",
      "Lists rejected claims oldest batch first, with each scrub error's rule,\n"
      "field and message. Vendor identities see only their queues.",
      s_rejection_options, s_rejections },
    { NULL }
};

const ctl_group_t cmd_intake = {
    "intake", "Submits 837P files and reads batches and rejections.", s_commands
};
