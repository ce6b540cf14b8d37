/*  Tests for the element length and character limits of intake (issue 12
    items 3, 7 and 9): every element intake keeps, at its 837P maximum
    length and one character over; control characters and invalid UTF-8;
    the guide's repeat limits (lines, pointers, DTPs, claims per HL); and
    that every string field of Claim has a row in the limits table.

    Claims go through the real parser and scrubber, from X12 text. Each
    case swaps one element of a claim that has every loop intake reads;
    the expected field, element and maximum are written in the case, from
    the X12 element dictionary, not read from element_limits.c.
*/
#include "suites.h"
#include "x12_helpers.h"
#include "element_limits.h"
#include "parse_837p.h"
#include "scrub.h"

#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISA "ISA*00*          *00*          *ZZ*SUBMITTER01    *ZZ*RECEIVER01     *260105*1200*^*00501*000000042*0*P*:~"
#define TODAY_MS 1768003200000ULL       //  2026-01-10

//  One claim with every loop and element intake reads (patient loop
//  included), after a BHT whose fields are cases too.
static const char *s_body =
    "BHT*0019*00*BATCH42*20260105*1200*CH~"
    "NM1*41*2*ACME BILLING*****46*SUB123~"
    "NM1*40*2*CLEARING HOUSE*****46*RCV456~"
    "HL*1**20*1~"
    "PRV*BI*PXC*207Q00000X~"
    "NM1*85*2*FAMILY CLINIC*****XX*1234567893~"
    "N3*100 MAIN ST*SUITE 2~"
    "N4*SPRINGFIELD*IL*62701~"
    "REF*EI*123456789~"
    "HL*2*1*22*1~"
    "SBR*P*18*GRP100*ACME GROUP*****CI~"
    "NM1*IL*1*DOE*JOHN*Q**JR*MI*MEM0001~"
    "N3*5 ELM ST*APT 9~"
    "N4*SPRINGFIELD*IL*62702~"
    "DMG*D8*19800215*M~"
    "NM1*PR*2*ACME HEALTH*****PI*PAYER01~"
    "HL*3*2*23*0~"
    "PAT*19~"
    "NM1*QC*1*ROE*JANE*A**III~"
    "N3*7 OAK ST*APT 3~"
    "N4*SHELBYVILLE*IN*46176~"
    "DMG*D8*20100101*F~"
    "CLM*PCN-001*175.50***11:B:1*Y*A*Y*Y~"
    "DTP*431*D8*20251201~"
    "REF*G1*AUTH77~"
    "REF*F8*ORIGINAL9~"
    "HI*ABK:E119*ABF:I10~"
    "NM1*82*1*SMITH*ANNA****XX*1245319599~"
    "PRV*PE*PXC*207R00000X~"
    "NM1*77*2*CLINIC ANNEX*****XX*1528088480~"
    "N3*200 BIRCH AVE*FLOOR 2~"
    "N4*CAPITAL CITY*OH*43004~"
    "LX*1~"
    "SV1*HC:99214:25*175.50*UN*1*11**1:2~"
    "DTP*472*D8*20251220~"
    "REF*6R*LINE-A~";

typedef struct {
    const char *find;           //  unique in s_body
    const char *replace;        //  '@' = the value under test
    const char *field;          //  the finding's field
    const char *element;        //  as the finding names it
    size_t max;                 //  characters
    char fill;                  //  what the value is made of
} s_case_t;

static const s_case_t s_cases [] = {
    { "ST*837*0042*005010X222A1~", "ST*837*0042*005010X222A1@~", "implementation", "ST03", 35, '0' },
    { "*BATCH42*", "*@*", "bht_reference", "BHT03", 50, 'B' },
    { "*20260105*1200*CH~", "*@*1200*CH~", "file_date", "BHT04", 8, '2' },
    { "NM1*41*2*ACME BILLING*", "NM1*41*2*@*", "submitter.name", "1000A NM103", 60, 'A' },
    { "*46*SUB123~", "*46*@~", "submitter.id", "1000A NM109", 80, 'S' },
    { "*46*RCV456~", "*46*@~", "receiver.id", "1000B NM109", 80, 'R' },
    { "PRV*BI*PXC*207Q00000X~", "PRV*BI*PXC*@~", "billing_provider.taxonomy", "2000A PRV03", 50, 'T' },
    { "NM1*85*2*FAMILY CLINIC*", "NM1*85*2*@*", "billing_provider.name", "2010AA NM103", 60, 'F' },
    { "*XX*1234567893~", "*XX*@~", "billing_provider.npi", "2010AA NM109 (NPI)", 10, '1' },
    { "*XX*1234567893~", "*24*@~", "billing_provider.id", "2010AA NM109", 80, '1' },
    { "N3*100 MAIN ST*", "N3*@*", "billing_provider.address.line1", "2010AA N301", 55, 'M' },
    { "*SUITE 2~", "*@~", "billing_provider.address.line2", "2010AA N302", 55, 'S' },
    { "N4*SPRINGFIELD*IL*62701~", "N4*@*IL*62701~", "billing_provider.address.city", "2010AA N401", 30, 'C' },
    { "N4*SPRINGFIELD*IL*62701~", "N4*SPRINGFIELD*@*62701~", "billing_provider.address.state", "2010AA N402", 2, 'I' },
    { "N4*SPRINGFIELD*IL*62701~", "N4*SPRINGFIELD*IL*@~", "billing_provider.address.postal_code", "2010AA N403", 15, '6' },
    { "REF*EI*123456789~", "REF*EI*@~", "billing_provider.tax_id", "2010AA REF02", 50, '9' },
    { "SBR*P*18*GRP100*ACME GROUP*****CI~", "SBR*@*18*GRP100*ACME GROUP*****CI~",
      "subscriber.payer_responsibility", "2000B SBR01", 1, 'P' },
    { "SBR*P*18*GRP100*ACME GROUP*****CI~", "SBR*P*@*GRP100*ACME GROUP*****CI~",
      "subscriber.relationship", "2000B SBR02", 2, '1' },
    { "SBR*P*18*GRP100*ACME GROUP*****CI~", "SBR*P*18*@*ACME GROUP*****CI~",
      "subscriber.group_number", "2000B SBR03", 50, 'G' },
    { "SBR*P*18*GRP100*ACME GROUP*****CI~", "SBR*P*18*GRP100*@*****CI~",
      "subscriber.group_name", "2000B SBR04", 60, 'N' },
    { "SBR*P*18*GRP100*ACME GROUP*****CI~", "SBR*P*18*GRP100*ACME GROUP*****@~",
      "subscriber.claim_filing_indicator", "2000B SBR09", 2, 'C' },
    { "NM1*IL*1*DOE*JOHN*Q**JR*MI*MEM0001~", "NM1*IL*1*@*JOHN*Q**JR*MI*MEM0001~",
      "subscriber.last_name", "2010BA NM103", 60, 'D' },
    { "NM1*IL*1*DOE*JOHN*Q**JR*MI*MEM0001~", "NM1*IL*1*DOE*@*Q**JR*MI*MEM0001~",
      "subscriber.first_name", "2010BA NM104", 35, 'J' },
    { "NM1*IL*1*DOE*JOHN*Q**JR*MI*MEM0001~", "NM1*IL*1*DOE*JOHN*@**JR*MI*MEM0001~",
      "subscriber.middle_name", "2010BA NM105", 25, 'Q' },
    { "NM1*IL*1*DOE*JOHN*Q**JR*MI*MEM0001~", "NM1*IL*1*DOE*JOHN*Q**@*MI*MEM0001~",
      "subscriber.suffix", "2010BA NM107", 10, 'R' },
    { "NM1*IL*1*DOE*JOHN*Q**JR*MI*MEM0001~", "NM1*IL*1*DOE*JOHN*Q**JR*MI*@~",
      "subscriber.member_id", "2010BA NM109", 80, 'M' },
    { "N3*5 ELM ST*APT 9~", "N3*@*APT 9~", "subscriber.address.line1", "2010BA N301", 55, 'E' },
    { "N3*5 ELM ST*APT 9~", "N3*5 ELM ST*@~", "subscriber.address.line2", "2010BA N302", 55, 'E' },
    { "N4*SPRINGFIELD*IL*62702~", "N4*@*IL*62702~", "subscriber.address.city", "2010BA N401", 30, 'C' },
    { "N4*SPRINGFIELD*IL*62702~", "N4*SPRINGFIELD*@*62702~", "subscriber.address.state", "2010BA N402", 2, 'I' },
    { "N4*SPRINGFIELD*IL*62702~", "N4*SPRINGFIELD*IL*@~", "subscriber.address.postal_code", "2010BA N403", 15, '6' },
    { "DMG*D8*19800215*M~", "DMG*D8*@*M~", "subscriber.birth_date", "2010BA DMG02", 35, '1' },
    { "DMG*D8*19800215*M~", "DMG*D8*19800215*@~", "subscriber.gender", "2010BA DMG03", 1, 'M' },
    { "NM1*PR*2*ACME HEALTH*****PI*PAYER01~", "NM1*PR*2*@*****PI*PAYER01~", "payer.name", "2010BB NM103", 60, 'H' },
    { "NM1*PR*2*ACME HEALTH*****PI*PAYER01~", "NM1*PR*2*ACME HEALTH*****PI*@~", "payer.payer_id", "2010BB NM109", 80, 'P' },
    { "PAT*19~", "PAT*@~", "patient.relationship", "2000C PAT01", 2, '1' },
    { "NM1*QC*1*ROE*JANE*A**III~", "NM1*QC*1*@*JANE*A**III~", "patient.last_name", "2010CA NM103", 60, 'R' },
    { "NM1*QC*1*ROE*JANE*A**III~", "NM1*QC*1*ROE*@*A**III~", "patient.first_name", "2010CA NM104", 35, 'J' },
    { "NM1*QC*1*ROE*JANE*A**III~", "NM1*QC*1*ROE*JANE*@**III~", "patient.middle_name", "2010CA NM105", 25, 'A' },
    { "NM1*QC*1*ROE*JANE*A**III~", "NM1*QC*1*ROE*JANE*A**@~", "patient.suffix", "2010CA NM107", 10, 'I' },
    { "N3*7 OAK ST*APT 3~", "N3*@*APT 3~", "patient.address.line1", "2010CA N301", 55, 'O' },
    { "N3*7 OAK ST*APT 3~", "N3*7 OAK ST*@~", "patient.address.line2", "2010CA N302", 55, 'O' },
    { "N4*SHELBYVILLE*IN*46176~", "N4*@*IN*46176~", "patient.address.city", "2010CA N401", 30, 'S' },
    { "N4*SHELBYVILLE*IN*46176~", "N4*SHELBYVILLE*@*46176~", "patient.address.state", "2010CA N402", 2, 'I' },
    { "N4*SHELBYVILLE*IN*46176~", "N4*SHELBYVILLE*IN*@~", "patient.address.postal_code", "2010CA N403", 15, '4' },
    { "DMG*D8*20100101*F~", "DMG*D8*@*F~", "patient.birth_date", "2010CA DMG02", 35, '2' },
    { "DMG*D8*20100101*F~", "DMG*D8*20100101*@~", "patient.gender", "2010CA DMG03", 1, 'F' },
    { "CLM*PCN-001*", "CLM*@*", "patient_control_number", "2300 CLM01", 38, 'P' },
    { "*175.50***11:B:1*", "*@***11:B:1*", "total_charge_cents", "2300 CLM02", 18, '0' },
    { "***11:B:1*", "***@:B:1*", "place_of_service", "2300 CLM05-1", 2, '1' },
    { "***11:B:1*", "***11:@:1*", "facility_code_qualifier", "2300 CLM05-2", 2, 'B' },
    { "***11:B:1*", "***11:B:@*", "frequency_code", "2300 CLM05-3", 1, '1' },
    { "DTP*431*D8*20251201~", "DTP*@*D8*20251201~", "dates[1].qualifier", "2300 DTP01", 3, '4' },
    { "DTP*431*D8*20251201~", "DTP*431*D8*@~", "dates", "2300 DTP03", 35, '2' },
    { "REF*G1*AUTH77~", "REF*G1*@~", "prior_authorization", "2300 REF02 (REF*G1)", 50, 'A' },
    { "REF*F8*ORIGINAL9~", "REF*F8*@~", "payer_claim_number", "2300 REF02 (REF*F8)", 50, 'O' },
    { "HI*ABK:E119*", "HI*ABK:@*", "diagnoses[1].code", "2300 HI0n-2", 30, 'E' },
    { "NM1*82*1*SMITH*ANNA****XX*1245319599~", "NM1*82*1*@*ANNA****XX*1245319599~",
      "rendering_provider.name", "2310B NM103", 60, 'S' },
    { "NM1*82*1*SMITH*ANNA****XX*1245319599~", "NM1*82*1*SMITH*@****XX*1245319599~",
      "rendering_provider.first_name", "2310B NM104", 35, 'A' },
    { "NM1*82*1*SMITH*ANNA****XX*1245319599~", "NM1*82*1*SMITH*ANNA****XX*@~",
      "rendering_provider.npi", "2310B NM109 (NPI)", 10, '1' },
    { "PRV*PE*PXC*207R00000X~", "PRV*PE*PXC*@~", "rendering_provider.taxonomy", "2310B PRV03", 50, 'T' },
    { "NM1*77*2*CLINIC ANNEX*****XX*1528088480~", "NM1*77*2*@*****XX*1528088480~",
      "service_facility.name", "2310C NM103", 60, 'C' },
    { "NM1*77*2*CLINIC ANNEX*****XX*1528088480~", "NM1*77*2*CLINIC ANNEX*****XX*@~",
      "service_facility.npi", "2310C NM109 (NPI)", 10, '1' },
    { "NM1*77*2*CLINIC ANNEX*****XX*1528088480~", "NM1*77*2*CLINIC ANNEX*****24*@~",
      "service_facility.id", "2310C NM109", 80, '1' },
    { "N3*200 BIRCH AVE*FLOOR 2~", "N3*@*FLOOR 2~", "service_facility.address.line1", "2310C N301", 55, 'B' },
    { "N3*200 BIRCH AVE*FLOOR 2~", "N3*200 BIRCH AVE*@~", "service_facility.address.line2", "2310C N302", 55, 'F' },
    { "N4*CAPITAL CITY*OH*43004~", "N4*@*OH*43004~", "service_facility.address.city", "2310C N401", 30, 'C' },
    { "N4*CAPITAL CITY*OH*43004~", "N4*CAPITAL CITY*@*43004~", "service_facility.address.state", "2310C N402", 2, 'O' },
    { "N4*CAPITAL CITY*OH*43004~", "N4*CAPITAL CITY*OH*@~", "service_facility.address.postal_code", "2310C N403", 15, '4' },
    { "LX*1~", "LX*@~", "lines[1].line_number", "2400 LX01", 6, '1' },
    { "SV1*HC:99214:25*", "SV1*@:99214:25*", "lines[1].procedure_qualifier", "2400 SV101-1", 2, 'H' },
    { "SV1*HC:99214:25*", "SV1*HC:@:25*", "lines[1].procedure_code", "2400 SV101-2", 48, '9' },
    { "SV1*HC:99214:25*", "SV1*HC:99214:@*", "lines[1].modifiers[1]", "2400 SV101-3..6", 2, '2' },
    { "*175.50*UN*1*11**1:2~", "*@*UN*1*11**1:2~", "lines[1].charge_cents", "2400 SV102", 18, '0' },
    { "*175.50*UN*1*11**1:2~", "*175.50*@*1*11**1:2~", "lines[1].unit_type", "2400 SV103", 2, 'U' },
    { "*175.50*UN*1*11**1:2~", "*175.50*UN*@*11**1:2~", "lines[1].units", "2400 SV104", 15, '1' },
    { "*175.50*UN*1*11**1:2~", "*175.50*UN*1*@**1:2~", "lines[1].place_of_service", "2400 SV105", 2, '1' },
    { "DTP*472*D8*20251220~", "DTP*472*D8*@~", "lines[1].service_date_from", "2400 DTP03 (DTP*472)", 35, '2' },
    { "REF*6R*LINE-A~", "REF*6R*@~", "lines[1].line_item_control_number", "2400 REF02 (REF*6R)", 50, 'L' },
};

//  s_body with find replaced by replace, '@' in it by value.
static char *
s_swap (const char *body, const char *find, const char *replace, const char *value)
{
    const char *at = strstr (body, find);
    ck_assert_msg (at, "'%s' not in the body", find);
    ck_assert_msg (!strstr (at + 1, find), "'%s' twice in the body", find);
    size_t size = strlen (body) + strlen (replace) + strlen (value) + 1;
    char *result = malloc (size);
    const char *mark = strchr (replace, '@');
    snprintf (result, size, "%.*s%.*s%s%s%s", (int) (at - body), body, (int) (mark - replace), replace,
              value, mark + 1, at + strlen (find));
    return result;
}

static char *
s_fill (char c, size_t count)
{
    char *text = malloc (count + 1);
    memset (text, c, count);
    text [count] = 0;
    return text;
}

typedef struct {
    Claim *claims [128];
    size_t count;
} s_sink_t;

static int
s_collect (const Claim *claim, void *arg)
{
    s_sink_t *sink = arg;
    ck_assert_uint_lt (sink->count, 128);
    size_t size = claim__get_packed_size (claim);
    uint8_t *buffer = malloc (size + 1);
    claim__pack (claim, buffer);
    sink->claims [sink->count++] = claim__unpack (NULL, size, buffer);
    free (buffer);
    return 0;
}

static void
s_sink_free (s_sink_t *sink)
{
    for (size_t i = 0; i < sink->count; i++)
        claim__free_unpacked (sink->claims [i], NULL);
    sink->count = 0;
}

//  Parses the body (wrapped in ISA / GS / ST .. SE / GE / IEA) into sink.
//  The ST segment is part of the head, so the ST03 case edits it there.
static void
s_parse (const char *st, const char *body, s_sink_t *sink)
{
    char head [512];
    snprintf (head, sizeof head, "%sGS*HC*SUBMITTER01*RECEIVER01*20260105*1200*42*X*005010X222A1~%s", ISA, st);
    char *text = test_x12_wrap (head, body, "0042", "GE*1*42~IEA*1*000000042~");
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    parse_837p_report_t report;
    int rc = parse_837p (reader, s_collect, sink, &report);
    ck_assert_msg (rc == 0, "parse: %s", report.error);
    x12_reader_destroy (&reader);
    free (text);
}

static ScrubResult *
s_scrub (const Claim *claim)
{
    scrub_t *scrub = scrub_new ();
    ScrubResult *result = scrub_claim (scrub, claim, TODAY_MS);
    scrub_destroy (&scrub);
    return result;
}

static const ScrubFinding *
s_finding (const ScrubResult *result, const char *rule_id, const char *field)
{
    for (size_t i = 0; i < result->n_findings; i++)
        if (strcmp (result->findings [i]->rule_id, rule_id) == 0
        &&  (!field || strcmp (result->findings [i]->field, field) == 0))
            return result->findings [i];
    return NULL;
}

//  The case's element with a value of length chars, parsed and scrubbed.
static ScrubResult *
s_run_case (const s_case_t *test, size_t length)
{
    char *value = s_fill (test->fill, length);
    const char *st = "ST*837*0042*005010X222A1~";
    char *st_swapped = NULL, *body;
    if (strncmp (test->find, "ST*", 3) == 0) {
        st_swapped = s_swap (st, test->find, test->replace, value);
        st = st_swapped;
        body = strdup (s_body);
    }
    else
        body = s_swap (s_body, test->find, test->replace, value);
    s_sink_t sink = { .count = 0 };
    s_parse (st, body, &sink);
    ck_assert_uint_eq (sink.count, 1);
    ScrubResult *result = s_scrub (sink.claims [0]);
    s_sink_free (&sink);
    free (body);
    free (st_swapped);
    free (value);
    return result;
}

//  The claim as written passes both rules.
START_TEST (test_base_claim)
{
    s_sink_t sink = { .count = 0 };
    s_parse ("ST*837*0042*005010X222A1~", s_body, &sink);
    ck_assert_uint_eq (sink.count, 1);
    ScrubResult *result = s_scrub (sink.claims [0]);
    for (size_t i = 0; i < result->n_findings; i++)
        ck_assert_msg (strncmp (result->findings [i]->rule_id, "LEN", 3) && strncmp (result->findings [i]->rule_id, "CHR", 3),
                       "%s %s: %s", result->findings [i]->rule_id, result->findings [i]->field,
                       result->findings [i]->message);
    ck_assert_msg (result->accepted, "base claim rejected: %s", result->n_findings? result->findings [0]->message: "");
    scrub_result__free_unpacked (result, NULL);
    s_sink_free (&sink);
}
END_TEST

//  At its maximum an element is accepted (no LEN001 anywhere); one
//  character more and LEN001 names its field and element. The ST03 case
//  keeps "005010X222A1" and pads it, so the maximum counts from there.
START_TEST (test_max_and_over)
{
    const s_case_t *test = &s_cases [_i];
    size_t base = strncmp (test->find, "ST*", 3) == 0? strlen ("005010X222A1"): 0;
    ScrubResult *result = s_run_case (test, test->max - base);
    const ScrubFinding *finding = s_finding (result, "LEN001", NULL);
    ck_assert_msg (!finding, "%s at %zu: %s %s", test->field, test->max, finding? finding->field: "",
                   finding? finding->message: "");
    scrub_result__free_unpacked (result, NULL);

    result = s_run_case (test, test->max - base + 1);
    finding = s_finding (result, "LEN001", test->field);
    ck_assert_msg (finding, "%s at %zu: no LEN001 on it", test->field, test->max + 1);
    ck_assert_int_eq (finding->severity, SEVERITY__SEVERITY_ERROR);
    char expected [160];
    snprintf (expected, sizeof expected, ": %s is %zu characters, at most %zu", test->element, test->max + 1, test->max);
    ck_assert_msg (strstr (finding->message, expected), "%s: '%s' lacks '%s'", test->field, finding->message, expected);
    ck_assert (!result->accepted);
    scrub_result__free_unpacked (result, NULL);
}
END_TEST

//  Length is in characters: 60 two-byte letters fit NM103.
START_TEST (test_length_in_characters)
{
    char name [60 * 2 + 1] = "";
    for (int i = 0; i < 60; i++)
        strcat (name, "\xC3\x89");         //  É
    char *body = s_swap (s_body, "NM1*PR*2*ACME HEALTH*", "NM1*PR*2*@*", name);
    s_sink_t sink = { .count = 0 };
    s_parse ("ST*837*0042*005010X222A1~", body, &sink);
    ScrubResult *result = s_scrub (sink.claims [0]);
    ck_assert (!s_finding (result, "LEN001", NULL));
    ck_assert (!s_finding (result, "CHR001", NULL));
    scrub_result__free_unpacked (result, NULL);
    s_sink_free (&sink);
    free (body);
}
END_TEST

//  An escape sequence in CLM01, a lone 0xFF in the payer name, a C1
//  control in a city: CHR001 on each, naming the element; messages that
//  quote a value carry it escaped.
START_TEST (test_characters)
{
    char *body1 = s_swap (s_body, "CLM*PCN-001*", "CLM*@*", "PCN\x1b[31mRED");
    char *body2 = s_swap (body1, "NM1*PR*2*ACME HEALTH*", "NM1*PR*2*@*", "ACME\xFFHEALTH");
    char *body3 = s_swap (body2, "N4*CAPITAL CITY*", "N4*@*", "CAPITAL\xC2\x9B" "CITY");
    char *body = s_swap (body3, "SV1*HC:99214:25*", "SV1*HC:@:25*", "992\x07" "4");
    s_sink_t sink = { .count = 0 };
    s_parse ("ST*837*0042*005010X222A1~", body, &sink);
    ScrubResult *result = s_scrub (sink.claims [0]);
    const ScrubFinding *finding = s_finding (result, "CHR001", "patient_control_number");
    ck_assert (finding);
    ck_assert_msg (strstr (finding->message, "2300 CLM01 holds a control character (byte 0x1B at offset 3)"),
                   "%s", finding->message);
    finding = s_finding (result, "CHR001", "payer.name");
    ck_assert (finding);
    ck_assert_msg (strstr (finding->message, "2010BB NM103 is not valid UTF-8 (byte 0xFF at offset 4)"),
                   "%s", finding->message);
    ck_assert (s_finding (result, "CHR001", "service_facility.address.city"));
    ck_assert (s_finding (result, "CHR001", "lines[1].procedure_code"));
    //  PROC001 quotes the code: the BEL is shown as \x07, never sent raw.
    finding = s_finding (result, "PROC001", "lines[1].procedure_code");
    ck_assert (finding);
    ck_assert_msg (strstr (finding->message, "992\\x074"), "%s", finding->message);
    for (size_t i = 0; i < result->n_findings; i++)
        for (const char *c = result->findings [i]->message; *c; c++)
            ck_assert_msg ((unsigned char) *c >= 0x20 && *c != 0x7F, "raw control in '%s'", result->findings [i]->message);
    ck_assert (!result->accepted);
    scrub_result__free_unpacked (result, NULL);
    s_sink_free (&sink);
    free (body);
    free (body1);
    free (body2);
    free (body3);
}
END_TEST

//  n service lines on the claim.
static char *
s_lines_body (size_t n)
{
    size_t size = strlen (s_body) + n * 80 + 1;
    char *body = malloc (size);
    const char *first = strstr (s_body, "LX*1~");
    snprintf (body, size, "%.*s", (int) (first - s_body), s_body);
    for (size_t i = 1; i <= n; i++)
        snprintf (body + strlen (body), size - strlen (body),
                  "LX*%zu~SV1*HC:99213*10*UN*1***1~DTP*472*D8*20251220~", i);
    return body;
}

static void
s_set_charge (char *body, size_t lines)
{
    //  CLM02 = lines x 10.00, so CHG001 holds when every line is kept.
    char charge [32];
    snprintf (charge, sizeof charge, "%zu", lines * 10);
    char *swapped = s_swap (body, "*175.50***", "*@***", charge);
    strcpy (body, swapped);
    free (swapped);
}

//  50 lines is the guide's limit: accepted. 51: REP001, and only 50 are
//  kept; 10,000: the same, in memory for 50.
START_TEST (test_line_limit)
{
    static const size_t counts [] = { 50, 51, 10000 };
    for (size_t c = 0; c < 3; c++) {
        char *body = s_lines_body (counts [c]);
        s_set_charge (body, counts [c]);
        s_sink_t sink = { .count = 0 };
        s_parse ("ST*837*0042*005010X222A1~", body, &sink);
        ck_assert_uint_eq (sink.count, 1);
        Claim *claim = sink.claims [0];
        ck_assert_uint_eq (claim->n_lines, 50);
        ScrubResult *result = s_scrub (claim);
        const ScrubFinding *finding = s_finding (result, "REP001", "lines");
        if (counts [c] == 50) {
            ck_assert_msg (result->accepted, "%s", result->n_findings? result->findings [0]->message: "");
            ck_assert (!finding);
        }
        else {
            ck_assert (finding);
            char expected [32];
            snprintf (expected, sizeof expected, ": %zu lines", counts [c]);
            ck_assert_msg (strstr (finding->message, expected), "%s", finding->message);
            ck_assert (!result->accepted);
        }
        scrub_result__free_unpacked (result, NULL);
        s_sink_free (&sink);
        free (body);
    }
}
END_TEST

//  The heap the parser holds when it hands out the claim, over what was
//  in use before the parse.
typedef struct {
    size_t before;
    size_t held;
    uint32_t lines;
} s_heap_t;

static int
s_heap_at_claim (const Claim *claim, void *arg)
{
    s_heap_t *heap = arg;
    size_t now = mallinfo2 ().uordblks;
    heap->held = now > heap->before? now - heap->before: 0;
    heap->lines = (uint32_t) claim->n_lines;
    return 0;
}

//  The claim is built in an arena (ADR 61); a line past the 50th is parsed
//  into a scratch arena reset when the line closes, so a claim of 20,000
//  lines holds no more memory than one of 60 (without it, ~5 MB more:
//  every dropped line, its strings and arrays, kept until the claim ends).
START_TEST (test_dropped_lines_memory)
{
    static const size_t counts [] = { 60, 20000 };
    size_t held [2];
    for (size_t c = 0; c < 2; c++) {
        char *body = s_lines_body (counts [c]);
        s_set_charge (body, counts [c]);
        char head [512];
        snprintf (head, sizeof head, "%sGS*HC*SUBMITTER01*RECEIVER01*20260105*1200*42*X*005010X222A1~"
                  "ST*837*0042*005010X222A1~", ISA);
        char *text = test_x12_wrap (head, body, "0042", "GE*1*42~IEA*1*000000042~");
        x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
        s_heap_t heap = { .before = mallinfo2 ().uordblks };
        parse_837p_report_t report;
        ck_assert_int_eq (parse_837p (reader, s_heap_at_claim, &heap, &report), 0);
        ck_assert_uint_eq (heap.lines, 50);
        held [c] = heap.held;
        x12_reader_destroy (&reader);
        free (text);
        free (body);
    }
    ck_assert_msg (held [1] < held [0] + 512 * 1024, "60 lines: %zu bytes held, 20,000 lines: %zu",
                   held [0], held [1]);
}
END_TEST

//  Five SV107 pointers: REP002 (four were silently kept before).
START_TEST (test_pointer_limit)
{
    char *body = s_swap (s_body, "**1:2~", "**@~", "1:2:1:2:1");
    s_sink_t sink = { .count = 0 };
    s_parse ("ST*837*0042*005010X222A1~", body, &sink);
    ScrubResult *result = s_scrub (sink.claims [0]);
    const ScrubFinding *finding = s_finding (result, "REP002", "lines[1].diagnosis_pointers");
    ck_assert (finding);
    ck_assert (strstr (finding->message, "5 pointers"));
    ck_assert (!result->accepted);
    scrub_result__free_unpacked (result, NULL);
    s_sink_free (&sink);
    free (body);
}
END_TEST

//  17 claim DTPs pass, 18 are REP003 with 17 kept.
START_TEST (test_dtp_limit)
{
    for (size_t n = 17; n <= 18; n++) {
        char dtps [18 * 24 + 1] = "";
        for (size_t i = 0; i < n; i++)
            strcat (dtps, "DTP*431*D8*20251201~");
        char *body = s_swap (s_body, "DTP*431*D8*20251201~", "@", dtps);
        s_sink_t sink = { .count = 0 };
        s_parse ("ST*837*0042*005010X222A1~", body, &sink);
        ck_assert_uint_eq (sink.claims [0]->n_dates, 17);
        ScrubResult *result = s_scrub (sink.claims [0]);
        ck_assert_int_eq (s_finding (result, "REP003", "dates") != NULL, n == 18);
        ck_assert_int_eq (result->accepted, n == 17);
        scrub_result__free_unpacked (result, NULL);
        s_sink_free (&sink);
        free (body);
    }
}
END_TEST

//  101 claims under one patient HL: the 101st is refused (REP004), the
//  100 before it are not.
START_TEST (test_claims_per_hl)
{
    const char *claim = strstr (s_body, "CLM*");
    size_t size = strlen (s_body) * 101 + 1;
    char *body = malloc (size);
    snprintf (body, size, "%.*s", (int) (claim - s_body), s_body);
    for (int i = 0; i < 101; i++)
        strcat (body, claim);
    s_sink_t sink = { .count = 0 };
    s_parse ("ST*837*0042*005010X222A1~", body, &sink);
    ck_assert_uint_eq (sink.count, 101);
    for (size_t i = 0; i < sink.count; i++) {
        ScrubResult *result = s_scrub (sink.claims [i]);
        ck_assert_int_eq (s_finding (result, "REP004", NULL) != NULL, i == 100);
        ck_assert_int_eq (result->accepted, i < 100);
        scrub_result__free_unpacked (result, NULL);
    }
    s_sink_free (&sink);
    free (body);
}
END_TEST

//  Length and character findings are the parser's (implementation errors,
//  which the 999 counts), not business edits added by scrubbing.
START_TEST (test_parse_findings)
{
    char *long_payer = s_fill ('P', 81);
    char *body1 = s_swap (s_body, "*PI*PAYER01~", "*PI*@~", long_payer);
    char *body = s_swap (body1, "CLM*PCN-001*", "CLM*@*", "PCN\x7f");
    s_sink_t sink = { .count = 0 };
    char head [512];
    snprintf (head, sizeof head, "%sGS*HC*SUBMITTER01*RECEIVER01*20260105*1200*42*X*005010X222A1~ST*837*0042*005010X222A1~", ISA);
    char *text = test_x12_wrap (head, body, "0042", "GE*1*42~IEA*1*000000042~");
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    parse_837p_report_t report;
    ck_assert_int_eq (parse_837p (reader, s_collect, &sink, &report), 0);
    ck_assert_uint_eq (report.claims_with_findings, 1);
    const Claim *claim = sink.claims [0];
    bool len = false, chr = false;
    for (size_t i = 0; i < claim->n_parse_findings; i++) {
        len |= strcmp (claim->parse_findings [i]->rule_id, "LEN001") == 0
            && strcmp (claim->parse_findings [i]->field, "payer.payer_id") == 0;
        chr |= strcmp (claim->parse_findings [i]->rule_id, "CHR001") == 0
            && strcmp (claim->parse_findings [i]->field, "patient_control_number") == 0;
    }
    ck_assert (len && chr);
    x12_reader_destroy (&reader);
    s_sink_free (&sink);
    free (text);
    free (body);
    free (body1);
    free (long_payer);
}
END_TEST

static bool
s_claim_has (const Claim *claim, const char *rule_id, const char *field)
{
    for (size_t i = 0; i < claim->n_parse_findings; i++)
        if (strcmp (claim->parse_findings [i]->rule_id, rule_id) == 0
        &&  strcmp (claim->parse_findings [i]->field, field) == 0)
            return true;
    return false;
}

//  The parser tests each element as it stores it and walks only a claim
//  that stored a suspect one, or whose entities (submitter, subscriber,
//  patient, ...) did: an entity's finding is on every claim under it, and
//  on none after its level starts again. Five claims: a too-long
//  submitter name (header), a too-long member id (first subscriber HL), an
//  ESC in the first patient's name, a too-long CLM01 on claim 2.
START_TEST (test_suspect_entities)
{
    char *submitter = s_fill ('A', 61);
    char *member = s_fill ('M', 81);
    char *pcn = s_fill ('P', 39);
    const char *claim_rest = "*100***11:B:1*Y*A*Y*Y~HI*ABK:E119~LX*1~SV1*HC:99214*100*UN*1*11**1~DTP*472*D8*20251220~";
    char body [4096];
    snprintf (body, sizeof body,
        "BHT*0019*00*BATCH42*20260105*1200*CH~"
        "NM1*41*2*%s*****46*SUB123~"
        "NM1*40*2*CLEARING HOUSE*****46*RCV456~"
        "HL*1**20*1~NM1*85*2*FAMILY CLINIC*****XX*1234567893~"
        "HL*2*1*22*1~SBR*P*18*GRP100*ACME GROUP*****CI~"
        "NM1*IL*1*DOE*JOHN*Q**JR*MI*%s~NM1*PR*2*ACME HEALTH*****PI*PAYER01~"
        "HL*3*2*23*0~PAT*19~NM1*QC*1*RO\x1b" "E*JANE~"
        "CLM*PCN-1%s"
        "CLM*%s%s"
        "HL*4*2*23*0~PAT*19~NM1*QC*1*ROE*JANE~"
        "CLM*PCN-3%s"
        "HL*5*1*22*0~SBR*P*18*GRP100*ACME GROUP*****CI~"
        "NM1*IL*1*DOE*JOHN****MI*MEM2~NM1*PR*2*ACME HEALTH*****PI*PAYER01~"
        "CLM*PCN-4%s"
        "HL*6**20*1~NM1*85*2*OTHER CLINIC*****XX*1234567893~"
        "HL*7*6*22*0~SBR*P*18*GRP100*ACME GROUP*****CI~"
        "NM1*IL*1*DOE*JOHN****MI*MEM3~NM1*PR*2*ACME HEALTH*****PI*PAYER01~"
        "CLM*PCN-5%s",
        submitter, member, claim_rest, pcn, claim_rest, claim_rest, claim_rest, claim_rest);
    s_sink_t sink = { .count = 0 };
    s_parse ("ST*837*0042*005010X222A1~", body, &sink);
    ck_assert_uint_eq (sink.count, 5);
    //  Per claim: submitter.name, subscriber.member_id, patient.last_name,
    //  patient_control_number.
    static const bool expected [5][4] = {
        { true, true,  true,  false },
        { true, true,  true,  true  },
        { true, true,  false, false },
        { true, false, false, false },
        { true, false, false, false },
    };
    for (size_t c = 0; c < 5; c++) {
        const Claim *claim = sink.claims [c];
        ck_assert_msg (s_claim_has (claim, "LEN001", "submitter.name") == expected [c][0], "claim %zu", c + 1);
        ck_assert_msg (s_claim_has (claim, "LEN001", "subscriber.member_id") == expected [c][1], "claim %zu", c + 1);
        ck_assert_msg (s_claim_has (claim, "CHR001", "patient.last_name") == expected [c][2], "claim %zu", c + 1);
        ck_assert_msg (s_claim_has (claim, "LEN001", "patient_control_number") == expected [c][3], "claim %zu", c + 1);
    }
    s_sink_free (&sink);
    free (submitter);
    free (member);
    free (pcn);
}
END_TEST

//  The envelope's elements are tested once, when their segment comes, and
//  each claim points to them: a too-long BHT03 is on both claims of its
//  transaction set, and not on the claim of the next one, whose BHT03 fits.
START_TEST (test_suspect_envelope)
{
    char *reference = s_fill ('B', 51);
    const char *claims =
        "NM1*41*2*ACME BILLING*****46*SUB123~NM1*40*2*CLEARING HOUSE*****46*RCV456~"
        "HL*1**20*1~NM1*85*2*FAMILY CLINIC*****XX*1234567893~"
        "HL*2*1*22*0~SBR*P*18*GRP100*ACME GROUP*****CI~"
        "NM1*IL*1*DOE*JOHN****MI*MEM1~NM1*PR*2*ACME HEALTH*****PI*PAYER01~"
        "CLM*PCN-1*100***11:B:1*Y*A*Y*Y~HI*ABK:E119~LX*1~SV1*HC:99214*100*UN*1*11**1~DTP*472*D8*20251220~";
    const char *second =
        "CLM*PCN-2*100***11:B:1*Y*A*Y*Y~HI*ABK:E119~LX*1~SV1*HC:99214*100*UN*1*11**1~DTP*472*D8*20251220~";
    char body [2048], trailer [2048], head [512];
    snprintf (body, sizeof body, "BHT*0019*00*%s*20260105*1200*CH~%s%s", reference, claims, second);
    //  The second transaction set: ST, BHT, the claims' 14 segments, SE.
    size_t segments = 2;
    for (const char *c = claims; *c; c++)
        segments += *c == '~';
    snprintf (trailer, sizeof trailer, "ST*837*0043*005010X222A1~BHT*0019*00*BATCH43*20260105*1200*CH~%s"
              "SE*%zu*0043~GE*2*42~IEA*1*000000042~", claims, segments + 1);
    snprintf (head, sizeof head, "%sGS*HC*SUBMITTER01*RECEIVER01*20260105*1200*42*X*005010X222A1~"
              "ST*837*0042*005010X222A1~", ISA);
    char *text = test_x12_wrap (head, body, "0042", trailer);
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    s_sink_t sink = { .count = 0 };
    parse_837p_report_t report;
    int rc = parse_837p (reader, s_collect, &sink, &report);
    ck_assert_msg (rc == 0, "parse: %s", report.error);
    ck_assert_uint_eq (sink.count, 3);
    ck_assert (s_claim_has (sink.claims [0], "LEN001", "bht_reference"));
    ck_assert (s_claim_has (sink.claims [1], "LEN001", "bht_reference"));
    ck_assert (!s_claim_has (sink.claims [2], "LEN001", "bht_reference"));
    ck_assert_str_eq (sink.claims [1]->bht_reference, reference);
    ck_assert_str_eq (sink.claims [2]->bht_reference, "BATCH43");
    ck_assert_uint_eq (sink.claims [2]->n_parse_findings, 0);
    x12_reader_destroy (&reader);
    s_sink_free (&sink);
    free (text);
    free (reference);
}
END_TEST

//  A file refused whole quotes what it sent (ST01 here) escaped.
START_TEST (test_refusal_escaped)
{
    char head [512];
    snprintf (head, sizeof head, "%sGS*HC*SUBMITTER01*RECEIVER01*20260105*1200*42*X*005010X222A1~"
              "ST*8\x1b[2J37*0042*005010X222A1~", ISA);
    char *text = test_x12_wrap (head, s_body, "0042", "GE*1*42~IEA*1*000000042~");
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    s_sink_t sink = { .count = 0 };
    parse_837p_report_t report;
    ck_assert_int_eq (parse_837p (reader, s_collect, &sink, &report), -1);
    ck_assert_msg (strstr (report.error, "transaction set 8\\x1B[2J37 is not an 837 claim"), "%s", report.error);
    ck_assert (!strchr (report.error, 0x1b));
    x12_reader_destroy (&reader);
    s_sink_free (&sink);
    free (text);
}
END_TEST

//  Every string field of Claim, however deep, has a row; every row names a
//  real field. A field added to claim.proto without a limit fails here.
static void
s_check_descriptor (const ProtobufCMessageDescriptor *descriptor, int depth)
{
    ck_assert_int_lt (depth, 5);
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        if (field->type == PROTOBUF_C_TYPE_STRING)
            ck_assert_msg (element_limit (descriptor->name, field->name), "%s.%s has no limit",
                           descriptor->name, field->name);
        else
        if (field->type == PROTOBUF_C_TYPE_MESSAGE && field->descriptor != &scrub_finding__descriptor)
            s_check_descriptor (field->descriptor, depth + 1);
    }
}

START_TEST (test_every_field)
{
    s_check_descriptor (&claim__descriptor, 0);
    static const ProtobufCMessageDescriptor *const types [] = {
        &claim__descriptor, &provider__descriptor, &address__descriptor, &subscriber__descriptor,
        &payer__descriptor, &patient__descriptor, &diagnosis__descriptor, &claim_date__descriptor,
        &service_line__descriptor
    };
    for (size_t i = 0; i < element_limit_count (); i++) {
        const element_limit_t *row = element_limit_at (i);
        const ProtobufCFieldDescriptor *field = NULL;
        for (size_t t = 0; t < sizeof types / sizeof types [0] && !field; t++)
            if (strcmp (types [t]->name, row->message) == 0)
                field = protobuf_c_message_descriptor_get_field_by_name (types [t], row->field);
        ck_assert_msg (field && field->type == PROTOBUF_C_TYPE_STRING, "row %s.%s is no string field",
                       row->message, row->field);
    }
}
END_TEST

//  Walks from several threads at once, each the first of its process to
//  meet these message types (Check forks every test): the type cache of
//  element_limits.c fills under them. Each thread parses a claim with a
//  different element one character over its maximum and must get LEN001
//  on that field; no ck_assert in the threads, the main thread checks.
#define S_THREADS 8

typedef struct {
    pthread_barrier_t *start;
    const char *text;
    const char *field;          //  the one over its maximum
    bool found;
    int rc;
} s_walker_t;

//  The paths element_limits_walk_suspect hands out, joined.
static void
s_suspect_path (void *arg, const element_site_t *site, const char *value)
{
    char *paths = arg;
    char path [160];
    element_site_path (site, path, sizeof path);
    strcat (paths, path);
    strcat (paths, " ");
}

//  The parser's walk calls its check only for a string that is too long
//  for its row or not plain printable ASCII; a plain one that fits (and
//  a field without a row, however long) is passed over.
START_TEST (test_walk_suspect)
{
    Claim claim = CLAIM__INIT;
    Subscriber subscriber = SUBSCRIBER__INIT;
    claim.subscriber = &subscriber;
    claim.sender_id = "SENDER01";                               //  plain, fits 15
    claim.patient_control_number = "PCN-0123456789-0123456789-0123456789-XY";  //  39 > 38
    claim.bht_reference = "ref\x1b[31m";                        //  ESC
    subscriber.last_name = "Ren\xc3\xa9" "e";                     //  UTF-8
    subscriber.first_name = "ANNA";                             //  plain, fits 35
    ServiceLine line = SERVICE_LINE__INIT;
    ServiceLine *lines [] = { &line };
    claim.lines = lines;
    claim.n_lines = 1;
    line.procedure_code = "99213";
    line.units = "1234567890123456";                            //  16 > 15
    char paths [512] = "";
    element_limits_walk_suspect (&claim, s_suspect_path, paths);
    ck_assert_str_eq (paths, "bht_reference subscriber.last_name patient_control_number lines[1].units ");
    //  The whole walk still sees every non-empty string.
    paths [0] = 0;
    element_limits_walk (&claim, s_suspect_path, paths);
    ck_assert (strstr (paths, "sender_id ") && strstr (paths, "subscriber.first_name ")
           &&  strstr (paths, "lines[1].procedure_code "));
}
END_TEST

static int
s_find_len (const Claim *claim, void *arg)
{
    s_walker_t *walker = arg;
    for (size_t i = 0; i < claim->n_parse_findings; i++)
        if (strcmp (claim->parse_findings [i]->rule_id, "LEN001") == 0
        &&  strcmp (claim->parse_findings [i]->field, walker->field) == 0)
            walker->found = true;
    return 0;
}

static void *
s_walker (void *arg)
{
    s_walker_t *walker = arg;
    pthread_barrier_wait (walker->start);
    x12_reader_t *reader = x12_reader_new_buffer (walker->text, strlen (walker->text));
    parse_837p_report_t report;
    walker->rc = parse_837p (reader, s_find_len, walker, &report);
    x12_reader_destroy (&reader);
    return NULL;
}

START_TEST (test_walk_from_threads)
{
    //  Fields in different nested messages, so the threads fill
    //  different slots of the cache at the same time.
    const size_t picks [S_THREADS] = { 1, 3, 4, 7, 10, 13, 16, 19 };
    pthread_barrier_t start;
    pthread_barrier_init (&start, NULL, S_THREADS);
    s_walker_t walkers [S_THREADS];
    pthread_t threads [S_THREADS];
    char head [512];
    snprintf (head, sizeof head, "%sGS*HC*SUBMITTER01*RECEIVER01*20260105*1200*42*X*005010X222A1~"
              "ST*837*0042*005010X222A1~", ISA);
    for (size_t t = 0; t < S_THREADS; t++) {
        const s_case_t *test = &s_cases [picks [t]];
        ck_assert (strncmp (test->find, "ST*", 3));
        char *value = s_fill (test->fill, test->max + 1);
        char *body = s_swap (s_body, test->find, test->replace, value);
        walkers [t] = (s_walker_t) { .start = &start, .field = test->field,
                                     .text = test_x12_wrap (head, body, "0042", "GE*1*42~IEA*1*000000042~") };
        free (body);
        free (value);
    }
    for (size_t t = 0; t < S_THREADS; t++)
        ck_assert_int_eq (pthread_create (&threads [t], NULL, s_walker, &walkers [t]), 0);
    for (size_t t = 0; t < S_THREADS; t++) {
        pthread_join (threads [t], NULL);
        ck_assert_msg (walkers [t].rc == 0, "thread %zu: parse failed", t);
        ck_assert_msg (walkers [t].found, "thread %zu: no LEN001 on %s", t, walkers [t].field);
        free ((char *) walkers [t].text);
    }
    pthread_barrier_destroy (&start);
}
END_TEST

Suite *
element_limits_suite (void)
{
    Suite *suite = suite_create ("element_limits");
    TCase *tcase = tcase_create ("limits");
    tcase_set_timeout (tcase, 120);
    tcase_add_test (tcase, test_base_claim);
    tcase_add_loop_test (tcase, test_max_and_over, 0, (int) (sizeof s_cases / sizeof s_cases [0]));
    tcase_add_test (tcase, test_length_in_characters);
    tcase_add_test (tcase, test_characters);
    tcase_add_test (tcase, test_line_limit);
    tcase_add_test (tcase, test_dropped_lines_memory);
    tcase_add_test (tcase, test_pointer_limit);
    tcase_add_test (tcase, test_dtp_limit);
    tcase_add_test (tcase, test_claims_per_hl);
    tcase_add_test (tcase, test_parse_findings);
    tcase_add_test (tcase, test_refusal_escaped);
    tcase_add_test (tcase, test_every_field);
    tcase_add_test (tcase, test_walk_from_threads);
    tcase_add_test (tcase, test_walk_suspect);
    tcase_add_test (tcase, test_suspect_entities);
    tcase_add_test (tcase, test_suspect_envelope);
    suite_add_tcase (suite, tcase);
    return suite;
}
