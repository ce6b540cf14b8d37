/*  rcmq-intake: 837P files in, scrubbed, routed to work queues, PHI
    encrypted at rest (DESIGN §6). See intake.h for the parts.

    Settings (docs/configuration.md):
        intake/inbox-dir       watched folder        (<data/dir>/inbox)
        intake/ack-dir         999 files out         (<data/dir>/acks)
        intake/queues-file     queues to create at start (ZPL), optional
        intake/filing-days     timely filing window  (365)
        intake/filing-days/<payer id>  per payer
        intake/upload-dir      staged uploads        (<data/dir>/intake-uploads)
        intake/uploads-per-caller, intake/uploads-max, intake/upload-max-bytes,
        intake/upload-idle-seconds   limits of chunked uploads (upload.h)
        phi/key-file           PHI key               (<keys/dir>/phi.key)
*/
#include "intake.h"
#include "inbox.h"
#include "upload.h"
#include "clock.h"
#include "codec.h"
#include "files.h"
#include "log.h"

extern const server_method_t intake_methods [];
void methods_committed (intake_t *intake);

static const char *const s_tables [] = { INTAKE_TABLES, NULL };
static const char *const s_consumes [] = { "access", NULL };

static intake_t s_intake;

static int
s_ensure_default (store_t *store, MDB_txn *txn, void *arg)
{
    return queues_ensure_default ((queues_t *) arg, txn);
}

//  Queues from a ZPL file: each child of the root is a queue by id, e.g.
//      q-medicare
//          name = "Medicare"
//          payer-groups = "medicare"
//          owner-team = "internal-ar"
//          vendor-team = "acme-billing"
//          phase = "internal"
//  Queues that exist already are left as they are: the file seeds, the
//  API changes.
typedef struct {
    intake_t *intake;
    zconfig_t *root;
} s_seed_t;

static void
s_split (const char *text, char ***list, size_t *count)
{
    *list = NULL;
    *count = 0;
    if (!text || !*text)
        return;
    char *copy = strdup (text), *save = NULL;
    for (char *item = strtok_r (copy, ", ", &save); item; item = strtok_r (NULL, ", ", &save)) {
        *list = (char **) realloc (*list, (*count + 1) * sizeof (char *));
        (*list) [(*count)++] = strdup (item);
    }
    free (copy);
}

static void
s_free_list (char **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (list [i]);
    free (list);
}

static int
s_seed_queues (store_t *store, MDB_txn *txn, void *arg)
{
    s_seed_t *seed = (s_seed_t *) arg;
    for (zconfig_t *item = zconfig_child (seed->root); item; item = zconfig_next (item)) {
        Queue queue = QUEUE__INIT;
        queue.id = zconfig_name (item);
        Queue *existing = queues_get (seed->intake->queues, txn, queue.id);
        if (existing) {
            codec_free (existing);
            continue;
        }
        queue.name = zconfig_get (item, "name", queue.id);
        queue.owner_team = zconfig_get (item, "owner-team", "internal");
        queue.vendor_team = zconfig_get (item, "vendor-team", "");
        queue.phase = zconfig_get (item, "phase", "internal");
        queue.follow_up_days = (uint32_t) atoi (zconfig_get (item, "follow-up-days", "30"));
        queue.priority = (uint32_t) atoi (zconfig_get (item, "priority", "0"));
        s_split (zconfig_get (item, "payer-ids", ""), &queue.payer_ids, &queue.n_payer_ids);
        s_split (zconfig_get (item, "payer-groups", ""), &queue.payer_groups, &queue.n_payer_groups);
        s_split (zconfig_get (item, "locations", ""), &queue.locations, &queue.n_locations);
        s_split (zconfig_get (item, "service-lines", ""), &queue.service_lines, &queue.n_service_lines);
        s_split (zconfig_get (item, "escalation", ""), &queue.escalation_contacts, &queue.n_escalation_contacts);
        queue.created_ms = queue.updated_ms = clock_now_ms ();
        queue.updated_by = "queues-file";
        char error [256];
        int rc = 0;
        if (queues_validate (&queue, error, sizeof error))
            log_error ("queues file: queue skipped", "error", json_string (error), NULL);
        else
            rc = queues_put (seed->intake->queues, txn, &queue, "queues-file", "created");
        s_free_list (queue.payer_ids, queue.n_payer_ids);
        s_free_list (queue.payer_groups, queue.n_payer_groups);
        s_free_list (queue.locations, queue.n_locations);
        s_free_list (queue.service_lines, queue.n_service_lines);
        s_free_list (queue.escalation_contacts, queue.n_escalation_contacts);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_start (service_t *service)
{
    intake_t *self = &s_intake;
    config_t *config = service_config (service);
    self->service = service;
    self->store = service_store (service);
    self->outbox = service_outbox (service);
    service_set_state (service, self);
    //  A file is applied in one transaction, and store_write answers
    //  MDB_MAP_FULL by doubling the map and running the whole file again:
    //  from the store's 64 MiB a 100,000-claim file (~700 MB of pages) was
    //  parsed, scrubbed, sealed and written five times over. The map is
    //  address space, not disk (no MDB_WRITEMAP: the file grows as pages
    //  are used), so intake starts with room for files of that size.
    if (store_map_size (self->store) < INTAKE_MAP_SIZE
    &&  store_set_map_size (self->store, INTAKE_MAP_SIZE))
        log_warn ("cannot grow the store map; large files will be retried as it grows", NULL);

    const char *keys_dir = config_path (config, "keys/dir", NULL);
    const char *data_dir = config_path (config, "data/dir", NULL);
    char default_key [PATH_MAX], default_inbox [PATH_MAX], default_acks [PATH_MAX];
    snprintf (default_key, sizeof default_key, "%s/phi.key", keys_dir);
    snprintf (default_inbox, sizeof default_inbox, "%s/inbox", data_dir);
    snprintf (default_acks, sizeof default_acks, "%s/acks", data_dir);
    char error [512];
    self->phi_key = phi_key_load (config_path (config, "phi/key-file", default_key), error, sizeof error);
    if (!self->phi_key) {
        log_error ("cannot load the PHI key: run `rcmqctl keys init`", "error", json_string (error), NULL);
        return -1;
    }
    self->inbox_dir = strdup (config_path (config, "intake/inbox-dir", default_inbox));
    self->ack_dir = strdup (config_path (config, "intake/ack-dir", default_acks));
    if (files_dir_create (self->ack_dir, error, sizeof error)) {
        log_error ("cannot create the 999 folder", "error", json_string (error), NULL);
        return -1;
    }
    int64_t filing_days;
    if (config_get_int_checked (config, "intake/filing-days", 365, 0, 3650, &filing_days, error, sizeof error)) {
        log_error ("bad setting", "error", json_string (error), NULL);
        return -1;
    }
    self->scrub = scrub_new ();
    scrub_set_default_filing_days (self->scrub, (uint32_t) filing_days);
    self->queues = queues_new (self->store, self->outbox);
    if (store_write (self->store, s_ensure_default, self->queues))
        return -1;
    const char *queues_file = config_path (config, "intake/queues-file", NULL);
    if (queues_file) {
        zconfig_t *root = zconfig_load (queues_file);
        if (!root) {
            log_error ("cannot read the queues file", "path", json_string (queues_file), NULL);
            return -1;
        }
        s_seed_t seed = { self, root };
        int rc = store_write (self->store, s_seed_queues, &seed);
        zconfig_destroy (&root);
        if (rc)
            return -1;
    }
    queues_reload (self->queues);
    self->uploads = upload_new (self, config, service_loop (service));
    if (!self->uploads)
        return -1;
    service_add_methods (service, upload_methods);
    service_kick (service);
    return inbox_start (self, service_loop (service));
}

static void
s_committed (service_t *service)
{
    queues_reload (s_intake.queues);
    methods_committed (&s_intake);
    upload_committed (s_intake.uploads);
}

static void
s_stop (service_t *service)
{
    upload_destroy (&s_intake.uploads);
    queues_destroy (&s_intake.queues);
    scrub_destroy (&s_intake.scrub);
    phi_key_destroy (&s_intake.phi_key);
    free (s_intake.inbox_dir);
    free (s_intake.ack_dir);
}

//  The access stream will carry registry changes (DESIGN §4); intake keeps
//  its offset so it applies each exactly once when they come.
static int
s_apply (store_t *store, MDB_txn *txn, const Event *event, void *arg)
{
    return 0;
}

static const service_def_t s_service = {
    .name = "intake",
    .tables = s_tables,
    .consumes = s_consumes,
    .apply = s_apply,
    .methods = intake_methods,
    .start = s_start,
    .stop = s_stop,
    .committed = s_committed,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
