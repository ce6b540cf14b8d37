/*  scrub: the checks a clearinghouse would make before accepting a claim.

    The rules are a static table (scrub_rules.c): a stable rule id, a
    severity, the field it looks at, a message and a check function. Every
    rule runs over every claim; a claim with any finding of severity error
    (its parse findings included) is rejected, one with warnings only
    passes. docs/scrub-rules.md documents each rule.

    The only configuration is the timely filing window: 365 days unless set
    otherwise, per payer id if needed. "Today" is always a parameter (the
    caller passes clock_now_ms ()), so results are reproducible.

        scrub_t *scrub = scrub_new ();
        scrub_set_payer_filing_days (scrub, "00435", 90);
        ScrubResult *result = scrub_claim (scrub, claim, clock_now_ms ());
        if (!result->accepted) ...
        scrub_result__free_unpacked (result, NULL);
        scrub_destroy (&scrub);
*/
#ifndef RCMQ_SCRUB_H
#define RCMQ_SCRUB_H

#include "claim.pb-c.h"

#include <stddef.h>
#include <stdint.h>

#define SCRUB_DEFAULT_FILING_DAYS 365

typedef struct _scrub_t scrub_t;

//  One row of the rule table, as documentation and tests see it.
typedef struct {
    const char *rule_id;        //  stable: "NPI001"
    Severity severity;          //  SEVERITY__SEVERITY_ERROR or _WARNING
    const char *field;          //  Claim field it checks: "billing_provider.npi"
    const char *message;        //  what a failing claim is told
} scrub_rule_t;

scrub_t *scrub_new (void);
void     scrub_destroy (scrub_t **self_p);

//  Timely filing window, in days from the (earliest) date of service.
void     scrub_set_default_filing_days (scrub_t *self, uint32_t days);
void     scrub_set_payer_filing_days (scrub_t *self, const char *payer_id, uint32_t days);
uint32_t scrub_filing_days (scrub_t *self, const char *payer_id);

//  Runs every rule. now_ms is "today" for timely filing. Returns a new
//  result (never NULL); free it with scrub_result__free_unpacked (r, NULL).
//  Findings: the claim's parse findings first, then the rules' in table
//  order. Indexes in finding fields count from 1 ("lines[1]" = LX 1).
ScrubResult *scrub_claim (scrub_t *self, const Claim *claim, uint64_t now_ms);

//  The rule table.
size_t              scrub_rule_count (void);
const scrub_rule_t *scrub_rule (size_t index);
//  The rule with this id, or NULL.
const scrub_rule_t *scrub_rule_find (const char *rule_id);

//  The format checks the rules use, for callers that need them alone.
//  Each returns 1 when valid, else 0.
int scrub_npi_valid (const char *npi);          //  10 digits, Luhn over 80840 + NPI
int scrub_icd10cm_valid (const char *code);     //  A00 .. Z99 + up to 4, no dot
int scrub_procedure_valid (const char *code);   //  CPT 5 digits / 4 + F,T,U; HCPCS letter + 4
int scrub_modifier_valid (const char *modifier);//  2 letters or digits

#endif
