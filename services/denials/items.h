/*  items: the denial work items, opened and updated by the claims
    stream's denied events (see items.c).
*/
#ifndef RCMQ_DENIALS_ITEMS_H
#define RCMQ_DENIALS_ITEMS_H

#include "denials.h"
#include "consumer.h"

//  claims.denied; handlers get the denials_t.
extern const consumer_event_t items_events [];

#endif
