/*  submit: claims.Submit writes the 837P batches for the clearinghouse.

    Every claim that is ready (frequency 1), corrected (sent as a
    replacement, frequency 7, with the payer's claim number in REF*F8) or
    voided (frequency 8) is written, one interchange per payer, optionally
    only of one queue or payer. The files are stored in the same transaction
    that marks the claims submitted, and written to the outbound folder only
    after the commit (and again at start if a crash came between), so a
    file on disk always means claims marked submitted, and the other way
    round.

        claims.Submit  SubmitClaimsRequest -> SubmitClaimsReply  claims.submit
*/
#include "claims.h"
#include "lifecycle.h"
#include "write837.h"
#include "clock.h"
#include "codec.h"
#include "log.h"
#include "phi_claim.h"

//  The statuses that go out, and the frequency code each is sent with.
static const struct {
    const char *status;
    const char *frequency;
    const char *next_status;        //  after the file is written
} s_outgoing [] = {
    { "ready",     "1", "submitted" },
    { "corrected", "7", "submitted" },
    { "voided",    "8", "closed" },
};

typedef struct {
    char *payer_id;
    zlistx_t *records;              //  ClaimRecord* to mark
    zlistx_t *claims;               //  Claim* opened, to write
} s_payer_t;

static void
s_payer_free (void **item_p)
{
    s_payer_t *payer = (s_payer_t *) *item_p;
    if (payer) {
        free (payer->payer_id);
        zlistx_destroy (&payer->records);
        zlistx_destroy (&payer->claims);
        free (payer);
    }
    *item_p = NULL;
}

static void
s_message_free (void **item_p)
{
    codec_free (*item_p);
    *item_p = NULL;
}

static s_payer_t *
s_payer (zhashx_t *payers, const char *payer_id)
{
    s_payer_t *payer = (s_payer_t *) zhashx_lookup (payers, payer_id);
    if (!payer) {
        payer = (s_payer_t *) zmalloc (sizeof (s_payer_t));
        payer->payer_id = strdup (payer_id);
        payer->records = zlistx_new ();
        zlistx_set_destructor (payer->records, s_message_free);
        payer->claims = zlistx_new ();
        zlistx_set_destructor (payer->claims, s_message_free);
        zhashx_insert (payers, payer_id, payer);
    }
    return payer;
}

static void
s_skip (SubmitClaimsReply *reply, const char *pcn, const char *why)
{
    reply->skipped = (char **) realloc (reply->skipped, (reply->n_skipped + 1) * sizeof (char *));
    reply->skipped [reply->n_skipped++] = zsys_sprintf ("%s: %s", pcn, why);
}

//  Opens and prepares the claims of one outgoing status.
static int
s_gather (claims_t *self, MDB_txn *txn, const SubmitClaimsRequest *request, size_t row,
          zhashx_t *payers, SubmitClaimsReply *reply)
{
    const char *status = s_outgoing [row].status;
    size_t prefix = strlen (status) + 1;
    const char *start = status;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (self->store, "by_status"), &cursor);
    if (rc)
        return rc;
    MDB_val key = { prefix, (void *) start }, value;
    for (rc = mdb_cursor_get (cursor, &key, &value, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        if (key.mv_size < prefix || memcmp (key.mv_data, start, prefix))
            break;
        //  Sized from the key: a fixed buffer cut long PCNs, so their
        //  claims were never found and silently never sent.
        char *pcn = strndup ((const char *) key.mv_data + prefix, key.mv_size - prefix);
        ClaimRecord *record = ledger_get (self, txn, pcn);
        if (!record || !record->dims || !record->claim
        ||  (*request->queue && !streq (record->dims->queue, request->queue))
        ||  (*request->payer_id && !streq (record->dims->payer_id, request->payer_id))) {
            if (!record)
                s_skip (reply, pcn, "listed as ready to send but has no claim record");
            codec_free (record);
            free (pcn);
            continue;
        }
        Claim *claim = phi_claim_open (self->phi_key, record->claim);
        if (!claim) {
            s_skip (reply, pcn, "its sealed PHI does not open with this deployment's key");
            codec_free (record);
            free (pcn);
            continue;
        }
        //  ledger_set_text, not free: an empty field of a decoded message
        //  points at protobuf-c's shared empty string, and freeing it
        //  killed the process at every submit of a voided or corrected
        //  claim that had no payer claim number in its claim data.
        ledger_set_text (&claim->frequency_code, s_outgoing [row].frequency);
        if (*record->payer_claim_number)
            ledger_set_text (&claim->payer_claim_number, record->payer_claim_number);
        char error [WRITE837_ERROR_SIZE];
        if (write837_check (claim, record->dims->payer_id, error)) {
            s_skip (reply, pcn, error);
            codec_free (claim);
            codec_free (record);
            free (pcn);
            continue;
        }
        s_payer_t *payer = s_payer (payers, record->dims->payer_id);
        zlistx_add_end (payer->records, record);
        zlistx_add_end (payer->claims, claim);
        free (pcn);
    }
    mdb_cursor_close (cursor);
    return rc == MDB_NOTFOUND? 0: rc;
}

static uint32_t
s_next_control (claims_t *self, MDB_txn *txn)
{
    uint64_t control = store_get_u64 (self->store, txn, "meta", "isa_control") + 1;
    if (control > 999999999)
        control = 1;
    store_put_u64 (self->store, txn, "meta", "isa_control", control);
    return (uint32_t) control;
}

//  Writes one payer's file into the submissions table and marks its claims.
static int
s_write_payer (claims_t *self, server_call_t *call, s_payer_t *payer, SubmitClaimsReply *reply)
{
    MDB_txn *txn = call->txn;
    size_t count = zlistx_size (payer->claims);
    Claim **claims = (Claim **) calloc (count + 1, sizeof (Claim *));
    size_t i = 0;
    for (Claim *claim = (Claim *) zlistx_first (payer->claims); claim; claim = (Claim *) zlistx_next (payer->claims))
        claims [i++] = claim;
    uint64_t now = clock_now_ms ();
    uint32_t control = s_next_control (self, txn);
    Provider submitter = PROVIDER__INIT, receiver = PROVIDER__INIT;
    submitter.entity_type = "2";
    submitter.name = (char *) config_get (self->config, "claims/submitter-name", "RCMQ BILLING");
    submitter.id_qualifier = "46";
    submitter.id = (char *) config_get (self->config, "claims/sender-id", "RCMQ");
    receiver.entity_type = "2";
    receiver.name = (char *) config_get (self->config, "claims/receiver-name", "CLEARINGHOUSE");
    receiver.id_qualifier = "46";
    receiver.id = (char *) config_get (self->config, "claims/receiver-id", "CLEARINGHOUSE");
    char reference [64];
    snprintf (reference, sizeof reference, "S%09u", control);
    write837_header_t header = {
        .payer_id = payer->payer_id,
        .sender_id = submitter.id,
        .receiver_id = receiver.id,
        .submitter = &submitter,
        .contact_name = (char *) config_get (self->config, "claims/contact-name", "BILLING OFFICE"),
        .contact_phone = (char *) config_get (self->config, "claims/contact-phone", "5555550100"),
        .receiver = &receiver,
        .interchange_control_number = control,
        .group_control_number = control,
        .transaction_control_number = 1,
        .reference = reference,
        .now_ms = now,
        .newline = true,
    };
    size_t size;
    char error [WRITE837_ERROR_SIZE];
    char *text = write837_batch (&header, claims, count, &size, error);
    free (claims);
    if (!text)
        return server_call_fail (call, STATUS__INTERNAL, "claims.Submit: payer %s: %s", payer->payer_id, error);

    char filename [128];
    char date [16];
    clock_format_date (now, date, sizeof date);
    snprintf (filename, sizeof filename, "837P-%s-%.4s%.2s%.2s-%09u.x12", payer->payer_id, date, date + 5, date + 8, control);
    Submission submission = SUBMISSION__INIT;
    submission.filename = filename;
    submission.payer_id = payer->payer_id;
    submission.claims = (uint32_t) count;
    submission.created_ms = now;
    submission.actor = (char *) call->caller->name;
    submission.content.data = (uint8_t *) text;
    submission.content.len = size;
    uint8_t *packed = codec_pack (&submission, &size);
    int rc = store_put (self->store, txn, "submissions", filename, strlen (filename), packed, size);
    free (packed);
    free (text);

    size_t row = 0;
    for (ClaimRecord *record = (ClaimRecord *) zlistx_first (payer->records); record && rc == 0;
         record = (ClaimRecord *) zlistx_next (payer->records)) {
        char old_status [32];
        snprintf (old_status, sizeof old_status, "%s", record->status);
        const char *next = "submitted";
        for (row = 0; row < sizeof s_outgoing / sizeof s_outgoing [0]; row++)
            if (streq (s_outgoing [row].status, old_status))
                next = s_outgoing [row].next_status;
        char reason [192];
        snprintf (reason, sizeof reason, "sent in %s", filename);
        if (lifecycle_move (record, next, call->caller->name, reason, now, error, sizeof error))
            continue;       //  cannot happen: gathered by status
        ledger_set_text (&record->submission_file, filename);
        record->submitted_ms = now;
        ClaimEvent event = CLAIM_EVENT__INIT;
        event.from_status = old_status;
        event.actor = (char *) call->caller->name;
        event.reason = reason;
        event.submission_file = filename;
        event.time_ms = now;
        rc = ledger_put (self, txn, record, old_status);
        if (rc == 0)
            rc = ledger_emit (self, txn, "submitted", record, &event);
        server_call_subject (call, record->pcn);
    }
    reply->files = (char **) realloc (reply->files, (reply->n_files + 1) * sizeof (char *));
    reply->files [reply->n_files++] = strdup (filename);
    reply->claims += (uint32_t) count;
    reply->interchanges++;
    return rc;
}

static zlistx_t *s_pending_files;

static int
s_submit (server_call_t *call)
{
    claims_t *self = claims_state (call);
    SubmitClaimsRequest *request = (SubmitClaimsRequest *) call->body;
    zhashx_t *payers = zhashx_new ();
    zhashx_set_destructor (payers, s_payer_free);
    SubmitClaimsReply reply = SUBMIT_CLAIMS_REPLY__INIT;
    int rc = 0;
    for (size_t row = 0; row < sizeof s_outgoing / sizeof s_outgoing [0] && rc == 0; row++)
        rc = s_gather (self, call->txn, request, row, payers, &reply);
    //  Payers in id order, so control numbers follow a stable order.
    zlistx_t *ids = zhashx_keys (payers);
    zlistx_set_comparator (ids, (zlistx_comparator_fn *) strcmp);
    zlistx_sort (ids);
    for (char *id = (char *) zlistx_first (ids); id && rc == 0 && call->status == STATUS__OK;
         id = (char *) zlistx_next (ids))
        rc = s_write_payer (self, call, (s_payer_t *) zhashx_lookup (payers, id), &reply);
    zlistx_destroy (&ids);
    zhashx_destroy (&payers);
    if (rc == 0 && call->status == STATUS__OK) {
        server_call_reply (call, &reply);
        if (!s_pending_files) {
            s_pending_files = zlistx_new ();
            zlistx_set_destructor (s_pending_files, (zlistx_destructor_fn *) zstr_free);
        }
        for (size_t i = 0; i < reply.n_files; i++)
            zlistx_add_end (s_pending_files, strdup (reply.files [i]));
    }
    for (size_t i = 0; i < reply.n_files; i++)
        free (reply.files [i]);
    free (reply.files);
    for (size_t i = 0; i < reply.n_skipped; i++)
        free (reply.skipped [i]);
    free (reply.skipped);
    return rc;
}

//  Writes stored submissions that are not on disk yet: those just committed
//  (names given), or with names NULL every one (at start).
void
submit_write_files (claims_t *self)
{
    MDB_txn *txn = store_read_begin (self->store);
    if (!txn)
        return;
    MDB_cursor *cursor;
    mdb_cursor_open (txn, store_table (self->store, "submissions"), &cursor);
    MDB_val key, value;
    for (int rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%.*s", self->outbound_dir, (int) key.mv_size, (const char *) key.mv_data);
        if (zsys_file_exists (path))
            continue;
        Submission *submission = (Submission *) codec_decode (&submission__descriptor, value.mv_data, value.mv_size);
        if (!submission)
            continue;
        char temp [PATH_MAX + 8];
        snprintf (temp, sizeof temp, "%s.tmp", path);
        FILE *file = fopen (temp, "wb");
        bool written = file && fwrite (submission->content.data, 1, submission->content.len, file)
                               == submission->content.len;
        if (file)
            written = fclose (file) == 0 && written;
        if (written && rename (temp, path) == 0)
            log_info ("837P file written", "file", json_string (submission->filename),
                      "claims", json_integer (submission->claims), NULL);
        else
            log_error ("cannot write 837P file", "path", json_string (path), NULL);
        codec_free (submission);
    }
    mdb_cursor_close (cursor);
    store_read_end (&txn);
}

void
submit_committed (claims_t *self)
{
    if (s_pending_files && zlistx_size (s_pending_files)) {
        zlistx_purge (s_pending_files);
        submit_write_files (self);
    }
}

const server_method_t claims_submit_methods [] = {
    { "claims.Submit", "claims.submit", &submit_claims_request__descriptor, s_submit },
    { NULL }
};
