/*  filters: a page's filters and period, kept in its URL's query string
    (payer, payer_group, location, service_line, queue, team, from, to,
    as_of, window), read into the MetricsFilters / MetricsPeriod that
    metrics.* take, and written back into links, so every link a page
    makes (drill-downs, CSV, the other pages) keeps what the user chose.

    A value the services would refuse or misread is refused here first,
    with the parameter named: ids are letters, digits and "-_. " (at most
    63), dates YYYY-MM-DD, window a whole number of days from 1 to 3660.
    An empty value means "any" (or the service's default).
*/
#ifndef RCMQ_WEB_FILTERS_H
#define RCMQ_WEB_FILTERS_H

#include <stddef.h>
#include <stdint.h>
#include "html.h"
#include "metrics.pb-c.h"

#define FILTERS_TEXT 64

typedef struct {
    char payer [FILTERS_TEXT];
    char payer_group [FILTERS_TEXT];
    char location [FILTERS_TEXT];
    char service_line [FILTERS_TEXT];
    char queue [FILTERS_TEXT];
    char team [FILTERS_TEXT];
    char from [11];
    char to [11];
    char as_of [11];
    uint32_t window;                    //  0: the service's default
} filters_t;

//  Looks a query parameter up (NULL when absent).
typedef const char *(filters_get_fn) (void *arg, const char *name);

//  0, or -1 with "window: expected ..." in error.
int         filters_parse (filters_t *self, filters_get_fn *get, void *arg, char *error, size_t size);
//  The query string of the filters that are set ("payer=P1&window=30"),
//  "" when none; each value percent-encoded.
void        filters_query (const filters_t *self, html_t *out);
//  Points a request's filters and period at self's text (self must outlive them).
void        filters_request (const filters_t *self, MetricsFilters *filters, MetricsPeriod *period);

//  The parameters, in order, for forms: name, label, and where the value is.
typedef struct {
    const char *name;
    const char *label;
    size_t offset;
    size_t size;
} filters_field_t;
extern const filters_field_t filters_fields [];     //  ends with { NULL }

#endif
