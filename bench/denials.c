/*  bench/denials: how fast rcmq-denials opens denials from a remit run,
    next to the LMDB limit of the same records measured in the same run.

    Setup (untimed), as bench/claims: scripts/gen-837 --seed 42 makes N
    clean claims; a real rcmq-broker, rcmq-intake and rcmq-claims (CURVE,
    LMDB with fsync) take them in, claims.Submit writes the 837P files,
    scripts/payer-sim (--seed 7, one wave, every claim accepted:
    paid 50 %, partially paid 20 %, denied 30 %) answers with one 835 per
    payer, and claims.Post posts them all. Once claims' outbox is empty the
    claims stream's head is read from broker.Status.

    Measured:

        denials     a real rcmq-denials started only then, from an empty
                    store: the time from its spawn until its Health says it
                    has applied the claims stream to its head (every
                    claims.denied, reversed, adjudicated, acknowledged: one
                    denial record, its indexes, history, work item and
                    events for each denied claim, in the consumer's
                    batches). denials/s = denials opened (rows of its
                    `denials` table) over that time.
        lmdb        raw limit: the denial records it left (read back once it
                    has stopped), the same keys and bytes, put into a fresh
                    LMDB env in write transactions of --batch records, fsync
                    at commit: the writes it cannot avoid, without its
                    reading, categorizing, indexes, work items and events.

    It prints a table and ends with ONE JSON line:
        {"name":"denials","figures":{...},"limits":{...},"ratios":{...}}

    Usage: denials [--claims N] [--batch B] [--keep]
    N defaults to 100,000 claims, B to 500 (records per LMDB transaction).
*/
#include "bench_util.h"
#include "client.h"
#include "codec.h"
#include "store.h"
#include "transport.h"
#include "config.h"
#include "claims.pb-c.h"
#include "broker.pb-c.h"
#include "intake.pb-c.h"

#include <dirent.h>
#include <getopt.h>
#include <jansson.h>

#ifndef RCMQ_SOURCE_DIR
#   define RCMQ_SOURCE_DIR "."
#endif

#define BENCH_DEFAULT_CLAIMS    100000
#define BENCH_NOW               "2026-11-02T12:00:00Z"
#define BENCH_CALL_TIMEOUT_MS   900000
#define BENCH_MAX_FILES         64
#define BENCH_DEFAULT_BATCH     500

typedef struct {
    char *path;                 //  the 835
    size_t clps;                //  its CLPs (from payer-sim's expectation)
    char **pcns;                //  their claims, in file order
    size_t pcn_count;
    uint64_t usec;              //  the claims.Post call
    uint32_t posted;
    uint32_t exceptions;
} s_file_t;

typedef struct {
    size_t claims;
    bool keep;
    char build [PATH_MAX];
    char root [1024];
    char keys [1200];
    char config [1200];
    char claims_api [64];
    char intake_api [64];
    char denials_api [64];
    pid_t broker, intake, service, denials;
    size_t batch;
    uint64_t head;              //  the claims stream's head after posting
    uint64_t denials_usec;      //  rcmq-denials' spawn to caught up
    zcert_t *admin;
    s_file_t files [BENCH_MAX_FILES];
    size_t file_count;
    size_t accepted;
} bench_t;

static bool
s_read_file (const char *path, uint8_t **data, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return false;
    fseek (file, 0, SEEK_END);
    *size = (size_t) ftell (file);
    fseek (file, 0, SEEK_SET);
    *data = (uint8_t *) malloc (*size + 1);
    size_t got = fread (*data, 1, *size, file);
    fclose (file);
    return got == *size;
}

//  A client of service (its api endpoint), or NULL.
static client_t *
s_client (bench_t *self, const char *service, const char *endpoint)
{
    char *key = transport_load_public_key (self->keys, service);
    client_t *client = key && self->admin? client_new (endpoint, key, self->admin): NULL;
    free (key);
    if (client) {
        client_set_timeout (client, BENCH_CALL_TIMEOUT_MS);
        client_set_retries (client, 0);
    }
    return client;
}

//  <service>.Health, decoded (NULL when it did not answer).
static HealthReply *
s_health (client_t *client, const char *method)
{
    client_set_timeout (client, 1000);
    Reply *reply = client_call (client, method, NULL);
    client_set_timeout (client, BENCH_CALL_TIMEOUT_MS);
    HealthReply *health = reply && reply->status == STATUS__OK
        ? (HealthReply *) codec_decode (&health_reply__descriptor, reply->body.data, reply->body.len): NULL;
    codec_free (reply);
    return health;
}

//  A call whose reply must be OK: the decoded body, or NULL (said why).
static void *
s_call (client_t *client, const char *method, const void *body, const ProtobufCMessageDescriptor *type)
{
    Reply *reply = client_call (client, method, body);
    void *decoded = reply && reply->status == STATUS__OK
                  ? codec_decode (type, reply->body.data, reply->body.len): NULL;
    if (!decoded)
        fprintf (stderr, "bench: %s failed: %s\n", method, reply? reply->message: client_error (client));
    codec_free (reply);
    return decoded;
}

//  --------------------------------------------------------------------------
//  Setup: claims in, submitted, the payer's 835s

static int
s_start (bench_t *self)
{
    snprintf (self->config, sizeof self->config, "%s/rcmq.conf", self->root);
    snprintf (self->intake_api, sizeof self->intake_api, "tcp://127.0.0.1:%d", bench_free_port ());
    snprintf (self->claims_api, sizeof self->claims_api, "tcp://127.0.0.1:%d", bench_free_port ());
    snprintf (self->denials_api, sizeof self->denials_api, "tcp://127.0.0.1:%d", bench_free_port ());
    FILE *file = bench_config_open (self->config, self->keys, self->root);
    if (!file)
        return -1;
    //  The file goes to intake in one intake.Submit (its setup is not what
    //  is measured), so intake takes requests of any size here.
    fprintf (file, "intake\n    api = \"%s\"\n    inbox-dir = \"%s/inbox\"\n    ack-dir = \"%s/acks\"\n"
                   "    max-request-bytes = 0\n"
                   "claims\n    api = \"%s\"\n"
                   "denials\n    api = \"%s\"\n    sweep-ms = 3600000\n",
                   self->intake_api, self->root, self->root, self->claims_api, self->denials_api);
    fclose (file);
    setenv ("RCMQ_NOW", BENCH_NOW, 1);
    self->broker = bench_spawn (self->build, self->root, "services/broker/rcmq-broker", self->config, "broker");
    self->intake = bench_spawn (self->build, self->root, "services/intake/rcmq-intake", self->config, "intake");
    self->service = bench_spawn (self->build, self->root, "services/claims/rcmq-claims", self->config, "claims");
    return self->broker && self->intake && self->service? 0: -1;
}

//  Waits until the service's Health says it is connected to the broker
//  and (with stream) has consumed at least seq events of it.
static int
s_wait_health (client_t *client, const char *method, const char *stream, uint64_t seq, int timeout_s)
{
    uint64_t deadline = bench_usec () + (uint64_t) timeout_s * 1000000ULL;
    while (bench_usec () < deadline) {
        HealthReply *health = s_health (client, method);
        bool done = health && health->broker_connected;
        if (done && stream) {
            uint64_t consumed = 0;
            for (size_t i = 0; i < health->n_consumed; i++)
                if (streq (health->consumed [i]->stream, stream))
                    consumed = health->consumed [i]->seq;
            done = consumed >= seq;
        }
        codec_free (health);
        if (done)
            return 0;
        usleep (200000);
    }
    fprintf (stderr, "bench: %s: not ready after %d s\n", method, timeout_s);
    return -1;
}

static int
s_setup (bench_t *self)
{
    char claims [32], file [1200], expect [1200];
    snprintf (claims, sizeof claims, "%zu", self->claims);
    snprintf (file, sizeof file, "%s/claims.837", self->root);
    snprintf (expect, sizeof expect, "%s/claims.json", self->root);
    uint64_t step = bench_usec ();
    char *gen [] = { "/usr/bin/env", "python3", RCMQ_SOURCE_DIR "/scripts/gen-837", "--seed", "42",
                     "--claims", claims, "--envelopes", "4", "--out", file, "--expect", expect, NULL };
    if (bench_run (self->root, gen, NULL) != 0) {
        fprintf (stderr, "bench: scripts/gen-837 failed (see %s/bench.log)\n", self->root);
        return -1;
    }
    printf ("setup: gen-837 %.1f s", (bench_usec () - step) / 1e6);
    fflush (stdout);

    client_t *intake = s_client (self, "intake", self->intake_api);
    client_t *claims_client = s_client (self, "claims", self->claims_api);
    int rc = intake && claims_client? 0: -1;
    if (rc == 0)
        rc = s_wait_health (intake, "intake.Health", NULL, 0, 30);
    if (rc == 0)
        rc = s_wait_health (claims_client, "claims.Health", NULL, 0, 30);
    //  Intake: every claim accepted (the file is clean).
    uint8_t *data = NULL;
    size_t size = 0;
    if (rc == 0 && !s_read_file (file, &data, &size))
        rc = -1;
    step = bench_usec ();
    if (rc == 0) {
        client_set_max_request (intake, 0);
        SubmitRequest request = SUBMIT_REQUEST__INIT;
        request.filename = "claims.837";
        request.content.data = data;
        request.content.len = size;
        Batch *batch = (Batch *) s_call (intake, "intake.Submit", &request, &batch__descriptor);
        self->accepted = batch? batch->accepted: 0;
        if (!batch || !streq (batch->status, "completed") || batch->accepted == 0)
            rc = -1;
        codec_free (batch);
    }
    free (data);
    //  Claims has every claim: the stream holds each claim's event and
    //  the batch's.
    if (rc == 0)
        rc = s_wait_health (claims_client, "claims.Health", "intake", self->claims + 1, 900);
    if (rc == 0) {
        printf (", intake %.1f s", (bench_usec () - step) / 1e6);
        fflush (stdout);
    }
    //  The 837P files, on disk once claims.Submit has answered and the
    //  commit is followed by the write.
    step = bench_usec ();
    char outbound [1200];
    snprintf (outbound, sizeof outbound, "%s/data/outbound", self->root);
    if (rc == 0) {
        SubmitClaimsRequest request = SUBMIT_CLAIMS_REQUEST__INIT;
        SubmitClaimsReply *reply = (SubmitClaimsReply *) s_call (claims_client, "claims.Submit", &request,
                                                                 &submit_claims_reply__descriptor);
        if (!reply || reply->claims != self->accepted) {
            fprintf (stderr, "bench: claims.Submit sent %u claims of %zu\n", reply? reply->claims: 0, self->accepted);
            rc = -1;
        }
        for (size_t i = 0; reply && rc == 0 && i < reply->n_files; i++) {
            const char *slash = strrchr (reply->files [i], '/');
            char path [1300];
            snprintf (path, sizeof path, "%s/%s", outbound, slash? slash + 1: reply->files [i]);
            for (int attempt = 0; attempt < 600 && !zsys_file_exists (path); attempt++)
                usleep (100000);
            if (!zsys_file_exists (path))
                rc = -1;
        }
        codec_free (reply);
    }
    client_destroy (&intake);
    client_destroy (&claims_client);
    if (rc == 0) {
        printf (", claims.Submit %.1f s", (bench_usec () - step) / 1e6);
        fflush (stdout);
    }
    //  The payer: one wave, every claim adjudicated once.
    step = bench_usec ();
    char remits [1200], remits_expect [1200];
    snprintf (remits, sizeof remits, "%s/remits", self->root);
    snprintf (remits_expect, sizeof remits_expect, "%s/remits.json", self->root);
    char *sim [] = { "/usr/bin/env", "python3", RCMQ_SOURCE_DIR "/scripts/payer-sim", "--seed", "7",
                     "--out", remits, "--expect", remits_expect, "--waves", "1", "--accept-rate", "1",
                     "--missing-277-rate", "0", "--mix", "paid=0.5,partial=0.2,denied=0.3",
                     outbound, NULL };
    if (rc == 0 && bench_run (self->root, sim, NULL) != 0) {
        fprintf (stderr, "bench: scripts/payer-sim failed (see %s/bench.log)\n", self->root);
        rc = -1;
    }
    //  Its 835s, and which claims each covers, in file order.
    json_t *root = rc == 0? json_load_file (remits_expect, 0, NULL): NULL;
    json_t *list = json_object_get (json_object_get (root, "files"), "835");
    for (size_t i = 0; i < json_array_size (list) && self->file_count < BENCH_MAX_FILES; i++) {
        s_file_t *entry = &self->files [self->file_count++];
        entry->path = strdup (json_string_value (json_array_get (list, i)));
        entry->pcns = (char **) calloc (self->claims + 1, sizeof (char *));
    }
    json_t *claims_list = json_object_get (root, "claims");
    for (size_t i = 0; i < json_array_size (claims_list); i++) {
        json_t *claim = json_array_get (claims_list, i);
        json_t *remit_list = json_object_get (claim, "remits");
        for (size_t j = 0; j < json_array_size (remit_list); j++) {
            const char *path = json_string_value (json_object_get (json_array_get (remit_list, j), "file"));
            for (size_t f = 0; path && f < self->file_count; f++)
                if (streq (self->files [f].path, path)) {
                    self->files [f].clps++;
                    if (j == 0)
                        self->files [f].pcns [self->files [f].pcn_count++] =
                            strdup (json_string_value (json_object_get (claim, "pcn")));
                }
        }
    }
    json_decref (root);
    if (rc == 0 && self->file_count == 0)
        rc = -1;
    if (rc == 0)
        printf (", payer-sim %.1f s (%zu 835 files)\n", (bench_usec () - step) / 1e6, self->file_count);
    fflush (stdout);
    return rc;
}

//  --------------------------------------------------------------------------
//  Posting through the service

static int
s_post (bench_t *self)
{
    client_t *client = s_client (self, "claims", self->claims_api);
    int rc = client? 0: -1;
    for (size_t i = 0; rc == 0 && i < self->file_count; i++) {
        s_file_t *file = &self->files [i];
        uint8_t *data = NULL;
        size_t size = 0;
        if (!s_read_file (file->path, &data, &size)) {
            rc = -1;
            break;
        }
        FileRequest request = FILE_REQUEST__INIT;
        const char *slash = strrchr (file->path, '/');
        request.filename = (char *) (slash? slash + 1: file->path);
        request.content.data = data;
        request.content.len = size;
        uint64_t start = bench_usec ();
        PostReply *reply = (PostReply *) s_call (client, "claims.Post", &request, &post_reply__descriptor);
        file->usec = bench_usec () - start;
        free (data);
        if (!reply || reply->duplicate) {
            rc = -1;
            codec_free (reply);
            break;
        }
        file->posted = reply->claims_posted;
        file->exceptions = reply->exceptions;
        if (file->posted != file->clps)
            fprintf (stderr, "bench: %s: %u CLPs posted, %u exceptions; payer-sim wrote %zu\n", request.filename,
                     file->posted, file->exceptions, file->clps);
        codec_free (reply);
    }
    client_destroy (&client);
    return rc;
}

//  --------------------------------------------------------------------------
//  rcmq-denials catching up with the whole remit run

static int
s_denials (bench_t *self)
{
    //  Every claims event at the broker: claims' outbox empty.
    client_t *claims_client = s_client (self, "claims", self->claims_api);
    int rc = -1;
    uint64_t deadline = bench_usec () + 900 * 1000000ULL;
    while (claims_client && bench_usec () < deadline) {
        HealthReply *health = s_health (claims_client, "claims.Health");
        bool empty = health && health->outbox_depth == 0;
        codec_free (health);
        if (empty) {
            rc = 0;
            break;
        }
        usleep (200000);
    }
    client_destroy (&claims_client);
    //  The claims stream's head, from the broker.
    config_t *config = config_new ();
    const char *endpoint = config_load (config, self->config) == 0? config_get (config, "broker/api", NULL): NULL;
    client_t *broker = rc == 0 && endpoint? s_client (self, "broker", endpoint): NULL;
    BrokerStatus *status = broker? (BrokerStatus *) s_call (broker, "broker.Status", NULL, &broker_status__descriptor)
                         : NULL;
    for (size_t i = 0; status && i < status->n_streams; i++)
        if (streq (status->streams [i]->stream, "claims"))
            self->head = status->streams [i]->head_seq;
    codec_free (status);
    client_destroy (&broker);
    config_destroy (&config);
    if (rc || self->head == 0) {
        fprintf (stderr, "bench: no claims stream head (claims' outbox not empty, or broker.Status failed)\n");
        return -1;
    }
    printf ("claims stream: %" PRIu64 " events; starting rcmq-denials\n", self->head);
    fflush (stdout);
    uint64_t start = bench_usec ();
    self->denials = bench_spawn (self->build, self->root, "services/denials/rcmq-denials", self->config, "denials");
    client_t *client = self->denials? s_client (self, "denials", self->denials_api): NULL;
    rc = client? s_wait_health (client, "denials.Health", "claims", self->head, 3600): -1;
    self->denials_usec = bench_usec () - start;
    client_destroy (&client);
    return rc;
}

//  --------------------------------------------------------------------------
//  The LMDB limit

typedef struct {
    MDB_val *keys, *values;
    size_t from, to;
} s_batch_t;

static int
s_fill (store_t *store, MDB_txn *txn, void *arg)
{
    s_batch_t *batch = (s_batch_t *) arg;
    for (size_t i = batch->from; i < batch->to; i++) {
        int rc = store_put (store, txn, "denials", batch->keys [i].mv_data, batch->keys [i].mv_size,
                            batch->values [i].mv_data, batch->values [i].mv_size);
        if (rc)
            return rc;
    }
    return 0;
}

static void
s_copy (MDB_val *to, const MDB_val *from)
{
    to->mv_size = from->mv_size;
    to->mv_data = malloc (from->mv_size + 1);
    memcpy (to->mv_data, from->mv_data, from->mv_size);
}

//  The denial records rcmq-denials left (it has stopped), written again
//  into a fresh env, --batch records a transaction. Returns the time, 0 on
//  error; *records_out is how many denials it opened.
static uint64_t
s_lmdb (bench_t *self, size_t *records_out, size_t *bytes_out)
{
    char dir [1300], error [256];
    snprintf (dir, sizeof dir, "%s/data/denials", self->root);
    const char *tables [] = { "denials", NULL };
    store_t *service = store_new (dir, tables, error, sizeof error);
    if (!service) {
        fprintf (stderr, "bench: the denials env: %s\n", error);
        return 0;
    }
    size_t capacity = 1024, records = 0, bytes = 0;
    MDB_val *keys = (MDB_val *) calloc (capacity, sizeof (MDB_val));
    MDB_val *values = (MDB_val *) calloc (capacity, sizeof (MDB_val));
    MDB_txn *txn = store_read_begin (service);
    store_iter_t *iter = txn? store_iter_new (service, txn, "denials", NULL, 0): NULL;
    MDB_val key, value;
    while (iter && store_iter_next (iter, &key, &value)) {
        if (records == capacity) {
            capacity *= 2;
            keys = (MDB_val *) realloc (keys, capacity * sizeof (MDB_val));
            values = (MDB_val *) realloc (values, capacity * sizeof (MDB_val));
        }
        s_copy (&keys [records], &key);
        s_copy (&values [records], &value);
        bytes += value.mv_size;
        records++;
    }
    store_iter_destroy (&iter);
    store_read_end (&txn);
    store_destroy (&service);

    snprintf (dir, sizeof dir, "%s/lmdb", self->root);
    zsys_dir_create ("%s", dir);
    store_t *store = store_new (dir, tables, error, sizeof error);
    uint64_t usec = 0;
    if (store && records) {
        //  Room for everything up front: growing the map is not what we
        //  measure (the service's env has grown already too).
        store_set_map_size (store, bytes * 3 + (64u << 20));
        uint64_t start = bench_usec ();
        int rc = 0;
        for (size_t from = 0; rc == 0 && from < records; from += self->batch) {
            s_batch_t batch = { keys, values, from, from + self->batch < records? from + self->batch: records };
            rc = store_write (store, s_fill, &batch);
        }
        usec = rc? 0: bench_usec () - start;
        if (rc)
            fprintf (stderr, "bench: LMDB write failed: %s\n", store_error (store));
    }
    else
        fprintf (stderr, "bench: %s\n", store? "rcmq-denials opened no denial": error);
    store_destroy (&store);
    for (size_t i = 0; i < records; i++) {
        free (keys [i].mv_data);
        free (values [i].mv_data);
    }
    free (keys);
    free (values);
    *records_out = records;
    *bytes_out = bytes;
    return usec;
}

//  --------------------------------------------------------------------------

static void
s_usage (void)
{
    fprintf (stderr, "usage: denials [--claims N] [--batch B] [--keep]\n");
}

int
main (int argc, char *argv [])
{
    bench_t self = { .claims = BENCH_DEFAULT_CLAIMS, .batch = BENCH_DEFAULT_BATCH };
    static struct option options [] = {
        { "claims", required_argument, NULL, 'c' },
        { "batch",  required_argument, NULL, 'b' },
        { "events", required_argument, NULL, 'e' },     //  scripts/bench passes it to every bench
        { "keep",   no_argument,       NULL, 'k' },
        { "help",   no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        if (option == 'c')
            self.claims = (size_t) strtoul (optarg, NULL, 10);
        else
        if (option == 'b')
            self.batch = (size_t) strtoul (optarg, NULL, 10);
        else
        if (option == 'e')
            ;                   //  the broker's; ours is --claims
        else
        if (option == 'k')
            self.keep = true;
        else
        if (option == 'h') {
            s_usage ();
            return 0;
        }
        else
            fprintf (stderr, "bench denials: ignoring unknown option %s\n", argv [optind - 1]);
    }
    if (self.claims < 10 || self.batch == 0) {
        s_usage ();
        return 2;
    }
    bench_build_dir (self.build, sizeof self.build);
    if (bench_tmpdir (self.root, sizeof self.root, "denials")) {
        perror ("bench: mkdtemp");
        return 1;
    }
    snprintf (self.keys, sizeof self.keys, "%s/keys", self.root);
    zsys_init ();
    zsys_set_logstream (NULL);

    printf ("denials bench: %zu claims, 837P from scripts/gen-837 --seed 42, 835s from scripts/payer-sim --seed 7 "
            "(temp %s)\n", self.claims, self.root);
    fflush (stdout);
    int failed = bench_keys_init (self.build, self.root, self.keys) != 0;
    if (!failed) {
        self.admin = transport_load_secret (self.keys, "admin");
        failed = !self.admin || s_start (&self) || s_setup (&self) || s_post (&self) || s_denials (&self);
    }
    bench_stop (&self.denials);
    bench_stop (&self.service);
    bench_stop (&self.intake);
    bench_stop (&self.broker);
    zcert_destroy (&self.admin);

    size_t records = 0, record_bytes = 0;
    uint64_t lmdb_usec = failed? 0: s_lmdb (&self, &records, &record_bytes);
    failed = failed || lmdb_usec == 0;
    if (failed) {
        fprintf (stderr, "bench denials: failed; kept %s (logs there)\n", self.root);
        return 1;
    }
    size_t clps = 0, posted = 0;
    uint64_t post_usec = 0;
    for (size_t i = 0; i < self.file_count; i++) {
        clps += self.files [i].clps;
        posted += self.files [i].posted;
        post_usec += self.files [i].usec;
    }
    double denials_ps = bench_rate ((double) records, self.denials_usec);
    double events_ps = bench_rate ((double) self.head, self.denials_usec);
    double lmdb_ps = bench_rate ((double) records, lmdb_usec);
    printf ("\n%zu claims, %zu CLPs posted in %zu 835 files (%.1f s), %" PRIu64 " claims events\n",
            self.claims, posted, self.file_count, post_usec / 1e6, self.head);
    printf ("\n%-52s %12s %12s %10s\n", "", "denials/s", "events/s", "seconds");
    printf ("%-52s %12.0f %12.0f %10.3f\n", "rcmq-denials: spawn to caught up, denials opened", denials_ps, events_ps,
            self.denials_usec / 1e6);
    printf ("%-52s %12.0f %12s %10.3f\n", "limit: LMDB, same denial records, batched", lmdb_ps, "", lmdb_usec / 1e6);
    printf ("\n%zu denials opened (records %.0f B on average), %zu per LMDB transaction\n"
            "denials / LMDB limit %.3f\n", records, records? (double) record_bytes / (double) records: 0,
            self.batch, denials_ps / lmdb_ps);

    json_t *figures = json_pack ("{s:I, s:I, s:I, s:I, s:f, s:f, s:f}",
        "claims", (json_int_t) self.claims, "clps_posted", (json_int_t) posted,
        "claims_events", (json_int_t) self.head, "denials_opened", (json_int_t) records,
        "denials_per_s", denials_ps, "events_per_s", events_ps, "denials_seconds", self.denials_usec / 1e6);
    json_t *limits = json_pack ("{s:f, s:I, s:f}", "lmdb_denials_per_s", lmdb_ps, "lmdb_batch", (json_int_t) self.batch,
                                "record_bytes_avg", records? (double) record_bytes / (double) records: 0.0);
    json_t *ratios = json_pack ("{s:f}", "denials_vs_lmdb", denials_ps / lmdb_ps);
    bench_print_line ("denials", figures, limits, ratios, 6);
    for (size_t i = 0; i < self.file_count; i++) {
        for (size_t j = 0; j < self.files [i].pcn_count; j++)
            free (self.files [i].pcns [j]);
        free (self.files [i].pcns);
        free (self.files [i].path);
    }
    if (self.keep)
        fprintf (stderr, "bench: kept %s\n", self.root);
    else
        bench_rmtree (self.root);
    return 0;
}
