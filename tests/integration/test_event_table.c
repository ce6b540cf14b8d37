/*  test_event_table: events reach services through their event tables
    (common/consumer.h, docs/adr/0016), with real processes. Raw DEALERs
    on the broker's ingest socket publish events with the producers' own
    keys (the broker takes each stream only from its producer's key).

    undecodable: an event whose payload does not decode as the message its
    stream and type carry stops the stream of every service that consumes
    it, with a problem naming the stream and the seq (issue 13 item 1).
    Before, rcmq-claims logged such an intake.claim_accepted and moved
    past it, and rcmq-metrics dropped it without a word: the claim vanished
    from the ledger and the figures. A real broker, rcmq-claims and
    rcmq-metrics; intake.claim_accepted #1 and claims.adjudicated #1 are
    bytes that are no protobuf message. `rcmqctl status --json` must show:
      - claims: stream_stopped, subject intake, seq 1, "does not decode";
      - metrics: the same for intake #1, and for claims #1;
    and both services' offsets of those streams still 0.

    no_pcn: an intake.claim_accepted and a claims.adjudicated that decode
    but name no PCN stop the streams the same way, the problem naming the
    stream, type and seq ("intake.claim_accepted #1 names no PCN"). Before,
    claims logged and skipped the first and metrics skipped both: the
    charge and the payment left no trace in the ledger or the figures.
    (An intake.claim_rejected without a PCN is what intake says of a claim
    whose CLM01 is missing: metrics keeps passing it over.)

    denials: claims.denied events of two claims (one denied twice, by
    events that name no remit) published as claims; then denials.List
    answers one denial per claim and remit, state new, with the latest
    denial's reasons, category and total and the count of events, in
    priority order, a page of one at a time linked by next_after (an id),
    `rcmqctl --json denials list` the same, and a vendor out of the
    claims' queue's scope sees none.
*/
#include "suites.h"
#include "harness.h"
#include "client.h"
#include "codec.h"
#include "transport.h"
#include "claims.pb-c.h"
#include "denials.pb-c.h"
#include "intake.pb-c.h"

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

//  Publishes event #seq of producer on stream as type, with the payload;
//  true when the broker acked it.
static bool
s_publish (zsock_t *dealer, const char *producer, uint64_t seq, const char *stream, const char *type,
           const uint8_t *payload, size_t size)
{
    Event event = EVENT__INIT;
    event.stream = (char *) stream;
    event.type = (char *) type;
    event.producer = (char *) producer;
    event.producer_seq = seq;
    event.key = "P-EVENTS";
    event.payload.data = (uint8_t *) payload;
    event.payload.len = size;
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
s_check_problem (s_run_t *run, json_t *status, const char *name, const char *stream, const char *says)
{
    json_t *problem = s_stopped (status, name, stream);
    const char *message = json_string_value (json_object_get (problem, "message"));
    harness_check (run, problem != NULL, "%s: no stream_stopped problem for stream %s", name, stream);
    harness_check (run, json_integer_value (json_object_get (problem, "seq")) == 1,
                   "%s: stream %s stopped at seq %lld, expected 1", name, stream,
                   (long long) json_integer_value (json_object_get (problem, "seq")));
    harness_check (run, message && strstr (message, says),
                   "%s: the problem of stream %s does not say \"%s\": %s",
                   name, stream, says, message? message: "(none)");
    harness_check (run, harness_consumed (run->harness, name, stream) == 0,
                   "%s: offset of stream %s moved past the event it cannot apply", name, stream);
}

//  A broker, claims and metrics; intake.claim_accepted #1 and
//  claims.adjudicated #1 published with these payloads (by the producers'
//  keys); each service must stop each stream it consumes at #1 with a
//  problem that says intake_says / claims_says, its offset still 0.
static void
s_check_stops (const char *name, const uint8_t *accepted, size_t accepted_size, const uint8_t *adjudicated,
               size_t adjudicated_size, const char *intake_says, const char *claims_says)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.harness = harness_new (name);
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
        harness_check (&run, s_publish (as_intake, "intake-0bad", 1, "intake", "claim_accepted",
                                        accepted, accepted_size),
                       "the broker did not take intake.claim_accepted #1");
        harness_check (&run, s_publish (as_claims, "claims-0bad", 1, "claims", "adjudicated",
                                        adjudicated, adjudicated_size),
                       "the broker did not take claims.adjudicated #1");
        s_wait_t wait = { &run, NULL };
        harness_check (&run, harness_wait_until (s_all_stopped, &wait, harness_scaled_ms (20000), 250),
                       "claims and metrics did not stop their streams on the events they cannot apply");
        s_check_problem (&run, wait.status, "claims", "intake", intake_says);
        s_check_problem (&run, wait.status, "metrics", "intake", intake_says);
        s_check_problem (&run, wait.status, "metrics", "claims", claims_says);
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

START_TEST (test_undecodable_stops_stream)
{
    s_check_stops ("event-table", s_garbage, sizeof s_garbage, s_garbage, sizeof s_garbage,
                   "does not decode", "does not decode");
}
END_TEST

//  --------------------------------------------------------------------------
//  no_pcn: a claim event that decodes but names no claim stops the stream

START_TEST (test_no_pcn_stops_stream)
{
    //  Sound messages, every field but the PCN: a charge, a payment.
    ClaimAccepted accepted = CLAIM_ACCEPTED__INIT;
    accepted.claim_id = "B1-1";
    accepted.charge_cents = 12500;
    ClaimEvent adjudicated = CLAIM_EVENT__INIT;
    adjudicated.to_status = "paid";
    adjudicated.paid_cents = 12500;
    adjudicated.delta_paid_cents = 12500;
    size_t accepted_size, adjudicated_size;
    uint8_t *accepted_bytes = codec_pack (&accepted, &accepted_size);
    uint8_t *adjudicated_bytes = codec_pack (&adjudicated, &adjudicated_size);
    s_check_stops ("event-table-pcn", accepted_bytes, accepted_size, adjudicated_bytes, adjudicated_size,
                   "intake.claim_accepted #1 names no PCN", "claims.adjudicated #1 names no PCN");
    free (accepted_bytes);
    free (adjudicated_bytes);
}
END_TEST

//  --------------------------------------------------------------------------
//  denials: claims.denied opens a work item

//  A claims.denied of pcn in queue Q-DEN (internal phase), reason carc.
static bool
s_deny (zsock_t *dealer, uint64_t seq, const char *pcn, const char *carc, int64_t cents)
{
    ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
    dims.payer_id = "87726";
    dims.queue = "Q-DEN";
    dims.phase = "internal";
    dims.owner_team = "internal-ar";
    DenialReason reason = DENIAL_REASON__INIT;
    reason.group = "CO";
    reason.carc = (char *) carc;
    reason.amount_cents = cents;
    reason.category = "coding";
    DenialReason *reasons [1] = { &reason };
    ClaimEvent claim = CLAIM_EVENT__INIT;
    claim.pcn = (char *) pcn;
    claim.dims = &dims;
    claim.to_status = "denied";
    claim.time_ms = 1764000000000ULL + seq;
    claim.denied_cents = cents;
    claim.n_denials = 1;
    claim.denials = reasons;
    size_t size;
    uint8_t *packed = codec_pack (&claim, &size);
    bool acked = s_publish (dealer, "claims-0den", seq, "claims", "denied", packed, size);
    free (packed);
    return acked;
}

typedef struct {
    client_t *client;
    DenialList *list;           //  the last answer
    Status status;
} s_list_t;

static void
s_list (s_list_t *list, const char *after, uint32_t limit)
{
    codec_free (list->list);
    list->list = NULL;
    DenialListRequest request = DENIAL_LIST_REQUEST__INIT;
    request.after = (char *) after;
    request.limit = limit;
    Reply *reply = client_call (list->client, "denials.List", &request);
    list->status = reply? reply->status: STATUS__UNAVAILABLE;
    if (reply && reply->status == STATUS__OK)
        list->list = (DenialList *) codec_decode (&denial_list__descriptor, reply->body.data, reply->body.len);
    codec_free (reply);
}

static bool
s_two_items (void *arg)
{
    s_list_t *list = (s_list_t *) arg;
    s_list (list, "", 0);
    return list->list && list->list->n_denials == 3
        && list->list->denials [0]->denial_count + list->list->denials [1]->denial_count == 3;
}

START_TEST (test_denied_opens_item)
{
    static const char *const names [] = { "broker", "denials", NULL };
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.harness = harness_new ("event-table-denials");
    char api [64] = "";
    bool ready = run.harness && harness_keys (run.harness, NULL) == 0 && harness_config (run.harness);
    if (ready) {
        snprintf (api, sizeof api, "tcp://127.0.0.1:%d", harness_free_port ());
        ready = harness_config_append (run.harness, "denials\n    api = \"%s\"\n", api) == 0;
        char *argv [] = { (char *) harness_bin (run.harness, "cli/rcmqctl"), "keys", "add", "acme-agent",
                          "--role", "vendor-agent", "--team", "acme-billing",
                          "--dir", (char *) harness_path (run.harness, "keys"), NULL };
        ready = ready && harness_run (run.harness, "rcmqctl", argv, NULL, harness_scaled_ms (20000)) == 0;
    }
    harness_check (&run, ready, "cannot make keys or config");
    ready = ready && harness_start_services (run.harness, names, run.procs, harness_scaled_ms (30000));
    harness_check (&run, ready, "broker and denials did not come up");
    //  The key file opens nothing: the agent is granted in the registry.
    ready = ready && harness_grant (run.harness, "acme-agent", "vendor-agent", "acme-billing", "2099-12-31") == 0;
    harness_check (&run, ready, "granting acme-agent failed");
    if (ready) {
        const char *keys = harness_path (run.harness, "keys");
        char ingest [64];
        harness_config_value (run.harness, "broker", "ingest", ingest, sizeof ingest);
        char *broker_key = transport_load_public_key (keys, "broker");
        char *denials_key = transport_load_public_key (keys, "denials");
        zcert_t *claims = transport_load_secret (keys, "claims");
        zcert_t *admin = transport_load_secret (keys, "admin");
        zcert_t *vendor = transport_load_secret (keys, "acme-agent");
        zsock_t *as_claims = harness_dealer (ingest, broker_key, claims);
        harness_check (&run, s_deny (as_claims, 1, "P-A", "16", 5000)
                          && s_deny (as_claims, 2, "P-B", "50", 7000)
                          && s_deny (as_claims, 3, "P-A", "197", 6000)
                          && s_deny (as_claims, 4, "P-C", "ZZ9", 100),
                       "the broker did not take the claims.denied events");
        s_list_t list = { client_new (api, denials_key, admin), NULL, STATUS__OK };
        harness_check (&run, harness_wait_until (s_two_items, &list, harness_scaled_ms (20000), 250),
                       "denials.List did not answer the three items (status %d, %zu items)",
                       (int) list.status, list.list? list.list->n_denials: 0);
        //  One denial per claim and remit (these events name no remit, so
        //  P-A's two are one), highest priority first: the deadlines (90
        //  days from late 2025) passed, so priority is the cents at stake.
        DenialItem **items = list.list? list.list->denials: NULL;
        if (items && list.list->n_denials == 3) {
            harness_check (&run, streq (items [1]->pcn, "P-A") && streq (items [1]->state, "new")
                              && items [1]->denial_count == 2 && items [1]->denied_cents == 6000
                              && items [1]->n_reasons == 1 && streq (items [1]->reasons [0]->carc, "197")
                              && streq (items [1]->category, "authorization") && streq (items [1]->team, "front_desk")
                              && items [1]->opened_ms == 1764000000001ULL
                              && items [1]->updated_ms == 1764000000003ULL
                              && streq (items [1]->id, "DEN-0000000001") && *items [1]->work_item,
                           "P-A: %s %s, %u denials, %lld cents, opened %llu", items [1]->pcn, items [1]->state,
                           items [1]->denial_count, (long long) items [1]->denied_cents,
                           (unsigned long long) items [1]->opened_ms);
            harness_check (&run, streq (items [0]->pcn, "P-B") && items [0]->denial_count == 1
                              && items [0]->denied_cents == 7000 && items [0]->priority == 7000
                              && streq (items [0]->category, "medical_necessity")
                              && streq (list.list->next_after, ""),
                           "P-B: %s, %u denials, %lld cents, priority %lld, next_after '%s'", items [0]->pcn,
                           items [0]->denial_count, (long long) items [0]->denied_cents,
                           (long long) items [0]->priority, list.list->next_after);
            //  A CARC the table does not know: other, counted, never dropped.
            harness_check (&run, streq (items [2]->pcn, "P-C") && streq (items [2]->category, "other")
                              && !items [2]->carc_known && list.list->unknown_carc_total == 1,
                           "P-C (CARC ZZ9): %s, category %s, known %d, unknown counted %llu", items [2]->pcn,
                           items [2]->category, items [2]->carc_known,
                           (unsigned long long) list.list->unknown_carc_total);
        }
        s_list (&list, "", 1);
        harness_check (&run, list.list && list.list->n_denials == 1 && streq (list.list->denials [0]->pcn, "P-B")
                          && streq (list.list->next_after, "DEN-0000000002"),
                       "a page of one: first P-B with next_after DEN-0000000002");
        s_list (&list, "DEN-0000000002", 1);
        harness_check (&run, list.list && list.list->n_denials == 1 && streq (list.list->denials [0]->pcn, "P-A")
                          && streq (list.list->next_after, "DEN-0000000001"),
                       "the page after P-B: P-A, with more after it");
        s_list (&list, "DEN-0000000001", 1);
        harness_check (&run, list.list && list.list->n_denials == 1 && streq (list.list->denials [0]->pcn, "P-C")
                          && streq (list.list->next_after, ""),
                       "the page after P-A: P-C, and the last");
        //  rcmqctl's group: the reply as JSON.
        char *args [] = { "denials", "list", "--limit", "1", NULL };
        int ctl_rc;
        json_t *json = harness_ctl_json (run.harness, "rcmqctl", &ctl_rc, 20000, args);
        json_t *first = json_array_get (json_object_get (json, "denials"), 0);
        harness_check (&run, ctl_rc == 0 && json_array_size (json_object_get (json, "denials")) == 1
                          && streq (json_string_value (json_object_get (first, "pcn")) ?: "", "P-B")
                          && json_integer_value (json_object_get (first, "denial_count")) == 1
                          && streq (json_string_value (json_object_get (json, "next_after")) ?: "", "DEN-0000000002"),
                       "rcmqctl --json denials list --limit 1 (exit %d) is not P-B with next_after DEN-0000000002", ctl_rc);
        json_decref (json);
        s_list (&list, "", 5000);
        harness_check (&run, list.status == STATUS__INVALID_ARGUMENT, "limit 5000 answered %d", (int) list.status);
        client_destroy (&list.client);
        //  Q-DEN is internal: a vendor agent sees no item of it.
        list.client = vendor? client_new (api, denials_key, vendor): NULL;
        if (list.client)
            s_list (&list, "", 0);
        harness_check (&run, list.list && list.list->n_denials == 0,
                       "the vendor agent acme-agent sees %zu items of an internal queue", list.list? list.list->n_denials: 0);
        codec_free (list.list);
        client_destroy (&list.client);
        zsock_destroy (&as_claims);
        zcert_destroy (&claims);
        zcert_destroy (&admin);
        zcert_destroy (&vendor);
        free (broker_key);
        free (denials_key);
    }
    if (run.harness)
        harness_destroy (&run.harness, run.failed > 0);
    ck_assert_msg (run.failed == 0, "%d check(s) failed:\n%s", run.failed, run.failures);
}
END_TEST

Suite *
event_table_suite (void)
{
    Suite *suite = suite_create ("event_table");
    TCase *tc = tcase_create ("dispatch");
    tcase_set_timeout (tc, 90 * (harness_scaled_ms (1000) / 1000));
    tcase_add_test (tc, test_undecodable_stops_stream);
    tcase_add_test (tc, test_no_pcn_stops_stream);
    tcase_add_test (tc, test_denied_opens_item);
    suite_add_tcase (suite, tc);
    return suite;
}
