/*  rcmq-claims: the claim lifecycle from intake to final state: 837P
    batches out, 277CA acknowledgements and 835 remittances in, postings,
    patient balances, denials handed on, follow-up (DESIGN §6). See claims.h
    for the parts.

    Settings (docs/configuration.md):
        claims/outbound-dir        837P files for the clearinghouse (<data/dir>/outbound)
        claims/follow-up-days      days without payer response before follow-up (30)
        claims/follow-up-days/<payer id>   per payer
        phi/key-file               PHI key (<keys/dir>/phi.key)
*/
#include "claims.h"
#include "outbound.h"
#include "log.h"

extern const server_method_t claims_read_methods [];
extern const server_method_t claims_submit_methods [];
extern const server_method_t claims_remit_methods [];
extern const server_method_t claims_correction_methods [];
extern const server_method_t claims_ack_methods [];
void submit_write_files (claims_t *self);
void submit_committed (claims_t *self);

static const char *const s_tables [] = { CLAIMS_TABLES, NULL };
static const char *const s_consumes [] = { "intake", "denials", "queue", "access", NULL };

static claims_t s_claims;

static int
s_start (service_t *service)
{
    claims_t *self = &s_claims;
    self->service = service;
    self->store = service_store (service);
    self->outbox = service_outbox (service);
    self->config = service_config (service);
    service_set_state (service, self);

    const char *keys_dir = config_path (self->config, "keys/dir", NULL);
    const char *data_dir = config_path (self->config, "data/dir", NULL);
    char default_key [PATH_MAX], default_outbound [PATH_MAX], error [512];
    snprintf (default_key, sizeof default_key, "%s/phi.key", keys_dir);
    snprintf (default_outbound, sizeof default_outbound, "%s/outbound", data_dir);
    self->phi_key = phi_key_load (config_path (self->config, "phi/key-file", default_key), error, sizeof error);
    if (!self->phi_key) {
        log_error ("cannot load the PHI key: run `rcmqctl keys init`", "error", json_string (error), NULL);
        return -1;
    }
    self->outbound = outbound_new (config_path (self->config, "claims/outbound-dir", default_outbound),
                                   error, sizeof error);
    if (!self->outbound) {
        log_error ("cannot open the outbound folder", "error", json_string (error), NULL);
        return -1;
    }
    int64_t days;
    if (config_get_int_checked (self->config, "claims/follow-up-days", 30, 0, 3650, &days, error, sizeof error)) {
        log_error ("bad setting", "error", json_string (error), NULL);
        return -1;
    }
    self->follow_up_days = (int) days;
    service_add_methods (service, claims_read_methods);
    service_add_methods (service, claims_submit_methods);
    service_add_methods (service, claims_remit_methods);
    service_add_methods (service, claims_correction_methods);
    service_add_methods (service, claims_ack_methods);
    //  Files a crash kept from reaching the disk after their commit.
    submit_write_files (self);
    return 0;
}

static void
s_committed (service_t *service)
{
    submit_committed (&s_claims);
}

static void
s_stop (service_t *service)
{
    phi_key_destroy (&s_claims.phi_key);
    outbound_destroy (&s_claims.outbound);
}

static const service_def_t s_service = {
    .name = "claims",
    .tables = s_tables,
    .consumes = s_consumes,
    .apply = claims_apply,
    .start = s_start,
    .stop = s_stop,
    .committed = s_committed,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
