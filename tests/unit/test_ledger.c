/*  test_ledger: claim records in the claims store and the events their
    changes emit (services/claims/ledger.c).

    A real LMDB store in a temp directory with the claims service's tables.
    Checked: a record reads back as written; the status index holds exactly
    one row per claim, under its current status, as the claim moves (long
    PCNs included: a fixed-size key once cut them, so the index named
    claims that did not exist); the ClaimEvent a change emits carries the
    record's amounts as they stand, so the figures downstream add up to
    the ledger's; follow-up days come per payer from the config; the
    patient fields claims.Show answers (PHI, opened from the sealed claim)
    are never stored, whoever set them on a record put; a claim whose
    record or sealed claim cannot be read is an error naming both, never
    "no such claim".
*/
#include "suites.h"
#include "claims_fixture.h"
#include "ledger.h"
#include "ledger_mark.h"
#include "remits.h"
#include "codec.h"

#include <czmq.h>

//  s_test_t's fields stay test->dir and test->claims for the tests.
typedef claims_fixture_t s_test_t;

static void
s_setup (s_test_t *test)
{
    claims_fixture_setup (test, "ledger");
}

static void
s_teardown (s_test_t *test)
{
    claims_fixture_teardown (test);
}

static ClaimRecord *
s_record (const char *pcn, const char *status, int64_t charge)
{
    ClaimRecord record = CLAIM_RECORD__INIT;
    ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
    dims.payer_id = "ACME1";
    dims.queue = "q-acme";
    dims.phase = "internal";
    record.pcn = (char *) pcn;
    record.status = (char *) status;
    record.dims = &dims;
    record.charge_cents = charge;
    record.date_of_service = "20261101";
    return ledger_copy (&record);
}

typedef struct {
    claims_t *claims;
    ClaimRecord *record;
    const char *old_status;
    const char *emit;           //  event type to emit, or NULL
} s_put_t;

static int
s_put_fn (store_t *store, MDB_txn *txn, void *arg)
{
    s_put_t *put = (s_put_t *) arg;
    int rc = ledger_put (put->claims, txn, put->record, put->old_status);
    if (rc == 0 && put->emit)
        rc = ledger_emit (put->claims, txn, put->emit, put->record, NULL);
    return rc;
}

static void
s_put (s_test_t *test, ClaimRecord *record, const char *old_status, const char *emit)
{
    s_put_t put = { &test->claims, record, old_status, emit };
    ck_assert_int_eq (store_write (test->claims.store, s_put_fn, &put), 0);
}

//  The status index as "status:pcn" rows, in key order, joined by " ".
static char *
s_index (s_test_t *test)
{
    MDB_txn *txn = store_read_begin (test->claims.store);
    ck_assert_ptr_nonnull (txn);
    MDB_cursor *cursor;
    ck_assert_int_eq (mdb_cursor_open (txn, store_table (test->claims.store, "by_status"), &cursor), 0);
    MDB_val key, value;
    char *rows = strdup ("");
    for (int rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        const char *status = (const char *) key.mv_data;
        size_t status_len = strnlen (status, key.mv_size);
        ck_assert_uint_lt (status_len, key.mv_size);     //  status ‖ 0 ‖ PCN
        char *row = zsys_sprintf ("%s%s%s:%.*s", rows, *rows? " ": "", status,
                                  (int) (key.mv_size - status_len - 1), status + status_len + 1);
        free (rows);
        rows = row;
    }
    mdb_cursor_close (cursor);
    store_read_end (&txn);
    return rows;
}

static void
s_assert_index (s_test_t *test, const char *expect)
{
    char *rows = s_index (test);
    ck_assert_msg (streq (rows, expect), "index '%s', want '%s'", rows, expect);
    free (rows);
}

static ClaimRecord *
s_get (s_test_t *test, const char *pcn)
{
    MDB_txn *txn = store_read_begin (test->claims.store);
    ClaimRecord *record;
    int rc = ledger_get (&test->claims, txn, pcn, &record);
    ck_assert (rc == 0 || rc == MDB_NOTFOUND);
    store_read_end (&txn);
    return record;
}

START_TEST (test_put_get_index)
{
    s_test_t test;
    s_setup (&test);
    ClaimRecord *p1 = s_record ("P1", "ready", 10000);
    ClaimRecord *p2 = s_record ("P2", "ready", 2500);
    s_put (&test, p1, "", NULL);
    s_put (&test, p2, "", NULL);
    s_assert_index (&test, "ready:P1 ready:P2");

    ClaimRecord *back = s_get (&test, "P1");
    ck_assert_ptr_nonnull (back);
    ck_assert_str_eq (back->status, "ready");
    ck_assert_int_eq (back->charge_cents, 10000);
    ck_assert_str_eq (back->dims->queue, "q-acme");
    codec_free (back);
    ck_assert_ptr_null (s_get (&test, "P3"));
    ck_assert_ptr_null (s_get (&test, ""));
    ck_assert_ptr_null (s_get (&test, NULL));

    //  P1 moves: its row moves with it, the other stays.
    codec_set_text (&p1->status, "submitted");
    s_put (&test, p1, "ready", NULL);
    s_assert_index (&test, "ready:P2 submitted:P1");
    codec_set_text (&p1->status, "paid");
    p1->paid_cents = 8000;
    s_put (&test, p1, "submitted", NULL);
    s_assert_index (&test, "paid:P1 ready:P2");
    //  Written again in the same status: one row still, the record updated.
    p1->paid_cents = 9000;
    s_put (&test, p1, "paid", NULL);
    s_assert_index (&test, "paid:P1 ready:P2");
    back = s_get (&test, "P1");
    ck_assert_int_eq (back->paid_cents, 9000);
    codec_free (back);

    //  A PCN of 300 characters (the X12 limit is 38; stores have seen
    //  longer): indexed whole, and moved whole.
    char pcn [301];
    memset (pcn, 'L', 300);
    pcn [300] = 0;
    ClaimRecord *long_one = s_record (pcn, "ready", 1);
    s_put (&test, long_one, "", NULL);
    codec_set_text (&long_one->status, "submitted");
    s_put (&test, long_one, "ready", NULL);
    char *expect = zsys_sprintf ("paid:P1 ready:P2 submitted:%s", pcn);
    s_assert_index (&test, expect);
    zstr_free (&expect);
    back = s_get (&test, pcn);
    ck_assert_ptr_nonnull (back);
    ck_assert_str_eq (back->pcn, pcn);
    codec_free (back);

    codec_free (long_one);
    codec_free (p1);
    codec_free (p2);
    s_teardown (&test);
}
END_TEST

//  ledger_get_dims decodes the PCN, status and dims, and nothing of the
//  sealed claim, history or postings the full record holds.
START_TEST (test_get_dims)
{
    s_test_t test;
    s_setup (&test);
    ClaimRecord *p1 = s_record ("P1", "ready", 10000);
    p1->claim = (SealedClaim *) malloc (sizeof (SealedClaim));
    sealed_claim__init (p1->claim);
    codec_set_text (&p1->claim->record_id, "P1");
    HistoryEntry *entry = (HistoryEntry *) malloc (sizeof (HistoryEntry));
    history_entry__init (entry);
    codec_set_text (&entry->to_status, "ready");
    codec_append (&p1->history, &p1->n_history, entry);
    s_put (&test, p1, "", NULL);
    MDB_txn *txn = store_read_begin (test.claims.store);
    ClaimRecord *dims;
    ck_assert_int_eq (ledger_get_dims (&test.claims, txn, "P1", &dims), 0);
    ck_assert_ptr_nonnull (dims);
    ck_assert_str_eq (dims->pcn, "P1");
    ck_assert_str_eq (dims->status, "ready");
    ck_assert_str_eq (dims->dims->payer_id, "ACME1");
    ck_assert_str_eq (dims->dims->queue, "q-acme");
    ck_assert_ptr_null (dims->claim);
    ck_assert_uint_eq (dims->n_history, 0);
    ck_assert_int_eq (dims->charge_cents, 0);
    codec_free (dims);
    ClaimRecord *full;
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P1", &full), 0);
    ck_assert_ptr_nonnull (full->claim);
    ck_assert_uint_eq (full->n_history, 1);
    codec_free (full);
    dims = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get_dims (&test.claims, txn, "P2", &dims), MDB_NOTFOUND);
    ck_assert_ptr_null (dims);
    ck_assert_int_eq (ledger_get_dims (&test.claims, txn, "", &dims), MDB_NOTFOUND);
    store_read_end (&txn);
    codec_free (p1);
    s_teardown (&test);
}
END_TEST

static Note *
s_note (const char *text)
{
    Note *note = (Note *) malloc (sizeof (Note));
    note__init (note);
    codec_set_text (&note->text, text);
    return note;
}

typedef struct {
    claims_t *claims;
    bool clear_claim;
} s_light_t;

//  A light step: status and money change, a history entry is added; the
//  claim, notes, edits and scrub warnings are not touched.
static int
s_light_fn (store_t *store, MDB_txn *txn, void *arg)
{
    s_light_t *light = (s_light_t *) arg;
    ClaimRecord *record;
    ck_assert_int_eq (ledger_get_light (light->claims, txn, "P1", light->clear_claim, &record), 0);
    ck_assert_ptr_nonnull (record);
    ck_assert_uint_eq (record->n_notes, 0);
    ck_assert_uint_eq (record->n_edits, 0);
    ck_assert_uint_eq (record->n_scrub_warnings, 0);
    if (light->clear_claim) {
        //  The claim's lines alone: no record id, no sealed field, no
        //  other part of the claim.
        ck_assert_ptr_nonnull (record->claim);
        ck_assert_ptr_nonnull (record->claim->claim);
        ck_assert_str_eq (record->claim->claim->patient_control_number, "");
        ck_assert_uint_eq (record->claim->claim->n_lines, 2);
        ck_assert_str_eq (record->claim->claim->lines [1]->procedure_code, "99214");
        ck_assert_str_eq (record->claim->record_id, "");
        ck_assert_uint_eq (record->claim->n_phi, 0);
    }
    else
        ck_assert_ptr_null (record->claim);
    char old_status [32];
    snprintf (old_status, sizeof old_status, "%s", record->status);
    HistoryEntry *entry = (HistoryEntry *) malloc (sizeof (HistoryEntry));
    history_entry__init (entry);
    codec_set_text (&entry->from_status, old_status);
    codec_set_text (&entry->to_status, light->clear_claim? "paid": "submitted");
    codec_append (&record->history, &record->n_history, entry);
    codec_set_text (&record->status, entry->to_status);
    record->paid_cents += 100;
    int rc = ledger_put (light->claims, txn, record, old_status);
    codec_free (record);
    return rc;
}

//  A light read holds the sealed claim, notes, edits and scrub warnings
//  as their stored bytes, and ledger_put writes them back unchanged: the
//  record read whole after two light steps has them as they were, and
//  the partial claim a reader of lines gets is never written over the
//  sealed one.
START_TEST (test_get_light)
{
    s_test_t test;
    s_setup (&test);
    ClaimRecord *p1 = s_record ("P1", "ready", 10000);
    SealedClaim *sealed = (SealedClaim *) malloc (sizeof (SealedClaim));
    sealed_claim__init (sealed);
    codec_set_text (&sealed->record_id, "claim-record-P1");
    sealed->claim = (Claim *) malloc (sizeof (Claim));
    claim__init (sealed->claim);
    codec_set_text (&sealed->claim->patient_control_number, "P1");
    for (int i = 0; i < 2; i++) {
        ServiceLine *line = (ServiceLine *) malloc (sizeof (ServiceLine));
        service_line__init (line);
        codec_set_text (&line->procedure_code, i? "99214": "99213");
        codec_append (&sealed->claim->lines, &sealed->claim->n_lines, line);
    }
    SealedField *field = (SealedField *) malloc (sizeof (SealedField));
    sealed_field__init (field);
    codec_set_text (&field->field, "subscriber.last_name");
    field->sealed.len = 3;
    field->sealed.data = (uint8_t *) malloc (3);
    memcpy (field->sealed.data, "\x01\x02\x03", 3);
    codec_append (&sealed->phi, &sealed->n_phi, field);
    p1->claim = sealed;
    codec_append (&p1->notes, &p1->n_notes, s_note ("first"));
    codec_append (&p1->notes, &p1->n_notes, s_note ("second"));
    ClaimEdit *edit = (ClaimEdit *) malloc (sizeof (ClaimEdit));
    claim_edit__init (edit);
    codec_set_text (&edit->reason, "fixed the NPI");
    codec_append (&p1->edits, &p1->n_edits, edit);
    ScrubFinding *warning = (ScrubFinding *) malloc (sizeof (ScrubFinding));
    scrub_finding__init (warning);
    codec_set_text (&warning->rule_id, "DEN001");
    codec_append (&p1->scrub_warnings, &p1->n_scrub_warnings, warning);
    HistoryEntry *entry = (HistoryEntry *) malloc (sizeof (HistoryEntry));
    history_entry__init (entry);
    codec_set_text (&entry->to_status, "ready");
    codec_append (&p1->history, &p1->n_history, entry);
    s_put (&test, p1, "", NULL);
    size_t sealed_size;
    uint8_t *sealed_packed = codec_pack (p1->claim, &sealed_size);

    s_light_t light = { &test.claims, false };
    ck_assert_int_eq (store_write (test.claims.store, s_light_fn, &light), 0);
    light.clear_claim = true;
    ck_assert_int_eq (store_write (test.claims.store, s_light_fn, &light), 0);
    s_assert_index (&test, "paid:P1");

    MDB_txn *txn = store_read_begin (test.claims.store);
    ClaimRecord *back;
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P1", &back), 0);
    ck_assert_ptr_nonnull (back);
    ck_assert_str_eq (back->status, "paid");
    ck_assert_int_eq (back->paid_cents, 200);
    ck_assert_uint_eq (back->n_history, 3);
    ck_assert_str_eq (back->history [0]->to_status, "ready");
    ck_assert_str_eq (back->history [1]->to_status, "submitted");
    ck_assert_str_eq (back->history [2]->to_status, "paid");
    ck_assert_uint_eq (back->n_notes, 2);
    ck_assert_str_eq (back->notes [0]->text, "first");
    ck_assert_str_eq (back->notes [1]->text, "second");
    ck_assert_uint_eq (back->n_edits, 1);
    ck_assert_str_eq (back->edits [0]->reason, "fixed the NPI");
    ck_assert_uint_eq (back->n_scrub_warnings, 1);
    ck_assert_str_eq (back->scrub_warnings [0]->rule_id, "DEN001");
    ck_assert_uint_eq (back->base.n_unknown_fields, 0);
    //  The sealed claim, byte for byte.
    ck_assert_ptr_nonnull (back->claim);
    size_t back_size;
    uint8_t *back_packed = codec_pack (back->claim, &back_size);
    ck_assert_uint_eq (back_size, sealed_size);
    ck_assert_mem_eq (back_packed, sealed_packed, sealed_size);
    free (back_packed);
    codec_free (back);
    //  The light read's view of the same bytes.
    ClaimRecord *again;
    ck_assert_int_eq (ledger_get_light (&test.claims, txn, "P1", false, &again), 0);
    size_t held_size;
    const uint8_t *held;
    ck_assert_int_eq (ledger_sealed_claim (&test.claims, txn, again, &held, &held_size), 0);
    ck_assert_ptr_nonnull (held);
    ck_assert_uint_eq (held_size, sealed_size);
    ck_assert_mem_eq (held, sealed_packed, sealed_size);
    codec_free (again);
    again = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get_light (&test.claims, txn, "P2", false, &again), MDB_NOTFOUND);
    ck_assert_ptr_null (again);
    store_read_end (&txn);
    free (sealed_packed);
    codec_free (p1);
    s_teardown (&test);
}
END_TEST

//  A record as main 25ae5cc wrote it: the sealed claim inline (field 16),
//  under its key of this layout (ADR 82).
static int
s_put_inline_fn (store_t *store, MDB_txn *txn, void *arg)
{
    const ClaimRecord *record = (const ClaimRecord *) arg;
    uint8_t key [LEDGER_KEY_MAX];
    size_t size;
    int rc = ledger_key_for (store, txn, record, key, &size);
    return rc? rc: store_put_packed (store, txn, "claims", key, size, record);
}

//  The same under its PCN alone, as layout 2 and 3 kept it (no key).
static int
s_put_v3_fn (store_t *store, MDB_txn *txn, void *arg)
{
    const ClaimRecord *record = (const ClaimRecord *) arg;
    return store_put_packed (store, txn, "claims", record->pcn, strlen (record->pcn), record);
}

//  Layout 2 to 4 as store_check_version runs them: in one transaction.
static int
s_move_key_fn (store_t *store, MDB_txn *txn, void *arg)
{
    (void) arg;
    int rc = ledger_move_claims (store, txn);
    return rc? rc: ledger_key_claims (store, txn);
}

//  pcn's key in "claims" (it must have one).
static MDB_val
s_key (s_test_t *test, MDB_txn *txn, const char *pcn, uint8_t *key)
{
    size_t size;
    ck_assert_int_eq (ledger_key (test->claims.store, txn, pcn, key, &size), 0);
    return (MDB_val) { size, key };
}

//  The stored record of pcn decoded as it is in "claims" (its sealed claim
//  inline or not), and the bytes "sealed_claims" holds for it (NULL when
//  none), copied.
static ClaimRecord *
s_raw (s_test_t *test, const char *pcn, uint8_t **apart, size_t *apart_size)
{
    MDB_txn *txn = store_read_begin (test->claims.store);
    MDB_val value;
    uint8_t bytes [LEDGER_KEY_MAX];
    MDB_val key = s_key (test, txn, pcn, bytes);
    ck_assert_int_eq (store_get (test->claims.store, txn, "claims", key.mv_data, key.mv_size, &value), 0);
    ClaimRecord *raw = (ClaimRecord *) codec_decode (&claim_record__descriptor, value.mv_data, value.mv_size);
    ck_assert_ptr_nonnull (raw);
    *apart = NULL;
    if (store_get (test->claims.store, txn, "sealed_claims", pcn, strlen (pcn), &value) == 0) {
        *apart = (uint8_t *) malloc (value.mv_size);
        memcpy (*apart, value.mv_data, value.mv_size);
        *apart_size = value.mv_size;
    }
    store_read_end (&txn);
    return raw;
}

//  ADR 50: the sealed claim is stored apart from its record; a record
//  written before, with it inline, reads the same, and a write or the
//  migration moves it apart byte for byte.
START_TEST (test_claim_apart)
{
    s_test_t test;
    s_setup (&test);
    ClaimRecord *p1 = s_record ("P1", "ready", 10000);
    p1->claim = (SealedClaim *) malloc (sizeof (SealedClaim));
    sealed_claim__init (p1->claim);
    codec_set_text (&p1->claim->record_id, "claim-record-P1");
    p1->claim->claim = (Claim *) malloc (sizeof (Claim));
    claim__init (p1->claim->claim);
    codec_set_text (&p1->claim->claim->patient_control_number, "P1");
    for (int i = 0; i < 2; i++) {
        ServiceLine *line = (ServiceLine *) malloc (sizeof (ServiceLine));
        service_line__init (line);
        codec_set_text (&line->procedure_code, i? "99214": "99213");
        codec_append (&p1->claim->claim->lines, &p1->claim->claim->n_lines, line);
    }
    codec_append (&p1->notes, &p1->n_notes, s_note ("kept"));
    size_t sealed_size, apart_size;
    uint8_t *sealed = codec_pack (p1->claim, &sealed_size), *apart;

    //  Put now: the record without it, the claim apart.
    s_put (&test, p1, "", NULL);
    ClaimRecord *raw = s_raw (&test, "P1", &apart, &apart_size);
    ck_assert_ptr_null (raw->claim);
    ck_assert_ptr_nonnull (apart);
    ck_assert_uint_eq (apart_size, sealed_size);
    ck_assert_mem_eq (apart, sealed, sealed_size);
    codec_free (raw);
    free (apart);

    //  Written inline (the old layout): read whole and light as before.
    ClaimRecord *p2 = ledger_copy (p1);
    codec_set_text (&p2->pcn, "P2");
    ck_assert_int_eq (store_write (test.claims.store, s_put_inline_fn, p2), 0);
    MDB_txn *txn = store_read_begin (test.claims.store);
    ClaimRecord *back;
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P2", &back), 0);
    ck_assert_ptr_nonnull (back);
    ck_assert_ptr_nonnull (back->claim);
    ck_assert_str_eq (back->claim->record_id, "claim-record-P1");
    codec_free (back);
    ClaimRecord *light;
    ck_assert_int_eq (ledger_get_light (&test.claims, txn, "P2", false, &light), 0);
    size_t held_size;
    const uint8_t *held;
    ck_assert_int_eq (ledger_sealed_claim (&test.claims, txn, light, &held, &held_size), 0);
    ck_assert_ptr_nonnull (held);
    ck_assert_uint_eq (held_size, sealed_size);
    ck_assert_mem_eq (held, sealed, sealed_size);
    codec_free (light);
    store_read_end (&txn);

    //  A light step of the old record moves it apart, notes kept.
    codec_set_text (&p2->pcn, "P1");
    store_destroy (&test.claims.store);
    outbox_destroy (&test.claims.outbox);
    test_rmtree (test.dir);
    free (test.dir);
    config_destroy (&test.claims.config);
    s_setup (&test);
    ck_assert_int_eq (store_write (test.claims.store, s_put_inline_fn, p2), 0);
    s_light_t step = { &test.claims, true };
    ck_assert_int_eq (store_write (test.claims.store, s_light_fn, &step), 0);
    raw = s_raw (&test, "P1", &apart, &apart_size);
    ck_assert_ptr_null (raw->claim);
    ck_assert_uint_eq (raw->n_notes, 1);
    ck_assert_str_eq (raw->notes [0]->text, "kept");
    ck_assert_str_eq (raw->status, "paid");
    ck_assert_ptr_nonnull (apart);
    ck_assert_uint_eq (apart_size, sealed_size);
    ck_assert_mem_eq (apart, sealed, sealed_size);
    codec_free (raw);
    free (apart);

    //  The migration moves every record still holding it inline: from
    //  layout 2 (by PCN, inline) to 4 (apart, by key) in one transaction.
    s_teardown (&test);
    s_setup (&test);
    codec_set_text (&p2->pcn, "P3");
    ck_assert_int_eq (store_write (test.claims.store, s_put_v3_fn, p2), 0);
    txn = store_read_begin (test.claims.store);
    MDB_val value;
    ck_assert_int_eq (store_get (test.claims.store, txn, "sealed_claims", "P3", 2, &value), MDB_NOTFOUND);
    store_read_end (&txn);
    ck_assert_int_eq (store_write (test.claims.store, s_move_key_fn, NULL), 0);
    raw = s_raw (&test, "P3", &apart, &apart_size);
    ck_assert_ptr_null (raw->claim);
    ck_assert_uint_eq (raw->n_notes, 1);
    ck_assert_ptr_nonnull (apart);
    ck_assert_mem_eq (apart, sealed, sealed_size);
    codec_free (raw);
    free (apart);
    txn = store_read_begin (test.claims.store);
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P3", &back), 0);
    ck_assert_ptr_nonnull (back->claim);
    ck_assert_str_eq (back->claim->claim->lines [0]->procedure_code, "99213");
    codec_free (back);
    store_read_end (&txn);

    free (sealed);
    codec_free (p1);
    codec_free (p2);
    s_teardown (&test);
}
END_TEST

//  The events carry the record as it stands: the sum of what the events
//  say is the sum of what the ledger holds.
//  Bytes that are not a message (a damaged page) under claim P1 in the
//  table arg names ("sealed_claims", "claims").
//  A value no decoder takes: its first field's length runs past the end.
static const uint8_t s_damaged [] = { 0x0a, 0x7f, 0x01 };

static int
s_damage_fn (store_t *store, MDB_txn *txn, void *arg)
{
    //  "claims" holds P1 under its key (ADR 82), the others under P1.
    uint8_t key [LEDGER_KEY_MAX];
    size_t size = 2;
    memcpy (key, "P1", 2);
    if (streq ((const char *) arg, "claims")) {
        int rc = ledger_key (store, txn, "P1", key, &size);
        if (rc)
            return rc;
    }
    return store_put (store, txn, (const char *) arg, key, size, s_damaged, sizeof s_damaged);
}

//  A claim that cannot be read is an error that names the claim and the
//  table, never "no such claim": taken for an absent one, intake's event
//  wrote it over as a new claim and claims.Show answered NOT_FOUND.
START_TEST (test_get_errors)
{
    s_test_t test;
    s_setup (&test);
    ClaimRecord *p1 = s_record ("P1", "ready", 10000);
    s_put (&test, p1, "", NULL);
    codec_free (p1);
    MDB_txn *txn = store_read_begin (test.claims.store);
    ClaimRecord *record = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get (&test.claims, txn, "NOPE", &record), MDB_NOTFOUND);
    ck_assert_ptr_null (record);
    //  No claim data apart is a record without it, not an error.
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P1", &record), 0);
    ck_assert_ptr_nonnull (record);
    ck_assert_ptr_null (record->claim);
    codec_free (record);
    store_read_end (&txn);

    //  Its sealed claim damaged: -1, and store_error says which and where.
    ck_assert_int_eq (store_write (test.claims.store, s_damage_fn, "sealed_claims"), 0);
    txn = store_read_begin (test.claims.store);
    record = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P1", &record), -1);
    ck_assert_ptr_null (record);
    const char *error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "sealed_claims") && strstr (error, "does not decode"),
                   "error: %s", error);
    store_read_end (&txn);

    //  A read that fails (here: a transaction no longer usable): -1, the
    //  LMDB error and the table named, for a claim that is there.
    txn = store_read_begin (test.claims.store);
    mdb_txn_reset (txn);
    record = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P1", &record), -1);
    ck_assert_ptr_null (record);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "cannot be read from table claims"),
                   "error: %s", error);
    mdb_txn_abort (txn);
    s_teardown (&test);
}
END_TEST

//  Files an exception as claims does: the RemitException under
//  "exceptions", its PCN's row under "exception_pcns".
static int
s_put_exception (store_t *store, MDB_txn *txn, const RemitException *exception)
{
    int rc = store_put_packed (store, txn, "exceptions", exception->id, strlen (exception->id), exception);
    char key [64];
    int size = snprintf (key, sizeof key, "%s%c%s", exception->remit->pcn, 0, exception->id);
    if (rc == 0)
        rc = store_put (store, txn, "exception_pcns", key, (size_t) size, "", 0);
    return rc;
}

//  An exception waiting for claim arg (RemitException under "exceptions",
//  its PCN row under "exception_pcns"): a sound CLP, paid nothing.
static int
s_exception_fn (store_t *store, MDB_txn *txn, void *arg)
{
    const char *pcn = (const char *) arg;
    RemitClaim remit = REMIT_CLAIM__INIT;
    remit.pcn = (char *) pcn;
    RemitException exception = REMIT_EXCEPTION__INIT;
    exception.id = "ACME1/T1/1";
    exception.trace = "T1";
    exception.payer_id = "ACME1";
    exception.kind = "unmatched";
    exception.remit = &remit;
    return s_put_exception (store, txn, &exception);
}

static int
s_damage_exception_fn (store_t *store, MDB_txn *txn, void *arg)
{
    return store_put (store, txn, "exceptions", "ACME1/T1/1", 10, s_damaged, sizeof s_damaged);
}

static int
s_arrived_fn (store_t *store, MDB_txn *txn, void *arg)
{
    s_test_t *test = (s_test_t *) arg;
    return remits_claim_arrived (&test->claims, txn, "P1");
}

//  The getters of part of a record (ledger_get_dims, ledger_get_light,
//  ledger_sealed_claim, ledger_mark_read) keep ledger_get's contract: a
//  claim that cannot be read is -1 naming the claim and the table, never
//  "no such claim". Taken for absent, claims.Post filed a remit for a
//  claim that is there as unmatched, claims.Acknowledge counted its
//  status unmatched and claims.Submit left the claim out of its file.
START_TEST (test_part_get_errors)
{
    s_test_t test;
    s_setup (&test);
    ClaimRecord *p1 = s_record ("P1", "submitted", 10000);
    s_put (&test, p1, "", NULL);
    codec_free (p1);
    MDB_txn *txn = store_read_begin (test.claims.store);
    ClaimRecord *record = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get_dims (&test.claims, txn, "NOPE", &record), MDB_NOTFOUND);
    ck_assert_ptr_null (record);
    record = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get_light (&test.claims, txn, "NOPE", true, &record), MDB_NOTFOUND);
    ck_assert_ptr_null (record);
    ledger_mark_t *mark = (ledger_mark_t *) 1;
    ck_assert_int_eq (ledger_mark_read (&test.claims, txn, "NOPE", &mark), MDB_NOTFOUND);
    ck_assert_ptr_null (mark);
    //  No claim data apart is a record without it, not an error.
    ck_assert_int_eq (ledger_get_light (&test.claims, txn, "P1", true, &record), 0);
    ck_assert_ptr_null (record->claim);
    const uint8_t *sealed = (const uint8_t *) 1;
    size_t size;
    ck_assert_int_eq (ledger_sealed_claim (&test.claims, txn, record, &sealed, &size), MDB_NOTFOUND);
    ck_assert_ptr_null (sealed);
    store_read_end (&txn);

    //  A read that fails (a transaction no longer usable): -1, the LMDB
    //  error and the table named.
    txn = store_read_begin (test.claims.store);
    mdb_txn_reset (txn);
    const char *error;
    ClaimRecord *got = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get_dims (&test.claims, txn, "P1", &got), -1);
    ck_assert_ptr_null (got);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "cannot be read from table claims"), "%s", error);
    store_fail (test.claims.store, "reset");
    got = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get_light (&test.claims, txn, "P1", false, &got), -1);
    ck_assert_ptr_null (got);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "cannot be read from table claims"), "%s", error);
    store_fail (test.claims.store, "reset");
    mark = (ledger_mark_t *) 1;
    ck_assert_int_eq (ledger_mark_read (&test.claims, txn, "P1", &mark), -1);
    ck_assert_ptr_null (mark);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "cannot be read from table claims"), "%s", error);
    sealed = (const uint8_t *) 1;
    ck_assert_int_eq (ledger_sealed_claim (&test.claims, txn, record, &sealed, &size), -1);
    ck_assert_ptr_null (sealed);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "cannot be read from table sealed_claims"),
                   "%s", error);
    mdb_txn_abort (txn);
    codec_free (record);

    //  Its sealed claim damaged: the lines of it cannot be had (a light
    //  read without them does not look).
    ck_assert_int_eq (store_write (test.claims.store, s_damage_fn, "sealed_claims"), 0);
    txn = store_read_begin (test.claims.store);
    got = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get_light (&test.claims, txn, "P1", true, &got), -1);
    ck_assert_ptr_null (got);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "sealed_claims") && strstr (error, "does not decode"),
                   "%s", error);
    ck_assert_int_eq (ledger_get_light (&test.claims, txn, "P1", false, &got), 0);
    codec_free (got);
    store_read_end (&txn);

    //  Its record damaged: every getter says it does not decode.
    ck_assert_int_eq (store_write (test.claims.store, s_damage_fn, "claims"), 0);
    txn = store_read_begin (test.claims.store);
    store_fail (test.claims.store, "reset");
    ck_assert_int_eq (ledger_get_dims (&test.claims, txn, "P1", &got), -1);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "table claims does not decode"), "%s", error);
    store_fail (test.claims.store, "reset");
    ck_assert_int_eq (ledger_get_light (&test.claims, txn, "P1", false, &got), -1);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "table claims does not decode"), "%s", error);
    store_fail (test.claims.store, "reset");
    ck_assert_int_eq (ledger_mark_read (&test.claims, txn, "P1", &mark), -1);
    ck_assert_ptr_null (mark);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "table claims does not decode"), "%s", error);
    store_read_end (&txn);

    //  A caller passes it on: a remit waiting for the claim (a consumer's
    //  batch, claims.entered) fails naming it, rather than being left
    //  as unmatched for a claim that is there.
    ck_assert_int_eq (store_write (test.claims.store, s_exception_fn, "P1"), 0);
    store_fail (test.claims.store, "reset");
    ck_assert_int_eq (store_write (test.claims.store, s_arrived_fn, &test), -1);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "table claims does not decode"), "%s", error);
    //  The exception itself damaged: the batch fails naming it, rather
    //  than skip it.
    ck_assert_int_eq (store_write (test.claims.store, s_damage_exception_fn, NULL), 0);
    ck_assert_int_eq (store_write (test.claims.store, s_arrived_fn, &test), -1);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "exception ACME1/T1/1") && strstr (error, "does not decode"), "%s", error);
    s_teardown (&test);
}
END_TEST

static int
s_delete_fn (store_t *store, MDB_txn *txn, void *arg)
{
    return store_del (store, txn, "exceptions", arg, strlen ((const char *) arg));
}

//  A reversal (CLP02 22) of the payment held on claim P1 from 835 T0,
//  waiting for the claim as exception ACME1/T1/1; with arg, the held
//  payment's own exception (ACME1/T0/P1/1) is stored damaged.
static int
s_held_reversal_fn (store_t *store, MDB_txn *txn, void *arg)
{
    RemitClaim reversal = REMIT_CLAIM__INIT;
    reversal.pcn = "P1";
    reversal.status_code = "22";
    reversal.charge_cents = -10000;
    reversal.paid_cents = -10000;
    reversal.occurrence = 1;
    RemitException waiting = REMIT_EXCEPTION__INIT;
    waiting.id = "ACME1/T1/1";
    waiting.trace = "T1";
    waiting.payer_id = "ACME1";
    waiting.payment_date = "20261201";
    waiting.kind = "unmatched";
    waiting.remit = &reversal;
    int rc = s_put_exception (store, txn, &waiting);
    if (rc == 0 && arg)
        rc = store_put (store, txn, "exceptions", "ACME1/T0/P1/1", 13, s_damaged, sizeof s_damaged);
    return rc;
}

//  The exception of a held payment that a reversal releases is dropped
//  with it; one that cannot be decoded fails the call naming it, rather
//  than being deleted unread (its PCN row left behind) or, unreadable,
//  taken for absent (left filed beside the reversal that settled it).
START_TEST (test_released_exception_errors)
{
    s_test_t test;
    s_setup (&test);
    ClaimRecord *p1 = s_record ("P1", "acknowledged", 10000);
    RemitClaim held_remit = REMIT_CLAIM__INIT;
    held_remit.pcn = "P1";
    held_remit.status_code = "1";
    held_remit.charge_cents = 10000;
    held_remit.paid_cents = 10000;
    held_remit.occurrence = 1;
    Posting held = POSTING__INIT;
    held.trace = "T0";
    held.payer_id = "ACME1";
    held.payment_date = "20261130";
    held.remit = &held_remit;
    Posting *unapplied [] = { &held };
    ClaimRecord *with_held = ledger_copy (&(ClaimRecord) { .base = p1->base, .pcn = p1->pcn,
        .status = p1->status, .dims = p1->dims, .charge_cents = p1->charge_cents,
        .date_of_service = p1->date_of_service, .n_unapplied = 1, .unapplied = unapplied });
    s_put (&test, with_held, "", NULL);
    codec_free (with_held);
    codec_free (p1);

    ck_assert_int_eq (store_write (test.claims.store, s_held_reversal_fn, "damaged"), 0);
    store_fail (test.claims.store, "reset");
    ck_assert_int_eq (store_write (test.claims.store, s_arrived_fn, &test), -1);
    const char *error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "exception ACME1/T0/P1/1") && strstr (error, "does not decode"), "%s", error);
    //  Nothing applied: the reversal still waits, the payment still held.
    MDB_txn *txn = store_read_begin (test.claims.store);
    MDB_val value;
    ck_assert_int_eq (store_get (test.claims.store, txn, "exceptions", "ACME1/T1/1", 10, &value), 0);
    ClaimRecord *record = NULL;
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P1", &record), 0);
    ck_assert_uint_eq (record->n_unapplied, 1);
    codec_free (record);
    store_read_end (&txn);

    //  Its exception readable (here: gone), the reversal releases the
    //  held payment and is itself settled.
    ck_assert_int_eq (store_write (test.claims.store, s_held_reversal_fn, NULL), 0);
    ck_assert_int_eq (store_write (test.claims.store, s_delete_fn, "ACME1/T0/P1/1"), 0);
    ck_assert_int_eq (store_write (test.claims.store, s_arrived_fn, &test), 0);
    txn = store_read_begin (test.claims.store);
    ck_assert_int_eq (store_get (test.claims.store, txn, "exceptions", "ACME1/T1/1", 10, &value), MDB_NOTFOUND);
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P1", &record), 0);
    ck_assert_uint_eq (record->n_unapplied, 0);
    codec_free (record);
    store_read_end (&txn);
    s_teardown (&test);
}
END_TEST

START_TEST (test_emit)
{
    s_test_t test;
    s_setup (&test);
    static const struct {
        const char *pcn;
        int64_t charge, paid, patient, contractual, denied;
    } s_claims [] = {
        { "E1", 10000, 7000, 1000, 2000,    0 },
        { "E2",  5000,    0,    0,    0, 5000 },
        { "E3",   123,  100,   23,    0,    0 },
    };
    int64_t sum_charge = 0, sum_paid = 0, sum_patient = 0, sum_contractual = 0, sum_denied = 0;
    for (size_t i = 0; i < 3; i++) {
        ClaimRecord *record = s_record (s_claims [i].pcn, "paid", s_claims [i].charge);
        record->paid_cents = s_claims [i].paid;
        record->patient_responsibility_cents = s_claims [i].patient;
        record->contractual_cents = s_claims [i].contractual;
        record->denied_cents = s_claims [i].denied;
        s_put (&test, record, "", "adjudicated");
        codec_free (record);
        sum_charge += s_claims [i].charge;
        sum_paid += s_claims [i].paid;
        sum_patient += s_claims [i].patient;
        sum_contractual += s_claims [i].contractual;
        sum_denied += s_claims [i].denied;
    }
    ck_assert_uint_eq (outbox_depth (test.claims.outbox), 3);
    int64_t got_charge = 0, got_paid = 0, got_patient = 0, got_contractual = 0, got_denied = 0;
    MDB_txn *txn = store_read_begin (test.claims.store);
    for (uint64_t seq = 1; seq <= 3; seq++) {
        uint8_t key [8];
        store_u64_write (key, seq);
        MDB_val value;
        ck_assert_int_eq (store_get (test.claims.store, txn, "outbox", key, 8, &value), 0);
        Event *event = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
        ck_assert_ptr_nonnull (event);
        ck_assert_str_eq (event->stream, "claims");
        ck_assert_str_eq (event->type, "adjudicated");
        ck_assert_str_eq (event->key, s_claims [seq - 1].pcn);
        ClaimEvent *claim = (ClaimEvent *) codec_decode (&claim_event__descriptor,
                                                         event->payload.data, event->payload.len);
        ck_assert_ptr_nonnull (claim);
        ck_assert_str_eq (claim->pcn, s_claims [seq - 1].pcn);
        ck_assert_str_eq (claim->to_status, "paid");
        ck_assert_str_eq (claim->dims->payer_id, "ACME1");
        ck_assert_str_eq (claim->date_of_service, "20261101");
        ck_assert_uint_gt (claim->time_ms, 0);
        got_charge += claim->charge_cents;
        got_paid += claim->paid_cents;
        got_patient += claim->patient_responsibility_cents;
        got_contractual += claim->contractual_cents;
        got_denied += claim->denied_cents;
        codec_free (claim);
        codec_free (event);
    }
    store_read_end (&txn);
    ck_assert_int_eq (got_charge, sum_charge);
    ck_assert_int_eq (got_paid, sum_paid);
    ck_assert_int_eq (got_patient, sum_patient);
    ck_assert_int_eq (got_contractual, sum_contractual);
    ck_assert_int_eq (got_denied, sum_denied);
    s_teardown (&test);
}
END_TEST

//  ledger_copy owns its memory: a field replaced in the copy leaves the
//  original as it was.
START_TEST (test_copy_and_set_text)
{
    ClaimRecord *record = s_record ("C1", "ready", 1);
    ClaimRecord *copy = ledger_copy (record);
    codec_set_text (&copy->status, "submitted");
    codec_set_text (&copy->dims->queue, "q-other");
    codec_set_text (&copy->assignee, NULL);
    ck_assert_str_eq (record->status, "ready");
    ck_assert_str_eq (record->dims->queue, "q-acme");
    ck_assert_str_eq (copy->status, "submitted");
    ck_assert_str_eq (copy->assignee, "");
    codec_free (copy);
    codec_free (record);
}
END_TEST

START_TEST (test_patient_fields_never_stored)
{
    s_test_t test;
    s_setup (&test);
    ClaimRecord *record = s_record ("P1", "ready", 10000);
    codec_set_text (&record->patient_name, "SMITH, ANN Q");
    codec_set_text (&record->patient_dob, "19570304");
    codec_set_text (&record->member_id, "XQZ123456789");
    codec_set_text (&record->patient_address, "123 MAIN ST, SPRINGFIELD, IL 62701");
    s_put (&test, record, "", NULL);
    //  The caller's record is left as it was.
    ck_assert_str_eq (record->member_id, "XQZ123456789");
    ClaimRecord *stored = s_get (&test, "P1");
    ck_assert_ptr_nonnull (stored);
    ck_assert_str_eq (stored->patient_name, "");
    ck_assert_str_eq (stored->patient_dob, "");
    ck_assert_str_eq (stored->member_id, "");
    ck_assert_str_eq (stored->patient_address, "");
    ck_assert_int_eq (stored->charge_cents, 10000);
    //  Nor anywhere in the stored bytes.
    MDB_txn *txn = store_read_begin (test.claims.store);
    MDB_val value;
    uint8_t bytes [LEDGER_KEY_MAX];
    MDB_val key = s_key (&test, txn, "P1", bytes);
    ck_assert_int_eq (store_get (test.claims.store, txn, "claims", key.mv_data, key.mv_size, &value), 0);
    const char *plain [] = { "SMITH", "19570304", "XQZ123456789", "MAIN ST", NULL };
    for (size_t i = 0; plain [i]; i++)
        ck_assert_msg (!memmem (value.mv_data, value.mv_size, plain [i], strlen (plain [i])),
                       "'%s' stored in the clear", plain [i]);
    store_read_end (&txn);
    codec_free (stored);
    codec_free (record);
    s_teardown (&test);
}
END_TEST

static int
s_put_queue (store_t *store, MDB_txn *txn, void *arg)
{
    Queue queue = QUEUE__INIT;
    queue.id = "q-acme";
    queue.follow_up_days = 45;
    return store_put_message (store, txn, "queues", queue.id, &queue);
}

START_TEST (test_follow_up_days)
{
    //  The payer's setting, else the queue's --follow-up-days, else
    //  claims/follow-up-days; a malformed payer setting is named, not
    //  taken.
    s_test_t test;
    s_setup (&test);
    ClaimRecord *record = s_record ("P1", "submitted", 10000);      //  payer ACME1, queue q-acme
    int days;
    char source [384];
    MDB_txn *txn = store_read_begin (test.claims.store);
    ck_assert_int_eq (ledger_follow_up_days (&test.claims, txn, record, &days, source, sizeof source), 0);
    ck_assert_int_eq (days, 30);
    ck_assert_str_eq (source, "claims/follow-up-days");
    test.claims.follow_up_days = 21;
    ck_assert_int_eq (ledger_follow_up_days (&test.claims, txn, record, &days, source, sizeof source), 0);
    ck_assert_int_eq (days, 21);
    store_read_end (&txn);

    //  The queue claims keeps from the queue stream names 45.
    ck_assert_int_eq (store_write (test.claims.store, s_put_queue, NULL), 0);
    txn = store_read_begin (test.claims.store);
    ck_assert_int_eq (ledger_follow_up_days (&test.claims, txn, record, &days, source, sizeof source), 0);
    ck_assert_int_eq (days, 45);
    ck_assert_str_eq (source, "queue q-acme --follow-up-days");

    config_set (test.claims.config, "claims/follow-up-days/ACME1", "60");
    ck_assert_int_eq (ledger_follow_up_days (&test.claims, txn, record, &days, source, sizeof source), 0);
    ck_assert_int_eq (days, 60);
    ck_assert_str_eq (source, "claims/follow-up-days/ACME1");

    config_set (test.claims.config, "claims/follow-up-days/ACME1", "6O");
    ck_assert_int_eq (ledger_follow_up_days (&test.claims, txn, record, &days, source, sizeof source), 0);
    ck_assert_int_eq (days, 45);
    ck_assert_msg (strstr (source, "queue q-acme") && strstr (source, "claims/follow-up-days/ACME1 = '6O'"),
                   "%s", source);
    store_read_end (&txn);
    codec_free (record);
    s_teardown (&test);
}
END_TEST

//  Every row of a table, key and value, as one buffer (sizes before each):
//  two equal dumps are the same table, byte for byte.
static uint8_t *
s_dump (s_test_t *test, const char *table, size_t *size, size_t *rows)
{
    MDB_txn *txn = store_read_begin (test->claims.store);
    store_iter_t *iter = store_iter_new (test->claims.store, txn, table, NULL, 0);
    MDB_val key, value;
    uint8_t *dump = NULL;
    *size = *rows = 0;
    while (store_iter_next (iter, &key, &value)) {
        dump = (uint8_t *) realloc (dump, *size + 2 * sizeof (size_t) + key.mv_size + value.mv_size);
        memcpy (dump + *size, &key.mv_size, sizeof (size_t));
        memcpy (dump + *size + sizeof (size_t), key.mv_data, key.mv_size);
        *size += sizeof (size_t) + key.mv_size;
        memcpy (dump + *size, &value.mv_size, sizeof (size_t));
        memcpy (dump + *size + sizeof (size_t), value.mv_data, value.mv_size);
        *size += sizeof (size_t) + value.mv_size;
        (*rows)++;
    }
    ck_assert_int_eq (store_iter_error (iter), 0);
    store_iter_destroy (&iter);
    store_read_end (&txn);
    return dump;
}

//  The PCNs of a table's rows in its key order, " "-joined: for "claims"
//  the PCN after the key's first 0, for "claim_keys" the key itself.
static char *
s_order (s_test_t *test, const char *table)
{
    MDB_txn *txn = store_read_begin (test->claims.store);
    store_iter_t *iter = store_iter_new (test->claims.store, txn, table, NULL, 0);
    MDB_val key, value;
    char *order = strdup ("");
    while (store_iter_next (iter, &key, &value)) {
        const char *at = (const char *) key.mv_data;
        size_t size = key.mv_size;
        if (streq (table, "claims")) {
            const char *zero = (const char *) memchr (at, 0, size);
            ck_assert_ptr_nonnull (zero);
            size -= (size_t) (zero + 1 - at);
            at = zero + 1;
        }
        char *more = zsys_sprintf ("%s%s%.*s", order, *order? " ": "", (int) size, at);
        free (order);
        order = more;
    }
    store_iter_destroy (&iter);
    store_read_end (&txn);
    return order;
}

//  Six claims of three payers entered in PCN order, payers mixed.
static const char *const s_keyed [][2] = {
    { "P1", "CIGNA" }, { "P2", "AETNA" }, { "P3", "UHC" }, { "P4", "AETNA" }, { "P5", "CIGNA" }, { "P6", "UHC" }
};

//  ADR 82: a claim's record is keyed payer ‖ 0 ‖ PCN as it first entered,
//  through claim_keys; a corrected payer leaves the key; every getter
//  reads through it; claim_keys stays in PCN order.
START_TEST (test_key_layout)
{
    s_test_t test;
    s_setup (&test);
    for (size_t i = 0; i < 6; i++) {
        ClaimRecord *record = s_record (s_keyed [i][0], "ready", 1000 * (int64_t) (i + 1));
        codec_set_text (&record->dims->payer_id, s_keyed [i][1]);
        s_put (&test, record, "", NULL);
        codec_free (record);
    }
    char *order = s_order (&test, "claims");
    ck_assert_str_eq (order, "P2 P4 P1 P5 P3 P6");        //  AETNA, CIGNA, UHC
    free (order);
    order = s_order (&test, LEDGER_KEYS_TABLE);
    ck_assert_str_eq (order, "P1 P2 P3 P4 P5 P6");
    free (order);
    MDB_txn *txn = store_read_begin (test.claims.store);
    uint8_t bytes [LEDGER_KEY_MAX];
    MDB_val key = s_key (&test, txn, "P2", bytes);
    ck_assert_uint_eq (key.mv_size, 8);
    ck_assert_mem_eq (key.mv_data, "AETNA\0P2", 8);
    size_t size;
    ck_assert_int_eq (ledger_key (test.claims.store, txn, "P9", bytes, &size), MDB_NOTFOUND);
    store_read_end (&txn);

    //  A corrected payer: the record says UHC, its key still AETNA.
    ClaimRecord *p2 = s_get (&test, "P2");
    codec_set_text (&p2->dims->payer_id, "UHC");
    codec_set_text (&p2->status, "submitted");
    s_put (&test, p2, "ready", NULL);
    codec_free (p2);
    txn = store_read_begin (test.claims.store);
    key = s_key (&test, txn, "P2", bytes);
    ck_assert_mem_eq (key.mv_data, "AETNA\0P2", 8);
    store_read_end (&txn);
    p2 = s_get (&test, "P2");
    ck_assert_str_eq (p2->dims->payer_id, "UHC");
    ck_assert_str_eq (p2->status, "submitted");
    codec_free (p2);
    size_t rows;
    free (s_dump (&test, "claims", &size, &rows));
    ck_assert_uint_eq (rows, 6);                           //  moved nowhere, written once

    //  A PCN no key can hold (LMDB's 511 bytes) is refused, not cut.
    char *long_pcn = (char *) malloc (LEDGER_KEY_MAX + 1);
    memset (long_pcn, 'L', LEDGER_KEY_MAX);
    long_pcn [LEDGER_KEY_MAX] = 0;
    ClaimRecord *too_long = s_record (long_pcn, "ready", 1000);
    s_put_t put = { &test.claims, too_long, "", NULL };
    ck_assert_int_eq (store_write (test.claims.store, s_put_fn, &put), -1);
    ck_assert_msg (strstr (store_error (test.claims.store), "too long for a key"), "%s",
                   store_error (test.claims.store));
    //  505 bytes (the most by_status's "ready" ‖ 0 ‖ PCN holds): a payer
    //  of 16 is cut to the 5 bytes left.
    long_pcn [LEDGER_KEY_MAX - 1 - 5] = 0;
    codec_set_text (&too_long->pcn, long_pcn);
    codec_set_text (&too_long->dims->payer_id, "ACME1-LONG-PAYER");
    s_put (&test, too_long, "", NULL);
    txn = store_read_begin (test.claims.store);
    ck_assert_int_eq (ledger_key (test.claims.store, txn, long_pcn, bytes, &size), 0);
    ck_assert_uint_eq (size, LEDGER_KEY_MAX);
    ck_assert_mem_eq (bytes, "ACME1\0", 6);
    store_read_end (&txn);
    codec_free (too_long);
    free (long_pcn);

    //  A claim never entered has no key, and no record.
    txn = store_read_begin (test.claims.store);
    ClaimRecord *none = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P7", &none), MDB_NOTFOUND);
    ck_assert_ptr_null (none);
    store_read_end (&txn);
    s_teardown (&test);
}
END_TEST

static int
s_bad_key_fn (store_t *store, MDB_txn *txn, void *arg)
{
    (void) arg;
    return store_put (store, txn, LEDGER_KEYS_TABLE, "P1", 2, "AETNA\0P9", 8);
}

static int
s_lost_record_fn (store_t *store, MDB_txn *txn, void *arg)
{
    (void) arg;
    return store_del (store, txn, "claims", "ACME1\0P1", 8);
}

//  A key table row that names another PCN, or no record, is an error that
//  names the claim, never "no such claim".
START_TEST (test_key_damage)
{
    s_test_t test;
    s_setup (&test);
    ClaimRecord *p1 = s_record ("P1", "ready", 10000);
    s_put (&test, p1, "", NULL);
    codec_free (p1);
    ck_assert_int_eq (store_write (test.claims.store, s_lost_record_fn, NULL), 0);
    MDB_txn *txn = store_read_begin (test.claims.store);
    ClaimRecord *record = (ClaimRecord *) 1;
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P1", &record), -1);
    ck_assert_ptr_null (record);
    const char *error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "no record"), "%s", error);
    store_read_end (&txn);
    ck_assert_int_eq (store_write (test.claims.store, s_bad_key_fn, NULL), 0);
    txn = store_read_begin (test.claims.store);
    ck_assert_int_eq (ledger_get (&test.claims, txn, "P1", &record), -1);
    error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "claim P1") && strstr (error, "claim_keys"), "%s", error);
    store_read_end (&txn);
    s_teardown (&test);
}
END_TEST

static int
s_migrate_fn (store_t *store, MDB_txn *txn, void *arg)
{
    (void) arg;
    return ledger_key_claims (store, txn);
}

static int
s_damage_v3_fn (store_t *store, MDB_txn *txn, void *arg)
{
    return store_put (store, txn, "claims", (const char *) arg, strlen ((const char *) arg), s_damaged,
                      sizeof s_damaged);
}

//  The migration 3 -> 4 (ADR 82): every record of a layout-3 table (by
//  PCN) moved under its key as the bytes it was, readable by PCN, in PCN
//  order through claim_keys; a record that does not decode fails it by
//  name, nothing written.
START_TEST (test_key_migration)
{
    s_test_t test;
    s_setup (&test);
    //  Layout 3: each record under its PCN, its sealed claim apart.
    uint8_t *v3 [6];
    size_t v3_size [6];
    for (size_t i = 0; i < 6; i++) {
        ClaimRecord *record = s_record (s_keyed [i][0], i % 2? "submitted": "ready", 1000 * (int64_t) (i + 1));
        codec_set_text (&record->dims->payer_id, s_keyed [i][1]);
        codec_append (&record->notes, &record->n_notes, s_note ("kept"));
        ck_assert_int_eq (store_write (test.claims.store, s_put_v3_fn, record), 0);
        v3 [i] = codec_pack (record, &v3_size [i]);
        codec_free (record);
    }
    size_t size, rows;
    uint8_t *before = s_dump (&test, "claims", &size, &rows);
    ck_assert_uint_eq (rows, 6);

    //  A damaged record (P4): refused by name, the tables as they were.
    ck_assert_int_eq (store_write (test.claims.store, s_damage_v3_fn, "P4"), 0);
    size_t damaged_size;
    uint8_t *damaged = s_dump (&test, "claims", &damaged_size, &rows);
    store_fail (test.claims.store, "reset");
    ck_assert_int_eq (store_write (test.claims.store, s_migrate_fn, NULL), -1);
    const char *error = store_error (test.claims.store);
    ck_assert_msg (strstr (error, "P4") && strstr (error, "does not decode"), "%s", error);
    size_t after_size;
    uint8_t *after = s_dump (&test, "claims", &after_size, &rows);
    ck_assert_uint_eq (after_size, damaged_size);
    ck_assert_mem_eq (after, damaged, damaged_size);
    free (after);
    free (s_dump (&test, LEDGER_KEYS_TABLE, &after_size, &rows));
    ck_assert_uint_eq (rows, 0);
    free (damaged);

    //  Mended, it migrates: each record by PCN, byte for byte.
    ClaimRecord *p4 = s_record ("P4", "submitted", 4000);
    codec_set_text (&p4->dims->payer_id, "AETNA");
    codec_append (&p4->notes, &p4->n_notes, s_note ("kept"));
    ck_assert_int_eq (store_write (test.claims.store, s_put_v3_fn, p4), 0);
    codec_free (p4);
    after = s_dump (&test, "claims", &after_size, &rows);
    ck_assert_uint_eq (after_size, size);
    ck_assert_mem_eq (after, before, size);
    free (after);
    ck_assert_int_eq (store_write (test.claims.store, s_migrate_fn, NULL), 0);
    MDB_txn *txn = store_read_begin (test.claims.store);
    for (size_t i = 0; i < 6; i++) {
        MDB_val value;
        ck_assert_int_eq (ledger_get_bytes (&test.claims, txn, s_keyed [i][0], &value), 0);
        ck_assert_uint_eq (value.mv_size, v3_size [i]);
        ck_assert_mem_eq (value.mv_data, v3 [i], v3_size [i]);
        ClaimRecord *record;
        ck_assert_int_eq (ledger_get (&test.claims, txn, s_keyed [i][0], &record), 0);
        ck_assert_str_eq (record->pcn, s_keyed [i][0]);
        ck_assert_str_eq (record->notes [0]->text, "kept");
        codec_free (record);
        free (v3 [i]);
    }
    store_read_end (&txn);
    free (s_dump (&test, "claims", &after_size, &rows));
    ck_assert_uint_eq (rows, 6);                           //  no record left under its PCN
    char *order = s_order (&test, "claims");
    ck_assert_str_eq (order, "P2 P4 P1 P5 P3 P6");
    free (order);
    order = s_order (&test, LEDGER_KEYS_TABLE);
    ck_assert_str_eq (order, "P1 P2 P3 P4 P5 P6");
    free (order);
    free (before);
    s_teardown (&test);
}
END_TEST

Suite *
ledger_suite (void)
{
    Suite *suite = suite_create ("ledger");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_put_get_index);
    tcase_add_test (tc, test_get_dims);
    tcase_add_test (tc, test_get_light);
    tcase_add_test (tc, test_claim_apart);
    tcase_add_test (tc, test_key_layout);
    tcase_add_test (tc, test_key_damage);
    tcase_add_test (tc, test_key_migration);
    tcase_add_test (tc, test_get_errors);
    tcase_add_test (tc, test_part_get_errors);
    tcase_add_test (tc, test_released_exception_errors);
    tcase_add_test (tc, test_emit);
    tcase_add_test (tc, test_copy_and_set_text);
    tcase_add_test (tc, test_follow_up_days);
    tcase_add_test (tc, test_patient_fields_never_stored);
    suite_add_tcase (suite, tc);
    return suite;
}
