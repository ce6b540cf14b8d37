/*  inbox: a watched directory for 837P files dropped by the practice
    management system.

    Every second the inbox is scanned; a regular file whose size has not
    changed since the previous scan (so it is no longer being written) is
    processed as a batch (the way of an upload: prepared off the loop and
    applied in steps, one file at a time, docs/adr/0015), then sealed into done/ as <name>.sealed
    (completed; the plaintext is removed, docs/configuration.md) or moved to
    failed/ (refused) with <name>.report.json beside it: the batch record
    as JSON. Folders are made 0700, files 0600.
    Names starting with '.' are ignored, so a sender can write ".x" and
    rename it to "x" when done.
*/
#ifndef RCMQ_INTAKE_INBOX_H
#define RCMQ_INTAKE_INBOX_H

#include "batch.h"

#include <jansson.h>

//  Creates the inbox folders and adds the scan timer to the loop.
int inbox_start (intake_t *intake, zloop_t *loop);
//  The batch record as a JSON object (for reports and rcmqctl).
json_t *inbox_batch_json (const Batch *batch);

#endif
