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
    requests, then the loop applies the batch in ONE transaction (the only
    thread that writes the store; see batch.c). The client polls
    UploadStatus for progress and the batch id.

    A crash before the apply commits leaves only staged files, which the
    next start removes: nothing of the batch was applied. Uploads nobody
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

extern const server_method_t upload_methods [];

#endif
