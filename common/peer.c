/*  peer: a service's client of another service's api (see peer.h).

    The client is made lazily: the first call reads the peer's endpoint
    and public key and connects; a failure to find either is that call's
    error (and the next call tries again), so a deployment where the peer
    starts later, or is not configured, loses nothing but the calls that
    need it.
*/
#include "peer.h"
#include "transport.h"

struct _peer_t {
    config_t *config;
    zcert_t *cert;
    char *name;
    client_t *client;
    int timeout_ms;
    int retries;
    char error [512];
};

peer_t *
peer_new (config_t *config, zcert_t *cert, const char *name)
{
    assert (config && cert && name);
    peer_t *self = (peer_t *) zmalloc (sizeof (peer_t));
    self->config = config;
    self->cert = zcert_dup (cert);
    self->name = strdup (name);
    self->timeout_ms = 3000;
    self->retries = 2;
    return self;
}

void
peer_destroy (peer_t **self_p)
{
    peer_t *self = *self_p;
    if (!self)
        return;
    client_destroy (&self->client);
    zcert_destroy (&self->cert);
    free (self->name);
    free (self);
    *self_p = NULL;
}

void
peer_set_timeout (peer_t *self, int timeout_ms, int retries)
{
    self->timeout_ms = timeout_ms;
    self->retries = retries;
    if (self->client) {
        client_set_timeout (self->client, timeout_ms);
        client_set_retries (self->client, retries);
    }
}

static int
s_connect (peer_t *self)
{
    if (self->client)
        return 0;
    char key [128];
    snprintf (key, sizeof key, "%s/api", self->name);
    const char *endpoint = config_get (self->config, key, NULL);
    const char *keys_dir = config_path (self->config, "keys/dir", "var/keys");
    if (!endpoint) {
        snprintf (self->error, sizeof self->error, "%s cannot be called from here: no %s setting", self->name, key);
        return -1;
    }
    char *server_key = transport_load_public_key (keys_dir, self->name);
    if (!server_key) {
        snprintf (self->error, sizeof self->error, "%s cannot be called from here: no public key %s/public/%s.cert",
                  self->name, keys_dir, self->name);
        return -1;
    }
    self->client = client_new (endpoint, server_key, self->cert);
    free (server_key);
    if (!self->client) {
        snprintf (self->error, sizeof self->error, "%s: cannot connect to %s", self->name, endpoint);
        return -1;
    }
    client_set_timeout (self->client, self->timeout_ms);
    client_set_retries (self->client, self->retries);
    return 0;
}

Reply *
peer_call (peer_t *self, const char *method, const void *body)
{
    self->error [0] = 0;
    if (s_connect (self))
        return NULL;
    Reply *reply = client_call (self->client, method, body);
    if (!reply)
        snprintf (self->error, sizeof self->error, "%s: %s", self->name, client_error (self->client));
    return reply;
}

const char *
peer_error (peer_t *self)
{
    return self->error;
}
