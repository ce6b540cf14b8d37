/*  http: rcmq-web's HTTP side (libmicrohttpd), shared by http.c (daemon,
    routing, sign-in, sessions) and pages.c (what each page shows).

    A request runs start to end on the loop's thread: its route says
    whether it needs a session; a session is opened from the cookie (the
    user's key unsealed for this request only, wiped at the end); a POST
    must carry the session's CSRF token. A page fills the response (status,
    body, type, headers) and may call services through http_call, which
    uses the signed-in user's key.
*/
#ifndef RCMQ_WEB_HTTP_H
#define RCMQ_WEB_HTTP_H

#include "web.h"
#include "filters.h"
#include "html.h"

#include <microhttpd.h>

struct _web_t {
    service_t *service;
    auth_policy_t policy;
    char http [128];                //  listen address:port
    char base_url [256];
    const char *tls_cert;
    const char *tls_key;
    const char *keys_dir;
    struct MHD_Daemon *daemon;
    char *tls_cert_pem;
    char *tls_key_pem;
    int timer_id;
    bool polling;
    int call_timeout_ms;            //  per attempt, one resend (web/call-timeout-ms)
    zhashx_t *connections;          //  http_connections_t by session (ADR 41)
};

//  The services pages call: metrics, intake, claims (work items), audit.
#define HTTP_SERVICE_COUNT 5
extern const char *const http_services [HTTP_SERVICE_COUNT];

//  A signed-in session's connections to the services, made with the
//  user's key on first use and kept while the session is used (ADR 41):
//  a page's calls, and the next page's, go over the same CURVE
//  connections instead of a handshake each.
typedef struct {
    client_t *clients [HTTP_SERVICE_COUNT];
    uint64_t used_ms;
} http_connections_t;

//  Ends every session's connections (the daemon stops) / one session's
//  (it signed out).
void        http_connections_destroy (web_t *web);
void        http_connections_end (web_t *web, const char *token);

typedef struct {
    web_t *web;
    struct MHD_Connection *connection;
    const char *method;
    const char *path;
    zhash_t *form;                  //  POST fields
    bool signed_in;
    auth_session_t session;
    filters_t filters;
    //  The response
    int status;
    const char *content_type;
    html_t *body;
    char location [1024];
    char cookie [256];
    char disposition [160];
    //  The session's clients with the user's key, one per service a page
    //  reads (http_services, in that order): from web->connections.
    http_connections_t *connections;
    //  A service that did not answer once in this request is not asked
    //  again in it: a page makes up to ten calls, and each would wait the
    //  whole timeout on the loop's thread.
    bool down [HTTP_SERVICE_COUNT];
} http_request_t;

//  A query parameter (NULL when absent) / a form field.
const char *http_query (http_request_t *request, const char *name);
const char *http_form (http_request_t *request, const char *name);

//  Calls method on service name as the signed-in user; the reply body is
//  decoded into *reply (free with codec_free). Returns the reply's status;
//  when it is not OK (or there is no reply: UNAVAILABLE), error says why.
Status      http_call (http_request_t *request, const char *name, const char *method,
                       const void *body, const ProtobufCMessageDescriptor *reply_type,
                       void **reply, char *error, size_t size);

//  Responses
void        http_redirect (http_request_t *request, const char *location);
//  An HTML error page with status (text escaped).
void        http_error (http_request_t *request, int status, const char *text);
//  The page frame around a page's own markup: header, navigation with the
//  filters kept, sign-out form with the CSRF token.
void        http_page_begin (http_request_t *request, const char *title, const char *current);
void        http_page_end (http_request_t *request);

//  The pages (pages.c): each fills request's response.
typedef void (page_fn) (http_request_t *request);
page_fn pages_overview, pages_overview_csv, pages_aging, pages_aging_csv,
        pages_drill, pages_drill_csv, pages_scorecard, pages_scorecard_csv,
        pages_denials, pages_denials_csv, pages_denial_patterns_csv, pages_queues, pages_queues_csv, pages_pending,
        pages_work, pages_work_csv, pages_audit, pages_queue;

#endif
