/*  client: calls a service's api socket (DEALER, CURVE client).

    A call sends Request{id, method, body, deadline} and waits for the
    Reply with that id. When no reply comes within the timeout it resends
    the same request id (the server answers a repeated id from its reply
    cache instead of running it twice), up to the retry count; then it
    gives up with an error that names the endpoint, and says so when the
    server refused our CURVE key during the handshake.

    Requests have a size limit (api/max-request-bytes, 16 MiB unless set):
    the client refuses to send a larger one, with an error that says so,
    since the server would only drop the connection. Replies have one too
    (client_set_max_reply), so a server cannot make a client allocate
    whatever it sends.
*/
#ifndef RCMQ_CLIENT_H
#define RCMQ_CLIENT_H

#include <czmq.h>
#include "codec.h"

typedef struct _client_t client_t;

//  endpoint: "tcp://127.0.0.1:7611"; server_key: its Z85 public key;
//  cert: our own secret cert (the client keeps a duplicate).
client_t   *client_new (const char *endpoint, const char *server_key, zcert_t *cert);
void        client_destroy (client_t **self_p);
//  Per-attempt timeout (default 3000 ms) and resends (default 2).
void        client_set_timeout (client_t *self, int timeout_ms);
void        client_set_retries (client_t *self, int retries);
//  A check a call runs about every 100 ms while it waits for a reply:
//  when it returns true the call stops waiting and returns NULL, its error
//  saying so. For a caller that knows sooner than any timeout that no
//  reply will come (a bench whose deployment lost a process: bench_watch).
//  NULL (the default): none.
typedef bool (client_watch_fn) (void *arg);
void        client_set_watch (client_t *self, client_watch_fn *watch, void *arg);
//  Largest request to send (default TRANSPORT_MAX_REQUEST_DEFAULT; 0: no
//  check here, the server's limit still holds) and largest reply to take
//  (default CLIENT_MAX_REPLY_DEFAULT).
#define CLIENT_MAX_REPLY_DEFAULT (256LL << 20)
void        client_set_max_request (client_t *self, int64_t bytes);
void        client_set_max_reply (client_t *self, int64_t bytes);
int64_t     client_max_request (client_t *self);

//  Calls method with body (a protobuf-c message, or NULL for empty).
//  Returns the Reply (free with codec_free), whatever its status, or NULL
//  when none came; client_error() then says why.
Reply      *client_call (client_t *self, const char *method, const void *body);
//  Same, with the body already packed.
Reply      *client_call_raw (client_t *self, const char *method, const uint8_t *body, size_t size);
const char *client_error (client_t *self);
const char *client_endpoint (client_t *self);

#endif
