/*  followup: every claim submitted and not yet adjudicated has a
    follow_up work item (issue 15, docs/work-items.md), kept in step with
    the claim's status by the one place every status change passes,
    ledger_put:

        submitted, accepted    an open follow_up item (made when the claim
                               has none open), due when the payer's
                               no-response window ends: submission +
                               the payer's window (ledger_follow_up_days:
                               claims/follow-up-days/<payer id>, else the
                               queue's --follow-up-days, else
                               claims/follow-up-days); a resubmission
                               sets the due again
        rejected (277CA)       the item's subject state; a claim the payer
                               rejected is ours to work again, so an item
                               waiting on the payer opens
        paid, partially_paid,  done: the payer answered (a denial's work is
        denied, voided, closed the denials service's item)
        any other status       the item's subject state

    Owner, team and SLA policy come from the grid of the claim's queue
    (common/workpolicy); the change runs in the transaction of the status
    change, so the item and the claim never disagree. claims.FollowUp edits
    the item too (followup_edit).
*/
#ifndef RCMQ_CLAIMS_FOLLOWUP_H
#define RCMQ_CLAIMS_FOLLOWUP_H

#include "claims.h"

//  After record moved from old_status (NULL or "" for a new claim): 0,
//  or an LMDB error / -1 after store_fail (the change then aborts).
int followup_track (claims_t *self, MDB_txn *txn, const ClaimRecord *record, const char *old_status);

//  claims.FollowUp's edits of the claim's open follow_up item: an
//  assignee, a next action date (the item's due: that day's start,
//  UTC), a note, a state. 0 (with nothing to edit when the claim has no
//  open item), WORKITEM_REFUSED (workitem_error says why), or an LMDB
//  error.
int followup_edit (claims_t *self, MDB_txn *txn, const char *pcn, const char *actor, const char *assignee,
                   uint64_t next_action_ms, const char *note, const char *state);

//  claims.WorkRequestDoc  WorkDocRequest -> WorkItem  work.work  subject (the claim)
//  opens a documentation_request item on the claim (owner team: the
//  practice's internal team of the claim's queue, from the grid; policy
//  documentation_request); the claim's open follow_up item waits for it
//  in waiting_practice until it is done or cancelled (workitem_wait).
extern const server_method_t followup_methods [];

#endif
