/*  ledger: claim records in the store (table "claims", key → ClaimRecord,
    and the status index "by_status"), and the ClaimEvent each change
    emits on the claims stream.
*/
#ifndef RCMQ_CLAIMS_LEDGER_H
#define RCMQ_CLAIMS_LEDGER_H

#include "claims.h"

//  Table "claims" is keyed payer ‖ 0 ‖ PCN, through "claim_keys" (PCN →
//  that key; ADR 82). A key's bytes fit LEDGER_KEY_MAX (LMDB's key size).
#define LEDGER_KEYS_TABLE "claim_keys"
#define LEDGER_KEY_MAX    511
//  pcn's key in table "claims" into key (LEDGER_KEY_MAX bytes), its size
//  in *size. 0; MDB_NOTFOUND when the claim has none (never entered);
//  -1 with store_error for a malformed key; else an LMDB error.
int          ledger_key (store_t *store, MDB_txn *txn, const char *pcn, uint8_t *key, size_t *size);
//  The key of a record about to be written: the one it has, else made
//  from the payer of its dims and written to "claim_keys". As ledger_key,
//  but never MDB_NOTFOUND.
int          ledger_key_for (store_t *store, MDB_txn *txn, const ClaimRecord *record, uint8_t *key,
                             size_t *size);
//  For a walk of "claim_keys" (PCN order): the record bytes a row's key
//  names. 0, or -1 with store_error naming the claim (a key without its
//  record is damage).
int          ledger_record_at (claims_t *self, MDB_txn *txn, const MDB_val *pcn, const MDB_val *key,
                               MDB_val *value);
//  The record of a PCN into *record_p, its sealed claim (record->claim)
//  read from table "sealed_claims" where it is kept apart (ADR 50). Free
//  with codec_free. Returns 0; MDB_NOTFOUND when there is no such claim
//  (*record_p NULL); else -1, with store_error naming the claim and the
//  table that could not be read or decoded (*record_p NULL): a read that
//  fails is never taken for a claim that is not there.
int          ledger_get (claims_t *self, MDB_txn *txn, const char *pcn, ClaimRecord **record_p);
//  The stored bytes of pcn's record (table "claims"), valid until the
//  transaction's next write, for a reader that decodes them its own way
//  (ledger_mark). Returns as ledger_get.
int          ledger_get_bytes (claims_t *self, MDB_txn *txn, const char *pcn, MDB_val *value);
//  The same record with only its PCN, status and dims decoded (no sealed
//  claim, history or postings): for a reader that only sorts claims by
//  queue or payer. Free with codec_free. Returns as ledger_get: 0,
//  MDB_NOTFOUND, or -1 with store_error naming the claim and the table.
int          ledger_get_dims (claims_t *self, MDB_txn *txn, const char *pcn, ClaimRecord **record_p);
//  The record for a step that moves its status and money but not its
//  claim data (claims.Submit's mark, claims.Acknowledge, claims.Post):
//  its sealed claim, notes, edits and scrub warnings are held as their
//  stored bytes (common/wirekeep), never decoded, and ledger_put writes
//  them back as they were. record->claim is NULL, or with claim_lines a
//  SealedClaim whose claim holds its service lines alone (no record id,
//  no sealed fields, no other part of the claim: posting matches a
//  remit's lines to them), to read only: ledger_put never writes it. The
//  held sealed claim's bytes: ledger_sealed_claim. Free with codec_free.
//  Returns as ledger_get (a claim without claim data is not an error:
//  record->claim NULL).
int          ledger_get_light (claims_t *self, MDB_txn *txn, const char *pcn, bool claim_lines,
                               ClaimRecord **record_p);
//  The packed SealedClaim of a light record into *sealed_p (its size in
//  *size): the bytes it holds (a record written before ADR 50), else
//  those stored apart under its PCN, valid until the transaction's next
//  write. Returns 0; MDB_NOTFOUND when the claim has no claim data; else
//  -1 with store_error naming the claim and the table (*sealed_p NULL).
int          ledger_sealed_claim (claims_t *self, MDB_txn *txn, const ClaimRecord *record,
                                  const uint8_t **sealed_p, size_t *size);
//  Stores a record; old_status is its status before the change ("" for a
//  new one), so the status index moves with it. A whole sealed claim in
//  record->claim goes to "sealed_claims"; a record with none (a light one,
//  or one decoded from "claims" directly) leaves the one stored there as
//  it is; one held inline (written before ADR 50) is moved there. Returns
//  0 or LMDB error.
int          ledger_put (claims_t *self, MDB_txn *txn, const ClaimRecord *record, const char *old_status);
//  What ledger_put does after the record's own put, for a record stored
//  by other means (ledger_mark): when its status changed, its follow-up
//  item keeps step and its status index row moves. 0 or an LMDB error.
int          ledger_moved (claims_t *self, MDB_txn *txn, const ClaimRecord *record, const char *old_status);
//  The store's migration 2 -> 3 (ADR 50): every record that holds its
//  sealed claim inline has it moved to "sealed_claims". 0 or an error.
int          ledger_move_claims (store_t *store, MDB_txn *txn);
//  The store's migration 3 -> 4 (ADR 82): every record of "claims" moved
//  from its PCN to its key (payer ‖ 0 ‖ PCN, from the payer it holds), as
//  the bytes it was, and the key written to "claim_keys". 0, or -1 with
//  store_error naming the first record it cannot read or decode (the
//  caller's transaction, aborted, leaves the store as it was).
int          ledger_key_claims (store_t *store, MDB_txn *txn);
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
//  The payer's no-response window of a claim, in days (docs/work-items.md,
//  "The follow-up window"): claims/follow-up-days/<payer id> when set,
//  else the claim's queue's follow_up_days (queue create --follow-up-days)
//  when claims knows the queue, else claims/follow-up-days (30). *days,
//  and in source where it came from ("queue q1 --follow-up-days"; a
//  malformed payer setting is named there too). 0 or an LMDB error.
int          ledger_follow_up_days (claims_t *self, MDB_txn *txn, const ClaimRecord *record, int *days,
                                    char *source, size_t size);

#endif
