/*  Tests for remit835: every field the reader keeps (header, payer, payee,
    claims, lines, remarks, PLB), several CAS triples and negative amounts,
    names never kept, several transaction sets and envelopes, malformed
    files refused with segment number, id and reason, an unsound claim
    refused alone while the file is read, and the balancing
    check naming the claim, line or total that does not add up.

    s_wrap puts a body into ISA / GS / ST ... SE / GE / IEA with the right
    SE count. Segment numbers: ISA 1, GS 2, ST 3, then the body from 4.
    Amounts are worked out by hand in the comments next to them.
*/
#include "suites.h"
#include "x12_helpers.h"
#include "remit835.h"
#include "codec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ISA "ISA*00*          *00*          *ZZ*ACMEHEALTH     *ZZ*CLINIC01       *260115*1200*^*00501*000000042*0*P*:~"

#define BPR(amount) "BPR*I*" amount "*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260115~"

//  Header and payer / payee loops: BPR 4, TRN 5, DTM 6, N1*PR 7, N3 8,
//  N4 9, REF*2U 10, PER 11, N1*PE 12, N3 13, N4 14, REF 15.
#define HEADER(amount) \
    BPR (amount) \
    "TRN*1*TRACE001*1512345678~" \
    "DTM*405*20260114~" \
    "N1*PR*ACME HEALTH~" \
    "N3*1 PAYER WAY~" \
    "N4*HARTFORD*CT*06101~" \
    "REF*2U*PAYER01~" \
    "PER*BL*CLAIMS*TE*8005551234~" \
    "N1*PE*FAMILY CLINIC*XX*1234567893~" \
    "N3*100 MAIN ST~" \
    "N4*SPRINGFIELD*IL*62701~" \
    "REF*TJ*123456789~"

//  Claim PCN1 (LX 16, CLP 17): charge 250.00, paid 140.00.
//    line 1  99213     150.00 - CO-45 40.00 - PR-1 20.00 - PR-2 10.00 = 80.00
//    line 2  85025:QW  100.00 - CO-45 25.00 - PR-3 15.00              = 60.00
//    claim   250.00 - 110.00 = 140.00; patient share 20 + 10 + 15 = 45.00
#define PAID_CLAIM \
    "LX*1~" \
    "CLP*PCN1*1*250*140*45*12*PAYERCLM1*11*1~" \
    "NM1*QC*1*DOE*JANE****MI*MEM0001~" \
    "NM1*IL*1*DOE*JOHN****MI*MEM0001~" \
    "NM1*82*1*WELBY*MARCUS****XX*1234567893~" \
    "MOA***MA01*MA18~" \
    "DTM*232*20251220~" \
    "DTM*233*20251221~" \
    "SVC*HC:99213*150*80**1~" \
    "DTM*472*20251220~" \
    "CAS*CO*45*40~" \
    "CAS*PR*1*20*1*2*10~" \
    "REF*6R*PCN1-1~" \
    "AMT*B6*110~" \
    "SVC*HC:85025:QW*100*60~" \
    "DTM*472*20251221~" \
    "CAS*CO*45*25~" \
    "CAS*PR*3*15~" \
    "REF*6R*PCN1-2~" \
    "LQ*HE*N130~"

typedef struct {
    Remittance *remits [8];
    size_t count;
    int stop_after;             //  callback returns -1 after this many (0 = never)
} s_sink_t;

//  Keeps each remittance by taking it from the reader.
static int
s_collect (Remittance **remit_p, void *arg)
{
    s_sink_t *sink = arg;
    ck_assert_uint_lt (sink->count, 8);
    sink->remits [sink->count++] = *remit_p;
    *remit_p = NULL;
    if (sink->stop_after && (int) sink->count >= sink->stop_after)
        return -1;
    return 0;
}

static void
s_sink_free (s_sink_t *sink)
{
    for (size_t i = 0; i < sink->count; i++)
        remittance__free_unpacked (sink->remits [i], NULL);
    sink->count = 0;
}

static char *
s_wrap (const char *body)
{
    return test_x12_wrap (ISA "GS*HP*ACMEHEALTH*CLINIC01*20260115*1200*7*X*005010X221A1~"
                          "ST*835*0007~",
                          body, "0007", "GE*1*7~IEA*1*000000042~");
}

static int
s_read (const char *body, s_sink_t *sink, remit835_report_t *report)
{
    char *text = s_wrap (body);
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    int rc = remit835_read (reader, s_collect, sink, report);
    x12_reader_destroy (&reader);
    free (text);
    return rc;
}

//  Reads a body that must be well formed into one remittance.
static Remittance *
s_read_one (const char *body)
{
    s_sink_t sink = { .count = 0 };
    remit835_report_t report;
    ck_assert_msg (s_read (body, &sink, &report) == 0, "%s", report.error);
    ck_assert_uint_eq (sink.count, 1);
    return sink.remits [0];
}

START_TEST (test_full_payment)
{
    Remittance *remit = s_read_one (HEADER ("140") PAID_CLAIM);
    ck_assert_str_eq (remit->trace, "TRACE001");
    ck_assert_str_eq (remit->payer_id, "PAYER01");         //  REF*2U (the id claims go to) before TRN03
    ck_assert_str_eq (remit->payer_name, "ACME HEALTH");
    ck_assert_str_eq (remit->payee_name, "FAMILY CLINIC");
    ck_assert_str_eq (remit->payee_id, "1234567893");
    ck_assert_int_eq (remit->total_paid_cents, 14000);
    ck_assert_str_eq (remit->payment_method, "ACH");
    ck_assert_str_eq (remit->payment_date, "20260115");
    ck_assert_str_eq (remit->production_date, "20260114");
    ck_assert_str_eq (remit->interchange_control_number, "000000042");
    ck_assert_uint_eq (remit->n_provider_adjustments, 0);
    ck_assert_uint_eq (remit->n_claims, 1);

    RemitClaim *claim = remit->claims [0];
    ck_assert_str_eq (claim->pcn, "PCN1");
    ck_assert_str_eq (claim->status_code, "1");
    ck_assert_int_eq (claim->charge_cents, 25000);
    ck_assert_int_eq (claim->paid_cents, 14000);
    ck_assert_int_eq (claim->patient_responsibility_cents, 4500);
    ck_assert_str_eq (claim->filing_indicator, "12");
    ck_assert_str_eq (claim->payer_claim_number, "PAYERCLM1");
    ck_assert_uint_eq (claim->segment_index, 17);
    ck_assert_uint_eq (claim->n_adjustments, 0);
    ck_assert_uint_eq (claim->n_remarks, 2);
    ck_assert_str_eq (claim->remarks [0], "MA01");
    ck_assert_str_eq (claim->remarks [1], "MA18");
    ck_assert_str_eq (claim->service_date_from, "20251220");
    ck_assert_str_eq (claim->service_date_to, "20251221");
    ck_assert_uint_eq (claim->n_lines, 2);

    RemitLine *line = claim->lines [0];
    ck_assert_str_eq (line->procedure_qualifier, "HC");
    ck_assert_str_eq (line->procedure_code, "99213");
    ck_assert_uint_eq (line->n_modifiers, 0);
    ck_assert_int_eq (line->charge_cents, 15000);
    ck_assert_int_eq (line->paid_cents, 8000);
    ck_assert_int_eq (line->units_milli, 1000);
    ck_assert_str_eq (line->service_date, "20251220");
    ck_assert_str_eq (line->line_item_control_number, "PCN1-1");
    ck_assert_uint_eq (line->n_adjustments, 3);
    static const struct { const char *group, *carc; int64_t cents, milli; } expected [] = {
        { "CO", "45", 4000, 0 }, { "PR", "1", 2000, 1000 }, { "PR", "2", 1000, 0 },
    };
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq (line->adjustments [i]->group, expected [i].group);
        ck_assert_str_eq (line->adjustments [i]->carc, expected [i].carc);
        ck_assert_int_eq (line->adjustments [i]->amount_cents, expected [i].cents);
        ck_assert_int_eq (line->adjustments [i]->quantity_milli, expected [i].milli);
    }
    ck_assert_uint_eq (line->n_remarks, 0);

    line = claim->lines [1];
    ck_assert_str_eq (line->procedure_code, "85025");
    ck_assert_uint_eq (line->n_modifiers, 1);
    ck_assert_str_eq (line->modifiers [0], "QW");
    ck_assert_int_eq (line->units_milli, 1000);         //  SVC05 left out: one unit
    ck_assert_str_eq (line->line_item_control_number, "PCN1-2");
    ck_assert_uint_eq (line->n_remarks, 1);
    ck_assert_str_eq (line->remarks [0], "N130");

    char error [256] = "untouched";
    ck_assert_int_eq (remit835_check (remit, error, sizeof error), 0);
    ck_assert_str_eq (error, "");
    remittance__free_unpacked (remit, NULL);
}
END_TEST

//  Names and member ids in the claim's NM1 segments are PHI: nothing of
//  them may reach the message.
START_TEST (test_no_names_kept)
{
    Remittance *remit = s_read_one (HEADER ("140") PAID_CLAIM);
    size_t size = remittance__get_packed_size (remit);
    uint8_t *packed = malloc (size);
    remittance__pack (remit, packed);
    static const char *phi [] = { "DOE", "JANE", "JOHN", "MEM0001", "WELBY" };
    for (size_t i = 0; i < sizeof phi / sizeof phi [0]; i++)
        ck_assert_msg (!memmem (packed, size, phi [i], strlen (phi [i])), "%s kept", phi [i]);
    free (packed);
    remittance__free_unpacked (remit, NULL);
}
END_TEST

//  A CAS with all six triples, negative amounts and quantities, and a
//  reversal claim whose amounts are all negative.
START_TEST (test_cas_triples_and_negatives)
{
    //  PCN2 line: 200.00 - (10.00 + 20.00 - 5.00 + 1.25 + 0.75 + 3.00) = 170.00
    //  PCN3 (reversal) line: -100.00 - (-20.00 + 0.00) = -80.00
    //  BPR02 = 170.00 - 80.00 = 90.00
    Remittance *remit = s_read_one (
        HEADER ("90")
        "LX*1~"
        "CLP*PCN2*1*200*170**12*PAYERCLM2~"
        "SVC*HC:99214:25:59*200*170**1.5~"
        "CAS*OA*23*10*1*94*20**45*-5*-2*A1*1.25**B13*.75*0.5*144*3~"
        "CLP*PCN3*22*-100*-80*-20*12*PAYERCLM3~"
        "SVC*HC:99213*-100*-80**-1~"
        "CAS*PR*2*-20*-1*45*0~");
    ck_assert_uint_eq (remit->n_claims, 2);
    RemitLine *line = remit->claims [0]->lines [0];
    ck_assert_uint_eq (line->n_modifiers, 2);
    ck_assert_str_eq (line->modifiers [1], "59");
    ck_assert_int_eq (line->units_milli, 1500);
    ck_assert_uint_eq (line->n_adjustments, 6);
    static const struct { const char *carc; int64_t cents, milli; } expected [] = {
        { "23", 1000, 1000 }, { "94", 2000, 0 }, { "45", -500, -2000 },
        { "A1", 125, 0 }, { "B13", 75, 500 }, { "144", 300, 0 },
    };
    for (size_t i = 0; i < 6; i++) {
        ck_assert_str_eq (line->adjustments [i]->group, "OA");
        ck_assert_str_eq (line->adjustments [i]->carc, expected [i].carc);
        ck_assert_int_eq (line->adjustments [i]->amount_cents, expected [i].cents);
        ck_assert_int_eq (line->adjustments [i]->quantity_milli, expected [i].milli);
    }
    RemitClaim *reversal = remit->claims [1];
    ck_assert_str_eq (reversal->status_code, "22");
    ck_assert_int_eq (reversal->charge_cents, -10000);
    ck_assert_int_eq (reversal->paid_cents, -8000);
    ck_assert_int_eq (reversal->patient_responsibility_cents, -2000);
    ck_assert_uint_eq (reversal->n_adjustments, 0);
    ck_assert_int_eq (reversal->lines [0]->units_milli, -1000);
    ck_assert_uint_eq (reversal->lines [0]->n_adjustments, 2);
    ck_assert_int_eq (reversal->lines [0]->adjustments [0]->amount_cents, -2000);
    ck_assert_int_eq (reversal->lines [0]->adjustments [0]->quantity_milli, -1000);
    ck_assert_str_eq (reversal->lines [0]->adjustments [1]->group, "PR");
    ck_assert_str_eq (reversal->lines [0]->adjustments [1]->carc, "45");
    ck_assert_int_eq (reversal->lines [0]->adjustments [1]->amount_cents, 0);
    ck_assert_int_eq (remit835_check (remit, NULL, 0), 0);
    remittance__free_unpacked (remit, NULL);
}
END_TEST

//  PLB: each reason/amount pair is one provider adjustment; a positive
//  amount reduces the payment, a negative one adds to it.
START_TEST (test_provider_adjustments)
{
    //  PLB = 15.50 - 2.25 + 1.00 = 14.25; BPR02 = 140.00 - 14.25 = 125.75
    Remittance *remit = s_read_one (
        HEADER ("125.75") PAID_CLAIM
        "PLB*1234567893*20261231*WO:OVERPAY1*15.50*L6:INT1*-2.25*FB*1~");
    ck_assert_uint_eq (remit->n_provider_adjustments, 3);
    static const struct { const char *reason, *reference; int64_t cents; } expected [] = {
        { "WO", "OVERPAY1", 1550 }, { "L6", "INT1", -225 }, { "FB", "", 100 },
    };
    for (size_t i = 0; i < 3; i++) {
        ProviderAdjustment *adjustment = remit->provider_adjustments [i];
        ck_assert_str_eq (adjustment->provider_id, "1234567893");
        ck_assert_str_eq (adjustment->fiscal_period, "20261231");
        ck_assert_str_eq (adjustment->reason_code, expected [i].reason);
        ck_assert_str_eq (adjustment->reference, expected [i].reference);
        ck_assert_int_eq (adjustment->amount_cents, expected [i].cents);
    }
    ck_assert_int_eq (remit835_check (remit, NULL, 0), 0);

    //  The same file paying the claims in full, as if PLB did not count.
    remit->total_paid_cents = 14000;
    char error [256];
    ck_assert_int_eq (remit835_check (remit, error, sizeof error), -1);
    ck_assert_str_eq (error, "trace TRACE001: claims paid 140.00 - provider adjustments 14.25 = 125.75, "
                             "but BPR02 pays 140.00");
    remittance__free_unpacked (remit, NULL);
}
END_TEST

//  An unbalanced file: the check names the claim, the line and the amounts.
START_TEST (test_unbalanced)
{
    char body [4096];
    //  Line 2's contractual adjustment is 24.00 instead of 25.00: the line
    //  comes to 61.00 against 60.00 paid and the claim to 141.00 against 140.00.
    snprintf (body, sizeof body, "%s", HEADER ("140") PAID_CLAIM);
    char *cas = strstr (body, "CAS*CO*45*25~");
    memcpy (cas, "CAS*CO*45*24~", 13);
    Remittance *remit = s_read_one (body);
    char error [512];
    ck_assert_int_eq (remit835_check (remit, error, sizeof error), -1);
    ck_assert_str_eq (error, "claim PCN1 (CLP segment 17) line 2 (SVC 85025): charge 100.00 - adjustments 39.00 "
                             "= 61.00, but the line paid 60.00 (and 1 more problem)");
    remittance__free_unpacked (remit, NULL);

    //  Lines balance but the claim says it paid one dollar more (and BPR
    //  agrees, so only the claim is wrong).
    remit = s_read_one (HEADER ("141") "LX*1~CLP*PCN1*1*250*141*45*12*PAYERCLM1~"
                        "SVC*HC:99213*150*80~CAS*CO*45*40~CAS*PR*1*20*1*2*10~"
                        "SVC*HC:85025:QW*100*60~CAS*CO*45*25~CAS*PR*3*15~");
    ck_assert_int_eq (remit835_check (remit, error, sizeof error), -1);
    ck_assert_str_eq (error, "claim PCN1 (CLP segment 17): charge 250.00 - adjustments 110.00 = 140.00, "
                             "but the claim paid 141.00");
    //  A small buffer truncates and still terminates.
    char tiny [8];
    ck_assert_int_eq (remit835_check (remit, tiny, sizeof tiny), -1);
    ck_assert_str_eq (tiny, "claim P");
    remittance__free_unpacked (remit, NULL);

    //  A claim without lines balances on its claim-level CAS.
    remit = s_read_one (HEADER ("0") "CLP*PCN9*4*80*0**12~CAS*CO*29*79.99~");
    ck_assert_int_eq (remit835_check (remit, error, sizeof error), -1);
    ck_assert_str_eq (error, "claim PCN9 (CLP segment 16): charge 80.00 - adjustments 79.99 = 0.01, "
                             "but the claim paid 0.00");
    remittance__free_unpacked (remit, NULL);
}
END_TEST

//  A debit (BPR03 D) is money taken back: a negative total.
START_TEST (test_debit)
{
    Remittance *remit = s_read_one (
        "BPR*H*80*D*NON************20260115~TRN*1*TRACE9*1512345678~"
        "CLP*PCN3*22*-100*-80*-20*12~CAS*PR*2*-20~");
    ck_assert_int_eq (remit->total_paid_cents, -8000);
    ck_assert_str_eq (remit->payment_method, "NON");
    ck_assert_int_eq (remit835_check (remit, NULL, 0), 0);
    remittance__free_unpacked (remit, NULL);
}
END_TEST

//  Without TRN03 the payer id comes from REF*2U in the payer loop.
START_TEST (test_payer_id_fallback)
{
    Remittance *remit = s_read_one (
        BPR ("0") "TRN*1*TRACE002~N1*PR*ACME HEALTH~REF*2U*PAYER01~N1*PE*CLINIC*FI*123456789~");
    ck_assert_str_eq (remit->payer_id, "PAYER01");
    ck_assert_str_eq (remit->payee_id, "123456789");
    ck_assert_uint_eq (remit->n_claims, 0);
    remittance__free_unpacked (remit, NULL);
}
END_TEST

//  Each malformed body outside a claim's own loop refuses the file with
//  segment, id and reason.
START_TEST (test_malformed)
{
    static const struct {
        const char *body;
        uint64_t segment;
        const char *id;
        const char *reason;
    } cases [] = {
        {   "TRN*1*T*P~",
            4, "TRN", "BPR expected right after ST" },
        {   BPR ("1x") "TRN*1*T*P~",
            4, "BPR", "BPR02 total actual provider payment '1x' is not an amount in cents" },
        {   "BPR*I*1*X*ACH~TRN*1*T*P~",
            4, "BPR", "BPR03 credit/debit flag 'X' is not C or D" },
        {   "BPR*I*1*C*ACH************20261345~TRN*1*T*P~",
            4, "BPR", "BPR16 payment date '20261345' is not a CCYYMMDD date" },
        {   BPR ("0") "DTM*405*20260101~",
            6, "SE", "no TRN reassociation trace number" },
        {   BPR ("0") "TRN*1**P~",
            5, "TRN", "TRN02 check or EFT trace number is missing" },
        {   BPR ("0") "TRN*1*T*P~TRN*1*U*P~",
            6, "TRN", "second TRN" },
        {   BPR ("0") "TRN*1*T*P~N1*XX*WHO~",
            6, "N1", "N101 'XX' is neither payer (PR) nor payee (PE)" },
        {   BPR ("0") "TRN*1*T*P~LX*1~CAS*CO*45*1~",
            7, "CAS", "CAS belongs in a claim (after CLP)" },
        {   BPR ("0") "TRN*1*T*P~SVC*HC:99213*1*1~",
            6, "SVC", "SVC belongs in a claim (after CLP)" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*1*1*1~N1*PR*LATE~",
            7, "N1", "N1 belongs in the header, before the first LX / CLP" },
        {   BPR ("0") "TRN*1*T*P~PLB*1234567893*20261231*WO:X*1~CLP*A*1*1*1~",
            7, "CLP", "CLP belongs before the PLB trailer" },
        {   BPR ("0") "TRN*1*T*P~PLB*1234567893*20261231*WO:X~",
            6, "PLB", "PLB04 provider adjustment amount is missing" },
        {   BPR ("0") "TRN*1*T*P~PLB*1234567893*20261231**5~",
            6, "PLB", "PLB04 amount without a reason code in PLB03" },
        {   BPR ("0") "TRN*1*T*P~PLB**20261231*WO*5~",
            6, "PLB", "PLB01 provider identifier is missing" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        s_sink_t sink = { .count = 0 };
        remit835_report_t report;
        ck_assert_msg (s_read (cases [i].body, &sink, &report) == -1, "case %zu was read", i);
        ck_assert_msg (report.error_segment == cases [i].segment, "case %zu: segment %llu (%s)",
                       i, (unsigned long long) report.error_segment, report.error);
        ck_assert_str_eq (report.error_id, cases [i].id);
        ck_assert_msg (strstr (report.error, cases [i].reason), "case %zu: '%s'", i, report.error);
        ck_assert_uint_eq (sink.count, 0);
        s_sink_free (&sink);
    }
}
END_TEST

//  An error inside a claim's loop refuses that claim only (issue 11): the
//  file is read, the claim comes out with the segment and reason, and
//  the claim after it (LX*2, CLP B) is read in full.
START_TEST (test_unsound_claim)
{
    static const struct {
        const char *body;
        uint64_t segment;
        const char *id;
        const char *reason;
    } cases [] = {
        {   BPR ("0") "TRN*1*T*P~CLP*A*1*1*1~LQ*HE*N130~",
            7, "LQ", "LQ belongs in a service line (after SVC)" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*1*1*1~SVC*HC:99213*1*1~MOA***MA01~",
            8, "MOA", "MOA belongs in a claim, before its first SVC" },
        {   BPR ("0") "TRN*1*T*P~CLP**1*1*1~",
            6, "CLP", "CLP01 patient control number is missing" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*5*1*1~",
            6, "CLP", "CLP02 claim status '5' is not a claim status code" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*22~",
            6, "CLP", "CLP03 total claim charge is missing" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*1*1*1.001~",
            6, "CLP", "CLP04 claim payment amount '1.001' is not an amount in cents" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*1*1*1~CAS*XX*45*1~",
            7, "CAS", "CAS01 group code 'XX' is not CO, OA, PI or PR" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*1*1*1~CAS*CO*45~",
            7, "CAS", "CAS03 adjustment amount is missing" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*1*1*1~CAS*CO*45*1*1**2~",
            7, "CAS", "CAS06 amount without a reason code in CAS05" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*1*1*1~CAS*CO~",
            7, "CAS", "CAS02 adjustment reason code is missing" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*1*1*1~CAS*CO*45*1*x~",
            7, "CAS", "CAS04 quantity 'x' is not a number" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*1*1*1~SVC*HC*1*1~",
            7, "SVC", "SVC01-2 procedure code is missing" },
        {   BPR ("0") "TRN*1*T*P~CLP*A*1*1*1~SVC*HC:99213*1~",
            7, "SVC", "SVC03 line payment is missing" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char body [512];
        snprintf (body, sizeof body, "%sLX*2~CLP*B*1*5*5~SVC*HC:99213*5*5~REF*6R*B-1~", cases [i].body);
        s_sink_t sink = { .count = 0 };
        remit835_report_t report;
        ck_assert_msg (s_read (body, &sink, &report) == 0, "case %zu refused the file: %s", i, report.error);
        ck_assert_uint_eq (sink.count, 1);
        ck_assert_uint_eq (report.unsound_claims, 1);
        Remittance *remit = sink.remits [0];
        ck_assert_uint_eq (remit->n_claims, 2);
        RemitClaim *bad = remit->claims [0];
        ck_assert_msg (bad->error_segment == cases [i].segment, "case %zu: segment %llu (%s)",
                       i, (unsigned long long) bad->error_segment, bad->error);
        char where [32];
        snprintf (where, sizeof where, "segment %llu (%s): ", (unsigned long long) cases [i].segment, cases [i].id);
        ck_assert_msg (strncmp (bad->error, where, strlen (where)) == 0 && strstr (bad->error, cases [i].reason),
                       "case %zu: '%s'", i, bad->error);
        ck_assert_int_eq (remit835_check_claim (bad, NULL, 0), -1);
        RemitClaim *good = remit->claims [1];
        ck_assert_str_eq (good->pcn, "B");
        ck_assert_str_eq (good->error, "");
        ck_assert_uint_eq (good->n_lines, 1);
        ck_assert_str_eq (good->lines [0]->line_item_control_number, "B-1");
        ck_assert_int_eq (remit835_check_claim (good, NULL, 0), 0);
        //  The whole check still names the unsound claim.
        char error [400];
        ck_assert_int_eq (remit835_check (remit, error, sizeof error), -1);
        ck_assert_ptr_nonnull (strstr (error, "cannot be read"));
        s_sink_free (&sink);
    }
}
END_TEST

//  A claim that does not add up is the claim's problem; a payment total
//  that does not is the file's. The occurrence tells a reversal and its
//  re-adjudication (the same PCN) apart.
START_TEST (test_check_halves)
{
    Remittance *remit = s_read_one (
        BPR ("15") "TRN*1*T*P~"
        "LX*1~CLP*A*22*-10*-10~CAS*CO*45*0~"
        "CLP*A*1*10*10~"
        "CLP*B*1*20*15~CAS*CO*45*4~");       //  20 - 4 = 16, not 15
    ck_assert_uint_eq (remit->claims [0]->occurrence, 1);
    ck_assert_uint_eq (remit->claims [1]->occurrence, 2);
    ck_assert_uint_eq (remit->claims [2]->occurrence, 1);
    ck_assert_int_eq (remit835_check_claim (remit->claims [0], NULL, 0), 0);
    char error [300];
    ck_assert_int_eq (remit835_check_claim (remit->claims [2], error, sizeof error), -1);
    ck_assert_ptr_nonnull (strstr (error, "claim B (CLP segment 10)"));
    //  -10 + 10 + 15 = 15 = BPR02.
    ck_assert_int_eq (remit835_check_payment (remit, NULL, 0), 0);
    remit->total_paid_cents = 1600;
    ck_assert_int_eq (remit835_check_payment (remit, error, sizeof error), -1);
    ck_assert_ptr_nonnull (strstr (error, "but BPR02 pays 16.00"));
    remittance__free_unpacked (remit, NULL);
}
END_TEST

//  A PCN's occurrence is its count of CLPs so far in the set, whatever
//  lies between them: 1,000 PCNs (P1 and P10, P100 among them: prefixes
//  of one another) in three rounds, and an unsound CLP of a repeated PCN
//  that still counts; a new set starts again at 1. The reader keeps a
//  count per PCN instead of comparing with every earlier CLP (issue 19).
#define OCCURRENCE_PCNS   1000
#define OCCURRENCE_ROUNDS 3

START_TEST (test_occurrence_counts)
{
    //  Header, then 3,000 CLPs of at most 24 bytes each.
    size_t size = 512 + OCCURRENCE_PCNS * OCCURRENCE_ROUNDS * 24;
    char *body = malloc (size);
    ck_assert_ptr_nonnull (body);
    size_t used = (size_t) snprintf (body, size, "%s", BPR ("0") "TRN*1*T*P~LX*1~");
    for (int round = 0; round < OCCURRENCE_ROUNDS; round++)
        for (int i = 0; i < OCCURRENCE_PCNS; i++)
            //  P7 of the second round is unsound (status 99).
            used += (size_t) snprintf (body + used, size - used, "CLP*P%d*%s*10*10~", i,
                                       round == 1 && i == 7? "99": "1");
    ck_assert_uint_lt (used, size - 1);
    Remittance *remit = s_read_one (body);
    free (body);
    ck_assert_uint_eq (remit->n_claims, OCCURRENCE_PCNS * OCCURRENCE_ROUNDS);
    for (size_t at = 0; at < remit->n_claims; at++) {
        char pcn [16];
        snprintf (pcn, sizeof pcn, "P%zu", at % OCCURRENCE_PCNS);
        ck_assert_str_eq (remit->claims [at]->pcn, pcn);
        ck_assert_uint_eq (remit->claims [at]->occurrence, at / OCCURRENCE_PCNS + 1);
    }
    ck_assert_str_ne (remit->claims [OCCURRENCE_PCNS + 7]->error, "");
    remittance__free_unpacked (remit, NULL);

    const char *text =
        ISA "GS*HP*ACMEHEALTH*CLINIC01*20260115*1200*7*X*005010X221A1~"
        "ST*835*0001~" BPR ("20") "TRN*1*T1*P~CLP*A*1*10*10~CLP*A*1*10*10~SE*6*0001~"
        "ST*835*0002~" BPR ("10") "TRN*1*T2*P~CLP*B*1*5*5~CLP*A*1*5*5~SE*6*0002~"
        "GE*2*7~IEA*1*000000042~";
    s_sink_t sink = { .count = 0 };
    remit835_report_t report;
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    ck_assert_msg (remit835_read (reader, s_collect, &sink, &report) == 0, "%s", report.error);
    x12_reader_destroy (&reader);
    ck_assert_uint_eq (sink.count, 2);
    ck_assert_uint_eq (sink.remits [0]->claims [0]->occurrence, 1);
    ck_assert_uint_eq (sink.remits [0]->claims [1]->occurrence, 2);
    ck_assert_uint_eq (sink.remits [1]->claims [0]->occurrence, 1);
    ck_assert_uint_eq (sink.remits [1]->claims [1]->occurrence, 1);     //  A again, in a new set
    s_sink_free (&sink);
}
END_TEST

START_TEST (test_not_835)
{
    const char *text = ISA "GS*HN*S*R*20260115*1200*7*X*005010X214~"
                       "ST*277*0007*005010X214~BHT*0085*08*1*20260115~SE*3*0007~GE*1*7~IEA*1*000000042~";
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    remit835_report_t report;
    ck_assert_int_eq (remit835_read (reader, NULL, NULL, &report), -1);
    ck_assert_uint_eq (report.error_segment, 3);
    ck_assert_str_eq (report.error, "segment 3 (ST): transaction set 277 is not an 835 remittance");
    x12_reader_destroy (&reader);
}
END_TEST

//  Envelope errors come from the reader with their segment.
START_TEST (test_reader_error_propagates)
{
    char *text = s_wrap (HEADER ("140") PAID_CLAIM);
    char *se = strstr (text, "~SE*") + 1;
    se [3] = '9';           //  SE01 no longer counts the set
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    s_sink_t sink = { .count = 0 };
    remit835_report_t report;
    ck_assert_int_eq (remit835_read (reader, s_collect, &sink, &report), -1);
    ck_assert_str_eq (report.error_id, "SE");
    ck_assert_ptr_nonnull (strstr (report.error, "SE01"));
    ck_assert_uint_eq (sink.count, 0);
    x12_reader_destroy (&reader);
    free (text);
}
END_TEST

//  Two sets in one group and a second envelope: one remittance each, in
//  order, with their own interchange numbers; the callback can stop.
START_TEST (test_several_sets)
{
    const char *text =
        ISA "GS*HP*ACMEHEALTH*CLINIC01*20260115*1200*7*X*005010X221A1~"
        "ST*835*0001~" BPR ("0") "TRN*1*T1*P~SE*4*0001~"
        "ST*835*0002~" BPR ("5") "TRN*1*T2*P~CLP*A*1*5*5~SE*5*0002~"
        "GE*2*7~IEA*1*000000042~\r\n"
        "ISA*00*          *00*          *ZZ*ACMEHEALTH     *ZZ*CLINIC01       *260115*1200*^*00501*000000043*0*P*:~"
        "GS*HP*ACMEHEALTH*CLINIC01*20260115*1200*8*X*005010X221A1~"
        "ST*835*0003~" BPR ("0") "TRN*1*T3*P~SE*4*0003~"
        "GE*1*8~IEA*1*000000043~";
    s_sink_t sink = { .count = 0 };
    remit835_report_t report;
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    x12_reader_set_chunk_size (reader, 7);
    ck_assert_int_eq (remit835_read (reader, s_collect, &sink, &report), 0);
    x12_reader_destroy (&reader);
    ck_assert_uint_eq (sink.count, 3);
    ck_assert_uint_eq (report.interchanges, 2);
    ck_assert_uint_eq (report.transactions, 3);
    ck_assert_uint_eq (report.claims, 1);
    ck_assert_str_eq (sink.remits [0]->trace, "T1");
    ck_assert_str_eq (sink.remits [1]->trace, "T2");
    ck_assert_uint_eq (sink.remits [1]->n_claims, 1);
    ck_assert_str_eq (sink.remits [2]->trace, "T3");
    ck_assert_str_eq (sink.remits [1]->interchange_control_number, "000000042");
    ck_assert_str_eq (sink.remits [2]->interchange_control_number, "000000043");
    s_sink_free (&sink);

    reader = x12_reader_new_buffer (text, strlen (text));
    sink.stop_after = 2;
    ck_assert_int_eq (remit835_read (reader, s_collect, &sink, &report), -1);
    ck_assert_uint_eq (sink.count, 2);
    ck_assert_ptr_nonnull (strstr (report.error, "stopped by the remittance callback"));
    x12_reader_destroy (&reader);
    s_sink_free (&sink);

    //  Without a callback the file is only checked.
    reader = x12_reader_new_buffer (text, strlen (text));
    ck_assert_int_eq (remit835_read (reader, NULL, NULL, NULL), 0);
    x12_reader_destroy (&reader);
}
END_TEST

//  remit835_stream reads as remit835_read does: the set's header before
//  its claims (payer id settled), each claim as read, in order, and at SE
//  the problem remit835_check names for the whole set (issue 19).
typedef struct {
    Remittance *whole;          //  remit835_read's, to compare with
    size_t sets, claims, ends;
    bool header_first;
} s_stream_t;

static int
s_stream_set (const Remittance *set, void *arg)
{
    s_stream_t *stream = arg;
    stream->sets++;
    ck_assert_str_eq (set->trace, stream->whole->trace);
    ck_assert_str_eq (set->payer_id, stream->whole->payer_id);
    stream->header_first = stream->claims == 0;
    return 0;
}

static int
s_stream_claim (const Remittance *set, RemitClaim **claim_p, size_t index, void *arg)
{
    s_stream_t *stream = arg;
    ck_assert_str_eq (set->trace, stream->whole->trace);
    ck_assert_uint_eq (index, stream->claims);
    ck_assert_uint_lt (index, stream->whole->n_claims);
    size_t size, whole_size;
    uint8_t *packed = codec_pack (*claim_p, &size);
    uint8_t *whole = codec_pack (stream->whole->claims [index], &whole_size);
    ck_assert_uint_eq (size, whole_size);
    ck_assert_int_eq (memcmp (packed, whole, size), 0);
    free (packed);
    free (whole);
    stream->claims++;
    return 0;
}

static int
s_stream_end (Remittance **remit_p, const char *problem, void *arg)
{
    s_stream_t *stream = arg;
    stream->ends++;
    ck_assert_uint_eq ((*remit_p)->n_claims, 0);
    ck_assert_uint_eq ((*remit_p)->n_provider_adjustments, stream->whole->n_provider_adjustments);
    char error [512];
    remit835_check (stream->whole, error, sizeof error);
    if (remit835_check_payment (stream->whole, NULL, 0))
        ck_assert_str_eq (problem? problem: "(none)", error);
    else
        ck_assert_ptr_null (problem);
    return 0;
}

START_TEST (test_stream_matches_read)
{
    static const remit835_stream_t callbacks = { s_stream_set, s_stream_claim, s_stream_end };
    const char *bodies [] = {
        HEADER ("140") PAID_CLAIM,
        //  Unbalanced claims and payment: three problems, named as the check names them.
        HEADER ("999") PAID_CLAIM "LX*2~CLP*PCN1*22*-250*-140**12~CLP*PCN2*1*80*1~CAS*CO*45*79.99~",
        //  An unsound claim, a claim without lines, PLB.
        HEADER ("90") "LX*1~CLP**1*250*100~CLP*PCN3*4*80*100**12~SVC*HC*80*0~"
                      "PLB*1234567893*20261231*WO:X1*10~",
        //  The payment balances, a claim does not: no problem for the set.
        HEADER ("141") "LX*1~CLP*PCN1*1*250*141*45*12*PAYERCLM1~SVC*HC:99213*250*140~CAS*CO*45*110~",
        //  No claims at all.
        HEADER ("0"),
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies [0]; i++) {
        s_stream_t stream = { .whole = s_read_one (bodies [i]) };
        char *text = s_wrap (bodies [i]);
        x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
        x12_reader_set_chunk_size (reader, 5);
        remit835_report_t report;
        ck_assert_msg (remit835_stream (reader, &callbacks, &stream, &report) == 0, "%s", report.error);
        x12_reader_destroy (&reader);
        free (text);
        ck_assert_uint_eq (stream.sets, 1);
        ck_assert_uint_eq (stream.ends, 1);
        ck_assert (stream.header_first);
        ck_assert_uint_eq (stream.claims, stream.whole->n_claims);
        ck_assert_uint_eq (report.claims, stream.whole->n_claims);
        remittance__free_unpacked (stream.whole, NULL);
    }
}
END_TEST

//  A file refused after claims were handed out says so: the caller treats
//  what it was given as provisional (claims.Post undoes it).
START_TEST (test_stream_late_error)
{
    const char *text =
        ISA "GS*HP*ACMEHEALTH*CLINIC01*20260115*1200*7*X*005010X221A1~"
        "ST*835*0001~" BPR ("5") "TRN*1*T1*P~CLP*A*1*5*5~SE*5*0001~"
        "ST*835*0002~" BPR ("5") "TRN*1*T2*P~CLP*B*1*5*5~CLP*C*1*5*5~";
    s_stream_t stream = { .whole = NULL };
    static const remit835_stream_t callbacks = { NULL, NULL, NULL };
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    remit835_report_t report;
    ck_assert_int_eq (remit835_stream (reader, &callbacks, &stream, &report), -1);
    ck_assert_uint_eq (report.claims, 3);
    ck_assert_str_ne (report.error, "");
    x12_reader_destroy (&reader);
}
END_TEST

START_TEST (test_money)
{
    static const struct { int64_t cents; const char *text; } cases [] = {
        { 0, "0.00" }, { 5, "0.05" }, { -5, "-0.05" }, { 12345, "123.45" },
        { -4258, "-42.58" }, { INT64_MIN, "-92233720368547758.08" },
    };
    char buffer [32];
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        ck_assert_str_eq (remit835_money (cases [i].cents, buffer, sizeof buffer), cases [i].text);
}
END_TEST

Suite *
remit835_suite (void)
{
    Suite *suite = suite_create ("remit835");
    TCase *tc = tcase_create ("read");
    tcase_add_test (tc, test_full_payment);
    tcase_add_test (tc, test_stream_matches_read);
    tcase_add_test (tc, test_stream_late_error);
    tcase_add_test (tc, test_no_names_kept);
    tcase_add_test (tc, test_cas_triples_and_negatives);
    tcase_add_test (tc, test_provider_adjustments);
    tcase_add_test (tc, test_unbalanced);
    tcase_add_test (tc, test_debit);
    tcase_add_test (tc, test_payer_id_fallback);
    tcase_add_test (tc, test_malformed);
    tcase_add_test (tc, test_unsound_claim);
    tcase_add_test (tc, test_check_halves);
    tcase_add_test (tc, test_occurrence_counts);
    tcase_add_test (tc, test_not_835);
    tcase_add_test (tc, test_reader_error_propagates);
    tcase_add_test (tc, test_several_sets);
    tcase_add_test (tc, test_money);
    suite_add_tcase (suite, tc);
    return suite;
}
