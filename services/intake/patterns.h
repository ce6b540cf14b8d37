/*  patterns: lessons from denials back to intake (issue 17).

    The denials service publishes denials.pattern when one (payer,
    procedure, category) has N or more preventable denials in 30 days
    (proto/denials.proto, DenialPattern). Intake keeps the latest of each
    (table denial_patterns, key payer \0 procedure \0 category) and, as a
    claim is applied, adds a scrub WARNING (rule DEN001) for each line whose
    procedure code has a live pattern with the claim's payer: the biller
    sees it in the claim's scrub result, on the claim in claims show and in
    intake rejections. It never rejects a claim. A pattern is live until
    its window has passed since it was last seen; a pattern event with
    count 0 ends it. A pattern of a rule (no procedure) is kept but warns
    on nothing yet.
*/
#ifndef RCMQ_INTAKE_PATTERNS_H
#define RCMQ_INTAKE_PATTERNS_H

#include "intake.h"
#include "consumer.h"

#define PATTERNS_RULE_ID "DEN001"

//  The events intake applies: denials.pattern.
extern const consumer_event_t patterns_events [];

//  Adds a DEN001 warning to result for each line of claim (its head: the
//  lines' procedure codes, no PHI) that a live pattern of payer_id names.
//  0, or an LMDB error.
int patterns_warn (intake_t *intake, MDB_txn *txn, const char *payer_id, const Claim *claim,
                   ScrubResult *result, uint64_t now_ms);

#endif
