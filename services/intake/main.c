/*  rcmq-intake: 837P files in, scrubbed, routed to work queues, PHI
    encrypted at rest (DESIGN §6). See intake.h for the parts; this file
    wires them into the skeleton (common/service.h).

    Settings (docs/configuration.md):
        intake/inbox-dir       watched folder        (<data/dir>/inbox)
        intake/ack-dir         999 files out         (<data/dir>/acks)
        intake/queues-file     queues to create at start (ZPL), optional
        intake/filing-days     timely filing window  (365)
        intake/filing-days/<payer id>  per payer
        intake/upload-dir      staged uploads        (<data/dir>/intake-uploads)
        intake/uploads-per-caller, intake/uploads-max, intake/upload-max-bytes,
        intake/upload-idle-seconds   limits of chunked uploads (upload.h)
        intake/apply-step-claims, intake/apply-step-ms   the size of a
                               step of a stepped apply (apply.h)
        phi/key-file           PHI key               (<keys/dir>/phi.key)
*/
#include "intake.h"
#include "apply.h"
#include "inbox.h"
#include "methods.h"
#include "patterns.h"
#include "batch.h"
#include "upload.h"

static const char *const s_tables [] = { INTAKE_TABLES, NULL };
//  The access stream will carry registry changes (DESIGN §4); intake keeps
//  its offset so it applies each exactly once when they come. From denials
//  it takes the patterns of preventable denials, which become scrub
//  warnings on new claims (patterns.h).
static const char *const s_consumes [] = { "access", "denials", NULL };

//  Each change of the store's layout, from the version before it.
static const store_migration_t s_migrations [] = {
    { 1, 2, batch_index_rejections_by_pcn, "rejections indexed by PCN (rejections_by_pcn), resolved by later accepted claims" },
    { 0 }
};

//  Queues the store got at start-up go out; the inbox starts watching.
static int
s_start (service_t *service)
{
    service_kick (service);
    return inbox_start ((intake_t *) service_state (service), service_loop (service));
}

static void
s_committed (service_t *service)
{
    intake_t *self = (intake_t *) service_state (service);
    queues_reload (self->queues);
    methods_committed (self);
    upload_committed (self->uploads);
}

static const service_def_t s_service = {
    .name = "intake",
    .tables = s_tables,
    .consumes = s_consumes,
    .events = patterns_events,
    .methods = intake_methods,
    .phi = true,
    .state_new = (service_state_new_fn *) intake_new,
    .state_destroy = (service_state_destroy_fn *) intake_destroy,
    .start = s_start,
    .committed = s_committed,
    .store_version = INTAKE_STORE_VERSION,
    .migrations = s_migrations,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
