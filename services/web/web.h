/*  rcmq-web: the leaders' dashboard (issue 18, docs/dashboard.md, ADR 27).

    One process, one zloop (common/service.h): the api socket (web.Passwd,
    web.Link for rcmqctl), and libmicrohttpd in external-poll mode, its
    epoll fd a zloop poller, so HTTP requests, api requests and the outbox
    relay all run on the one thread that writes the store. Pages call the
    services with the signed-in user's own key (auth.h); they are
    server-rendered HTML with inline SVG (pages.c, svg.c).

    The parts: auth (users, links, sessions, CSRF, cookies), filters (URL
    query <-> MetricsFilters), html (escaping buffer), svg (charts), http
    (libmicrohttpd glue, routing, sign-in), pages (what each page shows),
    methods (the api).
*/
#ifndef RCMQ_WEB_H
#define RCMQ_WEB_H

#include "service.h"
#include "auth.h"
#include "client.h"

typedef struct _web_t web_t;

web_t      *web_new (service_t *service);
void        web_destroy (web_t **self_p);
//  Starts / stops the HTTP daemon (start and stop hooks).
int         web_http_start (web_t *self);
void        web_http_stop (web_t *self);

const auth_policy_t *web_policy (web_t *self);
//  The dashboard's base URL ("http://127.0.0.1:7680"), for links.
const char *web_base_url (web_t *self);
//  A client of service name's api with the given user's key; NULL (error
//  filled) when the service's key or endpoint is missing.
client_t   *web_client_new (web_t *self, const char *name, const char *public_key,
                            const uint8_t *secret_key, char *error, size_t size);
//  Writes an access record of the gateway's own (a sign-in) in txn.
int         web_audit (web_t *self, MDB_txn *txn, const char *actor, const char *method,
                       Status outcome, const char *message);

extern const server_method_t web_methods [];

#endif
