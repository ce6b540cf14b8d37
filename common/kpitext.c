/*  kpitext: see kpitext.h. A table of units would be longer than the
    four cases it would hold; the cases are the table.
*/
#include "kpitext.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void
kpitext_cents (char *buf, size_t size, int64_t cents)
{
    uint64_t magnitude = cents < 0? 0 - (uint64_t) cents: (uint64_t) cents;
    snprintf (buf, size, "%s%" PRIu64 ".%02" PRIu64, cents < 0? "-": "", magnitude / 100, magnitude % 100);
}

void
kpitext_value (const KpiValue *value, char *buf, size_t size)
{
    if (!value->available)
        snprintf (buf, size, "n/a");
    else
    if (strcmp (value->unit, "ratio") == 0)
        snprintf (buf, size, "%.2f%%", value->value * 100);
    else
    if (strcmp (value->unit, "days") == 0 || strcmp (value->unit, "hours") == 0)
        snprintf (buf, size, "%.1f", value->value);
    else
    if (strcmp (value->unit, "cents") == 0) {
        //  Dollars, marked as such: the KPI's name says cents (its JSON
        //  value is cents), this text is for people.
        char dollars [32];
        kpitext_cents (dollars, sizeof dollars, value->amount);
        snprintf (buf, size, "%s$%s", *dollars == '-'? "-": "", dollars + (*dollars == '-'));
    }
    else
        snprintf (buf, size, "%" PRId64, value->amount);
}

json_t *
kpitext_json (const KpiValue *value)
{
    if (!value || !value->available)
        return json_null ();
    if (strcmp (value->unit, "cents") == 0 || strcmp (value->unit, "count") == 0)
        return json_integer ((json_int_t) value->amount);
    return json_real (value->value);
}
