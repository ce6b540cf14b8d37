/*  rcmq-intake's state, shared by its parts:

        batch.c       one 837P file → parsed, scrubbed, routed, sealed, stored,
                      events out; atomically (a nested LMDB transaction)
        ack999.c      the 999 implementation acknowledgement per interchange
        queues.c      queue definitions and routing
        inbox.c       the watched inbox directory
        dimensions.c  payer group, location, service line of a claim
        methods.c     the request methods (intake.*, queue.*)
*/
#ifndef RCMQ_INTAKE_H
#define RCMQ_INTAKE_H

#include "intake.pb-c.h"
#include "phi.h"
#include "queues.h"
#include "scrub.h"
#include "service.h"

//  Intake's LMDB map to start from (address space; see s_start in main.c).
#define INTAKE_MAP_SIZE (4UL << 30)

#define INTAKE_TABLES QUEUES_TABLES, "batches", "claims", "pcns", "interchanges", \
                      "rejections", "rejections_by_queue", "member_index", "acks"

typedef struct {
    service_t *service;
    store_t *store;
    outbox_t *outbox;
    queues_t *queues;
    scrub_t *scrub;
    phi_key_t *phi_key;
    char *inbox_dir;            //  files dropped here are processed
    char *ack_dir;              //  999 files are written here
} intake_t;

//  What batch_process is given.
typedef struct {
    const char *filename;       //  as the sender named it (no path needed)
    const char *source;         //  "submit" or "inbox"
    const char *submitted_by;   //  actor name
    const uint8_t *data;        //  the file in memory, or
    const char *path;           //  a file to stream from
    size_t size;
} batch_input_t;

//  Processes one file inside txn (the caller's write transaction) and fills
//  batch (caller frees its fields with batch_clear). A structurally broken
//  file, or one whose interchange was processed before, applies nothing but
//  a refused batch record; its claims are not kept. Returns 0 (batch->status
//  says completed or refused) or an LMDB error to give back to store_write.
int  batch_process (intake_t *intake, MDB_txn *txn, const batch_input_t *input, Batch *batch);
void batch_clear (Batch *batch);
//  Writes the 999 files of a committed batch that are not on disk yet.
void batch_write_acks (intake_t *intake, const Batch *batch);

#endif
