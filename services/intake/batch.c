/*  batch: one 837P file through intake, atomically.

    The file is parsed as it streams; each claim is scrubbed, checked for a
    duplicate PCN, given its dimensions and queue, sealed (PHI encrypted),
    stored, and announced (intake.claim_accepted / claim_rejected), all in a
    nested transaction under the caller's. If the file turns out to be
    structurally broken, or its interchange was processed before, the nested
    transaction is aborted: none of its claims exist, and only the refused
    batch record is written. So a crash at any point leaves either the whole
    batch or no trace of it, and resubmitting after a crash just works.

    The work falls in two parts. The prepare (parse, scrub, dimensions,
    seal) needs neither the store nor the queues, so it can run on another
    thread: an upload (upload.c) prepares into a staged file of
    PreparedClaim records while the loop goes on answering requests. The
    apply (interchange and duplicate checks, routing, records, events, the
    batch record and its 999s) is one transaction on the loop's thread.
    batch_process does both in turn, claim by claim, for a file at hand.
*/
#include "batch.h"
#include "element_limits.h"
#include "ack999.h"
#include "apply.h"
#include "clock.h"
#include "codec.h"
#include "dimensions.h"
#include "files.h"
#include "log.h"
#include "parse_837p.h"
#include "patterns.h"
#include "phi_claim.h"
#include "stage.h"

#include <czmq.h>
#include <stdatomic.h>

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

//  A batch being applied. batch_process keeps one on its stack for one
//  transaction; a stepped apply (apply.c) keeps one across its steps, and
//  works each step on a copy (batch_run_dup) so that a step store_write
//  runs again (the map grew) starts from the state the last step left.
struct _batch_run_t {
    intake_t *intake;
    apply_t *stepped;           //  NULL: all in the caller's transaction
    MDB_txn *txn;               //  the nested transaction, or the step's
    Batch *batch;
    bool owns_batch;            //  the stepped run's own Batch
    uint64_t now;
    zhashx_t *rules;            //  rule id -> uint32_t* claims
    zlistx_t *interchanges;     //  s_interchange_t*, in file order
    char refusal [512];         //  set when we stop the parse ourselves
    int rc;                     //  LMDB error from inside the callback
};
typedef struct _batch_run_t s_run_t;

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

//  The findings of one severity: the errors go on the work list, and the
//  warnings beside them, so whoever fixes the claim sees both.
static ScrubFinding **
s_findings (const ScrubResult *result, Severity severity, size_t *count)
{
    ScrubFinding **found = (ScrubFinding **) calloc (result->n_findings + 1, sizeof (ScrubFinding *));
    *count = 0;
    for (size_t i = 0; i < result->n_findings; i++)
        if (result->findings [i]->severity == severity)
            found [(*count)++] = result->findings [i];
    return found;
}

//  The open rejections of pcn (claim ids, in order), read before any is
//  written (an iterator's table is not written while it is open).
static int
s_open_rejections (store_t *store, MDB_txn *txn, const char *pcn, zlistx_t **ids)
{
    *ids = zlistx_new ();
    zlistx_set_destructor (*ids, (zlistx_destructor_fn *) zstr_free);
    store_iter_t *iter = store_iter_new (store, txn, "rejections_by_pcn", pcn, strlen (pcn) + 1);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        MDB_val id = store_iter_suffix (iter);
        zlistx_add_end (*ids, strndup ((const char *) id.mv_data, id.mv_size));
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    return rc;
}

//  The received time and claim id of the claim accepted for pcn, if any.
static bool
s_accepted_claim (store_t *store, MDB_txn *txn, const char *pcn, char **claim_id, uint64_t *received_ms)
{
    MDB_val id, value;
    if (store_get (store, txn, "pcns", pcn, strlen (pcn), &id))
        return false;
    *claim_id = strndup ((const char *) id.mv_data, id.mv_size);
    *received_ms = 0;
    if (store_get (store, txn, "claims", *claim_id, strlen (*claim_id), &value) == 0) {
        IntakeClaim *claim = (IntakeClaim *) codec_decode (&intake_claim__descriptor, value.mv_data, value.mv_size);
        *received_ms = claim? claim->received_ms: 0;
        codec_free (claim);
    }
    return true;
}

//  zlistx hands its destructor the item's address.
static void
s_rejection_free (void **item_p)
{
    codec_free (*item_p);
    *item_p = NULL;
}

//  Whether a rejection's PCN can be resolved by a later accepted claim,
//  and so is indexed: not empty, and no longer than CLM01 may be. A
//  longer PCN is refused by LEN001 on every claim that carries it, so no
//  accepted claim ever will, and its index key could pass LMDB's key
//  size (511 bytes) and fail the whole batch.
bool
batch_pcn_resolvable (const char *pcn)
{
    const element_limit_t *limit = element_limit ("Claim", "patient_control_number");
    assert (limit);
    return *pcn && strlen (pcn) <= limit->max;
}

int
batch_index_rejections_by_pcn (store_t *store, MDB_txn *txn)
{
    zlistx_t *updated = zlistx_new ();
    zlistx_set_destructor (updated, s_rejection_free);
    store_iter_t *iter = store_iter_new (store, txn, "rejections", NULL, 0);
    MDB_val key, value;
    int rc = 0;
    while (rc == 0 && store_iter_next (iter, &key, &value)) {
        Rejection *rejection = (Rejection *) codec_decode (&rejection__descriptor, value.mv_data, value.mv_size);
        if (!rejection) {
            rc = store_fail (store, "intake: the rejection %.*s does not decode", (int) key.mv_size,
                             (const char *) key.mv_data);
            break;
        }
        if (!batch_pcn_resolvable (rejection->pcn)) {
            codec_free (rejection);
            continue;
        }
        size_t size;
        char *index = store_key_pair (rejection->pcn, rejection->claim_id, &size);
        rc = store_put (store, txn, "rejections_by_pcn", index, size, "", 0);
        free (index);
        //  Later: received after it, or in the same batch after it (claim
        //  ids are batch-n, n zero-padded).
        char *accepted_id;
        uint64_t accepted_ms;
        if (rc == 0 && s_accepted_claim (store, txn, rejection->pcn, &accepted_id, &accepted_ms)) {
            bool later = accepted_ms > rejection->received_ms
                      || (accepted_ms == rejection->received_ms && strcmp (accepted_id, rejection->claim_id) > 0);
            if (later && !*rejection->resolved_by) {
                codec_set_text (&rejection->resolved_by, accepted_id);
                rejection->resolved_ms = accepted_ms;
                zlistx_add_end (updated, rejection);
                rejection = NULL;
            }
            free (accepted_id);
        }
        codec_free (rejection);
    }
    if (rc == 0)
        rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    for (Rejection *rejection = (Rejection *) zlistx_first (updated); rejection && rc == 0;
         rejection = (Rejection *) zlistx_next (updated))
        rc = store_put_message (store, txn, "rejections", rejection->claim_id, rejection);
    zlistx_destroy (&updated);
    return rc;
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
//  LMDB refuses the append without changing anything and a plain put does
//  (store_append).
static int
s_put_claim (s_run_t *run, const char *claim_id, const uint8_t *packed, size_t size)
{
    return store_append (run->intake->store, run->txn, "claims", claim_id, strlen (claim_id), packed, size);
}

//  A record of the batch. A stepped apply keeps an undo entry for each, so
//  a batch that is refused half way, or a start after a crash, can take
//  it back (claim records go by their key prefix, see apply.c).
static int
s_put (s_run_t *run, const char *table, const void *key, size_t key_size, const void *value, size_t value_size)
{
    if (run->stepped)
        return apply_put (run->stepped, run->txn, table, key, key_size, value, value_size);
    return store_put (run->intake->store, run->txn, table, key, key_size, value, value_size);
}

//  An event of the batch: straight into the outbox in one transaction; a
//  stepped apply stages it, and moves it to the outbox after the flip.
static int
s_event_raw (s_run_t *run, const char *type, const char *key, const uint8_t *payload, size_t size)
{
    if (run->stepped)
        return apply_stage_event (run->stepped, run->txn, type, key, payload, size);
    return outbox_append_raw (run->intake->outbox, run->txn, "intake", type, key, payload, size);
}

static int
s_event (s_run_t *run, const char *type, const char *key, const void *message)
{
    size_t size;
    uint8_t *packed = codec_pack (message, &size);
    int rc = s_event_raw (run, type, key, packed, size);
    free (packed);
    return rc;
}

//  A claim accepted with a PCN that intake rejected before: each such
//  rejection is resolved, linked to this claim, and intake.rejection_resolved
//  says so (denials closes the rework it opened for it).
static int
s_resolve_rejections (s_run_t *run, const char *pcn, const char *claim_id)
{
    store_t *store = run->intake->store;
    zlistx_t *ids;
    int rc = s_open_rejections (store, run->txn, pcn, &ids);
    for (const char *id = (const char *) zlistx_first (ids); id && rc == 0; id = (const char *) zlistx_next (ids)) {
        MDB_val value;
        rc = store_get (store, run->txn, "rejections", id, strlen (id), &value);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            continue;
        }
        Rejection *rejection = rc? NULL: (Rejection *) codec_decode (&rejection__descriptor, value.mv_data, value.mv_size);
        if (!rejection || *rejection->resolved_by) {
            codec_free (rejection);
            continue;
        }
        codec_set_text (&rejection->resolved_by, claim_id);
        rejection->resolved_ms = run->now;
        size_t size;
        uint8_t *packed = codec_pack (rejection, &size);
        rc = s_put (run, "rejections", id, strlen (id), packed, size);
        free (packed);
        if (rc == 0)
            rc = s_event (run, "rejection_resolved", pcn, rejection);
        codec_free (rejection);
    }
    zlistx_destroy (&ids);
    return rc;
}

static int
s_store_claim (s_run_t *run, const PreparedClaim *prepared, const char *claim_id, ScrubResult *result,
               ClaimDimensions *dims)
{
    const Claim *claim = prepared->head;
    const char *pcn = claim->patient_control_number;
    const char *date_of_service = prepared->date_of_service;
    const uint8_t *sealed_packed = prepared->sealed.data;
    size_t sealed_size = prepared->sealed.len;
    const uint8_t *member_index = prepared->member_index.data;
    bool indexed = prepared->member_index.len == PHI_BLIND_INDEX_SIZE;
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
        rc = s_put (run, "pcns", pcn, strlen (pcn), claim_id, strlen (claim_id));
        if (rc == 0 && *pcn)
            rc = s_resolve_rejections (run, pcn, claim_id);
        if (rc == 0 && indexed) {
            uint8_t key [PHI_BLIND_INDEX_SIZE + 64];
            size_t id_len = strlen (claim_id) < 64? strlen (claim_id): 64;
            memcpy (key, member_index, PHI_BLIND_INDEX_SIZE);
            memcpy (key + PHI_BLIND_INDEX_SIZE, claim_id, id_len);
            rc = s_put (run, "member_index", key, PHI_BLIND_INDEX_SIZE + id_len, "", 0);
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
            rc = s_event_raw (run, "claim_accepted", pcn, packed, size);
            free (packed);
        }
    }
    else
    if (rc == 0) {
        size_t n_errors, n_warnings;
        ScrubFinding **errors = s_findings (result, SEVERITY__SEVERITY_ERROR, &n_errors);
        ScrubFinding **warnings = s_findings (result, SEVERITY__SEVERITY_WARNING, &n_warnings);
        Rejection rejection = REJECTION__INIT;
        rejection.n_warnings = n_warnings;
        rejection.warnings = warnings;
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
        rc = s_put (run, "rejections", claim_id, strlen (claim_id), packed, size);
        free (packed);
        if (rc == 0) {
            char key [256];
            int key_size = snprintf (key, sizeof key, "%s%c%s", dims->queue, 0, claim_id);
            rc = s_put (run, "rejections_by_queue", key, (size_t) key_size, "", 0);
        }
        if (rc == 0 && batch_pcn_resolvable (pcn)) {
            size_t key_size;
            char *key = store_key_pair (pcn, claim_id, &key_size);
            rc = s_put (run, "rejections_by_pcn", key, key_size, "", 0);
            free (key);
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
            rc = s_event (run, "claim_rejected", pcn, &event);
        }
        free (errors);
        free (warnings);
    }
    return rc;
}

//  One prepared claim into the batch: the checks that need the store or
//  the queues (interchange seen before, duplicate PCN, routing), then its
//  records and event. Returns 0, or -1 to stop (refusal or LMDB error set).
static int
s_apply_claim (PreparedClaim *prepared, void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    intake_t *intake = run->intake;
    Batch *batch = run->batch;
    const Claim *claim = prepared->head;

    s_interchange_t *interchange = s_interchange (run, claim);
    if (!interchange)
        return -1;
    s_set_t *set = s_set (interchange, claim->transaction_control_number);
    set->claims++;
    if (prepared->parse_findings)
        set->with_errors++;

    char claim_id [96];
    snprintf (claim_id, sizeof claim_id, "%s-%05u", batch->batch_id, batch->claims + 1);
    ScrubResult *result = prepared->scrub;
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
    //  Routed here, not in the prepare: the queues belong to the loop.
    ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
    dims.payer_id = prepared->dims->payer_id;
    dims.payer_group = prepared->dims->payer_group;
    dims.location = prepared->dims->location;
    dims.service_line = prepared->dims->service_line;
    dims.payer_name = prepared->dims->payer_name;
    dims.location_name = prepared->dims->location_name;
    dims.provider_id = prepared->dims->provider_id;
    dims.provider_name = prepared->dims->provider_name;
    queues_route (intake->queues, &dims);

    //  What denials learned of this payer and procedure: warnings only.
    int rc = patterns_warn (intake, run->txn, dims.payer_id, claim, result, run->now);
    if (rc == 0)
        rc = s_store_claim (run, prepared, claim_id, result, &dims);
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

//  The next 999's interchange control number (nine digits, then back to 1).
static int
s_next_control (intake_t *intake, MDB_txn *txn, uint32_t *control)
{
    uint64_t value;
    int rc = store_next_counter (intake->store, txn, "meta", "ack_control", 999999999, &value);
    *control = (uint32_t) value;
    return rc;
}

//  --------------------------------------------------------------------------
//  Prepare: what needs neither the store nor the queues, so another thread
//  may do it while the loop answers requests.

typedef struct {
    intake_t *intake;
    const char *batch_id;
    uint64_t now;
    uint32_t count;
    batch_sink_fn *sink;
    void *arg;
    batch_progress_t *progress;
    FILE *file;                 //  the input when read from a file
    x12_reader_t *reader;       //  its reader (the progress's bytes)
    ServiceLine *lines;         //  the head's lines (s_head), reused
    ServiceLine **line_list;    //  pointers to them, as Claim.lines holds
    size_t lines_capacity;
} s_prepare_t;

//  What the apply needs of a claim besides its sealed bytes, kept in the
//  clear in the prepared claim (the head): the envelope and control
//  numbers (interchange checks, 999s), the PCN, total, frequency and CLM
//  segment (records, events), and of each line its number and procedure
//  code (the denial patterns' warnings, patterns.c: nothing else of a
//  line is read). None of it is PHI; a field added here leaves the seal.
//  Set field by field rather than projected by name (codec_project looks
//  each name up, ~2.5 K instructions a claim), and the lines cut to what
//  is read: a whole line was packed into the staged file and decoded
//  again by the apply for two of its fields (issue 19, intake24).
static void
s_head (s_prepare_t *prepare, const Claim *claim, Claim *head)
{
    head->sender_qualifier = claim->sender_qualifier;
    head->sender_id = claim->sender_id;
    head->receiver_qualifier = claim->receiver_qualifier;
    head->receiver_id = claim->receiver_id;
    head->interchange_control_number = claim->interchange_control_number;
    head->group_control_number = claim->group_control_number;
    head->transaction_control_number = claim->transaction_control_number;
    head->patient_control_number = claim->patient_control_number;
    head->total_charge_cents = claim->total_charge_cents;
    head->frequency_code = claim->frequency_code;
    head->segment_index = claim->segment_index;
    if (claim->n_lines > prepare->lines_capacity) {
        prepare->lines_capacity = claim->n_lines;
        prepare->lines = (ServiceLine *) realloc (prepare->lines, claim->n_lines * sizeof (ServiceLine));
        prepare->line_list = (ServiceLine **) realloc (prepare->line_list, claim->n_lines * sizeof (ServiceLine *));
        assert (prepare->lines && prepare->line_list);
    }
    for (size_t l = 0; l < claim->n_lines; l++) {
        ServiceLine *line = &prepare->lines [l];
        service_line__init (line);
        line->line_number = claim->lines [l]->line_number;
        line->procedure_code = claim->lines [l]->procedure_code;
        prepare->line_list [l] = line;
    }
    head->n_lines = claim->n_lines;
    head->lines = claim->n_lines? prepare->line_list: NULL;
}

static int
s_prepare_claim (const Claim *claim, void *arg)
{
    s_prepare_t *prepare = (s_prepare_t *) arg;
    char claim_id [96];
    snprintf (claim_id, sizeof claim_id, "%s-%05u", prepare->batch_id, ++prepare->count);
    Claim head = CLAIM__INIT;
    s_head (prepare, claim, &head);
    ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
    dims.payer_id = claim->payer? claim->payer->payer_id: "";
    dims.payer_group = (char *) dimensions_payer_group (claim);
    dims.location = (char *) dimensions_location (claim);
    dims.service_line = (char *) dimensions_service_line (claim);
    char provider_name [160];
    dimensions_provider_name (claim, provider_name, sizeof provider_name);
    dims.payer_name = claim->payer && claim->payer->name? claim->payer->name: "";
    dims.location_name = (char *) dimensions_location_name (claim);
    dims.provider_id = (char *) dimensions_provider_id (claim);
    dims.provider_name = provider_name;

    PreparedClaim prepared = PREPARED_CLAIM__INIT;
    prepared.head = &head;
    prepared.date_of_service = (char *) dimensions_date_of_service (claim);
    prepared.dims = &dims;
    prepared.scrub = scrub_claim (prepare->intake->scrub, claim, prepare->now);
    prepared.parse_findings = claim->n_parse_findings > 0;
    size_t sealed_size;
    uint8_t member_index [PHI_BLIND_INDEX_SIZE];
    bool indexed;
    prepared.sealed.data = phi_claim_seal_packed (prepare->intake->phi_key, claim_id, claim, &sealed_size,
                                                  member_index, &indexed);
    prepared.sealed.len = sealed_size;
    if (indexed) {
        prepared.member_index.data = member_index;
        prepared.member_index.len = PHI_BLIND_INDEX_SIZE;
    }
    int rc = prepare->sink (&prepared, prepare->arg);
    free (prepared.sealed.data);
    scrub_result__free_unpacked (prepared.scrub, NULL);
    if (prepare->progress) {
        prepare->progress->claims = prepare->count;
        //  The reader's count, not ftell: an lseek system call a claim.
        if (prepare->file && prepare->reader)
            prepare->progress->bytes = x12_reader_bytes (prepare->reader);
    }
    return rc;
}

int
batch_prepare (intake_t *intake, const batch_input_t *input, const char *batch_id, uint64_t now,
               batch_sink_fn *sink, void *arg, batch_progress_t *progress, parse_837p_report_t *report)
{
    memset (report, 0, sizeof *report);
    s_prepare_t prepare = { intake, batch_id, now, 0, sink, arg, progress, NULL, NULL, NULL, NULL, 0 };
    x12_reader_t *reader = NULL;
    if (input->path) {
        prepare.file = fopen (input->path, "rb");
        if (!prepare.file) {
            snprintf (report->error, sizeof report->error, "cannot read %s: %s", input->path, strerror (errno));
            return -1;
        }
        reader = x12_reader_new_file (prepare.file);
        prepare.reader = reader;
    }
    else
        reader = x12_reader_new_buffer (input->data, input->size);
    int rc = reader? parse_837p (reader, s_prepare_claim, &prepare, report): -1;
    x12_reader_destroy (&reader);
    if (prepare.file)
        fclose (prepare.file);
    free (prepare.lines);
    free (prepare.line_list);
    if (progress)
        progress->bytes = input->size;
    return rc;
}

//  Staged records: stage.h's layout, read back by apply.c.
int
batch_stage_sink (PreparedClaim *claim, void *arg)
{
    return stage_write ((FILE *) arg, claim);
}

bool
batch_follow_publish (batch_follow_t *follow, uint64_t bytes, uint64_t claims)
{
    follow->bytes = bytes;
    follow->claims = claims;
    //  The apply sets want, then reads claims; this sets claims, then reads
    //  want (both sequentially consistent): one of the two sees the other.
    uint64_t want = follow->want;
    return want && claims >= want && atomic_exchange (&follow->want, 0) != 0;
}

//  --------------------------------------------------------------------------
//  Apply: on the loop's thread (the only one that writes the store), in
//  one transaction (batch_process) or in steps (apply.c over batch_run_*).

//  Runs the prepare in a nested transaction, applying each claim as it
//  comes; returns 0 (committed or aborted as the file deserves) or an LMDB
//  error for the caller's store_write.
static int
s_apply (s_run_t *run, MDB_txn *parent, const batch_input_t *input, parse_837p_report_t *report)
{
    int rc = mdb_txn_begin (mdb_txn_env (parent), parent, 0, &run->txn);
    if (rc)
        return rc;
    int parsed = batch_prepare (run->intake, input, run->batch->batch_id, run->now,
                                s_apply_claim, run, NULL, report);
    if (run->rc) {
        mdb_txn_abort (run->txn);
        return run->rc;
    }
    if (!batch_run_refused (run, parsed, report))
        return mdb_txn_commit (run->txn);
    mdb_txn_abort (run->txn);
    return 0;
}

char *
batch_new_id (intake_t *intake, MDB_txn *txn, uint64_t now)
{
    //  The batch id: date of receipt and a counter, readable in a work list.
    uint64_t number;
    if (store_next_counter (intake->store, txn, "meta", "batch_seq", UINT64_MAX, &number))
        return NULL;
    char date [16];
    clock_format_date (now, date, sizeof date);
    return zsys_sprintf ("B%.4s%.2s%.2s-%06" PRIu64, date, date + 5, date + 8, number);
}

//  A run's state before its first claim; batch is the caller's (one
//  transaction) or the run's own (stepped).
static void
s_run_init (s_run_t *run, intake_t *intake, const batch_input_t *input, char *batch_id, uint64_t now,
            Batch *batch)
{
    memset (run, 0, sizeof *run);
    run->intake = intake;
    run->batch = batch;
    run->now = now;
    run->rules = zhashx_new ();
    zhashx_set_destructor (run->rules, s_u32_free);
    run->interchanges = zlistx_new ();
    zlistx_set_destructor (run->interchanges, s_interchange_free);
    batch->batch_id = batch_id;
    batch->filename = strdup (input->filename? input->filename: "");
    batch->source = strdup (input->source? input->source: "submit");
    batch->submitted_by = strdup (input->submitted_by? input->submitted_by: "");
    batch->received_ms = now;
    batch->bytes = input->size;
}

static void
s_run_clear (s_run_t *run)
{
    zhashx_destroy (&run->rules);
    zlistx_destroy (&run->interchanges);
    if (run->owns_batch && run->batch) {
        batch_clear (run->batch);
        free (run->batch);
    }
    run->batch = NULL;
}

//  After the claims: the batch record, its 999s and batch_completed, in
//  txn. A refused batch keeps no claim (the caller aborted or undid them)
//  and no interchange; its record and 999 say why.
static int
s_finish (s_run_t *run, MDB_txn *txn, bool refused, const parse_837p_report_t *report)
{
    intake_t *intake = run->intake;
    store_t *store = intake->store;
    Batch *batch = run->batch;
    int rc = 0;
    if (refused) {
        //  Nothing of the file was kept; the record says why.
        s_reset_counts (batch);
        batch->status = strdup ("refused");
        batch->error = strdup (*run->refusal? run->refusal
                             : report->error [0]? report->error: "the file could not be read whole");
        batch->interchanges = report->interchanges;
        s_interchange_t *first = (s_interchange_t *) zlistx_first (run->interchanges);
        ack999_header_t header;
        uint32_t control;
        rc = s_next_control (intake, txn, &control);
        s_header (&header, first? first->header: NULL, run->now, control);
        if (rc == 0)
            rc = s_put_ack (intake, txn, batch,
                            ack999_refusal (&header, report->error_segment, report->error_id, batch->error));
    }
    else {
        batch->status = strdup ("completed");
        batch->interchanges = report->interchanges;
        batch->transactions = report->transactions;
        for (s_interchange_t *interchange = (s_interchange_t *) zlistx_first (run->interchanges);
             interchange && rc == 0;
             interchange = (s_interchange_t *) zlistx_next (run->interchanges)) {
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
            uint32_t control = 0;
            if (rc == 0)
                rc = s_next_control (intake, txn, &control);
            s_header (&header, interchange->header, run->now, control);
            if (rc == 0)
                rc = s_put_ack (intake, txn, batch, ack999_build (&header, sets, count));
            free (sets);
        }
        batch->n_rules = zhashx_size (run->rules);
        batch->rules = (RuleCount **) calloc (batch->n_rules + 1, sizeof (RuleCount *));
        size_t i = 0;
        for (uint32_t *count = (uint32_t *) zhashx_first (run->rules); count;
             count = (uint32_t *) zhashx_next (run->rules), i++) {
            batch->rules [i] = (RuleCount *) malloc (sizeof (RuleCount));
            rule_count__init (batch->rules [i]);
            batch->rules [i]->rule_id = strdup ((const char *) zhashx_cursor (run->rules));
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
        //  Staged by a stepped apply, behind its claims' events: consumers
        //  see the batch end after its claims, as from one transaction.
        BatchCompleted event = BATCH_COMPLETED__INIT;
        event.batch = batch;
        run->txn = txn;
        rc = refused && run->stepped
           ? outbox_append (intake->outbox, txn, "intake", "batch_completed", batch->batch_id, &event)
           : s_event (run, "batch_completed", batch->batch_id, &event);
    }
    return rc;
}

int
batch_process (intake_t *intake, MDB_txn *txn, const batch_input_t *input, Batch *batch)
{
    batch_clear (batch);
    uint64_t now = clock_now_ms ();
    char *batch_id = batch_new_id (intake, txn, now);
    if (!batch_id)
        return MDB_BAD_TXN;
    s_run_t run;
    s_run_init (&run, intake, input, batch_id, now, batch);
    parse_837p_report_t report;
    memset (&report, 0, sizeof report);
    int rc = s_apply (&run, txn, input, &report);
    if (rc == 0)
        rc = s_finish (&run, txn, *run.refusal || report.error [0], &report);
    s_run_clear (&run);
    return rc;
}

//  --------------------------------------------------------------------------
//  A run kept across steps (apply.c)

batch_run_t *
batch_run_new (intake_t *intake, const batch_input_t *input, const char *batch_id, uint64_t now, apply_t *stepped)
{
    s_run_t *run = (s_run_t *) zmalloc (sizeof (s_run_t));
    Batch *batch = (Batch *) malloc (sizeof (Batch));
    batch__init (batch);
    s_run_init (run, intake, input, strdup (batch_id), now, batch);
    run->owns_batch = true;
    run->stepped = stepped;
    return run;
}

void
batch_run_destroy (batch_run_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        s_run_clear (*self_p);
        free (*self_p);
        *self_p = NULL;
    }
}

static char *
s_text_dup (const char *text)
{
    return text == protobuf_c_empty_string? (char *) text: strdup (text);
}

static void *
s_u32_dup (const void *item)
{
    uint32_t *copy = (uint32_t *) malloc (sizeof (uint32_t));
    *copy = *(const uint32_t *) item;
    return copy;
}

batch_run_t *
batch_run_dup (const batch_run_t *self)
{
    //  Only before the finish: the Batch has counts and names, no lists.
    assert (self->owns_batch && self->batch->n_rules == 0 && self->batch->n_ack_files == 0
         && self->batch->n_interchange_keys == 0);
    s_run_t *copy = (s_run_t *) zmalloc (sizeof (s_run_t));
    *copy = *self;
    copy->txn = NULL;
    copy->batch = (Batch *) malloc (sizeof (Batch));
    *copy->batch = *self->batch;
    copy->batch->batch_id = s_text_dup (self->batch->batch_id);
    copy->batch->filename = s_text_dup (self->batch->filename);
    copy->batch->source = s_text_dup (self->batch->source);
    copy->batch->submitted_by = s_text_dup (self->batch->submitted_by);
    copy->batch->status = s_text_dup (self->batch->status);
    copy->batch->error = s_text_dup (self->batch->error);
    copy->rules = zhashx_new ();
    zhashx_set_destructor (copy->rules, s_u32_free);
    for (uint32_t *count = (uint32_t *) zhashx_first (self->rules); count;
         count = (uint32_t *) zhashx_next (self->rules))
        zhashx_insert (copy->rules, zhashx_cursor (self->rules), s_u32_dup (count));
    copy->interchanges = zlistx_new ();
    zlistx_set_destructor (copy->interchanges, s_interchange_free);
    for (s_interchange_t *interchange = (s_interchange_t *) zlistx_first (self->interchanges); interchange;
         interchange = (s_interchange_t *) zlistx_next (self->interchanges)) {
        s_interchange_t *twin = (s_interchange_t *) zmalloc (sizeof (s_interchange_t));
        twin->key = strdup (interchange->key);
        twin->header = (Claim *) codec_copy (interchange->header);
        twin->sets = zlistx_new ();
        zlistx_set_destructor (twin->sets, s_set_free);
        for (s_set_t *set = (s_set_t *) zlistx_first (interchange->sets); set;
             set = (s_set_t *) zlistx_next (interchange->sets)) {
            s_set_t *set_copy = (s_set_t *) zmalloc (sizeof (s_set_t));
            *set_copy = *set;
            set_copy->control_number = strdup (set->control_number);
            zlistx_add_end (twin->sets, set_copy);
        }
        zlistx_add_end (copy->interchanges, twin);
    }
    return copy;
}

int
batch_run_claim (batch_run_t *self, MDB_txn *txn, PreparedClaim *claim)
{
    self->txn = txn;
    if (s_apply_claim (claim, self) == 0)
        return 0;
    return self->rc? self->rc: -1;
}

bool
batch_run_refused (batch_run_t *self, int parsed, const parse_837p_report_t *report)
{
    if (parsed == 0 && !*self->refusal && zlistx_size (self->interchanges) == 0 && report->claims == 0)
        snprintf (self->refusal, sizeof self->refusal, "the file holds no 837P claim");
    return parsed != 0 || *self->refusal || report->error [0];
}

void
batch_run_refuse (batch_run_t *self, const char *reason)
{
    if (!*self->refusal)
        snprintf (self->refusal, sizeof self->refusal, "%s", reason);
}

int
batch_run_finish (batch_run_t *self, MDB_txn *txn, int parsed, const parse_837p_report_t *report)
{
    return s_finish (self, txn, batch_run_refused (self, parsed, report), report);
}

const Batch *
batch_run_batch (const batch_run_t *self)
{
    return self->batch;
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
