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

static Claim *
s_copy (const Claim *claim)
{
    size_t size;
    uint8_t *packed = codec_pack (claim, &size);
    Claim *copy = (Claim *) codec_decode (&claim__descriptor, packed, size);
    free (packed);
    return copy;
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

//  Free a string of an unpacked message and leave the shared empty string,
//  which protobuf-c knows not to free.
static void
s_clear_text (char **text)
{
    if (*text && *text != protobuf_c_empty_string)
        free (*text);
    *text = (char *) protobuf_c_empty_string;
}

SealedClaim *
phi_claim_seal (phi_key_t *key, const char *record_id, const Claim *claim)
{
    Claim *copy = s_copy (claim);
    if (!copy)
        return NULL;
    SealedClaim *sealed = (SealedClaim *) malloc (sizeof (SealedClaim));
    sealed_claim__init (sealed);
    sealed->record_id = strdup (record_id);
    sealed->key_version = phi_key_version (key);
    if (copy->subscriber && *copy->subscriber->member_id) {
        sealed->member_index.data = (uint8_t *) malloc (PHI_BLIND_INDEX_SIZE);
        sealed->member_index.len = PHI_BLIND_INDEX_SIZE;
        phi_blind_index (key, copy->subscriber->member_id, sealed->member_index.data);
    }
    for (size_t i = 0; i < S_FIELD_COUNT; i++) {
        size_t size;
        if (s_fields [i].text) {
            char **text = s_fields [i].text (copy);
            if (!text || !*text || !**text)
                continue;
            uint8_t *data = phi_seal (key, record_id, s_fields [i].name,
                                      (const uint8_t *) *text, strlen (*text), &size);
            s_add_field (sealed, s_fields [i].name, data, size);
            s_clear_text (text);
        }
        else {
            Address **address = s_fields [i].address (copy);
            if (!address || !*address)
                continue;
            size_t packed_size;
            uint8_t *packed = codec_pack (*address, &packed_size);
            uint8_t *data = phi_seal (key, record_id, s_fields [i].name, packed, packed_size, &size);
            sodium_memzero (packed, packed_size);
            free (packed);
            s_add_field (sealed, s_fields [i].name, data, size);
            codec_free (*address);
            *address = NULL;
        }
    }
    sealed->claim = copy;
    return sealed;
}

static int
s_field_index (const char *name)
{
    for (size_t i = 0; i < S_FIELD_COUNT; i++)
        if (streq (s_fields [i].name, name))
            return (int) i;
    return -1;
}

Claim *
phi_claim_open (phi_key_t *key, const SealedClaim *sealed)
{
    if (!sealed->claim)
        return NULL;
    Claim *claim = s_copy (sealed->claim);
    if (!claim)
        return NULL;
    for (size_t f = 0; f < sealed->n_phi; f++) {
        const SealedField *field = sealed->phi [f];
        int i = s_field_index (field->field);
        size_t length;
        char *plain = i < 0? NULL: phi_open (key, sealed->record_id, field->field,
                                             field->sealed.data, field->sealed.len, &length);
        if (!plain) {
            codec_free (claim);
            return NULL;
        }
        if (s_fields [i].text) {
            char **text = s_fields [i].text (claim);
            if (text) {
                s_clear_text (text);
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
    return claim;
}
