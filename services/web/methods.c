/*  methods: rcmq-web's api (web.*), for rcmqctl web. Both take a user's
    secret CURVE key from an admin's rcmqctl (who holds the user's key file)
    and keep it only sealed (auth.h, ADR 27): under the new password
    (web.Passwd) or under a one-time link's token (web.Link). The key must
    be the one the deployment knows for that user, so the gateway cannot be
    given one person's key under another's name.
*/
#include "web.h"
#include "clock.h"
#include "registry.h"
#include "web.pb-c.h"

#include <sodium.h>

//  The user's identity and the secret key's check, shared by both methods.
static int
s_check (server_call_t *call, const char *method, const char *user, const ProtobufCBinaryData *secret_key,
         identity_t *identity)
{
    int rc = *user? registry_person (call->store, call->txn, user, identity): 1;
    if (rc < 0)
        return server_call_fail (call, STATUS__INTERNAL, "%s: the access registry could not be read: %s",
                                 method, store_error (call->store));
    if (rc > 0)
        return server_call_fail (call, STATUS__NOT_FOUND, "%s: no active identity '%s' in the access registry",
                                 method, user);
    if (secret_key->len != 32)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: secret_key: expected 32 bytes, got %zu",
                                 method, secret_key->len);
    if (!auth_key_matches (secret_key->data, identity->key))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "%s: the secret key given is not %s's (its public key differs)", method, user);
    return 1;
}

static int
s_passwd (server_call_t *call)
{
    web_t *web = (web_t *) service_state ((service_t *) call->state);
    WebPasswdRequest *request = (WebPasswdRequest *) call->body;
    identity_t identity;
    int rc = s_check (call, "web.Passwd", request->user, &request->secret_key, &identity);
    if (rc != 1)
        return rc;
    server_call_subject (call, request->user);
    rc = auth_passwd (call->store, call->txn, web_policy (web), request->user, identity.key,
                      request->secret_key.data, request->password, clock_now_ms ());
    if (rc == -2)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "web.Passwd: the password is shorter than %zu characters",
                                 web_policy (web)->min_password);
    if (rc)
        return rc;
    WebPasswdReply reply = WEB_PASSWD_REPLY__INIT;
    reply.user = request->user;
    server_call_reply (call, &reply);
    return 0;
}

static int
s_link (server_call_t *call)
{
    web_t *web = (web_t *) service_state ((service_t *) call->state);
    WebLinkRequest *request = (WebLinkRequest *) call->body;
    identity_t identity;
    int rc = s_check (call, "web.Link", request->user, &request->secret_key, &identity);
    if (rc != 1)
        return rc;
    server_call_subject (call, request->user);
    char token [AUTH_TOKEN_TEXT];
    WebLinkReply reply = WEB_LINK_REPLY__INIT;
    rc = auth_link_new (call->store, call->txn, web_policy (web), request->user, identity.key,
                        request->secret_key.data, clock_now_ms (), token, &reply.expires_ms);
    if (rc)
        return rc;
    reply.url = zsys_sprintf ("%s/link/%s", web_base_url (web), token);
    sodium_memzero (token, sizeof token);
    server_call_reply (call, &reply);
    zstr_free (&reply.url);
    return 0;
}

const server_method_t web_methods [] = {
    { "web.Passwd", "web.admin", &web_passwd_request__descriptor, s_passwd, SERVER_INTERNAL, NULL, SERVER_NO_PHI },
    { "web.Link",   "web.admin", &web_link_request__descriptor,   s_link,   SERVER_INTERNAL, NULL, SERVER_NO_PHI },
    { NULL }
};
