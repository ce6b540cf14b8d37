/*  acks: claims.Acknowledge, a 277CA file applied to the claims it
    acknowledges.
*/
#ifndef RCMQ_CLAIMS_ACKS_H
#define RCMQ_CLAIMS_ACKS_H

#include "server.h"

extern const server_method_t claims_ack_methods [];

#endif
