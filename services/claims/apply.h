/*  apply: the events rcmq-claims consumes (see apply.c), as the event
    table the service skeleton dispatches them through (common/consumer.h).
*/
#ifndef RCMQ_CLAIMS_APPLY_H
#define RCMQ_CLAIMS_APPLY_H

#include "consumer.h"

//  intake.claim_accepted and queue.changed; handlers get the claims_t.
extern const consumer_event_t apply_events [];

#endif
