/*  rcmq-claims: claim lifecycle, 837P submission, 277CA and 835 posting, follow-up.

    This file wires the service into the common skeleton (common/service.h):
    its store, the streams it consumes, its request methods. What it does
    with them is built up in the files beside this one.
*/
#include "service.h"

//  The streams this service applies, in the order DESIGN §1 lists them.
static const char *const s_consumes [] = { "intake", "denials", "queue", "access", NULL };

//  Events of these streams are applied with offsets kept exactly once; the
//  service's domain effects join here as they are built.
static int
s_apply (store_t *store, MDB_txn *txn, const Event *event, void *arg)
{
    return 0;
}

static const service_def_t s_service = {
    .name = "claims",
    .consumes = s_consumes,
    .apply = s_apply,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
