/*  test_server: a service's request endpoint (common/server.c).

    A real server on a CURVE ROUTER (ipc socket in a temp directory, real
    ZAP handler and keyring, real LMDB store), run in an actor thread with
    a small method table of its own; the test calls it with the real
    client, or with a raw DEALER when it needs to choose request ids or
    send bytes that are not a Request. Checked:
      dispatch   a method of either table runs its handler, in the store
                 transaction with its audit record; <service>.Methods lists
                 both tables with their scope marks.
      refusals   an unknown method (NOT_FOUND), a body that is not the
                 method's type and a frame that is not a Request
                 (INVALID_ARGUMENT), a role without the permission
                 (PERMISSION_DENIED), a revoked key on an open connection
                 (UNAUTHENTICATED, even for a request id answered before)
                 and a request past its deadline: none runs the handler,
                 each is audited with its outcome.
      scope      the marks: a vendor's subject out of its queues reads as
                 absent, a list keeps only its rows, an internal method is
                 refused to it; other roles see everything.
      store      a handler's LMDB error: the call fails UNAVAILABLE and
                 nothing it wrote stays, not even the audit record.
      undo       server_call_undo: the handler's status and message,
                 nothing it wrote stays, the refusal is audited alone.
      cache      a resent request id is answered from the reply cache (the
                 handler does not run again); the cache is bounded by bytes
                 and by age, and a reply larger than the bound is not kept.
      phi        server_call_phi, the one rule for PHI in answers (issue
                 14): every role x every field as the mask table and the
                 permissions say, a field the entry does not declare
                 refused, no phi.read shows nothing, phi.unmask and a
                 break-glass lift the mask, a list's rows are masked
                 without phi.bulk (called directly, on a call built here);
                 and through the real server: the forms in the reply, the
                 AccessEvent's phi_fields, an undeclared field failing the
                 call INTERNAL with nothing of it answered, and
                 <service>.Methods listing each method's PHI fields.
*/
#include "suites.h"
#include "server.h"
#include "access.h"
#include "client.h"
#include "transport.h"
#include "keyring.h"
#include "intake.pb-c.h"      //  QueueId: the test methods' body

#include <czmq.h>

#define S_CALL_MS 3000

static const char *s_tables [] = { "calls", "audit", NULL };

//  The subjects the test service knows: id, phase and vendor team of its
//  queue (a NULL phase: no such subject).
static const struct {
    const char *id, *phase, *vendor_team;
} s_subjects [] = {
    { "in-acme",   "vendor",   "acme" },
    { "pilot-acme", "pilot",   "acme" },
    { "in-other",  "vendor",   "other" },
    { "internal",  "internal", "" },
};

typedef struct {
    int runs;                   //  handler runs (actor thread only)
} s_state_t;

//  Every handler counts its run in the store, in the call's transaction,
//  so a run that was rolled back does not count.
static int
s_count_run (server_call_t *call, uint64_t *run)
{
    uint64_t value = 0;
    int rc = store_get_u64 (call->store, call->txn, "calls", "runs", &value);
    if (rc == 0)
        rc = store_put_u64 (call->store, call->txn, "calls", "runs", ++value);
    *run = value;
    return rc;
}

static int
s_reply_text (server_call_t *call, const char *text)
{
    QueueId reply = QUEUE_ID__INIT;
    reply.id = (char *) text;
    server_call_reply (call, &reply);
    return 0;
}

//  test.Echo {id} -> "<run>:<id>"; names id as its subject.
static int
s_echo (server_call_t *call)
{
    uint64_t run;
    int rc = s_count_run (call, &run);
    if (rc)
        return rc;
    QueueId *body = (QueueId *) call->body;
    server_call_subject (call, body->id);
    char *text = zsys_sprintf ("%" PRIu64 ":%s", run, body->id);
    s_reply_text (call, text);
    zstr_free (&text);
    return 0;
}

//  test.Big {id: size} -> "<run>:" and size bytes of 'x'.
static int
s_big (server_call_t *call)
{
    uint64_t run;
    int rc = s_count_run (call, &run);
    if (rc)
        return rc;
    size_t size = (size_t) atol (((QueueId *) call->body)->id);
    char *text = (char *) zmalloc (size + 32);
    int prefix = snprintf (text, 32, "%" PRIu64 ":", run);
    memset (text + prefix, 'x', size);
    s_reply_text (call, text);
    free (text);
    return 0;
}

static int
s_subject (const char *id)
{
    for (size_t i = 0; id && i < sizeof s_subjects / sizeof s_subjects [0]; i++)
        if (streq (s_subjects [i].id, id))
            return (int) i;
    return -1;
}

static int
s_resolve (server_call_t *call)
{
    const char *id = ((QueueId *) call->body)->id;
    if (streq (id, "unnamed"))
        return 0;               //  a resolver that names no subject
    int i = s_subject (id);
    server_call_scope (call, "item", id, i < 0? NULL: s_subjects [i].phase,
                       i < 0? NULL: s_subjects [i].vendor_team);
    return 0;
}

//  test.List -> the ids the caller may see, comma-separated.
static int
s_list (server_call_t *call)
{
    uint64_t run;
    int rc = s_count_run (call, &run);
    if (rc)
        return rc;
    char text [256] = "";
    for (size_t i = 0; i < sizeof s_subjects / sizeof s_subjects [0]; i++)
        if (server_call_in_scope (call, s_subjects [i].phase, s_subjects [i].vendor_team))
            snprintf (text + strlen (text), sizeof text - strlen (text), "%s%s", *text? ",": "",
                      s_subjects [i].id);
    return s_reply_text (call, text);
}

//  test.Rebuild / test.Extra: no body.
static int
s_plain (server_call_t *call)
{
    uint64_t run;
    int rc = s_count_run (call, &run);
    if (rc)
        return rc;
    return s_reply_text (call, "done");
}

//  test.Broken: writes, then fails in the store.
static int
s_broken (server_call_t *call)
{
    uint64_t run;
    int rc = s_count_run (call, &run);
    if (rc)
        return rc;
    return store_fail (call->store, "test.Broken fails on purpose");
}

//  test.Undone: writes, names a subject, then refuses with server_call_undo.
static int
s_undone (server_call_t *call)
{
    uint64_t run;
    int rc = s_count_run (call, &run);
    if (rc)
        return rc;
    server_call_subject (call, "written");
    return server_call_undo (call, STATUS__FAILED_PRECONDITION, "test.Undone refuses after run %" PRIu64, run);
}

//  test.Patient {id}: a patient's name and DOB through server_call_phi,
//  "<name>|<dob>"; id "undeclared" also places the member id, which the
//  entry does not declare; id "refuse" fails after placing them.
static int
s_patient (server_call_t *call)
{
    char name [64], dob [16], member_id [16];
    server_call_phi (call, MASK_FIELD_NAME, "patient_name", "SMITH, ANN Q", name, sizeof name);
    server_call_phi (call, MASK_FIELD_DOB, "patient_dob", "19570304", dob, sizeof dob);
    if (streq (((QueueId *) call->body)->id, "undeclared"))
        server_call_phi (call, MASK_FIELD_MEMBER_ID, "member_id", "XQZ123456789", member_id, sizeof member_id);
    if (streq (((QueueId *) call->body)->id, "refuse"))
        return server_call_fail (call, STATUS__FAILED_PRECONDITION, "test.Patient: refused after placing");
    char text [128];
    snprintf (text, sizeof text, "%s|%s", name, dob);
    return s_reply_text (call, text);
}

//  test.Cached: the bytes the reply cache holds now (call without an id,
//  so this reply is not cached itself).
static int
s_cached (server_call_t *call)
{
    char text [32];
    snprintf (text, sizeof text, "%zu", server_cache_bytes (call->server));
    return s_reply_text (call, text);
}

static const server_method_t s_methods [] = {
    { "test.Echo",    "claims.read", &queue_id__descriptor, s_echo,    SERVER_UNSCOPED, NULL, SERVER_NO_PHI },
    { "test.Big",     "claims.read", &queue_id__descriptor, s_big,     SERVER_UNSCOPED, NULL, SERVER_NO_PHI },
    { "test.Show",    "claims.read", &queue_id__descriptor, s_echo,    SERVER_SUBJECT,  s_resolve, SERVER_NO_PHI },
    { "test.List",    "claims.read", NULL,                  s_list,    SERVER_LIST,     NULL, SERVER_NO_PHI },
    { "test.Rebuild", "claims.read", NULL,                  s_plain,   SERVER_INTERNAL, NULL, SERVER_NO_PHI },
    { "test.Broken",  "claims.read", NULL,                  s_broken,  SERVER_UNSCOPED, NULL, SERVER_NO_PHI },
    { "test.Undone",  "claims.read", NULL,                  s_undone,  SERVER_UNSCOPED, NULL, SERVER_NO_PHI },
    { "test.Cached",  "health.read", NULL,                  s_cached,  SERVER_UNSCOPED, NULL, SERVER_NO_PHI },
    { "test.Patient", "claims.read", &queue_id__descriptor, s_patient, SERVER_UNSCOPED, NULL,
      MASK_NEED (MASK_FIELD_NAME) | MASK_NEED (MASK_FIELD_DOB) },
    { NULL }
};

static const server_method_t s_more_methods [] = {
    { "test.Extra",   "claims.read", NULL,                  s_plain,   SERVER_UNSCOPED, NULL, SERVER_NO_PHI },
    { NULL }
};

//  A service with many method tables (claims has nine: its own files', the
//  skeleton's health and work methods): ten more, one method each, the
//  last test.Last. The server once took eight and, in release builds,
//  wrote the ninth over its table count.
#define S_MANY_TABLES 10
static const server_method_t s_many_methods [S_MANY_TABLES][2] = {
    { { "test.Many1", "claims.read", NULL, s_plain, SERVER_UNSCOPED, NULL, SERVER_NO_PHI }, { NULL } },
    { { "test.Many2", "claims.read", NULL, s_plain, SERVER_UNSCOPED, NULL, SERVER_NO_PHI }, { NULL } },
    { { "test.Many3", "claims.read", NULL, s_plain, SERVER_UNSCOPED, NULL, SERVER_NO_PHI }, { NULL } },
    { { "test.Many4", "claims.read", NULL, s_plain, SERVER_UNSCOPED, NULL, SERVER_NO_PHI }, { NULL } },
    { { "test.Many5", "claims.read", NULL, s_plain, SERVER_UNSCOPED, NULL, SERVER_NO_PHI }, { NULL } },
    { { "test.Many6", "claims.read", NULL, s_plain, SERVER_UNSCOPED, NULL, SERVER_NO_PHI }, { NULL } },
    { { "test.Many7", "claims.read", NULL, s_plain, SERVER_UNSCOPED, NULL, SERVER_NO_PHI }, { NULL } },
    { { "test.Many8", "claims.read", NULL, s_plain, SERVER_UNSCOPED, NULL, SERVER_NO_PHI }, { NULL } },
    { { "test.Many9", "claims.read", NULL, s_plain, SERVER_UNSCOPED, NULL, SERVER_NO_PHI }, { NULL } },
    { { "test.Last",  "claims.read", NULL, s_plain, SERVER_UNSCOPED, NULL, SERVER_NO_PHI }, { NULL } },
};

//  Audit records go to table "audit" under a dense counter.
static int
s_audit (store_t *store, MDB_txn *txn, const AccessEvent *event, void *arg)
{
    uint64_t seq;
    int rc = store_next_counter (store, txn, "calls", "audit_seq", UINT64_MAX, &seq);
    if (rc)
        return rc;
    uint8_t key [8];
    store_u64_write (key, seq);
    size_t size;
    uint8_t *packed = codec_pack (event, &size);
    rc = store_put (store, txn, "audit", key, 8, packed, size);
    free (packed);
    return rc;
}

//  --------------------------------------------------------------------------
//  The server under test, in its own thread

typedef struct {
    char *dir;
    char *keys;
    char endpoint [PATH_MAX + 8];
    zcert_t *server_cert;
    store_t *store;
    size_t cache_bytes;
    uint64_t cache_ms;
} s_config_t;

static int
s_on_pipe (zloop_t *loop, zsock_t *pipe, void *arg)
{
    char *command = zstr_recv (pipe);
    bool term = !command || streq (command, "$TERM");
    zstr_free (&command);
    return term? -1: 0;
}

//  The server's caller function over the test's keyring: this test is of
//  the server, not of the registry (the access suite tests that).
static int
s_keyring_caller (void *arg, const char *key, registry_caller_t *caller)
{
    keyring_t *keyring = (keyring_t *) arg;
    memset (caller, 0, sizeof *caller);
    keyring_refresh (keyring);
    const identity_t *identity = keyring_lookup (keyring, key);
    if (!identity) {
        snprintf (caller->why, sizeof caller->why, "unknown or revoked key");
        return 1;
    }
    caller->identity = *identity;
    return 0;
}

static void
s_server_actor (zsock_t *pipe, void *arg)
{
    s_config_t *config = (s_config_t *) arg;
    keyring_t *keyring = keyring_new (config->keys);
    s_state_t state = { 0 };
    server_t *server = server_new ("test", config->store, s_keyring_caller, keyring, s_methods, &state);
    server_add_methods (server, s_more_methods);
    for (size_t i = 0; i < S_MANY_TABLES; i++)
        server_add_methods (server, s_many_methods [i]);
    server_set_audit (server, s_audit, NULL);
    server_set_reply_cache (server, config->cache_bytes, config->cache_ms);
    int rc = server_bind (server, config->endpoint, config->server_cert);
    zloop_t *loop = zloop_new ();
    if (rc == 0)
        rc = server_attach (server, loop);
    zloop_reader (loop, pipe, s_on_pipe, NULL);
    //  zactor_new waits for this signal; the bind's outcome follows it.
    zsock_signal (pipe, 0);
    zstr_send (pipe, rc == 0? "bound": "not bound");
    if (rc == 0)
        zloop_start (loop);
    server_close (server, loop);
    zloop_destroy (&loop);
    server_destroy (&server);
    keyring_destroy (&keyring);
}

typedef struct {
    s_config_t config;
    zactor_t *zap;
    zactor_t *server;
    zcert_t *admin;             //  role admin
    zcert_t *vendor;            //  vendor-agent of team acme
    zcert_t *outsider;          //  vendor-agent of team other
    zcert_t *service;           //  role service: no claims.read
    zcert_t *stranger;          //  in no keyring
    zcert_t *carol;             //  admin whose key is revoked in a test
    zcert_t *leader;            //  role leader: claims.read, no phi.read
} s_test_t;

static zcert_t *
s_person (s_test_t *test, const char *name, const char *role, const char *team)
{
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", role);
    zcert_set_meta (cert, "team", "%s", team);
    if (strcmp (name, "stranger")) {
        char *path = zsys_sprintf ("%s/public/%s.cert", test->config.keys, name);
        ck_assert_int_eq (zcert_save_public (cert, path), 0);
        zstr_free (&path);
    }
    return cert;
}

static void
s_setup_with_cache (s_test_t *test, size_t cache_bytes, uint64_t cache_ms)
{
    memset (test, 0, sizeof *test);
    s_config_t *config = &test->config;
    config->dir = test_tmpdir ("server");
    config->keys = zsys_sprintf ("%s/keys", config->dir);
    ck_assert_int_eq (zsys_dir_create ("%s/public", config->keys), 0);
    snprintf (config->endpoint, sizeof config->endpoint, "ipc://%s/api", config->dir);
    char path [PATH_MAX], error [512] = "";
    snprintf (path, sizeof path, "%s/store", config->dir);
    config->store = store_new (path, s_tables, error, sizeof error);
    ck_assert_msg (config->store != NULL, "store_new: %s", error);
    config->server_cert = zcert_new ();
    config->cache_bytes = cache_bytes;
    config->cache_ms = cache_ms;
    test->leader = s_person (test, "lee", "leader", "internal");
    test->admin = s_person (test, "alice", "admin", "internal-ar");
    test->vendor = s_person (test, "victor", "vendor-agent", "acme");
    test->outsider = s_person (test, "olga", "vendor-agent", "other");
    test->service = s_person (test, "svc", "service", "internal");
    test->stranger = s_person (test, "stranger", "admin", "internal");
    test->carol = s_person (test, "carol", "admin", "internal");
    test->zap = transport_zap_new (keyring_admit, keyring_new (config->keys), keyring_destroy_arg);
    ck_assert_ptr_nonnull (test->zap);
    test->server = zactor_new (s_server_actor, config);
    ck_assert_ptr_nonnull (test->server);
    char *bound = zstr_recv (test->server);
    ck_assert_str_eq (bound, "bound");
    zstr_free (&bound);
}

static void
s_setup (s_test_t *test)
{
    s_setup_with_cache (test, 64 * 1024 * 1024, 300 * 1000);
}

static void
s_teardown (s_test_t *test)
{
    zactor_destroy (&test->server);
    zactor_destroy (&test->zap);
    zcert_t **certs [] = { &test->admin, &test->vendor, &test->outsider, &test->service,
                           &test->stranger, &test->carol, &test->leader, &test->config.server_cert };
    for (size_t i = 0; i < sizeof certs / sizeof certs [0]; i++)
        zcert_destroy (certs [i]);
    store_destroy (&test->config.store);
    test_rmtree (test->config.dir);
    free (test->config.dir);
    zstr_free (&test->config.keys);
}

static client_t *
s_client (s_test_t *test, zcert_t *cert)
{
    client_t *client = client_new (test->config.endpoint, zcert_public_txt (test->config.server_cert), cert);
    ck_assert_ptr_nonnull (client);
    client_set_timeout (client, S_CALL_MS);
    client_set_retries (client, 1);
    return client;
}

//  Calls method with QueueId {id} (NULL: no body); the Reply, never NULL.
static Reply *
s_call (client_t *client, const char *method, const char *id)
{
    QueueId body = QUEUE_ID__INIT;
    body.id = (char *) id;
    Reply *reply = client_call (client, method, id? &body: NULL);
    ck_assert_msg (reply != NULL, "%s: %s", method, client_error (client));
    return reply;
}

//  The text of an OK reply's QueueId (fresh string); frees the reply.
static char *
s_text (Reply *reply)
{
    ck_assert_msg (reply->status == STATUS__OK, "status %s: %s",
                   codec_status_name (reply->status), reply->message);
    QueueId *body = (QueueId *) codec_decode (&queue_id__descriptor, reply->body.data, reply->body.len);
    ck_assert_ptr_nonnull (body);
    char *text = strdup (body->id);
    codec_free (body);
    codec_free (reply);
    return text;
}

static void
s_expect (Reply *reply, Status status, const char *part)
{
    ck_assert_msg (reply->status == status, "status %s, want %s: %s",
                   codec_status_name (reply->status), codec_status_name (status), reply->message);
    ck_assert_msg (strstr (reply->message, part), "no '%s' in '%s'", part, reply->message);
    codec_free (reply);
}

static uint64_t
s_runs (s_test_t *test)
{
    MDB_txn *txn = store_read_begin (test->config.store);
    ck_assert_ptr_nonnull (txn);
    uint64_t runs = 0;
    ck_assert_int_eq (store_get_u64 (test->config.store, txn, "calls", "runs", &runs), 0);
    store_read_end (&txn);
    return runs;
}

//  The audit records, in order; *count of them. Free with s_audit_free.
static AccessEvent **
s_audit_read (s_test_t *test, size_t *count)
{
    MDB_txn *txn = store_read_begin (test->config.store);
    *count = store_count (test->config.store, txn, "audit");
    AccessEvent **events = (AccessEvent **) zmalloc ((*count + 1) * sizeof (AccessEvent *));
    for (size_t i = 0; i < *count; i++) {
        uint8_t key [8];
        store_u64_write (key, i + 1);
        MDB_val value;
        ck_assert_int_eq (store_get (test->config.store, txn, "audit", key, 8, &value), 0);
        events [i] = (AccessEvent *) codec_decode (&access_event__descriptor, value.mv_data, value.mv_size);
        ck_assert_ptr_nonnull (events [i]);
    }
    store_read_end (&txn);
    return events;
}

static void
s_audit_free (AccessEvent **events, size_t count)
{
    for (size_t i = 0; i < count; i++)
        codec_free (events [i]);
    free (events);
}

//  A raw DEALER (CURVE client) for frames the client would not send.
static zsock_t *
s_dealer (s_test_t *test, zcert_t *cert)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    transport_curve_client (dealer, cert, zcert_public_txt (test->config.server_cert));
    zsock_set_linger (dealer, 0);
    ck_assert_int_eq (zsock_connect (dealer, "%s", test->config.endpoint), 0);
    return dealer;
}

static zframe_t *
s_recv (zsock_t *dealer)
{
    zpoller_t *poller = zpoller_new (dealer, NULL);
    zframe_t *frame = zpoller_wait (poller, S_CALL_MS * 2)? zframe_recv (dealer): NULL;
    zpoller_destroy (&poller);
    ck_assert_msg (frame != NULL, "no reply within %d ms", S_CALL_MS * 2);
    return frame;
}

//  Sends Request {id, method, QueueId {text}, deadline}; the Reply frame.
static zframe_t *
s_raw_call (zsock_t *dealer, const char *id, const char *method, const char *text, uint64_t deadline)
{
    QueueId body = QUEUE_ID__INIT;
    body.id = (char *) text;
    Request request = REQUEST__INIT;
    request.id = (char *) id;
    request.method = (char *) method;
    request.deadline_ms = deadline;
    if (text)
        request.body.data = codec_pack (&body, &request.body.len);
    zframe_t *frame = codec_encode (&request);
    free (request.body.data);
    ck_assert_int_eq (zframe_send (&frame, dealer, 0), 0);
    return s_recv (dealer);
}

static Reply *
s_decode (zframe_t **frame_p)
{
    Reply *reply = (Reply *) codec_decode_frame (&reply__descriptor, *frame_p);
    ck_assert_ptr_nonnull (reply);
    zframe_destroy (frame_p);
    return reply;
}

//  --------------------------------------------------------------------------

START_TEST (test_dispatch)
{
    s_test_t test;
    s_setup (&test);
    client_t *client = s_client (&test, test.admin);
    char *text = s_text (s_call (client, "test.Echo", "hello"));
    ck_assert_str_eq (text, "1:hello");
    free (text);
    //  The second table dispatches too.
    text = s_text (s_call (client, "test.Extra", NULL));
    ck_assert_str_eq (text, "done");
    free (text);
    //  And the last of twelve tables (thirteen with the server's own).
    text = s_text (s_call (client, "test.Last", NULL));
    ck_assert_str_eq (text, "done");
    free (text);
    ck_assert_uint_eq (s_runs (&test), 3);

    size_t count;
    AccessEvent **audit = s_audit_read (&test, &count);
    ck_assert_uint_eq (count, 3);
    ck_assert_str_eq (audit [0]->method, "test.Echo");
    ck_assert_str_eq (audit [0]->service, "test");
    ck_assert_str_eq (audit [0]->actor_name, "alice");
    ck_assert_str_eq (audit [0]->role, "admin");
    ck_assert_str_eq (audit [0]->actor_key, zcert_public_txt (test.admin));
    ck_assert_int_eq (audit [0]->outcome, STATUS__OK);
    ck_assert_uint_eq (audit [0]->n_subjects, 1);
    ck_assert_str_eq (audit [0]->subjects [0], "hello");
    ck_assert_str_eq (audit [1]->method, "test.Extra");
    s_audit_free (audit, count);

    //  <service>.Methods: both tables and itself, with marks and fields.
    Reply *reply = s_call (client, "test.Methods", NULL);
    ck_assert_int_eq (reply->status, STATUS__OK);
    MethodList *list = (MethodList *) codec_decode (&method_list__descriptor, reply->body.data, reply->body.len);
    ck_assert_ptr_nonnull (list);
    ck_assert_str_eq (list->service, "test");
    ck_assert_uint_eq (list->n_methods, 11 + S_MANY_TABLES);
    static const char *s_marks [][3] = {
        { "test.Echo", "unscoped", "QueueId" }, { "test.Show", "subject", "QueueId" },
        { "test.List", "list", "" }, { "test.Rebuild", "internal", "" },
        { "test.Extra", "unscoped", "" }, { "test.Methods", "unscoped", "" },
    };
    for (size_t m = 0; m < sizeof s_marks / sizeof s_marks [0]; m++) {
        MethodInfo *info = NULL;
        for (size_t i = 0; i < list->n_methods; i++)
            if (streq (list->methods [i]->name, s_marks [m][0]))
                info = list->methods [i];
        ck_assert_msg (info != NULL, "%s not listed", s_marks [m][0]);
        ck_assert_str_eq (info->scope, s_marks [m][1]);
        ck_assert_str_eq (info->request_type, s_marks [m][2]);
        if (*s_marks [m][2]) {
            ck_assert_uint_eq (info->n_request_fields, 1);
            ck_assert_str_eq (info->request_fields [0]->name, "id");
            ck_assert_str_eq (info->request_fields [0]->type, "string");
            ck_assert_uint_eq (info->request_fields [0]->number, 1);
        }
    }
    codec_free (list);
    codec_free (reply);
    client_destroy (&client);
    s_teardown (&test);
}
END_TEST

START_TEST (test_refusals)
{
    s_test_t test;
    s_setup (&test);
    client_t *admin = s_client (&test, test.admin);
    client_t *service = s_client (&test, test.service);

    s_expect (s_call (admin, "test.Nope", NULL), STATUS__NOT_FOUND, "test: no method 'test.Nope'");
    //  Bytes that are no QueueId (a field 1 of length 200 in 3 bytes).
    const uint8_t garbage [] = { 0x0a, 0xc8, 0x01 };
    Reply *reply = client_call_raw (admin, "test.Echo", garbage, sizeof garbage);
    ck_assert_ptr_nonnull (reply);
    s_expect (reply, STATUS__INVALID_ARGUMENT, "body of test.Echo is not a valid QueueId");
    s_expect (s_call (service, "test.Echo", "x"), STATUS__PERMISSION_DENIED,
              "role 'service' may not test.Echo (needs claims.read)");
    //  health.read is the service role's: allowed.
    free (s_text (s_call (service, "test.Cached", NULL)));

    //  A frame that is not a Request at all.
    zsock_t *dealer = s_dealer (&test, test.admin);
    zframe_t *frame = zframe_new ("\xff\xff\xff\xff", 4);
    ck_assert_int_eq (zframe_send (&frame, dealer, 0), 0);
    frame = s_recv (dealer);
    s_expect (s_decode (&frame), STATUS__INVALID_ARGUMENT, "request frame of 4 bytes is not an rcmq Request");
    //  Past its deadline.
    frame = s_raw_call (dealer, "late-1", "test.Echo", "late", (uint64_t) zclock_time () - 1000);
    s_expect (s_decode (&frame), STATUS__DEADLINE_EXCEEDED, "test.Echo arrived after its deadline");
    //  A deadline still ahead runs.
    frame = s_raw_call (dealer, "soon-1", "test.Echo", "soon", (uint64_t) zclock_time () + 60000);
    char *text = s_text (s_decode (&frame));
    ck_assert_str_eq (text, "1:soon");
    free (text);
    ck_assert_uint_eq (s_runs (&test), 1);

    //  Every call above was audited with its outcome, the refused ones too.
    size_t count;
    AccessEvent **audit = s_audit_read (&test, &count);
    static const Status s_outcomes [] = {
        STATUS__NOT_FOUND, STATUS__INVALID_ARGUMENT, STATUS__PERMISSION_DENIED, STATUS__OK,
        STATUS__INVALID_ARGUMENT, STATUS__DEADLINE_EXCEEDED, STATUS__OK
    };
    ck_assert_uint_eq (count, sizeof s_outcomes / sizeof s_outcomes [0]);
    for (size_t i = 0; i < count; i++)
        ck_assert_msg (audit [i]->outcome == s_outcomes [i], "audit %zu: %s", i,
                       codec_status_name (audit [i]->outcome));
    ck_assert_str_eq (audit [0]->method, "test.Nope");
    ck_assert_str_eq (audit [2]->actor_name, "svc");
    ck_assert_str_eq (audit [4]->method, "");
    s_audit_free (audit, count);

    zsock_destroy (&dealer);
    client_destroy (&admin);
    client_destroy (&service);
    s_teardown (&test);
}
END_TEST

//  A key the keyring does not know gets no connection at all (ZAP); a key
//  revoked while its connection is open gets UNAUTHENTICATED from the next
//  request on, even for a request id it was answered before.
START_TEST (test_unknown_and_revoked_key)
{
    s_test_t test;
    s_setup (&test);
    client_t *stranger = s_client (&test, test.stranger);
    client_set_timeout (stranger, 300);
    client_set_retries (stranger, 0);
    QueueId body = QUEUE_ID__INIT;
    body.id = "x";
    ck_assert_ptr_null (client_call (stranger, "test.Echo", &body));
    client_destroy (&stranger);

    zsock_t *dealer = s_dealer (&test, test.carol);
    zframe_t *frame = s_raw_call (dealer, "carol-1", "test.Echo", "c", 0);
    char *before = s_text (s_decode (&frame));
    ck_assert_str_eq (before, "1:c");

    char *path = zsys_sprintf ("%s/public/carol.cert", test.config.keys);
    ck_assert_int_eq (unlink (path), 0);
    zstr_free (&path);
    //  The server reads the keys again at most every 200 ms: poll.
    Status status = STATUS__OK;
    for (int64_t until = zclock_mono () + 10000; zclock_mono () < until; zclock_sleep (50)) {
        frame = s_raw_call (dealer, "carol-1", "test.Echo", "c", 0);
        Reply *reply = s_decode (&frame);
        status = reply->status;
        if (status != STATUS__OK) {
            codec_free (reply);
            break;
        }
        //  Until then the cached reply: the handler did not run again.
        char *text = s_text (reply);
        ck_assert_str_eq (text, before);
        free (text);
    }
    ck_assert_int_eq (status, STATUS__UNAUTHENTICATED);
    frame = s_raw_call (dealer, "carol-2", "test.Echo", "c", 0);
    s_expect (s_decode (&frame), STATUS__UNAUTHENTICATED, "unknown or revoked");
    ck_assert_uint_eq (s_runs (&test), 1);
    free (before);
    zsock_destroy (&dealer);
    s_teardown (&test);
}
END_TEST

//  A client watch that says stop on its third look (arg counts them).
static bool
s_watch_third (void *arg)
{
    return ++*(int *) arg >= 3;
}

//  client_set_watch: a call to a server that never answers (nothing
//  listens: no disconnect to notice either) stops when the watch says
//  so, not at its timeout; a watch that never says stop changes nothing
//  in a call that is answered. A bench's call on a dead deployment
//  waited out its 15 minutes (bench_watch.h).
START_TEST (test_client_watch)
{
    s_test_t test;
    s_setup (&test);
    char *nobody = zsys_sprintf ("ipc://%s/nobody", test.config.dir);
    client_t *client = client_new (nobody, zcert_public_txt (test.config.server_cert), test.admin);
    zstr_free (&nobody);
    client_set_timeout (client, 60000);
    client_set_retries (client, 0);
    int looks = 0;
    client_set_watch (client, s_watch_third, &looks);
    int64_t start = zclock_mono ();
    ck_assert_ptr_null (client_call (client, "test.Echo", NULL));
    int64_t took = zclock_mono () - start;
    ck_assert_msg (took < 5000, "the call took %" PRId64 " ms", took);
    ck_assert_int_eq (looks, 3);
    ck_assert_msg (strstr (client_error (client), "stopped waiting"), "%s", client_error (client));
    client_destroy (&client);

    client = s_client (&test, test.admin);
    looks = -1000000;
    client_set_watch (client, s_watch_third, &looks);
    char *text = s_text (s_call (client, "test.Echo", "w"));
    ck_assert_str_eq (text, "1:w");
    free (text);
    ck_assert_int_lt (looks, 0);
    client_destroy (&client);
    s_teardown (&test);
}
END_TEST

START_TEST (test_scope_marks)
{
    s_test_t test;
    s_setup (&test);
    client_t *admin = s_client (&test, test.admin);
    client_t *vendor = s_client (&test, test.vendor);
    client_t *outsider = s_client (&test, test.outsider);

    //  Subject: the vendor's own queues (vendor and pilot phase) run.
    char *text = s_text (s_call (vendor, "test.Show", "in-acme"));
    ck_assert_str_eq (text, "1:in-acme");
    free (text);
    text = s_text (s_call (vendor, "test.Show", "pilot-acme"));
    ck_assert_str_eq (text, "2:pilot-acme");
    free (text);
    //  Another team's, an internal queue's and a missing one read alike.
    s_expect (s_call (vendor, "test.Show", "in-other"), STATUS__NOT_FOUND, "test.Show: no item 'in-other'");
    s_expect (s_call (vendor, "test.Show", "internal"), STATUS__NOT_FOUND, "test.Show: no item 'internal'");
    s_expect (s_call (vendor, "test.Show", "missing"), STATUS__NOT_FOUND, "test.Show: no item 'missing'");
    s_expect (s_call (outsider, "test.Show", "in-acme"), STATUS__NOT_FOUND, "no item 'in-acme'");
    //  A resolver that named nothing: no subject in scope, so none runs.
    s_expect (s_call (vendor, "test.Show", "unnamed"), STATUS__NOT_FOUND, "test.Show: no such subject");
    ck_assert_uint_eq (s_runs (&test), 2);
    //  Other roles: the handler decides (here it runs for anything).
    text = s_text (s_call (admin, "test.Show", "internal"));
    ck_assert_str_eq (text, "3:internal");
    free (text);

    //  List: the rows in scope.
    text = s_text (s_call (vendor, "test.List", NULL));
    ck_assert_str_eq (text, "in-acme,pilot-acme");
    free (text);
    text = s_text (s_call (outsider, "test.List", NULL));
    ck_assert_str_eq (text, "in-other");
    free (text);
    text = s_text (s_call (admin, "test.List", NULL));
    ck_assert_str_eq (text, "in-acme,pilot-acme,in-other,internal");
    free (text);

    //  Internal: refused to vendor roles though they hold the permission.
    s_expect (s_call (vendor, "test.Rebuild", NULL), STATUS__PERMISSION_DENIED,
              "test.Rebuild acts on every queue; role 'vendor-agent' works only its team's queues");
    uint64_t runs = s_runs (&test);
    text = s_text (s_call (admin, "test.Rebuild", NULL));
    ck_assert_str_eq (text, "done");
    free (text);
    ck_assert_uint_eq (s_runs (&test), runs + 1);

    client_destroy (&admin);
    client_destroy (&vendor);
    client_destroy (&outsider);
    s_teardown (&test);
}
END_TEST

//  A handler's store error: UNAVAILABLE, nothing it wrote kept, no audit
//  record (no effect without its record, and no record of no effect).
START_TEST (test_store_error)
{
    s_test_t test;
    s_setup (&test);
    client_t *admin = s_client (&test, test.admin);
    char *text = s_text (s_call (admin, "test.Echo", "a"));
    free (text);
    s_expect (s_call (admin, "test.Broken", NULL), STATUS__UNAVAILABLE, "store write failed");
    ck_assert_uint_eq (s_runs (&test), 1);
    size_t count;
    AccessEvent **audit = s_audit_read (&test, &count);
    ck_assert_uint_eq (count, 1);
    s_audit_free (audit, count);
    //  And the server goes on.
    text = s_text (s_call (admin, "test.Echo", "b"));
    ck_assert_str_eq (text, "2:b");
    free (text);
    client_destroy (&admin);
    s_teardown (&test);
}
END_TEST

//  server_call_undo: the handler's status and message, nothing it wrote
//  kept, and the refusal audited on its own (no subjects).
START_TEST (test_undo)
{
    s_test_t test;
    s_setup (&test);
    client_t *admin = s_client (&test, test.admin);
    char *text = s_text (s_call (admin, "test.Echo", "a"));
    free (text);
    s_expect (s_call (admin, "test.Undone", NULL), STATUS__FAILED_PRECONDITION, "test.Undone refuses after run 2");
    ck_assert_uint_eq (s_runs (&test), 1);
    size_t count;
    AccessEvent **audit = s_audit_read (&test, &count);
    ck_assert_uint_eq (count, 2);
    ck_assert_str_eq (audit [1]->method, "test.Undone");
    ck_assert_int_eq (audit [1]->outcome, STATUS__FAILED_PRECONDITION);
    ck_assert_uint_eq (audit [1]->n_subjects, 0);
    s_audit_free (audit, count);
    text = s_text (s_call (admin, "test.Echo", "b"));
    ck_assert_str_eq (text, "2:b");
    free (text);
    client_destroy (&admin);
    s_teardown (&test);
}
END_TEST

//  What test.Cached says the cache holds (asked without a request id, so
//  that reply is not cached).
static size_t
s_cache_bytes (zsock_t *dealer)
{
    zframe_t *frame = s_raw_call (dealer, "", "test.Cached", NULL, 0);
    char *text = s_text (s_decode (&frame));
    size_t bytes = (size_t) atol (text);
    free (text);
    return bytes;
}

//  The text of test.Big's reply to request id with size bytes.
static char *
s_big_call (zsock_t *dealer, const char *id, size_t size)
{
    char body [32];
    snprintf (body, sizeof body, "%zu", size);
    zframe_t *frame = s_raw_call (dealer, id, "test.Big", body, 0);
    return s_text (s_decode (&frame));
}

START_TEST (test_reply_cache_bytes)
{
    s_test_t test;
    s_setup_with_cache (&test, 1000, 300 * 1000);
    zsock_t *dealer = s_dealer (&test, test.admin);
    //  A resend of an id is answered from the cache: same run.
    char *first = s_big_call (dealer, "A", 200);
    ck_assert (strncmp (first, "1:", 2) == 0);
    char *again = s_big_call (dealer, "A", 200);
    ck_assert_str_eq (again, first);
    free (again);
    ck_assert_uint_eq (s_runs (&test), 1);
    size_t one = s_cache_bytes (dealer);
    ck_assert_uint_gt (one, 200);
    ck_assert_uint_lt (one, 400);
    //  Another id runs.
    char *text = s_big_call (dealer, "B", 200);
    ck_assert (strncmp (text, "2:", 2) == 0);
    free (text);
    //  ~1,000 bytes of other replies push A out, oldest first; the cache
    //  stays within its bound and the latest reply is still there.
    for (int i = 0; i < 4; i++) {
        char id [8];
        snprintf (id, sizeof id, "C%d", i);
        free (s_big_call (dealer, id, 200));
    }
    ck_assert_uint_le (s_cache_bytes (dealer), 1000);
    uint64_t runs = s_runs (&test);
    text = s_big_call (dealer, "C3", 200);
    ck_assert_uint_eq (s_runs (&test), runs);
    free (text);
    text = s_big_call (dealer, "A", 200);
    ck_assert_str_ne (text, first);
    ck_assert_uint_eq (s_runs (&test), runs + 1);
    free (text);
    free (first);

    //  A reply larger than the whole bound is not kept: a resend runs.
    first = s_big_call (dealer, "huge", 1500);
    ck_assert_uint_le (s_cache_bytes (dealer), 1000);
    again = s_big_call (dealer, "huge", 1500);
    ck_assert_str_ne (again, first);
    free (first);
    free (again);
    zsock_destroy (&dealer);
    s_teardown (&test);
}
END_TEST

START_TEST (test_reply_cache_age)
{
    s_test_t test;
    s_setup_with_cache (&test, 1 << 20, 300);
    zsock_t *dealer = s_dealer (&test, test.admin);
    char *first = s_big_call (dealer, "A", 10);
    char *again = s_big_call (dealer, "A", 10);
    //  Within 300 ms (on a loaded machine it may not be: then it ran again
    //  and the next check is all that can be said).
    bool cached = streq (again, first);
    free (again);
    //  The purge empties it without any request pushing it (1 s timer).
    size_t bytes = 1;
    for (int64_t until = zclock_mono () + 10000; zclock_mono () < until && bytes; zclock_sleep (100))
        bytes = s_cache_bytes (dealer);
    ck_assert_uint_eq (bytes, 0);
    uint64_t runs = s_runs (&test);
    again = s_big_call (dealer, "A", 10);
    ck_assert_str_ne (again, first);
    ck_assert_uint_eq (s_runs (&test), runs + 1);
    ck_assert_uint_eq (runs, cached? 1: 2);
    free (first);
    free (again);
    //  0 ms keeps nothing.
    zsock_destroy (&dealer);
    s_teardown (&test);

    s_setup_with_cache (&test, 1 << 20, 0);
    dealer = s_dealer (&test, test.admin);
    first = s_big_call (dealer, "A", 10);
    again = s_big_call (dealer, "A", 10);
    ck_assert_str_ne (again, first);
    ck_assert_uint_eq (s_cache_bytes (dealer), 0);
    free (first);
    free (again);
    zsock_destroy (&dealer);
    s_teardown (&test);
}
END_TEST

//  api/reply-cache-*: a value that is not a whole number is an error
//  naming the key and the value, not a silent default.
START_TEST (test_configure)
{
    char *dir = test_tmpdir ("server");
    char path [PATH_MAX], error [256] = "";
    snprintf (path, sizeof path, "%s/store", dir);
    store_t *store = store_new (path, s_tables, error, sizeof error);
    ck_assert_ptr_nonnull (store);
    ck_assert_int_eq (zsys_dir_create ("%s/keys/public", dir), 0);
    snprintf (path, sizeof path, "%s/keys", dir);
    keyring_t *keyring = keyring_new (path);
    server_t *server = server_new ("test", store, s_keyring_caller, keyring, s_methods, NULL);
    config_t *config = config_new ();
    ck_assert_int_eq (server_configure (server, config, error, sizeof error), 0);
    static const char *s_bad [][2] = {
        { "api/reply-cache-bytes", "12x" }, { "api/reply-cache-bytes", "-5" },
        { "api/reply-cache-ms", "soon" }, { "api/reply-cache-ms", "1e3" },
    };
    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad [0]; i++) {
        config_destroy (&config);
        config = config_new ();
        config_set (config, s_bad [i][0], s_bad [i][1]);
        error [0] = 0;
        ck_assert_int_eq (server_configure (server, config, error, sizeof error), -1);
        ck_assert_msg (strstr (error, s_bad [i][0]) && strstr (error, s_bad [i][1]), "'%s'", error);
    }
    config_destroy (&config);
    config = config_new ();
    config_set (config, "api/reply-cache-bytes", "0");
    config_set (config, "api/reply-cache-ms", "250");
    ck_assert_int_eq (server_configure (server, config, error, sizeof error), 0);
    ck_assert_uint_eq (server_cache_bytes (server), 0);
    config_destroy (&config);
    server_destroy (&server);
    ck_assert_ptr_null (server);
    keyring_destroy (&keyring);
    store_destroy (&store);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  PHI in answers

//  A call as the server builds one for a handler, enough for
//  server_call_phi: the caller, the method entry, break-glass.
typedef struct {
    identity_t caller;
    server_call_t call;
} s_phi_call_t;

static void
s_phi_call (s_phi_call_t *phi, const char *role, const server_method_t *method, bool breakglass)
{
    memset (phi, 0, sizeof *phi);
    snprintf (phi->caller.name, sizeof phi->caller.name, "someone");
    snprintf (phi->caller.role, sizeof phi->caller.role, "%s", role);
    phi->call.caller = &phi->caller;
    phi->call.method = method;
    phi->call.breakglass = breakglass;
    phi->call.phi_fields = zlistx_new ();
    zlistx_set_destructor (phi->call.phi_fields, (zlistx_destructor_fn *) zstr_free);
}

#define S_ALL_PHI (MASK_NEED (MASK_FIELD_NAME) | MASK_NEED (MASK_FIELD_DOB) \
                   | MASK_NEED (MASK_FIELD_ADDRESS) | MASK_NEED (MASK_FIELD_MEMBER_ID))

//  One patient's fields in the text forms handlers give: name, DOB,
//  address, member id (mask_field_t order).
static const char *s_phi_plain [MASK_FIELD_COUNT] = {
    "SMITH, ANN Q", "19570304", "123 MAIN ST, SPRINGFIELD, IL 62701", "XQZ123456789"
};
static const char *s_masked [MASK_FIELD_COUNT] = { "A. SMITH", "1957", "IL", "****6789" };
static const char *s_labels [MASK_FIELD_COUNT] = {
    "patient_name", "patient_dob", "patient_address", "member_id"
};

//  What each role sees of each field on a one-patient answer, with no
//  break-glass: F full, M masked, - nothing. Expected from the issue and
//  docs/access.md, not from mask.c's table.
static const struct {
    const char *role;
    const char *forms;          //  name, DOB, address, member id
} s_role_forms [] = {
    { "admin",           "FFFF" },
    { "compliance",      "FFFF" },
    { "internal-lead",   "FFFF" },
    { "internal-biller", "FFFF" },
    { "vendor-lead",     "MMMM" },
    { "vendor-agent",    "MMMM" },
    { "leader",          "----" },
    { "service",         "----" },
    { "no-such-role",    "----" },
};

//  Places every field as role through method, with the fields the
//  caller's own work item needs (needed); checks each against the
//  expected forms (F, M, -) and the recorded phi_fields.
static void
s_check_forms_needing (const char *role, const server_method_t *method, bool breakglass, unsigned needed,
                       const char *forms)
{
    s_phi_call_t phi;
    s_phi_call (&phi, role, method, breakglass);
    phi.call.phi_needed = needed;
    size_t recorded = 0;
    for (int field = 0; field < MASK_FIELD_COUNT; field++) {
        char out [128];
        mask_form_t form = server_call_phi (&phi.call, (mask_field_t) field, s_labels [field],
                                            s_phi_plain [field], out, sizeof out);
        const char *want = forms [field] == 'F'? s_phi_plain [field]: forms [field] == 'M'? s_masked [field]: "";
        mask_form_t want_form = forms [field] == 'F'? MASK_FULL: forms [field] == 'M'? MASK_MASKED: MASK_NONE;
        ck_assert_msg (streq (out, want) && form == want_form, "%s%s on %s sees %s as '%s' (%s), expected '%s'",
                       role, breakglass? " in break-glass": "", method->method, mask_field_name ((mask_field_t) field),
                       out, mask_form_name (form), want);
        if (want_form != MASK_NONE) {
            //  Recorded for the audit, in order, with its form.
            char entry [64];
            snprintf (entry, sizeof entry, "%s:%s", s_labels [field], mask_form_name (want_form));
            const char *at = (const char *) zlistx_last (phi.call.phi_fields);
            ck_assert_msg (at && streq (at, entry), "%s: recorded '%s', expected '%s'", role, at? at: "", entry);
            recorded++;
        }
    }
    ck_assert_uint_eq (zlistx_size (phi.call.phi_fields), recorded);
    ck_assert_str_eq (phi.call.phi_refused, "");
    zlistx_destroy (&phi.call.phi_fields);
}

static void
s_check_forms (const char *role, const server_method_t *method, bool breakglass, const char *forms)
{
    s_check_forms_needing (role, method, breakglass, 0, forms);
}

START_TEST (test_phi_rule_per_role_per_field)
{
    static const server_method_t show = { "test.Show", "claims.read", NULL, s_echo, SERVER_SUBJECT, s_resolve,
                                          S_ALL_PHI };
    for (size_t i = 0; i < sizeof s_role_forms / sizeof s_role_forms [0]; i++)
        s_check_forms (s_role_forms [i].role, &show, false, s_role_forms [i].forms);
}
END_TEST

START_TEST (test_phi_rule_lifts_and_limits)
{
    static const server_method_t show = { "test.Show", "claims.read", NULL, s_echo, SERVER_SUBJECT, s_resolve,
                                          S_ALL_PHI };
    static const server_method_t list = { "test.List", "claims.read", NULL, s_list, SERVER_LIST, NULL,
                                          S_ALL_PHI };
    //  A break-glass in force lifts the vendor's masks; it gives nothing to
    //  a role that sees no PHI (no phi.read, no row).
    s_check_forms ("vendor-agent", &show, true, "FFFF");
    s_check_forms ("vendor-lead", &show, true, "FFFF");
    s_check_forms ("leader", &show, true, "----");
    s_check_forms ("service", &show, true, "----");
    //  A list's rows are a bulk read: full only with phi.bulk (admins,
    //  internal-leads), masked for the rest, break-glass or not.
    s_check_forms ("admin", &list, false, "FFFF");
    s_check_forms ("internal-lead", &list, false, "FFFF");
    s_check_forms ("internal-biller", &list, false, "MMMM");
    s_check_forms ("compliance", &list, false, "MMMM");
    s_check_forms ("vendor-agent", &list, true, "MMMM");
    s_check_forms ("vendor-agent", &list, false, "MMMM");
    s_check_forms ("leader", &list, false, "----");
    //  The caller's own work item on the subject lifts the masks of what
    //  its type needs (a follow-up: name, DOB, member id), no more; never
    //  for a role that sees no PHI, never on a list (a bulk read).
    const unsigned payer = MASK_NEED (MASK_FIELD_NAME) | MASK_NEED (MASK_FIELD_DOB)
                         | MASK_NEED (MASK_FIELD_MEMBER_ID);
    s_check_forms_needing ("vendor-agent", &show, false, payer, "FFMF");
    s_check_forms_needing ("vendor-lead", &show, false, MASK_NEED (MASK_FIELD_ADDRESS), "MMFM");
    s_check_forms_needing ("leader", &show, false, S_ALL_PHI, "----");
    s_check_forms_needing ("vendor-agent", &list, false, payer, "MMMM");
    //  phi.unmask (admins) is what lifts a mask without break-glass: the
    //  same full forms as the table gives internal staff.
    ck_assert (access_allows ("admin", "phi.unmask"));
    ck_assert (!access_allows ("internal-biller", "phi.unmask"));
}
END_TEST

START_TEST (test_phi_rule_undeclared_field)
{
    //  Declares the DOB only: the member id is refused, not placed, and
    //  named; the declared DOB still goes through as the rule says.
    static const server_method_t dob_only = { "test.Dob", "claims.read", NULL, s_echo, SERVER_UNSCOPED, NULL,
                                              MASK_NEED (MASK_FIELD_DOB) };
    static const server_method_t none = { "test.None", "claims.read", NULL, s_echo, SERVER_UNSCOPED, NULL,
                                          SERVER_NO_PHI };
    s_phi_call_t phi;
    s_phi_call (&phi, "admin", &dob_only, true);
    char out [64] = "left over";
    ck_assert_int_eq (server_call_phi (&phi.call, MASK_FIELD_MEMBER_ID, "member_id", "XQZ123456789",
                                       out, sizeof out), MASK_NONE);
    ck_assert_str_eq (out, "");
    ck_assert_str_eq (phi.call.phi_refused, "member_id");
    ck_assert_int_eq (server_call_phi (&phi.call, MASK_FIELD_DOB, "patient_dob", "19570304", out, sizeof out),
                      MASK_FULL);
    ck_assert_str_eq (out, "19570304");
    zlistx_destroy (&phi.call.phi_fields);
    //  A method declaring none places nothing.
    s_phi_call (&phi, "internal-biller", &none, false);
    for (int field = 0; field < MASK_FIELD_COUNT; field++) {
        ck_assert_int_eq (server_call_phi (&phi.call, (mask_field_t) field, s_labels [field], s_phi_plain [field],
                                           out, sizeof out), MASK_NONE);
        ck_assert_str_eq (out, "");
    }
    ck_assert_str_eq (phi.call.phi_refused, "patient_name");
    ck_assert_uint_eq (zlistx_size (phi.call.phi_fields), 0);
    zlistx_destroy (&phi.call.phi_fields);
    //  An empty value shows nothing and is not recorded as shown.
    s_phi_call (&phi, "admin", &dob_only, false);
    ck_assert_int_eq (server_call_phi (&phi.call, MASK_FIELD_DOB, "patient_dob", "", out, sizeof out), MASK_NONE);
    ck_assert_uint_eq (zlistx_size (phi.call.phi_fields), 0);
    zlistx_destroy (&phi.call.phi_fields);
}
END_TEST

START_TEST (test_phi_through_the_server)
{
    s_test_t test;
    s_setup (&test);
    client_t *admin = s_client (&test, test.admin);
    client_t *vendor = s_client (&test, test.vendor);
    client_t *leader = s_client (&test, test.leader);
    char *text = s_text (s_call (admin, "test.Patient", "p1"));
    ck_assert_str_eq (text, "SMITH, ANN Q|19570304");
    free (text);
    text = s_text (s_call (vendor, "test.Patient", "p1"));
    ck_assert_str_eq (text, "A. SMITH|1957");
    free (text);
    //  A leader reads claims (claims.read through *.read) but no patient.
    text = s_text (s_call (leader, "test.Patient", "p1"));
    ck_assert_str_eq (text, "|");
    free (text);
    //  A handler placing a field its entry does not declare: the call
    //  fails, naming it, and nothing of the patient is answered.
    Reply *reply = s_call (admin, "test.Patient", "undeclared");
    ck_assert_uint_eq (reply->body.len, 0);
    s_expect (reply, STATUS__INTERNAL, "test.Patient answers PHI field 'member_id' its method table entry does not declare");
    //  A handler that fails after placing answered nothing of the patient.
    s_expect (s_call (admin, "test.Patient", "refuse"), STATUS__FAILED_PRECONDITION, "refused after placing");

    size_t count;
    AccessEvent **audit = s_audit_read (&test, &count);
    ck_assert_uint_eq (count, 5);
    static const char *s_fields [][2] = {
        { "patient_name:full", "patient_dob:full" },
        { "patient_name:masked", "patient_dob:masked" },
    };
    for (int i = 0; i < 2; i++) {
        ck_assert_str_eq (audit [i]->method, "test.Patient");
        ck_assert_uint_eq (audit [i]->n_phi_fields, 2);
        ck_assert_str_eq (audit [i]->phi_fields [0], s_fields [i][0]);
        ck_assert_str_eq (audit [i]->phi_fields [1], s_fields [i][1]);
    }
    ck_assert_str_eq (audit [2]->actor_name, "lee");
    ck_assert_uint_eq (audit [2]->n_phi_fields, 0);
    ck_assert_int_eq (audit [3]->outcome, STATUS__INTERNAL);
    ck_assert_uint_eq (audit [3]->n_phi_fields, 0);
    ck_assert_int_eq (audit [4]->outcome, STATUS__FAILED_PRECONDITION);
    ck_assert_uint_eq (audit [4]->n_phi_fields, 0);
    s_audit_free (audit, count);

    //  <service>.Methods says which answers carry PHI.
    reply = s_call (admin, "test.Methods", NULL);
    ck_assert_int_eq (reply->status, STATUS__OK);
    MethodList *list = (MethodList *) codec_decode (&method_list__descriptor, reply->body.data, reply->body.len);
    ck_assert_ptr_nonnull (list);
    for (size_t i = 0; i < list->n_methods; i++) {
        MethodInfo *info = list->methods [i];
        if (streq (info->name, "test.Patient")) {
            ck_assert_uint_eq (info->n_phi, 2);
            ck_assert_str_eq (info->phi [0], "name");
            ck_assert_str_eq (info->phi [1], "dob");
        }
        else
            ck_assert_msg (info->n_phi == 0, "%s lists PHI", info->name);
    }
    codec_free (list);
    codec_free (reply);
    client_destroy (&admin);
    client_destroy (&vendor);
    client_destroy (&leader);
    s_teardown (&test);
}
END_TEST

//  The row macros fill what a whole entry states: "<service>.<Name>",
//  "<service>.<verb>", the scope of the macro, a resolver only for a
//  subject method, no PHI.
START_TEST (test_row_macros)
{
    static const server_method_t rows [] = {
        SERVER_INTERNAL_METHOD (test, Rebuild, admin, NULL, s_plain),
        SERVER_LIST_METHOD     (test, List,    read,  NULL, s_list),
        SERVER_UNSCOPED_METHOD (test, Echo,    read,  &queue_id__descriptor, s_echo),
        SERVER_SUBJECT_METHOD  (test, Show,    work,  &queue_id__descriptor, s_echo, s_resolve),
        { NULL }
    };
    static const server_method_t whole [] = {
        { "test.Rebuild", "test.admin", NULL, s_plain, SERVER_INTERNAL, NULL, SERVER_NO_PHI },
        { "test.List", "test.read", NULL, s_list, SERVER_LIST, NULL, SERVER_NO_PHI },
        { "test.Echo", "test.read", &queue_id__descriptor, s_echo, SERVER_UNSCOPED, NULL, SERVER_NO_PHI },
        { "test.Show", "test.work", &queue_id__descriptor, s_echo, SERVER_SUBJECT, s_resolve, SERVER_NO_PHI },
        { NULL }
    };
    for (size_t i = 0; whole [i].method; i++) {
        ck_assert_str_eq (rows [i].method, whole [i].method);
        ck_assert_str_eq (rows [i].permission, whole [i].permission);
        ck_assert_ptr_eq (rows [i].request_type, whole [i].request_type);
        ck_assert_ptr_eq ((void *) rows [i].handler, (void *) whole [i].handler);
        ck_assert_int_eq (rows [i].scope, whole [i].scope);
        ck_assert_ptr_eq ((void *) rows [i].resolve, (void *) whole [i].resolve);
        ck_assert_uint_eq (rows [i].phi, whole [i].phi);
    }
    ck_assert_ptr_null (rows [4].method);
}
END_TEST

Suite *
server_suite (void)
{
    Suite *suite = suite_create ("server");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_dispatch);
    tcase_add_test (tc, test_refusals);
    tcase_add_test (tc, test_unknown_and_revoked_key);
    tcase_add_test (tc, test_client_watch);
    tcase_add_test (tc, test_scope_marks);
    tcase_add_test (tc, test_store_error);
    tcase_add_test (tc, test_undo);
    tcase_add_test (tc, test_reply_cache_bytes);
    tcase_add_test (tc, test_reply_cache_age);
    tcase_add_test (tc, test_configure);
    tcase_add_test (tc, test_phi_rule_per_role_per_field);
    tcase_add_test (tc, test_phi_rule_lifts_and_limits);
    tcase_add_test (tc, test_phi_rule_undeclared_field);
    tcase_add_test (tc, test_phi_through_the_server);
    tcase_add_test (tc, test_row_macros);
    suite_add_tcase (suite, tc);
    return suite;
}
