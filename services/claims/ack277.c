/*  ack277: 277CA acknowledgements from an X12 reader (see ack277.h).

    A loop tracker over the HL hierarchy: 20 information source (payer),
    21 information receiver, 19 billing provider, PT patient / claim. Each
    HL must name the open HL one level up as its parent, since a claim
    status filed under the wrong provider or payer would be misread. In a
    claim loop, TRN*2 gives the PCN, STC the status, REF*1K the payer's
    claim number; an SVC opens a service line whose STCs are not read. The
    claim's AckStatus is checked (TRN and STC present) and appended when the
    loop ends at the next HL or SE; the Acknowledgement goes to the callback
    at SE.
*/
#include "ack277.h"
#include "x12.h"
#include "codec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

typedef enum {
    LOOP_NONE,          //  outside a transaction set
    LOOP_HEADER,        //  ST, BHT
    LOOP_SOURCE,        //  HL 20: the payer (2000A / 2100A / 2200A)
    LOOP_RECEIVER,      //  HL 21 (2000B ...)
    LOOP_PROVIDER,      //  HL 19 (2000C ...)
    LOOP_CLAIM,         //  HL PT: one claim (2000D / 2100D / 2200D)
    LOOP_LINE           //  SVC in a claim (2220D)
} s_loop_t;

typedef struct {
    ack277_report_t *report;
    bool failed;

    s_loop_t loop;
    bool expect_bht;
    x12_hl_t hl;                //  the open HLs (s_levels)
    Acknowledgement *ack;       //  the open transaction set
    AckStatus *status;          //  the open claim
    uint64_t claim_segment;     //  its HL segment, for errors
    bool have_trn;
} s_reader_t;

static int
s_refuse (s_reader_t *self, x12_segment_t *seg, const char *format, ...)
{
    ack277_report_t *report = self->report;
    self->failed = true;
    va_list args;
    va_start (args, format);
    x12_segment_error (seg, &report->error_segment, report->error_id, sizeof report->error_id,
                       report->error, sizeof report->error, format, args);
    va_end (args);
    return -1;
}

//  A0 forwarded and A5 split upon acceptance are not rejections either:
//  the claim went on into adjudication (elsewhere, or in parts).
static const char *s_accepting [] = { "A0", "A1", "A2", "A5" };

bool
ack277_accepted (const char *category)
{
    assert (category);
    for (size_t i = 0; i < sizeof s_accepting / sizeof s_accepting [0]; i++)
        if (streq (category, s_accepting [i]))
            return true;
    return false;
}


//  ---------------------------------------------------------------------
//  Claims

//  Ends the open claim loop: it must have said which claim and what
//  happened to it.
static int
s_close_claim (s_reader_t *self, x12_segment_t *seg)
{
    AckStatus *status = self->status;
    if (!status)
        return 0;
    self->status = NULL;
    codec_append (&self->ack->statuses, &self->ack->n_statuses, status);
    if (!self->have_trn)
        return s_refuse (self, seg, "the claim at HL segment %" PRIu64 " has no TRN*2 patient control number",
                         self->claim_segment);
    if (!*status->category)
        return s_refuse (self, seg, "claim %s (HL segment %" PRIu64 ") has no STC claim status",
                         status->pcn, self->claim_segment);
    self->report->claims++;
    if (status->accepted)
        self->report->accepted++;
    else
        self->report->rejected++;
    return 0;
}

static int
s_on_trn (s_reader_t *self, x12_segment_t *seg)
{
    if (self->loop != LOOP_CLAIM)
        return 0;           //  2200A-C trace numbers are the batch's, not a claim's
    if (!streq (x12_segment_element (seg, 1), "2"))
        return s_refuse (self, seg, "TRN01 '%s' in a claim loop is not 2 (referenced transaction)",
                         x12_segment_element (seg, 1));
    const char *pcn = x12_segment_element (seg, 2);
    if (!*pcn)
        return s_refuse (self, seg, "TRN02 patient control number is missing");
    if (self->have_trn)
        return s_refuse (self, seg, "second TRN in one claim loop");
    codec_set_text (&self->status->pcn, pcn);
    self->have_trn = true;
    return 0;
}

//  STC: the first one fills the status; a later one replaces it only when
//  it rejects a claim so far accepted, so a rejection is never hidden
//  behind an earlier receipt.
static int
s_on_stc (s_reader_t *self, x12_segment_t *seg)
{
    if (self->loop != LOOP_CLAIM)
        return 0;           //  batch / provider / line level
    AckStatus *status = self->status;
    const char *category = x12_segment_component (seg, 1, 1);
    if (!*category)
        return s_refuse (self, seg, "STC01-1 claim status category code is missing");
    bool accepted = ack277_accepted (category);
    if (*status->category && (!status->accepted || accepted))
        return 0;
    codec_set_text (&status->category, category);
    codec_set_text (&status->status, x12_segment_component (seg, 1, 2));
    codec_set_text (&status->entity, x12_segment_component (seg, 1, 3));
    const char *date = x12_segment_element (seg, 2);
    if (*date && !x12_valid_date (date))
        return s_refuse (self, seg, "STC02 status date '%s' is not a CCYYMMDD date", date);
    codec_set_text (&status->effective_date, date);
    const char *charge = x12_segment_element (seg, 4);
    status->charge_cents = 0;
    if (*charge && x12_cents (charge, &status->charge_cents))
        return s_refuse (self, seg, "STC04 total claim charge '%s' is not an amount in cents", charge);
    codec_set_text (&status->message, x12_segment_element (seg, 12));
    status->accepted = accepted;
    return 0;
}

static int
s_on_ref (s_reader_t *self, x12_segment_t *seg)
{
    if (self->loop == LOOP_CLAIM && streq (x12_segment_element (seg, 1), "1K"))
        codec_set_text (&self->status->payer_claim_number, x12_segment_element (seg, 2));
    return 0;
}

static int
s_on_svc (s_reader_t *self, x12_segment_t *seg)
{
    if (self->loop != LOOP_CLAIM && self->loop != LOOP_LINE)
        return s_refuse (self, seg, "SVC outside a claim (HL PT)");
    self->loop = LOOP_LINE;
    return 0;
}

static int
s_on_nm1 (s_reader_t *self, x12_segment_t *seg)
{
    if (self->loop == LOOP_SOURCE && streq (x12_segment_element (seg, 1), "PR"))
        codec_set_text (&self->ack->payer_id, x12_segment_element (seg, 9));
    return 0;
}


//  ---------------------------------------------------------------------
//  Hierarchy and envelope

//  Each level, the row of the level its parent must be, and the loop it
//  opens (common/x12.h reads the hierarchy).
static const x12_hl_level_t s_levels [] = {
    { "20", -1, "information source",   LOOP_SOURCE },
    { "21",  0, "information receiver", LOOP_RECEIVER },
    { "19",  1, "billing provider",     LOOP_PROVIDER },
    { "PT",  2, "patient",              LOOP_CLAIM },
};

static int
s_on_hl (s_reader_t *self, x12_segment_t *seg)
{
    if (s_close_claim (self, seg))
        return -1;
    char reason [160];
    int row = x12_hl_open (&self->hl, seg, reason, sizeof reason);
    if (row < 0)
        return s_refuse (self, seg, "%s", reason);
    s_loop_t loop = (s_loop_t) s_levels [row].loop;
    self->loop = loop;
    if (loop == LOOP_CLAIM) {
        self->status = malloc (sizeof (AckStatus));
        assert (self->status);
        ack_status__init (self->status);
        self->claim_segment = x12_segment_number (seg);
        self->have_trn = false;
    }
    return 0;
}

//  The guide from ST03 (or GS08): a 277 that is not X214 is a claim status
//  response (X212), which answers an inquiry, not a submission.
static int
s_on_st (s_reader_t *self, x12_segment_t *seg, const char *gs08)
{
    const char *type = x12_segment_element (seg, 1);
    if (!streq (type, "277"))
        return s_refuse (self, seg, "transaction set %s is not a 277 claim acknowledgement", type);
    const char *version = x12_segment_element (seg, 3);
    if (!*version)
        version = gs08;
    if (*version && strncmp (version, "005010X214", 10) != 0)
        return s_refuse (self, seg, "implementation %s is not a 277CA (005010X214)", version);
    assert (!self->ack);
    self->ack = malloc (sizeof (Acknowledgement));
    assert (self->ack);
    acknowledgement__init (self->ack);
    self->loop = LOOP_HEADER;
    self->expect_bht = true;
    x12_hl_reset (&self->hl);
    self->report->transactions++;
    return 0;
}

static int
s_on_se (s_reader_t *self, x12_segment_t *seg, ack277_fn *on_ack, void *arg)
{
    if (s_close_claim (self, seg))
        return -1;
    Acknowledgement *ack = self->ack;
    self->ack = NULL;
    self->loop = LOOP_NONE;
    int rc = on_ack? on_ack (&ack, arg): 0;
    codec_destroy (&ack);
    if (rc != 0)
        return s_refuse (self, seg, "stopped by the acknowledgement callback");
    return 0;
}

typedef int (s_handler_fn) (s_reader_t *self, x12_segment_t *seg);

static const struct {
    const char *id;
    s_handler_fn *handler;
} s_handlers [] = {
    { "HL",  s_on_hl },
    { "NM1", s_on_nm1 },
    { "TRN", s_on_trn },
    { "STC", s_on_stc },
    { "REF", s_on_ref },
    { "SVC", s_on_svc },
};

int
ack277_read (x12_reader_t *reader, ack277_fn *on_ack, void *arg, ack277_report_t *report)
{
    assert (reader);
    ack277_report_t local;
    if (!report)
        report = &local;
    memset (report, 0, sizeof *report);
    s_reader_t state = { .report = report };
    s_reader_t *self = &state;
    x12_hl_init (&self->hl, s_levels, sizeof s_levels / sizeof s_levels [0], "277CA");
    char gs08 [32] = "";

    x12_segment_t *seg;
    int rc;
    while ((rc = x12_reader_next (reader, &seg)) == 1) {
        const char *id = x12_segment_id (seg);
        int failed = 0;
        if (x12_id_is (id, "ISA"))
            report->interchanges++;
        else
        if (x12_id_is (id, "GS"))
            snprintf (gs08, sizeof gs08, "%s", x12_segment_element (seg, 8));
        else
        if (x12_id_is (id, "ST"))
            failed = s_on_st (self, seg, gs08);
        else
        if (self->loop == LOOP_NONE)
            ;               //  GE, IEA: the reader has checked them
        else
        if (x12_id_is (id, "SE"))
            failed = s_on_se (self, seg, on_ack, arg);
        else
        if (self->expect_bht) {
            self->expect_bht = false;
            if (!x12_id_is (id, "BHT"))
                failed = s_refuse (self, seg, "BHT expected right after ST");
            else
                codec_set_text (&self->ack->trace, x12_segment_element (seg, 3));
        }
        else
            for (size_t i = 0; i < sizeof s_handlers / sizeof s_handlers [0]; i++)
                if (x12_id_is (id, s_handlers [i].id)) {
                    failed = s_handlers [i].handler (self, seg);
                    break;
                }
        if (failed)
            break;
    }
    report->segments = x12_reader_segments (reader);
    if (rc == -1) {
        x12_reader_error_into (reader, &report->error_segment, report->error_id, sizeof report->error_id,
                               report->error, sizeof report->error);
    }
    codec_destroy (&self->status);
    codec_destroy (&self->ack);
    return rc == -1 || self->failed? -1: 0;
}
