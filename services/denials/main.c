/*  rcmq-denials: denial work items and appeals (DESIGN §6 Denials). See
    denials.h for the parts; this file wires them into the skeleton
    (common/service.h), and docs/new-service.md walks through it as the
    way every service is written.
*/
#include "denials.h"
#include "items.h"
#include "methods.h"

static const char *const s_tables [] = { DENIALS_TABLES, NULL };
//  The streams it applies, in the order DESIGN §1 lists them: its event
//  table acts on claims.denied; the others' offsets are kept exactly once
//  for the handlers the denials issue adds.
static const char *const s_consumes [] = { "claims", "queue", "access", NULL };

static const service_def_t s_service = {
    .name = "denials",
    .tables = s_tables,
    .consumes = s_consumes,
    .events = items_events,
    .methods = denials_methods,
    .state_new = (service_state_new_fn *) denials_new,
    .state_destroy = (service_state_destroy_fn *) denials_destroy,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
