/*  test_apply: intake's claim_accepted applied to the claims ledger
    (services/claims/apply.c).

    claims reads the payload as a ClaimAcceptedHead (claims.proto), which
    must stay ClaimAccepted's fields 1-9 (same numbers, names, types), and
    stores a new claim's sealed claim as the bytes intake sent. Checked: the
    two descriptors agree; a new claim's record holds the claim intake sent
    (packed the same), a replacement's the new claim; a payload whose claim
    is not well-formed is refused (the stream stops there, ADR 0009).
*/
#include "suites.h"
#include "claims_fixture.h"
#include "ledger.h"
#include "codec.h"
#include "consumer.h"

//  Not "apply.h": intake has one of that name too, first on the path.
extern const consumer_event_t apply_events [];

#include <czmq.h>

//  s_test_t's fields stay test->dir and test->claims for the tests.
typedef claims_fixture_t s_test_t;

static void
s_setup (s_test_t *test)
{
    claims_fixture_setup (test, "apply");
}

static void
s_teardown (s_test_t *test)
{
    claims_fixture_teardown (test);
}

START_TEST (test_head_is_accepted)
{
    const ProtobufCMessageDescriptor *head = &claim_accepted_head__descriptor;
    const ProtobufCMessageDescriptor *whole = &claim_accepted__descriptor;
    ck_assert_uint_eq (head->n_fields, 9);
    ck_assert_uint_eq (whole->n_fields, 10);
    for (unsigned number = 1; number <= 9; number++) {
        const ProtobufCFieldDescriptor *a = protobuf_c_message_descriptor_get_field (head, number);
        const ProtobufCFieldDescriptor *b = protobuf_c_message_descriptor_get_field (whole, number);
        ck_assert_ptr_nonnull (a);
        ck_assert_ptr_nonnull (b);
        ck_assert_str_eq (a->name, b->name);
        ck_assert_int_eq (a->type, b->type);
        ck_assert_int_eq (a->label, b->label);
        ck_assert_ptr_eq (a->descriptor, b->descriptor);
    }
    const ProtobufCFieldDescriptor *claim = protobuf_c_message_descriptor_get_field (whole, 10);
    ck_assert_str_eq (claim->name, "claim");
    ck_assert_ptr_eq (claim->descriptor, &sealed_claim__descriptor);
}
END_TEST

typedef struct {
    claims_t *claims;
    const Event *event;
    int rc;
} s_apply_t;

static int
s_apply_fn (store_t *store, MDB_txn *txn, void *arg)
{
    s_apply_t *apply = (s_apply_t *) arg;
    apply->rc = consumer_dispatch (apply_events, store, txn, apply->event, apply->claims);
    return apply->rc;
}

//  Applies a claim_accepted of pcn whose claim has record id record_id
//  (none when NULL), or the payload given: the dispatch's result.
static int
s_accept (s_test_t *test, const char *pcn, const char *frequency, const char *record_id,
          const uint8_t *payload, size_t size)
{
    ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
    dims.payer_id = "ACME1";
    dims.queue = "q-acme";
    Claim claim = CLAIM__INIT;
    claim.frequency_code = (char *) frequency;
    SealedClaim sealed = SEALED_CLAIM__INIT;
    sealed.record_id = (char *) record_id;
    sealed.claim = &claim;
    sealed.key_version = 3;
    ClaimAccepted accepted = CLAIM_ACCEPTED__INIT;
    accepted.claim_id = "C1";
    accepted.batch_id = "B1";
    accepted.pcn = (char *) pcn;
    accepted.dims = &dims;
    accepted.charge_cents = 12500;
    accepted.frequency_code = (char *) frequency;
    accepted.claim = record_id? &sealed: NULL;
    size_t packed_size;
    uint8_t *packed = payload? NULL: codec_pack (&accepted, &packed_size);
    Event event = EVENT__INIT;
    event.stream = "intake";
    event.type = "claim_accepted";
    event.stream_seq = 1;
    event.payload.data = payload? (uint8_t *) payload: packed;
    event.payload.len = payload? size: packed_size;
    s_apply_t apply = { .claims = &test->claims, .event = &event };
    store_write (test->claims.store, s_apply_fn, &apply);
    free (packed);
    return apply.rc;
}

static ClaimRecord *
s_get (s_test_t *test, const char *pcn)
{
    MDB_txn *txn = store_read_begin (test->claims.store);
    ClaimRecord *record;
    ck_assert_int_eq (ledger_get (&test->claims, txn, pcn, &record), 0);
    store_read_end (&txn);
    ck_assert_ptr_nonnull (record);
    return record;
}

START_TEST (test_enter)
{
    s_test_t test;
    s_setup (&test);
    ck_assert_int_eq (s_accept (&test, "PCN1", "1", "R1", NULL, 0), 0);
    ClaimRecord *record = s_get (&test, "PCN1");
    ck_assert_str_eq (record->status, "ready");
    ck_assert_str_eq (record->claim_id, "C1");
    ck_assert_int_eq (record->charge_cents, 12500);
    ck_assert_str_eq (record->dims->payer_id, "ACME1");
    ck_assert_ptr_nonnull (record->claim);
    ck_assert_str_eq (record->claim->record_id, "R1");
    ck_assert_str_eq (record->claim->claim->frequency_code, "1");
    ck_assert_uint_eq (record->claim->key_version, 3);
    ck_assert_uint_eq (record->base.n_unknown_fields, 0);
    codec_free (record);

    //  A replacement takes the new claim; a claim without one keeps none.
    ck_assert_int_eq (s_accept (&test, "PCN1", "7", "R2", NULL, 0), 0);
    record = s_get (&test, "PCN1");
    ck_assert_str_eq (record->claim->record_id, "R2");
    ck_assert_str_eq (record->frequency_code, "7");
    codec_free (record);
    ck_assert_int_eq (s_accept (&test, "PCN2", "1", NULL, NULL, 0), 0);
    record = s_get (&test, "PCN2");
    ck_assert_ptr_null (record->claim);
    codec_free (record);

    //  A claim field that is not well-formed: refused, nothing stored.
    static const uint8_t bad [] = { 0x1a, 0x04, 'P', 'C', 'N', '3', 0x52, 0x02, 0xff, 0xff };
    ck_assert_int_ne (s_accept (&test, "PCN3", "1", NULL, bad, sizeof bad), 0);
    MDB_txn *txn = store_read_begin (test.claims.store);
    ClaimRecord *none;
    ck_assert_int_eq (ledger_get (&test.claims, txn, "PCN3", &none), MDB_NOTFOUND);
    ck_assert_ptr_null (none);
    store_read_end (&txn);
    s_teardown (&test);
}
END_TEST

Suite *
apply_suite (void)
{
    Suite *suite = suite_create ("apply");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_head_is_accepted);
    tcase_add_test (tc, test_enter);
    suite_add_tcase (suite, tc);
    return suite;
}
