/*  patterns: lessons back to intake (issue 17, docs/denials.md
    "Patterns"). For each (payer, procedure or rule, category) with
    denials/pattern-min (5) or more PREVENTABLE denials opened within
    denials/pattern-days (30), rcmq-denials publishes denials.pattern (a
    DenialPattern) and keeps it for `denials patterns`; intake turns it
    into a scrub warning (DEN001) on new claims of that payer and
    procedure.

    A denial counts once (pattern_counted), when it first has a
    preventable category and something to key it by: each procedure of
    its denied lines (the remit's SVC loops; a claim-level reason counts
    toward every procedure of the claim, its amount shared out), or, for
    an intake rejection, its scrub rule. The index denials_by_pattern
    (payer \0 what \0 category \0 ‖ opened time ‖ id) makes each count a
    walk of one key's recent entries, never of all denials.
*/
#ifndef RCMQ_DENIALS_PATTERNS_H
#define RCMQ_DENIALS_PATTERNS_H

#include "denials.h"

//  Counts item (once) toward its patterns, in the caller's transaction;
//  publishes every pattern that stands at or above the threshold. 0 or
//  an LMDB error.
int  patterns_count (denials_t *self, MDB_txn *txn, DenialItem *item);

//  A person re-categorized item (its category is the new one now): its
//  count leaves (payer, what, old_category) — that pattern is stated
//  again, or ended when it falls below the threshold — and joins the new
//  category's keys when that is preventable. 0 or an LMDB error.
int  patterns_recategorize (denials_t *self, MDB_txn *txn, DenialItem *item, const char *old_category,
                            uint64_t now);

//  denials.Patterns: (none) -> DenialPatternList, denials.read, unscoped.
extern const server_method_t patterns_methods [];

#endif
