/*  figures: what the broker's ops port adds to /metrics (common/ops.h,
    docs/operations.md "Ops port"): every stream's head and the events
    it keeps, the events published, the consumers' lag as they last said
    in HELLO, the commit latency of the group commit (observed by
    ingest.c), and the store's size, which for the broker is the log's.
    All read on the loop's thread, where they are written.
*/
#include "broker.h"

static void
s_collect (expo_t *out, void *arg)
{
    broker_t *self = (broker_t *) arg;
    zlistx_t *streams = eventlog_streams (self->log);
    expo_family (out, "rcmq_broker_stream_head", EXPO_GAUGE,
                 "The last sequence the broker's log assigned on the stream.");
    for (char *name = (char *) zlistx_first (streams); name; name = (char *) zlistx_next (streams))
        expo_sample (out, "rcmq_broker_stream_head", (const char *const []) { "stream", name, NULL },
                     (double) eventlog_head (self->log, name));
    expo_family (out, "rcmq_broker_stream_events", EXPO_GAUGE,
                 "Events of the stream the log keeps (retention prunes the oldest).");
    for (char *name = (char *) zlistx_first (streams); name; name = (char *) zlistx_next (streams)) {
        uint64_t head = eventlog_head (self->log, name);
        uint64_t kept = head? head - eventlog_first (self->log, name) + 1: 0;
        expo_sample (out, "rcmq_broker_stream_events", (const char *const []) { "stream", name, NULL },
                     (double) kept);
    }
    zlistx_destroy (&streams);
    expo_family (out, "rcmq_broker_published_total", EXPO_COUNTER,
                 "Events the broker published on its fanout socket since it started.");
    expo_sample (out, "rcmq_broker_published_total", NULL, (double) self->published);
    expo_family (out, "rcmq_broker_consumer_lag_events", EXPO_GAUGE,
                 "The stream's head minus what the consumer said it applied (negative: the log is older).");
    for (broker_consumer_t *consumer = (broker_consumer_t *) zhashx_first (self->consumers); consumer;
         consumer = (broker_consumer_t *) zhashx_next (self->consumers))
        expo_sample (out, "rcmq_broker_consumer_lag_events",
                     (const char *const []) { "consumer", consumer->consumer, "stream", consumer->stream, NULL },
                     (double) eventlog_head (self->log, consumer->stream) - (double) consumer->applied);
    expo_family (out, "rcmq_broker_commit_duration_seconds", EXPO_HISTOGRAM,
                 "Time of each group commit of published batches to the log (one LMDB write transaction).");
    expo_histogram (out, "rcmq_broker_commit_duration_seconds", NULL, self->commit_latency);
    expo_family (out, "rcmq_problems", EXPO_GAUGE,
                 "Problems the process reports (rcmqctl status): retrying does not fix them.");
    expo_sample (out, "rcmq_problems", NULL, (double) problems_count (self->problems));
    ops_store_figures (out, self->store);
}

//  The broker's port starts after its store is open and every socket is
//  bound, and it depends on no one: started is ready.
static bool
s_ready (void *arg, char *why, size_t size)
{
    (void) arg; (void) why; (void) size;
    return true;
}

static void
s_handled (void *arg, const char *method, Status status, double seconds)
{
    ops_request ((ops_t *) arg, method, codec_status_name (status), seconds);
}

int
broker_ops_start (broker_t *self)
{
    self->commit_latency = expo_histogram_new (expo_latency_bounds, expo_latency_bound_count);
    self->ops = ops_new ("broker");
    ops_on_collect (self->ops, s_collect, self);
    ops_on_ready (self->ops, s_ready, self);
    server_on_handled (self->api, s_handled, self->ops);
    return ops_start (self->ops, self->config, self->loop);
}

void
broker_ops_destroy (broker_t *self)
{
    ops_destroy (&self->ops);
    expo_histogram_destroy (&self->commit_latency);
}
