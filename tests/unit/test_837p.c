/*  Tests for parse_837p: every loop it extracts, patient ≠ subscriber,
    several claims per subscriber, COB loops that must not overwrite the
    claim's subscriber, money and units parsed exactly, claim-level problems
    that reject one claim and not the batch, and structural errors that
    refuse the whole file with segment number, id and reason.

    s_wrap puts a body of segments into ISA / GS / ST ... SE / GE / IEA with
    the right SE count, so each test shows only the loops it is about.
    Segment numbers: ISA 1, GS 2, ST 3, then the body from 4.
*/
#include "suites.h"
#include "x12_helpers.h"
#include "parse_837p.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ISA "ISA*00*          *00*          *ZZ*SUBMITTER01    *ZZ*RECEIVER01     *260105*1200*^*00501*000000042*0*P*:~"

//  BHT (4), 1000A (5, 6), 1000B (7), HL 20 (8), PRV (9), 2010AA (10-13),
//  HL 22 (14), SBR (15), 2010BA (16-19), 2010BB (20).
#define HEAD \
    "BHT*0019*00*BATCH42*20260105*1200*CH~" \
    "NM1*41*2*ACME BILLING*****46*SUB123~" \
    "PER*IC*JANE*TE*5555551234~" \
    "NM1*40*2*CLEARING HOUSE*****46*RCV456~" \
    "HL*1**20*1~" \
    "PRV*BI*PXC*207Q00000X~" \
    "NM1*85*2*FAMILY CLINIC*****XX*1234567893~" \
    "N3*100 MAIN ST*SUITE 2~" \
    "N4*SPRINGFIELD*IL*62701~" \
    "REF*EI*123456789~" \
    "HL*2*1*22*0~" \
    "SBR*P*18*GRP100*ACME GROUP*****CI~" \
    "NM1*IL*1*DOE*JOHN*Q**JR*MI*MEM0001~" \
    "N3*5 ELM ST~" \
    "N4*SPRINGFIELD*IL*62702~" \
    "DMG*D8*19800215*M~" \
    "NM1*PR*2*ACME HEALTH*****PI*PAYER01~"

#define LINE1 "LX*1~SV1*HC:99213*100*UN*1***1~DTP*472*D8*20251220~"

typedef struct {
    Claim *claims [64];
    size_t count;
    int stop_after;         //  callback returns -1 after this many (0 = never)
} s_sink_t;

static int
s_collect (const Claim *claim, void *arg)
{
    s_sink_t *sink = arg;
    ck_assert_uint_lt (sink->count, 64);
    //  Keep a deep copy: the parser frees its claim after the call.
    size_t size = claim__get_packed_size (claim);
    uint8_t *buffer = malloc (size + 1);
    claim__pack (claim, buffer);
    sink->claims [sink->count++] = claim__unpack (NULL, size, buffer);
    free (buffer);
    if (sink->stop_after && (int) sink->count >= sink->stop_after)
        return -1;
    return 0;
}

static void
s_sink_free (s_sink_t *sink)
{
    for (size_t i = 0; i < sink->count; i++)
        claim__free_unpacked (sink->claims [i], NULL);
    sink->count = 0;
}

//  Wraps body in an envelope; SE01 counts ST, the body and SE.
static char *
s_wrap (const char *body)
{
    return test_x12_wrap (ISA "GS*HC*SUBMITTER01*RECEIVER01*20260105*1200*42*X*005010X222A1~"
                          "ST*837*0042*005010X222A1~",
                          body, "0042", "GE*1*42~IEA*1*000000042~");
}

static int
s_parse (const char *body, s_sink_t *sink, parse_837p_report_t *report)
{
    char *text = s_wrap (body);
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    int rc = parse_837p (reader, s_collect, sink, report);
    x12_reader_destroy (&reader);
    free (text);
    return rc;
}

static bool
s_has_finding (const Claim *claim, const char *rule_id, const char *field)
{
    for (size_t i = 0; i < claim->n_parse_findings; i++)
        if (strcmp (claim->parse_findings [i]->rule_id, rule_id) == 0
        &&  (!field || strcmp (claim->parse_findings [i]->field, field) == 0))
            return true;
    return false;
}

START_TEST (test_every_loop)
{
    const char *body = HEAD
        "REF*G2*KA6663~"
        "CLM*PCN-001*275.50***11:B:1*Y*A*Y*Y~"           //  22
        "DTP*431*D8*20251201~"
        "DTP*454*RD8*20251201-20251205~"
        "REF*G1*AUTH77~"
        "REF*F8*ORIGINAL9~"
        "REF*D9*TRACE1~"
        "HI*ABK:E119*ABF:I10*ABF:Z7984~"
        "HI*BG:01~"
        "NM1*82*1*SMITH*ANNA****XX*1245319599~"
        "PRV*PE*PXC*207R00000X~"
        "NM1*77*2*CLINIC ANNEX*****XX*1528088480~"
        "N3*200 OAK AVE~"
        "N4*SPRINGFIELD*IL*62704~"
        "LX*1~"                                          //  35
        "SV1*HC:99214:25:GT:59:XU*175.50*UN*1***1:2~"
        "DTP*472*D8*20251220~"
        "REF*6R*LINE-A~"
        "LX*2~"                                          //  39
        "SV1*HC:J3301*100*MJ*1.5*22**3~"
        "DTP*472*RD8*20251218-20251219~"
        "NM1*DK*1*ORDERING*DOC****XX*1234567893~"
        "N3*SHOULD NOT LAND~";
    s_sink_t sink = { .count = 0 };
    parse_837p_report_t report;
    ck_assert_int_eq (s_parse (body, &sink, &report), 0);
    ck_assert_uint_eq (report.claims, 1);
    ck_assert_uint_eq (report.claims_with_findings, 0);
    ck_assert_uint_eq (report.interchanges, 1);
    ck_assert_uint_eq (report.groups, 1);
    ck_assert_uint_eq (report.transactions, 1);
    ck_assert_uint_eq (sink.count, 1);
    Claim *c = sink.claims [0];

    //  Envelope and header.
    ck_assert_str_eq (c->sender_qualifier, "ZZ");
    ck_assert_str_eq (c->sender_id, "SUBMITTER01");
    ck_assert_str_eq (c->receiver_id, "RECEIVER01");
    ck_assert_str_eq (c->interchange_control_number, "000000042");
    ck_assert_str_eq (c->group_control_number, "42");
    ck_assert_str_eq (c->transaction_control_number, "0042");
    ck_assert_str_eq (c->implementation, "005010X222A1");
    ck_assert_str_eq (c->bht_reference, "BATCH42");
    ck_assert_str_eq (c->file_date, "20260105");
    ck_assert_str_eq (c->submitter->name, "ACME BILLING");
    ck_assert_str_eq (c->submitter->id, "SUB123");
    ck_assert_str_eq (c->receiver->name, "CLEARING HOUSE");
    ck_assert_str_eq (c->receiver->id, "RCV456");

    //  2000A / 2010AA.
    Provider *billing = c->billing_provider;
    ck_assert_str_eq (billing->entity_type, "2");
    ck_assert_str_eq (billing->name, "FAMILY CLINIC");
    ck_assert_str_eq (billing->npi, "1234567893");
    ck_assert_str_eq (billing->taxonomy, "207Q00000X");
    ck_assert_str_eq (billing->tax_id, "123456789");
    ck_assert_str_eq (billing->address->line1, "100 MAIN ST");
    ck_assert_str_eq (billing->address->line2, "SUITE 2");
    ck_assert_str_eq (billing->address->city, "SPRINGFIELD");
    ck_assert_str_eq (billing->address->state, "IL");
    ck_assert_str_eq (billing->address->postal_code, "62701");

    //  2000B / 2010BA / 2010BB.
    Subscriber *sub = c->subscriber;
    ck_assert_str_eq (sub->payer_responsibility, "P");
    ck_assert_str_eq (sub->relationship, "18");
    ck_assert_str_eq (sub->group_number, "GRP100");
    ck_assert_str_eq (sub->group_name, "ACME GROUP");
    ck_assert_str_eq (sub->claim_filing_indicator, "CI");
    ck_assert_str_eq (sub->last_name, "DOE");
    ck_assert_str_eq (sub->first_name, "JOHN");
    ck_assert_str_eq (sub->middle_name, "Q");
    ck_assert_str_eq (sub->suffix, "JR");
    ck_assert_str_eq (sub->member_id, "MEM0001");
    ck_assert_str_eq (sub->birth_date, "19800215");
    ck_assert_str_eq (sub->gender, "M");
    ck_assert_str_eq (sub->address->line1, "5 ELM ST");
    ck_assert_str_eq (sub->address->postal_code, "62702");
    ck_assert_str_eq (c->payer->name, "ACME HEALTH");
    ck_assert_str_eq (c->payer->payer_id, "PAYER01");
    ck_assert_ptr_null (c->patient);

    //  2300.
    ck_assert_str_eq (c->patient_control_number, "PCN-001");
    ck_assert_int_eq (c->total_charge_cents, 27550);
    ck_assert_str_eq (c->place_of_service, "11");
    ck_assert_str_eq (c->facility_code_qualifier, "B");
    ck_assert_str_eq (c->frequency_code, "1");
    ck_assert_uint_eq (c->n_dates, 2);
    ck_assert_str_eq (c->dates [0]->qualifier, "431");
    ck_assert_str_eq (c->dates [0]->date_from, "20251201");
    ck_assert_str_eq (c->dates [0]->date_to, "20251201");
    ck_assert_str_eq (c->dates [1]->date_to, "20251205");
    ck_assert_str_eq (c->prior_authorization, "AUTH77");
    ck_assert_str_eq (c->payer_claim_number, "ORIGINAL9");
    ck_assert_uint_eq (c->n_diagnoses, 3);
    ck_assert_str_eq (c->diagnoses [0]->qualifier, "ABK");
    ck_assert_str_eq (c->diagnoses [0]->code, "E119");
    ck_assert_str_eq (c->diagnoses [2]->qualifier, "ABF");
    ck_assert_str_eq (c->diagnoses [2]->code, "Z7984");
    ck_assert_uint_eq (c->segment_index, 22);
    ck_assert_uint_eq (c->hl_segment_index, 14);
    ck_assert_uint_eq (c->transaction_segment_index, 3);
    ck_assert_uint_eq (c->interchange_index, 1);
    ck_assert_uint_eq (c->claim_index, 1);

    //  2310B / 2310C.
    ck_assert_ptr_nonnull (c->rendering_provider);
    ck_assert_str_eq (c->rendering_provider->name, "SMITH");
    ck_assert_str_eq (c->rendering_provider->first_name, "ANNA");
    ck_assert_str_eq (c->rendering_provider->npi, "1245319599");
    ck_assert_str_eq (c->rendering_provider->taxonomy, "207R00000X");
    ck_assert_ptr_nonnull (c->service_facility);
    ck_assert_str_eq (c->service_facility->name, "CLINIC ANNEX");
    ck_assert_str_eq (c->service_facility->npi, "1528088480");
    ck_assert_str_eq (c->service_facility->address->line1, "200 OAK AVE");

    //  2400.
    ck_assert_uint_eq (c->n_lines, 2);
    ServiceLine *l1 = c->lines [0];
    ck_assert_uint_eq (l1->line_number, 1);
    ck_assert_uint_eq (l1->segment_index, 35);
    ck_assert_str_eq (l1->procedure_qualifier, "HC");
    ck_assert_str_eq (l1->procedure_code, "99214");
    ck_assert_uint_eq (l1->n_modifiers, 4);
    ck_assert_str_eq (l1->modifiers [0], "25");
    ck_assert_str_eq (l1->modifiers [3], "XU");
    ck_assert_int_eq (l1->charge_cents, 17550);
    ck_assert_str_eq (l1->unit_type, "UN");
    ck_assert_str_eq (l1->units, "1");
    ck_assert_int_eq (l1->units_milli, 1000);
    ck_assert_str_eq (l1->place_of_service, "");
    ck_assert_uint_eq (l1->n_diagnosis_pointers, 2);
    ck_assert_uint_eq (l1->diagnosis_pointers [0], 1);
    ck_assert_uint_eq (l1->diagnosis_pointers [1], 2);
    ck_assert_str_eq (l1->service_date_from, "20251220");
    ck_assert_str_eq (l1->service_date_to, "20251220");
    ck_assert_str_eq (l1->line_item_control_number, "LINE-A");
    ServiceLine *l2 = c->lines [1];
    ck_assert_uint_eq (l2->line_number, 2);
    ck_assert_str_eq (l2->procedure_code, "J3301");
    ck_assert_uint_eq (l2->n_modifiers, 0);
    ck_assert_int_eq (l2->charge_cents, 10000);
    ck_assert_str_eq (l2->unit_type, "MJ");
    ck_assert_str_eq (l2->units, "1.5");
    ck_assert_int_eq (l2->units_milli, 1500);
    ck_assert_str_eq (l2->place_of_service, "22");
    ck_assert_uint_eq (l2->n_diagnosis_pointers, 1);
    ck_assert_uint_eq (l2->diagnosis_pointers [0], 3);
    ck_assert_str_eq (l2->service_date_from, "20251218");
    ck_assert_str_eq (l2->service_date_to, "20251219");
    ck_assert_str_eq (l2->line_item_control_number, "");
    //  The 2420 NM1 opened a loop the parser skips: its N3 went nowhere.
    ck_assert_str_eq (c->service_facility->address->line1, "200 OAK AVE");
    ck_assert_str_eq (billing->address->line1, "100 MAIN ST");
    s_sink_free (&sink);
}
END_TEST

//  HL 23 + PAT: the patient is a dependant; the subscriber stays who they are.
//  The next subscriber HL has no patient loop: patient is absent again.
START_TEST (test_patient_not_subscriber)
{
    const char *body =
        "BHT*0019*00*B1*20260105*1200*CH~"
        "HL*1**20*1~"
        "NM1*85*2*FAMILY CLINIC*****XX*1234567893~"
        "HL*2*1*22*1~"
        "SBR*P**GRP7******CI~"
        "NM1*IL*1*SMITH*JANE****MI*JS001~"
        "DMG*D8*19430501*F~"
        "NM1*PR*2*KEY INSURANCE*****PI*999996666~"
        "HL*3*2*23*0~"
        "PAT*19~"
        "NM1*QC*1*SMITH*TED*R~"
        "N3*236 N MAIN ST~"
        "N4*MIAMI*FL*33413~"
        "DMG*D8*20100501*M~"
        "CLM*CHILD-1*40***11:B:1*Y*A*Y*I~"
        "HI*ABK:J069~" LINE1
        "HL*4*1*22*0~"
        "SBR*P*18*GRP8******CI~"
        "NM1*IL*1*JONES*BOB****MI*BJ002~"
        "NM1*PR*2*OTHER PAYER*****PI*55555~"
        "CLM*SELF-1*100***11:B:1*Y*A*Y*I~"
        "HI*ABK:J069~" LINE1;
    s_sink_t sink = { .count = 0 };
    ck_assert_int_eq (s_parse (body, &sink, NULL), 0);
    ck_assert_uint_eq (sink.count, 2);
    Claim *child = sink.claims [0];
    ck_assert_str_eq (child->patient_control_number, "CHILD-1");
    ck_assert_ptr_nonnull (child->patient);
    ck_assert_str_eq (child->patient->relationship, "19");
    ck_assert_str_eq (child->patient->last_name, "SMITH");
    ck_assert_str_eq (child->patient->first_name, "TED");
    ck_assert_str_eq (child->patient->middle_name, "R");
    ck_assert_str_eq (child->patient->birth_date, "20100501");
    ck_assert_str_eq (child->patient->gender, "M");
    ck_assert_str_eq (child->patient->address->city, "MIAMI");
    ck_assert_str_eq (child->subscriber->first_name, "JANE");
    ck_assert_str_eq (child->subscriber->member_id, "JS001");
    ck_assert_str_eq (child->subscriber->birth_date, "19430501");
    ck_assert_str_eq (child->subscriber->relationship, "");
    ck_assert_str_eq (child->subscriber->address->line1, "");
    ck_assert_str_eq (child->payer->payer_id, "999996666");
    ck_assert_uint_eq (child->hl_segment_index, 12);
    Claim *self = sink.claims [1];
    ck_assert_str_eq (self->patient_control_number, "SELF-1");
    ck_assert_ptr_null (self->patient);
    ck_assert_str_eq (self->subscriber->first_name, "BOB");
    ck_assert_str_eq (self->subscriber->birth_date, "");
    ck_assert_str_eq (self->payer->payer_id, "55555");
    ck_assert_str_eq (self->billing_provider->npi, "1234567893");
    ck_assert_uint_eq (self->claim_index, 2);
    s_sink_free (&sink);
}
END_TEST

//  2320 / 2330 (other subscriber and payer for coordination of benefits)
//  come after the claim's HI and before its lines: their NM1*IL / NM1*PR
//  must not replace the claim's subscriber and payer.
START_TEST (test_cob_loops_ignored)
{
    const char *body = HEAD
        "CLM*COB-1*100***11:B:1*Y*A*Y*I~"
        "HI*ABK:J069~"
        "SBR*S*01*******CI~"
        "OI***Y*P**Y~"
        "NM1*IL*1*DOE*JACK****MI*OTHERMEM~"
        "N3*9 OTHER ST~"
        "NM1*PR*2*SECOND PAYER*****PI*SECOND~"
        LINE1;
    s_sink_t sink = { .count = 0 };
    ck_assert_int_eq (s_parse (body, &sink, NULL), 0);
    ck_assert_uint_eq (sink.count, 1);
    Claim *c = sink.claims [0];
    ck_assert_str_eq (c->subscriber->member_id, "MEM0001");
    ck_assert_str_eq (c->subscriber->payer_responsibility, "P");
    ck_assert_str_eq (c->subscriber->address->line1, "5 ELM ST");
    ck_assert_str_eq (c->payer->payer_id, "PAYER01");
    ck_assert_uint_eq (c->n_lines, 1);
    ck_assert_uint_eq (c->n_parse_findings, 0);
    s_sink_free (&sink);
}
END_TEST

//  Several claims per subscriber, each handed out when the next starts.
START_TEST (test_claims_stream_one_at_a_time)
{
    const char *body = HEAD
        "CLM*A*100***11:B:1*Y*A*Y*I~HI*ABK:J069~" LINE1
        "CLM*B*100***11:B:7*Y*A*Y*I~HI*ABK:J069~" LINE1
        "CLM*C*100***11:B:8*Y*A*Y*I~HI*ABK:J069~" LINE1;
    s_sink_t sink = { .count = 0 };
    parse_837p_report_t report;
    ck_assert_int_eq (s_parse (body, &sink, &report), 0);
    ck_assert_uint_eq (report.claims, 3);
    ck_assert_str_eq (sink.claims [0]->patient_control_number, "A");
    ck_assert_str_eq (sink.claims [1]->frequency_code, "7");
    ck_assert_str_eq (sink.claims [2]->frequency_code, "8");
    ck_assert_str_eq (sink.claims [2]->subscriber->member_id, "MEM0001");
    ck_assert_uint_eq (sink.claims [1]->segment_index, 26);
    s_sink_free (&sink);

    //  The callback can stop the parse.
    sink.stop_after = 2;
    ck_assert_int_eq (s_parse (body, &sink, &report), -1);
    ck_assert_uint_eq (sink.count, 2);
    ck_assert_ptr_nonnull (strstr (report.error, "stopped by the claim callback"));
    s_sink_free (&sink);
}
END_TEST

//  A claim with a problem is still handed out, with findings; the other
//  claims of the batch are clean and the file is not refused.
START_TEST (test_claim_level_problems)
{
    const char *body = HEAD
        "CLM*GOOD-1*100***11:B:1*Y*A*Y*I~HI*ABK:J069~" LINE1
        "CLM**12.3.4***:B:*Y*A*Y*I~"
        "DTP*431*D8*20251340~"
        "HI*ABK:J069*ABF~"
        "LX*1~SV1*HC*abc*UN*x***1:13:Z~DTP*472*D8*20250231~"
        "LX*2~SV1*HC:99213*10*UN*1***1~"
        "LX*3~DTP*472*D8*20251220~"
        "CLM*NOLINES*0***11:B:1*Y*A*Y*I~HI*ABK:J069~"
        "CLM*TOOMANY*100***11:B:1*Y*A*Y*I~"
        "HI*ABK:A01*ABF:A02*ABF:A03*ABF:A04*ABF:A05*ABF:A06*ABF:A07*ABF:A08*ABF:A09*ABF:A10*ABF:A11*ABF:A12~"
        "HI*ABF:A13~" LINE1
        "CLM*GOOD-2*100***11:B:1*Y*A*Y*I~HI*ABK:J069~" LINE1;
    s_sink_t sink = { .count = 0 };
    parse_837p_report_t report;
    ck_assert_int_eq (s_parse (body, &sink, &report), 0);
    ck_assert_uint_eq (sink.count, 5);
    ck_assert_uint_eq (report.claims_with_findings, 3);

    ck_assert_uint_eq (sink.claims [0]->n_parse_findings, 0);
    ck_assert_uint_eq (sink.claims [4]->n_parse_findings, 0);
    ck_assert_str_eq (sink.claims [4]->patient_control_number, "GOOD-2");

    Claim *bad = sink.claims [1];
    ck_assert (s_has_finding (bad, "PRS001", "patient_control_number"));
    ck_assert (s_has_finding (bad, "PRS002", "total_charge_cents"));
    ck_assert_int_eq (bad->total_charge_cents, 0);
    ck_assert (s_has_finding (bad, "PRS003", "place_of_service"));
    ck_assert (s_has_finding (bad, "PRS004", "frequency_code"));
    ck_assert (s_has_finding (bad, "PRS013", "dates"));
    ck_assert (s_has_finding (bad, "PRS005", "diagnoses"));
    ck_assert (s_has_finding (bad, "PRS007", "lines[1].procedure_code"));
    ck_assert (s_has_finding (bad, "PRS008", "lines[1].charge_cents"));
    ck_assert (s_has_finding (bad, "PRS009", "lines[1].units"));
    ck_assert (s_has_finding (bad, "PRS010", "lines[1].diagnosis_pointers"));
    ck_assert (s_has_finding (bad, "PRS011", "lines[1].service_date_from"));
    ck_assert (s_has_finding (bad, "PRS011", "lines[2].service_date_from"));
    ck_assert (s_has_finding (bad, "PRS014", "lines[3]"));
    ck_assert (!s_has_finding (bad, "PRS012", NULL));
    //  The valid pointer of line 1 is kept; 13 and Z are not.
    ck_assert_uint_eq (bad->lines [0]->n_diagnosis_pointers, 1);
    ck_assert_uint_eq (bad->n_diagnoses, 1);

    ck_assert (s_has_finding (sink.claims [2], "PRS012", "lines"));
    ck_assert_uint_eq (sink.claims [2]->n_parse_findings, 1);

    Claim *many = sink.claims [3];
    ck_assert_uint_eq (many->n_diagnoses, 12);
    ck_assert (s_has_finding (many, "PRS006", "diagnoses"));
    ck_assert_uint_eq (many->n_parse_findings, 1);
    s_sink_free (&sink);
}
END_TEST

//  Each structural problem refuses the file with segment, id and reason.
START_TEST (test_structural_errors)
{
    static const struct {
        const char *body;
        uint64_t segment;
        const char *id;
        const char *reason;
    } cases [] = {
        {   "BHT*0019~HL*1**20*1~HL*1*1*22*0~",
            6, "HL", "HL01 1 is not greater than the previous HL01 1" },
        {   "BHT*0019~HL*1**20*1~HL*2*7*22*0~",
            6, "HL", "subscriber HL's parent '7' is not the open billing provider HL" },
        {   "BHT*0019~HL*1**22*0~",
            5, "HL", "subscriber HL's parent '' is not the open billing provider HL (none open)" },
        {   "BHT*0019~HL*1**20*1~HL*2*1*23*0~",
            6, "HL", "patient HL's parent '1' is not the open subscriber HL (none open)" },
        {   "BHT*0019~HL*1**20*1~HL*2*1*21*0~",
            6, "HL", "HL03 level '21' is not 20, 22 or 23" },
        {   "BHT*0019~HL*A**20*1~",
            5, "HL", "HL01 'A' is not a number" },
        {   "BHT*0019~HL*1**20*1~CLM*X*1***11:B:1~",
            6, "CLM", "CLM outside a subscriber or patient HL" },
        {   "BHT*0019~HL*1**20*1~HL*2*1*22*0~LX*1~",
            7, "LX", "LX outside a claim (no CLM)" },
        {   "BHT*0019~HL*1**20*1~HL*2*1*22*0~CLM*X*1***11:B:1~SV1*HC:99213*1*UN*1~",
            8, "SV1", "SV1 outside a service line (no LX)" },
        {   "BHT*0019~HL*1**20*1~HL*2*1*22*0~CLM*X*1***11:B:1~LX*1~SV1*HC:1~SV1*HC:2~",
            10, "SV1", "second SV1 in one service line" },
        {   "HL*1**20*1~",
            4, "HL", "BHT expected right after ST" },
        {   "BHT*0019~SBR*P~",
            5, "SBR", "SBR outside a subscriber HL or a claim" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        s_sink_t sink = { .count = 0 };
        parse_837p_report_t report;
        ck_assert_msg (s_parse (cases [i].body, &sink, &report) == -1, "case %zu parsed", i);
        ck_assert_msg (report.error_segment == cases [i].segment, "case %zu: segment %llu (%s)",
                       i, (unsigned long long) report.error_segment, report.error);
        ck_assert_str_eq (report.error_id, cases [i].id);
        ck_assert_msg (strstr (report.error, cases [i].reason), "case %zu: '%s'", i, report.error);
        s_sink_free (&sink);
    }
}
END_TEST

//  Not an 837P: the set type or implementation guide refuses the file.
START_TEST (test_wrong_transaction)
{
    static const struct {
        const char *st;
        const char *reason;
    } cases [] = {
        { "ST*835*0042~", "transaction set 835 is not an 837 claim" },
        { "ST*837*0042*005010X223A2~", "implementation 005010X223A2 is 837I (institutional), not 837P" },
        { "ST*837*0042*005010X224A2~", "837D (dental)" },
        { "ST*837*0042*004010X098A1~", "implementation 004010X098A1 is not 837P" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char text [1024];
        snprintf (text, sizeof text, ISA "GS*HC*S*R*20260105*1200*42*X*005010X222A1~"
                  "%sBHT*0019~SE*3*0042~GE*1*42~IEA*1*000000042~", cases [i].st);
        x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
        parse_837p_report_t report;
        ck_assert_int_eq (parse_837p (reader, NULL, NULL, &report), -1);
        ck_assert_uint_eq (report.error_segment, 3);
        ck_assert_str_eq (report.error_id, "ST");
        ck_assert_msg (strstr (report.error, cases [i].reason), "%s", report.error);
        x12_reader_destroy (&reader);
    }
    //  Without ST03, GS08 says which guide; 005010X222 without A1 is fine.
    const char *text = ISA "GS*HC*S*R*20260105*1200*42*X*005010X222~"
                       "ST*837*0042~BHT*0019~SE*3*0042~GE*1*42~IEA*1*000000042~";
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    ck_assert_int_eq (parse_837p (reader, NULL, NULL, NULL), 0);
    x12_reader_destroy (&reader);
}
END_TEST

//  Envelope errors from the reader come through with their segment.
START_TEST (test_reader_error_propagates)
{
    char *text = s_wrap (HEAD "CLM*A*100***11:B:1*Y*A*Y*I~HI*ABK:J069~" LINE1);
    char *se = strstr (text, "~SE*") + 1;
    se [3] = '9';
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    s_sink_t sink = { .count = 0 };
    parse_837p_report_t report;
    ck_assert_int_eq (parse_837p (reader, s_collect, &sink, &report), -1);
    ck_assert_str_eq (report.error_id, "SE");
    ck_assert_uint_eq (report.error_segment, 26);
    ck_assert_ptr_nonnull (strstr (report.error, "SE01"));
    //  The claim was closed by SE before the count was found wrong: it was
    //  handed out and is provisional, as the header says.
    x12_reader_destroy (&reader);
    s_sink_free (&sink);
    free (text);
}
END_TEST

//  Two envelopes: the claim carries its own interchange's numbers.
START_TEST (test_two_interchanges)
{
    char *one = s_wrap (HEAD "CLM*A*100***11:B:1*Y*A*Y*I~HI*ABK:J069~" LINE1);
    char *two = s_wrap (HEAD "CLM*B*100***11:B:1*Y*A*Y*I~HI*ABK:J069~" LINE1);
    //  Second envelope: control number 43.
    char *isa13 = strstr (two, "000000042");
    isa13 [8] = '3';
    isa13 = strstr (two, "IEA*1*000000042");
    isa13 [14] = '3';
    size_t size = strlen (one) + strlen (two) + 3;
    char *text = malloc (size);
    snprintf (text, size, "%s\r\n%s", one, two);
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    s_sink_t sink = { .count = 0 };
    parse_837p_report_t report;
    ck_assert_int_eq (parse_837p (reader, s_collect, &sink, &report), 0);
    ck_assert_uint_eq (report.interchanges, 2);
    ck_assert_uint_eq (sink.count, 2);
    ck_assert_str_eq (sink.claims [0]->interchange_control_number, "000000042");
    ck_assert_str_eq (sink.claims [1]->interchange_control_number, "000000043");
    ck_assert_uint_eq (sink.claims [1]->interchange_index, 2);
    x12_reader_destroy (&reader);
    s_sink_free (&sink);
    free (one);
    free (two);
    free (text);
}
END_TEST

//  The numbers the parser reads by hand: LX01 as strtoul reads it (digits,
//  and a sign, blank or overflow through strtoul), SV107's pointers one or
//  two digits from 1 to 12 (PRS010 otherwise), HL01 by x12_number.
START_TEST (test_numbers_by_hand)
{
#define S_DTP "DTP*472*D8*20251220~"
    const char *body = HEAD
        "CLM*N-1*500***11:B:1*Y*A*Y*I~HI*ABK:J069*ABF:A13~"
        "LX*7~SV1*HC:99213*100*UN*1***1:2~" S_DTP
        "LX*0012~SV1*HC:99213*100*UN*1***05:12~" S_DTP
        "LX*+3~SV1*HC:99213*100*UN*1***0:13:1A:123~" S_DTP
        "LX* 4~SV1*HC:99213*100*UN*1***" " 1:2~" S_DTP
        "LX*99999999999~SV1*HC:99213*100*UN*1***1~" S_DTP;
#undef S_DTP
    s_sink_t sink = { .count = 0 };
    parse_837p_report_t report;
    ck_assert_int_eq (s_parse (body, &sink, &report), 0);
    ck_assert_uint_eq (sink.count, 1);
    const Claim *claim = sink.claims [0];
    ck_assert_uint_eq (claim->n_lines, 5);
    static const struct {
        const char *lx01;
        size_t pointers;
        uint32_t pointer [2];
        size_t refused;         //  PRS010 findings on the line
    } lines [] = {
        { "7",           2, { 1, 2 },  0 },
        { "0012",        2, { 5, 12 }, 0 },
        { "+3",          0, { 0, 0 },  4 },
        { " 4",          1, { 2, 0 },  1 },
        { "99999999999", 1, { 1, 0 },  0 },
    };
    for (size_t i = 0; i < 5; i++) {
        const ServiceLine *line = claim->lines [i];
        ck_assert_uint_eq (line->line_number, (uint32_t) strtoul (lines [i].lx01, NULL, 10));
        ck_assert_uint_eq (line->n_diagnosis_pointers, lines [i].pointers);
        for (size_t p = 0; p < lines [i].pointers; p++)
            ck_assert_uint_eq (line->diagnosis_pointers [p], lines [i].pointer [p]);
        char field [48];
        snprintf (field, sizeof field, "lines[%zu].diagnosis_pointers", i + 1);
        size_t refused = 0;
        for (size_t f = 0; f < claim->n_parse_findings; f++)
            refused += strcmp (claim->parse_findings [f]->rule_id, "PRS010") == 0
                    && strcmp (claim->parse_findings [f]->field, field) == 0;
        ck_assert_msg (refused == lines [i].refused, "line %zu: %zu PRS010", i + 1, refused);
    }
    ck_assert_uint_eq (claim->lines [4]->line_number, 1215752191u);
    s_sink_free (&sink);

    static const struct {
        const char *text;
        int rc;
        uint64_t value;
    } numbers [] = {
        { "1", 0, 1 }, { "42", 0, 42 }, { "000000000007", 0, 7 }, { "999999999999", 0, 999999999999ULL },
        { "", -1, 0 }, { "1234567890123", -1, 0 }, { "12a", -1, 0 }, { " 1", -1, 0 },
        { "+1", -1, 0 }, { "-1", -1, 0 }, { "1 ", -1, 0 },
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers [0]; i++) {
        uint64_t value = 0;
        int rc = x12_number (numbers [i].text, &value);
        ck_assert_msg (rc == numbers [i].rc, "'%s' rc %d", numbers [i].text, rc);
        if (rc == 0)
            ck_assert_msg (value == numbers [i].value, "'%s' -> %llu", numbers [i].text, (unsigned long long) value);
    }
}
END_TEST

START_TEST (test_money_and_units)
{
    static const struct {
        const char *text;
        int rc;
        int64_t cents;
    } money [] = {
        { "123.45", 0, 12345 }, { "100", 0, 10000 }, { "0.5", 0, 50 }, { ".5", 0, 50 },
        { "79.04", 0, 7904 }, { "21.04", 0, 2104 }, { "0.29", 0, 29 }, { "-5.00", 0, -500 },
        { "+3", 0, 300 }, { "12.340", 0, 1234 }, { "1.", 0, 100 }, { "0", 0, 0 },
        { "99999999.99", 0, 9999999999 },
        { "12.345", -1, 0 }, { "", -1, 0 }, { ".", -1, 0 }, { "abc", -1, 0 }, { "1.2.3", -1, 0 },
        { "1e3", -1, 0 }, { "12 ", -1, 0 }, { "-", -1, 0 }, { "99999999999999999999", -1, 0 },
    };
    for (size_t i = 0; i < sizeof money / sizeof money [0]; i++) {
        int64_t cents = 0;
        int rc = x12_cents (money [i].text, &cents);
        ck_assert_msg (rc == money [i].rc, "'%s' rc %d", money [i].text, rc);
        if (rc == 0)
            ck_assert_msg (cents == money [i].cents, "'%s' -> %lld", money [i].text, (long long) cents);
    }
    int64_t milli;
    ck_assert_int_eq (x12_milli ("1", &milli), 0);
    ck_assert_int_eq (milli, 1000);
    ck_assert_int_eq (x12_milli ("0.125", &milli), 0);
    ck_assert_int_eq (milli, 125);
    ck_assert_int_eq (x12_milli ("2.5", &milli), 0);
    ck_assert_int_eq (milli, 2500);
    ck_assert_int_eq (x12_milli ("0.1255", &milli), -1);
    ck_assert_int_eq (x12_milli ("x", &milli), -1);
}
END_TEST

START_TEST (test_dates)
{
    ck_assert_int_eq (x12_valid_date ("20260105"), 1);
    ck_assert_int_eq (x12_valid_date ("20240229"), 1);
    ck_assert_int_eq (x12_valid_date ("20000229"), 1);
    ck_assert_int_eq (x12_valid_date ("19000229"), 0);
    ck_assert_int_eq (x12_valid_date ("20250229"), 0);
    ck_assert_int_eq (x12_valid_date ("20251301"), 0);
    ck_assert_int_eq (x12_valid_date ("20250431"), 0);
    ck_assert_int_eq (x12_valid_date ("20250400"), 0);
    ck_assert_int_eq (x12_valid_date ("2025010"), 0);
    ck_assert_int_eq (x12_valid_date ("2025-1-01"), 0);
    //  RD8 with the end before the start is a bad date.
    s_sink_t sink = { .count = 0 };
    ck_assert_int_eq (s_parse (HEAD "CLM*A*100***11:B:1*Y*A*Y*I~HI*ABK:J069~"
                               "LX*1~SV1*HC:99213*100*UN*1***1~DTP*472*RD8*20251220-20251219~",
                               &sink, NULL), 0);
    ck_assert (s_has_finding (sink.claims [0], "PRS011", "lines[1].service_date_from"));
    s_sink_free (&sink);
}
END_TEST

Suite *
parse_837p_suite (void)
{
    Suite *suite = suite_create ("parse_837p");
    TCase *tc = tcase_create ("parse");
    tcase_add_test (tc, test_every_loop);
    tcase_add_test (tc, test_patient_not_subscriber);
    tcase_add_test (tc, test_cob_loops_ignored);
    tcase_add_test (tc, test_claims_stream_one_at_a_time);
    tcase_add_test (tc, test_claim_level_problems);
    tcase_add_test (tc, test_structural_errors);
    tcase_add_test (tc, test_wrong_transaction);
    tcase_add_test (tc, test_reader_error_propagates);
    tcase_add_test (tc, test_two_interchanges);
    tcase_add_test (tc, test_money_and_units);
    tcase_add_test (tc, test_numbers_by_hand);
    tcase_add_test (tc, test_dates);
    suite_add_tcase (suite, tc);
    return suite;
}
