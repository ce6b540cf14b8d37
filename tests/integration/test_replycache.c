/*  test_replycache: the api reply cache is bounded by bytes and by age
    (common/server.c; issue 12 item 5), with a real rcmq-broker (its api
    socket runs the same server code as every service).

    A resend of a request id is answered from the cache: broker.Health
    carries now_ms, so the same reply bytes mean the handler did not run
    again, and different bytes mean it did.

      bytes   api/reply-cache-bytes = 1000: a resend right away gets the
              cached reply; after ~3,000 bytes of other replies the first
              one is gone (a resend is answered afresh) while the latest is
              still there. Before the bound, 4,096 replies of any size
              stayed, so the first was still cached.
      age     api/reply-cache-ms = 1000: a resend 2.5 s later is answered
              afresh (the purge runs without new requests too).
      setting a value that is not a whole number stops the broker at start
              with an error naming the key.
*/
#include "suites.h"
#include "harness.h"
#include "client.h"
#include "codec.h"
#include "transport.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CACHE_CALL_MS       3000
#define CACHE_TEST_TIMEOUT  90

typedef struct {
    harness_t *harness;
    harness_proc_t *broker;
    char api [64];
    char *broker_key;
    zcert_t *admin;
    zsock_t *dealer;
    char failures [4096];
    int failed;
} s_run_t;

//  broker.Health with our own request id; the whole reply frame as sent.
static zframe_t *
s_health (s_run_t *run, const char *id)
{
    Request request = REQUEST__INIT;
    request.id = (char *) id;
    request.method = "broker.Health";
    zframe_t *frame = codec_encode (&request);
    zframe_send (&frame, run->dealer, 0);
    zmsg_t *msg = harness_recv (run->dealer, CACHE_CALL_MS);
    zframe_t *reply = msg? zmsg_pop (msg): NULL;
    zmsg_destroy (&msg);
    return reply;
}

static bool
s_same (zframe_t *a, zframe_t *b)
{
    return a && b && zframe_eq (a, b);
}

static bool
s_answers (void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    client_t *client = client_new (run->api, run->broker_key, run->admin);
    client_set_timeout (client, 500);
    client_set_retries (client, 0);
    Reply *reply = client_call (client, "broker.Health", NULL);
    bool ok = reply && reply->status == STATUS__OK;
    codec_free (reply);
    client_destroy (&client);
    return ok;
}

//  A broker with the api settings given as ZPL lines ("" for none).
static bool
s_start (s_run_t *run, const char *tag, const char *api_settings)
{
    memset (run, 0, sizeof *run);
    run->harness = harness_new (tag);
    if (!run->harness || harness_keys (run->harness, NULL) || !harness_config (run->harness)
    ||  (*api_settings && harness_config_append (run->harness, "api\n%s", api_settings))) {
        harness_check (run, false, "cannot make keys or config");
        return false;
    }
    harness_config_value (run->harness, "broker", "api", run->api, sizeof run->api);
    const char *keys = harness_path (run->harness, "keys");
    run->broker_key = transport_load_public_key (keys, "broker");
    run->admin = transport_load_secret (keys, "admin");
    run->broker = harness_spawn_service (run->harness, "broker");
    if (!run->broker_key || !run->admin || !run->broker) {
        harness_check (run, false, "keys missing or the broker did not start");
        return false;
    }
    return true;
}

static bool
s_up (s_run_t *run)
{
    bool up = harness_wait_until (s_answers, run, harness_scaled_ms (15000), 100);
    harness_check (run, up, "the broker does not answer broker.Health");
    if (up)
        run->dealer = harness_dealer (run->api, run->broker_key, run->admin);
    return up;
}

static void
s_finish (s_run_t *run)
{
    zsock_destroy (&run->dealer);
    zcert_destroy (&run->admin);
    free (run->broker_key);
    if (run->harness)
        harness_destroy (&run->harness, run->failed > 0);
    ck_assert_msg (run->failed == 0, "%d check(s) failed:\n%s", run->failed, run->failures);
}

START_TEST (test_cache_bytes)
{
    s_run_t run;
    if (s_start (&run, "cache-bytes", "    reply-cache-bytes = \"1000\"\n") && s_up (&run)) {
        zframe_t *first = s_health (&run, "first");
        harness_sleep_ms (5);
        zframe_t *again = s_health (&run, "first");
        harness_check (&run, first && again, "no reply to broker.Health");
        harness_check (&run, s_same (first, again), "a resend right away was not answered from the cache");
        //  About three times the bound in other replies pushes "first" out.
        size_t size = first? zframe_size (first): 100;
        size_t others = 3000 / (size? size: 1) + 1;
        zframe_t *last = NULL;
        char id [32];
        for (size_t i = 0; i < others; i++) {
            zframe_destroy (&last);
            snprintf (id, sizeof id, "other-%zu", i);
            last = s_health (&run, id);
        }
        harness_sleep_ms (5);
        zframe_t *last_again = s_health (&run, id);
        harness_check (&run, s_same (last, last_again), "the latest reply (%s) was not kept within the bound", id);
        zframe_t *late = s_health (&run, "first");
        harness_check (&run, late && first && !s_same (first, late),
                 "a reply was still cached after %zu bytes of newer replies, over reply-cache-bytes = 1000",
                 others * size);
        zframe_destroy (&first);
        zframe_destroy (&again);
        zframe_destroy (&last);
        zframe_destroy (&last_again);
        zframe_destroy (&late);
    }
    s_finish (&run);
}
END_TEST

START_TEST (test_cache_age)
{
    s_run_t run;
    if (s_start (&run, "cache-age", "    reply-cache-ms = \"1000\"\n") && s_up (&run)) {
        zframe_t *first = s_health (&run, "aged");
        harness_sleep_ms (2500);
        zframe_t *late = s_health (&run, "aged");
        harness_check (&run, first && late, "no reply to broker.Health");
        harness_check (&run, first && late && !s_same (first, late),
                 "a reply 2.5 s old was still cached with reply-cache-ms = 1000");
        zframe_destroy (&first);
        zframe_destroy (&late);
    }
    s_finish (&run);
}
END_TEST

START_TEST (test_cache_bad_setting)
{
    s_run_t run;
    if (s_start (&run, "cache-setting", "    reply-cache-bytes = \"64MB\"\n")) {
        int status = harness_wait (run.broker, harness_scaled_ms (15000));
        harness_check (&run, status > 0, "the broker started with reply-cache-bytes = 64MB (status %d)", status);
        harness_check (&run, harness_log_contains (run.harness, "broker", "api/reply-cache-bytes"),
                 "the broker's log does not name api/reply-cache-bytes");
    }
    s_finish (&run);
}
END_TEST

Suite *
replycache_suite (void)
{
    Suite *suite = suite_create ("replycache");
    TCase *tc = tcase_create ("bounds");
    tcase_set_timeout (tc, CACHE_TEST_TIMEOUT * (harness_scaled_ms (1000) / 1000));
    tcase_add_test (tc, test_cache_bytes);
    tcase_add_test (tc, test_cache_age);
    tcase_add_test (tc, test_cache_bad_setting);
    suite_add_tcase (suite, tc);
    return suite;
}
