/*  batch: one 837P file through intake, atomically.

    The file is parsed as it streams; each claim is scrubbed, checked for a
    duplicate PCN, given its dimensions and queue, sealed (PHI encrypted),
    stored, and announced (intake.claim_accepted / claim_rejected), all in a
    nested transaction under the caller's. If the file turns out to be
    structurally broken, or its interchange was processed before, the nested
    transaction is aborted: none of its claims exist, and only the refused
    batch record is written. So a crash at any point leaves either the whole
    batch or no trace of it, and resubmitting after a crash just works.
*/
#include "intake.h"
#include "ack999.h"
#include "clock.h"
#include "codec.h"
#include "dimensions.h"
#include "files.h"
#include "log.h"
#include "parse_837p.h"
#include "phi_claim.h"

#include <czmq.h>

#define S_DUPLICATE_RULE "DUP001"

typedef struct {
    char *control_number;
    uint32_t claims;
    uint32_t with_errors;
} s_set_t;

typedef struct {
    char *key;                  //  sender/ISA13
    Claim *header;              //  the first claim: its envelope fields
    zlistx_t *sets;             //  s_set_t*
} s_interchange_t;

typedef struct {
    intake_t *intake;
    MDB_txn *txn;               //  the nested transaction
    Batch *batch;
    uint64_t now;
    zhashx_t *rules;            //  rule id -> uint32_t* claims
    zlistx_t *interchanges;     //  s_interchange_t*, in file order
    char refusal [512];         //  set when we stop the parse ourselves
    int rc;                     //  LMDB error from inside the callback
} s_run_t;

static void
s_set_free (void **item_p)
{
    s_set_t *set = (s_set_t *) *item_p;
    if (set) {
        free (set->control_number);
        free (set);
    }
    *item_p = NULL;
}

static void
s_interchange_free (void **item_p)
{
    s_interchange_t *interchange = (s_interchange_t *) *item_p;
    if (interchange) {
        free (interchange->key);
        codec_free (interchange->header);
        zlistx_destroy (&interchange->sets);
        free (interchange);
    }
    *item_p = NULL;
}

static void
s_u32_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  The interchange a claim belongs to; NULL (with the refusal set) when
//  that interchange was processed before.
static s_interchange_t *
s_interchange (s_run_t *run, const Claim *claim)
{
    char key [128];
    snprintf (key, sizeof key, "%s/%s", claim->sender_id, claim->interchange_control_number);
    s_interchange_t *last = (s_interchange_t *) zlistx_last (run->interchanges);
    if (last && streq (last->key, key))
        return last;
    MDB_val value;
    if (store_get (run->intake->store, run->txn, "interchanges", key, strlen (key), &value) == 0) {
        snprintf (run->refusal, sizeof run->refusal,
                  "interchange %s from sender %s was already processed (batch %.*s)",
                  claim->interchange_control_number, claim->sender_id,
                  (int) value.mv_size, (const char *) value.mv_data);
        return NULL;
    }
    for (s_interchange_t *seen = (s_interchange_t *) zlistx_first (run->interchanges); seen;
         seen = (s_interchange_t *) zlistx_next (run->interchanges))
        if (streq (seen->key, key)) {
            snprintf (run->refusal, sizeof run->refusal,
                      "interchange %s from sender %s appears twice in this file",
                      claim->interchange_control_number, claim->sender_id);
            return NULL;
        }
    s_interchange_t *interchange = (s_interchange_t *) zmalloc (sizeof (s_interchange_t));
    interchange->key = strdup (key);
    interchange->header = (Claim *) codec_copy (claim);
    interchange->sets = zlistx_new ();
    zlistx_set_destructor (interchange->sets, s_set_free);
    zlistx_add_end (run->interchanges, interchange);
    return interchange;
}

static s_set_t *
s_set (s_interchange_t *interchange, const char *control_number)
{
    s_set_t *last = (s_set_t *) zlistx_last (interchange->sets);
    if (last && streq (last->control_number, control_number))
        return last;
    s_set_t *set = (s_set_t *) zmalloc (sizeof (s_set_t));
    set->control_number = strdup (control_number);
    zlistx_add_end (interchange->sets, set);
    return set;
}

static void
s_count_rules (s_run_t *run, const ScrubResult *result)
{
    for (size_t i = 0; i < result->n_findings; i++) {
        const char *rule = result->findings [i]->rule_id;
        //  Count each rule once per claim, whatever how many lines broke it.
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = streq (result->findings [j]->rule_id, rule);
        if (seen)
            continue;
        uint32_t *count = (uint32_t *) zhashx_lookup (run->rules, rule);
        if (!count) {
            count = (uint32_t *) zmalloc (sizeof (uint32_t));
            zhashx_insert (run->rules, rule, count);
        }
        (*count)++;
    }
}

static void
s_add_finding (ScrubResult *result, const char *rule, const char *field, const char *message)
{
    ScrubFinding *finding = (ScrubFinding *) malloc (sizeof (ScrubFinding));
    scrub_finding__init (finding);
    finding->rule_id = strdup (rule);
    finding->severity = SEVERITY__SEVERITY_ERROR;
    finding->field = strdup (field);
    finding->message = strdup (message);
    result->findings = (ScrubFinding **) realloc (result->findings,
                                                  (result->n_findings + 1) * sizeof (ScrubFinding *));
    result->findings [result->n_findings++] = finding;
    result->errors++;
    result->accepted = false;
}

//  Only the errors go on the work list; warnings stay in the claim record.
static ScrubFinding **
s_errors (const ScrubResult *result, size_t *count)
{
    ScrubFinding **errors = (ScrubFinding **) calloc (result->n_findings + 1, sizeof (ScrubFinding *));
    *count = 0;
    for (size_t i = 0; i < result->n_findings; i++)
        if (result->findings [i]->severity == SEVERITY__SEVERITY_ERROR)
            errors [(*count)++] = result->findings [i];
    return errors;
}

//  Packs message with an already packed SealedClaim appended as its field
//  `field_name` (left unset in message): the sealed claim goes into both
//  the claim record and the claim_accepted event, and is packed once.
//  Protobuf readers take fields in any order, so the bytes decode as if the
//  field had been set.
static uint8_t *
s_pack_with (const void *message, const char *field_name, const uint8_t *sealed, size_t sealed_size,
             size_t *size)
{
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field_by_name (
        ((const ProtobufCMessage *) message)->descriptor, field_name);
    assert (field && field->type == PROTOBUF_C_TYPE_MESSAGE);
    size_t length = protobuf_c_message_get_packed_size ((const ProtobufCMessage *) message);
    size_t capacity = length + sealed_size + 20;
    uint8_t *packed = (uint8_t *) malloc (capacity);
    assert (packed);
    length = protobuf_c_message_pack ((const ProtobufCMessage *) message, packed);
    codec_append_field (&packed, &length, &capacity, field->id, sealed, sealed_size);
    *size = length;
    return packed;
}

//  Claim ids rise within a batch and from batch to batch, so a claim
//  record is nearly always put after every key in the table. MDB_APPEND
//  then fills each leaf page before starting the next; a plain put splits
//  the last page in two, and records of ~1.4 KB ended one to a 4 KB page,
//  which nearly doubled the pages the file's transaction dirties (and past
//  LMDB's dirty-page limit, spills them to disk mid-transaction). When the
//  id does not sort last (a clock set back, the 100,000th claim of a file),
//  LMDB refuses the append without changing anything and a plain put does.
static int
s_put_claim (s_run_t *run, const char *claim_id, const uint8_t *packed, size_t size)
{
    MDB_dbi dbi = store_table (run->intake->store, "claims");
    MDB_val key = { strlen (claim_id), (void *) claim_id };
    MDB_val value = { size, (void *) packed };
    int rc = mdb_put (run->txn, dbi, &key, &value, MDB_APPEND);
    if (rc == MDB_KEYEXIST)
        rc = store_put (run->intake->store, run->txn, "claims", claim_id, strlen (claim_id), packed, size);
    return rc;
}

static int
s_store_claim (s_run_t *run, const Claim *claim, const char *claim_id, ScrubResult *result,
               ClaimDimensions *dims)
{
    intake_t *intake = run->intake;
    store_t *store = intake->store;
    MDB_txn *txn = run->txn;
    const char *pcn = claim->patient_control_number;
    const char *date_of_service = dimensions_date_of_service (claim);

    size_t sealed_size;
    uint8_t member_index [PHI_BLIND_INDEX_SIZE];
    bool indexed;
    uint8_t *sealed_packed = phi_claim_seal_packed (intake->phi_key, claim_id, claim, &sealed_size,
                                                    member_index, &indexed);
    IntakeClaim record = INTAKE_CLAIM__INIT;
    record.claim_id = (char *) claim_id;
    record.batch_id = run->batch->batch_id;
    record.pcn = (char *) pcn;
    record.accepted = result->accepted;
    record.dims = dims;
    record.scrub = result;
    record.received_ms = run->now;
    size_t size;
    uint8_t *packed = s_pack_with (&record, "claim", sealed_packed, sealed_size, &size);
    int rc = s_put_claim (run, claim_id, packed, size);
    free (packed);

    if (rc == 0 && result->accepted) {
        rc = store_put (store, txn, "pcns", pcn, strlen (pcn), claim_id, strlen (claim_id));
        if (rc == 0 && indexed) {
            uint8_t key [PHI_BLIND_INDEX_SIZE + 64];
            size_t id_len = strlen (claim_id) < 64? strlen (claim_id): 64;
            memcpy (key, member_index, PHI_BLIND_INDEX_SIZE);
            memcpy (key + PHI_BLIND_INDEX_SIZE, claim_id, id_len);
            rc = store_put (store, txn, "member_index", key, PHI_BLIND_INDEX_SIZE + id_len, "", 0);
        }
        if (rc == 0) {
            ClaimAccepted event = CLAIM_ACCEPTED__INIT;
            event.claim_id = (char *) claim_id;
            event.batch_id = run->batch->batch_id;
            event.pcn = (char *) pcn;
            event.dims = dims;
            event.charge_cents = claim->total_charge_cents;
            event.date_of_service = (char *) date_of_service;
            event.frequency_code = claim->frequency_code;
            event.received_ms = run->now;
            event.n_warnings = result->n_findings;
            event.warnings = result->findings;
            packed = s_pack_with (&event, "claim", sealed_packed, sealed_size, &size);
            rc = outbox_append_raw (intake->outbox, txn, "intake", "claim_accepted", pcn, packed, size);
            free (packed);
        }
    }
    else
    if (rc == 0) {
        size_t n_errors;
        ScrubFinding **errors = s_errors (result, &n_errors);
        Rejection rejection = REJECTION__INIT;
        rejection.claim_id = (char *) claim_id;
        rejection.batch_id = run->batch->batch_id;
        rejection.pcn = (char *) pcn;
        rejection.dims = dims;
        rejection.charge_cents = claim->total_charge_cents;
        rejection.n_errors = n_errors;
        rejection.errors = errors;
        rejection.segment_index = claim->segment_index;
        rejection.received_ms = run->now;
        rejection.date_of_service = (char *) date_of_service;
        packed = codec_pack (&rejection, &size);
        rc = store_put (store, txn, "rejections", claim_id, strlen (claim_id), packed, size);
        free (packed);
        if (rc == 0) {
            char key [256];
            int key_size = snprintf (key, sizeof key, "%s%c%s", dims->queue, 0, claim_id);
            rc = store_put (store, txn, "rejections_by_queue", key, (size_t) key_size, "", 0);
        }
        if (rc == 0) {
            ClaimRejected event = CLAIM_REJECTED__INIT;
            event.claim_id = (char *) claim_id;
            event.batch_id = run->batch->batch_id;
            event.pcn = (char *) pcn;
            event.dims = dims;
            event.charge_cents = claim->total_charge_cents;
            event.date_of_service = (char *) date_of_service;
            event.received_ms = run->now;
            event.n_errors = n_errors;
            event.errors = errors;
            rc = outbox_append (intake->outbox, txn, "intake", "claim_rejected", pcn, &event);
        }
        free (errors);
    }
    free (sealed_packed);
    return rc;
}

static int
s_on_claim (Claim *claim, void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    intake_t *intake = run->intake;
    Batch *batch = run->batch;

    s_interchange_t *interchange = s_interchange (run, claim);
    if (!interchange)
        return -1;
    s_set_t *set = s_set (interchange, claim->transaction_control_number);
    set->claims++;
    if (claim->n_parse_findings > 0)
        set->with_errors++;

    char claim_id [96];
    snprintf (claim_id, sizeof claim_id, "%s-%05u", batch->batch_id, batch->claims + 1);
    ScrubResult *result = scrub_claim (intake->scrub, claim, run->now);
    const char *pcn = claim->patient_control_number;
    bool replaces = streq (claim->frequency_code, "7") || streq (claim->frequency_code, "8");
    MDB_val existing;
    if (result->accepted && *pcn && !replaces
    &&  store_get (intake->store, run->txn, "pcns", pcn, strlen (pcn), &existing) == 0) {
        char message [256];
        snprintf (message, sizeof message,
                  "patient control number %s was already accepted as claim %.*s; send frequency 7 to replace or 8 to void it",
                  pcn, (int) existing.mv_size, (const char *) existing.mv_data);
        s_add_finding (result, S_DUPLICATE_RULE, "patient_control_number", message);
        batch->duplicates++;
    }
    ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
    dims.payer_id = claim->payer? claim->payer->payer_id: "";
    dims.payer_group = (char *) dimensions_payer_group (claim);
    dims.location = (char *) dimensions_location (claim);
    dims.service_line = (char *) dimensions_service_line (claim);
    queues_route (intake->queues, &dims);

    int rc = s_store_claim (run, claim, claim_id, result, &dims);
    if (rc == 0) {
        batch->claims++;
        if (result->accepted) {
            batch->accepted++;
            batch->accepted_cents += claim->total_charge_cents;
            if (result->warnings)
                batch->with_warnings++;
        }
        else {
            batch->rejected++;
            batch->rejected_cents += claim->total_charge_cents;
        }
        s_count_rules (run, result);
    }
    scrub_result__free_unpacked (result, NULL);
    if (rc) {
        run->rc = rc;
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------

//  A fresh Batch points at protobuf-c's shared empty string, never freed.
static void
s_free_text (char *text)
{
    if (text != protobuf_c_empty_string)
        free (text);
}

void
batch_clear (Batch *batch)
{
    s_free_text (batch->batch_id);
    s_free_text (batch->filename);
    s_free_text (batch->source);
    s_free_text (batch->submitted_by);
    s_free_text (batch->status);
    s_free_text (batch->error);
    for (size_t i = 0; i < batch->n_rules; i++) {
        free (batch->rules [i]->rule_id);
        free (batch->rules [i]);
    }
    free (batch->rules);
    for (size_t i = 0; i < batch->n_interchange_keys; i++)
        free (batch->interchange_keys [i]);
    free (batch->interchange_keys);
    for (size_t i = 0; i < batch->n_ack_files; i++)
        free (batch->ack_files [i]);
    free (batch->ack_files);
    batch__init (batch);
}

static void
s_reset_counts (Batch *batch)
{
    batch->interchanges = batch->transactions = batch->claims = 0;
    batch->accepted = batch->rejected = batch->with_warnings = batch->duplicates = 0;
    batch->accepted_cents = batch->rejected_cents = 0;
}

static void
s_push (char ***list, size_t *count, char *item)
{
    *list = (char **) realloc (*list, (*count + 1) * sizeof (char *));
    (*list) [(*count)++] = item;
}

static void
s_header (ack999_header_t *header, const Claim *claim, uint64_t now, uint32_t control)
{
    header->sender_qualifier = claim? claim->sender_qualifier: "ZZ";
    header->sender_id = claim? claim->sender_id: "UNKNOWN";
    header->receiver_qualifier = claim? claim->receiver_qualifier: "ZZ";
    header->receiver_id = claim? claim->receiver_id: "RCMQ";
    header->group_control = claim? claim->group_control_number: "0";
    header->now_ms = now;
    header->control = control;
}

//  Stores an ack text under batch id / n and names its file in the batch.
static int
s_put_ack (intake_t *intake, MDB_txn *txn, Batch *batch, char *text)
{
    char name [160];
    snprintf (name, sizeof name, "%s-%zu.999", batch->batch_id, batch->n_ack_files + 1);
    int rc = store_put (intake->store, txn, "acks", name, strlen (name), text, strlen (text));
    free (text);
    if (rc == 0)
        s_push (&batch->ack_files, &batch->n_ack_files, strdup (name));
    return rc;
}

static uint32_t
s_next_control (intake_t *intake, MDB_txn *txn)
{
    uint64_t control = store_get_u64 (intake->store, txn, "meta", "ack_control") + 1;
    if (control > 999999999)
        control = 1;
    store_put_u64 (intake->store, txn, "meta", "ack_control", control);
    return (uint32_t) control;
}

//  Runs the parse in a nested transaction; returns 0 (committed or aborted
//  as the file deserves) or an LMDB error for the caller's store_write.
static int
s_parse (s_run_t *run, MDB_txn *parent, const batch_input_t *input, parse_837p_report_t *report)
{
    intake_t *intake = run->intake;
    int rc = mdb_txn_begin (mdb_txn_env (parent), parent, 0, &run->txn);
    if (rc)
        return rc;
    FILE *file = NULL;
    x12_reader_t *reader = NULL;
    if (input->path) {
        file = fopen (input->path, "rb");
        if (file)
            reader = x12_reader_new_file (file);
        else
            snprintf (run->refusal, sizeof run->refusal, "cannot read %s: %s", input->path, strerror (errno));
    }
    else
        reader = x12_reader_new_buffer (input->data, input->size);
    int parsed = reader? parse_837p (reader, s_on_claim, run, report): -1;
    x12_reader_destroy (&reader);
    if (file)
        fclose (file);
    if (run->rc) {
        mdb_txn_abort (run->txn);
        return run->rc;
    }
    if (parsed == 0 && !*run->refusal && zlistx_size (run->interchanges) == 0 && report->claims == 0)
        snprintf (run->refusal, sizeof run->refusal, "the file holds no 837P claim");
    if (parsed == 0 && !*run->refusal)
        return mdb_txn_commit (run->txn);
    mdb_txn_abort (run->txn);
    (void) intake;
    return 0;
}

int
batch_process (intake_t *intake, MDB_txn *txn, const batch_input_t *input, Batch *batch)
{
    store_t *store = intake->store;
    batch_clear (batch);
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.intake = intake;
    run.batch = batch;
    run.now = clock_now_ms ();
    run.rules = zhashx_new ();
    zhashx_set_destructor (run.rules, s_u32_free);
    run.interchanges = zlistx_new ();
    zlistx_set_destructor (run.interchanges, s_interchange_free);

    //  The batch id: date of receipt and a counter, readable in a work list.
    uint64_t number = store_get_u64 (store, txn, "meta", "batch_seq") + 1;
    int rc = store_put_u64 (store, txn, "meta", "batch_seq", number);
    char date [16];
    clock_format_date (run.now, date, sizeof date);
    batch->batch_id = zsys_sprintf ("B%.4s%.2s%.2s-%06" PRIu64, date, date + 5, date + 8, number);
    batch->filename = strdup (input->filename? input->filename: "");
    batch->source = strdup (input->source? input->source: "submit");
    batch->submitted_by = strdup (input->submitted_by? input->submitted_by: "");
    batch->received_ms = run.now;
    batch->bytes = input->size;

    parse_837p_report_t report;
    memset (&report, 0, sizeof report);
    if (rc == 0)
        rc = s_parse (&run, txn, input, &report);
    bool refused = rc == 0 && (*run.refusal || report.error [0]);
    if (rc == 0 && refused) {
        //  Nothing of the file was kept; the record says why.
        s_reset_counts (batch);
        batch->status = strdup ("refused");
        batch->error = strdup (*run.refusal? run.refusal: report.error);
        batch->interchanges = report.interchanges;
        s_interchange_t *first = (s_interchange_t *) zlistx_first (run.interchanges);
        ack999_header_t header;
        s_header (&header, first? first->header: NULL, run.now, s_next_control (intake, txn));
        rc = s_put_ack (intake, txn, batch,
                        ack999_refusal (&header, report.error_segment, report.error_id, batch->error));
    }
    else
    if (rc == 0) {
        batch->status = strdup ("completed");
        batch->interchanges = report.interchanges;
        batch->transactions = report.transactions;
        for (s_interchange_t *interchange = (s_interchange_t *) zlistx_first (run.interchanges);
             interchange && rc == 0;
             interchange = (s_interchange_t *) zlistx_next (run.interchanges)) {
            s_push (&batch->interchange_keys, &batch->n_interchange_keys, strdup (interchange->key));
            rc = store_put (store, txn, "interchanges", interchange->key, strlen (interchange->key),
                            batch->batch_id, strlen (batch->batch_id));
            size_t count = zlistx_size (interchange->sets);
            ack999_set_t *sets = (ack999_set_t *) calloc (count + 1, sizeof (ack999_set_t));
            size_t i = 0;
            for (s_set_t *set = (s_set_t *) zlistx_first (interchange->sets); set;
                 set = (s_set_t *) zlistx_next (interchange->sets), i++)
                sets [i] = (ack999_set_t) { set->control_number, set->claims, set->with_errors };
            ack999_header_t header;
            s_header (&header, interchange->header, run.now, s_next_control (intake, txn));
            if (rc == 0)
                rc = s_put_ack (intake, txn, batch, ack999_build (&header, sets, count));
            free (sets);
        }
        batch->n_rules = zhashx_size (run.rules);
        batch->rules = (RuleCount **) calloc (batch->n_rules + 1, sizeof (RuleCount *));
        size_t i = 0;
        for (uint32_t *count = (uint32_t *) zhashx_first (run.rules); count;
             count = (uint32_t *) zhashx_next (run.rules), i++) {
            batch->rules [i] = (RuleCount *) malloc (sizeof (RuleCount));
            rule_count__init (batch->rules [i]);
            batch->rules [i]->rule_id = strdup ((const char *) zhashx_cursor (run.rules));
            batch->rules [i]->count = *count;
        }
    }
    if (rc == 0) {
        size_t size;
        uint8_t *packed = codec_pack (batch, &size);
        rc = store_put (store, txn, "batches", batch->batch_id, strlen (batch->batch_id), packed, size);
        free (packed);
    }
    if (rc == 0) {
        BatchCompleted event = BATCH_COMPLETED__INIT;
        event.batch = batch;
        rc = outbox_append (intake->outbox, txn, "intake", "batch_completed", batch->batch_id, &event);
    }
    zhashx_destroy (&run.rules);
    zlistx_destroy (&run.interchanges);
    return rc;
}

void
batch_write_acks (intake_t *intake, const Batch *batch)
{
    MDB_txn *txn = store_read_begin (intake->store);
    if (!txn)
        return;
    for (size_t i = 0; i < batch->n_ack_files; i++) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", intake->ack_dir, batch->ack_files [i]);
        if (zsys_file_exists (path))
            continue;
        MDB_val value;
        const char *name = batch->ack_files [i];
        if (store_get (intake->store, txn, "acks", name, strlen (name), &value))
            continue;
        //  0600, whole or not at all, never over another file (files.h).
        char error [512];
        if (files_write_new (path, value.mv_data, value.mv_size, error, sizeof error) < 0)
            log_error ("cannot write 999 file", "path", json_string (path), "error", json_string (error), NULL);
    }
    store_read_end (&txn);
}
