/*  remit835: 835 remittances from an X12 reader (see remit835.h).

    Like the 837P parser, this is a loop tracker: `loop` says where we are
    (header, 1000A payer, 1000B payee, 2000 LX, 2100 claim, 2110 line, PLB
    trailer) and each segment is looked up in s_handlers by id and the loops
    it may appear in. A segment the 835 may carry but posting has no use for
    (PER, RDM, TS3, TS2, AMT, QTY, NM1, most REF and DTM) is skipped; a
    segment that carries money or codes outside the loop it belongs to
    (a CAS before any CLP, an SVC after the PLB) refuses the file, because
    guessing where an amount belongs would post it to the wrong place.

    An error inside one claim's loop (from its CLP to the next LX, CLP,
    PLB or SE) sinks only that claim: s_refuse records it on the open
    RemitClaim (error, error_segment), the reader skips the rest of the
    claim's segments and goes on with the next one. The claim's money as
    far as it was read still counts in the payment total, so a file whose
    BPR02 does not match is still refused whole by the balancing check.

    The Remittance of a transaction set is built while it streams and handed
    to the callback at SE (remit835_read). remit835_stream hands out the
    header when the body starts and each claim when its loop closes
    (s_close_claim), keeping only the set's CLP04 sum and its first
    problem, so it holds one claim at a time (issue 19). Amounts are parsed with x12_cents (exact,
    no floating point), which intake's 837P parser uses too.
*/
#include "remit835.h"
#include "x12.h"
#include "codec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

//  CAS carries up to 6 (reason, amount, quantity) triples after the group;
//  PLB up to 6 (reason, amount) pairs after provider and fiscal period;
//  SVC01 up to 4 modifiers after qualifier and code; MOA up to 5 remark
//  codes (MOA03-MOA07).
#define CAS_TRIPLES 6
#define PLB_PAIRS 6
#define SVC_MODIFIERS 4

typedef enum {
    LOOP_NONE,          //  outside a transaction set
    LOOP_HEADER,        //  ST, BPR, TRN, CUR, REF, DTM
    LOOP_PAYER,         //  1000A: N1*PR, N3, N4, REF, PER
    LOOP_PAYEE,         //  1000B: N1*PE, N3, N4, REF, RDM
    LOOP_LX,            //  2000: LX, TS3, TS2
    LOOP_CLAIM,         //  2100: CLP ... until the first SVC
    LOOP_LINE,          //  2110: SVC ...
    LOOP_TRAILER        //  PLB: nothing but PLB and SE may follow
} s_loop_t;

#define IN(loop) (1u << (loop))
#define IN_BODY (IN (LOOP_HEADER) | IN (LOOP_PAYER) | IN (LOOP_PAYEE) | IN (LOOP_LX) | \
                 IN (LOOP_CLAIM) | IN (LOOP_LINE))

typedef struct {
    char *error;
    size_t size;
    int problems;
} s_check_t;

static void s_check_claim (s_check_t *check, const RemitClaim *claim);
static void s_check_totals (s_check_t *check, const Remittance *remit, int64_t claims_paid);

typedef struct {
    x12_reader_t *reader;
    remit835_fn *on_remit;
    //  Streaming (remit835_stream): claims are handed out, not gathered.
    const remit835_stream_t *stream;
    bool header_out;            //  on_set called for the open set
    size_t set_claims;          //  CLPs of the open set so far
    int64_t claims_paid;        //  sum of their CLP04
    s_check_t check;            //  their problems: the first one and a count
    char problem [512];
    void *arg;
    remit835_report_t *report;
    bool failed;
    bool skipping;              //  the open claim is unsound: skip to the next claim

    char *isa13;                //  interchange control number, for the message
    s_loop_t loop;
    bool expect_bpr;            //  BPR must follow ST
    bool have_trn;
    char *payer_ref;            //  REF*2U in 1000A: payer id when TRN03 is empty
    Remittance *remit;          //  the open transaction set
    RemitClaim *claim;          //  the open CLP
    RemitLine *line;            //  the open SVC
    //  PCN -> CLPs of it so far in the open set (a count, not a pointer):
    //  the occurrence of a CLP in one look-up. Counting by a scan of the
    //  earlier CLPs made reading an 835 quadratic in its claims (issue 19).
    zhashx_t *occurrences;
} s_reader_t;


//  ---------------------------------------------------------------------
//  Errors and amounts

//  Segments of a claim's own loops (2100 / 2110). An error in one of them
//  while a claim is open is the claim's, not the file's.
static const char *s_claim_segments [] = { "CLP", "CAS", "MOA", "MIA", "DTM", "SVC", "REF", "LQ", "AMT", "QTY" };

static bool
s_in_claim (s_reader_t *self, x12_segment_t *seg)
{
    if (!self->claim || (self->loop != LOOP_CLAIM && self->loop != LOOP_LINE))
        return false;
    for (size_t i = 0; i < sizeof s_claim_segments / sizeof s_claim_segments [0]; i++)
        if (x12_id_is (x12_segment_id (seg), s_claim_segments [i]))
            return true;
    return false;
}

//  Refuses the open claim when seg belongs to it (returns 0: reading goes
//  on), else the whole file (returns -1).
static int
s_refuse (s_reader_t *self, x12_segment_t *seg, const char *format, ...)
{
    char text [320];
    va_list args;
    va_start (args, format);
    x12_segment_error (seg, NULL, NULL, 0, text, sizeof text, format, args);
    va_end (args);
    if (s_in_claim (self, seg)) {
        RemitClaim *claim = self->claim;
        if (!*claim->error) {
            codec_set_text (&claim->error, text);
            claim->error_segment = x12_segment_number (seg);
            self->report->unsound_claims++;
        }
        self->skipping = true;
        return 0;
    }
    remit835_report_t *report = self->report;
    self->failed = true;
    report->error_segment = x12_segment_number (seg);
    snprintf (report->error_id, sizeof report->error_id, "%s", x12_segment_id (seg));
    snprintf (report->error, sizeof report->error, "%s", text);
    return -1;
}

//  A required amount: element index of seg, named by what (for the error).
static int
s_amount (s_reader_t *self, x12_segment_t *seg, size_t index, const char *what, int64_t *cents)
{
    const char *text = x12_segment_element (seg, index);
    if (!*text)
        return s_refuse (self, seg, "%s%02zu %s is missing", x12_segment_id (seg), index, what);
    if (x12_cents (text, cents))
        return s_refuse (self, seg, "%s%02zu %s '%s' is not an amount in cents",
                         x12_segment_id (seg), index, what, text);
    return 0;
}

//  An optional amount: empty is 0.
static int
s_optional_amount (s_reader_t *self, x12_segment_t *seg, size_t index, const char *what, int64_t *cents)
{
    *cents = 0;
    if (!*x12_segment_element (seg, index))
        return 0;
    return s_amount (self, seg, index, what, cents);
}

//  An optional quantity in thousandths: empty is the given default.
static int
s_quantity (s_reader_t *self, x12_segment_t *seg, size_t index, int64_t empty, int64_t *milli)
{
    const char *text = x12_segment_element (seg, index);
    *milli = empty;
    if (!*text)
        return 0;
    if (x12_milli (text, milli))
        return s_refuse (self, seg, "%s%02zu quantity '%s' is not a number",
                         x12_segment_id (seg), index, text);
    return 0;
}

char *
remit835_money (int64_t cents, char *buffer, size_t size)
{
    assert (buffer && size);
    //  Through unsigned so INT64_MIN does not overflow on negation.
    uint64_t magnitude = cents < 0? -(uint64_t) cents: (uint64_t) cents;
    snprintf (buffer, size, "%s%" PRIu64 ".%02" PRIu64, cents < 0? "-": "",
              magnitude / 100, magnitude % 100);
    return buffer;
}


//  ---------------------------------------------------------------------
//  Streaming: the set's header and each claim as they are complete

//  REF*2U is the payer id claims were sent to; TRN03 is the payer's
//  "1" + tax id, which the claims do not know. Prefer the first.
static void
s_settle_payer (s_reader_t *self)
{
    if (*self->payer_ref || !*self->remit->payer_id)
        codec_set_text (&self->remit->payer_id, self->payer_ref);
}

//  The header is complete once the body starts (N1 and REF*2U may not
//  follow an LX or CLP). A set without TRN hands out nothing: its SE
//  refuses the file.
static int
s_header_out (s_reader_t *self, x12_segment_t *seg)
{
    if (!self->stream || self->header_out || !self->have_trn)
        return 0;
    self->header_out = true;
    s_settle_payer (self);
    if (self->stream->on_set && self->stream->on_set (self->remit, self->arg))
        return s_refuse (self, seg, "stopped by the remittance callback");
    return 0;
}

//  Closes the open claim: counted into the set's balance and handed out.
static int
s_close_claim (s_reader_t *self, x12_segment_t *seg)
{
    RemitClaim *claim = self->claim;
    self->claim = NULL;
    self->line = NULL;
    if (!self->stream || !claim)
        return 0;
    self->claims_paid += claim->paid_cents;
    s_check_claim (&self->check, claim);
    int rc = 0;
    if (self->header_out && self->stream->on_claim)
        rc = self->stream->on_claim (self->remit, &claim, self->set_claims, self->arg);
    self->set_claims++;
    codec_destroy (&claim);
    if (rc)
        return s_refuse (self, seg, "stopped by the remittance callback");
    return 0;
}


//  ---------------------------------------------------------------------
//  Envelope and transaction set

static int
s_on_isa (s_reader_t *self, x12_segment_t *seg)
{
    const char *isa13 = x12_segment_element (seg, 13);
    codec_set_text (&self->isa13, isa13);
    self->report->interchanges++;
    return 0;
}

static int
s_on_st (s_reader_t *self, x12_segment_t *seg)
{
    const char *type = x12_segment_element (seg, 1);
    if (!streq (type, "835"))
        return s_refuse (self, seg, "transaction set %s is not an 835 remittance", type);
    assert (!self->remit);
    self->remit = malloc (sizeof (Remittance));
    assert (self->remit);
    remittance__init (self->remit);
    codec_set_text (&self->remit->interchange_control_number, self->isa13);
    self->claim = NULL;
    self->line = NULL;
    self->skipping = false;
    self->loop = LOOP_HEADER;
    self->expect_bpr = true;
    self->have_trn = false;
    codec_set_text (&self->payer_ref, NULL);
    zhashx_purge (self->occurrences);
    self->header_out = false;
    self->set_claims = 0;
    self->claims_paid = 0;
    self->problem [0] = 0;
    self->check = (s_check_t) { .error = self->problem, .size = sizeof self->problem };
    self->report->transactions++;
    return 0;
}

static int
s_on_se (s_reader_t *self, x12_segment_t *seg)
{
    Remittance *remit = self->remit;
    if (!self->have_trn)
        return s_refuse (self, seg, "the transaction set has no TRN reassociation trace number");
    s_settle_payer (self);
    if (s_close_claim (self, seg) || s_header_out (self, seg))
        return -1;
    const char *problem = NULL;
    if (self->stream) {
        //  Only the payment refuses the set; the message then names every
        //  problem, as remit835_check does, as the likely causes.
        s_check_t payment = { .error = NULL };
        s_check_totals (&payment, remit, self->claims_paid);
        s_check_totals (&self->check, remit, self->claims_paid);
        if (payment.problems) {
            if (self->check.problems > 1) {
                size_t used = strlen (self->problem);
                snprintf (self->problem + used, sizeof self->problem - used, " (and %d more problem%s)",
                          self->check.problems - 1, self->check.problems > 2? "s": "");
            }
            problem = self->problem;
        }
    }
    self->remit = NULL;
    self->claim = NULL;
    self->line = NULL;
    self->loop = LOOP_NONE;
    int rc = 0;
    if (self->stream)
        rc = self->stream->on_end? self->stream->on_end (&remit, problem, self->arg): 0;
    else
        rc = self->on_remit? self->on_remit (&remit, self->arg): 0;
    codec_destroy (&remit);
    if (rc != 0)
        return s_refuse (self, seg, "stopped by the remittance callback");
    return 0;
}

//  BPR: BPR02 total paid, BPR03 credit (C) or debit (D), BPR04 payment
//  method (ACH, CHK, FWT, BOP, NON), BPR16 payment date. A debit is money
//  the payer takes back, kept as a negative total so the balancing check
//  compares like with like.
static int
s_on_bpr (s_reader_t *self, x12_segment_t *seg)
{
    Remittance *remit = self->remit;
    if (s_amount (self, seg, 2, "total actual provider payment", &remit->total_paid_cents))
        return -1;
    const char *flag = x12_segment_element (seg, 3);
    if (!streq (flag, "C") && !streq (flag, "D"))
        return s_refuse (self, seg, "BPR03 credit/debit flag '%s' is not C or D", flag);
    if (streq (flag, "D"))
        remit->total_paid_cents = -remit->total_paid_cents;
    codec_set_text (&remit->payment_method, x12_segment_element (seg, 4));
    const char *date = x12_segment_element (seg, 16);
    if (*date && !x12_valid_date (date))
        return s_refuse (self, seg, "BPR16 payment date '%s' is not a CCYYMMDD date", date);
    codec_set_text (&remit->payment_date, date);
    return 0;
}

static int
s_on_trn (s_reader_t *self, x12_segment_t *seg)
{
    if (self->have_trn)
        return s_refuse (self, seg, "second TRN in one transaction set");
    const char *trace = x12_segment_element (seg, 2);
    if (!*trace)
        return s_refuse (self, seg, "TRN02 check or EFT trace number is missing");
    codec_set_text (&self->remit->trace, trace);
    codec_set_text (&self->remit->payer_id, x12_segment_element (seg, 3));
    self->have_trn = true;
    return 0;
}

static int
s_on_header_dtm (s_reader_t *self, x12_segment_t *seg)
{
    if (streq (x12_segment_element (seg, 1), "405"))
        codec_set_text (&self->remit->production_date, x12_segment_element (seg, 2));
    return 0;
}

//  N1 opens the payer (PR) or payee (PE) loop; any other entity is not an
//  835 header loop.
static int
s_on_n1 (s_reader_t *self, x12_segment_t *seg)
{
    const char *entity = x12_segment_element (seg, 1);
    Remittance *remit = self->remit;
    if (streq (entity, "PR")) {
        codec_set_text (&remit->payer_name, x12_segment_element (seg, 2));
        //  N103 XV carries the CMS plan id, a payer id in its own right.
        if (streq (x12_segment_element (seg, 3), "XV") && !*self->payer_ref)
            codec_set_text (&self->payer_ref, x12_segment_element (seg, 4));
        self->loop = LOOP_PAYER;
    }
    else
    if (streq (entity, "PE")) {
        codec_set_text (&remit->payee_name, x12_segment_element (seg, 2));
        codec_set_text (&remit->payee_id, x12_segment_element (seg, 4));
        self->loop = LOOP_PAYEE;
    }
    else
        return s_refuse (self, seg, "N101 '%s' is neither payer (PR) nor payee (PE)", entity);
    return 0;
}

static int
s_on_payer_ref (s_reader_t *self, x12_segment_t *seg)
{
    if (streq (x12_segment_element (seg, 1), "2U"))
        codec_set_text (&self->payer_ref, x12_segment_element (seg, 2));
    return 0;
}

static int
s_on_lx (s_reader_t *self, x12_segment_t *seg)
{
    if (s_close_claim (self, seg) || s_header_out (self, seg))
        return -1;
    self->loop = LOOP_LX;
    return 0;
}


//  ---------------------------------------------------------------------
//  Claims and lines

//  CLP02 claim status codes of 005010X221A1 (25 = predetermination pricing
//  only, no payment, occurs in real files).
static const char *s_claim_statuses [] = {
    "1", "2", "3", "4", "19", "20", "21", "22", "23", "25"
};

//  The claim is opened before anything in its CLP is checked, so an error
//  here (no PCN, an unknown status, an amount that is not one) refuses
//  this claim only.
static int
s_on_clp (s_reader_t *self, x12_segment_t *seg)
{
    if (s_close_claim (self, seg) || s_header_out (self, seg))
        return -1;
    RemitClaim *claim = malloc (sizeof *claim);
    assert (claim);
    remit_claim__init (claim);
    //  Streaming, the reader holds the open claim until it closes.
    if (!self->stream)
        codec_append (&self->remit->claims, &self->remit->n_claims, claim);
    claim->segment_index = x12_segment_number (seg);
    self->claim = claim;
    self->line = NULL;
    self->loop = LOOP_CLAIM;
    self->skipping = false;
    self->report->claims++;

    const char *pcn = x12_segment_element (seg, 1);
    codec_set_text (&claim->pcn, pcn);
    //  Which CLP of this PCN in the set: a reversal and its re-adjudication
    //  share a PCN, and posting tells them apart by it.
    uintptr_t seen = (uintptr_t) zhashx_lookup (self->occurrences, pcn);
    claim->occurrence = (uint32_t) seen + 1;
    zhashx_update (self->occurrences, pcn, (void *) (seen + 1));
    if (!*pcn)
        return s_refuse (self, seg, "CLP01 patient control number is missing");
    const char *status = x12_segment_element (seg, 2);
    bool known = false;
    for (size_t i = 0; i < sizeof s_claim_statuses / sizeof s_claim_statuses [0]; i++)
        known |= streq (status, s_claim_statuses [i]);
    codec_set_text (&claim->status_code, status);
    if (!known)
        return s_refuse (self, seg, "CLP02 claim status '%s' is not a claim status code", status);
    if (s_amount (self, seg, 3, "total claim charge", &claim->charge_cents)
    ||  s_amount (self, seg, 4, "claim payment amount", &claim->paid_cents)
    ||  s_optional_amount (self, seg, 5, "patient responsibility", &claim->patient_responsibility_cents))
        return -1;
    codec_set_text (&claim->filing_indicator, x12_segment_element (seg, 6));
    codec_set_text (&claim->payer_claim_number, x12_segment_element (seg, 7));
    return 0;
}

//  CAS01 group codes: contractual obligation, other adjustment, payer
//  initiated reduction, patient responsibility, and CR (correction and
//  reversal), retired after 4010 but still seen in files that say 5010.
static const char *s_groups [] = { "CO", "OA", "PI", "PR", "CR" };

//  CAS: the group, then up to six (CARC, amount, quantity) triples. It
//  belongs to the open line when there is one, else to the claim.
static int
s_on_cas (s_reader_t *self, x12_segment_t *seg)
{
    const char *group = x12_segment_element (seg, 1);
    bool known = false;
    for (size_t i = 0; i < sizeof s_groups / sizeof s_groups [0]; i++)
        known |= streq (group, s_groups [i]);
    if (!known)
        return s_refuse (self, seg, "CAS01 group code '%s' is not CO, OA, PI or PR", group);
    Adjustment ***list = self->line? &self->line->adjustments: &self->claim->adjustments;
    size_t *count = self->line? &self->line->n_adjustments: &self->claim->n_adjustments;
    size_t triples = 0;
    for (size_t i = 0; i < CAS_TRIPLES; i++) {
        size_t at = 2 + 3 * i;
        const char *carc = x12_segment_element (seg, at);
        if (!*carc) {
            if (*x12_segment_element (seg, at + 1))
                return s_refuse (self, seg, "CAS%02zu amount without a reason code in CAS%02zu", at + 1, at);
            continue;
        }
        Adjustment *adjustment = malloc (sizeof *adjustment);
        assert (adjustment);
        adjustment__init (adjustment);
        codec_append (list, count, adjustment);
        codec_set_text (&adjustment->group, group);
        codec_set_text (&adjustment->carc, carc);
        if (s_amount (self, seg, at + 1, "adjustment amount", &adjustment->amount_cents)
        ||  s_quantity (self, seg, at + 2, 0, &adjustment->quantity_milli))
            return -1;
        triples++;
    }
    if (triples == 0)
        return s_refuse (self, seg, "CAS02 adjustment reason code is missing");
    return 0;
}

static void
s_add_remark (RemitClaim *claim, const char *code)
{
    if (*code)
        codec_append_text (&claim->remarks, &claim->n_remarks, code);
}

//  MOA (professional): MOA03-MOA07 are claim payment remark codes.
static int
s_on_moa (s_reader_t *self, x12_segment_t *seg)
{
    for (size_t i = 3; i <= 7; i++)
        s_add_remark (self->claim, x12_segment_element (seg, i));
    return 0;
}

//  MIA (inpatient): remark codes sit in MIA05 and MIA20-MIA23.
static int
s_on_mia (s_reader_t *self, x12_segment_t *seg)
{
    static const size_t remark_elements [] = { 5, 20, 21, 22, 23 };
    for (size_t i = 0; i < sizeof remark_elements / sizeof remark_elements [0]; i++)
        s_add_remark (self->claim, x12_segment_element (seg, remark_elements [i]));
    return 0;
}

static int
s_on_claim_dtm (s_reader_t *self, x12_segment_t *seg)
{
    const char *qualifier = x12_segment_element (seg, 1);
    if (streq (qualifier, "232"))
        codec_set_text (&self->claim->service_date_from, x12_segment_element (seg, 2));
    else
    if (streq (qualifier, "233"))
        codec_set_text (&self->claim->service_date_to, x12_segment_element (seg, 2));
    return 0;
}

//  SVC: SVC01 composite (qualifier, code, up to four modifiers), SVC02
//  charge, SVC03 paid, SVC05 units paid. The guide leaves SVC05 out when
//  the units are one, so empty means 1.
static int
s_on_svc (s_reader_t *self, x12_segment_t *seg)
{
    RemitLine *line = malloc (sizeof *line);
    assert (line);
    remit_line__init (line);
    codec_append (&self->claim->lines, &self->claim->n_lines, line);
    self->line = line;
    self->loop = LOOP_LINE;
    self->report->lines++;

    codec_set_text (&line->procedure_qualifier, x12_segment_component (seg, 1, 1));
    codec_set_text (&line->procedure_code, x12_segment_component (seg, 1, 2));
    if (!*line->procedure_code)
        return s_refuse (self, seg, "SVC01-2 procedure code is missing");
    for (size_t i = 0; i < SVC_MODIFIERS; i++) {
        const char *modifier = x12_segment_component (seg, 1, 3 + i);
        if (*modifier)
            codec_append_text (&line->modifiers, &line->n_modifiers, modifier);
    }
    if (s_amount (self, seg, 2, "line charge", &line->charge_cents)
    ||  s_amount (self, seg, 3, "line payment", &line->paid_cents)
    ||  s_quantity (self, seg, 5, 1000, &line->units_milli))
        return -1;
    return 0;
}

//  DTM*472 is the service date; DTM*150 (period start) stands in for it
//  when the payer reports a period instead.
static int
s_on_line_dtm (s_reader_t *self, x12_segment_t *seg)
{
    const char *qualifier = x12_segment_element (seg, 1);
    if (streq (qualifier, "472")
    || (streq (qualifier, "150") && !*self->line->service_date))
        codec_set_text (&self->line->service_date, x12_segment_element (seg, 2));
    return 0;
}

static int
s_on_line_ref (s_reader_t *self, x12_segment_t *seg)
{
    if (streq (x12_segment_element (seg, 1), "6R"))
        codec_set_text (&self->line->line_item_control_number, x12_segment_element (seg, 2));
    return 0;
}

//  LQ*HE: a remittance advice remark code (RARC) for the line. LQ*RX
//  (NCPDP reject codes) is pharmacy and not kept.
static int
s_on_lq (s_reader_t *self, x12_segment_t *seg)
{
    const char *code = x12_segment_element (seg, 2);
    if (streq (x12_segment_element (seg, 1), "HE") && *code)
        codec_append_text (&self->line->remarks, &self->line->n_remarks, code);
    return 0;
}


//  ---------------------------------------------------------------------
//  Provider-level adjustments

//  PLB: PLB01 provider id, PLB02 fiscal period date, then up to six pairs
//  of (reason:reference composite, amount). Each pair is one adjustment.
static int
s_on_plb (s_reader_t *self, x12_segment_t *seg)
{
    if (s_close_claim (self, seg) || s_header_out (self, seg))
        return -1;
    self->loop = LOOP_TRAILER;
    const char *provider = x12_segment_element (seg, 1);
    const char *period = x12_segment_element (seg, 2);
    if (!*provider)
        return s_refuse (self, seg, "PLB01 provider identifier is missing");
    size_t pairs = 0;
    for (size_t i = 0; i < PLB_PAIRS; i++) {
        size_t at = 3 + 2 * i;
        const char *reason = x12_segment_component (seg, at, 1);
        if (!*reason) {
            if (*x12_segment_element (seg, at + 1))
                return s_refuse (self, seg, "PLB%02zu amount without a reason code in PLB%02zu", at + 1, at);
            continue;
        }
        ProviderAdjustment *adjustment = malloc (sizeof *adjustment);
        assert (adjustment);
        provider_adjustment__init (adjustment);
        codec_append (&self->remit->provider_adjustments, &self->remit->n_provider_adjustments, adjustment);
        codec_set_text (&adjustment->provider_id, provider);
        codec_set_text (&adjustment->fiscal_period, period);
        codec_set_text (&adjustment->reason_code, reason);
        codec_set_text (&adjustment->reference, x12_segment_component (seg, at, 2));
        if (s_amount (self, seg, at + 1, "provider adjustment amount", &adjustment->amount_cents))
            return -1;
        pairs++;
        self->report->provider_adjustments++;
    }
    if (pairs == 0)
        return s_refuse (self, seg, "PLB03 adjustment reason code is missing");
    return 0;
}


//  ---------------------------------------------------------------------
//  Dispatch

typedef int (s_handler_fn) (s_reader_t *self, x12_segment_t *seg);

//  Where each segment the reader acts on may appear. Segments not listed
//  are skipped wherever they are (the reader has checked the envelope);
//  a listed segment found elsewhere refuses the file with `where` in the
//  reason. The first row matching id and loop wins.
static const struct {
    const char *id;
    unsigned loops;
    s_handler_fn *handler;
    const char *where;
} s_handlers [] = {
    { "TRN", IN (LOOP_HEADER),                      s_on_trn,        "in the header (after BPR)" },
    { "DTM", IN (LOOP_HEADER),                      s_on_header_dtm, NULL },
    { "N1",  IN (LOOP_HEADER) | IN (LOOP_PAYER) | IN (LOOP_PAYEE),
                                                    s_on_n1,         "in the header, before the first LX / CLP" },
    { "REF", IN (LOOP_PAYER),                       s_on_payer_ref,  NULL },
    { "LX",  IN_BODY,                               s_on_lx,         "before the PLB trailer" },
    { "CLP", IN_BODY,                               s_on_clp,        "before the PLB trailer" },
    { "CAS", IN (LOOP_CLAIM) | IN (LOOP_LINE),      s_on_cas,        "in a claim (after CLP)" },
    { "MOA", IN (LOOP_CLAIM),                       s_on_moa,        "in a claim, before its first SVC" },
    { "MIA", IN (LOOP_CLAIM),                       s_on_mia,        "in a claim, before its first SVC" },
    { "DTM", IN (LOOP_CLAIM),                       s_on_claim_dtm,  NULL },
    { "SVC", IN (LOOP_CLAIM) | IN (LOOP_LINE),      s_on_svc,        "in a claim (after CLP)" },
    { "DTM", IN (LOOP_LINE),                        s_on_line_dtm,   NULL },
    { "REF", IN (LOOP_LINE),                        s_on_line_ref,   NULL },
    { "LQ",  IN (LOOP_LINE),                        s_on_lq,         "in a service line (after SVC)" },
    { "PLB", IN_BODY | IN (LOOP_TRAILER),           s_on_plb,        "in a transaction set" },
};

static int
s_segment (s_reader_t *self, x12_segment_t *seg)
{
    const char *id = x12_segment_id (seg);
    if (x12_id_is (id, "ISA"))
        return s_on_isa (self, seg);
    if (x12_id_is (id, "ST"))
        return s_on_st (self, seg);
    if (self->loop == LOOP_NONE)
        return 0;           //  GS, GE, IEA, TA1: the reader has checked them
    if (x12_id_is (id, "SE"))
        return s_on_se (self, seg);
    //  The rest of an unsound claim, up to what opens the next one.
    if (self->skipping && !x12_id_is (id, "LX") && !x12_id_is (id, "CLP") && !x12_id_is (id, "PLB"))
        return 0;
    self->skipping = false;
    if (self->expect_bpr) {
        self->expect_bpr = false;
        if (!x12_id_is (id, "BPR"))
            return s_refuse (self, seg, "BPR expected right after ST");
        return s_on_bpr (self, seg);
    }
    const char *where = NULL;
    for (size_t i = 0; i < sizeof s_handlers / sizeof s_handlers [0]; i++) {
        //  Compared inline: ~16 segments a claim, each against up to 15
        //  rows (issue 19).
        if (!x12_id_is (id, s_handlers [i].id))
            continue;
        if (s_handlers [i].loops & IN (self->loop))
            return s_handlers [i].handler (self, seg);
        if (!where)
            where = s_handlers [i].where;
    }
    if (where)
        return s_refuse (self, seg, "%s belongs %s", id, where);
    return 0;
}

static int
s_read (x12_reader_t *reader, remit835_fn *on_remit, const remit835_stream_t *stream, void *arg,
        remit835_report_t *report)
{
    assert (reader);
    remit835_report_t local;
    if (!report)
        report = &local;
    memset (report, 0, sizeof *report);
    s_reader_t state = {
        .reader = reader, .on_remit = on_remit, .stream = stream, .arg = arg, .report = report,
        .isa13 = (char *) protobuf_c_empty_string,
        .payer_ref = (char *) protobuf_c_empty_string,
        .occurrences = zhashx_new ()
    };
    s_reader_t *self = &state;

    x12_segment_t *seg;
    int rc;
    while ((rc = x12_reader_next (reader, &seg)) == 1)
        if (s_segment (self, seg))
            break;
    report->segments = x12_reader_segments (reader);
    if (rc == -1) {
        x12_reader_error_into (reader, &report->error_segment, report->error_id, sizeof report->error_id,
                               report->error, sizeof report->error);
    }
    //  A set still open here belongs to a refused file: the reader closes
    //  every set at SE before a clean end. Streaming, its open claim is
    //  the reader's, not the set's.
    if (self->stream)
        codec_destroy (&self->claim);
    codec_destroy (&self->remit);
    codec_set_text (&self->isa13, NULL);
    codec_set_text (&self->payer_ref, NULL);
    zhashx_destroy (&self->occurrences);
    return rc == -1 || self->failed? -1: 0;
}

int
remit835_read (x12_reader_t *reader, remit835_fn *on_remit, void *arg,
               remit835_report_t *report)
{
    return s_read (reader, on_remit, NULL, arg, report);
}

int
remit835_stream (x12_reader_t *reader, const remit835_stream_t *stream, void *arg,
                 remit835_report_t *report)
{
    assert (stream);
    return s_read (reader, NULL, stream, arg, report);
}


//  ---------------------------------------------------------------------
//  Balancing

static void
s_problem (s_check_t *check, const char *format, ...)
{
    if (check->problems++ == 0 && check->error) {
        va_list args;
        va_start (args, format);
        vsnprintf (check->error, check->size, format, args);
        va_end (args);
    }
}

static int64_t
s_sum (Adjustment **adjustments, size_t count)
{
    int64_t sum = 0;
    for (size_t i = 0; i < count; i++)
        sum += adjustments [i]->amount_cents;
    return sum;
}

//  The problems of one claim: unreadable, a line or the claim not adding up.
static void
s_check_claim (s_check_t *check, const RemitClaim *claim)
{
    char m1 [32], m2 [32], m3 [32], m4 [32];
    if (*claim->error) {
        s_problem (check, "claim %s (CLP segment %" PRIu64 ") cannot be read: %s",
                   *claim->pcn? claim->pcn: "without a PCN", claim->segment_index, claim->error);
        return;
    }
    int64_t adjusted = s_sum (claim->adjustments, claim->n_adjustments);
    for (size_t j = 0; j < claim->n_lines; j++) {
        const RemitLine *line = claim->lines [j];
        int64_t line_adjusted = s_sum (line->adjustments, line->n_adjustments);
        adjusted += line_adjusted;
        if (line->charge_cents - line_adjusted != line->paid_cents)
            s_problem (check, "claim %s (CLP segment %" PRIu64 ") line %zu (SVC %s): "
                       "charge %s - adjustments %s = %s, but the line paid %s",
                       claim->pcn, claim->segment_index, j + 1, line->procedure_code,
                       remit835_money (line->charge_cents, m1, sizeof m1),
                       remit835_money (line_adjusted, m2, sizeof m2),
                       remit835_money (line->charge_cents - line_adjusted, m3, sizeof m3),
                       remit835_money (line->paid_cents, m4, sizeof m4));
    }
    if (claim->charge_cents - adjusted != claim->paid_cents)
        s_problem (check, "claim %s (CLP segment %" PRIu64 "): "
                   "charge %s - adjustments %s = %s, but the claim paid %s",
                   claim->pcn, claim->segment_index,
                   remit835_money (claim->charge_cents, m1, sizeof m1),
                   remit835_money (adjusted, m2, sizeof m2),
                   remit835_money (claim->charge_cents - adjusted, m3, sizeof m3),
                   remit835_money (claim->paid_cents, m4, sizeof m4));
}

//  BPR02 = sum of CLP04 (every CLP, sound or not) - sum of PLB.
static void
s_check_totals (s_check_t *check, const Remittance *remit, int64_t claims_paid)
{
    char m1 [32], m2 [32], m3 [32], m4 [32];
    int64_t provider = 0;
    for (size_t i = 0; i < remit->n_provider_adjustments; i++)
        provider += remit->provider_adjustments [i]->amount_cents;
    if (claims_paid - provider != remit->total_paid_cents)
        s_problem (check, "trace %s: claims paid %s - provider adjustments %s = %s, but BPR02 pays %s",
                   remit->trace,
                   remit835_money (claims_paid, m1, sizeof m1),
                   remit835_money (provider, m2, sizeof m2),
                   remit835_money (claims_paid - provider, m3, sizeof m3),
                   remit835_money (remit->total_paid_cents, m4, sizeof m4));
}

static void
s_check_payment (s_check_t *check, const Remittance *remit)
{
    int64_t claims_paid = 0;
    for (size_t i = 0; i < remit->n_claims; i++)
        claims_paid += remit->claims [i]->paid_cents;
    s_check_totals (check, remit, claims_paid);
}

static int
s_check_end (s_check_t *check)
{
    if (check->problems > 1 && check->error && check->size) {
        size_t used = strlen (check->error);
        snprintf (check->error + used, check->size - used, " (and %d more problem%s)",
                  check->problems - 1, check->problems > 2? "s": "");
    }
    return check->problems? -1: 0;
}

int
remit835_check (const Remittance *remit, char *error, size_t size)
{
    assert (remit);
    s_check_t check = { .error = error, .size = error? size: 0 };
    if (error && size)
        *error = 0;
    for (size_t i = 0; i < remit->n_claims; i++)
        s_check_claim (&check, remit->claims [i]);
    s_check_payment (&check, remit);
    return s_check_end (&check);
}

int
remit835_check_claim (const RemitClaim *claim, char *error, size_t size)
{
    assert (claim);
    s_check_t check = { .error = error, .size = error? size: 0 };
    if (error && size)
        *error = 0;
    s_check_claim (&check, claim);
    return s_check_end (&check);
}

int
remit835_check_payment (const Remittance *remit, char *error, size_t size)
{
    assert (remit);
    s_check_t check = { .error = error, .size = error? size: 0 };
    if (error && size)
        *error = 0;
    s_check_payment (&check, remit);
    return s_check_end (&check);
}
