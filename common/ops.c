/*  ops: see ops.h. Three parts: the request figures ops keeps (a count
    per method and status, a latency histogram per method, in two hashes
    whose keys are sorted when written, so a scrape reads the same way
    each time), the three routes, and the daemon in the loop (its epoll fd
    a zloop poller, a timer for its own timeouts).
*/
#include "ops.h"
#include "log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include "httploop.h"
#include <sys/time.h>

#define OPS_TICK_MS 250

struct _ops_t {
    char *process;
    double started_s;               //  wall clock, for process_start_time_seconds
    zhashx_t *requests;             //  "method\tstatus" -> uint64_t *
    zhashx_t *latency;              //  method -> expo_histogram_t *
    ops_collect_fn *collect;
    void *collect_arg;
    ops_ready_fn *ready;
    void *ready_arg;
    struct MHD_Daemon *daemon;
    zloop_t *loop;
    int timer_id;
    int epoll_fd;
    char *url;
};

static void
s_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

static void
s_histogram_free (void **item_p)
{
    expo_histogram_destroy ((expo_histogram_t **) item_p);
}

ops_t *
ops_new (const char *process)
{
    ops_t *self = (ops_t *) zmalloc (sizeof (ops_t));
    self->process = strdup (process);
    struct timeval now;
    gettimeofday (&now, NULL);
    self->started_s = (double) now.tv_sec + (double) now.tv_usec / 1e6;
    self->requests = zhashx_new ();
    zhashx_set_destructor (self->requests, s_free);
    self->latency = zhashx_new ();
    zhashx_set_destructor (self->latency, s_histogram_free);
    self->epoll_fd = -1;
    return self;
}

void
ops_destroy (ops_t **self_p)
{
    ops_t *self = *self_p;
    if (!self)
        return;
    ops_stop (self);
    zhashx_destroy (&self->requests);
    zhashx_destroy (&self->latency);
    free (self->process);
    free (self->url);
    free (self);
    *self_p = NULL;
}

void
ops_on_collect (ops_t *self, ops_collect_fn *fn, void *arg)
{
    self->collect = fn;
    self->collect_arg = arg;
}

void
ops_on_ready (ops_t *self, ops_ready_fn *fn, void *arg)
{
    self->ready = fn;
    self->ready_arg = arg;
}

const char *
ops_url (ops_t *self)
{
    return self && self->daemon? self->url: NULL;
}

void
ops_request (ops_t *self, const char *method, const char *status, double seconds)
{
    if (!method)
        method = "unknown";
    char key [256];
    snprintf (key, sizeof key, "%s\t%s", method, status);
    uint64_t *count = (uint64_t *) zhashx_lookup (self->requests, key);
    if (!count) {
        count = (uint64_t *) zmalloc (sizeof (uint64_t));
        zhashx_insert (self->requests, key, count);
    }
    (*count)++;
    expo_histogram_t *histogram = (expo_histogram_t *) zhashx_lookup (self->latency, method);
    if (!histogram) {
        histogram = expo_histogram_new (expo_latency_bounds, expo_latency_bound_count);
        zhashx_insert (self->latency, method, histogram);
    }
    expo_histogram_observe (histogram, seconds);
}

static int
s_compare (const void *a, const void *b)
{
    return strcmp ((const char *) a, (const char *) b);
}

//  The keys of a hash, sorted (a list to destroy).
static zlistx_t *
s_sorted_keys (zhashx_t *hash)
{
    zlistx_t *keys = zhashx_keys (hash);
    zlistx_set_comparator (keys, (zlistx_comparator_fn *) s_compare);
    zlistx_sort (keys);
    return keys;
}

char *
ops_scrape (ops_t *self)
{
    expo_t *out = expo_new ();
    expo_family (out, "rcmq_build_info", EXPO_GAUGE, "The rcmq process and its version; always 1.");
    expo_sample (out, "rcmq_build_info",
                 (const char *const []) { "process", self->process, "version", RCMQ_VERSION, NULL }, 1);
    expo_family (out, "process_start_time_seconds", EXPO_GAUGE,
                 "Start time of the process since the Unix epoch, in seconds (the wall clock, not RCMQ_NOW).");
    expo_sample (out, "process_start_time_seconds", NULL, self->started_s);

    expo_family (out, "rcmq_requests_total", EXPO_COUNTER,
                 "Requests on the api socket handled to a reply, by method and status (\"unknown\": no such method).");
    zlistx_t *keys = s_sorted_keys (self->requests);
    for (const char *key = (const char *) zlistx_first (keys); key; key = (const char *) zlistx_next (keys)) {
        char method [256];
        snprintf (method, sizeof method, "%s", key);
        char *tab = strchr (method, '\t');
        assert (tab);
        *tab = 0;
        uint64_t *count = (uint64_t *) zhashx_lookup (self->requests, key);
        expo_sample (out, "rcmq_requests_total",
                     (const char *const []) { "method", method, "status", tab + 1, NULL }, (double) *count);
    }
    zlistx_destroy (&keys);

    expo_family (out, "rcmq_request_duration_seconds", EXPO_HISTOGRAM,
                 "Time from a request's arrival to its reply (its store transaction included), by method.");
    keys = s_sorted_keys (self->latency);
    for (const char *key = (const char *) zlistx_first (keys); key; key = (const char *) zlistx_next (keys))
        expo_histogram (out, "rcmq_request_duration_seconds", (const char *const []) { "method", key, NULL },
                        (expo_histogram_t *) zhashx_lookup (self->latency, key));
    zlistx_destroy (&keys);

    if (self->collect)
        self->collect (out, self->collect_arg);
    char *text = strdup (expo_text (out));
    expo_destroy (&out);
    return text;
}

void
ops_store_figures (expo_t *out, store_t *store)
{
    //  The env is opened MDB_NOTLS; a read transaction here is on the
    //  loop's thread in any case, and ends before we return.
    MDB_txn *txn = store_read_begin (store);
    MDB_envinfo info;
    MDB_stat stat;
    bool known = false;
    if (txn) {
        MDB_env *env = mdb_txn_env (txn);
        known = mdb_env_info (env, &info) == 0 && mdb_env_stat (env, &stat) == 0;
        store_read_end (&txn);
    }
    //  A figure that cannot be read has no sample (absent, not 0).
    expo_family (out, "rcmq_store_map_size_bytes", EXPO_GAUGE,
                 "The LMDB map size of the process's store (it grows on MDB_MAP_FULL).");
    if (known)
        expo_sample (out, "rcmq_store_map_size_bytes", NULL, (double) info.me_mapsize);
    expo_family (out, "rcmq_store_map_used_bytes", EXPO_GAUGE,
                 "Bytes of the LMDB map in use: the pages up to the last one written.");
    if (known)
        expo_sample (out, "rcmq_store_map_used_bytes", NULL,
                     (double) (info.me_last_pgno + 1) * (double) stat.ms_psize);
}

//  --------------------------------------------------------------------------
//  Routes

typedef struct {
    unsigned int status;
    const char *content_type;
    char *body;                     //  to free
} s_answer_t;

static void
s_metrics (ops_t *self, s_answer_t *answer)
{
    answer->content_type = "text/plain; version=0.0.4; charset=utf-8";
    answer->body = ops_scrape (self);
}

static void
s_healthz (ops_t *self, s_answer_t *answer)
{
    (void) self;
    answer->body = strdup ("ok\n");
}

static void
s_readyz (ops_t *self, s_answer_t *answer)
{
    char why [512] = "";
    if (!self->ready || self->ready (self->ready_arg, why, sizeof why))
        answer->body = strdup ("ready\n");
    else {
        answer->status = MHD_HTTP_SERVICE_UNAVAILABLE;
        answer->body = zsys_sprintf ("not ready: %s\n", why);
    }
}

static const struct {
    const char *path;
    void (*answer) (ops_t *self, s_answer_t *answer);
} s_routes [] = {
    { "/metrics", s_metrics },
    { "/healthz", s_healthz },
    { "/readyz",  s_readyz },
};

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version; (void) upload_data;
    ops_t *self = (ops_t *) cls;
    //  The first call is for the headers; answer on the second, when any
    //  body (which we ignore) has been read.
    if (!*con_cls) {
        *con_cls = self;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    s_answer_t answer = { MHD_HTTP_OK, "text/plain; charset=utf-8", NULL };
    bool found = false;
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes [0] && !found; i++)
        if (streq (url, s_routes [i].path)) {
            found = true;
            if (streq (method, "GET") || streq (method, "HEAD"))
                s_routes [i].answer (self, &answer);
            else {
                answer.status = MHD_HTTP_METHOD_NOT_ALLOWED;
                answer.body = zsys_sprintf ("%s takes GET only\n", url);
            }
        }
    if (!found) {
        answer.status = MHD_HTTP_NOT_FOUND;
        answer.body = zsys_sprintf ("no such path: %s (this is an ops port: /metrics, /healthz, /readyz)\n", url);
    }
    struct MHD_Response *response = MHD_create_response_from_buffer (strlen (answer.body), answer.body,
                                                                     MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header (response, "Content-Type", answer.content_type);
    MHD_add_response_header (response, "Cache-Control", "no-store");
    if (answer.status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header (response, "Allow", "GET, HEAD");
    enum MHD_Result result = MHD_queue_response (connection, answer.status, response);
    MHD_destroy_response (response);
    return result;
}

//  --------------------------------------------------------------------------
//  The daemon in the loop (httploop.h)

int
ops_start (ops_t *self, config_t *config, zloop_t *loop)
{
    assert (!self->daemon);
    char key [128], url_key [128];
    snprintf (key, sizeof key, "%s/ops", self->process);
    snprintf (url_key, sizeof url_key, "%s/ops-url", self->process);
    const char *value = config_get (config, key, NULL);
    if (!value || !*value)
        return 0;
    char host [128];
    snprintf (host, sizeof host, "%s", value);
    char *colon = strrchr (host, ':');
    struct sockaddr_in address = { 0 };
    address.sin_family = AF_INET;
    char *end = NULL;
    unsigned long port = colon? strtoul (colon + 1, &end, 10): 0;
    if (colon)
        *colon = 0;
    if (!colon || !end || *end || port == 0 || port > 65535
    ||  inet_pton (AF_INET, host, &address.sin_addr) != 1) {
        log_error ("ops port: expected an IPv4 address and port, e.g. 127.0.0.1:7691",
                   "setting", json_string (key), "value", json_string (value), NULL);
        return -1;
    }
    address.sin_port = htons ((uint16_t) port);
    self->daemon = MHD_start_daemon (MHD_USE_EPOLL | MHD_USE_ERROR_LOG, (uint16_t) port, NULL, NULL,
                                     s_access, self,
                                     MHD_OPTION_SOCK_ADDR, &address,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 30,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 64,
                                     MHD_OPTION_END);
    if (!self->daemon) {
        log_error ("ops port: cannot listen", "setting", json_string (key), "address", json_string (value),
                   "error", json_string (strerror (errno)), NULL);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    zmq_pollitem_t item = { NULL, info->epoll_fd, ZMQ_POLLIN, 0 };
    if (zloop_poller (loop, &item, httploop_ready, self->daemon)) {
        log_error ("ops port: cannot poll the HTTP daemon", NULL);
        MHD_stop_daemon (self->daemon);
        self->daemon = NULL;
        return -1;
    }
    self->loop = loop;
    self->epoll_fd = info->epoll_fd;
    self->timer_id = zloop_timer (loop, OPS_TICK_MS, 0, httploop_tick, self->daemon);
    free (self->url);
    const char *url = config_get (config, url_key, NULL);
    self->url = url && *url? strdup (url): zsys_sprintf ("http://%s", value);
    log_info ("ops port listening", "url", json_string (self->url), "address", json_string (value), NULL);
    return 0;
}

void
ops_stop (ops_t *self)
{
    if (!self->daemon)
        return;
    if (self->loop) {
        zmq_pollitem_t item = { NULL, self->epoll_fd, ZMQ_POLLIN, 0 };
        zloop_poller_end (self->loop, &item);
        zloop_timer_end (self->loop, self->timer_id);
        self->loop = NULL;
    }
    MHD_stop_daemon (self->daemon);
    self->daemon = NULL;
}
