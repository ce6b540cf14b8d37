/*  ledger: claim records in the store, and the events their changes emit.

    Table "claims" maps a claim's key to its ClaimRecord: payer ‖ 0 ‖ PCN,
    the payer it entered with (ADR 82), so that one payer's 277CA or 835
    file rewrites records side by side instead of one in six all along
    the table. "claim_keys" maps each PCN to that key, written at the
    claim's first put and never moved (a corrected payer leaves it): every
    read by PCN reads the key, then the record. A walk in PCN order walks
    claim_keys (ledger_record_at). "by_status" holds status ‖ 0 ‖ PCN for
    every claim, so a list by status reads only its claims.

    The sealed claim (ClaimRecord.claim, field 16, ~1.4 KB) is kept apart,
    in "sealed_claims" under the same PCN (ADR 50): it is written when the
    claim enters and when its data is edited or corrected, while the rest
    of the record is rewritten at every step of its life (submit, ack,
    post). Inline, it made the record (~2.3 KB) larger than an LMDB node,
    so each rewrite took a fresh overflow page and a copy of a leaf page of
    its own (issue 19: ~2 new pages of the writable map a claim a step).
    Apart, the record is ~1.0 KB and sits in the leaf with its neighbours.
    A record written before (field 16 inline) still reads; any write of it
    moves its sealed claim apart, and the store's migration 2 → 3 moves
    every one (ledger_move_claims).
*/
#include "ledger.h"
#include "followup.h"
#include "clock.h"
#include "codec.h"
#include "log.h"
#include "text.h"
#include "wirekeep.h"

//  The fields a light record holds as bytes (claim, notes, edits, scrub
//  warnings): what no step but an edit changes.
#define LEDGER_CLAIM_FIELD 16
static const uint32_t s_light_kept [] = { LEDGER_CLAIM_FIELD, 23, 36, 37 };
#define LEDGER_SEALED_TABLE "sealed_claims"
//  Marks the partial sealed claim of a light record (its lines alone) as
//  a view, held as an unknown field of that SealedClaim in memory: never
//  packed, as ledger_put never writes a view.
#define LEDGER_VIEW_MARK 536870911

//  The sealed claim's bytes of a record stored apart (0, MDB_NOTFOUND or
//  an LMDB error).
static int
s_sealed_get (store_t *store, MDB_txn *txn, const char *pcn, MDB_val *value)
{
    return store_get (store, txn, LEDGER_SEALED_TABLE, pcn, strlen (pcn), value);
}

int
ledger_key (store_t *store, MDB_txn *txn, const char *pcn, uint8_t *key, size_t *size)
{
    MDB_val value;
    int rc = store_get (store, txn, LEDGER_KEYS_TABLE, pcn, strlen (pcn), &value);
    if (rc)
        return rc;
    //  A key no put could have made (too long, or not ending in its own
    //  PCN) is damage, not a claim elsewhere.
    size_t pcn_size = strlen (pcn);
    if (value.mv_size > LEDGER_KEY_MAX || value.mv_size < pcn_size + 1
    ||  ((const uint8_t *) value.mv_data) [value.mv_size - pcn_size - 1] != 0
    ||  memcmp ((const uint8_t *) value.mv_data + value.mv_size - pcn_size, pcn, pcn_size))
        return store_fail (store, "claims: the key of claim %s in table %s is not payer, 0, PCN", pcn,
                           LEDGER_KEYS_TABLE);
    memcpy (key, value.mv_data, value.mv_size);
    *size = value.mv_size;
    return 0;
}

//  The key of a claim entering (payer ‖ 0 ‖ PCN, ADR 82) into key, its
//  size returned; 0 when the PCN alone leaves no room (no LMDB key holds
//  it). The payer's id is cut to leave room for the PCN: the key is a
//  hint of where the record sits, and the PCN after the first 0 keeps it
//  unique whatever precedes it.
static size_t
s_key_make (const char *payer, const char *pcn, uint8_t *key)
{
    size_t payer_size = strlen (payer), pcn_size = strlen (pcn);
    if (pcn_size + 1 > LEDGER_KEY_MAX)
        return 0;
    size_t room = LEDGER_KEY_MAX - pcn_size - 1;
    if (payer_size > room)
        payer_size = room;
    //  A payer id holds no 0 (it is text), so the first 0 ends it.
    memcpy (key, payer, payer_size);
    key [payer_size] = 0;
    memcpy (key + payer_size + 1, pcn, pcn_size);
    return payer_size + 1 + pcn_size;
}

int
ledger_key_for (store_t *store, MDB_txn *txn, const ClaimRecord *record, uint8_t *key, size_t *size)
{
    int rc = ledger_key (store, txn, record->pcn, key, size);
    if (rc != MDB_NOTFOUND)
        return rc;
    //  First written: the key is the payer it entered with, for good (a
    //  corrected payer leaves it where it is).
    *size = s_key_make (record->dims? record->dims->payer_id: "", record->pcn, key);
    if (*size == 0)
        return store_fail (store, "claims: claim %.40s...'s PCN (%zu bytes) is too long for a key of table claims",
                           record->pcn, strlen (record->pcn));
    return store_put (store, txn, LEDGER_KEYS_TABLE, record->pcn, strlen (record->pcn), key, *size);
}

int
ledger_get_bytes (claims_t *self, MDB_txn *txn, const char *pcn, MDB_val *value)
{
    if (!pcn || !*pcn)
        return MDB_NOTFOUND;
    uint8_t key [LEDGER_KEY_MAX];
    size_t key_size;
    int rc = ledger_key (self->store, txn, pcn, key, &key_size);
    if (rc == -1)
        return rc;
    if (rc == 0) {
        rc = store_get (self->store, txn, "claims", key, key_size, value);
        //  A key without its record is damage: the two are written together.
        if (rc == MDB_NOTFOUND)
            return store_fail (self->store, "claims: claim %s has a key in table %s but no record in table claims",
                               pcn, LEDGER_KEYS_TABLE);
    }
    if (rc && rc != MDB_NOTFOUND)
        rc = store_fail (self->store, "claims: the record of claim %s cannot be read from table claims: %s",
                         pcn, mdb_strerror (rc));
    return rc;
}

int
ledger_record_at (claims_t *self, MDB_txn *txn, const MDB_val *pcn, const MDB_val *key, MDB_val *value)
{
    int rc = store_get (self->store, txn, "claims", key->mv_data, key->mv_size, value);
    if (rc)
        rc = store_fail (self->store, "claims: the record of claim %.*s cannot be read from table claims: %s",
                         (int) pcn->mv_size, (const char *) pcn->mv_data,
                         rc == MDB_NOTFOUND? "its key names none": mdb_strerror (rc));
    return rc;
}

//  What a getter returns for a record that does not decode: -1, with
//  store_error naming the claim and the table.
static int
s_undecoded (claims_t *self, const char *pcn)
{
    return store_fail (self->store, "claims: the record of claim %s in table claims does not decode", pcn);
}

int
ledger_get (claims_t *self, MDB_txn *txn, const char *pcn, ClaimRecord **record_p)
{
    *record_p = NULL;
    MDB_val value;
    int rc = ledger_get_bytes (self, txn, pcn, &value);
    if (rc)
        return rc;
    ClaimRecord *record = (ClaimRecord *) codec_decode (&claim_record__descriptor, value.mv_data, value.mv_size);
    if (!record)
        return s_undecoded (self, pcn);
    //  A record written before ADR 50 holds its sealed claim inline.
    if (!record->claim) {
        //  Not found apart is a claim without claim data (a record
        //  decoded as it is); a read that fails is not, and says so.
        rc = s_sealed_get (self->store, txn, pcn, &value);
        if (rc == 0)
            record->claim = (SealedClaim *) codec_decode (&sealed_claim__descriptor, value.mv_data, value.mv_size);
        if (rc && rc != MDB_NOTFOUND)
            rc = store_fail (self->store, "claims: the sealed claim of claim %s cannot be read from table "
                             LEDGER_SEALED_TABLE ": %s", pcn, mdb_strerror (rc));
        else
        if (rc == 0 && !record->claim)
            rc = store_fail (self->store, "claims: the sealed claim of claim %s in table " LEDGER_SEALED_TABLE
                             " does not decode", pcn);
        else
            rc = 0;
    }
    if (rc)
        codec_free (record);
    else
        *record_p = record;
    return rc;
}

int
ledger_get_dims (claims_t *self, MDB_txn *txn, const char *pcn, ClaimRecord **record_p)
{
    static const uint32_t fields [] = { 1, 3, 4 };      //  pcn, status, dims
    *record_p = NULL;
    MDB_val value;
    int rc = ledger_get_bytes (self, txn, pcn, &value);
    if (rc)
        return rc;
    *record_p = (ClaimRecord *) codec_decode_fields (&claim_record__descriptor, value.mv_data, value.mv_size,
                                                     fields, sizeof fields / sizeof fields [0]);
    return *record_p? 0: s_undecoded (self, pcn);
}

//  The lines of a sealed claim (SealedClaim.claim, field 2, and of it the
//  lines, 28) alone: the rest of the claim (providers, subscriber,
//  diagnoses: ~60 allocations) is of no use to a reader of lines (issue
//  19). 0 with *claim_p NULL when the sealed claim holds no claim; -1
//  with store_error when its bytes are not well-formed.
static int
s_sealed_lines (claims_t *self, const char *pcn, const uint8_t *sealed, size_t size, Claim **claim_p)
{
    static const uint32_t lines [] = { 28 };
    *claim_p = NULL;
    const uint8_t *at = sealed, *end = sealed + size;
    codec_wire_field_t field;
    bool found = false, sound = true;
    while (!found && sound && at < end) {
        sound = codec_wire_next (&at, end, &field);
        found = sound && field.number == 2 && field.wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    }
    if (found)
        *claim_p = (Claim *) codec_decode_fields (&claim__descriptor, field.payload, field.payload_size, lines, 1);
    if (*claim_p || (sound && !found))
        return 0;
    return store_fail (self->store, "claims: the sealed claim of claim %s in table " LEDGER_SEALED_TABLE
                       " does not decode", pcn);
}

int
ledger_get_light (claims_t *self, MDB_txn *txn, const char *pcn, bool claim_lines, ClaimRecord **record_p)
{
    *record_p = NULL;
    MDB_val value;
    int rc = ledger_get_bytes (self, txn, pcn, &value);
    if (rc)
        return rc;
    ClaimRecord *record = (ClaimRecord *) wirekeep_decode (&claim_record__descriptor, value.mv_data, value.mv_size,
                                                           s_light_kept, sizeof s_light_kept / sizeof s_light_kept [0]);
    if (!record)
        return s_undecoded (self, pcn);
    const uint8_t *sealed = NULL;
    size_t size = 0;
    Claim *partial = NULL;
    if (claim_lines) {
        //  No claim data is a record without it, not an error.
        rc = ledger_sealed_claim (self, txn, record, &sealed, &size);
        if (rc == 0)
            rc = s_sealed_lines (self, pcn, sealed, size, &partial);
        if (rc && rc != MDB_NOTFOUND) {
            codec_free (record);
            return rc;
        }
    }
    if (partial) {
        record->claim = (SealedClaim *) malloc (sizeof (SealedClaim));
        assert (record->claim);
        sealed_claim__init (record->claim);
        record->claim->claim = partial;
        SealedClaim empty = SEALED_CLAIM__INIT;
        wirekeep_append (record->claim, LEDGER_VIEW_MARK, &empty);
    }
    *record_p = record;
    return 0;
}

int
ledger_sealed_claim (claims_t *self, MDB_txn *txn, const ClaimRecord *record, const uint8_t **sealed_p, size_t *size)
{
    *sealed_p = NULL;
    *size = 0;
    //  A record written before ADR 50 holds it inline.
    if (wirekeep_holds (record, LEDGER_CLAIM_FIELD)) {
        *sealed_p = wirekeep_bytes (record, LEDGER_CLAIM_FIELD, size);
        return *sealed_p? 0: store_fail (self->store, "claims: the sealed claim held by record %s is not well-formed",
                                         record->pcn);
    }
    if (!*record->pcn)
        return MDB_NOTFOUND;
    MDB_val value;
    int rc = s_sealed_get (self->store, txn, record->pcn, &value);
    if (rc == MDB_NOTFOUND)
        return rc;
    if (rc)
        return store_fail (self->store, "claims: the sealed claim of claim %s cannot be read from table "
                           LEDGER_SEALED_TABLE ": %s", record->pcn, mdb_strerror (rc));
    *size = value.mv_size;
    *sealed_p = (const uint8_t *) value.mv_data;
    return 0;
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
    ClaimRecord *record;
    int rc = ledger_get (claims_state (call), call->txn, pcn, &record);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    server_call_scope (call, "claim", pcn, record && record->dims? record->dims->phase: NULL,
                       record && record->dims? record->dims->vendor_team: NULL);
    codec_free (record);
    return 0;
}

//  Stores a record as it goes to the page: its sealed claim apart (a
//  whole one put in "sealed_claims"; one held inline by a record written
//  before ADR 50 moved there; a light record's view never written), the
//  patient fields left out. 0 or an LMDB error.
static int
s_store (store_t *store, MDB_txn *txn, const ClaimRecord *record, const uint8_t *key, size_t key_size)
{
    //  The patient fields are a reply's (claims.Show), opened from the
    //  sealed claim: PHI is never stored in the clear, whoever filled them.
    ClaimRecord stored = *record;
    stored.patient_name = stored.patient_dob = (char *) protobuf_c_empty_string;
    stored.member_id = stored.patient_address = (char *) protobuf_c_empty_string;
    stored.claim = NULL;
    size_t pcn_size = strlen (record->pcn);
    int rc = 0;
    ProtobufCMessageUnknownField stack [16], *others = NULL;
    if (wirekeep_holds (record, LEDGER_CLAIM_FIELD)) {
        //  Held inline (a record written before ADR 50): moved apart, as
        //  the bytes it was, and left out of the record.
        size_t size;
        const uint8_t *held = wirekeep_bytes (record, LEDGER_CLAIM_FIELD, &size);
        if (!held)
            return store_fail (store, "claims: the sealed claim held by record %s is not well-formed", record->pcn);
        rc = store_put (store, txn, LEDGER_SEALED_TABLE, record->pcn, pcn_size, held, size);
        unsigned n = record->base.n_unknown_fields, kept = 0;
        others = n <= 16? stack: (ProtobufCMessageUnknownField *) malloc (n * sizeof *others);
        assert (others);
        for (unsigned i = 0; i < n; i++)
            if (record->base.unknown_fields [i].tag != LEDGER_CLAIM_FIELD)
                others [kept++] = record->base.unknown_fields [i];
        stored.base.n_unknown_fields = kept;
        stored.base.unknown_fields = kept? others: NULL;
    }
    else
    if (record->claim && !wirekeep_holds (record->claim, LEDGER_VIEW_MARK))
        //  A whole sealed claim (entered, edited, corrected): its own put.
        rc = store_put_packed (store, txn, LEDGER_SEALED_TABLE, record->pcn, pcn_size, record->claim);
    //  else the record's claim is where it was: apart, untouched (a light
    //  record, or one decoded without it).
    if (rc == 0)
        rc = store_put_packed (store, txn, "claims", key, key_size, &stored);
    if (others != stack)
        free (others);
    return rc;
}

int
ledger_put (claims_t *self, MDB_txn *txn, const ClaimRecord *record, const char *old_status)
{
    //  Packed once, into the page (issue 19: a claim is rewritten at
    //  every step of its life).
    uint8_t key [LEDGER_KEY_MAX];
    size_t key_size;
    int rc = ledger_key_for (self->store, txn, record, key, &key_size);
    if (rc == 0)
        rc = s_store (self->store, txn, record, key, key_size);
    return rc? rc: ledger_moved (self, txn, record, old_status);
}

int
ledger_moved (claims_t *self, MDB_txn *txn, const ClaimRecord *record, const char *old_status)
{
    size_t size;
    if (old_status && streq (old_status, record->status))
        return 0;
    //  Every status change passes here: the follow-up item keeps step.
    int rc = followup_track (self, txn, record, old_status);
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

//  The keys of table claims as a migration from a layout before 4 finds
//  them (PCNs), listed first: no cursor walks a table while it changes.
static int
s_pcns_of_layout3 (store_t *store, MDB_txn *txn, zlistx_t **pcns_p)
{
    zlistx_t *pcns = zlistx_new ();
    zlistx_set_destructor (pcns, (zlistx_destructor_fn *) zstr_free);
    store_iter_t *iter = store_iter_new (store, txn, "claims", NULL, 0);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value))
        zlistx_add_end (pcns, strndup ((const char *) key.mv_data, key.mv_size));
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    *pcns_p = pcns;
    return rc;
}

int
ledger_move_claims (store_t *store, MDB_txn *txn)
{
    //  The PCNs first, then each record rewritten: no cursor walks a
    //  table while it changes.
    static const uint32_t claim_field [] = { LEDGER_CLAIM_FIELD };
    zlistx_t *pcns;
    int rc = s_pcns_of_layout3 (store, txn, &pcns);
    MDB_val value;
    for (char *pcn = (char *) zlistx_first (pcns); pcn && rc == 0; pcn = (char *) zlistx_next (pcns)) {
        rc = store_get (store, txn, "claims", pcn, strlen (pcn), &value);
        if (rc)
            break;
        ClaimRecord *record = (ClaimRecord *) wirekeep_decode (&claim_record__descriptor, value.mv_data,
                                                               value.mv_size, claim_field, 1);
        if (!record)
            rc = store_fail (store, "claims: the record of %s does not decode", pcn);
        else
        if (wirekeep_holds (record, LEDGER_CLAIM_FIELD))
            //  The layout of version 3: the record under its PCN (the
            //  step to 4 moves it under its key, ledger_key_claims).
            rc = s_store (store, txn, record, (const uint8_t *) pcn, strlen (pcn));
        codec_free (record);
    }
    zlistx_destroy (&pcns);
    return rc;
}

int
ledger_key_claims (store_t *store, MDB_txn *txn)
{
    //  The PCNs first (version 3's keys), then each record moved: no
    //  cursor walks a table while it changes. A record that does not
    //  decode stops it, by name; the caller's transaction is then aborted
    //  and the store stays at version 3, whole.
    zlistx_t *pcns;
    int rc = s_pcns_of_layout3 (store, txn, &pcns);
    MDB_val value;
    uint8_t *copy = NULL;
    for (char *pcn = (char *) zlistx_first (pcns); pcn && rc == 0; pcn = (char *) zlistx_next (pcns)) {
        rc = store_get (store, txn, "claims", pcn, strlen (pcn), &value);
        if (rc) {
            rc = store_fail (store, "claims: the record of %s cannot be read from table claims: %s", pcn,
                             mdb_strerror (rc));
            break;
        }
        //  Its dims alone: the payer it holds now is the key's (the one it
        //  entered with is not kept apart).
        ClaimRecord *record = (ClaimRecord *) codec_decode (&claim_record__descriptor, value.mv_data,
                                                            value.mv_size);
        if (!record || strlen (record->pcn) != strlen (pcn) || strcmp (record->pcn, pcn)) {
            rc = store_fail (store, "claims: the record of %s in table claims does not decode%s", pcn,
                             record? " to its own PCN": "");
            codec_free (record);
            break;
        }
        //  The bytes as they are, under the new key: the put below may
        //  move the page value points into.
        size_t size = value.mv_size;
        copy = (uint8_t *) realloc (copy, size? size: 1);
        assert (copy);
        memcpy (copy, value.mv_data, size);
        uint8_t new_key [LEDGER_KEY_MAX];
        size_t new_size;
        rc = ledger_key (store, txn, pcn, new_key, &new_size);
        if (rc == 0)
            rc = store_fail (store, "claims: claim %s already has a key in table %s before the migration", pcn,
                             LEDGER_KEYS_TABLE);
        else
        if (rc == MDB_NOTFOUND)
            rc = ledger_key_for (store, txn, record, new_key, &new_size);
        codec_free (record);
        if (rc == 0)
            rc = store_del (store, txn, "claims", pcn, strlen (pcn));
        if (rc == 0)
            rc = store_put (store, txn, "claims", new_key, new_size, copy, size);
    }
    free (copy);
    zlistx_destroy (&pcns);
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
    //  Every claim submitted comes here: texts joined, not formatted, and
    //  of the queue its window alone decoded (issue 19).
    static const uint32_t window_field [] = { 12 };         //  Queue.follow_up_days
    const char *payer = record->dims? record->dims->payer_id: "";
    const char *queue_id = record->dims? record->dims->queue: "";
    char key [160], bad [256] = "";
    text_append (key, sizeof key, text_append (key, sizeof key, 0, "claims/follow-up-days/"), payer);
    const char *text = *payer? config_get (self->config, key, NULL): NULL;
    if (text && *text) {
        int64_t value;
        if (config_get_int_checked (self->config, key, 0, 0, 3650, &value, bad, sizeof bad) == 0) {
            *days = (int) value;
            text_append (source, size, 0, key);
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
        Queue *queue = rc == 0? (Queue *) codec_decode_fields (&queue__descriptor, value.mv_data, value.mv_size,
                                                               window_field, 1): NULL;
        if (queue && queue->follow_up_days) {
            *days = (int) queue->follow_up_days;
            size_t length = text_append (source, size, 0, "queue ");
            length = text_append (source, size, length, queue_id);
            length = text_append (source, size, length, " --follow-up-days");
            text_append (source, size, text_append (source, size, length, because), bad);
            codec_free (queue);
            return 0;
        }
        codec_free (queue);
    }
    *days = self->follow_up_days;
    size_t length = text_append (source, size, 0, "claims/follow-up-days");
    text_append (source, size, text_append (source, size, length, because), bad);
    return 0;
}
