/*  registry: the broker's copy of the access registry (ADR 21).

    Every process decides who connects and who acts from the registry
    (common/gate.h). The services learn it by consuming the `access`
    stream; the broker is that stream's source, so it learns it from its
    own log: each access event rcmq-audit publishes is applied to the copy
    in the transaction that takes it into the log (ingest.c), so the broker
    admits a grant, and refuses a revoked key, from the moment the event is
    committed, before any consumer has it. access_meta "log_seq" is the
    last stream seq applied, so a broker that took access events without
    applying them (an older version) catches up at start from its log.
*/
#include "broker.h"
#include "log.h"

#define S_LOG_SEQ "log_seq"
#define S_CATCH_UP_BATCH 500

int
broker_registry_take (broker_t *self, MDB_txn *txn, const Event *event)
{
    if (!event->stream || strcmp (event->stream, REGISTRY_STREAM))
        return 0;
    int rc = registry_apply_event (self->store, txn, event);
    return rc? rc: store_put_u64 (self->store, txn, "access_meta", S_LOG_SEQ, event->stream_seq);
}

typedef struct {
    broker_t *self;
    Event **events;
    size_t count;
} s_catch_up_t;

static int
s_apply (store_t *store, MDB_txn *txn, void *arg)
{
    s_catch_up_t *batch = (s_catch_up_t *) arg;
    for (size_t i = 0; i < batch->count; i++) {
        int rc = broker_registry_take (batch->self, txn, batch->events [i]);
        if (rc)
            return rc;
    }
    return 0;
}

int
broker_registry_catch_up (broker_t *self)
{
    size_t applied_total = 0;
    while (true) {
        MDB_txn *txn = store_read_begin (self->store);
        uint64_t applied = 0;
        int rc = txn? store_get_u64 (self->store, txn, "access_meta", S_LOG_SEQ, &applied): -1;
        store_read_end (&txn);
        if (rc)
            return -1;
        uint64_t head = eventlog_head (self->log, REGISTRY_STREAM);
        if (applied >= head)
            break;
        //  Pruned by retention: what is left is all there is to learn.
        uint64_t from = applied + 1 < eventlog_first (self->log, REGISTRY_STREAM)
                      ? eventlog_first (self->log, REGISTRY_STREAM): applied + 1;
        s_catch_up_t batch = { self, NULL, 0 };
        batch.events = eventlog_fetch (self->log, REGISTRY_STREAM, from, S_CATCH_UP_BATCH,
                                       SIZE_MAX, &batch.count);
        if (!batch.count) {
            free (batch.events);
            break;
        }
        rc = store_write (self->store, s_apply, &batch);
        applied_total += batch.count;
        for (size_t i = 0; i < batch.count; i++)
            codec_free (batch.events [i]);
        free (batch.events);
        if (rc)
            return -1;
    }
    if (applied_total)
        log_info ("access registry: copy caught up from the log", "events",
                  json_integer ((json_int_t) applied_total), NULL);
    return 0;
}
