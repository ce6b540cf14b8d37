/*  clock: the one time source every rcmq process reads.

    RCMQ_NOW (an ISO-8601 instant such as 2026-11-02T09:00:00Z) sets the
    instant the clock starts from; from there it advances with real time, so
    a demo or a test can replay a billing month deterministically while
    timeouts still fire. Without RCMQ_NOW the clock is the wall clock.

    A process's clock never goes backwards across restarts: once its store
    is open, a service calls clock_not_before with the latest time the
    store may hold (store_clock_high), and a clock that would start earlier
    (RCMQ_NOW in the past, a wall clock set back) starts from there.
*/
#ifndef RCMQ_CLOCK_H
#define RCMQ_CLOCK_H

#include <stdint.h>
#include <stddef.h>

#define CLOCK_MS_PER_DAY 86400000ULL

//  Reads RCMQ_NOW. Returns 0, or -1 when it is set but not an ISO-8601 instant.
int      clock_init_from_env (void);
//  Starts the clock at the given instant (ms since the epoch); 0 = wall clock.
void     clock_set_start (uint64_t start_ms);
//  When the clock reads earlier than floor_ms, shifts it so it reads
//  floor_ms now (and advances from there); returns the milliseconds it
//  moved it forward, 0 when it was already at or past floor_ms.
uint64_t clock_not_before (uint64_t floor_ms);
//  Milliseconds since the epoch, as this process sees time.
uint64_t clock_now_ms (void);
//  Real monotonic milliseconds, for timeouts and heartbeats (never shifted).
uint64_t clock_monotonic_ms (void);

//  Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z" or "+HH:MM" /
//  "-HH:MM" (no zone = UTC), and "YYYYMMDD". Returns 0 or -1.
int      clock_parse_iso8601 (const char *text, uint64_t *ms_out);
//  Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least 25 bytes).
void     clock_format_iso8601 (uint64_t ms, char *buf, size_t size);
//  Writes "YYYY-MM-DD" into buf (at least 11 bytes).
void     clock_format_date (uint64_t ms, char *buf, size_t size);
//  Days since 1970-01-01 for a civil date, and back.
int64_t  clock_days_from_civil (int year, int month, int day);
void     clock_civil_from_days (int64_t days, int *year, int *month, int *day);

#endif
