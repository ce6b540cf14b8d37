/*  denials: rcmq-denials' state, one object the skeleton makes and hands
    to every handler (service_state), and the tables of its store. The
    worked example of docs/new-service.md. The parts, each with its own
    header:

        items.c       the events it consumes (claims.denied), as its event
                      table: a denied claim opens or updates its work item
        methods.c     denials.List, the items one page at a time
        main.c        the process: wires the parts into the skeleton
*/
#ifndef RCMQ_DENIALS_H
#define RCMQ_DENIALS_H

#include "denials.pb-c.h"
#include "service.h"

//  items: PCN → DenialItem.
#define DENIALS_TABLES "items"

typedef struct {
    service_t *service;
    store_t *store;
    outbox_t *outbox;           //  denials.opened goes out through it
} denials_t;

//  The state of a started service (its store and outbox are the
//  skeleton's). Never NULL.
denials_t *denials_new (service_t *service);
void       denials_destroy (denials_t **self_p);

#endif
