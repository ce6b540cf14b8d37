/*  carc: what a claim adjustment reason code (CARC) means for the revenue
    cycle: its root-cause category (the denial work queues and KPIs are cut
    by it), whether it is a contractual write-off, and whether it denies.

    One table of the public X12 CARC list (code, category, short meaning,
    denies or not), plus a few (CARC, RARC) pairs where the remark code
    says more than the reason code (CARC 16 "claim lacks information" is a
    coding problem with M51 "invalid procedure code" and a provider problem
    with N290 "invalid rendering provider id"). The group code matters too:
    PR is the patient's share, never a payer denial.

    For the denials service each answer also says whether the denial was
    preventable (a check before submission would have caught it) and which
    team fixes it (front_desk: eligibility, benefits, authorization;
    coding; billing: claim data, filing, enrollment; payer: the payer's own
    error or pending review). Most follow from the category; a few codes,
    groups and remark codes change the answer (s_causes in carc.c).
    claims (posting) and denials read this one table, so a category name
    means the same everywhere, metrics included (docs/denials.md).
*/
#ifndef RCMQ_CARC_H
#define RCMQ_CARC_H

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

typedef enum {
    CARC_TEAM_FRONT_DESK,
    CARC_TEAM_CODING,
    CARC_TEAM_BILLING,
    CARC_TEAM_PAYER,
    CARC_TEAMS
} carc_team_t;

//  The whole answer for one adjustment.
typedef struct {
    carc_category_t category;
    bool preventable;
    carc_team_t team;
    bool known;                 //  the CARC is in the table (else category other)
} carc_cause_t;

//  Category (as carc_category), preventable and team of an adjustment.
//  Precedence, most specific first: (CARC, RARC), (group, CARC), CARC,
//  group, then the category's default. An unknown CARC answers other /
//  not preventable / billing with known false, so a caller counts it and
//  a person still works it.
carc_cause_t carc_cause (const char *group, const char *carc, char *const *rarcs, size_t n_rarcs);

//  What a category means by default (a denial a person re-categorized
//  takes its new category's).
void carc_category_cause (carc_category_t category, bool *preventable, carc_team_t *team);

//  "front_desk", "coding", "billing", "payer"; "billing" out of range.
const char *carc_team_name (carc_team_t team);
//  The team named text, or -1.
int carc_team_from_name (const char *text);

//  The short meaning of a CARC ("Duplicate claim/service"), or NULL when
//  the table does not have it.
const char *carc_description (const char *carc);

#endif
