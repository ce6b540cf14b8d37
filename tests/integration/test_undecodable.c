/*  test_undecodable: an event whose payload does not decode as the message
    its stream and type carry stops the stream of every service that
    consumes it, with a problem naming the stream and the seq (issue 13
    item 1, docs/adr/0016). Before, rcmq-claims logged such an
    intake.claim_accepted and moved past it, and rcmq-metrics dropped it
    without a word: the claim vanished from the ledger and the figures.

    A real broker, rcmq-claims and rcmq-metrics. Raw DEALERs on the
    broker's ingest socket, with intake's and claims' own keys (the broker
    takes each stream only from its producer's key), publish
    intake.claim_accepted #1 and claims.adjudicated #1 with bytes that are
    no protobuf message. Then `rcmqctl status --json` must show:
      - claims: stream_stopped, subject intake, seq 1, "does not decode";
      - metrics: the same for intake #1, and for claims #1;
    and both services' offsets of those streams still 0.
*/
#include "suites.h"
#include "harness.h"
#include "codec.h"
#include "transport.h"

#include <jansson.h>
#include <string.h>

#define UNDECODABLE_CALL_MS  3000

typedef struct {
    harness_t *harness;
    harness_proc_t *procs [4];
    char failures [4096];
    int failed;
} s_run_t;

static const char *const s_names [] = { "broker", "claims", "metrics", NULL };

//  A field 1 of wire type 7 (none exists): no protobuf parser takes it.
static const uint8_t s_garbage [] = { 0x0f, 0xff, 0xff, 0xff };

//  Publishes event #1 of producer on stream as type, with the garbage
//  payload; true when the broker acked it.
static bool
s_publish (zsock_t *dealer, const char *producer, const char *stream, const char *type)
{
    Event event = EVENT__INIT;
    event.stream = (char *) stream;
    event.type = (char *) type;
    event.producer = (char *) producer;
    event.producer_seq = 1;
    event.key = "P-UNDECODABLE";
    event.payload.data = (uint8_t *) s_garbage;
    event.payload.len = sizeof s_garbage;
    Event *events [1] = { &event };
    PublishBatch batch = PUBLISH_BATCH__INIT;
    batch.producer = (char *) producer;
    batch.n_events = 1;
    batch.events = events;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "PUBLISH");
    zframe_t *frame = codec_encode (&batch);
    zmsg_append (msg, &frame);
    zmsg_send (&msg, dealer);
    zmsg_t *reply = harness_recv (dealer, UNDECODABLE_CALL_MS);
    char *command = reply? zmsg_popstr (reply): NULL;
    bool acked = command && streq (command, "ACK");
    free (command);
    zmsg_destroy (&reply);
    return acked;
}

//  The problem stream_stopped of process name on stream, from a status.
static json_t *
s_stopped (json_t *status, const char *name, const char *stream)
{
    json_t *problems = json_object_get (harness_status_process (status, name), "problems");
    size_t index;
    json_t *problem;
    json_array_foreach (problems, index, problem)
        if (streq (json_string_value (json_object_get (problem, "code")) ?: "", "stream_stopped")
        &&  streq (json_string_value (json_object_get (problem, "subject")) ?: "", stream))
            return problem;
    return NULL;
}

typedef struct {
    s_run_t *run;
    json_t *status;             //  the last status read
} s_wait_t;

static bool
s_all_stopped (void *arg)
{
    s_wait_t *wait = (s_wait_t *) arg;
    json_decref (wait->status);
    wait->status = harness_status (wait->run->harness);
    return s_stopped (wait->status, "claims", "intake")
        && s_stopped (wait->status, "metrics", "intake")
        && s_stopped (wait->status, "metrics", "claims");
}

static void
s_check_problem (s_run_t *run, json_t *status, const char *name, const char *stream)
{
    json_t *problem = s_stopped (status, name, stream);
    const char *message = json_string_value (json_object_get (problem, "message"));
    harness_check (run, problem != NULL, "%s: no stream_stopped problem for stream %s", name, stream);
    harness_check (run, json_integer_value (json_object_get (problem, "seq")) == 1,
                   "%s: stream %s stopped at seq %lld, expected 1", name, stream,
                   (long long) json_integer_value (json_object_get (problem, "seq")));
    harness_check (run, message && strstr (message, "does not decode"),
                   "%s: the problem of stream %s does not say the payload does not decode: %s",
                   name, stream, message? message: "(none)");
    harness_check (run, harness_consumed (run->harness, name, stream) == 0,
                   "%s: offset of stream %s moved past the undecodable event", name, stream);
}

START_TEST (test_undecodable_stops_stream)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.harness = harness_new ("undecodable");
    bool ready = run.harness && harness_keys (run.harness, NULL) == 0 && harness_config (run.harness)
              && harness_config_append (run.harness,
                                        "claims\n    api = \"tcp://127.0.0.1:%d\"\n"
                                        "metrics\n    api = \"tcp://127.0.0.1:%d\"\n",
                                        harness_free_port (), harness_free_port ()) == 0;
    harness_check (&run, ready, "cannot make keys or config");
    ready = ready && harness_start_services (run.harness, s_names, run.procs, harness_scaled_ms (30000));
    harness_check (&run, ready, "broker, claims and metrics did not come up");
    if (ready) {
        const char *keys = harness_path (run.harness, "keys");
        char ingest [64];
        harness_config_value (run.harness, "broker", "ingest", ingest, sizeof ingest);
        char *broker_key = transport_load_public_key (keys, "broker");
        zcert_t *intake = transport_load_secret (keys, "intake");
        zcert_t *claims = transport_load_secret (keys, "claims");
        zsock_t *as_intake = harness_dealer (ingest, broker_key, intake);
        zsock_t *as_claims = harness_dealer (ingest, broker_key, claims);
        harness_check (&run, s_publish (as_intake, "intake-0bad", "intake", "claim_accepted"),
                       "the broker did not take intake.claim_accepted #1");
        harness_check (&run, s_publish (as_claims, "claims-0bad", "claims", "adjudicated"),
                       "the broker did not take claims.adjudicated #1");
        s_wait_t wait = { &run, NULL };
        harness_check (&run, harness_wait_until (s_all_stopped, &wait, harness_scaled_ms (20000), 250),
                       "claims and metrics did not stop their streams on the undecodable events");
        s_check_problem (&run, wait.status, "claims", "intake");
        s_check_problem (&run, wait.status, "metrics", "intake");
        s_check_problem (&run, wait.status, "metrics", "claims");
        json_decref (wait.status);
        zsock_destroy (&as_intake);
        zsock_destroy (&as_claims);
        zcert_destroy (&intake);
        zcert_destroy (&claims);
        free (broker_key);
    }
    if (run.harness)
        harness_destroy (&run.harness, run.failed > 0);
    ck_assert_msg (run.failed == 0, "%d check(s) failed:\n%s", run.failed, run.failures);
}
END_TEST

Suite *
undecodable_suite (void)
{
    Suite *suite = suite_create ("undecodable");
    TCase *tc = tcase_create ("stream");
    tcase_set_timeout (tc, 90 * (harness_scaled_ms (1000) / 1000));
    tcase_add_test (tc, test_undecodable_stops_stream);
    suite_add_tcase (suite, tc);
    return suite;
}
