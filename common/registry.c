/*  registry: see registry.h for the rules. This file keeps them in five
    tables of the caller's store:

        access_identities   name -> Identity
        access_keys         Z85 public key -> name (the lookup a connection makes)
        access_requests     request id (u64, big-endian) -> AccessRequest
        access_pending      request id -> "" for the requests still pending,
                            so the checks that look at pending requests read
                            a handful of rows, not every request ever made
        access_reviews      review id -> ReviewCampaign
        access_meta         "version", "next_request", "next_review",
                            "review_open" (the open review's id, 0 for none)

    Each public function that changes something follows the same story:
    reset the result, check everything (a refusal changes nothing), then
    bump the version once and write the change with the events that say
    it. s_finish adds the request_refused event to a refusal, so no
    refusal can be silent.
*/
#include "registry.h"
#include "access.h"
#include "clock.h"
#include "codec.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_IDENTITIES "access_identities"
#define S_KEYS       "access_keys"
#define S_REQUESTS   "access_requests"
#define S_PENDING    "access_pending"
#define S_REVIEWS    "access_reviews"
#define S_META       "access_meta"

#define S_KIND(kind) (1u << (kind))
#define S_ALL_KINDS  (S_KIND (ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT) \
                    | S_KIND (ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER) \
                    | S_KIND (ACCESS_REQUEST_KIND__ACCESS_REQUEST_REACTIVATE) \
                    | S_KIND (ACCESS_REQUEST_KIND__ACCESS_REQUEST_BREAKGLASS))

//  Who may ask for a change (and revoke), and for whom. A role not in the
//  table asks for nothing. for_role / own_team narrow what it may ask:
//  an internal-lead asks only for billers of its own team, and the change
//  must leave them billers of its own team.
typedef struct {
    const char *role;
    unsigned kinds;             //  S_KIND bits it may request
    bool revoke;                //  may revoke (within the same limits)
    const char *for_role;       //  NULL: any role
    bool own_team;              //  only identities of the asker's team
} s_asker_t;

static const s_asker_t s_askers [] = {
    { "admin",         S_ALL_KINDS, true, NULL, false },
    { "internal-lead", S_KIND (ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT)
                     | S_KIND (ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER)
                     | S_KIND (ACCESS_REQUEST_KIND__ACCESS_REQUEST_REACTIVATE),
                       true, "internal-biller", true },
};

//  Who recertifies whom in an access review besides the admins (who hold
//  access.review): a lead confirms its own team's staff, not its peers
//  nor the admins of its team.
static const struct {
    const char *role;
    const char *confirms;
} s_confirmers [] = {
    { "internal-lead", "internal-biller" },
    { "vendor-lead",   "vendor-agent" },
};

#define S_NAME(names, index) \
    ((unsigned) (index) < sizeof names / sizeof names [0]? names [index]: "unknown")
static const char *s_kind_names [] = { "unspecified", "grant", "mover", "reactivate", "breakglass" };
static const char *s_state_names [] = { "unspecified", "pending", "approved", "denied",
                                        "expired", "cancelled" };
static const char *s_status_names [] = { "unspecified", "requested", "active", "suspended",
                                         "revoked" };

static const char *
s_kind_name (AccessRequestKind kind)
{
    return S_NAME (s_kind_names, kind);
}

static const char *
s_state_name (AccessRequestState state)
{
    return S_NAME (s_state_names, state);
}

static const char *
s_status_name (IdentityStatus status)
{
    return S_NAME (s_status_names, status);
}

static const s_asker_t *
s_asker (const char *role)
{
    for (size_t i = 0; role && i < sizeof s_askers / sizeof s_askers [0]; i++)
        if (strcmp (s_askers [i].role, role) == 0)
            return &s_askers [i];
    return NULL;
}

//  ------------------------------------------------------------------------
//  Results

void
registry_result_init (registry_result_t *self)
{
    memset (self, 0, sizeof *self);
    self->status = STATUS__OK;
}

void
registry_result_clear (registry_result_t *self)
{
    codec_clear (&self->events, &self->n_events, codec_free);
    registry_result_init (self);
}

int
registry_result_emit (registry_result_t *self, outbox_t *outbox, MDB_txn *txn)
{
    for (size_t i = 0; i < self->n_events; i++) {
        RegistryEvent *event = self->events [i];
        int rc = outbox_append (outbox, txn, REGISTRY_STREAM, event->type, event->subject, event);
        if (rc)
            return rc;
    }
    return 0;
}

static void
s_refuse (registry_result_t *result, Status status, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_refuse (registry_result_t *result, Status status, const char *format, ...)
{
    if (result->status != STATUS__OK)
        return;                 //  the first reason is the one reported
    result->status = status;
    va_list args;
    va_start (args, format);
    vsnprintf (result->error, sizeof result->error, format, args);
    va_end (args);
}

//  What one event says; strings are borrowed, the result keeps a deep copy.
typedef struct {
    const char *type;
    const char *actor;
    const char *approver;
    const char *subject;
    const Identity *identity;
    const AccessRequest *request;
    uint64_t campaign;
    const char *reason;
    const char *previous_role;
    const char *previous_team;
    const char *action;
} s_event_t;

static void
s_add_event (registry_result_t *result, uint64_t now_ms, const s_event_t *what)
{
    RegistryEvent event = REGISTRY_EVENT__INIT;
    event.type = (char *) what->type;
    event.actor = (char *) (what->actor? what->actor: "");
    event.approver = (char *) (what->approver? what->approver: "");
    event.subject = (char *) (what->subject? what->subject: "");
    event.identity = (Identity *) what->identity;
    event.request = (AccessRequest *) what->request;
    event.campaign = what->campaign;
    event.reason = (char *) (what->reason? what->reason: "");
    event.previous_role = (char *) (what->previous_role? what->previous_role: "");
    event.previous_team = (char *) (what->previous_team? what->previous_team: "");
    event.action = (char *) (what->action? what->action: "");
    event.version = result->version;
    event.time_ms = now_ms;
    RegistryEvent *copy = (RegistryEvent *) codec_copy (&event);
    assert (copy);
    result->events = (RegistryEvent **) realloc (result->events,
                                               (result->n_events + 1) * sizeof (RegistryEvent *));
    assert (result->events);
    result->events [result->n_events++] = copy;
}

//  ------------------------------------------------------------------------
//  Tables

//  Replaces a string of an owned (unpacked) message.
static void
s_set (char **field, const char *value)
{
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    *field = strdup (value? value: "");
}

static int
s_get (store_t *store, MDB_txn *txn, const char *table, const void *key, size_t key_size,
       const ProtobufCMessageDescriptor *type, void **message)
{
    *message = NULL;
    //  LMDB takes no empty key and none over its key size: a request may
    //  name anything, and such a name is no one, not a failed store.
    if (key_size == 0 || key_size > (size_t) mdb_env_get_maxkeysize (mdb_txn_env (txn)))
        return MDB_NOTFOUND;
    MDB_val value;
    int rc = store_get (store, txn, table, key, key_size, &value);
    if (rc)
        return rc;
    *message = codec_decode (type, value.mv_data, value.mv_size);
    if (!*message)
        return store_fail (store, "access registry: table %s holds a row that is not a %s",
                           table, type->name);
    return 0;
}

static int
s_put (store_t *store, MDB_txn *txn, const char *table, const void *key, size_t key_size,
       const void *message)
{
    size_t size;
    uint8_t *packed = codec_pack (message, &size);
    int rc = store_put (store, txn, table, key, key_size, packed, size);
    free (packed);
    return rc;
}

int
registry_identity (store_t *store, MDB_txn *txn, const char *name, Identity **identity)
{
    return s_get (store, txn, S_IDENTITIES, name, strlen (name), &identity__descriptor,
                  (void **) identity);
}

int
registry_person (store_t *store, MDB_txn *txn, const char *name, identity_t *person)
{
    memset (person, 0, sizeof *person);
    Identity *identity = NULL;
    int rc = registry_identity (store, txn, name, &identity);
    if (rc == MDB_NOTFOUND)
        return 1;
    if (rc)
        return -1;
    bool found = identity->status == IDENTITY_STATUS__IDENTITY_ACTIVE && strcmp (identity->role, "service") != 0;
    if (found) {
        snprintf (person->key, sizeof person->key, "%s", identity->public_key);
        snprintf (person->name, sizeof person->name, "%s", identity->name);
        snprintf (person->role, sizeof person->role, "%s", identity->role);
        snprintf (person->team, sizeof person->team, "%s", identity->team);
    }
    codec_free (identity);
    return found? 0: 1;
}

int
registry_request_get (store_t *store, MDB_txn *txn, uint64_t id, AccessRequest **request)
{
    uint8_t key [8];
    store_u64_write (key, id);
    return s_get (store, txn, S_REQUESTS, key, sizeof key, &access_request__descriptor,
                  (void **) request);
}

int
registry_version (store_t *store, MDB_txn *txn, uint64_t *version)
{
    return store_get_u64 (store, txn, S_META, "version", version);
}

int
registry_review_open (store_t *store, MDB_txn *txn, ReviewCampaign **campaign)
{
    *campaign = NULL;
    uint64_t id;
    if (store_get_u64 (store, txn, S_META, "review_open", &id))
        return -1;
    if (id == 0)
        return MDB_NOTFOUND;
    uint8_t key [8];
    store_u64_write (key, id);
    return s_get (store, txn, S_REVIEWS, key, sizeof key, &review_campaign__descriptor,
                  (void **) campaign);
}

//  Writes an identity and points its key at it.
static int
s_identity_put (store_t *store, MDB_txn *txn, const Identity *identity)
{
    int rc = s_put (store, txn, S_IDENTITIES, identity->name, strlen (identity->name), identity);
    if (rc == 0 && *identity->public_key)
        rc = store_put (store, txn, S_KEYS, identity->public_key, strlen (identity->public_key),
                        identity->name, strlen (identity->name));
    return rc;
}

static int
s_request_put (store_t *store, MDB_txn *txn, const AccessRequest *request)
{
    uint8_t key [8];
    store_u64_write (key, request->id);
    int rc = s_put (store, txn, S_REQUESTS, key, sizeof key, request);
    if (rc == 0 && request->state == ACCESS_REQUEST_STATE__ACCESS_REQUEST_PENDING)
        rc = store_put (store, txn, S_PENDING, key, sizeof key, "", 0);
    else
    if (rc == 0) {
        rc = store_del (store, txn, S_PENDING, key, sizeof key);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    return rc;
}

static int
s_review_put (store_t *store, MDB_txn *txn, const ReviewCampaign *campaign)
{
    uint8_t key [8];
    store_u64_write (key, campaign->id);
    return s_put (store, txn, S_REVIEWS, key, sizeof key, campaign);
}

//  The version goes up once per change; the events of the change carry it.
static int
s_bump (store_t *store, MDB_txn *txn, registry_result_t *result)
{
    return store_next_counter (store, txn, S_META, "version", UINT64_MAX, &result->version);
}

//  The ids of the pending requests, oldest first (caller frees).
static int
s_pending_ids (store_t *store, MDB_txn *txn, uint64_t **ids, size_t *count)
{
    *ids = NULL;
    *count = 0;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (store, S_PENDING), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    for (rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        *ids = (uint64_t *) realloc (*ids, (*count + 1) * sizeof (uint64_t));
        (*ids) [(*count)++] = store_u64_read (key.mv_data);
    }
    mdb_cursor_close (cursor);
    return rc == MDB_NOTFOUND? 0: rc;
}

//  Every identity's name (caller frees each and the array).
static int
s_identity_names (store_t *store, MDB_txn *txn, char ***names, size_t *count)
{
    *names = NULL;
    *count = 0;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (store, S_IDENTITIES), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    for (rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        *names = (char **) realloc (*names, (*count + 1) * sizeof (char *));
        (*names) [(*count)++] = strndup ((const char *) key.mv_data, key.mv_size);
    }
    mdb_cursor_close (cursor);
    return rc == MDB_NOTFOUND? 0: rc;
}

static void
s_names_free (char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (names [i]);
    free (names);
}

//  ------------------------------------------------------------------------
//  Checks

//  Names and teams: what fits identity_t and reads safely in logs.
static bool
s_word_ok (const char *text, size_t max)
{
    size_t length = text? strlen (text): 0;
    if (length == 0 || length >= max)
        return false;
    for (size_t i = 0; i < length; i++)
        if (!isalnum ((unsigned char) text [i]) && !strchr ("._@-", text [i]))
            return false;
    return true;
}

static bool
s_key_ok (const char *key)
{
    uint8_t bytes [32];
    return key && strlen (key) == 40 && zmq_z85_decode (bytes, key) != NULL;
}

//  May the identity act now? Active and within its valid-until, or in a
//  break-glass window (which also lets a suspended identity back in for
//  its hours). why says what is wrong otherwise.
static bool
s_usable (const Identity *identity, uint64_t now_ms, bool *breakglass, char *why, size_t why_size)
{
    bool glass = identity->breakglass_until_ms > now_ms
              && (identity->status == IDENTITY_STATUS__IDENTITY_ACTIVE
               || identity->status == IDENTITY_STATUS__IDENTITY_SUSPENDED);
    if (breakglass)
        *breakglass = glass;
    if (glass)
        return true;
    if (identity->status != IDENTITY_STATUS__IDENTITY_ACTIVE) {
        snprintf (why, why_size, "identity %s is %s%s%s%s", identity->name,
                  s_status_name (identity->status), *identity->status_reason? " (": "",
                  identity->status_reason, *identity->status_reason? ")": "");
        return false;
    }
    if (identity->valid_until_ms && now_ms >= identity->valid_until_ms) {
        char date [32];
        clock_format_iso8601 (identity->valid_until_ms, date, sizeof date);
        snprintf (why, why_size, "identity %s was valid until %s", identity->name, date);
        return false;
    }
    return true;
}

//  The acting person: known and able to act now. NULL (refused) otherwise.
static Identity *
s_actor (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
         registry_result_t *result, int *rc)
{
    Identity *identity = NULL;
    *rc = 0;
    if (!actor || !*actor) {
        s_refuse (result, STATUS__UNAUTHENTICATED, "no actor: every access change names who makes it");
        return NULL;
    }
    int get = registry_identity (store, txn, actor, &identity);
    if (get == MDB_NOTFOUND) {
        s_refuse (result, STATUS__PERMISSION_DENIED, "%s is not in the access registry", actor);
        return NULL;
    }
    if (get) {
        *rc = get;
        return NULL;
    }
    char why [160];
    if (!s_usable (identity, now_ms, NULL, why, sizeof why)) {
        s_refuse (result, STATUS__PERMISSION_DENIED, "%s may not act: %s", actor, why);
        codec_free (identity);
        return NULL;
    }
    return identity;
}

static bool
s_is_vendor_until_ok (const char *role, uint64_t valid_until_ms, uint64_t now_ms)
{
    return !access_role_is_vendor (role) || valid_until_ms > now_ms;
}

//  Does the asker's row let it ask for this change? target is the identity
//  as it is (NULL for a new name), role / team what it would be after.
static bool
s_asker_may (const Identity *asker, const s_asker_t *row, const Identity *target,
             const char *role, const char *team, const char *what, registry_result_t *result)
{
    if (!row->for_role && !row->own_team)
        return true;
    const char *scope_role = row->for_role? row->for_role: "any role";
    bool before_ok = !target
        || ((!row->for_role || strcmp (target->role, row->for_role) == 0)
         && (!row->own_team || strcmp (target->team, asker->team) == 0));
    bool after_ok = (!row->for_role || strcmp (role, row->for_role) == 0)
                 && (!row->own_team || strcmp (team, asker->team) == 0);
    if (before_ok && after_ok)
        return true;
    s_refuse (result, STATUS__PERMISSION_DENIED,
              "%s (%s of team %s) may %s only for %s of team %s; %s is %s of team %s",
              asker->name, asker->role, asker->team, what, scope_role, asker->team,
              target? target->name: "the request",
              before_ok? role: target->role, before_ok? team: target->team);
    return false;
}

//  Is another request for the same name still pending? Only one at a time,
//  so an approver never decides between two versions of the same change.
static int
s_pending_for (store_t *store, MDB_txn *txn, const char *name, uint64_t except, uint64_t *found)
{
    *found = 0;
    uint64_t *ids;
    size_t count;
    int rc = s_pending_ids (store, txn, &ids, &count);
    for (size_t i = 0; rc == 0 && i < count && !*found; i++) {
        if (ids [i] == except)
            continue;
        AccessRequest *request;
        rc = registry_request_get (store, txn, ids [i], &request);
        if (rc == 0 && strcmp (request->name, name) == 0)
            *found = ids [i];
        codec_free (request);
    }
    free (ids);
    return rc;
}

//  Is the key another live identity's? (A revoked one's may come back to
//  its own name with a new grant.)
static int
s_key_taken (store_t *store, MDB_txn *txn, const char *key, const char *name, char *holder,
             size_t holder_size)
{
    *holder = 0;
    MDB_val value;
    int rc = store_get (store, txn, S_KEYS, key, strlen (key), &value);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    char owner [64];
    snprintf (owner, sizeof owner, "%.*s", (int) value.mv_size, (const char *) value.mv_data);
    if (strcmp (owner, name) == 0)
        return 0;
    Identity *other;
    rc = registry_identity (store, txn, owner, &other);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (other->status != IDENTITY_STATUS__IDENTITY_REVOKED && strcmp (other->public_key, key) == 0)
        snprintf (holder, holder_size, "%s", owner);
    codec_free (other);
    return 0;
}

//  Everything a request must satisfy, checked when it is made and again
//  when it is approved (the world may have changed in between). asker is
//  the requester's identity, target the identity it is for (NULL when the
//  name is new). Refuses in result; returns an LMDB error only when the
//  store fails.
static int
s_check_ask (store_t *store, MDB_txn *txn, uint64_t now_ms, const Identity *asker,
             const AccessRequest *ask, const Identity *target, bool approving,
             registry_result_t *result)
{
    const char *kind = s_kind_name (ask->kind);
    const s_asker_t *row = s_asker (asker->role);
    if (ask->kind < ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT
    ||  ask->kind > ACCESS_REQUEST_KIND__ACCESS_REQUEST_BREAKGLASS) {
        s_refuse (result, STATUS__INVALID_ARGUMENT,
                  "request kind %d is not one of grant, mover, reactivate, breakglass", (int) ask->kind);
        return 0;
    }
    if (!access_allows (asker->role, "access.request") || !row || !(row->kinds & S_KIND (ask->kind))) {
        s_refuse (result, STATUS__PERMISSION_DENIED, "%s (%s) may not request a %s", asker->name,
                  asker->role, kind);
        return 0;
    }
    if (!s_word_ok (ask->name, sizeof ((identity_t *) 0)->name)) {
        s_refuse (result, STATUS__INVALID_ARGUMENT,
                  "%s: name '%s' is not 1 to 63 letters, digits or . _ @ -", kind, ask->name);
        return 0;
    }
    char date [32];
    switch (ask->kind) {
        case ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT: {
            if (target && target->status != IDENTITY_STATUS__IDENTITY_REVOKED
            && !(approving && target->status == IDENTITY_STATUS__IDENTITY_REQUESTED)) {
                s_refuse (result, STATUS__ALREADY_EXISTS, "grant %s: the name is taken (%s, %s of team %s)",
                          ask->name, s_status_name (target->status), target->role, target->team);
                return 0;
            }
            if (!access_role_known (ask->role)) {
                s_refuse (result, STATUS__INVALID_ARGUMENT, "grant %s: role '%s' is not a role", ask->name,
                          ask->role);
                return 0;
            }
            if (!s_word_ok (ask->team, sizeof ((identity_t *) 0)->team)) {
                s_refuse (result, STATUS__INVALID_ARGUMENT,
                          "grant %s: team '%s' is not 1 to 63 letters, digits or . _ @ -", ask->name,
                          ask->team);
                return 0;
            }
            if (!s_key_ok (ask->public_key)) {
                s_refuse (result, STATUS__INVALID_ARGUMENT,
                          "grant %s: public key '%.48s' is not a 40-character Z85 CURVE key",
                          ask->name, ask->public_key);
                return 0;
            }
            char holder [64];
            int rc = s_key_taken (store, txn, ask->public_key, ask->name, holder, sizeof holder);
            if (rc)
                return rc;
            if (*holder) {
                s_refuse (result, STATUS__ALREADY_EXISTS, "grant %s: the public key is %s's", ask->name,
                          holder);
                return 0;
            }
            if (!s_asker_may (asker, row, NULL, ask->role, ask->team, "request a grant", result))
                return 0;
            break;
        }
        case ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER:
        case ACCESS_REQUEST_KIND__ACCESS_REQUEST_REACTIVATE:
        case ACCESS_REQUEST_KIND__ACCESS_REQUEST_BREAKGLASS: {
            if (!target) {
                s_refuse (result, STATUS__NOT_FOUND, "%s %s: no such identity", kind, ask->name);
                return 0;
            }
            IdentityStatus needed = ask->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER
                                  ? IDENTITY_STATUS__IDENTITY_ACTIVE
                                  : IDENTITY_STATUS__IDENTITY_SUSPENDED;
            bool status_ok = ask->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_BREAKGLASS
                ? target->status == IDENTITY_STATUS__IDENTITY_ACTIVE
               || target->status == IDENTITY_STATUS__IDENTITY_SUSPENDED
                : target->status == needed;
            if (!status_ok) {
                s_refuse (result, STATUS__FAILED_PRECONDITION, "%s %s: the identity is %s, not %s", kind,
                          ask->name, s_status_name (target->status),
                          ask->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_BREAKGLASS
                          ? "active or suspended": s_status_name (needed));
                return 0;
            }
            break;
        }
        default:
            break;
    }
    const char *role = ask->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT
                    || ask->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER? ask->role: target->role;
    const char *team = ask->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT
                    || ask->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER? ask->team: target->team;
    if (ask->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER) {
        if (!access_role_known (ask->role)) {
            s_refuse (result, STATUS__INVALID_ARGUMENT, "mover %s: role '%s' is not a role", ask->name,
                      ask->role);
            return 0;
        }
        if (!s_word_ok (ask->team, sizeof ((identity_t *) 0)->team)) {
            s_refuse (result, STATUS__INVALID_ARGUMENT,
                      "mover %s: team '%s' is not 1 to 63 letters, digits or . _ @ -", ask->name, ask->team);
            return 0;
        }
        if (strcmp (ask->role, target->role) == 0 && strcmp (ask->team, target->team) == 0
        &&  (ask->valid_until_ms == 0 || ask->valid_until_ms == target->valid_until_ms)) {
            s_refuse (result, STATUS__INVALID_ARGUMENT, "mover %s: already %s of team %s", ask->name,
                      ask->role, ask->team);
            return 0;
        }
        if (!s_asker_may (asker, row, target, role, team, "request a mover", result))
            return 0;
    }
    if (ask->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_REACTIVATE
    && !s_asker_may (asker, row, target, role, team, "request a reactivation", result))
        return 0;
    if (ask->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_BREAKGLASS) {
        if (ask->hours < 1 || ask->hours > REGISTRY_BREAKGLASS_MAX_HOURS) {
            s_refuse (result, STATUS__INVALID_ARGUMENT, "breakglass %s: %u hours is not 1 to %d", ask->name,
                      ask->hours, REGISTRY_BREAKGLASS_MAX_HOURS);
            return 0;
        }
        if (!ask->reason || !*ask->reason) {
            s_refuse (result, STATUS__INVALID_ARGUMENT, "breakglass %s: a reason is required", ask->name);
            return 0;
        }
    }
    else {
        //  The end date the identity would have: the one asked for, or the
        //  one it has. Vendors must have one, and it must be ahead.
        uint64_t until = ask->valid_until_ms? ask->valid_until_ms: target? target->valid_until_ms: 0;
        if (ask->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT)
            until = ask->valid_until_ms;
        if (until && until <= now_ms) {
            clock_format_date (until, date, sizeof date);
            s_refuse (result, STATUS__INVALID_ARGUMENT, "%s %s: valid-until %s is not in the future",
                      kind, ask->name, date);
            return 0;
        }
        if (!s_is_vendor_until_ok (role, until, now_ms)) {
            s_refuse (result, STATUS__INVALID_ARGUMENT,
                      "%s %s: role %s is a vendor role and must have a valid-until date", kind,
                      ask->name, role);
            return 0;
        }
    }
    uint64_t other;
    int rc = s_pending_for (store, txn, ask->name, approving? ask->id: 0, &other);
    if (rc)
        return rc;
    if (other) {
        s_refuse (result, STATUS__ALREADY_EXISTS,
                  "%s %s: request %llu for the same identity is pending; decide it first", kind,
                  ask->name, (unsigned long long) other);
        return 0;
    }
    return 0;
}

//  A refusal is an event too. Adds it and returns 0; passes an LMDB error
//  (rc) through untouched.
static int
s_finish (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor, const char *action,
          const char *subject, const AccessRequest *request, int rc, registry_result_t *result)
{
    if (rc)
        return rc;
    if (result->status == STATUS__OK)
        return 0;
    //  A refusal writes nothing: drop what a half-made change prepared.
    for (size_t i = 0; i < result->n_events; i++)
        codec_free (result->events [i]);
    result->n_events = 0;
    rc = registry_version (store, txn, &result->version);
    if (rc)
        return rc;
    s_event_t what = { .type = REGISTRY_EVENT_REQUEST_REFUSED, .actor = actor, .subject = subject,
                       .request = request, .reason = result->error, .action = action };
    s_add_event (result, now_ms, &what);
    return 0;
}

//  Closes a pending request undecided in its favour (denied, cancelled,
//  expired) with the event that says so. A grant's requested identity is
//  revoked with it, so the copies of the registry drop it too.
static int
s_close_request (store_t *store, MDB_txn *txn, uint64_t now_ms, AccessRequest *request,
                 AccessRequestState state, const char *type, const char *actor, const char *reason,
                 registry_result_t *result)
{
    request->state = state;
    s_set (&request->decided_by, actor);
    s_set (&request->decision_reason, reason);
    request->decided_ms = now_ms;
    int rc = s_request_put (store, txn, request);
    Identity *identity = NULL;
    if (rc == 0 && request->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT) {
        rc = registry_identity (store, txn, request->name, &identity);
        if (rc == 0 && identity->status == IDENTITY_STATUS__IDENTITY_REQUESTED) {
            char text [160];
            snprintf (text, sizeof text, "request %llu %s", (unsigned long long) request->id,
                      s_state_name (state));
            identity->status = IDENTITY_STATUS__IDENTITY_REVOKED;
            s_set (&identity->status_reason, text);
            identity->changed_ms = now_ms;
            identity->version = result->version;
            rc = s_identity_put (store, txn, identity);
        }
        else
        if (rc == 0) {
            codec_free (identity);      //  granted, or taken by a later grant
            identity = NULL;
        }
        else
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    if (rc == 0) {
        s_event_t what = { .type = type, .actor = actor, .subject = request->name,
                           .identity = identity, .request = request, .reason = reason };
        s_add_event (result, now_ms, &what);
    }
    codec_free (identity);
    return rc;
}

//  Cancels the pending requests asked by name (and, with also_for, those
//  for it): a request dies with its requester.
static int
s_cancel_pending (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *name, bool also_for,
                  const char *actor, const char *why, registry_result_t *result)
{
    uint64_t *ids;
    size_t count;
    int rc = s_pending_ids (store, txn, &ids, &count);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        AccessRequest *request;
        rc = registry_request_get (store, txn, ids [i], &request);
        if (rc)
            break;
        bool by = strcmp (request->requested_by, name) == 0;
        bool for_it = also_for && strcmp (request->name, name) == 0;
        if (by || for_it) {
            char reason [200];
            snprintf (reason, sizeof reason, "%s %s", by? "its requester": "its subject", why);
            rc = s_close_request (store, txn, now_ms, request, ACCESS_REQUEST_STATE__ACCESS_REQUEST_CANCELLED,
                                  REGISTRY_EVENT_REQUEST_CANCELLED, actor, reason, result);
        }
        codec_free (request);
    }
    free (ids);
    return rc;
}

//  ------------------------------------------------------------------------
//  Requests and decisions

static int
s_request (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
           const AccessRequest *ask, registry_result_t *result)
{
    int rc;
    Identity *asker = s_actor (store, txn, now_ms, actor, result, &rc);
    if (!asker)
        return rc;
    Identity *target = NULL;
    if (ask->name && *ask->name) {
        rc = registry_identity (store, txn, ask->name, &target);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    if (rc == 0)
        rc = s_check_ask (store, txn, now_ms, asker, ask, target, false, result);
    if (rc || result->status != STATUS__OK)
        goto done;

    rc = s_bump (store, txn, result);
    uint64_t id = 0;
    if (rc == 0)
        rc = store_next_counter (store, txn, S_META, "next_request", UINT64_MAX, &id);
    if (rc)
        goto done;
    AccessRequest request = *ask;
    request.id = id;
    request.requested_by = (char *) actor;
    request.state = ACCESS_REQUEST_STATE__ACCESS_REQUEST_PENDING;
    request.decided_by = request.decision_reason = (char *) "";
    request.created_ms = now_ms;
    request.decided_ms = 0;
    request.expires_ms = now_ms + REGISTRY_REQUEST_TTL_MS;
    if (request.kind != ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT)
        request.public_key = (char *) "";
    if (request.kind != ACCESS_REQUEST_KIND__ACCESS_REQUEST_BREAKGLASS)
        request.hours = 0;
    rc = s_request_put (store, txn, &request);
    result->request_id = id;

    //  A grant's identity exists from the request on, as requested: the
    //  name and key are held, and opens nothing until approved.
    Identity fresh = IDENTITY__INIT;
    const Identity *shown = target;
    if (rc == 0 && request.kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT) {
        fresh.name = request.name;
        fresh.role = request.role;
        fresh.team = request.team;
        fresh.public_key = request.public_key;
        fresh.status = IDENTITY_STATUS__IDENTITY_REQUESTED;
        fresh.valid_until_ms = request.valid_until_ms;
        fresh.requested_by = (char *) actor;
        fresh.created_ms = fresh.changed_ms = now_ms;
        fresh.version = result->version;
        rc = s_identity_put (store, txn, &fresh);
        shown = &fresh;
    }
    if (rc == 0) {
        s_event_t what = { .type = REGISTRY_EVENT_REQUESTED, .actor = actor, .subject = request.name,
                           .identity = request.kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT? shown: NULL,
                           .request = &request, .reason = request.reason };
        s_add_event (result, now_ms, &what);
    }
done:
    codec_free (asker);
    codec_free (target);
    return rc;
}

int
registry_request (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                  const AccessRequest *ask, registry_result_t *result)
{
    assert (store && txn && ask && result);
    registry_result_clear (result);
    int rc = s_request (store, txn, now_ms, actor, ask, result);
    return s_finish (store, txn, now_ms, actor, "request", ask->name, ask, rc, result);
}

int
registry_breakglass (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                     const char *name, const char *reason, uint32_t hours, registry_result_t *result)
{
    AccessRequest ask = ACCESS_REQUEST__INIT;
    ask.kind = ACCESS_REQUEST_KIND__ACCESS_REQUEST_BREAKGLASS;
    ask.name = (char *) (name? name: "");
    ask.reason = (char *) (reason? reason: "");
    ask.hours = hours;
    return registry_request (store, txn, now_ms, actor, &ask, result);
}

//  The request to decide, pending and not lapsed; NULL (refused) otherwise.
static AccessRequest *
s_pending_request (store_t *store, MDB_txn *txn, uint64_t now_ms, uint64_t id, const char *verb,
                   registry_result_t *result, int *rc)
{
    AccessRequest *request = NULL;
    *rc = registry_request_get (store, txn, id, &request);
    if (*rc == MDB_NOTFOUND) {
        *rc = 0;
        s_refuse (result, STATUS__NOT_FOUND, "%s request %llu: no such request", verb,
                  (unsigned long long) id);
        return NULL;
    }
    if (*rc)
        return NULL;
    if (request->state != ACCESS_REQUEST_STATE__ACCESS_REQUEST_PENDING) {
        s_refuse (result, STATUS__FAILED_PRECONDITION, "%s request %llu: it is %s%s%s%s, not pending",
                  verb, (unsigned long long) id, s_state_name (request->state),
                  *request->decision_reason? " (": "", request->decision_reason,
                  *request->decision_reason? ")": "");
    }
    else
    if (request->expires_ms && now_ms >= request->expires_ms)
        s_refuse (result, STATUS__FAILED_PRECONDITION, "%s request %llu: it lapsed undecided", verb,
                  (unsigned long long) id);
    return request;
}

//  Marks the identity's entry in the open review, if it has one still
//  unconfirmed, as confirmed by actor through request id.
static int
s_review_recertified (store_t *store, MDB_txn *txn, uint64_t now_ms, const Identity *identity,
                      const char *actor, uint64_t id, registry_result_t *result)
{
    ReviewCampaign *campaign = NULL;
    int rc = registry_review_open (store, txn, &campaign);
    if (rc == MDB_NOTFOUND)
        return 0;
    ReviewEntry *entry = NULL;
    for (size_t i = 0; rc == 0 && i < campaign->n_entries && !entry; i++)
        if (strcmp (campaign->entries [i]->name, identity->name) == 0)
            entry = campaign->entries [i];
    if (rc == 0 && entry && !*entry->confirmed_by) {
        s_set (&entry->confirmed_by, actor);
        entry->confirmed_ms = now_ms;
        s_set (&entry->outcome, "confirmed");
        rc = s_review_put (store, txn, campaign);
        char reason [80];
        snprintf (reason, sizeof reason, "approved request %llu", (unsigned long long) id);
        s_event_t what = { .type = REGISTRY_EVENT_CONFIRMED, .actor = actor, .subject = identity->name,
                           .identity = identity, .campaign = campaign->id, .reason = reason };
        if (rc == 0)
            s_add_event (result, now_ms, &what);
    }
    codec_free (campaign);
    return rc;
}

static int
s_approve (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor, uint64_t id,
           AccessRequest **request_p, registry_result_t *result)
{
    int rc;
    Identity *approver = s_actor (store, txn, now_ms, actor, result, &rc);
    if (!approver)
        return rc;
    Identity *requester = NULL, *target = NULL;
    AccessRequest *request = s_pending_request (store, txn, now_ms, id, "approve", result, &rc);
    *request_p = request;
    if (!request || result->status != STATUS__OK)
        goto done;
    if (!access_allows (approver->role, "access.approve")) {
        s_refuse (result, STATUS__PERMISSION_DENIED,
                  "approve request %llu: %s is %s; only an admin approves access changes",
                  (unsigned long long) id, actor, approver->role);
        goto done;
    }
    if (strcmp (request->requested_by, actor) == 0) {
        s_refuse (result, STATUS__PERMISSION_DENIED,
                  "approve request %llu: %s requested it; another admin must approve (two-person rule)",
                  (unsigned long long) id, actor);
        goto done;
    }
    if (strcmp (request->name, actor) == 0) {
        s_refuse (result, STATUS__PERMISSION_DENIED,
                  "approve request %llu: it changes %s's own access; another admin must approve",
                  (unsigned long long) id, actor);
        goto done;
    }
    //  The requester must still hold access: a request dies with its
    //  requester (revoke cancels it; this catches a lapsed valid-until
    //  the clock has not yet turned into a suspension).
    rc = registry_identity (store, txn, request->requested_by, &requester);
    if (rc == MDB_NOTFOUND) {
        rc = 0;
        s_refuse (result, STATUS__FAILED_PRECONDITION, "approve request %llu: its requester %s is gone",
                  (unsigned long long) id, request->requested_by);
        goto done;
    }
    if (rc)
        goto done;
    char why [160];
    if (!s_usable (requester, now_ms, NULL, why, sizeof why)) {
        s_refuse (result, STATUS__FAILED_PRECONDITION,
                  "approve request %llu: its requester may no longer act (%s)", (unsigned long long) id, why);
        goto done;
    }
    rc = registry_identity (store, txn, request->name, &target);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    if (rc == 0)
        rc = s_check_ask (store, txn, now_ms, requester, request, target, true, result);
    if (rc || result->status != STATUS__OK)
        goto done;
    //  A grant's requested identity is made when it is asked for; it can
    //  only be missing if the store was edited by hand.
    if (!target) {
        s_refuse (result, STATUS__FAILED_PRECONDITION, "approve request %llu: identity %s is missing",
                  (unsigned long long) id, request->name);
        goto done;
    }

    rc = s_bump (store, txn, result);
    if (rc)
        goto done;
    char previous_role [32], previous_team [64];
    snprintf (previous_role, sizeof previous_role, "%s", target->role);
    snprintf (previous_team, sizeof previous_team, "%s", target->team);
    const char *type = NULL;
    switch (request->kind) {
        case ACCESS_REQUEST_KIND__ACCESS_REQUEST_GRANT:
            type = REGISTRY_EVENT_GRANTED;
            target->status = IDENTITY_STATUS__IDENTITY_ACTIVE;
            s_set (&target->status_reason, "");
            break;
        case ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER:
            //  The new role and team replace the old: nothing of the old
            //  team's scope stays with a mover.
            type = REGISTRY_EVENT_CHANGED;
            s_set (&target->role, request->role);
            s_set (&target->team, request->team);
            if (request->valid_until_ms)
                target->valid_until_ms = request->valid_until_ms;
            break;
        case ACCESS_REQUEST_KIND__ACCESS_REQUEST_REACTIVATE:
            type = REGISTRY_EVENT_REACTIVATED;
            target->status = IDENTITY_STATUS__IDENTITY_ACTIVE;
            s_set (&target->status_reason, "");
            if (request->valid_until_ms)
                target->valid_until_ms = request->valid_until_ms;
            break;
        default:
            type = REGISTRY_EVENT_BREAKGLASS_GRANTED;
            target->breakglass_until_ms = now_ms + (uint64_t) request->hours * 3600000ULL;
            s_set (&target->breakglass_reason, request->reason);
            break;
    }
    if (request->kind != ACCESS_REQUEST_KIND__ACCESS_REQUEST_BREAKGLASS) {
        s_set (&target->requested_by, request->requested_by);
        s_set (&target->approved_by, actor);
    }
    target->changed_ms = now_ms;
    target->version = result->version;
    rc = s_identity_put (store, txn, target);
    request->state = ACCESS_REQUEST_STATE__ACCESS_REQUEST_APPROVED;
    s_set (&request->decided_by, actor);
    request->decided_ms = now_ms;
    if (rc == 0)
        rc = s_request_put (store, txn, request);
    if (rc == 0) {
        bool mover = request->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER;
        s_event_t what = { .type = type, .actor = request->requested_by, .approver = actor,
                           .subject = target->name, .identity = target, .request = request,
                           .reason = request->reason,
                           .previous_role = mover? previous_role: NULL,
                           .previous_team = mover? previous_team: NULL };
        s_add_event (result, now_ms, &what);
    }
    //  A mover or a reactivation approved during a review is a second
    //  person's fresh look at that access: it counts as its confirmation.
    if (rc == 0 && (request->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_MOVER
                 || request->kind == ACCESS_REQUEST_KIND__ACCESS_REQUEST_REACTIVATE))
        rc = s_review_recertified (store, txn, now_ms, target, actor, request->id, result);
done:
    codec_free (approver);
    codec_free (requester);
    codec_free (target);
    return rc;
}

int
registry_approve (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                  uint64_t request_id, registry_result_t *result)
{
    assert (store && txn && result);
    registry_result_clear (result);
    AccessRequest *request = NULL;
    int rc = s_approve (store, txn, now_ms, actor, request_id, &request, result);
    rc = s_finish (store, txn, now_ms, actor, "approve", request? request->name: "", request, rc, result);
    codec_free (request);
    return rc;
}

static int
s_deny (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor, uint64_t id,
        const char *reason, AccessRequest **request_p, registry_result_t *result)
{
    int rc;
    Identity *denier = s_actor (store, txn, now_ms, actor, result, &rc);
    if (!denier)
        return rc;
    AccessRequest *request = s_pending_request (store, txn, now_ms, id, "deny", result, &rc);
    *request_p = request;
    if (!request || result->status != STATUS__OK)
        goto done;
    //  Saying no needs one person: an admin, or the requester withdrawing.
    if (!access_allows (denier->role, "access.approve") && strcmp (request->requested_by, actor) != 0) {
        s_refuse (result, STATUS__PERMISSION_DENIED,
                  "deny request %llu: %s is %s; only an admin or its requester may deny it",
                  (unsigned long long) id, actor, denier->role);
        goto done;
    }
    rc = s_bump (store, txn, result);
    if (rc == 0)
        rc = s_close_request (store, txn, now_ms, request, ACCESS_REQUEST_STATE__ACCESS_REQUEST_DENIED,
                              REGISTRY_EVENT_REQUEST_DENIED, actor, reason? reason: "", result);
done:
    codec_free (denier);
    return rc;
}

int
registry_deny (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
               uint64_t request_id, const char *reason, registry_result_t *result)
{
    assert (store && txn && result);
    registry_result_clear (result);
    AccessRequest *request = NULL;
    int rc = s_deny (store, txn, now_ms, actor, request_id, reason, &request, result);
    rc = s_finish (store, txn, now_ms, actor, "deny", request? request->name: "", request, rc, result);
    codec_free (request);
    return rc;
}

//  ------------------------------------------------------------------------
//  Revoke and suspend

//  Takes an identity out of use (revoked or suspended) with the events;
//  cancels the requests it asked for, and with revoke those for it too.
static int
s_take_out (store_t *store, MDB_txn *txn, uint64_t now_ms, Identity *identity, IdentityStatus status,
            const char *actor, const char *reason, uint64_t campaign, registry_result_t *result)
{
    //  A break-glass window outlives a suspension (it exists to let a
    //  suspended identity in for a few hours), not a revoke.
    identity->status = status;
    s_set (&identity->status_reason, reason);
    if (status == IDENTITY_STATUS__IDENTITY_REVOKED) {
        identity->breakglass_until_ms = 0;
        s_set (&identity->breakglass_reason, "");
    }
    identity->changed_ms = now_ms;
    identity->version = result->version;
    int rc = s_identity_put (store, txn, identity);
    if (rc)
        return rc;
    bool revoked = status == IDENTITY_STATUS__IDENTITY_REVOKED;
    s_event_t what = { .type = revoked? REGISTRY_EVENT_REVOKED: REGISTRY_EVENT_SUSPENDED,
                       .actor = actor, .subject = identity->name, .identity = identity,
                       .campaign = campaign, .reason = reason };
    s_add_event (result, now_ms, &what);
    return s_cancel_pending (store, txn, now_ms, identity->name, revoked, actor,
                             revoked? "was revoked": "was suspended", result);
}

static int
s_revoke (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor, const char *name,
          const char *reason, registry_result_t *result)
{
    int rc;
    Identity *revoker = s_actor (store, txn, now_ms, actor, result, &rc);
    if (!revoker)
        return rc;
    Identity *target = NULL;
    const s_asker_t *row = s_asker (revoker->role);
    if (!access_allows (revoker->role, "access.revoke") || !row || !row->revoke) {
        s_refuse (result, STATUS__PERMISSION_DENIED, "revoke %s: %s (%s) may not revoke access", name,
                  actor, revoker->role);
        goto done;
    }
    if (!reason || !*reason) {
        s_refuse (result, STATUS__INVALID_ARGUMENT, "revoke %s: a reason is required", name);
        goto done;
    }
    rc = registry_identity (store, txn, name, &target);
    if (rc == MDB_NOTFOUND) {
        rc = 0;
        s_refuse (result, STATUS__NOT_FOUND, "revoke %s: no such identity", name);
        goto done;
    }
    if (rc)
        goto done;
    if (target->status == IDENTITY_STATUS__IDENTITY_REVOKED) {
        s_refuse (result, STATUS__FAILED_PRECONDITION, "revoke %s: already revoked (%s)", name,
                  target->status_reason);
        goto done;
    }
    if (!s_asker_may (revoker, row, target, target->role, target->team, "revoke", result))
        goto done;
    rc = s_bump (store, txn, result);
    if (rc == 0)
        rc = s_take_out (store, txn, now_ms, target, IDENTITY_STATUS__IDENTITY_REVOKED, actor, reason, 0,
                         result);
done:
    codec_free (revoker);
    codec_free (target);
    return rc;
}

int
registry_revoke (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                 const char *name, const char *reason, registry_result_t *result)
{
    assert (store && txn && result);
    registry_result_clear (result);
    name = name? name: "";
    int rc = s_revoke (store, txn, now_ms, actor, name, reason, result);
    return s_finish (store, txn, now_ms, actor, "revoke", name, NULL, rc, result);
}

//  ------------------------------------------------------------------------
//  Access reviews

static int
s_review_start (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor, const char *team,
                uint64_t until_ms, registry_result_t *result)
{
    int rc;
    Identity *starter = s_actor (store, txn, now_ms, actor, result, &rc);
    if (!starter)
        return rc;
    ReviewCampaign *open = NULL;
    char **names = NULL;
    size_t count = 0;
    ReviewEntry *entries = NULL;
    ReviewEntry **pointers = NULL;
    Identity **identities = NULL;
    if (!access_allows (starter->role, "access.review")) {
        s_refuse (result, STATUS__PERMISSION_DENIED, "review start: %s (%s) may not start a review",
                  actor, starter->role);
        goto done;
    }
    if (until_ms <= now_ms) {
        s_refuse (result, STATUS__INVALID_ARGUMENT, "review start: the end date must be in the future");
        goto done;
    }
    rc = registry_review_open (store, txn, &open);
    if (rc == 0) {
        s_refuse (result, STATUS__FAILED_PRECONDITION,
                  "review start: review %llu is open; end it first", (unsigned long long) open->id);
        goto done;
    }
    if (rc != MDB_NOTFOUND)
        goto done;
    rc = s_identity_names (store, txn, &names, &count);
    if (rc)
        goto done;
    entries = (ReviewEntry *) calloc (count + 1, sizeof (ReviewEntry));
    pointers = (ReviewEntry **) calloc (count + 1, sizeof (ReviewEntry *));
    identities = (Identity **) calloc (count + 1, sizeof (Identity *));
    size_t listed = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        rc = registry_identity (store, txn, names [i], &identities [i]);
        Identity *identity = identities [i];
        //  Machines (role service) are not people to recertify.
        if (rc || identity->status != IDENTITY_STATUS__IDENTITY_ACTIVE
        ||  strcmp (identity->role, "service") == 0 || (team && *team && strcmp (identity->team, team)))
            continue;
        review_entry__init (&entries [listed]);
        entries [listed].name = identity->name;
        entries [listed].role = identity->role;
        entries [listed].team = identity->team;
        pointers [listed] = &entries [listed];
        listed++;
    }
    if (rc)
        goto done;
    ReviewCampaign campaign = REVIEW_CAMPAIGN__INIT;
    rc = s_bump (store, txn, result);
    if (rc == 0)
        rc = store_next_counter (store, txn, S_META, "next_review", UINT64_MAX, &campaign.id);
    if (rc)
        goto done;
    campaign.team = (char *) (team? team: "");
    campaign.until_ms = until_ms;
    campaign.started_by = (char *) actor;
    campaign.started_ms = now_ms;
    campaign.open = true;
    campaign.n_entries = listed;
    campaign.entries = pointers;
    rc = s_review_put (store, txn, &campaign);
    if (rc == 0)
        rc = store_put_u64 (store, txn, S_META, "review_open", campaign.id);
    if (rc == 0) {
        char text [160];
        char date [32];
        clock_format_iso8601 (until_ms, date, sizeof date);
        snprintf (text, sizeof text, "%zu identities of %s to confirm by %s", listed,
                  team && *team? team: "every team", date);
        s_event_t what = { .type = REGISTRY_EVENT_REVIEW_STARTED, .actor = actor,
                           .subject = team? team: "", .campaign = campaign.id, .reason = text };
        s_add_event (result, now_ms, &what);
    }
done:
    for (size_t i = 0; identities && i < count; i++)
        codec_free (identities [i]);
    free (identities);
    free (entries);
    free (pointers);
    s_names_free (names, count);
    codec_free (open);
    codec_free (starter);
    return rc;
}

int
registry_review_start (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                       const char *team, uint64_t until_ms, registry_result_t *result)
{
    assert (store && txn && result);
    registry_result_clear (result);
    int rc = s_review_start (store, txn, now_ms, actor, team, until_ms, result);
    return s_finish (store, txn, now_ms, actor, "review_start", team? team: "", NULL, rc, result);
}

static ReviewEntry *
s_entry (ReviewCampaign *campaign, const char *name)
{
    for (size_t i = 0; i < campaign->n_entries; i++)
        if (strcmp (campaign->entries [i]->name, name) == 0)
            return campaign->entries [i];
    return NULL;
}

static int
s_review_confirm (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor, const char *name,
                  registry_result_t *result)
{
    int rc;
    Identity *confirmer = s_actor (store, txn, now_ms, actor, result, &rc);
    if (!confirmer)
        return rc;
    Identity *target = NULL;
    ReviewCampaign *campaign = NULL;
    rc = registry_review_open (store, txn, &campaign);
    if (rc == MDB_NOTFOUND) {
        rc = 0;
        s_refuse (result, STATUS__FAILED_PRECONDITION, "confirm %s: no review is open", name);
        goto done;
    }
    if (rc)
        goto done;
    ReviewEntry *entry = s_entry (campaign, name);
    if (!entry) {
        s_refuse (result, STATUS__NOT_FOUND, "confirm %s: not in review %llu", name,
                  (unsigned long long) campaign->id);
        goto done;
    }
    if (*entry->confirmed_by) {
        s_refuse (result, STATUS__FAILED_PRECONDITION, "confirm %s: already confirmed by %s", name,
                  entry->confirmed_by);
        goto done;
    }
    if (strcmp (name, actor) == 0) {
        s_refuse (result, STATUS__PERMISSION_DENIED, "confirm %s: nobody recertifies their own access",
                  name);
        goto done;
    }
    rc = registry_identity (store, txn, name, &target);
    if (rc == MDB_NOTFOUND) {
        rc = 0;
        s_refuse (result, STATUS__NOT_FOUND, "confirm %s: no such identity", name);
        goto done;
    }
    if (rc)
        goto done;
    if (target->status != IDENTITY_STATUS__IDENTITY_ACTIVE) {
        s_refuse (result, STATUS__FAILED_PRECONDITION, "confirm %s: the identity is %s", name,
                  s_status_name (target->status));
        goto done;
    }
    //  An admin confirms anyone; a lead (access.confirm) its own team's staff.
    bool any = access_allows (confirmer->role, "access.review");
    const char *staff = NULL;
    for (size_t i = 0; i < sizeof s_confirmers / sizeof s_confirmers [0]; i++)
        if (strcmp (s_confirmers [i].role, confirmer->role) == 0)
            staff = s_confirmers [i].confirms;
    bool own = staff && access_allows (confirmer->role, "access.confirm")
            && strcmp (confirmer->team, target->team) == 0 && strcmp (staff, target->role) == 0;
    if (!any && !own) {
        s_refuse (result, STATUS__PERMISSION_DENIED,
                  "confirm %s: %s (%s of team %s) may confirm only %s of its own team; %s is %s of team %s",
                  name, actor, confirmer->role, confirmer->team, staff? staff: "nobody", name,
                  target->role, target->team);
        goto done;
    }
    rc = s_bump (store, txn, result);
    if (rc)
        goto done;
    s_set (&entry->confirmed_by, actor);
    entry->confirmed_ms = now_ms;
    s_set (&entry->outcome, "confirmed");
    rc = s_review_put (store, txn, campaign);
    if (rc == 0) {
        s_event_t what = { .type = REGISTRY_EVENT_CONFIRMED, .actor = actor, .subject = name,
                           .identity = target, .campaign = campaign->id };
        s_add_event (result, now_ms, &what);
    }
done:
    codec_free (confirmer);
    codec_free (target);
    codec_free (campaign);
    return rc;
}

int
registry_review_confirm (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                         const char *name, registry_result_t *result)
{
    assert (store && txn && result);
    registry_result_clear (result);
    name = name? name: "";
    int rc = s_review_confirm (store, txn, now_ms, actor, name, result);
    return s_finish (store, txn, now_ms, actor, "review_confirm", name, NULL, rc, result);
}

//  Closes a campaign: each unconfirmed identity still active is suspended;
//  each entry gets its outcome. The caller has bumped the version.
static int
s_review_close (store_t *store, MDB_txn *txn, uint64_t now_ms, ReviewCampaign *campaign,
                const char *actor, registry_result_t *result)
{
    int rc = 0;
    size_t confirmed = 0, suspended = 0;
    char reason [160];
    snprintf (reason, sizeof reason, "not confirmed in access review %llu",
              (unsigned long long) campaign->id);
    for (size_t i = 0; rc == 0 && i < campaign->n_entries; i++) {
        ReviewEntry *entry = campaign->entries [i];
        if (*entry->confirmed_by) {
            confirmed++;
            continue;
        }
        Identity *identity = NULL;
        rc = registry_identity (store, txn, entry->name, &identity);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            s_set (&entry->outcome, "revoked");
            continue;
        }
        if (rc)
            break;
        if (identity->status == IDENTITY_STATUS__IDENTITY_ACTIVE) {
            rc = s_take_out (store, txn, now_ms, identity, IDENTITY_STATUS__IDENTITY_SUSPENDED, actor,
                             reason, campaign->id, result);
            s_set (&entry->outcome, "suspended");
            suspended++;
        }
        else
            s_set (&entry->outcome, s_status_name (identity->status));
        codec_free (identity);
    }
    if (rc)
        return rc;
    campaign->open = false;
    s_set (&campaign->ended_by, actor);
    campaign->ended_ms = now_ms;
    rc = s_review_put (store, txn, campaign);
    if (rc == 0)
        rc = store_put_u64 (store, txn, S_META, "review_open", 0);
    if (rc == 0) {
        char text [160];
        snprintf (text, sizeof text, "%zu confirmed, %zu suspended, %zu listed", confirmed, suspended,
                  campaign->n_entries);
        s_event_t what = { .type = REGISTRY_EVENT_REVIEW_ENDED, .actor = actor, .subject = campaign->team,
                           .campaign = campaign->id, .reason = text };
        s_add_event (result, now_ms, &what);
    }
    return rc;
}

static int
s_review_end (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor, registry_result_t *result)
{
    int rc;
    Identity *ender = s_actor (store, txn, now_ms, actor, result, &rc);
    if (!ender)
        return rc;
    ReviewCampaign *campaign = NULL;
    if (!access_allows (ender->role, "access.review")) {
        s_refuse (result, STATUS__PERMISSION_DENIED, "review end: %s (%s) may not end a review", actor,
                  ender->role);
        goto done;
    }
    rc = registry_review_open (store, txn, &campaign);
    if (rc == MDB_NOTFOUND) {
        rc = 0;
        s_refuse (result, STATUS__FAILED_PRECONDITION, "review end: no review is open");
        goto done;
    }
    if (rc == 0)
        rc = s_bump (store, txn, result);
    if (rc == 0)
        rc = s_review_close (store, txn, now_ms, campaign, actor, result);
done:
    codec_free (ender);
    codec_free (campaign);
    return rc;
}

int
registry_review_end (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *actor,
                     registry_result_t *result)
{
    assert (store && txn && result);
    registry_result_clear (result);
    int rc = s_review_end (store, txn, now_ms, actor, result);
    return s_finish (store, txn, now_ms, actor, "review_end", "", NULL, rc, result);
}

//  ------------------------------------------------------------------------
//  The clock

//  The version goes up once for whatever the clock finds to do.
static int
s_bump_once (store_t *store, MDB_txn *txn, registry_result_t *result, bool *bumped)
{
    if (*bumped)
        return 0;
    *bumped = true;
    return s_bump (store, txn, result);
}

int
registry_expire (store_t *store, MDB_txn *txn, uint64_t now_ms, registry_result_t *result)
{
    assert (store && txn && result);
    registry_result_clear (result);
    bool bumped = false;
    const char *actor = REGISTRY_CLOCK_ACTOR;

    //  Identities past their valid-until, and break-glass windows closed.
    char **names;
    size_t count;
    int rc = s_identity_names (store, txn, &names, &count);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        Identity *identity;
        rc = registry_identity (store, txn, names [i], &identity);
        if (rc)
            break;
        if (identity->breakglass_until_ms && now_ms >= identity->breakglass_until_ms) {
            rc = s_bump_once (store, txn, result, &bumped);
            char reason [200];
            snprintf (reason, sizeof reason, "break-glass ended (%s)", identity->breakglass_reason);
            identity->breakglass_until_ms = 0;
            s_set (&identity->breakglass_reason, "");
            identity->changed_ms = now_ms;
            identity->version = result->version;
            if (rc == 0)
                rc = s_identity_put (store, txn, identity);
            if (rc == 0) {
                s_event_t what = { .type = REGISTRY_EVENT_BREAKGLASS_EXPIRED, .actor = actor,
                                   .subject = identity->name, .identity = identity, .reason = reason };
                s_add_event (result, now_ms, &what);
            }
        }
        if (rc == 0 && identity->status == IDENTITY_STATUS__IDENTITY_ACTIVE
        && identity->valid_until_ms && now_ms >= identity->valid_until_ms) {
            rc = s_bump_once (store, txn, result, &bumped);
            char date [32], reason [80];
            clock_format_iso8601 (identity->valid_until_ms, date, sizeof date);
            snprintf (reason, sizeof reason, "valid until %s", date);
            if (rc == 0)
                rc = s_take_out (store, txn, now_ms, identity, IDENTITY_STATUS__IDENTITY_SUSPENDED, actor,
                                 reason, 0, result);
        }
        codec_free (identity);
    }
    s_names_free (names, count);

    //  A review past its date ends by itself.
    ReviewCampaign *campaign = NULL;
    if (rc == 0) {
        rc = registry_review_open (store, txn, &campaign);
        if (rc == 0 && now_ms >= campaign->until_ms) {
            rc = s_bump_once (store, txn, result, &bumped);
            if (rc == 0)
                rc = s_review_close (store, txn, now_ms, campaign, actor, result);
        }
        else
        if (rc == MDB_NOTFOUND)
            rc = 0;
        codec_free (campaign);
    }

    //  Requests not decided in time lapse; a lapsed grant's identity goes.
    uint64_t *ids = NULL;
    if (rc == 0)
        rc = s_pending_ids (store, txn, &ids, &count);
    for (size_t i = 0; rc == 0 && ids && i < count; i++) {
        AccessRequest *request;
        rc = registry_request_get (store, txn, ids [i], &request);
        if (rc)
            break;
        if (request->expires_ms && now_ms >= request->expires_ms) {
            rc = s_bump_once (store, txn, result, &bumped);
            if (rc == 0)
                rc = s_close_request (store, txn, now_ms, request, ACCESS_REQUEST_STATE__ACCESS_REQUEST_EXPIRED,
                                      REGISTRY_EVENT_REQUEST_EXPIRED, actor, "not decided within 7 days",
                                      result);
        }
        codec_free (request);
    }
    free (ids);
    if (rc == 0 && !bumped)
        rc = registry_version (store, txn, &result->version);
    return rc;
}

//  ------------------------------------------------------------------------
//  Bootstrap, lookup, copies

int
registry_admin_count (store_t *store, MDB_txn *txn, size_t *count)
{
    char **names;
    size_t total;
    *count = 0;
    int rc = s_identity_names (store, txn, &names, &total);
    for (size_t i = 0; rc == 0 && i < total; i++) {
        Identity *identity;
        rc = registry_identity (store, txn, names [i], &identity);
        if (rc == 0 && strcmp (identity->role, "admin") == 0)
            (*count)++;
        if (rc == 0)
            codec_free (identity);
    }
    s_names_free (names, total);
    return rc;
}

int
registry_bootstrap_sealed (store_t *store, MDB_txn *txn, uint64_t *sealed_ms)
{
    return store_get_u64 (store, txn, S_META, "bootstrap_sealed_ms", sealed_ms);
}

int
registry_bootstrap_seal (store_t *store, MDB_txn *txn, uint64_t now_ms)
{
    return store_put_u64 (store, txn, S_META, "bootstrap_sealed_ms", now_ms? now_ms: 1);
}

static int
s_bootstrap (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *name, const char *role,
             const char *team, const char *public_key, registry_result_t *result)
{
    bool admin = role && strcmp (role, "admin") == 0;
    bool service = role && strcmp (role, "service") == 0;
    uint64_t sealed;
    int sealed_rc = registry_bootstrap_sealed (store, txn, &sealed);
    if (sealed_rc)
        return sealed_rc;
    if (sealed) {
        char when [32];
        clock_format_iso8601 (sealed, when, sizeof when);
        s_refuse (result, STATUS__PERMISSION_DENIED,
                  "bootstrap %s: the registry was bootstrapped at %s; every identity since is granted by two admins",
                  name, when);
        return 0;
    }
    if (!admin && !service) {
        s_refuse (result, STATUS__INVALID_ARGUMENT,
                  "bootstrap %s: role '%s' must be admin or service; everyone else is granted by two admins",
                  name, role? role: "");
        return 0;
    }
    if (!s_word_ok (name, sizeof ((identity_t *) 0)->name) || !s_word_ok (team, sizeof ((identity_t *) 0)->team)) {
        s_refuse (result, STATUS__INVALID_ARGUMENT,
                  "bootstrap '%s': name and team must be 1 to 63 letters, digits or . _ @ -", name);
        return 0;
    }
    if (!s_key_ok (public_key)) {
        s_refuse (result, STATUS__INVALID_ARGUMENT,
                  "bootstrap %s: public key is not a 40-character Z85 CURVE key", name);
        return 0;
    }
    Identity *existing = NULL;
    int rc = registry_identity (store, txn, name, &existing);
    if (rc == 0) {
        //  Again with the same key and role: already done, nothing to say.
        if (strcmp (existing->public_key, public_key) != 0 || strcmp (existing->role, role) != 0
        ||  existing->status == IDENTITY_STATUS__IDENTITY_REVOKED)
            s_refuse (result, STATUS__ALREADY_EXISTS,
                      "bootstrap %s: the registry already holds %s (%s, %s) with another key or role",
                      name, name, existing->role, s_status_name (existing->status));
        else
            rc = registry_version (store, txn, &result->version);
        codec_free (existing);
        return rc;
    }
    if (rc != MDB_NOTFOUND)
        return rc;
    char holder [64];
    rc = s_key_taken (store, txn, public_key, name, holder, sizeof holder);
    if (rc)
        return rc;
    if (*holder) {
        s_refuse (result, STATUS__ALREADY_EXISTS, "bootstrap %s: the public key is %s's", name, holder);
        return 0;
    }
    if (admin) {
        size_t admins;
        rc = registry_admin_count (store, txn, &admins);
        if (rc)
            return rc;
        if (admins >= REGISTRY_BOOTSTRAP_ADMINS) {
            s_refuse (result, STATUS__PERMISSION_DENIED,
                      "bootstrap %s: the registry has had %zu admins; a further admin is a grant by two admins",
                      name, admins);
            return 0;
        }
    }
    rc = s_bump (store, txn, result);
    if (rc)
        return rc;
    Identity identity = IDENTITY__INIT;
    identity.name = (char *) name;
    identity.role = (char *) role;
    identity.team = (char *) team;
    identity.public_key = (char *) public_key;
    identity.status = IDENTITY_STATUS__IDENTITY_ACTIVE;
    identity.requested_by = identity.approved_by = (char *) REGISTRY_BOOTSTRAP_ACTOR;
    identity.created_ms = identity.changed_ms = now_ms;
    identity.version = result->version;
    rc = s_identity_put (store, txn, &identity);
    if (rc == 0) {
        s_event_t what = { .type = REGISTRY_EVENT_BOOTSTRAPPED, .actor = REGISTRY_BOOTSTRAP_ACTOR,
                           .subject = name, .identity = &identity };
        s_add_event (result, now_ms, &what);
    }
    return rc;
}

int
registry_bootstrap (store_t *store, MDB_txn *txn, uint64_t now_ms, const char *name,
                    const char *role, const char *team, const char *public_key,
                    registry_result_t *result)
{
    assert (store && txn && result);
    registry_result_clear (result);
    name = name? name: "";
    int rc = s_bootstrap (store, txn, now_ms, name, role, team, public_key, result);
    return s_finish (store, txn, now_ms, REGISTRY_BOOTSTRAP_ACTOR, "bootstrap", name, NULL, rc, result);
}

int
registry_lookup_key (store_t *store, MDB_txn *txn, const char *public_key, uint64_t now_ms,
                     registry_caller_t *caller)
{
    memset (caller, 0, sizeof *caller);
    if (registry_version (store, txn, &caller->version))
        return -1;
    MDB_val value;
    int rc = public_key? store_get (store, txn, S_KEYS, public_key, strlen (public_key), &value)
                       : MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND) {
        snprintf (caller->why, sizeof caller->why, "the key is not in the access registry");
        return 1;
    }
    if (rc)
        return -1;
    char name [64];
    snprintf (name, sizeof name, "%.*s", (int) value.mv_size, (const char *) value.mv_data);
    Identity *identity;
    rc = registry_identity (store, txn, name, &identity);
    if (rc == MDB_NOTFOUND || (rc == 0 && strcmp (identity->public_key, public_key) != 0)) {
        //  The key once was this name's; the name has another key now.
        if (rc == 0)
            codec_free (identity);
        snprintf (caller->why, sizeof caller->why, "the key is no longer %s's", name);
        return 1;
    }
    if (rc)
        return -1;
    int allowed = s_usable (identity, now_ms, &caller->breakglass, caller->why, sizeof caller->why)? 0: 1;
    if (allowed == 0) {
        snprintf (caller->identity.key, sizeof caller->identity.key, "%s", identity->public_key);
        snprintf (caller->identity.name, sizeof caller->identity.name, "%s", identity->name);
        snprintf (caller->identity.role, sizeof caller->identity.role, "%s", identity->role);
        snprintf (caller->identity.team, sizeof caller->identity.team, "%s", identity->team);
        caller->valid_until_ms = identity->valid_until_ms;
        caller->breakglass_until_ms = caller->breakglass? identity->breakglass_until_ms: 0;
    }
    codec_free (identity);
    return allowed;
}

//  Walks a table of messages in key order.
static int
s_each (store_t *store, MDB_txn *txn, const char *table, const ProtobufCMessageDescriptor *type,
        int (*fn) (const void *message, void *arg), void *arg)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (store, table), &cursor);
    if (rc)
        return rc;
    MDB_val key, value;
    for (rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        void *message = codec_decode (type, value.mv_data, value.mv_size);
        if (!message) {
            rc = store_fail (store, "access registry: table %s holds a row that is not a %s", table,
                             type->name);
            break;
        }
        rc = fn (message, arg);
        codec_free (message);
        if (rc)
            break;
    }
    mdb_cursor_close (cursor);
    return rc == MDB_NOTFOUND? 0: rc;
}

//  The public callbacks, called through one walker without casting
//  function pointers (calling through a mismatched type is undefined).
typedef struct {
    registry_identity_fn *identity_fn;
    registry_request_fn *request_fn;
    void *arg;
} s_visit_t;

static int
s_visit (const void *message, void *arg)
{
    s_visit_t *visit = (s_visit_t *) arg;
    return visit->identity_fn? visit->identity_fn ((const Identity *) message, visit->arg)
                             : visit->request_fn ((const AccessRequest *) message, visit->arg);
}

int
registry_each_identity (store_t *store, MDB_txn *txn, registry_identity_fn *fn, void *arg)
{
    s_visit_t visit = { fn, NULL, arg };
    return s_each (store, txn, S_IDENTITIES, &identity__descriptor, s_visit, &visit);
}

int
registry_each_request (store_t *store, MDB_txn *txn, registry_request_fn *fn, void *arg)
{
    s_visit_t visit = { NULL, fn, arg };
    return s_each (store, txn, S_REQUESTS, &access_request__descriptor, s_visit, &visit);
}

int
registry_apply (store_t *store, MDB_txn *txn, const RegistryEvent *event)
{
    uint64_t version;
    int rc = registry_version (store, txn, &version);
    if (rc)
        return rc;
    //  Events arrive once and in order (common/consumer); an older version
    //  than the copy's would mean two registries feed one stream.
    if (event->version && event->version < version)
        return store_fail (store, "access registry copy: event %s of %s has version %llu, the copy %llu",
                           event->type, event->subject, (unsigned long long) event->version,
                           (unsigned long long) version);
    if (event->identity && *event->identity->name) {
        Identity *old = NULL;
        rc = registry_identity (store, txn, event->identity->name, &old);
        if (rc == 0 && *old->public_key && strcmp (old->public_key, event->identity->public_key) != 0) {
            rc = store_del (store, txn, S_KEYS, old->public_key, strlen (old->public_key));
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
        else
        if (rc == MDB_NOTFOUND)
            rc = 0;
        codec_free (old);
        if (rc == 0)
            rc = s_identity_put (store, txn, event->identity);
        if (rc)
            return rc;
    }
    return event->version > version? store_put_u64 (store, txn, S_META, "version", event->version): 0;
}

int
registry_apply_event (store_t *store, MDB_txn *txn, const Event *event)
{
    //  The access stream also carries what is not a registry change (the
    //  audit log's signed checkpoints, access.checkpoint): a copy has
    //  nothing to apply from those. Every registry change is one of these
    //  types, and one of them that does not decode stops the stream.
    static const char *const changes [] = {
#define S_CHANGE(name, text) text,
        REGISTRY_EVENTS (S_CHANGE)
#undef S_CHANGE
        NULL
    };
    bool change_type = false;
    for (size_t i = 0; changes [i] && !change_type; i++)
        change_type = strcmp (event->type, changes [i]) == 0;
    if (!change_type)
        return 0;
    RegistryEvent *change = (RegistryEvent *) codec_decode (&registry_event__descriptor,
                                                            event->payload.data, event->payload.len);
    if (!change)
        return store_fail (store, "access #%llu (%s) is not a RegistryEvent",
                           (unsigned long long) event->stream_seq, event->type);
    uint64_t version;
    int rc = registry_version (store, txn, &version);
    if (rc == 0 && change->version >= version)
        rc = registry_apply (store, txn, change);
    codec_free (change);
    return rc;
}
