/*  auth: see auth.h and ADR 27. Three derivations of a 32-byte token, each
    BLAKE2b keyed by the token over its own label, so one cannot be turned
    into another: "session"/"link" (the key that seals the user's secret
    key), "csrf" (the form token). The record's key is the token's plain
    BLAKE2b hash, so the store alone opens nothing.
*/
#include "auth.h"
#include "web.pb-c.h"
#include "codec.h"

#include <czmq.h>
#include <sodium.h>

#define AUTH_BOX_BYTES (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + AUTH_KEY_BYTES)

void
auth_policy_default (auth_policy_t *policy)
{
    policy->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    policy->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    policy->lockout_failures = 5;
    policy->lockout_ms = 15 * 60000ULL;
    policy->idle_ms = 30 * 60000ULL;
    policy->session_ms = 12 * 3600000ULL;
    policy->link_ms = 5 * 60000ULL;
    policy->min_password = 10;
}

const char *
auth_outcome_name (auth_outcome_t outcome)
{
    static const char *const names [] = { "ok", "refused", "locked", "expired" };
    return outcome <= AUTH_EXPIRED? names [outcome]: "?";
}

bool
auth_key_matches (const uint8_t *secret_key, const char *public_z85)
{
    uint8_t public_key [32], derived [32];
    if (!public_z85 || strlen (public_z85) != 40 || !zmq_z85_decode (public_key, public_z85))
        return false;
    crypto_scalarmult_base (derived, secret_key);
    return sodium_memcmp (derived, public_key, 32) == 0;
}

//  --------------------------------------------------------------------------
//  Tokens and sealing

static void
s_hex (const uint8_t *bytes, size_t size, char *text)
{
    sodium_bin2hex (text, size * 2 + 1, bytes, size);
}

//  A token's text as its 32 bytes; false when it is not 64 hex digits.
static bool
s_token_bytes (const char *text, uint8_t *bytes)
{
    size_t length = 0;
    return text && strlen (text) == 64
        && sodium_hex2bin (bytes, 32, text, 64, NULL, &length, NULL) == 0 && length == 32;
}

static void
s_derive (const uint8_t *token, const char *label, uint8_t *key)
{
    crypto_generichash (key, 32, (const uint8_t *) label, strlen (label), token, 32);
}

//  The record key of a token: BLAKE2b-256 in hex.
static void
s_token_id (const uint8_t *token, char *id)
{
    uint8_t hash [32];
    crypto_generichash (hash, 32, token, 32, NULL, 0);
    s_hex (hash, 32, id);
}

static void
s_seal (const uint8_t *key, const uint8_t *secret_key, uint8_t *box)
{
    randombytes_buf (box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy (box + crypto_secretbox_NONCEBYTES, secret_key, AUTH_KEY_BYTES,
                           box, key);
}

//  Opens a box into a fresh sodium_malloc'd key; NULL when the MAC fails.
static uint8_t *
s_open (const uint8_t *key, const ProtobufCBinaryData *box)
{
    if (box->len != AUTH_BOX_BYTES)
        return NULL;
    uint8_t *secret = (uint8_t *) sodium_malloc (AUTH_KEY_BYTES);
    assert (secret);
    if (crypto_secretbox_open_easy (secret, box->data + crypto_secretbox_NONCEBYTES,
                                    box->len - crypto_secretbox_NONCEBYTES, box->data, key)) {
        sodium_free (secret);
        return NULL;
    }
    return secret;
}

//  Reads a record; 0, MDB_NOTFOUND, or -1 (store_fail) when it does not decode.
static int
s_read (store_t *store, MDB_txn *txn, const char *table, const char *key,
        const ProtobufCMessageDescriptor *type, void **message)
{
    MDB_val value;
    int rc = store_get (store, txn, table, key, strlen (key), &value);
    if (rc)
        return rc;
    *message = codec_decode (type, value.mv_data, value.mv_size);
    return *message? 0: store_fail (store, "web: %s record '%.16s...' does not decode", table, key);
}

//  --------------------------------------------------------------------------
//  Users

int
auth_passwd (store_t *store, MDB_txn *txn, const auth_policy_t *policy,
             const char *user, const char *public_key, const uint8_t *secret_key,
             const char *password, uint64_t now_ms)
{
    if (strlen (password) < policy->min_password)
        return -2;
    if (!auth_key_matches (secret_key, public_key))
        return -3;
    uint8_t salt [crypto_pwhash_SALTBYTES], key [32], box [AUTH_BOX_BYTES];
    randombytes_buf (salt, sizeof salt);
    if (crypto_pwhash (key, sizeof key, password, strlen (password), salt,
                       policy->opslimit, policy->memlimit, crypto_pwhash_ALG_ARGON2ID13))
        return store_fail (store, "web: crypto_pwhash ran out of memory (memlimit %zu)", policy->memlimit);
    s_seal (key, secret_key, box);
    sodium_memzero (key, sizeof key);
    WebUser record = WEB_USER__INIT;
    record.name = (char *) user;
    record.public_key = (char *) public_key;
    record.salt = (ProtobufCBinaryData) { sizeof salt, salt };
    record.opslimit = policy->opslimit;
    record.memlimit = policy->memlimit;
    record.box = (ProtobufCBinaryData) { sizeof box, box };
    record.updated_ms = now_ms;
    return store_put_message (store, txn, "users", user, &record);
}

//  --------------------------------------------------------------------------
//  Sessions and links

static void
s_session_fill (auth_session_t *session, const char *user, const char *public_key,
                uint8_t *secret_key, const uint8_t *token)
{
    snprintf (session->user, sizeof session->user, "%s", user);
    snprintf (session->public_key, sizeof session->public_key, "%s", public_key);
    session->secret_key = secret_key;
    s_hex (token, 32, session->token);
    auth_csrf (session->token, session->csrf);
}

//  Seals secret_key under a new token in table; the token's text goes in
//  token (AUTH_TOKEN_TEXT).
static int
s_sealed_new (store_t *store, MDB_txn *txn, const char *table, const char *label,
              const char *user, const char *public_key, const uint8_t *secret_key,
              uint64_t now_ms, uint64_t expires_ms, uint8_t *token)
{
    uint8_t key [32], box [AUTH_BOX_BYTES];
    randombytes_buf (token, 32);
    s_derive (token, label, key);
    s_seal (key, secret_key, box);
    sodium_memzero (key, sizeof key);
    char id [AUTH_TOKEN_TEXT];
    s_token_id (token, id);
    WebSealed record = WEB_SEALED__INIT;
    record.user = (char *) user;
    record.public_key = (char *) public_key;
    record.box = (ProtobufCBinaryData) { sizeof box, box };
    record.created_ms = now_ms;
    record.last_ms = now_ms;
    record.expires_ms = expires_ms;
    return store_put_message (store, txn, table, id, &record);
}

static int
s_session_new (store_t *store, MDB_txn *txn, const auth_policy_t *policy, const char *user,
               const char *public_key, uint8_t *secret_key, uint64_t now_ms, auth_session_t *session)
{
    uint8_t token [32];
    int rc = s_sealed_new (store, txn, "sessions", "session", user, public_key, secret_key,
                           now_ms, now_ms + policy->session_ms, token);
    if (rc) {
        sodium_free (secret_key);
        return rc;
    }
    s_session_fill (session, user, public_key, secret_key, token);
    sodium_memzero (token, sizeof token);
    return 0;
}

int
auth_link_new (store_t *store, MDB_txn *txn, const auth_policy_t *policy,
               const char *user, const char *public_key, const uint8_t *secret_key,
               uint64_t now_ms, char *token, uint64_t *expires_ms)
{
    if (!auth_key_matches (secret_key, public_key))
        return -3;
    uint8_t bytes [32];
    *expires_ms = now_ms + policy->link_ms;
    int rc = s_sealed_new (store, txn, "links", "link", user, public_key, secret_key,
                           now_ms, *expires_ms, bytes);
    s_hex (bytes, 32, token);
    sodium_memzero (bytes, sizeof bytes);
    return rc;
}

int
auth_signin_password (store_t *store, MDB_txn *txn, const auth_policy_t *policy,
                      const char *user, const char *password, uint64_t now_ms,
                      auth_outcome_t *result, bool *locked_now, auth_session_t *session)
{
    *result = AUTH_BAD;
    *locked_now = false;
    WebUser *record = NULL;
    int rc = *user? s_read (store, txn, "users", user, &web_user__descriptor, (void **) &record)
                  : MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND) {
        //  The same work as for a known user, so the time taken does not
        //  tell which names have a password.
        uint8_t salt [crypto_pwhash_SALTBYTES] = { 0 }, key [32];
        if (crypto_pwhash (key, sizeof key, password, strlen (password), salt,
                           policy->opslimit, policy->memlimit, crypto_pwhash_ALG_ARGON2ID13) == 0)
            sodium_memzero (key, sizeof key);
        return 0;
    }
    if (rc)
        return rc;
    if (record->locked_until_ms > now_ms) {
        *result = AUTH_LOCKED;
        codec_free (record);
        return 0;
    }
    uint8_t key [32];
    uint8_t *secret = NULL;
    if (record->salt.len == crypto_pwhash_SALTBYTES
    &&  crypto_pwhash (key, sizeof key, password, strlen (password), record->salt.data,
                       record->opslimit, (size_t) record->memlimit, crypto_pwhash_ALG_ARGON2ID13) == 0) {
        secret = s_open (key, &record->box);
        sodium_memzero (key, sizeof key);
    }
    if (secret) {
        record->failures = 0;
        record->locked_until_ms = 0;
        rc = store_put_message (store, txn, "users", user, record);
        if (rc == 0)
            rc = s_session_new (store, txn, policy, record->name, record->public_key, secret, now_ms, session);
        else
            sodium_free (secret);
        if (rc == 0)
            *result = AUTH_OK;
    }
    else {
        record->failures++;
        if (record->failures >= policy->lockout_failures) {
            record->failures = 0;
            record->locked_until_ms = now_ms + policy->lockout_ms;
            *locked_now = true;
        }
        rc = store_put_message (store, txn, "users", user, record);
    }
    codec_free (record);
    return rc;
}

//  Opens the sealed record of token in table with label's key. The record
//  is removed when remove is set or when it has ended.
static int
s_sealed_open (store_t *store, MDB_txn *txn, const char *table, const char *label,
               const char *token_text, uint64_t now_ms, uint64_t idle_ms, bool remove,
               auth_outcome_t *result, WebSealed **record_p, uint8_t **secret_p)
{
    *result = AUTH_BAD;
    *record_p = NULL;
    *secret_p = NULL;
    uint8_t token [32];
    if (!s_token_bytes (token_text, token))
        return 0;
    char id [AUTH_TOKEN_TEXT];
    s_token_id (token, id);
    WebSealed *record;
    int rc = s_read (store, txn, table, id, &web_sealed__descriptor, (void **) &record);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    bool ended = now_ms >= record->expires_ms || (idle_ms && now_ms >= record->last_ms + idle_ms);
    if (ended || remove) {
        rc = store_del (store, txn, table, id, strlen (id));
        if (rc) {
            codec_free (record);
            return rc;
        }
    }
    if (ended) {
        *result = AUTH_EXPIRED;
        codec_free (record);
        return 0;
    }
    uint8_t key [32];
    s_derive (token, label, key);
    *secret_p = s_open (key, &record->box);
    sodium_memzero (key, sizeof key);
    if (!*secret_p) {
        codec_free (record);
        return 0;
    }
    //  A session's last use is written at most once a step: every page
    //  view writing it made every page an fsync'd commit. The idle end
    //  can come up to one step early, never late.
    if (!remove && now_ms - record->last_ms >= auth_last_use_step (idle_ms)) {
        record->last_ms = now_ms;
        rc = store_put_message (store, txn, table, id, record);
        if (rc) {
            sodium_free (*secret_p);
            *secret_p = NULL;
            codec_free (record);
            return rc;
        }
    }
    *record_p = record;
    *result = AUTH_OK;
    return 0;
}

uint64_t
auth_last_use_step (uint64_t idle_ms)
{
    uint64_t step = idle_ms / 30;
    return step < AUTH_LAST_USE_STEP_MS? step: AUTH_LAST_USE_STEP_MS;
}

int
auth_signin_link (store_t *store, MDB_txn *txn, const auth_policy_t *policy,
                  const char *link_token, uint64_t now_ms,
                  auth_outcome_t *result, auth_session_t *session)
{
    WebSealed *record;
    uint8_t *secret;
    int rc = s_sealed_open (store, txn, "links", "link", link_token, now_ms, 0, true,
                            result, &record, &secret);
    if (rc || *result != AUTH_OK)
        return rc;
    rc = s_session_new (store, txn, policy, record->user, record->public_key, secret, now_ms, session);
    if (rc)
        *result = AUTH_BAD;
    codec_free (record);
    return rc;
}

int
auth_session_open (store_t *store, MDB_txn *txn, const auth_policy_t *policy,
                   const char *token, uint64_t now_ms,
                   auth_outcome_t *result, auth_session_t *session)
{
    WebSealed *record;
    uint8_t *secret;
    int rc = s_sealed_open (store, txn, "sessions", "session", token, now_ms, policy->idle_ms, false,
                            result, &record, &secret);
    if (rc || *result != AUTH_OK)
        return rc;
    uint8_t bytes [32];
    s_token_bytes (token, bytes);
    s_session_fill (session, record->user, record->public_key, secret, bytes);
    codec_free (record);
    return 0;
}

int
auth_session_close (store_t *store, MDB_txn *txn, const char *token)
{
    uint8_t bytes [32];
    if (!s_token_bytes (token, bytes))
        return 0;
    char id [AUTH_TOKEN_TEXT];
    s_token_id (bytes, id);
    int rc = store_del (store, txn, "sessions", id, strlen (id));
    return rc == MDB_NOTFOUND? 0: rc;
}

void
auth_session_clear (auth_session_t *session)
{
    if (session->secret_key)
        sodium_free (session->secret_key);     //  sodium_free wipes first
    sodium_memzero (session, sizeof *session);
}

//  --------------------------------------------------------------------------
//  CSRF and cookies

void
auth_csrf (const char *token, char *csrf)
{
    uint8_t bytes [32], derived [32];
    if (!s_token_bytes (token, bytes)) {
        *csrf = 0;
        return;
    }
    s_derive (bytes, "csrf", derived);
    s_hex (derived, 32, csrf);
}

bool
auth_csrf_check (const char *token, const char *given)
{
    char expected [AUTH_TOKEN_TEXT];
    auth_csrf (token, expected);
    return *expected && given && strlen (given) == 64
        && sodium_memcmp (expected, given, 64) == 0;
}

void
auth_cookie (const char *token, bool secure, char *buf, size_t size)
{
    //  No Max-Age: the browser forgets it when it closes; the server's
    //  idle and absolute ends hold whatever the browser does.
    snprintf (buf, size, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", AUTH_COOKIE_NAME,
              token? token: "", token? "": "; Max-Age=0", secure? "; Secure": "");
}
