/*  server: see server.h.

    A call runs as: decode Request → find method → check caller and
    permission → check deadline → decode body → handler → audit record, all
    inside one store_write, then the reply goes out. Replies are cached by
    (caller key, request id) for a while, so a client that resends after a
    timeout gets the same answer and the handler does not run twice.

    The cache is bounded three ways, oldest out first: by entries, by the
    bytes of the replies it holds (api/reply-cache-bytes) and by age
    (api/reply-cache-ms). A client resends within its own timeout times its
    attempts (seconds), so an old reply is of no use to anyone, and a bound
    by count alone let a few hundred 1,000-claim lists hold 600 MB. A reply
    larger than the whole byte bound is not kept at all: a resend of it runs
    the method again.
*/
#include "server.h"
#include "access.h"
#include "clock.h"
#include "log.h"
#include "transport.h"

//  Method tables one server takes (its own, the skeleton's health and work
//  methods, and a service's several files).
#define SERVER_MAX_TABLES   16
#define SERVER_CACHE_SIZE   4096
#define SERVER_CACHE_PURGE_MS 1000
//  Defaults of api/reply-cache-bytes and api/reply-cache-ms.
#define SERVER_CACHE_BYTES  (64 * 1024 * 1024)
#define SERVER_CACHE_AGE_MS (300 * 1000)

struct _server_t {
    char *service;
    store_t *store;
    server_caller_fn *callers;
    void *callers_arg;
    const server_method_t *tables [SERVER_MAX_TABLES];
    int table_count;
    void *state;
    server_audit_fn *audit;
    void *audit_arg;
    void (*committed) (void *arg);
    void *committed_arg;
    server_handled_fn *handled_fn;
    void *handled_arg;
    char methods_name [80];     //  "<service>.Methods"
    server_method_t own [2];
    zsock_t *socket;
    zloop_t *loop;
    int purge_timer;
    zhashx_t *cache;            //  "key/request id" -> s_cached_t (owned by cache_order)
    zlistx_t *cache_order;      //  s_cached_t, oldest first
    size_t cache_bytes;         //  of the replies held
    size_t cache_max_bytes;
    uint64_t cache_max_age_ms;
    uint64_t handled;
    int64_t max_request;        //  bytes of a request frame; 0: no limit
};

//  One cached reply; the order list owns it, the hash points at it.
typedef struct {
    char *key;
    zchunk_t *reply;
    uint64_t at_ms;             //  monotonic
} s_cached_t;

static void
s_cached_free (void **item_p)
{
    s_cached_t *cached = (s_cached_t *) *item_p;
    if (cached) {
        free (cached->key);
        zchunk_destroy (&cached->reply);
        free (cached);
    }
    *item_p = NULL;
}

//  A table entry without a scope mark, or a subject method that cannot
//  name its subject, would leave vendor scope to chance.
static void
s_check_table (const server_method_t *methods)
{
    for (const server_method_t *entry = methods; entry->method; entry++) {
        assert (entry->scope > SERVER_SCOPE_UNSET && entry->scope <= SERVER_ITEM);
        assert ((entry->scope != SERVER_SUBJECT && entry->scope != SERVER_ITEM) || entry->resolve);
        assert (entry->handler && entry->permission);
        assert (entry->phi < MASK_NEED (MASK_FIELD_COUNT));
    }
}

static int s_methods (server_call_t *call);

server_t *
server_new (const char *service, store_t *store, server_caller_fn *callers, void *callers_arg,
            const server_method_t *methods, void *state)
{
    assert (callers);
    server_t *self = (server_t *) zmalloc (sizeof (server_t));
    self->service = strdup (service);
    self->store = store;
    self->callers = callers;
    self->callers_arg = callers_arg;
    s_check_table (methods);
    self->tables [self->table_count++] = methods;
    snprintf (self->methods_name, sizeof self->methods_name, "%s.Methods", service);
    self->own [0] = (server_method_t) { self->methods_name, "health.read", NULL, s_methods, SERVER_UNSCOPED, NULL, SERVER_NO_PHI };
    self->own [1] = (server_method_t) { NULL };
    self->tables [self->table_count++] = self->own;
    self->state = state;
    self->cache = zhashx_new ();
    self->cache_order = zlistx_new ();
    zlistx_set_destructor (self->cache_order, s_cached_free);
    self->cache_max_bytes = SERVER_CACHE_BYTES;
    self->cache_max_age_ms = SERVER_CACHE_AGE_MS;
    self->purge_timer = -1;
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
server_set_reply_cache (server_t *self, size_t max_bytes, uint64_t max_age_ms)
{
    self->cache_max_bytes = max_bytes;
    self->cache_max_age_ms = max_age_ms;
}

int
server_configure (server_t *self, config_t *config, char *error, size_t size)
{
    int64_t bytes, age;
    if (config_get_int_checked (config, "api/reply-cache-bytes", SERVER_CACHE_BYTES, 0, INT64_MAX, &bytes, error, size)
    ||  config_get_int_checked (config, "api/reply-cache-ms", SERVER_CACHE_AGE_MS, 0, INT64_MAX, &age, error, size))
        return -1;
    server_set_reply_cache (self, (size_t) bytes, (uint64_t) age);
    return 0;
}

size_t
server_cache_bytes (server_t *self)
{
    return self->cache_bytes;
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
    //  Checked in every build (assert is compiled out of release builds):
    //  one table too many would overwrite the count after the array.
    if (self->table_count >= SERVER_MAX_TABLES) {
        log_error ("too many method tables: raise SERVER_MAX_TABLES", "service", json_string (self->service), NULL);
        abort ();
    }
    s_check_table (methods);
    self->tables [self->table_count++] = methods;
}

void
server_on_commit (server_t *self, void (*fn) (void *arg), void *arg)
{
    self->committed = fn;
    self->committed_arg = arg;
}

void
server_on_handled (server_t *self, server_handled_fn *fn, void *arg)
{
    self->handled_fn = fn;
    self->handled_arg = arg;
}

uint64_t
server_handled (server_t *self)
{
    return self->handled;
}

//  --------------------------------------------------------------------------
//  Call helpers for handlers

void
server_call_on_commit (server_call_t *call, void (*fn) (void *arg), void *arg)
{
    assert (call->commit_count < SERVER_COMMIT_ACTIONS);
    call->commit_actions [call->commit_count].fn = fn;
    call->commit_actions [call->commit_count].arg = arg;
    call->commit_count++;
}

void
server_call_reply (server_call_t *call, const void *message)
{
    free (call->reply_body);
    call->reply_body = codec_pack (message, &call->reply_size);
    call->status = STATUS__OK;
}

static void
s_fail (server_call_t *call, Status status, const char *format, va_list args)
{
    vsnprintf (call->message, sizeof call->message, format, args);
    call->status = status;
    free (call->reply_body);
    call->reply_body = NULL;
    call->reply_size = 0;
}

int
server_call_fail (server_call_t *call, Status status, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_fail (call, status, format, args);
    va_end (args);
    return 0;
}

int
server_call_undo (server_call_t *call, Status status, const char *format, ...)
{
    assert (status != STATUS__OK);
    va_list args;
    va_start (args, format);
    s_fail (call, status, format, args);
    va_end (args);
    call->undo = true;
    return 0;
}

void
server_call_subject (server_call_t *call, const char *id)
{
    if (id && *id)
        zlistx_add_end (call->subjects, (void *) id);
}

void
server_call_subjects (server_call_t *call, char *const *ids, size_t count)
{
    for (size_t i = 0; i < count; i++)
        server_call_subject (call, ids [i]);
}

void
server_call_reply_page (server_call_t *call, const ProtobufCMessageDescriptor *type, const store_page_t *page)
{
    const ProtobufCFieldDescriptor *rows = NULL;
    for (unsigned i = 0; i < type->n_fields; i++)
        if (type->fields [i].label == PROTOBUF_C_LABEL_REPEATED && type->fields [i].type == PROTOBUF_C_TYPE_MESSAGE)
            rows = &type->fields [i];
    //  Replies written before the paging helper call it "next"; new lists
    //  "next_after", as rcmqctl prints it.
    const ProtobufCFieldDescriptor *next = protobuf_c_message_descriptor_get_field_by_name (type, "next_after");
    if (!next)
        next = protobuf_c_message_descriptor_get_field_by_name (type, "next");
    assert (rows && next && next->type == PROTOBUF_C_TYPE_STRING);
    //  A shallow message over the page's rows: sent, then let go, not freed.
    ProtobufCMessage *reply = (ProtobufCMessage *) zmalloc (type->sizeof_message);
    type->message_init (reply);
    *(size_t *) ((char *) reply + rows->quantifier_offset) = page->count;
    *(void ***) ((char *) reply + rows->offset) = page->rows;
    *(char **) ((char *) reply + next->offset) = page->next_after;
    server_call_subjects (call, page->ids, page->count);
    server_call_reply (call, reply);
    free (reply);
}

void
server_call_scope (server_call_t *call, const char *kind, const char *id,
                   const char *phase, const char *vendor_team)
{
    call->scope_seen++;
    if (!*call->scope_refused && !access_in_scope (call->caller, phase, vendor_team))
        snprintf (call->scope_refused, sizeof call->scope_refused, "%s '%s'", kind, id? id: "");
}

bool
server_call_in_scope (server_call_t *call, const char *phase, const char *vendor_team)
{
    return access_in_scope (call->caller, phase, vendor_team);
}

//  PHI into a reply: the one rule (server.h). The order matters: the
//  declaration first (a bug shows whoever calls), then what the role may
//  see at all, then its form.
mask_form_t
server_call_phi (server_call_t *call, mask_field_t field, const char *label,
                 const char *plain, char *out, size_t size)
{
    assert (out && size);
    *out = 0;
    if ((unsigned) field >= MASK_FIELD_COUNT || !call->method || !(call->method->phi & MASK_NEED (field))) {
        if (!*call->phi_refused)
            snprintf (call->phi_refused, sizeof call->phi_refused, "%s", label);
        log_error ("PHI field not declared by its method", "method",
                   json_string (call->method? call->method->method: ""),
                   "field", json_string (mask_field_name (field)), "reply_field", json_string (label), NULL);
        return MASK_NONE;
    }
    const char *role = call->caller? call->caller->role: "";
    mask_form_t form = mask_form (role, field, mask_unmask_allowed (role, call->breakglass), call->phi_needed);
    //  Many patients in one answer is a bulk read: masked unless the
    //  caller holds phi.bulk, whatever unmasks one patient for it.
    if (form == MASK_FULL && call->method->scope == SERVER_LIST && !access_allows (role, "phi.bulk"))
        form = MASK_MASKED;
    if (form == MASK_FULL)
        snprintf (out, size, "%s", plain? plain: "");
    else
    if (form == MASK_MASKED)
        mask_text (field, plain, out, size);
    if (form == MASK_NONE || !*out)
        return MASK_NONE;
    char *entry = zsys_sprintf ("%s:%s", label, mask_form_name (form));
    zlistx_add_end (call->phi_fields, entry);
    return form;
}

static const char *s_scope_names [] = { "unset", "unscoped", "subject", "list", "internal", "item" };

const char *
server_scope_name (server_scope_t scope)
{
    return scope <= SERVER_ITEM? s_scope_names [scope]: "unset";
}

//  --------------------------------------------------------------------------
//  <service>.Methods: the tables as they are

static const char *
s_field_type (ProtobufCType type)
{
    switch (type) {
        case PROTOBUF_C_TYPE_STRING:  return "string";
        case PROTOBUF_C_TYPE_BYTES:   return "bytes";
        case PROTOBUF_C_TYPE_BOOL:    return "bool";
        case PROTOBUF_C_TYPE_ENUM:    return "enum";
        case PROTOBUF_C_TYPE_FLOAT:
        case PROTOBUF_C_TYPE_DOUBLE:  return "double";
        case PROTOBUF_C_TYPE_MESSAGE: return "message";
        default:                      return "int";
    }
}

static int
s_methods (server_call_t *call)
{
    server_t *self = call->server;
    size_t count = 0;
    for (int t = 0; t < self->table_count; t++)
        for (const server_method_t *entry = self->tables [t]; entry->method; entry++)
            count++;
    MethodInfo *infos = (MethodInfo *) calloc (count + 1, sizeof (MethodInfo));
    MethodInfo **info_ptrs = (MethodInfo **) calloc (count + 1, sizeof (MethodInfo *));
    zlistx_t *blocks = zlistx_new ();
    zlistx_set_destructor (blocks, (zlistx_destructor_fn *) zstr_free);
    size_t n = 0;
    for (int t = 0; t < self->table_count; t++)
        for (const server_method_t *entry = self->tables [t]; entry->method; entry++, n++) {
            MethodInfo *info = &infos [n];
            method_info__init (info);
            info->name = (char *) entry->method;
            info->permission = (char *) entry->permission;
            info->scope = (char *) server_scope_name (entry->scope);
            const ProtobufCMessageDescriptor *type = entry->request_type;
            info->request_type = (char *) (type? type->name: "");
            size_t fields = type? type->n_fields: 0;
            FieldInfo *field_infos = (FieldInfo *) zmalloc ((fields + 1) * sizeof (FieldInfo));
            FieldInfo **field_ptrs = (FieldInfo **) zmalloc ((fields + 1) * sizeof (FieldInfo *));
            zlistx_add_end (blocks, field_infos);
            zlistx_add_end (blocks, field_ptrs);
            for (size_t f = 0; f < fields; f++) {
                field_info__init (&field_infos [f]);
                field_infos [f].name = (char *) type->fields [f].name;
                field_infos [f].number = type->fields [f].id;
                field_infos [f].type = (char *) s_field_type (type->fields [f].type);
                field_infos [f].repeated = type->fields [f].label == PROTOBUF_C_LABEL_REPEATED;
                field_ptrs [f] = &field_infos [f];
            }
            info->n_request_fields = fields;
            info->request_fields = field_ptrs;
            //  The PHI fields it declares, by mask.h's names.
            char **phi = (char **) zmalloc ((MASK_FIELD_COUNT + 1) * sizeof (char *));
            zlistx_add_end (blocks, phi);
            for (int field = 0; field < MASK_FIELD_COUNT; field++)
                if (entry->phi & MASK_NEED (field))
                    phi [info->n_phi++] = (char *) mask_field_name ((mask_field_t) field);
            info->phi = phi;
            info_ptrs [n] = info;
        }
    MethodList list = METHOD_LIST__INIT;
    list.service = self->service;
    list.n_methods = count;
    list.methods = info_ptrs;
    server_call_reply (call, &list);
    zlistx_destroy (&blocks);
    free (info_ptrs);
    free (infos);
    return 0;
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
    registry_caller_t who;      //  the caller function's answer
    int who_rc;                 //  and its 0 / 1 / -1
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
    //  What of a patient the reply showed, and in which form.
    size_t phi_count = zlistx_size (call->phi_fields);
    char **phi_fields = (char **) calloc (phi_count? phi_count: 1, sizeof (char *));
    size_t p = 0;
    for (char *field = (char *) zlistx_first (call->phi_fields); field;
         field = (char *) zlistx_next (call->phi_fields))
        phi_fields [p++] = field;
    event.n_phi_fields = p;
    event.phi_fields = phi_fields;
    event.outcome = call->status;
    event.message = call->message;
    //  A subject out of the caller's scope reads as absent to the caller,
    //  but to compliance it is what it is: a refusal by access control.
    char denied [sizeof call->message + 300];
    if (call->scope_denied) {
        snprintf (denied, sizeof denied, "%s: %s is outside the scope of role '%s', team '%s' (answered NOT_FOUND)",
                  event.method, call->scope_refused [0]? call->scope_refused: "the subject",
                  event.role, event.team);
        event.outcome = STATUS__PERMISSION_DENIED;
        event.message = denied;
    }
    event.time_ms = clock_now_ms ();
    int rc = self->audit (self->store, txn, &event, self->audit_arg);
    free (subjects);
    free (phi_fields);
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
    call->scope_seen = 0;
    call->scope_refused [0] = 0;
    call->scope_denied = false;
    zlistx_purge (call->phi_fields);
    call->phi_refused [0] = 0;
    call->phi_needed = 0;
    call->commit_count = 0;
    call->undo = false;
    call->txn = txn;

    const Request *request = run->request;
    const server_method_t *method = request? s_find (self, request->method): NULL;
    call->method = method;
    if (!request)
        server_call_fail (call, STATUS__INVALID_ARGUMENT,
                          "%s: request frame of %zu bytes is not an rcmq Request", self->service, run->frame_size);
    else
    if (run->who_rc == -1)
        server_call_fail (call, STATUS__UNAVAILABLE, "%s: cannot tell who is calling: %s",
                          self->service, run->who.why);
    else
    if (!call->caller)
        server_call_fail (call, STATUS__UNAUTHENTICATED,
                          "%s: the CURVE key of this connection may not act: %s", self->service,
                          *run->who.why? run->who.why: "unknown key");
    else
    if (!method)
        server_call_fail (call, STATUS__NOT_FOUND, "%s: no method '%s'", self->service, request->method);
    else
    if (!access_allows (call->caller->role, method->permission))
        server_call_fail (call, STATUS__PERMISSION_DENIED, "%s: role '%s' may not %s (needs %s)",
                          self->service, call->caller->role, request->method, method->permission);
    else
    if (method->scope == SERVER_INTERNAL && access_scope_team (call->caller))
        server_call_fail (call, STATUS__PERMISSION_DENIED,
                          "%s: %s acts on every queue; role '%s' works only its team's queues",
                          self->service, request->method, call->caller->role);
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
        //  A vendor's subject must be of its queues before anything runs;
        //  out of scope reads as absent, so it learns nothing of others'.
        //  A work item out of its scope is refused outright (SERVER_ITEM).
        bool resolved = method->scope == SERVER_SUBJECT || method->scope == SERVER_ITEM;
        if (call->status == STATUS__OK && resolved && access_scope_team (call->caller)) {
            int rc = method->resolve (call);
            if (rc)
                return rc;
            if (call->status == STATUS__OK && (*call->scope_refused || !call->scope_seen)) {
                const char *what = *call->scope_refused? call->scope_refused: "such subject";
                if (method->scope == SERVER_ITEM)
                    server_call_fail (call, STATUS__PERMISSION_DENIED,
                                      "%s: %s is not %s's to see or work (role '%s' acts only on its team's "
                                      "items of queues in pilot or vendor phase)", request->method, what,
                                      call->caller->team, call->caller->role);
                else {
                    server_call_fail (call, STATUS__NOT_FOUND, "%s: no %s", request->method, what);
                    call->scope_denied = true;
                }
            }
        }
        if (call->status == STATUS__OK) {
            int rc = method->handler (call);
            if (rc)
                return rc;
            //  A PHI field the entry does not declare: no answer at all,
            //  rather than one carrying what the table says it cannot.
            if (*call->phi_refused)
                server_call_fail (call, STATUS__INTERNAL,
                                  "%s: %s answers PHI field '%s' its method table entry does not declare",
                                  self->service, request->method, call->phi_refused);
        }
    }
    //  A failed call answers no body: nothing of a patient was shown,
    //  whatever the handler placed before it failed.
    if (call->status != STATUS__OK)
        zlistx_purge (call->phi_fields);
    //  Undone: abort the transaction; s_handle records the refusal alone.
    if (call->undo)
        return store_fail (store, "%s: %s undone", self->service, request? request->method: "");
    return s_audit (run, txn);
}

//  The access record of an undone call, in a transaction of its own.
static int
s_run_audit (store_t *store, MDB_txn *txn, void *arg)
{
    (void) store;
    return s_audit ((s_run_t *) arg, txn);
}

//  Drops the oldest cached reply.
static void
s_cache_drop_oldest (server_t *self)
{
    s_cached_t *oldest = (s_cached_t *) zlistx_first (self->cache_order);
    if (!oldest)
        return;
    zhashx_delete (self->cache, oldest->key);
    self->cache_bytes -= zchunk_size (oldest->reply);
    zlistx_delete (self->cache_order, zlistx_cursor (self->cache_order));
}

//  Drops replies older than the age bound (they are in age order).
static void
s_cache_expire (server_t *self)
{
    uint64_t now = clock_monotonic_ms ();
    s_cached_t *oldest;
    while ((oldest = (s_cached_t *) zlistx_first (self->cache_order))
       &&  now - oldest->at_ms >= self->cache_max_age_ms)
        s_cache_drop_oldest (self);
}

static void
s_cache_put (server_t *self, const char *key, zchunk_t *reply)
{
    size_t size = zchunk_size (reply);
    s_cache_expire (self);
    if (size > self->cache_max_bytes || self->cache_max_age_ms == 0) {
        log_debug ("reply not cached: larger than api/reply-cache-bytes",
                   "bytes", json_integer ((json_int_t) size), NULL);
        return;
    }
    while (zlistx_size (self->cache_order) >= SERVER_CACHE_SIZE
       ||  self->cache_bytes + size > self->cache_max_bytes)
        s_cache_drop_oldest (self);
    if (zhashx_lookup (self->cache, key))
        return;             //  answered twice in flight: the first one stays
    s_cached_t *cached = (s_cached_t *) zmalloc (sizeof (s_cached_t));
    cached->key = strdup (key);
    cached->reply = zchunk_dup (reply);
    cached->at_ms = clock_monotonic_ms ();
    zlistx_add_end (self->cache_order, cached);
    zhashx_insert (self->cache, key, cached);
    self->cache_bytes += size;
}

//  The cached reply for key, or NULL (also when it has grown too old).
static zchunk_t *
s_cache_get (server_t *self, const char *key)
{
    s_cache_expire (self);
    s_cached_t *cached = (s_cached_t *) zhashx_lookup (self->cache, key);
    return cached? cached->reply: NULL;
}

static int
s_on_purge (zloop_t *loop, int timer_id, void *arg)
{
    s_cache_expire ((server_t *) arg);
    return 0;
}

static void
s_send_reply (server_t *self, zframe_t *routing_id, const char *cache_key, zchunk_t *reply)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &routing_id);
    zmsg_addmem (msg, zchunk_data (reply), zchunk_size (reply));
    zmsg_send (&msg, self->socket);
    zmsg_destroy (&msg);
    if (cache_key)
        s_cache_put (self, cache_key, reply);
}

static void
s_handle (server_t *self, zmsg_t *msg)
{
    int64_t arrived_us = zclock_usecs ();
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

    //  Who calls is asked again on every request, open connections
    //  included: a revoke bites on the next request once the registry
    //  (our copy of it) has it. Name, role and team are the registry's.
    run.who_rc = self->callers (self->callers_arg, run.peer_key, &run.who);
    const identity_t *caller = run.who_rc == 0? &run.who.identity: NULL;
    //  Only a key still able to act may be answered from the cache: a
    //  revoked key must not get even an old reply.
    char *cache_key = NULL;
    if (request && *request->id && run.peer_key && caller) {
        cache_key = zsys_sprintf ("%s/%s", run.peer_key, request->id);
        zchunk_t *cached = s_cache_get (self, cache_key);
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
    call->breakglass = caller && run.who.breakglass;
    call->request = request;
    call->store = self->store;
    call->state = self->state;
    call->subjects = zlistx_new ();
    zlistx_set_duplicator (call->subjects, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (call->subjects, (zlistx_destructor_fn *) zstr_free);
    call->phi_fields = zlistx_new ();
    zlistx_set_destructor (call->phi_fields, (zlistx_destructor_fn *) zstr_free);

    int failed = store_write (self->store, s_run_call, &run);
    if (failed && call->undo) {
        //  Refused after writing: nothing of the call stays but its record.
        call->commit_count = 0;
        zlistx_purge (call->subjects);
        zlistx_purge (call->phi_fields);
        if (store_write (self->store, s_run_audit, &run))
            log_error ("access record of an undone call not written", "method",
                       json_string (request? request->method: ""),
                       "error", json_string (store_error (self->store)), NULL);
        zstr_free (&cache_key);
    }
    else
    if (failed) {
        //  Nothing was applied, not even the audit record; say so plainly.
        log_error ("request failed in store", "method", json_string (request? request->method: ""),
                   "error", json_string (store_error (self->store)), NULL);
        server_call_fail (call, STATUS__UNAVAILABLE, "%s: store write failed: %s",
                          self->service, store_error (self->store));
        zstr_free (&cache_key);     //  a retry may succeed: do not cache
    }
    else {
        self->handled++;
        for (size_t i = 0; i < call->commit_count; i++)
            call->commit_actions [i].fn (call->commit_actions [i].arg);
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
    if (self->handled_fn)
        self->handled_fn (self->handled_arg, call->method? call->method->method: NULL, call->status,
                          (double) (zclock_usecs () - arrived_us) / 1e6);

    if (call->status != STATUS__OK)
        log_info ("request refused", "method", json_string (request? request->method: ""),
                  "status", json_string (codec_status_name (call->status)),
                  "actor", json_string (call->caller? call->caller->name: ""), NULL);
    zstr_free (&cache_key);
    codec_free (call->body);
    free (call->reply_body);
    zlistx_destroy (&call->subjects);
    zlistx_destroy (&call->phi_fields);
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
    //  Old replies go even when no request comes to push them out.
    self->loop = loop;
    self->purge_timer = zloop_timer (loop, SERVER_CACHE_PURGE_MS, 0, s_on_purge, self);
    return zloop_reader (loop, self->socket, s_on_request, self);
}

void
server_close (server_t *self, zloop_t *loop)
{
    if (!self->socket)
        return;
    if (loop) {
        zloop_reader_end (loop, self->socket);
        if (self->purge_timer >= 0 && loop == self->loop)
            zloop_timer_end (loop, self->purge_timer);
        self->purge_timer = -1;
    }
    zsock_destroy (&self->socket);
}
