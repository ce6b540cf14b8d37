/*  auth: rcmq-web's users, one-time links and sessions (ADR 27).

    The gateway acts with the signed-in user's own CURVE key, and keeps
    that key only sealed (secretbox) under a key derived from something the
    user brings: the password (crypto_pwhash, Argon2id), a one-time link's
    token or the session cookie's token (BLAKE2b keyed by the token). The
    store holds BLAKE2b hashes of tokens, never tokens; a record opened with
    the wrong password or token fails its MAC, so the sealed box is also the
    password's verifier.

    Tables (WEB_TABLES): users (WebUser by name), links and sessions
    (WebSealed by the token's hash in hex). Every function that changes them
    runs on the caller's write transaction, so the caller writes the access
    record of a sign-in in the same one, and returns 0 or an LMDB error
    (-1 with store_fail when a record cannot be read); the outcome is in
    *result. A secret key handed out (auth_session_t) lives in sodium_malloc
    memory and is wiped by auth_session_clear.
*/
#ifndef RCMQ_WEB_AUTH_H
#define RCMQ_WEB_AUTH_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "store.h"

#define WEB_TABLES "users", "sessions", "links"

#define AUTH_KEY_BYTES      32          //  CURVE secret key, token, sealing key
#define AUTH_TOKEN_TEXT     65          //  64 hex digits and a NUL
#define AUTH_COOKIE_NAME    "rcmq_session"

typedef struct {
    uint64_t opslimit;                  //  crypto_pwhash cost of new passwords
    size_t memlimit;
    uint32_t lockout_failures;          //  failures in a row that lock (5)
    uint64_t lockout_ms;                //  how long (15 min)
    uint64_t idle_ms;                   //  a session unused this long ends (30 min)
    uint64_t session_ms;                //  a session ends this long after sign-in (12 h)
    uint64_t link_ms;                   //  a link is good this long (5 min)
    size_t min_password;                //  shortest password taken (10)
} auth_policy_t;

typedef enum {
    AUTH_OK = 0,
    AUTH_BAD,           //  unknown user, wrong password, unknown or used link / session
    AUTH_LOCKED,        //  too many failures: refused without looking at the password
    AUTH_EXPIRED,       //  a link or session past its time (removed)
} auth_outcome_t;

typedef struct {
    char user [64];
    char public_key [41];
    uint8_t *secret_key;                //  AUTH_KEY_BYTES, sodium_malloc'd; NULL when none
    char token [AUTH_TOKEN_TEXT];       //  the session's cookie token
    char csrf [AUTH_TOKEN_TEXT];        //  the CSRF token every POST carries
} auth_session_t;

void        auth_policy_default (auth_policy_t *policy);
const char *auth_outcome_name (auth_outcome_t outcome);

//  True when secret_key's public key is public_z85 (the identity's key).
bool        auth_key_matches (const uint8_t *secret_key, const char *public_z85);

//  Sets user's password: secret_key sealed under the password's Argon2id
//  key; failures and lockout cleared. A password shorter than the policy's
//  minimum is refused (-2, nothing written), as is a secret key that is not
//  public_key's (-3).
int         auth_passwd (store_t *store, MDB_txn *txn, const auth_policy_t *policy,
                         const char *user, const char *public_key, const uint8_t *secret_key,
                         const char *password, uint64_t now_ms);

//  A one-time link token for user (into token), good until *expires_ms.
//  -3 when the secret key is not public_key's.
int         auth_link_new (store_t *store, MDB_txn *txn, const auth_policy_t *policy,
                           const char *user, const char *public_key, const uint8_t *secret_key,
                           uint64_t now_ms, char *token, uint64_t *expires_ms);

//  Signs in by password. On AUTH_OK, session holds a new session (clear it
//  with auth_session_clear). On a failure the user's failure count goes up;
//  *locked_now says this failure locked the user.
int         auth_signin_password (store_t *store, MDB_txn *txn, const auth_policy_t *policy,
                                  const char *user, const char *password, uint64_t now_ms,
                                  auth_outcome_t *result, bool *locked_now, auth_session_t *session);

//  Signs in by a link token: the link is removed (whatever the outcome, so
//  it works once) and a session made.
int         auth_signin_link (store_t *store, MDB_txn *txn, const auth_policy_t *policy,
                              const char *link_token, uint64_t now_ms,
                              auth_outcome_t *result, auth_session_t *session);

//  Opens the session a cookie token names: checks idle and absolute ends
//  (an ended session is removed), moves its last use to now when it is at
//  least auth_last_use_step (idle) old, and hands out the user's secret key.
//  How stale a session's recorded last use may get before a use writes it:
//  a thirtieth of the idle time, at most AUTH_LAST_USE_STEP_MS.
#define AUTH_LAST_USE_STEP_MS   60000ULL
uint64_t    auth_last_use_step (uint64_t idle_ms);

int         auth_session_open (store_t *store, MDB_txn *txn, const auth_policy_t *policy,
                               const char *token, uint64_t now_ms,
                               auth_outcome_t *result, auth_session_t *session);
//  Signs out: the session record is removed.
int         auth_session_close (store_t *store, MDB_txn *txn, const char *token);
//  Wipes and frees the secret key and blanks the session.
void        auth_session_clear (auth_session_t *session);

//  The CSRF token of a session token, and its constant-time check.
void        auth_csrf (const char *token, char *csrf);
bool        auth_csrf_check (const char *token, const char *given);

//  The Set-Cookie value for a session token (NULL token: the one that
//  clears it); Secure when served over TLS.
void        auth_cookie (const char *token, bool secure, char *buf, size_t size);

#endif
