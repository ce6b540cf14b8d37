/*  rcmq-inquiry: patient inquiries, messages and templates.

    This file wires the service into the common skeleton (common/service.h):
    its store, the streams it consumes, its request methods. What it does
    with them is built up in the files beside this one.
*/
#include "service.h"

//  The streams this service applies, in the order DESIGN §1 lists them:
//  their offsets are kept exactly once, and its event table joins here as
//  its domain effects are built.
static const char *const s_consumes [] = { "claims", "queue", "access", NULL };

static const service_def_t s_service = {
    .name = "inquiry",
    .consumes = s_consumes,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
