/*  batch: one 837P file applied to intake's store: parsed, scrubbed,
    routed, sealed, stored and announced (intake.claim_accepted /
    claim_rejected) in one transaction; see batch.c.
*/
#ifndef RCMQ_INTAKE_BATCH_H
#define RCMQ_INTAKE_BATCH_H

#include "intake.h"
#include "parse_837p.h"

//  What batch_process is given.
typedef struct {
    const char *filename;       //  as the sender named it (no path needed)
    const char *source;         //  "submit" or "inbox"
    const char *submitted_by;   //  actor name
    const uint8_t *data;        //  the file in memory, or
    const char *path;           //  a file to stream from
    size_t size;
} batch_input_t;

//  A claim after parse, scrub and seal, given to a sink; the sink returns
//  0 to go on or -1 to stop the parse. The claim belongs to the caller.
typedef int (batch_sink_fn) (PreparedClaim *claim, void *arg);

//  How far a prepare has come, read by another thread for progress.
typedef struct {
    _Atomic uint64_t bytes;     //  of the input read by the parser
    _Atomic uint32_t claims;    //  claims prepared
} batch_progress_t;

//  How far a prepare has staged, for the apply that follows it: written by
//  the prepare's thread, read by the loop's. bytes moves before claims, so
//  a reader that reads claims first finds at least their bytes.
typedef struct {
    _Atomic uint64_t bytes;     //  of whole records in the staged file
    _Atomic uint64_t claims;    //  the records below bytes
    //  The claims the apply waits for (0: it does not): the prepare wakes
    //  it once that many are staged (batch_follow_publish).
    _Atomic uint64_t want;
} batch_follow_t;

//  What apply_start is given: a file prepared into `path`.
typedef struct {
    const batch_input_t *input; //  filename, source, submitted_by, size
    const char *batch_id;       //  from batch_new_id, sealed into each claim
    uint64_t now;               //  the time the prepare ran with
    const char *path;           //  staged records (batch_stage_sink, stage.h)
    int parsed;                 //  batch_prepare's result
    const parse_837p_report_t *report;
    //  Not NULL while the prepare still runs: the apply reads `path` only
    //  up to its bytes (whole records, moved forward by the prepare as they
    //  reach the file) and waits for apply_prepared to give it parsed and
    //  report (ignored above until then).
    batch_follow_t *follow;
} batch_staged_t;

//  The prepare's side of a follow: bytes and claims staged so far; true
//  when the apply waits for no more than that (then it is to be woken,
//  once: want is cleared).
bool batch_follow_publish (batch_follow_t *follow, uint64_t bytes, uint64_t claims);

//  A new batch id, "B20261102-000001": a counter kept in txn.
char *batch_new_id (intake_t *intake, MDB_txn *txn, uint64_t now);
//  Parses input and scrubs, finds the dimensions of and seals each claim
//  under its claim id (batch_id-n), handing each to sink. It touches no
//  store and no queue, so a thread other than the loop's may run it.
//  Returns parse_837p's result (-1 also when input cannot be read: then
//  report->error says so).
int  batch_prepare (intake_t *intake, const batch_input_t *input, const char *batch_id, uint64_t now,
                    batch_sink_fn *sink, void *arg, batch_progress_t *progress,
                    parse_837p_report_t *report);
//  A sink that appends each claim to a staging FILE* (arg) as a record of
//  stage.h (a 4-byte length and the body).
int  batch_stage_sink (PreparedClaim *claim, void *arg);

//  A batch applied claim by claim across transactions (apply.c): records
//  go through apply_put and events through apply_stage_event of stepped.
batch_run_t *batch_run_new (intake_t *intake, const batch_input_t *input, const char *batch_id,
                            uint64_t now, apply_t *stepped);
void batch_run_destroy (batch_run_t **self_p);
//  A deep copy, for a step to work on (the original is the state before it).
batch_run_t *batch_run_dup (const batch_run_t *self);
//  Applies one claim in txn: 0, -1 when the batch is refused (the reason
//  kept in the run), or an LMDB error.
int  batch_run_claim (batch_run_t *self, MDB_txn *txn, PreparedClaim *claim);
//  After the last claim: true when the batch is refused (nothing of it may
//  stay). parsed and report are the prepare's.
bool batch_run_refused (batch_run_t *self, int parsed, const parse_837p_report_t *report);
//  Refuses the batch for reason (unless it was refused already).
void batch_run_refuse (batch_run_t *self, const char *reason);
//  Writes the batch record, its 999s and batch_completed in txn: the flip
//  of a completed batch, or the record of a refused one once undone.
int  batch_run_finish (batch_run_t *self, MDB_txn *txn, int parsed, const parse_837p_report_t *report);
const Batch *batch_run_batch (const batch_run_t *self);

//  Processes one file inside txn (the caller's write transaction) and fills
//  batch (caller frees its fields with batch_clear). A structurally broken
//  file, or one whose interchange was processed before, applies nothing but
//  a refused batch record; its claims are not kept. Returns 0 (batch->status
//  says completed or refused) or an LMDB error to give back to store_write.
int  batch_process (intake_t *intake, MDB_txn *txn, const batch_input_t *input, Batch *batch);
void batch_clear (Batch *batch);
//  The store migration 1 -> 2: every rejection indexed by its PCN
//  (rejections_by_pcn), and marked resolved when a later claim with that
//  PCN was accepted (intake.rejection_resolved is emitted only for those
//  resolved from then on). 0, or an LMDB error / -1 with store_fail.
int  batch_index_rejections_by_pcn (store_t *store, MDB_txn *txn);
//  Writes the 999 files of a committed batch that are not on disk yet.
void batch_write_acks (intake_t *intake, const Batch *batch);

//  Whether a rejection's PCN is indexed to be resolved (batch.c).
bool batch_pcn_resolvable (const char *pcn);

#endif
