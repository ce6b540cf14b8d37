/*  test_access: rcmq-audit owns the access registry (issue 14, ADR 19),
    with real processes: the broker and rcmq-audit, rcmqctl as three people.

    Keys: `keys init` (admin and admin2), then alice and bob (new
    internal billers) with `keys add`: key files only, credentials. audit
    enters admin and admin2 at its first start (audit/admins' default).

    two_admins: admin asks for alice's grant (`access request --json` gives
    the request's id); admin approving its own request is refused (exit 1)
    and alice stays requested; admin2 approves, and `access list --json`
    shows alice active, requested_by admin, approved_by admin2; admin
    revokes her and the list shows her revoked. Every step is a
    RegistryEvent on the `access` stream, read back from the broker's
    replay socket: alice's requested, request_refused (action approve,
    actor admin), granted (approver admin2) and revoked (actor admin), in
    that order, and the two admins' bootstrapped events. Revoking an empty
    name is refused (exit 1) without a store failure. A certificate made
    under admin2's name with another key (`forged`) cannot approve bob's
    grant: the registry knows its people by key, so rcmq-audit refuses the
    key at the connection (ADR 21) and no event names it. A review the two admins
    confirm for each other ends with both still active. admin2 denies
    bob's request: `access history bob` holds it, decided by admin2, and
    bob is revoked.

    enforcement (ADR 21), with all seven processes: a key written into the
    keys directory without a grant (`keys add mallory --role admin`) is
    refused by every process's api and by the broker's replay socket,
    while admin is admitted by all; leo, granted through the registry
    (harness_grant: admin requests, admin2 approves), is revoked while
    his connections to all seven are open, and the next request on each
    is refused UNAUTHENTICATED within 1 s (the delays are printed); new
    connections are refused at the handshake; a service key revoked with
    its replay connection open gets no more answers. A vendor-lead moved from
    acme to globex can no longer confirm acme's agent (NOT_FOUND, its
    scope); the review's end suspends the agent no one confirmed, whom
    every process then refuses.
*/
#include "suites.h"
#include "harness.h"
#include "client.h"
#include "codec.h"
#include "transport.h"
#include "access.pb-c.h"

#include <jansson.h>
#include <stdarg.h>
#include <string.h>

#define ACCESS_CALL_MS 10000
#define ACCESS_MAX_EVENTS 64

typedef struct {
    harness_t *harness;
    harness_proc_t *procs [3];
    char failures [4096];
    int failed;
} s_run_t;

static const char *const s_names [] = { "broker", "audit", NULL };

//  rcmqctl --json --as AS ARGS..., its exit code in *rc.
static json_t *
s_ctl (s_run_t *run, int *rc, const char *as, ...)
{
    char *list [28] = { "--as", (char *) as };
    size_t count = 2;
    va_list args;
    va_start (args, as);
    char *arg;
    while ((arg = va_arg (args, char *)) && count < 27)
        list [count++] = arg;
    va_end (args);
    list [count] = NULL;
    return harness_ctl_json (run->harness, "rcmqctl", rc, ACCESS_CALL_MS, list);
}

//  alice's identity in `access list --json` as admin, or NULL (decref
//  *list after use).
static json_t *
s_alice (s_run_t *run, json_t **list)
{
    int rc;
    *list = s_ctl (run, &rc, "admin", "access", "list", NULL);
    harness_check (run, rc == 0 && *list, "access list --json failed (exit %d)", rc);
    json_t *identities = json_object_get (*list, "identities");
    harness_check (run, json_is_array (identities), "access list --json has no identities array");
    size_t index;
    json_t *identity;
    json_array_foreach (identities, index, identity)
        if (streq (json_string_value (json_object_get (identity, "name")) ?: "", "alice"))
            return identity;
    return NULL;
}

static const char *
s_field (json_t *object, const char *name)
{
    return json_string_value (json_object_get (object, name)) ?: "(none)";
}

//  What the `access` stream said, in order.
typedef struct {
    char type [40];
    char subject [64];
    char actor [256];
    char approver [64];
    char action [32];
} s_event_t;

typedef struct {
    s_event_t events [ACCESS_MAX_EVENTS];
    size_t count;
} s_events_t;

static bool
s_on_event (const Event *event, void *arg)
{
    s_events_t *read = (s_events_t *) arg;
    RegistryEvent *registry = (RegistryEvent *) codec_decode (&registry_event__descriptor,
                                                              event->payload.data, event->payload.len);
    if (registry && read->count < ACCESS_MAX_EVENTS) {
        s_event_t *e = &read->events [read->count++];
        snprintf (e->type, sizeof e->type, "%s", event->type);
        snprintf (e->subject, sizeof e->subject, "%s", registry->subject);
        snprintf (e->actor, sizeof e->actor, "%s", registry->actor);
        snprintf (e->approver, sizeof e->approver, "%s", registry->approver);
        snprintf (e->action, sizeof e->action, "%s", registry->action);
    }
    codec_free (registry);
    return read->count < ACCESS_MAX_EVENTS;
}

typedef struct {
    s_run_t *run;
    s_events_t *read;
} s_wait_t;

//  The stream, read again from seq 1: done once alice's revoke is there.
static bool
s_revoke_seen (void *arg)
{
    s_wait_t *wait = (s_wait_t *) arg;
    const char *keys = harness_path (wait->run->harness, "keys");
    char replay [64];
    harness_config_value (wait->run->harness, "broker", "replay", replay, sizeof replay);
    char *broker_key = transport_load_public_key (keys, "broker");
    zcert_t *reader = transport_load_secret (keys, "metrics");
    memset (wait->read, 0, sizeof *wait->read);
    harness_replay (replay, reader, broker_key, "access", "test-access", 100, ACCESS_CALL_MS,
                    s_on_event, wait->read, NULL);
    zcert_destroy (&reader);
    free (broker_key);
    for (size_t i = 0; i < wait->read->count; i++)
        if (streq (wait->read->events [i].type, "revoked") && streq (wait->read->events [i].subject, "alice"))
            return true;
    return false;
}

static void
s_check_events (s_run_t *run)
{
    s_events_t read = { .count = 0 };
    s_wait_t wait = { run, &read };
    harness_check (run, harness_wait_until (s_revoke_seen, &wait, harness_scaled_ms (15000), 250),
                   "alice's revoke never reached the access stream (%zu events read)", read.count);
    //  alice's events, in order, with who acted.
    static const struct {
        const char *type, *actor, *approver, *action;
    } expected [] = {
        { "requested",       "admin", "",       "" },
        { "request_refused", "admin", "",       "approve" },
        { "granted",         NULL,    "admin2", "" },
        { "revoked",         "admin", "",       "" },
    };
    size_t next = 0;
    bool admins [2] = { false, false };
    bool forged = false;        //  an event by the forged key: it never got in
    for (size_t i = 0; i < read.count; i++) {
        const s_event_t *e = &read.events [i];
        if (streq (e->type, "bootstrapped"))
            for (int a = 0; a < 2; a++)
                admins [a] |= streq (e->subject, a? "admin2": "admin");
        forged |= strstr (e->actor, "admin2 (") == e->actor || streq (e->actor, "forged");
        if (!streq (e->subject, "alice"))
            continue;
        bool match = next < sizeof expected / sizeof expected [0]
                  && streq (e->type, expected [next].type)
                  && (!expected [next].actor || streq (e->actor, expected [next].actor))
                  && streq (e->approver, expected [next].approver)
                  && (!*expected [next].action || streq (e->action, expected [next].action));
        harness_check (run, match, "access event %zu of alice is %s (actor '%s', approver '%s', action '%s'), expected %s",
                       next + 1, e->type, e->actor, e->approver, e->action,
                       next < sizeof expected / sizeof expected [0]? expected [next].type: "none");
        next++;
    }
    harness_check (run, next == sizeof expected / sizeof expected [0],
                   "the access stream holds %zu events of alice, expected %zu", next,
                   sizeof expected / sizeof expected [0]);
    harness_check (run, admins [0] && admins [1], "the access stream lacks a bootstrapped event of admin or admin2");
    harness_check (run, !forged, "the access stream has an event by the forged admin2 key: it should not get in at all");
}

START_TEST (test_two_admins)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.harness = harness_new ("access");
    bool ready = run.harness && harness_keys (run.harness, NULL) == 0 && harness_config (run.harness);
    //  alice and bob: key files only (`keys add` grants nothing; `keys
    //  init` made admin and admin2).
    static const char *const people [][2] = { { "alice", "internal-biller" }, { "bob", "internal-biller" } };
    for (size_t i = 0; ready && i < 2; i++) {
        char *add [] = { (char *) harness_bin (run.harness, "cli/rcmqctl"), "keys", "add",
                         (char *) people [i][0], "--role", (char *) people [i][1],
                         "--dir", (char *) harness_path (run.harness, "keys"), NULL };
        ready = harness_run (run.harness, "rcmqctl", add, NULL, 20000) == 0;
    }
    harness_check (&run, ready, "cannot make keys or config");
    ready = ready && harness_start_services (run.harness, s_names, run.procs, harness_scaled_ms (30000));
    harness_check (&run, ready, "broker and audit did not come up");
    if (ready) {
        int rc;
        json_t *asked = s_ctl (&run, &rc, "admin", "access", "request", "alice",
                               "--role", "internal-biller", "--team", "internal", NULL);
        json_int_t request = json_integer_value (json_object_get (asked, "request"));
        harness_check (&run, rc == 0 && request > 0, "access request --json: exit %d, request %lld", rc,
                       (long long) request);
        char id [32];
        snprintf (id, sizeof id, "%lld", (long long) request);
        json_decref (asked);

        //  The requester cannot be the second person.
        json_t *self_approved = s_ctl (&run, &rc, "admin", "access", "approve", id, NULL);
        harness_check (&run, rc == 1, "admin approving its own request: exit %d, expected 1", rc);
        json_decref (self_approved);
        json_t *list;
        json_t *alice = s_alice (&run, &list);
        harness_check (&run, alice && streq (s_field (alice, "status"), "requested"),
                       "after the refused self-approval alice is %s, expected requested",
                       alice? s_field (alice, "status"): "absent");
        json_decref (list);

        json_t *approved = s_ctl (&run, &rc, "admin2", "access", "approve", id, NULL);
        harness_check (&run, rc == 0, "admin2 approving admin's request: exit %d", rc);
        json_decref (approved);
        alice = s_alice (&run, &list);
        harness_check (&run, alice && streq (s_field (alice, "status"), "active")
                          && streq (s_field (alice, "role"), "internal-biller")
                          && streq (s_field (alice, "team"), "internal")
                          && streq (s_field (alice, "requested_by"), "admin")
                          && streq (s_field (alice, "approved_by"), "admin2")
                          && json_is_null (json_object_get (alice, "valid_until")),
                       "after admin2's approval alice is %s, %s/%s, requested_by %s, approved_by %s",
                       s_field (alice, "status"), s_field (alice, "role"), s_field (alice, "team"),
                       s_field (alice, "requested_by"), s_field (alice, "approved_by"));
        json_decref (list);

        json_t *revoked = s_ctl (&run, &rc, "admin", "access", "revoke", "alice", "--reason", "left", NULL);
        harness_check (&run, rc == 0, "admin revoking alice: exit %d", rc);
        json_decref (revoked);
        alice = s_alice (&run, &list);
        harness_check (&run, alice && streq (s_field (alice, "status"), "revoked"),
                       "after the revoke alice is %s, expected revoked", alice? s_field (alice, "status"): "absent");
        json_decref (list);

        //  A certificate that claims admin2's name with another key is
        //  no one: the registry knows admin2 by its key, and no server
        //  admits a key it does not hold (ADR 21).
        json_t *asked_bob = s_ctl (&run, &rc, "admin", "access", "request", "bob",
                                   "--role", "internal-biller", "--team", "internal", NULL);
        snprintf (id, sizeof id, "%lld", (long long) json_integer_value (json_object_get (asked_bob, "request")));
        json_decref (asked_bob);
        zcert_t *forged = zcert_new ();
        zcert_set_meta (forged, "name", "admin2");
        zcert_set_meta (forged, "role", "admin");
        zcert_set_meta (forged, "team", "internal");
        zcert_save_public (forged, harness_path (run.harness, "keys/public/forged.cert"));
        zcert_save (forged, harness_path (run.harness, "keys/secret/forged.cert"));
        zcert_destroy (&forged);
        json_t *forged_approval = s_ctl (&run, &rc, "forged", "access", "approve", id, NULL);
        harness_check (&run, rc == 1 && harness_log_contains (run.harness, "rcmqctl", "refused our CURVE key"),
                       "a forged admin2 certificate approving bob: exit %d, expected 1 with the key refused", rc);
        json_decref (forged_approval);
        json_t *bob = NULL;
        json_t *identities = json_object_get ((s_alice (&run, &list), list), "identities");
        size_t index;
        json_t *identity;
        json_array_foreach (identities, index, identity)
            if (streq (s_field (identity, "name"), "bob"))
                bob = identity;
        harness_check (&run, bob && streq (s_field (bob, "status"), "requested"),
                       "after the forged approval bob is %s, expected requested", bob? s_field (bob, "status"): "absent");
        json_decref (list);

        //  A name that is no one is refused as unknown, not a store
        //  failure (LMDB takes no empty key).
        json_t *nobody = s_ctl (&run, &rc, "admin", "access", "revoke", "", "--reason", "typo", NULL);
        harness_check (&run, rc == 1 && !harness_log_contains (run.harness, "rcmqctl", "store write failed"),
                       "revoking an empty name: exit %d, or a store failure (logs/rcmqctl.log)", rc);
        json_decref (nobody);

        //  A review: the admins confirm each other; the end suspends no one.
        json_t *started = s_ctl (&run, &rc, "admin", "access", "review", "start", "--until", "2099-01-01", NULL);
        harness_check (&run, rc == 0 && json_object_get (started, "review"), "access review start: exit %d", rc);
        json_decref (started);
        json_t *status = s_ctl (&run, &rc, "admin2", "access", "review", "status", NULL);
        json_t *entries = json_object_get (json_object_get (status, "review"), "entries");
        bool both = false;
        for (size_t e = 0, seen = 0; e < json_array_size (entries); e++) {
            const char *name = s_field (json_array_get (entries, e), "name");
            seen += streq (name, "admin") || streq (name, "admin2");
            both = seen == 2;
        }
        harness_check (&run, rc == 0 && both, "access review status: exit %d, admin and admin2 %s in the review",
                       rc, both? "both": "not both");
        json_decref (status);
        json_t *confirmed = s_ctl (&run, &rc, "admin", "access", "review", "confirm", "admin2", NULL);
        harness_check (&run, rc == 0, "admin confirming admin2: exit %d", rc);
        json_decref (confirmed);
        confirmed = s_ctl (&run, &rc, "admin2", "access", "review", "confirm", "admin", NULL);
        harness_check (&run, rc == 0, "admin2 confirming admin: exit %d", rc);
        json_decref (confirmed);
        json_t *ended = s_ctl (&run, &rc, "admin", "access", "review", "end", NULL);
        harness_check (&run, rc == 0, "access review end: exit %d", rc);
        json_decref (ended);
        json_t *after = s_ctl (&run, &rc, "admin", "access", "list", NULL);
        json_t *ids = json_object_get (after, "identities");
        for (size_t e = 0; e < json_array_size (ids); e++) {
            json_t *entry = json_array_get (ids, e);
            if (streq (s_field (entry, "role"), "admin"))
                harness_check (&run, streq (s_field (entry, "status"), "active"),
                               "confirmed admin %s is %s after the review", s_field (entry, "name"),
                               s_field (entry, "status"));
        }
        json_decref (after);

        //  bob's request is denied by the second admin; his history holds it.
        json_t *denied = s_ctl (&run, &rc, "admin2", "access", "deny", id, NULL);
        harness_check (&run, rc == 0, "admin2 denying bob's request: exit %d", rc);
        json_decref (denied);
        json_t *history = s_ctl (&run, &rc, "admin", "access", "history", "bob", NULL);
        json_t *requests = json_object_get (history, "requests");
        json_t *last = json_array_get (requests, json_array_size (requests) - 1);
        harness_check (&run, rc == 0 && json_array_size (requests) == 1
                          && streq (s_field (last, "requested_by"), "admin")
                          && streq (s_field (last, "decided_by"), "admin2")
                          && streq (s_field (json_object_get (history, "identity"), "status"), "revoked"),
                       "access history bob: exit %d, %zu requests, the last by %s decided by %s, bob %s", rc,
                       json_array_size (requests), s_field (last, "requested_by"), s_field (last, "decided_by"),
                       s_field (json_object_get (history, "identity"), "status"));
        json_decref (history);

        s_check_events (&run);
    }
    if (run.harness)
        harness_destroy (&run.harness, run.failed > 0);
    ck_assert_msg (run.failed == 0, "%d check(s) failed:\n%s", run.failed, run.failures);
}
END_TEST

//  --------------------------------------------------------------------------
//  enforcement: every process decides with the registry (ADR 21)

static const char *const s_every [] = {
    "broker", "intake", "claims", "denials", "inquiry", "audit", "metrics", NULL
};

//  NAME.Health on every process's api as cert, on one client per process
//  (clients [i], made on first use and kept: its connection stays open).
//  Into statuses [i]: the reply's status, or -1 when the key was refused
//  at the connection (ZAP).
static void
s_health_all (s_run_t *run, zcert_t *cert, client_t **clients, int *statuses)
{
    const char *keys = harness_path (run->harness, "keys");
    for (size_t i = 0; s_every [i]; i++) {
        if (!clients [i]) {
            char endpoint [128];
            harness_config_value (run->harness, s_every [i], "api", endpoint, sizeof endpoint);
            char *server_key = transport_load_public_key (keys, s_every [i]);
            clients [i] = client_new (endpoint, server_key, cert);
            client_set_timeout (clients [i], harness_scaled_ms (3000));
            client_set_retries (clients [i], 0);
            free (server_key);
        }
        char method [64];
        snprintf (method, sizeof method, "%s.Health", s_every [i]);
        Reply *reply = client_call (clients [i], method, NULL);
        statuses [i] = reply? (int) reply->status: -1;
        codec_free (reply);
    }
}

static void
s_clients_destroy (client_t **clients)
{
    for (size_t i = 0; s_every [i]; i++)
        client_destroy (&clients [i]);
}

//  The stream's events read as a service reads them, for one name.
static bool
s_replay_answers (s_run_t *run, zcert_t *cert)
{
    const char *keys = harness_path (run->harness, "keys");
    char replay [64];
    harness_config_value (run->harness, "broker", "replay", replay, sizeof replay);
    char *broker_key = transport_load_public_key (keys, "broker");
    s_events_t read = { .count = 0 };
    int rc = harness_replay (replay, cert, broker_key, "access", "test-enforce", 10, 2000,
                             s_on_event, &read, NULL);
    free (broker_key);
    return rc == 0;
}

//  rcmqctl as AS; true on exit 0. The output is dropped.
static bool
s_ok (s_run_t *run, const char *as, ...)
{
    char *list [28] = { "--as", (char *) as };
    size_t count = 2;
    va_list args;
    va_start (args, as);
    char *arg;
    while ((arg = va_arg (args, char *)) && count < 27)
        list [count++] = arg;
    va_end (args);
    list [count] = NULL;
    int rc;
    json_t *out = harness_ctl_json (run->harness, "rcmqctl", &rc, ACCESS_CALL_MS, list);
    json_decref (out);
    return rc == 0;
}

//  The status of NAME in `access list`, or "absent".
static char *
s_status_of (s_run_t *run, const char *name)
{
    int rc;
    json_t *list = s_ctl (run, &rc, "admin", "access", "list", NULL);
    json_t *identities = json_object_get (list, "identities");
    char *status = strdup ("absent");
    size_t index;
    json_t *identity;
    json_array_foreach (identities, index, identity)
        if (streq (s_field (identity, "name"), name)) {
            free (status);
            status = strdup (s_field (identity, "status"));
        }
    json_decref (list);
    return status;
}

//  One FETCH of the access stream on an open replay connection: answered
//  within timeout_ms?
static bool
s_fetch_answered (zsock_t *dealer, int timeout_ms)
{
    FetchRequest request = FETCH_REQUEST__INIT;
    request.stream = "access";
    request.from_seq = 1;
    request.max_events = 1;
    request.consumer = "test-enforce";
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "FETCH");
    zframe_t *frame = codec_encode (&request);
    zmsg_append (msg, &frame);
    zmsg_send (&msg, dealer);
    zmsg_t *answer = harness_recv (dealer, timeout_ms);
    bool answered = answer != NULL;
    zmsg_destroy (&answer);
    return answered;
}

START_TEST (test_enforcement)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    harness_proc_t *procs [8] = { NULL };
    run.harness = harness_new ("enforce");
    bool ready = run.harness && harness_keys (run.harness, NULL) == 0 && harness_config (run.harness);
    const char *dir = ready? harness_dir (run.harness): "";
    for (size_t i = 1; ready && s_every [i]; i++)
        if (!streq (s_every [i], "audit"))
            ready = harness_config_append (run.harness, "%s\n    api = \"tcp://127.0.0.1:%d\"\n%s%s%s%s%s",
                                           s_every [i], harness_free_port (),
                                           streq (s_every [i], "intake")? "    inbox-dir = \"": "",
                                           streq (s_every [i], "intake")? dir: "",
                                           streq (s_every [i], "intake")? "/inbox\"\n    ack-dir = \"": "",
                                           streq (s_every [i], "intake")? dir: "",
                                           streq (s_every [i], "intake")? "/acks\"\n": "") == 0;
    harness_check (&run, ready, "cannot make keys or config");
    ready = ready && harness_start_services (run.harness, s_every, procs, harness_scaled_ms (60000));
    harness_check (&run, ready, "the seven processes did not come up");
    const char *keys = ready? harness_path (run.harness, "keys"): NULL;
    client_t *clients [8] = { NULL };
    int statuses [8];

    //  1. A key written into the keys directory, claiming role admin in
    //  its metadata, without a grant: every process refuses it at the
    //  connection, the broker's api and its event sockets included.
    if (ready) {
        char *add [] = { (char *) harness_bin (run.harness, "cli/rcmqctl"), "keys", "add", "mallory",
                         "--role", "admin", "--dir", (char *) keys, NULL };
        harness_check (&run, harness_run (run.harness, "rcmqctl", add, NULL, 20000) == 0, "keys add mallory failed");
        zcert_t *mallory = transport_load_secret (keys, "mallory");
        harness_check (&run, mallory != NULL, "no secret key for mallory");
        if (mallory) {
            s_health_all (&run, mallory, clients, statuses);
            for (size_t i = 0; s_every [i]; i++)
                harness_check (&run, statuses [i] == -1,
                               "%s answered mallory's ungranted key (status %d), expected the key refused",
                               s_every [i], statuses [i]);
            harness_check (&run, !s_replay_answers (&run, mallory),
                           "the broker's replay socket answered mallory's ungranted key");
            s_clients_destroy (clients);
            zcert_destroy (&mallory);
        }
        //  And the same check can pass: admin is admitted everywhere.
        zcert_t *admin = transport_load_secret (keys, "admin");
        s_health_all (&run, admin, clients, statuses);
        for (size_t i = 0; s_every [i]; i++)
            harness_check (&run, statuses [i] == STATUS__OK, "%s refused admin (status %d)", s_every [i], statuses [i]);
        s_clients_destroy (clients);
        zcert_destroy (&admin);
    }

    //  2. Revoke on already open connections: leo's connections to every
    //  process are open and answered; admin revokes him; the next request
    //  on each of those connections is refused.
    if (ready) {
        harness_check (&run, harness_grant (run.harness, "leo", "internal-biller", "internal", NULL) == 0,
                       "granting leo failed");
        zcert_t *leo = transport_load_secret (keys, "leo");
        s_health_all (&run, leo, clients, statuses);
        for (size_t i = 0; s_every [i]; i++)
            harness_check (&run, statuses [i] == STATUS__OK, "%s refused leo before the revoke (status %d)",
                           s_every [i], statuses [i]);
        uint64_t asked = harness_now_ms ();
        harness_check (&run, s_ok (&run, "admin", "access", "revoke", "leo", "--reason", "left the company", NULL),
                       "admin revoking leo failed");
        uint64_t revoked = harness_now_ms ();
        uint64_t refused_at [8] = { 0 };
        size_t pending = 7;
        while (pending && harness_now_ms () - revoked < (uint64_t) harness_scaled_ms (10000)) {
            for (size_t i = 0; s_every [i]; i++) {
                if (refused_at [i])
                    continue;
                char method [64];
                snprintf (method, sizeof method, "%s.Health", s_every [i]);
                Reply *reply = client_call (clients [i], method, NULL);
                if (reply && reply->status == STATUS__UNAUTHENTICATED) {
                    refused_at [i] = harness_now_ms ();
                    pending--;
                }
                codec_free (reply);
            }
            harness_sleep_ms (5);
        }
        uint64_t slowest = 0;
        for (size_t i = 0; s_every [i]; i++) {
            harness_check (&run, refused_at [i], "%s still answers leo's open connection 10 s after the revoke",
                           s_every [i]);
            uint64_t delay = refused_at [i]? refused_at [i] - revoked: 0;
            slowest = delay > slowest? delay: slowest;
            fprintf (stderr, "access: revoke -> refused on the open connection to %-8s %4llu ms after the revoke "
                     "returned (%llu ms after it was asked)\n", s_every [i], (unsigned long long) delay,
                     (unsigned long long) (refused_at [i]? refused_at [i] - asked: 0));
        }
        //  The requirement: every service within 1 s, open
        //  connections included.
        harness_check (&run, slowest <= (uint64_t) harness_scaled_ms (1000),
                       "a service took %llu ms to refuse leo after the revoke (issue 14: within 1 s)",
                       (unsigned long long) slowest);
        s_clients_destroy (clients);
        //  And a new connection is refused at the handshake.
        s_health_all (&run, leo, clients, statuses);
        for (size_t i = 0; s_every [i]; i++)
            harness_check (&run, statuses [i] == -1, "%s admitted a new connection of revoked leo (status %d)",
                           s_every [i], statuses [i]);
        s_clients_destroy (clients);
        zcert_destroy (&leo);
    }

    //  2b. The same for a service key on the broker's replay socket: a
    //  revoked one reads nothing more on its open connection.
    if (ready) {
        static const char *const reader [] = { "reader", NULL };
        harness_check (&run, harness_grant_services (run.harness, reader) == 0, "granting reader failed");
        zcert_t *cert = transport_load_secret (keys, "reader");
        char replay [64];
        harness_config_value (run.harness, "broker", "replay", replay, sizeof replay);
        char *broker_key = transport_load_public_key (keys, "broker");
        zsock_t *dealer = harness_dealer (replay, broker_key, cert);
        harness_check (&run, s_fetch_answered (dealer, 3000), "the replay socket did not answer granted reader");
        harness_check (&run, s_ok (&run, "admin", "access", "revoke", "reader", "--reason", "retired", NULL),
                       "admin revoking reader failed");
        uint64_t revoked = harness_now_ms ();
        bool silent = false;
        while (!silent && harness_now_ms () - revoked < (uint64_t) harness_scaled_ms (10000))
            silent = !s_fetch_answered (dealer, 300);
        harness_check (&run, silent, "the replay socket still answers reader's open connection 10 s after the revoke");
        fprintf (stderr, "access: revoke -> replay silent on the open connection within %llu ms (300 ms polls)\n",
                 (unsigned long long) (harness_now_ms () - revoked));
        zsock_destroy (&dealer);
        free (broker_key);
        zcert_destroy (&cert);
    }

    //  3. A mover loses the old team's scope; 4. a review suspends the
    //  unconfirmed. vlead leads acme's agents va and vb; a review opens;
    //  vlead confirms va (its team's, in scope). vlead moves to team
    //  globex: confirming vb is then out of its scope (NOT_FOUND, the
    //  scope answer). The review's end suspends vb, whom no one
    //  confirmed, and every process refuses vb from then on.
    if (ready) {
        harness_check (&run, harness_grant (run.harness, "vlead", "vendor-lead", "acme", "2099-12-31") == 0
                          && harness_grant (run.harness, "va", "vendor-agent", "acme", "2099-12-31") == 0
                          && harness_grant (run.harness, "vb", "vendor-agent", "acme", "2099-12-31") == 0,
                       "granting vlead, va and vb failed");
        harness_check (&run, s_ok (&run, "admin", "access", "review", "start", "--until", "2099-01-01", NULL),
                       "access review start failed");
        harness_check (&run, s_ok (&run, "vlead", "access", "review", "confirm", "va", NULL),
                       "vlead (acme's lead) confirming acme's va was refused");
        int rc;
        json_t *asked = s_ctl (&run, &rc, "admin", "access", "request", "vlead", "--role", "vendor-lead",
                               "--team", "globex", "--until", "2099-12-31", NULL);
        char id [32];
        snprintf (id, sizeof id, "%lld", (long long) json_integer_value (json_object_get (asked, "request")));
        json_decref (asked);
        harness_check (&run, rc == 0 && s_ok (&run, "admin2", "access", "approve", id, NULL),
                       "vlead's move to globex: request exit %d or approval failed", rc);
        json_t *out = s_ctl (&run, &rc, "vlead", "access", "review", "confirm", "vb", NULL);
        json_decref (out);
        harness_check (&run, rc == 1 && harness_log_contains (run.harness, "rcmqctl", "no identity 'vb'"),
                       "vlead, moved to globex, confirming acme's vb: exit %d, expected 1 with NOT_FOUND 'no identity' "
                       "(logs/rcmqctl.log)", rc);
        //  The admins are in the review too: they confirm each other.
        harness_check (&run, s_ok (&run, "admin", "access", "review", "confirm", "admin2", NULL)
                          && s_ok (&run, "admin2", "access", "review", "confirm", "admin", NULL),
                       "the admins confirming each other failed");
        harness_check (&run, s_ok (&run, "admin", "access", "review", "end", NULL), "access review end failed");
        char *va = s_status_of (&run, "va"), *vb = s_status_of (&run, "vb");
        harness_check (&run, streq (va, "active") && streq (vb, "suspended"),
                       "after the review va is %s (confirmed: active) and vb %s (unconfirmed: suspended)", va, vb);
        free (va);
        free (vb);
        //  The copies have it: vb's key opens nothing any more.
        zcert_t *cert = transport_load_secret (keys, "vb");
        uint64_t deadline = harness_now_ms () + (uint64_t) harness_scaled_ms (10000);
        bool refused = false;
        while (!refused && harness_now_ms () < deadline) {
            s_health_all (&run, cert, clients, statuses);
            s_clients_destroy (clients);
            refused = true;
            for (size_t i = 0; s_every [i]; i++)
                refused = refused && statuses [i] == -1;
        }
        harness_check (&run, refused, "a process still admits suspended vb");
        zcert_destroy (&cert);
    }
    if (run.harness)
        harness_destroy (&run.harness, run.failed > 0);
    ck_assert_msg (run.failed == 0, "%d check(s) failed:\n%s", run.failed, run.failures);
}
END_TEST

Suite *
access_suite (void)
{
    Suite *suite = suite_create ("access");
    TCase *tc = tcase_create ("registry");
    tcase_set_timeout (tc, 180);
    tcase_add_test (tc, test_two_admins);
    suite_add_tcase (suite, tc);
    TCase *enforce = tcase_create ("enforcement");
    tcase_set_timeout (enforce, 300);
    tcase_add_test (enforce, test_enforcement);
    suite_add_tcase (suite, enforce);
    return suite;
}
