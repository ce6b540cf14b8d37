/*  ledger_mark: claims.Submit's mark of a claim (moved on as sent in a
    file), written from the bytes its record was read as: the same record
    and claims.submitted event bytes as ledger_get_light, lifecycle_move,
    ledger_put and ledger_emit make, with one copy of the record instead
    of a decode and two packs (ADR 67).
*/
#ifndef RCMQ_CLAIMS_LEDGER_MARK_H
#define RCMQ_CLAIMS_LEDGER_MARK_H

#include "claims.h"

typedef struct _ledger_mark_t ledger_mark_t;

//  Reads pcn's record for a mark (its bytes copied: valid across the
//  transaction's writes) into *mark_p. Returns as ledger_get: 0;
//  MDB_NOTFOUND when there is no such claim; -1 with store_error naming
//  the claim and the table when it cannot be read or decoded (*mark_p
//  NULL but for 0).
int                ledger_mark_read (claims_t *self, MDB_txn *txn, const char *pcn, ledger_mark_t **mark_p);
//  The record as read, to look at only: its PCN, status, dims and payer
//  claim number at least (the whole light record when its bytes are not
//  as protobuf-c writes them). What ledger_sealed_claim takes.
const ClaimRecord *ledger_mark_record (ledger_mark_t *self);
//  Moves the claim to status to (lifecycle_move's history entry, by
//  actor, for reason), sent in filename at now: puts the record, moves
//  its follow-up item and status index (ledger_put), emits
//  claims.submitted (ledger_emit's event). 0, or an LMDB error / -1 with
//  store_error saying why (a move the lifecycle refuses included).
int                ledger_mark_submitted (claims_t *self, MDB_txn *txn, ledger_mark_t *mark, const char *to,
                                          const char *actor, const char *reason, const char *filename, uint64_t now);
void               ledger_mark_destroy (ledger_mark_t **self_p);

#endif
