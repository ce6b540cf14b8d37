/*  workstate: the states a work item can be in, and the moves between them
    (issue 15): one table, nothing else accepted.

        open, in_progress, waiting_payer, waiting_patient, waiting_practice,
        done, cancelled

    Every state but done and cancelled may move to any other state; done
    and cancelled are final (a matter that comes back is a new item, so an
    item's history and its SLA figures stay what they were). Whether a
    state pauses the SLA clock is the policy's to say (sla_policy_pauses),
    not this table's.
*/
#ifndef RCMQ_WORKSTATE_H
#define RCMQ_WORKSTATE_H

#include <stdbool.h>
#include <stddef.h>

//  True for one of the seven states.
bool        workstate_known (const char *state);
//  True for done and cancelled.
bool        workstate_final (const char *state);
//  "open, in_progress, ..." into buf, for error messages and help.
void        workstate_names (char *buf, size_t size);
//  0 when an item in from may move to to; else -1 with why in error
//  ("no state 'x' (states: ...)", "is done: a done item does not move",
//  "is already open").
int         workstate_check (const char *from, const char *to, char *error, size_t size);

#endif
