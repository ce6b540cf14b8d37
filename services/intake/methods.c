/*  methods: rcmq-intake's request methods, as one dispatch table.

        intake.Submit          SubmitRequest -> Batch          intake.submit
        intake.GetBatch        BatchId -> Batch                intake.read
        intake.ListRejections  ListRejectionsRequest -> RejectionList   intake.read
        queue.Create           Queue -> Queue                  queue.write
        queue.SetPhase         QueuePhaseRequest -> Queue      queue.write
        queue.List             -> QueueList                    queue.read
        queue.Show             QueueId -> Queue                queue.read
        (intake.UploadBegin, UploadChunk, UploadCommit, UploadStatus,
        UploadAbort: upload.h; queue.GridSet, Grid, ContactsSet, Contacts:
        queue_grid.c)

    Scope (DESIGN §4, marks in server.h): vendor roles see rejections and
    queues only of queues in pilot or vendor phase with their team
    (list-filtered; queue.Show subject-scoped). Submitting files, batches
    (whole files, every queue's figures) and queue set-up are internal.

    intake.Upload* (files in chunks, prepared off the loop) are handled in
    upload.c, which keeps the uploads, and the queues' grid and contacts in
    queue_grid.c; their rows stand here with the others, so this table is
    every method of intake (DESIGN §3: one dispatch table a service).
    intake.Submit takes a file in one request, so only files under
    api/max-request-bytes, and runs it on the loop in one transaction:
    rcmqctl uploads. While an upload's batch is applied in steps, Submit is
    refused (UNAVAILABLE) and ListRejections skips that batch (apply.h).
*/
#include "methods.h"
#include "batch.h"
#include "access.h"
#include "apply.h"
#include "clock.h"
#include "codec.h"
#include "queue_grid.h"
#include "upload.h"

static int
s_submit (server_call_t *call)
{
    intake_t *intake = intake_of (call);
    SubmitRequest *request = (SubmitRequest *) call->body;
    if (request->content.len == 0)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "intake.Submit: file %s is empty",
                                 request->filename);
    //  A batch applied in steps is pending: this one in the same store
    //  would meet its records half written (apply.h). One at a time.
    if (apply_busy (intake->apply))
        return server_call_fail (call, STATUS__UNAVAILABLE,
                                 "intake.Submit: intake is applying batch %s in steps; send %s again when it is"
                                 " done (an upload, `rcmqctl intake submit`, waits its turn instead)",
                                 apply_batch_id (intake->apply), request->filename);
    batch_input_t input = {
        .filename = request->filename,
        .source = "submit",
        .submitted_by = call->caller->name,
        .data = request->content.data,
        .size = request->content.len,
    };
    Batch batch = BATCH__INIT;
    int rc = batch_process (intake, call->txn, &input, &batch);
    if (rc == 0) {
        server_call_subject (call, batch.batch_id);
        server_call_reply (call, &batch);
        zlistx_add_end (intake->pending_acks, strdup (batch.batch_id));
    }
    batch_clear (&batch);
    return rc;
}

//  After each committed request: write the 999s of new batches.
void
methods_committed (intake_t *intake)
{
    if (zlistx_size (intake->pending_acks) == 0)
        return;
    //  Read the batches first: batch_write_acks opens its own read
    //  transaction, and LMDB allows one per thread.
    zlistx_t *batches = zlistx_new ();
    MDB_txn *txn = store_read_begin (intake->store);
    for (char *id = (char *) zlistx_first (intake->pending_acks); id && txn;
         id = (char *) zlistx_next (intake->pending_acks)) {
        MDB_val value;
        if (store_get (intake->store, txn, "batches", id, strlen (id), &value))
            continue;       //  its transaction did not commit
        Batch *batch = (Batch *) codec_decode (&batch__descriptor, value.mv_data, value.mv_size);
        if (batch)
            zlistx_add_end (batches, batch);
    }
    store_read_end (&txn);
    for (Batch *batch = (Batch *) zlistx_first (batches); batch; batch = (Batch *) zlistx_next (batches)) {
        batch_write_acks (intake, batch);
        codec_free (batch);
    }
    zlistx_destroy (&batches);
    zlistx_purge (intake->pending_acks);
}

static int
s_get_batch (server_call_t *call)
{
    intake_t *intake = intake_of (call);
    BatchId *request = (BatchId *) call->body;
    MDB_val value;
    if (store_get (intake->store, call->txn, "batches", request->batch_id, strlen (request->batch_id), &value))
        return server_call_fail (call, STATUS__NOT_FOUND, "intake.GetBatch: no batch '%s'", request->batch_id);
    Batch *batch = (Batch *) codec_decode (&batch__descriptor, value.mv_data, value.mv_size);
    if (!batch)
        return server_call_fail (call, STATUS__INTERNAL, "intake.GetBatch: batch %s does not decode", request->batch_id);
    server_call_subject (call, batch->batch_id);
    server_call_reply (call, batch);
    codec_free (batch);
    return 0;
}

//  True when the caller may see work of this queue (the one scope rule).
static bool
s_in_scope (intake_t *intake, server_call_t *call, const char *queue_id)
{
    if (!access_scope_team (call->caller))
        return true;
    Queue *queue = queues_get (intake->queues, call->txn, queue_id);
    bool visible = server_call_in_scope (call, queue? queue->phase: NULL, queue? queue->vendor_team: NULL);
    codec_free (queue);
    return visible;
}

typedef struct {
    server_call_t *call;
    const ListRejectionsRequest *request;
} s_rejections_t;

//  One row of intake.ListRejections: both indexes lead to the rejection by
//  its claim id.
static void *
s_rejection_row (void *arg, const char *claim_id, const MDB_val *value)
{
    (void) value;
    s_rejections_t *list = (s_rejections_t *) arg;
    intake_t *intake = intake_of (list->call);
    MDB_val row;
    Rejection *rejection = NULL;
    if (store_get (intake->store, list->call->txn, "rejections", claim_id, strlen (claim_id), &row) == 0)
        rejection = (Rejection *) codec_decode (&rejection__descriptor, row.mv_data, row.mv_size);
    if (rejection
    &&  (!*list->request->batch_id || streq (rejection->batch_id, list->request->batch_id))
    &&  !apply_hidden (intake, list->call->txn, rejection->batch_id)
    &&  s_in_scope (intake, list->call, rejection->dims? rejection->dims->queue: ""))
        return rejection;
    codec_free (rejection);
    return NULL;
}

static int
s_list_rejections (server_call_t *call)
{
    intake_t *intake = intake_of (call);
    ListRejectionsRequest *request = (ListRejectionsRequest *) call->body;
    size_t limit;
    char error [128];
    if (store_page_limit (request->limit, STORE_PAGE_DEFAULT, STORE_PAGE_MAX, &limit, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "intake.ListRejections: %s", error);
    //  With a queue, walk its index ("queue\0claim id"); else every
    //  rejection, by claim id.
    s_rejections_t list = { call, request };
    store_page_query_t query = { "rejections", "rejections_by_queue", request->queue, request->after, limit };
    store_page_t page;
    int rc = store_page_read (intake->store, call->txn, &query, s_rejection_row, codec_free, &list, &page);
    if (rc == 0)
        server_call_reply_page (call, &rejection_list__descriptor, &page);
    store_page_clear (&page);
    return rc;
}

//  --------------------------------------------------------------------------
//  Queues

static int
s_queue_create (server_call_t *call)
{
    intake_t *intake = intake_of (call);
    Queue *queue = (Queue *) call->body;
    if (!*queue->phase)
        codec_set_text (&queue->phase, "internal");     //  a new queue starts in house
    char error [256];
    if (queues_validate_new (queue, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "queue.Create: %s", error);
    Queue *existing = queues_get (intake->queues, call->txn, queue->id);
    if (existing) {
        codec_free (existing);
        return server_call_fail (call, STATUS__ALREADY_EXISTS, "queue.Create: queue %s exists", queue->id);
    }
    if (queue->is_default)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "queue.Create: there is one default queue ('default'); match criteria route the rest");
    queue->created_ms = queue->updated_ms = clock_now_ms ();
    codec_set_text (&queue->updated_by, call->caller->name);
    if (!queue->follow_up_days)
        queue->follow_up_days = 30;
    int rc = queues_put (intake->queues, call->txn, queue, call->caller->name, "created");
    if (rc)
        return rc;
    server_call_subject (call, queue->id);
    server_call_reply (call, queue);
    return 0;
}

static int
s_queue_set_phase (server_call_t *call)
{
    intake_t *intake = intake_of (call);
    QueuePhaseRequest *request = (QueuePhaseRequest *) call->body;
    Queue *queue = queues_call_get (intake->queues, call, request->id);
    if (!queue)
        return 0;
    codec_set_text (&queue->phase, request->phase);
    char error [256];
    int rc = 0;
    if (queues_validate (queue, error, sizeof error))
        server_call_fail (call, STATUS__FAILED_PRECONDITION, "queue.SetPhase: %s", error);
    else {
        queue->updated_ms = clock_now_ms ();
        codec_set_text (&queue->updated_by, call->caller->name);
        rc = queues_put (intake->queues, call->txn, queue, call->caller->name, "phase");
        if (rc == 0) {
            server_call_subject (call, queue->id);
            server_call_reply (call, queue);
        }
    }
    codec_free (queue);
    return rc;
}

static int
s_queue_list (server_call_t *call)
{
    intake_t *intake = intake_of (call);
    queues_reload (intake->queues);
    size_t count = queues_count (intake->queues);
    QueueList list = QUEUE_LIST__INIT;
    list.queues = (Queue **) calloc (count + 1, sizeof (Queue *));
    for (size_t i = 0; i < count; i++) {
        const Queue *queue = queues_at (intake->queues, i);
        if (server_call_in_scope (call, queue->phase, queue->vendor_team))
            list.queues [list.n_queues++] = (Queue *) queue;
    }
    server_call_reply (call, &list);
    free (list.queues);
    return 0;
}

static int
s_queue_show (server_call_t *call)
{
    Queue *queue = queues_call_read (intake_of (call)->queues, call, ((QueueId *) call->body)->id);
    if (queue)
        server_call_reply (call, queue);
    codec_free (queue);
    return 0;
}

const server_method_t intake_methods [] = {
    SERVER_INTERNAL_METHOD (intake, Submit,         submit, &submit_request__descriptor,          s_submit),
    SERVER_INTERNAL_METHOD (intake, GetBatch,       read,   &batch_id__descriptor,                s_get_batch),
    SERVER_LIST_METHOD     (intake, ListRejections, read,   &list_rejections_request__descriptor, s_list_rejections),
    SERVER_INTERNAL_METHOD (queue,  Create,         write,  &queue__descriptor,                   s_queue_create),
    SERVER_INTERNAL_METHOD (queue,  SetPhase,       write,  &queue_phase_request__descriptor,     s_queue_set_phase),
    SERVER_LIST_METHOD     (queue,  List,           read,   NULL,                                 s_queue_list),
    SERVER_SUBJECT_METHOD  (queue,  Show,           read,   &queue_id__descriptor,                s_queue_show, intake_scope_queue_id),
    //  A file carries claims of every queue: uploads are internal, like
    //  intake.Submit (docs/adr/0011-scope-marks-in-the-method-table.md).
    SERVER_INTERNAL_METHOD (intake, UploadBegin,    submit, &upload_begin__descriptor,            upload_begin),
    SERVER_INTERNAL_METHOD (intake, UploadChunk,    submit, &upload_chunk__descriptor,            upload_chunk),
    SERVER_INTERNAL_METHOD (intake, UploadCommit,   submit, &upload_id__descriptor,               upload_commit),
    SERVER_INTERNAL_METHOD (intake, UploadStatus,   submit, &upload_id__descriptor,               upload_status),
    SERVER_INTERNAL_METHOD (intake, UploadAbort,    submit, &upload_id__descriptor,               upload_abort),
    SERVER_SUBJECT_METHOD  (queue,  GridSet,        grid,   &queue_grid_set_request__descriptor,  queue_grid_set, queue_grid_scope_set),
    SERVER_LIST_METHOD     (queue,  Grid,           read,   &queue_grid_request__descriptor,      queue_grid_read),
    SERVER_SUBJECT_METHOD  (queue,  ContactsSet,    grid,   &queue_contacts_set_request__descriptor, queue_grid_contacts_set, queue_grid_scope_contacts_set),
    { "queue.Contacts", "contacts.read", &queue_id__descriptor, queue_grid_contacts, SERVER_SUBJECT, intake_scope_queue_id, SERVER_NO_PHI },
    { NULL }
};
