/*  methods: rcmq-metrics' request methods (metrics.Kpi, Aging, Trend,
    Scorecard, Drill, Rebuild), as one dispatch table.
*/
#ifndef RCMQ_METRICS_METHODS_H
#define RCMQ_METRICS_METHODS_H

#include "server.h"

extern const server_method_t metrics_methods [];

#endif
