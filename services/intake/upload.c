/*  upload: see upload.h.

    An upload moves through states, each owned by one side:

        receiving   chunks are written to <folder>/<id>.837 (the loop)
        queued      committed, waiting for the actor (the loop)
        parsing     the actor prepares <id>.prep from <id>.837
        applying    prepared; applied from <id>.prep in steps (apply.c),
                    one batch at a time, in the order of their commits
        done        the batch exists (its id in the record); files removed
        failed      nothing was applied; the error says why

    Only the loop touches the upload table; the actor is handed one job at
    a time (a pointer the loop does not free while the actor has it) and
    hands it back with DONE. Progress counters are atomics the loop reads.
*/
#include "upload.h"
#include "apply.h"
#include "clock.h"
#include "codec.h"
#include "files.h"
#include "log.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#define UPLOAD_PER_CALLER_DEFAULT   2
#define UPLOAD_MAX_OPEN_DEFAULT     16
#define UPLOAD_MAX_BYTES_DEFAULT    (4LL << 30)
#define UPLOAD_IDLE_S_DEFAULT       600

typedef enum {
    S_RECEIVING, S_QUEUED, S_PARSING, S_APPLYING, S_DONE, S_FAILED
} s_state_t;

static const char *const s_state_names [] = {
    "receiving", "queued", "parsing", "applying", "done", "failed"
};

typedef struct {
    char id [40];
    char *filename;
    char caller [64];           //  identity name: only its owner sees it
    s_state_t state;
    uint64_t size;              //  declared; 0 when unknown
    uint64_t received;
    uint64_t touched_ms;        //  monotonic: last request or state change
    uint64_t queued_seq;        //  order of commits
    char raw_path [PATH_MAX];
    char prep_path [PATH_MAX];
    //  Set by the loop before the actor runs, read by the actor.
    char *batch_id;
    uint64_t now;
    //  Set by the actor, read by the loop after DONE.
    batch_progress_t progress;
    parse_837p_report_t report;
    int parsed;
    char stage_error [256];
    //  A file on disk (the inbox's): read, never removed; told when done.
    bool keep_raw;
    char source [16];           //  "submit" or "inbox"
    upload_done_fn *done;
    void *done_arg;
    bool prepared;              //  waiting for, or in, the stepped apply
    bool applying;              //  apply.c has it (maybe while the actor
                                //  still prepares it: the apply follows)
    //  Set by the actor, read by the loop's apply: whole prepared claims
    //  in prep_path so far, and how many the apply waits for.
    batch_follow_t follow;
    struct _upload_t *owner;
    //  The outcome.
    uint32_t claims;
    char error [512];
} s_job_t;

struct _upload_t {
    intake_t *intake;
    zloop_t *loop;
    char *dir;
    zhashx_t *jobs;             //  id -> s_job_t
    zactor_t *actor;
    s_job_t *busy;              //  the job the actor has, or NULL
    _Atomic bool cancel;        //  makes the actor give up (shutdown)
    uint64_t next_seq;
    int timer;
    size_t per_caller;
    size_t max_open;
    uint64_t max_bytes;
    uint64_t idle_ms;
};

static void
s_job_destroy (void **item_p)
{
    s_job_t *job = (s_job_t *) *item_p;
    if (job) {
        if (!job->keep_raw)
            unlink (job->raw_path);
        unlink (job->prep_path);
        free (job->filename);
        free (job->batch_id);
        free (job);
    }
    *item_p = NULL;
}

static bool
s_open_state (s_state_t state)
{
    return state != S_DONE && state != S_FAILED;
}

static void
s_fail (upload_t *self, s_job_t *job, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (job->error, sizeof job->error, format, args);
    va_end (args);
    job->state = S_FAILED;
    job->touched_ms = clock_monotonic_ms ();
    if (!job->keep_raw)
        unlink (job->raw_path);
    unlink (job->prep_path);
    log_warn ("upload failed", "upload", json_string (job->id), "error", json_string (job->error), NULL);
    if (job->done) {
        upload_done_fn *done = job->done;
        job->done = NULL;
        done (NULL, job->error, job->done_arg);
    }
}

//  --------------------------------------------------------------------------
//  The actor: prepares one staged file at a time.

//  The staged claims are flushed every so many, for the apply that
//  follows the prepare (a write system call each time).
#define S_FLUSH_CLAIMS  64

typedef struct {
    FILE *file;
    upload_t *upload;
    s_job_t *job;
    zsock_t *pipe;              //  to the loop: STAGED wakes the apply
    uint32_t count;
    bool failed;
} s_stage_t;

//  Claims written so far reach the file, then the apply may read them; it
//  is woken when it waits for no more (rather than looking every so often:
//  issue 19, ADR 56).
static int
s_publish (s_stage_t *stage)
{
    long end;
    if (fflush (stage->file) || (end = ftell (stage->file)) < 0)
        return -1;
    if (batch_follow_publish (&stage->job->follow, (uint64_t) end, stage->count))
        zsock_send (stage->pipe, "sp", "STAGED", stage->job);
    return 0;
}

static int
s_stage (PreparedClaim *claim, void *arg)
{
    s_stage_t *stage = (s_stage_t *) arg;
    if (stage->upload->cancel)
        return -1;
    if (batch_stage_sink (claim, stage->file)
    ||  (++stage->count % S_FLUSH_CLAIMS == 0 && s_publish (stage))) {
        stage->failed = true;
        return -1;
    }
    return 0;
}

static void
s_prepare (upload_t *self, s_job_t *job, zsock_t *pipe)
{
    job->stage_error [0] = 0;
    FILE *file = NULL;
    int fd = open (job->prep_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0)
        file = fdopen (fd, "wb");
    if (!file) {
        snprintf (job->stage_error, sizeof job->stage_error, "cannot write the prepared claims: %s", strerror (errno));
        if (fd >= 0)
            close (fd);
        return;
    }
    s_stage_t stage = { file, self, job, pipe, 0, false };
    batch_input_t input = { .filename = job->filename, .path = job->raw_path, .size = job->received };
    job->parsed = batch_prepare (self->intake, &input, job->batch_id, job->now, s_stage, &stage,
                                 &job->progress, &job->report);
    bool written = !stage.failed && s_publish (&stage) == 0;
    written = fclose (file) == 0 && written;
    if (!written)
        snprintf (job->stage_error, sizeof job->stage_error, "cannot write the prepared claims: %s", strerror (errno));
    else
    if (self->cancel)
        snprintf (job->stage_error, sizeof job->stage_error, "intake stopped while it prepared the file");
    //  The prepared claims are all that is needed now.
    if (!job->keep_raw)
        unlink (job->raw_path);
}

static void
s_actor (zsock_t *pipe, void *arg)
{
    upload_t *self = (upload_t *) arg;
    zsock_signal (pipe, 0);
    while (true) {
        char *command = NULL;
        void *job = NULL;
        if (zsock_recv (pipe, "sp", &command, &job) == -1)
            break;
        bool term = !command || streq (command, "$TERM");
        if (!term && streq (command, "PREPARE")) {
            s_prepare (self, (s_job_t *) job, pipe);
            zsock_send (pipe, "sp", "DONE", job);
        }
        zstr_free (&command);
        if (term)
            break;
    }
}

//  --------------------------------------------------------------------------
//  The loop's side

typedef struct {
    upload_t *self;
    s_job_t *job;
    char *batch_id;
} s_reserve_t;

static int
s_reserve_id (store_t *store, MDB_txn *txn, void *arg)
{
    s_reserve_t *reserve = (s_reserve_t *) arg;
    free (reserve->batch_id);       //  a run before the map grew
    reserve->batch_id = batch_new_id (reserve->self->intake, txn, reserve->job->now);
    return reserve->batch_id? 0: MDB_BAD_TXN;
}

static void s_apply_next (upload_t *self);

//  The stepped apply is through with a job's batch.
static void
s_applied (const Batch *batch, const char *error, void *arg)
{
    s_job_t *job = (s_job_t *) arg;
    upload_t *self = job->owner;
    job->applying = job->prepared = false;
    if (!batch && *job->stage_error)
        s_fail (self, job, "%s", job->stage_error);
    else
    if (!batch)
        s_fail (self, job, "the batch could not be stored (nothing of it was applied): %s", error);
    else {
        job->state = S_DONE;
        job->claims = batch->claims;
        job->touched_ms = clock_monotonic_ms ();
        unlink (job->prep_path);
        batch_write_acks (self->intake, batch);
        log_info ("upload applied", "upload", json_string (job->id), "batch", json_string (job->batch_id),
                  "status", json_string (batch->status), "claims", json_integer (batch->claims), NULL);
        if (job->done) {
            upload_done_fn *done = job->done;
            job->done = NULL;
            done (batch, NULL, job->done_arg);
        }
    }
    s_apply_next (self);
}

//  Hands the oldest prepared job to the stepped apply when it is free, or
//  the one the actor is preparing (the apply then follows the prepare:
//  jobs prepare in the order of their commits, so it is the newest).
static void
s_apply_next (upload_t *self)
{
    if (apply_busy (self->intake->apply))
        return;
    s_job_t *next = NULL;
    for (s_job_t *job = (s_job_t *) zhashx_first (self->jobs); job; job = (s_job_t *) zhashx_next (self->jobs))
        if ((job->prepared || job == self->busy) && !job->applying
        &&  (!next || job->queued_seq < next->queued_seq))
            next = job;
    if (!next)
        return;
    bool following = next == self->busy;
    batch_input_t input = {
        .filename = next->filename,
        .source = next->source,
        .submitted_by = next->caller,
        .size = next->received,
    };
    batch_staged_t staged = { &input, next->batch_id, next->now, next->prep_path, next->parsed, &next->report,
                              following? &next->follow: NULL };
    char error [256];
    next->applying = true;
    next->touched_ms = clock_monotonic_ms ();
    if (apply_start (self->intake->apply, &staged, s_applied, next, error, sizeof error)) {
        next->applying = false;
        //  Still the actor's: applied, or failed, once prepared.
        if (following)
            return;
        next->prepared = false;
        s_fail (self, next, "the batch could not be stored (nothing of it was applied): %s", error);
        s_apply_next (self);
    }
}

//  Hands the oldest queued job to the actor when it is free.
static void
s_start_next (upload_t *self)
{
    if (self->busy)
        return;
    s_job_t *next = NULL;
    for (s_job_t *job = (s_job_t *) zhashx_first (self->jobs); job; job = (s_job_t *) zhashx_next (self->jobs))
        if (job->state == S_QUEUED && (!next || job->queued_seq < next->queued_seq))
            next = job;
    if (!next)
        return;
    //  The batch id is sealed into every claim, so it is taken before the
    //  prepare, in a transaction of its own (a crash after it leaves a gap
    //  in the numbers, nothing else).
    next->now = clock_now_ms ();
    s_reserve_t reserve = { self, next, NULL };
    if (store_write (self->intake->store, s_reserve_id, &reserve)) {
        free (reserve.batch_id);
        s_fail (self, next, "cannot number the batch: %s", store_error (self->intake->store));
        return;
    }
    free (next->batch_id);
    next->batch_id = reserve.batch_id;
    next->state = S_PARSING;
    next->touched_ms = clock_monotonic_ms ();
    next->follow.bytes = next->follow.claims = next->follow.want = 0;
    //  Made here, so the apply that follows the prepare can open it now.
    int fd = open (next->prep_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0)
        close (fd);
    self->busy = next;
    zsock_send (zactor_sock (self->actor), "sp", "PREPARE", next);
    s_apply_next (self);
}

static int
s_on_actor (zloop_t *loop, zsock_t *sock, void *arg)
{
    upload_t *self = (upload_t *) arg;
    char *command = NULL;
    void *pointer = NULL;
    if (zsock_recv (sock, "sp", &command, &pointer) == -1)
        return 0;
    s_job_t *job = (s_job_t *) pointer;
    bool done = command && streq (command, "DONE") && job == self->busy;
    //  The apply that follows the prepare has the claims it waited for.
    if (command && streq (command, "STAGED") && job == self->busy && job->applying)
        apply_staged (self->intake->apply);
    zstr_free (&command);
    if (!done)
        return 0;
    self->busy = NULL;
    if (job->applying) {
        //  The apply followed the prepare: it may end the batch now.
        job->state = S_APPLYING;
        job->prepared = true;
        job->touched_ms = clock_monotonic_ms ();
        apply_prepared (self->intake->apply, job->parsed, &job->report,
                        *job->stage_error? job->stage_error: NULL);
    }
    else
    if (*job->stage_error)
        s_fail (self, job, "%s", job->stage_error);
    else {
        //  Applied in steps, after the batches committed before it.
        job->state = S_APPLYING;
        job->prepared = true;
        job->touched_ms = clock_monotonic_ms ();
        s_apply_next (self);
    }
    s_start_next (self);
    return 0;
}

//  Removes uploads left alone too long, and the records of finished ones.
static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    upload_t *self = (upload_t *) arg;
    uint64_t now = clock_monotonic_ms ();
    zlistx_t *stale = zlistx_new ();
    for (s_job_t *job = (s_job_t *) zhashx_first (self->jobs); job; job = (s_job_t *) zhashx_next (self->jobs))
        if ((job->state == S_RECEIVING || !s_open_state (job->state)) && now - job->touched_ms > self->idle_ms)
            zlistx_add_end (stale, job->id);
    for (char *id = (char *) zlistx_first (stale); id; id = (char *) zlistx_next (stale)) {
        s_job_t *job = (s_job_t *) zhashx_lookup (self->jobs, id);
        if (job->state == S_RECEIVING)
            log_info ("abandoned upload removed", "upload", json_string (id),
                      "bytes", json_integer ((json_int_t) job->received), NULL);
        zhashx_delete (self->jobs, id);
    }
    zlistx_destroy (&stale);
    s_start_next (self);
    s_apply_next (self);
    return 0;
}

upload_t *
upload_new (intake_t *intake, config_t *config, zloop_t *loop)
{
    char fallback [PATH_MAX];
    snprintf (fallback, sizeof fallback, "%s/intake-uploads", config_path (config, "data/dir", "."));
    const char *dir = config_path (config, "intake/upload-dir", fallback);
    if (zsys_dir_create ("%s", dir) || chmod (dir, 0700)) {
        log_error ("cannot make the upload folder", "path", json_string (dir), NULL);
        return NULL;
    }
    //  What a previous run left is not needed: a batch it was applying is
    //  undone or finished from the store (apply.c), never from these files.
    size_t removed = files_dir_empty (dir);
    if (removed)
        log_info ("unfinished uploads of a previous run removed", "files", json_integer ((json_int_t) removed), NULL);

    upload_t *self = (upload_t *) zmalloc (sizeof (upload_t));
    self->intake = intake;
    self->loop = loop;
    self->dir = strdup (dir);
    self->jobs = zhashx_new ();
    zhashx_set_destructor (self->jobs, s_job_destroy);
    self->per_caller = (size_t) config_get_int (config, "intake/uploads-per-caller", UPLOAD_PER_CALLER_DEFAULT);
    self->max_open = (size_t) config_get_int (config, "intake/uploads-max", UPLOAD_MAX_OPEN_DEFAULT);
    self->max_bytes = (uint64_t) config_get_int (config, "intake/upload-max-bytes", UPLOAD_MAX_BYTES_DEFAULT);
    self->idle_ms = (uint64_t) config_get_int (config, "intake/upload-idle-seconds", UPLOAD_IDLE_S_DEFAULT) * 1000;
    self->actor = zactor_new (s_actor, self);
    zloop_reader (loop, zactor_sock (self->actor), s_on_actor, self);
    self->timer = zloop_timer (loop, 1000, 0, s_on_tick, self);
    return self;
}

void
upload_destroy (upload_t **self_p)
{
    assert (self_p);
    upload_t *self = *self_p;
    if (!self)
        return;
    //  A prepare in progress stops at its next claim.
    self->cancel = true;
    if (self->loop) {
        zloop_reader_end (self->loop, zactor_sock (self->actor));
        zloop_timer_end (self->loop, self->timer);
    }
    zactor_destroy (&self->actor);
    zhashx_destroy (&self->jobs);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

void
upload_committed (upload_t *self)
{
    if (self)
        s_start_next (self);
}

int
upload_take_file (upload_t *self, const char *path, const char *filename, uint64_t size,
                  const char *source, upload_done_fn *done, void *arg)
{
    s_job_t *job = (s_job_t *) zmalloc (sizeof (s_job_t));
    uint8_t hash [12];
    uint64_t seq = ++self->next_seq;
    crypto_generichash (hash, sizeof hash, (const uint8_t *) path, strlen (path), (const uint8_t *) &seq, sizeof seq);
    snprintf (job->id, sizeof job->id, "I");
    sodium_bin2hex (job->id + 1, sizeof job->id - 1, hash, sizeof hash);
    job->filename = strdup (filename);
    snprintf (job->caller, sizeof job->caller, "%s", source);
    snprintf (job->source, sizeof job->source, "%s", source);
    snprintf (job->raw_path, sizeof job->raw_path, "%s", path);
    snprintf (job->prep_path, sizeof job->prep_path, "%s/%s.prep", self->dir, job->id);
    job->keep_raw = true;
    job->size = job->received = size;
    job->owner = self;
    job->done = done;
    job->done_arg = arg;
    job->state = S_QUEUED;
    job->queued_seq = seq;
    job->touched_ms = clock_monotonic_ms ();
    zhashx_insert (self->jobs, job->id, job);
    s_start_next (self);
    return 0;
}

//  --------------------------------------------------------------------------
//  Methods (rows of intake's one table, methods.c)

static upload_t *
s_upload (server_call_t *call)
{
    return intake_of (call)->uploads;
}

static void
s_reply (server_call_t *call, s_job_t *job)
{
    Upload reply = UPLOAD__INIT;
    reply.upload_id = job->id;
    reply.filename = job->filename;
    reply.state = (char *) s_state_names [job->state];
    reply.bytes_received = job->received;
    reply.size = job->size;
    reply.bytes_parsed = job->progress.bytes;
    reply.claims_read = job->state == S_DONE? job->claims: job->progress.claims;
    reply.batch_id = job->batch_id && job->state != S_QUEUED? job->batch_id: "";
    reply.error = job->error;
    server_call_subject (call, job->id);
    if (*reply.batch_id)
        server_call_subject (call, reply.batch_id);
    server_call_reply (call, &reply);
}

//  The caller's upload of that id; NULL (the call failed: uploads are not
//  running, or no such upload of the caller's) otherwise.
static s_job_t *
s_find (server_call_t *call, const char *id)
{
    upload_t *self = s_upload (call);
    if (!self) {
        server_call_fail (call, STATUS__UNAVAILABLE, "%s: uploads are not running", call->request->method);
        return NULL;
    }
    s_job_t *job = (s_job_t *) zhashx_lookup (self->jobs, id);
    if (!job || !streq (job->caller, call->caller->name)) {
        server_call_fail (call, STATUS__NOT_FOUND,
                          "%s: no upload '%s' of yours (intake restarted, or it was idle too long and removed)",
                          call->request->method, id);
        return NULL;
    }
    job->touched_ms = clock_monotonic_ms ();
    return job;
}

int
upload_begin (server_call_t *call)
{
    upload_t *self = s_upload (call);
    UploadBegin *request = (UploadBegin *) call->body;
    if (!self)
        return server_call_fail (call, STATUS__UNAVAILABLE, "intake.UploadBegin: uploads are not running");
    //  The id comes from the caller's key and request id, so the same
    //  request run again (a resend, a retry after the map grew) finds the
    //  upload it made instead of opening another.
    uint8_t hash [12];
    crypto_generichash (hash, sizeof hash, (const uint8_t *) call->request->id, strlen (call->request->id),
                        (const uint8_t *) call->caller->key, strlen (call->caller->key));
    char id [40] = "U";
    sodium_bin2hex (id + 1, sizeof id - 1, hash, sizeof hash);
    s_job_t *job = (s_job_t *) zhashx_lookup (self->jobs, id);
    if (job) {
        s_reply (call, job);
        return 0;
    }
    if (request->size > self->max_bytes)
        return server_call_fail (call, STATUS__RESOURCE_EXHAUSTED,
                                 "intake.UploadBegin: %s is %" PRIu64 " bytes; uploads may be at most %" PRIu64
                                 " (intake/upload-max-bytes)", request->filename, request->size, self->max_bytes);
    size_t open_total = 0, open_mine = 0;
    for (s_job_t *other = (s_job_t *) zhashx_first (self->jobs); other; other = (s_job_t *) zhashx_next (self->jobs))
        if (s_open_state (other->state)) {
            open_total++;
            if (streq (other->caller, call->caller->name))
                open_mine++;
        }
    if (open_mine >= self->per_caller)
        return server_call_fail (call, STATUS__RESOURCE_EXHAUSTED,
                                 "intake.UploadBegin: %s has %zu uploads open already, the most allowed"
                                 " (intake/uploads-per-caller); wait for one to finish", call->caller->name, open_mine);
    if (open_total >= self->max_open)
        return server_call_fail (call, STATUS__RESOURCE_EXHAUSTED,
                                 "intake.UploadBegin: %zu uploads are open, the most allowed (intake/uploads-max)",
                                 open_total);
    job = (s_job_t *) zmalloc (sizeof (s_job_t));
    snprintf (job->id, sizeof job->id, "%s", id);
    job->filename = strdup (request->filename);
    snprintf (job->caller, sizeof job->caller, "%s", call->caller->name);
    job->size = request->size;
    job->owner = self;
    snprintf (job->source, sizeof job->source, "submit");
    job->touched_ms = clock_monotonic_ms ();
    snprintf (job->raw_path, sizeof job->raw_path, "%s/%s.837", self->dir, id);
    snprintf (job->prep_path, sizeof job->prep_path, "%s/%s.prep", self->dir, id);
    int fd = open (job->raw_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        server_call_fail (call, STATUS__UNAVAILABLE, "intake.UploadBegin: cannot stage the file: %s", strerror (errno));
        free (job->filename);
        free (job);
        return 0;
    }
    close (fd);
    zhashx_insert (self->jobs, job->id, job);
    s_reply (call, job);
    return 0;
}

int
upload_chunk (server_call_t *call)
{
    upload_t *self = s_upload (call);
    UploadChunk *request = (UploadChunk *) call->body;
    s_job_t *job = s_find (call, request->upload_id);
    if (!job)
        return 0;
    if (job->state != S_RECEIVING)
        return server_call_fail (call, STATUS__FAILED_PRECONDITION, "intake.UploadChunk: upload %s is %s, not receiving",
                                 job->id, s_state_names [job->state]);
    if (request->offset > job->received)
        return server_call_fail (call, STATUS__FAILED_PRECONDITION,
                                 "intake.UploadChunk: chunk at byte %" PRIu64 " of upload %s, which has only %" PRIu64,
                                 request->offset, job->id, job->received);
    uint64_t end = request->offset + request->data.len;
    if (end > self->max_bytes || (job->size && end > job->size)) {
        s_fail (self, job, "the file grew past %" PRIu64 " bytes", job->size && job->size < self->max_bytes? job->size: self->max_bytes);
        return server_call_fail (call, STATUS__RESOURCE_EXHAUSTED, "intake.UploadChunk: upload %s: %s (intake/upload-max-bytes)",
                                 job->id, job->error);
    }
    //  Written at its offset: a chunk sent twice lands on itself.
    int fd = open (job->raw_path, O_WRONLY);
    ssize_t written = fd >= 0? pwrite (fd, request->data.data, request->data.len, (off_t) request->offset): -1;
    if (fd >= 0)
        close (fd);
    if (written != (ssize_t) request->data.len) {
        s_fail (self, job, "cannot stage the file: %s", strerror (errno));
        return server_call_fail (call, STATUS__UNAVAILABLE, "intake.UploadChunk: upload %s: %s", job->id, job->error);
    }
    if (end > job->received)
        job->received = end;
    s_reply (call, job);
    return 0;
}

int
upload_commit (server_call_t *call)
{
    upload_t *self = s_upload (call);
    UploadId *request = (UploadId *) call->body;
    s_job_t *job = s_find (call, request->upload_id);
    if (!job)
        return 0;
    if (job->state == S_RECEIVING) {
        if (job->received == 0)
            return server_call_fail (call, STATUS__INVALID_ARGUMENT, "intake.UploadCommit: file %s is empty", job->filename);
        if (job->size && job->received != job->size)
            return server_call_fail (call, STATUS__FAILED_PRECONDITION,
                                     "intake.UploadCommit: upload %s has %" PRIu64 " of its %" PRIu64 " bytes",
                                     job->id, job->received, job->size);
        //  Queued only: the actor is started after this call commits.
        job->state = S_QUEUED;
        job->queued_seq = ++self->next_seq;
    }
    s_reply (call, job);
    return 0;
}

int
upload_status (server_call_t *call)
{
    s_job_t *job = s_find (call, ((UploadId *) call->body)->upload_id);
    if (job)
        s_reply (call, job);
    return 0;
}

//  The client gives up before its commit (it could not read its file, a
//  chunk failed): the staged file goes now, and the caller's slot with it.
int
upload_abort (server_call_t *call)
{
    upload_t *self = s_upload (call);
    UploadId *request = (UploadId *) call->body;
    s_job_t *job = s_find (call, request->upload_id);
    if (!job)
        return 0;
    if (job->state == S_RECEIVING)
        s_fail (self, job, "abandoned by %s before its commit", job->caller);
    else
    if (s_open_state (job->state))
        return server_call_fail (call, STATUS__FAILED_PRECONDITION,
                                 "intake.UploadAbort: upload %s is %s: it can no longer be abandoned",
                                 job->id, s_state_names [job->state]);
    s_reply (call, job);
    return 0;
}
