/*  submit: claims.Submit, 837P batches of ready claims out to the
    clearinghouse folder, each file stored before it is written.
*/
#ifndef RCMQ_CLAIMS_SUBMIT_H
#define RCMQ_CLAIMS_SUBMIT_H

#include "claims.h"

extern const server_method_t claims_submit_methods [];
//  Writes the files a crash kept from reaching the disk after their
//  commit (at start-up).
void submit_write_files (claims_t *self);
//  After a commit: writes the files it stored.
void submit_committed (claims_t *self);

#endif
