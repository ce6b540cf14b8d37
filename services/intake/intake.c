/*  intake: see intake.h. intake_new is rcmq-intake's start-up: the store's
    map, the folders, scrub and queues (the default queue and those of the
    queues file), and the uploads' actor.
*/
#include "intake.h"
#include "apply.h"
#include "upload.h"
#include "clock.h"
#include "codec.h"
#include "log.h"

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

intake_t *
intake_new (service_t *service)
{
    intake_t *self = (intake_t *) zmalloc (sizeof (intake_t));
    config_t *config = service_config (service);
    self->service = service;
    self->store = service_store (service);
    self->outbox = service_outbox (service);
    self->phi_key = service_phi_key (service);
    self->pending_acks = zlistx_new ();
    zlistx_set_destructor (self->pending_acks, (zlistx_destructor_fn *) zstr_free);
    //  A file is applied in one transaction, and store_write answers
    //  MDB_MAP_FULL by doubling the map and running the whole file again:
    //  from the store's 64 MiB a 100,000-claim file (~700 MB of pages) was
    //  parsed, scrubbed, sealed and written five times over. The map is
    //  address space, not disk (no MDB_WRITEMAP: the file grows as pages
    //  are used), so intake starts with room for files of that size.
    if (store_map_size (self->store) < INTAKE_MAP_SIZE
    &&  store_set_map_size (self->store, INTAKE_MAP_SIZE))
        log_warn ("cannot grow the store map; large files will be retried as it grows", NULL);

    self->inbox_dir = service_folder (service, "intake/inbox-dir", "inbox", false);
    self->ack_dir = service_folder (service, "intake/ack-dir", "acks", true);
    if (!self->ack_dir) {
        intake_destroy (&self);
        return NULL;
    }
    char error [512];
    int64_t filing_days;
    if (config_get_int_checked (config, "intake/filing-days", 365, 0, 3650, &filing_days, error, sizeof error)) {
        log_error ("bad setting", "error", json_string (error), NULL);
        intake_destroy (&self);
        return NULL;
    }
    self->scrub = scrub_new ();
    scrub_set_default_filing_days (self->scrub, (uint32_t) filing_days);
    self->queues = queues_new (self->store, self->outbox);
    if (store_write (self->store, s_ensure_default, self->queues)) {
        intake_destroy (&self);
        return NULL;
    }
    const char *queues_file = config_path (config, "intake/queues-file", NULL);
    if (queues_file) {
        zconfig_t *root = zconfig_load (queues_file);
        if (!root) {
            log_error ("cannot read the queues file", "path", json_string (queues_file), NULL);
            intake_destroy (&self);
            return NULL;
        }
        s_seed_t seed = { self, root };
        int rc = store_write (self->store, s_seed_queues, &seed);
        zconfig_destroy (&root);
        if (rc) {
            intake_destroy (&self);
            return NULL;
        }
    }
    queues_reload (self->queues);
    //  Before the uploads: a batch the last run left pending is finished or
    //  undone first, and new ones wait for it.
    self->apply = apply_new (self, config, service_loop (service));
    self->uploads = upload_new (self, config, service_loop (service));
    if (!self->uploads)
        intake_destroy (&self);
    return self;
}

intake_t *
intake_of (server_call_t *call)
{
    return (intake_t *) service_state ((service_t *) call->state);
}

int
intake_scope_queue_id (server_call_t *call)
{
    return queues_call_scope (intake_of (call)->queues, call, ((QueueId *) call->body)->id);
}

void
intake_destroy (intake_t **self_p)
{
    intake_t *self = *self_p;
    if (!self)
        return;
    upload_destroy (&self->uploads);
    apply_destroy (&self->apply);
    queues_destroy (&self->queues);
    scrub_destroy (&self->scrub);
    free (self->inbox_dir);
    free (self->ack_dir);
    zlistx_destroy (&self->pending_acks);
    free (self);
    *self_p = NULL;
}
