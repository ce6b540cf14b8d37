/*  rcmq-claims' state and parts:

        ledger.c      claim records in the store: get, put (with the status
                      index), and the ClaimEvent every change emits
        lifecycle.c   legal status moves and history
        apply.c       events consumed: intake.claim_accepted, queue.changed
        methods.c     list, show, follow-up, due (claims.*)
        submit.c      claims.Submit: 837P batches out (write837.c)
        remits.c      claims.Acknowledge (277CA), claims.Post (835), exceptions,
                      corrections and voids
*/
#ifndef RCMQ_CLAIMS_H
#define RCMQ_CLAIMS_H

#include "claims.pb-c.h"
#include "intake.pb-c.h"
#include "phi.h"
#include "service.h"

#define CLAIMS_TABLES "claims", "by_status", "remits", "exceptions", "exception_pcns", "acks", "credits", \
                      "submissions", "provider_adjustments", "queues"

typedef struct {
    service_t *service;
    store_t *store;
    outbox_t *outbox;
    phi_key_t *phi_key;
    struct _outbound_t *outbound;   //  837P files for the clearinghouse (outbound.h)
    int follow_up_days;         //  default days without payer response
    config_t *config;
} claims_t;

claims_t    *claims_state (server_call_t *call);

//  ---------------------------------------------------------------------
//  ledger.c

//  The record of a PCN (free with codec_free), or NULL.
ClaimRecord *ledger_get (claims_t *self, MDB_txn *txn, const char *pcn);
//  Stores a record; old_status is its status before the change ("" for a
//  new one), so the status index moves with it. Returns 0 or LMDB error.
int          ledger_put (claims_t *self, MDB_txn *txn, const ClaimRecord *record, const char *old_status);
//  Emits claims.<type> for a record as it now stands, with extra fields from
//  event (may be NULL): from_status, actor, reason, posting, deltas...
int          ledger_emit (claims_t *self, MDB_txn *txn, const char *type, const ClaimRecord *record,
                          ClaimEvent *event);
//  A deep copy that owns all its memory (so fields can be freed / replaced).
ClaimRecord *ledger_copy (const ClaimRecord *record);
//  Scope (server.h): true when the caller may see the claim (a list's
//  row); and, for a subject-scoped method's resolver, names claim pcn
//  and its queue to the server (0, or an LMDB error).
bool         ledger_in_scope (server_call_t *call, const ClaimRecord *record);
int          ledger_scope (server_call_t *call, const char *pcn);
//  Follow-up days for a payer (config claims/follow-up-days[/<payer>]).
int          ledger_follow_up_days (claims_t *self, const char *payer_id);

//  ---------------------------------------------------------------------
//  apply.c

int          claims_apply (store_t *store, MDB_txn *txn, const Event *event, void *arg);

//  ---------------------------------------------------------------------
//  remits.c

//  Posts the exceptions waiting for a claim that just arrived.
int          remits_claim_arrived (claims_t *self, MDB_txn *txn, const char *pcn);

#endif
