/*  remits: claims.Post (an 835 posted claim by claim), the exceptions it
    leaves (claims.ListExceptions, claims.MatchException), the remits that
    wait for their claim, and credit balances (claims.ListCredits).
*/
#ifndef RCMQ_CLAIMS_REMITS_H
#define RCMQ_CLAIMS_REMITS_H

#include "claims.h"

extern const server_method_t claims_remit_methods [];
//  Posts the exceptions waiting for a claim that just arrived.
int  remits_claim_arrived (claims_t *self, MDB_txn *txn, const char *pcn);

#endif
