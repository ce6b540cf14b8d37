/*  apply: see apply.h.

    The phases of a pending batch, each step one store_write:

        APPLY   the next claims of the staged file, each record with its
                undo entry, each event staged; at the file's end FLIP, or
                UNDO when the batch is refused
        FLIP    batch record, interchanges, 999s, batch_completed (staged
                behind the claims' events), marker to 'F'
        DRAIN   staged events into the outbox, undo entries dropped; the
                last step removes the marker
        UNDO    staged events dropped, undo entries taken back newest first,
                claim records removed by their key prefix (batch id, '-':
                claim ids are batch-n, so they need no undo entry); the
                last step writes the refused batch record (a refusal) and
                removes the marker

    A step works on a copy of the batch's state (batch_run_dup) and keeps it
    only once the step commits, because store_write runs a step again when
    the map grows: the second run must start where the first did.

    An upload's apply starts while its file is still being prepared (on
    upload.c's actor), so parsing and sealing on one core overlap the
    store's writes on the other (issue 19: the apply used to wait for the
    whole prepare). It reads only the whole records the prepare has
    flushed (staged->follow), runs a step of intake/apply-step-claims claims
    once that many are there (the prepare wakes it: apply_staged; the step's
    time bound is APPLY_FOLLOW_MS_FACTOR times the usual, so each commit and
    fsync carries a whole step unless the box is loaded), and flips
    or undoes only after apply_prepared: the prepare's result and report
    decide whether the batch is refused, as before. Nothing leaves the
    batch before its flip, so a crash or a refusal in the middle is undone
    the same way.
*/
#include "apply.h"
#include "clock.h"
#include "codec.h"
#include "log.h"
#include "stage.h"

#include <signal.h>
#include <unistd.h>

#define APPLY_STEP_CLAIMS_DEFAULT   1000
#define APPLY_STEP_MS_DEFAULT       20
//  Undo and drain entries are smaller than claims: more go in a step.
#define APPLY_ENTRIES_PER_CLAIM     4
//  A step the store refused in UNDO or DRAIN is tried again after this.
#define APPLY_RETRY_MS              1000
//  Following a prepare, a step takes its whole count of claims unless it
//  runs longer than this many times intake/apply-step-ms (a bound on how
//  long requests wait when the box is loaded, not the usual end of a step).
#define APPLY_FOLLOW_MS_FACTOR      5

#define S_MARKER        "batch"
#define S_APPLYING      'A'
#define S_FLIPPED       'F'

typedef enum { S_IDLE, S_APPLY, S_FLIP, S_DRAIN, S_UNDO } s_phase_t;

static const char *const s_phase_names [] = { "idle", "apply", "flip", "drain", "undo" };

struct _apply_t {
    intake_t *intake;
    zloop_t *loop;
    s_phase_t phase;
    int timer;                  //  the next step's, or -1
    char *batch_id;
    batch_run_t *run;           //  NULL for a batch a previous run left
    FILE *file;                 //  the prepared claims
    long offset;                //  where the next step reads
    int parsed;                 //  the prepare's result
    parse_837p_report_t report;
    char error [512];           //  a step the store refused: undo, then say
    apply_done_fn *done;
    void *done_arg;
    size_t step_claims;
    uint64_t step_ms;
    uint64_t undo_seq;          //  next keys, read at each step's start
    uint64_t event_seq;
    uint64_t steps;             //  committed, for the failpoint
    uint64_t batch_steps;       //  the pending batch's, for the log
    uint64_t fail_step;         //  RCMQ_FAIL_INTAKE_STEP; 0 when off
    uint64_t started_ms;
    uint64_t claims;            //  applied so far, for the log
    uint8_t *buffer;            //  one staged record
    size_t capacity;
    stage_claim_t staged;       //  the record read (s_read), pointing into buffer
    //  A prepare still running: whole records below its bytes may be read;
    //  NULL once prepared (parsed and report are then its own).
    batch_follow_t *follow;
    bool prepared;
};

//  What one step did, filled inside its store_write.
typedef struct {
    apply_t *self;
    batch_run_t *work;          //  the state after the step
    long offset;
    size_t claims;
    bool end;                   //  the phase is over
} s_step_t;

//  --------------------------------------------------------------------------
//  The tables

//  The key after the last of table, big-endian so LMDB keeps them in order.
static int
s_next_seq (store_t *store, MDB_txn *txn, const char *table, uint64_t *seq)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (store, table), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    rc = mdb_cursor_get (cursor, &key, &value, MDB_LAST);
    *seq = rc == 0 && key.mv_size == 8? store_u64_read (key.mv_data) + 1: 1;
    mdb_cursor_close (cursor);
    return rc == MDB_NOTFOUND? 0: rc;
}

static int
s_seqs (apply_t *self, MDB_txn *txn)
{
    int rc = s_next_seq (self->intake->store, txn, "apply_undo", &self->undo_seq);
    return rc? rc: s_next_seq (self->intake->store, txn, "apply_events", &self->event_seq);
}

static int
s_put_marker (apply_t *self, MDB_txn *txn, char phase)
{
    char value [128];
    int size = snprintf (value, sizeof value, "%c%s", phase, self->batch_id);
    return store_put (self->intake->store, txn, "apply_pending", S_MARKER, strlen (S_MARKER), value, (size_t) size);
}

static void
s_put_u32 (uint8_t **at, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        *(*at)++ = (uint8_t) (value >> (8 * i));
}

static uint32_t
s_get_u32 (const uint8_t **at)
{
    uint32_t value = 0;
    for (int i = 0; i < 4; i++)
        value |= (uint32_t) *(*at)++ << (8 * i);
    return value;
}

//  An undo entry: table length (1 byte), table, key length (4), key, 1 when
//  there was an old value, the old value.
int
apply_put (apply_t *self, MDB_txn *txn, const char *table, const void *key, size_t key_size,
           const void *value, size_t value_size)
{
    store_t *store = self->intake->store;
    MDB_val old;
    int rc = store_get (store, txn, table, key, key_size, &old);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    bool had = rc == 0;
    size_t table_size = strlen (table);
    assert (table_size < 256);
    size_t size = 1 + table_size + 4 + key_size + 1 + (had? old.mv_size: 0);
    uint8_t *entry = (uint8_t *) malloc (size), *at = entry;
    assert (entry);
    *at++ = (uint8_t) table_size;
    memcpy (at, table, table_size);
    at += table_size;
    s_put_u32 (&at, (uint32_t) key_size);
    memcpy (at, key, key_size);
    at += key_size;
    *at++ = had;
    if (had)
        memcpy (at, old.mv_data, old.mv_size);
    uint8_t seq [8];
    store_u64_write (seq, self->undo_seq++);
    rc = store_append (store, txn, "apply_undo", seq, sizeof seq, entry, size);
    free (entry);
    return rc? rc: store_put (store, txn, table, key, key_size, value, value_size);
}

//  A staged event: type length (1 byte), type, key length (4), key, payload.
int
apply_stage_event (apply_t *self, MDB_txn *txn, const char *type, const char *key,
                   const uint8_t *payload, size_t size)
{
    size_t type_size = strlen (type), key_size = strlen (key);
    assert (type_size < 256);
    size_t entry_size = 1 + type_size + 4 + key_size + size;
    uint8_t *entry = (uint8_t *) malloc (entry_size), *at = entry;
    assert (entry);
    *at++ = (uint8_t) type_size;
    memcpy (at, type, type_size);
    at += type_size;
    s_put_u32 (&at, (uint32_t) key_size);
    memcpy (at, key, key_size);
    at += key_size;
    if (size)
        memcpy (at, payload, size);
    uint8_t seq [8];
    store_u64_write (seq, self->event_seq++);
    int rc = store_append (self->intake->store, txn, "apply_events", seq, sizeof seq, entry, entry_size);
    free (entry);
    return rc;
}

bool
apply_hidden (intake_t *intake, MDB_txn *txn, const char *batch_id)
{
    MDB_val value;
    if (store_get (intake->store, txn, "apply_pending", S_MARKER, strlen (S_MARKER), &value))
        return false;
    const char *data = (const char *) value.mv_data;
    return value.mv_size == 1 + strlen (batch_id) && data [0] == S_APPLYING
        && memcmp (data + 1, batch_id, value.mv_size - 1) == 0;
}

//  The row s_take takes next: the first (MDB_FIRST) or last (MDB_LAST) of
//  the table, or with a prefix the first whose key begins with it.
static int
s_end_row (MDB_cursor *cursor, MDB_cursor_op end, const char *prefix, MDB_val *key, MDB_val *value)
{
    if (!prefix)
        return mdb_cursor_get (cursor, key, value, end);
    size_t prefix_size = strlen (prefix);
    key->mv_size = prefix_size;
    key->mv_data = (void *) prefix;
    int rc = mdb_cursor_get (cursor, key, value, MDB_SET_RANGE);
    if (rc == 0 && (key->mv_size < prefix_size || memcmp (key->mv_data, prefix, prefix_size)))
        rc = MDB_NOTFOUND;
    return rc;
}

//  Takes up to *budget entries off the front (MDB_FIRST) or back
//  (MDB_LAST) of table, or off the front of the keys under prefix (may be
//  NULL), giving each to fn first (fn may be NULL), for at most
//  intake/apply-step-ms (then *budget is 0: the step is full). Each is
//  looked up afresh: fn writes other tables between two deletes. The one
//  loop of DRAIN and UNDO: staged events, undo entries, claim records.
typedef int (s_entry_fn) (apply_t *self, MDB_txn *txn, const uint8_t *entry, size_t size);

static int
s_take (apply_t *self, MDB_txn *txn, const char *table, MDB_cursor_op end, const char *prefix,
        s_entry_fn *fn, size_t *budget)
{
    uint64_t deadline = clock_monotonic_ms () + self->step_ms;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (self->intake->store, table), &cursor);
    if (rc)
        return rc;
    while (rc == 0 && *budget > 0) {
        MDB_val key, value;
        rc = s_end_row (cursor, end, prefix, &key, &value);
        if (rc)
            break;
        if (fn) {
            //  A copy: fn's writes may move the page value points into.
            uint8_t *entry = (uint8_t *) malloc (value.mv_size + 1);
            assert (entry);
            memcpy (entry, value.mv_data, value.mv_size);
            rc = fn (self, txn, entry, value.mv_size);
            free (entry);
            if (rc == 0)
                rc = s_end_row (cursor, end, prefix, &key, &value);
        }
        if (rc == 0)
            rc = mdb_cursor_del (cursor, 0);
        (*budget)--;
        //  Out of time: the step ends as if out of entries (more follow).
        if (clock_monotonic_ms () >= deadline)
            *budget = 0;
    }
    mdb_cursor_close (cursor);
    return rc == MDB_NOTFOUND? 0: rc;
}

//  An undo entry taken back: the old value put again, or the key removed.
static int
s_undo_entry (apply_t *self, MDB_txn *txn, const uint8_t *entry, size_t size)
{
    const uint8_t *at = entry, *end = entry + size;
    char table [256];
    size_t table_size = *at++;
    if (at + table_size + 4 > end)
        return MDB_CORRUPTED;
    memcpy (table, at, table_size);
    table [table_size] = 0;
    at += table_size;
    size_t key_size = s_get_u32 (&at);
    if (at + key_size + 1 > end)
        return MDB_CORRUPTED;
    const uint8_t *key = at;
    at += key_size;
    bool had = *at++;
    store_t *store = self->intake->store;
    if (had)
        return store_put (store, txn, table, key, key_size, at, (size_t) (end - at));
    int rc = store_del (store, txn, table, key, key_size);
    return rc == MDB_NOTFOUND? 0: rc;
}

//  A staged event into the outbox, with its producer sequence number.
static int
s_send_event (apply_t *self, MDB_txn *txn, const uint8_t *entry, size_t size)
{
    const uint8_t *at = entry, *end = entry + size;
    size_t type_size = *at++;
    if (at + type_size + 4 > end)
        return MDB_CORRUPTED;
    char type [256];
    memcpy (type, at, type_size);
    type [type_size] = 0;
    at += type_size;
    size_t key_size = s_get_u32 (&at);
    if (at + key_size > end)
        return MDB_CORRUPTED;
    char *key = strndup ((const char *) at, key_size);
    at += key_size;
    int rc = outbox_append_raw (self->intake->outbox, txn, "intake", type, key, at, (size_t) (end - at));
    free (key);
    return rc;
}

//  --------------------------------------------------------------------------
//  The steps

//  One staged claim: 1, 0 at the end of the file, -1 when it does not read.
//  *offset moves past it. The claim points into the record's buffer
//  (stage.h) but for its scrub result, which the apply adds findings to:
//  that is the heap's, and s_claim_free frees it.
static int
s_read (apply_t *self, PreparedClaim **claim, long *offset)
{
    *claim = NULL;
    uint8_t length [4];
    size_t got = fread (length, 1, 4, self->file);
    if (got == 0 && feof (self->file))
        return 0;
    if (got != 4)
        return -1;
    const uint8_t *at = length;
    size_t size = s_get_u32 (&at);
    if (size > self->capacity) {
        self->capacity = size;
        self->buffer = (uint8_t *) realloc (self->buffer, size);
        assert (self->buffer);
    }
    if (fread (self->buffer, 1, size, self->file) != size)
        return -1;
    *offset += 4 + (long) size;
    if (stage_read (&self->staged, self->buffer, size))
        return -1;
    *claim = &self->staged.claim;
    return 1;
}

static void
s_claim_free (apply_t *self, PreparedClaim *claim)
{
    codec_free (claim->scrub);
    claim->scrub = NULL;
}

static int
s_apply_step (store_t *store, MDB_txn *txn, void *arg)
{
    s_step_t *step = (s_step_t *) arg;
    apply_t *self = step->self;
    //  A run again (the map grew) starts from the state before the step.
    batch_run_destroy (&step->work);
    step->work = batch_run_dup (self->run);
    step->claims = 0;
    step->end = false;
    int rc = s_seqs (self, txn);
    if (rc)
        return rc;
    if (fseek (self->file, self->offset, SEEK_SET)) {
        batch_run_refuse (step->work, "cannot read the prepared claims");
        step->end = true;
        return 0;
    }
    //  Following a prepare: whole records only, up to what it flushed, and
    //  a whole step's worth (s_on_step waited for it), under a looser time
    //  bound (each step is a commit and an fsync: fewer, larger ones).
    bool following = !self->prepared;
    uint64_t ready = following? self->follow->bytes: UINT64_MAX;
    long offset = self->offset;
    uint64_t deadline = clock_monotonic_ms () + self->step_ms * (following? APPLY_FOLLOW_MS_FACTOR: 1);
    while (step->claims < self->step_claims && (step->claims == 0 || clock_monotonic_ms () < deadline)
        && (uint64_t) offset < ready) {
        PreparedClaim *claim;
        int read = s_read (self, &claim, &offset);
        if (read <= 0) {
            if (read < 0)
                batch_run_refuse (step->work, "the prepared claims do not read back");
            step->end = true;
            break;
        }
        rc = batch_run_claim (step->work, txn, claim);
        s_claim_free (self, claim);
        if (rc == -1) {
            step->end = true;       //  refused: undone next
            break;
        }
        if (rc)
            return rc;
        step->claims++;
    }
    //  Counted, not ftell: that is an lseek system call.
    step->offset = offset;
    return 0;
}

static int
s_flip_step (store_t *store, MDB_txn *txn, void *arg)
{
    s_step_t *step = (s_step_t *) arg;
    apply_t *self = step->self;
    batch_run_destroy (&step->work);
    step->work = batch_run_dup (self->run);
    int rc = s_seqs (self, txn);
    if (rc == 0)
        rc = batch_run_finish (step->work, txn, self->parsed, &self->report);
    if (rc == 0)
        rc = s_put_marker (self, txn, S_FLIPPED);
    step->end = true;
    return rc;
}

static int
s_drain_step (store_t *store, MDB_txn *txn, void *arg)
{
    s_step_t *step = (s_step_t *) arg;
    apply_t *self = step->self;
    size_t budget = self->step_claims * APPLY_ENTRIES_PER_CLAIM;
    int rc = s_take (self, txn, "apply_events", MDB_FIRST, NULL, s_send_event, &budget);
    //  Once the events are out the undo entries all go at once: they are
    //  this batch's only (one batch at a time), and emptying the table
    //  frees its pages rather than deleting ~2 entries a claim one by one
    //  over more steps, each a commit (issue 19).
    if (rc == 0 && budget > 0)
        rc = mdb_drop (txn, store_table (store, "apply_undo"), 0);
    step->end = rc == 0 && budget > 0;
    if (step->end)
        rc = store_del (store, txn, "apply_pending", S_MARKER, strlen (S_MARKER));
    return rc;
}

static int
s_undo_step (store_t *store, MDB_txn *txn, void *arg)
{
    s_step_t *step = (s_step_t *) arg;
    apply_t *self = step->self;
    batch_run_destroy (&step->work);
    size_t budget = self->step_claims * APPLY_ENTRIES_PER_CLAIM;
    int rc = s_take (self, txn, "apply_events", MDB_FIRST, NULL, NULL, &budget);
    if (rc == 0)
        rc = s_take (self, txn, "apply_undo", MDB_LAST, NULL, s_undo_entry, &budget);
    //  Claim records need no undo entry: their keys are "<batch id>-n".
    char prefix [128];
    int n = snprintf (prefix, sizeof prefix, "%s-", self->batch_id);
    if (rc == 0 && (n < 0 || (size_t) n >= sizeof prefix))
        rc = store_fail (store, "intake: batch id %s is too long to undo", self->batch_id);
    if (rc == 0)
        rc = s_take (self, txn, "claims", MDB_FIRST, prefix, NULL, &budget);
    step->end = rc == 0 && budget > 0;
    if (!step->end)
        return rc;
    //  All taken back: a refused batch gets its record now; a batch the
    //  store refused, or one a previous run left, none (never applied).
    if (self->run && !*self->error) {
        step->work = batch_run_dup (self->run);
        rc = batch_run_finish (step->work, txn, self->parsed, &self->report);
    }
    if (rc == 0)
        rc = store_del (store, txn, "apply_pending", S_MARKER, strlen (S_MARKER));
    return rc;
}

//  --------------------------------------------------------------------------
//  The loop's side

static int s_on_step (zloop_t *loop, int timer_id, void *arg);

//  Following a prepare: true when a whole step's claims are staged;
//  otherwise the prepare is asked to wake the apply (apply_staged) once
//  they are.
static bool
s_step_staged (apply_t *self)
{
    uint64_t want = self->claims + self->step_claims;
    if (self->follow->claims >= want)
        return true;
    //  Asked first, then read again: the prepare may have staged them in
    //  between (batch_follow_publish).
    self->follow->want = want;
    return self->follow->claims >= want;
}

static void
s_schedule (apply_t *self, size_t delay_ms)
{
    if (self->phase != S_IDLE && self->timer < 0 && self->loop)
        self->timer = zloop_timer (self->loop, delay_ms, 1, s_on_step, self);
}

//  After each committed step: the failpoint, for tests of a crash between
//  steps (apply.h).
static void
s_committed (apply_t *self)
{
    self->steps++;
    self->batch_steps++;
    if (self->fail_step && self->steps == self->fail_step) {
        log_warn ("failpoint RCMQ_FAIL_INTAKE_STEP: killed after a step", "batch", json_string (self->batch_id),
                  "phase", json_string (s_phase_names [self->phase]), "step", json_integer ((json_int_t) self->steps),
                  NULL);
        kill (getpid (), SIGKILL);
    }
}

static void
s_finished (apply_t *self)
{
    const Batch *batch = self->run && !*self->error? batch_run_batch (self->run): NULL;
    log_info ("batch applied in steps", "batch", json_string (self->batch_id),
              "status", json_string (batch? batch->status: self->run? "failed": "recovered"),
              "claims", json_integer ((json_int_t) self->claims),
              "steps", json_integer ((json_int_t) self->batch_steps),
              "apply_ms", json_integer ((json_int_t) (clock_monotonic_ms () - self->started_ms)), NULL);
    apply_done_fn *done = self->done;
    void *done_arg = self->done_arg;
    batch_run_t *run = self->run;
    char error [sizeof self->error];
    memcpy (error, self->error, sizeof error);
    self->run = NULL;
    self->done = NULL;
    self->phase = S_IDLE;
    if (self->file)
        fclose (self->file);
    self->file = NULL;
    zstr_free (&self->batch_id);
    service_kick (self->intake->service);
    if (done)
        done (batch, *error? error: NULL, done_arg);
    batch_run_destroy (&run);
}

static int
s_on_step (zloop_t *loop, int timer_id, void *arg)
{
    apply_t *self = (apply_t *) arg;
    self->timer = -1;
    static store_write_fn *const fns [] = {
        [S_APPLY] = s_apply_step, [S_FLIP] = s_flip_step, [S_DRAIN] = s_drain_step, [S_UNDO] = s_undo_step
    };
    if (self->phase == S_IDLE)
        return 0;
    //  Following a prepare: a step once a step's worth of claims is there
    //  (small steps are more commits), and the undo only once the prepare
    //  is over (a refused batch's record needs its report). Until then no
    //  timer: apply_staged or apply_prepared schedules the next look.
    if (!self->prepared && (self->phase != S_APPLY || !s_step_staged (self)))
        return 0;
    s_step_t step = { self, NULL, 0, 0, false };
    if (store_write (self->intake->store, fns [self->phase], &step)) {
        batch_run_destroy (&step.work);
        log_error ("a step of a batch was not stored", "batch", json_string (self->batch_id),
                   "phase", json_string (s_phase_names [self->phase]),
                   "error", json_string (store_error (self->intake->store)), NULL);
        if (self->phase == S_APPLY || self->phase == S_FLIP) {
            //  Nothing of this step stays; what earlier steps wrote goes.
            snprintf (self->error, sizeof self->error, "%s", store_error (self->intake->store));
            self->phase = S_UNDO;
            s_schedule (self, 1);
        }
        else
            s_schedule (self, APPLY_RETRY_MS);
        return 0;
    }
    if (step.work) {
        batch_run_destroy (&self->run);
        self->run = step.work;
    }
    s_committed (self);
    switch (self->phase) {
        case S_APPLY:
            self->offset = step.offset;
            self->claims += step.claims;
            if (step.end)
                self->phase = batch_run_refused (self->run, self->parsed, &self->report)? S_UNDO: S_FLIP;
            break;
        case S_FLIP:
            self->phase = S_DRAIN;
            break;
        case S_DRAIN:
            //  The relay sends what this step moved.
            service_kick (self->intake->service);
            if (step.end)
                s_finished (self);
            break;
        case S_UNDO:
            if (step.end)
                s_finished (self);
            break;
        case S_IDLE:
            break;
    }
    s_schedule (self, 1);
    return 0;
}

static int
s_start_marker (store_t *store, MDB_txn *txn, void *arg)
{
    return s_put_marker ((apply_t *) arg, txn, S_APPLYING);
}

int
apply_start (apply_t *self, const batch_staged_t *staged, apply_done_fn *done, void *arg,
             char *error, size_t error_size)
{
    assert (self->phase == S_IDLE);
    self->file = fopen (staged->path, "rb");
    if (!self->file) {
        snprintf (error, error_size, "cannot read the prepared claims: %s", strerror (errno));
        return -1;
    }
    self->batch_id = strdup (staged->batch_id);
    //  The marker first, in a transaction of its own: a crash after any
    //  later step finds it.
    if (store_write (self->intake->store, s_start_marker, self)) {
        snprintf (error, error_size, "%s", store_error (self->intake->store));
        fclose (self->file);
        self->file = NULL;
        zstr_free (&self->batch_id);
        return -1;
    }
    self->run = batch_run_new (self->intake, staged->input, staged->batch_id, staged->now, self);
    self->follow = staged->follow;
    self->prepared = !staged->follow;
    self->parsed = self->prepared? staged->parsed: 0;
    if (self->prepared)
        self->report = *staged->report;
    else
        memset (&self->report, 0, sizeof self->report);
    self->offset = 0;
    self->claims = 0;
    self->batch_steps = 0;
    self->error [0] = 0;
    self->done = done;
    self->done_arg = arg;
    self->started_ms = clock_monotonic_ms ();
    self->phase = S_APPLY;
    s_schedule (self, 1);
    return 0;
}

void
apply_prepared (apply_t *self, int parsed, const parse_837p_report_t *report, const char *error)
{
    assert (!self->prepared && self->phase != S_IDLE);
    self->prepared = true;
    self->follow = NULL;
    self->parsed = parsed;
    self->report = *report;
    //  A prepare that did not finish (no room for the staged file, a
    //  shutdown): nothing of the batch stays. A batch refused already is
    //  undone as refused.
    if (error && self->phase == S_APPLY) {
        snprintf (self->error, sizeof self->error, "%s", error);
        self->phase = S_UNDO;
    }
    s_schedule (self, 1);
}

void
apply_staged (apply_t *self)
{
    if (self && !self->prepared && self->phase == S_APPLY)
        s_schedule (self, 0);
}

bool
apply_busy (apply_t *self)
{
    return self && self->phase != S_IDLE;
}

const char *
apply_batch_id (apply_t *self)
{
    return self && self->batch_id? self->batch_id: "";
}

apply_t *
apply_new (intake_t *intake, config_t *config, zloop_t *loop)
{
    apply_t *self = (apply_t *) zmalloc (sizeof (apply_t));
    self->intake = intake;
    self->loop = loop;
    self->timer = -1;
    self->prepared = true;
    self->step_claims = (size_t) config_get_int (config, "intake/apply-step-claims", APPLY_STEP_CLAIMS_DEFAULT);
    self->step_ms = (uint64_t) config_get_int (config, "intake/apply-step-ms", APPLY_STEP_MS_DEFAULT);
    if (self->step_claims == 0)
        self->step_claims = 1;
    const char *fail = getenv ("RCMQ_FAIL_INTAKE_STEP");
    self->fail_step = fail? strtoull (fail, NULL, 10): 0;

    //  A batch the last run left: finish what flipped, undo what did not.
    MDB_txn *txn = store_read_begin (intake->store);
    MDB_val value;
    if (txn && store_get (intake->store, txn, "apply_pending", S_MARKER, strlen (S_MARKER), &value) == 0
    &&  value.mv_size > 1) {
        const char *data = (const char *) value.mv_data;
        self->batch_id = strndup (data + 1, value.mv_size - 1);
        self->phase = data [0] == S_FLIPPED? S_DRAIN: S_UNDO;
        self->started_ms = clock_monotonic_ms ();
        log_warn (self->phase == S_DRAIN
                  ? "a batch the last run flipped: its events go out now"
                  : "a batch the last run left half applied: it is undone (the sender sends it again)",
                  "batch", json_string (self->batch_id), NULL);
    }
    store_read_end (&txn);
    s_schedule (self, 1);
    return self;
}

void
apply_destroy (apply_t **self_p)
{
    assert (self_p);
    apply_t *self = *self_p;
    if (!self)
        return;
    //  A pending batch stays pending: the next start finishes or undoes it.
    if (self->timer >= 0 && self->loop)
        zloop_timer_end (self->loop, self->timer);
    if (self->file)
        fclose (self->file);
    batch_run_destroy (&self->run);
    free (self->batch_id);
    free (self->buffer);
    stage_claim_release (&self->staged);
    free (self);
    *self_p = NULL;
}
