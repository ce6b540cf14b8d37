/*  test_claimedit: claims.Edit's checks and changes (services/claims/
    claimedit.c), on a claim built here: two lines, two diagnoses, sent
    before as a replacement with a payer claim number.

    A sound edit changes exactly what it names, recomputes the total from
    the lines, makes the claim an original (frequency 1, no REF*F8) and
    lists each change with its old and new value (the member id by name
    only: it is PHI). Every refusal names the field and why, and leaves the
    claim byte for byte as it was.
*/
#include "suites.h"
#include "claimedit.h"
#include "codec.h"

#include <czmq.h>

static ServiceLine *
s_line (uint32_t number, const char *procedure, int64_t cents, uint32_t pointer)
{
    ServiceLine *line = (ServiceLine *) malloc (sizeof (ServiceLine));
    service_line__init (line);
    line->line_number = number;
    line->procedure_qualifier = strdup ("HC");
    line->procedure_code = strdup (procedure);
    line->charge_cents = cents;
    line->diagnosis_pointers = (uint32_t *) calloc (1, sizeof (uint32_t));
    line->diagnosis_pointers [0] = pointer;
    line->n_diagnosis_pointers = 1;
    return line;
}

static Diagnosis *
s_dx (const char *qualifier, const char *code)
{
    Diagnosis *dx = (Diagnosis *) malloc (sizeof (Diagnosis));
    diagnosis__init (dx);
    dx->qualifier = strdup (qualifier);
    dx->code = strdup (code);
    return dx;
}

//  Made through codec_copy so it owns all its memory as a decoded one does.
static Claim *
s_claim (void)
{
    Claim claim = CLAIM__INIT;
    Subscriber subscriber = SUBSCRIBER__INIT;
    subscriber.member_id = "M100";
    Payer payer = PAYER__INIT;
    payer.payer_id = "60054";
    claim.subscriber = &subscriber;
    claim.payer = &payer;
    claim.patient_control_number = "P1";
    claim.frequency_code = "7";
    claim.payer_claim_number = "ICN42";
    Diagnosis *diagnoses [2] = { s_dx ("ABK", "E119"), s_dx ("ABF", "I10") };
    claim.diagnoses = diagnoses;
    claim.n_diagnoses = 2;
    ServiceLine *lines [2] = { s_line (1, "99213", 10000, 1), s_line (2, "36415", 2500, 2) };
    claim.lines = lines;
    claim.n_lines = 2;
    claim.total_charge_cents = 12500;
    Claim *copy = (Claim *) codec_copy (&claim);
    for (size_t i = 0; i < 2; i++) {
        codec_free (diagnoses [i]);
        codec_free (lines [i]);
    }
    return copy;
}

static const FieldChange *
s_change (const ClaimEdit *edit, const char *field)
{
    for (size_t i = 0; i < edit->n_changes; i++)
        if (streq (edit->changes [i]->field, field))
            return edit->changes [i];
    return NULL;
}

START_TEST (test_line_edit)
{
    Claim *claim = s_claim ();
    EditRequest request = EDIT_REQUEST__INIT;
    request.reason = "wrong code";
    request.line_number = 1;
    request.procedure_code = "99214";
    char *modifiers [] = { "25" };
    request.modifiers = modifiers;
    request.n_modifiers = 1;
    uint32_t pointers [] = { 2, 1 };
    request.pointers = pointers;
    request.n_pointers = 2;
    request.charge_cents = 13050;
    ClaimEdit edit = CLAIM_EDIT__INIT;
    char error [CLAIMEDIT_ERROR_SIZE] = "";
    ck_assert_msg (claimedit_apply (claim, &request, &edit, error, sizeof error) == 0, "%s", error);
    const ServiceLine *line = claim->lines [0];
    ck_assert_str_eq (line->procedure_code, "99214");
    ck_assert_uint_eq (line->n_modifiers, 1);
    ck_assert_str_eq (line->modifiers [0], "25");
    ck_assert_uint_eq (line->n_diagnosis_pointers, 2);
    ck_assert_uint_eq (line->diagnosis_pointers [0], 2);
    ck_assert_int_eq (line->charge_cents, 13050);
    ck_assert_str_eq (claim->lines [1]->procedure_code, "36415");     //  the other line as it was
    ck_assert_int_eq (claim->total_charge_cents, 13050 + 2500);
    ck_assert_str_eq (claim->frequency_code, "1");
    ck_assert_str_eq (claim->payer_claim_number, "");

    const FieldChange *change = s_change (&edit, "lines[1].procedure_code");
    ck_assert_ptr_nonnull (change);
    ck_assert_str_eq (change->from, "99213");
    ck_assert_str_eq (change->to, "99214");
    change = s_change (&edit, "lines[1].charge");
    ck_assert_ptr_nonnull (change);
    ck_assert_str_eq (change->from, "100.00");
    ck_assert_str_eq (change->to, "130.50");
    change = s_change (&edit, "total_charge");
    ck_assert_ptr_nonnull (change);
    ck_assert_str_eq (change->to, "155.50");
    change = s_change (&edit, "lines[1].diagnosis_pointers");
    ck_assert_ptr_nonnull (change);
    ck_assert_str_eq (change->from, "1");
    ck_assert_str_eq (change->to, "2,1");
    ck_assert_ptr_nonnull (s_change (&edit, "frequency_code"));
    ck_assert_ptr_nonnull (s_change (&edit, "payer_claim_number"));
    claimedit_clear (&edit);
    codec_free (claim);
}
END_TEST

START_TEST (test_member_payer_dx)
{
    Claim *claim = s_claim ();
    EditRequest request = EDIT_REQUEST__INIT;
    request.reason = "eligibility";
    request.member_id = "M200-9";
    request.payer_id = "00435";
    char *diagnoses [] = { "E1165", "I10" };
    request.diagnoses = diagnoses;
    request.n_diagnoses = 2;
    ClaimEdit edit = CLAIM_EDIT__INIT;
    char error [CLAIMEDIT_ERROR_SIZE] = "";
    ck_assert_msg (claimedit_apply (claim, &request, &edit, error, sizeof error) == 0, "%s", error);
    ck_assert_str_eq (claim->subscriber->member_id, "M200-9");
    ck_assert_str_eq (claim->payer->payer_id, "00435");
    ck_assert_str_eq (claim->diagnoses [0]->code, "E1165");
    ck_assert_str_eq (claim->diagnoses [0]->qualifier, "ABK");
    ck_assert_str_eq (claim->diagnoses [1]->qualifier, "ABF");
    //  The member id is PHI: named, never its values.
    const FieldChange *change = s_change (&edit, "member_id");
    ck_assert_ptr_nonnull (change);
    ck_assert_str_eq (change->from, "");
    ck_assert_str_eq (change->to, "");
    change = s_change (&edit, "payer_id");
    ck_assert_str_eq (change->from, "60054");
    ck_assert_str_eq (change->to, "00435");
    change = s_change (&edit, "diagnoses");
    ck_assert_str_eq (change->from, "E119,I10");
    ck_assert_str_eq (change->to, "E1165,I10");
    ck_assert_int_eq (claim->total_charge_cents, 12500);    //  no charge changed
    ck_assert_ptr_null (s_change (&edit, "total_charge"));
    claimedit_clear (&edit);
    codec_free (claim);
}
END_TEST

//  Each refusal: what the request holds, and words the error must carry.
typedef struct {
    const char *member_id, *payer_id, *procedure;
    const char *dx;             //  comma-separated
    uint32_t line;
    const char *modifiers;      //  comma-separated
    uint32_t pointer;
    int64_t charge;
    const char *says;
} s_refusal_t;

static const s_refusal_t s_refusals [] = {
    { .says = "nothing to change" },
    { .procedure = "99214", .says = "need the line" },
    { .line = 2, .says = "line 2: nothing to change" },
    { .line = 3, .procedure = "99214", .says = "no line 3 (it has 2)" },
    { .line = 1, .procedure = "9921", .says = "procedure_code '9921' is not a CPT or HCPCS code" },
    { .line = 1, .modifiers = "2", .says = "modifiers '2' is not two letters" },
    { .line = 1, .modifiers = "25,59,76,77,91", .says = "5 modifiers" },
    { .line = 1, .pointer = 3, .says = "line 1: diagnosis pointer 3 points at no diagnosis (the claim has 2)" },
    { .line = 1, .charge = -5, .says = "is not a charge" },
    { .dx = "E11.9", .says = "diagnoses 'E11.9' is not an ICD-10-CM code" },
    //  One diagnosis left strands line 2's pointer (2): say which line.
    { .dx = "E119", .says = "line 2: diagnosis pointer 2 points at no diagnosis (the claim has 1); give the line's pointers" },
    { .member_id = "M*1", .says = "member_id '(not shown)' is not" },
    { .payer_id = "6", .says = "payer_id '6' is not" },
};

START_TEST (test_refusals)
{
    const s_refusal_t *r = &s_refusals [_i];
    Claim *claim = s_claim ();
    size_t before_size;
    uint8_t *before = codec_pack (claim, &before_size);
    EditRequest request = EDIT_REQUEST__INIT;
    request.reason = "test";
    request.member_id = (char *) (r->member_id? r->member_id: "");
    request.payer_id = (char *) (r->payer_id? r->payer_id: "");
    request.procedure_code = (char *) (r->procedure? r->procedure: "");
    request.line_number = r->line;
    request.charge_cents = r->charge;
    uint32_t pointers [1] = { r->pointer };
    if (r->pointer) {
        request.pointers = pointers;
        request.n_pointers = 1;
    }
    char *dx_items [16], *modifier_items [16];
    if (r->dx) {
        char *copy = strdup (r->dx), *save = NULL;
        for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save))
            dx_items [request.n_diagnoses++] = strdup (item);
        free (copy);
        request.diagnoses = dx_items;
    }
    if (r->modifiers) {
        char *copy = strdup (r->modifiers), *save = NULL;
        for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save))
            modifier_items [request.n_modifiers++] = strdup (item);
        free (copy);
        request.modifiers = modifier_items;
    }
    ClaimEdit edit = CLAIM_EDIT__INIT;
    char error [CLAIMEDIT_ERROR_SIZE] = "";
    ck_assert_int_eq (claimedit_apply (claim, &request, &edit, error, sizeof error), -1);
    ck_assert_msg (strstr (error, r->says), "case %d: '%s' does not say '%s'", _i, error, r->says);
    ck_assert_uint_eq (edit.n_changes, 0);
    size_t after_size;
    uint8_t *after = codec_pack (claim, &after_size);
    ck_assert_msg (after_size == before_size && memcmp (before, after, before_size) == 0,
                   "case %d: a refused edit changed the claim", _i);
    free (before);
    free (after);
    for (size_t i = 0; i < request.n_diagnoses; i++)
        free (dx_items [i]);
    for (size_t i = 0; i < request.n_modifiers; i++)
        free (modifier_items [i]);
    codec_free (claim);
}
END_TEST

Suite *
claimedit_suite (void)
{
    Suite *s = suite_create ("claimedit");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_line_edit);
    tcase_add_test (tc, test_member_payer_dx);
    tcase_add_loop_test (tc, test_refusals, 0, sizeof s_refusals / sizeof s_refusals [0]);
    suite_add_tcase (s, tc);
    return s;
}
