/*  carc: what a claim adjustment reason code (CARC) means for the revenue
    cycle: its root-cause category (the denial work queues and KPIs are cut
    by it), whether it is a contractual write-off, and whether it denies.

    One table of the public X12 CARC list (code, category, short meaning,
    denies or not), plus a few (CARC, RARC) pairs where the remark code
    says more than the reason code (CARC 16 "claim lacks information" is a
    coding problem with M51 "invalid procedure code" and a provider problem
    with N290 "invalid rendering provider id"). The group code matters too:
    PR is the patient's share, never a payer denial.
*/
#ifndef RCMQ_CLAIMS_CARC_H
#define RCMQ_CLAIMS_CARC_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    CARC_ELIGIBILITY,
    CARC_AUTHORIZATION,
    CARC_CODING,
    CARC_MEDICAL_NECESSITY,
    CARC_TIMELY_FILING,
    CARC_DUPLICATE,
    CARC_MISSING_INFORMATION,
    CARC_NON_COVERED,
    CARC_PROVIDER,
    CARC_CONTRACTUAL,
    CARC_PATIENT_RESPONSIBILITY,
    CARC_OTHER,
    CARC_CATEGORIES             //  how many there are
} carc_category_t;

//  Root cause of an adjustment: group (CO, OA, PI, PR, CR), CARC, and the
//  remark codes (RARCs) that came with it (may be NULL / 0). An unknown
//  CARC is CARC_OTHER.
carc_category_t carc_category (const char *group, const char *carc,
                               char *const *rarcs, size_t n_rarcs);

//  "eligibility", "medical_necessity", ... (the DenialReason.category
//  text); "other" for a value out of range.
const char *carc_category_name (carc_category_t category);

//  The category named text, or -1 when there is none.
int carc_category_from_name (const char *text);

//  True for a contractual obligation the provider writes off by contract:
//  group CO with a fee-schedule, sequestration, discount or withhold CARC
//  (45, 253, 42, 59, 131, ...).
bool carc_is_contractual (const char *group, const char *carc);

//  True when the adjustment is the payer refusing to pay (all or part):
//  not the patient's share (PR), not contractual, not bookkeeping that
//  leaves nothing to collect (OA-23 prior payer, 100 paid to the patient,
//  94 paid above charges ...). An unknown CARC outside PR denies, so that
//  a person looks at it.
bool carc_denies (const char *group, const char *carc);

//  The short meaning of a CARC ("Duplicate claim/service"), or NULL when
//  the table does not have it.
const char *carc_description (const char *carc);

#endif
