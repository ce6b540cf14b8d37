/*  workclock: a work item's SLA clock, as pure arithmetic on the item
    (no store, no socket), so every rule of it is tested on its own.

    The clock counts business milliseconds in the policy's calendar:
    spent_ms is what it counted up to running_since_ms, and from then on it
    counts while running_since_ms is not 0. A state the policy pauses
    (waiting_payer, ...) stops it: the time so far is settled into spent_ms
    and running_since_ms becomes 0; leaving the state starts it again from
    that instant. done and cancelled stop it for good.

    Levels are thresholds on the time spent (level 1 at level1_pct of the
    target, level 2 at the target, level 3 some time after): the rules hold
    them in business ms, already worked out for the item's own target. From
    the spent time and the next level the clock plans two instants: due_ms,
    when the target is reached if the clock runs on, and next_boundary_ms,
    when the next level is (0 while paused, stopped or past the last
    level). The escalation engine's index is keyed on next_boundary_ms, so
    only items at or past a boundary are ever read.

    Each function works at an instant `now` and settles the clock there
    first, so steps taken at any instants add up to the same spent time.
*/
#ifndef RCMQ_WORKCLOCK_H
#define RCMQ_WORKCLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "work.pb-c.h"

#define WORKCLOCK_LEVELS 3

//  What a policy says to one item's clock (the SLA side fills it: see
//  workitem_rules_fn). A calendar is two functions: business ms from an
//  instant on to an instant, and the instant business ms after one.
typedef struct {
    void *calendar;                                 //  their argument
    uint64_t (*add) (void *calendar, uint64_t start_ms, uint64_t business_ms);
    uint64_t (*between) (void *calendar, uint64_t from_ms, uint64_t to_ms);
    //  True when the policy's clock stops in state.
    bool (*pauses) (void *policy, const char *state);
    void *policy;
    uint64_t target_ms;                             //  business ms to due
    uint32_t levels;                                //  0..WORKCLOCK_LEVELS
    uint64_t level_spent [WORKCLOCK_LEVELS];        //  business ms at which level i+1 is reached
    //  The clock does not run in any state (a first-touch target once
    //  touched): what it counted stays.
    bool stopped;
} workclock_rules_t;

//  Business ms counted at now.
uint64_t workclock_spent (const WorkItem *item, const workclock_rules_t *rules, uint64_t now);
//  Starts a new item's clock at now in its state (paused when the state
//  pauses), and plans it.
void     workclock_start (WorkItem *item, const workclock_rules_t *rules, uint64_t now);
//  Settles the clock at now for a move to state (not yet set on the
//  item): stops it for done/cancelled and pausing states, runs it
//  otherwise, and plans it.
void     workclock_move (WorkItem *item, const workclock_rules_t *rules, uint64_t now, const char *state);
//  A new target (business ms): the rules' levels are the caller's, worked
//  out for it. Settles at now and plans.
void     workclock_retarget (WorkItem *item, const workclock_rules_t *rules, uint64_t now);
//  The highest level reached by now (0..levels).
uint32_t workclock_level_at (const WorkItem *item, const workclock_rules_t *rules, uint64_t now);
//  The instant level (1..levels) was or will be reached if the clock runs
//  on from its last settlement; 0 when the clock is stopped.
uint64_t workclock_level_instant (const WorkItem *item, const workclock_rules_t *rules, uint32_t level);
//  Sets due_ms and next_boundary_ms from the clock as it stands (after a
//  level was raised, the next level's boundary).
void     workclock_plan (WorkItem *item, const workclock_rules_t *rules);
//  True when the item is not final and its target was reached by now.
bool     workclock_overdue (const WorkItem *item, const workclock_rules_t *rules, uint64_t now);

#endif
