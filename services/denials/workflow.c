/*  workflow: see workflow.h. One table holds the states, each with the
    moves a person may make from it and the work item state it shows as.
*/
#include "workflow.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MS_PER_DAY (86400000ULL)

static const struct {
    const char *state;
    const char *work_state;         //  common/workstate
    bool final;
    bool before_action;             //  the deadline still counts against it
    const char *to [8];             //  the moves a person may make
} s_states [] = {
    { "new",              "open",             false, true,
      { "in_review", NULL } },
    { "in_review",        "in_progress",      false, true,
      { "corrected", "appealed", "waiting_payer", "waiting_practice", "written_off", NULL } },
    { "waiting_payer",    "waiting_payer",    false, true,
      { "in_review", "corrected", "appealed", "written_off", NULL } },
    { "waiting_practice", "waiting_practice", false, true,
      { "in_review", "corrected", "appealed", "written_off", NULL } },
    { "corrected",        "waiting_payer",    false, false,
      { "won", "lost", "written_off", "in_review", "waiting_payer", "waiting_practice", NULL } },
    { "appealed",         "waiting_payer",    false, false,
      { "won", "lost", "written_off", "in_review", "waiting_payer", "waiting_practice", NULL } },
    { "lost",             "in_progress",      false, false,
      { "written_off", "in_review", NULL } },
    { "won",              "done",             true,  false, { NULL } },
    { "written_off",      "done",             true,  false, { NULL } },
    { "cancelled",        "cancelled",        true,  false, { NULL } },
    //  A rework path finished: the claim was accepted (a payer-rejected
    //  claim edited and accepted on a 277CA, an intake rejection resolved
    //  by a later accepted claim). Nothing was paid or lost here.
    { "reworked",         "done",             true,  false, { NULL } },
};

static int
s_find (const char *state)
{
    for (size_t i = 0; state && i < sizeof s_states / sizeof s_states [0]; i++)
        if (strcmp (s_states [i].state, state) == 0)
            return (int) i;
    return -1;
}

bool
workflow_known (const char *state)
{
    return s_find (state) >= 0;
}

bool
workflow_final (const char *state)
{
    int row = s_find (state);
    return row >= 0 && s_states [row].final;
}

bool
workflow_before_action (const char *state)
{
    int row = s_find (state);
    return row >= 0 && s_states [row].before_action;
}

const char *
workflow_work_state (const char *state)
{
    int row = s_find (state);
    return row < 0? "open": s_states [row].work_state;
}

void
workflow_names (char *buf, size_t size)
{
    *buf = 0;
    for (size_t i = 0; i < sizeof s_states / sizeof s_states [0]; i++)
        snprintf (buf + strlen (buf), size - strlen (buf), "%s%s", i? ", ": "", s_states [i].state);
}

int
workflow_check (const char *from, const char *to, char *error, size_t size)
{
    int row = s_find (from), target = s_find (to);
    char names [256];
    if (target < 0) {
        workflow_names (names, sizeof names);
        snprintf (error, size, "no denial state '%s' (states: %s)", to, names);
        return -1;
    }
    if (row < 0) {
        snprintf (error, size, "a denial in unknown state '%s' cannot move to %s", from, to);
        return -1;
    }
    *names = 0;
    for (size_t i = 0; s_states [row].to [i]; i++) {
        if (strcmp (s_states [row].to [i], to) == 0)
            return 0;
        snprintf (names + strlen (names), sizeof names - strlen (names), "%s%s", i? ", ": "", s_states [row].to [i]);
    }
    if (s_states [row].final)
        snprintf (error, size, "a denial in state %s cannot move to %s: %s is final", from, to, from);
    else
    if (strcmp (from, to) == 0)
        snprintf (error, size, "a denial in state %s cannot move to %s: it is already %s", from, to, to);
    else
        snprintf (error, size, "a denial in state %s cannot move to %s (from %s: %s)", from, to, from, names);
    return -1;
}

int
workflow_deadline (const char *date, unsigned days, char *out, size_t size, uint64_t *end_ms)
{
    int year, month, day;
    char tail;
    if (!date || (sscanf (date, "%4d-%2d-%2d%c", &year, &month, &day, &tail) != 3
              &&  sscanf (date, "%4d%2d%2d%c", &year, &month, &day, &tail) != 3))
        return -1;
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return -1;
    struct tm tm = { 0 };
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    time_t start = timegm (&tm);
    struct tm check;
    gmtime_r (&start, &check);
    if (check.tm_mday != day)               //  31 February
        return -1;
    time_t last = start + (time_t) days * 86400;
    struct tm deadline;
    gmtime_r (&last, &deadline);
    snprintf (out, size, "%04d-%02d-%02d", deadline.tm_year + 1900, deadline.tm_mon + 1, deadline.tm_mday);
    *end_ms = ((uint64_t) last + 86400) * 1000ULL;
    return 0;
}

int64_t
workflow_priority (const char *state, int64_t recoverable_cents, uint64_t deadline_ms, uint64_t now_ms)
{
    if (workflow_final (state) || recoverable_cents <= 0)
        return 0;
    //  Days left, rounded up: due by the end of today is 1 day; a missed
    //  deadline counts as 1 (it needs a decision now).
    uint64_t days = deadline_ms > now_ms? (deadline_ms - now_ms + MS_PER_DAY - 1) / MS_PER_DAY: 1;
    if (days < 1)
        days = 1;
    return recoverable_cents / (int64_t) days;
}
