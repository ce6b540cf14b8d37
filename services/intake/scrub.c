/*  scrub: runs the rule table of scrub_rules.c over a claim and holds the
    timely filing configuration (see scrub.h).

    A check function sees a s_scrub_ctx_t: the claim, "today" in days and
    the scrubber; it reports through scrub_ctx_report, which adds a finding
    with the rule's id and severity, the precise field and the rule's
    message with a detail.
*/
#include "scrub.h"
#include "scrub_rules.h"
#include "text.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *payer_id;
    uint32_t days;
} s_window_t;

struct _scrub_t {
    uint32_t default_days;
    s_window_t *windows;        //  per payer, few: a linear search is fine
    size_t n_windows;
};

scrub_t *
scrub_new (void)
{
    scrub_t *self = calloc (1, sizeof *self);
    assert (self);
    self->default_days = SCRUB_DEFAULT_FILING_DAYS;
    return self;
}

void
scrub_destroy (scrub_t **self_p)
{
    assert (self_p);
    scrub_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->n_windows; i++)
            free (self->windows [i].payer_id);
        free (self->windows);
        free (self);
        *self_p = NULL;
    }
}

void
scrub_set_default_filing_days (scrub_t *self, uint32_t days)
{
    assert (self);
    self->default_days = days;
}

void
scrub_set_payer_filing_days (scrub_t *self, const char *payer_id, uint32_t days)
{
    assert (self);
    assert (payer_id && *payer_id);
    for (size_t i = 0; i < self->n_windows; i++)
        if (strcmp (self->windows [i].payer_id, payer_id) == 0) {
            self->windows [i].days = days;
            return;
        }
    self->windows = realloc (self->windows, (self->n_windows + 1) * sizeof (s_window_t));
    assert (self->windows);
    self->windows [self->n_windows].payer_id = strdup (payer_id);
    assert (self->windows [self->n_windows].payer_id);
    self->windows [self->n_windows].days = days;
    self->n_windows++;
}

uint32_t
scrub_filing_days (scrub_t *self, const char *payer_id)
{
    assert (self);
    for (size_t i = 0; payer_id && i < self->n_windows; i++)
        if (strcmp (self->windows [i].payer_id, payer_id) == 0)
            return self->windows [i].days;
    return self->default_days;
}


//  ---------------------------------------------------------------------
//  Findings

//  A message may quote what the sender sent (a code, an amount): any
//  control character or invalid UTF-8 in it is escaped here, so no finding
//  carries bytes that a terminal would obey or JSON could not hold.
static ScrubFinding *
s_finding_new (const char *rule_id, Severity severity, const char *field, const char *message)
{
    ScrubFinding *finding = malloc (sizeof *finding);
    assert (finding);
    scrub_finding__init (finding);
    finding->rule_id = strdup (rule_id);
    finding->field = strdup (field);
    finding->message = text_escape (message, false);
    assert (finding->rule_id && finding->field && finding->message);
    finding->severity = severity;
    return finding;
}

static void
s_add (ScrubResult *result, ScrubFinding *finding)
{
    result->findings = realloc (result->findings, (result->n_findings + 1) * sizeof (ScrubFinding *));
    assert (result->findings);
    result->findings [result->n_findings++] = finding;
    if (finding->severity == SEVERITY__SEVERITY_ERROR)
        result->errors++;
    else
        result->warnings++;
}

void
scrub_ctx_report (scrub_ctx_t *ctx, const char *field, const char *format, ...)
{
    char detail [200] = "";
    if (format) {
        va_list args;
        va_start (args, format);
        vsnprintf (detail, sizeof detail, format, args);
        va_end (args);
    }
    char message [320];
    if (*detail)
        snprintf (message, sizeof message, "%s: %s", ctx->rule->message, detail);
    else
        snprintf (message, sizeof message, "%s", ctx->rule->message);
    s_add (ctx->result, s_finding_new (ctx->rule->rule_id, ctx->rule->severity,
                                       field? field: ctx->rule->field, message));
}

uint32_t
scrub_ctx_filing_days (scrub_ctx_t *ctx, const char *payer_id)
{
    return scrub_filing_days (ctx->scrub, payer_id);
}

ScrubResult *
scrub_claim (scrub_t *self, const Claim *claim, uint64_t now_ms)
{
    assert (self);
    assert (claim);
    ScrubResult *result = malloc (sizeof *result);
    assert (result);
    scrub_result__init (result);
    for (size_t i = 0; i < claim->n_parse_findings; i++) {
        const ScrubFinding *found = claim->parse_findings [i];
        s_add (result, s_finding_new (found->rule_id, found->severity, found->field, found->message));
    }
    scrub_ctx_t ctx = {
        .scrub = self,
        .claim = claim,
        .today = (int64_t) (now_ms / 86400000ULL),
        .result = result
    };
    for (size_t i = 0; i < scrub_rules_size; i++) {
        ctx.rule = &scrub_rules [i].rule;
        scrub_rules [i].check (&ctx);
    }
    result->accepted = result->errors == 0;
    return result;
}

size_t
scrub_rule_count (void)
{
    return scrub_rules_size;
}

const scrub_rule_t *
scrub_rule (size_t index)
{
    return index < scrub_rules_size? &scrub_rules [index].rule: NULL;
}

const scrub_rule_t *
scrub_rule_find (const char *rule_id)
{
    assert (rule_id);
    for (size_t i = 0; i < scrub_rules_size; i++)
        if (strcmp (scrub_rules [i].rule.rule_id, rule_id) == 0)
            return &scrub_rules [i].rule;
    return NULL;
}


//  ---------------------------------------------------------------------
//  Format checks

int
scrub_npi_valid (const char *npi)
{
    assert (npi);
    if (strlen (npi) != 10 || strspn (npi, "0123456789") != 10)
        return 0;
    //  The NPI check digit is the Luhn digit of the 9 leading digits as if
    //  prefixed by 80840 (the NPI's ISO card issuer prefix). Doubling runs
    //  from the rightmost of the 9 digits; the prefix's own doubled sum is
    //  the constant 24.
    int sum = 24;
    for (int i = 8; i >= 0; i--) {
        int digit = npi [i] - '0';
        if ((8 - i) % 2 == 0) {
            digit *= 2;
            if (digit > 9)
                digit -= 9;
        }
        sum += digit;
    }
    int check = (10 - sum % 10) % 10;
    return check == npi [9] - '0';
}

int
scrub_icd10cm_valid (const char *code)
{
    assert (code);
    size_t len = strlen (code);
    if (len < 3 || len > 7)
        return 0;
    if (!isupper ((unsigned char) code [0]) || !isdigit ((unsigned char) code [1]))
        return 0;
    for (size_t i = 2; i < len; i++)
        if (!isdigit ((unsigned char) code [i]) && !isupper ((unsigned char) code [i]))
            return 0;
    return 1;
}

int
scrub_procedure_valid (const char *code)
{
    assert (code);
    if (strlen (code) != 5)
        return 0;
    //  CPT category I: five digits. Category II (F) and III (T), and the
    //  PLA codes (U): four digits and a letter.
    if (strspn (code, "0123456789") == 5)
        return 1;
    if (strspn (code, "0123456789") == 4 && strchr ("FTU", code [4]))
        return 1;
    //  HCPCS level II: a letter and four digits.
    if (isupper ((unsigned char) code [0]) && strspn (code + 1, "0123456789") == 4)
        return 1;
    return 0;
}

int
scrub_modifier_valid (const char *modifier)
{
    assert (modifier);
    return strlen (modifier) == 2
        && (isdigit ((unsigned char) modifier [0]) || isupper ((unsigned char) modifier [0]))
        && (isdigit ((unsigned char) modifier [1]) || isupper ((unsigned char) modifier [1]));
}
