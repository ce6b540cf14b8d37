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
//  The store's migration to layout 2: indexes every credit balance by age
//  (table credits_by_age), as s_index_credit keeps it from then on.
int  remits_index_credit_ages (store_t *store, MDB_txn *txn);

#endif
