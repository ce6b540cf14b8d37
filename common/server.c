/*  server: see server.h.

    A call runs as: decode Request → find method → check caller and
    permission → check deadline → decode body → handler → audit record, all
    inside one store_write, then the reply goes out. Replies are cached by
    (caller key, request id) for a while, so a client that resends after a
    timeout gets the same answer and the handler does not run twice.
*/
#include "server.h"
#include "access.h"
#include "clock.h"
#include "log.h"
#include "transport.h"

#define SERVER_MAX_TABLES   8
#define SERVER_CACHE_SIZE   4096

struct _server_t {
    char *service;
    store_t *store;
    keyring_t *keyring;
    const server_method_t *tables [SERVER_MAX_TABLES];
    int table_count;
    void *state;
    server_audit_fn *audit;
    void *audit_arg;
    void (*committed) (void *arg);
    void *committed_arg;
    zsock_t *socket;
    zhashx_t *cache;            //  "key/request id" -> zchunk reply
    zlistx_t *cache_order;      //  keys, oldest first
    uint64_t handled;
    uint64_t last_refresh;
    int64_t max_request;        //  bytes of a request frame; 0: no limit
};

static void
s_chunk_free (void **item_p)
{
    zchunk_destroy ((zchunk_t **) item_p);
}

server_t *
server_new (const char *service, store_t *store, keyring_t *keyring,
            const server_method_t *methods, void *state)
{
    server_t *self = (server_t *) zmalloc (sizeof (server_t));
    self->service = strdup (service);
    self->store = store;
    self->keyring = keyring;
    self->tables [self->table_count++] = methods;
    self->state = state;
    self->cache = zhashx_new ();
    zhashx_set_destructor (self->cache, s_chunk_free);
    self->cache_order = zlistx_new ();
    zlistx_set_destructor (self->cache_order, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_duplicator (self->cache_order, (zlistx_duplicator_fn *) strdup);
    return self;
}

void
server_destroy (server_t **self_p)
{
    assert (self_p);
    server_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->socket);
    zhashx_destroy (&self->cache);
    zlistx_destroy (&self->cache_order);
    free (self->service);
    free (self);
    *self_p = NULL;
}

void
server_set_audit (server_t *self, server_audit_fn *audit, void *arg)
{
    self->audit = audit;
    self->audit_arg = arg;
}

void
server_add_methods (server_t *self, const server_method_t *methods)
{
    assert (self->table_count < SERVER_MAX_TABLES);
    self->tables [self->table_count++] = methods;
}

void
server_on_commit (server_t *self, void (*fn) (void *arg), void *arg)
{
    self->committed = fn;
    self->committed_arg = arg;
}

uint64_t
server_handled (server_t *self)
{
    return self->handled;
}

//  --------------------------------------------------------------------------
//  Call helpers for handlers

void
server_call_reply (server_call_t *call, const void *message)
{
    free (call->reply_body);
    call->reply_body = codec_pack (message, &call->reply_size);
    call->status = STATUS__OK;
}

int
server_call_fail (server_call_t *call, Status status, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (call->message, sizeof call->message, format, args);
    va_end (args);
    call->status = status;
    free (call->reply_body);
    call->reply_body = NULL;
    call->reply_size = 0;
    return 0;
}

void
server_call_subject (server_call_t *call, const char *id)
{
    if (id && *id)
        zlistx_add_end (call->subjects, (void *) id);
}

//  --------------------------------------------------------------------------
//  Running a call

static const server_method_t *
s_find (server_t *self, const char *method)
{
    for (int t = 0; t < self->table_count; t++)
        for (const server_method_t *entry = self->tables [t]; entry->method; entry++)
            if (streq (entry->method, method))
                return entry;
    return NULL;
}

typedef struct {
    server_t *self;
    const char *peer_key;
    const Request *request;     //  NULL when the frame was not a Request
    size_t frame_size;
    server_call_t call;
} s_run_t;

static int
s_audit (s_run_t *run, MDB_txn *txn)
{
    server_t *self = run->self;
    server_call_t *call = &run->call;
    if (!self->audit)
        return 0;
    AccessEvent event = ACCESS_EVENT__INIT;
    event.actor_key = (char *) (run->peer_key? run->peer_key: "");
    event.actor_name = (char *) (call->caller? call->caller->name: "");
    event.role = (char *) (call->caller? call->caller->role: "");
    event.team = (char *) (call->caller? call->caller->team: "");
    event.service = self->service;
    event.method = (char *) (run->request? run->request->method: "");
    event.request_id = (char *) (run->request? run->request->id: "");
    size_t count = zlistx_size (call->subjects);
    char **subjects = (char **) calloc (count? count: 1, sizeof (char *));
    size_t n = 0;
    for (char *id = (char *) zlistx_first (call->subjects); id; id = (char *) zlistx_next (call->subjects))
        subjects [n++] = id;
    event.n_subjects = n;
    event.subjects = subjects;
    event.outcome = call->status;
    event.message = call->message;
    event.time_ms = clock_now_ms ();
    int rc = self->audit (self->store, txn, &event, self->audit_arg);
    free (subjects);
    return rc;
}

static int
s_run_call (store_t *store, MDB_txn *txn, void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    server_t *self = run->self;
    server_call_t *call = &run->call;
    //  A retry after MDB_MAP_FULL starts from a clean call.
    codec_free (call->body);
    call->body = NULL;
    free (call->reply_body);
    call->reply_body = NULL;
    call->reply_size = 0;
    call->message [0] = 0;
    call->status = STATUS__OK;
    zlistx_purge (call->subjects);
    call->txn = txn;

    const Request *request = run->request;
    const server_method_t *method = request? s_find (self, request->method): NULL;
    if (!request)
        server_call_fail (call, STATUS__INVALID_ARGUMENT,
                          "%s: request frame of %zu bytes is not an rcmq Request", self->service, run->frame_size);
    else
    if (!call->caller)
        server_call_fail (call, STATUS__UNAUTHENTICATED,
                          "%s: the CURVE key of this connection is unknown or revoked", self->service);
    else
    if (!method)
        server_call_fail (call, STATUS__NOT_FOUND, "%s: no method '%s'", self->service, request->method);
    else
    if (!access_allows (call->caller->role, method->permission))
        server_call_fail (call, STATUS__PERMISSION_DENIED, "%s: role '%s' may not %s (needs %s)",
                          self->service, call->caller->role, request->method, method->permission);
    else
    if (request->deadline_ms && zclock_time () > (int64_t) request->deadline_ms)
        server_call_fail (call, STATUS__DEADLINE_EXCEEDED, "%s: %s arrived after its deadline",
                          self->service, request->method);
    else {
        if (method->request_type) {
            call->body = codec_decode (method->request_type, request->body.data, request->body.len);
            if (!call->body)
                server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: body of %s is not a valid %s",
                                  self->service, request->method, method->request_type->name);
        }
        if (call->status == STATUS__OK) {
            int rc = method->handler (call);
            if (rc)
                return rc;
        }
    }
    return s_audit (run, txn);
}

static void
s_send_reply (server_t *self, zframe_t *routing_id, const char *cache_key, zchunk_t *reply)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &routing_id);
    zmsg_addmem (msg, zchunk_data (reply), zchunk_size (reply));
    zmsg_send (&msg, self->socket);
    zmsg_destroy (&msg);
    if (!cache_key)
        return;
    if (zhashx_size (self->cache) >= SERVER_CACHE_SIZE) {
        char *oldest = (char *) zlistx_first (self->cache_order);
        zhashx_delete (self->cache, oldest);
        zlistx_delete (self->cache_order, zlistx_cursor (self->cache_order));
    }
    zhashx_update (self->cache, cache_key, zchunk_dup (reply));
    zlistx_add_end (self->cache_order, (void *) cache_key);
}

static void
s_handle (server_t *self, zmsg_t *msg)
{
    zframe_t *routing_id = zmsg_pop (msg);
    zframe_t *frame = zmsg_pop (msg);
    if (!routing_id || !frame) {
        zframe_destroy (&routing_id);
        zframe_destroy (&frame);
        return;
    }
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.self = self;
    run.peer_key = transport_peer_key (frame);
    run.frame_size = zframe_size (frame);
    Request *request = (Request *) codec_decode_frame (&request__descriptor, frame);
    run.request = request;

    //  Revocations must bite on open connections too: look again now.
    uint64_t now = clock_monotonic_ms ();
    if (now - self->last_refresh > 200) {
        keyring_refresh (self->keyring);
        self->last_refresh = now;
    }
    //  Only a key still known may be answered from the cache: a revoked
    //  key must not get even an old reply.
    const identity_t *caller = keyring_lookup (self->keyring, run.peer_key);
    char *cache_key = NULL;
    if (request && *request->id && run.peer_key && caller) {
        cache_key = zsys_sprintf ("%s/%s", run.peer_key, request->id);
        zchunk_t *cached = (zchunk_t *) zhashx_lookup (self->cache, cache_key);
        if (cached) {
            zchunk_t *copy = zchunk_dup (cached);
            s_send_reply (self, routing_id, NULL, copy);
            zchunk_destroy (&copy);
            zstr_free (&cache_key);
            codec_free (request);
            zframe_destroy (&frame);
            return;
        }
    }
    server_call_t *call = &run.call;
    call->server = self;
    call->caller = caller;
    call->request = request;
    call->store = self->store;
    call->state = self->state;
    call->subjects = zlistx_new ();
    zlistx_set_duplicator (call->subjects, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (call->subjects, (zlistx_destructor_fn *) zstr_free);

    if (store_write (self->store, s_run_call, &run)) {
        //  Nothing was applied, not even the audit record; say so plainly.
        log_error ("request failed in store", "method", json_string (request? request->method: ""),
                   "error", json_string (store_error (self->store)), NULL);
        server_call_fail (call, STATUS__UNAVAILABLE, "%s: store write failed: %s",
                          self->service, store_error (self->store));
        zstr_free (&cache_key);     //  a retry may succeed: do not cache
    }
    else {
        self->handled++;
        if (self->committed)
            self->committed (self->committed_arg);
    }
    Reply reply = REPLY__INIT;
    reply.id = request? request->id: "";
    reply.status = call->status;
    reply.message = call->message;
    reply.body.data = call->reply_body;
    reply.body.len = call->reply_size;
    size_t size;
    uint8_t *packed = codec_pack (&reply, &size);
    zchunk_t *chunk = zchunk_new (packed, size);
    free (packed);
    s_send_reply (self, routing_id, cache_key, chunk);
    zchunk_destroy (&chunk);

    if (call->status != STATUS__OK)
        log_info ("request refused", "method", json_string (request? request->method: ""),
                  "status", json_string (codec_status_name (call->status)),
                  "actor", json_string (call->caller? call->caller->name: ""), NULL);
    zstr_free (&cache_key);
    codec_free (call->body);
    free (call->reply_body);
    zlistx_destroy (&call->subjects);
    codec_free (request);
    zframe_destroy (&frame);
}

static int
s_on_request (zloop_t *loop, zsock_t *socket, void *arg)
{
    server_t *self = (server_t *) arg;
    zmsg_t *msg = zmsg_recv (socket);
    if (msg)
        s_handle (self, msg);
    zmsg_destroy (&msg);
    return 0;
}

void
server_set_max_request (server_t *self, int64_t bytes)
{
    self->max_request = bytes;
}

int
server_bind (server_t *self, const char *endpoint, zcert_t *cert)
{
    self->socket = zsock_new (ZMQ_ROUTER);
    transport_curve_server (self->socket, cert);
    if (self->max_request > 0)
        zsock_set_maxmsgsize (self->socket, (int) (self->max_request + TRANSPORT_CURVE_OVERHEAD));
    zsock_set_linger (self->socket, 0);
    //  A peer that vanished must not make us block or error.
    zsock_set_router_mandatory (self->socket, 0);
    if (zsock_bind (self->socket, "%s", endpoint) < 0) {
        log_error ("cannot bind api socket", "endpoint", json_string (endpoint),
                   "error", json_string (zmq_strerror (zmq_errno ())), NULL);
        zsock_destroy (&self->socket);
        return -1;
    }
    return 0;
}

int
server_attach (server_t *self, zloop_t *loop)
{
    return zloop_reader (loop, self->socket, s_on_request, self);
}

void
server_close (server_t *self, zloop_t *loop)
{
    if (!self->socket)
        return;
    if (loop)
        zloop_reader_end (loop, self->socket);
    zsock_destroy (&self->socket);
}
