/*  test_ledger_mark: claims.Submit's mark written from the record's bytes
    (services/claims/ledger_mark.c) against the decode-and-pack path it
    replaces (ledger_get_light, lifecycle_move, ledger_put, ledger_emit).

    For records of every shape a submit meets — a claim as intake's event
    wrote it, one written light before (its held fields after the others),
    a resubmission with postings, denials, a payer claim number, an old
    submission and a last history entry dated after the mark, negative
    amounts, no dims — each path runs in a transaction of its own, which is
    then aborted, and the stored record, its status index and the
    claims.submitted payload must be the same bytes.
*/
#include "suites.h"
#include "claims_fixture.h"
#include "ledger.h"
#include "ledger_mark.h"
#include "lifecycle.h"
#include "codec.h"

#include <czmq.h>

#define MARK_NOW 1793000000000ULL
#define MARK_FILE "837P-ACME1-20261102-000000007.x12"

typedef struct {
    claims_t *claims;
    const char *pcn;
    const char *to;
    bool by_bytes;              //  ledger_mark, else the decode-and-pack path
    uint8_t *record;            //  what the path stored, copied
    size_t record_size;
    uint8_t *payload;           //  its event's ClaimEvent
    size_t payload_size;
    bool indexed;               //  the status index holds to ‖ pcn
    bool light;                 //  the mark took the decode-and-pack path itself
} s_run_t;

static uint8_t *
s_copy_bytes (const void *data, size_t size)
{
    uint8_t *copy = (uint8_t *) malloc (size? size: 1);
    memcpy (copy, data, size);
    return copy;
}

//  The mark by one path, its results copied out, then aborted (-1).
static int
s_run_fn (store_t *store, MDB_txn *txn, void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    claims_t *self = run->claims;
    const char *actor = "svc-submit", *reason = "sent in " MARK_FILE;
    int rc;
    if (run->by_bytes) {
        ledger_mark_t *mark;
        ck_assert_int_eq (ledger_mark_read (self, txn, run->pcn, &mark), 0);
        ck_assert_ptr_nonnull (mark);
        const ClaimRecord *head = ledger_mark_record (mark);
        ck_assert_str_eq (head->pcn, run->pcn);
        run->light = head->n_history > 0;   //  only the whole light record decodes its history
        rc = ledger_mark_submitted (self, txn, mark, run->to, actor, reason, MARK_FILE, MARK_NOW);
        ledger_mark_destroy (&mark);
    }
    else {
        //  As claims.Submit's s_mark_sent did before ledger_mark.
        ClaimRecord *record;
        ck_assert_int_eq (ledger_get_light (self, txn, run->pcn, false, &record), 0);
        char old_status [32], error [256];
        snprintf (old_status, sizeof old_status, "%s", record->status);
        ck_assert_int_eq (lifecycle_move (record, run->to, actor, reason, MARK_NOW, error, sizeof error), 0);
        codec_set_text (&record->submission_file, MARK_FILE);
        record->submitted_ms = MARK_NOW;
        ClaimEvent event = CLAIM_EVENT__INIT;
        event.from_status = old_status;
        event.actor = (char *) actor;
        event.reason = (char *) reason;
        event.submission_file = MARK_FILE;
        event.time_ms = MARK_NOW;
        rc = ledger_put (self, txn, record, old_status);
        if (rc == 0)
            rc = ledger_emit (self, txn, "submitted", record, &event);
        codec_free (record);
    }
    ck_assert_int_eq (rc, 0);
    MDB_val value;
    ck_assert_int_eq (ledger_get_bytes (self, txn, run->pcn, &value), 0);
    run->record = s_copy_bytes (value.mv_data, value.mv_size);
    run->record_size = value.mv_size;
    size_t key_size;
    char *key = store_key_pair (run->to, run->pcn, &key_size);
    run->indexed = store_get (store, txn, "by_status", key, key_size, &value) == 0;
    free (key);
    //  The last outbox entry: the claims.submitted event.
    MDB_cursor *cursor;
    MDB_val seq;
    ck_assert_int_eq (mdb_cursor_open (txn, store_table (store, "outbox"), &cursor), 0);
    ck_assert_int_eq (mdb_cursor_get (cursor, &seq, &value, MDB_LAST), 0);
    mdb_cursor_close (cursor);
    Event *event = (Event *) codec_decode (&event__descriptor, value.mv_data, value.mv_size);
    ck_assert_ptr_nonnull (event);
    ck_assert_str_eq (event->type, "submitted");
    ck_assert_str_eq (event->key, run->pcn);
    run->payload = s_copy_bytes (event->payload.data, event->payload.len);
    run->payload_size = event->payload.len;
    codec_free (event);
    return -1;
}

//  Both paths on pcn's stored record: the same bytes everywhere. Returns
//  whether the mark took the bytes path.
static bool
s_assert_same (claims_fixture_t *test, const char *pcn, const char *to)
{
    s_run_t old = { .claims = &test->claims, .pcn = pcn, .to = to, .by_bytes = false };
    s_run_t now = { .claims = &test->claims, .pcn = pcn, .to = to, .by_bytes = true };
    ck_assert_int_ne (store_write (test->claims.store, s_run_fn, &old), 0);
    ck_assert_int_ne (store_write (test->claims.store, s_run_fn, &now), 0);
    ck_assert_uint_eq (now.record_size, old.record_size);
    ck_assert_mem_eq (now.record, old.record, old.record_size);
    ck_assert_uint_eq (now.payload_size, old.payload_size);
    ck_assert_mem_eq (now.payload, old.payload, old.payload_size);
    ck_assert (old.indexed && now.indexed);
    //  And the record reads back as the move made it.
    ClaimRecord *back = (ClaimRecord *) codec_decode (&claim_record__descriptor, now.record, now.record_size);
    ck_assert_ptr_nonnull (back);
    ck_assert_str_eq (back->status, to);
    ck_assert_str_eq (back->submission_file, MARK_FILE);
    ck_assert_uint_eq (back->submitted_ms, MARK_NOW);
    ck_assert_str_eq (back->history [back->n_history - 1]->to_status, to);
    codec_free (back);
    free (old.record);
    free (old.payload);
    free (now.record);
    free (now.payload);
    return !now.light;
}

static int
s_put_fn (store_t *store, MDB_txn *txn, void *arg)
{
    claims_fixture_t *test = (claims_fixture_t *) ((void **) arg) [0];
    ClaimRecord *record = (ClaimRecord *) ((void **) arg) [1];
    return ledger_put (&test->claims, txn, record, "");
}

static void
s_put (claims_fixture_t *test, ClaimRecord *record)
{
    void *args [2] = { test, record };
    ck_assert_int_eq (store_write (test->claims.store, s_put_fn, args), 0);
}

//  A record as a light step (an ack, a post) rewrites it: its held fields
//  after the others.
static int
s_relight_fn (store_t *store, MDB_txn *txn, void *arg)
{
    claims_fixture_t *test = (claims_fixture_t *) ((void **) arg) [0];
    const char *pcn = (const char *) ((void **) arg) [1];
    ClaimRecord *record;
    ck_assert_int_eq (ledger_get_light (&test->claims, txn, pcn, false, &record), 0);
    int rc = ledger_put (&test->claims, txn, record, record->status);
    codec_free (record);
    return rc;
}

static void
s_history (ClaimRecord *record, uint64_t time_ms, const char *from, const char *to)
{
    HistoryEntry *entry = (HistoryEntry *) malloc (sizeof (HistoryEntry));
    history_entry__init (entry);
    entry->time_ms = time_ms;
    codec_set_text (&entry->actor, "rcmq-intake");
    codec_set_text (&entry->from_status, from);
    codec_set_text (&entry->to_status, to);
    codec_set_text (&entry->reason, "because");
    codec_append (&record->history, &record->n_history, entry);
}

//  A claim as intake's event enters it: dims, money, a history, notes,
//  scrub warnings, an edit.
static ClaimRecord *
s_ready (const char *pcn, const char *status)
{
    ClaimRecord *record = (ClaimRecord *) malloc (sizeof (ClaimRecord));
    claim_record__init (record);
    codec_set_text (&record->pcn, pcn);
    codec_set_text (&record->claim_id, "claim-7");
    codec_set_text (&record->status, status);
    record->dims = (ClaimDimensions *) malloc (sizeof (ClaimDimensions));
    claim_dimensions__init (record->dims);
    codec_set_text (&record->dims->payer_id, "ACME1");
    codec_set_text (&record->dims->queue, "q-acme");
    codec_set_text (&record->dims->phase, "internal");
    record->charge_cents = 12345;
    codec_set_text (&record->date_of_service, "20261101");
    codec_set_text (&record->frequency_code, "1");
    record->received_ms = MARK_NOW - 5000;
    s_history (record, MARK_NOW - 5000, "", "ready");
    Note *note = (Note *) malloc (sizeof (Note));
    note__init (note);
    note->time_ms = MARK_NOW - 4000;
    codec_set_text (&note->text, "called the payer");
    codec_append (&record->notes, &record->n_notes, note);
    ScrubFinding *warning = (ScrubFinding *) malloc (sizeof (ScrubFinding));
    scrub_finding__init (warning);
    codec_set_text (&warning->rule_id, "DEN001");
    codec_set_text (&warning->message, "the payer keeps denying 99215");
    codec_append (&record->scrub_warnings, &record->n_scrub_warnings, warning);
    ClaimEdit *edit = (ClaimEdit *) malloc (sizeof (ClaimEdit));
    claim_edit__init (edit);
    codec_set_text (&edit->reason, "wrong modifier");
    codec_append (&record->edits, &record->n_edits, edit);
    return record;
}

START_TEST (test_mark_bytes_as_packed)
{
    claims_fixture_t test;
    claims_fixture_setup (&test, "ledger_mark");

    //  As intake's event wrote it.
    ClaimRecord *r1 = s_ready ("M1", "ready");
    s_put (&test, r1);
    ck_assert (s_assert_same (&test, "M1", "submitted"));

    //  Rewritten light before: its held fields after the others.
    ClaimRecord *r2 = s_ready ("M2", "ready");
    s_put (&test, r2);
    void *relight [2] = { &test, "M2" };
    ck_assert_int_eq (store_write (test.claims.store, s_relight_fn, relight), 0);
    ck_assert (s_assert_same (&test, "M2", "submitted"));

    //  A corrected claim sent again: adjudicated before (postings,
    //  adjustments, denials, first adjudication), a payer claim number, an
    //  old submission replaced, its last entry dated after the mark (the
    //  new one takes that date), negative amounts.
    ClaimRecord *r3 = s_ready ("M3-LONG-PCN-0123456789-0123456789", "corrected");
    codec_set_text (&r3->payer_claim_number, "PAYER-CN-9");
    codec_set_text (&r3->submission_file, "837P-ACME1-20261001-000000001.x12");
    r3->submitted_ms = MARK_NOW - 86400000;
    r3->paid_cents = -2500;
    r3->denied_cents = 700;
    r3->contractual_cents = 300;
    codec_set_text (&r3->first_adjudication, "denied");
    r3->first_adjudicated_ms = MARK_NOW - 3600000;
    s_history (r3, MARK_NOW - 3600000, "submitted", "denied");
    s_history (r3, MARK_NOW + 60000, "denied", "corrected");
    Adjustment *adjustment = (Adjustment *) malloc (sizeof (Adjustment));
    adjustment__init (adjustment);
    codec_set_text (&adjustment->group, "CO");
    codec_set_text (&adjustment->carc, "45");
    adjustment->amount_cents = -300;
    codec_append (&r3->adjustments, &r3->n_adjustments, adjustment);
    for (int i = 0; i < 2; i++) {
        Posting *posting = (Posting *) malloc (sizeof (Posting));
        posting__init (posting);
        codec_set_text (&posting->trace, i? "T2": "T1");
        posting->reversal = i == 1;
        codec_append (&r3->postings, &r3->n_postings, posting);
    }
    DenialReason *denial = (DenialReason *) malloc (sizeof (DenialReason));
    denial_reason__init (denial);
    codec_set_text (&denial->carc, "16");
    codec_append (&r3->denials, &r3->n_denials, denial);
    s_put (&test, r3);
    ck_assert (s_assert_same (&test, r3->pcn, "submitted"));

    //  No dims, no claim id, nothing held: a void sent (voided → closed).
    ClaimRecord *r4 = (ClaimRecord *) malloc (sizeof (ClaimRecord));
    claim_record__init (r4);
    codec_set_text (&r4->pcn, "M4");
    codec_set_text (&r4->status, "voided");
    s_put (&test, r4);
    ck_assert (s_assert_same (&test, "M4", "closed"));

    codec_free (r1);
    codec_free (r2);
    codec_free (r3);
    codec_free (r4);
    claims_fixture_teardown (&test);
}
END_TEST

//  Bytes protobuf-c would not write (fields out of order) are taken the
//  other way: the record still moves, the same as the old path moves it.
static int
s_put_raw_fn (store_t *store, MDB_txn *txn, void *arg)
{
    ClaimRecord *record = (ClaimRecord *) arg;
    size_t size;
    uint8_t *packed = codec_pack (record, &size);
    //  The status (3) moved after the charge (5): the same record, read.
    const uint8_t *at = packed, *end = packed + size;
    uint8_t *shuffled = (uint8_t *) malloc (size);
    size_t length = 0, status_size = 0;
    const uint8_t *status = NULL;
    codec_wire_field_t field;
    while (at < end && codec_wire_next (&at, end, &field)) {
        if (field.number == 3) {
            status = field.start;
            status_size = (size_t) (field.end - field.start);
            continue;
        }
        memcpy (shuffled + length, field.start, (size_t) (field.end - field.start));
        length += (size_t) (field.end - field.start);
        if (field.number == 5) {
            memcpy (shuffled + length, status, status_size);
            length += status_size;
        }
    }
    ck_assert_uint_eq (length, size);
    //  Under its key (ADR 82), made from its payer as a first put makes it.
    uint8_t claim_key [LEDGER_KEY_MAX];
    size_t claim_key_size;
    int rc = ledger_key_for (store, txn, record, claim_key, &claim_key_size);
    if (rc == 0)
        rc = store_put (store, txn, "claims", claim_key, claim_key_size, shuffled, size);
    size_t key_size;
    char *key = store_key_pair (record->status, record->pcn, &key_size);
    if (rc == 0)
        rc = store_put (store, txn, "by_status", key, key_size, "", 0);
    free (key);
    free (packed);
    free (shuffled);
    return rc;
}

START_TEST (test_mark_other_bytes)
{
    claims_fixture_t test;
    claims_fixture_setup (&test, "ledger_mark");
    ClaimRecord *record = s_ready ("M5", "ready");
    ck_assert_int_eq (store_write (test.claims.store, s_put_raw_fn, record), 0);
    ck_assert (!s_assert_same (&test, "M5", "submitted"));
    codec_free (record);
    claims_fixture_teardown (&test);
}
END_TEST

Suite *
ledger_mark_suite (void)
{
    Suite *suite = suite_create ("ledger_mark");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_mark_bytes_as_packed);
    tcase_add_test (tc, test_mark_other_bytes);
    suite_add_tcase (suite, tc);
    return suite;
}
