/*  rcmq-audit: the transparency log of every event and request, its
    signed checkpoints, and the access registry.

    This file wires the service into the common skeleton (common/service.h):
    its store, the streams it consumes, its request methods. What it does
    with them is in the files beside this one (audit.h lists them).
*/
#include "audit.h"
#include "access_methods.h"
#include "audit_methods.h"

static const char *const s_tables [] = { AUDIT_TABLES, NULL };
//  Every stream there is (DESIGN §1: audit consumes every stream), each of
//  whose events becomes a leaf of the log; a new stream joins this list
//  with the service that publishes it.
static const char *const s_consumes [] = { "intake", "queue", "claims", "denials", "inquiry", "access", "audit", NULL };

//  Every event of every stream is a leaf of the log (auditlog.h).
static int
s_each_event (store_t *store, MDB_txn *txn, const Event *event, void *state)
{
    return auditlog_apply (store, txn, event, ((audit_t *) state)->log);
}

static int
s_batch (store_t *store, MDB_txn *txn, bool end, void *state)
{
    return auditlog_batch (store, txn, end, ((audit_t *) state)->log);
}

static void
s_committed (service_t *service)
{
    auditlog_committed (((audit_t *) service_state (service))->log);
}

static int
s_start (service_t *service)
{
    service_add_methods (service, audit_methods);
    return audit_start (service);
}

static const service_def_t s_service = {
    .name = "audit",
    .tables = s_tables,
    .consumes = s_consumes,
    .methods = access_methods,
    .state_new = (service_state_new_fn *) audit_new,
    .state_destroy = (service_state_destroy_fn *) audit_destroy,
    .start = s_start,
    .each_event = s_each_event,
    .batch = s_batch,
    .committed = s_committed,
    //  Only to turn a member id into its blind index for a patient's
    //  query: audit opens no sealed field.
    .phi = true,
    .registry_owner = true,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
