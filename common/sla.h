/*  sla: SLA policies — how long a work item may take, on which clock, which
    of its states stop that clock, and when it escalates.

    A policy's clock is either working time in a business calendar
    ("4 business hours", common/calendar.h) or wall-clock time ("30 days":
    a payer's no-response window runs on weekends too). The clock runs
    while the item is in a state the policy does not pause on; the time it
    has run is the item's "spent" time, which the work-item model keeps
    (h5's part, docs/work-items.md). Escalation levels are points on that
    clock: level 1 at level1_pct of the target (to the queue's lead),
    level 2 at the target (breach, to the team manager), level 3 at target
    + level3_after (leadership). WHO is escalated to comes from the
    responsibility grid, not from here. A target that is a hard deadline
    (a denial's appeal deadline) escalates before it instead: level2-pct
    puts level 2 at a share of the target, level3-before puts level 3 that
    long before the target (the built-in denial policy: 50 %, 80 %, the
    last 5 business days).

    Config (docs/configuration.md, "SLA policies"):

        sla
            policies = "denials-fast"           #  the configured policies
            denials-fast
                target = "first_touch 4 business hours"
                calendar = "billing"            #  business targets only
                pause = "waiting_payer, waiting_practice"
                level1-pct = 75
                level2-pct = 100                #  level 2 at the target
                level3-after = "1 business day" #  or level3-before = "2 business days"
                applies-to = "denial, cardiology:inquiry"

    `applies-to` entries are TYPE (the type's default in every queue) or
    QUEUE:TYPE (that queue only). Built-in policies named after the work
    types (follow_up, documentation_request, denial, inquiry) exist
    without config and are each their type's default; sla/<type>/target
    and the other keys change them.

    An sla_set_t is every policy plus the calendars they count in, loaded
    once at start; after that it is read-only (safe to share). Loading
    loads calendars, so it has calendar_new's rule: from one thread, while
    no other converts local time (calendar.h).
*/
#ifndef RCMQ_SLA_H
#define RCMQ_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "config.h"

#define SLA_LEVEL_MAX 3
#define SLA_PAUSE_MAX 8

//  What the target measures: time until the first touch (an owner acts on
//  the item) or until it is resolved (done). "resolve" when the target
//  text does not say.
typedef enum {
    SLA_RESOLVE = 0,
    SLA_FIRST_TOUCH = 1
} sla_measure_t;

typedef struct {
    char name [64];
    char calendar [64];         //  calendar name ("" : none — wall-clock time)
    uint64_t target_ms;         //  working ms when calendar set, wall ms otherwise
    char pause_states [SLA_PAUSE_MAX][24];  //  work states that stop the clock, e.g. "waiting_payer"
    size_t n_pause_states;
    uint32_t level1_pct;        //  75: level 1 at 75% of the target
    uint32_t level2_pct;        //  100 (or 0): level 2 at the target (breach); less: before it
    uint64_t level3_after_ms;   //  level 3 this long after the target, same clock as target
    uint64_t level3_before_ms;  //  when set: level 3 this long BEFORE the target (a hard deadline)
    sla_measure_t measure;      //  first touch or resolution
    char target_text [64];      //  the target as configured ("first_touch 4 business hours")
} sla_policy_t;

typedef struct _sla_set_t sla_set_t;

//  Every policy (built-in and sla/policies) and the per queue×type choice;
//  NULL with error naming the key and value when anything is malformed (an
//  unknown calendar, pause state or work type, a target that does not
//  read, two policies applying to the same queue×type).
sla_set_t  *sla_set_load (config_t *config, char *error, size_t size);
void        sla_set_destroy (sla_set_t **self_p);

//  The policy for a work type in a queue: config's queue×type choice, else
//  the type's default, else NULL.
const sla_policy_t *sla_set_find (const sla_set_t *self, const char *queue, const char *work_type);
//  The policy by name, or NULL.
const sla_policy_t *sla_set_policy (const sla_set_t *self, const char *name);
//  The policies in name order (for listing): index < sla_set_size.
size_t              sla_set_size (const sla_set_t *self);
const sla_policy_t *sla_set_at (const sla_set_t *self, size_t index);
//  The calendar a policy counts in (by its calendar name), or NULL for "".
const calendar_t   *sla_set_calendar (const sla_set_t *self, const char *name);

//  The policy's clock, whichever kind it is: the instant when clock_ms of
//  the policy's clock have run after from_ms (calendar_add, or from_ms +
//  clock_ms for wall-clock policies), and the clock time between two
//  instants (calendar_between, or to - from). A due time is
//  sla_set_when (set, policy, resumed_at, target - spent).
uint64_t    sla_set_when (const sla_set_t *self, const sla_policy_t *policy,
                          uint64_t from_ms, uint64_t clock_ms);
uint64_t    sla_set_elapsed (const sla_set_t *self, const sla_policy_t *policy,
                             uint64_t from_ms, uint64_t to_ms);

//  The instant an escalation level (1..SLA_LEVEL_MAX; 2 = the due time)
//  is reached by an item whose clock has spent spent_ms and has run again
//  since since_ms (its last resume, or its creation): since_ms when the
//  level is already reached, else sla_set_when for what is left. Only for
//  a running clock: a paused item reaches no level.
uint64_t    sla_set_level_when (const sla_set_t *self, const sla_policy_t *policy, int level,
                                uint64_t spent_ms, uint64_t since_ms);

//  Whether being in this work state stops the policy's clock.
bool        sla_policy_pauses (const sla_policy_t *policy, const char *state);
//  The spent (clock) time at which an escalation level is reached: 1 →
//  pct of target (rounded up to the ms), 2 → target, 3 → target +
//  level3_after; 0 → 0. level is 0..SLA_LEVEL_MAX.
uint64_t    sla_level_spent (const sla_policy_t *policy, int level);
//  The highest level reached at this spent time (0..SLA_LEVEL_MAX).
int         sla_level_at (const sla_policy_t *policy, uint64_t spent_ms);
//  Reads a duration ("4 business hours", "30 days", "first_touch 2
//  business days") into *ms in the calendar's working time (business
//  units: calendar must not be NULL) or wall time; *business says which,
//  *measure what it measures. -1 with the reason in error.
int         sla_parse_target (const char *text, const calendar_t *calendar, uint64_t *ms,
                              bool *business, sla_measure_t *measure, char *error, size_t size);

#endif
