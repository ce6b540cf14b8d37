/*  workflow: a denial's states and the moves between them, its appeal
    deadline and its priority, as pure functions (no store, no socket), so
    every rule is tested on its own (tests/unit/test_denial_workflow.c).

    States (docs/denials.md):

        new → in_review → corrected | appealed → won | lost | written_off
        in_review, corrected, appealed ⇄ waiting_payer | waiting_practice
        lost → written_off (the balance is written off after a lost appeal)
        cancelled (the payer paid back in the same remit what it took back)

    A person moves a denial only along the table's edges (assigning a new
    denial is its move to in_review). The payer's own acts are not a
    person's choice and bypass it: a payment ends any open denial as won,
    an acceptance of a rejected claim moves it to corrected. won,
    written_off and cancelled are final.

    Priority is recoverable value × urgency: the cents still at stake
    divided by the days left to the appeal deadline (at least 1), so $1,000
    due in 10 days ranks with $100 due tomorrow; a final denial is 0.
*/
#ifndef RCMQ_DENIALS_WORKFLOW_H
#define RCMQ_DENIALS_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  True for one of the states.
bool        workflow_known (const char *state);
//  True for won, written_off, cancelled.
bool        workflow_final (const char *state);
//  True while the denial can still be worked toward the deadline: no
//  appeal or correction filed, not resolved (new, in_review, waiting_*).
bool        workflow_before_action (const char *state);
//  0 when a person may move a denial from → to; else -1 with why in
//  error, naming both states ("a denial in state new cannot move to won
//  (from new: in_review)").
int         workflow_check (const char *from, const char *to, char *error, size_t size);
//  The work item's state (common/workstate) for a denial state.
const char *workflow_work_state (const char *state);
//  "new, in_review, ..." into buf.
void        workflow_names (char *buf, size_t size);

//  The appeal deadline: the date days after date (YYYY-MM-DD or
//  CCYYMMDD) as YYYY-MM-DD into out, and the end of that day (UTC) in
//  *end_ms. 0, or -1 when date is not a date.
int         workflow_deadline (const char *date, unsigned days, char *out, size_t size, uint64_t *end_ms);
//  recoverable_cents / days left from now to deadline_ms (at least 1);
//  0 for a final state or nothing recoverable.
int64_t     workflow_priority (const char *state, int64_t recoverable_cents, uint64_t deadline_ms, uint64_t now_ms);

#endif
