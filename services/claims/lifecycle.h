/*  lifecycle: the states a claim moves through and which moves are legal.

        ready -> submitted -> accepted | rejected (277CA)
              -> paid | partially_paid | denied (835; a 277CA may never come)
              -> reversed (CLP02 22) -> paid | partially_paid | denied (re-adjudicated)
        rejected | denied | paid | partially_paid | reversed -> corrected (frequency 7)
        any open state -> voided (frequency 8)
        corrected -> submitted;  paid | denied | voided ... -> closed

    Every move is recorded in the claim's history with time, actor and
    reason; an illegal move is refused (the caller answers FAILED_PRECONDITION).
*/
#ifndef RCMQ_CLAIMS_LIFECYCLE_H
#define RCMQ_CLAIMS_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include "claims.pb-c.h"

//  True when a claim may move from one status to the other.
bool lifecycle_allows (const char *from, const char *to);
//  True for a status the lifecycle knows.
bool lifecycle_known (const char *status);
//  Every status the lifecycle knows, in its table's order, comma-separated
//  ("ready, submitted, ..."), for an error that lists the valid values.
void lifecycle_names (char *out, size_t size);
//  True while the payer may still owe something (not closed or voided).
bool lifecycle_open (const char *status);
//  Moves record to status `to`, appending a history entry dated now_ms, or
//  the last entry's time when that is later (a history never runs back).
//  Returns 0, or -1 (record unchanged) when the move is not allowed; error
//  says why.
int  lifecycle_move (ClaimRecord *record, const char *to, const char *actor,
                     const char *reason, uint64_t now_ms, char *error, size_t size);

#endif
