/*  apply: a prepared batch applied in steps, so intake answers requests
    while a large file goes in (docs/adr/0015-intake-apply-in-steps.md).

    A batch whose claims were prepared into a staged file (upload.c) is
    applied a step at a time: each step is a short write transaction of a
    bounded number of claims (intake/apply-step-claims) and time
    (intake/apply-step-ms), run from a one-shot loop timer, so requests are
    served between steps. Until its flip the batch is pending:

        apply_pending   "batch" -> phase ('A' applying, 'F' flipped) + id
        apply_undo      seq -> what one record overwrote (table, key, old
                        value or none), taken back newest first
        apply_events    seq -> an event of the batch, staged

    Readers skip a pending batch's records (apply_hidden); its events wait
    in apply_events, not the outbox. The flip is one small transaction: the
    batch record, interchanges, 999s, batch_completed staged last, phase F.
    Then drain steps move the staged events to the outbox and drop the undo
    list; the last one removes the marker. A batch refused half way (an
    interchange seen before) or a step the store refused is undone in steps.

    A start that finds a marker finishes the batch's drain (phase F: the
    batch exists; its events go out once each, each drain step moving and
    deleting in one transaction) or undoes it (phase A: nothing of it stays;
    the client, told its upload is gone, sends the file again).

    One batch at a time: while one is applying (apply_busy), uploads wait
    their turn, intake.Submit is refused (UNAVAILABLE, send it again) and
    the inbox leaves its files for a later scan, so no batch's duplicate
    checks ever meet another's pending records.

    Failpoint (tests): RCMQ_FAIL_INTAKE_STEP=<n> makes intake SIGKILL
    itself after its n-th committed step. Never set in a deployment.
*/
#ifndef RCMQ_APPLY_H
#define RCMQ_APPLY_H

#include "batch.h"

//  Told when a batch is through: batch is its record (completed, or
//  refused with the reason), or NULL with error when nothing of it was
//  applied. batch is valid during the call only.
typedef void (apply_done_fn) (const Batch *batch, const char *error, void *arg);

//  Finds a batch a previous run left pending and starts to finish or undo
//  it (steps run once the loop does).
apply_t *apply_new (intake_t *intake, config_t *config, zloop_t *loop);
void     apply_destroy (apply_t **self_p);
//  True while a batch is pending (applied, drained or undone).
bool     apply_busy (apply_t *self);
//  The pending batch's id ("" when none).
const char *apply_batch_id (apply_t *self);
//  Starts applying staged (copied: the caller may free it on return).
//  0, or -1 with the reason in error (nothing applied, done not called).
int      apply_start (apply_t *self, const batch_staged_t *staged, apply_done_fn *done, void *arg,
                      char *error, size_t error_size);
//  The end of the prepare a streaming apply_start (staged->follow) follows:
//  its result and report, and error when it did not finish (the batch is
//  then undone and done told error). Until then the apply takes only whole
//  records below the follow's bytes, in steps of intake/apply-step-claims,
//  and neither flips nor undoes the batch.
void     apply_prepared (apply_t *self, int parsed, const parse_837p_report_t *report, const char *error);
//  The prepare woke the apply (batch_follow_publish: the claims it waits
//  for are staged): the next step runs. Harmless at any other time.
void     apply_staged (apply_t *self);
//  True when batch_id's records must stay unseen: it is pending, before
//  its flip.
bool     apply_hidden (intake_t *intake, MDB_txn *txn, const char *batch_id);

//  For batch.c inside a step: a record put with its undo entry, and an
//  event staged. 0 or an LMDB error.
int      apply_put (apply_t *self, MDB_txn *txn, const char *table, const void *key, size_t key_size,
                    const void *value, size_t value_size);
int      apply_stage_event (apply_t *self, MDB_txn *txn, const char *type, const char *key,
                            const uint8_t *payload, size_t size);

#endif
