/*  claims: rcmq-claims' state, one object the skeleton hands to every
    handler (service_state), and the tables of its store. The parts, each
    with its own header:

        ledger.c      claim records in the store: get, put (with the status
                      index), and the ClaimEvent every change emits
        lifecycle.c   legal status moves and history
        apply.c       events consumed: intake.claim_accepted, queue.changed
        methods.c     claims.List, Show, FollowUp, ListFollowUp
        followup.c    each submitted claim's follow_up work item, in step with its status;
                      claims.WorkRequestDoc (a documentation request it waits for)
        submit.c      claims.Submit: 837P batches out (write837.c, outbound.c)
        acks.c        claims.Acknowledge (277CA, ack277.c)
        inbound.c     the file a 277CA or 835 call reads: in the request, or
                      spooled in chunks (claims.UploadBegin / UploadChunk)
        remits.c      claims.Post (835, remit835.c, posting.c), exceptions
        corrections.c claims.Correct and claims.Void, and claims.RequestCorrection
                      (the same, asked by another service: denials)
        edits.c       claims.Edit: a payer-rejected claim fixed and ready again
                      (claimedit.c: the checks and changes)
        main.c        the process: wires the parts into the skeleton
*/
#ifndef RCMQ_CLAIMS_H
#define RCMQ_CLAIMS_H

#include "claims.pb-c.h"
#include "intake.pb-c.h"
#include "phi.h"
#include "service.h"
#include "spool.h"

#define CLAIMS_TABLES "claims", "by_status", "remits", "exceptions", "exception_pcns", "acks", "credits", \
                      "submissions", "provider_adjustments", "queues", "credits_by_age", "sealed_claims", \
                      "claim_keys"
//  The store's layout: 2 added credits_by_age, 3 keeps each claim's sealed
//  claim apart from its record (ADR 50), 4 keys each record by payer and
//  PCN through claim_keys (ADR 82; main.c's migrations).
#define CLAIMS_STORE_VERSION 4
//  The store's map at start: a submit, acknowledgement or posting runs in
//  one transaction, and store_write answers MDB_MAP_FULL by doubling the
//  map and running the whole call again (100,000 claims make a ~1 GB
//  store, 1M ~10 GB). Address space, not disk: the store is opened with
//  MDB_WRITEMAP (main.c, ADR 45), so data.mdb's size is the map's, but the
//  file is sparse and the disk holds only the pages used (`du`, not `ls`).
#define CLAIMS_MAP_SIZE (16UL << 30)

typedef struct {
    service_t *service;
    store_t *store;
    outbox_t *outbox;
    config_t *config;
    phi_key_t *phi_key;             //  the skeleton's (service_phi_key)
    struct _outbound_t *outbound;   //  837P files for the clearinghouse (outbound.h)
    int follow_up_days;             //  default days without payer response
    workitem_t *work;               //  its work items (the skeleton's; followup.c), NULL in unit tests
    spool_t *spool;                 //  277CA and 835 files sent in chunks (inbound.h)
} claims_t;

//  The state of a started service (its store, outbox, config and PHI key
//  are the skeleton's): NULL (logged) when the outbound folder cannot be
//  made.
claims_t    *claims_new (service_t *service);
void         claims_destroy (claims_t **self_p);
//  The claims_t of a request's service.
claims_t    *claims_state (server_call_t *call);

#endif
