/*  apply: the events rcmq-claims consumes, applied inside the consumer's
    transaction (with its offset), so each changes the ledger exactly once.

        intake.claim_accepted   a new claim enters as ready; a replacement
                                (frequency 7) or void (8) of a known PCN
                                moves it to corrected / voided with the new data
        queue.changed           open claims of the queue take its new phase
                                and working team
*/
#include "apply.h"
#include "ledger.h"
#include "remits.h"
#include "lifecycle.h"
#include "clock.h"
#include "codec.h"
#include "log.h"

//  The sealed claim of a claim_accepted payload (ClaimAccepted's field
//  10), which claims reads as a ClaimAcceptedHead (claims.proto): the
//  claim is never decoded on entry. A new claim's record holds it as an
//  unknown field whose bytes are the payload's own (its value with the
//  length prefix, as common/wirekeep holds fields), so the record packs it
//  as one copy, not as a walk of a decoded SealedClaim's ~80 parts (issue
//  19). 1 with *held when the payload holds it once and its bytes are
//  well-formed protobuf, 0 when it holds none, -1 otherwise (twice, which a
//  reader merges, or malformed: the whole payload is decoded then, and a
//  malformed one refused as before).
#define APPLY_ACCEPTED_CLAIM_FIELD 10
#define APPLY_RECORD_CLAIM_FIELD 16

static int
s_claim_bytes (const Event *event, ProtobufCMessageUnknownField *held)
{
    const uint8_t *at = event->payload.data, *end = at + event->payload.len;
    int found = 0;
    while (at < end) {
        codec_wire_field_t field;
        if (!codec_wire_next (&at, end, &field))
            return -1;
        if (field.number != APPLY_ACCEPTED_CLAIM_FIELD)
            continue;
        if (found || field.wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            return -1;
        //  Its own fields well-formed (a SealedClaim's types are read,
        //  with its seal, when the claim is opened to be sent).
        const uint8_t *inner = field.payload, *inner_end = inner + field.payload_size;
        codec_wire_field_t part;
        while (inner < inner_end)
            if (!codec_wire_next (&inner, inner_end, &part))
                return -1;
        found = 1;
        *held = (ProtobufCMessageUnknownField) {
            .tag = APPLY_RECORD_CLAIM_FIELD, .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
            .len = (size_t) (field.end - field.value), .data = (uint8_t *) field.value
        };
    }
    return found;
}

static int
s_enter (claims_t *self, MDB_txn *txn, const Event *event, const ClaimAcceptedHead *accepted)
{
    //  A record that cannot be read is not a new claim: taken for one, it
    //  was written over as ready again.
    ClaimRecord *record;
    int rc = ledger_get (self, txn, accepted->pcn, &record);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    char old_status [32] = "";
    ClaimEvent change = CLAIM_EVENT__INIT;
    char reason [256];
    //  A new claim's record is built on the stack from the event's fields
    //  (a deep copy of it was a pack and an unpack per claim, issue 19);
    //  only a record read from the ledger is owned, and freed.
    ClaimRecord fresh = CLAIM_RECORD__INIT;
    HistoryEntry entry = HISTORY_ENTRY__INIT;
    HistoryEntry *entries [1] = { &entry };
    bool owned = record != NULL;
    if (!record) {
        snprintf (reason, sizeof reason, "accepted by intake in batch %s", accepted->batch_id);
        entry.time_ms = event->time_ms;
        entry.actor = "rcmq-intake";
        entry.to_status = "ready";
        entry.reason = reason;
        fresh.pcn = accepted->pcn;
        fresh.status = "ready";
        fresh.n_history = 1;
        fresh.history = entries;
        record = &fresh;
    }
    else {
        snprintf (old_status, sizeof old_status, "%s", record->status);
        const char *frequency = accepted->frequency_code;
        const char *to = streq (frequency, "8")? "voided": "corrected";
        snprintf (reason, sizeof reason, "%s received from intake in batch %s (frequency %s)",
                  streq (to, "voided")? "void": "replacement", accepted->batch_id, frequency);
        char error [256];
        bool unsent = streq (record->status, "ready");
        if (!unsent && lifecycle_move (record, to, "rcmq-intake", reason, event->time_ms, error, sizeof error)) {
            //  The PM system sent a replacement the lifecycle cannot take
            //  (e.g. for a closed claim): keep the claim as it is, say so.
            log_warn ("replacement claim not applied", "pcn", json_string (accepted->pcn),
                      "reason", json_string (error), NULL);
            codec_free (record);
            return 0;
        }
    }
    change.from_status = old_status;
    change.actor = "rcmq-intake";
    change.reason = reason;
    change.time_ms = event->time_ms;

    if (owned) {
        codec_set_text (&record->claim_id, accepted->claim_id);
        codec_set_text (&record->date_of_service, accepted->date_of_service);
        codec_set_text (&record->frequency_code, accepted->frequency_code);
    }
    else {
        record->claim_id = accepted->claim_id;
        record->date_of_service = accepted->date_of_service;
        record->frequency_code = accepted->frequency_code;
    }
    record->charge_cents = accepted->charge_cents;
    record->received_ms = accepted->received_ms;
    //  Dims, the sealed claim and the warnings are the event's: lent to
    //  the record for the put and the event, and the record's own put
    //  back before it is freed (a deep copy of the whole record for them
    //  was a pack and an unpack per claim, issue 19).
    ClaimDimensions *own_dims = record->dims;
    SealedClaim *own_claim = record->claim;
    size_t own_warning_count = record->n_scrub_warnings;
    ScrubFinding **own_warnings = record->scrub_warnings;
    record->dims = accepted->dims;
    //  A new claim's record, on the stack, holds the claim as the bytes
    //  intake sent (ledger_put writes held bytes, never record->claim). A
    //  replacement's record, decoded whole, takes the claim decoded and
    //  lent (rare: a corrected claim).
    ProtobufCMessageUnknownField held;
    int found = s_claim_bytes (event, &held);
    ClaimAccepted *whole = NULL;
    record->claim = NULL;
    if (found == 1 && !owned) {
        record->base.n_unknown_fields = 1;
        record->base.unknown_fields = &held;
    }
    else
    if (found) {
        whole = (ClaimAccepted *) codec_decode (&claim_accepted__descriptor, event->payload.data, event->payload.len);
        if (!whole) {
            record->dims = own_dims;
            record->claim = own_claim;
            if (owned)
                codec_free (record);
            return store_fail (self->store, "%s.%s #%" PRIu64 " (PCN %s): its sealed claim does not decode: refused",
                               event->stream, event->type, event->stream_seq, accepted->pcn);
        }
        record->claim = whole->claim;
    }
    record->n_scrub_warnings = accepted->n_warnings;
    record->scrub_warnings = accepted->warnings;

    rc = ledger_put (self, txn, record, old_status);
    if (rc == 0)
        rc = ledger_emit (self, txn, "entered", record, &change);
    record->dims = own_dims;
    record->claim = own_claim;
    if (!owned) {
        record->base.n_unknown_fields = 0;
        record->base.unknown_fields = NULL;
    }
    codec_free (whole);
    record->n_scrub_warnings = own_warning_count;
    record->scrub_warnings = own_warnings;
    //  Remits that came before the claim are posted now (they read the
    //  claim as just stored).
    if (rc == 0 && !*old_status)
        rc = remits_claim_arrived (self, txn, record->pcn);
    if (owned)
        codec_free (record);
    return rc;
}

static int
s_queue_changed (claims_t *self, MDB_txn *txn, const QueueChanged *changed)
{
    const Queue *queue = changed->queue;
    if (!queue || !queue->id)
        return 0;
    int rc = store_put_message (self->store, txn, "queues", queue->id, queue);
    if (rc)
        return rc;
    //  A phase change moves the queue's open work to another team now.
    //  The records in the table's order (by payer, ADR 82): each rewrite
    //  is a put of its own, its status unchanged, so the order they are
    //  found in changes nothing but which pages are near.
    const char *team = streq (queue->phase, "internal")? queue->owner_team: queue->vendor_team;
    MDB_cursor *cursor;
    if ((rc = mdb_cursor_open (txn, store_table (self->store, "claims"), &cursor)))
        return rc;
    MDB_val key, value;
    zlistx_t *changed_records = zlistx_new ();
    for (rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        ClaimRecord *record = (ClaimRecord *) codec_decode (&claim_record__descriptor, value.mv_data, value.mv_size);
        if (record && record->dims && streq (record->dims->queue, queue->id) && lifecycle_open (record->status)
        &&  (!streq (record->dims->owner_team, team) || !streq (record->dims->phase, queue->phase))) {
            codec_set_text (&record->dims->owner_team, team);
            codec_set_text (&record->dims->phase, queue->phase);
            codec_set_text (&record->dims->vendor_team, queue->vendor_team);
            zlistx_add_end (changed_records, record);
        }
        else
            codec_free (record);
    }
    mdb_cursor_close (cursor);
    rc = 0;
    for (ClaimRecord *record = (ClaimRecord *) zlistx_first (changed_records); record;
         record = (ClaimRecord *) zlistx_next (changed_records)) {
        if (rc == 0)
            rc = ledger_put (self, txn, record, record->status);
        codec_free (record);
    }
    zlistx_destroy (&changed_records);
    return rc;
}

//  Handlers of the event table: the skeleton decoded the message.
static int
s_on_claim_accepted (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    const ClaimAcceptedHead *accepted = (const ClaimAcceptedHead *) message;
    //  A claim without its number cannot be entered, and skipping it would
    //  lose it without a trace: the stream stops on it (ADR 0009).
    if (!*accepted->pcn)
        return store_fail (store, "%s.%s #%" PRIu64 " names no PCN: refused", event->stream, event->type,
                           event->stream_seq);
    return s_enter ((claims_t *) state, txn, event, accepted);
}

static int
s_on_queue_changed (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    return s_queue_changed ((claims_t *) state, txn, (const QueueChanged *) message);
}

const consumer_event_t apply_events [] = {
    //  Read without its sealed claim (s_claim_bytes).
    { "intake", "claim_accepted", &claim_accepted_head__descriptor, s_on_claim_accepted },
    { "queue",  "changed",        &queue_changed__descriptor,  s_on_queue_changed },
    { NULL }
};
