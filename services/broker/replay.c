/*  replay: answers FETCH (a range of one stream) and takes HELLO, the
    consumers' heartbeat that tells us how far each one has applied.
*/
#include "broker.h"
#include "transport.h"
#include "clock.h"
#include "log.h"

#include <inttypes.h>

#define REPLAY_MAX_EVENTS 5000
#define REPLAY_MAX_BYTES  (4u << 20)
//  Events a filtered fetch looks at for one reply (ADR 58): bounds the
//  time one FETCH holds the broker's loop when few events match.
#define REPLAY_MAX_SCAN   50000

static void
s_fetch (broker_t *self, zframe_t **routing_id_p, FetchRequest *request)
{
    FetchReply reply = FETCH_REPLY__INIT;
    reply.stream = request->stream;
    size_t max = request->max_events && request->max_events < REPLAY_MAX_EVENTS
               ? request->max_events: REPLAY_MAX_EVENTS;
    uint64_t first = eventlog_first (self->log, request->stream);
    uint64_t from = request->from_seq < first? first: request->from_seq;
    size_t count = 0;
    Event **events;
    if (request->filtered)
        events = eventlog_fetch_types (self->log, request->stream, from, request->types, request->n_types,
                                       max, REPLAY_MAX_BYTES, REPLAY_MAX_SCAN, &count, &reply.through_seq);
    else
        events = eventlog_fetch (self->log, request->stream, from, max, REPLAY_MAX_BYTES, &count);
    reply.from_seq = request->from_seq;
    reply.events = events;
    reply.n_events = count;
    reply.head_seq = eventlog_head (self->log, request->stream);
    reply.first_seq = first;
    reply.store_id = self->store_id;
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, routing_id_p);
    zmsg_addstr (msg, "FETCHED");
    zframe_t *frame = codec_encode (&reply);
    zmsg_append (msg, &frame);
    zmsg_send (&msg, self->replay);
    zmsg_destroy (&msg);
    for (size_t i = 0; i < count; i++)
        codec_free (events [i]);
    free (events);
}

static void
s_hello (broker_t *self, ConsumerHello *hello)
{
    for (size_t i = 0; i < hello->n_applied; i++) {
        char key [300];
        snprintf (key, sizeof key, "%s\n%s", hello->consumer, hello->applied [i]->stream);
        broker_consumer_t *consumer = (broker_consumer_t *) zhashx_lookup (self->consumers, key);
        if (!consumer) {
            consumer = (broker_consumer_t *) zmalloc (sizeof (broker_consumer_t));
            snprintf (consumer->consumer, sizeof consumer->consumer, "%s", hello->consumer);
            snprintf (consumer->stream, sizeof consumer->stream, "%s", hello->applied [i]->stream);
            zhashx_insert (self->consumers, key, consumer);
        }
        consumer->applied = hello->applied [i]->head_seq;
        consumer->last_seen_ms = clock_now_ms ();
        //  A consumer that applied more than the stream holds read from a
        //  newer log than this store: it was restored from an older copy.
        uint64_t head = eventlog_head (self->log, consumer->stream);
        char subject [300];
        snprintf (subject, sizeof subject, "%s/%s", consumer->consumer, consumer->stream);
        if (consumer->applied > head) {
            if (problems_raise (self->problems, "consumer_ahead_of_log", subject, consumer->applied,
                                "consumer %s has applied %s up to seq %" PRIu64 " but the stream ends at %" PRIu64
                                ": the broker's store is older than the consumer's (restored from a copy?)",
                                consumer->consumer, consumer->stream, consumer->applied, head))
                log_error ("replay: a consumer is ahead of the log", "consumer", json_string (consumer->consumer),
                           "stream", json_string (consumer->stream),
                           "applied", json_integer ((json_int_t) consumer->applied),
                           "head", json_integer ((json_int_t) head), NULL);
        }
        else
            problems_clear (self->problems, "consumer_ahead_of_log", subject);
    }
}

int
broker_replay_on_input (zloop_t *loop, zsock_t *socket, void *arg)
{
    broker_t *self = (broker_t *) arg;
    zmsg_t *msg = zmsg_recv (socket);
    if (!msg)
        return 0;
    zframe_t *routing_id = zmsg_pop (msg);
    char *command = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    //  A service key revoked while its connection is open reads no more:
    //  the registry is asked on every command, as the api asks on every
    //  request (ADR 21). No answer: the consumer sees a silent broker.
    registry_caller_t caller;
    const char *key = body? transport_peer_key (body): NULL;
    if (command && (gate_caller (self->gate, key, &caller) != 0 || !streq (caller.identity.role, "service"))) {
        log_warn ("replay: command of a key the access registry does not hold as a service, dropped",
                  "key", json_string (key? key: ""), "why", json_string (caller.why), NULL);
        free (command);
        zframe_destroy (&body);
        zframe_destroy (&routing_id);
        zmsg_destroy (&msg);
        return 0;
    }
    if (command && streq (command, "FETCH")) {
        FetchRequest *request = (FetchRequest *) codec_decode_frame (&fetch_request__descriptor, body);
        if (request && request->stream)
            s_fetch (self, &routing_id, request);
        codec_free (request);
    }
    else
    if (command && streq (command, "HELLO")) {
        ConsumerHello *hello = (ConsumerHello *) codec_decode_frame (&consumer_hello__descriptor, body);
        if (hello && hello->consumer)
            s_hello (self, hello);
        codec_free (hello);
    }
    else
        log_warn ("replay: unknown command, dropped", "command", json_string (command? command: ""), NULL);
    free (command);
    zframe_destroy (&body);
    zframe_destroy (&routing_id);
    zmsg_destroy (&msg);
    return 0;
}
