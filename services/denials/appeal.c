/*  appeal: see appeal.h. s_built_in is the table of defaults. */
#include "appeal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const appeal_window_t s_built_in [] = {
    { false, "medicare",   1, 120, true },      //  redetermination: 120 days from the notice
    { false, "medicare",   2, 180, true },      //  reconsideration (QIC): 180 days
    { false, "commercial", 1, 180, true },      //  ERISA plans: 180 days
    { false, "commercial", 2, 60,  true },
    { false, "bcbs",       1, 180, true },
    { false, "bcbs",       2, 60,  true },
    { false, "tricare",    1, 90,  true },
    { false, "default",    1, 90,  true },
    { false, "default",    2, 60,  true },
};

//  Timely filing, days from the date of service (level 0).
static const appeal_window_t s_filing_built_in [] = {
    { false, "medicare",   0, 365, true },      //  one calendar year from the date of service
    { false, "tricare",    0, 365, true },
    { false, "bcbs",       0, 180, true },
    { false, "commercial", 0, 90,  true },      //  the strictest common contract term
    { false, "default",    0, 90,  true },
};

static appeal_window_t *
s_row (appeal_windows_t *self, bool payer, const char *name, unsigned level)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->rows [i].payer == payer && self->rows [i].level == level && strcmp (self->rows [i].name, name) == 0)
            return &self->rows [i];
    return NULL;
}

//  A configured row: it replaces the built-in of the same payer or group
//  and level; naming one twice, or more rows than fit, is refused (key,
//  the entry and what it names in the message).
static int
s_set_row (appeal_windows_t *self, bool payer, const char *name, unsigned level, unsigned days,
           const char *key, const char *entry, const char *what, const char *count_scope,
           char *error, size_t size)
{
    appeal_window_t *row = s_row (self, payer, name, level);
    if (row && !row->built_in) {
        snprintf (error, size, "%s: '%s': %s is named twice", key, entry, what);
        return -1;
    }
    if (!row && self->count == APPEAL_WINDOWS_MAX) {
        snprintf (error, size, "%s: more than %d entries%s", key, APPEAL_WINDOWS_MAX, count_scope);
        return -1;
    }
    if (!row)
        row = &self->rows [self->count++];
    row->payer = payer;
    snprintf (row->name, sizeof row->name, "%s", name);
    row->level = level;
    row->days = days;
    row->built_in = false;
    return 0;
}

int
appeal_windows_parse (appeal_windows_t *self, const char *text, char *error, size_t size)
{
    memset (self, 0, sizeof *self);
    for (size_t i = 0; i < sizeof s_built_in / sizeof s_built_in [0]; i++)
        self->rows [self->count++] = s_built_in [i];
    char *copy = strdup (text? text: "");
    char *save = NULL;
    int rc = 0;
    for (char *entry = strtok_r (copy, ";", &save); entry && rc == 0; entry = strtok_r (NULL, ";", &save)) {
        char kind [16], name [64], extra [2];
        unsigned level, days;
        int n = sscanf (entry, " %15s %63s %u %u %1s", kind, name, &level, &days, extra);
        if (n == EOF)
            continue;               //  an empty entry (a trailing ';')
        bool payer = n >= 1 && strcmp (kind, "payer") == 0;
        if (n != 4 || (!payer && strcmp (kind, "group") != 0)) {
            snprintf (error, size, "denials/appeal-windows: '%s' is not 'group NAME LEVEL DAYS' or "
                      "'payer PAYER_ID LEVEL DAYS'", entry);
            rc = -1;
        }
        else
        if (level < 1 || level > 5 || days < 1 || days > 3650) {
            snprintf (error, size, "denials/appeal-windows: '%s': level must be 1 to 5 and days 1 to 3650", entry);
            rc = -1;
        }
        else {
            char what [128];
            snprintf (what, sizeof what, "%s %s level %u", kind, name, level);
            rc = s_set_row (self, payer, name, level, days, "denials/appeal-windows", entry, what, "",
                            error, size);
        }
    }
    free (copy);
    return rc;
}

int
appeal_filing_parse (appeal_windows_t *self, const char *text, char *error, size_t size)
{
    for (size_t i = 0; i < sizeof s_filing_built_in / sizeof s_filing_built_in [0]; i++) {
        if (self->count == APPEAL_WINDOWS_MAX) {
            snprintf (error, size, "denials/timely-filing: more than %d entries in all", APPEAL_WINDOWS_MAX);
            return -1;
        }
        self->rows [self->count++] = s_filing_built_in [i];
    }
    char *copy = strdup (text? text: "");
    char *save = NULL;
    int rc = 0;
    for (char *entry = strtok_r (copy, ";", &save); entry && rc == 0; entry = strtok_r (NULL, ";", &save)) {
        char kind [16], name [64], extra [2];
        unsigned days;
        int n = sscanf (entry, " %15s %63s %u %1s", kind, name, &days, extra);
        if (n == EOF)
            continue;
        bool payer = n >= 1 && strcmp (kind, "payer") == 0;
        if (n != 3 || (!payer && strcmp (kind, "group") != 0)) {
            snprintf (error, size, "denials/timely-filing: '%s' is not 'group NAME DAYS' or 'payer PAYER_ID DAYS'",
                      entry);
            rc = -1;
        }
        else
        if (days < 1 || days > 3650) {
            snprintf (error, size, "denials/timely-filing: '%s': days must be 1 to 3650", entry);
            rc = -1;
        }
        else {
            char what [128];
            snprintf (what, sizeof what, "%s %s", kind, name);
            rc = s_set_row (self, payer, name, 0, days, "denials/timely-filing", entry, what, " in all",
                            error, size);
        }
    }
    free (copy);
    return rc;
}

const appeal_window_t *
appeal_window_find (const appeal_windows_t *self, const char *payer_id, const char *payer_group, unsigned level)
{
    const appeal_window_t *group = NULL, *fallback = NULL;
    for (size_t i = 0; i < self->count; i++) {
        const appeal_window_t *row = &self->rows [i];
        if (row->level != level)
            continue;
        if (row->payer && payer_id && strcmp (row->name, payer_id) == 0)
            return row;
        if (!row->payer && payer_group && strcmp (row->name, payer_group) == 0)
            group = row;
        if (!row->payer && strcmp (row->name, "default") == 0)
            fallback = row;
    }
    return group? group: fallback;
}

void
appeal_window_describe (const appeal_window_t *window, char *buf, size_t size)
{
    if (window->level == 0)
        snprintf (buf, size, "%s %s timely filing: %u days from the date of service%s",
                  window->payer? "payer_id": "payer_group", window->name, window->days,
                  window->built_in? " (built-in)": "");
    else
        snprintf (buf, size, "%s %s level %u: %u days%s", window->payer? "payer_id": "payer_group",
                  window->name, window->level, window->days, window->built_in? " (built-in)": "");
}
