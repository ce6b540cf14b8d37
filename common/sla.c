/*  sla: see sla.h. sla_set_load builds the set in three steps:

    1. The policies: the built-in ones (s_builtins, one per work type, each
       its type's default) and every name in sla/policies. Each reads
       sla/<name>/target, calendar, pause, level1-pct, level3-after and
       applies-to, a built-in one falling back to its row of s_builtins, a
       configured one to the common defaults (s_policy_defaults).
    2. The calendars: a target in business units counts in the policy's
       calendar (sla/<name>/calendar, "default" when unset), loaded once
       per name with calendar_load; a wall-clock target takes none, and a
       calendar named for one is refused (it would be ignored).
    3. The choices: each applies-to entry, TYPE or QUEUE:TYPE. Two policies
       that claim the same one are refused, except that a built-in's
       implicit claim on its own type yields to a configured one.

    Config has no way to list a section's children, so the configured
    policies are named in sla/policies; that also lets environment
    variables and flags define a policy the way they set any key.
*/
#include "sla.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_HOUR_MS   3600000ULL
#define S_TARGET_MAX 100000         //  the largest N in "N days": far past any SLA

//  The work states a policy may pause on (docs/work-items.md). done and
//  cancelled end the clock rather than pause it, so they are not here.
static const char *s_states [] = {
    "open", "in_progress", "waiting_payer", "waiting_patient", "waiting_practice"
};

//  The work types a policy may apply to (issue 15); a type is added here
//  when a service starts opening items of it.
static const char *s_types [] = {
    "follow_up", "documentation_request", "denial", "inquiry", "action"
};

//  The built-in policies, one per type that has a default. Figures and
//  reasons: docs/work-items.md, "SLA policies".
//  Escalation points: 0 and NULL take the common defaults below. A denial
//  runs to its appeal deadline (the item's own target) and escalates at
//  50 % and 80 % of the run and as its last five business days begin
//  (issue 17; ADR 0031).
static const struct {
    const char *name;
    const char *target;
    const char *pause;
    uint32_t level1_pct;
    uint32_t level2_pct;
    const char *level3_before;
} s_builtins [] = {
    //  A payer's no-response window: calendar days, weekends included.
    { "follow_up",             "resolve 30 days",          "waiting_practice", 0, 0, NULL },
    { "documentation_request", "resolve 2 business days",  "", 0, 0, NULL },
    { "denial",                "resolve 10 business days", "waiting_payer, waiting_patient, waiting_practice",
      50, 80, "5 business days" },
    { "inquiry",               "resolve 2 business days",  "waiting_patient, waiting_practice", 0, 0, NULL },
};

//  Common defaults of every policy.
#define S_LEVEL1_PCT         75
#define S_LEVEL3_BUSINESS    "1 business day"
#define S_LEVEL3_WALL        "7 days"

typedef struct {
    char queue [64];            //  "" : the type's default in every queue
    char type [32];
    size_t policy;              //  index into policies
    bool implicit;              //  a built-in's claim on its own type
} s_choice_t;

typedef struct {
    char name [64];
    calendar_t *calendar;
} s_calendar_entry_t;

struct _sla_set_t {
    sla_policy_t *policies;     //  sorted by name
    size_t n_policies;
    s_choice_t *choices;
    size_t n_choices;
    s_calendar_entry_t *calendars;
    size_t n_calendars;
};

//  ---------------------------------------------------------------------
//  Durations.

static const struct {
    const char *singular, *plural;
    uint64_t ms;                //  0: a business day, the calendar's
    bool business_ok, wall_ok;
} s_units [] = {
    { "minute", "minutes", 60000,           true,  true },
    { "hour",   "hours",   S_HOUR_MS,       true,  true },
    { "day",    "days",    0,               true,  true },
    { "week",   "weeks",   7 * 24 * S_HOUR_MS, false, true },
};

int
sla_parse_target (const char *text, const calendar_t *calendar, uint64_t *ms,
                  bool *business, sla_measure_t *measure, char *error, size_t size)
{
    assert (text && ms && business && measure);
    char words [4][32];
    size_t n_words = 0;
    const char *p = text;
    while (true) {
        while (isspace ((unsigned char) *p))
            p++;
        if (!*p)
            break;
        size_t length = strcspn (p, " \t\n");
        if (n_words == 4 || length >= sizeof words [0]) {
            snprintf (error, size, "expected [first_touch|resolve] N [business] minutes|hours|days|weeks");
            return -1;
        }
        memcpy (words [n_words], p, length);
        words [n_words++][length] = 0;
        p += length;
    }
    size_t at = 0;
    *measure = SLA_RESOLVE;
    if (at < n_words && strcmp (words [at], "first_touch") == 0) {
        *measure = SLA_FIRST_TOUCH;
        at++;
    }
    else
    if (at < n_words && strcmp (words [at], "resolve") == 0)
        at++;
    if (at == n_words) {
        snprintf (error, size, "expected a number of minutes, hours, days or weeks");
        return -1;
    }
    char *end;
    long long number = strtoll (words [at], &end, 10);
    if (!isdigit ((unsigned char) words [at][0]) || *end || number < 1 || number > S_TARGET_MAX) {
        snprintf (error, size, "expected a whole number from 1 to %d at '%s'", S_TARGET_MAX, words [at]);
        return -1;
    }
    at++;
    *business = at < n_words && strcmp (words [at], "business") == 0;
    if (*business)
        at++;
    if (at + 1 != n_words) {
        snprintf (error, size, "expected %s after the number, e.g. '4 business hours' or '30 days'",
                  *business? "minutes, hours or days": "[business] minutes, hours, days or weeks");
        return -1;
    }
    for (size_t i = 0; i < sizeof s_units / sizeof s_units [0]; i++) {
        if (strcmp (words [at], s_units [i].singular) && strcmp (words [at], s_units [i].plural))
            continue;
        if (*business && !s_units [i].business_ok) {
            snprintf (error, size, "business time counts in minutes, hours or days, not '%s'", words [at]);
            return -1;
        }
        uint64_t unit = s_units [i].ms;
        if (unit == 0) {
            if (*business && !calendar) {
                snprintf (error, size, "business days need a calendar");
                return -1;
            }
            //  A business day is the calendar's working day (8 h in a
            //  9–17 calendar); a wall day is 24 h.
            unit = *business? calendar_day_ms (calendar): 24 * S_HOUR_MS;
        }
        *ms = (uint64_t) number * unit;
        return 0;
    }
    snprintf (error, size, "expected minutes, hours, days or weeks, not '%s'", words [at]);
    return -1;
}

//  ---------------------------------------------------------------------
//  Loading.

static bool
s_in_table (const char *word, const char *table [], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (word, table [i]) == 0)
            return true;
    return false;
}

static bool
s_name_ok (const char *name, size_t max)
{
    size_t length = strlen (name);
    if (length == 0 || length >= max)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("_-.", *p))
            return false;
    return true;
}

//  Splits a list on ',' and white space into words; calls each in turn.
//  Returns the first non-zero result of fn.
typedef int (s_word_fn) (const char *word, void *arg);

static int
s_each_word (const char *list, s_word_fn *fn, void *arg)
{
    char *copy = strdup (list);
    int rc = 0;
    char *rest = copy, *word;
    while (rc == 0 && (word = strsep (&rest, ", \t\n")))
        if (*word)
            rc = fn (word, arg);
    free (copy);
    return rc;
}

//  A key's value, "" counted as unset (as config does for files).
static const char *
s_get (config_t *config, const char *key)
{
    const char *value = config_get (config, key, NULL);
    return value && *value? value: NULL;
}

static calendar_t *
s_calendar (sla_set_t *self, config_t *config, const char *name, char *error, size_t size)
{
    for (size_t i = 0; i < self->n_calendars; i++)
        if (strcmp (self->calendars [i].name, name) == 0)
            return self->calendars [i].calendar;
    calendar_t *calendar = calendar_load (config, name, error, size);
    if (!calendar)
        return NULL;
    self->calendars = (s_calendar_entry_t *) realloc (self->calendars,
                          (self->n_calendars + 1) * sizeof (s_calendar_entry_t));
    s_calendar_entry_t *entry = &self->calendars [self->n_calendars++];
    snprintf (entry->name, sizeof entry->name, "%s", name);
    entry->calendar = calendar;
    return calendar;
}

typedef struct {
    sla_policy_t *policy;
    const char *key;
    const char *value;
    char *error;
    size_t size;
} s_pause_arg_t;

static int
s_add_pause (const char *word, void *arg)
{
    s_pause_arg_t *pause = (s_pause_arg_t *) arg;
    if (!s_in_table (word, s_states, sizeof s_states / sizeof s_states [0])) {
        snprintf (pause->error, pause->size,
                  "%s = '%s': '%s' is not a work state that can pause (open, in_progress, "
                  "waiting_payer, waiting_patient, waiting_practice)", pause->key, pause->value, word);
        return -1;
    }
    if (sla_policy_pauses (pause->policy, word))
        return 0;
    assert (pause->policy->n_pause_states < SLA_PAUSE_MAX);   //  fewer states than slots
    snprintf (pause->policy->pause_states [pause->policy->n_pause_states++],
              sizeof pause->policy->pause_states [0], "%s", word);
    return 0;
}

typedef struct {
    sla_set_t *self;
    size_t policy;
    const char *key;
    const char *value;
    bool implicit;
    char *error;
    size_t size;
} s_applies_arg_t;

static int
s_add_choice (const char *word, void *arg)
{
    s_applies_arg_t *applies = (s_applies_arg_t *) arg;
    sla_set_t *self = applies->self;
    s_choice_t choice = { .policy = applies->policy, .implicit = applies->implicit };
    const char *colon = strchr (word, ':');
    const char *type = colon? colon + 1: word;
    if (colon) {
        size_t length = (size_t) (colon - word);
        if (length == 0 || length >= sizeof choice.queue) {
            snprintf (applies->error, applies->size, "%s = '%s': expected TYPE or QUEUE:TYPE at '%s'",
                      applies->key, applies->value, word);
            return -1;
        }
        memcpy (choice.queue, word, length);
        choice.queue [length] = 0;
        if (!s_name_ok (choice.queue, sizeof choice.queue)) {
            snprintf (applies->error, applies->size, "%s = '%s': '%s' is not a queue name",
                      applies->key, applies->value, choice.queue);
            return -1;
        }
    }
    if (!s_in_table (type, s_types, sizeof s_types / sizeof s_types [0])) {
        snprintf (applies->error, applies->size,
                  "%s = '%s': '%s' is not a work type (follow_up, documentation_request, denial, "
                  "inquiry, action)", applies->key, applies->value, type);
        return -1;
    }
    snprintf (choice.type, sizeof choice.type, "%s", type);
    for (size_t i = 0; i < self->n_choices; i++) {
        s_choice_t *other = &self->choices [i];
        if (strcmp (other->queue, choice.queue) || strcmp (other->type, choice.type))
            continue;
        if (other->implicit) {      //  a built-in default gives way
            *other = choice;
            return 0;
        }
        if (other->policy == choice.policy)
            return 0;
        snprintf (applies->error, applies->size,
                  "%s = '%s': %s%s%s is already chosen by policy '%s'", applies->key, applies->value,
                  choice.queue, *choice.queue? ":": "", choice.type,
                  self->policies [other->policy].name);
        return -1;
    }
    self->choices = (s_choice_t *) realloc (self->choices, (self->n_choices + 1) * sizeof (s_choice_t));
    self->choices [self->n_choices++] = choice;
    return 0;
}

//  Reads one policy's keys into self->policies [index] (name already set).
//  A level-3 duration (level3-after or level3-before) on the target's clock,
//  so it takes the same kind of time as the target.
static int
s_level3_duration (const char *key, const char *value, const calendar_t *calendar, bool business,
                   const char *target, uint64_t *ms, char *error, size_t size)
{
    char reason [256];
    bool value_business;
    sla_measure_t measure;
    if (sla_parse_target (value, calendar, ms, &value_business, &measure, reason, sizeof reason)) {
        snprintf (error, size, "%s = '%s': %s", key, value, reason);
        return -1;
    }
    if (value_business != business || strstr (value, "first_touch") || strstr (value, "resolve")) {
        snprintf (error, size, "%s = '%s': expected %s time, as the target '%s'", key, value,
                  business? "business": "wall-clock", target);
        return -1;
    }
    return 0;
}

//  The escalation points: level1-pct and level2-pct of the target (level 2
//  at the target unless set), level 3 level3-after past the target or, for
//  a target that is a hard deadline, level3-before it (never both).
static int
s_load_levels (sla_policy_t *policy, config_t *config, int builtin, const calendar_t *calendar,
               bool business, const char *target, char *error, size_t size)
{
    char key [160];
    int64_t pct;
    uint32_t level1_default = builtin >= 0 && s_builtins [builtin].level1_pct?
                              s_builtins [builtin].level1_pct: S_LEVEL1_PCT;
    snprintf (key, sizeof key, "sla/%s/level1-pct", policy->name);
    if (config_get_int_checked (config, key, level1_default, 1, 99, &pct, error, size))
        return -1;
    policy->level1_pct = (uint32_t) pct;

    uint32_t level2_default = builtin >= 0 && s_builtins [builtin].level2_pct?
                              s_builtins [builtin].level2_pct: 100;
    snprintf (key, sizeof key, "sla/%s/level2-pct", policy->name);
    if (config_get_int_checked (config, key, level2_default, 1, 100, &pct, error, size))
        return -1;
    if ((uint32_t) pct <= policy->level1_pct) {
        snprintf (error, size, "%s = %lld: level 2 must come after level 1 (level1-pct %u)",
                  key, (long long) pct, policy->level1_pct);
        return -1;
    }
    policy->level2_pct = (uint32_t) pct;

    char after_key [160], before_key [160];
    snprintf (after_key, sizeof after_key, "sla/%s/level3-after", policy->name);
    snprintf (before_key, sizeof before_key, "sla/%s/level3-before", policy->name);
    const char *after = s_get (config, after_key);
    const char *before = s_get (config, before_key);
    if (after && before) {
        snprintf (error, size, "%s and %s are both set: level 3 is one point", after_key, before_key);
        return -1;
    }
    if (!after && !before && builtin >= 0)
        before = s_builtins [builtin].level3_before;
    if (before)
        return s_level3_duration (before_key, before, calendar, business, target,
                                  &policy->level3_before_ms, error, size);
    if (!after)
        after = business? S_LEVEL3_BUSINESS: S_LEVEL3_WALL;
    return s_level3_duration (after_key, after, calendar, business, target,
                              &policy->level3_after_ms, error, size);
}

static int
s_load_policy (sla_set_t *self, config_t *config, size_t index, int builtin,
               char *error, size_t size)
{
    sla_policy_t *policy = &self->policies [index];
    char key [160], reason [512];

    //  The target decides the clock: business units need a calendar.
    snprintf (key, sizeof key, "sla/%s/target", policy->name);
    const char *target = s_get (config, key);
    if (!target && builtin >= 0)
        target = s_builtins [builtin].target;
    if (!target) {
        snprintf (error, size, "%s is not set (policy '%s' is named in sla/policies)", key, policy->name);
        return -1;
    }
    char calendar_key [160];
    snprintf (calendar_key, sizeof calendar_key, "sla/%s/calendar", policy->name);
    const char *calendar_name = s_get (config, calendar_key);
    const calendar_t *calendar = NULL;
    bool business = strstr (target, "business") != NULL;
    if (business) {
        calendar = s_calendar (self, config, calendar_name? calendar_name: "default", reason, sizeof reason);
        if (!calendar) {
            if (calendar_name)
                snprintf (error, size, "%s = '%s': %s", calendar_key, calendar_name, reason);
            else
                snprintf (error, size, "%s", reason);
            return -1;
        }
    }
    if (sla_parse_target (target, calendar, &policy->target_ms, &business, &policy->measure,
                          reason, sizeof reason)) {
        snprintf (error, size, "%s = '%s': %s", key, target, reason);
        return -1;
    }
    if (calendar_name && !business) {
        snprintf (error, size, "%s = '%s': the target '%s' is wall-clock time, which no calendar changes",
                  calendar_key, calendar_name, target);
        return -1;
    }
    snprintf (policy->calendar, sizeof policy->calendar, "%s",
              business? (calendar_name? calendar_name: "default"): "");
    snprintf (policy->target_text, sizeof policy->target_text, "%s", target);

    snprintf (key, sizeof key, "sla/%s/pause", policy->name);
    const char *pause = s_get (config, key);
    if (!pause && builtin >= 0)
        pause = s_builtins [builtin].pause;
    if (pause) {
        s_pause_arg_t arg = { policy, key, pause, error, size };
        if (s_each_word (pause, s_add_pause, &arg))
            return -1;
    }

    if (s_load_levels (policy, config, builtin, calendar, business, target, error, size))
        return -1;

    snprintf (key, sizeof key, "sla/%s/applies-to", policy->name);
    const char *applies = s_get (config, key);
    s_applies_arg_t arg = { self, index, key, applies, false, error, size };
    if (applies)
        return s_each_word (applies, s_add_choice, &arg);
    if (builtin >= 0) {
        arg.implicit = true;
        arg.value = policy->name;
        return s_add_choice (policy->name, &arg);
    }
    return 0;
}

static int
s_policy_compare (const void *a, const void *b)
{
    return strcmp (((const sla_policy_t *) a)->name, ((const sla_policy_t *) b)->name);
}

typedef struct {
    sla_set_t *self;
    const char *value;
    char *error;
    size_t size;
} s_names_arg_t;

static int
s_add_name (const char *word, void *arg)
{
    s_names_arg_t *names = (s_names_arg_t *) arg;
    sla_set_t *self = names->self;
    //  "policies" would put a policy's keys under the list's own key.
    if (!s_name_ok (word, sizeof self->policies [0].name) || strcmp (word, "policies") == 0) {
        snprintf (names->error, names->size,
                  "sla/policies = '%s': '%s' is not a policy name (letters, digits, _ - .)", names->value, word);
        return -1;
    }
    if (sla_set_policy (self, word))
        return 0;                   //  a built-in named again, or a repeat
    self->policies = (sla_policy_t *) realloc (self->policies, (self->n_policies + 1) * sizeof (sla_policy_t));
    sla_policy_t *policy = &self->policies [self->n_policies++];
    memset (policy, 0, sizeof *policy);
    snprintf (policy->name, sizeof policy->name, "%s", word);
    return 0;
}

sla_set_t *
sla_set_load (config_t *config, char *error, size_t size)
{
    assert (config);
    sla_set_t *self = (sla_set_t *) calloc (1, sizeof (sla_set_t));
    size_t n_builtins = sizeof s_builtins / sizeof s_builtins [0];
    self->policies = (sla_policy_t *) calloc (n_builtins, sizeof (sla_policy_t));
    for (size_t i = 0; i < n_builtins; i++)
        snprintf (self->policies [i].name, sizeof self->policies [0].name, "%s", s_builtins [i].name);
    self->n_policies = n_builtins;

    const char *names = s_get (config, "sla/policies");
    s_names_arg_t arg = { self, names, error, size };
    if (names && s_each_word (names, s_add_name, &arg)) {
        sla_set_destroy (&self);
        return NULL;
    }
    //  Built-ins first, so their implicit claims exist before any
    //  configured policy takes a type over.
    for (size_t i = 0; i < self->n_policies; i++)
        if (s_load_policy (self, config, i, i < n_builtins? (int) i: -1, error, size)) {
            sla_set_destroy (&self);
            return NULL;
        }
    //  Sorted by name for sla_set_at; the choices follow their policies.
    size_t *order = (size_t *) malloc (self->n_policies * sizeof (size_t));
    sla_policy_t *sorted = (sla_policy_t *) malloc (self->n_policies * sizeof (sla_policy_t));
    memcpy (sorted, self->policies, self->n_policies * sizeof (sla_policy_t));
    qsort (sorted, self->n_policies, sizeof (sla_policy_t), s_policy_compare);
    for (size_t i = 0; i < self->n_policies; i++)
        for (size_t j = 0; j < self->n_policies; j++)
            if (strcmp (self->policies [i].name, sorted [j].name) == 0)
                order [i] = j;
    for (size_t i = 0; i < self->n_choices; i++)
        self->choices [i].policy = order [self->choices [i].policy];
    free (self->policies);
    self->policies = sorted;
    free (order);
    return self;
}

void
sla_set_destroy (sla_set_t **self_p)
{
    assert (self_p);
    sla_set_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n_calendars; i++)
        calendar_destroy (&self->calendars [i].calendar);
    free (self->calendars);
    free (self->choices);
    free (self->policies);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------
//  Lookups.

const sla_policy_t *
sla_set_find (const sla_set_t *self, const char *queue, const char *work_type)
{
    assert (self && work_type);
    const s_choice_t *fallback = NULL;
    for (size_t i = 0; i < self->n_choices; i++) {
        const s_choice_t *choice = &self->choices [i];
        if (strcmp (choice->type, work_type))
            continue;
        if (queue && *choice->queue && strcmp (choice->queue, queue) == 0)
            return &self->policies [choice->policy];
        if (!*choice->queue)
            fallback = choice;
    }
    return fallback? &self->policies [fallback->policy]: NULL;
}

const sla_policy_t *
sla_set_policy (const sla_set_t *self, const char *name)
{
    assert (self && name);
    for (size_t i = 0; i < self->n_policies; i++)
        if (strcmp (self->policies [i].name, name) == 0)
            return &self->policies [i];
    return NULL;
}

size_t
sla_set_size (const sla_set_t *self)
{
    assert (self);
    return self->n_policies;
}

const sla_policy_t *
sla_set_at (const sla_set_t *self, size_t index)
{
    assert (self && index < self->n_policies);
    return &self->policies [index];
}

const calendar_t *
sla_set_calendar (const sla_set_t *self, const char *name)
{
    assert (self && name);
    for (size_t i = 0; i < self->n_calendars; i++)
        if (strcmp (self->calendars [i].name, name) == 0)
            return self->calendars [i].calendar;
    return NULL;
}

//  The calendar of a policy, NULL for wall-clock ones. A policy of this
//  set always finds its calendar; one from elsewhere naming a calendar the
//  set never loaded is a misuse.
static const calendar_t *
s_policy_calendar (const sla_set_t *self, const sla_policy_t *policy)
{
    if (!*policy->calendar)
        return NULL;
    const calendar_t *calendar = sla_set_calendar (self, policy->calendar);
    assert (calendar);
    return calendar;
}

uint64_t
sla_set_when (const sla_set_t *self, const sla_policy_t *policy, uint64_t from_ms, uint64_t clock_ms)
{
    assert (self && policy);
    const calendar_t *calendar = s_policy_calendar (self, policy);
    if (calendar)
        return calendar_add (calendar, from_ms, clock_ms);
    return clock_ms > UINT64_MAX - from_ms? UINT64_MAX: from_ms + clock_ms;
}

uint64_t
sla_set_elapsed (const sla_set_t *self, const sla_policy_t *policy, uint64_t from_ms, uint64_t to_ms)
{
    assert (self && policy);
    const calendar_t *calendar = s_policy_calendar (self, policy);
    if (calendar)
        return calendar_between (calendar, from_ms, to_ms);
    return to_ms > from_ms? to_ms - from_ms: 0;
}

uint64_t
sla_set_level_when (const sla_set_t *self, const sla_policy_t *policy, int level,
                    uint64_t spent_ms, uint64_t since_ms)
{
    assert (self && policy && level >= 1 && level <= SLA_LEVEL_MAX);
    uint64_t point = sla_level_spent (policy, level);
    if (spent_ms >= point)
        return since_ms;
    return sla_set_when (self, policy, since_ms, point - spent_ms);
}

bool
sla_policy_pauses (const sla_policy_t *policy, const char *state)
{
    assert (policy && state);
    for (size_t i = 0; i < policy->n_pause_states; i++)
        if (strcmp (policy->pause_states [i], state) == 0)
            return true;
    return false;
}

//  Rounded up: a level is reached when at least pct of the target has
//  passed, never a millisecond before. Split so target × pct cannot
//  overflow.
static uint64_t
s_pct_of (uint64_t target_ms, uint32_t pct)
{
    uint64_t whole = target_ms / 100 * pct;
    uint64_t part = target_ms % 100 * pct;
    return whole + (part + 99) / 100;
}

uint64_t
sla_level_spent (const sla_policy_t *policy, int level)
{
    assert (policy && level >= 0 && level <= SLA_LEVEL_MAX);
    switch (level) {
        case 0:
            return 0;
        case 1:
            return s_pct_of (policy->target_ms, policy->level1_pct);
        case 2:
            //  0 (a policy not loaded from config): at the target.
            return policy->level2_pct && policy->level2_pct < 100?
                   s_pct_of (policy->target_ms, policy->level2_pct): policy->target_ms;
        default:
            if (policy->level3_before_ms) {
                //  Before a hard deadline, never before level 2: a short
                //  run reaches both at once.
                uint64_t level2 = sla_level_spent (policy, 2);
                uint64_t point = policy->level3_before_ms < policy->target_ms?
                                 policy->target_ms - policy->level3_before_ms: 0;
                return point > level2? point: level2;
            }
            return policy->level3_after_ms > UINT64_MAX - policy->target_ms?
                   UINT64_MAX: policy->target_ms + policy->level3_after_ms;
    }
}

int
sla_level_at (const sla_policy_t *policy, uint64_t spent_ms)
{
    assert (policy);
    int level = 0;
    while (level < SLA_LEVEL_MAX && spent_ms >= sla_level_spent (policy, level + 1))
        level++;
    return level;
}
