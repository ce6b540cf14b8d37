/*  peer: a service's client of another service's api, with its own key.

    A service that asks another to act (denials asking claims for a
    corrected claim: docs/denials-claims-api.md) calls that service's api
    like rcmqctl does, over CURVE with the calling process's own
    certificate, so the callee's gate sees the caller as itself (role
    service) and grants only what that role holds. The caller never links
    the callee's code: the request and reply are the callee's protobuf
    messages, nothing more (ADR 0037).

    The endpoint is the callee's `<name>/api` setting and its public key
    in `<keys/dir>/public/<name>.cert`, as every process of a deployment reads them.
    The client is made on first use and kept: a peer that is down when the
    caller starts is no start-up error, only the call that needs it fails.
*/
#ifndef RCMQ_PEER_H
#define RCMQ_PEER_H

#include "client.h"
#include "config.h"

typedef struct _peer_t peer_t;

//  name: the service to call ("claims"); cert: the caller's own secret
//  certificate (the peer keeps a duplicate).
peer_t     *peer_new (config_t *config, zcert_t *cert, const char *name);
void        peer_destroy (peer_t **self_p);
//  Calls method with body (a protobuf-c message or NULL). The Reply (free
//  with codec_free), whatever its status; NULL when the peer cannot be
//  reached or none came, and peer_error() says why, naming the peer.
Reply      *peer_call (peer_t *self, const char *method, const void *body);
const char *peer_error (peer_t *self);
//  Per-attempt timeout (ms) and resends for the calls (client_set_*).
void        peer_set_timeout (peer_t *self, int timeout_ms, int retries);

#endif
