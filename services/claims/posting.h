/*  posting: applies one 835 claim payment (a Posting: the CLP loop with the
    remittance's trace, payer and date) to a claim record in memory, and
    says what changed. The caller loads and stores the record, moves its
    status through lifecycle_move (which keeps the history) and emits the
    events; this file only does the arithmetic, so it can be tested on
    hand-written cases and has no store or socket in it.

    The record keeps every posting (reversals included). Its money is always
    recomputed from the postings still in force, so a reversal (CLP02 22)
    takes back exactly what the posting it undoes had added, and the deltas
    reported (after - before) add up to the totals:

    - paid: CLP04 of each posting in force;
    - patient responsibility: adjustments of group PR (claim and lines);
      it becomes the claim's patient balance;
    - contractual: CO adjustments carc_is_contractual calls contractual
      (CO-45, CO-253, ...) on claims and lines that were paid;
    - denied: adjustments carc_denies calls denials, and every adjustment
      but PR on a denied claim (CLP02 4, or paid 0 with a denying
      adjustment) or a denied line (paid 0 with a denying adjustment);
    - anything else (OA-23 prior payer, interest, ...) is kept in the
      adjustments list but counts in none of the four.

    Status after a posting: "denied" when the latest posting in force says
    CLP02 4, or nothing was paid and something was denied; "paid" when the
    payer owes nothing more (paid >= charge - patient share - contractual -
    the other non-denying adjustments); "partially_paid" otherwise;
    "reversed" when a reversal leaves no posting in force.

    Service lines are matched to the claim's lines (ClaimRecord.claim ->
    SealedClaim.claim -> Claim.lines, which are not PHI-sealed) by REF*6R
    line item control number, then by procedure code and modifiers, then by
    the first unmatched line with the same procedure code.

    Contradictions (docs/posting.md): an original CLP (not a reversal) for
    a claim that already has a payment in force from the same payer level
    (primary 1 / 19 / 4 ...; secondary 2 / 20; tertiary 3 / 21) that was
    not reversed is a second payment, or a denial of a paid claim, without
    a reversal. posting_apply does not apply it and says why; the caller
    holds it with posting_hold and files an exception. A claim whose
    postings in force paid nothing (denied) may be adjudicated again (an
    appeal's outcome). A reversal that negates a held posting takes it back
    (result->released): it leaves the held list and the credit, and nothing
    else changes.

    Credit balance: money received for the claim beyond what it is owed.
    paid_cents counts at most what the payer owes (charge - patient share -
    contractual - other reducing adjustments); the excess of the postings
    in force, plus every held payment, is record->credit_cents (since
    record->credit_since_ms). So a claim's A/R (charge - paid - contractual
    - patient share) never goes below zero.

    Deduplication (the same remit twice) is the caller's job; a reversal
    that matches no posting in force is refused here.
*/
#ifndef RCMQ_CLAIMS_POSTING_H
#define RCMQ_CLAIMS_POSTING_H

#include "claims.pb-c.h"
#include "claim.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t paid_cents;
    int64_t patient_responsibility_cents;
    int64_t contractual_cents;
    int64_t denied_cents;
} posting_money_t;

typedef struct {
    posting_money_t delta;          //  totals after - totals before
    char from_status [24];          //  record->status when called
    char to_status [24];            //  paid, partially_paid, denied or reversed
    bool reversal;                  //  the posting was a CLP02 22
    size_t reversed_index;          //  for a reversal: the posting it undid
    size_t posting_index;           //  where the posting was stored in record->postings
    bool first_adjudication;        //  this posting set record->first_adjudication
    bool denied;                    //  it denied the claim or a line (record->denials)
    bool patient_balance_changed;   //  patient responsibility moved
    uint32_t lines_matched;         //  remit lines matched to the claim's lines
    uint32_t lines_unmatched;
    int64_t delta_credit_cents;     //  credit balance after - before
    bool held;                      //  posting_hold kept it as unapplied
    bool released;                  //  a reversal took back a held posting (nothing else changed)
    char released_payer [64];       //  ... the held posting's payer, trace and occurrence
    char released_trace [128];
    uint32_t released_occurrence;
    char contradiction [320];       //  posting_apply returned 1: why
    bool lent;                      //  posting_apply_lent: the record borrows the posting
} posting_result_t;

//  Applies posting to record. record must own all its memory (a message
//  unpacked with the default allocator, or built with malloc / strdup), as
//  fields are freed and replaced. posting is copied, not taken; its
//  `reversal` flag is set from CLP02. Updates the money, adjustments,
//  denials, postings, payer claim number and (once) first_adjudication;
//  record->status is left for the caller to move to result->to_status.
//  Returns 0, or -1 with record unchanged and error (may be NULL) saying
//  why: a reversal that matches no posting in force, or a CLP02 25
//  (predetermination pricing only, which adjudicates nothing); or 1 with
//  record unchanged when the posting contradicts the claim (a second
//  payment or a denial of a paid claim without a reversal): error and
//  result->contradiction say why, and the caller may posting_hold it.
//  Applying a posting that was held drops it from record->unapplied.
int posting_apply (ClaimRecord *record, const Posting *posting,
                   posting_result_t *result, char *error, size_t size);

//  posting_apply with posting lent to the record, not copied: the posting
//  appended is a Posting struct of the record's whose fields are
//  posting's own (its remit and lines, which are matched to the claim's
//  lines), for a caller that writes the record and frees it while posting
//  lives (claims.Post: the deep copy was a pack and an unpack of every
//  CLP, issue 19). result->lent says a posting was lent; posting_take_back
//  removes it before the record is freed, and until then posting must
//  not change.
int  posting_apply_lent (ClaimRecord *record, Posting *posting,
                         posting_result_t *result, char *error, size_t size);
void posting_take_back (ClaimRecord *record, posting_result_t *result);

//  Keeps a contradicting posting in record->unapplied (once: the same
//  payer, trace, PCN and occurrence again adds nothing) and adds its
//  payment to the credit balance. Money, status and postings in force do
//  not change. Returns 0.
int posting_hold (ClaimRecord *record, const Posting *posting, posting_result_t *result);

//  Sets matched_line_number on each line of remit (0 when none matches)
//  from the claim's service lines, and returns how many matched. claim
//  may be NULL (nothing matches).
uint32_t posting_match_lines (RemitClaim *remit, const Claim *claim);

//  What one CLP adds on its own (paid, patient share, contractual,
//  denied), classified as posting_apply would.
void posting_money (const RemitClaim *remit, posting_money_t *money);

#endif
