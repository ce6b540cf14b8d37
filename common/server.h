/*  server: a service's request endpoint (DESIGN §3).

    A ROUTER socket, CURVE server in the "rcmq" ZAP domain. Each request is
    one frame holding a Request; the caller is the CURVE key ZAP attached to
    the connection, looked up on EVERY request with the server's caller
    function (the processes pass the access registry's gate, common/gate.h,
    ADR 21), so a revoked key stops working at once, open connections
    included. Name, role and team come from that lookup, never from the
    key's certificate; call->breakglass says whether the caller acts under
    an emergency access (PHI unmasked). The dispatch
    table maps a method to its handler, the permission it needs and its
    request type. Every request handled, allowed or refused, yields an
    AccessEvent that the audit function writes in the same transaction as
    the handler's own writes: no effect without its audit record.

    Every method's entry carries a scope mark (DESIGN §4), which the server
    enforces for vendor callers before the handler runs, through the one
    rule access_in_scope:
      SERVER_UNSCOPED  nothing of any queue (health, introspection): runs.
      SERVER_SUBJECT   acts on one subject: the entry's resolver names it
                       and its queue (server_call_scope); out of scope, or
                       not there, is answered NOT_FOUND "no <kind> '<id>'",
                       as for a subject that does not exist, and the
                       handler does not run.
      SERVER_LIST      answers rows: the handler keeps only the rows
                       server_call_in_scope allows (or, for figures, filters
                       on access_scope_team).
      SERVER_INTERNAL  acts across every queue (file intake, 837P and 835
                       files, queue set-up, rebuilds): refused to vendor
                       roles (PERMISSION_DENIED) whatever their permissions.
      SERVER_ITEM      acts on one work item (<svc>.WorkGet, WorkAssign,
                       WorkState, WorkNote): resolved as SERVER_SUBJECT,
                       but out of scope, or not there, is refused
                       PERMISSION_DENIED (issue 15: a vendor's work is a
                       list it is given, and anything else is refused, not
                       hidden; ADR 0029). The handler does not run.
    A table entry without a mark, or a subject method without a resolver,
    is a bug: server_new asserts. Every server also answers
    <service>.Methods with its table (MethodList), so tools and the scope
    test enumerate methods at run time.

    PHI in answers (DESIGN §4, issue 14, docs/access.md "Minimum
    necessary") is declared in the same entry: `phi`, the set of patient
    fields (MASK_NEED bits of common/mask.h) the method's answer may carry;
    0 for every method that carries none. A handler never copies a PHI
    value into its reply itself: it places each one with server_call_phi,
    which applies the one rule --
      - the field must be declared by the method's entry, or the call fails
        INTERNAL and the value is not placed (a bug, made loud: the
        declaration is what <service>.Methods, the docs and reviewers read);
      - the caller's role needs phi.read and a row in the mask table
        (common/mask.c), else nothing is shown;
      - the table's form for the role and field (full or masked), masked
        lifted to full by phi.unmask, a break-glass in force
        (call->breakglass), or the caller's own open work item on the
        subject whose type needs the field (call->phi_needed);
      - a list's rows (SERVER_LIST) carry full PHI only for a caller with
        phi.bulk: many patients in one answer is a bulk read;
    -- and records "<reply field>:<form>" in the call's AccessEvent
    (phi_fields), so every view of a patient is an audited access.

    A handler runs inside a store write transaction (call->txn). It answers
    with server_call_reply, or refuses with server_call_fail, and names the
    ids it touched with server_call_subject. It returns 0, or an LMDB error
    code (MDB_MAP_FULL makes the whole call run again after the store grew,
    so a handler keeps no state outside the transaction until it returns).
*/
#ifndef RCMQ_SERVER_H
#define RCMQ_SERVER_H

#include <czmq.h>
#include "codec.h"
#include "config.h"
#include "keyring.h"
#include "registry.h"
#include "store.h"
#include "mask.h"               //  PHI fields of the method table (server_call_phi)

typedef struct _server_t server_t;

//  Actions one call may leave for after its commit (server_call_on_commit).
#define SERVER_COMMIT_ACTIONS 4

typedef struct {
    //  In
    server_t *server;
    const identity_t *caller;   //  as the registry holds it now
    bool breakglass;            //  the caller acts under break-glass (PHI unmasked)
    //  The PHI fields (MASK_NEED bits) the caller's own open work on the
    //  subject needs (workitem_owner_needs): a handler sets it before it
    //  places PHI, and server_call_phi shows those fields in full where the
    //  role's table masks them. 0: the table's forms alone.
    unsigned phi_needed;
    const Request *request;
    void *body;                 //  decoded request body, or NULL if the method has no type
    store_t *store;
    MDB_txn *txn;
    void *state;                //  the service's state given to server_new
    //  The entry running (NULL before it is found): server_call_phi reads
    //  its PHI declaration.
    const struct _server_method_t *method;
    //  Out
    Status status;
    char message [512];
    uint8_t *reply_body;
    size_t reply_size;
    zlistx_t *subjects;
    //  Scope of a subject method, as its resolver found it
    size_t scope_seen;
    char scope_refused [200];   //  "claim 'P1'": the first subject out of scope
    //  The caller was answered NOT_FOUND for a subject out of its scope:
    //  the reply hides that the subject exists, the access record does
    //  not (a refusal by access control, PERMISSION_DENIED, "denied" to
    //  audit.Query).
    bool scope_denied;
    //  PHI placed by server_call_phi: "patient_dob:masked", for the audit
    zlistx_t *phi_fields;
    char phi_refused [128];     //  the first undeclared field placed: the call fails
    //  What server_call_on_commit asked to run once the call commits.
    struct {
        void (*fn) (void *arg);
        void *arg;
    } commit_actions [SERVER_COMMIT_ACTIONS];
    size_t commit_count;
    //  server_call_undo: the call failed after writing; abort its writes.
    bool undo;
} server_call_t;

typedef int (server_handler_fn) (server_call_t *call);
//  Names the subject(s) of a subject-scoped request with server_call_scope;
//  returns 0 or an LMDB error. It may fail the call (bad argument).
typedef int (server_resolve_fn) (server_call_t *call);

typedef enum {
    SERVER_SCOPE_UNSET = 0,     //  never valid in a table
    SERVER_UNSCOPED,
    SERVER_SUBJECT,
    SERVER_LIST,
    SERVER_INTERNAL,
    SERVER_ITEM,
} server_scope_t;

typedef struct _server_method_t {
    const char *method;         //  "claims.List"
    const char *permission;     //  "claims.read"
    const ProtobufCMessageDescriptor *request_type;     //  NULL: no body
    server_handler_fn *handler;
    server_scope_t scope;
    server_resolve_fn *resolve; //  SERVER_SUBJECT and SERVER_ITEM only
    //  The PHI fields the answer may carry: MASK_NEED (MASK_FIELD_DOB) | ...,
    //  or SERVER_NO_PHI. Only these may be placed, with server_call_phi.
    //  Every entry says it (an entry without it does not compile under
    //  -Wextra), so reading a table is reading which answers carry PHI.
    unsigned phi;
} server_method_t;

#define SERVER_NO_PHI 0u

//  Table rows with the defaults filled, so a row states only what differs
//  from its neighbours. The macro names the scope mark; the method
//  "<service>.<Name>" needs the permission "<service>.<verb>" (the rule
//  nearly every method follows); service, Name and verb are words:
//      SERVER_INTERNAL_METHOD (audit, Query, read, &audit_query_request__descriptor, s_query),
//  Only a subject method takes a resolver (it cannot be written without
//  one); the others have none. A macro row answers no PHI: a method whose
//  answer carries PHI, or whose permission has another prefix
//  ("queue.Contacts" needs "contacts.read"), is a whole entry, so the PHI
//  declaration of ADR 0022 always stands on its row.
#define SERVER_ROW_(service, name, verb, type, handler, scope, resolve) \
    { #service "." #name, #service "." #verb, type, handler, scope, resolve, SERVER_NO_PHI }
#define SERVER_INTERNAL_METHOD(service, name, verb, type, handler) \
    SERVER_ROW_ (service, name, verb, type, handler, SERVER_INTERNAL, NULL)
#define SERVER_LIST_METHOD(service, name, verb, type, handler) \
    SERVER_ROW_ (service, name, verb, type, handler, SERVER_LIST, NULL)
#define SERVER_UNSCOPED_METHOD(service, name, verb, type, handler) \
    SERVER_ROW_ (service, name, verb, type, handler, SERVER_UNSCOPED, NULL)
#define SERVER_SUBJECT_METHOD(service, name, verb, type, handler, resolve) \
    SERVER_ROW_ (service, name, verb, type, handler, SERVER_SUBJECT, resolve)

//  Writes the access record inside the call's transaction.
typedef int (server_audit_fn) (store_t *store, MDB_txn *txn, const AccessEvent *event, void *arg);

//  Whom a connection's Z85 key stands for, asked on every request: 0 with
//  caller filled; 1 when it may not act (caller->why says why: the call is
//  refused UNAUTHENTICATED); -1 when it cannot be told (UNAVAILABLE).
typedef int (server_caller_fn) (void *arg, const char *key, registry_caller_t *caller);

//  methods: a table ending with a { NULL } entry; callers/callers_arg
//  decide who each request's key is (gate_server_caller and a gate).
server_t   *server_new (const char *service, store_t *store, server_caller_fn *callers,
                        void *callers_arg, const server_method_t *methods, void *state);
void        server_destroy (server_t **self_p);
void        server_set_audit (server_t *self, server_audit_fn *audit, void *arg);
//  Bounds the reply cache: bytes of replies held, and how long one is kept
//  (ms; 0 keeps none). Defaults 64 MiB and 5 minutes.
void        server_set_reply_cache (server_t *self, size_t max_bytes, uint64_t max_age_ms);
//  The same from config api/reply-cache-bytes and api/reply-cache-ms.
//  0, or -1 with the reason in error when a value is not a whole number.
int         server_configure (server_t *self, config_t *config, char *error, size_t size);
//  Bytes of replies the cache holds now.
size_t      server_cache_bytes (server_t *self);
//  Adds a second table (e.g. methods common to every service).
void        server_add_methods (server_t *self, const server_method_t *methods);
//  Called after every committed call (e.g. to kick the outbox relay).
void        server_on_commit (server_t *self, void (*fn) (void *arg), void *arg);
//  Called after every request answered (committed or not; not a reply
//  served again from the cache): the method's table name (NULL for one no
//  table has, so a client cannot invent names for the caller to keep),
//  the status replied and the time from the request's arrival to its
//  reply in seconds. The ops port counts them (common/ops.h).
typedef void (server_handled_fn) (void *arg, const char *method, Status status, double seconds);
void        server_on_handled (server_t *self, server_handled_fn *fn, void *arg);
//  The largest request frame to take (0: no limit); set before bind. A
//  peer that sends more is disconnected by libzmq before the frame is
//  allocated, so no identity can make the service hold what it sends.
void        server_set_max_request (server_t *self, int64_t bytes);
int         server_bind (server_t *self, const char *endpoint, zcert_t *cert);
int         server_attach (server_t *self, zloop_t *loop);
//  Stops taking requests: the socket is closed (on shutdown).
void        server_close (server_t *self, zloop_t *loop);
uint64_t    server_handled (server_t *self);

void        server_call_reply (server_call_t *call, const void *message);
int         server_call_fail (server_call_t *call, Status status, const char *format, ...)
            __attribute__ ((format (printf, 3, 4)));
//  server_call_fail, and every write the call made is undone: its write
//  transaction is aborted instead of committed (records, outbox events,
//  on-commit actions), and the access record of the refusal is written in
//  a transaction of its own. For a handler that applies its input as it
//  reads it and finds, late, that the input must be refused whole (a
//  plain server_call_fail commits whatever the handler wrote before it).
int         server_call_undo (server_call_t *call, Status status, const char *format, ...)
            __attribute__ ((format (printf, 3, 4)));
//  Runs fn (arg) once the call's transaction has committed, and never when
//  it does not (a store failure: the client may send the call again): for
//  work outside the store that must wait for the commit, such as removing
//  a spooled file the call consumed (spool.h). A call run again after
//  MDB_MAP_FULL starts with none. At most SERVER_COMMIT_ACTIONS a call.
void        server_call_on_commit (server_call_t *call, void (*fn) (void *arg), void *arg);
void        server_call_subject (server_call_t *call, const char *id);
//  The same for each of count ids (a list's page).
void        server_call_subjects (server_call_t *call, char *const *ids, size_t count);
//  Replies to a list method with one page (store_page_read): a message of
//  type whose one repeated message field gets the page's rows and whose
//  string field "next_after" (new lists: DenialList) or "next" (ClaimList,
//  RejectionList) the page's next_after; the
//  page's ids are the call's subjects. The page keeps its rows.
void        server_call_reply_page (server_call_t *call, const ProtobufCMessageDescriptor *type,
                                    const store_page_t *page);
//  For resolvers: the request acts on subject `id` of `kind` ("claim"),
//  whose queue is in `phase` with `vendor_team` (both NULL when the subject
//  does not exist). Call once per subject; all must be in scope.
void        server_call_scope (server_call_t *call, const char *kind, const char *id,
                               const char *phase, const char *vendor_team);
//  For list handlers: true when the caller may see a row of a queue in
//  `phase` with `vendor_team` (access_in_scope of the caller).
bool        server_call_in_scope (server_call_t *call, const char *phase, const char *vendor_team);
//  Places one PHI value into the reply being built: out gets `plain` as
//  the caller may see it (the rule at the top of this file), "" when it may
//  not; `label` is the reply field it goes to ("patient_dob"), as the
//  AccessEvent lists it. Text forms: mask_name_text and mask_address_text
//  for names and addresses (mask.h), as given for DOB and member id.
//  Returns the form shown (MASK_NONE also when plain is empty, which is
//  not recorded: nothing of the patient was shown).
mask_form_t server_call_phi (server_call_t *call, mask_field_t field, const char *label,
                             const char *plain, char *out, size_t size);
//  The name of a scope mark as <service>.Methods reports it.
const char *server_scope_name (server_scope_t scope);

#endif
