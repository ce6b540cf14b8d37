/*  Tests for ack277: accepted and rejected claims with every field kept,
    a rejection never hidden behind an earlier receipt STC, line-level STCs
    left out, the payer id from 2100A, several sets, and malformed files
    refused with segment number, id and reason.

    s_wrap puts a body into ISA / GS / ST ... SE / GE / IEA with the right
    SE count. Segment numbers: ISA 1, GS 2, ST 3, then the body from 4.
*/
#include "suites.h"
#include "x12_helpers.h"
#include "ack277.h"

#include <stdlib.h>
#include <string.h>

#define ISA "ISA*00*          *00*          *ZZ*ACMEHEALTH     *ZZ*CLINIC01       *260110*1200*^*00501*000000050*0*P*:~"

//  BHT 4, HL 20 5, NM1*PR 6, TRN 7, DTP 8, HL 21 9, NM1*41 10, TRN 11,
//  STC 12 (the batch's), HL 19 13, NM1*85 14, TRN 15, STC 16 (provider's).
#define HEAD \
    "BHT*0085*08*ACK0001*20260110*1200*TH~" \
    "HL*1**20*1~" \
    "NM1*PR*2*ACME HEALTH*****PI*PAYER01~" \
    "TRN*1*BATCH42~" \
    "DTP*050*D8*20260110~" \
    "HL*2*1*21*1~" \
    "NM1*41*2*ACME BILLING*****46*SUB123~" \
    "TRN*2*BATCH42~" \
    "STC*A1:20*20260110*WQ*350~" \
    "HL*3*2*19*1~" \
    "NM1*85*2*FAMILY CLINIC*****XX*1234567893~" \
    "TRN*1*PROV1~" \
    "STC*A1:20*20260110*WQ*350~"

typedef struct {
    Acknowledgement *acks [4];
    size_t count;
} s_sink_t;

static int
s_collect (Acknowledgement **ack_p, void *arg)
{
    s_sink_t *sink = arg;
    ck_assert_uint_lt (sink->count, 4);
    sink->acks [sink->count++] = *ack_p;
    *ack_p = NULL;
    return 0;
}

static void
s_sink_free (s_sink_t *sink)
{
    for (size_t i = 0; i < sink->count; i++)
        acknowledgement__free_unpacked (sink->acks [i], NULL);
    sink->count = 0;
}

static char *
s_wrap (const char *body)
{
    return test_x12_wrap (ISA "GS*HN*ACMEHEALTH*CLINIC01*20260110*1200*50*X*005010X214~"
                          "ST*277*0050*005010X214~",
                          body, "0050", "GE*1*50~IEA*1*000000050~");
}

static int
s_read (const char *body, s_sink_t *sink, ack277_report_t *report)
{
    char *text = s_wrap (body);
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    int rc = ack277_read (reader, s_collect, sink, report);
    x12_reader_destroy (&reader);
    free (text);
    return rc;
}

START_TEST (test_accepted_and_rejected)
{
    s_sink_t sink = { .count = 0 };
    ack277_report_t report;
    int rc = s_read (HEAD
        //  Claim PCN1 accepted (HL 17).
        "HL*4*3*PT~"
        "NM1*QC*1*DOE*JANE****MI*MEM0001~"
        "TRN*2*PCN1~"
        "STC*A2:20:PR*20260110*WQ*250~"
        "REF*1K*PAYERCLM1~"
        "REF*D9*CH0001~"
        "DTP*472*D8*20251220~"
        //  Claim PCN2: a receipt, then a rejection for invalid information;
        //  a line-level STC after SVC is not read.
        "HL*5*3*PT~"
        "NM1*QC*1*ROE*RICHARD****MI*MEM0002~"
        "TRN*2*PCN2~"
        "STC*A1:19:PR*20260110*WQ*100~"
        "STC*A7:562:85*20260110*U*100********Billing provider NPI not on file~"
        "REF*1K*PAYERCLM2~"
        "SVC*HC:99213*100****1~"
        "STC*A3:21*20260110*U*100~"
        "REF*FJ*LINE1~"
        //  Claim PCN3 accepted; its line's rejection is left out.
        "HL*6*3*PT~"
        "TRN*2*PCN3~"
        "STC*A1:20*20260110*WQ*0~"
        "SVC*HC:99213*50****1~"
        "STC*A7:21*20260110*U*50~",
        &sink, &report);
    ck_assert_msg (rc == 0, "%s", report.error);
    ck_assert_uint_eq (sink.count, 1);
    ck_assert_uint_eq (report.claims, 3);
    ck_assert_uint_eq (report.accepted, 2);
    ck_assert_uint_eq (report.rejected, 1);

    Acknowledgement *ack = sink.acks [0];
    ck_assert_str_eq (ack->trace, "ACK0001");
    ck_assert_str_eq (ack->payer_id, "PAYER01");
    ck_assert_uint_eq (ack->n_statuses, 3);

    AckStatus *status = ack->statuses [0];
    ck_assert_str_eq (status->pcn, "PCN1");
    ck_assert_str_eq (status->category, "A2");
    ck_assert_str_eq (status->status, "20");
    ck_assert_str_eq (status->entity, "PR");
    ck_assert_str_eq (status->effective_date, "20260110");
    ck_assert_int_eq (status->charge_cents, 25000);
    ck_assert_str_eq (status->payer_claim_number, "PAYERCLM1");
    ck_assert_str_eq (status->message, "");
    ck_assert (status->accepted);

    status = ack->statuses [1];
    ck_assert_str_eq (status->pcn, "PCN2");
    ck_assert_str_eq (status->category, "A7");
    ck_assert_str_eq (status->status, "562");
    ck_assert_str_eq (status->entity, "85");
    ck_assert_int_eq (status->charge_cents, 10000);
    ck_assert_str_eq (status->message, "Billing provider NPI not on file");
    ck_assert_str_eq (status->payer_claim_number, "PAYERCLM2");
    ck_assert (!status->accepted);

    status = ack->statuses [2];
    ck_assert_str_eq (status->pcn, "PCN3");
    ck_assert_str_eq (status->category, "A1");
    ck_assert (status->accepted);
    s_sink_free (&sink);
}
END_TEST

START_TEST (test_categories)
{
    static const struct { const char *category; bool accepted; } cases [] = {
        { "A0", true }, { "A1", true }, { "A2", true }, { "A5", true },
        { "A3", false }, { "A4", false }, { "A6", false }, { "A7", false }, { "A8", false },
        { "E0", false }, { "", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        ck_assert_msg (ack277_accepted (cases [i].category) == cases [i].accepted, "%s", cases [i].category);
}
END_TEST

//  The component separator is whatever ISA16 says ("|" here), and a
//  second ST set gives a second acknowledgement.
START_TEST (test_separators_and_sets)
{
    const char *text =
        "ISA*00*          *00*          *ZZ*ACMEHEALTH     *ZZ*CLINIC01       *260110*1200*^*00501*000000051*0*P*|~"
        "GS*HN*ACMEHEALTH*CLINIC01*20260110*1200*51*X*005010X214~"
        "ST*277*0001~BHT*0085*08*ACK1*20260110~HL*1**20*1~NM1*PR*2*ACME*****PI*P1~"
        "HL*2*1*21*1~HL*3*2*19*1~HL*4*3*PT~TRN*2*PCN1~STC*A3|21|41*20260110*U*12.5~SE*10*0001~"
        "ST*277*0002~BHT*0085*08*ACK2*20260110~HL*1**20*1~NM1*PR*2*ACME*****PI*P1~"
        "HL*2*1*21*1~HL*3*2*19*1~HL*4*3*PT~TRN*2*PCN2~STC*A2|20*20260110*WQ*7~SE*10*0002~"
        "GE*2*51~IEA*1*000000051~";
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    x12_reader_set_chunk_size (reader, 3);
    s_sink_t sink = { .count = 0 };
    ack277_report_t report;
    ck_assert_msg (ack277_read (reader, s_collect, &sink, &report) == 0, "%s", report.error);
    x12_reader_destroy (&reader);
    ck_assert_uint_eq (sink.count, 2);
    ck_assert_uint_eq (report.transactions, 2);
    ck_assert_str_eq (sink.acks [0]->trace, "ACK1");
    ck_assert_str_eq (sink.acks [0]->statuses [0]->category, "A3");
    ck_assert_str_eq (sink.acks [0]->statuses [0]->status, "21");
    ck_assert_str_eq (sink.acks [0]->statuses [0]->entity, "41");
    ck_assert_int_eq (sink.acks [0]->statuses [0]->charge_cents, 1250);
    ck_assert (!sink.acks [0]->statuses [0]->accepted);
    ck_assert_str_eq (sink.acks [1]->statuses [0]->pcn, "PCN2");
    ck_assert (sink.acks [1]->statuses [0]->accepted);
    s_sink_free (&sink);
}
END_TEST

START_TEST (test_malformed)
{
    static const struct {
        const char *body;
        uint64_t segment;
        const char *id;
        const char *reason;
    } cases [] = {
        {   "HL*1**20*1~",
            4, "HL", "BHT expected right after ST" },
        {   "BHT*0085~HL*1**20*1~HL*2*7*21*1~",
            6, "HL", "information receiver HL's parent '7' is not the open information source HL" },
        {   "BHT*0085~HL*1**20*1~HL*2*1*19*1~",
            6, "HL", "billing provider HL's parent '1' is not the open information receiver HL (none open)" },
        {   "BHT*0085~HL*1**20*1~HL*2*1*21*1~HL*3*2*PT~",
            7, "HL", "patient HL's parent '2' is not the open billing provider HL (none open)" },
        {   "BHT*0085~HL*1**20*1~HL*1*1*21*1~",
            6, "HL", "HL01 1 is not greater than the previous HL01 1" },
        {   "BHT*0085~HL*1**22*1~",
            5, "HL", "HL03 level '22' is not 20, 21, 19 or PT" },
        {   HEAD "HL*4*3*PT~STC*A1:20~HL*5*3*PT~",
            19, "HL", "the claim at HL segment 17 has no TRN*2 patient control number" },
        {   HEAD "HL*4*3*PT~TRN*2*PCN1~",
            19, "SE", "claim PCN1 (HL segment 17) has no STC claim status" },
        {   HEAD "HL*4*3*PT~TRN*1*PCN1~",
            18, "TRN", "TRN01 '1' in a claim loop is not 2" },
        {   HEAD "HL*4*3*PT~TRN*2~",
            18, "TRN", "TRN02 patient control number is missing" },
        {   HEAD "HL*4*3*PT~TRN*2*PCN1~TRN*2*PCN2~",
            19, "TRN", "second TRN in one claim loop" },
        {   HEAD "HL*4*3*PT~TRN*2*PCN1~STC*:20~",
            19, "STC", "STC01-1 claim status category code is missing" },
        {   HEAD "HL*4*3*PT~TRN*2*PCN1~STC*A1:20*20260230~",
            19, "STC", "STC02 status date '20260230' is not a CCYYMMDD date" },
        {   HEAD "HL*4*3*PT~TRN*2*PCN1~STC*A1:20*20260110*WQ*1,00~",
            19, "STC", "STC04 total claim charge '1,00' is not an amount in cents" },
        {   "BHT*0085~SVC*HC:99213*1~",
            5, "SVC", "SVC outside a claim (HL PT)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        s_sink_t sink = { .count = 0 };
        ack277_report_t report;
        ck_assert_msg (s_read (cases [i].body, &sink, &report) == -1, "case %zu was read", i);
        ck_assert_msg (report.error_segment == cases [i].segment, "case %zu: segment %llu (%s)",
                       i, (unsigned long long) report.error_segment, report.error);
        ck_assert_str_eq (report.error_id, cases [i].id);
        ck_assert_msg (strstr (report.error, cases [i].reason), "case %zu: '%s'", i, report.error);
        ck_assert_uint_eq (sink.count, 0);
    }
}
END_TEST

START_TEST (test_wrong_transaction)
{
    static const struct { const char *st, *reason; } cases [] = {
        { "ST*835*0050~", "transaction set 835 is not a 277 claim acknowledgement" },
        { "ST*277*0050*005010X212~", "implementation 005010X212 is not a 277CA (005010X214)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char text [1024];
        snprintf (text, sizeof text, ISA "GS*HN*S*R*20260110*1200*50*X*005010X214~"
                  "%sBHT*0085~SE*3*0050~GE*1*50~IEA*1*000000050~", cases [i].st);
        x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
        ack277_report_t report;
        ck_assert_int_eq (ack277_read (reader, NULL, NULL, &report), -1);
        ck_assert_uint_eq (report.error_segment, 3);
        ck_assert_msg (strstr (report.error, cases [i].reason), "%s", report.error);
        x12_reader_destroy (&reader);
    }
}
END_TEST

Suite *
ack277_suite (void)
{
    Suite *suite = suite_create ("ack277");
    TCase *tc = tcase_create ("read");
    tcase_add_test (tc, test_accepted_and_rejected);
    tcase_add_test (tc, test_categories);
    tcase_add_test (tc, test_separators_and_sets);
    tcase_add_test (tc, test_malformed);
    tcase_add_test (tc, test_wrong_transaction);
    suite_add_tcase (suite, tc);
    return suite;
}
