/*  phi_claim: seals and opens the PHI fields of a Claim (proto/claim.proto).

    The PHI fields are the subscriber's and the patient's names, date of
    birth, member id and address. phi_claim_seal returns a SealedClaim whose
    Claim has those fields emptied and whose `phi` list holds each one
    sealed with phi_seal under the record id; phi_claim_open reverses it.
    Everything else (codes, charges, NPIs, dates of service) stays in the
    clear, because work queues and KPIs need it and it identifies no one.
*/
#ifndef RCMQ_PHI_CLAIM_H
#define RCMQ_PHI_CLAIM_H

#include "phi.h"
#include "codec.h"
#include <stdbool.h>
#include "claim.pb-c.h"
#include "phi.pb-c.h"

//  A deep copy of claim with PHI sealed. Free with codec_free.
SealedClaim *phi_claim_seal (phi_key_t *key, const char *record_id, const Claim *claim);
//  The same SealedClaim, packed, made without a deep copy of claim (for a
//  caller that only stores the bytes). Returns a malloc'd buffer, its size
//  in *size; *indexed says whether the subscriber has a member id, whose
//  blind index is then in member_index.
uint8_t     *phi_claim_seal_packed (phi_key_t *key, const char *record_id, const Claim *claim,
                                    size_t *size, uint8_t member_index [PHI_BLIND_INDEX_SIZE],
                                    bool *indexed);
//  The claim with PHI restored (a new Claim, free with codec_free), or NULL
//  when a field does not open (wrong key, changed bytes, wrong record).
Claim       *phi_claim_open (phi_key_t *key, const SealedClaim *sealed);
//  The same from a packed SealedClaim (as a claim record holds it): the
//  claim is decoded once and opened in place, not copied (issue 19).
//  NULL as phi_claim_open, or when the bytes are not a SealedClaim.
Claim       *phi_claim_open_packed (phi_key_t *key, const uint8_t *data, size_t size);
//  The same decoded and opened into arena (codec.h): one bump of a
//  pointer for each of the claim's ~180 strings and sub-messages, not a
//  malloc and a free (issue 19: claims.Submit opens every claim it
//  sends). The claim is the arena's: never codec_free'd or edited with
//  codec_set_text, gone at codec_arena_reset; its PHI is in the clear in
//  the arena's memory until then. NULL as phi_claim_open_packed (what a
//  failure took stays until the reset).
Claim       *phi_claim_open_packed_in (phi_key_t *key, const uint8_t *data, size_t size, codec_arena_t *arena);
//  The field names sealed, NULL-terminated (for docs and tests).
const char *const *phi_claim_fields (void);

#endif
