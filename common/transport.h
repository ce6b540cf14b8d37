/*  transport: CURVE on every TCP socket, and our own ZAP handler.

    Every server socket is a CURVE server in ZAP domain "rcmq"; the ZAP
    handler (one actor per process, started before any server binds) admits
    a client key only when its admit function says so (the processes pass
    the access registry's gate, common/gate.h: ADR 21), and reports the Z85
    key as the connection's User-Id, which servers read from each request
    frame and look up again on every request.

    Keys live in a keys directory made by `rcmqctl keys init`:
        public/<name>.cert          public certs: services and people
        secret/<name>.cert_secret   secret certs of this host's processes
*/
#ifndef RCMQ_TRANSPORT_H
#define RCMQ_TRANSPORT_H

#include <czmq.h>

#define TRANSPORT_ZAP_DOMAIN "rcmq"
//  The broker's event sockets (ingest, fanout, replay): only keys of role
//  `service` get in, so no person's key can publish or read raw events.
#define TRANSPORT_ZAP_DOMAIN_EVENTS "rcmq-events"
//  The largest request a server takes by default (api/max-request-bytes):
//  libzmq drops a connection that sends a larger message before it
//  allocates it, and clients refuse to send one. Files go in chunks.
#define TRANSPORT_MAX_REQUEST_DEFAULT   (16LL << 20)
//  What CURVE adds around a message on the wire (command name, nonce,
//  MAC), so a request of exactly the limit still gets through.
#define TRANSPORT_CURVE_OVERHEAD        256

//  Decides one new connection: 0 admits the Z85 key to the ZAP domain;
//  -1 refuses it, with why (logged, and said to the client as the ZAP
//  status text). Runs in the ZAP handler's thread.
typedef int (transport_admit_fn) (void *arg, const char *domain, const char *key,
                                  char *why, size_t size);
//  Starts the ZAP handler for this process, deciding with admit (arg is
//  the handler's from now on: destroy_arg, when given, frees it as the
//  handler ends). NULL when it cannot start: a server must then not
//  start, since it could not refuse anyone.
zactor_t *transport_zap_new (transport_admit_fn *admit, void *arg, void (*destroy_arg) (void **arg_p));
//  Makes sock a CURVE server with this cert (before bind), in the "rcmq"
//  domain (any known key), or in a domain of choice.
void      transport_curve_server (zsock_t *sock, zcert_t *cert);
void      transport_curve_server_domain (zsock_t *sock, zcert_t *cert, const char *domain);
//  Makes sock a CURVE client of a server with the Z85 key (before connect).
void      transport_curve_client (zsock_t *sock, zcert_t *cert, const char *server_key);
//  Loads keys_dir/secret/<name>.cert_secret; NULL when missing or unreadable.
zcert_t  *transport_load_secret (const char *keys_dir, const char *name);
//  The Z85 public key in keys_dir/public/<name>.cert, fresh string; NULL when missing.
char     *transport_load_public_key (const char *keys_dir, const char *name);
//  The User-Id (Z85 key) that ZAP set on the connection a frame came from.
const char *transport_peer_key (zframe_t *frame);

#endif
