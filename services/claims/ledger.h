/*  ledger: claim records in the store (table "claims", PCN → ClaimRecord,
    and the status index "by_status"), and the ClaimEvent each change
    emits on the claims stream.
*/
#ifndef RCMQ_CLAIMS_LEDGER_H
#define RCMQ_CLAIMS_LEDGER_H

#include "claims.h"

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

#endif
