/*  bench/replycache: rcmq-claims' resident memory under many large list
    requests, the case that grew it from 8.8 MB to 634 MB when the api reply
    cache kept 4,096 replies of any size (issue 12 item 5).

        build/bench/replycache [--claims N] [--requests R] [--limit L]
                               [--cache-bytes B] [--keep]

    Setup (untimed): scripts/gen-837 --seed 42 makes N claims (1,000), a real
    rcmq-broker, rcmq-intake and rcmq-claims take them in through
    intake.Submit. Then one client sends R (10,000) claims.List requests of
    L (1,000) claims each, every one with its own request id (so every reply
    goes into the cache), and reads rcmq-claims' VmRSS from /proc before,
    every R/10 requests and at the end. --cache-bytes sets
    api/reply-cache-bytes (default: the built-in 64 MiB).

    The limit printed beside it: the bytes of replies sent, which is what an
    unbounded cache would have held; the figure is the RSS growth.
*/
#include "bench_util.h"
#include "client.h"
#include "codec.h"
#include "transport.h"
#include "claims.pb-c.h"
#include "intake.pb-c.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH_NOW       "2026-11-02T12:00:00Z"
#define BENCH_CALL_MS   60000

typedef struct {
    size_t claims;
    size_t requests;
    size_t limit;
    const char *cache_bytes;
    bool keep;
    char build [1024];
    char root [1024];
    char keys [1100];
    char config [1100];
    char intake_api [64];
    char claims_api [64];
    pid_t broker, intake, service;
    zcert_t *admin;
} bench_t;

//  VmRSS of pid in kB, 0 when unreadable.
static uint64_t
s_rss_kb (pid_t pid)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    uint64_t kb = 0;
    while (file && fgets (line, sizeof line, file))
        if (strncmp (line, "VmRSS:", 6) == 0)
            kb = strtoull (line + 6, NULL, 10);
    if (file)
        fclose (file);
    return kb;
}

static client_t *
s_client (bench_t *self, const char *service, const char *endpoint)
{
    char *key = transport_load_public_key (self->keys, service);
    client_t *client = key && self->admin? client_new (endpoint, key, self->admin): NULL;
    free (key);
    if (client) {
        client_set_timeout (client, BENCH_CALL_MS);
        client_set_retries (client, 0);
    }
    return client;
}

//  claims consumed the intake stream up to seq (from claims.Health).
static bool
s_consumed (client_t *client, uint64_t seq)
{
    Reply *reply = client_call (client, "claims.Health", NULL);
    HealthReply *health = reply && reply->status == STATUS__OK
        ? (HealthReply *) codec_decode (&health_reply__descriptor, reply->body.data, reply->body.len): NULL;
    uint64_t consumed = 0;
    for (size_t i = 0; health && i < health->n_consumed; i++)
        if (streq (health->consumed [i]->stream, "intake"))
            consumed = health->consumed [i]->seq;
    codec_free (health);
    codec_free (reply);
    return consumed >= seq;
}

static int
s_setup (bench_t *self)
{
    snprintf (self->config, sizeof self->config, "%s/rcmq.conf", self->root);
    snprintf (self->intake_api, sizeof self->intake_api, "tcp://127.0.0.1:%d", bench_free_port ());
    snprintf (self->claims_api, sizeof self->claims_api, "tcp://127.0.0.1:%d", bench_free_port ());
    FILE *file = bench_config_open (self->config, self->keys, self->root);
    if (!file)
        return -1;
    fprintf (file, "intake\n    api = \"%s\"\n    inbox-dir = \"%s/inbox\"\n    ack-dir = \"%s/acks\"\n"
                   "claims\n    api = \"%s\"\n", self->intake_api, self->root, self->root, self->claims_api);
    if (self->cache_bytes)
        fprintf (file, "api\n    reply-cache-bytes = \"%s\"\n", self->cache_bytes);
    fclose (file);
    setenv ("RCMQ_NOW", BENCH_NOW, 1);
    self->broker = bench_spawn (self->build, self->root, "services/broker/rcmq-broker", self->config, "broker");
    self->intake = bench_spawn (self->build, self->root, "services/intake/rcmq-intake", self->config, "intake");
    self->service = bench_spawn (self->build, self->root, "services/claims/rcmq-claims", self->config, "claims");
    if (!self->broker || !self->intake || !self->service)
        return -1;

    char claims [32], path [1200], expect [1200];
    snprintf (claims, sizeof claims, "%zu", self->claims);
    snprintf (path, sizeof path, "%s/claims.837", self->root);
    snprintf (expect, sizeof expect, "%s/claims.json", self->root);
    char *gen [] = { "/usr/bin/env", "python3", RCMQ_SOURCE_DIR "/scripts/gen-837", "--seed", "42",
                     "--claims", claims, "--out", path, "--expect", expect, NULL };
    if (bench_run (self->root, gen, NULL) != 0) {
        fprintf (stderr, "bench: scripts/gen-837 failed (see %s/bench.log)\n", self->root);
        return -1;
    }
    FILE *in = fopen (path, "rb");
    if (!in)
        return -1;
    fseek (in, 0, SEEK_END);
    size_t size = (size_t) ftell (in);
    fseek (in, 0, SEEK_SET);
    uint8_t *data = (uint8_t *) malloc (size + 1);
    size_t got = fread (data, 1, size, in);
    fclose (in);
    client_t *intake = s_client (self, "intake", self->intake_api);
    client_t *claims_client = s_client (self, "claims", self->claims_api);
    int rc = intake && claims_client && got == size? 0: -1;
    //  Up and answering before the file goes in.
    for (int i = 0; rc == 0 && i < 300; i++) {
        client_set_timeout (claims_client, 1000);
        bool up = s_consumed (claims_client, 0);
        client_set_timeout (claims_client, BENCH_CALL_MS);
        if (up)
            break;
        if (bench_watch_sleep (100000))
            rc = -1;
    }
    if (rc == 0) {
        SubmitRequest request = SUBMIT_REQUEST__INIT;
        request.filename = "claims.837";
        request.content.data = data;
        request.content.len = size;
        Reply *reply = client_call (intake, "intake.Submit", &request);
        rc = reply && reply->status == STATUS__OK? 0: -1;
        if (rc)
            fprintf (stderr, "bench: intake.Submit: %s\n", reply? reply->message: client_error (intake));
        codec_free (reply);
    }
    free (data);
    for (int i = 0; rc == 0 && !s_consumed (claims_client, self->claims + 1); i++) {
        if (i == 3000) {
            fprintf (stderr, "bench: claims did not take the claims in 5 minutes\n");
            rc = -1;
        }
        if (bench_watch_sleep (100000))
            rc = -1;
    }
    client_destroy (&intake);
    client_destroy (&claims_client);
    return rc;
}

int
main (int argc, char *argv [])
{
    bench_t self = { .claims = 1000, .requests = 10000, .limit = 1000 };
    static struct option options [] = {
        { "claims",      required_argument, 0, 'c' },
        { "requests",    required_argument, 0, 'r' },
        { "limit",       required_argument, 0, 'l' },
        { "cache-bytes", required_argument, 0, 'b' },
        { "keep",        no_argument,       0, 'k' },
        { 0, 0, 0, 0 }
    };
    int option;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        if (option == 'c')
            self.claims = strtoull (optarg, NULL, 10);
        else
        if (option == 'r')
            self.requests = strtoull (optarg, NULL, 10);
        else
        if (option == 'l')
            self.limit = strtoull (optarg, NULL, 10);
        else
        if (option == 'b')
            self.cache_bytes = optarg;
        else
        if (option == 'k')
            self.keep = true;
        else {
            fprintf (stderr, "usage: replycache [--claims N] [--requests R] [--limit L] [--cache-bytes B] [--keep]\n");
            return 2;
        }
    }
    if (!self.claims || !self.requests || !self.limit)
        return 2;
    bench_build_dir (self.build, sizeof self.build);
    if (bench_tmpdir (self.root, sizeof self.root, "replycache"))
        return 1;
    snprintf (self.keys, sizeof self.keys, "%s/keys", self.root);
    int failed = bench_keys_init (self.build, self.root, self.keys) != 0;
    self.admin = failed? NULL: transport_load_secret (self.keys, "admin");
    failed = failed || !self.admin || s_setup (&self);

    json_t *figures = json_object (), *limits = json_object ();
    if (!failed) {
        client_t *client = s_client (&self, "claims", self.claims_api);
        ClaimListRequest request = CLAIM_LIST_REQUEST__INIT;
        request.limit = (uint32_t) self.limit;
        uint64_t before = s_rss_kb (self.service), peak = before;
        uint64_t reply_bytes = 0, start = bench_usec ();
        printf ("replycache: %zu claims.List of %zu claims (of %zu) with distinct request ids, "
                "api/reply-cache-bytes %s\n", self.requests, self.limit, self.claims,
                self.cache_bytes? self.cache_bytes: "default (64 MiB)");
        printf ("%10s %14s %14s\n", "requests", "rcmq-claims RSS", "replies sent");
        printf ("%10d %11.1f MB %11.1f MB\n", 0, before / 1024.0, 0.0);
        for (size_t i = 1; i <= self.requests && !failed; i++) {
            Reply *reply = client_call (client, "claims.List", &request);
            if (!reply || reply->status != STATUS__OK) {
                fprintf (stderr, "bench: claims.List %zu: %s\n", i, reply? reply->message: client_error (client));
                failed = 1;
            }
            reply_bytes += reply? reply->body.len: 0;
            codec_free (reply);
            if (i % (self.requests / 10? self.requests / 10: 1) == 0) {
                uint64_t rss = s_rss_kb (self.service);
                peak = rss > peak? rss: peak;
                printf ("%10zu %11.1f MB %11.1f MB\n", i, rss / 1024.0, reply_bytes / 1048576.0);
                fflush (stdout);
            }
        }
        uint64_t after = s_rss_kb (self.service);
        double seconds = (bench_usec () - start) / 1e6;
        printf ("rcmq-claims RSS %.1f MB before, %.1f MB after, %.1f MB at most; %.1f MB of replies sent in %.0f s\n",
                before / 1024.0, after / 1024.0, peak / 1024.0, reply_bytes / 1048576.0, seconds);
        json_object_set_new (figures, "rss_before_mb", json_real (before / 1024.0));
        json_object_set_new (figures, "rss_after_mb", json_real (after / 1024.0));
        json_object_set_new (figures, "rss_peak_mb", json_real (peak / 1024.0));
        json_object_set_new (figures, "requests", json_integer ((json_int_t) self.requests));
        json_object_set_new (limits, "replies_sent_mb", json_real (reply_bytes / 1048576.0));
        client_destroy (&client);
    }
    bench_stop (&self.service);
    bench_stop (&self.intake);
    bench_stop (&self.broker);
    zcert_destroy (&self.admin);
    bench_print_line ("replycache", figures, limits, json_object (), 4);
    if (self.keep || failed)
        fprintf (stderr, "replycache: files in %s\n", self.root);
    else
        bench_rmtree (self.root);
    return failed? 1: 0;
}
