/*  rcmq-web: the process (see web.h). The skeleton gives it its store,
    outbox, api socket and loop; this file reads its settings and starts
    the HTTP daemon in the start hook, after the api socket is ready.

    Settings (docs/configuration.md, docs/dashboard.md):
      web/http            address:port the dashboard listens on (127.0.0.1:7680)
      web/url             its public base URL, for links (http://<web/http>)
      web/tls-cert, web/tls-key   PEM files: serve HTTPS (cookies get Secure)
      web/idle-minutes (30), web/session-hours (12), web/lockout-failures (5),
      web/lockout-minutes (15), web/pwhash (interactive | moderate | sensitive)
*/
#include "web.h"
#include "clock.h"
#include "log.h"
#include "transport.h"

#include <sodium.h>

static const char *const s_tables [] = { WEB_TABLES, NULL };


static int
s_start (service_t *service)
{
    return web_http_start ((web_t *) service_state (service));
}

static void
s_stop (service_t *service)
{
    web_http_stop ((web_t *) service_state (service));
}

static const service_def_t s_service = {
    .name = "web",
    .tables = s_tables,
    .methods = web_methods,
    .state_new = (service_state_new_fn *) web_new,
    .state_destroy = (service_state_destroy_fn *) web_destroy,
    .start = s_start,
    .stop = s_stop,
};

int
main (int argc, char *argv [])
{
    return service_main (&s_service, argc, argv);
}
