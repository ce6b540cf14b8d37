/*  test_scope: every method of every service, called by a vendor whose
    team has nothing in scope, answers as its scope mark says (server.h;
    issue 12 item 1), and changes nothing. Real processes: the broker and
    all six services, rcmqctl and the generator scripts.

    The deployment: gen-837 claims routed to three queues (q-acme, vendor
    phase with vendor team acme, takes what no other queue does; q-med,
    internal, Medicare; q-zeta-int, commercial, vendor team zeta but still
    internal), submitted to the payer, and the payer's 835s posted
    (payer-sim, with remits for claims never sent, so exceptions exist).
    Team zeta's vendor-agent and vendor-lead then have nothing in scope.

    The methods come from the services themselves (<service>.Methods), not
    from a list here, so a new method is covered without editing this test.
    Each request's fields are filled by field name (s_values): the PCN of an
    out-of-scope claim, an exception id, a queue id, the batch id, group by
    queue..., so a subject method is asked about a subject that exists.
    The expected answer, for each of the two vendor roles:

        role lacks the permission   PERMISSION_DENIED
        internal                    PERMISSION_DENIED
        subject                     NOT_FOUND
        item                        PERMISSION_DENIED (a work item, ADR 0029)
        list                        OK, and the reply names no claim,
                                    exception or queue of the deployment
        unscoped                    OK

    Afterwards admin's claims, exceptions, queues and rejections are the
    same bytes as before. And acme's agent still sees its own: claims.Show
    of a q-acme claim is OK and claims.List holds only q-acme claims.

    Minimum necessary (issue 14, docs/access.md): `rcmqctl --as NAME
    claims show PCN --json` of that q-acme claim, as acme's vendor-agent,
    an internal-biller and a leader. The patient's name, DOB, member id
    and address expected are the generator's records (gen-837 --expect),
    never rcmq's: the agent's output must hold none of the plaintext DOB
    (CCYYMMDD or ISO), member id, street line, postal code or first name,
    and the masked forms ("J. SMITH", "1973", "****8139", "IL"); the
    biller's holds each in full (so the search above can fail); the
    leader's has the keys, empty. On the audit stream, each claims.Show
    AccessEvent lists the fields returned with their form: four ":masked"
    for the agent, four ":full" for the biller, none for the leader.
*/
#include "suites.h"
#include "harness.h"
#include "access.h"
#include "client.h"
#include "codec.h"
#include "transport.h"
#include "claims.pb-c.h"
#include "intake.pb-c.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SCOPE_NOW           "2026-11-02T12:00:00Z"
#define SCOPE_DATE          "2026-11-02"
#define SCOPE_CLAIMS        "60"
#define SCOPE_CALL_MS       10000
#define SCOPE_TEST_TIMEOUT  240
#define SCOPE_MAX_SECRETS   512

static const char *const s_services [] = {
    "broker", "intake", "claims", "denials", "inquiry", "audit", "metrics", NULL
};

typedef struct {
    harness_t *harness;
    harness_proc_t *procs [8];
    const char *keys;
    zcert_t *admin;
    //  Out-of-scope subjects, and everything a vendor of zeta must not see.
    char pcn [64];                  //  an accepted claim (every one is out of zeta's scope)
    char acme_pcn [64];             //  a claim of q-acme, for acme's agent
    char exception_id [192];
    char batch_id [96];
    json_t *generated;              //  gen-837's records (--expect)
    char *secrets [SCOPE_MAX_SECRETS];
    size_t secret_count;
    size_t calls;
    char failures [16384];
    int failed;
} s_run_t;

static void
s_secret (s_run_t *run, const char *text)
{
    if (text && strlen (text) >= 4 && run->secret_count < SCOPE_MAX_SECRETS)
        run->secrets [run->secret_count++] = strdup (text);
}

static json_t *
s_ctl (s_run_t *run, int *rc, int timeout_ms, ...)
{
    va_list args;
    va_start (args, timeout_ms);
    json_t *json = harness_ctl_json_va (run->harness, "rcmqctl", rc, timeout_ms, args);
    va_end (args);
    return json;
}

//  --------------------------------------------------------------------------
//  Calling a service as someone

//  The reply of method on service, as the identity whose secret cert is
//  given; NULL when no reply came.
static Reply *
s_call (s_run_t *run, zcert_t *cert, const char *service, const char *method,
        const uint8_t *body, size_t size)
{
    char endpoint [128];
    harness_config_value (run->harness, service, "api", endpoint, sizeof endpoint);
    char *server_key = transport_load_public_key (run->keys, service);
    Reply *reply = NULL;
    if (*endpoint && server_key) {
        zsock_t *dealer = harness_dealer (endpoint, server_key, cert);
        Request request = REQUEST__INIT;
        char id [32];
        snprintf (id, sizeof id, "scope-%zu", ++run->calls);
        request.id = id;
        request.method = (char *) method;
        request.body.data = (uint8_t *) body;
        request.body.len = size;
        zframe_t *frame = codec_encode (&request);
        zframe_send (&frame, dealer, 0);
        zmsg_t *msg = harness_recv (dealer, SCOPE_CALL_MS);
        zframe_t *first = msg? zmsg_first (msg): NULL;
        reply = first? (Reply *) codec_decode_frame (&reply__descriptor, first): NULL;
        zmsg_destroy (&msg);
        zsock_destroy (&dealer);
    }
    free (server_key);
    return reply;
}

//  The reply body of an admin call (OK only), for snapshots.
static zchunk_t *
s_snapshot (s_run_t *run, const char *service, const char *method, const void *message)
{
    size_t size = 0;
    uint8_t *body = message? codec_pack (message, &size): NULL;
    Reply *reply = s_call (run, run->admin, service, method, body, size);
    free (body);
    zchunk_t *chunk = reply && reply->status == STATUS__OK? zchunk_new (reply->body.data, reply->body.len): NULL;
    harness_check (run, chunk != NULL, "admin %s: %s", method, reply? reply->message: "no reply");
    codec_free (reply);
    return chunk;
}

//  --------------------------------------------------------------------------
//  Request bodies by field name

static void
s_varint (zchunk_t *chunk, uint64_t value)
{
    uint8_t byte;
    do {
        byte = (uint8_t) (value & 0x7f);
        value >>= 7;
        if (value)
            byte |= 0x80;
        zchunk_extend (chunk, &byte, 1);
    } while (value);
}

static void
s_text_field (zchunk_t *chunk, uint32_t number, const char *text)
{
    s_varint (chunk, (uint64_t) number << 3 | 2);
    s_varint (chunk, strlen (text));
    zchunk_extend (chunk, text, strlen (text));
}

//  The value a field gets, by "Type.field" first, then by field name;
//  NULL leaves it unset.
static const char *
s_value (s_run_t *run, const char *type, const char *field)
{
    const char *dot = strrchr (type, '.');
    char qualified [160];
    snprintf (qualified, sizeof qualified, "%s.%s", dot? dot + 1: type, field);
    const struct {
        const char *name;
        const char *value;
    } values [] = {
        { "MatchExceptionRequest.id", run->exception_id },
        { "MatchExceptionRequest.pcn", "" },
        { "pcn",              run->pcn },
        { "id",               "q-med" },
        { "queue",            "q-med" },
        { "batch_id",         run->batch_id },
        { "reason",           "scope test" },
        { "note",             "scope test" },
        { "assignee",         "zeta-agent" },
        { "next_action_date", "2026-12-01" },
        { "phase",            "vendor" },
        { "vendor_team",      "zeta" },
        { "group_by",         "queue" },
        { "kpi",              "received" },
        { "filename",         "scope-test" },
        { "content",          "not a file" },
    };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++)
        if (streq (values [i].name, qualified))
            return values [i].value;
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++)
        if (streq (values [i].name, field))
            return values [i].value;
    return NULL;
}

static zchunk_t *
s_body (s_run_t *run, const MethodInfo *method)
{
    zchunk_t *chunk = zchunk_new (NULL, 0);
    for (size_t i = 0; i < method->n_request_fields; i++) {
        const FieldInfo *field = method->request_fields [i];
        if (streq (field->name, "limit") && streq (field->type, "int")) {
            s_varint (chunk, (uint64_t) field->number << 3);
            s_varint (chunk, 1000);
            continue;
        }
        const char *value = s_value (run, method->request_type, field->name);
        if (value && *value && (streq (field->type, "string") || streq (field->type, "bytes")))
            s_text_field (chunk, field->number, value);
    }
    return chunk;
}

//  --------------------------------------------------------------------------
//  The expected answer of a method for a vendor with nothing in scope

static Status
s_expected (const char *role, const MethodInfo *method)
{
    if (!access_allows (role, method->permission))
        return STATUS__PERMISSION_DENIED;
    if (streq (method->scope, "internal"))
        return STATUS__PERMISSION_DENIED;
    if (streq (method->scope, "subject"))
        return STATUS__NOT_FOUND;
    if (streq (method->scope, "item"))
        return STATUS__PERMISSION_DENIED;       //  a work item (ADR 0029)
    return STATUS__OK;          //  list (filtered to nothing) and unscoped
}

//  The first secret the bytes contain, or NULL.
static const char *
s_leak (s_run_t *run, const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < run->secret_count; i++) {
        size_t length = strlen (run->secrets [i]);
        for (size_t at = 0; at + length <= size; at++)
            if (memcmp (data + at, run->secrets [i], length) == 0)
                return run->secrets [i];
    }
    return NULL;
}

static size_t
s_every_method (s_run_t *run, const char *name, const char *role)
{
    zcert_t *cert = transport_load_secret (run->keys, name);
    harness_check (run, cert != NULL, "no secret cert for %s", name);
    size_t checked = 0;
    for (size_t s = 0; cert && s_services [s]; s++) {
        const char *service = s_services [s];
        char list_method [64];
        snprintf (list_method, sizeof list_method, "%s.Methods", service);
        Reply *reply = s_call (run, cert, service, list_method, NULL, 0);
        MethodList *list = reply && reply->status == STATUS__OK
            ? (MethodList *) codec_decode (&method_list__descriptor, reply->body.data, reply->body.len): NULL;
        harness_check (run, list != NULL, "%s as %s: %s", list_method, role, reply? reply->message: "no reply");
        codec_free (reply);
        for (size_t m = 0; list && m < list->n_methods; m++) {
            const MethodInfo *method = list->methods [m];
            harness_check (run, strcmp (method->scope, "unset"), "%s has no scope mark", method->name);
            zchunk_t *body = s_body (run, method);
            Reply *answer = s_call (run, cert, service, method->name, zchunk_data (body), zchunk_size (body));
            zchunk_destroy (&body);
            Status expected = s_expected (role, method);
            harness_check (run, answer && answer->status == expected,
                     "%s as %s (out of scope, %s, needs %s): %s '%s', expected %s", method->name, role,
                     method->scope, method->permission, answer? codec_status_name (answer->status): "no reply",
                     answer? answer->message: "", codec_status_name (expected));
            if (answer && answer->status == STATUS__OK && streq (method->scope, "list")) {
                const char *leak = s_leak (run, answer->body.data, answer->body.len);
                harness_check (run, !leak, "%s as %s answered with '%s', which is out of its scope",
                         method->name, role, leak? leak: "");
            }
            codec_free (answer);
            checked++;
        }
        codec_free (list);
    }
    zcert_destroy (&cert);
    return checked;
}

//  --------------------------------------------------------------------------
//  The deployment

static int
s_keys_add (s_run_t *run, const char *name, const char *role, const char *team)
{
    char *argv [] = { (char *) harness_bin (run->harness, "cli/rcmqctl"), "keys", "add", (char *) name,
                      "--role", (char *) role, "--team", (char *) team, "--dir", (char *) run->keys, NULL };
    return harness_run (run->harness, "rcmqctl", argv, NULL, harness_scaled_ms (20000));
}

typedef struct {
    s_run_t *run;
    uint64_t events;
} s_wait_t;

static bool
s_caught_up (void *arg)
{
    s_wait_t *wait = (s_wait_t *) arg;
    return harness_consumed (wait->run->harness, "claims", "intake") >= wait->events;
}

//  The files claims.Submit named are in the outbound dir (written after
//  its commit).
typedef struct {
    const char *dir;
    json_t *files;
} s_files_t;

static bool
s_files_written (void *arg)
{
    s_files_t *wait = (s_files_t *) arg;
    for (size_t i = 0; i < json_array_size (wait->files); i++) {
        const char *name = json_string_value (json_array_get (wait->files, i));
        const char *slash = name? strrchr (name, '/'): NULL;
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", wait->dir, slash? slash + 1: name? name: "");
        struct stat st;
        if (stat (path, &st))
            return false;
    }
    return true;
}

static bool
s_start (s_run_t *run)
{
    setenv ("RCMQ_NOW", SCOPE_NOW, 1);
    run->harness = harness_new ("scope");
    if (!run->harness || harness_keys (run->harness, NULL) || !harness_config (run->harness)) {
        harness_check (run, false, "cannot make keys or config");
        return false;
    }
    run->keys = harness_path (run->harness, "keys");
    harness_check (run, s_keys_add (run, "zeta-agent", "vendor-agent", "zeta") == 0
               && s_keys_add (run, "zeta-lead", "vendor-lead", "zeta") == 0
               && s_keys_add (run, "acme-agent", "vendor-agent", "acme") == 0
               && s_keys_add (run, "biller", "internal-biller", "internal") == 0
               && s_keys_add (run, "boss", "leader", "internal") == 0, "rcmqctl keys add failed");
    const char *dir = harness_dir (run->harness);
    for (size_t i = 1; s_services [i]; i++) {
        harness_config_append (run->harness, "%s\n    api = \"tcp://127.0.0.1:%d\"\n", s_services [i],
                               harness_free_port ());
        if (streq (s_services [i], "intake"))
            harness_config_append (run->harness, "    inbox-dir = \"%s/inbox\"\n    ack-dir = \"%s/acks\"\n",
                                   dir, dir);
    }
    run->admin = transport_load_secret (run->keys, "admin");
    bool up = run->admin && harness_start_services (run->harness, s_services, run->procs, harness_scaled_ms (40000));
    harness_check (run, up, "the services did not come up");
    //  The key files open nothing: the people are granted in the registry
    //  (vendor roles with an end date).
    static const char *const people [][4] = {
        { "zeta-agent", "vendor-agent", "zeta", "2099-12-31" }, { "zeta-lead", "vendor-lead", "zeta", "2099-12-31" },
        { "acme-agent", "vendor-agent", "acme", "2099-12-31" }, { "biller", "internal-biller", "internal", NULL },
        { "boss", "leader", "internal", NULL } };
    for (size_t i = 0; up && i < sizeof people / sizeof people [0]; i++)
        harness_check (run, harness_grant (run->harness, people [i][0], people [i][1], people [i][2],
                                           people [i][3]) == 0, "granting %s failed", people [i][0]);
    return up && run->failed == 0;
}

//  Queues, claims through intake, claims submitted, the payer's 835s posted.
static bool
s_prepare (s_run_t *run)
{
    int rc;
    json_t *out;
    out = s_ctl (run, &rc, 20000, "queue", "create", "q-acme", "--owner-team", "internal-ar",
                 "--vendor-team", "acme", "--phase", "vendor", NULL);
    json_decref (out);
    harness_check (run, rc == 0, "queue create q-acme: exit %d", rc);
    out = s_ctl (run, &rc, 20000, "queue", "create", "q-med", "--payer-groups", "medicare", NULL);
    json_decref (out);
    harness_check (run, rc == 0, "queue create q-med: exit %d", rc);
    out = s_ctl (run, &rc, 20000, "queue", "create", "q-zeta-int", "--payer-groups", "commercial",
                 "--vendor-team", "zeta", NULL);
    json_decref (out);
    harness_check (run, rc == 0, "queue create q-zeta-int: exit %d", rc);
    s_secret (run, "q-acme");
    s_secret (run, "q-med");
    s_secret (run, "q-zeta-int");

    const char *dir = harness_dir (run->harness);
    char in [PATH_MAX], in_expect [PATH_MAX], remits [PATH_MAX], expect [PATH_MAX], outbound [PATH_MAX];
    snprintf (in, sizeof in, "%s/claims.837", dir);
    snprintf (in_expect, sizeof in_expect, "%s/claims.json", dir);
    snprintf (remits, sizeof remits, "%s/remits", dir);
    snprintf (expect, sizeof expect, "%s/remits.json", dir);
    snprintf (outbound, sizeof outbound, "%s/data/outbound", dir);
    char *gen [] = { "--seed", "12", "--claims", SCOPE_CLAIMS, "--date", SCOPE_DATE, "--error-rate", "ALL=0.01",
                     "--out", in, "--expect", in_expect, NULL };
    rc = harness_script (run->harness, "gen-837", gen, 120000);
    harness_check (run, rc == 0, "scripts/gen-837 exited %d", rc);
    json_t *generated = json_load_file (in_expect, 0, NULL);
    json_t *records = json_object_get (generated, "claims");
    for (size_t i = 0; i < json_array_size (records); i++) {
        json_t *record = json_array_get (records, i);
        const char *pcn = json_string_value (json_object_get (record, "pcn"));
        s_secret (run, pcn);
        if (json_is_true (json_object_get (record, "accepted")) && !*run->pcn && pcn)
            snprintf (run->pcn, sizeof run->pcn, "%s", pcn);
    }
    s_wait_t wait = { run, json_array_size (records) + 1 };
    run->generated = generated;
    harness_check (run, *run->pcn, "gen-837 accepted no claim");
    if (rc || !*run->pcn)
        return false;

    json_t *batch = s_ctl (run, &rc, 120000, "intake", "submit", in, NULL);
    const char *batch_id = json_string_value (json_object_get (batch, "batch_id"));
    snprintf (run->batch_id, sizeof run->batch_id, "%s", batch_id? batch_id: "");
    json_decref (batch);
    harness_check (run, rc == 0 && *run->batch_id, "intake submit: exit %d", rc);
    bool caught_up = rc == 0 && harness_wait_until (s_caught_up, &wait, harness_scaled_ms (60000), 250);
    harness_check (run, caught_up, "claims did not consume the intake events");
    if (!caught_up)
        return false;

    json_t *submitted = s_ctl (run, &rc, 120000, "claims", "submit", NULL);
    s_files_t files_wait = { outbound, json_object_get (submitted, "files") };
    bool written = rc == 0 && json_array_size (files_wait.files) > 0
                && harness_wait_until (s_files_written, &files_wait, harness_scaled_ms (30000), 100);
    json_decref (submitted);
    harness_check (run, written, "claims submit (exit %d): its 837P files are not in %s", rc, outbound);
    if (!written)
        return false;
    char *sim [] = { "--seed", "4", "--out", remits, "--expect", expect, "--waves", "1",
                     "--unknown-claims", "3", outbound, NULL };
    rc = harness_script (run->harness, "payer-sim", sim, 120000);
    harness_check (run, rc == 0, "scripts/payer-sim exited %d", rc);
    json_t *sim_expect = json_load_file (expect, 0, NULL);
    json_t *files = json_object_get (json_object_get (sim_expect, "files"), "835");
    for (size_t i = 0; i < json_array_size (files); i++) {
        json_t *posted = s_ctl (run, &rc, 60000, "claims", "post", json_string_value (json_array_get (files, i)), NULL);
        json_decref (posted);
        harness_check (run, rc == 0, "claims post %s: exit %d", json_string_value (json_array_get (files, i)), rc);
    }
    harness_check (run, json_array_size (files) > 0, "payer-sim wrote no 835");
    json_decref (sim_expect);

    //  What zeta must not see of the exceptions, and one to match.
    zchunk_t *chunk = s_snapshot (run, "claims", "claims.ListExceptions", NULL);
    ExceptionList *exceptions = chunk? (ExceptionList *) codec_decode (&exception_list__descriptor,
                                                                      zchunk_data (chunk), zchunk_size (chunk)): NULL;
    for (size_t i = 0; exceptions && i < exceptions->n_exceptions; i++) {
        s_secret (run, exceptions->exceptions [i]->id);
        if (exceptions->exceptions [i]->remit)
            s_secret (run, exceptions->exceptions [i]->remit->pcn);
        if (!*run->exception_id)
            snprintf (run->exception_id, sizeof run->exception_id, "%s", exceptions->exceptions [i]->id);
    }
    harness_check (run, *run->exception_id, "posting the payer's 835s left no exception");
    codec_free (exceptions);
    zchunk_destroy (&chunk);
    return run->failed == 0;
}

//  Admin's view of everything a vendor call could change.
static void
s_snapshots (s_run_t *run, zchunk_t **chunks)
{
    ClaimListRequest list = CLAIM_LIST_REQUEST__INIT;
    list.limit = 1000;
    ListRejectionsRequest rejections = LIST_REJECTIONS_REQUEST__INIT;
    rejections.limit = 1000;
    chunks [0] = s_snapshot (run, "claims", "claims.List", &list);
    chunks [1] = s_snapshot (run, "claims", "claims.ListExceptions", NULL);
    chunks [2] = s_snapshot (run, "intake", "queue.List", NULL);
    chunks [3] = s_snapshot (run, "intake", "intake.ListRejections", &rejections);
}

//  acme's agent still sees its own claims, and only those.
static void
s_in_scope_still_works (s_run_t *run, const uint8_t *all, size_t size)
{
    ClaimList *list = (ClaimList *) codec_decode (&claim_list__descriptor, all, size);
    for (size_t i = 0; list && i < list->n_claims && !*run->acme_pcn; i++)
        if (list->claims [i]->dims && streq (list->claims [i]->dims->queue, "q-acme"))
            snprintf (run->acme_pcn, sizeof run->acme_pcn, "%s", list->claims [i]->pcn);
    codec_free (list);
    harness_check (run, *run->acme_pcn, "no claim was routed to q-acme");
    zcert_t *acme = transport_load_secret (run->keys, "acme-agent");
    ClaimKey key = CLAIM_KEY__INIT;
    key.pcn = run->acme_pcn;
    size_t body_size;
    uint8_t *body = codec_pack (&key, &body_size);
    Reply *reply = acme && *run->acme_pcn? s_call (run, acme, "claims", "claims.Show", body, body_size): NULL;
    free (body);
    harness_check (run, reply && reply->status == STATUS__OK, "claims.Show %s (q-acme) as acme's agent: %s",
             run->acme_pcn, reply? reply->message: "no reply");
    codec_free (reply);
    ClaimListRequest request = CLAIM_LIST_REQUEST__INIT;
    request.limit = 1000;
    body = codec_pack (&request, &body_size);
    reply = acme? s_call (run, acme, "claims", "claims.List", body, body_size): NULL;
    free (body);
    list = reply && reply->status == STATUS__OK
         ? (ClaimList *) codec_decode (&claim_list__descriptor, reply->body.data, reply->body.len): NULL;
    size_t foreign = 0;
    for (size_t i = 0; list && i < list->n_claims; i++)
        if (!list->claims [i]->dims || !streq (list->claims [i]->dims->queue, "q-acme"))
            foreign++;
    harness_check (run, list && list->n_claims > 0 && foreign == 0,
             "claims.List as acme's agent: %zu claims, %zu not of q-acme", list? list->n_claims: 0, foreign);
    codec_free (list);
    codec_free (reply);
    zcert_destroy (&acme);
}

//  --------------------------------------------------------------------------
//  The patient, per role (minimum necessary)

//  gen-837's record of a PCN, or NULL.
static json_t *
s_generated (s_run_t *run, const char *pcn)
{
    json_t *records = json_object_get (run->generated, "claims");
    for (size_t i = 0; i < json_array_size (records); i++) {
        json_t *record = json_array_get (records, i);
        const char *id = json_string_value (json_object_get (record, "pcn"));
        if (id && streq (id, pcn))
            return record;
    }
    return NULL;
}

static const char *
s_text (json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text? text: "";
}

//  `rcmqctl --as NAME --json claims show PCN`: the output as text (caller
//  frees), NULL when it printed no JSON object.
static char *
s_show_as (s_run_t *run, const char *name, const char *pcn, json_t **json)
{
    int rc;
    *json = s_ctl (run, &rc, 20000, "--as", name, "claims", "show", pcn, NULL);
    harness_check (run, rc == 0 && json_is_object (*json), "rcmqctl --as %s claims show %s: exit %d", name, pcn, rc);
    return json_is_object (*json)? json_dumps (*json, JSON_SORT_KEYS): NULL;
}

//  The claims.Show AccessEvents of an actor on the audit stream (acme's
//  agent has one more, from s_in_scope_still_works), each of which must
//  list the fields expected.
typedef struct {
    const char *actor;
    const char *pcn;
    const char *expected;       //  comma-separated
    size_t found;
    size_t wrong;
    char fields [256];          //  of the last one not as expected
} s_shown_t;

static bool
s_audit_show (const Event *event, void *arg)
{
    s_shown_t *shown = (s_shown_t *) arg;
    AccessEvent *access = streq (event->type, "access")
        ? (AccessEvent *) codec_decode (&access_event__descriptor, event->payload.data, event->payload.len): NULL;
    if (access && streq (access->method, "claims.Show") && streq (access->actor_name, shown->actor)
    &&  access->n_subjects == 1 && streq (access->subjects [0], shown->pcn)) {
        shown->found++;
        char fields [256] = "";
        for (size_t i = 0; i < access->n_phi_fields; i++)
            snprintf (fields + strlen (fields), sizeof fields - strlen (fields),
                      "%s%s", i? ",": "", access->phi_fields [i]);
        if (!streq (fields, shown->expected)) {
            shown->wrong++;
            snprintf (shown->fields, sizeof shown->fields, "%s", fields);
        }
    }
    codec_free (access);
    return true;
}

//  Reads the audit stream until actor's claims.Show of pcn is on it (the
//  outbox relays it after the call's commit) or 30 s pass.
static void
s_audit_find (s_run_t *run, s_shown_t *shown)
{
    char replay [128];
    harness_config_value (run->harness, "broker", "replay", replay, sizeof replay);
    char *broker_key = transport_load_public_key (run->keys, "broker");
    zcert_t *service = transport_load_secret (run->keys, "audit");
    uint64_t deadline = harness_now_ms () + (uint64_t) harness_scaled_ms (30000);
    while (broker_key && service && !shown->found && harness_now_ms () < deadline) {
        harness_replay (replay, service, broker_key, "audit", "test-scope-phi", 1000, 5000,
                        s_audit_show, shown, NULL);
        if (!shown->found)
            harness_sleep_ms (250);
    }
    zcert_destroy (&service);
    free (broker_key);
}

static void
s_phi_by_role (s_run_t *run)
{
    json_t *record = s_generated (run, run->acme_pcn);
    harness_check (run, record != NULL, "gen-837 has no record of %s", run->acme_pcn);
    if (!record)
        return;
    //  The patient: the dependant when there is one, else the subscriber;
    //  the member id is the subscriber's.
    json_t *subscriber = json_object_get (record, "subscriber");
    json_t *person = json_is_object (json_object_get (record, "patient"))
                   ? json_object_get (record, "patient"): subscriber;
    json_t *address = json_object_get (person, "address");
    const char *last = s_text (person, "last_name"), *first = s_text (person, "first_name");
    const char *dob = s_text (person, "birth_date"), *member_id = s_text (subscriber, "member_id");
    const char *line1 = s_text (address, "line1"), *postal = s_text (address, "postal_code");
    const char *state = s_text (address, "state"), *city = s_text (address, "city");
    harness_check (run, strlen (dob) == 8 && strlen (member_id) > 4 && *line1 && *first,
                   "gen-837's record of %s lacks the patient (dob '%s')", run->acme_pcn, dob);
    char iso_dob [16], full_name [128], full_address [256], masked_name [128], masked_id [16];
    snprintf (iso_dob, sizeof iso_dob, "%.4s-%.2s-%.2s", dob, dob + 4, dob + 6);
    snprintf (full_name, sizeof full_name, "%s, %s", last, first);
    snprintf (full_address, sizeof full_address, "%s, %s, %s %s", line1, city, state, postal);
    snprintf (masked_name, sizeof masked_name, "%c. %s", *first, last);
    snprintf (masked_id, sizeof masked_id, "****%s", member_id + (strlen (member_id) > 4? strlen (member_id) - 4: 0));

    //  acme's agent: the same keys, masked, and none of the plaintext.
    json_t *json;
    char *text = s_show_as (run, "acme-agent", run->acme_pcn, &json);
    const char *plain [] = { dob, iso_dob, member_id, line1, postal, first, NULL };
    for (size_t i = 0; text && plain [i]; i++)
        harness_check (run, !strstr (text, plain [i]), "acme's vendor-agent sees '%s' of %s's patient",
                       plain [i], run->acme_pcn);
    char year [8];
    snprintf (year, sizeof year, "%.4s", dob);
    harness_check (run, json && streq (s_text (json, "patient_name"), masked_name)
                   && streq (s_text (json, "patient_dob"), year)
                   && streq (s_text (json, "member_id"), masked_id)
                   && streq (s_text (json, "patient_address"), state),
                   "acme's vendor-agent: patient '%s' '%s' '%s' '%s', expected '%s' '%s' '%s' '%s'",
                   s_text (json, "patient_name"), s_text (json, "patient_dob"), s_text (json, "member_id"),
                   s_text (json, "patient_address"), masked_name, year, masked_id, state);
    free (text);
    json_decref (json);

    //  An internal biller: all of it, in full (the search above can fail).
    text = s_show_as (run, "biller", run->acme_pcn, &json);
    for (size_t i = 0; text && plain [i]; i++)
        harness_check (run, strstr (text, plain [i]) || plain [i] == iso_dob,
                       "the internal biller does not see '%s' of %s's patient", plain [i], run->acme_pcn);
    harness_check (run, json && streq (s_text (json, "patient_name"), full_name)
                   && streq (s_text (json, "patient_dob"), dob)
                   && streq (s_text (json, "member_id"), member_id)
                   && streq (s_text (json, "patient_address"), full_address),
                   "internal biller: patient '%s' '%s' '%s' '%s', expected '%s' '%s' '%s' '%s'",
                   s_text (json, "patient_name"), s_text (json, "patient_dob"), s_text (json, "member_id"),
                   s_text (json, "patient_address"), full_name, dob, member_id, full_address);
    free (text);
    json_decref (json);

    //  A leader reads figures: the keys are there, empty.
    text = s_show_as (run, "boss", run->acme_pcn, &json);
    static const char *keys [] = { "patient_name", "patient_dob", "member_id", "patient_address", NULL };
    for (size_t i = 0; json && keys [i]; i++)
        harness_check (run, json_is_string (json_object_get (json, keys [i])) && !*s_text (json, keys [i]),
                       "leader: %s is '%s', expected \"\"", keys [i], s_text (json, keys [i]));
    free (text);
    json_decref (json);

    //  Each view is an audited access naming the fields and their form.
    static const struct {
        const char *actor, *fields;
    } views [] = {
        { "acme-agent", "patient_name:masked,patient_dob:masked,member_id:masked,patient_address:masked" },
        { "biller",     "patient_name:full,patient_dob:full,member_id:full,patient_address:full" },
        { "boss",       "" },
    };
    for (size_t i = 0; i < sizeof views / sizeof views [0]; i++) {
        s_shown_t shown = { views [i].actor, run->acme_pcn, views [i].fields, 0, 0, "" };
        s_audit_find (run, &shown);
        harness_check (run, shown.found >= 1 && shown.wrong == 0,
                       "audit: %zu claims.Show of %s by %s, %zu with fields '%s', expected '%s'", shown.found,
                       run->acme_pcn, views [i].actor, shown.wrong, shown.fields, views [i].fields);
    }
}

START_TEST (test_every_method_out_of_scope)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    if (s_start (&run) && s_prepare (&run)) {
        zchunk_t *before [4] = { NULL }, *after [4] = { NULL };
        s_snapshots (&run, before);
        size_t agent = s_every_method (&run, "zeta-agent", "vendor-agent");
        size_t lead = s_every_method (&run, "zeta-lead", "vendor-lead");
        //  Every service answers Health and Methods, claims and intake more.
        harness_check (&run, agent >= 20 && lead == agent, "methods checked: %zu as agent, %zu as lead", agent, lead);
        s_snapshots (&run, after);
        static const char *names [] = { "claims", "exceptions", "queues", "rejections" };
        for (int i = 0; i < 4; i++)
            harness_check (&run, before [i] && after [i] && zchunk_size (before [i]) == zchunk_size (after [i])
                        && memcmp (zchunk_data (before [i]), zchunk_data (after [i]), zchunk_size (before [i])) == 0,
                     "admin's %s changed while out-of-scope vendors called every method", names [i]);
        if (before [0])
            s_in_scope_still_works (&run, zchunk_data (before [0]), zchunk_size (before [0]));
        if (*run.acme_pcn)
            s_phi_by_role (&run);
        for (int i = 0; i < 4; i++) {
            zchunk_destroy (&before [i]);
            zchunk_destroy (&after [i]);
        }
        fprintf (stderr, "scope: %zu methods of %d services called as vendor-agent and as vendor-lead\n",
                 agent, 7);
    }
    int status = 0, exited = harness_first_exited (run.procs, 7, &status);
    harness_check (&run, exited < 0, "%s exited (status %d)", exited < 0? "": s_services [exited], status);
    //  Under the sanitizers, a report in a log fails the run even if the
    //  process lived on.
    for (size_t i = 0; run.harness && s_services [i]; i++)
        harness_check (&run, !harness_log_contains (run.harness, s_services [i], "runtime error:")
                    && !harness_log_contains (run.harness, s_services [i], "ERROR: AddressSanitizer"),
                 "%s logged a sanitizer report", s_services [i]);
    for (size_t i = 0; i < run.secret_count; i++)
        free (run.secrets [i]);
    zcert_destroy (&run.admin);
    json_decref (run.generated);
    if (run.harness)
        harness_destroy (&run.harness, run.failed > 0);
    ck_assert_msg (run.failed == 0, "%d check(s) failed:\n%s", run.failed, run.failures);
}
END_TEST

Suite *
scope_suite (void)
{
    Suite *suite = suite_create ("scope");
    TCase *tc = tcase_create ("vendor");
    tcase_set_timeout (tc, SCOPE_TEST_TIMEOUT * (harness_scaled_ms (1000) / 1000));
    tcase_add_test (tc, test_every_method_out_of_scope);
    suite_add_tcase (suite, tc);
    return suite;
}
