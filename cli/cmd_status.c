/*  rcmqctl status: is every process of the deployment up, and how far has
    each got?

    It asks the broker for broker.Status and each service for <svc>.Health,
    all at once (one thread per call, each with its own client socket), with
    a short timeout and no resends: status is what an operator runs when
    something is wrong, so a dead deployment must answer in about one
    timeout, not seven. Exit status 0 means all eight processes answered OK.
*/
#include "ctl.h"
#include "pbjson.h"

#include <inttypes.h>
#include <pthread.h>

#define STATUS_TIMEOUT_MS  1500

//  The processes of a deployment and the method each answers for status.
static const struct {
    const char *name;
    const char *method;
} s_processes [] = {
    { "broker",  "broker.Status" },
    { "intake",  "intake.Health" },
    { "claims",  "claims.Health" },
    { "denials", "denials.Health" },
    { "inquiry", "inquiry.Health" },
    { "audit",   "audit.Health" },
    { "metrics", "metrics.Health" },
    { "web",     "web.Health" },
};
#define PROCESS_COUNT (sizeof s_processes / sizeof s_processes [0])

typedef struct {
    const char *name;
    const char *method;
    const char *endpoint;
    client_t *client;           //  NULL when its keys are missing
    Reply *reply;               //  NULL when none came
    HealthReply *health;        //  decoded body of a service's reply
    BrokerStatus *broker;       //  decoded body of the broker's reply
    bool up;
    char error [1024];
} probe_t;

static void *
s_probe_call (void *args)
{
    probe_t *probe = (probe_t *) args;
    probe->reply = client_call (probe->client, probe->method, NULL);
    if (!probe->reply)
        snprintf (probe->error, sizeof probe->error, "%s", client_error (probe->client));
    return NULL;
}

//  Turns a probe's reply into up / down with a reason.
static void
s_probe_judge (probe_t *probe, ctl_t *ctl)
{
    if (!probe->client)
        return;                 //  error says which key is missing
    if (!probe->reply) {
        //  A CURVE server that does not know our key drops the handshake
        //  without a word, which looks just like a process that is not
        //  there; the client's error says both, we add which key we offered.
        char reason [sizeof probe->error];
        memcpy (reason, probe->error, sizeof reason);
        //  A long path may cut the line short; the start says what matters.
        if (snprintf (probe->error, sizeof probe->error, "%s [our key: %s/public/%s.cert]",
                      reason, ctl_keys_dir (ctl), ctl_client_name (ctl)) >= (int) sizeof probe->error)
            probe->error [sizeof probe->error - 1] = 0;
        return;
    }
    if (probe->reply->status != STATUS__OK) {
        snprintf (probe->error, sizeof probe->error, "%s at %s answered %s: %s",
                  probe->method, probe->endpoint, codec_status_name (probe->reply->status),
                  probe->reply->message);
        return;
    }
    const uint8_t *body = probe->reply->body.data;
    size_t size = probe->reply->body.len;
    if (streq (probe->name, "broker"))
        probe->broker = (BrokerStatus *) codec_decode (&broker_status__descriptor, body, size);
    else
        probe->health = (HealthReply *) codec_decode (&health_reply__descriptor, body, size);
    if (!probe->broker && !probe->health)
        snprintf (probe->error, sizeof probe->error, "%s at %s: reply body is not a %s",
                  probe->method, probe->endpoint,
                  streq (probe->name, "broker")? "BrokerStatus": "HealthReply");
    else
        probe->up = true;
}

static void
s_uptime (uint64_t started_ms, uint64_t now_ms, char *buf, size_t size)
{
    if (!started_ms || now_ms < started_ms) {
        snprintf (buf, size, "-");
        return;
    }
    uint64_t s = (now_ms - started_ms) / 1000;
    if (s >= 86400)
        snprintf (buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
    else
    if (s >= 3600)
        snprintf (buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
    else
    if (s >= 60)
        snprintf (buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    else
        snprintf (buf, size, "%" PRIu64 "s", s);
}

//  A process's problems: its Health's, or the broker's Status's.
static Problem **
s_probe_problems (probe_t *probe, size_t *n)
{
    *n = probe->health? probe->health->n_problems: probe->broker? probe->broker->n_problems: 0;
    return probe->health? probe->health->problems: probe->broker? probe->broker->problems: NULL;
}

//  ---------------------------------------------------------------------
//  JSON

//  A problem: code and message always, the rest when it applies.
static const pbjson_view_t s_problem_view = { &problem__descriptor, (const pbjson_rule_t []) {
    { "subject", .how = PBJSON_OMIT_EMPTY }, { "seq", .how = PBJSON_OMIT_EMPTY },
    { "stream", .how = PBJSON_OMIT_EMPTY }, { "error", .how = PBJSON_OMIT_EMPTY }, { NULL } } };

//  A service's row: its Health, the offsets it consumed as {stream: seq}.
static const pbjson_view_t s_health_view = { &health_reply__descriptor, (const pbjson_rule_t []) {
    { "service", .how = PBJSON_OMIT },
    { "consumed", .how = PBJSON_KEYED, .key = "stream", .value = "seq" },
    { "problems", .view = &s_problem_view }, { "ops", .how = PBJSON_OMIT }, { NULL } } };

//  The broker's row holds what its Status says of the process; the rest
//  is the "broker" object (s_broker_view).
static const pbjson_view_t s_broker_process_view = { &broker_status__descriptor, (const pbjson_rule_t []) {
    { "streams", .how = PBJSON_OMIT }, { "producers", .how = PBJSON_OMIT }, { "consumers", .how = PBJSON_OMIT },
    { "retention_hours", .how = PBJSON_OMIT }, { "problems", .view = &s_problem_view },
    { "ops", .how = PBJSON_OMIT }, { NULL } } };
static const pbjson_view_t s_broker_view = { &broker_status__descriptor, (const pbjson_rule_t []) {
    { "problems", .how = PBJSON_OMIT }, { "ops", .how = PBJSON_OMIT }, { NULL } } };

//  The base URL of the process's ops port (common/ops.h) as it says in
//  its reply; NULL when it has none on, or did not answer.
static const char *
s_probe_ops (probe_t *probe)
{
    const char *ops = probe->health? probe->health->ops: probe->broker? probe->broker->ops: NULL;
    return ops && *ops? ops: NULL;
}

//  A process: what the probe found (not a message: name, endpoint, up,
//  error), then its reply through the views above.
static json_t *
s_process_json (probe_t *probe)
{
    json_t *object = json_object ();
    json_object_set_new (object, "name", json_string (probe->name));
    json_object_set_new (object, "endpoint", probe->endpoint? json_string (probe->endpoint): json_null ());
    json_object_set_new (object, "up", json_boolean (probe->up));
    json_object_set_new (object, "error", probe->up? json_null (): json_string (probe->error));
    json_t *reply = probe->health? pbjson_render (&probe->health->base, &s_health_view)
                  : probe->broker? pbjson_render (&probe->broker->base, &s_broker_process_view)
                  : json_pack ("{s:[]}", "problems");
    json_object_update (object, reply);
    json_decref (reply);
    const char *ops = s_probe_ops (probe);
    json_object_set_new (object, "ops", ops? json_string (ops): json_null ());
    return object;
}

//  ---------------------------------------------------------------------
//  Tables

static const output_column_t s_process_columns [] = {
    { "process",  OUTPUT_TEXT },
    { "state",    OUTPUT_TEXT },
    { "version",  OUTPUT_TEXT },
    { "uptime",   OUTPUT_TEXT },
    { "outbox",   OUTPUT_INT },
    { "broker",   OUTPUT_TEXT },
    { "endpoint", OUTPUT_TEXT },
    { "consumed", OUTPUT_TEXT },
    { "ops",      OUTPUT_TEXT },
    { NULL }
};

static const output_column_t s_stream_columns [] = {
    { "stream",    OUTPUT_TEXT },
    { "head_seq",  OUTPUT_INT },
    { "first_seq", OUTPUT_INT },
    { "events",    OUTPUT_INT },
    { NULL }
};

static const output_column_t s_producer_columns [] = {
    { "producer",  OUTPUT_TEXT },
    { "acked_seq", OUTPUT_INT },
    { NULL }
};

static const output_column_t s_consumer_columns [] = {
    { "consumer", OUTPUT_TEXT },
    { "stream",   OUTPUT_TEXT },
    { "applied",  OUTPUT_INT },
    { "lag",      OUTPUT_INT },
    { NULL }
};

static void
s_process_row (output_table_t *table, probe_t *probe)
{
    output_table_row (table);
    output_table_cell (table, probe->name);
    output_table_cell (table, probe->up? "up": "down");
    HealthReply *health = probe->health;
    if (probe->broker)
        output_table_cell (table, probe->broker->version);
    else
        output_table_cell (table, health? health->version: NULL);
    char uptime [32] = "-";
    if (health)
        s_uptime (health->started_ms, health->now_ms, uptime, sizeof uptime);
    output_table_cell (table, uptime);
    if (health)
        output_table_cell_uint (table, health->outbox_depth);
    else
        output_table_cell (table, NULL);
    output_table_cell (table, health? (health->broker_connected? "connected": "not connected"): NULL);
    output_table_cell (table, probe->endpoint);
    char *consumed = NULL;
    for (size_t i = 0; health && i < health->n_consumed; i++) {
        char *more = zsys_sprintf ("%s%s%s=%" PRIu64, consumed? consumed: "", consumed? " ": "",
                                   health->consumed [i]->stream, health->consumed [i]->seq);
        free (consumed);
        consumed = more;
    }
    output_table_cell (table, consumed? consumed: health? "none": NULL);
    free (consumed);
    output_table_cell (table, s_probe_ops (probe));
}

//  Consumers by name then stream, so one consumer's streams read together
//  whatever order the broker keeps them in.
static int
s_compare_consumers (const void *a, const void *b)
{
    const ConsumerStatus *x = *(const ConsumerStatus *const *) a;
    const ConsumerStatus *y = *(const ConsumerStatus *const *) b;
    int by_name = strcmp (x->consumer, y->consumer);
    return by_name? by_name: strcmp (x->stream, y->stream);
}

static void
s_print_broker_tables (BrokerStatus *status, FILE *out)
{
    output_table_t *table = output_table_new (s_stream_columns);
    for (size_t i = 0; i < status->n_streams; i++) {
        output_table_row (table);
        output_table_cell (table, status->streams [i]->stream);
        output_table_cell_uint (table, status->streams [i]->head_seq);
        output_table_cell_uint (table, status->streams [i]->first_seq);
        output_table_cell_uint (table, status->streams [i]->events);
    }
    fprintf (out, "\nbroker streams%s\n", status->n_streams? ":": ": none yet");
    if (status->n_streams)
        output_table_print (table, OUTPUT_TABLE, out);
    output_table_destroy (&table);

    table = output_table_new (s_producer_columns);
    for (size_t i = 0; i < status->n_producers; i++) {
        output_table_row (table);
        output_table_cell (table, status->producers [i]->producer);
        output_table_cell_uint (table, status->producers [i]->acked_seq);
    }
    fprintf (out, "\nproducers%s\n", status->n_producers? ":": ": none yet");
    if (status->n_producers)
        output_table_print (table, OUTPUT_TABLE, out);
    output_table_destroy (&table);

    table = output_table_new (s_consumer_columns);
    qsort (status->consumers, status->n_consumers, sizeof (ConsumerStatus *), s_compare_consumers);
    for (size_t i = 0; i < status->n_consumers; i++) {
        output_table_row (table);
        output_table_cell (table, status->consumers [i]->consumer);
        output_table_cell (table, status->consumers [i]->stream);
        output_table_cell_uint (table, status->consumers [i]->applied_seq);
        //  Negative when the consumer is ahead of the stream: the broker's
        //  store is older than the consumer's (printed as it is, never 0).
        output_table_cellf (table, "%" PRId64, status->consumers [i]->lag);
    }
    fprintf (out, "\nconsumers%s\n", status->n_consumers? ":": ": none yet");
    if (status->n_consumers)
        output_table_print (table, OUTPUT_TABLE, out);
    output_table_destroy (&table);
}

//  ---------------------------------------------------------------------

static int
s_status (ctl_t *ctl, ctl_args_t *args)
{
    //  Threads share the czmq context; make it before they race to.
    zsys_init ();
    //  Without our own certificate no call can succeed; one clear error
    //  beats seven.
    if (!ctl_client_cert (ctl))
        return CTL_FAILED;
    probe_t probes [PROCESS_COUNT];
    memset (probes, 0, sizeof probes);
    int timeout = ctl_timeout (ctl, STATUS_TIMEOUT_MS);
    pthread_t threads [PROCESS_COUNT];
    bool started [PROCESS_COUNT];
    for (size_t i = 0; i < PROCESS_COUNT; i++) {
        probe_t *probe = &probes [i];
        probe->name = s_processes [i].name;
        probe->method = s_processes [i].method;
        probe->endpoint = ctl_endpoint (ctl, probe->name);
        probe->client = ctl_client_new (ctl, probe->name, probe->error, sizeof probe->error);
        started [i] = false;
        if (!probe->client)
            continue;
        client_set_timeout (probe->client, timeout);
        client_set_retries (probe->client, 0);
        started [i] = pthread_create (&threads [i], NULL, s_probe_call, probe) == 0;
        if (!started [i])
            s_probe_call (probe);
    }
    //  Each thread used only its own client; after the join the sockets
    //  come back to this thread, which the join's barrier makes safe.
    for (size_t i = 0; i < PROCESS_COUNT; i++)
        if (started [i])
            pthread_join (threads [i], NULL);

    size_t up = 0, problem_count = 0;
    probe_t *broker = NULL;
    for (size_t i = 0; i < PROCESS_COUNT; i++) {
        s_probe_judge (&probes [i], ctl);
        if (probes [i].up)
            up++;
        if (probes [i].broker)
            broker = &probes [i];
        size_t n;
        s_probe_problems (&probes [i], &n);
        problem_count += n;
    }
    for (size_t i = 0; i < PROCESS_COUNT; i++) {
        if (!probes [i].up)
            fprintf (stderr, "rcmqctl status: %s down: %s\n", probes [i].name, probes [i].error);
        size_t n;
        Problem **problems = s_probe_problems (&probes [i], &n);
        for (size_t p = 0; p < n; p++)
            fprintf (stderr, "rcmqctl status: %s problem %s: %s\n", probes [i].name,
                     problems [p]->code, problems [p]->message);
    }
    //  Up is not enough: a process with a problem (a stopped stream, a
    //  store restored from an older copy) answers Health but is not ok.
    bool ok = up == PROCESS_COUNT && problem_count == 0;

    output_format_t format = ctl_format (ctl);
    if (format == OUTPUT_JSON) {
        json_t *result = json_object ();
        json_object_set_new (result, "ok", json_boolean (ok));
        json_object_set_new (result, "up", json_integer ((json_int_t) up));
        json_object_set_new (result, "problem_count", json_integer ((json_int_t) problem_count));
        json_object_set_new (result, "total", json_integer ((json_int_t) PROCESS_COUNT));
        config_t *config = ctl_config (ctl);
        const char *file = config? config_file (config): NULL;
        json_object_set_new (result, "config", file? json_string (file): json_null ());
        json_t *processes = json_array ();
        for (size_t i = 0; i < PROCESS_COUNT; i++)
            json_array_append_new (processes, s_process_json (&probes [i]));
        json_object_set_new (result, "processes", processes);
        json_object_set_new (result, "broker", broker? pbjson_render (&broker->broker->base, &s_broker_view): json_null ());
        output_json (result, stdout);
    }
    else {
        output_table_t *table = output_table_new (s_process_columns);
        for (size_t i = 0; i < PROCESS_COUNT; i++)
            s_process_row (table, &probes [i]);
        output_table_print (table, format, stdout);
        output_table_destroy (&table);
        //  CSV is one table for spreadsheets; the broker's detail is for
        //  people (and is in --json).
        if (format == OUTPUT_TABLE) {
            if (problem_count)
                printf ("\nproblems:\n");
            for (size_t i = 0; i < PROCESS_COUNT; i++) {
                size_t n;
                Problem **problems = s_probe_problems (&probes [i], &n);
                for (size_t p = 0; p < n; p++)
                    printf ("  %-8s %-28s %s\n", probes [i].name, problems [p]->code, problems [p]->message);
            }
            if (broker)
                s_print_broker_tables (broker->broker, stdout);
            printf ("\n%zu of %zu processes up", up, PROCESS_COUNT);
            if (problem_count)
                printf (", %zu problem%s (see above)", problem_count, problem_count == 1? "": "s");
            printf ("\n");
        }
    }
    for (size_t i = 0; i < PROCESS_COUNT; i++) {
        client_destroy (&probes [i].client);
        codec_free (probes [i].reply);
        codec_free (probes [i].health);
        codec_free (probes [i].broker);
    }
    return ok? CTL_OK: CTL_FAILED;
}

static const ctl_command_t s_commands [] = {
    { NULL, NULL, 0, 0, "show whether the broker and every service are up",
      "Asks the broker for broker.Status and intake, claims, denials, inquiry, audit,\n"
      "metrics and web for <svc>.Health, all at once, and prints one row per process\n"
      "(version, uptime, outbox depth, broker link, consumed offsets), then the\n"
      "broker's streams, producers and consumer lag. Each call waits --timeout ms\n"
      "(default 1500) with no resend. Exit status 0 only when all eight are up\n"
      "and none reports a problem (--json: \"ok\"; each process's \"problems\" is\n"
      "a list of {code, message}); the reason for each process that is down and\n"
      "each problem go to stderr. A process that is not running and a server that\n"
      "refused our CURVE key look the same on the wire, so the message says both\n"
      "and which key we offered. Consumer lag is head minus applied, negative when\n"
      "a consumer has applied more than the stream holds (the broker's store is\n"
      "older than the consumer's; docs/operations.md). --json prints one object:\n"
      "{\"ok\", \"up\", \"problem_count\", \"total\", \"config\", \"processes\": [...],\n"
      "\"broker\": {...}}; --csv prints the process table only. Each process's\n"
      "\"ops\" (and the ops column) is the base URL of its ops port, where it\n"
      "serves /metrics, /healthz and /readyz (<name>/ops; null when off).",
      NULL, s_status },
    { NULL }
};

const ctl_group_t cmd_status = {
    "status", "Shows whether every process of the deployment is up.", s_commands
};
