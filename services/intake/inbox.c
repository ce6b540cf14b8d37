/*  inbox: see inbox.h. */
#include "inbox.h"
#include "upload.h"
#include "files.h"
#include "log.h"

#include <dirent.h>
#include <sys/stat.h>

#define INBOX_SCAN_MS 1000

typedef struct {
    intake_t *intake;
    zhashx_t *sizes;            //  name -> size seen at the last scan (as text)
    char *taken;                //  the file being applied, or NULL
} s_inbox_t;

static s_inbox_t s_inbox;

json_t *
inbox_batch_json (const Batch *batch)
{
    json_t *rules = json_object ();
    for (size_t i = 0; i < batch->n_rules; i++)
        json_object_set_new (rules, batch->rules [i]->rule_id, json_integer (batch->rules [i]->count));
    json_t *acks = json_array ();
    for (size_t i = 0; i < batch->n_ack_files; i++)
        json_array_append_new (acks, json_string (batch->ack_files [i]));
    return json_pack ("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:o, s:o}",
                      "batch_id", batch->batch_id, "filename", batch->filename? batch->filename: "",
                      "source", batch->source? batch->source: "", "submitted_by", batch->submitted_by? batch->submitted_by: "",
                      "received_ms", (json_int_t) batch->received_ms,
                      "status", batch->status, "error", batch->error? batch->error: "",
                      "interchanges", batch->interchanges, "transactions", batch->transactions,
                      "claims", batch->claims, "accepted", batch->accepted,
                      "rejected", batch->rejected, "with_warnings", batch->with_warnings,
                      "duplicates", batch->duplicates,
                      "accepted_cents", (json_int_t) batch->accepted_cents,
                      "rejected_cents", (json_int_t) batch->rejected_cents,
                      "rules", rules, "ack_files", acks);
}

//  A processed file's patient data stays sealed: the file goes to done/
//  as <name>.sealed (phi_seal under the PHI key, record id the batch id,
//  field "inbox.file"), and the original is removed. The batch holds its
//  claims sealed too; the sealed file keeps the bytes as they came.
//  Returns 0, or -1 (the file is then moved as it is, and it is logged).
static int
s_seal_done (intake_t *intake, const char *path, const char *target, const char *batch_id)
{
    zfile_t *file = zfile_new (NULL, path);
    zchunk_t *content = file && zfile_input (file) == 0? zfile_read (file, zfile_cursize (file), 0): NULL;
    zfile_destroy (&file);
    if (!content)
        return -1;
    size_t size;
    uint8_t *sealed = phi_seal (intake->phi_key, batch_id, "inbox.file",
                                zchunk_data (content), zchunk_size (content), &size);
    zchunk_destroy (&content);
    char error [512];
    char *sealed_path = zsys_sprintf ("%s.sealed", target);
    int rc = files_write_new (sealed_path, sealed, size, error, sizeof error);
    if (rc == FILES_EXISTS) {
        //  A file of the same name came before: this one under its batch id.
        zstr_free (&sealed_path);
        sealed_path = zsys_sprintf ("%s.%s.sealed", target, batch_id);
        rc = files_write_new (sealed_path, sealed, size, error, sizeof error);
    }
    free (sealed);
    if (rc)
        log_error ("cannot seal the processed inbox file", "path", json_string (sealed_path),
                   "error", json_string (rc == FILES_EXISTS? "exists": error), NULL);
    zstr_free (&sealed_path);
    if (rc == 0 && unlink (path))
        log_error ("cannot remove the processed inbox file", "file", json_string (path), NULL);
    return rc? -1: 0;
}

//  The file's batch is through (upload.c, apply.c): report and move it.
static void
s_done (const Batch *batch, const char *error, void *arg)
{
    s_inbox_t *inbox = (s_inbox_t *) arg;
    intake_t *intake = inbox->intake;
    char *name = inbox->taken;
    inbox->taken = NULL;
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", intake->inbox_dir, name);
    if (!batch) {
        //  Left in place: a store failure (full disk) is retried next scan.
        log_error ("inbox file not processed", "file", json_string (name), "error", json_string (error), NULL);
        free (name);
        return;
    }
    bool completed = streq (batch->status, "completed");
    char target [PATH_MAX], report [PATH_MAX + 16];
    snprintf (target, sizeof target, "%s/%s/%s", intake->inbox_dir, completed? "done": "failed", name);
    snprintf (report, sizeof report, "%s.report.json", target);
    //  A refused file stays readable in failed/ (0600, in a 0700 folder):
    //  someone has to read it to fix it.
    if ((!completed || s_seal_done (intake, path, target, batch->batch_id)) && rename (path, target))
        log_error ("cannot move inbox file", "file", json_string (name), "to", json_string (target), NULL);
    //  The report comes last, whole (written aside, then renamed): whoever
    //  waits for it finds the file already sealed or moved and the report
    //  complete. Written first, a watcher could see the report with the
    //  file still in the inbox (tests/integration/test_intake.c did).
    char partial [PATH_MAX + 32];
    snprintf (partial, sizeof partial, "%s.partial", report);
    json_t *json = inbox_batch_json (batch);
    if (json_dump_file (json, partial, JSON_INDENT (2) | JSON_PRESERVE_ORDER) || rename (partial, report))
        log_error ("cannot write the inbox file's report", "report", json_string (report), NULL);
    json_decref (json);
    log_info ("inbox file processed", "file", json_string (name), "batch", json_string (batch->batch_id),
              "status", json_string (batch->status), "claims", json_integer (batch->claims),
              "accepted", json_integer (batch->accepted), "rejected", json_integer (batch->rejected), NULL);
    free (name);
}

//  The file goes the way of an upload: prepared off the loop, applied in
//  steps (one mechanism, docs/adr/0015); one file at a time.
static void
s_take (s_inbox_t *inbox, const char *name, off_t size)
{
    intake_t *intake = inbox->intake;
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", intake->inbox_dir, name);
    inbox->taken = strdup (name);
    if (upload_take_file (intake->uploads, path, name, (uint64_t) size, "inbox", s_done, inbox)) {
        log_error ("inbox file not processed", "file", json_string (name), "error", json_string ("cannot queue it"), NULL);
        zstr_free (&inbox->taken);
    }
}

static int
s_scan (zloop_t *loop, int timer_id, void *arg)
{
    s_inbox_t *inbox = (s_inbox_t *) arg;
    DIR *dir = opendir (inbox->intake->inbox_dir);
    if (!dir)
        return 0;
    zhashx_t *seen = zhashx_new ();
    zhashx_set_destructor (seen, (zhashx_destructor_fn *) zstr_free);
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (entry->d_name [0] == '.')
            continue;
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", inbox->intake->inbox_dir, entry->d_name);
        struct stat st;
        if (stat (path, &st) || !S_ISREG (st.st_mode))
            continue;
        char size [32];
        snprintf (size, sizeof size, "%lld", (long long) st.st_size);
        const char *before = (const char *) zhashx_lookup (inbox->sizes, entry->d_name);
        //  While a file is being applied the others wait; they are still
        //  seen, so each is taken at a scan after.
        if (before && streq (before, size) && !inbox->taken)
            s_take (inbox, entry->d_name, st.st_size);
        else
        if (!inbox->taken || !streq (inbox->taken, entry->d_name))
            zhashx_insert (seen, entry->d_name, strdup (size));
    }
    closedir (dir);
    zhashx_destroy (&inbox->sizes);
    inbox->sizes = seen;
    return 0;
}

int
inbox_start (intake_t *intake, zloop_t *loop)
{
    const char *subdirs [] = { "", "/done", "/failed" };
    for (size_t i = 0; i < 3; i++) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s%s", intake->inbox_dir, subdirs [i]);
        char error [512];
        if (files_dir_create (path, error, sizeof error)) {
            log_error ("cannot create inbox directory", "error", json_string (error), NULL);
            return -1;
        }
    }
    s_inbox.intake = intake;
    s_inbox.sizes = zhashx_new ();
    zhashx_set_destructor (s_inbox.sizes, (zhashx_destructor_fn *) zstr_free);
    return zloop_timer (loop, INBOX_SCAN_MS, 0, s_scan, &s_inbox) < 0? -1: 0;
}
