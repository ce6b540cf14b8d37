/*  expo: see expo.h. The text grows in one buffer; each line is written
    whole by the functions below, numbers by s_number (the shortest
    decimal that reads back as the same double, so bucket bounds print as
    written: 0.005, not 0.0050000000000000001).
*/
#include "expo.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double expo_latency_bounds [] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
const size_t expo_latency_bound_count = sizeof expo_latency_bounds / sizeof expo_latency_bounds [0];

struct _expo_t {
    char *text;
    size_t size;
    size_t capacity;
};

static const char *s_type_names [] = {
    [EXPO_COUNTER] = "counter",
    [EXPO_GAUGE] = "gauge",
    [EXPO_HISTOGRAM] = "histogram",
};

expo_histogram_t *
expo_histogram_new (const double *bounds, size_t bound_count)
{
    for (size_t i = 1; i < bound_count; i++)
        assert (bounds [i - 1] < bounds [i]);
    expo_histogram_t *self = (expo_histogram_t *) calloc (1, sizeof (expo_histogram_t));
    assert (self);
    self->bounds = bounds;
    self->bound_count = bound_count;
    self->counts = (uint64_t *) calloc (bound_count + 1, sizeof (uint64_t));
    assert (self->counts);
    return self;
}

void
expo_histogram_destroy (expo_histogram_t **self_p)
{
    if (!*self_p)
        return;
    free ((*self_p)->counts);
    free (*self_p);
    *self_p = NULL;
}

void
expo_histogram_observe (expo_histogram_t *self, double value)
{
    size_t bucket = 0;
    while (bucket < self->bound_count && value > self->bounds [bucket])
        bucket++;
    self->counts [bucket]++;
    self->sum += value;
    self->count++;
}

expo_t *
expo_new (void)
{
    expo_t *self = (expo_t *) calloc (1, sizeof (expo_t));
    assert (self);
    self->capacity = 4096;
    self->text = (char *) malloc (self->capacity);
    assert (self->text);
    self->text [0] = 0;
    return self;
}

void
expo_destroy (expo_t **self_p)
{
    if (!*self_p)
        return;
    free ((*self_p)->text);
    free (*self_p);
    *self_p = NULL;
}

const char *expo_text (expo_t *self) { return self->text; }
size_t      expo_size (expo_t *self) { return self->size; }

static void
s_reserve (expo_t *self, size_t more)
{
    if (self->size + more + 1 <= self->capacity)
        return;
    while (self->size + more + 1 > self->capacity)
        self->capacity *= 2;
    self->text = (char *) realloc (self->text, self->capacity);
    assert (self->text);
}

static void
s_put (expo_t *self, const char *text, size_t size)
{
    s_reserve (self, size);
    memcpy (self->text + self->size, text, size);
    self->size += size;
    self->text [self->size] = 0;
}

static void
s_puts (expo_t *self, const char *text)
{
    s_put (self, text, strlen (text));
}

//  Writes text with the escapes of a label value (with_quote) or of HELP.
static void
s_escaped (expo_t *self, const char *text, bool with_quote)
{
    for (const char *at = text; *at; at++) {
        if (*at == '\\')
            s_puts (self, "\\\\");
        else
        if (*at == '\n')
            s_puts (self, "\\n");
        else
        if (*at == '"' && with_quote)
            s_puts (self, "\\\"");
        else
            s_put (self, at, 1);
    }
}

static void
s_number (char *buf, size_t size, double value)
{
    if (isnan (value))
        snprintf (buf, size, "NaN");
    else
    if (isinf (value))
        snprintf (buf, size, value > 0? "+Inf": "-Inf");
    else
    if (value == floor (value) && fabs (value) < 9007199254740992.0)
        snprintf (buf, size, "%.0f", value);
    else {
        for (int precision = 1; precision <= 17; precision++) {
            snprintf (buf, size, "%.*g", precision, value);
            if (strtod (buf, NULL) == value)
                break;
        }
    }
}

bool
expo_name_valid (const char *name)
{
    if (!name || !*name)
        return false;
    for (const char *at = name; *at; at++) {
        char c = *at;
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!letter && !(at > name && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

void
expo_family (expo_t *self, const char *name, expo_type_t type, const char *help)
{
    assert (expo_name_valid (name));
    s_puts (self, "# HELP ");
    s_puts (self, name);
    s_puts (self, " ");
    s_escaped (self, help, false);
    s_puts (self, "\n# TYPE ");
    s_puts (self, name);
    s_puts (self, " ");
    s_puts (self, s_type_names [type]);
    s_puts (self, "\n");
}

//  name{labels,extra="value"} value: extra (may be NULL) is one more
//  label, the histogram's le.
static void
s_line (expo_t *self, const char *name, const char *const *labels,
        const char *extra, const char *extra_value, double value)
{
    assert (expo_name_valid (name));
    s_puts (self, name);
    bool any = (labels && labels [0]) || extra;
    if (any) {
        s_puts (self, "{");
        bool first = true;
        for (size_t i = 0; labels && labels [i]; i += 2) {
            assert (expo_name_valid (labels [i]) && labels [i + 1]);
            if (!first)
                s_puts (self, ",");
            s_puts (self, labels [i]);
            s_puts (self, "=\"");
            s_escaped (self, labels [i + 1], true);
            s_puts (self, "\"");
            first = false;
        }
        if (extra) {
            if (!first)
                s_puts (self, ",");
            s_puts (self, extra);
            s_puts (self, "=\"");
            s_escaped (self, extra_value, true);
            s_puts (self, "\"");
        }
        s_puts (self, "}");
    }
    char number [64];
    s_number (number, sizeof number, value);
    s_puts (self, " ");
    s_puts (self, number);
    s_puts (self, "\n");
}

void
expo_sample (expo_t *self, const char *name, const char *const *labels, double value)
{
    s_line (self, name, labels, NULL, NULL, value);
}

void
expo_histogram (expo_t *self, const char *name, const char *const *labels,
                const expo_histogram_t *histogram)
{
    char part [256];
    assert (strlen (name) + 8 < sizeof part);
    snprintf (part, sizeof part, "%s_bucket", name);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < histogram->bound_count; i++) {
        cumulative += histogram->counts [i];
        char bound [64];
        s_number (bound, sizeof bound, histogram->bounds [i]);
        s_line (self, part, labels, "le", bound, (double) cumulative);
    }
    //  The +Inf bucket holds every observation: by construction the same
    //  as _count, which the format requires.
    cumulative += histogram->counts [histogram->bound_count];
    s_line (self, part, labels, "le", "+Inf", (double) cumulative);
    snprintf (part, sizeof part, "%s_sum", name);
    s_line (self, part, labels, NULL, NULL, histogram->sum);
    snprintf (part, sizeof part, "%s_count", name);
    s_line (self, part, labels, NULL, NULL, (double) histogram->count);
}
