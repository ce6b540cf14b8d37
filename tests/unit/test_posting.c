/*  Tests for posting: the arithmetic of applying 835 claim payments to a
    claim record, on hand-written remits read with remit835 and amounts
    worked out by hand in the comments: full payment with CO-45 and
    PR-1/2/3, a partial line denial, full denials, a reversal and the
    re-adjudication after it, PLB left out of claims, several CAS triples,
    negative amounts, line matching by REF*6R and by procedure; and the
    rules of issue 11: a second payment or a denial of a paid claim
    without a reversal held (credit balance), re-adjudication of a denial
    and a secondary payment allowed, an overpayment split into paid and
    credit so the claim's A/R never goes below zero.
*/
#include "suites.h"
#include "posting.h"
#include "remit835.h"
#include "codec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ISA "ISA*00*          *00*          *ZZ*ACMEHEALTH     *ZZ*CLINIC01       *260115*1200*^*00501*000000042*0*P*:~"

//  Header: BPR 4, TRN 5, N1*PR 6, N1*PE 7; the body starts at 8.
#define HEADER(amount, trace, date) \
    "BPR*I*" amount "*C*ACH************" date "~" \
    "TRN*1*" trace "*1512345678~" \
    "N1*PR*ACME HEALTH~" \
    "N1*PE*FAMILY CLINIC*XX*1234567893~"

//  PCN1, charge 250.00, paid 140.00 (LX 8, CLP 9):
//    line 1  99213     150.00 - CO-45 40.00 - PR-1 20.00 - PR-2 10.00 = 80.00
//    line 2  85025:QW  100.00 - CO-45 25.00 - PR-3 15.00              = 60.00
//  patient 45.00, contractual 65.00; 140.00 >= 250.00 - 45.00 - 65.00: paid.
#define PCN1_PAID \
    "LX*1~" \
    "CLP*PCN1*1*250*140*45*12*PAYERCLM1~" \
    "NM1*QC*1*DOE*JANE****MI*MEM0001~" \
    "SVC*HC:99213*150*80~" \
    "CAS*CO*45*40~" \
    "CAS*PR*1*20**2*10~" \
    "REF*6R*PCN1-1~" \
    "SVC*HC:85025:QW*100*60~" \
    "CAS*CO*45*25~" \
    "CAS*PR*3*15~" \
    "REF*6R*PCN1-2~"

typedef struct {
    uint32_t number;
    const char *procedure;
    const char *modifiers [4];
    int64_t charge_cents;
    const char *control;
} s_line_t;

static const s_line_t s_pcn1_lines [] = {
    { 1, "99213", { NULL }, 15000, "PCN1-1" },
    { 2, "85025", { "QW" }, 10000, "PCN1-2" },
};

//  A record as the claims service keeps it, owning all its memory (built
//  on the stack, then packed and unpacked like a record read from the store).
static ClaimRecord *
s_record (const char *pcn, int64_t charge, const char *status, const s_line_t *lines, size_t n_lines)
{
    ServiceLine service [8], *service_p [8];
    ck_assert_uint_le (n_lines, 8);
    for (size_t i = 0; i < n_lines; i++) {
        service_line__init (&service [i]);
        service [i].line_number = lines [i].number;
        service [i].procedure_qualifier = "HC";
        service [i].procedure_code = (char *) lines [i].procedure;
        service [i].modifiers = (char **) lines [i].modifiers;
        while (service [i].n_modifiers < 4 && lines [i].modifiers [service [i].n_modifiers])
            service [i].n_modifiers++;
        service [i].charge_cents = lines [i].charge_cents;
        service [i].line_item_control_number = (char *) lines [i].control;
        service_p [i] = &service [i];
    }
    Claim claim = CLAIM__INIT;
    claim.patient_control_number = (char *) pcn;
    claim.total_charge_cents = charge;
    claim.lines = service_p;
    claim.n_lines = n_lines;
    SealedClaim sealed = SEALED_CLAIM__INIT;
    sealed.claim = &claim;
    ClaimRecord record = CLAIM_RECORD__INIT;
    record.pcn = (char *) pcn;
    record.status = (char *) status;
    record.charge_cents = charge;
    record.claim = &sealed;
    size_t size = claim_record__get_packed_size (&record);
    uint8_t *buffer = malloc (size + 1);
    claim_record__pack (&record, buffer);
    ClaimRecord *copy = claim_record__unpack (NULL, size, buffer);
    free (buffer);
    ck_assert_ptr_nonnull (copy);
    return copy;
}

static int
s_keep (Remittance **remit_p, void *arg)
{
    Remittance **kept = arg;
    ck_assert_ptr_null (*kept);
    *kept = *remit_p;
    *remit_p = NULL;
    return 0;
}

//  Reads one transaction set that must be well formed and balance.
static Remittance *
s_remit (const char *body)
{
    size_t segments = 2;
    for (const char *p = body; *p; p++)
        segments += *p == '~';
    size_t size = strlen (body) + 512;
    char *text = malloc (size);
    snprintf (text, size,
              ISA "GS*HP*ACMEHEALTH*CLINIC01*20260115*1200*7*X*005010X221A1~"
              "ST*835*0007~%sSE*%zu*0007~GE*1*7~IEA*1*000000042~", body, segments);
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    Remittance *remit = NULL;
    remit835_report_t report;
    ck_assert_msg (remit835_read (reader, s_keep, &remit, &report) == 0, "%s", report.error);
    x12_reader_destroy (&reader);
    free (text);
    char error [512];
    ck_assert_msg (remit835_check (remit, error, sizeof error) == 0, "%s", error);
    return remit;
}

//  Applies claim `index` of remit to record.
static int
s_post (ClaimRecord *record, const Remittance *remit, size_t index,
        posting_result_t *result, char *error, size_t size)
{
    ck_assert_uint_lt (index, remit->n_claims);
    Posting posting = POSTING__INIT;
    posting.trace = remit->trace;
    posting.payer_id = remit->payer_id;
    posting.payment_date = remit->payment_date;
    posting.remit = remit->claims [index];
    posting.posted_ms = 1000 + index;
    posting.actor = "test";
    return posting_apply (record, &posting, result, error, size);
}

static void
s_assert_money (const ClaimRecord *record, int64_t paid, int64_t patient, int64_t contractual, int64_t denied)
{
    ck_assert_int_eq (record->paid_cents, paid);
    ck_assert_int_eq (record->patient_responsibility_cents, patient);
    ck_assert_int_eq (record->contractual_cents, contractual);
    ck_assert_int_eq (record->denied_cents, denied);
}

static void
s_assert_delta (const posting_result_t *result, int64_t paid, int64_t patient, int64_t contractual, int64_t denied)
{
    ck_assert_int_eq (result->delta.paid_cents, paid);
    ck_assert_int_eq (result->delta.patient_responsibility_cents, patient);
    ck_assert_int_eq (result->delta.contractual_cents, contractual);
    ck_assert_int_eq (result->delta.denied_cents, denied);
}

static const Adjustment *
s_adjustment (const ClaimRecord *record, const char *group, const char *carc)
{
    for (size_t i = 0; i < record->n_adjustments; i++)
        if (strcmp (record->adjustments [i]->group, group) == 0
        &&  strcmp (record->adjustments [i]->carc, carc) == 0)
            return record->adjustments [i];
    return NULL;
}

//  posting_apply_lent: the record borrows the posting and packs to what a
//  copied posting packs to; taken back, the record frees without it and
//  the posting is the caller's still (memcheck sees a double free). A
//  record read back from those bytes takes the next posting lent on top
//  of the one it owns.
static Posting
s_posting (const Remittance *remit, size_t index)
{
    Posting posting = POSTING__INIT;
    posting.trace = remit->trace;
    posting.payer_id = remit->payer_id;
    posting.payment_date = remit->payment_date;
    posting.remit = remit->claims [index];
    posting.posted_ms = 1000 + index;
    posting.actor = "test";
    return posting;
}

static uint8_t *
s_apply_both (ClaimRecord **record_p, const Remittance *remit, size_t index, size_t *size)
{
    ClaimRecord *copied = codec_copy (*record_p);
    Posting posting = s_posting (remit, index);
    posting_result_t result, lent;
    ck_assert_int_eq (posting_apply (copied, &posting, &result, NULL, 0), 0);
    ck_assert (!result.lent);
    ck_assert_int_eq (posting_apply_lent (*record_p, &posting, &lent, NULL, 0), 0);
    ck_assert (lent.lent);
    ck_assert_uint_eq (lent.posting_index, result.posting_index);
    size_t size_copied;
    uint8_t *packed_copied = codec_pack (copied, &size_copied);
    uint8_t *packed = codec_pack (*record_p, size);
    ck_assert_uint_eq (*size, size_copied);
    ck_assert (memcmp (packed, packed_copied, *size) == 0);
    free (packed_copied);
    codec_free (copied);
    posting_take_back (*record_p, &lent);
    ck_assert (!lent.lent);
    ck_assert_uint_eq ((*record_p)->n_postings, result.posting_index);
    posting_take_back (*record_p, &lent);       //  twice: nothing more
    codec_free (*record_p);
    *record_p = (ClaimRecord *) codec_decode (&claim_record__descriptor, packed, *size);
    ck_assert (*record_p);
    return packed;
}

START_TEST (test_lent)
{
    ClaimRecord *record = s_record ("PCN1", 25000, "submitted", s_pcn1_lines, 2);
    Remittance *first = s_remit (HEADER ("140", "TRACE1", "20260115") PCN1_PAID);
    Remittance *second = s_remit (HEADER ("-140", "TRACE2", "20260201")
        "LX*1~"
        "CLP*PCN1*22*-250*-140*-45*12*PAYERCLM1~"
        "SVC*HC:99213*-150*-80~CAS*CO*45*-40~CAS*PR*1*-20**2*-10~REF*6R*PCN1-1~"
        "SVC*HC:85025:QW*-100*-60~CAS*CO*45*-25~CAS*PR*3*-15~REF*6R*PCN1-2~");
    size_t size;
    free (s_apply_both (&record, first, 0, &size));
    ck_assert_uint_eq (record->n_postings, 1);
    ck_assert_uint_eq (record->paid_cents, 14000);
    free (s_apply_both (&record, second, 0, &size));
    ck_assert_uint_eq (record->n_postings, 2);
    ck_assert (record->postings [1]->reversal);
    ck_assert_uint_eq (record->paid_cents, 0);
    //  The remits were only lent: still whole.
    ck_assert_str_eq (first->claims [0]->pcn, "PCN1");
    ck_assert_uint_eq (first->claims [0]->lines [1]->matched_line_number, 2);
    codec_free (record);
    codec_free (first);
    codec_free (second);
}
END_TEST

//  The record's net adjustments are copied field by field (posting.c,
//  s_copy_adjustment): each holds the group, CARC and net amount the 835
//  gave, and the copy knows every field Adjustment has.
START_TEST (test_net_adjustments_copied)
{
    ck_assert_msg (adjustment__descriptor.n_fields == 4,
                   "Adjustment has a new field: copy it in posting.c's s_copy_adjustment");
    ClaimRecord *record = s_record ("PCN1", 25000, "submitted", s_pcn1_lines, 2);
    Remittance *first = s_remit (HEADER ("140", "TRACE1", "20260115") PCN1_PAID);
    size_t size;
    free (s_apply_both (&record, first, 0, &size));
    //  The 835's CAS segments, net by (group, CARC): CO 45 on both lines,
    //  PR 1 and 2 on the first, PR 3 on the second.
    static const struct {
        const char *group, *carc;
        int64_t cents;
    } expected [] = { { "CO", "45", 6500 }, { "PR", "1", 2000 }, { "PR", "2", 1000 }, { "PR", "3", 1500 } };
    ck_assert_uint_eq (record->n_adjustments, sizeof expected / sizeof expected [0]);
    for (size_t e = 0; e < sizeof expected / sizeof expected [0]; e++) {
        const Adjustment *found = NULL;
        for (size_t i = 0; i < record->n_adjustments; i++)
            if (streq (record->adjustments [i]->group, expected [e].group)
            &&  streq (record->adjustments [i]->carc, expected [e].carc))
                found = record->adjustments [i];
        ck_assert_msg (found, "no net adjustment %s %s", expected [e].group, expected [e].carc);
        ck_assert_int_eq (found->amount_cents, expected [e].cents);
        ck_assert_int_eq (found->quantity_milli, 0);
    }
    codec_free (record);
    codec_free (first);
}
END_TEST

START_TEST (test_full_payment)
{
    ClaimRecord *record = s_record ("PCN1", 25000, "submitted", s_pcn1_lines, 2);
    Remittance *remit = s_remit (HEADER ("140", "TRACE1", "20260115") PCN1_PAID);
    posting_result_t result;
    char error [256];
    ck_assert_int_eq (s_post (record, remit, 0, &result, error, sizeof error), 0);

    s_assert_money (record, 14000, 4500, 6500, 0);
    s_assert_delta (&result, 14000, 4500, 6500, 0);
    ck_assert_str_eq (result.from_status, "submitted");
    ck_assert_str_eq (result.to_status, "paid");
    ck_assert_str_eq (record->status, "submitted");     //  the caller moves it
    ck_assert (result.first_adjudication);
    ck_assert (!result.reversal);
    ck_assert (!result.denied);
    ck_assert (result.patient_balance_changed);
    ck_assert_uint_eq (result.lines_matched, 2);
    ck_assert_uint_eq (result.lines_unmatched, 0);
    ck_assert_str_eq (record->first_adjudication, "paid");
    ck_assert_uint_eq (record->first_adjudicated_ms, 1000);
    ck_assert_str_eq (record->first_remit_date, "20260115");
    ck_assert_str_eq (record->payer_claim_number, "PAYERCLM1");
    ck_assert_uint_eq (record->n_denials, 0);

    //  Net adjustments, merged by group and CARC across lines.
    ck_assert_uint_eq (record->n_adjustments, 4);
    ck_assert_int_eq (s_adjustment (record, "CO", "45")->amount_cents, 6500);
    ck_assert_int_eq (s_adjustment (record, "PR", "1")->amount_cents, 2000);
    ck_assert_int_eq (s_adjustment (record, "PR", "2")->amount_cents, 1000);
    ck_assert_int_eq (s_adjustment (record, "PR", "3")->amount_cents, 1500);

    //  The posting is kept, with its lines matched.
    ck_assert_uint_eq (record->n_postings, 1);
    ck_assert_uint_eq (result.posting_index, 0);
    Posting *kept = record->postings [0];
    ck_assert_str_eq (kept->trace, "TRACE1");
    ck_assert_str_eq (kept->payment_date, "20260115");
    ck_assert (!kept->reversal);
    ck_assert_uint_eq (kept->remit->lines [0]->matched_line_number, 1);
    ck_assert_uint_eq (kept->remit->lines [1]->matched_line_number, 2);
    //  The caller's remit is left as it was.
    ck_assert_uint_eq (remit->claims [0]->lines [0]->matched_line_number, 0);

    //  What the CLP adds on its own.
    posting_money_t money;
    posting_money (remit->claims [0], &money);
    ck_assert_int_eq (money.paid_cents, 14000);
    ck_assert_int_eq (money.patient_responsibility_cents, 4500);
    ck_assert_int_eq (money.contractual_cents, 6500);
    ck_assert_int_eq (money.denied_cents, 0);

    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  One line paid, one denied for medical necessity.
START_TEST (test_partial_line_denial)
{
    static const s_line_t lines [] = {
        { 1, "99214", { NULL }, 20000, "L1" },
        { 2, "97110", { "GP" }, 10000, "L2" },
    };
    ClaimRecord *record = s_record ("PCN4", 30000, "accepted", lines, 2);
    //  line 1  200.00 - CO-45 50.00 - PR-2 30.00 = 120.00
    //  line 2  100.00 - CO-50 100.00             =   0.00  (denied, RARC M25)
    //  paid 120.00 < 300.00 - 30.00 - 50.00 = 220.00: partially paid.
    Remittance *remit = s_remit (HEADER ("120", "TRACE4", "20260115")
        "CLP*PCN4*1*300*120*30*12*PAYERCLM4~"
        "SVC*HC:99214*200*120~CAS*CO*45*50~CAS*PR*2*30~REF*6R*L1~"
        "SVC*HC:97110:GP*100*0~CAS*CO*50*100~REF*6R*L2~LQ*HE*M25~");
    posting_result_t result;
    ck_assert_int_eq (s_post (record, remit, 0, &result, NULL, 0), 0);
    s_assert_money (record, 12000, 3000, 5000, 10000);
    ck_assert_str_eq (result.to_status, "partially_paid");
    ck_assert_str_eq (record->first_adjudication, "partially_paid");
    ck_assert (result.denied);
    ck_assert_uint_eq (record->n_denials, 1);
    DenialReason *denial = record->denials [0];
    ck_assert_uint_eq (denial->line_number, 2);
    ck_assert_str_eq (denial->group, "CO");
    ck_assert_str_eq (denial->carc, "50");
    ck_assert_uint_eq (denial->n_rarcs, 1);
    ck_assert_str_eq (denial->rarcs [0], "M25");
    ck_assert_int_eq (denial->amount_cents, 10000);
    ck_assert_str_eq (denial->category, "medical_necessity");
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  CLP02 4: everything but the patient's share is denied, contractual
//  codes included (nothing was paid to write off against), and each
//  non-contractual adjustment is a denial reason.
START_TEST (test_full_denial)
{
    static const s_line_t lines [] = { { 1, "99213", { NULL }, 10000, "L1" } };
    ClaimRecord *record = s_record ("PCN5", 10000, "submitted", lines, 1);
    //  100.00 - CO-45 20.00 - CO-197 80.00 = 0.00; claim-level MOA N54.
    Remittance *remit = s_remit (HEADER ("0", "TRACE5", "20260115")
        "CLP*PCN5*4*100*0**12*PAYERCLM5~MOA***N54~"
        "SVC*HC:99213*100*0~CAS*CO*45*20*1*197*80~REF*6R*L1~LQ*HE*N517~");
    posting_result_t result;
    ck_assert_int_eq (s_post (record, remit, 0, &result, NULL, 0), 0);
    s_assert_money (record, 0, 0, 0, 10000);
    s_assert_delta (&result, 0, 0, 0, 10000);
    ck_assert_str_eq (result.to_status, "denied");
    ck_assert_str_eq (record->first_adjudication, "denied");
    ck_assert (result.denied);
    ck_assert (!result.patient_balance_changed);
    ck_assert_uint_eq (record->n_denials, 1);
    ck_assert_uint_eq (record->denials [0]->line_number, 1);
    ck_assert_str_eq (record->denials [0]->carc, "197");
    ck_assert_int_eq (record->denials [0]->amount_cents, 8000);
    ck_assert_str_eq (record->denials [0]->category, "authorization");
    ck_assert_str_eq (record->denials [0]->rarcs [0], "N517");
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);

    //  A claim-level denial (no lines, CLP02 1 but nothing paid and a
    //  duplicate adjustment): reason at line 0 with the MOA remarks.
    record = s_record ("PCN6", 5000, "submitted", NULL, 0);
    remit = s_remit (HEADER ("0", "TRACE6", "20260115")
        "CLP*PCN6*1*50*0**12~CAS*OA*18*50~MOA***MA130*N522~");
    ck_assert_int_eq (s_post (record, remit, 0, &result, NULL, 0), 0);
    s_assert_money (record, 0, 0, 0, 5000);
    ck_assert_str_eq (result.to_status, "denied");
    ck_assert_uint_eq (record->n_denials, 1);
    ck_assert_uint_eq (record->denials [0]->line_number, 0);
    ck_assert_str_eq (record->denials [0]->group, "OA");
    ck_assert_str_eq (record->denials [0]->category, "duplicate");
    ck_assert_uint_eq (record->denials [0]->n_rarcs, 2);
    ck_assert_str_eq (record->denials [0]->rarcs [1], "N522");
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  Paid nothing because the patient owes it all (deductible): paid, not
//  denied, and the whole charge is a patient balance.
START_TEST (test_all_deductible)
{
    ClaimRecord *record = s_record ("PCN7", 8000, "submitted", NULL, 0);
    Remittance *remit = s_remit (HEADER ("0", "TRACE7", "20260115")
        "CLP*PCN7*1*80*0*60*12~CAS*CO*45*20~CAS*PR*1*60~");
    posting_result_t result;
    ck_assert_int_eq (s_post (record, remit, 0, &result, NULL, 0), 0);
    s_assert_money (record, 0, 6000, 2000, 0);
    ck_assert_str_eq (result.to_status, "paid");
    ck_assert (!result.denied);
    ck_assert (result.patient_balance_changed);
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  A reversal takes back exactly what the first posting added; the CLP
//  after it re-adjudicates; first_adjudication stays as it was.
START_TEST (test_reversal_then_readjudication)
{
    ClaimRecord *record = s_record ("PCN1", 25000, "submitted", s_pcn1_lines, 2);
    Remittance *first = s_remit (HEADER ("140", "TRACE1", "20260115") PCN1_PAID);
    posting_result_t result;
    ck_assert_int_eq (s_post (record, first, 0, &result, NULL, 0), 0);

    //  Second remit: the reversal (every amount negated), then the new
    //  adjudication, in which the deductible is 10.00 instead of 20.00:
    //    line 1  150.00 - CO-45 40.00 - PR-1 10.00 - PR-2 10.00 = 90.00
    //    line 2  100.00 - CO-45 25.00 - PR-3 15.00              = 60.00
    //  paid 150.00, patient 35.00, contractual 65.00.
    //  BPR02 = -140.00 + 150.00 = 10.00.
    Remittance *second = s_remit (HEADER ("10", "TRACE2", "20260201")
        "LX*1~"
        "CLP*PCN1*22*-250*-140*-45*12*PAYERCLM1~"
        "SVC*HC:99213*-150*-80~CAS*CO*45*-40~CAS*PR*1*-20**2*-10~REF*6R*PCN1-1~"
        "SVC*HC:85025:QW*-100*-60~CAS*CO*45*-25~CAS*PR*3*-15~REF*6R*PCN1-2~"
        "CLP*PCN1*1*250*150*35*12*PAYERCLM1B~"
        "SVC*HC:99213*150*90~CAS*CO*45*40~CAS*PR*1*10**2*10~REF*6R*PCN1-1~"
        "SVC*HC:85025:QW*100*60~CAS*CO*45*25~CAS*PR*3*15~REF*6R*PCN1-2~");

    ck_assert_int_eq (s_post (record, second, 0, &result, NULL, 0), 0);
    ck_assert (result.reversal);
    ck_assert_uint_eq (result.reversed_index, 0);
    ck_assert_uint_eq (result.posting_index, 1);
    ck_assert_str_eq (result.to_status, "reversed");
    ck_assert (!result.first_adjudication);
    ck_assert (!result.denied);
    s_assert_money (record, 0, 0, 0, 0);
    s_assert_delta (&result, -14000, -4500, -6500, 0);
    ck_assert_uint_eq (record->n_adjustments, 0);
    ck_assert (record->postings [1]->reversal);
    ck_assert_str_eq (record->payer_claim_number, "PAYERCLM1");

    ck_assert_int_eq (s_post (record, second, 1, &result, NULL, 0), 0);
    ck_assert (!result.reversal);
    ck_assert_str_eq (result.to_status, "paid");
    s_assert_money (record, 15000, 3500, 6500, 0);
    s_assert_delta (&result, 15000, 3500, 6500, 0);
    ck_assert_int_eq (s_adjustment (record, "PR", "1")->amount_cents, 1000);
    ck_assert (!result.first_adjudication);
    ck_assert_str_eq (record->first_adjudication, "paid");
    ck_assert_uint_eq (record->first_adjudicated_ms, 1000);
    ck_assert_str_eq (record->first_remit_date, "20260115");
    ck_assert_str_eq (record->payer_claim_number, "PAYERCLM1B");
    ck_assert_uint_eq (record->n_postings, 3);

    //  Reversing the first posting again matches nothing in force: refused
    //  and the record is unchanged.
    size_t size = claim_record__get_packed_size (record);
    uint8_t *before = malloc (size);
    claim_record__pack (record, before);
    char error [256];
    ck_assert_int_eq (s_post (record, second, 0, &result, error, sizeof error), -1);
    ck_assert_str_eq (error, "claim PCN1: reversal (CLP02 22, segment 9) of charge 250.00, paid 140.00 "
                             "matches no earlier posting in force");
    ck_assert_uint_eq (claim_record__get_packed_size (record), size);
    uint8_t *after = malloc (size);
    claim_record__pack (record, after);
    ck_assert (memcmp (before, after, size) == 0);
    free (before);
    free (after);

    remittance__free_unpacked (first, NULL);
    remittance__free_unpacked (second, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  A reversal for a claim never posted, or for other amounts, is refused;
//  the record is then replayed from its postings as it was.
START_TEST (test_reversal_refused)
{
    ClaimRecord *record = s_record ("PCN8", 10000, "submitted", NULL, 0);
    Remittance *remit = s_remit (HEADER ("-70", "TRACE8", "20260115")
        "CLP*PCN8*22*-100*-80**12~CAS*CO*45*-20~"
        "CLP*PCN8*1*100*80**12~CAS*CO*45*20~"
        "CLP*PCN8*22*-100*-70**12~CAS*CO*45*-30~");
    char error [256];
    ck_assert_int_eq (s_post (record, remit, 0, NULL, error, sizeof error), -1);
    ck_assert_str_eq (error, "claim PCN8: reversal (CLP02 22, segment 8) of charge 100.00, paid 80.00 "
                             "matches no earlier posting in force");
    ck_assert_uint_eq (record->n_postings, 0);
    ck_assert_int_eq (s_post (record, remit, 1, NULL, NULL, 0), 0);
    ck_assert_int_eq (record->paid_cents, 8000);
    //  Paid 80.00, not 70.00: not the posting this reversal undoes.
    ck_assert_int_eq (s_post (record, remit, 2, NULL, error, sizeof error), -1);
    ck_assert_ptr_nonnull (strstr (error, "paid 70.00 matches no earlier posting"));
    ck_assert_int_eq (record->paid_cents, 8000);
    remittance__free_unpacked (remit, NULL);

    //  A predetermination (CLP02 25) prices the claim and pays nothing: it
    //  is not posted.
    remit = s_remit (HEADER ("0", "TRACE8B", "20260115") "CLP*PCN8*25*100*0**12~CAS*PI*104*100~");
    ck_assert_int_eq (s_post (record, remit, 0, NULL, error, sizeof error), -1);
    ck_assert_str_eq (error, "claim PCN8: CLP02 25 (segment 8) is predetermination pricing, not an adjudication");
    ck_assert_uint_eq (record->n_postings, 1);
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  Two postings in force (the primary's and a secondary payer's, CLP02 2,
//  which contradicts nothing); a reversal undoes the one whose amounts it
//  negates, even when it is not the latest.
START_TEST (test_reversal_picks_matching_posting)
{
    ClaimRecord *record = s_record ("PCN9", 10000, "submitted", NULL, 0);
    Remittance *remit = s_remit (HEADER ("70", "TRACE9", "20260115")
        "CLP*PCN9*1*100*50**12~CAS*CO*45*20~CAS*CO*16*30~"
        "CLP*PCN9*2*30*20**12~CAS*CO*45*10~"
        "CLP*PCN9*22*-100*-50**12~CAS*CO*45*-20~CAS*CO*16*-30~"
        "CLP*PCN9*1*100*50**12~CAS*CO*45*50~");
    posting_result_t result;
    ck_assert_int_eq (s_post (record, remit, 0, &result, NULL, 0), 0);
    ck_assert_str_eq (result.to_status, "partially_paid");      //  50 < 100 - 20
    s_assert_money (record, 5000, 0, 2000, 3000);
    ck_assert_int_eq (s_post (record, remit, 1, &result, NULL, 0), 0);
    s_assert_money (record, 7000, 0, 3000, 3000);
    //  70 >= 100 - 30: nothing left for the payer.
    ck_assert_str_eq (result.to_status, "paid");
    ck_assert_int_eq (s_post (record, remit, 2, &result, NULL, 0), 0);
    ck_assert_uint_eq (result.reversed_index, 0);
    s_assert_money (record, 2000, 0, 1000, 0);
    s_assert_delta (&result, -5000, 0, -2000, -3000);
    ck_assert_str_eq (result.to_status, "partially_paid");      //  20 < 100 - 10
    ck_assert_int_eq (s_post (record, remit, 3, &result, NULL, 0), 0);
    //  Received 50 + 20 = 70.00 on a claim owing 100 - 60 = 40.00: paid
    //  40.00 and a credit balance of 30.00.
    s_assert_money (record, 4000, 0, 6000, 0);
    ck_assert_int_eq (record->credit_cents, 3000);
    ck_assert_str_eq (result.to_status, "paid");
    ck_assert_int_eq (s_adjustment (record, "CO", "45")->amount_cents, 6000);
    ck_assert_ptr_null (s_adjustment (record, "CO", "16"));    //  only in the reversed posting
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  Applies a posting that must contradict the claim, checks nothing moved
//  but the held list and the credit, and holds it.
static void
s_hold (ClaimRecord *record, const Remittance *remit, size_t index, const char *reason)
{
    int64_t paid = record->paid_cents, denied = record->denied_cents;
    size_t postings = record->n_postings;
    char status [32];
    snprintf (status, sizeof status, "%s", record->status);
    posting_result_t result;
    char error [320];
    ck_assert_int_eq (s_post (record, remit, index, &result, error, sizeof error), 1);
    ck_assert_msg (strstr (error, reason), "'%s' does not say '%s'", error, reason);
    ck_assert_str_eq (result.contradiction, error);
    ck_assert_int_eq (record->paid_cents, paid);
    ck_assert_int_eq (record->denied_cents, denied);
    ck_assert_uint_eq (record->n_postings, postings);
    Posting posting = POSTING__INIT;
    posting.trace = remit->trace;
    posting.payer_id = remit->payer_id;
    posting.remit = remit->claims [index];
    posting.posted_ms = 5000;
    ck_assert_int_eq (posting_hold (record, &posting, &result), 0);
    ck_assert (result.held);
    ck_assert_int_eq (record->paid_cents, paid);
    ck_assert_str_eq (record->status, status);
}

//  Issue 11 item 4: a second payment for a paid claim without a reversal
//  is not posted; its money is a credit balance, once however often it
//  comes. After the payer reverses the first payment, the held one applies
//  (as `claims match` does) and the credit goes.
START_TEST (test_second_payment_held)
{
    ClaimRecord *record = s_record ("PCN1", 25000, "submitted", s_pcn1_lines, 2);
    Remittance *first = s_remit (HEADER ("140", "TRACE1", "20260115") PCN1_PAID);
    ck_assert_int_eq (s_post (record, first, 0, NULL, NULL, 0), 0);
    ck_assert_int_eq (record->paid_cents, 14000);
    ck_assert_int_eq (record->credit_cents, 0);
    //  Another payer run: 250.00 - CO-45 100.00 = 150.00, no reversal.
    Remittance *second = s_remit (HEADER ("150", "TRACE2", "20260120")
        "LX*1~CLP*PCN1*1*250*150**12*PAYERCLM2~CAS*CO*45*100~");
    s_hold (record, second, 0, "claim PCN1: second payment of 150.00 (CLP02 1, segment 9) for a claim "
                               "already paid 140.00 (835 TRACE1) without a reversal");
    ck_assert_uint_eq (record->n_unapplied, 1);
    ck_assert_int_eq (record->credit_cents, 15000);
    ck_assert_uint_eq (record->credit_since_ms, 5000);
    ck_assert_str_eq (record->payer_claim_number, "PAYERCLM1");
    //  Held again (the exception retried): nothing more.
    posting_result_t result;
    Posting again = POSTING__INIT;
    again.trace = second->trace;
    again.payer_id = second->payer_id;
    again.remit = second->claims [0];
    again.posted_ms = 6000;
    ck_assert_int_eq (posting_hold (record, &again, &result), 0);
    ck_assert_uint_eq (record->n_unapplied, 1);
    ck_assert_int_eq (record->credit_cents, 15000);
    ck_assert_int_eq (result.delta_credit_cents, 0);

    //  The payer reverses its first payment; then the held one applies.
    Remittance *reversal = s_remit (HEADER ("0", "TRACE3", "20260125")
        "LX*1~CLP*PCN1*22*-250*-140*-45*12~CAS*CO*45*-65~CAS*PR*1*-20**2*-10**3*-15~"
        "CLP*PCN1*1*10*140~CAS*CO*45*-130~");
    ck_assert_int_eq (s_post (record, reversal, 0, &result, NULL, 0), 0);
    ck_assert_int_eq (record->paid_cents, 0);
    ck_assert_int_eq (record->credit_cents, 15000);
    ck_assert_int_eq (s_post (record, second, 0, &result, NULL, 0), 0);
    ck_assert_int_eq (record->paid_cents, 15000);
    ck_assert_uint_eq (record->n_unapplied, 0);
    ck_assert_int_eq (record->credit_cents, 0);
    ck_assert_uint_eq (record->credit_since_ms, 0);
    ck_assert_int_eq (result.delta_credit_cents, -15000);
    remittance__free_unpacked (first, NULL);
    remittance__free_unpacked (second, NULL);
    remittance__free_unpacked (reversal, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  The payer reversing the payment it sent twice takes back the held one:
//  it leaves the credit; the payment in force stays.
START_TEST (test_reversal_of_held)
{
    ClaimRecord *record = s_record ("PCN1", 25000, "paid", s_pcn1_lines, 2);
    Remittance *first = s_remit (HEADER ("140", "TRACE1", "20260115") PCN1_PAID);
    ck_assert_int_eq (s_post (record, first, 0, NULL, NULL, 0), 0);
    Remittance *second = s_remit (HEADER ("0", "TRACE2", "20260120")
        "LX*1~CLP*PCN1*1*250*150**12~CAS*CO*45*100~"
        "CLP*PCN1*22*-250*-150**12~CAS*CO*45*-100~");
    s_hold (record, second, 0, "second payment of 150.00");
    ck_assert_int_eq (record->credit_cents, 15000);
    posting_result_t result;
    ck_assert_int_eq (s_post (record, second, 1, &result, NULL, 0), 0);
    ck_assert (result.released);
    ck_assert_str_eq (result.released_trace, "TRACE2");
    ck_assert_uint_eq (result.released_occurrence, 1);
    ck_assert_int_eq (result.delta_credit_cents, -15000);
    ck_assert_int_eq (record->credit_cents, 0);
    ck_assert_uint_eq (record->n_unapplied, 0);
    ck_assert_int_eq (record->paid_cents, 14000);
    ck_assert_uint_eq (record->n_postings, 1);
    s_assert_delta (&result, 0, 0, 0, 0);
    remittance__free_unpacked (first, NULL);
    remittance__free_unpacked (second, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  A denial of a paid claim without a reversal is not posted: the claim
//  stays paid with its money; the denial pays nothing, so no credit.
START_TEST (test_denial_of_paid_held)
{
    ClaimRecord *record = s_record ("PCN1", 25000, "paid", s_pcn1_lines, 2);
    Remittance *first = s_remit (HEADER ("140", "TRACE1", "20260115") PCN1_PAID);
    ck_assert_int_eq (s_post (record, first, 0, NULL, NULL, 0), 0);
    Remittance *denial = s_remit (HEADER ("0", "TRACE2", "20260120")
        "LX*1~CLP*PCN1*4*250*0**12~CAS*CO*29*250~");
    s_hold (record, denial, 0, "claim PCN1: denial (CLP02 4, segment 9) of a claim paid 140.00 (835 TRACE1) "
                               "without a reversal");
    ck_assert_int_eq (record->paid_cents, 14000);
    ck_assert_int_eq (record->denied_cents, 0);
    ck_assert_uint_eq (record->n_denials, 0);
    ck_assert_int_eq (record->credit_cents, 0);
    ck_assert_uint_eq (record->n_unapplied, 1);
    remittance__free_unpacked (first, NULL);
    remittance__free_unpacked (denial, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  A denied claim (nothing paid in force) may be adjudicated again: the
//  outcome of an appeal. And a secondary payer's payment (CLP02 2) after
//  the primary's is no contradiction.
START_TEST (test_readjudication_allowed)
{
    ClaimRecord *record = s_record ("PCN5", 10000, "submitted", NULL, 0);
    Remittance *remit = s_remit (HEADER ("90", "TRACE5", "20260115")
        "CLP*PCN5*4*100*0**12~CAS*CO*50*100~"
        "CLP*PCN5*1*100*70**12~CAS*CO*45*10~CAS*PR*2*20~"
        "CLP*PCN5*2*20*20**12~");
    posting_result_t result;
    ck_assert_int_eq (s_post (record, remit, 0, &result, NULL, 0), 0);
    ck_assert_str_eq (result.to_status, "denied");
    ck_assert_int_eq (s_post (record, remit, 1, &result, NULL, 0), 0);
    ck_assert_int_eq (record->paid_cents, 7000);
    ck_assert_int_eq (s_post (record, remit, 2, &result, NULL, 0), 0);
    //  Received 90.00 on a claim owing 100 - 10 - 20 = 70.00: the other
    //  20.00 is a credit balance, not a payment, so A/R stays at 0.
    ck_assert_int_eq (record->paid_cents, 7000);
    ck_assert_int_eq (record->credit_cents, 2000);
    ck_assert_int_eq (result.delta.paid_cents, 0);
    ck_assert_int_eq (result.delta_credit_cents, 2000);
    ck_assert_int_eq (record->charge_cents - record->paid_cents - record->contractual_cents
                      - record->patient_responsibility_cents, 0);
    ck_assert_uint_eq (record->n_unapplied, 0);
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  Issue 11: a 15.00 claim shown 20.76 paid. A payment beyond what the
//  claim is owed counts as paid up to what is owed; the rest is credit.
START_TEST (test_overpayment_is_credit)
{
    ClaimRecord *record = s_record ("PCN6", 1500, "submitted", NULL, 0);
    //  The payer prices it at 25.00: 25.00 - CO-45 4.24 = 20.76.
    Remittance *remit = s_remit (HEADER ("20.76", "TRACE6", "20260115")
        "CLP*PCN6*1*25*20.76**12~CAS*CO*45*4.24~");
    posting_result_t result;
    ck_assert_int_eq (s_post (record, remit, 0, &result, NULL, 0), 0);
    //  Owed 15.00 - 4.24 = 10.76; received 20.76; credit 10.00.
    ck_assert_str_eq (result.to_status, "paid");
    ck_assert_int_eq (record->paid_cents, 1076);
    ck_assert_int_eq (result.delta.paid_cents, 1076);
    ck_assert_int_eq (record->credit_cents, 1000);
    ck_assert_int_eq (result.delta_credit_cents, 1000);
    ck_assert_uint_eq (record->credit_since_ms, 1000);
    ck_assert_int_eq (record->charge_cents - record->paid_cents - record->contractual_cents
                      - record->patient_responsibility_cents, 0);
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  PLB is the payee's, never the claims': the claims' paid deltas add up
//  to the sum of CLP04, which is BPR02 plus the PLB amounts.
START_TEST (test_provider_adjustment_not_posted)
{
    ClaimRecord *record = s_record ("PCN1", 25000, "submitted", s_pcn1_lines, 2);
    //  BPR02 = 140.00 - (25.00 - 5.00) = 120.00
    Remittance *remit = s_remit (HEADER ("120", "TRACE3", "20260115") PCN1_PAID
        "PLB*1234567893*20261231*WO:OVERPAY7*25*L6*-5~");
    posting_result_t result;
    ck_assert_int_eq (s_post (record, remit, 0, &result, NULL, 0), 0);
    ck_assert_int_eq (result.delta.paid_cents, 14000);
    ck_assert_int_eq (record->paid_cents, 14000);
    ck_assert_int_eq (remit->total_paid_cents + remit->provider_adjustments [0]->amount_cents
                      + remit->provider_adjustments [1]->amount_cents, record->paid_cents);
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

//  One CAS with several triples, and a negative amount correcting another.
START_TEST (test_several_triples_and_negatives)
{
    ClaimRecord *record = s_record ("PCN10", 20000, "submitted", NULL, 0);
    //  200.00 - (CO-45 30.00 + CO-253 2.00 + CO-45 -5.00 + CO-151 13.00
    //            + OA-23 40.00 + PR-3 20.00) = 200.00 - 100.00 = 100.00
    //  contractual 27.00, denied 13.00 (a partial denial on a paid claim:
    //  no denial reason), other 40.00, patient 20.00;
    //  100.00 < 200.00 - 20.00 - 27.00 - 40.00 = 113.00: partially paid.
    Remittance *remit = s_remit (HEADER ("100", "TRACE10", "20260115")
        "CLP*PCN10*2*200*100*20*12~"
        "CAS*CO*45*30**253*2**45*-5~CAS*CO*151*13~CAS*OA*23*40~CAS*PR*3*20~");
    posting_result_t result;
    ck_assert_int_eq (s_post (record, remit, 0, &result, NULL, 0), 0);
    s_assert_money (record, 10000, 2000, 2700, 1300);
    ck_assert_str_eq (result.to_status, "partially_paid");
    ck_assert (!result.denied);
    ck_assert_uint_eq (record->n_denials, 0);
    ck_assert_uint_eq (record->n_adjustments, 5);
    ck_assert_int_eq (s_adjustment (record, "CO", "45")->amount_cents, 2500);
    ck_assert_int_eq (s_adjustment (record, "OA", "23")->amount_cents, 4000);
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);

    //  The prior payer's share (OA-23) is not a denial: the secondary paid
    //  what it owed, so the claim is paid.
    record = s_record ("PCN11", 5652, "submitted", NULL, 0);
    remit = s_remit (HEADER ("18.88", "TRACE11", "20260115")
        "CLP*PCN11*2*56.52*18.88*0*13~CAS*CO*42*0*0~CAS*OA*23*37.64*0~");
    ck_assert_int_eq (s_post (record, remit, 0, &result, NULL, 0), 0);
    ck_assert_str_eq (result.to_status, "paid");
    s_assert_money (record, 1888, 0, 0, 0);
    ck_assert_uint_eq (record->n_adjustments, 1);              //  CO-42 0 dropped
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

START_TEST (test_line_matching)
{
    static const s_line_t lines [] = {
        { 1, "99213", { NULL }, 100, "A1" },
        { 2, "99213", { "25" }, 100, "A2" },
        { 3, "36415", { NULL }, 100, "A3" },
        { 4, "99213", { NULL }, 100, "A4" },
    };
    ClaimRecord *record = s_record ("PCN12", 400, "submitted", lines, 4);
    const Claim *claim = record->claim->claim;
    Remittance *remit = s_remit (HEADER ("0", "TRACE12", "20260115")
        "CLP*PCN12*1*0*0**12~"
        "SVC*HC:99213*0*0~"                 //  (a) procedure only left: line 1
        "SVC*HC:99213*0*0~REF*6R*A4~"       //  (b) REF*6R: line 4
        "SVC*HC:99213:25*0*0~"              //  (c) procedure and modifier: line 2
        "SVC*HC:36415:QW*0*0~REF*6R*ZZ~"    //  (d) unknown 6R, modifier differs: line 3 by procedure
        "SVC*HC:99215*0*0~");               //  (e) nothing
    RemitClaim *remit_claim = remit->claims [0];
    ck_assert_uint_eq (posting_match_lines (remit_claim, claim), 4);
    static const uint32_t expected [] = { 1, 4, 2, 3, 0 };
    for (size_t i = 0; i < 5; i++)
        ck_assert_msg (remit_claim->lines [i]->matched_line_number == expected [i],
                       "remit line %zu matched %u", i + 1, remit_claim->lines [i]->matched_line_number);

    //  (a) would take line 1 if passes did not go by REF*6R first.
    remittance__free_unpacked (remit, NULL);
    remit = s_remit (HEADER ("0", "TRACE13", "20260115")
        "CLP*PCN12*1*0*0**12~SVC*HC:99213*0*0~SVC*HC:99213*0*0~REF*6R*A1~");
    ck_assert_uint_eq (posting_match_lines (remit->claims [0], claim), 2);
    ck_assert_uint_eq (remit->claims [0]->lines [0]->matched_line_number, 4);
    ck_assert_uint_eq (remit->claims [0]->lines [1]->matched_line_number, 1);
    //  Without the claim nothing matches.
    ck_assert_uint_eq (posting_match_lines (remit->claims [0], NULL), 0);
    ck_assert_uint_eq (remit->claims [0]->lines [1]->matched_line_number, 0);
    remittance__free_unpacked (remit, NULL);

    //  Denial reasons carry the claim's line numbers; an unmatched line
    //  its place in the remit.
    remit = s_remit (HEADER ("0", "TRACE14", "20260115")
        "CLP*PCN12*4*200*0**12~"
        "SVC*HC:36415*100*0~CAS*CO*97*100~"
        "SVC*HC:99499*100*0~CAS*CO*16*100~LQ*HE*M51~");
    posting_result_t result;
    ck_assert_int_eq (s_post (record, remit, 0, &result, NULL, 0), 0);
    ck_assert_uint_eq (result.lines_matched, 1);
    ck_assert_uint_eq (result.lines_unmatched, 1);
    ck_assert_uint_eq (record->n_denials, 2);
    ck_assert_uint_eq (record->denials [0]->line_number, 3);
    ck_assert_str_eq (record->denials [0]->category, "coding");
    ck_assert_uint_eq (record->denials [1]->line_number, 2);
    ck_assert_str_eq (record->denials [1]->category, "coding");     //  16 with M51
    remittance__free_unpacked (remit, NULL);
    claim_record__free_unpacked (record, NULL);
}
END_TEST

Suite *
posting_suite (void)
{
    Suite *suite = suite_create ("posting");
    TCase *tc = tcase_create ("apply");
    tcase_add_test (tc, test_full_payment);
    tcase_add_test (tc, test_partial_line_denial);
    tcase_add_test (tc, test_full_denial);
    tcase_add_test (tc, test_all_deductible);
    tcase_add_test (tc, test_reversal_then_readjudication);
    tcase_add_test (tc, test_reversal_refused);
    tcase_add_test (tc, test_reversal_picks_matching_posting);
    tcase_add_test (tc, test_second_payment_held);
    tcase_add_test (tc, test_denial_of_paid_held);
    tcase_add_test (tc, test_reversal_of_held);
    tcase_add_test (tc, test_readjudication_allowed);
    tcase_add_test (tc, test_overpayment_is_credit);
    tcase_add_test (tc, test_provider_adjustment_not_posted);
    tcase_add_test (tc, test_several_triples_and_negatives);
    tcase_add_test (tc, test_line_matching);
    tcase_add_test (tc, test_lent);
    tcase_add_test (tc, test_net_adjustments_copied);
    suite_add_tcase (suite, tc);
    return suite;
}
