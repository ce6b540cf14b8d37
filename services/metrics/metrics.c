/*  metrics: the helpers every part shares (see metrics.h): big-endian key
    parts, days, and the wipe behind metrics.Rebuild.
*/
#include "metrics.h"
#include "clock.h"

#include <czmq.h>

void
metrics_u32_write (uint8_t *buf, uint32_t value)
{
    buf [0] = (uint8_t) (value >> 24);
    buf [1] = (uint8_t) (value >> 16);
    buf [2] = (uint8_t) (value >> 8);
    buf [3] = (uint8_t) value;
}

uint32_t
metrics_u32_read (const void *buf)
{
    const uint8_t *bytes = (const uint8_t *) buf;
    return (uint32_t) bytes [0] << 24 | (uint32_t) bytes [1] << 16 | (uint32_t) bytes [2] << 8 | bytes [3];
}

uint32_t
metrics_day_from_ms (uint64_t ms)
{
    return (uint32_t) (ms / CLOCK_MS_PER_DAY) + 1;
}

uint32_t
metrics_day_from_text (const char *text)
{
    if (!text)
        return 0;
    int year, month, day;
    char tail;
    size_t length = strlen (text);
    if (length == 8 && strspn (text, "0123456789") == 8)
        sscanf (text, "%4d%2d%2d", &year, &month, &day);
    else
    if (length == 10 && sscanf (text, "%4d-%2d-%2d%c", &year, &month, &day, &tail) == 3)
        ;
    else
        return 0;
    if (year < 1971 || month < 1 || month > 12 || day < 1 || day > 31)
        return 0;
    int64_t days = clock_days_from_civil (year, month, day);
    //  Reject 2026-02-31 and the like: the civil date must come back.
    int y, m, d;
    clock_civil_from_days (days, &y, &m, &d);
    if (y != year || m != month || d != day)
        return 0;
    return (uint32_t) days + 1;
}

void
metrics_day_format (uint32_t day, char *buf, size_t size)
{
    if (day == 0) {
        snprintf (buf, size, "%s", "");
        return;
    }
    int year, month, mday;
    clock_civil_from_days ((int64_t) day - 1, &year, &month, &mday);
    snprintf (buf, size, "%04d-%02d-%02d", year, month, mday);
}

uint32_t
metrics_today (void)
{
    return metrics_day_from_ms (clock_now_ms ());
}

int
metrics_wipe (store_t *store, MDB_txn *txn, uint64_t *facts, uint64_t *rows)
{
    static const char *const tables [] = { METRICS_TABLES, "offsets", NULL };
    *facts = store_count (store, txn, "facts");
    *rows = 0;
    for (const char *const *table = tables; *table; table++) {
        *rows += store_count (store, txn, *table);
        int rc = mdb_drop (txn, store_table (store, *table), 0);
        if (rc)
            return rc;
    }
    int rc = store_del (store, txn, "meta", "metrics_dims_next", strlen ("metrics_dims_next"));
    return rc == MDB_NOTFOUND? 0: rc;
}
