/*  filters: see filters.h. One table says every parameter, its label and
    where it goes; parsing, writing back and the forms walk it.
*/
#include "filters.h"

#include <czmq.h>

#define FIELD(name, label, member) { name, label, offsetof (filters_t, member), sizeof ((filters_t *) 0)->member }
const filters_field_t filters_fields [] = {
    FIELD ("payer",        "Payer",        payer),
    FIELD ("payer_group",  "Payer group",  payer_group),
    FIELD ("location",     "Location",     location),
    FIELD ("service_line", "Service line", service_line),
    FIELD ("queue",        "Queue",        queue),
    FIELD ("team",         "Team",         team),
    FIELD ("from",         "From",         from),
    FIELD ("to",           "To",           to),
    FIELD ("as_of",        "As of",        as_of),
    { NULL }
};
#define FILTERS_MAX_WINDOW 3660

static bool
s_id_ok (const char *text, size_t size)
{
    if (strlen (text) >= size)
        return false;
    for (const char *p = text; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("-_. ", *p))
            return false;
    return true;
}

static bool
s_date_ok (const char *text)
{
    int year, month, day;
    char tail;
    return strlen (text) == 10 && text [4] == '-' && text [7] == '-'
        && strspn (text, "0123456789-") == 10
        && sscanf (text, "%4d-%2d-%2d%c", &year, &month, &day, &tail) == 3
        && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

int
filters_parse (filters_t *self, filters_get_fn *get, void *arg, char *error, size_t size)
{
    memset (self, 0, sizeof *self);
    for (const filters_field_t *field = filters_fields; field->name; field++) {
        const char *value = get (arg, field->name);
        if (!value || !*value)
            continue;
        bool date = field->size == 11;
        if (date? !s_date_ok (value): !s_id_ok (value, field->size)) {
            snprintf (error, size, "%s: '%.80s' is not %s", field->name, value,
                      date? "a date YYYY-MM-DD": "an id (letters, digits, - _ . and space, at most 63)");
            return -1;
        }
        snprintf ((char *) self + field->offset, field->size, "%s", value);
    }
    const char *window = get (arg, "window");
    if (window && *window) {
        char *end = NULL;
        unsigned long days = strspn (window, "0123456789") == strlen (window) && strlen (window) <= 5
                           ? strtoul (window, &end, 10): 0;
        if (days < 1 || days > FILTERS_MAX_WINDOW) {
            snprintf (error, size, "window: '%.20s' is not a whole number of days from 1 to %d",
                      window, FILTERS_MAX_WINDOW);
            return -1;
        }
        self->window = (uint32_t) days;
    }
    return 0;
}

void
filters_query (const filters_t *self, html_t *out)
{
    const char *separator = "";
    for (const filters_field_t *field = filters_fields; field->name; field++) {
        const char *value = (const char *) self + field->offset;
        if (!*value)
            continue;
        html_printf (out, "%s%s=", separator, field->name);
        html_url (out, value);
        separator = "&";
    }
    if (self->window)
        html_printf (out, "%swindow=%u", separator, self->window);
}

void
filters_request (const filters_t *self, MetricsFilters *filters, MetricsPeriod *period)
{
    metrics_filters__init (filters);
    metrics_period__init (period);
    filters->payer_id = (char *) self->payer;
    filters->payer_group = (char *) self->payer_group;
    filters->location = (char *) self->location;
    filters->service_line = (char *) self->service_line;
    filters->queue = (char *) self->queue;
    filters->owner_team = (char *) self->team;
    period->from = (char *) self->from;
    period->to = (char *) self->to;
    period->as_of = (char *) self->as_of;
    period->window_days = self->window;
}
