/*  test_phi_claim: a Claim's PHI fields sealed and opened
    (common/phi_claim.c).

    A claim with every PHI field set is sealed: the stored claim holds none
    of them (not even inside its packed bytes), keeps everything else, and
    opens back to the very claim it was. A claim opened with another key,
    under another record id, or with one sealed field moved to another
    field's place does not open at all (no half-restored claim).
    phi_claim_seal_packed makes the same thing without touching the
    caller's claim.
*/
#include "suites.h"
#include "phi_claim.h"
#include "codec.h"

#include <czmq.h>

#define S_HEX_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define S_HEX_B "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"

//  The PHI values of the test claim: none may appear in a sealed claim.
//  Every value is long enough that random ciphertext cannot hold it by
//  chance (a two-byte suffix "Jr" once matched the sealed bytes 1 run in a
//  few hundred).
static const char *s_phi_values [] = {
    "Quixote", "Alonso", "Quijano", "Senior-XIV", "MEMBER-77Q", "19470923",
    "Sanchoza", "Teresita", "Panzona", "Junior-XV", "20010304",
    "12 Windmill Lane", "La Mancha", "Barataria Road", "Toboso",
};

static Address *
s_address (const char *line1, const char *city)
{
    Address *address = (Address *) zmalloc (sizeof (Address));
    address__init (address);
    address->line1 = strdup (line1);
    address->city = strdup (city);
    address->state = strdup ("NM");
    address->postal_code = strdup ("87501");
    return address;
}

//  A claim that owns every string (free with codec_free).
static Claim *
s_claim (void)
{
    Claim claim = CLAIM__INIT;
    Subscriber subscriber = SUBSCRIBER__INIT;
    Patient patient = PATIENT__INIT;
    Payer payer = PAYER__INIT;
    subscriber.last_name = "Quixote";
    subscriber.first_name = "Alonso";
    subscriber.middle_name = "Quijano";
    subscriber.suffix = "Senior-XIV";
    subscriber.member_id = "MEMBER-77Q";
    subscriber.birth_date = "19470923";
    subscriber.gender = "M";
    subscriber.group_number = "GRP-9";
    subscriber.address = s_address ("12 Windmill Lane", "La Mancha");
    patient.relationship = "19";
    patient.last_name = "Sanchoza";
    patient.first_name = "Teresita";
    patient.middle_name = "Panzona";
    patient.suffix = "Junior-XV";
    patient.birth_date = "20010304";
    patient.gender = "F";
    patient.address = s_address ("Barataria Road", "Toboso");
    payer.name = "ACME HEALTH";
    payer.payer_id = "ACME1";
    claim.subscriber = &subscriber;
    claim.patient = &patient;
    claim.payer = &payer;
    claim.patient_control_number = "PCN-001";
    claim.total_charge_cents = 12345;
    claim.place_of_service = "11";
    Claim *copy = (Claim *) codec_copy (&claim);
    codec_free (subscriber.address);
    codec_free (patient.address);
    return copy;
}

static bool
s_same (const Claim *a, const Claim *b)
{
    size_t size_a, size_b;
    uint8_t *packed_a = codec_pack (a, &size_a);
    uint8_t *packed_b = codec_pack (b, &size_b);
    bool same = size_a == size_b && memcmp (packed_a, packed_b, size_a) == 0;
    free (packed_a);
    free (packed_b);
    return same;
}

//  No PHI value in the bytes of a sealed claim as it is stored.
static void
s_assert_no_phi (const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < sizeof s_phi_values / sizeof s_phi_values [0]; i++)
        ck_assert_msg (!memmem (data, size, s_phi_values [i], strlen (s_phi_values [i])),
                       "'%s' is in the sealed claim", s_phi_values [i]);
}

typedef struct {
    char *dir;
    phi_key_t *key;
    phi_key_t *other;
} s_keys_t;

static void
s_keys (s_keys_t *keys)
{
    keys->dir = test_tmpdir ("phi-claim");
    char error [256] = "";
    const char *texts [] = { "1:" S_HEX_A "\n", "1:" S_HEX_B "\n" };
    phi_key_t **slots [] = { &keys->key, &keys->other };
    for (int i = 0; i < 2; i++) {
        char *path = zsys_sprintf ("%s/%d.key", keys->dir, i);
        FILE *file = fopen (path, "w");
        fputs (texts [i], file);
        fclose (file);
        *slots [i] = phi_key_load (path, error, sizeof error);
        ck_assert_msg (*slots [i] != NULL, "%s", error);
        zstr_free (&path);
    }
}

static void
s_keys_free (s_keys_t *keys)
{
    phi_key_destroy (&keys->key);
    phi_key_destroy (&keys->other);
    test_rmtree (keys->dir);
    free (keys->dir);
}

START_TEST (test_seal_open)
{
    s_keys_t keys;
    s_keys (&keys);
    Claim *claim = s_claim ();
    SealedClaim *sealed = phi_claim_seal (keys.key, "rec-1", claim);
    ck_assert_ptr_nonnull (sealed);
    ck_assert_str_eq (sealed->record_id, "rec-1");
    ck_assert_uint_eq (sealed->key_version, 1);

    //  Every field of the table sealed once, under its own name.
    const char *const *fields = phi_claim_fields ();
    size_t count = 0;
    for (; fields [count]; count++) {
        size_t seen = 0;
        for (size_t f = 0; f < sealed->n_phi; f++)
            seen += streq (sealed->phi [f]->field, fields [count]);
        ck_assert_msg (seen == 1, "%s sealed %zu times", fields [count], seen);
    }
    ck_assert_uint_eq (count, 13);
    ck_assert_uint_eq (sealed->n_phi, count);

    //  The stored claim: PHI emptied, the rest kept.
    ck_assert_str_eq (sealed->claim->subscriber->last_name, "");
    ck_assert_str_eq (sealed->claim->subscriber->member_id, "");
    ck_assert_ptr_null (sealed->claim->subscriber->address);
    ck_assert_ptr_null (sealed->claim->patient->address);
    ck_assert_str_eq (sealed->claim->patient->birth_date, "");
    ck_assert_str_eq (sealed->claim->subscriber->gender, "M");
    ck_assert_str_eq (sealed->claim->subscriber->group_number, "GRP-9");
    ck_assert_str_eq (sealed->claim->patient_control_number, "PCN-001");
    ck_assert_int_eq (sealed->claim->total_charge_cents, 12345);
    ck_assert_str_eq (sealed->claim->payer->payer_id, "ACME1");
    size_t size;
    uint8_t *packed = codec_pack (sealed, &size);
    s_assert_no_phi (packed, size);
    ck_assert_ptr_nonnull (memmem (packed, size, "PCN-001", 7));

    //  The member id's blind index, so lookups work sealed.
    uint8_t index [PHI_BLIND_INDEX_SIZE];
    phi_blind_index (keys.key, "member-77q", index);
    ck_assert_uint_eq (sealed->member_index.len, PHI_BLIND_INDEX_SIZE);
    ck_assert_int_eq (memcmp (sealed->member_index.data, index, sizeof index), 0);

    //  Opens to the claim it was, from the stored bytes.
    SealedClaim *stored = (SealedClaim *) codec_decode (&sealed_claim__descriptor, packed, size);
    Claim *opened = phi_claim_open (keys.key, stored);
    ck_assert_ptr_nonnull (opened);
    ck_assert (s_same (opened, claim));
    ck_assert_str_eq (opened->patient->address->line1, "Barataria Road");

    codec_free (opened);
    codec_free (stored);
    free (packed);
    codec_free (sealed);
    codec_free (claim);
    s_keys_free (&keys);
}
END_TEST

START_TEST (test_open_refuses)
{
    s_keys_t keys;
    s_keys (&keys);
    Claim *claim = s_claim ();
    SealedClaim *sealed = phi_claim_seal (keys.key, "rec-1", claim);
    ck_assert_ptr_null (phi_claim_open (keys.other, sealed));

    //  Another record's id: every field is bound to rec-1.
    char *id = sealed->record_id;
    sealed->record_id = "rec-2";
    ck_assert_ptr_null (phi_claim_open (keys.key, sealed));
    sealed->record_id = id;

    //  Two sealed fields swapped (a patient's name shown as the
    //  subscriber's): neither opens under the other's name.
    ck_assert_uint_ge (sealed->n_phi, 2);
    ProtobufCBinaryData first = sealed->phi [0]->sealed;
    sealed->phi [0]->sealed = sealed->phi [1]->sealed;
    sealed->phi [1]->sealed = first;
    ck_assert_ptr_null (phi_claim_open (keys.key, sealed));
    sealed->phi [1]->sealed = sealed->phi [0]->sealed;
    sealed->phi [0]->sealed = first;

    //  A field name the table does not know.
    char *name = sealed->phi [0]->field;
    sealed->phi [0]->field = "patient.ssn";
    ck_assert_ptr_null (phi_claim_open (keys.key, sealed));
    sealed->phi [0]->field = name;

    //  One changed byte of the last field.
    SealedField *last = sealed->phi [sealed->n_phi - 1];
    last->sealed.data [last->sealed.len / 2] ^= 0x80;
    ck_assert_ptr_null (phi_claim_open (keys.key, sealed));
    last->sealed.data [last->sealed.len / 2] ^= 0x80;

    //  Put back, it opens: each refusal above was the change, nothing else.
    Claim *opened = phi_claim_open (keys.key, sealed);
    ck_assert_ptr_nonnull (opened);
    ck_assert (s_same (opened, claim));
    codec_free (opened);
    codec_free (sealed);
    codec_free (claim);
    s_keys_free (&keys);
}
END_TEST

//  seal_packed: the same SealedClaim, the caller's claim untouched (it
//  works on a view), the member index handed back.
START_TEST (test_seal_packed)
{
    s_keys_t keys;
    s_keys (&keys);
    Claim *claim = s_claim ();
    Claim *before = (Claim *) codec_copy (claim);
    size_t size;
    uint8_t index [PHI_BLIND_INDEX_SIZE], expect [PHI_BLIND_INDEX_SIZE];
    bool indexed = false;
    uint8_t *packed = phi_claim_seal_packed (keys.key, "rec-9", claim, &size, index, &indexed);
    ck_assert_ptr_nonnull (packed);
    ck_assert (s_same (claim, before));
    ck_assert (indexed);
    phi_blind_index (keys.key, "MEMBER-77Q", expect);
    ck_assert_int_eq (memcmp (index, expect, sizeof index), 0);
    s_assert_no_phi (packed, size);

    SealedClaim *sealed = (SealedClaim *) codec_decode (&sealed_claim__descriptor, packed, size);
    ck_assert_ptr_nonnull (sealed);
    ck_assert_str_eq (sealed->record_id, "rec-9");
    ck_assert_uint_eq (sealed->n_phi, 13);
    Claim *opened = phi_claim_open (keys.key, sealed);
    ck_assert_ptr_nonnull (opened);
    ck_assert (s_same (opened, before));
    codec_free (opened);
    codec_free (sealed);
    free (packed);

    //  No member id and no patient loop: nothing indexed, fewer fields,
    //  and it still round-trips.
    ck_assert_ptr_nonnull (claim->subscriber);
    free (claim->subscriber->member_id);
    claim->subscriber->member_id = strdup ("");
    codec_free (claim->patient);
    claim->patient = NULL;
    packed = phi_claim_seal_packed (keys.key, "rec-10", claim, &size, index, &indexed);
    ck_assert (!indexed);
    sealed = (SealedClaim *) codec_decode (&sealed_claim__descriptor, packed, size);
    ck_assert_uint_eq (sealed->member_index.len, 0);
    ck_assert_uint_eq (sealed->n_phi, 6);
    opened = phi_claim_open (keys.key, sealed);
    ck_assert_ptr_nonnull (opened);
    ck_assert (s_same (opened, claim));
    codec_free (opened);
    codec_free (sealed);
    free (packed);

    codec_free (before);
    codec_free (claim);
    s_keys_free (&keys);
}
END_TEST

//  open_packed: from the stored bytes, the same claim phi_claim_open
//  gives, and the same refusals (another key, a changed byte, bytes that
//  are not a SealedClaim).
START_TEST (test_open_packed)
{
    s_keys_t keys;
    s_keys (&keys);
    Claim *claim = s_claim ();
    SealedClaim *sealed = phi_claim_seal (keys.key, "rec-1", claim);
    size_t size;
    uint8_t *packed = codec_pack (sealed, &size);
    Claim *opened = phi_claim_open_packed (keys.key, packed, size);
    ck_assert_ptr_nonnull (opened);
    ck_assert (s_same (opened, claim));
    ck_assert_str_eq (opened->patient->address->line1, "Barataria Road");
    codec_free (opened);
    ck_assert_ptr_null (phi_claim_open_packed (keys.other, packed, size));
    //  A byte of the last sealed field changed.
    SealedField *last = sealed->phi [sealed->n_phi - 1];
    last->sealed.data [last->sealed.len / 2] ^= 0x80;
    size_t changed_size;
    uint8_t *changed = codec_pack (sealed, &changed_size);
    ck_assert_ptr_null (phi_claim_open_packed (keys.key, changed, changed_size));
    free (changed);
    last->sealed.data [last->sealed.len / 2] ^= 0x80;
    ck_assert_ptr_null (phi_claim_open_packed (keys.key, (const uint8_t *) "\xff\xff\xff", 3));
    opened = phi_claim_open_packed (keys.key, packed, size);
    ck_assert_ptr_nonnull (opened);
    codec_free (opened);
    free (packed);
    codec_free (sealed);
    codec_free (claim);
    s_keys_free (&keys);
}
END_TEST

//  Opened into an arena: the same claim as phi_claim_open_packed, the same
//  refusals; the claim lives until the arena's reset, and a second round
//  after the reset opens it again.
START_TEST (test_open_packed_in)
{
    s_keys_t keys;
    s_keys (&keys);
    Claim *claim = s_claim ();
    SealedClaim *sealed = phi_claim_seal (keys.key, "rec-1", claim);
    size_t size;
    uint8_t *packed = codec_pack (sealed, &size);
    codec_arena_t *arena = codec_arena_new ();
    for (int round = 0; round < 2; round++) {
        Claim *opened = phi_claim_open_packed_in (keys.key, packed, size, arena);
        ck_assert_ptr_nonnull (opened);
        ck_assert (s_same (opened, claim));
        ck_assert_str_eq (opened->patient->address->line1, "Barataria Road");
        ck_assert_ptr_null (phi_claim_open_packed_in (keys.other, packed, size, arena));
        ck_assert_ptr_null (phi_claim_open_packed_in (keys.key, (const uint8_t *) "\xff\xff\xff", 3, arena));
        //  Still whole after the refusals beside it in the arena.
        ck_assert (s_same (opened, claim));
        codec_arena_reset (arena);
    }
    SealedField *last = sealed->phi [sealed->n_phi - 1];
    last->sealed.data [last->sealed.len / 2] ^= 0x80;
    size_t changed_size;
    uint8_t *changed = codec_pack (sealed, &changed_size);
    ck_assert_ptr_null (phi_claim_open_packed_in (keys.key, changed, changed_size, arena));
    free (changed);
    codec_arena_destroy (&arena);
    free (packed);
    codec_free (sealed);
    codec_free (claim);
    s_keys_free (&keys);
}
END_TEST

Suite *
phi_claim_suite (void)
{
    Suite *suite = suite_create ("phi_claim");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_seal_open);
    tcase_add_test (tc, test_open_refuses);
    tcase_add_test (tc, test_seal_packed);
    tcase_add_test (tc, test_open_packed);
    tcase_add_test (tc, test_open_packed_in);
    suite_add_tcase (suite, tc);
    return suite;
}
