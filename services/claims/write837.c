/*  write837: 837P batch files for the clearinghouse (see write837.h).

    The text is written in one pass with stand-in separators, control bytes
    that cannot occur in data because data with control characters is
    refused. Each data byte written is marked in a 256-entry table, so when
    the file is complete the real separators can be picked from characters
    no data uses, and one more pass over the buffer puts them in. The ISA is
    written the same way, so its separator positions come out right too.

    Segments are built element by element; s_end drops trailing empty
    components and elements before the terminator, as X12 requires
    ("N3*100 MAIN ST", not "N3*100 MAIN ST*").

    The claims are visited in an order sorted by billing provider (stable,
    so claims of one provider keep the caller's order): a new 2000A opens
    whenever the provider changes. Each claim gets its own 2000B, which is
    how the subscriber's SBR, payer and patient stay exactly the claim's.
*/
#include "write837.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  Stand-in separators while writing.
#define S_ELEMENT    '\x1d'
#define S_COMPONENT  '\x1f'
#define S_REPETITION '\x1e'
#define S_TERMINATOR '\x1c'

//  837P limits that the parser and payers enforce.
#define S_MAX_LINES 50
#define S_MAX_DIAGNOSES 12
#define S_MAX_MODIFIERS 4
#define S_MAX_POINTERS 4

//  Candidates for each separator, preferred first. The first of each is
//  what nearly every clearinghouse expects; the others are used only when
//  the data of the batch contains it.
static const char *s_candidates [4] = {
    "*|!`",         //  element
    ":>\\@",        //  component
    "^{#$",         //  repetition (ISA11)
    "~}'&",         //  segment terminator
};

typedef struct {
    char *data;
    size_t size;
    size_t capacity;
    bool dry;                   //  nothing written: only the checks of the text run
    bool used [256];            //  bytes that occur in data
    size_t segments;            //  segments since ST (for SE01)
    size_t all_segments;        //  segments in the file (its newlines)
    bool failed;
    char *error;                //  WRITE837_ERROR_SIZE bytes
    const char *pcn;            //  the claim being written, for errors
} s_out_t;


//  ---------------------------------------------------------------------
//  Output buffer

static void
s_fail (s_out_t *self, const char *format, ...)
{
    if (self->failed)
        return;                 //  the first reason is the one reported
    self->failed = true;
    char reason [WRITE837_ERROR_SIZE];
    va_list args;
    va_start (args, format);
    vsnprintf (reason, sizeof reason, format, args);
    va_end (args);
    if (self->pcn)
        snprintf (self->error, WRITE837_ERROR_SIZE, "claim %.40s: %.200s", self->pcn, reason);
    else
        snprintf (self->error, WRITE837_ERROR_SIZE, "%s", reason);
}

//  Room for len more bytes at the end of the text.
static void
s_grow (s_out_t *self, size_t len)
{
    size_t capacity = self->capacity? self->capacity: 4096;
    while (self->size + len > capacity)
        capacity *= 2;
    self->data = realloc (self->data, capacity);
    assert (self->data);
    self->capacity = capacity;
}

static void
s_raw (s_out_t *self, const char *bytes, size_t len)
{
    if (self->dry)
        return;
    if (self->size + len > self->capacity)
        s_grow (self, len);
    memcpy (self->data + self->size, bytes, len);
    self->size += len;
}

//  A separator and data text after it (NULL: none): the text's bytes
//  marked as used, refused if it holds a control character. One call an
//  element or component, the text checked and copied in one go (an
//  element was four calls and two passes before: issue 19).
static void
s_separated (s_out_t *self, char separator, const char *text)
{
    size_t len = text? strlen (text): 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text [i];
        if (c < 0x20 || c == 0x7f) {
            s_fail (self, "data '%.40s' holds control character 0x%02x", text, c);
            return;
        }
        self->used [c] = true;
    }
    if (self->dry)
        return;
    if (self->size + len + 1 > self->capacity)
        s_grow (self, len + 1);
    char *out = self->data + self->size;
    *out = separator;
    memcpy (out + 1, text? text: "", len);
    self->size += len + 1;
}

static void
s_begin (s_out_t *self, const char *id)
{
    s_raw (self, id, strlen (id));
}

//  Next element.
static void
s_el (s_out_t *self, const char *text)
{
    s_separated (self, S_ELEMENT, text);
}

//  Next element, formatted (the envelope's few: not one a claim).
static void
s_elf (s_out_t *self, const char *format, ...)
{
    char text [64];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    s_el (self, text);
}

//  Next component of the current element.
static void
s_comp (s_out_t *self, const char *text)
{
    s_separated (self, S_COMPONENT, text);
}

//  Ends a segment: trailing empty components and elements go.
static void
s_end (s_out_t *self)
{
    while (self->size > 0 && (self->data [self->size - 1] == S_ELEMENT
                           || self->data [self->size - 1] == S_COMPONENT))
        self->size--;
    char terminator = S_TERMINATOR;
    s_raw (self, &terminator, 1);
    self->segments++;
    self->all_segments++;
}


//  ---------------------------------------------------------------------
//  Values

static const char *
s_or (const char *value, const char *fallback)
{
    return value && *value? value: fallback;
}

static bool
s_empty (const char *value)
{
    return !value || !*value;
}

//  The decimal digits of value into out (at least 21 bytes), NUL after;
//  their count. By hand, not snprintf: a claim's amounts, units, HL and
//  LX numbers and pointers are a dozen numbers a claim, and printf's
//  machinery was ~6 % of a submit's instructions (issue 19).
static size_t
s_digits (uint64_t value, char *out)
{
    char reverse [20];
    size_t n = 0;
    do {
        reverse [n++] = (char) ('0' + value % 10);
        value /= 10;
    } while (value);
    for (size_t i = 0; i < n; i++)
        out [i] = reverse [n - 1 - i];
    out [n] = 0;
    return n;
}

//  X12 decimal: 12550 -> "125.5", 12500 -> "125", 2104 -> "21.04". out
//  holds at least 32 bytes.
static void
s_decimal (int64_t value, int scale, char *out, size_t size)
{
    assert (size >= 32 && (scale == 2 || scale == 3));
    uint64_t unit = scale == 2? 100: 1000;
    uint64_t magnitude = value < 0? (uint64_t) 0 - (uint64_t) value: (uint64_t) value;
    uint64_t whole = magnitude / unit;
    uint64_t fraction = magnitude % unit;
    size_t len = 0;
    if (value < 0)
        out [len++] = '-';
    len += s_digits (whole, out + len);
    if (fraction) {
        out [len++] = '.';
        for (int i = scale - 1; i >= 0; i--) {
            out [len + (size_t) i] = (char) ('0' + fraction % 10);
            fraction /= 10;
        }
        len += (size_t) scale;
        while (out [len - 1] == '0')
            len--;
        out [len] = 0;
    }
}

//  Next element: an unsigned number.
static void
s_elu (s_out_t *self, uint64_t value)
{
    char text [24];
    s_digits (value, text);
    s_el (self, text);
}

static void
s_money (s_out_t *self, int64_t cents)
{
    char text [32];
    s_decimal (cents, 2, text, sizeof text);
    s_el (self, text);
}

//  DTP02 / DTP03 from a from / to pair: D8 for one day, RD8 for a range.
static void
s_date_period (s_out_t *self, const char *from, const char *to)
{
    if (s_empty (to) || strcmp (from, to) == 0) {
        s_el (self, "D8");
        s_el (self, from);
    }
    else {
        char range [32];
        snprintf (range, sizeof range, "%.8s-%.8s", from, to);
        s_el (self, "RD8");
        s_el (self, range);
    }
}

void
write837_line_id (const char *pcn, uint32_t lx, char *out, size_t size)
{
    assert (pcn && out && size > 0);
    //  As snprintf ("%s-%u") would, cut to size, by hand: one a line.
    char number [24];
    size_t digits = s_digits (lx, number + 1), len = strlen (pcn), at = 0;
    number [0] = '-';
    for (size_t i = 0; i < len && at + 1 < size; i++)
        out [at++] = pcn [i];
    for (size_t i = 0; i < digits + 1 && at + 1 < size; i++)
        out [at++] = number [i];
    out [at] = 0;
}


//  ---------------------------------------------------------------------
//  Loops

//  NM1 of a provider: NM108 / NM109 are the provider's id as it came, else
//  its NPI with XX.
static void
s_provider_nm1 (s_out_t *self, const char *code, const Provider *provider, const char *entity)
{
    const char *id = s_or (provider->id, provider->npi);
    const char *qualifier = s_empty (id)? "": s_or (provider->id_qualifier, "XX");
    s_begin (self, "NM1");
    s_el (self, code);
    s_el (self, s_or (provider->entity_type, entity));
    s_el (self, provider->name);
    s_el (self, provider->first_name);
    s_el (self, "");
    s_el (self, "");
    s_el (self, "");
    s_el (self, qualifier);
    s_el (self, id);
    s_end (self);
}

static void
s_address (s_out_t *self, const Address *address)
{
    if (!address)
        return;
    if (!s_empty (address->line1)) {
        s_begin (self, "N3");
        s_el (self, address->line1);
        s_el (self, address->line2);
        s_end (self);
    }
    if (!s_empty (address->city) || !s_empty (address->postal_code)) {
        s_begin (self, "N4");
        s_el (self, address->city);
        s_el (self, address->state);
        s_el (self, address->postal_code);
        s_end (self);
    }
}

static void
s_person_nm1 (s_out_t *self, const char *code, const char *last, const char *first,
              const char *middle, const char *suffix, const char *member_id)
{
    s_begin (self, "NM1");
    s_el (self, code);
    s_el (self, "1");
    s_el (self, last);
    s_el (self, first);
    s_el (self, middle);
    s_el (self, "");
    s_el (self, suffix);
    s_el (self, s_empty (member_id)? "": "MI");
    s_el (self, member_id);
    s_end (self);
}

static void
s_dmg (s_out_t *self, const char *birth_date, const char *gender)
{
    if (s_empty (birth_date) && s_empty (gender))
        return;
    s_begin (self, "DMG");
    s_el (self, "D8");
    s_el (self, birth_date);
    s_el (self, gender);
    s_end (self);
}

//  2000A / 2010AA.
static void
s_billing (s_out_t *self, const Provider *billing, uint32_t hl)
{
    s_begin (self, "HL");
    s_elu (self, hl);
    s_el (self, "");
    s_el (self, "20");
    s_el (self, "1");
    s_end (self);
    if (!s_empty (billing->taxonomy)) {
        s_begin (self, "PRV");
        s_el (self, "BI");
        s_el (self, "PXC");
        s_el (self, billing->taxonomy);
        s_end (self);
    }
    s_provider_nm1 (self, "85", billing, "2");
    s_address (self, billing->address);
    //  The Claim keeps the tax id without its qualifier; an EIN is what
    //  billing groups use, and intake reads EI and SY alike.
    if (!s_empty (billing->tax_id)) {
        s_begin (self, "REF");
        s_el (self, "EI");
        s_el (self, billing->tax_id);
        s_end (self);
    }
}

//  2000B / 2010BA / 2010BB, and 2000C / 2010CA when the patient is not the
//  subscriber. Returns the next HL number.
static uint32_t
s_subscriber (s_out_t *self, const Claim *claim, uint32_t hl, uint32_t parent)
{
    const Subscriber *subscriber = claim->subscriber;
    const Patient *patient = claim->patient;
    uint32_t subscriber_hl = hl++;
    s_begin (self, "HL");
    s_elu (self, subscriber_hl);
    s_elu (self, parent);
    s_el (self, "22");
    s_el (self, patient? "1": "0");
    s_end (self);

    s_begin (self, "SBR");
    s_el (self, s_or (subscriber->payer_responsibility, "P"));
    s_el (self, subscriber->relationship);
    s_el (self, subscriber->group_number);
    s_el (self, subscriber->group_name);
    for (int i = 5; i <= 8; i++)
        s_el (self, "");
    s_el (self, subscriber->claim_filing_indicator);
    s_end (self);

    s_person_nm1 (self, "IL", subscriber->last_name, subscriber->first_name,
                  subscriber->middle_name, subscriber->suffix, subscriber->member_id);
    s_address (self, subscriber->address);
    s_dmg (self, subscriber->birth_date, subscriber->gender);

    s_begin (self, "NM1");
    s_el (self, "PR");
    s_el (self, "2");
    s_el (self, claim->payer->name);
    for (int i = 4; i <= 7; i++)
        s_el (self, "");
    s_el (self, "PI");
    s_el (self, claim->payer->payer_id);
    s_end (self);

    if (patient) {
        s_begin (self, "HL");
        s_elu (self, hl++);
        s_elu (self, subscriber_hl);
        s_el (self, "23");
        s_el (self, "0");
        s_end (self);
        s_begin (self, "PAT");
        s_el (self, patient->relationship);
        s_end (self);
        s_person_nm1 (self, "QC", patient->last_name, patient->first_name,
                      patient->middle_name, patient->suffix, NULL);
        s_address (self, patient->address);
        s_dmg (self, patient->birth_date, patient->gender);
    }
    return hl;
}

//  2300 with its 2310B / 2310C and 2400 loops.
static void
s_claim (s_out_t *self, const Claim *claim)
{
    s_begin (self, "CLM");
    s_el (self, claim->patient_control_number);
    s_money (self, claim->total_charge_cents);
    s_el (self, "");
    s_el (self, "");
    s_el (self, claim->place_of_service);
    s_comp (self, s_or (claim->facility_code_qualifier, "B"));
    s_comp (self, claim->frequency_code);
    //  CLM06-09: provider signature on file, assignment accepted, benefits
    //  assigned, release of information. The Claim does not carry them;
    //  intake accepts only claims that can be billed on assignment.
    s_el (self, "Y");
    s_el (self, "A");
    s_el (self, "Y");
    s_el (self, "Y");
    s_end (self);

    for (size_t i = 0; i < claim->n_dates; i++) {
        const ClaimDate *date = claim->dates [i];
        s_begin (self, "DTP");
        s_el (self, date->qualifier);
        s_date_period (self, date->date_from, date->date_to);
        s_end (self);
    }
    //  The guide orders 2300 REFs G1 before F8.
    if (!s_empty (claim->prior_authorization)) {
        s_begin (self, "REF");
        s_el (self, "G1");
        s_el (self, claim->prior_authorization);
        s_end (self);
    }
    if (!s_empty (claim->payer_claim_number)) {
        s_begin (self, "REF");
        s_el (self, "F8");
        s_el (self, claim->payer_claim_number);
        s_end (self);
    }
    if (claim->n_diagnoses) {
        s_begin (self, "HI");
        for (size_t i = 0; i < claim->n_diagnoses; i++) {
            const Diagnosis *dx = claim->diagnoses [i];
            //  ICD-10-CM: the first is the principal (ABK), the rest ABF.
            s_el (self, s_or (dx->qualifier, i == 0? "ABK": "ABF"));
            s_comp (self, dx->code);
        }
        s_end (self);
    }

    const Provider *rendering = claim->rendering_provider;
    if (rendering) {
        s_provider_nm1 (self, "82", rendering, "1");
        if (!s_empty (rendering->taxonomy)) {
            s_begin (self, "PRV");
            s_el (self, "PE");
            s_el (self, "PXC");
            s_el (self, rendering->taxonomy);
            s_end (self);
        }
    }
    const Provider *facility = claim->service_facility;
    if (facility) {
        s_provider_nm1 (self, "77", facility, "2");
        s_address (self, facility->address);
    }

    for (size_t i = 0; i < claim->n_lines; i++) {
        const ServiceLine *line = claim->lines [i];
        uint32_t lx = (uint32_t) i + 1;
        s_begin (self, "LX");
        s_elu (self, lx);
        s_end (self);

        s_begin (self, "SV1");
        s_el (self, s_or (line->procedure_qualifier, "HC"));
        s_comp (self, line->procedure_code);
        for (size_t m = 0; m < line->n_modifiers; m++)
            s_comp (self, line->modifiers [m]);
        s_money (self, line->charge_cents);
        s_el (self, s_or (line->unit_type, "UN"));
        //  units_milli is the number; the text as sent only stands in
        //  for a line built without it.
        char units [32];
        if (line->units_milli > 0)
            s_decimal (line->units_milli, 3, units, sizeof units);
        else {
            size_t len = strnlen (line->units, 30);
            memcpy (units, line->units, len);
            units [len] = 0;
        }
        s_el (self, units);
        s_el (self, line->place_of_service);
        s_el (self, "");
        for (size_t p = 0; p < line->n_diagnosis_pointers; p++) {
            char pointer [24];
            s_digits (line->diagnosis_pointers [p], pointer);
            if (p == 0)
                s_el (self, pointer);
            else
                s_comp (self, pointer);
        }
        s_end (self);

        if (!s_empty (line->service_date_from)) {
            s_begin (self, "DTP");
            s_el (self, "472");
            s_date_period (self, line->service_date_from, line->service_date_to);
            s_end (self);
        }
        char id [WRITE837_MAX_PCN + 16];
        write837_line_id (claim->patient_control_number, lx, id, sizeof id);
        s_begin (self, "REF");
        s_el (self, "6R");
        s_el (self, id);
        s_end (self);
    }
}


//  ---------------------------------------------------------------------
//  Checks a claim must pass before it is written

static const char *const s_frequencies [] = { "1", "7", "8" };

static int
s_check (const Claim *claim, const char *payer_id, char *error)
{
    const char *pcn = claim->patient_control_number;
    const char *reason = NULL;
    char detail [WRITE837_ERROR_SIZE];
    bool frequency_known = false;
    for (size_t i = 0; i < sizeof s_frequencies / sizeof s_frequencies [0]; i++)
        frequency_known |= strcmp (s_or (claim->frequency_code, ""), s_frequencies [i]) == 0;

    if (s_empty (pcn))
        reason = "no patient control number (CLM01)";
    else
    if (strlen (pcn) > WRITE837_MAX_PCN)
        reason = "patient control number longer than 38 characters";
    else
    if (!claim->payer || strcmp (s_or (claim->payer->payer_id, ""), payer_id) != 0) {
        snprintf (detail, sizeof detail, "payer '%.40s' is not the batch's payer '%.40s'",
                  claim->payer? claim->payer->payer_id: "", payer_id);
        reason = detail;
    }
    else
    if (!claim->billing_provider || s_empty (claim->billing_provider->name)
    ||  (s_empty (claim->billing_provider->npi) && s_empty (claim->billing_provider->id)))
        reason = "no billing provider name and NPI";
    else
    if (!claim->subscriber || s_empty (claim->subscriber->last_name))
        reason = "no subscriber";
    else
    if (s_empty (claim->place_of_service))
        reason = "no place of service (CLM05-1)";
    else
    if (!frequency_known) {
        snprintf (detail, sizeof detail, "frequency code '%.8s' is not 1, 7 or 8", claim->frequency_code);
        reason = detail;
    }
    else
    if (strcmp (claim->frequency_code, "1") != 0 && s_empty (claim->payer_claim_number))
        reason = "a replacement or void (frequency 7 / 8) needs the payer claim number (REF*F8)";
    else
    if (claim->n_lines == 0 || claim->n_lines > S_MAX_LINES)
        reason = "an 837P claim has 1 to 50 service lines";
    else
    if (claim->n_diagnoses > S_MAX_DIAGNOSES)
        reason = "more than 12 diagnoses";
    for (size_t i = 0; !reason && i < claim->n_lines; i++) {
        const ServiceLine *line = claim->lines [i];
        if (s_empty (line->procedure_code))
            snprintf (detail, sizeof detail, "line %zu has no procedure code", i + 1);
        else
        if (line->units_milli <= 0 && s_empty (line->units))
            snprintf (detail, sizeof detail, "line %zu has no units", i + 1);
        else
        if (line->n_modifiers > S_MAX_MODIFIERS)
            snprintf (detail, sizeof detail, "line %zu has more than 4 modifiers", i + 1);
        else
        if (line->n_diagnosis_pointers > S_MAX_POINTERS)
            snprintf (detail, sizeof detail, "line %zu has more than 4 diagnosis pointers", i + 1);
        else
            continue;
        reason = detail;
    }
    if (!reason)
        return 0;
    snprintf (error, WRITE837_ERROR_SIZE, "claim %.40s: %.200s", s_or (pcn, "(no PCN)"), reason);
    return -1;
}

int
write837_check (const Claim *claim, const char *payer_id, char *error)
{
    assert (claim && payer_id && error);
    if (s_check (claim, payer_id, error))
        return -1;
    //  A dry run finds what only writing finds (control characters): the
    //  loops are walked with every text checked as it would be written,
    //  and nothing is written (a buffer on the stack, then a 4 KB malloc
    //  per claim before it, were each a cost of the submit: issue 19).
    s_out_t out = { .error = error, .pcn = claim->patient_control_number, .dry = true };
    s_claim (&out, claim);
    s_subscriber (&out, claim, 1, 1);
    s_billing (&out, claim->billing_provider, 1);
    return out.failed? -1: 0;
}


//  ---------------------------------------------------------------------
//  The batch

//  Billing providers are the same 2000A when every field written there is:
//  those fields, in the order they sort by, are a provider's key. Each
//  claim's key is made once, not at each of the sort's ~12 comparisons a
//  claim (two 13-field arrays built a comparison were ~4 K instructions a
//  claim: issue 19).
#define S_KEY_FIELDS 13

static void
s_billing_key (const Provider *p, const char *key [S_KEY_FIELDS])
{
    const Address *a = p->address;
    const char *fields [S_KEY_FIELDS] = {
        p->npi, p->id, p->id_qualifier, p->name, p->first_name, p->entity_type, p->tax_id, p->taxonomy,
        a? a->line1: "", a? a->line2: "", a? a->city: "", a? a->state: "", a? a->postal_code: ""
    };
    for (size_t i = 0; i < S_KEY_FIELDS; i++)
        key [i] = s_or (fields [i], "");
}

static int
s_key_compare (const char *const *a, const char *const *b)
{
    for (size_t i = 0; i < S_KEY_FIELDS; i++) {
        int rc = strcmp (a [i], b [i]);
        if (rc)
            return rc;
    }
    return 0;
}

typedef struct {
    const Claim *claim;
    const char *const *key;     //  its billing provider's (S_KEY_FIELDS)
    size_t index;               //  the caller's order, to keep the sort stable
} s_entry_t;

static int
s_entry_compare (const void *a, const void *b)
{
    const s_entry_t *x = a, *y = b;
    int rc = s_key_compare (x->key, y->key);
    if (rc)
        return rc;
    return x->index < y->index? -1: x->index > y->index;
}

static void
s_st (s_out_t *self, const write837_header_t *header, uint32_t st02, const char *date, const char *time)
{
    char control [16];
    snprintf (control, sizeof control, "%04u", st02);
    self->segments = 0;
    s_begin (self, "ST");
    s_el (self, "837");
    s_el (self, control);
    s_el (self, "005010X222A1");
    s_end (self);
    s_begin (self, "BHT");
    s_el (self, "0019");
    s_el (self, "00");
    s_el (self, s_or (header->reference, control));
    s_el (self, date);
    s_el (self, time);
    s_el (self, "CH");
    s_end (self);

    const Provider *submitter = header->submitter;
    s_begin (self, "NM1");
    s_el (self, "41");
    s_el (self, s_or (submitter->entity_type, "2"));
    s_el (self, submitter->name);
    s_el (self, submitter->first_name);
    for (int i = 5; i <= 7; i++)
        s_el (self, "");
    s_el (self, s_or (submitter->id_qualifier, "46"));
    s_el (self, submitter->id);
    s_end (self);
    s_begin (self, "PER");
    s_el (self, "IC");
    s_el (self, header->contact_name);
    s_el (self, "TE");
    s_el (self, header->contact_phone);
    s_end (self);

    const Provider *receiver = header->receiver;
    s_begin (self, "NM1");
    s_el (self, "40");
    s_el (self, s_or (receiver->entity_type, "2"));
    s_el (self, receiver->name);
    for (int i = 4; i <= 7; i++)
        s_el (self, "");
    s_el (self, s_or (receiver->id_qualifier, "46"));
    s_el (self, receiver->id);
    s_end (self);
}

static void
s_se (s_out_t *self, uint32_t st02)
{
    s_begin (self, "SE");
    s_elf (self, "%zu", self->segments + 1);
    s_elf (self, "%04u", st02);
    s_end (self);
}

//  Picks the separators: for each, the first candidate that no data byte
//  uses and no earlier separator took. Returns 0 or -1.
static int
s_pick_separators (s_out_t *self, char chosen [4])
{
    for (int k = 0; k < 4; k++) {
        chosen [k] = 0;
        for (const char *c = s_candidates [k]; *c && !chosen [k]; c++) {
            bool taken = self->used [(unsigned char) *c];
            for (int j = 0; j < k; j++)
                taken |= chosen [j] == *c;
            if (!taken)
                chosen [k] = *c;
        }
        if (!chosen [k]) {
            s_fail (self, "the claims' data uses every candidate separator character");
            return -1;
        }
    }
    return 0;
}

//  Header values that go into fixed-width or numeric envelope fields.
static int
s_check_header (const write837_header_t *header, char *error)
{
    const char *reason = NULL;
    bool printable = true;
    const char *ids [] = { header->sender_id, header->receiver_id };
    for (size_t i = 0; i < 2; i++)
        for (const char *p = ids [i]? ids [i]: ""; *p; p++)
            printable &= (unsigned char) *p >= 0x20 && (unsigned char) *p < 0x7f;
    if (!printable)
        reason = "ISA06 / ISA08 ids hold a control character";
    else
    if (s_empty (header->sender_id) || strlen (header->sender_id) > 15
    ||  s_empty (header->receiver_id) || strlen (header->receiver_id) > 15)
        reason = "ISA06 / ISA08 sender and receiver ids must be 1 to 15 characters";
    else
    if (strlen (s_or (header->sender_qualifier, "ZZ")) != 2 || strlen (s_or (header->receiver_qualifier, "ZZ")) != 2)
        reason = "ISA05 / ISA07 qualifiers must be 2 characters";
    else
    if (header->interchange_control_number < 1 || header->interchange_control_number > 999999999)
        reason = "ISA13 interchange control number must be 1 to 999999999";
    else
    if (header->group_control_number < 1 || header->group_control_number > 999999999)
        reason = "GS06 group control number must be 1 to 999999999";
    else
    if (header->transaction_control_number < 1)
        reason = "ST02 transaction control number must be at least 1";
    else
    if (!header->submitter || s_empty (header->submitter->name) || s_empty (header->submitter->id)
    ||  !header->receiver || s_empty (header->receiver->name) || s_empty (header->receiver->id))
        reason = "1000A submitter and 1000B receiver need a name and an id";
    else
    if (s_empty (header->contact_name) || s_empty (header->contact_phone))
        reason = "1000A needs a contact name and phone (PER)";
    if (!reason)
        return 0;
    snprintf (error, WRITE837_ERROR_SIZE, "%s", reason);
    return -1;
}

char *
write837_batch (const write837_header_t *header, Claim *const *claims, size_t count,
                size_t *size, char *error)
{
    assert (header && header->payer_id && claims && count > 0 && size && error);
    *error = 0;
    if (s_check_header (header, error))
        return NULL;
    for (size_t i = 0; i < count; i++)
        if (s_check (claims [i], header->payer_id, error))
            return NULL;

    s_entry_t *order = malloc (count * sizeof *order);
    const char **keys = malloc (count * S_KEY_FIELDS * sizeof *keys);
    assert (order && keys);
    for (size_t i = 0; i < count; i++) {
        s_billing_key (claims [i]->billing_provider, keys + i * S_KEY_FIELDS);
        order [i] = (s_entry_t) { claims [i], keys + i * S_KEY_FIELDS, i };
    }
    qsort (order, count, sizeof *order, s_entry_compare);

    time_t seconds = (time_t) (header->now_ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    char date [16], short_date [16], time [8];
    strftime (date, sizeof date, "%Y%m%d", &tm);
    strftime (short_date, sizeof short_date, "%y%m%d", &tm);
    strftime (time, sizeof time, "%H%M", &tm);

    s_out_t out = { .error = error };
    s_out_t *self = &out;

    //  ISA: fixed widths, so it is formatted whole; the separators in it
    //  are the stand-ins, replaced with the rest at the end.
    char sender [16], receiver [16], control [16];
    snprintf (sender, sizeof sender, "%-15s", header->sender_id);
    snprintf (receiver, sizeof receiver, "%-15s", header->receiver_id);
    snprintf (control, sizeof control, "%09u", header->interchange_control_number);
    const char repetition [] = { S_REPETITION, 0 }, component [] = { S_COMPONENT, 0 };
    const char *isa_elements [16] = {
        "00", "          ", "00", "          ",
        s_or (header->sender_qualifier, "ZZ"), sender, s_or (header->receiver_qualifier, "ZZ"), receiver,
        short_date, time, repetition, "00501", control,
        header->ack_requested? "1": "0", header->test? "T": "P", component
    };
    char isa [128] = "ISA";
    for (size_t i = 0; i < 16; i++) {
        size_t len = strlen (isa);
        isa [len] = S_ELEMENT;
        snprintf (isa + len + 1, sizeof isa - len - 1, "%s", isa_elements [i]);
    }
    isa [strlen (isa) + 1] = 0;
    isa [strlen (isa)] = S_TERMINATOR;
    assert (strlen (isa) == 106);
    //  The ids are data too: a separator must not occur in them.
    for (const char *p = header->sender_id; *p; p++)
        self->used [(unsigned char) *p] = true;
    for (const char *p = header->receiver_id; *p; p++)
        self->used [(unsigned char) *p] = true;
    s_raw (self, isa, strlen (isa));
    self->all_segments++;       //  the ISA's terminator, written with it

    s_begin (self, "GS");
    s_el (self, "HC");
    s_el (self, s_or (header->application_sender, header->sender_id));
    s_el (self, s_or (header->application_receiver, header->receiver_id));
    s_el (self, date);
    s_el (self, time);
    s_elu (self, header->group_control_number);
    s_el (self, "X");
    s_el (self, "005010X222A1");
    s_end (self);

    size_t per_set = header->claims_per_set? header->claims_per_set: WRITE837_MAX_CLAIMS_PER_SET;
    if (per_set > WRITE837_MAX_CLAIMS_PER_SET)
        per_set = WRITE837_MAX_CLAIMS_PER_SET;
    uint32_t sets = 0;
    for (size_t first = 0; first < count && !self->failed; first += per_set) {
        uint32_t st02 = header->transaction_control_number + sets++;
        s_st (self, header, st02, date, time);
        size_t last = first + per_set < count? first + per_set: count;
        uint32_t hl = 1, billing_hl = 0;
        const char *const *billing = NULL;
        for (size_t i = first; i < last && !self->failed; i++) {
            const Claim *claim = order [i].claim;
            self->pcn = claim->patient_control_number;
            if (!billing || s_key_compare (billing, order [i].key) != 0) {
                billing = order [i].key;
                billing_hl = hl++;
                s_billing (self, claim->billing_provider, billing_hl);
            }
            hl = s_subscriber (self, claim, hl, billing_hl);
            s_claim (self, claim);
        }
        self->pcn = NULL;
        s_se (self, st02);
    }
    s_begin (self, "GE");
    s_elu (self, sets);
    s_elu (self, header->group_control_number);
    s_end (self);
    s_begin (self, "IEA");
    s_el (self, "1");
    s_elf (self, "%09u", header->interchange_control_number);
    s_end (self);
    free (order);
    free (keys);

    char chosen [4];
    if (self->failed || s_pick_separators (self, chosen)) {
        free (self->data);
        return NULL;
    }
    //  Put the real separators in, with a newline after each terminator
    //  when asked (one more pass, into a new buffer when it grows).
    size_t length = self->size + (header->newline? self->all_segments: 0);
    char *text = malloc (length + 1);
    assert (text);
    size_t at = 0;
    for (size_t i = 0; i < self->size; i++) {
        char c = self->data [i];
        if ((unsigned char) c >= 0x20) {
            text [at++] = c;    //  data: no control byte but the stand-ins
            continue;
        }
        switch (c) {
            case S_ELEMENT:    text [at++] = chosen [0]; break;
            case S_COMPONENT:  text [at++] = chosen [1]; break;
            case S_REPETITION: text [at++] = chosen [2]; break;
            case S_TERMINATOR:
                text [at++] = chosen [3];
                if (header->newline)
                    text [at++] = '\n';
                break;
            default:           text [at++] = c;
        }
    }
    assert (at == length);
    text [at] = 0;
    free (self->data);
    *size = length;
    return text;
}
