/*  test_auth: the request path with real processes (DESIGN §3, §4).

    Each test starts its own rcmq-broker and rcmq-intake (any service would
    do: the request path is the common one; the harness runs rcmq-audit,
    the access registry's owner, beside them) in a temp dir with keys made
    by `rcmqctl keys init` / `keys add` and identities granted through the
    registry (harness_grant), and drives them with rcmqctl, with the
    client library (common/client.h) and with raw DEALER sockets for what a
    well-behaved client never sends:

      known_key        admin gets OK from both, by rcmqctl and by the library
      unknown_key      a key made with zcert that is not in keys/public gets
                       no service: rcmqctl fails with an error that says the
                       server refused our CURVE key; nothing is audited
      unknown_method   NOT_FOUND naming the method
      garbage          frames that are not Requests get INVALID_ARGUMENT and
                       crash nothing: api, ingest and replay sockets, plain
                       (non-CURVE) peers and raw TCP bytes included
      revoked          a key revoked in the access registry is refused within
                       ~1 s on a connection that was already open
                       (UNAUTHENTICATED) and new connections are refused at
                       the handshake
      permission       a vendor-agent calling broker.Status or
                       intake.Submit gets PERMISSION_DENIED, while
                       intake.Health is OK for it
      body_type        a body that is not the method's type gets
                       INVALID_ARGUMENT naming the type (intake.GetBatch,
                       queue.SetPhase)
      reply_cache      resending a request id returns the same reply bytes
                       and runs the handler once (one audit record)

    and in each, every request the servers handled, allowed or refused, is
    found as an `audit.access` event on the broker's "audit" stream, fetched
    from the replay socket, with the outcome, method and actor expected.

    Failures are collected (harness_check) rather than asserted on the spot, so
    the processes are stopped and the logs' tails printed before Check
    reports them.
*/
#include "suites.h"
#include "harness.h"
#include "client.h"
#include "codec.h"
#include "transport.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define AUTH_TEST_TIMEOUT_S  120
#define AUTH_CALL_MS         2000

typedef struct {
    harness_t *harness;
    const char *config;
    const char *keys;
    harness_proc_t *broker;
    harness_proc_t *intake;
    char broker_api [64];
    char intake_api [64];
    char ingest [64];
    char replay [64];
    char *broker_key;
    char *intake_key;
    zcert_t *admin;
    zcert_t *service;           //  a service identity: only those reach the event sockets
    char failures [8192];
    int failed;
} s_run_t;

static int
s_keys_add (s_run_t *run, const char *name, const char *role, const char *team)
{
    char *argv [] = { (char *) harness_bin (run->harness, "cli/rcmqctl"), "keys", "add", (char *) name,
                      "--role", (char *) role, "--team", (char *) team, "--dir", (char *) run->keys, NULL };
    return harness_run (run->harness, "rcmqctl", argv, NULL, 20000);
}

static Reply *
s_call_as (s_run_t *run, zcert_t *cert, const char *endpoint, const char *server_key,
           const char *method, const void *body, char *error, size_t error_size)
{
    client_t *client = client_new (endpoint, server_key, cert);
    client_set_timeout (client, harness_scaled_ms (AUTH_CALL_MS));
    client_set_retries (client, 0);
    Reply *reply = client_call (client, method, body);
    if (error)
        snprintf (error, error_size, "%s", reply? "": client_error (client));
    client_destroy (&client);
    return reply;
}

//  Both answer admin's Health with OK (after start-up: a loaded box may
//  briefly see intake's broker link as down, which is not what we test).
static bool
s_answering (s_run_t *run)
{
    Reply *broker = s_call_as (run, run->admin, run->broker_api, run->broker_key, "broker.Health", NULL, NULL, 0);
    Reply *intake = s_call_as (run, run->admin, run->intake_api, run->intake_key, "intake.Health", NULL, NULL, 0);
    bool ok = broker && intake && broker->status == STATUS__OK && intake->status == STATUS__OK;
    codec_free (broker);
    codec_free (intake);
    return ok;
}

static bool
s_both_up (void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    Reply *broker = s_call_as (run, run->admin, run->broker_api, run->broker_key, "broker.Health", NULL, NULL, 0);
    Reply *intake = broker? s_call_as (run, run->admin, run->intake_api, run->intake_key,
                                       "intake.Health", NULL, NULL, 0): NULL;
    bool up = broker && intake && broker->status == STATUS__OK && intake->status == STATUS__OK;
    if (up) {
        //  And intake's relay talks to the broker, so its audit records flow.
        HealthReply *health = (HealthReply *) codec_decode (&health_reply__descriptor,
                                                            intake->body.data, intake->body.len);
        up = health && health->broker_connected;
        codec_free (health);
    }
    codec_free (broker);
    codec_free (intake);
    return up;
}

//  Starts broker and intake with their own keys and config; extra
//  identities are (name, role, team) triples ending in NULL.
static bool
s_start (s_run_t *run, const char *tag, const char *const *identities)
{
    memset (run, 0, sizeof *run);
    run->harness = harness_new (tag);
    if (!run->harness || harness_keys (run->harness, NULL)) {
        harness_check (run, false, "cannot make keys");
        return false;
    }
    run->keys = harness_path (run->harness, "keys");
    run->config = harness_config (run->harness);
    if (!run->config
    ||  harness_config_append (run->harness, "intake\n    api = \"tcp://127.0.0.1:%d\"\n", harness_free_port ())) {
        harness_check (run, false, "cannot write config");
        return false;
    }
    harness_config_value (run->harness, "broker", "api", run->broker_api, sizeof run->broker_api);
    harness_config_value (run->harness, "broker", "ingest", run->ingest, sizeof run->ingest);
    harness_config_value (run->harness, "broker", "replay", run->replay, sizeof run->replay);
    harness_config_value (run->harness, "intake", "api", run->intake_api, sizeof run->intake_api);
    run->broker_key = transport_load_public_key (run->keys, "broker");
    run->intake_key = transport_load_public_key (run->keys, "intake");
    run->admin = transport_load_secret (run->keys, "admin");
    run->service = transport_load_secret (run->keys, "audit");
    if (!run->broker_key || !run->intake_key || !run->admin || !run->service
    ||  !*run->intake_api || !*run->replay) {
        harness_check (run, false, "keys or endpoints missing");
        return false;
    }
    run->broker = harness_spawn_service (run->harness, "broker");
    run->intake = harness_spawn_service (run->harness, "intake");
    bool up = run->broker && run->intake
           && harness_wait_until (s_both_up, run, harness_scaled_ms (15000), 100);
    harness_check (run, up, "broker and intake did not come up");
    //  Key files open nothing: each identity is granted through the
    //  access registry (admin asks, admin2 approves), as in a deployment.
    for (const char *const *entry = identities; up && entry && entry [0]; entry += 3) {
        bool vendor = strncmp (entry [1], "vendor-", 7) == 0;
        harness_check (run, s_keys_add (run, entry [0], entry [1], entry [2]) == 0
                          && harness_grant (run->harness, entry [0], entry [1], entry [2],
                                            vendor? "2099-12-31": NULL) == 0,
                       "granting %s (%s of %s) through the registry failed", entry [0], entry [1], entry [2]);
    }
    return up && run->failed == 0;
}

static void
s_finish (s_run_t *run)
{
    //  Alive at the end: nothing we sent crashed them.
    if (run->broker)
        harness_check (run, harness_running (run->broker), "the broker exited (status %d)", harness_wait (run->broker, 0));
    if (run->intake)
        harness_check (run, harness_running (run->intake), "intake exited (status %d)", harness_wait (run->intake, 0));
    zcert_destroy (&run->admin);
    zcert_destroy (&run->service);
    free (run->broker_key);
    free (run->intake_key);
    harness_destroy (&run->harness, run->failed > 0);
    ck_assert_msg (run->failed == 0, "%d check(s) failed:\n%s", run->failed, run->failures);
}

//  --------------------------------------------------------------------------
//  Raw sockets

//  Sends frame bytes as a one-frame message and returns the decoded Reply.
static Reply *
s_raw_bytes (zsock_t *dealer, const void *data, size_t size)
{
    zframe_t *frame = zframe_new (data, size);
    zframe_send (&frame, dealer, 0);
    zmsg_t *msg = harness_recv (dealer, AUTH_CALL_MS);
    zframe_t *first = msg? zmsg_first (msg): NULL;
    Reply *reply = first? (Reply *) codec_decode_frame (&reply__descriptor, first): NULL;
    zmsg_destroy (&msg);
    return reply;
}

//  A Request with our own id, so the audit record can be found by it.
static Reply *
s_raw_call (zsock_t *dealer, const char *id, const char *method, const uint8_t *body, size_t size)
{
    Request request = REQUEST__INIT;
    request.id = (char *) id;
    request.method = (char *) method;
    request.body.data = (uint8_t *) body;
    request.body.len = body? size: 0;
    size_t packed_size;
    uint8_t *packed = codec_pack (&request, &packed_size);
    Reply *reply = s_raw_bytes (dealer, packed, packed_size);
    free (packed);
    return reply;
}

//  --------------------------------------------------------------------------
//  The audit stream, from the broker's replay socket

typedef struct {
    char service [32];
    char method [96];
    char request_id [96];
    char actor_name [64];
    char actor_key [41];
    char role [32];
    char team [64];
    Status outcome;
    char message [256];
} s_access_t;

typedef struct {
    s_access_t *records;
    size_t count;
    size_t max;
} s_audit_read_t;

//  One event of the replay: an access record into the table, until full.
static bool
s_audit_add (const Event *event, void *arg)
{
    s_audit_read_t *read = (s_audit_read_t *) arg;
    if (!streq (event->type, "access"))
        return true;
    AccessEvent *access = (AccessEvent *) codec_decode (&access_event__descriptor,
                                                        event->payload.data, event->payload.len);
    if (!access)
        return true;
    s_access_t *record = &read->records [read->count++];
    snprintf (record->service, sizeof record->service, "%s", access->service);
    snprintf (record->method, sizeof record->method, "%s", access->method);
    snprintf (record->request_id, sizeof record->request_id, "%s", access->request_id);
    snprintf (record->actor_name, sizeof record->actor_name, "%s", access->actor_name);
    snprintf (record->actor_key, sizeof record->actor_key, "%s", access->actor_key);
    snprintf (record->role, sizeof record->role, "%s", access->role);
    snprintf (record->team, sizeof record->team, "%s", access->team);
    snprintf (record->message, sizeof record->message, "%s", access->message);
    record->outcome = access->outcome;
    codec_free (access);
    return read->count < read->max;
}

//  Every access record on the "audit" stream now. Returns the count.
static size_t
s_audit_fetch (s_run_t *run, s_access_t *records, size_t max)
{
    s_audit_read_t read = { records, 0, max };
    harness_replay (run->replay, run->service, run->broker_key, "audit", "test-auth",
                    1000, AUTH_CALL_MS, s_audit_add, &read, NULL);
    return read.count;
}

//  What a record must say; NULL / -1 fields are not compared.
typedef struct {
    const char *service;
    const char *method;
    const char *request_id;
    const char *actor_name;
    const char *actor_key;
    const char *role;
    int outcome;
} s_expect_t;

static size_t
s_audit_matches (const s_access_t *records, size_t count, const s_expect_t *expect)
{
    size_t matches = 0;
    for (size_t i = 0; i < count; i++) {
        const s_access_t *r = &records [i];
        if ((expect->service && !streq (r->service, expect->service))
        ||  (expect->method && !streq (r->method, expect->method))
        ||  (expect->request_id && !streq (r->request_id, expect->request_id))
        ||  (expect->actor_name && !streq (r->actor_name, expect->actor_name))
        ||  (expect->actor_key && !streq (r->actor_key, expect->actor_key))
        ||  (expect->role && !streq (r->role, expect->role))
        ||  (expect->outcome >= 0 && (int) r->outcome != expect->outcome))
            continue;
        matches++;
    }
    return matches;
}

#define AUDIT_MAX 512

typedef struct {
    s_run_t *run;
    const s_expect_t *expects;      //  ends with service == NULL && method == NULL
    s_access_t *records;
    size_t count;
} s_audit_wait_t;

static bool
s_audit_all_there (void *arg)
{
    s_audit_wait_t *wait = (s_audit_wait_t *) arg;
    wait->count = s_audit_fetch (wait->run, wait->records, AUDIT_MAX);
    for (const s_expect_t *e = wait->expects; e->service || e->method; e++)
        if (s_audit_matches (wait->records, wait->count, e) == 0)
            return false;
    return true;
}

//  Checks that each expectation has at least one record (the services'
//  records reach the broker through their outbox relays, so we wait).
static void
s_check_audit (s_run_t *run, const s_expect_t *expects)
{
    s_access_t *records = (s_access_t *) calloc (AUDIT_MAX, sizeof (s_access_t));
    s_audit_wait_t wait = { run, expects, records, 0 };
    harness_wait_until (s_audit_all_there, &wait, harness_scaled_ms (6000), 200);
    for (const s_expect_t *e = expects; e->service || e->method; e++)
        harness_check (run, s_audit_matches (records, wait.count, e) > 0,
                 "no audit.access record with service=%s method=%s id=%s actor=%s role=%s outcome=%s (of %zu records)",
                 e->service? e->service: "*", e->method? e->method: "*",
                 e->request_id? e->request_id: "*", e->actor_name? e->actor_name: "*",
                 e->role? e->role: "*", e->outcome >= 0? codec_status_name ((Status) e->outcome): "*",
                 wait.count);
    free (records);
}

//  rcmqctl --config F [--as NAME] status --json; returns the exit code and
//  the parsed output (caller decrefs).
static int
s_rcmqctl_status (s_run_t *run, const char *as, json_t **json)
{
    char *argv [12];
    int argc = 0;
    argv [argc++] = (char *) harness_bin (run->harness, "cli/rcmqctl");
    argv [argc++] = "--config";
    argv [argc++] = (char *) run->config;
    if (as) {
        argv [argc++] = "--as";
        argv [argc++] = (char *) as;
    }
    argv [argc++] = "status";
    argv [argc++] = "--json";
    argv [argc] = NULL;
    char *output = NULL;
    int rc = harness_run (run->harness, "rcmqctl", argv, &output, harness_scaled_ms (30000));
    *json = output? json_loads (output, 0, NULL): NULL;
    free (output);
    return rc;
}

static const char *
s_json_text (json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text? text: "";
}

//  --------------------------------------------------------------------------

START_TEST (test_known_key)
{
    s_run_t run;
    if (s_start (&run, "auth-known", NULL)) {
        json_t *json = NULL;
        s_rcmqctl_status (&run, NULL, &json);
        harness_check (&run, json != NULL, "rcmqctl status --json printed no JSON");
        json_t *broker = harness_status_process (json, "broker");
        json_t *intake = harness_status_process (json, "intake");
        harness_check (&run, json_is_true (json_object_get (broker, "up")),
                 "rcmqctl status: broker not up: %s", s_json_text (broker, "error"));
        harness_check (&run, json_is_true (json_object_get (intake, "up")),
                 "rcmqctl status: intake not up: %s", s_json_text (intake, "error"));
        json_decref (json);

        zsock_t *dealer = harness_dealer (run.intake_api, run.intake_key, run.admin);
        Reply *reply = s_raw_call (dealer, "known-1", "intake.Health", NULL, 0);
        harness_check (&run, reply && reply->status == STATUS__OK, "intake.Health as admin: %s",
                 reply? codec_status_name (reply->status): "no reply");
        harness_check (&run, reply && streq (reply->id, "known-1"), "the reply does not carry the request id");
        codec_free (reply);
        zsock_destroy (&dealer);

        char *admin_key = transport_load_public_key (run.keys, "admin");
        s_expect_t expects [] = {
            { "intake", "intake.Health", "known-1", "admin", admin_key, "admin", STATUS__OK },
            { "broker", "broker.Status", NULL, "admin", admin_key, "admin", STATUS__OK },
            { NULL, NULL, NULL, NULL, NULL, NULL, -1 }
        };
        s_check_audit (&run, expects);
        free (admin_key);

        //  A person's key, even admin's, does not reach the event sockets:
        //  the replay socket's handshake refuses it, so a FETCH gets nothing.
        zsock_t *replay = harness_dealer (run.replay, run.broker_key, run.admin);
        FetchRequest fetch = FETCH_REQUEST__INIT;
        fetch.stream = "audit";
        fetch.from_seq = 1;
        fetch.max_events = 10;
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, "FETCH");
        zframe_t *frame = codec_encode (&fetch);
        zmsg_append (msg, &frame);
        zmsg_send (&msg, replay);
        zmsg_t *answer = harness_recv (replay, 1500);
        harness_check (&run, answer == NULL, "admin's key read the audit stream from the broker's replay socket");
        zmsg_destroy (&answer);
        zsock_destroy (&replay);
    }
    s_finish (&run);
}
END_TEST

START_TEST (test_unknown_key)
{
    s_run_t run;
    if (s_start (&run, "auth-unknown", NULL)) {
        //  A key the deployment never heard of: its secret where rcmqctl
        //  --as looks, nothing in keys/public.
        zcert_t *stranger = zcert_new ();
        zcert_set_meta (stranger, "name", "stranger");
        zcert_set_meta (stranger, "role", "admin");
        zcert_set_meta (stranger, "team", "internal");
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/secret/stranger.cert_secret", run.keys);
        harness_check (&run, zcert_save_secret (stranger, path) == 0, "cannot save %s", path);

        json_t *json = NULL;
        int rc = s_rcmqctl_status (&run, "stranger", &json);
        harness_check (&run, rc != 0, "rcmqctl --as stranger status exited 0");
        const char *names [] = { "broker", "intake" };
        for (int i = 0; i < 2; i++) {
            json_t *process = harness_status_process (json, names [i]);
            harness_check (&run, process && json_is_false (json_object_get (process, "up")),
                     "rcmqctl --as stranger: %s reported up", names [i]);
            const char *error = s_json_text (process, "error");
            harness_check (&run, strstr (error, "CURVE key") != NULL,
                     "rcmqctl --as stranger: %s's error does not say the key was the problem: '%s'",
                     names [i], error);
        }
        json_decref (json);

        //  The library says plainly the server refused the key.
        char error [512];
        Reply *reply = s_call_as (&run, stranger, run.intake_api, run.intake_key, "intake.Health",
                                  NULL, error, sizeof error);
        harness_check (&run, reply == NULL, "intake answered an unknown key (%s)",
                 reply? codec_status_name (reply->status): "");
        harness_check (&run, strstr (error, "refused our CURVE key") != NULL,
                 "client error for an unknown key: '%s'", error);
        codec_free (reply);
        //  Nor do raw sockets get anything out of the api, ingest or replay.
        const char *endpoints [] = { run.broker_api, run.ingest, run.replay };
        for (int i = 0; i < 3; i++) {
            zsock_t *dealer = harness_dealer (endpoints [i], run.broker_key, stranger);
            zstr_sendm (dealer, "FETCH");
            zstr_send (dealer, "");
            zmsg_t *answer = harness_recv (dealer, 1000);
            harness_check (&run, answer == NULL, "%s answered an unknown key", endpoints [i]);
            zmsg_destroy (&answer);
            zsock_destroy (&dealer);
        }
        harness_check (&run, harness_log_contains (run.harness, "intake", "the key is not in the access registry"),
                 "intake's log does not record the refused key");
        //  Known keys are still served, and the stranger left no record
        //  (it never got as far as a request).
        harness_check (&run, s_answering (&run), "broker or intake stopped answering admin");
        s_expect_t expects [] = {
            { "intake", "intake.Health", NULL, "admin", NULL, NULL, STATUS__OK },
            { NULL, NULL, NULL, NULL, NULL, NULL, -1 }
        };
        s_check_audit (&run, expects);
        s_access_t *records = (s_access_t *) calloc (AUDIT_MAX, sizeof (s_access_t));
        size_t count = s_audit_fetch (&run, records, AUDIT_MAX);
        s_expect_t by_stranger = { NULL, NULL, NULL, NULL, zcert_public_txt (stranger), NULL, -1 };
        harness_check (&run, count > 0 && s_audit_matches (records, count, &by_stranger) == 0,
                 "audit records for the stranger's key (%zu records)", count);
        free (records);
        zcert_destroy (&stranger);
    }
    s_finish (&run);
}
END_TEST

START_TEST (test_unknown_method)
{
    s_run_t run;
    if (s_start (&run, "auth-method", NULL)) {
        zsock_t *intake = harness_dealer (run.intake_api, run.intake_key, run.admin);
        zsock_t *broker = harness_dealer (run.broker_api, run.broker_key, run.admin);
        Reply *reply = s_raw_call (intake, "method-1", "intake.NoSuchThing", NULL, 0);
        harness_check (&run, reply && reply->status == STATUS__NOT_FOUND, "intake.NoSuchThing: %s",
                 reply? codec_status_name (reply->status): "no reply");
        harness_check (&run, reply && strstr (reply->message, "intake.NoSuchThing"),
                 "NOT_FOUND does not name the method: '%s'", reply? reply->message: "");
        codec_free (reply);
        reply = s_raw_call (intake, "method-2", "", NULL, 0);
        harness_check (&run, reply && reply->status == STATUS__NOT_FOUND, "empty method: %s",
                 reply? codec_status_name (reply->status): "no reply");
        codec_free (reply);
        //  Another service's method is not this one's.
        reply = s_raw_call (intake, "method-3", "broker.Status", NULL, 0);
        harness_check (&run, reply && reply->status == STATUS__NOT_FOUND, "broker.Status at intake: %s",
                 reply? codec_status_name (reply->status): "no reply");
        codec_free (reply);
        reply = s_raw_call (broker, "method-4", "broker.Nope", NULL, 0);
        harness_check (&run, reply && reply->status == STATUS__NOT_FOUND, "broker.Nope: %s",
                 reply? codec_status_name (reply->status): "no reply");
        codec_free (reply);
        zsock_destroy (&intake);
        zsock_destroy (&broker);

        s_expect_t expects [] = {
            { "intake", "intake.NoSuchThing", "method-1", "admin", NULL, NULL, STATUS__NOT_FOUND },
            { "intake", "", "method-2", "admin", NULL, NULL, STATUS__NOT_FOUND },
            { "intake", "broker.Status", "method-3", "admin", NULL, NULL, STATUS__NOT_FOUND },
            { "broker", "broker.Nope", "method-4", "admin", NULL, NULL, STATUS__NOT_FOUND },
            { NULL, NULL, NULL, NULL, NULL, NULL, -1 }
        };
        s_check_audit (&run, expects);
    }
    s_finish (&run);
}
END_TEST

//  Sends raw bytes to a loopback TCP endpoint and closes.
static void
s_tcp_junk (const char *endpoint, const void *data, size_t size)
{
    const char *colon = strrchr (endpoint, ':');
    int sock = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_port = htons ((uint16_t) atoi (colon + 1));
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (sock >= 0 && connect (sock, (struct sockaddr *) &address, sizeof address) == 0) {
        ssize_t sent = write (sock, data, size);
        (void) sent;
        harness_sleep_ms (50);
    }
    if (sock >= 0)
        close (sock);
}

START_TEST (test_garbage)
{
    s_run_t run;
    if (s_start (&run, "auth-garbage", NULL)) {
        uint8_t junk [4096];
        for (size_t i = 0; i < sizeof junk; i++)
            junk [i] = (uint8_t) (i * 131 + 7);
        uint8_t ones [64];
        memset (ones, 0xff, sizeof ones);

        //  api sockets: what cannot be a Request is INVALID_ARGUMENT.
        const char *apis [] = { run.intake_api, run.broker_api };
        const char *keys [] = { run.intake_key, run.broker_key };
        for (int s = 0; s < 2; s++) {
            zsock_t *dealer = harness_dealer (apis [s], keys [s], run.admin);
            Reply *reply = s_raw_bytes (dealer, ones, sizeof ones);
            harness_check (&run, reply && reply->status == STATUS__INVALID_ARGUMENT,
                     "%s, 64 bytes of 0xff: %s", apis [s], reply? codec_status_name (reply->status): "no reply");
            harness_check (&run, reply && strstr (reply->message, "not an rcmq Request"),
                     "%s: INVALID_ARGUMENT does not say what was wrong: '%s'", apis [s], reply? reply->message: "");
            codec_free (reply);
            reply = s_raw_bytes (dealer, junk, sizeof junk);
            harness_check (&run, reply && reply->status == STATUS__INVALID_ARGUMENT,
                     "%s, 4 KB of junk: %s", apis [s], reply? codec_status_name (reply->status): "no reply");
            codec_free (reply);
            //  An empty frame is a valid empty Request: no method.
            reply = s_raw_bytes (dealer, "", 0);
            harness_check (&run, reply && reply->status == STATUS__NOT_FOUND,
                     "%s, empty frame: %s", apis [s], reply? codec_status_name (reply->status): "no reply");
            codec_free (reply);
            //  Several frames, a huge one, and a truncated Request.
            zmsg_t *msg = zmsg_new ();
            zmsg_addmem (msg, junk, 100);
            zmsg_addmem (msg, junk, 200);
            zmsg_addstr (msg, "third");
            zmsg_send (&msg, dealer);
            zmsg_t *answer = harness_recv (dealer, AUTH_CALL_MS);
            zmsg_destroy (&answer);
            size_t big_size = 4u << 20;
            uint8_t *big = (uint8_t *) malloc (big_size);
            for (size_t i = 0; i < big_size; i++)
                big [i] = (uint8_t) (i * 7 + 3);
            reply = s_raw_bytes (dealer, big, big_size);
            harness_check (&run, reply != NULL, "%s: no reply to a 4 MB junk frame", apis [s]);
            codec_free (reply);
            free (big);
            Request request = REQUEST__INIT;
            request.id = "truncated";
            request.method = "intake.Health";
            size_t size;
            uint8_t *packed = codec_pack (&request, &size);
            reply = s_raw_bytes (dealer, packed, size - 3);
            harness_check (&run, reply && reply->status == STATUS__INVALID_ARGUMENT,
                     "%s, truncated Request: %s", apis [s], reply? codec_status_name (reply->status): "no reply");
            codec_free (reply);
            free (packed);
            zsock_destroy (&dealer);
        }

        //  ingest and replay: junk commands, junk bodies, and PUBLISH
        //  batches a relay would never send.
        zsock_t *ingest = harness_dealer (run.ingest, run.broker_key, run.service);
        zsock_t *replay = harness_dealer (run.replay, run.broker_key, run.service);
        zsock_t *targets [] = { ingest, replay };
        for (int t = 0; t < 2; t++) {
            zmq_send (zsock_resolve (targets [t]), junk, 300, 0);
            zstr_sendm (targets [t], "PUBLISH");
            zmq_send (zsock_resolve (targets [t]), junk, 500, 0);
            zstr_sendm (targets [t], "FETCH");
            zmq_send (zsock_resolve (targets [t]), ones, sizeof ones, 0);
            zstr_sendm (targets [t], "HELLO");
            zmq_send (zsock_resolve (targets [t]), junk, 1000, 0);
            zstr_send (targets [t], "ACK");
        }
        char long_name [1200];
        memset (long_name, 'p', sizeof long_name - 1);
        long_name [sizeof long_name - 1] = 0;
        Event event = EVENT__INIT;
        Event *events [] = { &event };
        PublishBatch batch = PUBLISH_BATCH__INIT;
        batch.n_events = 1;
        batch.events = events;
        //  A producer name far longer than any key LMDB takes.
        batch.producer = long_name;
        event.producer = long_name;
        event.producer_seq = 1;
        event.stream = "junk";
        event.type = "t";
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, "PUBLISH");
        zframe_t *frame = codec_encode (&batch);
        zmsg_append (msg, &frame);
        zmsg_send (&msg, ingest);
        //  Stream names the log cannot take: too long, empty, with a dot.
        const char *bad_streams [] = { long_name, "", "a.b" };
        for (int i = 0; i < 3; i++) {
            batch.producer = "junk-producer";
            event.producer = "junk-producer";
            event.producer_seq = (uint64_t) i + 1;
            event.stream = (char *) bad_streams [i];
            msg = zmsg_new ();
            zmsg_addstr (msg, "PUBLISH");
            frame = codec_encode (&batch);
            zmsg_append (msg, &frame);
            zmsg_send (&msg, ingest);
        }
        FetchRequest fetch = FETCH_REQUEST__INIT;
        fetch.stream = long_name;
        fetch.from_seq = UINT64_MAX;
        msg = zmsg_new ();
        zmsg_addstr (msg, "FETCH");
        frame = codec_encode (&fetch);
        zmsg_append (msg, &frame);
        zmsg_send (&msg, replay);
        zmsg_t *answer = harness_recv (replay, AUTH_CALL_MS);
        harness_check (&run, answer != NULL, "replay did not answer a FETCH of a 1199-byte stream name");
        zmsg_destroy (&answer);
        harness_sleep_ms (300);
        zsock_destroy (&ingest);
        zsock_destroy (&replay);

        //  Peers that do not even speak CURVE, and bytes that are not ZMTP.
        zsock_t *plain = harness_dealer (run.intake_api, NULL, NULL);
        zstr_send (plain, "hello");
        answer = harness_recv (plain, 1000);
        harness_check (&run, answer == NULL, "intake answered a peer without CURVE");
        zmsg_destroy (&answer);
        zsock_destroy (&plain);
        const char *all [] = { run.intake_api, run.broker_api, run.ingest, run.replay };
        for (int i = 0; i < 4; i++) {
            s_tcp_junk (all [i], junk, sizeof junk);
            s_tcp_junk (all [i], "\xff\0\0\0\0\0\0\0\x01\x7f", 10);   //  a ZMTP greeting cut short
        }

        //  Everything still answers, and the broker never failed a commit
        //  (one bad batch must not sink a group commit of good ones).
        harness_check (&run, s_answering (&run), "broker or intake stopped answering after the garbage");
        harness_check (&run, !harness_log_contains (run.harness, "broker", "commit failed"),
                 "the broker failed a group commit because of a bad PUBLISH batch");
        s_expect_t expects [] = {
            { "intake", "", "", "admin", NULL, NULL, STATUS__INVALID_ARGUMENT },
            { "broker", "", "", "admin", NULL, NULL, STATUS__INVALID_ARGUMENT },
            { NULL, NULL, NULL, NULL, NULL, NULL, -1 }
        };
        s_check_audit (&run, expects);
    }
    s_finish (&run);
}
END_TEST

typedef struct {
    s_run_t *run;
    zsock_t *dealer;
    int sequence;
    Status status;
} s_revoke_wait_t;

static bool
s_refused (void *arg)
{
    s_revoke_wait_t *wait = (s_revoke_wait_t *) arg;
    char id [32];
    snprintf (id, sizeof id, "after-%d", ++wait->sequence);
    Reply *reply = s_raw_call (wait->dealer, id, "intake.Health", NULL, 0);
    wait->status = reply? reply->status: STATUS__UNKNOWN;
    codec_free (reply);
    return wait->status == STATUS__UNAUTHENTICATED;
}

START_TEST (test_revoked)
{
    s_run_t run;
    static const char *identities [] = { "temp", "admin", "internal", NULL };
    if (s_start (&run, "auth-revoked", identities)) {
        zcert_t *temp = transport_load_secret (run.keys, "temp");
        char *temp_key = transport_load_public_key (run.keys, "temp");
        zsock_t *dealer = harness_dealer (run.intake_api, run.intake_key, temp);
        Reply *reply = s_raw_call (dealer, "before", "intake.Health", NULL, 0);
        harness_check (&run, reply && reply->status == STATUS__OK, "intake.Health as temp before revocation: %s",
                 reply? codec_status_name (reply->status): "no reply");
        codec_free (reply);

        //  A leaver: revoked in the registry (deleting the key file
        //  would revoke nothing: ADR 21).
        int rc;
        char *revoke [] = { "--as", "admin", "access", "revoke", "temp", "--reason", "left", NULL };
        json_t *revoked = harness_ctl_json (run.harness, "rcmqctl", &rc, 20000, revoke);
        json_decref (revoked);
        harness_check (&run, rc == 0, "rcmqctl access revoke temp: exit %d", rc);
        uint64_t revoked_at = harness_now_ms ();
        s_revoke_wait_t wait = { &run, dealer, 0, STATUS__OK };
        bool refused = harness_wait_until (s_refused, &wait, harness_scaled_ms (3000), 50);
        uint64_t took = harness_now_ms () - revoked_at;
        harness_check (&run, refused, "the open connection still got %s 3 s after the key was revoked",
                 codec_status_name (wait.status));
        harness_check (&run, took <= (uint64_t) harness_scaled_ms (1200),
                 "the revocation took %" PRIu64 " ms to bite on an open connection", took);
        zsock_destroy (&dealer);

        //  A new connection with that key does not get past the handshake.
        char error [512];
        reply = s_call_as (&run, temp, run.intake_api, run.intake_key, "intake.Health", NULL, error, sizeof error);
        harness_check (&run, reply == NULL && strstr (error, "refused our CURVE key"),
                 "a new connection with a revoked key: %s",
                 reply? codec_status_name (reply->status): error);
        codec_free (reply);

        char id [32];
        snprintf (id, sizeof id, "after-%d", wait.sequence);
        s_expect_t expects [] = {
            { "intake", "intake.Health", "before", "temp", temp_key, "admin", STATUS__OK },
            //  Revoked: the key is still named, the identity is gone.
            { "intake", "intake.Health", id, "", temp_key, "", STATUS__UNAUTHENTICATED },
            { NULL, NULL, NULL, NULL, NULL, NULL, -1 }
        };
        s_check_audit (&run, expects);
        free (temp_key);
        zcert_destroy (&temp);
    }
    s_finish (&run);
}
END_TEST

START_TEST (test_permission)
{
    s_run_t run;
    static const char *identities [] = { "agent", "vendor-agent", "acme", NULL };
    if (s_start (&run, "auth-permission", identities)) {
        zcert_t *agent = transport_load_secret (run.keys, "agent");
        zsock_t *broker = harness_dealer (run.broker_api, run.broker_key, agent);
        Reply *reply = s_raw_call (broker, "perm-1", "broker.Status", NULL, 0);
        harness_check (&run, reply && reply->status == STATUS__PERMISSION_DENIED,
                 "broker.Status as vendor-agent: %s", reply? codec_status_name (reply->status): "no reply");
        harness_check (&run, reply && strstr (reply->message, "vendor-agent") && strstr (reply->message, "broker.read"),
                 "PERMISSION_DENIED does not name role and permission: '%s'", reply? reply->message: "");
        harness_check (&run, reply && reply->body.len == 0, "PERMISSION_DENIED came with a body");
        codec_free (reply);
        zsock_destroy (&broker);
        zsock_t *intake = harness_dealer (run.intake_api, run.intake_key, agent);
        reply = s_raw_call (intake, "perm-2", "intake.Health", NULL, 0);
        harness_check (&run, reply && reply->status == STATUS__OK, "intake.Health as vendor-agent: %s",
                 reply? codec_status_name (reply->status): "no reply");
        codec_free (reply);
        //  Submitting claims is internal work; refused before the body is read.
        reply = s_raw_call (intake, "perm-3", "intake.Submit", (const uint8_t *) "junk", 4);
        harness_check (&run, reply && reply->status == STATUS__PERMISSION_DENIED,
                 "intake.Submit as vendor-agent: %s", reply? codec_status_name (reply->status): "no reply");
        codec_free (reply);
        zsock_destroy (&intake);

        //  rcmqctl shows the refusal for what it is.
        json_t *json = NULL;
        int rc = s_rcmqctl_status (&run, "agent", &json);
        json_t *process = harness_status_process (json, "broker");
        harness_check (&run, rc != 0 && strstr (s_json_text (process, "error"), "PERMISSION_DENIED"),
                 "rcmqctl --as agent status: broker error '%s'", s_json_text (process, "error"));
        json_decref (json);

        s_expect_t expects [] = {
            { "broker", "broker.Status", "perm-1", "agent", NULL, "vendor-agent", STATUS__PERMISSION_DENIED },
            { "intake", "intake.Health", "perm-2", "agent", NULL, "vendor-agent", STATUS__OK },
            { "intake", "intake.Submit", "perm-3", "agent", NULL, "vendor-agent", STATUS__PERMISSION_DENIED },
            { NULL, NULL, NULL, NULL, NULL, NULL, -1 }
        };
        s_check_audit (&run, expects);
        s_access_t *records = (s_access_t *) calloc (AUDIT_MAX, sizeof (s_access_t));
        size_t count = s_audit_fetch (&run, records, AUDIT_MAX);
        s_expect_t denied = { "broker", "broker.Status", "perm-1", NULL, NULL, NULL, -1 };
        for (size_t i = 0; i < count; i++)
            if (s_audit_matches (&records [i], 1, &denied))
                harness_check (&run, streq (records [i].team, "acme"), "the record's team is '%s'", records [i].team);
        free (records);
        zcert_destroy (&agent);
    }
    s_finish (&run);
}
END_TEST

START_TEST (test_body_type)
{
    s_run_t run;
    if (s_start (&run, "auth-body", NULL)) {
        zsock_t *dealer = harness_dealer (run.intake_api, run.intake_key, run.admin);
        uint8_t ones [40];
        memset (ones, 0xff, sizeof ones);
        Reply *reply = s_raw_call (dealer, "body-1", "intake.GetBatch", ones, sizeof ones);
        harness_check (&run, reply && reply->status == STATUS__INVALID_ARGUMENT,
                 "intake.GetBatch with a junk body: %s", reply? codec_status_name (reply->status): "no reply");
        harness_check (&run, reply && strstr (reply->message, "BatchId"),
                 "INVALID_ARGUMENT does not name the type: '%s'", reply? reply->message: "");
        codec_free (reply);
        //  Field 1 of BatchId is a string; here it comes as a varint.
        uint8_t varint_one [] = { 0x08, 0x01 };     //  field 1 as a varint
        reply = s_raw_call (dealer, "body-2", "intake.GetBatch", varint_one, sizeof varint_one);
        harness_check (&run, reply && reply->status == STATUS__INVALID_ARGUMENT,
                 "intake.GetBatch with field 1 as a varint: %s", reply? codec_status_name (reply->status): "no reply");
        codec_free (reply);
        //  A Queue where queue.SetPhase wants a QueuePhaseRequest, cut short.
        reply = s_raw_call (dealer, "body-3", "queue.SetPhase", (const uint8_t *) "\x0a\x10short", 7);
        harness_check (&run, reply && reply->status == STATUS__INVALID_ARGUMENT,
                 "queue.SetPhase with a truncated body: %s", reply? codec_status_name (reply->status): "no reply");
        codec_free (reply);
        zsock_destroy (&dealer);
        s_expect_t expects [] = {
            { "intake", "intake.GetBatch", "body-1", "admin", NULL, NULL, STATUS__INVALID_ARGUMENT },
            { "intake", "intake.GetBatch", "body-2", "admin", NULL, NULL, STATUS__INVALID_ARGUMENT },
            { "intake", "queue.SetPhase", "body-3", "admin", NULL, NULL, STATUS__INVALID_ARGUMENT },
            { NULL, NULL, NULL, NULL, NULL, NULL, -1 }
        };
        s_check_audit (&run, expects);
    }
    s_finish (&run);
}
END_TEST

START_TEST (test_reply_cache)
{
    s_run_t run;
    static const char *identities [] = { "other", "admin", "internal", NULL };
    if (s_start (&run, "auth-cache", identities)) {
        zsock_t *dealer = harness_dealer (run.intake_api, run.intake_key, run.admin);
        Reply *first = s_raw_call (dealer, "cache-1", "intake.Health", NULL, 0);
        harness_sleep_ms (20);
        Reply *again = s_raw_call (dealer, "cache-1", "intake.Health", NULL, 0);
        harness_sleep_ms (20);
        Reply *fresh = s_raw_call (dealer, "cache-2", "intake.Health", NULL, 0);
        harness_check (&run, first && again && fresh, "no reply to a Health call");
        if (first && again && fresh) {
            //  HealthReply carries now_ms: the same bytes mean the same answer.
            harness_check (&run, first->body.len == again->body.len
                        && memcmp (first->body.data, again->body.data, first->body.len) == 0,
                     "resending request id cache-1 gave a different reply");
            harness_check (&run, fresh->body.len != first->body.len
                        || memcmp (fresh->body.data, first->body.data, first->body.len) != 0,
                     "a new request id was answered from the cache");
        }
        codec_free (first);
        codec_free (again);
        codec_free (fresh);
        //  A new connection of the same identity still gets the cached answer.
        zsock_destroy (&dealer);
        dealer = harness_dealer (run.intake_api, run.intake_key, run.admin);
        Reply *reconnected = s_raw_call (dealer, "cache-1", "intake.Health", NULL, 0);
        harness_check (&run, reconnected && reconnected->status == STATUS__OK, "cache-1 after reconnecting: %s",
                 reconnected? codec_status_name (reconnected->status): "no reply");
        codec_free (reconnected);
        zsock_destroy (&dealer);
        //  The cache is per caller: another key's cache-1 runs for real.
        zcert_t *other = transport_load_secret (run.keys, "other");
        dealer = harness_dealer (run.intake_api, run.intake_key, other);
        Reply *theirs = s_raw_call (dealer, "cache-1", "intake.Health", NULL, 0);
        harness_check (&run, theirs && theirs->status == STATUS__OK, "cache-1 as other: %s",
                 theirs? codec_status_name (theirs->status): "no reply");
        codec_free (theirs);
        zsock_destroy (&dealer);
        zcert_destroy (&other);

        s_expect_t expects [] = {
            { "intake", "intake.Health", "cache-2", "admin", NULL, NULL, STATUS__OK },
            { "intake", "intake.Health", "cache-1", "other", NULL, NULL, STATUS__OK },
            { NULL, NULL, NULL, NULL, NULL, NULL, -1 }
        };
        s_check_audit (&run, expects);
        //  The handler ran once for admin's cache-1, however often it came.
        s_access_t *records = (s_access_t *) calloc (AUDIT_MAX, sizeof (s_access_t));
        size_t count = s_audit_fetch (&run, records, AUDIT_MAX);
        s_expect_t once = { "intake", "intake.Health", "cache-1", "admin", NULL, NULL, -1 };
        size_t matches = s_audit_matches (records, count, &once);
        harness_check (&run, matches == 1, "admin's cache-1 was audited %zu times, expected once", matches);
        free (records);
    }
    s_finish (&run);
}
END_TEST

Suite *
auth_suite (void)
{
    Suite *suite = suite_create ("auth");
    TCase *tcase = tcase_create ("request path");
    tcase_set_timeout (tcase, AUTH_TEST_TIMEOUT_S * (harness_scaled_ms (1000) / 1000));
    tcase_add_test (tcase, test_known_key);
    tcase_add_test (tcase, test_unknown_key);
    tcase_add_test (tcase, test_unknown_method);
    tcase_add_test (tcase, test_garbage);
    tcase_add_test (tcase, test_revoked);
    tcase_add_test (tcase, test_permission);
    tcase_add_test (tcase, test_body_type);
    tcase_add_test (tcase, test_reply_cache);
    suite_add_tcase (suite, tcase);
    return suite;
}
