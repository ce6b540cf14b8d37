/*  rcmq-metrics: KPI aggregates per dimension and day (DESIGN §6 Metrics,
    docs/metrics.md). See metrics.h for the parts; this file wires them
    into the skeleton (common/service.h).

    It consumes intake (claims received, scrub outcomes), claims (the
    lifecycle and money), denials (appeals, outcomes, deadlines: see
    denial_facts.h), queue (the grids) and the work events of each, and
    keeps the offset of inquiry too, so figures that stream will carry
    start from its first event.
    It does not consume audit: no figure comes from the access log, and a
    rebuild would replay the largest stream for nothing.
*/
#include "metrics.h"
#include "facts.h"
#include "methods.h"

static const char *const s_tables [] = { METRICS_TABLES, NULL };
static const char *const s_consumes [] = { "intake", "queue", "claims", "denials", "inquiry", NULL };

static void
s_committed (service_t *service)
{
    metrics_committed ((metrics_t *) service_state (service));
}

static const service_def_t s_service = {
    .name = "metrics",
    .tables = s_tables,
    .consumes = s_consumes,
    .events = facts_events,
    .methods = metrics_methods,
    .state_new = (service_state_new_fn *) metrics_new,
    .state_destroy = (service_state_destroy_fn *) metrics_destroy,
    .committed = s_committed,
    .batch = metrics_batch,
    .store_version = METRICS_STORE_VERSION,
    .migrations = metrics_migrations,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
