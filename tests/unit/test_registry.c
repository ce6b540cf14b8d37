/*  test_registry: the access registry's rules (common/registry.h, issue
    14) over a real LMDB store in a temp dir. The refusals matter more than
    the grants: each two-person case is tried the wrong way first and must
    be refused with its request_refused event, then the right way.

    Every operation runs in a store_write that commits also on a refusal
    (as a service will, to keep the refusal's event) and appends the
    events to a real outbox, so the tests also see that the events reach
    the outbox and that a refusal changes nothing but the outbox.
*/
#include "suites.h"
#include "registry.h"
#include "access.h"
#include "clock.h"
#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static const char *s_tables [] = { REGISTRY_TABLES, OUTBOX_TABLES, NULL };

#define S_HOUR (3600ULL * 1000ULL)
#define S_DAY  (24ULL * S_HOUR)

typedef enum {
    S_BOOTSTRAP, S_REQUEST, S_APPROVE, S_DENY, S_REVOKE, S_REVIEW_START, S_REVIEW_CONFIRM,
    S_REVIEW_END, S_EXPIRE, S_BREAKGLASS, S_SEAL
} s_op_kind_t;

typedef struct {
    store_t *store;
    outbox_t *outbox;
    char *dir;
    uint64_t now;
    char keys [16][41];             //  keys made so far, by s_key
    size_t n_keys;
    registry_result_t result;
} s_fixture_t;

typedef struct {
    s_fixture_t *fx;
    s_op_kind_t kind;
    const char *actor;
    const AccessRequest *ask;
    uint64_t id;
    const char *name, *role, *team, *key, *reason;
    uint64_t until;
    uint32_t hours;
} s_op_t;

static int
s_run (store_t *store, MDB_txn *txn, void *arg)
{
    s_op_t *op = (s_op_t *) arg;
    registry_result_t *result = &op->fx->result;
    uint64_t now = op->fx->now;
    int rc = -1;
    switch (op->kind) {
        case S_BOOTSTRAP:
            rc = registry_bootstrap (store, txn, now, op->name, op->role, op->team, op->key, result);
            break;
        case S_REQUEST:
            rc = registry_request (store, txn, now, op->actor, op->ask, result);
            break;
        case S_APPROVE:
            rc = registry_approve (store, txn, now, op->actor, op->id, result);
            break;
        case S_DENY:
            rc = registry_deny (store, txn, now, op->actor, op->id, op->reason, result);
            break;
        case S_REVOKE:
            rc = registry_revoke (store, txn, now, op->actor, op->name, op->reason, result);
            break;
        case S_REVIEW_START:
            rc = registry_review_start (store, txn, now, op->actor, op->team, op->until, result);
            break;
        case S_REVIEW_CONFIRM:
            rc = registry_review_confirm (store, txn, now, op->actor, op->name, result);
            break;
        case S_REVIEW_END:
            rc = registry_review_end (store, txn, now, op->actor, result);
            break;
        case S_EXPIRE:
            rc = registry_expire (store, txn, now, result);
            break;
        case S_BREAKGLASS:
            rc = registry_breakglass (store, txn, now, op->actor, op->name, op->reason, op->hours, result);
            break;
        case S_SEAL:
            registry_result_clear (result);
            rc = registry_bootstrap_seal (store, txn, now);
            break;
    }
    if (rc == 0)
        rc = registry_result_emit (result, op->fx->outbox, txn);
    return rc;
}

//  Runs one operation; returns its status. The events are in fx->result.
static Status
s_do (s_fixture_t *fx, s_op_t op)
{
    op.fx = fx;
    int rc = store_write (fx->store, s_run, &op);
    ck_assert_msg (rc == 0, "store_write: %s", store_error (fx->store));
    return fx->result.status;
}

static const char *
s_key (s_fixture_t *fx)
{
    char secret [41];
    ck_assert_int_eq (zmq_curve_keypair (fx->keys [fx->n_keys], secret), 0);
    return fx->keys [fx->n_keys++];
}

static uint64_t
s_version (s_fixture_t *fx)
{
    MDB_txn *txn = store_read_begin (fx->store);
    uint64_t version = 0;
    ck_assert_int_eq (registry_version (fx->store, txn, &version), 0);
    store_read_end (&txn);
    return version;
}

//  0 when the key may act now (caller filled), 1 when refused.
static int
s_lookup (s_fixture_t *fx, const char *key, uint64_t now, registry_caller_t *caller)
{
    MDB_txn *txn = store_read_begin (fx->store);
    int rc = registry_lookup_key (fx->store, txn, key, now, caller);
    store_read_end (&txn);
    ck_assert_int_ne (rc, -1);
    return rc;
}

static Identity *
s_identity (s_fixture_t *fx, const char *name)
{
    MDB_txn *txn = store_read_begin (fx->store);
    Identity *identity = NULL;
    ck_assert_int_eq (registry_identity (fx->store, txn, name, &identity), 0);
    store_read_end (&txn);
    return identity;
}

static const RegistryEvent *
s_event (s_fixture_t *fx, size_t index)
{
    ck_assert_msg (index < fx->result.n_events, "event %zu of %zu", index, fx->result.n_events);
    return fx->result.events [index];
}

//  The one event of a refusal: request_refused, reason = the error.
static void
s_assert_refused (s_fixture_t *fx, Status status, const char *words)
{
    ck_assert_msg (fx->result.status == status, "status %s, expected %s (%s)",
                   codec_status_name (fx->result.status), codec_status_name (status), fx->result.error);
    ck_assert_msg (strstr (fx->result.error, words), "error '%s' lacks '%s'", fx->result.error, words);
    ck_assert_uint_eq (fx->result.n_events, 1);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_REQUEST_REFUSED);
    ck_assert_str_eq (s_event (fx, 0)->reason, fx->result.error);
}

static void
s_assert_ok (s_fixture_t *fx)
{
    ck_assert_msg (fx->result.status == STATUS__OK, "refused: %s", fx->result.error);
}

static s_fixture_t *
s_setup (void)
{
    s_fixture_t *fx = (s_fixture_t *) calloc (1, sizeof *fx);
    fx->dir = test_tmpdir ("registry");
    char error [512] = "";
    fx->store = store_new (fx->dir, s_tables, error, sizeof error);
    ck_assert_msg (fx->store != NULL, "store_new: %s", error);
    fx->outbox = outbox_new (fx->store, "audit");
    ck_assert_ptr_nonnull (fx->outbox);
    ck_assert_int_eq (clock_parse_iso8601 ("2026-12-01T09:00:00Z", &fx->now), 0);
    registry_result_init (&fx->result);
    //  The first two admins, as scripts/run makes them.
    s_do (fx, (s_op_t) { .kind = S_BOOTSTRAP, .name = "admin", .role = "admin", .team = "internal",
                         .key = s_key (fx) });
    s_assert_ok (fx);
    s_do (fx, (s_op_t) { .kind = S_BOOTSTRAP, .name = "admin2", .role = "admin", .team = "internal",
                         .key = s_key (fx) });
    s_assert_ok (fx);
    return fx;
}

static void
s_teardown (s_fixture_t **fx_p)
{
    s_fixture_t *fx = *fx_p;
    registry_result_clear (&fx->result);
    outbox_destroy (&fx->outbox);
    store_destroy (&fx->store);
    test_rmtree (fx->dir);
    free (fx->dir);
    free (fx);
    *fx_p = NULL;
}

//  Asks for a grant; returns the request id (0 when refused).
static uint64_t
s_ask_grant (s_fixture_t *fx, const char *actor, const char *name, const char *role, const char *team,
             uint64_t until, const char *key)
{
    AccessRequest ask = ACCESS_REQUEST__INIT;
    ask.kind = ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT;
    ask.name = (char *) name;
    ask.role = (char *) role;
    ask.team = (char *) team;
    ask.valid_until_ms = until;
    ask.public_key = (char *) key;
    s_do (fx, (s_op_t) { .kind = S_REQUEST, .actor = actor, .ask = &ask });
    return fx->result.status == STATUS__OK? fx->result.request_id: 0;
}

static uint64_t
s_ask_mover (s_fixture_t *fx, const char *actor, const char *name, const char *role, const char *team,
             uint64_t until)
{
    AccessRequest ask = ACCESS_REQUEST__INIT;
    ask.kind = ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER;
    ask.name = (char *) name;
    ask.role = (char *) role;
    ask.team = (char *) team;
    ask.valid_until_ms = until;
    s_do (fx, (s_op_t) { .kind = S_REQUEST, .actor = actor, .ask = &ask });
    return fx->result.status == STATUS__OK? fx->result.request_id: 0;
}

//  A grant asked by admin and approved by admin2; returns the key.
static const char *
s_granted (s_fixture_t *fx, const char *name, const char *role, const char *team, uint64_t until)
{
    const char *key = s_key (fx);
    uint64_t id = s_ask_grant (fx, "admin", name, role, team, until, key);
    ck_assert_msg (id, "grant %s: %s", name, fx->result.error);
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = id });
    s_assert_ok (fx);
    return key;
}

START_TEST (test_bootstrap_makes_two_admins_only)
{
    s_fixture_t *fx = s_setup ();
    registry_caller_t caller;
    ck_assert_int_eq (s_lookup (fx, fx->keys [0], fx->now, &caller), 0);
    ck_assert_str_eq (caller.identity.name, "admin");
    ck_assert_str_eq (caller.identity.role, "admin");
    uint64_t version = s_version (fx);
    ck_assert_uint_eq (version, 2);

    //  Again with the same key: nothing to do, nothing said.
    s_do (fx, (s_op_t) { .kind = S_BOOTSTRAP, .name = "admin", .role = "admin", .team = "internal",
                         .key = fx->keys [0] });
    s_assert_ok (fx);
    ck_assert_uint_eq (fx->result.n_events, 0);
    //  A third admin is a grant, not a bootstrap; nor is any other role.
    s_do (fx, (s_op_t) { .kind = S_BOOTSTRAP, .name = "admin3", .role = "admin", .team = "internal",
                         .key = s_key (fx) });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "two admins");
    s_do (fx, (s_op_t) { .kind = S_BOOTSTRAP, .name = "x", .role = "internal-biller", .team = "internal",
                         .key = s_key (fx) });
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "must be admin or service");
    ck_assert_uint_eq (s_version (fx), version);
    //  The deployment's processes are bootstrapped as role service.
    s_do (fx, (s_op_t) { .kind = S_BOOTSTRAP, .name = "rcmq-claims", .role = "service", .team = "internal",
                         .key = s_key (fx) });
    s_assert_ok (fx);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_BOOTSTRAPPED);
    s_teardown (&fx);
}
END_TEST

//  Bootstrap happens once (ADR 21): once sealed, not even a second admin
//  while there is only one, nor a process key, is entered from a file
//  (before the seal, the registry took admin2 at any later start).
START_TEST (test_bootstrap_sealed)
{
    s_fixture_t *fx = s_setup ();     //  admin and admin2 bootstrapped
    uint64_t sealed;
    MDB_txn *txn = store_read_begin (fx->store);
    ck_assert_int_eq (registry_bootstrap_sealed (fx->store, txn, &sealed), 0);
    store_read_end (&txn);
    ck_assert_uint_eq (sealed, 0);
    s_do (fx, (s_op_t) { .kind = S_SEAL });
    txn = store_read_begin (fx->store);
    ck_assert_int_eq (registry_bootstrap_sealed (fx->store, txn, &sealed), 0);
    store_read_end (&txn);
    ck_assert_uint_eq (sealed, fx->now);
    uint64_t version = s_version (fx);
    s_do (fx, (s_op_t) { .kind = S_BOOTSTRAP, .name = "rcmq-claims", .role = "service", .team = "internal",
                         .key = s_key (fx) });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "bootstrapped at");
    //  Even the same key again is refused now: nothing is read from files.
    s_do (fx, (s_op_t) { .kind = S_BOOTSTRAP, .name = "admin", .role = "admin", .team = "internal",
                         .key = fx->keys [0] });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "granted by two admins");
    ck_assert_uint_eq (s_version (fx), version);
    s_teardown (&fx);
}
END_TEST

//  A registry that took only one admin at its first start: before the
//  seal a later start would enter a new admin2.cert; sealed, it cannot.
START_TEST (test_bootstrap_sealed_with_one_admin)
{
    s_fixture_t *fx = s_setup ();
    //  A registry of its own, beside the fixture's two-admin one.
    char *dir = test_tmpdir ("registry-one"), error [256];
    store_t *one = store_new (dir, s_tables, error, sizeof error);
    ck_assert_ptr_nonnull (one);
    store_t *two = fx->store;
    outbox_t *two_outbox = fx->outbox;
    fx->store = one;
    fx->outbox = outbox_new (one, "audit");
    s_do (fx, (s_op_t) { .kind = S_BOOTSTRAP, .name = "admin", .role = "admin", .team = "internal",
                         .key = fx->keys [0] });
    s_assert_ok (fx);
    s_do (fx, (s_op_t) { .kind = S_SEAL });
    s_do (fx, (s_op_t) { .kind = S_BOOTSTRAP, .name = "admin2", .role = "admin", .team = "internal",
                         .key = s_key (fx) });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "bootstrapped at");
    size_t admins;
    MDB_txn *txn = store_read_begin (one);
    ck_assert_int_eq (registry_admin_count (one, txn, &admins), 0);
    store_read_end (&txn);
    ck_assert_uint_eq (admins, 1);
    outbox_destroy (&fx->outbox);
    fx->outbox = two_outbox;
    fx->store = two;
    store_destroy (&one);
    test_rmtree (dir);
    free (dir);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_grant_needs_a_second_admin)
{
    s_fixture_t *fx = s_setup ();
    const char *key = s_key (fx);
    uint64_t id = s_ask_grant (fx, "admin", "alice", "internal-biller", "internal", 0, key);
    ck_assert_uint_ne (id, 0);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_REQUESTED);
    ck_assert_uint_eq (s_event (fx, 0)->identity->status, IDENTITY_STATUS__IDENTITY_REQUESTED);
    //  Requested opens nothing.
    registry_caller_t caller;
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 1);
    ck_assert_msg (strstr (caller.why, "requested"), "why: %s", caller.why);

    //  The same admin cannot both request and approve.
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin", .id = id });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "two-person rule");
    ck_assert_str_eq (s_event (fx, 0)->action, "approve");
    ck_assert_str_eq (s_event (fx, 0)->actor, "admin");
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 1);
    //  A biller is not an approver, and nobody outside the registry is.
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "mallory", .id = id });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "not in the access registry");

    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = id });
    s_assert_ok (fx);
    const RegistryEvent *granted = s_event (fx, 0);
    ck_assert_str_eq (granted->type, REGISTRY_EVENT_GRANTED);
    ck_assert_str_eq (granted->actor, "admin");
    ck_assert_str_eq (granted->approver, "admin2");
    ck_assert_str_eq (granted->identity->requested_by, "admin");
    ck_assert_str_eq (granted->identity->approved_by, "admin2");
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 0);
    ck_assert_str_eq (caller.identity.name, "alice");
    ck_assert_str_eq (caller.identity.team, "internal");
    //  Approved once: a second approval finds nothing pending.
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = id });
    s_assert_refused (fx, STATUS__FAILED_PRECONDITION, "approved, not pending");
    s_teardown (&fx);
}
END_TEST

START_TEST (test_self_approval_refused)
{
    s_fixture_t *fx = s_setup ();
    //  admin asks that admin2 move to compliance; admin2 may not approve a
    //  change to its own access, even though someone else asked.
    uint64_t id = s_ask_mover (fx, "admin", "admin2", "compliance", "internal", 0);
    ck_assert_uint_ne (id, 0);
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = id });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "own access");
    Identity *admin2 = s_identity (fx, "admin2");
    ck_assert_str_eq (admin2->role, "admin");
    codec_free (admin2);
    //  A break-glass one asks for oneself is approved by the other.
    s_do (fx, (s_op_t) { .kind = S_DENY, .actor = "admin", .id = id, .reason = "changed my mind" });
    s_assert_ok (fx);
    s_do (fx, (s_op_t) { .kind = S_BREAKGLASS, .actor = "admin", .name = "admin", .reason = "outage",
                         .hours = 2 });
    s_assert_ok (fx);
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin", .id = fx->result.request_id });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "two-person");
    s_teardown (&fx);
}
END_TEST

START_TEST (test_deny_and_withdraw)
{
    s_fixture_t *fx = s_setup ();
    s_granted (fx, "ib", "internal-biller", "internal", 0);
    const char *key = s_key (fx);
    uint64_t id = s_ask_grant (fx, "admin", "dan", "internal-biller", "internal", 0, key);
    ck_assert_uint_ne (id, 0);
    //  Saying no is one person, but an admin's or the requester's.
    s_do (fx, (s_op_t) { .kind = S_DENY, .actor = "ib", .id = id, .reason = "no" });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "only an admin or its requester");
    s_do (fx, (s_op_t) { .kind = S_DENY, .actor = "admin2", .id = id, .reason = "not hired after all" });
    s_assert_ok (fx);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_REQUEST_DENIED);
    ck_assert_str_eq (s_event (fx, 0)->reason, "not hired after all");
    //  The requested identity is revoked, so the copies drop it too.
    ck_assert_uint_eq (s_event (fx, 0)->identity->status, IDENTITY_STATUS__IDENTITY_REVOKED);
    registry_caller_t caller;
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 1);
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = id });
    s_assert_refused (fx, STATUS__FAILED_PRECONDITION, "denied (not hired after all), not pending");
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = 99 });
    s_assert_refused (fx, STATUS__NOT_FOUND, "no such request");
    s_teardown (&fx);
}
END_TEST

START_TEST (test_request_dies_with_its_requester)
{
    s_fixture_t *fx = s_setup ();
    s_granted (fx, "admin3", "admin", "internal", 0);
    const char *key = s_key (fx);
    uint64_t id = s_ask_grant (fx, "admin3", "bob", "internal-biller", "internal", 0, key);
    ck_assert_uint_ne (id, 0);
    uint64_t before = s_version (fx);
    //  admin3 leaves: revoked at once, by one person, with a reason; the
    //  request it made is cancelled in the same change.
    s_do (fx, (s_op_t) { .kind = S_REVOKE, .actor = "admin", .name = "admin3", .reason = "left the company" });
    s_assert_ok (fx);
    ck_assert_uint_eq (s_version (fx), before + 1);
    ck_assert_uint_eq (fx->result.n_events, 2);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_REVOKED);
    ck_assert_str_eq (s_event (fx, 0)->reason, "left the company");
    ck_assert_str_eq (s_event (fx, 1)->type, REGISTRY_EVENT_REQUEST_CANCELLED);
    ck_assert_uint_eq (s_event (fx, 1)->request->id, id);
    ck_assert_uint_eq (s_event (fx, 1)->identity->status, IDENTITY_STATUS__IDENTITY_REVOKED);
    //  The approval that comes after is refused; bob never gets in.
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = id });
    s_assert_refused (fx, STATUS__FAILED_PRECONDITION, "cancelled");
    registry_caller_t caller;
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 1);
    //  And a revoked admin can neither ask nor approve any more.
    ck_assert_uint_eq (s_ask_grant (fx, "admin3", "carol", "internal-biller", "internal", 0, s_key (fx)), 0);
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "revoked");
    s_teardown (&fx);
}
END_TEST

START_TEST (test_requester_lapsed_before_approval)
{
    s_fixture_t *fx = s_setup ();
    //  A lead whose own access ends tomorrow asks for a biller today; the
    //  approval comes after the lead's end date, before the clock has
    //  suspended it: still refused.
    s_granted (fx, "lead", "internal-lead", "east", fx->now + S_DAY);
    uint64_t id = s_ask_grant (fx, "lead", "bill", "internal-biller", "east", 0, s_key (fx));
    ck_assert_uint_ne (id, 0);
    fx->now += 2 * S_DAY;
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin", .id = id });
    s_assert_refused (fx, STATUS__FAILED_PRECONDITION, "requester may no longer act");
    s_teardown (&fx);
}
END_TEST

START_TEST (test_lead_asks_for_own_team_billers_only)
{
    s_fixture_t *fx = s_setup ();
    s_granted (fx, "lead", "internal-lead", "east", 0);
    s_granted (fx, "westie", "internal-biller", "west", 0);
    //  Outside its team, another role, break-glass, or approving: refused.
    ck_assert_uint_eq (s_ask_grant (fx, "lead", "x1", "internal-biller", "west", 0, s_key (fx)), 0);
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "only for internal-biller of team east");
    ck_assert_uint_eq (s_ask_grant (fx, "lead", "x2", "admin", "east", 0, s_key (fx)), 0);
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "only for internal-biller");
    ck_assert_uint_eq (s_ask_mover (fx, "lead", "westie", "internal-biller", "east", 0), 0);
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "westie is internal-biller of team west");
    s_do (fx, (s_op_t) { .kind = S_BREAKGLASS, .actor = "lead", .name = "westie", .reason = "r", .hours = 1 });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "may not request a breakglass");
    s_do (fx, (s_op_t) { .kind = S_REVOKE, .actor = "lead", .name = "westie", .reason = "not mine" });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "team east");
    //  Its own team's biller: asked by the lead, approved by an admin.
    const char *key = s_key (fx);
    uint64_t id = s_ask_grant (fx, "lead", "eve", "internal-biller", "east", 0, key);
    ck_assert_uint_ne (id, 0);
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "lead", .id = id });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "only an admin approves");
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin", .id = id });
    s_assert_ok (fx);
    ck_assert_str_eq (s_event (fx, 0)->actor, "lead");
    ck_assert_str_eq (s_event (fx, 0)->approver, "admin");
    registry_caller_t caller;
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 0);
    //  And the lead revokes its own biller alone.
    s_do (fx, (s_op_t) { .kind = S_REVOKE, .actor = "lead", .name = "eve", .reason = "left" });
    s_assert_ok (fx);
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 1);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_vendor_needs_valid_until)
{
    s_fixture_t *fx = s_setup ();
    ck_assert_uint_eq (s_ask_grant (fx, "admin", "v1", "vendor-agent", "acme", 0, s_key (fx)), 0);
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "must have a valid-until");
    ck_assert_uint_eq (s_ask_grant (fx, "admin", "v1", "vendor-agent", "acme", fx->now - S_DAY, s_key (fx)), 0);
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "not in the future");
    //  An internal biller moved to a vendor role needs one too.
    s_granted (fx, "ib", "internal-biller", "internal", 0);
    ck_assert_uint_eq (s_ask_mover (fx, "admin", "ib", "vendor-lead", "acme", 0), 0);
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "vendor role");
    ck_assert_uint_ne (s_ask_grant (fx, "admin", "v1", "vendor-agent", "acme", fx->now + 30 * S_DAY,
                                    s_key (fx)), 0);
    //  Bad input is named: role, team, key, name.
    ck_assert_uint_eq (s_ask_grant (fx, "admin", "v2", "superuser", "acme", 0, s_key (fx)), 0);
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "role 'superuser' is not a role");
    ck_assert_uint_eq (s_ask_grant (fx, "admin", "v2", "internal-biller", "", 0, s_key (fx)), 0);
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "team ''");
    ck_assert_uint_eq (s_ask_grant (fx, "admin", "v2", "internal-biller", "internal", 0, "not-a-key"), 0);
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "not a 40-character Z85");
    ck_assert_uint_eq (s_ask_grant (fx, "admin", "bad name", "internal-biller", "internal", 0, s_key (fx)), 0);
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "name 'bad name'");
    //  A key already someone's, a name already taken.
    ck_assert_uint_eq (s_ask_grant (fx, "admin", "v3", "internal-biller", "internal", 0, fx->keys [0]), 0);
    s_assert_refused (fx, STATUS__ALREADY_EXISTS, "admin's");
    ck_assert_uint_eq (s_ask_grant (fx, "admin", "ib", "internal-biller", "internal", 0, s_key (fx)), 0);
    s_assert_refused (fx, STATUS__ALREADY_EXISTS, "taken");
    s_teardown (&fx);
}
END_TEST

START_TEST (test_mover_loses_old_team)
{
    s_fixture_t *fx = s_setup ();
    uint64_t until = fx->now + 90 * S_DAY;
    const char *key = s_granted (fx, "vl", "vendor-lead", "acme", until);
    registry_caller_t caller;
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 0);
    ck_assert (access_in_scope (&caller.identity, "vendor", "acme"));
    uint64_t id = s_ask_mover (fx, "admin", "vl", "vendor-lead", "beta", 0);
    ck_assert_uint_ne (id, 0);
    //  One pending request per identity at a time.
    ck_assert_uint_eq (s_ask_mover (fx, "admin", "vl", "vendor-agent", "beta", 0), 0);
    s_assert_refused (fx, STATUS__ALREADY_EXISTS, "is pending");
    //  Until approved, nothing changes.
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 0);
    ck_assert_str_eq (caller.identity.team, "acme");
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = id });
    s_assert_ok (fx);
    const RegistryEvent *changed = s_event (fx, 0);
    ck_assert_str_eq (changed->type, REGISTRY_EVENT_CHANGED);
    ck_assert_str_eq (changed->previous_team, "acme");
    ck_assert_str_eq (changed->identity->team, "beta");
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 0);
    ck_assert_str_eq (caller.identity.team, "beta");
    ck_assert (!access_in_scope (&caller.identity, "vendor", "acme"));
    ck_assert (access_in_scope (&caller.identity, "vendor", "beta"));
    ck_assert_uint_eq (caller.valid_until_ms, until);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_revoke_is_immediate)
{
    s_fixture_t *fx = s_setup ();
    const char *key = s_granted (fx, "agent", "vendor-agent", "acme", fx->now + 30 * S_DAY);
    registry_caller_t caller;
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 0);
    uint64_t version = caller.version;
    s_do (fx, (s_op_t) { .kind = S_REVOKE, .actor = "admin", .name = "agent", .reason = "" });
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "reason is required");
    s_do (fx, (s_op_t) { .kind = S_REVOKE, .actor = "agent", .name = "agent", .reason = "x" });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "may not revoke");
    s_do (fx, (s_op_t) { .kind = S_REVOKE, .actor = "admin", .name = "nobody", .reason = "x" });
    s_assert_refused (fx, STATUS__NOT_FOUND, "no such identity");
    ck_assert_uint_eq (s_version (fx), version);
    //  One person, no approval, effective in the same transaction.
    s_do (fx, (s_op_t) { .kind = S_REVOKE, .actor = "admin", .name = "agent", .reason = "contract ended" });
    s_assert_ok (fx);
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 1);
    ck_assert_msg (strstr (caller.why, "revoked (contract ended)"), "why: %s", caller.why);
    ck_assert_uint_eq (caller.version, version + 1);
    //  Revoked is final: reactivation is refused, a new grant is the way back.
    AccessRequest ask = ACCESS_REQUEST__INIT;
    ask.kind = ACCESS_REQUEST_KIND__ACCESS_REQUEST_REACTIVATE;
    ask.name = (char *) "agent";
    ask.valid_until_ms = fx->now + S_DAY;
    s_do (fx, (s_op_t) { .kind = S_REQUEST, .actor = "admin", .ask = &ask });
    s_assert_refused (fx, STATUS__FAILED_PRECONDITION, "is revoked, not suspended");
    s_teardown (&fx);
}
END_TEST

START_TEST (test_review_end_suspends_unconfirmed)
{
    s_fixture_t *fx = s_setup ();
    const char *lead_key = s_granted (fx, "lead", "internal-lead", "east", 0);
    const char *alice = s_granted (fx, "alice", "internal-biller", "east", 0);
    const char *bob = s_granted (fx, "bob", "internal-biller", "east", 0);
    const char *agent = s_granted (fx, "agent", "vendor-agent", "acme", fx->now + 60 * S_DAY);
    s_granted (fx, "vlead", "vendor-lead", "acme", fx->now + 60 * S_DAY);
    s_granted (fx, "ilead", "internal-lead", "internal", 0);
    s_do (fx, (s_op_t) { .kind = S_REVIEW_START, .actor = "lead", .until = fx->now + 7 * S_DAY });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "may not start a review");
    s_do (fx, (s_op_t) { .kind = S_REVIEW_START, .actor = "admin", .until = fx->now + 7 * S_DAY });
    s_assert_ok (fx);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_REVIEW_STARTED);
    uint64_t campaign = s_event (fx, 0)->campaign;
    s_do (fx, (s_op_t) { .kind = S_REVIEW_START, .actor = "admin", .until = fx->now + 7 * S_DAY });
    s_assert_refused (fx, STATUS__FAILED_PRECONDITION, "is open");

    //  Leads confirm their own team, admins anyone; nobody themselves.
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "lead", .name = "alice" });
    s_assert_ok (fx);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_CONFIRMED);
    ck_assert_uint_eq (s_event (fx, 0)->campaign, campaign);
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "lead", .name = "alice" });
    s_assert_refused (fx, STATUS__FAILED_PRECONDITION, "already confirmed by lead");
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "lead", .name = "lead" });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "own access");
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "vlead", .name = "bob" });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "may confirm only vendor-agent of its own team");
    //  A lead of the admins' team still does not recertify admins.
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "ilead", .name = "admin" });
    s_assert_refused (fx, STATUS__PERMISSION_DENIED, "admin is admin of team internal");
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "admin", .name = "ilead" });
    s_assert_ok (fx);
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "vlead", .name = "agent" });
    s_assert_ok (fx);
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "admin", .name = "lead" });
    s_assert_ok (fx);
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "admin", .name = "admin2" });
    s_assert_ok (fx);
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "admin2", .name = "admin" });
    s_assert_ok (fx);
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "admin2", .name = "vlead" });
    s_assert_ok (fx);

    //  bob is left unconfirmed: the end suspends him, and only him.
    s_do (fx, (s_op_t) { .kind = S_REVIEW_END, .actor = "admin" });
    s_assert_ok (fx);
    ck_assert_uint_eq (fx->result.n_events, 2);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_SUSPENDED);
    ck_assert_str_eq (s_event (fx, 0)->subject, "bob");
    ck_assert_uint_eq (s_event (fx, 0)->campaign, campaign);
    ck_assert_str_eq (s_event (fx, 1)->type, REGISTRY_EVENT_REVIEW_ENDED);
    ck_assert_str_eq (s_event (fx, 1)->reason, "7 confirmed, 1 suspended, 8 listed");
    registry_caller_t caller;
    ck_assert_int_eq (s_lookup (fx, bob, fx->now, &caller), 1);
    ck_assert_msg (strstr (caller.why, "suspended (not confirmed in access review"), "why: %s", caller.why);
    ck_assert_int_eq (s_lookup (fx, alice, fx->now, &caller), 0);
    ck_assert_int_eq (s_lookup (fx, agent, fx->now, &caller), 0);
    ck_assert_int_eq (s_lookup (fx, lead_key, fx->now, &caller), 0);
    MDB_txn *txn = store_read_begin (fx->store);
    ReviewCampaign *open = NULL;
    ck_assert_int_eq (registry_review_open (fx->store, txn, &open), MDB_NOTFOUND);
    store_read_end (&txn);

    //  A review whose date passes ends by itself, through the clock.
    s_do (fx, (s_op_t) { .kind = S_REVIEW_START, .actor = "admin", .team = "east", .until = fx->now + S_DAY });
    s_assert_ok (fx);
    s_do (fx, (s_op_t) { .kind = S_REVIEW_CONFIRM, .actor = "admin", .name = "agent" });
    s_assert_refused (fx, STATUS__NOT_FOUND, "not in review");
    fx->now += S_DAY;
    s_do (fx, (s_op_t) { .kind = S_EXPIRE });
    s_assert_ok (fx);
    //  lead and alice (east, active) were not confirmed this time.
    ck_assert_uint_eq (fx->result.n_events, 3);
    ck_assert_str_eq (s_event (fx, 2)->type, REGISTRY_EVENT_REVIEW_ENDED);
    ck_assert_str_eq (s_event (fx, 2)->actor, REGISTRY_CLOCK_ACTOR);
    ck_assert_int_eq (s_lookup (fx, alice, fx->now, &caller), 1);
    ck_assert_int_eq (s_lookup (fx, agent, fx->now, &caller), 0);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_approval_during_review_confirms)
{
    s_fixture_t *fx = s_setup ();
    const char *key = s_granted (fx, "alice", "internal-biller", "east", 0);
    s_do (fx, (s_op_t) { .kind = S_REVIEW_START, .actor = "admin", .team = "east", .until = fx->now + S_DAY });
    s_assert_ok (fx);
    //  alice moves to west while the review of east is open: the approval
    //  is a second person's look at her access, and counts as confirming it.
    uint64_t id = s_ask_mover (fx, "admin", "alice", "internal-biller", "west", 0);
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = id });
    s_assert_ok (fx);
    ck_assert_uint_eq (fx->result.n_events, 2);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_CHANGED);
    ck_assert_str_eq (s_event (fx, 1)->type, REGISTRY_EVENT_CONFIRMED);
    ck_assert_str_eq (s_event (fx, 1)->actor, "admin2");
    s_do (fx, (s_op_t) { .kind = S_REVIEW_END, .actor = "admin" });
    s_assert_ok (fx);
    ck_assert_uint_eq (fx->result.n_events, 1);
    ck_assert_str_eq (s_event (fx, 0)->reason, "1 confirmed, 0 suspended, 1 listed");
    registry_caller_t caller;
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 0);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_breakglass_expires)
{
    s_fixture_t *fx = s_setup ();
    const char *key = s_granted (fx, "agent", "vendor-agent", "acme", fx->now + 30 * S_DAY);
    s_do (fx, (s_op_t) { .kind = S_BREAKGLASS, .actor = "admin", .name = "agent", .reason = "", .hours = 2 });
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "reason is required");
    s_do (fx, (s_op_t) { .kind = S_BREAKGLASS, .actor = "admin", .name = "agent", .reason = "r", .hours = 0 });
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "0 hours");
    s_do (fx, (s_op_t) { .kind = S_BREAKGLASS, .actor = "admin", .name = "agent", .reason = "r",
                         .hours = REGISTRY_BREAKGLASS_MAX_HOURS + 1 });
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "hours is not 1 to");
    s_do (fx, (s_op_t) { .kind = S_BREAKGLASS, .actor = "admin", .name = "agent",
                         .reason = "payer audit due today", .hours = 2 });
    s_assert_ok (fx);
    uint64_t id = fx->result.request_id;
    registry_caller_t caller;
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 0);
    ck_assert (!caller.breakglass);
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = id });
    s_assert_ok (fx);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_BREAKGLASS_GRANTED);
    uint64_t start = fx->now;
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 0);
    ck_assert (caller.breakglass);

    //  An hour in: nothing due, nothing written, nothing said.
    uint64_t version = s_version (fx);
    fx->now = start + S_HOUR;
    s_do (fx, (s_op_t) { .kind = S_EXPIRE });
    s_assert_ok (fx);
    ck_assert_uint_eq (fx->result.n_events, 0);
    ck_assert_uint_eq (s_version (fx), version);
    //  Two hours in: the window is closed even before the clock runs...
    ck_assert_int_eq (s_lookup (fx, key, start + 2 * S_HOUR, &caller), 0);
    ck_assert (!caller.breakglass);
    //  ...and the clock says so.
    fx->now = start + 2 * S_HOUR;
    s_do (fx, (s_op_t) { .kind = S_EXPIRE });
    s_assert_ok (fx);
    ck_assert_uint_eq (fx->result.n_events, 1);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_BREAKGLASS_EXPIRED);
    ck_assert_uint_eq (s_event (fx, 0)->identity->breakglass_until_ms, 0);
    ck_assert_uint_eq (s_version (fx), version + 1);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_valid_until_expiry)
{
    s_fixture_t *fx = s_setup ();
    uint64_t until = fx->now + S_DAY;
    const char *key = s_granted (fx, "agent", "vendor-agent", "acme", until);
    registry_caller_t caller;
    ck_assert_int_eq (s_lookup (fx, key, until - 1, &caller), 0);
    //  Refused from its end date on, whether or not the clock has run.
    ck_assert_int_eq (s_lookup (fx, key, until, &caller), 1);
    ck_assert_msg (strstr (caller.why, "was valid until 2026-12-02"), "why: %s", caller.why);
    fx->now = until;
    s_do (fx, (s_op_t) { .kind = S_EXPIRE });
    s_assert_ok (fx);
    ck_assert_uint_eq (fx->result.n_events, 1);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_SUSPENDED);
    ck_assert_str_eq (s_event (fx, 0)->actor, REGISTRY_CLOCK_ACTOR);
    //  Back only by a reactivation, with a new end date, by two people.
    AccessRequest ask = ACCESS_REQUEST__INIT;
    ask.kind = ACCESS_REQUEST_KIND__ACCESS_REQUEST_REACTIVATE;
    ask.name = (char *) "agent";
    s_do (fx, (s_op_t) { .kind = S_REQUEST, .actor = "admin", .ask = &ask });
    s_assert_refused (fx, STATUS__INVALID_ARGUMENT, "not in the future");
    ask.valid_until_ms = fx->now + 30 * S_DAY;
    s_do (fx, (s_op_t) { .kind = S_REQUEST, .actor = "admin", .ask = &ask });
    s_assert_ok (fx);
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = fx->result.request_id });
    s_assert_ok (fx);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_REACTIVATED);
    ck_assert_int_eq (s_lookup (fx, key, fx->now, &caller), 0);
    s_teardown (&fx);
}
END_TEST

START_TEST (test_request_lapses)
{
    s_fixture_t *fx = s_setup ();
    const char *key = s_key (fx);
    uint64_t id = s_ask_grant (fx, "admin", "late", "internal-biller", "internal", 0, key);
    ck_assert_uint_ne (id, 0);
    fx->now += REGISTRY_REQUEST_TTL_MS;
    s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = id });
    s_assert_refused (fx, STATUS__FAILED_PRECONDITION, "lapsed");
    s_do (fx, (s_op_t) { .kind = S_EXPIRE });
    s_assert_ok (fx);
    ck_assert_uint_eq (fx->result.n_events, 1);
    ck_assert_str_eq (s_event (fx, 0)->type, REGISTRY_EVENT_REQUEST_EXPIRED);
    ck_assert_uint_eq (s_event (fx, 0)->identity->status, IDENTITY_STATUS__IDENTITY_REVOKED);
    //  The name can be asked for again.
    ck_assert_uint_ne (s_ask_grant (fx, "admin", "late", "internal-biller", "internal", 0, key), 0);
    s_teardown (&fx);
}
END_TEST

//  Collects "name:status" of each identity / "id:kind:state" of each request.
static int
s_list_identity (const Identity *identity, void *arg)
{
    char *out = (char *) arg;
    char line [128];
    snprintf (line, sizeof line, "%s%s:%d", *out? " ": "", identity->name, (int) identity->status);
    strcat (out, line);
    return 0;
}

static int
s_list_request (const AccessRequest *request, void *arg)
{
    char *out = (char *) arg;
    char line [128];
    snprintf (line, sizeof line, "%s%llu:%d:%d", *out? " ": "", (unsigned long long) request->id,
              (int) request->kind, (int) request->state);
    strcat (out, line);
    //  Stops after the second, to show a walk can be stopped.
    return request->id == 2? 7: 0;
}

START_TEST (test_list_and_history)
{
    s_fixture_t *fx = s_setup ();
    s_granted (fx, "zed", "internal-biller", "internal", 0);
    uint64_t id = s_ask_grant (fx, "admin", "bea", "compliance", "internal", 0, s_key (fx));
    ck_assert_uint_eq (id, 2);
    s_ask_grant (fx, "admin2", "cal", "leader", "internal", 0, s_key (fx));
    char identities [512] = "", requests [512] = "";
    MDB_txn *txn = store_read_begin (fx->store);
    ck_assert_int_eq (registry_each_identity (fx->store, txn, s_list_identity, identities), 0);
    ck_assert_int_eq (registry_each_request (fx->store, txn, s_list_request, requests), 7);
    store_read_end (&txn);
    //  Name order; statuses 2 active, 1 requested. Requests: 1 grant approved, 2 grant pending.
    ck_assert_str_eq (identities, "admin:2 admin2:2 bea:1 cal:1 zed:2");
    ck_assert_str_eq (requests, "1:1:2 2:1:1");
    s_teardown (&fx);
}
END_TEST

//  Applies every event of a run to a copy, as a consuming service does.
typedef struct {
    const registry_result_t *result;
} s_apply_t;

static int
s_apply_all (store_t *store, MDB_txn *txn, void *arg)
{
    const registry_result_t *result = ((s_apply_t *) arg)->result;
    for (size_t i = 0; i < result->n_events; i++) {
        int rc = registry_apply (store, txn, result->events [i]);
        if (rc)
            return rc;
    }
    return 0;
}

START_TEST (test_versions_and_copies)
{
    s_fixture_t *fx = s_setup ();
    //  A copy kept from the events alone, with refusals among them.
    char *dir = test_tmpdir ("registry-copy");
    char error [512] = "";
    store_t *copy = store_new (dir, s_tables, error, sizeof error);
    ck_assert_msg (copy != NULL, "store_new: %s", error);
    const char *keys [3];
    uint64_t last = s_version (fx);
    ck_assert_uint_eq (last, 2);

    //  The bootstrap's events are gone (setup ran them); redo them in the copy.
    MDB_txn *txn = store_read_begin (fx->store);
    Identity *admin = NULL, *admin2 = NULL;
    ck_assert_int_eq (registry_identity (fx->store, txn, "admin", &admin), 0);
    ck_assert_int_eq (registry_identity (fx->store, txn, "admin2", &admin2), 0);
    store_read_end (&txn);
    RegistryEvent boot = REGISTRY_EVENT__INIT;
    boot.type = (char *) REGISTRY_EVENT_BOOTSTRAPPED;
    registry_result_t seed;
    registry_result_init (&seed);
    RegistryEvent *seeded [2] = { &boot, NULL };
    seed.events = seeded;
    seed.n_events = 1;
    boot.identity = admin;
    boot.version = 1;
    ck_assert_int_eq (store_write (copy, s_apply_all, &(s_apply_t) { &seed }), 0);
    boot.identity = admin2;
    boot.version = 2;
    ck_assert_int_eq (store_write (copy, s_apply_all, &(s_apply_t) { &seed }), 0);
    codec_free (admin);
    codec_free (admin2);

    const char *names [3] = { "n1", "n2", "n3" };
    for (int i = 0; i < 3; i++) {
        keys [i] = s_key (fx);
        uint64_t id = s_ask_grant (fx, "admin", names [i], "internal-biller", "internal", 0, keys [i]);
        ck_assert_uint_eq (s_version (fx), last + 1);
        ck_assert_uint_eq (fx->result.events [0]->version, last + 1);
        last++;
        ck_assert_int_eq (store_write (copy, s_apply_all, &(s_apply_t) { &fx->result }), 0);
        //  A refusal: no bump, but an event the copy takes in its stride.
        s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin", .id = id });
        s_assert_refused (fx, STATUS__PERMISSION_DENIED, "two-person");
        ck_assert_uint_eq (s_version (fx), last);
        ck_assert_int_eq (store_write (copy, s_apply_all, &(s_apply_t) { &fx->result }), 0);
        s_do (fx, (s_op_t) { .kind = S_APPROVE, .actor = "admin2", .id = id });
        s_assert_ok (fx);
        ck_assert_uint_eq (s_version (fx), ++last);
        ck_assert_int_eq (store_write (copy, s_apply_all, &(s_apply_t) { &fx->result }), 0);
    }
    s_do (fx, (s_op_t) { .kind = S_REVOKE, .actor = "admin", .name = "n2", .reason = "left" });
    s_assert_ok (fx);
    ck_assert_uint_eq (s_version (fx), ++last);
    ck_assert_int_eq (store_write (copy, s_apply_all, &(s_apply_t) { &fx->result }), 0);

    //  The copy answers as the registry does, at the same version.
    for (int i = 0; i < 3; i++) {
        registry_caller_t here, there;
        int expected = s_lookup (fx, keys [i], fx->now, &here);
        MDB_txn *copy_txn = store_read_begin (copy);
        ck_assert_int_eq (registry_lookup_key (copy, copy_txn, keys [i], fx->now, &there), expected);
        store_read_end (&copy_txn);
        ck_assert_int_eq (expected, i == 1? 1: 0);
        ck_assert_uint_eq (there.version, last);
        ck_assert_str_eq (there.identity.name, here.identity.name);
    }
    //  An event older than the copy is refused, not applied.
    ck_assert_int_ne (store_write (copy, s_apply_all, &(s_apply_t) { &seed }), 0);
    ck_assert_msg (strstr (store_error (copy), "has version 2"), "error: %s", store_error (copy));

    //  Every event of the registry also went to its outbox: 2 bootstraps,
    //  3 × (request, refusal, grant), the revoke.
    ck_assert_uint_eq (outbox_depth (fx->outbox), 2 + 9 + 1);
    store_destroy (&copy);
    test_rmtree (dir);
    free (dir);
    s_teardown (&fx);
}
END_TEST

static int
s_apply_event (store_t *store, MDB_txn *txn, void *arg)
{
    return registry_apply_event (store, txn, (const Event *) arg);
}

//  The access stream carries the audit log's checkpoints beside the
//  registry's changes: a copy (a service, the broker) passes them over and
//  takes the next change, where it once refused the checkpoint as "not a
//  RegistryEvent" and stopped the stream (the broker then refused audit's
//  whole outbox batch, so no grant reached any copy again). A change's
//  type that does not decode still stops it.
START_TEST (test_apply_event_skips_checkpoints)
{
    s_fixture_t *fx = s_setup ();
    char *dir = test_tmpdir ("registry-events");
    char error [512] = "";
    store_t *copy = store_new (dir, s_tables, error, sizeof error);
    ck_assert_msg (copy != NULL, "store_new: %s", error);
    //  What a checkpoint's payload may look like to a RegistryEvent decoder:
    //  here a length-delimited field 1 it would take as a type text, and
    //  bytes it cannot read at all.
    static uint8_t looks_like [] = { 0x0a, 0x03, 'a', 'b', 'c' };
    static uint8_t garbage [] = { 0xff, 0xff, 0xff, 0xff };
    Event event = EVENT__INIT;
    event.stream = (char *) "access";
    event.type = (char *) "checkpoint";
    event.stream_seq = 7;
    event.payload.data = looks_like;
    event.payload.len = sizeof looks_like;
    ck_assert_int_eq (store_write (copy, s_apply_event, &event), 0);
    event.payload.data = garbage;
    event.payload.len = sizeof garbage;
    ck_assert_int_eq (store_write (copy, s_apply_event, &event), 0);
    MDB_txn *txn = store_read_begin (copy);
    uint64_t version = 99;
    ck_assert_int_eq (registry_version (copy, txn, &version), 0);
    store_read_end (&txn);
    ck_assert_uint_eq (version, 0);
    //  A change that cannot be read is never passed over.
    event.type = (char *) REGISTRY_EVENT_GRANTED;
    ck_assert_int_ne (store_write (copy, s_apply_event, &event), 0);
    ck_assert_msg (strstr (store_error (copy), "not a RegistryEvent"), "error: %s", store_error (copy));
    store_destroy (&copy);
    test_rmtree (dir);
    free (dir);
    s_teardown (&fx);
}
END_TEST

Suite *
registry_suite (void)
{
    Suite *suite = suite_create ("registry");
    TCase *tc = tcase_create ("registry");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_bootstrap_makes_two_admins_only);
    tcase_add_test (tc, test_grant_needs_a_second_admin);
    tcase_add_test (tc, test_self_approval_refused);
    tcase_add_test (tc, test_deny_and_withdraw);
    tcase_add_test (tc, test_request_dies_with_its_requester);
    tcase_add_test (tc, test_requester_lapsed_before_approval);
    tcase_add_test (tc, test_lead_asks_for_own_team_billers_only);
    tcase_add_test (tc, test_vendor_needs_valid_until);
    tcase_add_test (tc, test_mover_loses_old_team);
    tcase_add_test (tc, test_revoke_is_immediate);
    tcase_add_test (tc, test_review_end_suspends_unconfirmed);
    tcase_add_test (tc, test_approval_during_review_confirms);
    tcase_add_test (tc, test_breakglass_expires);
    tcase_add_test (tc, test_valid_until_expiry);
    tcase_add_test (tc, test_request_lapses);
    tcase_add_test (tc, test_bootstrap_sealed);
    tcase_add_test (tc, test_apply_event_skips_checkpoints);
    tcase_add_test (tc, test_bootstrap_sealed_with_one_admin);
    tcase_add_test (tc, test_versions_and_copies);
    tcase_add_test (tc, test_list_and_history);
    suite_add_tcase (suite, tc);
    return suite;
}
