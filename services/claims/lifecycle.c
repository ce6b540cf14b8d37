/*  lifecycle: see lifecycle.h. The legal moves are one table. */
#include "lifecycle.h"

#include <czmq.h>

static const struct {
    const char *from;
    const char *to [8];
} s_moves [] = {
    { "ready",          { "submitted", "voided", "closed", NULL } },
    { "submitted",      { "accepted", "rejected", "paid", "partially_paid", "denied", "voided", NULL } },
    { "accepted",       { "paid", "partially_paid", "denied", "rejected", "voided", NULL } },
    { "rejected",       { "ready", "corrected", "voided", "submitted", "closed", NULL } },
    { "paid",           { "reversed", "paid", "partially_paid", "denied", "corrected", "voided", "closed", NULL } },
    { "partially_paid", { "reversed", "paid", "partially_paid", "denied", "corrected", "voided", "closed", NULL } },
    { "denied",         { "reversed", "paid", "partially_paid", "denied", "corrected", "voided", "closed", NULL } },
    { "reversed",       { "paid", "partially_paid", "denied", "corrected", "voided", "closed", NULL } },
    { "corrected",      { "submitted", "voided", NULL } },
    { "voided",         { "submitted", "closed", NULL } },
    { "closed",         { NULL } },
};

static int
s_row (const char *status)
{
    for (size_t i = 0; status && i < sizeof s_moves / sizeof s_moves [0]; i++)
        if (streq (s_moves [i].from, status))
            return (int) i;
    return -1;
}

bool
lifecycle_known (const char *status)
{
    return s_row (status) >= 0;
}

void
lifecycle_names (char *out, size_t size)
{
    size_t used = 0;
    if (size)
        *out = 0;
    for (size_t i = 0; i < sizeof s_moves / sizeof s_moves [0] && used < size; i++) {
        int n = snprintf (out + used, size - used, "%s%s", i? ", ": "", s_moves [i].from);
        used += n > 0? (size_t) n: 0;
    }
}

bool
lifecycle_allows (const char *from, const char *to)
{
    int row = s_row (from);
    if (row < 0)
        return false;
    for (size_t i = 0; s_moves [row].to [i]; i++)
        if (streq (s_moves [row].to [i], to))
            return true;
    return false;
}

bool
lifecycle_open (const char *status)
{
    return !streq (status, "closed") && !streq (status, "voided");
}

int
lifecycle_move (ClaimRecord *record, const char *to, const char *actor,
                const char *reason, uint64_t now_ms, char *error, size_t size)
{
    if (!lifecycle_allows (record->status, to)) {
        snprintf (error, size, "claim %s is %s and cannot become %s", record->pcn, record->status, to);
        return -1;
    }
    HistoryEntry *entry = (HistoryEntry *) malloc (sizeof (HistoryEntry));
    history_entry__init (entry);
    //  A history runs forward: an entry is never dated before the one
    //  before it, whose time may come from another process's clock
    //  ("ready" is dated by intake's event) or from before a restart.
    uint64_t last = record->n_history? record->history [record->n_history - 1]->time_ms: 0;
    entry->time_ms = now_ms > last? now_ms: last;
    entry->actor = strdup (actor? actor: "");
    entry->from_status = strdup (record->status);
    entry->to_status = strdup (to);
    entry->reason = strdup (reason? reason: "");
    record->history = (HistoryEntry **) realloc (record->history,
                                                 (record->n_history + 1) * sizeof (HistoryEntry *));
    record->history [record->n_history++] = entry;
    if (record->status != protobuf_c_empty_string)
        free (record->status);
    record->status = strdup (to);
    return 0;
}
