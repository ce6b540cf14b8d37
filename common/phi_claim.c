/*  phi_claim: see phi_claim.h. The PHI fields are a table of accessors, so
    adding a field is one row. Strings are sealed as their bytes; addresses
    as their packed Address message, so an address is one field.
*/
#include "phi_claim.h"
#include "codec.h"

#include <sodium.h>

typedef char **(s_text_fn) (Claim *claim);
typedef Address **(s_address_fn) (Claim *claim);

#define S_SUBSCRIBER(member) \
    static char **s_subscriber_##member (Claim *c) { return c->subscriber? &c->subscriber->member: NULL; }
#define S_PATIENT(member) \
    static char **s_patient_##member (Claim *c) { return c->patient? &c->patient->member: NULL; }
S_SUBSCRIBER (last_name)
S_SUBSCRIBER (first_name)
S_SUBSCRIBER (middle_name)
S_SUBSCRIBER (suffix)
S_SUBSCRIBER (member_id)
S_SUBSCRIBER (birth_date)
S_PATIENT (last_name)
S_PATIENT (first_name)
S_PATIENT (middle_name)
S_PATIENT (suffix)
S_PATIENT (birth_date)

static Address **s_subscriber_address (Claim *c) { return c->subscriber? &c->subscriber->address: NULL; }
static Address **s_patient_address (Claim *c)    { return c->patient? &c->patient->address: NULL; }

static const struct {
    const char *name;
    s_text_fn *text;
    s_address_fn *address;
} s_fields [] = {
    { "subscriber.last_name",   s_subscriber_last_name,   NULL },
    { "subscriber.first_name",  s_subscriber_first_name,  NULL },
    { "subscriber.middle_name", s_subscriber_middle_name, NULL },
    { "subscriber.suffix",      s_subscriber_suffix,      NULL },
    { "subscriber.member_id",   s_subscriber_member_id,   NULL },
    { "subscriber.birth_date",  s_subscriber_birth_date,  NULL },
    { "subscriber.address",     NULL, s_subscriber_address },
    { "patient.last_name",      s_patient_last_name,      NULL },
    { "patient.first_name",     s_patient_first_name,     NULL },
    { "patient.middle_name",    s_patient_middle_name,    NULL },
    { "patient.suffix",         s_patient_suffix,         NULL },
    { "patient.birth_date",     s_patient_birth_date,     NULL },
    { "patient.address",        NULL, s_patient_address },
};
#define S_FIELD_COUNT (sizeof s_fields / sizeof s_fields [0])

const char *const *
phi_claim_fields (void)
{
    static const char *names [S_FIELD_COUNT + 1];
    for (size_t i = 0; i < S_FIELD_COUNT; i++)
        names [i] = s_fields [i].name;
    return names;
}

static void
s_add_field (SealedClaim *sealed, const char *name, uint8_t *data, size_t size)
{
    SealedField *field = (SealedField *) malloc (sizeof (SealedField));
    sealed_field__init (field);
    field->field = strdup (name);
    field->sealed.data = data;
    field->sealed.len = size;
    sealed->phi = (SealedField **) realloc (sealed->phi, (sealed->n_phi + 1) * sizeof (SealedField *));
    sealed->phi [sealed->n_phi++] = field;
}

//  Seals the PHI fields of claim into sealed and empties them in claim.
//  When claim owns its fields (a deep copy) they are freed; when it is a
//  view sharing them with the caller's claim they are only let go.
static void
s_seal (phi_key_t *key, const char *record_id, Claim *claim, SealedClaim *sealed, bool owned)
{
    sealed->key_version = phi_key_version (key);
    if (claim->subscriber && *claim->subscriber->member_id) {
        sealed->member_index.data = (uint8_t *) malloc (PHI_BLIND_INDEX_SIZE);
        sealed->member_index.len = PHI_BLIND_INDEX_SIZE;
        phi_blind_index (key, claim->subscriber->member_id, sealed->member_index.data);
    }
    for (size_t i = 0; i < S_FIELD_COUNT; i++) {
        size_t size;
        if (s_fields [i].text) {
            char **text = s_fields [i].text (claim);
            if (!text || !*text || !**text)
                continue;
            uint8_t *data = phi_seal (key, record_id, s_fields [i].name,
                                      (const uint8_t *) *text, strlen (*text), &size);
            s_add_field (sealed, s_fields [i].name, data, size);
            if (owned)
                codec_set_text (text, NULL);      //  the shared empty string
            else
                *text = (char *) protobuf_c_empty_string;
        }
        else {
            Address **address = s_fields [i].address (claim);
            if (!address || !*address)
                continue;
            size_t packed_size;
            uint8_t *packed = codec_pack (*address, &packed_size);
            uint8_t *data = phi_seal (key, record_id, s_fields [i].name, packed, packed_size, &size);
            sodium_memzero (packed, packed_size);
            free (packed);
            s_add_field (sealed, s_fields [i].name, data, size);
            if (owned)
                codec_free (*address);
            *address = NULL;
        }
    }
}

SealedClaim *
phi_claim_seal (phi_key_t *key, const char *record_id, const Claim *claim)
{
    Claim *copy = (Claim *) codec_copy (claim);
    if (!copy)
        return NULL;
    SealedClaim *sealed = (SealedClaim *) malloc (sizeof (SealedClaim));
    sealed_claim__init (sealed);
    sealed->record_id = strdup (record_id);
    s_seal (key, record_id, copy, sealed, true);
    sealed->claim = copy;
    return sealed;
}

uint8_t *
phi_claim_seal_packed (phi_key_t *key, const char *record_id, const Claim *claim, size_t *size,
                       uint8_t member_index [PHI_BLIND_INDEX_SIZE], bool *indexed)
{
    //  A view of claim with its own top struct and its own subscriber and
    //  patient structs, everything below them shared: emptying the PHI
    //  fields of the view leaves claim as it was, and nothing is copied
    //  deep (phi_claim_seal packs and unpacks the whole claim to copy it).
    Claim view = *claim;
    Subscriber subscriber;
    Patient patient;
    if (claim->subscriber) {
        subscriber = *claim->subscriber;
        view.subscriber = &subscriber;
    }
    if (claim->patient) {
        patient = *claim->patient;
        view.patient = &patient;
    }
    SealedClaim sealed = SEALED_CLAIM__INIT;
    sealed.record_id = (char *) record_id;
    s_seal (key, record_id, &view, &sealed, false);
    sealed.claim = &view;
    uint8_t *packed = codec_pack (&sealed, size);
    *indexed = sealed.member_index.len == PHI_BLIND_INDEX_SIZE;
    if (*indexed)
        memcpy (member_index, sealed.member_index.data, PHI_BLIND_INDEX_SIZE);
    for (size_t f = 0; f < sealed.n_phi; f++) {
        free (sealed.phi [f]->field);
        free (sealed.phi [f]->sealed.data);
        free (sealed.phi [f]);
    }
    free (sealed.phi);
    free (sealed.member_index.data);
    return packed;
}

//  The row of a sealed field's name; rows are sealed in table order, so
//  the one after the last found (hint) is tried first.
static int
s_field_index (const char *name, size_t hint)
{
    if (hint < S_FIELD_COUNT && streq (s_fields [hint].name, name))
        return (int) hint;
    for (size_t i = 0; i < S_FIELD_COUNT; i++)
        if (streq (s_fields [i].name, name))
            return (int) i;
    return -1;
}

//  One sealed field opened into the arena: the text's own bytes, or the
//  address decoded from its packed bytes there (both gone at the reset,
//  with the rest of the opened claim). 0 or -1.
static int
s_open_in (phi_key_t *key, const SealedClaim *sealed, const SealedField *field, int i,
           Claim *claim, codec_arena_t *arena)
{
    size_t room = phi_open_size (field->sealed.len), length;
    char *plain = room? (char *) arena->allocator.alloc (arena->allocator.allocator_data, room): NULL;
    if (!plain || phi_open_to (key, sealed->record_id, field->field,
                               field->sealed.data, field->sealed.len, plain, &length))
        return -1;
    if (s_fields [i].text) {
        char **text = s_fields [i].text (claim);
        if (text)
            *text = plain;
    }
    else {
        Address **address = s_fields [i].address (claim);
        if (address)
            *address = (Address *) codec_arena_decode_direct (arena, &address__descriptor, plain, length);
    }
    return 0;
}

//  Restores sealed's PHI into claim (a copy of sealed->claim that owns
//  its memory, or with arena one decoded into it): 0, or -1 when a field
//  does not open.
static int
s_open (phi_key_t *key, const SealedClaim *sealed, Claim *claim, codec_arena_t *arena)
{
    size_t hint = 0;
    for (size_t f = 0; f < sealed->n_phi; f++) {
        const SealedField *field = sealed->phi [f];
        int i = s_field_index (field->field, hint);
        if (i < 0)
            return -1;
        hint = (size_t) i + 1;
        if (arena) {
            if (s_open_in (key, sealed, field, i, claim, arena))
                return -1;
            continue;
        }
        size_t length;
        char *plain = phi_open (key, sealed->record_id, field->field,
                                field->sealed.data, field->sealed.len, &length);
        if (!plain)
            return -1;
        if (s_fields [i].text) {
            char **text = s_fields [i].text (claim);
            if (text) {
                codec_set_text (text, NULL);      //  the shared empty string
                *text = plain;
                plain = NULL;
            }
        }
        else {
            Address **address = s_fields [i].address (claim);
            if (address) {
                codec_free (*address);
                *address = (Address *) codec_decode (&address__descriptor, plain, length);
            }
        }
        if (plain) {
            sodium_memzero (plain, length);
            free (plain);
        }
    }
    return 0;
}

Claim *
phi_claim_open (phi_key_t *key, const SealedClaim *sealed)
{
    if (!sealed->claim)
        return NULL;
    Claim *claim = (Claim *) codec_copy (sealed->claim);
    if (claim && s_open (key, sealed, claim, NULL)) {
        codec_free (claim);
        claim = NULL;
    }
    return claim;
}

Claim *
phi_claim_open_packed (phi_key_t *key, const uint8_t *data, size_t size)
{
    SealedClaim *sealed = (SealedClaim *) codec_decode (&sealed_claim__descriptor, data, size);
    if (!sealed)
        return NULL;
    //  The decoded claim is the sealed message's own: taken, not copied.
    Claim *claim = sealed->claim;
    sealed->claim = NULL;
    if (claim && s_open (key, sealed, claim, NULL)) {
        codec_free (claim);
        claim = NULL;
    }
    codec_free (sealed);
    return claim;
}

Claim *
phi_claim_open_packed_in (phi_key_t *key, const uint8_t *data, size_t size, codec_arena_t *arena)
{
    SealedClaim *sealed = (SealedClaim *) codec_arena_decode_direct (arena, &sealed_claim__descriptor, data, size);
    if (!sealed || !sealed->claim || s_open (key, sealed, sealed->claim, arena))
        return NULL;
    return sealed->claim;
}
