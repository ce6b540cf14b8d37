/*  auditlog: rcmq-audit's transparency log (issue 16, docs/audit.md, ADR
    26). Every event of every stream audit consumes becomes one leaf of an
    RFC 9162 Merkle tree (common/tlog) in audit's store, appended in the
    transaction that moves the stream's offset: a kill at any instant loses
    nothing and appends nothing twice, and a replay from the broker gives
    the same leaves. The leaf is an AuditRecord (proto/audit.proto) packed.

    Every N leaves (audit/checkpoint-records) and every T seconds
    (audit/checkpoint-seconds, also when nothing came) audit signs a C2SP
    tlog checkpoint with its own Ed25519 key (audit/key-file, made once in
    audit's store folder), keeps it in its store, sends it as the event
    access.checkpoint and writes it to the checkpoint folder
    (audit/checkpoint-dir, outside the store): <number>.checkpoint and
    `latest`, beside the verifier key.

    At start the store is checked against the latest published
    checkpoint: a store that holds fewer checkpoints or leaves, or another
    tree at that size (restored from an older copy, or forked), raises the
    problem audit_log_rollback and signs no more checkpoints.
*/
#ifndef RCMQ_AUDITLOG_H
#define RCMQ_AUDITLOG_H

#include "service.h"
#include "tlog.h"
#include "note.h"
#include "audit.pb-c.h"

#define AUDITLOG_TABLES TLOG_TABLES, "audit_by_actor", "audit_by_subject", \
                        "audit_member_claims", "audit_checkpoints"

typedef struct _auditlog_t auditlog_t;

//  Reads the settings and the signing key (made when missing). NULL
//  (logged) when the key cannot be made or read.
auditlog_t *auditlog_new (service_t *service);
void        auditlog_destroy (auditlog_t **self_p);
//  Checks the store against the published checkpoints, publishes the
//  store's latest, starts the checkpoint timer. 0 or -1 (logged).
int         auditlog_start (auditlog_t *self);
//  The consumer's batch hook: the batch's appends keep the tree's size
//  and right edge in memory, its end writes the size (docs/adr/0063).
int         auditlog_batch (store_t *store, MDB_txn *txn, bool end, auditlog_t *self);
//  The service's each_event: the event's leaf, in the event's transaction
//  (outside a batch, with tlog_append).
int         auditlog_apply (store_t *store, MDB_txn *txn, const Event *event, void *self);
//  After each commit: a checkpoint when N leaves came since the last.
void        auditlog_committed (auditlog_t *self);
//  Signs and publishes a checkpoint of the log as it is now. 0 or -1.
int         auditlog_checkpoint (auditlog_t *self);

//  Checks the published latest checkpoint (if any) against the store: why
//  gets the reason it does not hold ("" when it does). 0 or an LMDB error.
int         auditlog_check_published (auditlog_t *self, MDB_txn *txn, char *why, size_t why_size);

//  A note of text signed with audit's key (free it), or NULL with error.
char       *auditlog_sign (auditlog_t *self, const char *text, char *error, size_t error_size);
const char *auditlog_verifier_key (auditlog_t *self);
const char *auditlog_origin (auditlog_t *self);
note_verifier_t *auditlog_verifier (auditlog_t *self);

//  The checkpoint numbered number (1..), or NULL; free with codec_free.
//  *rc is 0 or the LMDB error.
AuditCheckpoint *auditlog_checkpoint_get (store_t *store, MDB_txn *txn, uint64_t number, int *rc);
//  How many checkpoints the store holds.
int         auditlog_checkpoint_count (store_t *store, MDB_txn *txn, uint64_t *count);
//  The PCNs known for a member's blind index (from intake's claim
//  events): a list to free with zlistx_destroy.
int         auditlog_member_claims (store_t *store, MDB_txn *txn, const uint8_t *member_index,
                                    size_t size, zlistx_t **pcns_p);

#endif
