/*  spool: see spool.h.

    The table of spools (id -> s_entry_t) lives in memory only: a restart
    empties the folder and forgets every spool, and the client, told the
    upload is unknown, sends its file again. Each entry keeps its file open
    for writing, so a chunk is one pwrite. Limits are checked at begin
    against the DECLARED sizes, so an upload that was let in can always
    finish: the bytes it may write were reserved when it began.
*/
#include "spool.h"
#include "clock.h"
#include "files.h"
#include "log.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char id [40];
    char *filename;
    char caller [64];           //  identity name: only its owner may use it
    uint64_t size;              //  declared at begin
    uint64_t received;          //  bytes from 0 without a hole
    uint64_t touched_ms;        //  monotonic: last request
    char path [PATH_MAX];
    int fd;
    struct _spool_t *owner;
} s_entry_t;

struct _spool_t {
    char *service;              //  "claims": settings' prefix and messages
    char *dir;
    zhashx_t *entries;          //  id -> s_entry_t
    zloop_t *loop;
    int timer;
    size_t per_caller;
    size_t max_open;
    uint64_t max_bytes;
    uint64_t total_bytes;
    uint64_t idle_ms;
};

static void
s_entry_destroy (void **item_p)
{
    s_entry_t *entry = (s_entry_t *) *item_p;
    if (entry) {
        if (entry->fd >= 0)
            close (entry->fd);
        unlink (entry->path);
        free (entry->filename);
        free (entry);
    }
    *item_p = NULL;
}

//  A setting in range, or -1 with error set.
static int
s_setting (config_t *config, const char *service, const char *name, int64_t fallback, int64_t min,
           int64_t *value, char *error, size_t size)
{
    char key [128];
    snprintf (key, sizeof key, "%s/%s", service, name);
    return config_get_int_checked (config, key, fallback, min, INT64_MAX, value, error, size);
}

spool_t *
spool_new (config_t *config, const char *service, char *error, size_t size)
{
    int64_t per_caller, max_open, max_bytes, total_bytes, idle_s;
    if (s_setting (config, service, "uploads-per-caller", SPOOL_PER_CALLER_DEFAULT, 1, &per_caller, error, size)
    ||  s_setting (config, service, "uploads-max", SPOOL_MAX_OPEN_DEFAULT, 1, &max_open, error, size)
    ||  s_setting (config, service, "upload-max-bytes", SPOOL_MAX_BYTES_DEFAULT, 1, &max_bytes, error, size)
    ||  s_setting (config, service, "uploads-total-bytes", SPOOL_TOTAL_BYTES_DEFAULT, 1, &total_bytes, error, size)
    ||  s_setting (config, service, "upload-idle-seconds", SPOOL_IDLE_S_DEFAULT, 0, &idle_s, error, size))
        return NULL;
    char key [128], fallback [PATH_MAX];
    snprintf (key, sizeof key, "%s/upload-dir", service);
    snprintf (fallback, sizeof fallback, "%s/%s-uploads", config_path (config, "data/dir", "var/data"), service);
    const char *dir = config_path (config, key, fallback);
    char reason [512];
    if (files_dir_create (dir, reason, sizeof reason)) {
        snprintf (error, size, "%s (%s)", reason, key);
        return NULL;
    }
    //  What a previous run spooled belongs to spools it forgot.
    size_t removed = files_dir_empty (dir);
    if (removed)
        log_info ("spooled files of a previous run removed", "folder", json_string (dir),
                  "files", json_integer ((json_int_t) removed), NULL);

    spool_t *self = (spool_t *) zmalloc (sizeof (spool_t));
    self->service = strdup (service);
    self->dir = strdup (dir);
    self->entries = zhashx_new ();
    zhashx_set_destructor (self->entries, s_entry_destroy);
    self->per_caller = (size_t) per_caller;
    self->max_open = (size_t) max_open;
    self->max_bytes = (uint64_t) max_bytes;
    self->total_bytes = (uint64_t) total_bytes;
    self->idle_ms = (uint64_t) idle_s * 1000;
    return self;
}

void
spool_destroy (spool_t **self_p)
{
    assert (self_p);
    spool_t *self = *self_p;
    if (!self)
        return;
    if (self->loop)
        zloop_timer_end (self->loop, self->timer);
    zhashx_destroy (&self->entries);
    free (self->service);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

size_t
spool_expire (spool_t *self, uint64_t now_ms)
{
    zlistx_t *stale = zlistx_new ();
    for (s_entry_t *entry = (s_entry_t *) zhashx_first (self->entries); entry;
         entry = (s_entry_t *) zhashx_next (self->entries))
        if (now_ms > entry->touched_ms && now_ms - entry->touched_ms > self->idle_ms)
            zlistx_add_end (stale, entry->id);
    size_t count = zlistx_size (stale);
    for (char *id = (char *) zlistx_first (stale); id; id = (char *) zlistx_next (stale)) {
        s_entry_t *entry = (s_entry_t *) zhashx_lookup (self->entries, id);
        log_info ("idle upload removed", "service", json_string (self->service), "upload", json_string (id),
                  "bytes", json_integer ((json_int_t) entry->received),
                  "size", json_integer ((json_int_t) entry->size), NULL);
        zhashx_delete (self->entries, id);
    }
    zlistx_destroy (&stale);
    return count;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    spool_t *self = (spool_t *) arg;
    spool_expire (self, clock_monotonic_ms ());
    return 0;
}

int
spool_attach (spool_t *self, zloop_t *loop)
{
    assert (!self->loop);
    self->loop = loop;
    self->timer = zloop_timer (loop, 1000, 0, s_on_tick, self);
    return self->timer == -1? -1: 0;
}

size_t
spool_open_count (spool_t *self)
{
    return zhashx_size (self->entries);
}

uint64_t
spool_open_bytes (spool_t *self)
{
    uint64_t bytes = 0;
    for (s_entry_t *entry = (s_entry_t *) zhashx_first (self->entries); entry;
         entry = (s_entry_t *) zhashx_next (self->entries))
        bytes += entry->received;
    return bytes;
}

static void
s_info (s_entry_t *entry, Spool *info, const char *state)
{
    if (!info)
        return;
    info->upload_id = entry->id;
    info->filename = entry->filename;
    info->state = (char *) (state? state: entry->received == entry->size? "complete": "receiving");
    info->bytes_received = entry->received;
    info->size = entry->size;
}

//  The caller's spool id, touched; NULL with the status in *status.
static s_entry_t *
s_find (spool_t *self, const char *caller, const char *id, Status *status, char *error, size_t size)
{
    s_entry_t *entry = (s_entry_t *) zhashx_lookup (self->entries, id);
    if (!entry) {
        *status = STATUS__NOT_FOUND;
        snprintf (error, size, "no upload '%s' (%s restarted, it was aborted or consumed, or it was idle"
                  " more than %" PRIu64 " s and removed: %s/upload-idle-seconds); begin it again",
                  id, self->service, self->idle_ms / 1000, self->service);
        return NULL;
    }
    if (!streq (entry->caller, caller)) {
        *status = STATUS__PERMISSION_DENIED;
        snprintf (error, size, "upload '%s' was begun by another identity; only its owner may use it", id);
        return NULL;
    }
    entry->touched_ms = clock_monotonic_ms ();
    *status = STATUS__OK;
    return entry;
}

Status
spool_begin (spool_t *self, const char *caller, const char *token, const char *filename,
             uint64_t size, Spool *info, char *error, size_t error_size)
{
    uint8_t hash [12];
    crypto_generichash (hash, sizeof hash, (const uint8_t *) token, strlen (token),
                        (const uint8_t *) caller, strlen (caller));
    char id [40] = "S";
    sodium_bin2hex (id + 1, sizeof id - 1, hash, sizeof hash);
    s_entry_t *entry = (s_entry_t *) zhashx_lookup (self->entries, id);
    if (entry && streq (entry->caller, caller)) {
        entry->touched_ms = clock_monotonic_ms ();
        s_info (entry, info, NULL);
        return STATUS__OK;      //  the same begin again
    }
    if (size == 0) {
        snprintf (error, error_size, "%s: declare the file's size (bytes) at UploadBegin", filename);
        return STATUS__INVALID_ARGUMENT;
    }
    if (size > self->max_bytes) {
        snprintf (error, error_size, "%s is %" PRIu64 " bytes; an upload may be at most %" PRIu64
                  " (%s/upload-max-bytes)", filename, size, self->max_bytes, self->service);
        return STATUS__RESOURCE_EXHAUSTED;
    }
    size_t open_mine = 0;
    uint64_t declared = 0;
    for (s_entry_t *other = (s_entry_t *) zhashx_first (self->entries); other;
         other = (s_entry_t *) zhashx_next (self->entries)) {
        declared += other->size;
        if (streq (other->caller, caller))
            open_mine++;
    }
    if (open_mine >= self->per_caller) {
        snprintf (error, error_size, "%s has %zu uploads open already, the most allowed (%s/uploads-per-caller);"
                  " finish or abort one", caller, open_mine, self->service);
        return STATUS__RESOURCE_EXHAUSTED;
    }
    if (zhashx_size (self->entries) >= self->max_open) {
        snprintf (error, error_size, "%zu uploads are open, the most allowed (%s/uploads-max)",
                  zhashx_size (self->entries), self->service);
        return STATUS__RESOURCE_EXHAUSTED;
    }
    if (declared + size > self->total_bytes) {
        snprintf (error, error_size, "%s (%" PRIu64 " bytes) would take the open uploads to %" PRIu64
                  " bytes, past %" PRIu64 " (%s/uploads-total-bytes)", filename, size, declared + size,
                  self->total_bytes, self->service);
        return STATUS__RESOURCE_EXHAUSTED;
    }
    entry = (s_entry_t *) zmalloc (sizeof (s_entry_t));
    snprintf (entry->id, sizeof entry->id, "%s", id);
    snprintf (entry->caller, sizeof entry->caller, "%s", caller);
    snprintf (entry->path, sizeof entry->path, "%s/%s", self->dir, id);
    entry->filename = strdup (filename);
    entry->size = size;
    entry->owner = self;
    entry->touched_ms = clock_monotonic_ms ();
    entry->fd = open (entry->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (entry->fd < 0) {
        snprintf (error, error_size, "upload '%s': cannot make %s: %s", id, entry->path, strerror (errno));
        free (entry->filename);
        free (entry);
        return STATUS__UNAVAILABLE;
    }
    zhashx_insert (self->entries, entry->id, entry);
    s_info (entry, info, NULL);
    return STATUS__OK;
}

Status
spool_chunk (spool_t *self, const char *caller, const char *id, uint64_t offset,
             const uint8_t *data, size_t length, Spool *info, char *error, size_t error_size)
{
    Status status;
    s_entry_t *entry = s_find (self, caller, id, &status, error, error_size);
    if (!entry)
        return status;
    if (length == 0) {
        snprintf (error, error_size, "upload '%s': empty chunk at byte %" PRIu64, id, offset);
        return STATUS__INVALID_ARGUMENT;
    }
    if (offset > entry->received) {
        snprintf (error, error_size, "upload '%s': chunk at byte %" PRIu64 ", but it has only %" PRIu64
                  " bytes: send from byte %" PRIu64, id, offset, entry->received, entry->received);
        return STATUS__FAILED_PRECONDITION;
    }
    if (offset + length > entry->size) {
        snprintf (error, error_size, "upload '%s': chunk of %zu bytes at byte %" PRIu64 " ends at %" PRIu64
                  ", past the %" PRIu64 " bytes declared at UploadBegin", id, length, offset,
                  offset + length, entry->size);
        return STATUS__INVALID_ARGUMENT;
    }
    //  At its offset: a chunk sent twice lands on itself.
    ssize_t written = pwrite (entry->fd, data, length, (off_t) offset);
    if (written != (ssize_t) length) {
        snprintf (error, error_size, "upload '%s': cannot write %s: %s", id, entry->path,
                  written < 0? strerror (errno): "short write");
        return STATUS__UNAVAILABLE;
    }
    if (offset + length > entry->received)
        entry->received = offset + length;
    s_info (entry, info, NULL);
    return STATUS__OK;
}

Status
spool_abort (spool_t *self, const char *caller, const char *id, Spool *info, char *error, size_t error_size)
{
    Status status;
    s_entry_t *entry = s_find (self, caller, id, &status, error, error_size);
    if (!entry)
        return status;
    //  The answer outlives the entry: the strings are the caller's now.
    if (info) {
        s_info (entry, info, "aborted");
        info->upload_id = strdup (entry->id);
        info->filename = strdup (entry->filename);
    }
    zhashx_delete (self->entries, id);
    return STATUS__OK;
}

Status
spool_path (spool_t *self, const char *caller, const char *id, const char **path,
            Spool *info, char *error, size_t error_size)
{
    Status status;
    s_entry_t *entry = s_find (self, caller, id, &status, error, error_size);
    if (!entry)
        return status;
    if (entry->received != entry->size) {
        snprintf (error, error_size, "upload '%s' has %" PRIu64 " of its %" PRIu64 " bytes: send the rest first",
                  id, entry->received, entry->size);
        return STATUS__FAILED_PRECONDITION;
    }
    *path = entry->path;
    s_info (entry, info, NULL);
    return STATUS__OK;
}

void
spool_remove (spool_t *self, const char *id)
{
    zhashx_delete (self->entries, id);
}

//  --------------------------------------------------------------------------
//  Method handlers

static int
s_unavailable (server_call_t *call)
{
    return server_call_fail (call, STATUS__UNAVAILABLE, "%s: uploads are not running", call->request->method);
}

//  The call's answer: the spool's state, or the refusal.
static int
s_answer (server_call_t *call, Status status, const Spool *info, const char *error)
{
    if (status != STATUS__OK)
        return server_call_fail (call, status, "%s: %s", call->request->method, error);
    server_call_subject (call, info->upload_id);
    server_call_reply (call, info);
    return 0;
}

int
spool_call_begin (spool_t *self, server_call_t *call)
{
    if (!self)
        return s_unavailable (call);
    UploadBegin *request = (UploadBegin *) call->body;
    char token [256], error [512];
    snprintf (token, sizeof token, "%s/%s", call->caller->key, call->request->id);
    Spool info = SPOOL__INIT;
    Status status = spool_begin (self, call->caller->name, token, request->filename, request->size,
                                 &info, error, sizeof error);
    return s_answer (call, status, &info, error);
}

int
spool_call_chunk (spool_t *self, server_call_t *call)
{
    if (!self)
        return s_unavailable (call);
    UploadChunk *request = (UploadChunk *) call->body;
    char error [512];
    Spool info = SPOOL__INIT;
    Status status = spool_chunk (self, call->caller->name, request->upload_id, request->offset,
                                 request->data.data, request->data.len, &info, error, sizeof error);
    return s_answer (call, status, &info, error);
}

int
spool_call_abort (spool_t *self, server_call_t *call)
{
    if (!self)
        return s_unavailable (call);
    UploadId *request = (UploadId *) call->body;
    char error [512];
    Spool info = SPOOL__INIT;
    Status status = spool_abort (self, call->caller->name, request->upload_id, &info, error, sizeof error);
    s_answer (call, status, &info, error);
    if (status == STATUS__OK) {
        free (info.upload_id);
        free (info.filename);
    }
    return 0;
}

static void
s_consumed (void *arg)
{
    s_entry_t *entry = (s_entry_t *) arg;
    log_info ("spooled file consumed", "service", json_string (entry->owner->service),
              "upload", json_string (entry->id), "bytes", json_integer ((json_int_t) entry->size), NULL);
    zhashx_delete (entry->owner->entries, entry->id);
}

FILE *
spool_call_open (spool_t *self, server_call_t *call, const char *id, const char **filename)
{
    if (!self) {
        s_unavailable (call);
        return NULL;
    }
    const char *path = NULL;
    char error [512];
    Status status = spool_path (self, call->caller->name, id, &path, NULL, error, sizeof error);
    if (status != STATUS__OK) {
        server_call_fail (call, status, "%s: %s", call->request->method, error);
        return NULL;
    }
    FILE *file = fopen (path, "rb");
    if (!file) {
        server_call_fail (call, STATUS__UNAVAILABLE, "%s: upload '%s': cannot read %s: %s",
                          call->request->method, id, path, strerror (errno));
        return NULL;
    }
    s_entry_t *entry = (s_entry_t *) zhashx_lookup (self->entries, id);
    *filename = entry->filename;
    server_call_subject (call, id);
    server_call_on_commit (call, s_consumed, entry);
    return file;
}
