/*  service: see service.h. The order of start-up matters: the ZAP handler
    runs before any server socket binds (else libzmq would admit anyone),
    and the store opens before the relay reads its outbox.
*/
#include "service.h"
#include "clock.h"
#include "failpoint.h"
#include "files.h"
#include "log.h"
#include "memory.h"
#include "ops.h"
#include "transport.h"

#include <getopt.h>
#include <sys/stat.h>
#include <sodium.h>

#define SERVICE_FLUSH_MS 5000
#define SERVICE_FAILPOINT_MS 250        //  how often a failpoint passed over is looked for

struct _service_t {
    const service_def_t *def;
    config_t *config;
    store_t *store;
    outbox_t *outbox;
    relay_t *relay;
    consumer_t *consumer;
    server_t *server;
    gate_t *gate;                           //  who connects and acts (the registry)
    zactor_t *zap;
    zcert_t *cert;
    phi_key_t *phi_key;
    workservice_t *work;                    //  def->work: items, methods, escalation
    zloop_t *loop;
    void *state;
    problems_t *problems;
    failpoint_t *failpoint;                 //  RCMQ_FAIL_APPLY's entries for us, or NULL
    uint64_t started_ms;
    bool migrate;                           //  --migrate: upgrade the store and exit
    uint64_t clock_moved_ms;                //  how far the store's time moved the clock
    char health_method [64];
    char skip_method [64];
    char list_method [64];
    server_method_t health [4];         //  and the deadletter methods
    ops_t *ops;                         //  the ops port (<name>/ops): /metrics, /healthz, /readyz
    bool heard_broker;                  //  the consumer has heard the broker since start
    int64_t ready_lag;                  //  ops/ready-lag: events behind a stream that still count as ready
};

const char *service_name (service_t *self)       { return self->def->name; }
store_t    *service_store (service_t *self)      { return self->store; }
outbox_t   *service_outbox (service_t *self)     { return self->outbox; }
config_t   *service_config (service_t *self)     { return self->config; }
zloop_t    *service_loop (service_t *self)       { return self->loop; }
consumer_t *service_consumer (service_t *self)   { return self->consumer; }
void       *service_state (service_t *self)      { return self->state; }
problems_t *service_problems (service_t *self)   { return self->problems; }
phi_key_t  *service_phi_key (service_t *self)    { return self->phi_key; }
workservice_t *service_work (service_t *self)    { return self->work; }
zcert_t    *service_cert (service_t *self)       { return self->cert; }

char *
service_folder (service_t *self, const char *key, const char *name, bool create)
{
    const char *data_dir = config_path (self->config, "data/dir", "var/data");
    char fallback [PATH_MAX];
    snprintf (fallback, sizeof fallback, "%s/%s", data_dir, name);
    char *path = strdup (config_path (self->config, key, fallback));
    char error [512];
    if (create && files_dir_create (path, error, sizeof error)) {
        log_error ("cannot make the folder", "setting", json_string (key), "error", json_string (error), NULL);
        free (path);
        return NULL;
    }
    return path;
}

void
service_kick (service_t *self)
{
    if (self->relay)
        relay_kick (self->relay);
}

void
service_add_methods (service_t *self, const server_method_t *methods)
{
    server_add_methods (self->server, methods);
}

static void
s_kick (void *arg)
{
    service_t *self = (service_t *) arg;
    service_kick (self);
    //  A DeadletterSkip that just committed lets its stream go on.
    if (self->consumer)
        consumer_reload (self->consumer);
    if (self->def->committed)
        self->def->committed (self);
}

//  --------------------------------------------------------------------------
//  Methods every service has

static int
s_health (server_call_t *call)
{
    service_t *self = (service_t *) call->state;
    HealthReply reply = HEALTH_REPLY__INIT;
    reply.service = (char *) self->def->name;
    reply.version = RCMQ_VERSION;
    reply.started_ms = self->started_ms;
    reply.now_ms = clock_now_ms ();
    reply.outbox_depth = store_count (self->store, call->txn, "outbox");
    int rc = store_get_u64 (self->store, call->txn, "outbox_meta", "next_seq", &reply.outbox_next_seq);
    if (rc)
        return rc;
    reply.broker_connected = relay_connected (self->relay)
                          && (!self->consumer || consumer_connected (self->consumer));
    size_t count = self->consumer? consumer_stream_count (self->consumer): 0;
    StreamOffset offsets [16], *offset_ptrs [16];
    for (size_t i = 0; i < count && i < 16; i++) {
        stream_offset__init (&offsets [i]);
        offsets [i].stream = (char *) consumer_stream_name (self->consumer, i);
        offsets [i].seq = consumer_offset (self->consumer, offsets [i].stream);
        offset_ptrs [i] = &offsets [i];
    }
    reply.n_consumed = count;
    reply.consumed = offset_ptrs;
    problems_t *lists [] = {
        self->problems, relay_problems (self->relay),
        self->consumer? consumer_problems (self->consumer): NULL
    };
    reply.problems = problems_to_proto (lists, sizeof lists / sizeof lists [0], &reply.n_problems);
    reply.ops = (char *) (ops_url (self->ops)? ops_url (self->ops): "");
    server_call_reply (call, &reply);
    problems_proto_free (&reply.problems, reply.n_problems);
    return 0;
}

//  <svc>.DeadletterSkip: sets aside the event a stream is stopped at, in
//  this request's transaction (consumer_set_aside); the server audits it.
static int
s_deadletter_skip (server_call_t *call)
{
    service_t *self = (service_t *) call->state;
    DeadletterSkipRequest *request = (DeadletterSkipRequest *) call->body;
    const char *name = self->def->name;
    if (!self->consumer)
        return server_call_fail (call, STATUS__FAILED_PRECONDITION,
                                 "%s.DeadletterSkip: %s consumes no stream", name, name);
    Status status;
    char error [256];
    DeadletterRecord *record;
    int rc = consumer_set_aside (self->consumer, call->txn, request->stream, request->seq,
                                 call->caller->name, request->reason, clock_now_ms (),
                                 &status, error, sizeof error, &record);
    if (rc)
        return rc;
    if (status != STATUS__OK)
        return server_call_fail (call, status, "%s.DeadletterSkip: %s", name, error);
    char subject [160];
    snprintf (subject, sizeof subject, "%s#%" PRIu64, record->stream, record->seq);
    server_call_subject (call, subject);
    if (*record->key)
        server_call_subject (call, record->key);
    server_call_reply (call, record);
    codec_free (record);
    return 0;
}

//  <svc>.DeadletterList: one page of the events this service set aside,
//  by stream then seq, named "STREAM#SEQ" (the skip's subject) so a page's
//  next_after is the text a client sends back.

static void *
s_deadletter_row (void *arg, const char *id, const MDB_val *value)
{
    //  A record that does not decode is passed over here; consumer_new
    //  refuses to start on one, so the list cannot hide it for long.
    return codec_decode (&deadletter_record__descriptor, value->mv_data, value->mv_size);
}

static int
s_deadletter_list (server_call_t *call)
{
    service_t *self = (service_t *) call->state;
    DeadletterListRequest *request = (DeadletterListRequest *) call->body;
    const char *name = self->def->name;
    size_t limit, key_size;
    char error [128];
    uint8_t key [512];
    if (store_page_limit (request->limit, STORE_PAGE_DEFAULT, STORE_PAGE_MAX, &limit, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s.DeadletterList: %s", name, error);
    if (*request->after && consumer_deadletter_key (request->after, key, sizeof key, &key_size))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "%s.DeadletterList: after '%s' is not STREAM#SEQ", name, request->after);
    store_page_query_t query = { "deadletter", NULL, NULL, request->after, limit };
    static const store_page_keys_t keys = { consumer_deadletter_id, consumer_deadletter_key };
    store_page_t page;
    int rc = store_page_read_keys (call->store, call->txn, &query, &keys, s_deadletter_row, codec_free, NULL,
                                   &page);
    if (rc == 0)
        server_call_reply_page (call, &deadletter_list__descriptor, &page);
    store_page_clear (&page);
    return rc;
}

//  The access record goes out on the "audit" stream through our outbox.
static int
s_audit (store_t *store, MDB_txn *txn, const AccessEvent *event, void *arg)
{
    service_t *self = (service_t *) arg;
    return outbox_append (self->outbox, txn, "audit", "access", event->actor_name, event);
}

//  A failpoint, for tests of what a service does with an event it cannot
//  apply (common/failpoint.h): RCMQ_FAIL_APPLY="<service>:<stream>:<seq>"
//  makes applying those events fail as a handler's refusal does. Read and
//  checked once at start (s_failpoint_start): a getenv per event was 2 %
//  of a consumer that applies little (issue 19, docs/performance.md).
static int
s_failpoint_watch (zloop_t *loop, int timer_id, void *arg)
{
    service_t *self = (service_t *) arg;
    for (size_t s = 0; s < consumer_stream_count (self->consumer); s++) {
        const char *stream = consumer_stream_name (self->consumer, s);
        int i;
        while ((i = failpoint_passed (self->failpoint, stream, consumer_offset (self->consumer, stream))) >= 0) {
            uint64_t seq = failpoint_seq (self->failpoint, (size_t) i);
            const char *topic = consumer_topic (self->consumer, stream);
            char entry [300];
            snprintf (entry, sizeof entry, "%s:%s:%" PRIu64, self->def->name, stream, seq);
            problems_raise (self->problems, "failpoint_passed", stream, seq,
                            "RCMQ_FAIL_APPLY %s never fired: %s #%" PRIu64 " is not of a type %s takes (%s; "
                            "docs/adr/0058)", entry, stream, seq, self->def->name, topic);
            log_error ("RCMQ_FAIL_APPLY never fired: the event is not of a type this service takes",
                       "failpoint", json_string (entry), "takes", json_string (topic), NULL);
        }
    }
    return 0;
}

//  RCMQ_FAIL_APPLY against what this service consumes: an entry that
//  cannot fire (a stream it does not consume, or takes no type of) stops
//  the start, as text that is not an entry does. 0 or -1.
static int
s_failpoint_start (service_t *self)
{
    const char *name = self->def->name;
    char error [512];
    if (failpoint_new (getenv ("RCMQ_FAIL_APPLY"), name, &self->failpoint, error, sizeof error)) {
        log_error ("bad failpoint", "error", json_string (error), NULL);
        return -1;
    }
    for (size_t i = 0; i < failpoint_count (self->failpoint); i++) {
        const char *stream = failpoint_stream (self->failpoint, i);
        const char *topic = consumer_topic (self->consumer, stream);
        char entry [300];
        snprintf (entry, sizeof entry, "%s:%s:%" PRIu64, name, stream, failpoint_seq (self->failpoint, i));
        if (!topic || topic [strlen (topic) - 1] == '?') {
            log_error (!topic? "RCMQ_FAIL_APPLY names a stream this service does not consume"
                             : "RCMQ_FAIL_APPLY names a stream this service takes no event of "
                               "(its event table names no type of it, docs/adr/0058)",
                       "failpoint", json_string (entry), "stream", json_string (stream), NULL);
            return -1;
        }
        failpoint_behind (self->failpoint, stream, consumer_offset (self->consumer, stream));
        log_info ("failpoint set: this event is refused when it is applied", "failpoint", json_string (entry),
                  "takes", json_string (topic), NULL);
    }
    if (self->failpoint)
        zloop_timer (self->loop, SERVICE_FAILPOINT_MS, 0, s_failpoint_watch, self);
    return 0;
}

static int
s_apply (store_t *store, MDB_txn *txn, const Event *event, void *arg)
{
    service_t *self = (service_t *) arg;
    if (self->failpoint && failpoint_hit (self->failpoint, event->stream, event->stream_seq))
        return store_fail (store, "refused by the failpoint RCMQ_FAIL_APPLY (%s #%" PRIu64 ")",
                           event->stream, event->stream_seq);
    if (!self->def->registry_owner && streq (event->stream, REGISTRY_STREAM)) {
        //  The copy first: the service's own handler sees the registry
        //  as the event left it.
        int rc = registry_apply_event (store, txn, event);
        if (rc)
            return rc;
    }
    if (self->def->each_event) {
        int rc = self->def->each_event (store, txn, event, self->state);
        if (rc)
            return rc;
    }
    return consumer_dispatch (self->def->events, store, txn, event, self->state);
}

static int
s_batch (store_t *store, MDB_txn *txn, bool end, void *arg)
{
    service_t *self = (service_t *) arg;
    return self->def->batch (store, txn, end, self->state);
}

//  --------------------------------------------------------------------------
//  Start-up

static void
s_usage (const char *name, const char *about)
{
    printf ("Usage: rcmq-%s [--config FILE] [--migrate]\n\n"
            "%s Settings come from --config FILE (or\n"
            "RCMQ_CONFIG), overridden by RCMQ_* environment variables; see\n"
            "docs/configuration.md. RCMQ_NOW sets the clock's starting instant.\n"
            "--migrate upgrades a store of an older layout (after a copy) and\n"
            "exits; see docs/operations.md.\n", name, about);
}

int
service_options (const char *name, const char *about, int argc, char *argv [],
                 config_t *config, bool *migrate)
{
    static struct option options [] = {
        { "config",  required_argument, 0, 'c' },
        { "help",    no_argument,       0, 'h' },
        { "migrate", no_argument,       0, 'm' },
        { 0, 0, 0, 0 }
    };
    const char *config_file = getenv ("RCMQ_CONFIG");
    int option;
    optind = 1;
    while ((option = getopt_long (argc, argv, "c:h", options, NULL)) != -1) {
        if (option == 'c')
            config_file = optarg;
        else
        if (option == 'm')
            *migrate = true;
        else {
            s_usage (name, about);
            return option == 'h'? 1: 2;
        }
    }
    if (config_file && *config_file && config_load (config, config_file)) {
        fprintf (stderr, "rcmq-%s: %s\n", name, config_error (config));
        return 2;
    }
    return 0;
}

static char *
s_key (service_t *self, const char *socket_name)
{
    char key [128];
    snprintf (key, sizeof key, "%s/%s", self->def->name, socket_name);
    return strdup (key);
}

//  Builds the table list: the service's own plus what the skeleton needs
//  (the registry's tables: its copy, or for the owner the registry, which
//  then lists them itself).
static const char **
s_tables (const service_def_t *def)
{
    static const char *common [] = { OUTBOX_TABLES, CONSUMER_TABLES, "meta" };
    static const char *with_registry [] = { OUTBOX_TABLES, CONSUMER_TABLES, "meta", REGISTRY_TABLES };
    static const char *work [] = { WORKITEM_TABLES };
    size_t own = 0;
    while (def->tables && def->tables [own])
        own++;
    const char *const *skeleton = def->registry_owner? common: with_registry;
    size_t count = def->registry_owner? sizeof common / sizeof common [0]
                                      : sizeof with_registry / sizeof with_registry [0];
    size_t n_work = def->work? sizeof work / sizeof work [0]: 0;
    const char **tables = (const char **) calloc (own + count + n_work + 1, sizeof (char *));
    for (size_t i = 0; i < own; i++)
        tables [i] = def->tables [i];
    for (size_t i = 0; i < count; i++)
        tables [own + i] = skeleton [i];
    for (size_t i = 0; i < n_work; i++)
        tables [own + count + i] = work [i];
    return tables;
}

//  The streams the consumer reads: the service's own, and `access` for
//  every service (its registry copy) when it does not list it.
static const char **
s_streams (const service_def_t *def)
{
    size_t own = 0;
    bool listed = false;
    while (def->consumes && def->consumes [own])
        listed |= streq (def->consumes [own++], REGISTRY_STREAM);
    const char **streams = (const char **) calloc (own + 2, sizeof (char *));
    for (size_t i = 0; i < own; i++)
        streams [i] = def->consumes [i];
    if (!listed)
        streams [own] = REGISTRY_STREAM;
    return streams;
}

int
service_store_open (const char *dir, const char *const *tables, uint32_t version,
                    const store_migration_t *migrations, bool migrate,
                    store_t **store_p, uint64_t *clock_moved_ms)
{
    char error [512];
    store_t *store = store_new (dir, tables, error, sizeof error);
    if (!store) {
        log_error ("cannot open store", "error", json_string (error), NULL);
        return -1;
    }
    *store_p = store;
    uint32_t found;
    if (store_check_version (store, version, migrations, migrate, &found, error, sizeof error)) {
        log_error ("cannot open store", "error", json_string (error), NULL);
        return -1;
    }
    if (found != version)
        log_info ("store migrated", "store", json_string (dir),
                  "from_version", json_integer (found), "to_version", json_integer (version),
                  "backup", json_string (store_backup (store)), NULL);
    if (migrate) {
        log_info ("--migrate: store is at the current version", "store", json_string (dir),
                  "version", json_integer (version), NULL);
        return 1;
    }
    *clock_moved_ms = service_clock_floor (store);
    return 0;
}

int
service_security (const char *keys_dir, const char *name, store_t *store,
                  zcert_t **cert_p, gate_t **gate_p, zactor_t **zap_p)
{
    *cert_p = transport_load_secret (keys_dir, name);
    if (!*cert_p) {
        log_error ("keys missing: run `rcmqctl keys init`", "keys_dir", json_string (keys_dir),
                   "needs", json_string (name), NULL);
        return -1;
    }
    //  The ZAP handler runs in a thread of its own: it gets its own gate
    //  (a gate's cache belongs to one thread; both read the one store).
    *gate_p = gate_new (store, keys_dir);
    *zap_p = transport_zap_new (gate_admit, gate_new (store, keys_dir), gate_destroy_arg);
    if (!*zap_p) {
        zcert_destroy (cert_p);
        gate_destroy (gate_p);
        return -1;
    }
    return 0;
}

uint64_t
service_clock_floor (store_t *store)
{
    uint64_t asked = clock_now_ms (), high = store_clock_high (store);
    uint64_t moved = clock_not_before (high);
    //  The mark runs up to a step ahead of the last time written, so a
    //  move within a step is the mark's margin, not an earlier clock.
    if (moved > STORE_CLOCK_STEP_MS) {
        char was [32], from [32];
        clock_format_iso8601 (asked, was, sizeof was);
        clock_format_iso8601 (high, from, sizeof from);
        log_warn ("clock starts earlier than the store's latest time: starting from that instead",
                  "store", json_string (store_dir (store)), "clock", json_string (was),
                  "store_latest", json_string (from), NULL);
    }
    return moved;
}

//  --------------------------------------------------------------------------
//  The ops port (common/ops.h): figures read here, on the loop's thread

static void
s_ops_handled (void *arg, const char *method, Status status, double seconds)
{
    ops_request ((ops_t *) arg, method, codec_status_name (status), seconds);
}

static double
s_offset (consumer_t *consumer, const char *stream)
{
    return (double) consumer_offset (consumer, stream);
}

static double
s_lag (consumer_t *consumer, const char *stream)
{
    return (double) consumer_known_head (consumer, stream) - (double) consumer_offset (consumer, stream);
}

static double
s_stopped (consumer_t *consumer, const char *stream)
{
    return consumer_stopped_at (consumer, stream) || consumer_stopped (consumer, stream)? 1: 0;
}

static void
s_ops_collect (expo_t *out, void *arg)
{
    service_t *self = (service_t *) arg;
    expo_family (out, "rcmq_outbox_depth", EXPO_GAUGE,
                 "Events written to the outbox and not yet acked by the broker.");
    expo_sample (out, "rcmq_outbox_depth", NULL, (double) outbox_depth (self->outbox));
    expo_family (out, "rcmq_broker_connected", EXPO_GAUGE,
                 "1 while the outbox relay and the consumer both hear the broker.");
    expo_sample (out, "rcmq_broker_connected", NULL,
                 relay_connected (self->relay) && consumer_connected (self->consumer)? 1: 0);
    //  Per stream, one family each, from this table.
    static const struct {
        const char *name;
        const char *help;
        double (*value) (consumer_t *consumer, const char *stream);
    } families [] = {
        { "rcmq_consumer_offset", "The last sequence of the stream this process applied.", s_offset },
        { "rcmq_consumer_lag_events", "The stream's head as the broker last announced it minus the "
                                      "sequence applied (negative: the broker's store is older).", s_lag },
        { "rcmq_consumer_stopped", "1 while the stream is stopped on an event (docs/operations.md).", s_stopped },
    };
    size_t count = consumer_stream_count (self->consumer);
    for (size_t f = 0; f < sizeof families / sizeof families [0]; f++) {
        expo_family (out, families [f].name, EXPO_GAUGE, families [f].help);
        for (size_t i = 0; i < count; i++) {
            const char *stream = consumer_stream_name (self->consumer, i);
            expo_sample (out, families [f].name, (const char *const []) { "stream", stream, NULL },
                         families [f].value (self->consumer, stream));
        }
    }
    expo_family (out, "rcmq_consumer_applied_total", EXPO_COUNTER,
                 "Events this process applied from every stream since it started.");
    expo_sample (out, "rcmq_consumer_applied_total", NULL, (double) consumer_applied_total (self->consumer));
    if (self->work) {
        expo_family (out, "rcmq_escalations_raised_total", EXPO_COUNTER,
                     "Work-item escalation levels this process raised since it started.");
        expo_sample (out, "rcmq_escalations_raised_total", NULL,
                     (double) escalation_totals (workservice_escalation (self->work)).raised);
    }
    problems_t *lists [] = { self->problems, relay_problems (self->relay), consumer_problems (self->consumer) };
    size_t problem_count = 0;
    for (size_t i = 0; i < sizeof lists / sizeof lists [0]; i++)
        problem_count += problems_count (lists [i]);
    expo_family (out, "rcmq_problems", EXPO_GAUGE,
                 "Problems the process reports (rcmqctl status): retrying does not fix them.");
    expo_sample (out, "rcmq_problems", NULL, (double) problem_count);
    ops_store_figures (out, self->store);
}

//  Ready: the store is open and the api socket bound (the port is started
//  after both), the consumer has heard the broker since the start (so it
//  knows the heads), and no running stream is more than ops/ready-lag
//  events behind. A stream stopped on an event is a problem for status,
//  not a reason to take the process out of service: its api is how the
//  operator sets the event aside.
static bool
s_ops_ready (void *arg, char *why, size_t size)
{
    service_t *self = (service_t *) arg;
    if (consumer_connected (self->consumer))
        self->heard_broker = true;
    if (!self->heard_broker) {
        snprintf (why, size, "%s has not heard the broker since it started", self->def->name);
        return false;
    }
    for (size_t i = 0; i < consumer_stream_count (self->consumer); i++) {
        const char *stream = consumer_stream_name (self->consumer, i);
        if (consumer_stopped_at (self->consumer, stream) || consumer_stopped (self->consumer, stream))
            continue;
        int64_t lag = (int64_t) consumer_known_head (self->consumer, stream)
                    - (int64_t) consumer_offset (self->consumer, stream);
        if (lag > self->ready_lag) {
            snprintf (why, size, "stream %s is %" PRId64 " events behind (ops/ready-lag %" PRId64 ")",
                      stream, lag, self->ready_lag);
            return false;
        }
    }
    return true;
}

static int
s_start (service_t *self)
{
    const char *name = self->def->name;
    config_t *config = self->config;
    if (clock_init_from_env ()) {
        log_error ("RCMQ_NOW is not an ISO-8601 instant", "value", json_string (getenv ("RCMQ_NOW")), NULL);
        return -1;
    }
    const char *keys_dir = config_path (config, "keys/dir", "var/keys");
    const char *data_dir = config_path (config, "data/dir", "var/data");

    char store_dir [PATH_MAX];
    snprintf (store_dir, sizeof store_dir, "%s/%s", data_dir, name);
    const char **tables = s_tables (self->def);
    int rc = service_store_open (store_dir, tables, self->def->store_version? self->def->store_version: 1,
                                 self->def->migrations, self->migrate, &self->store, &self->clock_moved_ms);
    free (tables);
    if (rc)
        return rc;
    self->started_ms = clock_now_ms ();
    self->outbox = outbox_new (self->store, name);
    if (!self->outbox) {
        log_error ("cannot start outbox", "error", json_string (store_error (self->store)), NULL);
        return -1;
    }
    char *broker_key = transport_load_public_key (keys_dir, "broker");
    if (!broker_key) {
        log_error ("keys missing: run `rcmqctl keys init`", "keys_dir", json_string (keys_dir),
                   "needs", json_string ("broker"), NULL);
        return -1;
    }
    if (service_security (keys_dir, name, self->store, &self->cert, &self->gate, &self->zap)) {
        free (broker_key);
        return -1;
    }
    if (self->def->phi) {
        char default_key [PATH_MAX], error [512];
        snprintf (default_key, sizeof default_key, "%s/phi.key", keys_dir);
        self->phi_key = phi_key_load (config_path (config, "phi/key-file", default_key), error, sizeof error);
        if (!self->phi_key) {
            log_error ("cannot load the PHI key: run `rcmqctl keys init`", "error", json_string (error), NULL);
            free (broker_key);
            return -1;
        }
    }
    self->loop = zloop_new ();

    //  Outbox relay and consumer: our side of the broker.
    const char *ingest = config_get (config, "broker/ingest", "tcp://127.0.0.1:7601");
    const char *fanout = config_get (config, "broker/fanout", "tcp://127.0.0.1:7602");
    const char *replay = config_get (config, "broker/replay", "tcp://127.0.0.1:7603");
    self->relay = relay_new (self->outbox, ingest, broker_key, self->cert);
    if (!self->relay) {
        log_error ("cannot read the outbox position", "error", json_string (store_error (self->store)), NULL);
        free (broker_key);
        return -1;
    }
    if (relay_attach (self->relay, self->loop)) {
        log_error ("cannot connect to broker ingest", "endpoint", json_string (ingest), NULL);
        free (broker_key);
        return -1;
    }
    {
        //  Every service consumes: at least `access`, its registry copy.
        const char **streams = s_streams (self->def);
        self->consumer = consumer_new (self->store, outbox_producer (self->outbox),
                                       streams, s_apply, self);
        free (streams);
        if (self->consumer && self->def->batch)
            consumer_on_batch (self->consumer, s_batch);
        if (!self->consumer) {
            log_error ("cannot read the consumer offsets", "error", json_string (store_error (self->store)), NULL);
            free (broker_key);
            return -1;
        }
        //  The broker sends each stream's events whole only where the
        //  event table takes every type (ADR 58): audit's each_event sees
        //  every event, and the registry copy every access event.
        if (!self->def->each_event) {
            static const char *const whole [] = { REGISTRY_STREAM, NULL };
            consumer_filter_table (self->consumer, self->def->events, whole);
        }
        if (s_failpoint_start (self)) {
            free (broker_key);
            return -1;
        }
        consumer_on_commit (self->consumer, s_kick);
        if (consumer_connect (self->consumer, fanout, replay, broker_key, self->cert)
        ||  consumer_attach (self->consumer, self->loop)) {
            log_error ("cannot connect to broker fanout/replay", "fanout", json_string (fanout),
                       "replay", json_string (replay), NULL);
            free (broker_key);
            return -1;
        }
    }
    free (broker_key);

    //  The api socket, last: only now can we answer for everything above.
    //  Every service answers <name>.Health; the name is only known now.
    snprintf (self->health_method, sizeof self->health_method, "%s.Health", name);
    self->health [0] = (server_method_t) { self->health_method, "health.read", NULL, s_health,
                                           SERVER_UNSCOPED, NULL, SERVER_NO_PHI };
    //  And every service can set aside an event its consumer stopped on:
    //  an operator's act across every queue, so never a vendor's.
    snprintf (self->skip_method, sizeof self->skip_method, "%s.DeadletterSkip", name);
    snprintf (self->list_method, sizeof self->list_method, "%s.DeadletterList", name);
    self->health [1] = (server_method_t) { self->skip_method, "deadletter.write",
                                           &deadletter_skip_request__descriptor, s_deadletter_skip,
                                           SERVER_INTERNAL, NULL, SERVER_NO_PHI };
    self->health [2] = (server_method_t) { self->list_method, "deadletter.read",
                                           &deadletter_list_request__descriptor, s_deadletter_list,
                                           SERVER_INTERNAL, NULL, SERVER_NO_PHI };
    self->health [3] = (server_method_t) { NULL };
    static const server_method_t no_methods [] = { { NULL } };
    self->server = server_new (name, self->store, gate_server_caller, self->gate,
                               self->def->methods? self->def->methods: no_methods, self);
    server_add_methods (self->server, self->health);
    if (self->def->work) {
        char error [512];
        self->work = workservice_new (name, self->store, self->outbox, config, self->def->work,
                                      error, sizeof error);
        if (!self->work) {
            log_error ("bad SLA configuration", "error", json_string (error), NULL);
            return -1;
        }
        server_add_methods (self->server, workservice_methods (self->work));
    }
    server_set_audit (self->server, s_audit, self);
    char error [512];
    if (server_configure (self->server, config, error, sizeof error)) {
        log_error ("bad api setting", "error", json_string (error), NULL);
        return -1;
    }
    server_on_commit (self->server, s_kick, self);

    if (self->def->state_new) {
        self->state = self->def->state_new (self);
        if (!self->state)
            return -1;
    }
    if (self->def->start && self->def->start (self))
        return -1;
    //  Escalations from the first instant: a restart catches up here.
    if (self->work && workservice_attach (self->work, self->loop, config, s_kick, self))
        return -1;

    char *api_key = s_key (self, "api");
    char *bind_key = s_key (self, "api-bind");
    const char *endpoint = config_get (config, api_key, NULL);
    const char *bind = config_get (config, bind_key, endpoint);
    free (api_key);
    free (bind_key);
    if (!bind) {
        log_error ("no api endpoint configured", "key", json_string ("<name>/api"), NULL);
        return -1;
    }
    self->ready_lag = config_get_int (config, "ops/ready-lag", 1000);
    char *limit_key = s_key (self, "max-request-bytes");
    server_set_max_request (self->server, config_get_int (config, limit_key,
        config_get_int (config, "api/max-request-bytes", TRANSPORT_MAX_REQUEST_DEFAULT)));
    free (limit_key);
    //  Every setting the start read (the state's included) was read by
    //  now: one that is not a number stops the start, never the default.
    if (config_bad_setting (config)) {
        log_error ("bad setting", "error", json_string (config_bad_setting (config)), NULL);
        return -1;
    }
    if (server_bind (self->server, bind, self->cert) || server_attach (self->server, self->loop))
        return -1;
    //  The ops port last: ready means what is above is.
    self->ops = ops_new (name);
    ops_on_collect (self->ops, s_ops_collect, self);
    ops_on_ready (self->ops, s_ops_ready, self);
    server_on_handled (self->server, s_ops_handled, self->ops);
    if (ops_start (self->ops, config, self->loop))
        return -1;
    char now [32];
    clock_format_iso8601 (clock_now_ms (), now, sizeof now);
    log_info ("started", "api", json_string (bind), "store", json_string (store_dir),
              "producer", json_string (outbox_producer (self->outbox)),
              "clock", json_string (now),
              "clock_moved_forward_ms", json_integer ((json_int_t) self->clock_moved_ms), NULL);
    return 0;
}

int
service_main (const service_def_t *def, int argc, char *argv [])
{
    char process [64];
    snprintf (process, sizeof process, "rcmq-%s", def->name);
    log_init (process);
    memory_init ();
    if (sodium_init () < 0)
        return 1;
    //  Every folder and file a service makes (stores, 837P / 999 files,
    //  reports) is its own user's only: they hold or may hold PHI.
    umask (077);
    service_t *self = (service_t *) zmalloc (sizeof (service_t));
    self->def = def;
    self->config = config_new ();
    self->problems = problems_new ();
    char about [128];
    snprintf (about, sizeof about, "Runs the rcmq %s service.", def->name);
    int rc = service_options (def->name, about, argc, argv, self->config, &self->migrate);
    if (rc)
        return rc == 1? 0: rc;
    //  czmq catches SIGINT/SIGTERM and sets zsys_interrupted; zloop returns.
    zsys_catch_interrupts ();
    //  0 to run; 1 when --migrate has done its work; -1 on failure.
    int started = s_start (self);
    if (started == 0) {
        zloop_start (self->loop);
        log_info ("stopping: no new requests, flushing outbox", NULL);
        server_close (self->server, self->loop);
        if (relay_flush (self->relay, SERVICE_FLUSH_MS))
            log_warn ("outbox not empty at exit; it is sent on next start",
                      "depth", json_integer ((json_int_t) outbox_depth (self->outbox)), NULL);
    }
    if (def->stop && self->loop)
        def->stop (self);
    if (def->state_destroy)
        def->state_destroy (&self->state);
    //  The next start's clock begins where this run ended (clock_not_before).
    if (started == 0 && store_mark_clock (self->store))
        log_warn ("cannot record the clock in the store", "error", json_string (store_error (self->store)), NULL);
    ops_destroy (&self->ops);
    workservice_destroy (&self->work);
    server_destroy (&self->server);
    consumer_destroy (&self->consumer);
    relay_destroy (&self->relay);
    zloop_destroy (&self->loop);
    zactor_destroy (&self->zap);
    gate_destroy (&self->gate);
    zcert_destroy (&self->cert);
    phi_key_destroy (&self->phi_key);
    outbox_destroy (&self->outbox);
    store_destroy (&self->store);
    config_destroy (&self->config);
    problems_destroy (&self->problems);
    failpoint_destroy (&self->failpoint);
    free (self);
    log_info (started < 0? "exited after start-up failure": "stopped", NULL);
    return started < 0? 1: 0;
}
