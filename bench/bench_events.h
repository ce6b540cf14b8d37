/*  bench_events: a year of synthetic claims as the events their producers
    write (intake.claim_accepted / claim_rejected, claims.entered,
    submitted, adjudicated, denied, reversed), for the benchmarks that load
    rcmq-metrics in-process through metrics_apply (bench/metrics,
    bench/web).

    Per claim: accepted (1 in 20 rejected instead), entered, submitted, and
    when its remit date (14-45 days after receipt) has come, adjudicated;
    1 in 8 denied, 1 in 25 of the rest reversed. Claims spread over 365
    days to today, 6 payers (with their names), 4 locations (with theirs),
    5 service lines and the queues and teams they map to (~120 dimension
    combinations). A fixed seed: the same claims every run.
*/
#ifndef RCMQ_BENCH_EVENTS_H
#define RCMQ_BENCH_EVENTS_H

#include "metrics.h"

#define BENCH_DAYS 365

typedef struct {
    Event **events;
    size_t count;
    size_t capacity;
    uint64_t seq [2];
} bench_events_t;

//  Appends the events of claims claims received up to today (a metrics day).
void bench_events_make (bench_events_t *self, size_t claims, uint32_t today);
void bench_events_free (bench_events_t *self);

#endif
