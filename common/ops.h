/*  ops: a process's optional ops port, for operators' tools (issue 18,
    docs/operations.md "Ops port", ADR 34). Every rcmq process (the
    broker, each service, rcmq-web) serves, when `<process>/ops` is set
    (an IPv4 address and port, e.g. "127.0.0.1:7691"), plain HTTP:

      GET /metrics   the Prometheus text exposition (common/expo.h): what
                     ops keeps itself (process start time, requests by
                     method and status, request latency histograms), then
                     what the process adds through its collect function
                     (outbox depth, consumer lag, the broker's log and
                     commit latency, LMDB map usage, escalations raised)
      GET /healthz   200 "ok": the process's loop is running
      GET /readyz    200 "ready", or 503 with the reason: what the
                     process's ready function says (store open, api bound,
                     caught up with the broker)

    libmicrohttpd parses HTTP. It runs in external-poll mode on the
    process's own zloop (as rcmq-web's dashboard does), so every answer is
    made on the thread that owns the store, the consumer and the outbox:
    no figure is shared between threads, no lock, no atomics. The price is
    that a loop busy with a long transaction answers when it is done; for
    /healthz that is the point (a stuck loop is not alive).

    The port is off unless configured: it has no authentication (it
    carries no PHI and no identity, only counts), so it is bound to
    loopback by default and reached by a scraper on the same host or pod.
    `<process>/ops-url` names the base URL others use (status shows it),
    by default http://<address>.
*/
#ifndef RCMQ_OPS_H
#define RCMQ_OPS_H

#include <czmq.h>
#include "config.h"
#include "expo.h"
#include "store.h"

typedef struct _ops_t ops_t;

//  Writes the process's own families into out, on the loop's thread.
typedef void (ops_collect_fn) (expo_t *out, void *arg);
//  True when ready; else false with the reason in why.
typedef bool (ops_ready_fn) (void *arg, char *why, size_t size);

ops_t      *ops_new (const char *process);
void        ops_destroy (ops_t **self_p);
void        ops_on_collect (ops_t *self, ops_collect_fn *fn, void *arg);
void        ops_on_ready (ops_t *self, ops_ready_fn *fn, void *arg);
//  Counts a request handled: its method (NULL: one the process does not
//  have, counted as "unknown", so a client cannot make labels), its
//  status name, and how long it took.
void        ops_request (ops_t *self, const char *method, const char *status, double seconds);
//  Starts serving on loop when config sets <process>/ops: 0 (also when it
//  is not set: nothing to do), -1 (logged, naming the setting) when the
//  value is not an IPv4 address and port or the port cannot be bound.
int         ops_start (ops_t *self, config_t *config, zloop_t *loop);
//  Stops serving (before the loop is destroyed).
void        ops_stop (ops_t *self);
//  The base URL ("http://127.0.0.1:7691"), NULL while the port is off.
const char *ops_url (ops_t *self);

//  The scrape as /metrics answers it (for tests and tools), a string to
//  free.
char       *ops_scrape (ops_t *self);

//  Every process's store figures: LMDB map size and the bytes in use (the
//  pages up to the last one written, which is also the file's live size).
void        ops_store_figures (expo_t *out, store_t *store);

#endif
