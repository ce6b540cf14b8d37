/*  Tests for scrub: each rule with a claim that passes it and one that
    fails it, the timely filing configuration, parse findings carried over,
    warnings that do not reject, and the rule table itself.

    s_claim builds a clean claim (every rule passes) that a test then
    breaks in exactly one place. "Today" is fixed at 2026-01-10.
*/
#include "suites.h"
#include "scrub.h"
#include "clock.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s_today;

static char *
s_str (const char *text)
{
    return strdup (text);
}

static ServiceLine *
s_line (const char *code, int64_t cents, const char *date, uint32_t pointer)
{
    ServiceLine *line = malloc (sizeof *line);
    service_line__init (line);
    line->procedure_qualifier = s_str ("HC");
    line->procedure_code = s_str (code);
    line->charge_cents = cents;
    line->service_date_from = s_str (date);
    line->service_date_to = s_str (date);
    line->diagnosis_pointers = calloc (4, sizeof (uint32_t));
    line->diagnosis_pointers [0] = pointer;
    line->n_diagnosis_pointers = 1;
    line->modifiers = calloc (4, sizeof (char *));
    return line;
}

static Diagnosis *
s_dx (const char *qualifier, const char *code)
{
    Diagnosis *dx = malloc (sizeof *dx);
    diagnosis__init (dx);
    dx->qualifier = s_str (qualifier);
    dx->code = s_str (code);
    return dx;
}

static Provider *
s_provider (const char *npi)
{
    Provider *provider = malloc (sizeof *provider);
    provider__init (provider);
    provider->npi = s_str (npi);
    return provider;
}

//  A clean claim: two diagnoses, two lines pointing at them, total = sum.
static Claim *
s_claim (void)
{
    Claim *claim = malloc (sizeof *claim);
    claim__init (claim);
    claim->patient_control_number = s_str ("PCN1");
    claim->file_date = s_str ("20260105");
    claim->billing_provider = s_provider ("1234567893");
    claim->subscriber = malloc (sizeof (Subscriber));
    subscriber__init (claim->subscriber);
    claim->subscriber->member_id = s_str ("MEM1");
    claim->payer = malloc (sizeof (Payer));
    payer__init (claim->payer);
    claim->payer->payer_id = s_str ("PAYER01");
    claim->diagnoses = calloc (12, sizeof (Diagnosis *));
    claim->diagnoses [claim->n_diagnoses++] = s_dx ("ABK", "E119");
    claim->diagnoses [claim->n_diagnoses++] = s_dx ("ABF", "I10");
    claim->lines = calloc (8, sizeof (ServiceLine *));
    claim->lines [claim->n_lines++] = s_line ("99213", 10000, "20251220", 1);
    claim->lines [claim->n_lines++] = s_line ("J3301", 2550, "20251221", 2);
    claim->total_charge_cents = 12550;
    return claim;
}

//  Scrubs with the default configuration.
static ScrubResult *
s_scrub (const Claim *claim)
{
    scrub_t *scrub = scrub_new ();
    ScrubResult *result = scrub_claim (scrub, claim, s_today);
    scrub_destroy (&scrub);
    return result;
}

static size_t
s_count (const ScrubResult *result, const char *rule_id)
{
    size_t count = 0;
    for (size_t i = 0; i < result->n_findings; i++)
        count += strcmp (result->findings [i]->rule_id, rule_id) == 0;
    return count;
}

static const ScrubFinding *
s_find (const ScrubResult *result, const char *rule_id)
{
    for (size_t i = 0; i < result->n_findings; i++)
        if (strcmp (result->findings [i]->rule_id, rule_id) == 0)
            return result->findings [i];
    return NULL;
}

//  Asserts the claim fails exactly rule_id (once or more) with the given
//  field, or passes everything when rule_id is NULL.
static void
s_expect (Claim *claim, const char *rule_id, const char *field)
{
    ScrubResult *result = s_scrub (claim);
    if (!rule_id) {
        ck_assert_msg (result->n_findings == 0, "unexpected %s: %s",
                       result->n_findings? result->findings [0]->rule_id: "",
                       result->n_findings? result->findings [0]->message: "");
        ck_assert (result->accepted);
    }
    else {
        const ScrubFinding *finding = s_find (result, rule_id);
        ck_assert_msg (finding, "%s did not fire", rule_id);
        ck_assert_msg (s_count (result, rule_id) == result->n_findings,
                       "%s: other findings too (%s)", rule_id, result->findings [0]->rule_id);
        ck_assert_str_eq (finding->field, field);
        const scrub_rule_t *rule = scrub_rule_find (rule_id);
        ck_assert_ptr_nonnull (rule);
        ck_assert_int_eq (finding->severity, rule->severity);
        ck_assert_ptr_nonnull (strstr (finding->message, rule->message));
        ck_assert_int_eq (result->accepted, rule->severity != SEVERITY__SEVERITY_ERROR);
    }
    scrub_result__free_unpacked (result, NULL);
    claim__free_unpacked (claim, NULL);
}

static void
s_replace (char **field, const char *value)
{
    free (*field);
    *field = s_str (value);
}

START_TEST (test_clean_claim_passes)
{
    s_expect (s_claim (), NULL, NULL);
}
END_TEST

START_TEST (test_npi_check_digit)
{
    ck_assert (scrub_npi_valid ("1234567893"));
    ck_assert (scrub_npi_valid ("1245319599"));
    ck_assert (scrub_npi_valid ("1003000126"));
    ck_assert (!scrub_npi_valid ("1234567890"));
    ck_assert (!scrub_npi_valid ("9876543210"));
    ck_assert (!scrub_npi_valid ("123456789"));
    ck_assert (!scrub_npi_valid ("12345678931"));
    ck_assert (!scrub_npi_valid ("12345678A3"));
    ck_assert (!scrub_npi_valid (""));

    Claim *claim = s_claim ();
    s_replace (&claim->billing_provider->npi, "1234567890");
    s_expect (claim, "NPI001", "billing_provider.npi");
    claim = s_claim ();
    s_replace (&claim->billing_provider->npi, "");
    s_expect (claim, "NPI001", "billing_provider.npi");

    //  Rendering: absent passes, valid passes, bad fails.
    claim = s_claim ();
    claim->rendering_provider = s_provider ("1245319599");
    s_expect (claim, NULL, NULL);
    claim = s_claim ();
    claim->rendering_provider = s_provider ("1245319590");
    s_expect (claim, "NPI002", "rendering_provider.npi");
}
END_TEST

START_TEST (test_diagnoses)
{
    ck_assert (scrub_icd10cm_valid ("E119"));
    ck_assert (scrub_icd10cm_valid ("I10"));
    ck_assert (scrub_icd10cm_valid ("S72001A"));
    ck_assert (scrub_icd10cm_valid ("T7432XA"));
    ck_assert (scrub_icd10cm_valid ("U071"));
    ck_assert (!scrub_icd10cm_valid ("E11.9"));
    ck_assert (!scrub_icd10cm_valid ("e119"));
    ck_assert (!scrub_icd10cm_valid ("E1"));
    ck_assert (!scrub_icd10cm_valid ("4019"));
    ck_assert (!scrub_icd10cm_valid ("EE19"));
    ck_assert (!scrub_icd10cm_valid ("S72001AB"));

    //  DX001: none at all (lines then point nowhere too: drop pointers).
    Claim *claim = s_claim ();
    for (size_t i = 0; i < claim->n_diagnoses; i++)
        diagnosis__free_unpacked (claim->diagnoses [i], NULL);
    claim->n_diagnoses = 0;
    ScrubResult *result = s_scrub (claim);
    ck_assert_uint_eq (s_count (result, "DX001"), 1);
    ck_assert_uint_eq (s_count (result, "PTR001"), 2);
    ck_assert (!result->accepted);
    scrub_result__free_unpacked (result, NULL);
    claim__free_unpacked (claim, NULL);

    //  DX002: ICD-10 format, with the diagnosis position in the field.
    claim = s_claim ();
    s_replace (&claim->diagnoses [1]->code, "I1.0");
    s_expect (claim, "DX002", "diagnoses[2].code");

    //  DX003: ICD-9 qualifiers are refused for service from 2015-10-01 ...
    claim = s_claim ();
    s_replace (&claim->diagnoses [0]->qualifier, "BK");
    s_replace (&claim->diagnoses [0]->code, "25000");
    s_expect (claim, "DX003", "diagnoses[1].qualifier");
    //  ... and accepted before (the timely filing window is widened so
    //  only the code set is judged).
    claim = s_claim ();
    s_replace (&claim->diagnoses [0]->qualifier, "BK");
    s_replace (&claim->diagnoses [0]->code, "25000");
    for (size_t i = 0; i < claim->n_lines; i++) {
        s_replace (&claim->lines [i]->service_date_from, "20150930");
        s_replace (&claim->lines [i]->service_date_to, "20150930");
    }
    scrub_t *scrub = scrub_new ();
    scrub_set_default_filing_days (scrub, 10000);
    result = scrub_claim (scrub, claim, s_today);
    ck_assert_uint_eq (result->n_findings, 0);
    scrub_result__free_unpacked (result, NULL);
    scrub_destroy (&scrub);
    claim__free_unpacked (claim, NULL);

    //  DX004: a diagnosis no line points to is a warning: the claim passes.
    claim = s_claim ();
    claim->lines [1]->diagnosis_pointers [0] = 1;
    s_expect (claim, "DX004", "diagnoses[2]");
}
END_TEST

START_TEST (test_procedures)
{
    const char *good [] = { "99213", "0001F", "0075T", "0001U", "J3301", "G0008", "A4253" };
    const char *bad [] = { "9921", "992133", "ABCDE", "0001X", "J330", "j3301", "99.13", "" };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++)
        ck_assert_msg (scrub_procedure_valid (good [i]), "%s", good [i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        ck_assert_msg (!scrub_procedure_valid (bad [i]), "%s", bad [i]);

    Claim *claim = s_claim ();
    s_replace (&claim->lines [1]->procedure_code, "J33");
    s_expect (claim, "PROC001", "lines[2].procedure_code");

    //  Another qualifier: the code is not judged, a warning says so.
    claim = s_claim ();
    s_replace (&claim->lines [0]->procedure_qualifier, "ER");
    s_replace (&claim->lines [0]->procedure_code, "XYZ");
    s_expect (claim, "PROC002", "lines[1].procedure_qualifier");
}
END_TEST

START_TEST (test_modifiers)
{
    ck_assert (scrub_modifier_valid ("25"));
    ck_assert (scrub_modifier_valid ("GT"));
    ck_assert (scrub_modifier_valid ("XU"));
    ck_assert (scrub_modifier_valid ("F1"));
    ck_assert (!scrub_modifier_valid ("5"));
    ck_assert (!scrub_modifier_valid ("255"));
    ck_assert (!scrub_modifier_valid ("gt"));
    ck_assert (!scrub_modifier_valid ("2-"));

    Claim *claim = s_claim ();
    ServiceLine *line = claim->lines [0];
    line->modifiers [line->n_modifiers++] = s_str ("25");
    line->modifiers [line->n_modifiers++] = s_str ("59");
    s_expect (claim, NULL, NULL);
    claim = s_claim ();
    line = claim->lines [0];
    line->modifiers [line->n_modifiers++] = s_str ("25");
    line->modifiers [line->n_modifiers++] = s_str ("5");
    s_expect (claim, "MOD001", "lines[1].modifiers[2]");
}
END_TEST

START_TEST (test_pointers)
{
    Claim *claim = s_claim ();
    claim->lines [1]->diagnosis_pointers [claim->lines [1]->n_diagnosis_pointers++] = 3;
    s_expect (claim, "PTR001", "lines[2].diagnosis_pointers");
    //  A line with no pointer at all.
    claim = s_claim ();
    claim->lines [0]->n_diagnosis_pointers = 0;
    claim->lines [1]->diagnosis_pointers [claim->lines [1]->n_diagnosis_pointers++] = 1;
    s_expect (claim, "PTR001", "lines[1].diagnosis_pointers");
}
END_TEST

START_TEST (test_total_charge)
{
    Claim *claim = s_claim ();
    claim->total_charge_cents = 12551;
    ScrubResult *result = s_scrub (claim);
    const ScrubFinding *finding = s_find (result, "CHG001");
    ck_assert_ptr_nonnull (finding);
    ck_assert_ptr_nonnull (strstr (finding->message, "CLM02 125.51, lines sum to 125.50"));
    scrub_result__free_unpacked (result, NULL);
    s_expect (claim, "CHG001", "total_charge_cents");
}
END_TEST

START_TEST (test_service_after_file_date)
{
    Claim *claim = s_claim ();
    s_replace (&claim->lines [0]->service_date_to, "20260105");
    s_expect (claim, NULL, NULL);
    claim = s_claim ();
    s_replace (&claim->lines [1]->service_date_from, "20260106");
    s_replace (&claim->lines [1]->service_date_to, "20260107");
    s_expect (claim, "DOS001", "lines[2].service_date_to");
}
END_TEST

START_TEST (test_member_and_payer)
{
    Claim *claim = s_claim ();
    s_replace (&claim->subscriber->member_id, "");
    s_expect (claim, "MBR001", "subscriber.member_id");
    claim = s_claim ();
    s_replace (&claim->payer->payer_id, "");
    s_expect (claim, "PAY001", "payer.payer_id");
}
END_TEST

START_TEST (test_timely_filing)
{
    //  Today 2026-01-10: 2025-01-10 is 365 days back (in the window),
    //  2025-01-09 is 366 (out).
    Claim *claim = s_claim ();
    s_replace (&claim->lines [0]->service_date_from, "20250110");
    s_expect (claim, NULL, NULL);
    claim = s_claim ();
    s_replace (&claim->lines [0]->service_date_from, "20250109");
    s_expect (claim, "TF001", "lines[1].service_date_from");

    //  Per payer: 90 days for PAYER01 rejects a 100-day-old claim that
    //  another payer (default window) accepts.
    scrub_t *scrub = scrub_new ();
    scrub_set_payer_filing_days (scrub, "PAYER01", 90);
    scrub_set_payer_filing_days (scrub, "PAYER02", 30);
    scrub_set_payer_filing_days (scrub, "PAYER01", 95);
    ck_assert_uint_eq (scrub_filing_days (scrub, "PAYER01"), 95);
    ck_assert_uint_eq (scrub_filing_days (scrub, "PAYER02"), 30);
    ck_assert_uint_eq (scrub_filing_days (scrub, "OTHER"), SCRUB_DEFAULT_FILING_DAYS);
    claim = s_claim ();
    s_replace (&claim->lines [1]->service_date_from, "20251002");     //  100 days
    ScrubResult *result = scrub_claim (scrub, claim, s_today);
    ck_assert_uint_eq (s_count (result, "TF001"), 1);
    ck_assert_ptr_nonnull (strstr (s_find (result, "TF001")->message, "100 days old, payer 'PAYER01' allows 95"));
    ck_assert_str_eq (s_find (result, "TF001")->field, "lines[2].service_date_from");
    scrub_result__free_unpacked (result, NULL);
    s_replace (&claim->payer->payer_id, "PAYER03");
    result = scrub_claim (scrub, claim, s_today);
    ck_assert_uint_eq (result->n_findings, 0);
    scrub_result__free_unpacked (result, NULL);
    //  "Today" is the parameter: 300 days on, the same claim is late.
    result = scrub_claim (scrub, claim, s_today + 300 * CLOCK_MS_PER_DAY);
    ck_assert_uint_eq (s_count (result, "TF001"), 1);
    scrub_result__free_unpacked (result, NULL);
    claim__free_unpacked (claim, NULL);
    scrub_destroy (&scrub);
    ck_assert_ptr_null (scrub);
}
END_TEST

//  Parse findings come first and reject the claim.
START_TEST (test_parse_findings_carried)
{
    Claim *claim = s_claim ();
    ScrubFinding *finding = malloc (sizeof *finding);
    scrub_finding__init (finding);
    finding->rule_id = s_str ("PRS003");
    finding->field = s_str ("place_of_service");
    finding->message = s_str ("CLM05-1 place of service is missing");
    finding->severity = SEVERITY__SEVERITY_ERROR;
    claim->parse_findings = malloc (sizeof (ScrubFinding *));
    claim->parse_findings [0] = finding;
    claim->n_parse_findings = 1;
    claim->total_charge_cents = 1;
    ScrubResult *result = s_scrub (claim);
    ck_assert (!result->accepted);
    ck_assert_uint_eq (result->n_findings, 2);
    ck_assert_uint_eq (result->errors, 2);
    ck_assert_uint_eq (result->warnings, 0);
    ck_assert_str_eq (result->findings [0]->rule_id, "PRS003");
    ck_assert_str_eq (result->findings [1]->rule_id, "CHG001");
    scrub_result__free_unpacked (result, NULL);
    claim__free_unpacked (claim, NULL);
}
END_TEST

START_TEST (test_rule_table)
{
    ck_assert_uint_ge (scrub_rule_count (), 15);
    for (size_t i = 0; i < scrub_rule_count (); i++) {
        const scrub_rule_t *rule = scrub_rule (i);
        ck_assert (rule->severity == SEVERITY__SEVERITY_ERROR || rule->severity == SEVERITY__SEVERITY_WARNING);
        ck_assert (*rule->field && *rule->message);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne (scrub_rule (j)->rule_id, rule->rule_id);
        ck_assert_ptr_eq (scrub_rule_find (rule->rule_id), rule);
    }
    ck_assert_ptr_null (scrub_rule (scrub_rule_count ()));
    ck_assert_ptr_null (scrub_rule_find ("NOPE"));
    //  The ids the rest of rcmq and the generator rely on.
    const char *ids [] = { "NPI001", "NPI002", "DX002", "PROC001", "MOD001", "PTR001",
                           "CHG001", "DOS001", "MBR001", "PAY001", "TF001" };
    for (size_t i = 0; i < sizeof ids / sizeof ids [0]; i++)
        ck_assert_msg (scrub_rule_find (ids [i]), "%s", ids [i]);
}
END_TEST

static void
s_setup (void)
{
    ck_assert_int_eq (clock_parse_iso8601 ("2026-01-10T15:00:00Z", &s_today), 0);
}

Suite *
scrub_suite (void)
{
    Suite *suite = suite_create ("scrub");
    TCase *tc = tcase_create ("rules");
    tcase_add_checked_fixture (tc, s_setup, NULL);
    tcase_add_test (tc, test_clean_claim_passes);
    tcase_add_test (tc, test_npi_check_digit);
    tcase_add_test (tc, test_diagnoses);
    tcase_add_test (tc, test_procedures);
    tcase_add_test (tc, test_modifiers);
    tcase_add_test (tc, test_pointers);
    tcase_add_test (tc, test_total_charge);
    tcase_add_test (tc, test_service_after_file_date);
    tcase_add_test (tc, test_member_and_payer);
    tcase_add_test (tc, test_timely_filing);
    tcase_add_test (tc, test_parse_findings_carried);
    tcase_add_test (tc, test_rule_table);
    suite_add_tcase (suite, tc);
    return suite;
}
