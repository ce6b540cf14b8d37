/*  Tests for the appeal letter (services/denials/letter.c): the built-in
    template names the claim, the payer, the dates of service, the lines
    and the CARCs with the biller's reason; a custom template's fields are
    filled; an unknown field or an unclosed one is an error naming it and
    its line; a template name cannot leave its folder; attached documents
    are listed under Enclosures.
*/
#include "suites.h"
#include "letter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A denial as rcmq-denials keeps one: two lines, one denied CO-50 N115.
static DenialItem *
s_denial (void)
{
    DenialItem *item = (DenialItem *) calloc (1, sizeof *item);
    denial_item__init (item);
    item->id = "DEN-0000000007";
    item->pcn = "PCN-4711";
    item->claim_id = "CLM-9";
    item->payer_id = "SKNY0";
    item->payer_claim_number = "ICN-123";
    item->kind = "denial";
    item->group = "CO";
    item->carc = "50";
    item->rarc = "N115";
    item->category = "medical_necessity";
    item->remit_trace = "TRC-1";
    item->remit_date = "2026-11-20";
    item->appeal_deadline = "2027-03-20";
    item->appeal_level = 1;
    item->denied_cents = 12000;
    static ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
    dims.payer_name = "SKYLINE HEALTH";
    dims.provider_name = "RIVER CLINIC";
    dims.provider_id = "1234567893";
    item->dims = &dims;
    static DenialReason reason = DENIAL_REASON__INIT;
    static char *rarcs [] = { "N115" };
    reason.line_number = 2;
    reason.group = "CO";
    reason.carc = "50";
    reason.rarcs = rarcs;
    reason.n_rarcs = 1;
    reason.amount_cents = 12000;
    static DenialReason *reasons [] = { &reason };
    item->reasons = reasons;
    item->n_reasons = 1;
    static RemitLine line1 = REMIT_LINE__INIT, line2 = REMIT_LINE__INIT;
    static char *modifiers [] = { "25" };
    line1.procedure_code = "99213";
    line1.modifiers = modifiers;
    line1.n_modifiers = 1;
    line1.service_date = "20261101";
    line1.charge_cents = 15000;
    line1.paid_cents = 9000;
    line1.matched_line_number = 1;
    line2.procedure_code = "97110";
    line2.service_date = "20261103";
    line2.charge_cents = 12000;
    line2.matched_line_number = 2;
    static RemitLine *lines [] = { &line1, &line2 };
    item->services = lines;
    item->n_services = 2;
    return item;
}

START_TEST (test_default_letter)
{
    DenialItem *item = s_denial ();
    letter_context_t context = { "the visit note documents the medical necessity", "bea", "2026-12-06", NULL, 0 };
    char error [512];
    char *letter = letter_render ("default", letter_default_template, item, &context, error, sizeof error);
    ck_assert_msg (letter, "%s", error);
    static const char *const wanted [] = {
        "2026-12-06", "SKYLINE HEALTH", "SKNY0", "PCN-4711", "ICN-123", "RIVER CLINIC", "1234567893",
        "2026-11-01 to 2026-11-03", "TRC-1", "$120.00", "line 2 CO-50", "remark N115",
        "line 1  99213-25  2026-11-01  charged $150.00  paid $90.00",
        "line 2  97110  2026-11-03  charged $120.00  paid $0.00",
        "the visit note documents the medical necessity", "2027-03-20", "bea", "DEN-0000000007", NULL
    };
    for (size_t i = 0; wanted [i]; i++)
        ck_assert_msg (strstr (letter, wanted [i]), "'%s' not in:\n%s", wanted [i], letter);
    ck_assert_msg (!strstr (letter, "{{"), "a field left unfilled:\n%s", letter);
    free (letter);
    free (item);
}
END_TEST

START_TEST (test_custom_and_errors)
{
    DenialItem *item = s_denial ();
    letter_context_t context = { "why", "bea", "2026-12-06", NULL, 0 };
    char error [512];
    char *letter = letter_render ("short", "Claim {{pcn}} {{group}}-{{carc}} ({{carc_text}}) {{rarc}}\n", item,
                                  &context, error, sizeof error);
    ck_assert_msg (letter, "%s", error);
    ck_assert_msg (strncmp (letter, "Claim PCN-4711 CO-50 (", 22) == 0, "%s", letter);
    ck_assert_msg (strstr (letter, ") N115\n"), "%s", letter);
    free (letter);

    //  An unknown field names itself and its line.
    letter = letter_render ("bad", "one\ntwo {{pcn}}\nthree {{patient_name}}\n", item, &context, error, sizeof error);
    ck_assert_ptr_null (letter);
    ck_assert_msg (strstr (error, "template bad, line 3: no field 'patient_name'"), "%s", error);
    //  So does a field never closed on its line.
    letter = letter_render ("open", "a\n{{pcn\n}}", item, &context, error, sizeof error);
    ck_assert_ptr_null (letter);
    ck_assert_msg (strstr (error, "template open, line 2"), "%s", error);

    //  A rejection has no lines and no CARC: the letter says so.
    item->n_services = 0;
    item->n_reasons = 0;
    item->kind = "rejection";
    item->status_code = "A7:562";
    item->category = "provider";
    letter = letter_render ("default", letter_default_template, item, &context, error, sizeof error);
    ck_assert_msg (letter && strstr (letter, "claim rejected, status A7:562 (provider)")
                   && strstr (letter, "(the remittance listed no service lines)"), "%s", letter? letter: error);
    free (letter);
    free (item);

    ck_assert (letter_name_ok ("medical-necessity_2"));
    ck_assert (!letter_name_ok ("../etc/passwd"));
    ck_assert (!letter_name_ok ("a/b"));
    ck_assert (!letter_name_ok (""));
}
END_TEST

//  Documents attached to an appeal: listed under Enclosures (at the end
//  of a template without the field, in place with it); none: no section.
//  A document id is a key, never a sentence or a path out of anywhere.
START_TEST (test_enclosures)
{
    DenialItem *item = s_denial ();
    char *documents [] = { "DOC-77", "chart/2026-11-01.pdf" };
    letter_context_t context = { "why", "bea", "2026-12-06", documents, 2 };
    char error [512];
    char *letter = letter_render ("default", letter_default_template, item, &context, error, sizeof error);
    ck_assert_msg (letter, "%s", error);
    const char *section = strstr (letter, "\nEnclosures:\n  - DOC-77\n  - chart/2026-11-01.pdf\n");
    ck_assert_msg (section && strstr (letter, "(rcmq denial DEN-0000000007)") < section, "%s", letter);
    free (letter);

    letter = letter_render ("mine", "Claim {{pcn}}\nSent with:\n{{enclosures}}\nbye\n", item, &context, error,
                            sizeof error);
    ck_assert_msg (letter && !strcmp (letter, "Claim PCN-4711\nSent with:\n  - DOC-77\n  - chart/2026-11-01.pdf\nbye\n"),
                   "%s", letter? letter: error);
    free (letter);

    letter_context_t none = { "why", "bea", "2026-12-06", NULL, 0 };
    letter = letter_render ("default", letter_default_template, item, &none, error, sizeof error);
    ck_assert_msg (letter && !strstr (letter, "Enclosures"), "%s", letter? letter: error);
    free (letter);
    free (item);

    ck_assert (letter_document_ok ("DOC-77"));
    ck_assert (letter_document_ok ("dms:4711/2"));
    ck_assert (!letter_document_ok (""));
    ck_assert (!letter_document_ok ("two words"));
    ck_assert (!letter_document_ok ("a;b"));
    char longer [70];
    memset (longer, 'x', 65);
    longer [65] = 0;
    ck_assert (!letter_document_ok (longer));
    longer [64] = 0;
    ck_assert (letter_document_ok (longer));
}
END_TEST

Suite *
denial_letter_suite (void)
{
    Suite *suite = suite_create ("denial_letter");
    TCase *tc = tcase_create ("pure");
    tcase_add_test (tc, test_default_letter);
    tcase_add_test (tc, test_custom_and_errors);
    tcase_add_test (tc, test_enclosures);
    suite_add_tcase (suite, tc);
    return suite;
}
