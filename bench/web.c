/*  bench/web: what the dashboard's Overview costs a leader, with N claims
    loaded, under 20 concurrent browsers, next to the cost of the one call
    it is made of most (metrics.Kpi), measured in the same run.

    It starts a whole deployment with scripts/run --empty (real processes,
    CURVE, LMDB) in a temp dir, stops it, loads N claims into rcmq-metrics'
    store in-process (bench_events: the year of claims bench/metrics uses,
    applied through metrics_apply in batches as the consumer would), and
    starts it again. Then:

        overview   --clients threads (20), each signed in with its own
                   one-time link (rcmqctl web link leader: its own session),
                   GET / --requests times (10) on its own connection each
                   time; latency of each whole response (median, p99) and
                   pages per second over the wall clock
        kpi        metrics.Kpi as the Overview asks it (no filter, default
                   period), with leader's own key straight to rcmq-metrics,
                   one call after another (--kpi-calls, 200): the limit

    The Overview makes three calls (this and the previous period's Kpi,
    one 12-month Trend of its nine headline KPIs) over the session's kept
    CURVE connection under the user's key (ADR 27, 41), on rcmq-web's one
    loop thread: the ratio says how many Kpi calls' worth a page costs,
    times the clients queued on that thread.

    The HTTP client here is a plain GET over a socket, enough for a bench:
    rcmq-web's side is libmicrohttpd's parser.

    It prints a table and ends with ONE JSON line:
        {"name":"web","figures":{...},"limits":{...},"ratios":{...}}

    Usage: web [--claims N] [--clients C] [--requests R] [--kpi-calls K]
               [--port-base P] [--keep]
*/
#include "bench_util.h"
#include "bench_events.h"
#include "metrics.h"
#include "facts.h"
#include "client.h"
#include "config.h"
#include "transport.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#define BENCH_DEFAULT_CLAIMS    100000
#define BENCH_DEFAULT_CLIENTS   20
#define BENCH_DEFAULT_REQUESTS  10
#define BENCH_DEFAULT_KPI_CALLS 200
#define BENCH_DEFAULT_PORT_BASE 26500
#define BENCH_BATCH             2000

#ifndef RCMQ_SOURCE_DIR
#define RCMQ_SOURCE_DIR "."
#endif

//  --------------------------------------------------------------------------
//  A GET over a socket: the status, and the session cookie when one is set

typedef struct {
    int status;
    char cookie [160];              //  "rcmq_session=<hex>" or ""
    size_t bytes;
} s_response_t;

static int
s_get (int port, const char *path, const char *cookie, s_response_t *response)
{
    memset (response, 0, sizeof *response);
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &address, sizeof address)) {
        close (fd);
        return -1;
    }
    char request [1024];
    int length = snprintf (request, sizeof request,
                           "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s%sConnection: close\r\n\r\n",
                           path, port, cookie? "Cookie: ": "", cookie? cookie: "", cookie? "\r\n": "");
    if (write (fd, request, (size_t) length) != length) {
        close (fd);
        return -1;
    }
    //  Headers are kept (the first 8 KB); the body is only counted.
    char head [8192];
    size_t kept = 0;
    char buf [65536];
    ssize_t got;
    while ((got = read (fd, buf, sizeof buf)) > 0) {
        if (kept < sizeof head - 1) {
            size_t take = (size_t) got < sizeof head - 1 - kept? (size_t) got: sizeof head - 1 - kept;
            memcpy (head + kept, buf, take);
            kept += take;
        }
        response->bytes += (size_t) got;
    }
    close (fd);
    head [kept] = 0;
    if (sscanf (head, "HTTP/1.%*d %d", &response->status) != 1)
        return -1;
    const char *set = strstr (head, "\r\nSet-Cookie: rcmq_session=");
    if (set) {
        set += strlen ("\r\nSet-Cookie: ");
        size_t span = strcspn (set, ";\r");
        snprintf (response->cookie, sizeof response->cookie, "%.*s", (int) span, set);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The deployment

typedef struct {
    char dir [4096];
    char var [4200];
    char conf [4300];
    char build [4096];
    int port_base;
} s_deployment_t;

static int
s_run (s_deployment_t *self, const char *command, const char *option)
{
    char script [4200];
    snprintf (script, sizeof script, "%s/scripts/run", RCMQ_SOURCE_DIR);
    char *argv [] = { script, (char *) command, (char *) option, NULL };
    return bench_run (self->dir, argv, NULL);
}

//  rcmqctl web link leader: a one-time URL's path ("/link/<token>").
static int
s_link (s_deployment_t *self, char *path, size_t size)
{
    char ctl [4200], out [4200];
    snprintf (ctl, sizeof ctl, "%s/cli/rcmqctl", self->build);
    snprintf (out, sizeof out, "%s/link.txt", self->dir);
    char *argv [] = { ctl, "--config", self->conf, "web", "link", "leader", NULL };
    if (bench_run (self->dir, argv, out))
        return -1;
    FILE *file = fopen (out, "r");
    char url [512] = "";
    if (!file || !fgets (url, sizeof url, file)) {
        if (file)
            fclose (file);
        return -1;
    }
    fclose (file);
    url [strcspn (url, "\r\n")] = 0;
    const char *at = strstr (url, "/link/");
    if (!at)
        return -1;
    snprintf (path, size, "%s", at);
    return 0;
}

typedef struct {
    bench_events_t *events;
    size_t from;
    size_t count;
} s_batch_t;

static int
s_apply_batch (store_t *store, MDB_txn *txn, void *arg)
{
    s_batch_t *batch = (s_batch_t *) arg;
    for (size_t i = batch->from; i < batch->from + batch->count; i++) {
        int rc = metrics_apply (store, txn, batch->events->events [i], NULL);
        if (rc)
            return rc;
    }
    return 0;
}

//  N claims into the stopped rcmq-metrics' store. Its consumer offsets are
//  left as they are: the deployment's own (few) events still apply on top.
static int
s_load (s_deployment_t *self, size_t claims, double *seconds)
{
    char dir [4400], error [512];
    snprintf (dir, sizeof dir, "%s/data/metrics", self->var);
    static const char *const tables [] = { METRICS_TABLES, "offsets", "meta", NULL };
    store_t *store = store_new (dir, tables, error, sizeof error);
    if (!store) {
        fprintf (stderr, "web: metrics store: %s\n", error);
        return -1;
    }
    bench_events_t events = { 0 };
    bench_events_make (&events, claims, metrics_today ());
    uint64_t start = bench_usec ();
    int rc = 0;
    for (size_t at = 0; at < events.count && rc == 0; at += BENCH_BATCH) {
        s_batch_t batch = { &events, at, events.count - at < BENCH_BATCH? events.count - at: BENCH_BATCH };
        rc = store_write (store, s_apply_batch, &batch);
    }
    *seconds = (double) (bench_usec () - start) / 1e6;
    if (rc)
        fprintf (stderr, "web: applying the claims failed: %s\n", store_error (store));
    bench_events_free (&events);
    store_destroy (&store);
    return rc? -1: 0;
}

//  --------------------------------------------------------------------------
//  The clients

typedef struct {
    int port;
    char cookie [160];
    size_t requests;
    uint64_t *latency;              //  usec, one per request
    size_t failed;
} s_client_t;

static void *
s_client_run (void *arg)
{
    s_client_t *self = (s_client_t *) arg;
    for (size_t i = 0; i < self->requests; i++) {
        s_response_t response;
        uint64_t start = bench_usec ();
        int rc = s_get (self->port, "/", self->cookie, &response);
        self->latency [i] = bench_usec () - start;
        if (rc || response.status != 200)
            self->failed++;
    }
    return NULL;
}

static int
s_compare_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y? -1: x > y;
}

//  Median and p99 of count latencies (sorted in place), in ms.
static void
s_percentiles (uint64_t *latency, size_t count, double *median, double *p99)
{
    qsort (latency, count, sizeof (uint64_t), s_compare_u64);
    *median = count? latency [count / 2] / 1000.0: 0;
    size_t at = count? (size_t) ((double) (count - 1) * 0.99): 0;
    *p99 = count? latency [at] / 1000.0: 0;
}

//  metrics.Kpi with leader's key, one call after another.
static int
s_kpi_calls (s_deployment_t *self, size_t calls, uint64_t *latency)
{
    config_t *config = config_new ();
    if (config_load (config, self->conf)) {
        fprintf (stderr, "web: %s: %s\n", self->conf, config_error (config));
        config_destroy (&config);
        return -1;
    }
    const char *keys = config_path (config, "keys/dir", "var/keys");
    zcert_t *cert = transport_load_secret (keys, "leader");
    char *server_key = transport_load_public_key (keys, "metrics");
    const char *endpoint = config_get (config, "metrics/api", NULL);
    client_t *client = cert && server_key && endpoint? client_new (endpoint, server_key, cert): NULL;
    int rc = client? 0: -1;
    if (client)
        client_set_timeout (client, 30000);
    for (size_t i = 0; i < calls && rc == 0; i++) {
        KpiRequest body = KPI_REQUEST__INIT;
        MetricsFilters filters = METRICS_FILTERS__INIT;
        MetricsPeriod period = METRICS_PERIOD__INIT;
        body.filters = &filters;
        body.period = &period;
        uint64_t start = bench_usec ();
        Reply *reply = client_call (client, "metrics.Kpi", &body);
        latency [i] = bench_usec () - start;
        if (!reply || reply->status != STATUS__OK) {
            fprintf (stderr, "web: metrics.Kpi: %s\n", reply? reply->message: client_error (client));
            rc = -1;
        }
        codec_free (reply);
    }
    client_destroy (&client);
    free (server_key);
    zcert_destroy (&cert);
    config_destroy (&config);
    return rc;
}

//  --------------------------------------------------------------------------

int
main (int argc, char *argv [])
{
    size_t claims = BENCH_DEFAULT_CLAIMS, clients = BENCH_DEFAULT_CLIENTS;
    size_t requests = BENCH_DEFAULT_REQUESTS, kpi_calls = BENCH_DEFAULT_KPI_CALLS;
    int port_base = BENCH_DEFAULT_PORT_BASE;
    bool keep = false;
    static const struct option options [] = {
        { "claims", required_argument, NULL, 'n' }, { "clients", required_argument, NULL, 'c' },
        { "requests", required_argument, NULL, 'r' }, { "kpi-calls", required_argument, NULL, 'k' },
        { "port-base", required_argument, NULL, 'p' }, { "keep", no_argument, NULL, 'K' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
    };
    int option;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        long value = optarg? atol (optarg): 0;
        if (option == 'K')
            keep = true;
        else
        if (option == 'h' || option == '?' || value < 1) {
            fprintf (stderr, "usage: web [--claims N] [--clients C] [--requests R] [--kpi-calls K] "
                             "[--port-base P] [--keep]\n");
            return option == 'h'? 0: 2;
        }
        else
        if (option == 'n')
            claims = (size_t) value;
        else
        if (option == 'c')
            clients = (size_t) value;
        else
        if (option == 'r')
            requests = (size_t) value;
        else
        if (option == 'k')
            kpi_calls = (size_t) value;
        else
            port_base = (int) value;
    }

    s_deployment_t deployment = { .port_base = port_base };
    bench_build_dir (deployment.build, sizeof deployment.build);
    if (bench_tmpdir (deployment.dir, sizeof deployment.dir, "web")) {
        perror ("mkdtemp");
        return 1;
    }
    snprintf (deployment.var, sizeof deployment.var, "%s/var", deployment.dir);
    snprintf (deployment.conf, sizeof deployment.conf, "%s/rcmq.conf", deployment.var);
    char port_text [16];
    snprintf (port_text, sizeof port_text, "%d", port_base);
    setenv ("RCMQ_VAR", deployment.var, 1);
    setenv ("RCMQ_BUILD", deployment.build, 1);
    setenv ("RCMQ_NO_BUILD", "1", 1);
    setenv ("RCMQ_PORT_BASE", port_text, 1);
    setenv ("RCMQ_START_TIMEOUT", "120", 0);
    int web_port = port_base + 80;

    printf ("bench/web: %zu claims, %zu clients x %zu Overview pages, %zu metrics.Kpi calls (log: %s/bench.log)\n",
            claims, clients, requests, kpi_calls, deployment.dir);
    fflush (stdout);
    double load_seconds = 0;
    int rc = s_run (&deployment, "--empty", NULL);
    if (rc == 0)
        rc = s_run (&deployment, "stop", NULL);
    if (rc == 0)
        rc = s_load (&deployment, claims, &load_seconds);
    if (rc == 0)
        rc = s_run (&deployment, "start", "--empty");
    if (rc) {
        fprintf (stderr, "web: the deployment did not start or load (see %s/bench.log)\n", deployment.dir);
        s_run (&deployment, "stop", NULL);
        return 1;
    }

    //  Each client signs in with its own link (its own session); one warm
    //  page each, untimed, so the clients start together.
    s_client_t *client = (s_client_t *) calloc (clients, sizeof (s_client_t));
    uint64_t *latency = (uint64_t *) calloc (clients * requests, sizeof (uint64_t));
    for (size_t c = 0; c < clients && rc == 0; c++) {
        char path [256];
        s_response_t response;
        if (s_link (&deployment, path, sizeof path) || s_get (web_port, path, NULL, &response)
        ||  response.status != 303 || !*response.cookie) {
            fprintf (stderr, "web: signing in client %zu failed\n", c);
            rc = -1;
            break;
        }
        client [c] = (s_client_t) { .port = web_port, .requests = requests, .latency = latency + c * requests };
        snprintf (client [c].cookie, sizeof client [c].cookie, "%s", response.cookie);
    }
    s_response_t warm = { 0 };
    if (rc == 0 && (s_get (web_port, "/", client [0].cookie, &warm) || warm.status != 200)) {
        fprintf (stderr, "web: the Overview answered %d\n", warm.status);
        rc = -1;
    }
    double overview_median = 0, overview_p99 = 0, pages_per_s = 0, kpi_median = 0, kpi_p99 = 0;
    size_t failed = 0;
    if (rc == 0) {
        pthread_t *threads = (pthread_t *) calloc (clients, sizeof (pthread_t));
        uint64_t start = bench_usec ();
        for (size_t c = 0; c < clients; c++)
            pthread_create (&threads [c], NULL, s_client_run, &client [c]);
        for (size_t c = 0; c < clients; c++) {
            pthread_join (threads [c], NULL);
            failed += client [c].failed;
        }
        pages_per_s = bench_rate ((double) (clients * requests), bench_usec () - start);
        free (threads);
        s_percentiles (latency, clients * requests, &overview_median, &overview_p99);
        uint64_t *kpi = (uint64_t *) calloc (kpi_calls, sizeof (uint64_t));
        rc = s_kpi_calls (&deployment, kpi_calls, kpi);
        s_percentiles (kpi, kpi_calls, &kpi_median, &kpi_p99);
        free (kpi);
    }
    s_run (&deployment, "stop", NULL);
    free (latency);
    free (client);
    if (rc) {
        fprintf (stderr, "web: failed (see %s/bench.log and %s/log)\n", deployment.dir, deployment.var);
        return 1;
    }

    printf ("\n%-28s %12s %12s %12s\n", "", "median ms", "p99 ms", "per second");
    printf ("%-28s %12.1f %12.1f %12.1f\n", "Overview page (web)", overview_median, overview_p99, pages_per_s);
    printf ("%-28s %12.1f %12.1f %12.1f\n", "metrics.Kpi call (limit)", kpi_median, kpi_p99,
            kpi_median > 0? 1000.0 / kpi_median: 0);
    printf ("claims loaded in %.1f s; %zu pages failed; Overview median = %.1f x one metrics.Kpi\n",
            load_seconds, failed, kpi_median > 0? overview_median / kpi_median: 0);

    json_t *figures = json_pack ("{s:I, s:I, s:I, s:f, s:f, s:f, s:I, s:f}",
                                 "claims", (json_int_t) claims, "clients", (json_int_t) clients,
                                 "pages", (json_int_t) (clients * requests), "overview_median_ms", overview_median,
                                 "overview_p99_ms", overview_p99, "overview_pages_per_s", pages_per_s,
                                 "failed", (json_int_t) failed, "load_s", load_seconds);
    json_t *limits = json_pack ("{s:f, s:f}", "kpi_median_ms", kpi_median, "kpi_p99_ms", kpi_p99);
    json_t *ratios = json_pack ("{s:f, s:f}",
                                "overview_median_over_kpi", kpi_median > 0? overview_median / kpi_median: 0,
                                "overview_p99_over_kpi", kpi_p99 > 0? overview_p99 / kpi_p99: 0);
    bench_print_line ("web", figures, limits, ratios, 6);
    if (!keep)
        bench_rmtree (deployment.dir);
    return failed? 1: 0;
}
