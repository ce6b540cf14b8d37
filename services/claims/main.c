/*  rcmq-claims: the claim lifecycle from intake to final state: 837P
    batches out, 277CA acknowledgements and 835 remittances in, postings,
    patient balances, denials handed on, follow-up (DESIGN §6). See claims.h
    for the parts; this file wires them into the skeleton (common/service.h).

    Settings (docs/configuration.md):
        claims/outbound-dir        837P files for the clearinghouse (<data/dir>/outbound)
        claims/follow-up-days      days without payer response before follow-up, when
                                   the claim's queue names none (30)
        claims/follow-up-days/<payer id>   per payer (beats the queue's)
        claims/upload-dir, claims/uploads-*, claims/upload-*
                                   277CA and 835 files sent in chunks (common/spool.h)
        phi/key-file               PHI key (<keys/dir>/phi.key)
*/
#include "claims.h"
#include "acks.h"
#include "apply.h"
#include "corrections.h"
#include "edits.h"
#include "followup.h"
#include "inbound.h"
#include "methods.h"
#include "remits.h"
#include "submit.h"
#include "ledger.h"

static const char *const s_tables [] = { CLAIMS_TABLES, NULL };
static const char *const s_consumes [] = { "intake", "denials", "queue", "access", NULL };

static int
s_start (service_t *service)
{
    service_add_methods (service, claims_read_methods);
    service_add_methods (service, claims_submit_methods);
    service_add_methods (service, claims_remit_methods);
    service_add_methods (service, claims_correction_methods);
    service_add_methods (service, claims_edit_methods);
    service_add_methods (service, claims_ack_methods);
    service_add_methods (service, followup_methods);
    service_add_methods (service, inbound_methods);
    if (spool_attach (((claims_t *) service_state (service))->spool, service_loop (service)))
        return -1;
    //  Files a crash kept from reaching the disk after their commit.
    submit_write_files ((claims_t *) service_state (service));
    return 0;
}

static void
s_committed (service_t *service)
{
    submit_committed ((claims_t *) service_state (service));
}

//  Each change of the store's layout, from the version before it.
static const store_migration_t s_migrations [] = {
    { 1, 2, remits_index_credit_ages, "credit balances indexed by age (credits_by_age)" },
    { 2, 3, ledger_move_claims, "sealed claims kept apart from claim records (sealed_claims)" },
    { 3, 4, ledger_key_claims, "claim records keyed by payer and PCN (claim_keys)" },
    { 0 }
};

//  Its work items (follow-ups) follow the grid of the queues it keeps.
static const service_work_t s_work = { .queues_table = "queues" };

static const service_def_t s_service = {
    .name = "claims",
    .tables = s_tables,
    .consumes = s_consumes,
    .events = apply_events,
    .phi = true,
    .state_new = (service_state_new_fn *) claims_new,
    .state_destroy = (service_state_destroy_fn *) claims_destroy,
    .start = s_start,
    .committed = s_committed,
    .store_version = CLAIMS_STORE_VERSION,
    .migrations = s_migrations,
    .work = &s_work,
};

int
main (int argc, char *argv [])
{
    //  A submit, an acknowledgement or a post rewrites every claim it
    //  touches in one transaction (a file marks all its claims or none):
    //  ~6 KB of LMDB's dirty pages a claim, up to 512 MB of heap. Written
    //  in the map instead, they are the file's pages (ADR 45).
    store_set_default_flags (STORE_WRITEMAP);
    return service_main (&s_service, argc, argv);
}
