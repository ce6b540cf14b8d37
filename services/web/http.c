/*  http: see http.h. libmicrohttpd parses HTTP; this file routes, signs
    in and out, opens the session of each request and frames pages.

    libmicrohttpd runs in external-poll mode with epoll: its epoll fd is a
    zloop poller, and a timer runs it for its own timeouts, so requests are
    served on the loop's thread, the one that writes the store. A request's
    access callback is called several times: first to set up (a POST gets
    a post processor), then with body bytes, then once with none, when we
    answer.
*/
#include "httploop.h"
#include "http.h"
#include "clock.h"
#include "log.h"

#include <arpa/inet.h>
#include <sodium.h>

#define HTTP_MAX_FIELD   4096           //  a form field's bytes
#define HTTP_PRE_COOKIE  "rcmq_signin"  //  the sign-in form's double-submit token

//  --------------------------------------------------------------------------
//  Routes

typedef enum { ROUTE_PUBLIC, ROUTE_SESSION } route_access_t;

static page_fn s_signin_form, s_signin_post, s_signin_link, s_signout;

static const struct {
    const char *method;
    const char *path;
    bool prefix;                    //  path is a prefix ("/link/<token>")
    route_access_t access;
    page_fn *page;
} s_routes [] = {
    { "GET",  "/signin",        false, ROUTE_PUBLIC,  s_signin_form },
    { "POST", "/signin",        false, ROUTE_PUBLIC,  s_signin_post },
    { "GET",  "/link/",         true,  ROUTE_PUBLIC,  s_signin_link },
    { "POST", "/signout",       false, ROUTE_SESSION, s_signout },
    { "GET",  "/",              false, ROUTE_SESSION, pages_overview },
    { "GET",  "/overview.csv",  false, ROUTE_SESSION, pages_overview_csv },
    { "GET",  "/aging",         false, ROUTE_SESSION, pages_aging },
    { "GET",  "/aging.csv",     false, ROUTE_SESSION, pages_aging_csv },
    { "GET",  "/drill",         false, ROUTE_SESSION, pages_drill },
    { "GET",  "/drill.csv",     false, ROUTE_SESSION, pages_drill_csv },
    { "GET",  "/scorecard",     false, ROUTE_SESSION, pages_scorecard },
    { "GET",  "/scorecard.csv", false, ROUTE_SESSION, pages_scorecard_csv },
    { "GET",  "/denials",       false, ROUTE_SESSION, pages_denials },
    { "GET",  "/denials.csv",   false, ROUTE_SESSION, pages_denials_csv },
    { "GET",  "/denial-patterns.csv", false, ROUTE_SESSION, pages_denial_patterns_csv },
    { "GET",  "/work",          false, ROUTE_SESSION, pages_work },
    { "GET",  "/work.csv",      false, ROUTE_SESSION, pages_work_csv },
    { "GET",  "/audit",         false, ROUTE_SESSION, pages_audit },
    { "GET",  "/queues",        false, ROUTE_SESSION, pages_queues },
    { "GET",  "/queues.csv",    false, ROUTE_SESSION, pages_queues_csv },
    { "GET",  "/queue",         false, ROUTE_SESSION, pages_queue },
    { "GET",  "/patients",      false, ROUTE_SESSION, pages_pending },
};
#define ROUTE_COUNT (sizeof s_routes / sizeof s_routes [0])

//  The navigation, in order.
static const struct {
    const char *path;
    const char *title;
} s_nav [] = {
    { "/", "Overview" }, { "/aging", "A/R aging" }, { "/denials", "Denials" }, { "/work", "Work" },
    { "/scorecard", "Scorecard" }, { "/queues", "Queues & gates" }, { "/patients", "Patient follow-up" },
    { "/audit", "Audit" },
};

//  --------------------------------------------------------------------------
//  Request helpers

const char *const http_services [HTTP_SERVICE_COUNT] = { "metrics", "intake", "claims", "audit", "denials" };

const char *
http_query (http_request_t *request, const char *name)
{
    return MHD_lookup_connection_value (request->connection, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_form (http_request_t *request, const char *name)
{
    return request->form? (const char *) zhash_lookup (request->form, name): NULL;
}

static const char *
s_query_get (void *arg, const char *name)
{
    return http_query ((http_request_t *) arg, name);
}

Status
http_call (http_request_t *request, const char *name, const char *method,
           const void *body, const ProtobufCMessageDescriptor *reply_type,
           void **reply_body, char *error, size_t size)
{
    assert (request->signed_in);
    //  The services pages read, each with its client slot.
    size_t slot = 0;
    while (slot < HTTP_SERVICE_COUNT && !streq (http_services [slot], name))
        slot++;
    assert (slot < HTTP_SERVICE_COUNT);
    assert (request->connections);
    client_t **client = &request->connections->clients [slot];
    bool *down = &request->down [slot];
    *reply_body = NULL;
    if (*down) {
        snprintf (error, size, "%s did not answer", name);
        return STATUS__UNAVAILABLE;
    }
    if (!*client) {
        *client = web_client_new (request->web, name, request->session.public_key,
                                  request->session.secret_key, error, size);
        if (*client) {
            client_set_timeout (*client, request->web->call_timeout_ms);
            client_set_retries (*client, 1);
        }
    }
    if (!*client)
        return STATUS__UNAVAILABLE;
    Reply *reply = client_call (*client, method, body);
    if (!reply) {
        *down = true;
        snprintf (error, size, "%s", client_error (*client));
        //  A connection that did not answer is not kept: the next page
        //  starts a fresh one (a late reply dies with this one).
        client_destroy (client);
        return STATUS__UNAVAILABLE;
    }
    Status status = reply->status;
    if (status != STATUS__OK)
        snprintf (error, size, "%s: %s", codec_status_name (status), reply->message);
    else {
        *reply_body = codec_decode (reply_type, reply->body.data, reply->body.len);
        if (!*reply_body) {
            snprintf (error, size, "%s: the reply is not a valid %s", method, reply_type->name);
            status = STATUS__INTERNAL;
        }
    }
    codec_free (reply);
    return status;
}

void
http_redirect (http_request_t *request, const char *location)
{
    request->status = MHD_HTTP_SEE_OTHER;
    snprintf (request->location, sizeof request->location, "%s", location);
    html_printf (request->body, "<!DOCTYPE html><p><a href=\"");
    html_text (request->body, location);
    html_printf (request->body, "\">Continue</a></p>\n");
}

static const char *s_style =
    "body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fafafa}"
    "header{background:#123;color:#fff;padding:.5em 1em;display:flex;flex-wrap:wrap;gap:1em;align-items:center}"
    "header a{color:#fff}nav a{margin-right:.8em}nav a[aria-current]{font-weight:bold;text-decoration:none}"
    "main{padding:1em;max-width:1200px}"
    ".tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:.8em}"
    ".tile{background:#fff;border:1px solid #ccc;border-radius:6px;padding:.6em}"
    ".tile .value{font-size:1.6em;font-weight:bold}.tile .prev{color:#555;font-size:.9em}"
    "table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}form.filters{margin:.5em 0 1em;display:flex;flex-wrap:wrap;gap:.5em}"
    "form.filters label{display:flex;flex-direction:column;font-size:.85em}"
    ".pending{border:1px dashed #999;padding:1em;background:#fff}a.bar:focus rect{stroke:#000;stroke-width:2}"
    "button{font:inherit}.scroll{overflow-x:auto;max-width:100%}";

void
http_page_begin (http_request_t *request, const char *title, const char *current)
{
    html_t *out = request->body;
    html_printf (out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                 "<title>");
    html_text (out, title);
    html_printf (out, " · rcmq</title><style>%s</style></head><body><header><strong>rcmq</strong><nav>", s_style);
    html_t *query = html_new ();
    filters_query (&request->filters, query);
    for (size_t i = 0; i < sizeof s_nav / sizeof s_nav [0]; i++) {
        html_printf (out, "<a href=\"%s%s", s_nav [i].path, html_size (query)? "?": "");
        html_text (out, html_data (query));
        html_printf (out, "\"%s>%s</a>", current && streq (current, s_nav [i].path)? " aria-current=\"page\"": "",
                     s_nav [i].title);
    }
    html_destroy (&query);
    html_printf (out, "</nav><span>");
    html_text (out, request->session.user);
    html_printf (out, "</span><form method=\"post\" action=\"/signout\"><input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                 "<button type=\"submit\">Sign out</button></form></header><main><h1>", request->session.csrf);
    html_text (out, title);
    html_printf (out, "</h1>\n");
}

void
http_page_end (http_request_t *request)
{
    html_printf (request->body, "</main></body></html>\n");
}

void
http_error (http_request_t *request, int status, const char *text)
{
    request->status = status;
    request->content_type = "text/html; charset=utf-8";
    html_destroy (&request->body);
    request->body = html_new ();
    html_printf (request->body, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%d</title>"
                 "</head><body><main><h1>%d</h1><p class=\"error\">", status, status);
    html_text (request->body, text);
    html_printf (request->body, "</p><p><a href=\"/\">Overview</a></p></main></body></html>\n");
}

//  --------------------------------------------------------------------------
//  Sign-in, links, sign-out

typedef struct {
    web_t *web;
    const char *user;
    const char *password;
    const char *token;
    auth_outcome_t outcome;
    bool locked_now;
    auth_session_t *session;
} s_signin_t;

static int
s_signin_password_txn (store_t *store, MDB_txn *txn, void *arg)
{
    s_signin_t *signin = (s_signin_t *) arg;
    auth_session_clear (signin->session);
    int rc = auth_signin_password (store, txn, &signin->web->policy, signin->user, signin->password,
                                   clock_now_ms (), &signin->outcome, &signin->locked_now, signin->session);
    if (rc)
        return rc;
    //  Every attempt is an access record with the user as actor: a
    //  lockout in a log is how an attack on a password shows.
    static const struct { Status status; const char *message; } s_audit [] = {
        [AUTH_OK] = { STATUS__OK, "signed in with password" },
        [AUTH_BAD] = { STATUS__UNAUTHENTICATED, "wrong user or password" },
        [AUTH_LOCKED] = { STATUS__PERMISSION_DENIED, "locked after failed sign-ins" },
        [AUTH_EXPIRED] = { STATUS__UNAUTHENTICATED, "expired" },
    };
    const char *message = signin->locked_now? "wrong password; now locked after failed sign-ins"
                                            : s_audit [signin->outcome].message;
    return web_audit (signin->web, txn, signin->user, "web.SignIn", s_audit [signin->outcome].status, message);
}

static int
s_signin_link_txn (store_t *store, MDB_txn *txn, void *arg)
{
    s_signin_t *signin = (s_signin_t *) arg;
    auth_session_clear (signin->session);
    int rc = auth_signin_link (store, txn, &signin->web->policy, signin->token, clock_now_ms (),
                               &signin->outcome, signin->session);
    if (rc)
        return rc;
    bool ok = signin->outcome == AUTH_OK;
    return web_audit (signin->web, txn, ok? signin->session->user: "(unknown link)", "web.SignInLink",
                      ok? STATUS__OK: STATUS__UNAUTHENTICATED,
                      ok? "signed in with a one-time link": "link unknown, used or expired");
}

static void
s_signin_page (http_request_t *request, const char *message)
{
    //  The form's own CSRF token (double submit: a cookie and a field
    //  that must match), so no other site can sign a browser in.
    uint8_t bytes [32];
    char token [65];
    randombytes_buf (bytes, sizeof bytes);
    sodium_bin2hex (token, sizeof token, bytes, sizeof bytes);
    snprintf (request->cookie, sizeof request->cookie, "%s=%s; Path=/signin; HttpOnly; SameSite=Strict%s",
              HTTP_PRE_COOKIE, token, request->web->tls_cert? "; Secure": "");
    html_t *out = request->body;
    html_printf (out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                 "<title>Sign in · rcmq</title><style>%s</style></head><body><main><h1>Sign in</h1>", s_style);
    if (message) {
        html_printf (out, "<p class=\"error\" role=\"alert\">");
        html_text (out, message);
        html_printf (out, "</p>");
    }
    html_printf (out, "<form method=\"post\" action=\"/signin\">"
                 "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                 "<p><label for=\"user\">User</label><br><input id=\"user\" name=\"user\" autocomplete=\"username\" required></p>"
                 "<p><label for=\"password\">Password</label><br><input id=\"password\" name=\"password\" type=\"password\" "
                 "autocomplete=\"current-password\" required></p><p><button type=\"submit\">Sign in</button></p>"
                 "</form></main></body></html>\n", token);
}

static void
s_signin_form (http_request_t *request)
{
    s_signin_page (request, NULL);
}

static void
s_signin_post (http_request_t *request)
{
    const char *cookie = MHD_lookup_connection_value (request->connection, MHD_COOKIE_KIND, HTTP_PRE_COOKIE);
    const char *field = http_form (request, "csrf");
    if (!cookie || !field || strlen (cookie) != 64 || strlen (field) != 64
    ||  sodium_memcmp (cookie, field, 64) != 0) {
        http_error (request, MHD_HTTP_FORBIDDEN, "The sign-in form's CSRF token is missing or wrong: "
                    "open the sign-in page again.");
        return;
    }
    const char *user = http_form (request, "user");
    const char *password = http_form (request, "password");
    s_signin_t signin = { request->web, user? user: "", password? password: "", NULL,
                          AUTH_BAD, false, &request->session };
    if (store_write (service_store (request->web->service), s_signin_password_txn, &signin)) {
        http_error (request, MHD_HTTP_INTERNAL_SERVER_ERROR, "The sign-in could not be recorded.");
        return;
    }
    service_kick (request->web->service);
    if (signin.outcome == AUTH_OK) {
        auth_cookie (request->session.token, request->web->tls_cert != NULL, request->cookie, sizeof request->cookie);
        auth_session_clear (&request->session);
        http_redirect (request, "/");
        return;
    }
    request->status = signin.outcome == AUTH_LOCKED || signin.locked_now? MHD_HTTP_TOO_MANY_REQUESTS
                                                                          : MHD_HTTP_UNAUTHORIZED;
    s_signin_page (request, signin.outcome == AUTH_LOCKED || signin.locked_now
                   ? "Too many failed sign-ins: this user is locked for a while."
                   : "Wrong user or password.");
}

static void
s_signin_link (http_request_t *request)
{
    s_signin_t signin = { request->web, NULL, NULL, request->path + strlen ("/link/"),
                          AUTH_BAD, false, &request->session };
    if (store_write (service_store (request->web->service), s_signin_link_txn, &signin)) {
        http_error (request, MHD_HTTP_INTERNAL_SERVER_ERROR, "The sign-in could not be recorded.");
        return;
    }
    service_kick (request->web->service);
    if (signin.outcome != AUTH_OK) {
        http_error (request, MHD_HTTP_FORBIDDEN, signin.outcome == AUTH_EXPIRED
                    ? "This sign-in link has expired: ask for a new one."
                    : "This sign-in link is not valid: it was used already or never issued.");
        return;
    }
    auth_cookie (request->session.token, request->web->tls_cert != NULL, request->cookie, sizeof request->cookie);
    auth_session_clear (&request->session);
    http_redirect (request, "/");
}

static int
s_signout_txn (store_t *store, MDB_txn *txn, void *arg)
{
    http_request_t *request = (http_request_t *) arg;
    int rc = auth_session_close (store, txn, request->session.token);
    return rc? rc: web_audit (request->web, txn, request->session.user, "web.SignOut", STATUS__OK, "signed out");
}

static void
s_signout (http_request_t *request)
{
    if (store_write (service_store (request->web->service), s_signout_txn, request)) {
        http_error (request, MHD_HTTP_INTERNAL_SERVER_ERROR, "The sign-out could not be recorded.");
        return;
    }
    service_kick (request->web->service);
    http_connections_end (request->web, request->session.token);
    request->connections = NULL;
    auth_cookie (NULL, request->web->tls_cert != NULL, request->cookie, sizeof request->cookie);
    http_redirect (request, "/signin");
}

//  --------------------------------------------------------------------------
//  Sessions

typedef struct {
    web_t *web;
    const char *token;
    auth_outcome_t outcome;
    auth_session_t *session;
} s_open_t;

static int
s_open_txn (store_t *store, MDB_txn *txn, void *arg)
{
    s_open_t *open = (s_open_t *) arg;
    auth_session_clear (open->session);
    return auth_session_open (store, txn, &open->web->policy, open->token, clock_now_ms (),
                              &open->outcome, open->session);
}

//  --------------------------------------------------------------------------
//  Each session's connections (ADR 41)
//
//  Kept by a hash of the session's token (the token opens the session
//  first, every request, so only its holder reaches them), ended when the
//  session signs out, after the session's idle time unused, and the least
//  recently used first when there are HTTP_CONNECTIONS_MAX sessions.

#define HTTP_CONNECTIONS_MAX 256

static void
s_connections_free (void **item)
{
    http_connections_t *connections = (http_connections_t *) *item;
    if (!connections)
        return;
    for (size_t slot = 0; slot < HTTP_SERVICE_COUNT; slot++)
        client_destroy (&connections->clients [slot]);
    free (connections);
    *item = NULL;
}

static void
s_connections_key (const char *token, char *key)
{
    uint8_t hash [16];
    crypto_generichash (hash, sizeof hash, (const uint8_t *) token, strlen (token), NULL, 0);
    sodium_bin2hex (key, 33, hash, sizeof hash);
}

static http_connections_t *
s_connections (web_t *web, const char *token, uint64_t now_ms)
{
    if (!web->connections) {
        web->connections = zhashx_new ();
        zhashx_set_destructor (web->connections, s_connections_free);
    }
    //  Sessions unused for their idle time have ended (or will, when
    //  opened): their connections go.
    zlistx_t *ended = zlistx_new ();
    zlistx_set_destructor (ended, (zlistx_destructor_fn *) zstr_free);
    const char *oldest = NULL;
    uint64_t oldest_ms = UINT64_MAX;
    for (http_connections_t *connections = (http_connections_t *) zhashx_first (web->connections); connections;
         connections = (http_connections_t *) zhashx_next (web->connections)) {
        const char *key = (const char *) zhashx_cursor (web->connections);
        if (connections->used_ms + web->policy.idle_ms < now_ms)
            zlistx_add_end (ended, strdup (key));
        else
        if (connections->used_ms < oldest_ms) {
            oldest_ms = connections->used_ms;
            oldest = key;
        }
    }
    char key [33];
    s_connections_key (token, key);
    http_connections_t *connections = (http_connections_t *) zhashx_lookup (web->connections, key);
    if (!connections && zhashx_size (web->connections) - zlistx_size (ended) >= HTTP_CONNECTIONS_MAX && oldest)
        zlistx_add_end (ended, strdup (oldest));
    for (const char *gone = (const char *) zlistx_first (ended); gone; gone = (const char *) zlistx_next (ended))
        if (!streq (gone, key))
            zhashx_delete (web->connections, gone);
    zlistx_destroy (&ended);
    if (!connections) {
        connections = (http_connections_t *) zmalloc (sizeof (http_connections_t));
        zhashx_insert (web->connections, key, connections);
    }
    connections->used_ms = now_ms;
    return connections;
}

void
http_connections_end (web_t *web, const char *token)
{
    if (!web->connections || !token)
        return;
    char key [33];
    s_connections_key (token, key);
    zhashx_delete (web->connections, key);
}

void
http_connections_destroy (web_t *web)
{
    zhashx_destroy (&web->connections);
}

//  --------------------------------------------------------------------------
//  libmicrohttpd callbacks

typedef struct {
    zhash_t *form;
    struct MHD_PostProcessor *post;
    bool too_big;
} s_context_t;

static enum MHD_Result
s_post_field (void *arg, enum MHD_ValueKind kind, const char *key, const char *filename,
              const char *content_type, const char *transfer_encoding, const char *data,
              uint64_t offset, size_t size)
{
    (void) kind; (void) filename; (void) content_type; (void) transfer_encoding;
    s_context_t *context = (s_context_t *) arg;
    const char *had = (const char *) zhash_lookup (context->form, key);
    size_t had_size = had? strlen (had): 0;
    if (offset != had_size || had_size + size > HTTP_MAX_FIELD) {
        context->too_big = true;
        return MHD_NO;
    }
    char *value = (char *) zmalloc (had_size + size + 1);
    if (had)
        memcpy (value, had, had_size);
    memcpy (value + had_size, data, size);
    zhash_update (context->form, key, value);
    zhash_freefn (context->form, key, free);
    return MHD_YES;
}

static void
s_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
             enum MHD_RequestTerminationCode code)
{
    (void) cls; (void) connection; (void) code;
    s_context_t *context = (s_context_t *) *con_cls;
    if (!context)
        return;
    if (context->post)
        MHD_destroy_post_processor (context->post);
    zhash_destroy (&context->form);
    free (context);
    *con_cls = NULL;
}

static void
s_serve (http_request_t *request)
{
    size_t r = 0;
    for (; r < ROUTE_COUNT; r++) {
        bool path = s_routes [r].prefix? strncmp (request->path, s_routes [r].path, strlen (s_routes [r].path)) == 0
                                       : streq (request->path, s_routes [r].path);
        if (path && streq (request->method, s_routes [r].method))
            break;
    }
    if (r == ROUTE_COUNT) {
        http_error (request, MHD_HTTP_NOT_FOUND, "No such page.");
        return;
    }
    if (s_routes [r].access == ROUTE_SESSION) {
        //  No session, a forged or ended one: to the sign-in page.
        const char *token = MHD_lookup_connection_value (request->connection, MHD_COOKIE_KIND, AUTH_COOKIE_NAME);
        s_open_t open = { request->web, token, AUTH_BAD, &request->session };
        if (token && store_write (service_store (request->web->service), s_open_txn, &open)) {
            http_error (request, MHD_HTTP_INTERNAL_SERVER_ERROR, "The session could not be read.");
            return;
        }
        if (!token || open.outcome != AUTH_OK) {
            if (token) {    //  forget a cookie that opens nothing, and its connections
                http_connections_end (request->web, token);
                auth_cookie (NULL, request->web->tls_cert != NULL, request->cookie, sizeof request->cookie);
            }
            http_redirect (request, "/signin");
            return;
        }
        request->signed_in = true;
        request->connections = s_connections (request->web, request->session.token, clock_now_ms ());
        if (streq (request->method, "POST") && !auth_csrf_check (request->session.token, http_form (request, "csrf"))) {
            http_error (request, MHD_HTTP_FORBIDDEN, "The form's CSRF token is missing or wrong.");
            return;
        }
        char error [256];
        if (filters_parse (&request->filters, s_query_get, request, error, sizeof error)) {
            http_error (request, MHD_HTTP_BAD_REQUEST, error);
            return;
        }
    }
    s_routes [r].page (request);
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version;
    web_t *self = (web_t *) cls;
    s_context_t *context = (s_context_t *) *con_cls;
    if (!context) {
        context = (s_context_t *) zmalloc (sizeof (s_context_t));
        context->form = zhash_new ();
        if (streq (method, "POST"))
            context->post = MHD_create_post_processor (connection, 1024, s_post_field, context);
        *con_cls = context;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (context->post && !context->too_big)
            MHD_post_process (context->post, upload_data, *upload_data_size);
        else
            context->too_big = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    http_request_t request = { 0 };
    request.web = self;
    request.connection = connection;
    request.method = method;
    request.path = url;
    request.form = context->form;
    request.status = MHD_HTTP_OK;
    request.content_type = "text/html; charset=utf-8";
    request.body = html_new ();
    if (context->too_big || (streq (method, "POST") && !context->post))
        http_error (&request, MHD_HTTP_BAD_REQUEST, "The form is not one this server takes.");
    else
        s_serve (&request);
    auth_session_clear (&request.session);

    size_t size;
    char *body = html_take (request.body, &size);
    html_destroy (&request.body);
    struct MHD_Response *response = MHD_create_response_from_buffer (size, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header (response, "Content-Type", request.content_type);
    //  No script runs, nothing loads from elsewhere, no page frames ours,
    //  and no URL (a one-time link's token) leaks in a Referer.
    MHD_add_response_header (response, "Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                             "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "Referrer-Policy", "no-referrer");
    MHD_add_response_header (response, "Cache-Control", "no-store");
    if (*request.location)
        MHD_add_response_header (response, "Location", request.location);
    if (*request.cookie)
        MHD_add_response_header (response, "Set-Cookie", request.cookie);
    if (*request.disposition)
        MHD_add_response_header (response, "Content-Disposition", request.disposition);
    enum MHD_Result result = MHD_queue_response (connection, (unsigned int) request.status, response);
    MHD_destroy_response (response);
    return result;
}

//  --------------------------------------------------------------------------
//  The daemon in the loop (httploop.h)

static char *
s_read_pem (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    zchunk_t *chunk = zchunk_read (file, 1 << 20);
    fclose (file);
    if (!chunk)
        return NULL;
    char *text = zchunk_strdup (chunk);
    zchunk_destroy (&chunk);
    return text;
}

int
web_http_start (web_t *self)
{
    char host [128];
    snprintf (host, sizeof host, "%s", self->http);
    char *colon = strrchr (host, ':');
    struct sockaddr_in address = { 0 };
    address.sin_family = AF_INET;
    unsigned long port = colon? strtoul (colon + 1, NULL, 10): 0;
    if (colon)
        *colon = 0;
    if (!colon || port == 0 || port > 65535 || inet_pton (AF_INET, host, &address.sin_addr) != 1) {
        log_error ("web/http: expected an IPv4 address and port, e.g. 127.0.0.1:7680",
                   "value", json_string (self->http), NULL);
        return -1;
    }
    address.sin_port = htons ((uint16_t) port);
    unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem options [8];
    size_t count = 0;
    options [count++] = (struct MHD_OptionItem) { MHD_OPTION_SOCK_ADDR, 0, &address };
    options [count++] = (struct MHD_OptionItem) { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t) s_completed, NULL };
    options [count++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL };
    options [count++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_LIMIT, 256, NULL };
    if (self->tls_cert || self->tls_key) {
        self->tls_cert_pem = self->tls_cert? s_read_pem (self->tls_cert): NULL;
        self->tls_key_pem = self->tls_key? s_read_pem (self->tls_key): NULL;
        if (!self->tls_cert_pem || !self->tls_key_pem) {
            log_error ("web/tls-cert and web/tls-key: both must name readable PEM files",
                       "cert", json_string (self->tls_cert? self->tls_cert: ""),
                       "key", json_string (self->tls_key? self->tls_key: ""), NULL);
            return -1;
        }
        flags |= MHD_USE_TLS;
        options [count++] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_CERT, 0, self->tls_cert_pem };
        options [count++] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_KEY, 0, self->tls_key_pem };
    }
    options [count++] = (struct MHD_OptionItem) { MHD_OPTION_END, 0, NULL };
    self->daemon = MHD_start_daemon (flags, (uint16_t) port, NULL, NULL, s_access, self,
                                     MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    if (!self->daemon) {
        log_error ("cannot listen for HTTP", "address", json_string (self->http), NULL);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    zmq_pollitem_t item = { NULL, info->epoll_fd, ZMQ_POLLIN, 0 };
    zloop_t *loop = service_loop (self->service);
    if (zloop_poller (loop, &item, httploop_ready, self->daemon)) {
        log_error ("cannot poll the HTTP daemon", NULL);
        return -1;
    }
    self->polling = true;
    self->timer_id = zloop_timer (loop, 250, 0, httploop_tick, self->daemon);
    log_info ("dashboard listening", "url", json_string (self->base_url), NULL);
    return 0;
}

void
web_http_stop (web_t *self)
{
    if (!self->daemon)
        return;
    zloop_t *loop = service_loop (self->service);
    if (loop && self->polling) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        zmq_pollitem_t item = { NULL, info->epoll_fd, ZMQ_POLLIN, 0 };
        zloop_poller_end (loop, &item);
        zloop_timer_end (loop, self->timer_id);
        self->polling = false;
    }
    MHD_stop_daemon (self->daemon);
    self->daemon = NULL;
    http_connections_destroy (self);
    if (self->tls_key_pem)
        sodium_memzero (self->tls_key_pem, strlen (self->tls_key_pem));
    zstr_free (&self->tls_key_pem);
    zstr_free (&self->tls_cert_pem);
}
