/*  rcmq-audit: the hash-chained audit log, checkpoints and the access registry.

    This file wires the service into the common skeleton (common/service.h):
    its store, the streams it consumes, its request methods. What it does
    with them is in the files beside this one (audit.h lists them).
*/
#include "audit.h"
#include "access_methods.h"

static const char *const s_tables [] = { AUDIT_TABLES, NULL };
//  The streams this service applies, in the order DESIGN §1 lists them:
//  their offsets are kept exactly once, and its event table joins here as
//  its domain effects are built.
static const char *const s_consumes [] = { "intake", "queue", "claims", "denials", "inquiry", "access", "audit", NULL };

static const service_def_t s_service = {
    .name = "audit",
    .tables = s_tables,
    .consumes = s_consumes,
    .methods = access_methods,
    .state_new = (service_state_new_fn *) audit_new,
    .state_destroy = (service_state_destroy_fn *) audit_destroy,
    .start = audit_start,
    .registry_owner = true,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
