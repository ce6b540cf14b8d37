/*  methods: claims.List, claims.Show, claims.FollowUp and
    claims.ListFollowUp, the read side of the ledger and follow-up.
*/
#ifndef RCMQ_CLAIMS_METHODS_H
#define RCMQ_CLAIMS_METHODS_H

#include "server.h"

extern const server_method_t claims_read_methods [];

#endif
