/*  expo: writes the Prometheus text exposition format (version 0.0.4),
    the body of every process's `GET /metrics` (common/ops.h, ADR 34).

    A scrape is built in one expo_t: for each metric family, expo_family
    writes its `# HELP` and `# TYPE` lines once, then expo_sample writes
    its samples (or expo_histogram a histogram's `_bucket`, `_sum` and
    `_count` lines). The format's rules are kept here, once, so no caller
    has to know them:

    - label values escape backslash, double quote and newline (\\, \", \n);
      HELP text escapes backslash and newline;
    - a histogram's buckets are cumulative (each `le` counts every
      observation at or below it) and end with `le="+Inf"`, whose count
      equals `_count`;
    - numbers are Go-parsable floats: +Inf, -Inf and NaN by those names,
      integers up to 2^53 exactly;
    - a family's samples follow its HELP and TYPE lines, and a family is
      written once per scrape (promtool refuses a family split in two);
      a name or label name that is not [a-zA-Z_:][a-zA-Z0-9_:]* is a bug
      in the caller and asserts.

    expo_histogram_t is the histogram itself (fixed upper bounds, a count
    per bucket, the sum), observed by the process and written by expo.
*/
#ifndef RCMQ_EXPO_H
#define RCMQ_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _expo_t expo_t;

typedef enum {
    EXPO_COUNTER,
    EXPO_GAUGE,
    EXPO_HISTOGRAM,
} expo_type_t;

//  A histogram with fixed bucket upper bounds (ascending, finite): counts
//  [i] is how many observations fell in bucket i alone (above bound i-1,
//  at or below bound i), counts [bound_count] those above the last bound.
//  The writer makes them cumulative.
typedef struct {
    const double *bounds;
    size_t bound_count;
    uint64_t *counts;           //  bound_count + 1
    double sum;
    uint64_t count;
} expo_histogram_t;

//  The upper bounds, in seconds, rcmq's latency histograms use (request
//  handling, the broker's commits): from 0.5 ms to 10 s.
extern const double expo_latency_bounds [];
extern const size_t expo_latency_bound_count;

//  A histogram over bounds (bound_count of them, which must ascend);
//  destroy frees its counts.
expo_histogram_t *expo_histogram_new (const double *bounds, size_t bound_count);
void        expo_histogram_destroy (expo_histogram_t **self_p);
void        expo_histogram_observe (expo_histogram_t *self, double value);

expo_t     *expo_new (void);
void        expo_destroy (expo_t **self_p);
//  Starts the family `name`: its HELP and TYPE lines.
void        expo_family (expo_t *self, const char *name, expo_type_t type, const char *help);
//  One sample of the current family: name (the family's, or for a
//  histogram's parts written by hand its _bucket/_sum/_count), labels as
//  NULL-terminated pairs { "method", "claims.List", "status", "OK", NULL }
//  (labels may be NULL), and the value.
void        expo_sample (expo_t *self, const char *name, const char *const *labels, double value);
//  The samples of a histogram family `name` with labels (may be NULL).
void        expo_histogram (expo_t *self, const char *name, const char *const *labels,
                            const expo_histogram_t *histogram);
//  The text written so far (NUL-terminated) and its length.
const char *expo_text (expo_t *self);
size_t      expo_size (expo_t *self);
//  True when name is a valid metric or label name.
bool        expo_name_valid (const char *name);

#endif
