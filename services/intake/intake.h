/*  intake: rcmq-intake's state, one object the skeleton hands to every
    handler (service_state), and the tables of its store. The parts, each
    with its own header:

        batch.c       one 837P file → parsed, scrubbed, routed, sealed, stored,
                      events out; atomically (a nested LMDB transaction)
        ack999.c      the 999 implementation acknowledgement per interchange
        queues.c      queue definitions and routing
        inbox.c       the watched inbox directory
        dimensions.c  payer group, location, service line of a claim
        methods.c     the request methods (intake.*, queue.*)
        queue_grid.c  queue.GridSet, Grid, ContactsSet, Contacts: the
                      responsibility grid and contacts (common/grid.h)
        upload.c      files sent in chunks, prepared off the loop
        apply.c       a prepared batch applied in steps, invisible until
                      its flip; a pending batch finished or undone at start
        main.c        the process: wires the parts into the skeleton
*/
#ifndef RCMQ_INTAKE_H
#define RCMQ_INTAKE_H

#include "intake.pb-c.h"
#include "upload.pb-c.h"          //  UploadBegin, UploadChunk, UploadId (upload.c)
#include "phi.h"
#include "queues.h"
#include "scrub.h"
#include "service.h"

//  Intake's LMDB map to start from (address space; see intake_new).
#define INTAKE_MAP_SIZE (4UL << 30)

#define INTAKE_TABLES QUEUES_TABLES, "batches", "claims", "pcns", "interchanges", \
                      "rejections", "rejections_by_queue", "member_index", "acks", \
                      "rejections_by_pcn", "denial_patterns", APPLY_TABLES
//  The store's layout: 2 added rejections_by_pcn (main.c's migrations).
#define INTAKE_STORE_VERSION 2

//  apply.c's tables: the pending batch, its undo list, its staged events.
#define APPLY_TABLES "apply_pending", "apply_undo", "apply_events"

typedef struct _apply_t apply_t;
typedef struct _batch_run_t batch_run_t;

typedef struct {
    service_t *service;
    store_t *store;
    outbox_t *outbox;
    queues_t *queues;
    scrub_t *scrub;
    phi_key_t *phi_key;         //  the skeleton's (service_phi_key)
    char *inbox_dir;            //  files dropped here are processed
    char *ack_dir;              //  999 files are written here
    struct _upload_t *uploads;  //  chunked uploads and the preparing actor
    apply_t *apply;             //  the stepped apply of prepared batches
    zlistx_t *pending_acks;     //  ids of batches committed by requests whose
                                //  999 files are still to be written (methods.c)
} intake_t;

//  The state of a started service (its store, outbox and PHI key are the
//  skeleton's): folders made, the default queue and the queues file's
//  queues in the store, uploads ready on the service's loop. NULL
//  (logged) when one of those fails.
intake_t *intake_new (service_t *service);
void      intake_destroy (intake_t **self_p);
//  The intake a request runs in (the server's state is the service).
intake_t *intake_of (server_call_t *call);
//  The resolver of a queue.* method whose request is a QueueId (queue.Show,
//  queue.Contacts): the queue it names and its scope (queues_call_scope).
int       intake_scope_queue_id (server_call_t *call);

#endif
