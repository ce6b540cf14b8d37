/*  denials: see denials.h. */
#include "denials.h"

denials_t *
denials_new (service_t *service)
{
    denials_t *self = (denials_t *) zmalloc (sizeof (denials_t));
    self->service = service;
    self->store = service_store (service);
    self->outbox = service_outbox (service);
    return self;
}

void
denials_destroy (denials_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}
