/*  status: the broker's api socket. broker.Status reports every stream's
    head and oldest kept seq, every producer's committed seq, and every
    consumer's applied seq and lag, as consumers last said in HELLO.
    Access records of these requests go straight into the log (stream
    "audit"), the broker being the log.
*/
#include "broker.h"
#include "clock.h"

static int
s_status (server_call_t *call)
{
    broker_t *self = (broker_t *) call->state;
    BrokerStatus status = BROKER_STATUS__INIT;
    status.version = RCMQ_VERSION;
    status.started_ms = self->started_ms;
    status.retention_hours = self->retention_hours;

    zlistx_t *streams = eventlog_streams (self->log);
    size_t n_streams = zlistx_size (streams);
    StreamStatus *stream_rows = (StreamStatus *) calloc (n_streams + 1, sizeof (StreamStatus));
    StreamStatus **stream_ptrs = (StreamStatus **) calloc (n_streams + 1, sizeof (StreamStatus *));
    size_t i = 0;
    for (char *name = (char *) zlistx_first (streams); name; name = (char *) zlistx_next (streams), i++) {
        stream_status__init (&stream_rows [i]);
        stream_rows [i].stream = name;
        stream_rows [i].head_seq = eventlog_head (self->log, name);
        stream_rows [i].first_seq = eventlog_first (self->log, name);
        stream_rows [i].events = stream_rows [i].head_seq
                               ? stream_rows [i].head_seq - stream_rows [i].first_seq + 1: 0;
        stream_ptrs [i] = &stream_rows [i];
    }
    status.n_streams = n_streams;
    status.streams = stream_ptrs;

    zlistx_t *producers = eventlog_producers (self->log);
    size_t n_producers = zlistx_size (producers);
    ProducerStatus *producer_rows = (ProducerStatus *) calloc (n_producers + 1, sizeof (ProducerStatus));
    ProducerStatus **producer_ptrs = (ProducerStatus **) calloc (n_producers + 1, sizeof (ProducerStatus *));
    i = 0;
    for (char *name = (char *) zlistx_first (producers); name; name = (char *) zlistx_next (producers), i++) {
        producer_status__init (&producer_rows [i]);
        producer_rows [i].producer = name;
        producer_rows [i].acked_seq = eventlog_producer_acked (self->log, name);
        uint64_t *seen = (uint64_t *) zhashx_lookup (self->producers_seen, name);
        producer_rows [i].last_seen_ms = seen? *seen: 0;
        producer_ptrs [i] = &producer_rows [i];
    }
    status.n_producers = n_producers;
    status.producers = producer_ptrs;

    size_t n_consumers = zhashx_size (self->consumers);
    ConsumerStatus *consumer_rows = (ConsumerStatus *) calloc (n_consumers + 1, sizeof (ConsumerStatus));
    ConsumerStatus **consumer_ptrs = (ConsumerStatus **) calloc (n_consumers + 1, sizeof (ConsumerStatus *));
    i = 0;
    for (broker_consumer_t *consumer = (broker_consumer_t *) zhashx_first (self->consumers); consumer;
         consumer = (broker_consumer_t *) zhashx_next (self->consumers), i++) {
        consumer_status__init (&consumer_rows [i]);
        consumer_rows [i].consumer = consumer->consumer;
        consumer_rows [i].stream = consumer->stream;
        consumer_rows [i].applied_seq = consumer->applied;
        uint64_t head = eventlog_head (self->log, consumer->stream);
        //  Signed: a consumer ahead of the stream is the sign of a log
        //  restored from an older copy, not "no lag".
        consumer_rows [i].lag = (int64_t) head - (int64_t) consumer->applied;
        consumer_rows [i].last_seen_ms = consumer->last_seen_ms;
        consumer_ptrs [i] = &consumer_rows [i];
    }
    status.n_consumers = n_consumers;
    status.consumers = consumer_ptrs;
    status.problems = problems_to_proto (&self->problems, 1, &status.n_problems);
    status.ops = (char *) (ops_url (self->ops)? ops_url (self->ops): "");

    server_call_reply (call, &status);
    problems_proto_free (&status.problems, status.n_problems);
    free (stream_rows);
    free (stream_ptrs);
    free (producer_rows);
    free (producer_ptrs);
    free (consumer_rows);
    free (consumer_ptrs);
    zlistx_destroy (&streams);
    zlistx_destroy (&producers);
    return 0;
}

static int
s_health (server_call_t *call)
{
    broker_t *self = (broker_t *) call->state;
    HealthReply reply = HEALTH_REPLY__INIT;
    reply.service = "broker";
    reply.version = RCMQ_VERSION;
    reply.started_ms = self->started_ms;
    reply.now_ms = clock_now_ms ();
    reply.broker_connected = true;
    server_call_reply (call, &reply);
    return 0;
}

const server_method_t broker_methods [] = {
    //  Stream heads and producers: operations, not any queue's work.
    SERVER_INTERNAL_METHOD (broker, Status, read, NULL, s_status),
    { "broker.Health", "health.read", NULL, s_health, SERVER_UNSCOPED, NULL, SERVER_NO_PHI },
    { NULL }
};

int
broker_audit (store_t *store, MDB_txn *txn, const AccessEvent *access, void *arg)
{
    broker_t *self = (broker_t *) arg;
    //  A retried attempt starts over: drop what the last attempt queued.
    eventlog_begin (self->log);
    size_t size;
    uint8_t *payload = codec_pack (access, &size);
    Event event = EVENT__INIT;
    event.stream = "audit";
    event.type = "access";
    event.producer = "broker";
    event.time_ms = clock_now_ms ();
    event.key = access->actor_name;
    event.payload.data = payload;
    event.payload.len = size;
    int rc = eventlog_append (self->log, txn, &event);
    free (payload);
    return rc? rc: eventlog_flush (self->log, txn);
}

void
broker_api_committed (void *arg)
{
    broker_t *self = (broker_t *) arg;
    size_t count;
    const eventlog_entry_t *entries = eventlog_committed (self->log, &count);
    broker_publish (self, entries, count);
    eventlog_published (self->log);
}
