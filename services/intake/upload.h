/*  upload: 837P files sent to intake in chunks, prepared off the loop.

        intake.UploadBegin   UploadBegin -> Upload   intake.submit
        intake.UploadChunk   UploadChunk -> Upload   intake.submit
        intake.UploadCommit  UploadId -> Upload      intake.submit
        intake.UploadStatus  UploadId -> Upload      intake.submit
        intake.UploadAbort   UploadId -> Upload      intake.submit

    A file larger than one request (api/max-request-bytes) comes in chunks,
    each written at its offset into a staged file (0600, in the upload
    folder), so a resent chunk lands where it did before. UploadCommit
    queues the whole file: an actor parses, scrubs and seals it into a
    second staged file of prepared claims while the loop goes on answering
    requests, then the loop applies the batch in steps (apply.h), still
    answering requests between them, one batch at a time in the order of
    their commits. The client polls UploadStatus for progress and the batch
    id.

    A crash before the apply's flip leaves staged files, which the next
    start removes, and a pending batch, which it undoes: nothing of the
    batch stays, and the client (its upload gone) sends it again. Uploads nobody
    touched for intake/upload-idle-seconds are removed too, and each caller
    may have at most intake/uploads-per-caller open at once.
*/
#ifndef RCMQ_UPLOAD_H
#define RCMQ_UPLOAD_H

#include "batch.h"

typedef struct _upload_t upload_t;

//  Starts the preparing actor and the clean-up timer on loop; empties the
//  upload folder of what a previous run left. NULL (logged) when the
//  folder cannot be made.
upload_t *upload_new (intake_t *intake, config_t *config, zloop_t *loop);
void      upload_destroy (upload_t **self_p);
//  After each committed request: start work that a commit queued.
void      upload_committed (upload_t *self);

//  Told when a file given to upload_take_file is through: batch is its
//  record, or NULL with error when nothing of it was applied (the file may
//  be taken again). batch is valid during the call only.
typedef void (upload_done_fn) (const Batch *batch, const char *error, void *arg);
//  Queues a file that is already on disk (the inbox's) for the same
//  prepare and stepped apply as an upload; the file is read, never moved
//  or removed. source and submitted_by go into the batch record. 0, or -1
//  when it cannot be queued (logged).
int       upload_take_file (upload_t *self, const char *path, const char *filename, uint64_t size,
                            const char *source, upload_done_fn *done, void *arg);

//  The request handlers of intake.UploadBegin, UploadChunk, UploadCommit,
//  UploadStatus and UploadAbort: rows of intake's table (methods.c).
int       upload_begin (server_call_t *call);
int       upload_chunk (server_call_t *call);
int       upload_commit (server_call_t *call);
int       upload_status (server_call_t *call);
int       upload_abort (server_call_t *call);

#endif
