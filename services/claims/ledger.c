/*  ledger: claim records in the store, and the events their changes emit.

    Table "claims" maps PCN to ClaimRecord; "by_status" holds status ‖ 0 ‖
    PCN for every claim, so a list by status reads only its claims.
*/
#include "ledger.h"
#include "followup.h"
#include "clock.h"
#include "codec.h"
#include "log.h"
#include "wirekeep.h"

//  The fields a light record holds as bytes (claim, notes, edits, scrub
//  warnings): what no step but an edit changes.
#define LEDGER_CLAIM_FIELD 16
static const uint32_t s_light_kept [] = { LEDGER_CLAIM_FIELD, 23, 36, 37 };

ClaimRecord *
ledger_get (claims_t *self, MDB_txn *txn, const char *pcn)
{
    MDB_val value;
    if (!pcn || !*pcn || store_get (self->store, txn, "claims", pcn, strlen (pcn), &value))
        return NULL;
    return (ClaimRecord *) codec_decode (&claim_record__descriptor, value.mv_data, value.mv_size);
}

ClaimRecord *
ledger_get_dims (claims_t *self, MDB_txn *txn, const char *pcn)
{
    static const uint32_t fields [] = { 1, 3, 4 };      //  pcn, status, dims
    MDB_val value;
    if (!pcn || !*pcn || store_get (self->store, txn, "claims", pcn, strlen (pcn), &value))
        return NULL;
    return (ClaimRecord *) codec_decode_fields (&claim_record__descriptor, value.mv_data, value.mv_size,
                                                fields, sizeof fields / sizeof fields [0]);
}

ClaimRecord *
ledger_get_light (claims_t *self, MDB_txn *txn, const char *pcn, bool claim_lines)
{
    MDB_val value;
    if (!pcn || !*pcn || store_get (self->store, txn, "claims", pcn, strlen (pcn), &value))
        return NULL;
    ClaimRecord *record = (ClaimRecord *) wirekeep_decode (&claim_record__descriptor, value.mv_data, value.mv_size,
                                                           s_light_kept, sizeof s_light_kept / sizeof s_light_kept [0]);
    size_t size, claim_size;
    const uint8_t *sealed = record && claim_lines? ledger_sealed_claim (record, &size): NULL;
    //  SealedClaim.claim (2), and of it the lines (28) alone: the rest of
    //  the claim (providers, subscriber, diagnoses: ~60 allocations) is
    //  of no use to a reader of lines (issue 19).
    const uint8_t *claim = sealed? wirekeep_find (sealed, size, 2, &claim_size): NULL;
    if (claim) {
        static const uint32_t lines [] = { 28 };
        Claim *partial = (Claim *) codec_decode_fields (&claim__descriptor, claim, claim_size, lines, 1);
        if (!partial) {
            codec_free (record);
            return NULL;
        }
        record->claim = (SealedClaim *) malloc (sizeof (SealedClaim));
        assert (record->claim);
        sealed_claim__init (record->claim);
        record->claim->claim = partial;
    }
    return record;
}

const uint8_t *
ledger_sealed_claim (const ClaimRecord *record, size_t *size)
{
    return wirekeep_bytes (record, LEDGER_CLAIM_FIELD, size);
}

bool
ledger_in_scope (server_call_t *call, const ClaimRecord *record)
{
    return server_call_in_scope (call, record && record->dims? record->dims->phase: NULL,
                                 record && record->dims? record->dims->vendor_team: NULL);
}

int
ledger_scope (server_call_t *call, const char *pcn)
{
    ClaimRecord *record = ledger_get (claims_state (call), call->txn, pcn);
    server_call_scope (call, "claim", pcn, record && record->dims? record->dims->phase: NULL,
                       record && record->dims? record->dims->vendor_team: NULL);
    codec_free (record);
    return 0;
}

int
ledger_put (claims_t *self, MDB_txn *txn, const ClaimRecord *record, const char *old_status)
{
    //  The patient fields are a reply's (claims.Show), opened from the
    //  sealed claim: PHI is never stored in the clear, whoever filled them.
    ClaimRecord stored = *record;
    stored.patient_name = stored.patient_dob = (char *) protobuf_c_empty_string;
    stored.member_id = stored.patient_address = (char *) protobuf_c_empty_string;
    //  A light record's claim is held as the bytes it was stored as; its
    //  record->claim, when any, is a partial view to read.
    if (wirekeep_holds (record, LEDGER_CLAIM_FIELD))
        stored.claim = NULL;
    //  Packed once, into the page (issue 19: a claim is rewritten at
    //  every step of its life).
    int rc = store_put_packed (self->store, txn, "claims", record->pcn, strlen (record->pcn), &stored);
    size_t size;
    if (rc || (old_status && streq (old_status, record->status)))
        return rc;
    //  Every status change passes here: the follow-up item keeps step.
    rc = followup_track (self, txn, record, old_status);
    if (rc)
        return rc;
    if (old_status && *old_status) {
        char *key = store_key_pair (old_status, record->pcn, &size);
        rc = store_del (self->store, txn, "by_status", key, size);
        free (key);
        if (rc && rc != MDB_NOTFOUND)
            return rc;
    }
    char *key = store_key_pair (record->status, record->pcn, &size);
    rc = store_put (self->store, txn, "by_status", key, size, "", 0);
    free (key);
    return rc;
}

int
ledger_emit (claims_t *self, MDB_txn *txn, const char *type, const ClaimRecord *record, ClaimEvent *event)
{
    ClaimEvent fresh = CLAIM_EVENT__INIT;
    if (!event)
        event = &fresh;
    event->pcn = record->pcn;
    event->claim_id = record->claim_id;
    event->dims = record->dims;
    event->to_status = record->status;
    if (!event->time_ms)
        event->time_ms = clock_now_ms ();
    event->date_of_service = record->date_of_service;
    event->charge_cents = record->charge_cents;
    event->paid_cents = record->paid_cents;
    event->patient_responsibility_cents = record->patient_responsibility_cents;
    event->contractual_cents = record->contractual_cents;
    event->denied_cents = record->denied_cents;
    return outbox_append (self->outbox, txn, "claims", type, record->pcn, event);
}

ClaimRecord *
ledger_copy (const ClaimRecord *record)
{
    return (ClaimRecord *) codec_copy (record);
}

//  The payer's own window beats the queue's; the queue's beats the
//  service's default. A payer setting that is not a whole number in range
//  is not taken silently: the source names it, and the log says it.
int
ledger_follow_up_days (claims_t *self, MDB_txn *txn, const ClaimRecord *record, int *days,
                       char *source, size_t size)
{
    const char *payer = record->dims? record->dims->payer_id: "";
    const char *queue_id = record->dims? record->dims->queue: "";
    char key [160], bad [256] = "";
    snprintf (key, sizeof key, "claims/follow-up-days/%s", payer);
    const char *text = *payer? config_get (self->config, key, NULL): NULL;
    if (text && *text) {
        int64_t value;
        if (config_get_int_checked (self->config, key, 0, 0, 3650, &value, bad, sizeof bad) == 0) {
            *days = (int) value;
            snprintf (source, size, "%s", key);
            return 0;
        }
        log_warn ("bad per-payer follow-up window: the queue's applies", "error", json_string (bad), NULL);
    }
    const char *because = *bad? "; ": "";
    if (*queue_id) {
        MDB_val value;
        int rc = store_get (self->store, txn, "queues", queue_id, strlen (queue_id), &value);
        if (rc && rc != MDB_NOTFOUND)
            return rc;
        Queue *queue = rc == 0? (Queue *) codec_decode (&queue__descriptor, value.mv_data, value.mv_size): NULL;
        if (queue && queue->follow_up_days) {
            *days = (int) queue->follow_up_days;
            snprintf (source, size, "queue %s --follow-up-days%s%s", queue_id, because, bad);
            codec_free (queue);
            return 0;
        }
        codec_free (queue);
    }
    *days = self->follow_up_days;
    snprintf (source, size, "claims/follow-up-days%s%s", because, bad);
    return 0;
}
