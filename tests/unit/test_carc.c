/*  Tests for carc: the root-cause categories of the common reason codes,
    RARC refinements, the group code's say, contractual and denying codes,
    and the category names the denials service stores.
*/
#include "suites.h"
#include "carc.h"

#include <string.h>

START_TEST (test_categories)
{
    static const struct {
        const char *group, *carc, *category;
    } cases [] = {
        { "PR", "1",   "patient_responsibility" },
        { "PR", "2",   "patient_responsibility" },
        { "PR", "3",   "patient_responsibility" },
        { "CO", "4",   "coding" },
        { "CO", "5",   "coding" },
        { "CO", "6",   "coding" },
        { "CO", "11",  "coding" },
        { "CO", "16",  "missing_information" },
        { "OA", "18",  "duplicate" },
        { "OA", "22",  "other" },
        { "CO", "27",  "eligibility" },
        { "CO", "29",  "timely_filing" },
        { "CO", "31",  "eligibility" },
        { "CO", "45",  "contractual" },
        { "CO", "50",  "medical_necessity" },
        { "CO", "96",  "non_covered" },
        { "CO", "97",  "coding" },
        { "CO", "109", "eligibility" },
        { "CO", "119", "non_covered" },
        { "CO", "167", "coding" },
        { "CO", "197", "authorization" },
        { "CO", "198", "authorization" },
        { "CO", "204", "non_covered" },
        { "CO", "226", "missing_information" },
        { "CO", "252", "missing_information" },
        { "CO", "253", "contractual" },
        { "CO", "185", "provider" },
        { "CO", "B13", "duplicate" },
        { "CO", "XYZ", "other" },            //  not in the table
        { "PR", "45",  "patient_responsibility" },  //  billed to the patient
        { "PR", "96",  "non_covered" },      //  the root cause stays
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        carc_category_t category = carc_category (cases [i].group, cases [i].carc, NULL, 0);
        ck_assert_msg (strcmp (carc_category_name (category), cases [i].category) == 0,
                       "%s-%s is %s, not %s", cases [i].group, cases [i].carc,
                       carc_category_name (category), cases [i].category);
    }
}
END_TEST

//  A remark code sharpens the catch-all reason codes.
START_TEST (test_rarc_refinements)
{
    char *m51 [] = { "N130", "M51" };
    char *n290 [] = { "N290" };
    char *other [] = { "N130" };
    ck_assert_int_eq (carc_category ("CO", "16", m51, 2), CARC_CODING);
    ck_assert_int_eq (carc_category ("CO", "16", n290, 1), CARC_PROVIDER);
    ck_assert_int_eq (carc_category ("CO", "16", other, 1), CARC_MISSING_INFORMATION);
    ck_assert_int_eq (carc_category ("CO", "50", m51, 2), CARC_MEDICAL_NECESSITY);
}
END_TEST

START_TEST (test_contractual_and_denies)
{
    static const struct {
        const char *group, *carc;
        bool contractual, denies;
    } cases [] = {
        { "CO", "45",  true,  false },
        { "CO", "253", true,  false },
        { "CO", "59",  true,  false },
        { "CO", "42",  true,  false },
        { "PI", "45",  false, false },      //  payer's reduction without a contract: not a write-off, not a denial
        { "PR", "45",  false, false },
        { "PR", "1",   false, false },
        { "PR", "96",  false, false },      //  the patient's to pay, not a payer denial
        { "CO", "96",  false, true },
        { "CO", "16",  false, true },
        { "OA", "18",  false, true },
        { "OA", "23",  false, false },      //  prior payer's share
        { "CO", "94",  false, false },
        { "OA", "100", false, false },
        { "CO", "XYZ", false, true },       //  unknown: a person should look
        { "CR", "18",  false, true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        ck_assert_msg (carc_is_contractual (cases [i].group, cases [i].carc) == cases [i].contractual,
                       "%s-%s contractual", cases [i].group, cases [i].carc);
        ck_assert_msg (carc_denies (cases [i].group, cases [i].carc) == cases [i].denies,
                       "%s-%s denies", cases [i].group, cases [i].carc);
    }
}
END_TEST

START_TEST (test_names_and_descriptions)
{
    for (int i = 0; i < CARC_CATEGORIES; i++)
        ck_assert_int_eq (carc_category_from_name (carc_category_name (i)), i);
    ck_assert_int_eq (carc_category_from_name ("nonsense"), -1);
    ck_assert_str_eq (carc_category_name (CARC_CATEGORIES), "other");
    ck_assert_str_eq (carc_description ("18"), "Exact duplicate claim / service");
    ck_assert_ptr_null (carc_description ("XYZ"));
}
END_TEST

//  Preventable and team: the category's default, then a code, a group and
//  a remark code that change it, most specific first; unknown codes.
START_TEST (test_causes)
{
    static char *ma04 [] = { "MA04" }, *n425 [] = { "N425" }, *m51 [] = { "M51" };
    static const struct {
        const char *group, *carc;
        char **rarcs;
        size_t n_rarcs;
        const char *category;
        bool preventable;
        const char *team;
        bool known;
    } cases [] = {
        { "CO", "27",  NULL, 0, "eligibility",         true,  "front_desk", true },
        { "CO", "197", NULL, 0, "authorization",       true,  "front_desk", true },
        { "CO", "97",  NULL, 0, "coding",              true,  "coding",     true },
        { "CO", "50",  NULL, 0, "medical_necessity",   true,  "coding",     true },
        { "CO", "29",  NULL, 0, "timely_filing",       true,  "billing",    true },
        { "OA", "18",  NULL, 0, "duplicate",           true,  "billing",    true },
        { "CO", "16",  NULL, 0, "missing_information", true,  "billing",    true },
        { "CO", "96",  NULL, 0, "non_covered",         false, "billing",    true },
        { "CO", "204", NULL, 0, "non_covered",         false, "billing",    true },
        { "CO", "185", NULL, 0, "provider",            true,  "billing",    true },
        //  a code row: COB is the front desk's, category stays other
        { "OA", "22",  NULL, 0, "other",               true,  "front_desk", true },
        { "CO", "193", NULL, 0, "other",               false, "payer",      true },
        //  a group row: payer initiated, and the patient's share
        { "PI", "204", NULL, 0, "non_covered",         false, "payer",      true },
        { "PR", "50",  NULL, 0, "medical_necessity",   false, "billing",    true },
        //  RARC rows beat group and code rows; RARC refines the category
        { "CO", "16",  m51,  1, "coding",              true,  "coding",     true },
        { "CO", "16",  ma04, 1, "other",               true,  "front_desk", true },
        { "CO", "96",  n425, 1, "medical_necessity",   false, "front_desk", true },
        { "PR", "22",  NULL, 0, "other",               true,  "front_desk", true },
        //  unknown: other, not preventable, billing, and said to be unknown
        { "CO", "XYZ", NULL, 0, "other",               false, "billing",    false },
        { "CO", "999", m51,  1, "other",               false, "billing",    false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        carc_cause_t cause = carc_cause (cases [i].group, cases [i].carc, cases [i].rarcs, cases [i].n_rarcs);
        ck_assert_msg (strcmp (carc_category_name (cause.category), cases [i].category) == 0,
                       "%s-%s: category %s", cases [i].group, cases [i].carc, carc_category_name (cause.category));
        ck_assert_msg (cause.preventable == cases [i].preventable, "%s-%s: preventable", cases [i].group, cases [i].carc);
        ck_assert_msg (strcmp (carc_team_name (cause.team), cases [i].team) == 0,
                       "%s-%s: team %s", cases [i].group, cases [i].carc, carc_team_name (cause.team));
        ck_assert_msg (cause.known == cases [i].known, "%s-%s: known", cases [i].group, cases [i].carc);
    }
    for (int i = 0; i < CARC_TEAMS; i++)
        ck_assert_int_eq (carc_team_from_name (carc_team_name (i)), i);
    ck_assert_int_eq (carc_team_from_name ("front desk"), -1);
}
END_TEST

//  The lookup's index (s_find) answers as a scan of the table would: the
//  first and last rows of each form, spellings that share a key with a
//  row ("01", "016") or fit no key, and codes of no row.
START_TEST (test_lookup_forms)
{
    ck_assert_str_eq (carc_description ("1"), "Deductible amount");
    ck_assert_ptr_nonnull (carc_description ("258"));
    ck_assert_ptr_nonnull (carc_description ("A0"));
    ck_assert_ptr_nonnull (carc_description ("B23"));
    ck_assert_ptr_nonnull (carc_description ("B7"));
    const char *none [] = { "01", "016", "0", "999", "1000", "A", "A00", "A100", "Z99", "b7", "16 ", "", "-1", "1A" };
    for (size_t i = 0; i < sizeof none / sizeof none [0]; i++)
        ck_assert_msg (carc_description (none [i]) == NULL, "'%s' has no row", none [i]);
    ck_assert (carc_is_contractual ("CO", "45"));
    ck_assert (!carc_is_contractual ("CO", "045"));
    ck_assert (carc_denies ("CO", "0450"));         //  an unknown code denies, as before
}
END_TEST

Suite *
carc_suite (void)
{
    Suite *suite = suite_create ("carc");
    TCase *tc = tcase_create ("table");
    tcase_add_test (tc, test_categories);
    tcase_add_test (tc, test_rarc_refinements);
    tcase_add_test (tc, test_contractual_and_denies);
    tcase_add_test (tc, test_names_and_descriptions);
    tcase_add_test (tc, test_causes);
    tcase_add_test (tc, test_lookup_forms);
    suite_add_tcase (suite, tc);
    return suite;
}
