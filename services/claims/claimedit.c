/*  claimedit: see claimedit.h. The forms a field must have are one table
    of checks; claimedit_apply follows the steps the header lists, checking
    everything before it changes anything, so a refused edit leaves the
    claim as it was.
*/
#include "claimedit.h"
#include "codec.h"

#include <ctype.h>
#include <czmq.h>

#define S_MAX_POINTERS      4
#define S_MAX_MODIFIERS     4
#define S_MAX_DIAGNOSES     12
//  SV102 is R 1/18; rcmq's own limit for one line is far below it.
#define S_MAX_CHARGE_CENTS  9999999999LL

typedef bool (s_form_fn) (const char *text);

static bool
s_all (const char *text, int (*is) (int))
{
    for (const char *c = text; *c; c++)
        if (!is ((unsigned char) *c))
            return false;
    return true;
}

static int
s_upper_alnum (int c)
{
    return isdigit (c) || (isupper (c) && c < 0x80);
}

static int
s_id_char (int c)
{
    return s_upper_alnum (c) || islower (c) || c == '-';
}

//  ICD-10-CM without the dot: a letter, a digit, then letters or digits,
//  3 to 7 in all.
static bool
s_icd10 (const char *code)
{
    size_t len = strlen (code);
    return len >= 3 && len <= 7 && isupper ((unsigned char) code [0]) && isdigit ((unsigned char) code [1])
        && s_all (code, s_upper_alnum);
}

//  CPT (5 digits, or 4 and F/T/U: categories II and III, PLA codes) or
//  HCPCS level II (a letter and 4 digits): the form intake's PROC001 takes.
static bool
s_procedure (const char *code)
{
    if (strlen (code) != 5 || !s_all (code, s_upper_alnum))
        return false;
    bool digits4 = isdigit ((unsigned char) code [1]) && isdigit ((unsigned char) code [2])
                && isdigit ((unsigned char) code [3]);
    if (isdigit ((unsigned char) code [0]))
        return digits4 && (isdigit ((unsigned char) code [4]) || code [4] == 'F' || code [4] == 'T'
                          || code [4] == 'U');
    return digits4 && isdigit ((unsigned char) code [4]);
}

static bool
s_modifier (const char *code)
{
    return strlen (code) == 2 && s_all (code, s_upper_alnum);
}

//  Member and payer ids: letters, digits and '-', 2 to 80 (NM109).
static bool
s_identifier (const char *id)
{
    size_t len = strlen (id);
    return len >= 2 && len <= 80 && s_all (id, s_id_char);
}

static const struct {
    const char *field;
    s_form_fn *form;
    const char *expected;
} s_forms [] = {
    { "member_id",      s_identifier, "2 to 80 letters, digits or '-'" },
    { "payer_id",       s_identifier, "2 to 80 letters, digits or '-'" },
    { "diagnoses",      s_icd10,      "an ICD-10-CM code without the dot, e.g. E119" },
    { "procedure_code", s_procedure,  "a CPT or HCPCS code, e.g. 99213 or J3301" },
    { "modifiers",      s_modifier,   "two letters or digits, e.g. 25" },
};

//  -1 with the error when text lacks its field's form; value shown unless PHI.
static int
s_check (const char *field, const char *text, bool phi, char *error, size_t size)
{
    for (size_t i = 0; i < sizeof s_forms / sizeof s_forms [0]; i++) {
        if (!streq (s_forms [i].field, field))
            continue;
        if (s_forms [i].form (text))
            return 0;
        snprintf (error, size, "%s '%s' is not %s", field, phi? "(not shown)": text, s_forms [i].expected);
        return -1;
    }
    assert (false);     //  every field checked is in the table
    return -1;
}

static void
s_change (ClaimEdit *edit, const char *field, const char *from, const char *to)
{
    FieldChange *change = (FieldChange *) malloc (sizeof (FieldChange));
    field_change__init (change);
    change->field = strdup (field);
    change->from = strdup (from? from: "");
    change->to = strdup (to? to: "");
    edit->changes = (FieldChange **) realloc (edit->changes, (edit->n_changes + 1) * sizeof (FieldChange *));
    edit->changes [edit->n_changes++] = change;
}

//  "E119,I10" of the claim's diagnoses.
static char *
s_diagnoses_text (Diagnosis **diagnoses, size_t count)
{
    char *text = strdup ("");
    for (size_t i = 0; i < count; i++) {
        char *longer = zsys_sprintf ("%s%s%s", text, i? ",": "", diagnoses [i]->code);
        free (text);
        text = longer;
    }
    return text;
}

static char *
s_strings_text (char **items, size_t count)
{
    char *text = strdup ("");
    for (size_t i = 0; i < count; i++) {
        char *longer = zsys_sprintf ("%s%s%s", text, i? ",": "", items [i]);
        free (text);
        text = longer;
    }
    return text;
}

static char *
s_pointers_text (const uint32_t *pointers, size_t count)
{
    char *text = strdup ("");
    for (size_t i = 0; i < count; i++) {
        char *longer = zsys_sprintf ("%s%s%u", text, i? ",": "", pointers [i]);
        free (text);
        text = longer;
    }
    return text;
}

static char *
s_cents_text (int64_t cents)
{
    return zsys_sprintf ("%s%" PRId64 ".%02" PRId64, cents < 0? "-": "",
                         (cents < 0? -cents: cents) / 100, (cents < 0? -cents: cents) % 100);
}

//  Steps 1 and 2: everything the request gives, checked. The line the
//  request names in *line (NULL when none).
static int
s_check_request (const Claim *claim, const EditRequest *request, ServiceLine **line, char *error, size_t size)
{
    *line = NULL;
    bool line_fields = *request->procedure_code || request->n_modifiers || request->n_pointers
                    || request->charge_cents;
    if (line_fields && !request->line_number) {
        snprintf (error, size, "a procedure, modifiers, pointers or a charge need the line they change");
        return -1;
    }
    if (!*request->member_id && !*request->payer_id && !request->n_diagnoses && !request->line_number) {
        snprintf (error, size, "nothing to change (give a member id, payer id, diagnoses or a line)");
        return -1;
    }
    if (request->line_number && !line_fields) {
        snprintf (error, size, "line %u: nothing to change on it (give a procedure, modifiers, pointers or a charge)",
                  request->line_number);
        return -1;
    }
    if (request->line_number) {
        for (size_t i = 0; i < claim->n_lines; i++)
            if (claim->lines [i]->line_number == request->line_number)
                *line = claim->lines [i];
        if (!*line) {
            snprintf (error, size, "the claim has no line %u (it has %zu)", request->line_number, claim->n_lines);
            return -1;
        }
    }
    if (*request->member_id && s_check ("member_id", request->member_id, true, error, size))
        return -1;
    if (*request->payer_id && s_check ("payer_id", request->payer_id, false, error, size))
        return -1;
    if (request->n_diagnoses > S_MAX_DIAGNOSES) {
        snprintf (error, size, "%zu diagnoses: a claim has at most %d", request->n_diagnoses, S_MAX_DIAGNOSES);
        return -1;
    }
    for (size_t i = 0; i < request->n_diagnoses; i++)
        if (s_check ("diagnoses", request->diagnoses [i], false, error, size))
            return -1;
    if (*request->procedure_code && s_check ("procedure_code", request->procedure_code, false, error, size))
        return -1;
    if (request->n_modifiers > S_MAX_MODIFIERS) {
        snprintf (error, size, "%zu modifiers: a line has at most %d", request->n_modifiers, S_MAX_MODIFIERS);
        return -1;
    }
    for (size_t i = 0; i < request->n_modifiers; i++)
        if (s_check ("modifiers", request->modifiers [i], false, error, size))
            return -1;
    if (request->n_pointers > S_MAX_POINTERS) {
        snprintf (error, size, "%zu diagnosis pointers: a line has at most %d", request->n_pointers, S_MAX_POINTERS);
        return -1;
    }
    if (request->charge_cents < 0 || request->charge_cents > S_MAX_CHARGE_CENTS) {
        snprintf (error, size, "line %u: charge %" PRId64 " cents is not a charge (above 0, at most %lld)",
                  request->line_number, request->charge_cents, S_MAX_CHARGE_CENTS);
        return -1;
    }
    return 0;
}

//  Step 4: every line's pointers within diagnoses (n_diagnoses after the
//  edit; the edited line's pointers as the request gives them).
static int
s_check_pointers (const Claim *claim, const EditRequest *request, const ServiceLine *edited,
                  size_t n_diagnoses, char *error, size_t size)
{
    for (size_t l = 0; l < claim->n_lines; l++) {
        const ServiceLine *line = claim->lines [l];
        bool given = line == edited && request->n_pointers;
        size_t count = given? request->n_pointers: line->n_diagnosis_pointers;
        const uint32_t *pointers = given? request->pointers: line->diagnosis_pointers;
        for (size_t p = 0; p < count; p++)
            if (pointers [p] < 1 || pointers [p] > n_diagnoses) {
                snprintf (error, size, "line %u: diagnosis pointer %u points at no diagnosis (the claim has %zu)%s",
                          line->line_number, pointers [p], n_diagnoses,
                          given? "": "; give the line's pointers too (--line N --pointers ...)");
                return -1;
            }
    }
    return 0;
}

static void
s_set_strings (char ***field, size_t *count, char *const *values, size_t n)
{
    for (size_t i = 0; i < *count; i++)
        free ((*field) [i]);
    free (*field);
    *field = n? (char **) calloc (n, sizeof (char *)): NULL;
    for (size_t i = 0; i < n; i++)
        (*field) [i] = strdup (values [i]);
    *count = n;
}

int
claimedit_apply (Claim *claim, const EditRequest *request, ClaimEdit *edit, char *error, size_t size)
{
    ServiceLine *line;
    if (s_check_request (claim, request, &line, error, size))
        return -1;
    size_t n_diagnoses = request->n_diagnoses? request->n_diagnoses: claim->n_diagnoses;
    if (s_check_pointers (claim, request, line, n_diagnoses, error, size))
        return -1;
    if (*request->member_id && !claim->subscriber) {
        snprintf (error, size, "the claim has no subscriber to give a member id");
        return -1;
    }

    //  Step 3: the changes, each listed.
    if (*request->member_id) {
        codec_set_text (&claim->subscriber->member_id, request->member_id);
        s_change (edit, "member_id", "", "");
    }
    if (*request->payer_id) {
        if (!claim->payer) {
            claim->payer = (Payer *) malloc (sizeof (Payer));
            payer__init (claim->payer);
        }
        s_change (edit, "payer_id", claim->payer->payer_id, request->payer_id);
        codec_set_text (&claim->payer->payer_id, request->payer_id);
    }
    if (request->n_diagnoses) {
        char *from = s_diagnoses_text (claim->diagnoses, claim->n_diagnoses);
        char *to = s_strings_text (request->diagnoses, request->n_diagnoses);
        s_change (edit, "diagnoses", from, to);
        free (from);
        free (to);
        for (size_t i = 0; i < claim->n_diagnoses; i++)
            codec_free (claim->diagnoses [i]);
        free (claim->diagnoses);
        claim->diagnoses = (Diagnosis **) calloc (request->n_diagnoses, sizeof (Diagnosis *));
        for (size_t i = 0; i < request->n_diagnoses; i++) {
            Diagnosis *dx = (Diagnosis *) malloc (sizeof (Diagnosis));
            diagnosis__init (dx);
            dx->qualifier = strdup (i? "ABF": "ABK");
            dx->code = strdup (request->diagnoses [i]);
            claim->diagnoses [i] = dx;
        }
        claim->n_diagnoses = request->n_diagnoses;
    }
    if (line) {
        char field [64];
        if (*request->procedure_code) {
            snprintf (field, sizeof field, "lines[%u].procedure_code", line->line_number);
            s_change (edit, field, line->procedure_code, request->procedure_code);
            codec_set_text (&line->procedure_code, request->procedure_code);
            if (!*line->procedure_qualifier)
                codec_set_text (&line->procedure_qualifier, "HC");
        }
        if (request->n_modifiers) {
            char *from = s_strings_text (line->modifiers, line->n_modifiers);
            char *to = s_strings_text (request->modifiers, request->n_modifiers);
            snprintf (field, sizeof field, "lines[%u].modifiers", line->line_number);
            s_change (edit, field, from, to);
            free (from);
            free (to);
            s_set_strings (&line->modifiers, &line->n_modifiers, request->modifiers, request->n_modifiers);
        }
        if (request->n_pointers) {
            char *from = s_pointers_text (line->diagnosis_pointers, line->n_diagnosis_pointers);
            char *to = s_pointers_text (request->pointers, request->n_pointers);
            snprintf (field, sizeof field, "lines[%u].diagnosis_pointers", line->line_number);
            s_change (edit, field, from, to);
            free (from);
            free (to);
            free (line->diagnosis_pointers);
            line->diagnosis_pointers = (uint32_t *) calloc (request->n_pointers, sizeof (uint32_t));
            memcpy (line->diagnosis_pointers, request->pointers, request->n_pointers * sizeof (uint32_t));
            line->n_diagnosis_pointers = request->n_pointers;
        }
        if (request->charge_cents) {
            char *from = s_cents_text (line->charge_cents), *to = s_cents_text (request->charge_cents);
            snprintf (field, sizeof field, "lines[%u].charge", line->line_number);
            s_change (edit, field, from, to);
            free (from);
            free (to);
            line->charge_cents = request->charge_cents;
            int64_t total = 0;
            for (size_t i = 0; i < claim->n_lines; i++)
                total += claim->lines [i]->charge_cents;
            if (total != claim->total_charge_cents) {
                from = s_cents_text (claim->total_charge_cents);
                to = s_cents_text (total);
                s_change (edit, "total_charge", from, to);
                free (from);
                free (to);
                claim->total_charge_cents = total;
            }
        }
    }
    //  Step 5: an original again.
    if (!streq (claim->frequency_code, "1")) {
        s_change (edit, "frequency_code", claim->frequency_code, "1");
        codec_set_text (&claim->frequency_code, "1");
    }
    if (*claim->payer_claim_number) {
        s_change (edit, "payer_claim_number", claim->payer_claim_number, "");
        codec_set_text (&claim->payer_claim_number, NULL);
    }
    return 0;
}

void
claimedit_clear (ClaimEdit *edit)
{
    for (size_t i = 0; i < edit->n_changes; i++)
        codec_free (edit->changes [i]);
    free (edit->changes);
    edit->changes = NULL;
    edit->n_changes = 0;
}
