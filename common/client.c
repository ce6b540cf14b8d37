/*  client: see client.h. The lazy-pirate pattern: one DEALER; on timeout
    resend the same id; after the last attempt the socket is rebuilt so a
    late reply cannot be taken for the next call's. A socket monitor tells
    us when the server refused our key, so the error can say so instead of
    just "timed out".
*/
#include "client.h"
#include "clock.h"
#include "transport.h"

#include <sodium.h>

//  Below this, a dropped connection is not blamed on the request's size.
#define CLIENT_SMALL_REQUEST    (64 << 10)
//  After the server dropped the connection, how long to wait for it back.
#define CLIENT_RECONNECT_MS     5000
//  How often a call looks at its caller's watch (client_set_watch).
#define CLIENT_WATCH_MS         100

struct _client_t {
    char *endpoint;
    char *server_key;
    zcert_t *cert;
    zsock_t *socket;
    zsock_t *monitor;           //  PAIR fed by zmq_socket_monitor
    int timeout_ms;
    int retries;
    int64_t max_request;
    int64_t max_reply;
    bool auth_failed;
    bool disconnected;          //  the server closed the connection during a call
    bool connected;             //  a handshake succeeded since the last disconnect
    uint64_t sequence;
    client_watch_fn *watch;     //  client_set_watch's, or NULL
    void *watch_arg;
    char error [512];
};

static int
s_open (client_t *self)
{
    static uint64_t s_monitors;
    self->socket = zsock_new (ZMQ_DEALER);
    transport_curve_client (self->socket, self->cert, self->server_key);
    zsock_set_linger (self->socket, 0);
    if (self->max_reply > 0)
        zsock_set_maxmsgsize (self->socket, (int) (self->max_reply + TRANSPORT_CURVE_OVERHEAD));
    char monitor_endpoint [64];
    snprintf (monitor_endpoint, sizeof monitor_endpoint, "inproc://client-monitor-%d-%" PRIu64,
              getpid (), ++s_monitors);
    if (zmq_socket_monitor (zsock_resolve (self->socket), monitor_endpoint,
                            ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                          | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED) == 0) {
        self->monitor = zsock_new (ZMQ_PAIR);
        zsock_connect (self->monitor, "%s", monitor_endpoint);
    }
    self->auth_failed = false;
    self->connected = false;
    return zsock_connect (self->socket, "%s", self->endpoint);
}

static void
s_close (client_t *self)
{
    if (self->socket)
        zmq_socket_monitor (zsock_resolve (self->socket), NULL, 0);
    zsock_destroy (&self->monitor);
    zsock_destroy (&self->socket);
}

client_t *
client_new (const char *endpoint, const char *server_key, zcert_t *cert)
{
    assert (endpoint && server_key && cert);
    client_t *self = (client_t *) zmalloc (sizeof (client_t));
    self->endpoint = strdup (endpoint);
    self->server_key = strdup (server_key);
    self->cert = zcert_dup (cert);
    self->timeout_ms = 3000;
    self->retries = 2;
    self->max_request = TRANSPORT_MAX_REQUEST_DEFAULT;
    self->max_reply = CLIENT_MAX_REPLY_DEFAULT;
    if (s_open (self)) {
        client_destroy (&self);
        return NULL;
    }
    return self;
}

void
client_destroy (client_t **self_p)
{
    assert (self_p);
    client_t *self = *self_p;
    if (!self)
        return;
    s_close (self);
    zcert_destroy (&self->cert);
    free (self->endpoint);
    free (self->server_key);
    free (self);
    *self_p = NULL;
}

void
client_set_timeout (client_t *self, int timeout_ms)
{
    self->timeout_ms = timeout_ms;
}

void
client_set_retries (client_t *self, int retries)
{
    self->retries = retries;
}

void
client_set_watch (client_t *self, client_watch_fn *watch, void *arg)
{
    self->watch = watch;
    self->watch_arg = arg;
}

void
client_set_max_request (client_t *self, int64_t bytes)
{
    self->max_request = bytes;
}

void
client_set_max_reply (client_t *self, int64_t bytes)
{
    //  Takes effect on the socket: rebuild it.
    self->max_reply = bytes;
    s_close (self);
}

int64_t
client_max_request (client_t *self)
{
    return self->max_request;
}

const char *
client_error (client_t *self)
{
    return self->error;
}

const char *
client_endpoint (client_t *self)
{
    return self->endpoint;
}

static void
s_read_monitor (client_t *self)
{
    //  Monitor messages: [event u16 + value u32][endpoint].
    zmsg_t *msg = zmsg_recv (self->monitor);
    zframe_t *frame = msg? zmsg_first (msg): NULL;
    if (frame && zframe_size (frame) >= 2) {
        uint16_t event;
        memcpy (&event, zframe_data (frame), 2);
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            self->auth_failed = true;
        if (event == ZMQ_EVENT_DISCONNECTED) {
            self->disconnected = true;
            self->connected = false;
        }
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            self->connected = true;
    }
    zmsg_destroy (&msg);
}

Reply *
client_call_raw (client_t *self, const char *method, const uint8_t *body, size_t size)
{
    char id [48];
    uint8_t random [6];
    randombytes_buf (random, sizeof random);
    char random_hex [13];
    sodium_bin2hex (random_hex, sizeof random_hex, random, sizeof random);
    snprintf (id, sizeof id, "%d-%s-%" PRIu64, getpid (), random_hex, ++self->sequence);

    Request request = REQUEST__INIT;
    request.id = id;
    request.method = (char *) method;
    request.body.data = (uint8_t *) body;
    request.body.len = body? size: 0;
    //  The server would drop the connection: say why here instead.
    size_t request_size = protobuf_c_message_get_packed_size (&request.base);
    if (self->max_request > 0 && request_size > (size_t) self->max_request) {
        snprintf (self->error, sizeof self->error,
                  "%s: request %s of %zu bytes is larger than the %" PRId64 "-byte limit (api/max-request-bytes)",
                  self->endpoint, method, request_size, self->max_request);
        return NULL;
    }
    self->disconnected = false;
    bool gone = false, stopped = false;
    int attempts = self->retries + 1;
    request.deadline_ms = (uint64_t) zclock_time () + (uint64_t) self->timeout_ms * (uint64_t) attempts;

    for (int attempt = 0; attempt < attempts; attempt++) {
        if (!self->socket && s_open (self)) {
            snprintf (self->error, sizeof self->error, "%s: cannot connect: %s",
                      self->endpoint, zmq_strerror (zmq_errno ()));
            return NULL;
        }
        zframe_t *frame = codec_encode (&request);
        if (zframe_send (&frame, self->socket, 0)) {
            zframe_destroy (&frame);
            snprintf (self->error, sizeof self->error, "%s: cannot send: %s",
                      self->endpoint, zmq_strerror (zmq_errno ()));
            return NULL;
        }
        uint64_t started = clock_monotonic_ms ();
        uint64_t deadline = started + (uint64_t) self->timeout_ms;
        zpoller_t *poller = self->monitor? zpoller_new (self->socket, self->monitor, NULL)
                                         : zpoller_new (self->socket, NULL);
        while (true) {
            uint64_t now = clock_monotonic_ms ();
            //  Dropped and not back: the server is gone, do not wait out
            //  a long timeout for it.
            if (self->disconnected && !self->connected && now - started >= CLIENT_RECONNECT_MS) {
                gone = true;
                break;
            }
            if (now >= deadline)
                break;
            //  The caller knows the call is in vain (a bench whose
            //  deployment lost a process): no reply is waited for.
            if (self->watch && self->watch (self->watch_arg)) {
                stopped = true;
                break;
            }
            uint64_t wait = deadline - now;
            if (self->disconnected && !self->connected && wait > CLIENT_RECONNECT_MS)
                wait = CLIENT_RECONNECT_MS;
            if (self->watch && wait > CLIENT_WATCH_MS)
                wait = CLIENT_WATCH_MS;
            void *which = zpoller_wait (poller, (int) wait);
            if (which == self->monitor) {
                bool was_connected = self->connected;
                s_read_monitor (self);
                //  Dropped: no reply will come on that connection; resend.
                if (self->auth_failed || (was_connected && !self->connected))
                    break;
                continue;
            }
            if (!which && zpoller_expired (poller))
                continue;
            if (which != self->socket)
                break;
            zframe_t *answer = zframe_recv (self->socket);
            Reply *reply = (Reply *) codec_decode_frame (&reply__descriptor, answer);
            zframe_destroy (&answer);
            if (reply && streq (reply->id, id)) {
                zpoller_destroy (&poller);
                return reply;
            }
            codec_free (reply);     //  a stale answer to an earlier call
        }
        zpoller_destroy (&poller);
        if (self->auth_failed || gone || stopped)
            break;
    }
    //  Rebuild the socket so queued requests and late replies are dropped.
    s_close (self);
    if (stopped)
        snprintf (self->error, sizeof self->error, "no reply from %s to %s: the caller stopped waiting (its watch)",
                  self->endpoint, method);
    else
    if (self->auth_failed)
        snprintf (self->error, sizeof self->error,
                  "%s refused our CURVE key (the access registry does not hold it as active: never granted, or revoked or suspended)",
                  self->endpoint);
    else
    if (self->disconnected && request_size > CLIENT_SMALL_REQUEST)
        snprintf (self->error, sizeof self->error,
                  "no reply from %s to %s: it closed the connection (the request of %zu bytes is larger than"
                  " its api/max-request-bytes, or it restarted)", self->endpoint, method, request_size);
    else
    if (self->disconnected)
        snprintf (self->error, sizeof self->error, "no reply from %s to %s: it closed the connection (did it restart?)",
                  self->endpoint, method);
    else
        snprintf (self->error, sizeof self->error,
                  "no reply from %s to %s after %d attempt%s of %d ms (is it running? does it know this client's CURVE key?)",
                  self->endpoint, method, attempts, attempts == 1? "": "s", self->timeout_ms);
    return NULL;
}

Reply *
client_call (client_t *self, const char *method, const void *body)
{
    if (!body)
        return client_call_raw (self, method, NULL, 0);
    size_t size;
    uint8_t *packed = codec_pack (body, &size);
    Reply *reply = client_call_raw (self, method, packed, size);
    free (packed);
    return reply;
}
