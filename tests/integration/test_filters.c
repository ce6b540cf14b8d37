/*  test_filters: a list filter or an argument naming what does not exist,
    and a limit above a method's maximum, are refused by the service with an
    error that names what was asked and what is valid (issue 12 item 8,
    server side). Before, `claims due --queue q-bcsb` answered an empty
    list (so the queue looked clear), a limit of 5000 was cut to 1000
    without a word (a client took a full page for the whole list), and an
    assignee nobody holds was stored.

    Real processes: the broker, rcmqctl, rcmq-intake and rcmq-claims; 20
    gen-837 claims submitted, a queue q-filters created with rcmqctl. The
    requests go to the services with the client (admin's key), so the CLI's
    own checks (it refuses --limit 5000 before sending) do not hide what
    the service does; one check drives `rcmqctl claims due --queue`.

        claims.ListFollowUp / claims.List with queue q-nope   INVALID_ARGUMENT
            naming q-nope and listing q-filters and default
        claims.List with status deneid                        INVALID_ARGUMENT
            listing the lifecycle's statuses (denied, paid, ...)
        claims.FollowUp with assignee anna-typo, or a service INVALID_ARGUMENT,
            and the claim keeps no assignee; with a person who holds a key, OK
        claims.List, claims.ListFollowUp, intake.ListRejections with limit
            5000                                              INVALID_ARGUMENT
            naming 5000 and 1000; with limit 1000, OK
        rcmqctl claims due --queue q-nope                     exits non-zero

    And a malformed setting (claims/follow-up-days = 3O, intake/filing-days,
    broker/retention-hours) stops the process's start with a log line
    naming the key and the value.

    The expected queue names come from this test's own set-up (the queue it
    created, intake's built-in default), the statuses from the lifecycle
    documented in docs (a fixed list here), never from the stores.
*/
#include "suites.h"
#include "harness.h"
#include "client.h"
#include "codec.h"
#include "transport.h"
#include "claims.pb-c.h"
#include "intake.pb-c.h"

#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILTERS_NOW         "2026-11-02T12:00:00Z"
#define FILTERS_DATE        "2026-11-02"
#define FILTERS_CLAIMS      "20"
#define FILTERS_QUEUE       "q-filters"
#define FILTERS_CALL_MS     10000
#define FILTERS_TEST_TIMEOUT 180

static const char *const s_services [] = { "broker", "intake", "claims", NULL };

typedef struct {
    harness_t *harness;
    harness_proc_t *procs [3];
    const char *keys;
    zcert_t *admin;
    client_t *claims;
    client_t *intake;
    char pcn [64];
    char failures [8192];
    int failed;
} s_run_t;

static json_t *
s_ctl (s_run_t *run, int *rc, ...)
{
    va_list args;
    va_start (args, rc);
    json_t *json = harness_ctl_json_va (run->harness, "rcmqctl", rc, 60000, args);
    va_end (args);
    return json;
}

static client_t *
s_client (s_run_t *run, const char *service)
{
    char endpoint [128];
    harness_config_value (run->harness, service, "api", endpoint, sizeof endpoint);
    char *server_key = transport_load_public_key (run->keys, service);
    client_t *client = *endpoint && server_key && run->admin? client_new (endpoint, server_key, run->admin): NULL;
    free (server_key);
    if (client)
        client_set_timeout (client, harness_scaled_ms (FILTERS_CALL_MS));
    return client;
}

//  The reply's status, its message into message (may be NULL).
static Status
s_call (client_t *client, const char *method, const void *body, char *message, size_t size)
{
    Reply *reply = client? client_call (client, method, body): NULL;
    Status status = reply? reply->status: (Status) -1;
    if (message)
        snprintf (message, size, "%s", reply? reply->message: client? client_error (client): "no client");
    codec_free (reply);
    return status;
}

//  Checks a refusal: INVALID_ARGUMENT and a message holding every one of
//  the NULL-terminated texts.
static void
s_refused (s_run_t *run, const char *what, Status status, const char *message, ...)
{
    harness_check (run, status == STATUS__INVALID_ARGUMENT, "%s: status %d (%s), expected INVALID_ARGUMENT",
                   what, (int) status, message);
    va_list args;
    va_start (args, message);
    const char *text;
    while ((text = va_arg (args, const char *)))
        harness_check (run, strstr (message, text) != NULL, "%s: the error '%s' does not name '%s'",
                       what, message, text);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  The deployment

typedef struct {
    s_run_t *run;
    size_t claims;
} s_wait_t;

//  claims has the queue we created and every accepted claim.
static bool
s_caught_up (void *arg)
{
    s_wait_t *wait = (s_wait_t *) arg;
    DueRequest due = DUE_REQUEST__INIT;
    due.queue = FILTERS_QUEUE;
    if (s_call (wait->run->claims, "claims.ListFollowUp", &due, NULL, 0) != STATUS__OK)
        return false;
    ClaimListRequest list = CLAIM_LIST_REQUEST__INIT;
    list.limit = 1000;
    Reply *reply = client_call (wait->run->claims, "claims.List", &list);
    ClaimList *claims = reply && reply->status == STATUS__OK
        ? (ClaimList *) codec_decode (&claim_list__descriptor, reply->body.data, reply->body.len): NULL;
    bool all = claims && claims->n_claims == wait->claims;
    if (all)
        snprintf (wait->run->pcn, sizeof wait->run->pcn, "%s", claims->claims [0]->pcn);
    codec_free (claims);
    codec_free (reply);
    return all;
}

static bool
s_start (s_run_t *run)
{
    memset (run, 0, sizeof *run);
    setenv ("RCMQ_NOW", FILTERS_NOW, 1);
    run->harness = harness_new ("filters");
    if (!run->harness || harness_keys (run->harness, NULL)
    ||  !harness_config (run->harness)
    ||  harness_config_append (run->harness,
                               "intake\n    api = \"tcp://127.0.0.1:%d\"\n"
                               "    inbox-dir = \"%s/inbox\"\n    ack-dir = \"%s/acks\"\n"
                               "claims\n    api = \"tcp://127.0.0.1:%d\"\n",
                               harness_free_port (), harness_dir (run->harness),
                               harness_dir (run->harness), harness_free_port ())) {
        harness_check (run, false, "cannot make keys or config");
        return false;
    }
    run->keys = harness_path (run->harness, "keys");
    run->admin = transport_load_secret (run->keys, "admin");
    bool up = run->admin && harness_start_services (run->harness, s_services, run->procs, harness_scaled_ms (30000));
    harness_check (run, up, "broker, intake and claims did not come up");
    if (!up)
        return false;
    run->claims = s_client (run, "claims");
    run->intake = s_client (run, "intake");

    int rc;
    json_t *queue = s_ctl (run, &rc, "queue", "create", FILTERS_QUEUE, "--payer-ids", "00010",
                           "--owner-team", "internal-ar", NULL);
    harness_check (run, rc == 0 && queue, "rcmqctl queue create exited %d", rc);
    json_decref (queue);

    const char *dir = harness_dir (run->harness);
    char in [PATH_MAX], in_expect [PATH_MAX];
    snprintf (in, sizeof in, "%s/claims.837", dir);
    snprintf (in_expect, sizeof in_expect, "%s/claims.json", dir);
    char *gen [] = { "--seed", "8", "--claims", FILTERS_CLAIMS, "--date", FILTERS_DATE,
                     "--out", in, "--expect", in_expect, NULL };
    rc = harness_script (run->harness, "gen-837", gen, 120000);
    harness_check (run, rc == 0, "scripts/gen-837 exited %d", rc);
    json_t *generated = json_load_file (in_expect, 0, NULL);
    json_t *records = json_object_get (generated, "claims");
    size_t accepted = 0;
    for (size_t i = 0; i < json_array_size (records); i++)
        if (json_is_true (json_object_get (json_array_get (records, i), "accepted")))
            accepted++;
    json_decref (generated);
    harness_check (run, accepted > 0, "gen-837 made no claim to accept");
    json_t *batch = s_ctl (run, &rc, "intake", "submit", in, NULL);
    harness_check (run, rc == 0 && batch, "intake submit exited %d", rc);
    json_decref (batch);
    if (run->failed)
        return false;
    s_wait_t wait = { run, accepted };
    bool caught_up = harness_wait_until (s_caught_up, &wait, harness_scaled_ms (60000), 200);
    harness_check (run, caught_up, "claims did not get queue %s and the %zu accepted claims", FILTERS_QUEUE, accepted);
    return caught_up;
}

typedef struct {
    client_t *claims;
    FollowUpRequest *request;
    char message [600];
} s_follow_t;

static bool
s_follow_up_taken (void *arg)
{
    s_follow_t *follow = (s_follow_t *) arg;
    return s_call (follow->claims, "claims.FollowUp", follow->request, follow->message,
                   sizeof follow->message) == STATUS__OK;
}

static void
s_finish (s_run_t *run)
{
    int status = 0, exited = harness_first_exited (run->procs, 3, &status);
    harness_check (run, exited < 0, "%s exited (status %d)", exited < 0? "": s_services [exited], status);
    client_destroy (&run->claims);
    client_destroy (&run->intake);
    zcert_destroy (&run->admin);
    if (run->harness)
        harness_destroy (&run->harness, run->failed > 0);
    ck_assert_msg (run->failed == 0, "%d check(s) failed:\n%s", run->failed, run->failures);
}

//  --------------------------------------------------------------------------

START_TEST (test_filters_refused)
{
    s_run_t run;
    if (!s_start (&run)) {
        s_finish (&run);
        return;
    }
    char message [600];

    //  A queue nobody defined: refused, with the queues there are.
    DueRequest due = DUE_REQUEST__INIT;
    due.queue = "q-nope";
    s_refused (&run, "claims.ListFollowUp queue q-nope",
               s_call (run.claims, "claims.ListFollowUp", &due, message, sizeof message), message,
               "q-nope", FILTERS_QUEUE, "default", NULL);
    ClaimListRequest list = CLAIM_LIST_REQUEST__INIT;
    list.queue = "q-nope";
    s_refused (&run, "claims.List queue q-nope",
               s_call (run.claims, "claims.List", &list, message, sizeof message), message,
               "q-nope", FILTERS_QUEUE, "default", NULL);
    list.queue = FILTERS_QUEUE;
    harness_check (&run, s_call (run.claims, "claims.List", &list, message, sizeof message) == STATUS__OK,
                   "claims.List queue %s: %s", FILTERS_QUEUE, message);
    list.queue = "";

    //  A status that is not the lifecycle's: refused, with its statuses.
    list.status = "deneid";
    s_refused (&run, "claims.List status deneid",
               s_call (run.claims, "claims.List", &list, message, sizeof message), message,
               "deneid", "ready", "submitted", "denied", "paid", "partially_paid", "voided", "closed", NULL);
    list.status = "";

    //  An assignee who holds no key, or a service's key: refused, and the
    //  claim keeps no assignee.
    FollowUpRequest follow = FOLLOW_UP_REQUEST__INIT;
    follow.pcn = run.pcn;
    follow.assignee = "anna-typo";
    s_refused (&run, "claims.FollowUp assignee anna-typo",
               s_call (run.claims, "claims.FollowUp", &follow, message, sizeof message), message,
               "anna-typo", NULL);
    follow.assignee = "claims";
    s_refused (&run, "claims.FollowUp assignee claims (a service)",
               s_call (run.claims, "claims.FollowUp", &follow, message, sizeof message), message,
               "claims", NULL);
    ClaimKey key = CLAIM_KEY__INIT;
    key.pcn = run.pcn;
    Reply *reply = client_call (run.claims, "claims.Show", &key);
    ClaimRecord *record = reply && reply->status == STATUS__OK
        ? (ClaimRecord *) codec_decode (&claim_record__descriptor, reply->body.data, reply->body.len): NULL;
    harness_check (&run, record && !*record->assignee, "claim %s: assignee '%s' after refused follow-ups",
                   run.pcn, record? record->assignee: "(no record)");
    codec_free (record);
    codec_free (reply);
    //  A person the access registry holds as active is taken (a key
    //  file alone is no one: ADR 21).
    harness_check (&run, harness_grant (run.harness, "anna", "internal-biller", "internal", NULL) == 0,
                   "granting anna through the registry failed");
    //  claims' copy of the registry has her once harness_grant returns.
    follow.assignee = "anna";
    s_follow_t taken = { run.claims, &follow, "" };
    bool ok = harness_wait_until (s_follow_up_taken, &taken, harness_scaled_ms (10000), 300);
    harness_check (&run, ok, "claims.FollowUp assignee anna (granted): %s", taken.message);

    //  A limit above the maximum: refused naming both; the maximum is taken.
    list.limit = 5000;
    s_refused (&run, "claims.List limit 5000",
               s_call (run.claims, "claims.List", &list, message, sizeof message), message, "5000", "1000", NULL);
    due.queue = "";
    due.limit = 5000;
    s_refused (&run, "claims.ListFollowUp limit 5000",
               s_call (run.claims, "claims.ListFollowUp", &due, message, sizeof message), message, "5000", "1000", NULL);
    ListRejectionsRequest rejections = LIST_REJECTIONS_REQUEST__INIT;
    rejections.limit = 5000;
    s_refused (&run, "intake.ListRejections limit 5000",
               s_call (run.intake, "intake.ListRejections", &rejections, message, sizeof message), message,
               "5000", "1000", NULL);
    list.limit = due.limit = rejections.limit = 1000;
    harness_check (&run, s_call (run.claims, "claims.List", &list, message, sizeof message) == STATUS__OK,
                   "claims.List limit 1000: %s", message);
    harness_check (&run, s_call (run.claims, "claims.ListFollowUp", &due, message, sizeof message) == STATUS__OK,
                   "claims.ListFollowUp limit 1000: %s", message);
    harness_check (&run, s_call (run.intake, "intake.ListRejections", &rejections, message, sizeof message) == STATUS__OK,
                   "intake.ListRejections limit 1000: %s", message);

    //  Through rcmqctl: the refusal is an error, not an empty list.
    int rc;
    json_t *listed = s_ctl (&run, &rc, "claims", "due", "--queue", "q-nope", NULL);
    harness_check (&run, rc != 0, "rcmqctl claims due --queue q-nope exited 0 (printed %s)",
                   listed? "a list": "nothing");
    json_decref (listed);

    s_finish (&run);
}
END_TEST

//  A malformed setting stops the start, naming the key and the value;
//  before, config_get_int took "3O" for the default 30 without a word.
typedef struct {
    const char *service;
    const char *env;
    const char *value;
    const char *logged;
} s_setting_t;

START_TEST (test_malformed_setting_refused)
{
    static const s_setting_t settings [] = {
        { "claims", "RCMQ_CLAIMS_FOLLOW_UP_DAYS", "3O", "claims/follow-up-days = '3O'" },
        { "intake", "RCMQ_INTAKE_FILING_DAYS",    "1 year", "intake/filing-days = '1 year'" },
        { "broker", "RCMQ_BROKER_RETENTION_HOURS", "-5", "broker/retention-hours = '-5'" },
        //  Read with config_get_int (no range): refused all the same.
        { "intake", "RCMQ_INTAKE_UPLOADS_MAX",    "ten", "intake/uploads-max = 'ten'" },
        { "intake", "RCMQ_INTAKE_APPLY_STEP_MS",  "20ms", "intake/apply-step-ms = '20ms'" },
    };
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.harness = harness_new ("settings");
    bool ready = run.harness && harness_keys (run.harness, NULL) == 0 && harness_config (run.harness);
    harness_check (&run, ready, "cannot make keys or config");
    for (size_t i = 0; ready && i < sizeof settings / sizeof settings [0]; i++) {
        setenv (settings [i].env, settings [i].value, 1);
        harness_proc_t *proc = harness_spawn_service (run.harness, settings [i].service);
        int status = proc? harness_wait (proc, harness_scaled_ms (20000)): -1;
        if (status == -1 && proc)
            harness_kill (proc, SIGKILL);
        unsetenv (settings [i].env);
        harness_check (&run, status > 0 && status < 128, "%s with %s=%s: exit %d, expected a refused start",
                       settings [i].service, settings [i].env, settings [i].value, status);
        harness_check (&run, harness_log_contains (run.harness, settings [i].service, settings [i].logged),
                       "%s's log does not say %s", settings [i].service, settings [i].logged);
    }
    if (run.harness)
        harness_destroy (&run.harness, run.failed > 0);
    ck_assert_msg (run.failed == 0, "%d check(s) failed:\n%s", run.failed, run.failures);
}
END_TEST

Suite *
filters_suite (void)
{
    Suite *suite = suite_create ("filters");
    TCase *tc = tcase_create ("refused");
    tcase_set_timeout (tc, FILTERS_TEST_TIMEOUT);
    tcase_add_test (tc, test_filters_refused);
    tcase_add_test (tc, test_malformed_setting_refused);
    suite_add_tcase (suite, tc);
    return suite;
}
