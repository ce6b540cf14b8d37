/*  posting: 835 claim payments applied to claim records (see posting.h).

    posting_apply works in three steps:
    1. which earlier postings are still in force: replay the record's
       postings, each reversal cancelling the posting it matched when it was
       applied (s_reversal_target is deterministic, so the replay finds the
       same one);
    2. the new posting: a reversal must match a posting in force (the latest
       one whose charge and payment it negates); the lines are matched and
       a copy is appended;
    3. the money, adjustments, denials and status are recomputed from the
       postings in force (s_classify says where each adjustment counts),
       and the deltas are the difference with what the record held.

    Recomputing instead of adding and subtracting means a reversal can never
    leave a stray cent behind, and the figures always follow from the
    postings a person can read in the record.

    Before step 2, an original (not a reversal) that contradicts the claim
    is held instead of applied (s_contradiction): a second payment, or a
    denial, from the same payer level while a payment is in force and was
    not reversed. It goes to record->unapplied and its money into the
    credit balance; nothing else changes. Step 3 also caps what the claim
    counts as paid at what it is owed; the rest is credit (s_settle_credit).
*/
#include "posting.h"
#include "carc.h"
#include "remit835.h"
#include "codec.h"
#include "text.h"

#include <inttypes.h>
#include <stdio.h>

//  Where an adjustment counts.
typedef enum {
    S_PATIENT,          //  group PR: the patient's balance
    S_CONTRACTUAL,      //  written off by contract on a paid claim / line
    S_DENIED,           //  the payer refused it
    S_OTHER             //  bookkeeping: prior payer, interest, withholds ...
} s_bucket_t;

typedef struct {
    posting_money_t money;
    int64_t other_cents;
} s_totals_t;

static bool
s_is_reversal (const RemitClaim *remit)
{
    return streq (remit->status_code, "22");
}

//  True when an adjustment refuses payment (and is not a zero placeholder
//  such as CAS*CO*42*0 that some payers send on every line).
static bool
s_denying (const Adjustment *adjustment)
{
    return adjustment->amount_cents != 0 && carc_denies (adjustment->group, adjustment->carc);
}

static bool
s_any_denying (Adjustment **adjustments, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (s_denying (adjustments [i]))
            return true;
    return false;
}

//  A claim is denied when the payer says so (CLP02 4) or pays nothing and
//  refuses something; a line when it is paid nothing and refused.
static bool
s_claim_denied (const RemitClaim *remit)
{
    if (streq (remit->status_code, "4"))
        return true;
    if (remit->paid_cents != 0)
        return false;
    if (s_any_denying (remit->adjustments, remit->n_adjustments))
        return true;
    for (size_t i = 0; i < remit->n_lines; i++)
        if (s_any_denying (remit->lines [i]->adjustments, remit->lines [i]->n_adjustments))
            return true;
    return false;
}

//  A line of a claim whose own verdict (s_claim_denied) the caller has
//  already: it reads every adjustment of the claim, each a CARC lookup,
//  so it is asked once per CLP, not once per line (issue 19).
static bool
s_line_denied (bool claim_denied, const RemitLine *line)
{
    return claim_denied
        || (line->paid_cents == 0 && s_any_denying (line->adjustments, line->n_adjustments));
}

static s_bucket_t
s_classify (const Adjustment *adjustment, bool denied_scope)
{
    if (streq (adjustment->group, "PR"))
        return S_PATIENT;
    if (denied_scope)
        return S_DENIED;
    if (carc_is_contractual (adjustment->group, adjustment->carc))
        return S_CONTRACTUAL;
    if (carc_denies (adjustment->group, adjustment->carc))
        return S_DENIED;
    return S_OTHER;
}

static void
s_count (s_totals_t *totals, const Adjustment *adjustment, bool denied_scope)
{
    int64_t amount = adjustment->amount_cents;
    switch (s_classify (adjustment, denied_scope)) {
        case S_PATIENT:     totals->money.patient_responsibility_cents += amount; break;
        case S_CONTRACTUAL: totals->money.contractual_cents += amount; break;
        case S_DENIED:      totals->money.denied_cents += amount; break;
        case S_OTHER:       totals->other_cents += amount; break;
    }
}

//  Adds what one CLP contributes to totals.
static void
s_add_claim (s_totals_t *totals, const RemitClaim *remit)
{
    bool claim_denied = s_claim_denied (remit);
    totals->money.paid_cents += remit->paid_cents;
    for (size_t i = 0; i < remit->n_adjustments; i++)
        s_count (totals, remit->adjustments [i], claim_denied);
    for (size_t i = 0; i < remit->n_lines; i++) {
        const RemitLine *line = remit->lines [i];
        bool line_denied = s_line_denied (claim_denied, line);
        for (size_t j = 0; j < line->n_adjustments; j++)
            s_count (totals, line->adjustments [j], line_denied);
    }
}

void
posting_money (const RemitClaim *remit, posting_money_t *money)
{
    assert (remit && money);
    s_totals_t totals = { .money = { 0 } };
    s_add_claim (&totals, remit);
    *money = totals.money;
}


//  ---------------------------------------------------------------------
//  Line matching

static bool
s_same_modifiers (const RemitLine *remit_line, const ServiceLine *line)
{
    if (remit_line->n_modifiers != line->n_modifiers)
        return false;
    for (size_t i = 0; i < line->n_modifiers; i++)
        if (!streq (remit_line->modifiers [i], line->modifiers [i]))
            return false;
    return true;
}

typedef enum { S_BY_CONTROL_NUMBER, S_BY_PROCEDURE_AND_MODIFIERS, S_BY_PROCEDURE } s_match_t;

static bool
s_matches (const RemitLine *remit_line, const ServiceLine *line, s_match_t how)
{
    switch (how) {
        case S_BY_CONTROL_NUMBER:
            return *remit_line->line_item_control_number
                && streq (remit_line->line_item_control_number, line->line_item_control_number);
        case S_BY_PROCEDURE_AND_MODIFIERS:
            return streq (remit_line->procedure_code, line->procedure_code)
                && s_same_modifiers (remit_line, line);
        case S_BY_PROCEDURE:
            return streq (remit_line->procedure_code, line->procedure_code);
    }
    return false;
}

uint32_t
posting_match_lines (RemitClaim *remit, const Claim *claim)
{
    assert (remit);
    size_t n_lines = claim? claim->n_lines: 0;
    bool *used = calloc (n_lines + 1, sizeof (bool));
    assert (used);
    for (size_t i = 0; i < remit->n_lines; i++)
        remit->lines [i]->matched_line_number = 0;
    //  Pass by pass, so an exact match by control number is never taken
    //  away by an earlier line that only shares the procedure code.
    uint32_t matched = 0;
    for (s_match_t how = S_BY_CONTROL_NUMBER; how <= S_BY_PROCEDURE; how++)
        for (size_t i = 0; i < remit->n_lines; i++) {
            RemitLine *remit_line = remit->lines [i];
            if (remit_line->matched_line_number)
                continue;
            for (size_t j = 0; j < n_lines; j++)
                if (!used [j] && s_matches (remit_line, claim->lines [j], how)) {
                    used [j] = true;
                    //  LX01 numbers the line; a claim built without one
                    //  still gets its position.
                    remit_line->matched_line_number = claim->lines [j]->line_number?
                        claim->lines [j]->line_number: (uint32_t) (j + 1);
                    matched++;
                    break;
                }
        }
    free (used);
    return matched;
}


//  ---------------------------------------------------------------------
//  Reversals

//  The posting in force a reversal undoes: the latest one whose charge and
//  payment it negates. -1 when there is none.
static int
s_reversal_target (Posting **postings, size_t count, const bool *in_force, const RemitClaim *reversal)
{
    for (size_t i = count; i-- > 0; ) {
        const RemitClaim *remit = postings [i]->remit;
        if (in_force [i] && remit
        &&  remit->charge_cents == -reversal->charge_cents
        &&  remit->paid_cents == -reversal->paid_cents)
            return (int) i;
    }
    return -1;
}

//  Which of the record's postings are in force (an array of count + 1, the
//  extra slot for the posting being applied).
static bool *
s_in_force (const ClaimRecord *record)
{
    bool *in_force = calloc (record->n_postings + 1, sizeof (bool));
    assert (in_force);
    for (size_t i = 0; i < record->n_postings; i++) {
        const Posting *posting = record->postings [i];
        if (!posting->remit)
            continue;
        if (s_is_reversal (posting->remit)) {
            int target = s_reversal_target (record->postings, i, in_force, posting->remit);
            if (target >= 0)
                in_force [target] = false;
        }
        else
            in_force [i] = true;
    }
    return in_force;
}


//  ---------------------------------------------------------------------
//  Adjustments and denials of the postings in force

//  A copy of an adjustment, field by field: codec_copy packed and unpacked
//  each one (issue 19: every adjustment of every posting in force, at
//  every post). One that carries fields this build does not know (unknown
//  fields) still goes through codec_copy, which keeps them.
static Adjustment *
s_copy_adjustment (const Adjustment *adjustment)
{
    //  A field added to Adjustment must be copied here too.
    assert (adjustment__descriptor.n_fields == 4);
    if (adjustment->base.n_unknown_fields)
        return (Adjustment *) codec_copy (adjustment);
    Adjustment *copy = (Adjustment *) malloc (sizeof *copy);
    assert (copy);
    adjustment__init (copy);
    codec_set_text (&copy->group, adjustment->group);
    codec_set_text (&copy->carc, adjustment->carc);
    copy->amount_cents = adjustment->amount_cents;
    copy->quantity_milli = adjustment->quantity_milli;
    return copy;
}

//  Adds an adjustment to the record's net list, merged by (group, CARC).
static void
s_merge (ClaimRecord *record, const Adjustment *adjustment)
{
    for (size_t i = 0; i < record->n_adjustments; i++) {
        Adjustment *have = record->adjustments [i];
        if (streq (have->group, adjustment->group) && streq (have->carc, adjustment->carc)) {
            have->amount_cents += adjustment->amount_cents;
            have->quantity_milli += adjustment->quantity_milli;
            return;
        }
    }
    codec_append (&record->adjustments, &record->n_adjustments, s_copy_adjustment (adjustment));
}

static void
s_clear_adjustments (ClaimRecord *record)
{
    for (size_t i = 0; i < record->n_adjustments; i++)
        codec_destroy (&record->adjustments [i]);
    free (record->adjustments);
    record->adjustments = NULL;
    record->n_adjustments = 0;
}

static void
s_clear_denials (ClaimRecord *record)
{
    for (size_t i = 0; i < record->n_denials; i++)
        codec_destroy (&record->denials [i]);
    free (record->denials);
    record->denials = NULL;
    record->n_denials = 0;
}

static void
s_add_denial (ClaimRecord *record, uint32_t line_number, const Adjustment *adjustment,
              char **rarcs, size_t n_rarcs)
{
    DenialReason *denial = malloc (sizeof *denial);
    assert (denial);
    denial_reason__init (denial);
    denial->line_number = line_number;
    codec_set_text (&denial->group, adjustment->group);
    codec_set_text (&denial->carc, adjustment->carc);
    for (size_t i = 0; i < n_rarcs; i++)
        codec_append_text (&denial->rarcs, &denial->n_rarcs, rarcs [i]);
    denial->amount_cents = adjustment->amount_cents;
    codec_set_text (&denial->category,
                carc_category_name (carc_category (adjustment->group, adjustment->carc, rarcs, n_rarcs)));
    codec_append (&record->denials, &record->n_denials, denial);
}

//  True when an adjustment of a denied claim or line is a reason for the
//  denial: not the patient's share, not the contractual write-off that
//  would have applied anyway, not a zero placeholder.
static bool
s_denial_reason (const Adjustment *adjustment)
{
    return adjustment->amount_cents != 0
        && !streq (adjustment->group, "PR")
        && !carc_is_contractual (adjustment->group, adjustment->carc);
}

//  The denial reasons of one adjudication, from a denied claim (line 0 for
//  claim-level CAS) and its denied lines, with the remark codes that came
//  with them (MOA / MIA for the claim, LQ for a line). A line that matched
//  no claim line is numbered by its place in the remit.
static void
s_denials (ClaimRecord *record, const RemitClaim *remit)
{
    bool claim_denied = s_claim_denied (remit);
    if (claim_denied)
        for (size_t i = 0; i < remit->n_adjustments; i++)
            if (s_denial_reason (remit->adjustments [i]))
                s_add_denial (record, 0, remit->adjustments [i], remit->remarks, remit->n_remarks);
    for (size_t i = 0; i < remit->n_lines; i++) {
        const RemitLine *line = remit->lines [i];
        if (!s_line_denied (claim_denied, line))
            continue;
        uint32_t number = line->matched_line_number? line->matched_line_number: (uint32_t) (i + 1);
        for (size_t j = 0; j < line->n_adjustments; j++)
            if (s_denial_reason (line->adjustments [j]))
                s_add_denial (record, number, line->adjustments [j], line->remarks, line->n_remarks);
    }
}


//  ---------------------------------------------------------------------
//  Contradictions and credit balances

//  Which payer a CLP02 speaks for: a secondary (2, 20) or tertiary (3, 21)
//  payer's adjudication comes on top of the primary's and contradicts
//  nothing of it. Everything else (1, 19, 4, 23 ...) is the primary's.
static const struct {
    const char *status;
    int level;
} s_levels [] = {
    { "2", 2 }, { "20", 2 }, { "3", 3 }, { "21", 3 },
};

static int
s_level (const RemitClaim *remit)
{
    for (size_t i = 0; i < sizeof s_levels / sizeof s_levels [0]; i++)
        if (streq (remit->status_code, s_levels [i].status))
            return s_levels [i].level;
    return 1;
}

//  The rules an original CLP must pass to be applied (docs/posting.md):
//  a posting of the same payer level that paid something, in force (not
//  reversed), means the payer has already adjudicated this claim, and a
//  second word without a reversal first cannot be right. A claim whose
//  postings in force paid nothing (a denial) may be adjudicated again: that
//  is how an appeal or a reopening comes back. Fills reason and returns
//  true when posting contradicts the record.
static bool
s_contradiction (const ClaimRecord *record, const bool *in_force, const RemitClaim *remit,
                 char *reason, size_t size)
{
    int64_t paid = 0;
    const Posting *earlier = NULL;
    for (size_t i = 0; i < record->n_postings; i++) {
        const RemitClaim *have = record->postings [i]->remit;
        if (in_force [i] && s_level (have) == s_level (remit)) {
            paid += have->paid_cents;
            if (have->paid_cents)
                earlier = record->postings [i];
        }
    }
    if (!earlier || paid == 0)
        return false;
    char m1 [32], m2 [32];
    remit835_money (paid, m1, sizeof m1);
    remit835_money (remit->paid_cents, m2, sizeof m2);
    if (s_claim_denied (remit))
        snprintf (reason, size, "claim %s: denial (CLP02 %s, segment %" PRIu64 ") of a claim paid %s "
                  "(835 %s) without a reversal; not posted", record->pcn, remit->status_code,
                  remit->segment_index, m1, earlier->trace);
    else
        snprintf (reason, size, "claim %s: second payment of %s (CLP02 %s, segment %" PRIu64 ") for a claim "
                  "already paid %s (835 %s) without a reversal; not posted, held as a credit balance",
                  record->pcn, m2, remit->status_code, remit->segment_index, m1, earlier->trace);
    return true;
}

static bool
s_same_remit (const Posting *a, const Posting *b)
{
    return streq (a->payer_id, b->payer_id) && streq (a->trace, b->trace)
        && streq (a->remit->pcn, b->remit->pcn) && a->remit->occurrence == b->remit->occurrence;
}

//  Drops a held posting once it is applied (a person matched it after
//  the reversal that made room for it).
static void
s_unhold (ClaimRecord *record, const Posting *posting)
{
    size_t kept = 0;
    for (size_t i = 0; i < record->n_unapplied; i++) {
        Posting *held = record->unapplied [i];
        if (held->remit && s_same_remit (held, posting))
            codec_destroy (&held);
        else
            record->unapplied [kept++] = held;
    }
    record->n_unapplied = kept;
}

//  Credit = what the postings in force paid beyond what the claim is owed
//  (received - paid_cents) + the payments held as contradicting it. The
//  date it began is kept while it stays above zero.
static void
s_settle_credit (ClaimRecord *record, int64_t overpaid, uint64_t now_ms, posting_result_t *result)
{
    int64_t credit = overpaid;
    for (size_t i = 0; i < record->n_unapplied; i++)
        if (record->unapplied [i]->remit && record->unapplied [i]->remit->paid_cents > 0)
            credit += record->unapplied [i]->remit->paid_cents;
    result->delta_credit_cents = credit - record->credit_cents;
    if (credit > 0 && record->credit_cents <= 0)
        record->credit_since_ms = now_ms;
    if (credit <= 0)
        record->credit_since_ms = 0;
    record->credit_cents = credit;
}

//  What the payer owes on the claim: its charge less the patient's share,
//  the contractual write-off and the other adjustments that reduce it (an
//  adjustment that adds, such as interest, owes nothing more). Never below 0.
static int64_t
s_owed (const ClaimRecord *record, const RemitClaim *latest, const s_totals_t *totals)
{
    int64_t charge = record->charge_cents? record->charge_cents: latest->charge_cents;
    int64_t owed = charge - totals->money.patient_responsibility_cents - totals->money.contractual_cents
                 - (totals->other_cents > 0? totals->other_cents: 0);
    return owed > 0? owed: 0;
}

//  The part of the credit that is not held payments: the overpayment of
//  the postings in force.
static int64_t
s_overpaid (const ClaimRecord *record)
{
    int64_t overpaid = record->credit_cents;
    for (size_t i = 0; i < record->n_unapplied; i++)
        if (record->unapplied [i]->remit && record->unapplied [i]->remit->paid_cents > 0)
            overpaid -= record->unapplied [i]->remit->paid_cents;
    return overpaid;
}

//  The held posting a reversal takes back (the latest whose charge and
//  payment it negates), or -1.
static int
s_held_target (const ClaimRecord *record, const RemitClaim *reversal)
{
    for (size_t i = record->n_unapplied; i-- > 0; ) {
        const RemitClaim *remit = record->unapplied [i]->remit;
        if (remit && remit->charge_cents == -reversal->charge_cents && remit->paid_cents == -reversal->paid_cents)
            return (int) i;
    }
    return -1;
}

int
posting_hold (ClaimRecord *record, const Posting *posting, posting_result_t *result)
{
    assert (record && posting && posting->remit);
    posting_result_t local;
    if (!result)
        result = &local;
    memset (result, 0, sizeof *result);
    text_append (result->from_status, sizeof result->from_status, 0, record->status);
    text_append (result->to_status, sizeof result->to_status, 0, record->status);
    result->held = true;
    for (size_t i = 0; i < record->n_unapplied; i++)
        if (record->unapplied [i]->remit && s_same_remit (record->unapplied [i], posting))
            return 0;           //  held already: the same remit again adds nothing
    //  The overpayment of the postings in force is what it was.
    int64_t overpaid = s_overpaid (record);
    codec_append (&record->unapplied, &record->n_unapplied, codec_copy (posting));
    s_settle_credit (record, overpaid, posting->posted_ms, result);
    return 0;
}


//  ---------------------------------------------------------------------
//  Applying

static void
s_add_remit_adjustments (ClaimRecord *record, const RemitClaim *remit)
{
    for (size_t i = 0; i < remit->n_adjustments; i++)
        s_merge (record, remit->adjustments [i]);
    for (size_t i = 0; i < remit->n_lines; i++)
        for (size_t j = 0; j < remit->lines [i]->n_adjustments; j++)
            s_merge (record, remit->lines [i]->adjustments [j]);
}

//  Drops net adjustments that came to nothing (a reversal of the same
//  code, or zero placeholders), so the list says what is owed and why.
static void
s_drop_zero_adjustments (ClaimRecord *record)
{
    size_t kept = 0;
    for (size_t i = 0; i < record->n_adjustments; i++) {
        Adjustment *adjustment = record->adjustments [i];
        if (adjustment->amount_cents == 0 && adjustment->quantity_milli == 0)
            codec_destroy (&adjustment);
        else
            record->adjustments [kept++] = adjustment;
    }
    record->n_adjustments = kept;
}

static const char *
s_status (const ClaimRecord *record, const RemitClaim *latest, const s_totals_t *totals)
{
    if (!latest)
        return "reversed";
    const posting_money_t *money = &totals->money;
    if (streq (latest->status_code, "4"))
        return "denied";
    if (money->paid_cents == 0 && money->denied_cents > 0)
        return "denied";
    int64_t charge = record->charge_cents? record->charge_cents: latest->charge_cents;
    int64_t owed = charge - money->patient_responsibility_cents - money->contractual_cents
                 - totals->other_cents;
    return money->paid_cents >= owed? "paid": "partially_paid";
}

//  posting_apply and posting_apply_lent: lend says whether the record's
//  new posting is a copy of its own or borrows posting's fields.
static int
s_apply (ClaimRecord *record, const Posting *posting, bool lend,
         posting_result_t *result, char *error, size_t size)
{
    assert (record && posting && posting->remit);
    posting_result_t local;
    if (!result)
        result = &local;
    memset (result, 0, sizeof *result);
    if (error && size)
        *error = 0;
    text_append (result->from_status, sizeof result->from_status, 0, record->status);

    //  CLP02 25 prices a claim for a predetermination: nothing was
    //  adjudicated or paid, so posting it would misstate the claim.
    if (streq (posting->remit->status_code, "25")) {
        if (error && size)
            snprintf (error, size, "claim %s: CLP02 25 (segment %" PRIu64 ") is predetermination pricing, "
                      "not an adjudication", record->pcn, posting->remit->segment_index);
        return -1;
    }
    bool *in_force = s_in_force (record);
    bool reversal = s_is_reversal (posting->remit);
    if (!reversal && s_contradiction (record, in_force, posting->remit, result->contradiction,
                                      sizeof result->contradiction)) {
        if (error && size)
            snprintf (error, size, "%s", result->contradiction);
        free (in_force);
        return 1;
    }
    int target = -1;
    if (reversal) {
        //  The payer taking back a payment that was held (never applied):
        //  the held one goes, and its money leaves the credit balance.
        int held = s_held_target (record, posting->remit);
        if (held >= 0) {
            free (in_force);
            int64_t overpaid = s_overpaid (record);
            Posting *released = record->unapplied [held];
            snprintf (result->released_payer, sizeof result->released_payer, "%s", released->payer_id);
            snprintf (result->released_trace, sizeof result->released_trace, "%s", released->trace);
            result->released_occurrence = released->remit->occurrence;
            codec_destroy (&released);
            memmove (record->unapplied + held, record->unapplied + held + 1,
                     (record->n_unapplied - (size_t) held - 1) * sizeof (Posting *));
            record->n_unapplied--;
            result->reversal = true;
            result->released = true;
            text_append (result->to_status, sizeof result->to_status, 0, record->status);
            s_settle_credit (record, overpaid, posting->posted_ms, result);
            return 0;
        }
        target = s_reversal_target (record->postings, record->n_postings, in_force, posting->remit);
        if (target < 0) {
            char charge [32], paid [32];
            if (error && size)
                snprintf (error, size, "claim %s: reversal (CLP02 22, segment %" PRIu64 ") of charge %s, "
                          "paid %s matches no earlier posting in force",
                          record->pcn, posting->remit->segment_index,
                          remit835_money (-posting->remit->charge_cents, charge, sizeof charge),
                          remit835_money (-posting->remit->paid_cents, paid, sizeof paid));
            free (in_force);
            return -1;
        }
    }

    //  Store the posting, its lines matched to the claim's.
    s_unhold (record, posting);
    Posting *copy;
    if (lend) {
        //  A struct of the record's, the fields posting's (the caller
        //  takes it back before the record is freed).
        copy = (Posting *) malloc (sizeof (Posting));
        assert (copy);
        *copy = *posting;
        result->lent = true;
    }
    else
        copy = codec_copy (posting);
    copy->reversal = reversal;
    const Claim *claim = record->claim? record->claim->claim: NULL;
    result->lines_matched = posting_match_lines (copy->remit, claim);
    result->lines_unmatched = (uint32_t) copy->remit->n_lines - result->lines_matched;
    result->posting_index = record->n_postings;
    codec_append (&record->postings, &record->n_postings, copy);
    if (reversal) {
        in_force [target] = false;
        result->reversal = true;
        result->reversed_index = (size_t) target;
    }
    else
        in_force [result->posting_index] = true;

    //  Recompute everything from the postings in force.
    posting_money_t before = {
        .paid_cents = record->paid_cents,
        .patient_responsibility_cents = record->patient_responsibility_cents,
        .contractual_cents = record->contractual_cents,
        .denied_cents = record->denied_cents
    };
    s_totals_t totals = { .money = { 0 } };
    const RemitClaim *latest = NULL;
    s_clear_adjustments (record);
    for (size_t i = 0; i < record->n_postings; i++)
        if (in_force [i]) {
            latest = record->postings [i]->remit;
            s_add_claim (&totals, latest);
            s_add_remit_adjustments (record, latest);
        }
    free (in_force);
    s_drop_zero_adjustments (record);
    s_clear_denials (record);
    if (latest)
        s_denials (record, latest);

    //  The claim counts as paid what it is owed at most; the rest of the
    //  money received is a credit balance, so its A/R is never below zero.
    int64_t overpaid = 0;
    if (latest && totals.money.paid_cents > s_owed (record, latest, &totals))
        overpaid = totals.money.paid_cents - s_owed (record, latest, &totals);
    s_settle_credit (record, overpaid, posting->posted_ms, result);
    record->paid_cents = totals.money.paid_cents - overpaid;
    record->patient_responsibility_cents = totals.money.patient_responsibility_cents;
    record->contractual_cents = totals.money.contractual_cents;
    record->denied_cents = totals.money.denied_cents;
    result->delta.paid_cents = record->paid_cents - before.paid_cents;
    result->delta.patient_responsibility_cents = record->patient_responsibility_cents
                                               - before.patient_responsibility_cents;
    result->delta.contractual_cents = record->contractual_cents - before.contractual_cents;
    result->delta.denied_cents = record->denied_cents - before.denied_cents;
    result->patient_balance_changed = result->delta.patient_responsibility_cents != 0;

    const char *status = s_status (record, latest, &totals);
    text_append (result->to_status, sizeof result->to_status, 0, status);
    result->denied = !reversal && record->n_denials > 0;
    if (!reversal) {
        if (*copy->remit->payer_claim_number)
            codec_set_text (&record->payer_claim_number, copy->remit->payer_claim_number);
        if (!*record->first_adjudication) {
            codec_set_text (&record->first_adjudication, status);
            record->first_adjudicated_ms = posting->posted_ms;
            codec_set_text (&record->first_remit_date, posting->payment_date);
            result->first_adjudication = true;
        }
    }
    return 0;
}

int
posting_apply (ClaimRecord *record, const Posting *posting,
               posting_result_t *result, char *error, size_t size)
{
    return s_apply (record, posting, false, result, error, size);
}

int
posting_apply_lent (ClaimRecord *record, Posting *posting,
                    posting_result_t *result, char *error, size_t size)
{
    assert (result);
    return s_apply (record, posting, true, result, error, size);
}

void
posting_take_back (ClaimRecord *record, posting_result_t *result)
{
    if (!result->lent)
        return;
    //  The lent posting is the last one: nothing is appended after it.
    assert (record->n_postings == result->posting_index + 1);
    free (record->postings [result->posting_index]);
    record->postings [result->posting_index] = NULL;
    record->n_postings--;
    result->lent = false;
}
