/*  scrub_rules: the rule table and what a check function sees. Private to
    scrub.c and scrub_rules.c; callers use scrub.h.
*/
#ifndef RCMQ_SCRUB_RULES_H
#define RCMQ_SCRUB_RULES_H

#include "scrub.h"

typedef struct {
    scrub_t *scrub;
    const Claim *claim;
    int64_t today;                  //  days since 1970-01-01
    const scrub_rule_t *rule;       //  the rule running
    ScrubResult *result;
} scrub_ctx_t;

typedef void (scrub_check_fn) (scrub_ctx_t *ctx);

typedef struct {
    scrub_rule_t rule;
    scrub_check_fn *check;
} scrub_rule_entry_t;

extern const scrub_rule_entry_t scrub_rules [];
extern const size_t scrub_rules_size;

//  Adds a finding of the running rule. field NULL = the rule's field;
//  format (NULL for none) gives a detail appended to the rule's message.
void scrub_ctx_report (scrub_ctx_t *ctx, const char *field, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
uint32_t scrub_ctx_filing_days (scrub_ctx_t *ctx, const char *payer_id);

#endif
