/*  rcmq-metrics: KPI aggregates per dimension and day (DESIGN §6 Metrics,
    docs/metrics.md). See metrics.h for the parts.

    It consumes intake (claims received, scrub outcomes) and claims (the
    lifecycle and money), and keeps offsets of queue, denials and inquiry
    too, so figures those streams will carry start from their first event.
    It does not consume audit: no figure comes from the access log, and a
    rebuild would replay the largest stream for nothing.
*/
#include "metrics.h"
#include "facts.h"
#include "service.h"
#include "log.h"

extern const server_method_t metrics_methods [];

static const char *const s_tables [] = { METRICS_TABLES, NULL };
static const char *const s_consumes [] = { "intake", "queue", "claims", "denials", "inquiry", NULL };

//  metrics.Rebuild wipes the tables and the offsets in its transaction; the
//  consumer's offsets in memory may only go back to zero once that
//  transaction committed, and only then. The generation in "meta" says
//  whether it did.
static bool s_rebuild_requested;
static uint64_t s_generation;

void
metrics_rebuild_requested (void)
{
    s_rebuild_requested = true;
}

//  The rebuild generation in the store; -1 (logged) when it cannot be read.
static int
s_stored_generation (store_t *store, uint64_t *generation)
{
    MDB_txn *txn = store_read_begin (store);
    int rc = txn? store_get_u64 (store, txn, "meta", "metrics_generation", generation): -1;
    store_read_end (&txn);
    if (rc)
        log_error ("cannot read the rebuild generation", "error", json_string (store_error (store)), NULL);
    return rc;
}

static int
s_start (service_t *service)
{
    return s_stored_generation (service_store (service), &s_generation);
}

static void
s_committed (service_t *service)
{
    if (!s_rebuild_requested)
        return;
    s_rebuild_requested = false;
    uint64_t generation;
    if (s_stored_generation (service_store (service), &generation) || generation == s_generation)
        return;             //  the rebuild's transaction did not commit
    s_generation = generation;
    consumer_reset (service_consumer (service));
    log_info ("metrics rebuild: replaying every stream from seq 1",
              "generation", json_integer ((json_int_t) generation), NULL);
}

static const service_def_t s_service = {
    .name = "metrics",
    .tables = s_tables,
    .consumes = s_consumes,
    .events = facts_events,
    .methods = metrics_methods,
    .start = s_start,
    .committed = s_committed,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
