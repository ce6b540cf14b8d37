/*  mask: see mask.h. The table below is the whole minimum-necessary
    policy: reading a row is reading what that role sees of a patient.
    Internal staff bill and call payers, so they see the patient; vendor
    staff work the same claims with masked fields; leaders read figures
    and services move bytes, so they see none.
*/
#include "mask.h"
#include "access.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *role;
    mask_form_t forms [MASK_FIELD_COUNT];   //  name, DOB, address, member id
} s_row_t;

#define S_ALL(form) { form, form, form, form }
static const s_row_t s_rows [] = {
    { "admin",           S_ALL (MASK_FULL) },
    { "compliance",      S_ALL (MASK_FULL) },
    { "leader",          S_ALL (MASK_NONE) },
    { "internal-lead",   S_ALL (MASK_FULL) },
    { "internal-biller", S_ALL (MASK_FULL) },
    { "vendor-lead",     S_ALL (MASK_MASKED) },
    { "vendor-agent",    S_ALL (MASK_MASKED) },
    { "service",         S_ALL (MASK_NONE) },
};

static const char *s_field_names [MASK_FIELD_COUNT] = { "name", "dob", "address", "member_id" };
static const char *s_form_names [] = { "none", "masked", "full" };

const char *
mask_field_name (mask_field_t field)
{
    return (unsigned) field < MASK_FIELD_COUNT? s_field_names [field]: "unknown";
}

const char *
mask_form_name (mask_form_t form)
{
    return (unsigned) form <= MASK_FULL? s_form_names [form]: "unknown";
}

bool
mask_unmask_allowed (const char *role, bool breakglass)
{
    return breakglass || access_allows (role, "phi.unmask");
}

mask_form_t
mask_form (const char *role, mask_field_t field, bool unmask, unsigned needed)
{
    if ((unsigned) field >= MASK_FIELD_COUNT || !access_allows (role, "phi.read"))
        return MASK_NONE;
    for (size_t i = 0; i < sizeof s_rows / sizeof s_rows [0]; i++) {
        if (strcmp (s_rows [i].role, role) != 0)
            continue;
        mask_form_t form = s_rows [i].forms [field];
        if (form == MASK_MASKED && (unmask || (needed & MASK_NEED (field))))
            form = MASK_FULL;
        return form;
    }
    return MASK_NONE;
}

//  Copies text upper-cased, blanks at either end trimmed, into out.
static void
s_upper_trimmed (const char *text, size_t length, char *out, size_t size)
{
    while (length && isspace ((unsigned char) *text)) {
        text++;
        length--;
    }
    while (length && isspace ((unsigned char) text [length - 1]))
        length--;
    size_t n = 0;
    for (; n < length && n + 1 < size; n++)
        out [n] = (char) toupper ((unsigned char) text [n]);
    out [n] = 0;
}

char *
mask_name (const char *first, const char *last, char *out, size_t size)
{
    char initial = 0;
    for (const char *c = first? first: ""; *c && !initial; c++)
        if (isalpha ((unsigned char) *c))
            initial = (char) toupper ((unsigned char) *c);
    char surname [128];
    s_upper_trimmed (last? last: "", last? strlen (last): 0, surname, sizeof surname);
    if (initial && *surname)
        snprintf (out, size, "%c. %s", initial, surname);
    else
    if (initial)
        snprintf (out, size, "%c.", initial);
    else
        snprintf (out, size, "%s", surname);
    return out;
}

char *
mask_full_name (const char *name, char *out, size_t size)
{
    name = name? name: "";
    char first [128] = "", last [128] = "";
    const char *comma = strchr (name, ',');
    if (comma) {
        //  "LAST, FIRST [MIDDLE]"
        s_upper_trimmed (name, (size_t) (comma - name), last, sizeof last);
        s_upper_trimmed (comma + 1, strlen (comma + 1), first, sizeof first);
    }
    else {
        //  "FIRST [MIDDLE] LAST": the last word is the last name.
        size_t length = strlen (name);
        while (length && isspace ((unsigned char) name [length - 1]))
            length--;
        size_t start = length;
        while (start && !isspace ((unsigned char) name [start - 1]))
            start--;
        s_upper_trimmed (name + start, length - start, last, sizeof last);
        s_upper_trimmed (name, start, first, sizeof first);
    }
    return mask_name (first, last, out, size);
}

static bool
s_digits (const char *text, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!isdigit ((unsigned char) text [i]))
            return false;
    return true;
}

char *
mask_dob (const char *dob, char *out, size_t size)
{
    const char *year = NULL;
    size_t length = dob? strlen (dob): 0;
    if ((length == 8 && s_digits (dob, 8))                          //  CCYYMMDD
    ||  (length == 4 && s_digits (dob, 4))                          //  YYYY
    ||  (length == 10 && s_digits (dob, 4) && dob [4] == '-'        //  YYYY-MM-DD
         && s_digits (dob + 5, 2) && dob [7] == '-' && s_digits (dob + 8, 2)))
        year = dob;
    else
    if (length == 10 && s_digits (dob, 2) && dob [2] == '/'         //  MM/DD/YYYY
    &&  s_digits (dob + 3, 2) && dob [5] == '/' && s_digits (dob + 6, 4))
        year = dob + 6;
    snprintf (out, size, "%.*s", year? 4: 0, year? year: "");
    return out;
}

char *
mask_member_id (const char *member_id, char *out, size_t size)
{
    char kept [5] = "";
    size_t seen = 0;
    const char *text = member_id? member_id: "";
    //  The last four letters or digits, read from the end.
    for (size_t i = strlen (text); i > 0; i--)
        if (isalnum ((unsigned char) text [i - 1])) {
            if (seen < 4) {
                memmove (kept + 1, kept, 4);
                kept [0] = (char) toupper ((unsigned char) text [i - 1]);
            }
            seen++;
        }
    if (seen == 0)
        snprintf (out, size, "%s", "");
    else
        snprintf (out, size, "****%s", seen > 4? kept: "");
    return out;
}

char *
mask_state (const char *state, char *out, size_t size)
{
    char trimmed [8];
    s_upper_trimmed (state? state: "", state? strlen (state): 0, trimmed, sizeof trimmed);
    bool ok = strlen (trimmed) == 2 && isalpha ((unsigned char) trimmed [0])
           && isalpha ((unsigned char) trimmed [1]);
    snprintf (out, size, "%s", ok? trimmed: "");
    return out;
}

//  Appends part to out (used bytes in *used), after sep when out holds
//  something already; a blank part adds nothing.
static void
s_append (char *out, size_t size, size_t *used, const char *sep, const char *part)
{
    if (!part || !*part || *used >= size)
        return;
    int n = snprintf (out + *used, size - *used, "%s%s", *used? sep: "", part);
    *used += n > 0? (size_t) n: 0;
    if (*used >= size)
        *used = size - 1;
}

char *
mask_name_text (const char *last, const char *first, const char *middle, const char *suffix,
                char *out, size_t size)
{
    //  "LAST, FIRST MIDDLE SUFFIX": the comma tells mask_full_name which
    //  part is the last name, so "SMITH, ANN Q JR" masks to "A. SMITH".
    char given [256] = "";
    size_t used = 0;
    s_append (given, sizeof given, &used, " ", first);
    s_append (given, sizeof given, &used, " ", middle);
    s_append (given, sizeof given, &used, " ", suffix);
    if (last && *last && *given)
        snprintf (out, size, "%s, %s", last, given);
    else
        snprintf (out, size, "%s", last && *last? last: given);
    return out;
}

char *
mask_address_text (const Address *address, char *out, size_t size)
{
    *out = 0;
    if (!address)
        return out;
    char region [64] = "";
    size_t used = 0;
    s_append (region, sizeof region, &used, " ", address->state);
    s_append (region, sizeof region, &used, " ", address->postal_code);
    used = 0;
    s_append (out, size, &used, ", ", address->line1);
    s_append (out, size, &used, ", ", address->line2);
    s_append (out, size, &used, ", ", address->city);
    s_append (out, size, &used, ", ", region);
    return out;
}

char *
mask_address_state (const char *text, char *out, size_t size)
{
    //  The last part: after the last comma, or the whole text.
    const char *comma = text? strrchr (text, ','): NULL;
    const char *part = comma? comma + 1: text? text: "";
    while (isspace ((unsigned char) *part))
        part++;
    //  Two letters, then nothing or one postal code (letters, digits, '-').
    bool ok = isalpha ((unsigned char) part [0]) && isalpha ((unsigned char) part [1])
           && (part [2] == 0 || part [2] == ' ');
    if (ok && part [2] == ' ') {
        //  A postal code has a digit: "ST LOUIS" (a city, no state) is not
        //  the state "ST".
        bool digit = false;
        for (const char *code = part + 3; *code; code++) {
            if (!isalnum ((unsigned char) *code) && *code != '-')
                ok = false;
            digit = digit || isdigit ((unsigned char) *code);
        }
        ok = ok && digit;
    }
    char state [3] = { ok? part [0]: 0, ok? part [1]: 0, 0 };
    return mask_state (state, out, size);
}

char *
mask_text (mask_field_t field, const char *plain, char *out, size_t size)
{
    switch (field) {
        case MASK_FIELD_NAME:      return mask_full_name (plain, out, size);
        case MASK_FIELD_DOB:       return mask_dob (plain, out, size);
        case MASK_FIELD_ADDRESS:   return mask_address_state (plain, out, size);
        case MASK_FIELD_MEMBER_ID: return mask_member_id (plain, out, size);
        default:                   break;
    }
    snprintf (out, size, "%s", "");
    return out;
}

//  ------------------------------------------------------------------------
//  Claims

//  Replaces a string of an owned message (protobuf-c's shared empty
//  string is never freed).
static void
s_set (char **field, const char *value)
{
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    *field = strdup (value);
}

static void
s_names (char **first, char **middle, char **last, char **suffix, mask_form_t form)
{
    if (form == MASK_FULL)
        return;
    char surname [128] = "";
    char initial [4] = "";
    if (form == MASK_MASKED) {
        //  The masked name is the initial and the last name; kept in the
        //  fields they came from, so "first last" prints "A. SMITH".
        mask_name (*first, "", initial, sizeof initial);
        mask_name ("", *last, surname, sizeof surname);
    }
    s_set (first, initial);
    s_set (last, surname);
    s_set (middle, "");
    s_set (suffix, "");
}

static void
s_text (char **field, mask_form_t form, char *(*masker) (const char *, char *, size_t))
{
    if (form == MASK_FULL)
        return;
    char masked [64] = "";
    if (form == MASK_MASKED)
        masker (*field, masked, sizeof masked);
    s_set (field, masked);
}

static void
s_address (Address **address, mask_form_t form)
{
    if (form == MASK_FULL || !*address)
        return;
    char state [8] = "";
    if (form == MASK_MASKED)
        mask_state ((*address)->state, state, sizeof state);
    address__free_unpacked (*address, NULL);
    *address = NULL;
    if (*state) {
        *address = (Address *) malloc (sizeof (Address));
        address__init (*address);
        (*address)->state = strdup (state);
    }
}

void
mask_claim (Claim *claim, const char *role, bool unmask, unsigned needed)
{
    mask_form_t forms [MASK_FIELD_COUNT];
    for (int field = 0; field < MASK_FIELD_COUNT; field++)
        forms [field] = mask_form (role, (mask_field_t) field, unmask, needed);
    Subscriber *subscriber = claim->subscriber;
    if (subscriber) {
        s_names (&subscriber->first_name, &subscriber->middle_name, &subscriber->last_name,
                 &subscriber->suffix, forms [MASK_FIELD_NAME]);
        s_text (&subscriber->birth_date, forms [MASK_FIELD_DOB], mask_dob);
        s_text (&subscriber->member_id, forms [MASK_FIELD_MEMBER_ID], mask_member_id);
        s_address (&subscriber->address, forms [MASK_FIELD_ADDRESS]);
    }
    Patient *patient = claim->patient;
    if (patient) {
        s_names (&patient->first_name, &patient->middle_name, &patient->last_name,
                 &patient->suffix, forms [MASK_FIELD_NAME]);
        s_text (&patient->birth_date, forms [MASK_FIELD_DOB], mask_dob);
        s_address (&patient->address, forms [MASK_FIELD_ADDRESS]);
    }
}
