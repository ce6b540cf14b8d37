/*  letter: see letter.h. The fields are one table: name, and what it
    writes for a denial. Lines and reasons are multi-line fields; the rest
    are one line. Amounts are dollars with cents, dates as the denial
    keeps them (YYYY-MM-DD, or the 835's CCYYMMDD made so).
*/
#include "letter.h"
#include "carc.h"
#include <czmq.h>

const char *const letter_default_template =
    "{{date}}\n"
    "\n"
    "To: {{payer_name}} (payer id {{payer_id}})\n"
    "Re: Request for reconsideration (appeal level {{appeal_level}})\n"
    "    Claim (patient control number) {{pcn}}\n"
    "    Payer claim number {{payer_claim_number}}\n"
    "    Provider {{provider_name}} (NPI {{provider_id}})\n"
    "    Dates of service {{dates_of_service}}\n"
    "    Remittance {{remit_trace}} dated {{remit_date}}\n"
    "    Amount denied ${{denied_amount}}\n"
    "\n"
    "We ask you to reconsider the denial of this claim. The remittance advice gave:\n"
    "{{reasons}}\n"
    "\n"
    "Service lines:\n"
    "{{lines}}\n"
    "\n"
    "Why the claim should be paid:\n"
    "{{reason}}\n"
    "\n"
    "This appeal is filed before the appeal deadline of {{appeal_deadline}}. Please\n"
    "reprocess the claim and pay the amount denied.\n"
    "\n"
    "Sincerely,\n"
    "{{biller}}\n"
    "(rcmq denial {{denial_id}})\n";

typedef void (s_field_fn) (zchunk_t *out, const DenialItem *item, const letter_context_t *context);

static void
s_text (zchunk_t *out, const char *text)
{
    zchunk_extend (out, text, strlen (text));
}

static void
s_dollars (zchunk_t *out, int64_t cents)
{
    char buf [32];
    snprintf (buf, sizeof buf, "%s%lld.%02lld", cents < 0? "-": "", llabs ((long long) cents) / 100,
              llabs ((long long) cents) % 100);
    s_text (out, buf);
}

//  CCYYMMDD as YYYY-MM-DD; anything else as it is.
static void
s_date (zchunk_t *out, const char *date)
{
    char buf [16];
    if (strlen (date) == 8 && strspn (date, "0123456789") == 8)
        snprintf (buf, sizeof buf, "%.4s-%.2s-%.2s", date, date + 4, date + 6);
    else
        snprintf (buf, sizeof buf, "%s", date);
    s_text (out, buf);
}

static const char *
s_dims (const DenialItem *item, size_t offset)
{
    if (!item->dims)
        return "";
    const char *value = *(const char *const *) ((const char *) item->dims + offset);
    return value? value: "";
}

static void s_f_date (zchunk_t *o, const DenialItem *i, const letter_context_t *c)     { (void) i; s_text (o, c->date); }
static void s_f_reason (zchunk_t *o, const DenialItem *i, const letter_context_t *c)   { (void) i; s_text (o, c->reason); }
static void s_f_biller (zchunk_t *o, const DenialItem *i, const letter_context_t *c)   { (void) i; s_text (o, c->biller); }
static void s_f_denial (zchunk_t *o, const DenialItem *i, const letter_context_t *c)   { (void) c; s_text (o, i->id); }
static void s_f_pcn (zchunk_t *o, const DenialItem *i, const letter_context_t *c)      { (void) c; s_text (o, i->pcn); }
static void s_f_claim_id (zchunk_t *o, const DenialItem *i, const letter_context_t *c) { (void) c; s_text (o, i->claim_id); }
static void s_f_payer_id (zchunk_t *o, const DenialItem *i, const letter_context_t *c) { (void) c; s_text (o, i->payer_id); }
static void s_f_icn (zchunk_t *o, const DenialItem *i, const letter_context_t *c)      { (void) c; s_text (o, *i->payer_claim_number? i->payer_claim_number: "(none)"); }
static void s_f_trace (zchunk_t *o, const DenialItem *i, const letter_context_t *c)    { (void) c; s_text (o, i->remit_trace); }
static void s_f_remit (zchunk_t *o, const DenialItem *i, const letter_context_t *c)    { (void) c; s_date (o, i->remit_date); }
static void s_f_deadline (zchunk_t *o, const DenialItem *i, const letter_context_t *c) { (void) c; s_text (o, i->appeal_deadline); }
static void s_f_amount (zchunk_t *o, const DenialItem *i, const letter_context_t *c)   { (void) c; s_dollars (o, i->denied_cents - i->recovered_cents); }
static void s_f_carc (zchunk_t *o, const DenialItem *i, const letter_context_t *c)     { (void) c; s_text (o, i->carc); }
static void s_f_group (zchunk_t *o, const DenialItem *i, const letter_context_t *c)    { (void) c; s_text (o, i->group); }
static void s_f_rarc (zchunk_t *o, const DenialItem *i, const letter_context_t *c)     { (void) c; s_text (o, i->rarc); }
static void s_f_category (zchunk_t *o, const DenialItem *i, const letter_context_t *c) { (void) c; s_text (o, i->category); }

static void
s_f_level (zchunk_t *out, const DenialItem *item, const letter_context_t *context)
{
    (void) context;
    char buf [16];
    snprintf (buf, sizeof buf, "%u", item->appeal_level? item->appeal_level: 1);
    s_text (out, buf);
}

static void
s_f_carc_text (zchunk_t *out, const DenialItem *item, const letter_context_t *context)
{
    (void) context;
    const char *text = carc_description (item->carc);
    s_text (out, text? text: "(no description)");
}

static void s_f_payer_name (zchunk_t *o, const DenialItem *i, const letter_context_t *c)
{
    (void) c;
    const char *name = s_dims (i, offsetof (ClaimDimensions, payer_name));
    s_text (o, *name? name: i->payer_id);
}
static void s_f_provider (zchunk_t *o, const DenialItem *i, const letter_context_t *c)
{ (void) c; s_text (o, s_dims (i, offsetof (ClaimDimensions, provider_name))); }
static void s_f_provider_id (zchunk_t *o, const DenialItem *i, const letter_context_t *c)
{ (void) c; s_text (o, s_dims (i, offsetof (ClaimDimensions, provider_id))); }

//  The lines' dates, first to last; else the claim's date of service.
static void
s_f_dates (zchunk_t *out, const DenialItem *item, const letter_context_t *context)
{
    (void) context;
    const char *first = NULL, *last = NULL;
    for (size_t i = 0; i < item->n_services; i++) {
        const char *date = item->services [i]->service_date;
        if (!*date)
            continue;
        if (!first || strcmp (date, first) < 0)
            first = date;
        if (!last || strcmp (date, last) > 0)
            last = date;
    }
    if (!first) {
        s_date (out, *item->date_of_service? item->date_of_service: "(not given)");
        return;
    }
    s_date (out, first);
    if (strcmp (first, last)) {
        s_text (out, " to ");
        s_date (out, last);
    }
}

static void
s_f_lines (zchunk_t *out, const DenialItem *item, const letter_context_t *context)
{
    (void) context;
    if (!item->n_services)
        s_text (out, "  (the remittance listed no service lines)");
    for (size_t i = 0; i < item->n_services; i++) {
        const RemitLine *line = item->services [i];
        char head [128];
        snprintf (head, sizeof head, "%s  line %u  %s", i? "\n": "", line->matched_line_number? line->matched_line_number:
                  (unsigned) (i + 1), line->procedure_code);
        s_text (out, head);
        for (size_t m = 0; m < line->n_modifiers; m++) {
            s_text (out, m? ",": "-");
            s_text (out, line->modifiers [m]);
        }
        s_text (out, "  ");
        s_date (out, line->service_date);
        s_text (out, "  charged $");
        s_dollars (out, line->charge_cents);
        s_text (out, "  paid $");
        s_dollars (out, line->paid_cents);
    }
}

static void
s_f_reasons (zchunk_t *out, const DenialItem *item, const letter_context_t *context)
{
    (void) context;
    if (!item->n_reasons) {
        char buf [200];
        snprintf (buf, sizeof buf, "  %s %s (%s)", streq (item->kind, "rejection")? "claim rejected, status": "status",
                  item->status_code, item->category);
        s_text (out, buf);
    }
    for (size_t i = 0; i < item->n_reasons; i++) {
        const DenialReason *reason = item->reasons [i];
        const char *text = carc_description (reason->carc);
        char where [32], head [300];
        if (reason->line_number)
            snprintf (where, sizeof where, "line %u", reason->line_number);
        else
            snprintf (where, sizeof where, "claim");
        snprintf (head, sizeof head, "%s  %s %s-%s %s: $", i? "\n": "", where, reason->group, reason->carc,
                  text? text: "(no description)");
        s_text (out, head);
        s_dollars (out, reason->amount_cents);
        for (size_t r = 0; r < reason->n_rarcs; r++) {
            s_text (out, r? ", ": "  remark ");
            s_text (out, reason->rarcs [r]);
        }
    }
}

//  One row a document: "  - ID"; "  (none)" without any.
static void
s_f_enclosures (zchunk_t *out, const DenialItem *item, const letter_context_t *context)
{
    (void) item;
    for (size_t i = 0; i < context->n_documents; i++) {
        s_text (out, i? "\n  - ": "  - ");
        s_text (out, context->documents [i]);
    }
    if (!context->n_documents)
        s_text (out, "  (none)");
}

static const struct {
    const char *name;
    s_field_fn *write;
} s_fields [] = {
    { "date",               s_f_date },
    { "denial_id",          s_f_denial },
    { "pcn",                s_f_pcn },
    { "claim_id",           s_f_claim_id },
    { "payer_id",           s_f_payer_id },
    { "payer_name",         s_f_payer_name },
    { "payer_claim_number", s_f_icn },
    { "provider_name",      s_f_provider },
    { "provider_id",        s_f_provider_id },
    { "dates_of_service",   s_f_dates },
    { "lines",              s_f_lines },
    { "reasons",            s_f_reasons },
    { "group",              s_f_group },
    { "carc",               s_f_carc },
    { "carc_text",          s_f_carc_text },
    { "rarc",               s_f_rarc },
    { "category",           s_f_category },
    { "denied_amount",      s_f_amount },
    { "remit_trace",        s_f_trace },
    { "remit_date",         s_f_remit },
    { "appeal_deadline",    s_f_deadline },
    { "appeal_level",       s_f_level },
    { "reason",             s_f_reason },
    { "biller",             s_f_biller },
    { "enclosures",         s_f_enclosures },
};
#define FIELDS (sizeof s_fields / sizeof s_fields [0])

void
letter_fields (char *out, size_t size)
{
    *out = 0;
    for (size_t i = 0; i < FIELDS; i++)
        snprintf (out + strlen (out), size - strlen (out), "%s%s", i? ", ": "", s_fields [i].name);
}

bool
letter_document_ok (const char *id)
{
    size_t length = strlen (id);
    return length > 0 && length <= 64
        && strspn (id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/") == length;
}

bool
letter_name_ok (const char *name)
{
    size_t length = strlen (name);
    return length > 0 && length <= 64
        && strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == length;
}

char *
letter_render (const char *name, const char *text, const DenialItem *item, const letter_context_t *context,
               char *error, size_t size)
{
    zchunk_t *out = zchunk_new (NULL, 0);
    const char *at = text;
    int line = 1;
    bool enclosed = false;
    while (*at) {
        const char *open = strstr (at, "{{");
        const char *upto = open? open: at + strlen (at);
        for (const char *c = at; c < upto; c++)
            line += *c == '\n';
        zchunk_extend (out, at, (size_t) (upto - at));
        if (!open)
            break;
        const char *close = strstr (open + 2, "}}");
        const char *newline = strchr (open + 2, '\n');
        if (!close || (newline && newline < close)) {
            snprintf (error, size, "template %s, line %d: '{{' without '}}' on the same line", name, line);
            zchunk_destroy (&out);
            return NULL;
        }
        char field [64];
        snprintf (field, sizeof field, "%.*s", (int) (close - open - 2), open + 2);
        size_t i = 0;
        while (i < FIELDS && !streq (s_fields [i].name, field))
            i++;
        if (i == FIELDS) {
            char names [512];
            letter_fields (names, sizeof names);
            snprintf (error, size, "template %s, line %d: no field '%s' (fields: %s)", name, line, field, names);
            zchunk_destroy (&out);
            return NULL;
        }
        s_fields [i].write (out, item, context);
        enclosed = enclosed || streq (field, "enclosures");
        at = close + 2;
    }
    if (context->n_documents && !enclosed) {
        if (zchunk_size (out) && zchunk_data (out) [zchunk_size (out) - 1] != '\n')
            s_text (out, "\n");
        s_text (out, "\nEnclosures:\n");
        s_f_enclosures (out, item, context);
        s_text (out, "\n");
    }
    char *letter = (char *) malloc (zchunk_size (out) + 1);
    memcpy (letter, zchunk_data (out), zchunk_size (out));
    letter [zchunk_size (out)] = 0;
    zchunk_destroy (&out);
    return letter;
}
