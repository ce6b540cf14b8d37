/*  claimedit: the arithmetic of claims.Edit, without store or socket.

    claimedit_apply checks an EditRequest against a claim (opened, PHI in
    the clear) and, when every field is sound, changes the claim and lists
    what changed; when one is not, it changes nothing and says which field
    and why. The steps:

        1. The request names something to change, and line fields only
           with a line that the claim has.
        2. Each field given has the form the 837P needs (ICD-10-CM,
           CPT/HCPCS, modifiers, pointers, a positive charge, ids).
        3. The changes are made on the claim: member id, payer id,
           diagnoses (all of them, in order), and the one line's procedure,
           modifiers, pointers and charge; the total (CLM02) becomes the sum
           of the lines when a charge changed.
        4. Every line's pointers still point at diagnoses the claim has
           (fewer diagnoses can strand a line that was not edited).
        5. The claim becomes an original (frequency 1) with no payer claim
           number: a claim its payer rejected was never accepted, so there
           is nothing for a replacement to replace.

    The member id is PHI: its change is listed by name only.
*/
#ifndef RCMQ_CLAIMS_CLAIMEDIT_H
#define RCMQ_CLAIMS_CLAIMEDIT_H

#include "claims.pb-c.h"
#include <stddef.h>

#define CLAIMEDIT_ERROR_SIZE 256

//  0 with claim changed and each change appended to edit->changes (owned
//  by edit: free the edit with codec_free when it was malloc'd, or with
//  claimedit_clear when it is on the stack); -1 with error set and claim
//  and edit unchanged.
int  claimedit_apply (Claim *claim, const EditRequest *request, ClaimEdit *edit, char *error, size_t size);
//  Frees the changes of an edit whose own struct the caller holds.
void claimedit_clear (ClaimEdit *edit);

#endif
