/*  registry: the access registry (DESIGN §4, issue 14, docs/access.md).

    Who may connect, in which role and team, until when, and who asked for
    and who approved each change. rcmq-audit owns the registry; every change
    and every refused attempt is an RegistryEvent for the `access` stream, and
    the other services keep a copy by applying those events
    (registry_apply). A key file is a credential only: a key the registry
    does not hold as active opens nothing.

    The rules, each checked here once:

    - Two people. A grant, a mover (role or team change), a reactivation and
      a break-glass are asked for by one person (registry_request) and
      approved by another (registry_approve). The approver must be an
      active admin at approval time, must not be the requester, and must not
      be the person the change is for. The requester must still hold access
      when the approval comes: a request dies with its requester (when the
      requester is revoked or suspended, its pending requests are cancelled
      in the same change, and an approval of a request whose requester is
      no longer active is refused).
    - Who may ask: an admin for anyone; an internal-lead only for billers
      (internal-biller) of its own team, and not break-glass (the table
      s_askers in registry.c).
    - Vendor roles must have a valid-until date in the future.
    - A leaver's revoke is immediate and one person (an admin, or the
      internal-lead of a biller's team), with a reason.
    - An access review (registry_review_*) lists every active identity (or
      one team's); an admin or the identity's team lead confirms each; at
      the end, by hand or when its date passes (registry_expire), the
      unconfirmed are suspended.
    - registry_expire suspends identities whose valid-until passed, ends
      break-glass windows, ends reviews past their date and expires
      requests not decided within REGISTRY_REQUEST_TTL_MS.
    - A version counter goes up with every change; each event carries it,
      so a server can tell with one read whether what it knows of a
      connection is still current.

    How to call it: every function below that changes the registry runs
    inside the caller's store_write function, on its txn, and fills a
    registry_result_t. It returns 0 when it ran (the outcome, allowed or
    refused, is result->status), or an LMDB error code / -1 when the store
    failed: return that from the store_write function (MDB_MAP_FULL makes
    store_write grow the map and run it again; -1 aborts with store_error). On 0 the caller appends
    result->events to its outbox (registry_result_emit) and COMMITS, also
    when the status is not OK: a refusal writes nothing to the registry
    but its request_refused event must be kept. The result is reset on
    entry, so a store_write retried after the map grew starts clean.

    The caller's store must declare REGISTRY_TABLES.
*/
#ifndef RCMQ_REGISTRY_H
#define RCMQ_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "outbox.h"
#include "keyring.h"
#include "access.pb-c.h"
#include "event.pb-c.h"

#define REGISTRY_TABLES "access_identities", "access_keys", "access_requests", \
                        "access_pending", "access_reviews", "access_meta"
#define REGISTRY_STREAM "access"
//  The actor of what the clock does (expiry, a review's date passing).
#define REGISTRY_CLOCK_ACTOR "rcmq-audit"
//  The actor of the first admins and the service identities.
#define REGISTRY_BOOTSTRAP_ACTOR "bootstrap"
//  A request not decided within a week lapses.
#define REGISTRY_REQUEST_TTL_MS (7ULL * 86400000ULL)
#define REGISTRY_BREAKGLASS_MAX_HOURS 72
//  How many admins registry_bootstrap may make: two, so the first grant
//  can have two people; after that every admin is granted like anyone.
#define REGISTRY_BOOTSTRAP_ADMINS 2

//  RegistryEvent.type, also the event's type on the stream (access.<type>):
//  every registry change, in one list. It makes the names
//  (REGISTRY_EVENT_GRANTED is "granted") and the set of types
//  registry_apply_event takes from the stream, so a new change type is
//  added once and cannot be left out of either.
#define REGISTRY_EVENTS(X) \
    X (BOOTSTRAPPED,       "bootstrapped") \
    X (REQUESTED,          "requested") \
    X (GRANTED,            "granted") \
    X (CHANGED,            "changed") \
    X (REACTIVATED,        "reactivated") \
    X (BREAKGLASS_GRANTED, "breakglass_granted") \
    X (BREAKGLASS_EXPIRED, "breakglass_expired") \
    X (REQUEST_DENIED,     "request_denied") \
    X (REQUEST_CANCELLED,  "request_cancelled") \
    X (REQUEST_EXPIRED,    "request_expired") \
    X (REQUEST_REFUSED,    "request_refused") \
    X (REVOKED,            "revoked") \
    X (SUSPENDED,          "suspended") \
    X (REVIEW_STARTED,     "review_started") \
    X (CONFIRMED,          "confirmed") \
    X (REVIEW_ENDED,       "review_ended")

#define REGISTRY_EVENT_NAME(name, text) static const char REGISTRY_EVENT_##name [] = text;
REGISTRY_EVENTS (REGISTRY_EVENT_NAME)
#undef REGISTRY_EVENT_NAME

typedef struct {
    Status status;              //  STATUS__OK, or why it was refused
    char error [256];           //  what and why, when not OK
    RegistryEvent **events;       //  to append to the outbox, in order
    size_t n_events;
    uint64_t request_id;        //  registry_request: the new request's id
    uint64_t version;           //  the registry version after the call
} registry_result_t;

//  A connection's caller as servers and the ZAP handler need it.
typedef struct {
    identity_t identity;        //  for access_allows / access_in_scope
    bool breakglass;            //  emergency access in force: PHI unmasked
    uint64_t valid_until_ms;    //  0: no end date
    uint64_t breakglass_until_ms;   //  the window's end while breakglass
    uint64_t version;           //  the registry version read with it
    char why [160];             //  registry_lookup_key refused: why
} registry_caller_t;

void registry_result_init (registry_result_t *self);
//  Frees the events and resets the result.
void registry_result_clear (registry_result_t *self);
//  Appends every event of the result to the outbox on txn (stream
//  REGISTRY_STREAM, type = event type, key = subject). 0 or an LMDB error.
int  registry_result_emit (registry_result_t *self, outbox_t *outbox, MDB_txn *txn);

//  Asks for a change: ask->kind, name and, by kind, role, team, public_key
//  (grant), valid_until_ms, hours (break-glass), reason. The new request's
//  id is in result->request_id. A grant creates the identity as requested.
int  registry_request (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                       const AccessRequest *ask, registry_result_t *result);
//  Break-glass for name: a request like any other (approve it to start it).
int  registry_breakglass (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                          const char *name, const char *reason, uint32_t hours,
                          registry_result_t *result);
//  The second person says yes; the change takes effect now.
int  registry_approve (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                       uint64_t request_id, registry_result_t *result);
//  An admin (or the requester, withdrawing it) says no. A denied grant
//  leaves its identity revoked (so copies of the registry drop it).
int  registry_deny (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                    uint64_t request_id, const char *reason, registry_result_t *result);
//  A leaver: revoked at once, by one person, with a reason; its pending
//  requests, asked by it or for it, are cancelled.
int  registry_revoke (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                      const char *name, const char *reason, registry_result_t *result);

//  Opens a review of every active identity (team NULL or "") or of one
//  team's, to be confirmed before until_ms. One review is open at a time.
int  registry_review_start (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                            const char *team, uint64_t until_ms, registry_result_t *result);
int  registry_review_confirm (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                              const char *name, registry_result_t *result);
//  Ends the open review: the unconfirmed are suspended.
int  registry_review_end (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                          registry_result_t *result);

//  What the clock does; writes nothing and returns no events when nothing
//  is due, so it can run every second.
int  registry_expire (store_t *store, MDB_txn *txn, uint64_t now_ms, registry_result_t *result);

//  Makes an active identity without a second person: role admin while the
//  registry has fewer than REGISTRY_BOOTSTRAP_ADMINS admins (the first two,
//  scripts/run's admin and admin2), or role service (the deployment's own
//  processes, from their key files). Called by rcmq-audit itself, never
//  from a request. Doing it again with the same key changes nothing.
int  registry_bootstrap (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *name,
                         const char *role, const char *team, const char *public_key,
                         registry_result_t *result);

//  Bootstrap happens once (ADR 21): after rcmq-audit's first start has
//  entered the admins and the processes, it seals the registry, and
//  registry_bootstrap refuses everything from then on, so a certificate
//  written into the keys directory later (a new admin2.cert, a process
//  name) is never entered without two people. *sealed_ms is 0 while not
//  sealed. 0 or -1.
int  registry_bootstrap_sealed (store_t *store, MDB_txn *txn, uint64_t *sealed_ms);
int  registry_bootstrap_seal (store_t *store, MDB_txn *txn, uint64_t now_ms);
//  How many identities of role admin the registry holds (any status). 0 or -1.
int  registry_admin_count (store_t *store, MDB_txn *txn, size_t *count);

//  The caller a Z85 key stands for, if it may act now: 0 with caller
//  filled; 1 when it may not (unknown, requested, suspended, revoked,
//  past its valid-until), with caller->why; -1 when the store failed.
//  Any txn (read or write).
int  registry_lookup_key (store_t *store, MDB_txn *txn, const char *public_key,
                          uint64_t now_ms, registry_caller_t *caller);
//  The version counter (0 for an empty registry). 0 or -1.
int  registry_version (store_t *store, MDB_txn *txn, uint64_t *version);
//  One identity / request / the open review (NULL when there is none);
//  free with codec_free. 0, MDB_NOTFOUND, or -1.
int  registry_identity (store_t *store, MDB_txn *txn, const char *name, Identity **identity);
//  The ACTIVE person (any role but service) called name, for methods that
//  name people (an assignee, a lead, a web user): 0 with person filled
//  from the registry; 1 when the registry holds no active person of that
//  name (unknown, requested, suspended, revoked, or a process); -1 when
//  the store failed. Reads this process's copy (every service keeps one).
int  registry_person (store_t *store, MDB_txn *txn, const char *name, identity_t *person);
int  registry_request_get (store_t *store, MDB_txn *txn, uint64_t id, AccessRequest **request);
int  registry_review_open (store_t *store, MDB_txn *txn, ReviewCampaign **campaign);

//  Calls fn for every identity in name order / every request in id order
//  (for `access list` and `access history`); fn returns 0 to go on, any
//  other value to stop, which is then returned. The message is the
//  callee's only for the call. Returns 0, fn's value, or an LMDB error.
typedef int (registry_identity_fn) (const Identity *identity, void *arg);
typedef int (registry_request_fn) (const AccessRequest *request, void *arg);
int  registry_each_identity (store_t *store, MDB_txn *txn, registry_identity_fn *fn, void *arg);
int  registry_each_request (store_t *store, MDB_txn *txn, registry_request_fn *fn, void *arg);

//  A copy of the registry (every service but audit): applies one event of
//  the `access` stream, storing the identity it carries and its version.
//  Events without an identity (refusals, reviews) change only the version.
//  0 or -1 (store_fail).
int  registry_apply (store_t *store, MDB_txn *txn, const RegistryEvent *event);
//  The same for one event of the `access` stream as a copy receives it
//  (the services' consumers, the broker's ingest): decodes its
//  RegistryEvent and applies it, unless the copy's version is already past
//  it (a replay from seq 1 after a consumer reset brings old events again,
//  which the copy holds). Events of other types on the stream (the audit
//  log's access.checkpoint) are no change: 0, nothing applied. An event of
//  a change's type that is not a RegistryEvent fails (store_fail): a copy
//  must not skip a change (ADR 9). 0 or -1 / LMDB.
int  registry_apply_event (store_t *store, MDB_txn *txn, const Event *event);

#endif
