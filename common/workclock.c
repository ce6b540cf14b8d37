/*  workclock: see workclock.h. Every function settles the clock at now
    (spent += business time since running_since; running_since = now) before
    it changes anything, so the arithmetic never depends on how many steps
    came before: settle, change the running flag, plan.
*/
#include "workclock.h"
#include "workstate.h"

uint64_t
workclock_spent (const WorkItem *item, const workclock_rules_t *rules, uint64_t now)
{
    if (!item->running_since_ms || now <= item->running_since_ms)
        return item->spent_ms;
    return item->spent_ms + rules->between (rules->calendar, item->running_since_ms, now);
}

//  Folds the running time into spent_ms, so the clock restarts at now.
static void
s_settle (WorkItem *item, const workclock_rules_t *rules, uint64_t now)
{
    if (item->running_since_ms) {
        item->spent_ms = workclock_spent (item, rules, now);
        item->running_since_ms = now > item->running_since_ms? now: item->running_since_ms;
    }
}

static bool
s_runs_in (const workclock_rules_t *rules, const char *state)
{
    if (workstate_final (state) || rules->stopped)
        return false;
    return !(rules->pauses && rules->pauses (rules->policy, state));
}

uint64_t
workclock_level_instant (const WorkItem *item, const workclock_rules_t *rules, uint32_t level)
{
    if (level == 0 || level > rules->levels)
        return 0;
    uint64_t threshold = rules->level_spent [level - 1];
    if (threshold <= item->spent_ms)
        //  Already reached: at the last settlement at the latest.
        return item->running_since_ms? item->running_since_ms: 0;
    if (!item->running_since_ms)
        return 0;
    return rules->add (rules->calendar, item->running_since_ms, threshold - item->spent_ms);
}

void
workclock_plan (WorkItem *item, const workclock_rules_t *rules)
{
    //  The due instant: planned while the target is ahead and the clock
    //  runs; once reached it stays where it was (the breach happened
    //  then); while paused before it there is none.
    if (rules->target_ms && item->spent_ms < rules->target_ms)
        item->due_ms = item->running_since_ms
            ? rules->add (rules->calendar, item->running_since_ms, rules->target_ms - item->spent_ms): 0;
    item->target_ms = rules->target_ms;
    item->next_boundary_ms = workclock_level_instant (item, rules, item->escalation_level + 1);
}

void
workclock_start (WorkItem *item, const workclock_rules_t *rules, uint64_t now)
{
    item->spent_ms = 0;
    item->running_since_ms = s_runs_in (rules, item->state)? now: 0;
    item->due_ms = 0;
    workclock_plan (item, rules);
}

void
workclock_move (WorkItem *item, const workclock_rules_t *rules, uint64_t now, const char *state)
{
    s_settle (item, rules, now);
    bool runs = s_runs_in (rules, state);
    if (!runs)
        item->running_since_ms = 0;
    else
    if (!item->running_since_ms)
        item->running_since_ms = now;
    workclock_plan (item, rules);
    if (workstate_final (state))
        item->next_boundary_ms = 0;
}

void
workclock_retarget (WorkItem *item, const workclock_rules_t *rules, uint64_t now)
{
    s_settle (item, rules, now);
    //  A new target plans its own due instant, even one already passed.
    if (rules->target_ms && item->spent_ms >= rules->target_ms && item->running_since_ms)
        item->due_ms = item->running_since_ms;
    workclock_plan (item, rules);
}

uint32_t
workclock_level_at (const WorkItem *item, const workclock_rules_t *rules, uint64_t now)
{
    if (workstate_final (item->state))
        return item->escalation_level;
    uint64_t spent = workclock_spent (item, rules, now);
    uint32_t level = 0;
    while (level < rules->levels && rules->level_spent [level] <= spent)
        level++;
    return level;
}

bool
workclock_overdue (const WorkItem *item, const workclock_rules_t *rules, uint64_t now)
{
    if (workstate_final (item->state) || !rules->target_ms)
        return false;
    return workclock_spent (item, rules, now) >= rules->target_ms;
}
