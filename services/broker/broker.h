/*  rcmq-broker: the durable event log with fan-out and replay (DESIGN §2).

    One process, one zloop, one LMDB env. The parts:
        ingest.c   ROUTER: PUBLISH batches, group-committed, acked after commit
        fanout     XPUB: each committed event, and "$hb" heartbeats
        replay.c   ROUTER: FETCH ranges of a stream; HELLO from consumers
        status.c   the api socket: broker.Status, broker.Health
        figures.c  the ops port's figures (common/ops.h): /metrics, /readyz
        producers.c  which producer names and streams a service key may publish
        registry.c the broker's copy of the access registry, learned from
                   its own log (ADR 21)
*/
#ifndef RCMQ_BROKER_H
#define RCMQ_BROKER_H

#include <czmq.h>
#include "config.h"
#include "eventlog.h"
#include "fanout.h"
#include "gate.h"
#include "ops.h"
#include "problems.h"
#include "server.h"
#include "store.h"

typedef struct {
    config_t *config;
    store_t *store;
    eventlog_t *log;
    gate_t *gate;               //  who connects and acts: the registry (ADR 21)
    zactor_t *zap;
    zcert_t *cert;
    zloop_t *loop;
    zsock_t *ingest;
    zsock_t *fanout;
    zsock_t *replay;
    server_t *api;
    zhashx_t *consumers;        //  "consumer\nstream" -> broker_consumer_t
    zhashx_t *producers_seen;   //  producer -> uint64_t* last seen (wall ms)
    uint64_t started_ms;
    uint64_t retention_hours;
    uint64_t published;
    problems_t *problems;       //  what status reports as wrong (common/problems.h)
    ops_t *ops;                 //  the ops port (broker/ops), figures.c
    expo_histogram_t *commit_latency;   //  of ingest's group commits, seconds
    char store_id [40];         //  made once with the store; in heartbeats and fetch replies
    //  The filter topics subscribed on fanout ("stream?type,...", ADR 58),
    //  as the XPUB socket tells them: broker_filter_t.
    zlistx_t *filters;
} broker_t;

typedef struct {
    char *topic;                //  "stream?a,b" as the consumer subscribed it
    size_t stream_len;          //  of the stream's name at its start
    fanout_type_t *types;       //  the types it names, in its topic (fanout_filter_types)
    size_t n_types;
    uint64_t frames;            //  sent on it, and their bytes (one subscriber's)
    uint64_t bytes;
} broker_filter_t;

typedef struct {
    char consumer [128];
    char stream [128];
    uint64_t applied;
    uint64_t last_seen_ms;
} broker_consumer_t;

//  The broker's copy of the access registry (registry.c). The broker is
//  the `access` stream's source, not a consumer of it: it applies each
//  access event as it takes it into the log, in the same transaction
//  (broker_registry_take), and at start catches up from its own log with
//  what an older broker took without applying (broker_registry_catch_up).
#define BROKER_REGISTRY_TABLES REGISTRY_TABLES
int  broker_registry_take (broker_t *self, MDB_txn *txn, const Event *event);
int  broker_registry_catch_up (broker_t *self);

//  Publishes entries committed to the log on the fanout socket: each
//  stream's frames, then each filter's (ADR 58).
void broker_publish (broker_t *self, const eventlog_entry_t *entries, size_t count);
//  Takes the fanout socket's subscription messages: keeps self->filters.
int  broker_fanout_on_input (zloop_t *loop, zsock_t *socket, void *arg);

//  0 when the connection with this key (Z85, ZAP User-Id) may publish the
//  batch; -1 with the reason (naming the key's service and the stream) and
//  *stream the stream of the event refused ("" when not one event's).
int  broker_producer_check (broker_t *self, const char *key, const PublishBatch *batch,
                            const char **stream, char *reason, size_t size);
int  broker_ingest_on_input (zloop_t *loop, zsock_t *socket, void *arg);
int  broker_replay_on_input (zloop_t *loop, zsock_t *socket, void *arg);
//  The api's method table (broker.Status, broker.Health) and its audit sink.
extern const server_method_t broker_methods [];
int  broker_audit (store_t *store, MDB_txn *txn, const AccessEvent *event, void *arg);
void broker_api_committed (void *arg);
//  The ops port (figures.c): started last in start-up, when broker/ops is
//  set; 0 or -1 (logged). Destroy before the loop.
int  broker_ops_start (broker_t *self);
void broker_ops_destroy (broker_t *self);

#endif
