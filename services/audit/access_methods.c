/*  access_methods: the access registry's requests, for the people who
    administer access (issue 14, docs/access.md, ADR 19).

        access.Request        AccessRequest      -> AccessOutcome  access.request
                              (kind unset: grant, mover or reactivation by
                              the identity's state)
        access.Approve        AccessDecision     -> AccessOutcome  access.approve
        access.Deny           AccessDecision     -> AccessOutcome  access.request
        access.Revoke         AccessSubject      -> AccessOutcome  access.revoke
        access.Breakglass     AccessSubject      -> AccessOutcome  access.request
        access.List           IdentityListRequest-> IdentityList   access.read
        access.History        AccessSubject      -> AccessHistory  access.read
        access.ReviewStart    ReviewStartRequest -> AccessOutcome  access.review
        access.ReviewStatus   -                  -> AccessOutcome  access.read
        access.ReviewConfirm  AccessSubject      -> AccessOutcome  access.confirm
        access.ReviewEnd      -                  -> AccessOutcome  access.review

    Each change runs the registry's rule (common/registry.h) as the
    caller's identity, in the call's transaction, and appends the events
    it returns to the outbox (stream `access`) in that same transaction:
    one table of operations (s_ops) and one runner (s_change).
    A refusal is answered with the registry's status and reason, and the
    handler still returns 0 so the transaction commits: the registry wrote
    nothing, but its request_refused event is kept (server.c commits a
    failed status; only a non-zero return aborts).

    Who may do what is the registry's own table (an internal-lead asks only
    for its team's billers, a lead confirms only its team's staff); the
    permissions here are the first gate. Vendor roles administer nothing:
    every method is SERVER_INTERNAL except access.ReviewConfirm, which a
    vendor-lead holds (access.confirm) for its own team's agents: it is
    SERVER_SUBJECT, the identity in scope when it is of the lead's team
    (s_resolve_identity), and the registry then checks the rest.
*/
#include "access_methods.h"
#include "registry.h"
#include "service.h"
#include "clock.h"
#include "codec.h"

//  ------------------------------------------------------------------------
//  Changes: one table of operations, one runner
//
//  Every change is the same story: who acts, the registry's rule in the
//  call's transaction, its events into the outbox, then the answer (the
//  identity concerned as it is now, and the open review) or the refusal.
//  What differs is the rule called and whom it concerns: s_ops below.
//
//  Who acts is the server's caller: the registry's identity of the
//  connection's key (the server looked it up in this very registry, ADR
//  21), never the name a certificate claims; a key the registry does not
//  hold as able to act never reaches a handler (UNAUTHENTICATED).

//  Runs one rule as actor; names the identity concerned in subject ("" for
//  none). 0, or an LMDB error / -1.
typedef int (s_rule_fn) (server_call_t *call, const char *actor, uint64_t now,
                         registry_result_t *result, char *subject, size_t size);

typedef struct {
    const char *method;
    s_rule_fn *rule;
    //  The answer shows the review as it was before the change (the end
    //  of a review: it is no longer open after).
    bool review_before;
} s_op_t;

//  A request that names no kind (rcmqctl access request) is what the
//  identity's state makes it: a grant for a name not held (or revoked),
//  a mover for an active one, a reactivation for a suspended one. The
//  registry's rules then apply to that kind as to any other.
static int
s_request_kind (server_call_t *call, AccessRequest *ask)
{
    if (ask->kind != ACCESS_REQUEST_KIND__ACCESS_REQUEST_KIND_UNSPECIFIED || !*ask->name)
        return 0;           //  no name: the registry refuses it, naming it
    Identity *identity = NULL;
    int rc = registry_identity (call->store, call->txn, ask->name, &identity);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    IdentityStatus status = identity? identity->status: IDENTITY_STATUS__IDENTITY_REVOKED;
    ask->kind = status == IDENTITY_STATUS__IDENTITY_ACTIVE? ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER
              : status == IDENTITY_STATUS__IDENTITY_SUSPENDED? ACCESS_REQUEST_KIND__ACCESS_REQUEST_REACTIVATE
              : ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT;
    codec_free (identity);
    return 0;
}

//  The subject of a request, for the call's subjects: "" when not found.
static void
s_request_name (server_call_t *call, uint64_t id, char *name, size_t size)
{
    AccessRequest *request = NULL;
    *name = 0;
    if (registry_request_get (call->store, call->txn, id, &request) == 0 && request) {
        snprintf (name, size, "%s", request->name);
        codec_free (request);
    }
}

static int
s_rule_request (server_call_t *call, const char *actor, uint64_t now, registry_result_t *result,
                char *subject, size_t size)
{
    AccessRequest *ask = (AccessRequest *) call->body;
    int rc = s_request_kind (call, ask);
    snprintf (subject, size, "%s", ask->name);
    return rc? rc: registry_request (call->store, call->txn, now, actor, ask, result);
}

static int
s_rule_approve (server_call_t *call, const char *actor, uint64_t now, registry_result_t *result,
                char *subject, size_t size)
{
    AccessDecision *decision = (AccessDecision *) call->body;
    int rc = registry_approve (call->store, call->txn, now, actor, decision->request, result);
    s_request_name (call, decision->request, subject, size);
    return rc;
}

static int
s_rule_deny (server_call_t *call, const char *actor, uint64_t now, registry_result_t *result,
             char *subject, size_t size)
{
    AccessDecision *decision = (AccessDecision *) call->body;
    int rc = registry_deny (call->store, call->txn, now, actor, decision->request, decision->reason, result);
    s_request_name (call, decision->request, subject, size);
    return rc;
}

static int
s_rule_revoke (server_call_t *call, const char *actor, uint64_t now, registry_result_t *result,
               char *subject, size_t size)
{
    AccessSubject *who = (AccessSubject *) call->body;
    snprintf (subject, size, "%s", who->name);
    return registry_revoke (call->store, call->txn, now, actor, who->name, who->reason, result);
}

static int
s_rule_breakglass (server_call_t *call, const char *actor, uint64_t now, registry_result_t *result,
                   char *subject, size_t size)
{
    AccessSubject *who = (AccessSubject *) call->body;
    snprintf (subject, size, "%s", who->name);
    return registry_breakglass (call->store, call->txn, now, actor, who->name, who->reason,
                                who->hours, result);
}

static int
s_rule_review_start (server_call_t *call, const char *actor, uint64_t now, registry_result_t *result,
                     char *subject, size_t size)
{
    ReviewStartRequest *start = (ReviewStartRequest *) call->body;
    return registry_review_start (call->store, call->txn, now, actor, start->team, start->until_ms, result);
}

static int
s_rule_review_confirm (server_call_t *call, const char *actor, uint64_t now, registry_result_t *result,
                       char *subject, size_t size)
{
    AccessSubject *who = (AccessSubject *) call->body;
    snprintf (subject, size, "%s", who->name);
    return registry_review_confirm (call->store, call->txn, now, actor, who->name, result);
}

static int
s_rule_review_end (server_call_t *call, const char *actor, uint64_t now, registry_result_t *result,
                   char *subject, size_t size)
{
    return registry_review_end (call->store, call->txn, now, actor, result);
}

static const s_op_t s_ops [] = {
    { "access.Request",       s_rule_request,        false },
    { "access.Approve",       s_rule_approve,        false },
    { "access.Deny",          s_rule_deny,           false },
    { "access.Revoke",        s_rule_revoke,         false },
    { "access.Breakglass",    s_rule_breakglass,     false },
    { "access.ReviewStart",   s_rule_review_start,   false },
    { "access.ReviewConfirm", s_rule_review_confirm, false },
    { "access.ReviewEnd",     s_rule_review_end,     true },
};

//  The one handler of every change. A refusal is answered with the
//  registry's status and reason and still returns 0, so the transaction
//  commits its request_refused event. Returns 0, or an LMDB error
//  (abort; MAP_FULL runs the call again).
static int
s_change (server_call_t *call)
{
    const s_op_t *op = NULL;
    for (size_t i = 0; !op && i < sizeof s_ops / sizeof s_ops [0]; i++)
        if (streq (s_ops [i].method, call->request->method))
            op = &s_ops [i];
    assert (op);            //  the method table names only s_ops' methods
    ReviewCampaign *review = NULL;
    if (op->review_before && registry_review_open (call->store, call->txn, &review) == -1)
        return -1;
    registry_result_t result;
    registry_result_init (&result);
    char subject [128] = "";
    int rc = op->rule (call, call->caller->name, clock_now_ms (), &result, subject, sizeof subject);
    if (rc == 0)
        rc = registry_result_emit (&result, service_outbox ((service_t *) call->state), call->txn);
    if (rc == 0) {
        if (*subject)
            server_call_subject (call, subject);
        if (result.status != STATUS__OK)
            server_call_fail (call, result.status, "%s: %s", call->request->method, result.error);
        else {
            AccessOutcome outcome = ACCESS_OUTCOME__INIT;
            outcome.request = result.request_id;
            outcome.version = result.version;
            Identity *identity = NULL;
            if (*subject && registry_identity (call->store, call->txn, subject, &identity) == 0)
                outcome.identity = identity;
            if (!op->review_before && registry_review_open (call->store, call->txn, &review) != 0)
                review = NULL;
            outcome.review = review;
            server_call_reply (call, &outcome);
            codec_free (identity);
        }
    }
    codec_free (review);
    registry_result_clear (&result);
    return rc;
}

//  ------------------------------------------------------------------------
//  Reads

static int
s_review_status (server_call_t *call)
{
    ReviewCampaign *review = NULL;
    int rc = registry_review_open (call->store, call->txn, &review);
    if (rc == -1)
        return -1;
    AccessOutcome outcome = ACCESS_OUTCOME__INIT;
    outcome.review = review;
    if (registry_version (call->store, call->txn, &outcome.version)) {
        codec_free (review);
        return -1;
    }
    server_call_reply (call, &outcome);
    codec_free (review);
    return 0;
}

//  One row of access.List: every identity (the registry is not queue
//  data; the method is internal, so no vendor reads it).
static void *
s_row (void *arg, const char *name, const MDB_val *value)
{
    return codec_decode (&identity__descriptor, value->mv_data, value->mv_size);
}

static int
s_list (server_call_t *call)
{
    IdentityListRequest *request = (IdentityListRequest *) call->body;
    size_t limit;
    char error [128];
    if (store_page_limit (request->limit, STORE_PAGE_DEFAULT, STORE_PAGE_MAX, &limit, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "access.List: %s", error);
    store_page_query_t query = { "access_identities", NULL, NULL, request->after, limit };
    store_page_t page;
    int rc = store_page_read (call->store, call->txn, &query, s_row, codec_free, NULL, &page);
    if (rc == 0)
        server_call_reply_page (call, &identity_list__descriptor, &page);
    store_page_clear (&page);
    return rc;
}

typedef struct {
    const char *name;
    AccessHistory *history;
    size_t size;
} s_history_t;

static int
s_history_add (const AccessRequest *request, void *arg)
{
    s_history_t *history = (s_history_t *) arg;
    if (strcmp (request->name, history->name))
        return 0;
    AccessHistory *reply = history->history;
    if (reply->n_requests == history->size) {
        history->size = history->size? 2 * history->size: 16;
        reply->requests = (AccessRequest **) realloc (reply->requests, history->size * sizeof (AccessRequest *));
        assert (reply->requests);
    }
    //  The message is ours only for the call: keep a copy.
    zframe_t *packed = codec_encode (request);
    reply->requests [reply->n_requests] = (AccessRequest *)
        codec_decode (&access_request__descriptor, zframe_data (packed), zframe_size (packed));
    zframe_destroy (&packed);
    if (!reply->requests [reply->n_requests])
        return -1;
    reply->n_requests++;
    return 0;
}

static int
s_history (server_call_t *call)
{
    AccessSubject *subject = (AccessSubject *) call->body;
    if (!*subject->name)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "access.History: no name given");
    AccessHistory reply = ACCESS_HISTORY__INIT;
    s_history_t history = { subject->name, &reply, 0 };
    Identity *identity = NULL;
    int rc = registry_identity (call->store, call->txn, subject->name, &identity);
    if (rc == 0)
        reply.identity = identity;
    rc = (rc == 0 || rc == MDB_NOTFOUND)? registry_each_request (call->store, call->txn, s_history_add, &history): rc;
    if (rc == 0) {
        server_call_subject (call, subject->name);
        server_call_reply (call, &reply);
    }
    codec_clear (&reply.requests, &reply.n_requests, codec_free);
    codec_free (identity);
    return rc;
}

//  access.ReviewConfirm's subject for a vendor-lead: the identity, in
//  scope when it is of the lead's own team. The registry is not queue
//  data, so the identity's team stands where a queue's vendor team would
//  ("vendor" phase: a vendor's own people); one of another team, or none,
//  reads as absent.
static int
s_resolve_identity (server_call_t *call)
{
    AccessSubject *subject = (AccessSubject *) call->body;
    Identity *identity = NULL;
    //  LMDB takes no empty key: no name is no identity.
    int rc = *subject->name? registry_identity (call->store, call->txn, subject->name, &identity): MDB_NOTFOUND;
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    server_call_scope (call, "identity", subject->name, identity? "vendor": NULL,
                       identity? identity->team: NULL);
    codec_free (identity);
    return 0;
}

const server_method_t access_methods [] = {
    SERVER_INTERNAL_METHOD (access, Request,       request, &access_request__descriptor,        s_change),
    SERVER_INTERNAL_METHOD (access, Approve,       approve, &access_decision__descriptor,       s_change),
    SERVER_INTERNAL_METHOD (access, Deny,          request, &access_decision__descriptor,       s_change),
    SERVER_INTERNAL_METHOD (access, Revoke,        revoke,  &access_subject__descriptor,        s_change),
    SERVER_INTERNAL_METHOD (access, Breakglass,    request, &access_subject__descriptor,        s_change),
    SERVER_INTERNAL_METHOD (access, List,          read,    &identity_list_request__descriptor, s_list),
    SERVER_INTERNAL_METHOD (access, History,       read,    &access_subject__descriptor,        s_history),
    SERVER_INTERNAL_METHOD (access, ReviewStart,   review,  &review_start_request__descriptor,  s_change),
    SERVER_INTERNAL_METHOD (access, ReviewStatus,  read,    NULL,                               s_review_status),
    SERVER_SUBJECT_METHOD  (access, ReviewConfirm, confirm, &access_subject__descriptor,        s_change, s_resolve_identity),
    SERVER_INTERNAL_METHOD (access, ReviewEnd,     review,  NULL,                               s_change),
    { NULL }
};
