/*  workstate: see workstate.h. The table is the single statement of the
    states; the rule for moves is a property of each row (final or not),
    so a new state is one row.
*/
#include "workstate.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    bool final;                 //  nothing moves out of it
} s_state_t;

static const s_state_t s_states [] = {
    { "open",             false },
    { "in_progress",      false },
    { "waiting_payer",    false },
    { "waiting_patient",  false },
    { "waiting_practice", false },
    { "done",             true },
    { "cancelled",        true },
    { NULL }
};

static const s_state_t *
s_find (const char *name)
{
    for (const s_state_t *state = s_states; name && state->name; state++)
        if (strcmp (state->name, name) == 0)
            return state;
    return NULL;
}

bool
workstate_known (const char *state)
{
    return s_find (state) != NULL;
}

bool
workstate_final (const char *state)
{
    const s_state_t *found = s_find (state);
    return found && found->final;
}

void
workstate_names (char *buf, size_t size)
{
    size_t used = 0;
    buf [0] = 0;
    for (const s_state_t *state = s_states; state->name && used < size; state++) {
        int n = snprintf (buf + used, size - used, "%s%s", used? ", ": "", state->name);
        used += n > 0? (size_t) n: 0;
    }
}

int
workstate_check (const char *from, const char *to, char *error, size_t size)
{
    //  The names only for a refusal: every move of every item passes
    //  here, and listing them was seven snprintfs (issue 19).
    char names [160];
    if (!workstate_known (to)) {
        workstate_names (names, sizeof names);
        snprintf (error, size, "no state '%s' (states: %s)", to? to: "", names);
        return -1;
    }
    if (!workstate_known (from)) {
        //  A stored state the table does not hold is a bug or a newer
        //  store: say so rather than move it.
        workstate_names (names, sizeof names);
        snprintf (error, size, "is in state '%s', which is not one of %s", from? from: "", names);
        return -1;
    }
    if (workstate_final (from)) {
        snprintf (error, size, "is %s: a %s item does not move (open a new one)", from, from);
        return -1;
    }
    if (strcmp (from, to) == 0) {
        snprintf (error, size, "is already %s", to);
        return -1;
    }
    return 0;
}
