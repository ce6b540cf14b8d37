/*  test_producers: a service key publishes only as itself and only on its
    own streams (services/broker/producers.c; issue 12 item 4), with a real
    rcmq-broker and raw DEALERs on its ingest socket using the service keys
    `rcmqctl keys init` made.

    intake's key publishes intake events 1-2 as "intake-deadbeef"; then
    metrics' key tries to publish event 3 of that producer on stream intake
    (the attack the issue found: it was taken, and intake's real event 3
    was then dropped as a duplicate), and on stream intake as itself, and
    an event naming another producer than its batch. Each is answered
    REFUSED, naming the key and the stream, and logged with the key. Then
    metrics' own audit event and intake's real event 3 are ACKed; the
    intake stream read back from the replay socket holds exactly intake's
    three events. A key the table does not know ("tester") publishes only
    the streams config producers/tester names.
*/
#include "suites.h"
#include "harness.h"
#include "client.h"
#include "codec.h"
#include "transport.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PRODUCERS_CALL_MS       3000
#define PRODUCERS_TEST_TIMEOUT  90

typedef struct {
    harness_t *harness;
    harness_proc_t *broker;
    char ingest [64];
    char replay [64];
    char api [64];
    char *broker_key;
    zcert_t *admin;
    char failures [4096];
    int failed;
} s_run_t;

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

//  What the broker answered a PUBLISH: the command, the ACK's acked seq,
//  and a REFUSED's reason.
typedef struct {
    char command [16];
    uint64_t acked;
    char reason [512];
} s_answer_t;

//  Publishes count events (seq from `from`) of producer on stream, with
//  event producer event_producer (NULL: the batch's), keys "<tag><seq>".
static s_answer_t
s_publish (zsock_t *dealer, const char *producer, const char *event_producer, const char *stream,
           uint64_t from, size_t count, const char *tag)
{
    s_answer_t answer = { "", 0, "" };
    Event events [4], *pointers [4];
    char keys [4][32];
    for (size_t i = 0; i < count && i < 4; i++) {
        event__init (&events [i]);
        events [i].stream = (char *) stream;
        events [i].type = "claim_accepted";
        events [i].producer = (char *) (event_producer? event_producer: producer);
        events [i].producer_seq = from + i;
        snprintf (keys [i], sizeof keys [i], "%s%llu", tag, (unsigned long long) (from + i));
        events [i].key = keys [i];
        pointers [i] = &events [i];
    }
    PublishBatch batch = PUBLISH_BATCH__INIT;
    batch.producer = (char *) producer;
    batch.n_events = count;
    batch.events = pointers;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "PUBLISH");
    zframe_t *frame = codec_encode (&batch);
    zmsg_append (msg, &frame);
    zmsg_send (&msg, dealer);
    zmsg_t *reply = harness_recv (dealer, PRODUCERS_CALL_MS);
    char *command = reply? zmsg_popstr (reply): NULL;
    snprintf (answer.command, sizeof answer.command, "%s", command? command: "(none)");
    if (command && streq (command, "ACK")) {
        zframe_t *body = zmsg_pop (reply);
        PublishAck *ack = body? (PublishAck *) codec_decode_frame (&publish_ack__descriptor, body): NULL;
        answer.acked = ack? ack->acked_seq: 0;
        codec_free (ack);
        zframe_destroy (&body);
    }
    else
    if (command && streq (command, "REFUSED")) {
        char *reason = zmsg_popstr (reply);
        snprintf (answer.reason, sizeof answer.reason, "%s", reason? reason: "");
        free (reason);
    }
    free (command);
    zmsg_destroy (&reply);
    return answer;
}

typedef struct {
    char keys [512];
    size_t count;
} s_read_t;

static bool
s_on_event (const Event *event, void *arg)
{
    s_read_t *read = (s_read_t *) arg;
    size_t used = strlen (read->keys);
    snprintf (read->keys + used, sizeof read->keys - used, "%s%s", used? ",": "", event->key);
    read->count++;
    return true;
}

START_TEST (test_producer_streams)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.harness = harness_new ("producers");
    static const char *names [] = { "tester", NULL };
    bool ready = run.harness && harness_keys (run.harness, names) == 0 && harness_config (run.harness)
              && harness_config_append (run.harness, "producers\n    tester = \"alpha\"\n") == 0;
    harness_check (&run, ready, "cannot make keys or config");
    const char *keys = ready? harness_path (run.harness, "keys"): NULL;
    zcert_t *intake = keys? transport_load_secret (keys, "intake"): NULL;
    zcert_t *metrics = keys? transport_load_secret (keys, "metrics"): NULL;
    zcert_t *tester = keys? transport_load_secret (keys, "tester"): NULL;
    if (ready) {
        harness_config_value (run.harness, "broker", "ingest", run.ingest, sizeof run.ingest);
        harness_config_value (run.harness, "broker", "replay", run.replay, sizeof run.replay);
        harness_config_value (run.harness, "broker", "api", run.api, sizeof run.api);
        run.broker_key = transport_load_public_key (keys, "broker");
        run.admin = transport_load_secret (keys, "admin");
        ready = intake && metrics && tester && run.broker_key && run.admin;
        harness_check (&run, ready, "keys missing");
    }
    if (ready) {
        run.broker = harness_spawn_service (run.harness, "broker");
        ready = run.broker && harness_wait_until (s_answers, &run, harness_scaled_ms (15000), 100);
        harness_check (&run, ready, "the broker did not come up");
        //  tester is a service of its own: granted in the registry.
        ready = ready && harness_grant_services (run.harness, names) == 0;
        harness_check (&run, ready, "granting tester failed");
    }
    if (ready) {
        zsock_t *as_intake = harness_dealer (run.ingest, run.broker_key, intake);
        zsock_t *as_metrics = harness_dealer (run.ingest, run.broker_key, metrics);
        zsock_t *as_tester = harness_dealer (run.ingest, run.broker_key, tester);

        s_answer_t a = s_publish (as_intake, "intake-deadbeef", NULL, "intake", 1, 2, "REAL");
        harness_check (&run, streq (a.command, "ACK") && a.acked == 2, "intake's events 1-2: %s acked %llu %s",
                 a.command, (unsigned long long) a.acked, a.reason);

        //  The attack: metrics' key speaks for intake's producer.
        a = s_publish (as_metrics, "intake-deadbeef", NULL, "intake", 3, 1, "FAKE");
        harness_check (&run, streq (a.command, "REFUSED") && strstr (a.reason, "metrics"),
                 "metrics' key publishing as intake-deadbeef: %s %s", a.command, a.reason);
        a = s_publish (as_metrics, "metrics-0001", NULL, "intake", 1, 1, "FAKE");
        harness_check (&run, streq (a.command, "REFUSED") && strstr (a.reason, "metrics") && strstr (a.reason, "'intake'"),
                 "metrics' key publishing on stream intake: %s %s", a.command, a.reason);
        a = s_publish (as_metrics, "metrics-0001", "intake-deadbeef", "audit", 1, 1, "FAKE");
        harness_check (&run, streq (a.command, "REFUSED"),
                 "metrics' batch with an event of producer intake-deadbeef: %s %s", a.command, a.reason);
        //  What metrics may do, it still can.
        a = s_publish (as_metrics, "metrics-0001", NULL, "audit", 1, 1, "AUDIT");
        harness_check (&run, streq (a.command, "ACK") && a.acked == 1, "metrics' own audit event: %s acked %llu %s",
                 a.command, (unsigned long long) a.acked, a.reason);
        //  intake's real event 3 is new, not a duplicate of the refused one.
        a = s_publish (as_intake, "intake-deadbeef", NULL, "intake", 3, 1, "REAL");
        harness_check (&run, streq (a.command, "ACK") && a.acked == 3, "intake's event 3: %s acked %llu %s",
                 a.command, (unsigned long long) a.acked, a.reason);
        a = s_publish (as_intake, "intake-deadbeef", NULL, "claims", 4, 1, "FAKE");
        harness_check (&run, streq (a.command, "REFUSED"), "intake's key on stream claims: %s", a.command);

        //  A key the table does not know: what config names, nothing else.
        a = s_publish (as_tester, "tester-01", NULL, "alpha", 1, 1, "T");
        harness_check (&run, streq (a.command, "ACK") && a.acked == 1, "tester on alpha (configured): %s %s",
                 a.command, a.reason);
        a = s_publish (as_tester, "tester-01", NULL, "beta", 2, 1, "T");
        harness_check (&run, streq (a.command, "REFUSED"), "tester on beta (not configured): %s", a.command);
        a = s_publish (as_tester, "tester-01", NULL, "audit", 2, 1, "T");
        harness_check (&run, streq (a.command, "REFUSED"), "tester on audit (not configured): %s", a.command);

        s_read_t read;
        memset (&read, 0, sizeof read);
        int rc = harness_replay (run.replay, intake, run.broker_key, "intake", "claims-test", 100,
                                 PRODUCERS_CALL_MS, s_on_event, &read, NULL);
        harness_check (&run, rc == 0 && streq (read.keys, "REAL1,REAL2,REAL3"),
                 "stream intake holds '%s' (replay rc %d), expected intake's REAL1,REAL2,REAL3", read.keys, rc);
        harness_check (&run, harness_log_contains (run.harness, "broker", "batch refused")
                    && harness_log_contains (run.harness, "broker", zcert_public_txt (metrics))
                    && harness_log_contains (run.harness, "broker", "\"stream\":\"intake\""),
                 "the broker's log does not record the refusal with metrics' key and stream intake");
        zsock_destroy (&as_intake);
        zsock_destroy (&as_metrics);
        zsock_destroy (&as_tester);
    }
    zcert_destroy (&intake);
    zcert_destroy (&metrics);
    zcert_destroy (&tester);
    zcert_destroy (&run.admin);
    free (run.broker_key);
    if (run.harness)
        harness_destroy (&run.harness, run.failed > 0);
    ck_assert_msg (run.failed == 0, "%d check(s) failed:\n%s", run.failed, run.failures);
}
END_TEST

Suite *
producers_suite (void)
{
    Suite *suite = suite_create ("producers");
    TCase *tc = tcase_create ("streams");
    tcase_set_timeout (tc, PRODUCERS_TEST_TIMEOUT * (harness_scaled_ms (1000) / 1000));
    tcase_add_test (tc, test_producer_streams);
    suite_add_tcase (suite, tc);
    return suite;
}
