/*  web: rcmq-web's state (see web.h): its settings, the user-keyed
    clients pages call the services with, and the gateway's own access
    records.
*/
#include "web.h"
#include "clock.h"
#include "log.h"
#include "transport.h"
#include "http.h"

#include <sodium.h>

//  The Argon2id cost of new passwords, by name (libsodium's levels).
static const struct {
    const char *name;
    unsigned long long ops;
    size_t mem;
} s_costs [] = {
    { "interactive", crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE },
    { "moderate",    crypto_pwhash_OPSLIMIT_MODERATE,    crypto_pwhash_MEMLIMIT_MODERATE },
    { "sensitive",   crypto_pwhash_OPSLIMIT_SENSITIVE,   crypto_pwhash_MEMLIMIT_SENSITIVE },
};

web_t *
web_new (service_t *service)
{
    web_t *self = (web_t *) zmalloc (sizeof (web_t));
    self->service = service;
    config_t *config = service_config (service);
    auth_policy_default (&self->policy);
    //  Each setting in its range, or the start stops naming it: a session
    //  that never idles out or a lockout after 0 failures is a typo.
    static const struct {
        const char *key;
        int64_t fallback, min, max;
    } s_settings [] = {
        { "web/idle-minutes", 30, 1, 24 * 60 },
        { "web/session-hours", 12, 1, 24 * 7 },
        { "web/lockout-failures", 5, 1, 100 },
        { "web/lockout-minutes", 15, 1, 24 * 60 },
        { "web/call-timeout-ms", 3000, 100, 60000 },
    };
    int64_t values [5];
    for (size_t i = 0; i < 5; i++) {
        char error [256];
        if (config_get_int_checked (config, s_settings [i].key, s_settings [i].fallback, s_settings [i].min,
                                    s_settings [i].max, &values [i], error, sizeof error)) {
            log_error ("bad setting", "error", json_string (error), NULL);
            free (self);
            return NULL;
        }
    }
    self->policy.idle_ms = (uint64_t) values [0] * 60000ULL;
    self->policy.session_ms = (uint64_t) values [1] * 3600000ULL;
    self->policy.lockout_failures = (uint32_t) values [2];
    self->policy.lockout_ms = (uint64_t) values [3] * 60000ULL;
    self->call_timeout_ms = (int) values [4];
    const char *cost = config_get (config, "web/pwhash", "interactive");
    size_t c = 0;
    while (c < sizeof s_costs / sizeof s_costs [0] && !streq (s_costs [c].name, cost))
        c++;
    if (c == sizeof s_costs / sizeof s_costs [0]) {
        log_error ("web/pwhash: expected interactive, moderate or sensitive", "value", json_string (cost), NULL);
        free (self);
        return NULL;
    }
    self->policy.opslimit = s_costs [c].ops;
    self->policy.memlimit = s_costs [c].mem;
    snprintf (self->http, sizeof self->http, "%s", config_get (config, "web/http", "127.0.0.1:7680"));
    self->tls_cert = config_path (config, "web/tls-cert", NULL);
    self->tls_key = config_path (config, "web/tls-key", NULL);
    snprintf (self->base_url, sizeof self->base_url, "%s%s", self->tls_cert? "https://": "http://", self->http);
    const char *url = config_get (config, "web/url", NULL);
    if (url)
        snprintf (self->base_url, sizeof self->base_url, "%s", url);
    size_t length = strlen (self->base_url);
    if (length && self->base_url [length - 1] == '/')
        self->base_url [length - 1] = 0;
    self->keys_dir = config_path (config, "keys/dir", "var/keys");
    return self;
}

void
web_destroy (web_t **self_p)
{
    if (!*self_p)
        return;
    web_http_stop (*self_p);
    free (*self_p);
    *self_p = NULL;
}

const auth_policy_t *web_policy (web_t *self)   { return &self->policy; }
const char *web_base_url (web_t *self)          { return self->base_url; }

client_t *
web_client_new (web_t *self, const char *name, const char *public_key,
                const uint8_t *secret_key, char *error, size_t size)
{
    char key [128];
    snprintf (key, sizeof key, "%s/api", name);
    const char *endpoint = config_get (service_config (self->service), key, NULL);
    char *server_key = transport_load_public_key (self->keys_dir, name);
    if (!endpoint || !server_key) {
        snprintf (error, size, "%s is not reachable from here: no %s", name,
                  endpoint? "public key": "endpoint");
        free (server_key);
        return NULL;
    }
    uint8_t public_bytes [32];
    if (!zmq_z85_decode (public_bytes, public_key)) {
        snprintf (error, size, "the session's public key does not decode");
        free (server_key);
        return NULL;
    }
    zcert_t *cert = zcert_new_from (public_bytes, secret_key);
    client_t *client = client_new (endpoint, server_key, cert);
    zcert_destroy (&cert);
    free (server_key);
    if (!client)
        snprintf (error, size, "cannot connect to %s", endpoint);
    return client;
}

int
web_audit (web_t *self, MDB_txn *txn, const char *actor, const char *method,
           Status outcome, const char *message)
{
    AccessEvent event = ACCESS_EVENT__INIT;
    event.actor_name = (char *) actor;
    event.service = "web";
    event.method = (char *) method;
    event.outcome = outcome;
    event.message = (char *) message;
    event.time_ms = clock_now_ms ();
    return outbox_append (service_outbox (self->service), txn, "audit", "access", actor, &event);
}
