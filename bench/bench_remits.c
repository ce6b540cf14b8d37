/*  bench_remits: see bench_remits.h. */
#include "bench_remits.h"
#include "bench_util.h"
#include "codec.h"
#include "transport.h"
#include "intake.pb-c.h"

#include <jansson.h>

#ifndef RCMQ_SOURCE_DIR
#   define RCMQ_SOURCE_DIR "."
#endif

#define BENCH_NOW               "2026-11-02T12:00:00Z"
#define BENCH_CALL_TIMEOUT_MS   900000

bool
bench_read_file (const char *path, uint8_t **data, size_t *size)
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

client_t *
bench_client (const char *keys, zcert_t *admin, const char *service, const char *endpoint)
{
    char *key = transport_load_public_key (keys, service);
    client_t *client = key && admin? client_new (endpoint, key, admin): NULL;
    free (key);
    if (client) {
        client_set_timeout (client, BENCH_CALL_TIMEOUT_MS);
        client_set_retries (client, 0);
        client_set_watch (client, bench_watch_client, NULL);
    }
    return client;
}

HealthReply *
bench_health (client_t *client, const char *method)
{
    client_set_timeout (client, 1000);
    Reply *reply = client_call (client, method, NULL);
    client_set_timeout (client, BENCH_CALL_TIMEOUT_MS);
    HealthReply *health = reply && reply->status == STATUS__OK
        ? (HealthReply *) codec_decode (&health_reply__descriptor, reply->body.data, reply->body.len): NULL;
    codec_free (reply);
    return health;
}

void *
bench_call (client_t *client, const char *method, const void *body, const ProtobufCMessageDescriptor *type)
{
    Reply *reply = client_call (client, method, body);
    void *decoded = reply && reply->status == STATUS__OK
                  ? codec_decode (type, reply->body.data, reply->body.len): NULL;
    if (!decoded)
        fprintf (stderr, "bench: %s failed: %s\n", method, reply? reply->message: client_error (client));
    codec_free (reply);
    return decoded;
}

int
bench_remits_start (bench_remits_t *self)
{
    snprintf (self->keys, sizeof self->keys, "%s/keys", self->root);
    if (bench_keys_init (self->build, self->root, self->keys) != 0)
        return -1;
    self->admin = transport_load_secret (self->keys, "admin");
    if (!self->admin)
        return -1;
    snprintf (self->config, sizeof self->config, "%s/rcmq.conf", self->root);
    snprintf (self->intake_api, sizeof self->intake_api, "tcp://127.0.0.1:%d", bench_free_port ());
    snprintf (self->claims_api, sizeof self->claims_api, "tcp://127.0.0.1:%d", bench_free_port ());
    FILE *file = bench_config_open (self->config, self->keys, self->root);
    if (!file)
        return -1;
    //  The file goes to intake in one intake.Submit (its setup is not what
    //  is measured), so intake takes requests of any size here.
    fprintf (file, "intake\n    api = \"%s\"\n    inbox-dir = \"%s/inbox\"\n    ack-dir = \"%s/acks\"\n"
                   "    max-request-bytes = 0\n"
                   "claims\n    api = \"%s\"\n%s", self->intake_api, self->root, self->root, self->claims_api,
                   self->extra_config? self->extra_config: "");
    fclose (file);
    setenv ("RCMQ_NOW", BENCH_NOW, 1);
    self->broker_pid = bench_spawn (self->build, self->root, "services/broker/rcmq-broker", self->config, "broker");
    self->intake_pid = bench_spawn (self->build, self->root, "services/intake/rcmq-intake", self->config, "intake");
    self->claims_pid = bench_spawn (self->build, self->root, "services/claims/rcmq-claims", self->config, "claims");
    return self->broker_pid && self->intake_pid && self->claims_pid? 0: -1;
}

int
bench_wait_health (client_t *client, const char *method, const char *stream, uint64_t seq, int timeout_s)
{
    uint64_t deadline = bench_usec () + (uint64_t) timeout_s * 1000000ULL;
    while (bench_usec () < deadline) {
        HealthReply *health = bench_health (client, method);
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
        if (bench_watch_sleep (200000))
            return -1;
    }
    fprintf (stderr, "bench: %s: not ready after %d s\n", method, timeout_s);
    return -1;
}

int
bench_remits_setup (bench_remits_t *self)
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

    client_t *intake = bench_client (self->keys, self->admin, "intake", self->intake_api);
    client_t *claims_client = bench_client (self->keys, self->admin, "claims", self->claims_api);
    int rc = intake && claims_client? 0: -1;
    if (rc == 0)
        rc = bench_wait_health (intake, "intake.Health", NULL, 0, 30);
    if (rc == 0)
        rc = bench_wait_health (claims_client, "claims.Health", NULL, 0, 30);
    //  Intake: every claim accepted (the file is clean).
    uint8_t *data = NULL;
    size_t size = 0;
    if (rc == 0 && !bench_read_file (file, &data, &size))
        rc = -1;
    step = bench_usec ();
    if (rc == 0) {
        client_set_max_request (intake, 0);
        SubmitRequest request = SUBMIT_REQUEST__INIT;
        request.filename = "claims.837";
        request.content.data = data;
        request.content.len = size;
        Batch *batch = (Batch *) bench_call (intake, "intake.Submit", &request, &batch__descriptor);
        self->accepted = batch? batch->accepted: 0;
        if (!batch || !streq (batch->status, "completed") || batch->accepted == 0)
            rc = -1;
        codec_free (batch);
    }
    free (data);
    //  Claims has every claim: the stream holds each claim's event and
    //  the batch's.
    if (rc == 0)
        rc = bench_wait_health (claims_client, "claims.Health", "intake", self->claims + 1, 900);
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
        SubmitClaimsReply *reply = (SubmitClaimsReply *) bench_call (claims_client, "claims.Submit", &request,
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
                if (bench_watch_sleep (100000))
                    break;
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
    char *sim [24] = { "/usr/bin/env", "python3", RCMQ_SOURCE_DIR "/scripts/payer-sim", "--seed", "7",
                       "--out", remits, "--expect", remits_expect, "--waves", "1", "--accept-rate", "1",
                       "--missing-277-rate", "0", "--mix", (char *) self->mix };
    size_t argc = 0;
    while (sim [argc])
        argc++;
    if (self->plb)
        sim [argc++] = "--plb";
    sim [argc++] = outbound;
    sim [argc] = NULL;
    if (rc == 0 && bench_run (self->root, sim, NULL) != 0) {
        fprintf (stderr, "bench: scripts/payer-sim failed (see %s/bench.log)\n", self->root);
        rc = -1;
    }
    //  Its 835s, and which claims each covers, in file order.
    json_t *root = rc == 0? json_load_file (remits_expect, 0, NULL): NULL;
    json_t *list = json_object_get (json_object_get (root, "files"), "835");
    for (size_t i = 0; i < json_array_size (list) && self->file_count < BENCH_REMITS_MAX_FILES; i++) {
        bench_remit_file_t *entry = &self->files [self->file_count++];
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

int
bench_remits_post (bench_remits_t *self)
{
    client_t *client = bench_client (self->keys, self->admin, "claims", self->claims_api);
    int rc = client? 0: -1;
    for (size_t i = 0; rc == 0 && i < self->file_count; i++) {
        bench_remit_file_t *file = &self->files [i];
        uint8_t *data = NULL;
        size_t size = 0;
        if (!bench_read_file (file->path, &data, &size)) {
            rc = -1;
            break;
        }
        FileRequest request = FILE_REQUEST__INIT;
        const char *slash = strrchr (file->path, '/');
        request.filename = (char *) (slash? slash + 1: file->path);
        request.content.data = data;
        request.content.len = size;
        uint64_t start = bench_usec ();
        PostReply *reply = (PostReply *) bench_call (client, "claims.Post", &request, &post_reply__descriptor);
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

void
bench_remits_stop (bench_remits_t *self)
{
    bench_stop (&self->claims_pid);
    bench_stop (&self->intake_pid);
    bench_stop (&self->broker_pid);
}

void
bench_remits_free (bench_remits_t *self)
{
    for (size_t i = 0; i < self->file_count; i++) {
        for (size_t j = 0; j < self->files [i].pcn_count; j++)
            free (self->files [i].pcns [j]);
        free (self->files [i].pcns);
        free (self->files [i].path);
    }
    self->file_count = 0;
    zcert_destroy (&self->admin);
}
