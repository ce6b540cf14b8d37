/*  denials: see denials.h. */
#include "denials.h"
#include "log.h"

denials_t *
denials_new (service_t *service)
{
    config_t *config = service_config (service);
    char error [512];
    appeal_windows_t windows;
    if (appeal_windows_parse (&windows, config_get (config, "denials/appeal-windows", ""), error, sizeof error)
    ||  appeal_filing_parse (&windows, config_get (config, "denials/timely-filing", ""), error, sizeof error)) {
        log_error ("bad setting", "error", json_string (error), NULL);
        return NULL;
    }
    int64_t approval;
    if (config_get_int_checked (config, "denials/write-off-approval-cents", 50000, 0, INT64_MAX,
                                &approval, error, sizeof error)) {
        log_error ("bad setting", "error", json_string (error), NULL);
        return NULL;
    }
    int64_t pattern_min, pattern_days;
    if (config_get_int_checked (config, "denials/pattern-min", 5, 1, 1000000, &pattern_min, error, sizeof error)
    ||  config_get_int_checked (config, "denials/pattern-days", 30, 1, 365, &pattern_days, error, sizeof error)) {
        log_error ("bad setting", "error", json_string (error), NULL);
        return NULL;
    }
    denials_t *self = (denials_t *) zmalloc (sizeof (denials_t));
    self->service = service;
    self->store = service_store (service);
    self->outbox = service_outbox (service);
    self->work = service_work (service)? workservice_items (service_work (service)): NULL;
    self->windows = windows;
    self->approval_cents = approval;
    self->pattern_min = (uint32_t) pattern_min;
    self->pattern_days = (uint32_t) pattern_days;
    if (service_cert (service))
        self->claims = peer_new (config, service_cert (service), "claims");
    self->appeals_dir = service_folder (service, "denials/outbound-dir", "outbound/appeals", true);
    const char *templates = config_get (config, "denials/templates-dir", NULL);
    if (templates && *templates)
        self->templates_dir = strdup (config_path (config, "denials/templates-dir", templates));
    if (!self->appeals_dir) {
        denials_destroy (&self);
        return NULL;
    }
    return self;
}

void
denials_destroy (denials_t **self_p)
{
    if (!*self_p)
        return;
    peer_destroy (&(*self_p)->claims);
    free ((*self_p)->appeals_dir);
    free ((*self_p)->templates_dir);
    free (*self_p);
    *self_p = NULL;
}
