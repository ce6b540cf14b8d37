/*  claims: see claims.h. */
#include "claims.h"
#include "outbound.h"
#include "log.h"

claims_t *
claims_new (service_t *service)
{
    claims_t *self = (claims_t *) zmalloc (sizeof (claims_t));
    self->service = service;
    self->store = service_store (service);
    self->outbox = service_outbox (service);
    self->config = service_config (service);
    self->phi_key = service_phi_key (service);
    self->work = service_work (service)? workservice_items (service_work (service)): NULL;
    if (store_map_size (self->store) < CLAIMS_MAP_SIZE
    &&  store_set_map_size (self->store, CLAIMS_MAP_SIZE))
        log_warn ("cannot grow the store map; large calls will be run again as it grows", NULL);
    char error [512];
    int64_t days;
    if (config_get_int_checked (self->config, "claims/follow-up-days", 30, 0, 3650, &days, error, sizeof error)) {
        log_error ("bad setting", "error", json_string (error), NULL);
        claims_destroy (&self);
        return NULL;
    }
    self->follow_up_days = (int) days;
    char *outbound_dir = service_folder (service, "claims/outbound-dir", "outbound", false);
    self->outbound = outbound_new (outbound_dir, error, sizeof error);
    free (outbound_dir);
    if (!self->outbound) {
        log_error ("cannot open the outbound folder", "error", json_string (error), NULL);
        claims_destroy (&self);
        return NULL;
    }
    self->spool = spool_new (self->config, "claims", error, sizeof error);
    if (!self->spool) {
        log_error ("cannot start the uploads", "error", json_string (error), NULL);
        claims_destroy (&self);
    }
    return self;
}

void
claims_destroy (claims_t **self_p)
{
    claims_t *self = *self_p;
    if (!self)
        return;
    outbound_destroy (&self->outbound);
    spool_destroy (&self->spool);
    free (self);
    *self_p = NULL;
}

claims_t *
claims_state (server_call_t *call)
{
    return (claims_t *) service_state ((service_t *) call->state);
}
