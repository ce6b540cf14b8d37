/*  auditlog: see auditlog.h. The parts, in the order a record meets them:

        auditlog_apply       event -> AuditRecord -> leaf, and its index
                             rows (actor, subjects; a claim's member)
        s_checkpoint         size + root -> checkpoint text -> signed note
                             -> store row + access.checkpoint event
        s_publish            the note -> <dir>/<number>.checkpoint, latest
        auditlog_check_published  the published latest against the store

    Index rows are keys only (the value is one byte): "audit_by_actor"
    actor\0index, "audit_by_subject" subject\0index (each subject of an
    access record), "audit_member_claims" blind index ‖ PCN (what intake's
    claim events say). Indexes are big-endian so a prefix walks in leaf
    order.
*/
#include "auditlog.h"
#include "auditrecord.h"
#include "clock.h"
#include "codec.h"
#include "files.h"
#include "log.h"
#include "note.h"
#include "sha256.h"
#include "wirekeep.h"
#include "intake.pb-c.h"

#include <errno.h>
#include <sys/stat.h>
#include <sodium.h>

//  The PCN and member index of intake.claim_accepted (s_member_claim).
#define AUDITLOG_DECODE_STACK   1024
//  An event's leaf: its stream, type, key and producer names, two
//  numbers and a digest (~100 bytes; a longer one goes to the heap).
#define AUDITLOG_LEAF_STACK     1024

#define AUDITLOG_RECORDS_DEFAULT 1000
#define AUDITLOG_SECONDS_DEFAULT 60

struct _auditlog_t {
    service_t *service;
    store_t *store;
    outbox_t *outbox;
    note_signer_t *signer;
    note_verifier_t *verifier;
    char *verifier_key;
    char *origin;
    char *dir;                      //  the checkpoint folder
    uint64_t every_records;
    uint64_t every_ms;
    uint64_t sealed_size;           //  the last checkpoint's size
    int timer;
    bool halted;                    //  a rollback was seen: sign nothing
    tlog_batch_t batch;             //  the consumer's batch's appends (ADR 63)
};

//  The key file holds the signer key's text; made once, never rewritten.
static note_signer_t *
s_load_key (const char *path, const char *name)
{
    char error [512];
    struct stat st;
    if (stat (path, &st) != 0) {
        char *key = note_key_generate (name);
        if (!key) {
            log_error ("audit log: audit/origin is not a key name (no blank, no '+')",
                       "origin", json_string (name), NULL);
            return NULL;
        }
        int rc = files_write_new (path, key, strlen (key), error, sizeof error);
        sodium_memzero (key, strlen (key));
        free (key);
        if (rc) {
            log_error ("audit log: cannot write the signing key", "path", json_string (path),
                       "error", json_string (error), NULL);
            return NULL;
        }
        log_info ("audit log: signing key made", "path", json_string (path), NULL);
    }
    FILE *file = fopen (path, "r");
    char text [512] = "";
    size_t size = file? fread (text, 1, sizeof text - 1, file): 0;
    if (file)
        fclose (file);
    while (size && (text [size - 1] == '\n' || text [size - 1] == ' '))
        size--;
    text [size] = 0;
    note_signer_t *signer = size? note_signer_new (text, error, sizeof error): NULL;
    sodium_memzero (text, sizeof text);
    if (!signer)
        log_error ("audit log: cannot read the signing key", "path", json_string (path),
                   "error", json_string (size? error: "empty or unreadable"), NULL);
    else
    if (strcmp (note_signer_name (signer), name) != 0) {
        log_error ("audit log: the signing key is another log's (its name is not audit/origin)",
                   "path", json_string (path), "key_name", json_string (note_signer_name (signer)),
                   "origin", json_string (name), NULL);
        note_signer_destroy (&signer);
    }
    return signer;
}

auditlog_t *
auditlog_new (service_t *service)
{
    config_t *config = service_config (service);
    auditlog_t *self = (auditlog_t *) zmalloc (sizeof (auditlog_t));
    self->service = service;
    self->store = service_store (service);
    self->outbox = service_outbox (service);
    self->timer = -1;
    self->origin = strdup (config_get (config, "audit/origin", "rcmq-audit"));
    self->every_records = (uint64_t) config_get_int (config, "audit/checkpoint-records", AUDITLOG_RECORDS_DEFAULT);
    self->every_ms = 1000 * (uint64_t) config_get_int (config, "audit/checkpoint-seconds", AUDITLOG_SECONDS_DEFAULT);
    if (self->every_records == 0 || self->every_ms == 0) {
        log_error ("audit log: audit/checkpoint-records and audit/checkpoint-seconds must be above 0", NULL);
        auditlog_destroy (&self);
        return NULL;
    }
    char key_path [PATH_MAX];
    snprintf (key_path, sizeof key_path, "%s/log.key", store_dir (self->store));
    self->signer = s_load_key (config_path (config, "audit/key-file", key_path), self->origin);
    self->dir = service_folder (service, "audit/checkpoint-dir", "audit-checkpoints", true);
    if (!self->signer || !self->dir) {
        auditlog_destroy (&self);
        return NULL;
    }
    self->verifier_key = note_signer_verifier_key (self->signer);
    char error [256];
    self->verifier = note_verifier_new (self->verifier_key, error, sizeof error);
    assert (self->verifier);
    return self;
}

void
auditlog_destroy (auditlog_t **self_p)
{
    auditlog_t *self = *self_p;
    if (self) {
        if (self->timer != -1)
            zloop_timer_end (service_loop (self->service), self->timer);
        note_signer_destroy (&self->signer);
        note_verifier_destroy (&self->verifier);
        free (self->verifier_key);
        free (self->origin);
        free (self->dir);
        free (self);
        *self_p = NULL;
    }
}

char *
auditlog_sign (auditlog_t *self, const char *text, char *error, size_t error_size)
{
    return note_sign (self->signer, text, error, error_size);
}

const char      *auditlog_verifier_key (auditlog_t *self) { return self->verifier_key; }
const char      *auditlog_origin (auditlog_t *self)       { return self->origin; }
note_verifier_t *auditlog_verifier (auditlog_t *self)     { return self->verifier; }

//  ---------------------------------------------------------------------
//  Records

static int
s_index_put (store_t *store, MDB_txn *txn, const char *table, const char *name, uint64_t index)
{
    size_t length = strlen (name);
    uint8_t key [512];
    if (length == 0 || length + 9 > sizeof key)
        return 0;           //  too long to index: the record is still in the log
    memcpy (key, name, length);
    key [length] = 0;
    store_u64_write (key + length + 1, index);
    static const uint8_t one = 1;
    return store_put (store, txn, table, key, length + 9, &one, 1);
}

//  intake's claim events name the member's blind index with the PCN: what
//  turns "this patient" into the claims access records name.
static int
s_member_claim (store_t *store, MDB_txn *txn, const Event *event)
{
    if (!streq (event->stream, "intake") || !streq (event->type, "claim_accepted"))
        return 0;
    //  Two fields of 1.6 KB: the PCN, and the member index inside the
    //  sealed claim, each decoded alone (codec_arena_decode_fields) on the
    //  stack; the claim's other fields, its lines and seals are never
    //  unpacked (issue 19).
    static const uint32_t pcn_field [] = { 3 };         //  ClaimAccepted.pcn
    static const uint32_t index_field [] = { 4 };       //  SealedClaim.member_index
    max_align_t buffer [AUDITLOG_DECODE_STACK / sizeof (max_align_t)];
    codec_arena_t arena;
    codec_arena_init (&arena, buffer, sizeof buffer);
    ClaimAccepted *accepted = (ClaimAccepted *) codec_arena_decode_fields (
        &arena, &claim_accepted__descriptor, event->payload.data, event->payload.len, pcn_field, 1);
    size_t claim_size = 0;
    const uint8_t *claim = accepted? wirekeep_find (event->payload.data, event->payload.len,
                                                    10, &claim_size): NULL;  //  ClaimAccepted.claim
    SealedClaim *sealed = claim? (SealedClaim *) codec_arena_decode_fields (
        &arena, &sealed_claim__descriptor, claim, claim_size, index_field, 1): NULL;
    //  The log keeps the event whatever it holds.
    int rc = 0;
    if (sealed && sealed->member_index.len && *accepted->pcn) {
        uint8_t key [512];
        size_t index_size = sealed->member_index.len, pcn_size = strlen (accepted->pcn);
        if (index_size + pcn_size <= sizeof key) {
            memcpy (key, sealed->member_index.data, index_size);
            memcpy (key + index_size, accepted->pcn, pcn_size);
            static const uint8_t one = 1;
            rc = store_put (store, txn, "audit_member_claims", key, index_size + pcn_size, &one, 1);
        }
    }
    codec_arena_release (&arena);
    return rc;
}

int
auditlog_batch (store_t *store, MDB_txn *txn, bool end, auditlog_t *self)
{
    if (!end) {
        tlog_batch_start (&self->batch);
        return 0;
    }
    return tlog_batch_end (&self->batch, store, txn);
}

int
auditlog_apply (store_t *store, MDB_txn *txn, const Event *event, void *state)
{
    auditlog_t *self = (auditlog_t *) state;
    //  A checkpoint is a statement about the log, not an event of it: as
    //  a leaf, each idle checkpoint would grow the log it seals.
    if (streq (event->stream, "access") && streq (event->type, "checkpoint"))
        return 0;
    AuditRecord record = AUDIT_RECORD__INIT;
    record.stream = event->stream;
    record.seq = event->stream_seq;
    record.type = event->type;
    record.key = event->key;
    record.time_ms = event->time_ms;
    record.producer = event->producer;
    record.producer_seq = event->producer_seq;
    AccessEvent *access = NULL;
    uint8_t digest [SHA256_BYTES];
    if (streq (event->stream, "audit") && streq (event->type, "access"))
        access = (AccessEvent *) codec_decode (&access_event__descriptor, event->payload.data,
                                               event->payload.len);
    if (access) {
        record.access = access;
        record.actor = access->actor_name;
    }
    else {
        sha256 (digest, event->payload.data, event->payload.len);
        record.payload_sha256.data = digest;
        record.payload_sha256.len = sizeof digest;
    }
    //  An event's record is written by hand on the stack (auditrecord.h:
    //  the bytes protobuf-c packs); an access record, or one too long for
    //  the buffer, by protobuf-c.
    uint8_t buffer [AUDITLOG_LEAF_STACK];
    size_t size = access? 0: auditrecord_pack_event (event, digest, buffer, sizeof buffer);
    uint8_t *packed = size? NULL: codec_pack (&record, &size);
    const uint8_t *leaf = packed? packed: buffer;
    uint64_t index;
    int rc = self->batch.open? tlog_batch_append (&self->batch, store, txn, leaf, size, &index)
                             : tlog_append (store, txn, leaf, size, &index);
    free (packed);
    if (rc == 0 && access) {
        rc = s_index_put (store, txn, "audit_by_actor", access->actor_name, index);
        for (size_t i = 0; rc == 0 && i < access->n_subjects; i++)
            rc = s_index_put (store, txn, "audit_by_subject", access->subjects [i], index);
    }
    if (access)
        codec_free (access);
    if (rc == 0)
        rc = s_member_claim (store, txn, event);
    return rc;
}

//  ---------------------------------------------------------------------
//  Checkpoints

int
auditlog_checkpoint_count (store_t *store, MDB_txn *txn, uint64_t *count)
{
    return store_get_u64 (store, txn, "tlog_meta", "checkpoints", count);
}

AuditCheckpoint *
auditlog_checkpoint_get (store_t *store, MDB_txn *txn, uint64_t number, int *rc)
{
    uint8_t key [8];
    store_u64_write (key, number);
    MDB_val value;
    *rc = store_get (store, txn, "audit_checkpoints", key, sizeof key, &value);
    if (*rc == MDB_NOTFOUND) {
        *rc = 0;
        return NULL;
    }
    if (*rc)
        return NULL;
    AuditCheckpoint *checkpoint = (AuditCheckpoint *) codec_decode (&audit_checkpoint__descriptor,
                                                                    value.mv_data, value.mv_size);
    if (!checkpoint)
        *rc = store_fail (store, "audit log: checkpoint %" PRIu64 " does not decode", number);
    return checkpoint;
}

typedef struct {
    auditlog_t *self;
    AuditCheckpoint *made;          //  out: the checkpoint written
} s_checkpoint_t;

static int
s_checkpoint (store_t *store, MDB_txn *txn, void *arg)
{
    s_checkpoint_t *job = (s_checkpoint_t *) arg;
    auditlog_t *self = job->self;
    uint64_t size, count;
    tlog_hash_t root;
    int rc = tlog_size (store, txn, &size);
    if (rc == 0)
        rc = tlog_root (store, txn, size, root);
    if (rc == 0)
        rc = auditlog_checkpoint_count (store, txn, &count);
    if (rc)
        return rc;
    uint64_t now = clock_now_ms ();
    char instant [40], extension [64];
    clock_format_iso8601 (now, instant, sizeof instant);
    snprintf (extension, sizeof extension, "rcmq-time %s", instant);
    const char *extensions [] = { extension, NULL };
    char *text = note_checkpoint_text (self->origin, size, root, extensions);
    char error [256];
    char *note = note_sign (self->signer, text, error, sizeof error);
    free (text);
    if (!note)
        return store_fail (store, "audit log: cannot sign the checkpoint: %s", error);
    AuditCheckpoint checkpoint = AUDIT_CHECKPOINT__INIT;
    checkpoint.number = count + 1;
    checkpoint.size = size;
    checkpoint.root.data = root;
    checkpoint.root.len = TLOG_HASH_SIZE;
    checkpoint.time_ms = now;
    checkpoint.note = note;
    size_t packed_size;
    uint8_t *packed = codec_pack (&checkpoint, &packed_size);
    uint8_t key [8];
    store_u64_write (key, checkpoint.number);
    rc = store_append (store, txn, "audit_checkpoints", key, sizeof key, packed, packed_size);
    free (packed);
    if (rc == 0)
        rc = store_put_u64 (store, txn, "tlog_meta", "checkpoints", checkpoint.number);
    char subject [32];
    snprintf (subject, sizeof subject, "%" PRIu64, size);
    if (rc == 0)
        rc = outbox_append (self->outbox, txn, "access", "checkpoint", subject, &checkpoint);
    if (rc == 0) {
        codec_free (job->made);
        job->made = (AuditCheckpoint *) codec_copy (&checkpoint);
    }
    free (note);
    return rc;
}

//  Replaces path with data through a temporary file and a rename, so a
//  reader never sees half a checkpoint.
static int
s_replace (const char *path, const char *data, char *error, size_t error_size)
{
    char temporary [PATH_MAX];
    snprintf (temporary, sizeof temporary, "%s.tmp", path);
    unlink (temporary);
    int rc = files_write_new (temporary, data, strlen (data), error, error_size);
    if (rc == 0 && rename (temporary, path) != 0) {
        snprintf (error, error_size, "cannot rename %.*s: %s", 400, temporary, strerror (errno));
        rc = -1;
    }
    return rc;
}

//  Writes a checkpoint's note to the folder: <number>.checkpoint (never
//  rewritten: one already there must say the same) and latest.
static int
s_publish (auditlog_t *self, const AuditCheckpoint *checkpoint)
{
    char path [PATH_MAX], error [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/%010" PRIu64 ".checkpoint", self->dir, checkpoint->number);
    int rc = files_write_new (path, checkpoint->note, strlen (checkpoint->note), error, sizeof error);
    if (rc == FILES_EXISTS && !files_same_content (path, checkpoint->note, strlen (checkpoint->note))) {
        snprintf (error, sizeof error, "%.*s is there and says something else", 400, path);
        rc = -1;
    }
    if (rc == FILES_EXISTS)
        rc = 0;
    if (rc == 0) {
        snprintf (path, sizeof path, "%s/latest", self->dir);
        rc = s_replace (path, checkpoint->note, error, sizeof error);
    }
    if (rc)
        log_error ("audit log: cannot publish the checkpoint", "number", json_integer ((json_int_t) checkpoint->number),
                   "error", json_string (error), NULL);
    return rc;
}

int
auditlog_checkpoint (auditlog_t *self)
{
    if (self->halted)
        return -1;
    s_checkpoint_t job = { self, NULL };
    if (store_write (self->store, s_checkpoint, &job)) {
        log_error ("audit log: cannot write a checkpoint", "error", json_string (store_error (self->store)), NULL);
        return -1;
    }
    service_kick (self->service);
    self->sealed_size = job.made->size;
    int rc = s_publish (self, job.made);
    codec_free (job.made);
    return rc;
}

void
auditlog_committed (auditlog_t *self)
{
    MDB_txn *txn = store_read_begin (self->store);
    uint64_t size = 0;
    int rc = txn? tlog_size (self->store, txn, &size): -1;
    store_read_end (&txn);
    if (rc == 0 && size >= self->sealed_size + self->every_records)
        auditlog_checkpoint (self);
}

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    auditlog_checkpoint ((auditlog_t *) arg);
    return 0;
}

//  The published latest checkpoint must be one this store wrote and can
//  still prove: else the store was restored from an older copy (fewer
//  checkpoints or leaves) or holds another tree (a fork).
int
auditlog_check_published (auditlog_t *self, MDB_txn *txn, char *why, size_t why_size)
{
    *why = 0;
    char path [PATH_MAX], error [256];
    snprintf (path, sizeof path, "%s/latest", self->dir);
    zchunk_t *chunk = zchunk_slurp (path, 0);
    if (!chunk)
        return 0;           //  nothing published yet
    char *text = NULL;
    uint64_t count, size, file_size = 0;
    char origin [256];
    tlog_hash_t file_root, root;
    int rc = 0;
    if (note_open (self->verifier, (const char *) zchunk_data (chunk), zchunk_size (chunk), &text,
                   error, sizeof error)
    ||  note_checkpoint_parse (text, origin, sizeof origin, &file_size, file_root, error, sizeof error))
        snprintf (why, why_size, "%s does not verify with audit's key: %s", path, error);
    else
    if ((rc = auditlog_checkpoint_count (self->store, txn, &count)) == 0
    &&  (rc = tlog_size (self->store, txn, &size)) == 0) {
        if (file_size > size)
            snprintf (why, why_size, "the published checkpoint seals %" PRIu64 " records, the store holds %"
                      PRIu64 ": the store is older than what was published", file_size, size);
        else
        if ((rc = tlog_root (self->store, txn, file_size, root)) == 0
        &&  sodium_memcmp (root, file_root, TLOG_HASH_SIZE) != 0)
            snprintf (why, why_size, "the published checkpoint's tree of %" PRIu64 " records is not "
                      "the store's: the store is not the log that was published (a fork)", file_size);
        else {
            //  The same tree: the store must also hold that checkpoint.
            bool found = false;
            for (uint64_t number = count; number > 0 && !found && rc == 0; number--) {
                AuditCheckpoint *stored = auditlog_checkpoint_get (self->store, txn, number, &rc);
                if (stored) {
                    size_t length = strlen (stored->note);
                    found = length == zchunk_size (chunk)
                         && memcmp (stored->note, zchunk_data (chunk), length) == 0;
                    if (stored->size < file_size)
                        number = 1;         //  older ones are smaller still
                }
                codec_free (stored);
            }
            if (rc == 0 && !found)
                snprintf (why, why_size, "the store does not hold the published checkpoint of %" PRIu64
                          " records: the store is older than what was published", file_size);
        }
    }
    free (text);
    zchunk_destroy (&chunk);
    return rc;
}

int
auditlog_start (auditlog_t *self)
{
    MDB_txn *txn = store_read_begin (self->store);
    char why [512];
    uint64_t count = 0;
    int rc = txn? auditlog_check_published (self, txn, why, sizeof why): -1;
    if (rc == 0)
        rc = auditlog_checkpoint_count (self->store, txn, &count);
    AuditCheckpoint *last = rc == 0 && count? auditlog_checkpoint_get (self->store, txn, count, &rc): NULL;
    store_read_end (&txn);
    if (rc) {
        log_error ("audit log: cannot read the store", "error", json_string (store_error (self->store)), NULL);
        codec_free (last);
        return -1;
    }
    if (*why) {
        self->halted = true;
        problems_raise (service_problems (self->service), "audit_log_rollback", "audit", 0,
                        "audit log: %s; no checkpoint is signed until an operator acts "
                        "(docs/audit.md, 'Rollback')", why);
        log_error ("audit log: the store is not the published log", "why", json_string (why), NULL);
    }
    if (last) {
        self->sealed_size = last->size;
        if (!self->halted)
            s_publish (self, last);
        codec_free (last);
    }
    char path [PATH_MAX], error [512];
    snprintf (path, sizeof path, "%s/verifier.key", self->dir);
    char *line = zsys_sprintf ("%s\n", self->verifier_key);
    if (s_replace (path, line, error, sizeof error))
        log_warn ("audit log: cannot write the verifier key beside the checkpoints",
                  "error", json_string (error), NULL);
    zstr_free (&line);
    self->timer = zloop_timer (service_loop (self->service), (size_t) self->every_ms, 0, s_on_timer, self);
    return 0;
}

int
auditlog_member_claims (store_t *store, MDB_txn *txn, const uint8_t *member_index, size_t size,
                        zlistx_t **pcns_p)
{
    zlistx_t *pcns = zlistx_new ();
    zlistx_set_destructor (pcns, (czmq_destructor *) zstr_free);
    store_iter_t *iter = store_iter_new (store, txn, "audit_member_claims", member_index, size);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        MDB_val pcn = store_iter_suffix (iter);
        zlistx_add_end (pcns, strndup ((const char *) pcn.mv_data, pcn.mv_size));
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    *pcns_p = pcns;
    return rc;
}
