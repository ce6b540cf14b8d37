/*  mask: minimum necessary (DESIGN §4, issue 14, docs/access.md).

    What of a patient's PHI a role may see, per field, is one table in
    mask.c: the field in full, masked, or not at all. The masked forms
    tell a caller which patient it is working on without handing over the
    identifiers a fraud needs:

        name       initial + last name        "A. SMITH"
        DOB        the year                   "1957"
        address    the state                  "IL"
        member id  the last 4                 "****6789"

    The table is the smaller half of the rule: a role also needs phi.read
    (common/access.c) to see any field. What lifts masked to full: the
    phi.unmask permission, a break-glass in force (registry_caller_t), or
    a work item whose type needs the field (the `needed` bits).

    The masking functions never return their input when they cannot read
    it: a date of birth in a format they do not know masks to "", not to
    the date.
*/
#ifndef RCMQ_MASK_H
#define RCMQ_MASK_H

#include <stdbool.h>
#include <stddef.h>

#include "claim.pb-c.h"

typedef enum {
    MASK_NONE = 0,              //  not shown (the field is emptied)
    MASK_MASKED,                //  the masked form above
    MASK_FULL                   //  as it is
} mask_form_t;

typedef enum {
    MASK_FIELD_NAME = 0,
    MASK_FIELD_DOB,
    MASK_FIELD_ADDRESS,
    MASK_FIELD_MEMBER_ID,
    MASK_FIELD_COUNT
} mask_field_t;

//  A work item's needs, as bits: MASK_NEED (MASK_FIELD_DOB) | ...
#define MASK_NEED(field) (1u << (field))

//  The form a role sees a field in: the table's, NONE without phi.read,
//  MASKED lifted to FULL by unmask (phi.unmask or break-glass) or by the
//  field's bit in needed. Unknown roles see nothing.
mask_form_t mask_form (const char *role, mask_field_t field, bool unmask, unsigned needed);
//  True when the role holds phi.unmask or the caller is in break-glass.
bool        mask_unmask_allowed (const char *role, bool breakglass);
//  "name", "dob", "address", "member_id".
const char *mask_field_name (mask_field_t field);
const char *mask_form_name (mask_form_t form);

//  The masked forms, into out (always NUL-terminated; "" when there is
//  nothing to show). Each returns out.
//  First and last name as an 837P has them: "A. SMITH"; "SMITH" with no
//  first name; "A." with no last name.
char *mask_name (const char *first, const char *last, char *out, size_t size);
//  One text holding a whole name: "Ann Smith" and "SMITH, ANN" -> "A. SMITH";
//  one word is taken as the last name.
char *mask_full_name (const char *name, char *out, size_t size);
//  CCYYMMDD, YYYY-MM-DD, MM/DD/YYYY or YYYY -> "YYYY"; anything else "".
char *mask_dob (const char *dob, char *out, size_t size);
//  The last 4 letters or digits after "****"; an id of 4 or fewer shows
//  none of them ("****"); empty stays empty.
char *mask_member_id (const char *member_id, char *out, size_t size);
//  The state, two letters upper-cased; "" when it is not two letters.
char *mask_state (const char *state, char *out, size_t size);

//  The text forms a reply carries a field in (claims.Show's patient_name,
//  patient_address), made here so that mask_text can read them back:
//  "SMITH, ANN Q JR" (last, first middle suffix; "" parts left out) and
//  "123 MAIN ST, APT 4, SPRINGFIELD, IL 62701" (lines, city, then state and
//  postal code as the last part). Each returns out.
char *mask_name_text (const char *last, const char *first, const char *middle,
                      const char *suffix, char *out, size_t size);
char *mask_address_text (const Address *address, char *out, size_t size);
//  The state of an address in mask_address_text's form: the last part's
//  two letters when that part is the state alone or the state and a postal
//  code; "" for anything else (never a street line).
char *mask_address_state (const char *text, char *out, size_t size);
//  The masked form of one field given as text: the name (mask_full_name),
//  the DOB (mask_dob), the address (mask_address_state), the member id
//  (mask_member_id). What server_call_phi shows a role the table masks.
char *mask_text (mask_field_t field, const char *plain, char *out, size_t size);

//  Applies the forms to the subscriber's and the patient's PHI fields of
//  an owned claim (phi_claim_open's, or a codec_copy), in place.
void        mask_claim (Claim *claim, const char *role, bool unmask, unsigned needed);

#endif
