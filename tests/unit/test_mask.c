/*  test_mask: minimum necessary (common/mask.h). The table per role per
    field; the masked forms on the inputs an 837P and people give them,
    the edge cases included (an empty or short member id, dates in other
    formats, a name with one part); and mask_claim on a whole claim, whose
    packed bytes must no longer hold the plaintext anywhere.
*/
#include "suites.h"
#include "mask.h"
#include "codec.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *role;
    mask_form_t forms [MASK_FIELD_COUNT];   //  name, DOB, address, member id
} s_expect_t;

static const s_expect_t s_expected [] = {
    { "admin",           { MASK_FULL, MASK_FULL, MASK_FULL, MASK_FULL } },
    { "compliance",      { MASK_FULL, MASK_FULL, MASK_FULL, MASK_FULL } },
    { "internal-lead",   { MASK_FULL, MASK_FULL, MASK_FULL, MASK_FULL } },
    { "internal-biller", { MASK_FULL, MASK_FULL, MASK_FULL, MASK_FULL } },
    { "vendor-lead",     { MASK_MASKED, MASK_MASKED, MASK_MASKED, MASK_MASKED } },
    { "vendor-agent",    { MASK_MASKED, MASK_MASKED, MASK_MASKED, MASK_MASKED } },
    { "leader",          { MASK_NONE, MASK_NONE, MASK_NONE, MASK_NONE } },
    { "service",         { MASK_NONE, MASK_NONE, MASK_NONE, MASK_NONE } },
    { "no-such-role",    { MASK_NONE, MASK_NONE, MASK_NONE, MASK_NONE } },
};

START_TEST (test_table_per_role_per_field)
{
    for (size_t i = 0; i < sizeof s_expected / sizeof s_expected [0]; i++)
        for (int field = 0; field < MASK_FIELD_COUNT; field++) {
            mask_form_t form = mask_form (s_expected [i].role, (mask_field_t) field, false, 0);
            ck_assert_msg (form == s_expected [i].forms [field], "%s sees %s %s, expected %s",
                           s_expected [i].role, mask_field_name ((mask_field_t) field),
                           mask_form_name (form), mask_form_name (s_expected [i].forms [field]));
        }
}
END_TEST

START_TEST (test_what_lifts_a_mask)
{
    //  Unmasking is a permission of its own: vendors lack it, admins hold
    //  it, a break-glass grants it.
    ck_assert (!mask_unmask_allowed ("vendor-agent", false));
    ck_assert (!mask_unmask_allowed ("internal-biller", false));
    ck_assert (mask_unmask_allowed ("admin", false));
    ck_assert (mask_unmask_allowed ("vendor-agent", true));
    ck_assert_int_eq (mask_form ("vendor-agent", MASK_FIELD_DOB, true, 0), MASK_FULL);
    //  A work item that needs the DOB lifts the DOB's mask and no other.
    unsigned needed = MASK_NEED (MASK_FIELD_DOB);
    ck_assert_int_eq (mask_form ("vendor-agent", MASK_FIELD_DOB, false, needed), MASK_FULL);
    ck_assert_int_eq (mask_form ("vendor-agent", MASK_FIELD_MEMBER_ID, false, needed), MASK_MASKED);
    //  Nothing lifts "none": a leader in break-glass still sees no PHI.
    ck_assert_int_eq (mask_form ("leader", MASK_FIELD_NAME, true, ~0u), MASK_NONE);
    ck_assert_int_eq (mask_form ("service", MASK_FIELD_NAME, true, ~0u), MASK_NONE);
}
END_TEST

START_TEST (test_masked_forms)
{
    char out [64];
    ck_assert_str_eq (mask_name ("Ann", "Smith", out, sizeof out), "A. SMITH");
    ck_assert_str_eq (mask_name ("ANN", "SMITH", out, sizeof out), "A. SMITH");
    ck_assert_str_eq (mask_name ("", "SMITH", out, sizeof out), "SMITH");
    ck_assert_str_eq (mask_name ("ANN", "", out, sizeof out), "A.");
    ck_assert_str_eq (mask_name ("", "", out, sizeof out), "");
    ck_assert_str_eq (mask_name (NULL, NULL, out, sizeof out), "");
    ck_assert_str_eq (mask_name (" 'ann", " van dyke ", out, sizeof out), "A. VAN DYKE");
    ck_assert_str_eq (mask_full_name ("Ann Smith", out, sizeof out), "A. SMITH");
    ck_assert_str_eq (mask_full_name ("SMITH, ANN MARIE", out, sizeof out), "A. SMITH");
    ck_assert_str_eq (mask_full_name ("Mary Ann Smith ", out, sizeof out), "M. SMITH");
    ck_assert_str_eq (mask_full_name ("SMITH", out, sizeof out), "SMITH");
    ck_assert_str_eq (mask_full_name ("", out, sizeof out), "");

    ck_assert_str_eq (mask_dob ("19570304", out, sizeof out), "1957");
    ck_assert_str_eq (mask_dob ("1957-03-04", out, sizeof out), "1957");
    ck_assert_str_eq (mask_dob ("03/04/1957", out, sizeof out), "1957");
    ck_assert_str_eq (mask_dob ("1957", out, sizeof out), "1957");
    //  Formats it does not know show nothing, never the date.
    ck_assert_str_eq (mask_dob ("March 4, 1957", out, sizeof out), "");
    ck_assert_str_eq (mask_dob ("570304", out, sizeof out), "");
    ck_assert_str_eq (mask_dob ("1957030", out, sizeof out), "");
    ck_assert_str_eq (mask_dob ("", out, sizeof out), "");
    ck_assert_str_eq (mask_dob (NULL, out, sizeof out), "");

    ck_assert_str_eq (mask_member_id ("123456789", out, sizeof out), "****6789");
    ck_assert_str_eq (mask_member_id ("xyz-12-34a", out, sizeof out), "****234A");
    //  Four or fewer: showing the last 4 would show all of it.
    ck_assert_str_eq (mask_member_id ("6789", out, sizeof out), "****");
    ck_assert_str_eq (mask_member_id ("12", out, sizeof out), "****");
    ck_assert_str_eq (mask_member_id ("12345", out, sizeof out), "****2345");
    ck_assert_str_eq (mask_member_id ("", out, sizeof out), "");
    ck_assert_str_eq (mask_member_id (" - ", out, sizeof out), "");
    ck_assert_str_eq (mask_member_id (NULL, out, sizeof out), "");

    ck_assert_str_eq (mask_state ("IL", out, sizeof out), "IL");
    ck_assert_str_eq (mask_state (" il ", out, sizeof out), "IL");
    ck_assert_str_eq (mask_state ("Illinois", out, sizeof out), "");
    ck_assert_str_eq (mask_state ("", out, sizeof out), "");
    //  A buffer too small is cut, never overrun.
    char tiny [4];
    ck_assert_str_eq (mask_member_id ("123456789", tiny, sizeof tiny), "***");
}
END_TEST

//  A claim with a subscriber and a patient, PHI in every field.
static Claim *
s_claim (void)
{
    Claim claim = CLAIM__INIT;
    Subscriber subscriber = SUBSCRIBER__INIT;
    Patient patient = PATIENT__INIT;
    Address home = ADDRESS__INIT, other = ADDRESS__INIT;
    home.line1 = (char *) "123 MAIN ST";
    home.city = (char *) "SPRINGFIELD";
    home.state = (char *) "IL";
    home.postal_code = (char *) "62701";
    other.line1 = (char *) "9 ELM RD";
    other.city = (char *) "PEORIA";
    other.state = (char *) "IL";
    other.postal_code = (char *) "61602";
    subscriber.first_name = (char *) "ANN";
    subscriber.middle_name = (char *) "Q";
    subscriber.last_name = (char *) "SMITH";
    subscriber.suffix = (char *) "JR";
    subscriber.member_id = (char *) "XQZ123456789";
    subscriber.birth_date = (char *) "19570304";
    subscriber.address = &home;
    patient.first_name = (char *) "TOM";
    patient.last_name = (char *) "SMITH";
    patient.birth_date = (char *) "19890117";
    patient.address = &other;
    claim.subscriber = &subscriber;
    claim.patient = &patient;
    claim.patient_control_number = (char *) "PCN-1";
    return (Claim *) codec_copy (&claim);
}

static bool
s_holds (const Claim *claim, const char *text)
{
    size_t size;
    uint8_t *packed = codec_pack (claim, &size);
    bool found = memmem (packed, size, text, strlen (text)) != NULL;
    free (packed);
    return found;
}

static const char *s_plaintext [] = {
    "ANN", "JR", "XQZ123456789", "123456789", "19570304", "0304", "123 MAIN", "SPRINGFIELD", "62701",
    "TOM", "19890117", "9 ELM", "PEORIA", "61602", NULL
};

START_TEST (test_claim_for_a_vendor_agent)
{
    Claim *claim = s_claim ();
    mask_claim (claim, "vendor-agent", false, 0);
    ck_assert_str_eq (claim->subscriber->first_name, "A.");
    ck_assert_str_eq (claim->subscriber->last_name, "SMITH");
    ck_assert_str_eq (claim->subscriber->middle_name, "");
    ck_assert_str_eq (claim->subscriber->suffix, "");
    ck_assert_str_eq (claim->subscriber->birth_date, "1957");
    ck_assert_str_eq (claim->subscriber->member_id, "****6789");
    ck_assert_str_eq (claim->subscriber->address->state, "IL");
    ck_assert_str_eq (claim->subscriber->address->line1, "");
    ck_assert_str_eq (claim->patient->first_name, "T.");
    ck_assert_str_eq (claim->patient->birth_date, "1989");
    ck_assert_str_eq (claim->patient->address->state, "IL");
    ck_assert_str_eq (claim->patient_control_number, "PCN-1");
    for (size_t i = 0; s_plaintext [i]; i++)
        ck_assert_msg (!s_holds (claim, s_plaintext [i]), "masked claim holds '%s'", s_plaintext [i]);
    codec_free (claim);
}
END_TEST

START_TEST (test_claim_for_others)
{
    //  A biller sees it all.
    Claim *claim = s_claim ();
    mask_claim (claim, "internal-biller", false, 0);
    ck_assert_str_eq (claim->subscriber->member_id, "XQZ123456789");
    ck_assert_str_eq (claim->subscriber->birth_date, "19570304");
    ck_assert_str_eq (claim->subscriber->address->line1, "123 MAIN ST");
    codec_free (claim);
    //  A leader sees none of it, the claim's other fields still.
    claim = s_claim ();
    mask_claim (claim, "leader", false, 0);
    ck_assert_str_eq (claim->subscriber->last_name, "");
    ck_assert_str_eq (claim->subscriber->member_id, "");
    ck_assert_ptr_null (claim->subscriber->address);
    ck_assert_ptr_null (claim->patient->address);
    ck_assert_str_eq (claim->patient_control_number, "PCN-1");
    for (size_t i = 0; s_plaintext [i]; i++)
        ck_assert_msg (!s_holds (claim, s_plaintext [i]), "leader's claim holds '%s'", s_plaintext [i]);
    ck_assert (!s_holds (claim, "SMITH"));
    codec_free (claim);
    //  A vendor on a work item that needs the member id sees that only.
    claim = s_claim ();
    mask_claim (claim, "vendor-agent", false, MASK_NEED (MASK_FIELD_MEMBER_ID));
    ck_assert_str_eq (claim->subscriber->member_id, "XQZ123456789");
    ck_assert_str_eq (claim->subscriber->birth_date, "1957");
    codec_free (claim);
    //  A claim without a patient loop or addresses masks without a fault.
    Claim bare = CLAIM__INIT;
    Subscriber subscriber = SUBSCRIBER__INIT;
    subscriber.last_name = (char *) "CHER";
    bare.subscriber = &subscriber;
    claim = (Claim *) codec_copy (&bare);
    mask_claim (claim, "vendor-lead", false, 0);
    ck_assert_str_eq (claim->subscriber->last_name, "CHER");
    ck_assert_str_eq (claim->subscriber->member_id, "");
    ck_assert_ptr_null (claim->subscriber->address);
    codec_free (claim);
}
END_TEST

//  The text forms answers carry (claims.Show's patient_name and
//  patient_address) and mask_text reading them back: the masked form is
//  what the issue names, and never a part of the street or city.
START_TEST (test_text_forms)
{
    char out [128], masked [64];
    ck_assert_str_eq (mask_name_text ("SMITH", "ANN", "Q", "JR", out, sizeof out), "SMITH, ANN Q JR");
    ck_assert_str_eq (mask_text (MASK_FIELD_NAME, out, masked, sizeof masked), "A. SMITH");
    ck_assert_str_eq (mask_name_text ("VAN DYKE", "ann", "", "", out, sizeof out), "VAN DYKE, ann");
    ck_assert_str_eq (mask_text (MASK_FIELD_NAME, out, masked, sizeof masked), "A. VAN DYKE");
    ck_assert_str_eq (mask_name_text ("CHER", "", "", "", out, sizeof out), "CHER");
    ck_assert_str_eq (mask_text (MASK_FIELD_NAME, out, masked, sizeof masked), "CHER");
    ck_assert_str_eq (mask_name_text ("", "ANN", NULL, NULL, out, sizeof out), "ANN");
    ck_assert_str_eq (mask_name_text (NULL, NULL, NULL, NULL, out, sizeof out), "");

    Address address = ADDRESS__INIT;
    address.line1 = (char *) "123 MAIN ST";
    address.line2 = (char *) "APT 4";
    address.city = (char *) "SPRINGFIELD";
    address.state = (char *) "IL";
    address.postal_code = (char *) "62701-1234";
    ck_assert_str_eq (mask_address_text (&address, out, sizeof out), "123 MAIN ST, APT 4, SPRINGFIELD, IL 62701-1234");
    ck_assert_str_eq (mask_text (MASK_FIELD_ADDRESS, out, masked, sizeof masked), "IL");
    address.line2 = (char *) "";
    address.postal_code = (char *) "";
    ck_assert_str_eq (mask_address_text (&address, out, sizeof out), "123 MAIN ST, SPRINGFIELD, IL");
    ck_assert_str_eq (mask_text (MASK_FIELD_ADDRESS, out, masked, sizeof masked), "IL");
    ck_assert_str_eq (mask_address_text (NULL, out, sizeof out), "");
    //  No state: nothing, not the first letters of a street or city.
    address.state = (char *) "";
    ck_assert_str_eq (mask_address_text (&address, out, sizeof out), "123 MAIN ST, SPRINGFIELD");
    ck_assert_str_eq (mask_text (MASK_FIELD_ADDRESS, out, masked, sizeof masked), "");
    ck_assert_str_eq (mask_address_state ("PO BOX 12", masked, sizeof masked), "");
    ck_assert_str_eq (mask_address_state ("9 ELM RD, ST LOUIS", masked, sizeof masked), "");
    ck_assert_str_eq (mask_address_state ("9 ELM RD, OK", masked, sizeof masked), "OK");
    ck_assert_str_eq (mask_address_state ("9 ELM RD, il 62701", masked, sizeof masked), "IL");
    ck_assert_str_eq (mask_address_state ("", masked, sizeof masked), "");
    ck_assert_str_eq (mask_address_state (NULL, masked, sizeof masked), "");

    ck_assert_str_eq (mask_text (MASK_FIELD_DOB, "19570304", masked, sizeof masked), "1957");
    ck_assert_str_eq (mask_text (MASK_FIELD_MEMBER_ID, "M274048139", masked, sizeof masked), "****8139");
    ck_assert_str_eq (mask_text (MASK_FIELD_COUNT, "19570304", masked, sizeof masked), "");
}
END_TEST

Suite *
mask_suite (void)
{
    Suite *suite = suite_create ("mask");
    TCase *tc = tcase_create ("mask");
    tcase_add_test (tc, test_table_per_role_per_field);
    tcase_add_test (tc, test_what_lifts_a_mask);
    tcase_add_test (tc, test_masked_forms);
    tcase_add_test (tc, test_claim_for_a_vendor_agent);
    tcase_add_test (tc, test_claim_for_others);
    tcase_add_test (tc, test_text_forms);
    suite_add_tcase (suite, tc);
    return suite;
}
