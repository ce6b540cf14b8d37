/*  service: the skeleton every rcmq service process runs on.

    service_main does what each of the six services needs before its own
    domain work: reads config (--config / RCMQ_CONFIG, RCMQ_* env), sets the
    clock (RCMQ_NOW), opens the LMDB env at <data/dir>/<name> (with the
    access registry's tables: every service keeps a copy of the registry,
    applied from the `access` stream, and decides with it who connects
    and who acts, ADR 21), loads the
    PHI key when the service handles PHI, starts the ZAP handler, binds the
    CURVE api socket, connects the outbox relay and the consumer to the
    broker, makes the service's state, answers <name>.Health, and runs
    one zloop. On
    SIGTERM or SIGINT it stops taking requests, flushes the outbox to the
    broker (bounded wait) and closes the store.

    A service describes itself with a service_def_t: its tables, the streams
    it consumes and its event table (consumer_event_t: which events it
    handles, decoded by the skeleton), its method table, its state object's
    constructor and destructor, and optional hooks. docs/new-service.md
    walks through one (services/denials).

    `--migrate` upgrades an older store (store_check_version, after a copy)
    holding the store's lock, and exits: `scripts/run migrate` runs it for
    every process. After the store opens, the clock is moved forward to the
    store's high-water mark when it would start earlier (a warning names
    both instants), so no process ever dates anything before what it
    already recorded.
*/
#ifndef RCMQ_SERVICE_H
#define RCMQ_SERVICE_H

#include "config.h"
#include "keyring.h"
#include "consumer.h"
#include "gate.h"
#include "outbox.h"
#include "phi.h"
#include "relay.h"
#include "server.h"
#include "store.h"
#include "workservice.h"

typedef struct _service_t service_t;

//  A service's state object: made once the skeleton's parts are up
//  (store, outbox, consumer, server, PHI key), before the start hook; NULL
//  (logged) when it cannot be, and the process exits 1. Destroyed after
//  the loop, after the stop hook. A `<service>_new (service_t *)` and its
//  `<service>_destroy (<service>_t **)` are given cast to these types, as
//  czmq's containers take destructors.
typedef void *(service_state_new_fn) (service_t *service);
typedef void (service_state_destroy_fn) (void **state_p);

typedef struct {
    const char *name;                       //  "intake": config section, cert, data dir
    const char *const *tables;              //  its own tables, NULL-terminated (may be NULL)
    const char *const *consumes;            //  streams, NULL-terminated (may be NULL)
    //  What it does with their events ({ NULL }-terminated, may be NULL):
    //  each handler gets the service's state (state_new's). Events
    //  of a consumed stream no entry names only move its offset.
    const consumer_event_t *events;
    //  Called for every event of every consumed stream (may be NULL), in
    //  the transaction that applies it and moves its offset, before its
    //  entry in events: for a service that keeps a record of each event
    //  whatever it is (audit's log). Returns as a consumer_apply_fn does;
    //  non-zero stops the stream there.
    int  (*each_event) (store_t *store, MDB_txn *txn, const Event *event, void *state);
    //  Called at the start and the end of each batch of events, inside its
    //  transaction (may be NULL): consumer_batch_fn, with the state.
    int  (*batch) (store_t *store, MDB_txn *txn, bool end, void *state);
    const server_method_t *methods;         //  { NULL }-terminated (may be NULL)
    //  Its state (may be NULL), handed to event handlers and found by
    //  request handlers with service_state.
    service_state_new_fn *state_new;
    service_state_destroy_fn *state_destroy;
    int  (*start) (service_t *service);     //  after the state, before the loop; 0 or -1
    void (*stop) (service_t *service);      //  after the loop
    //  After each committed request or batch of events: side effects that
    //  must wait for the commit (files, caches).
    void (*committed) (service_t *service);
    //  The layout version of its store (0 = 1) and the steps from older
    //  ones ({ 0 }-terminated, may be NULL); see store_check_version. A
    //  change of the store's layout bumps the version with its step.
    uint32_t store_version;
    const store_migration_t *migrations;
    //  True for a service that seals or opens PHI: the skeleton loads the
    //  key (phi/key-file, <keys/dir>/phi.key by default) before start and
    //  refuses to run without it; service_phi_key hands it out.
    bool phi;
    //  True for the service that owns the access registry (rcmq-audit):
    //  its store IS the registry. Every other service keeps a copy: the
    //  skeleton consumes the `access` stream for it and applies each event
    //  (registry_apply) before the service's own handler sees it.
    bool registry_owner;
    //  Set for a service that holds work items (docs/work-items.md): the
    //  skeleton adds WORKITEM_TABLES, loads the SLA policies, answers the
    //  work methods (<name>.WorkList, WorkGet, WorkAssign, WorkState,
    //  WorkNote) and runs the escalation timer; service_work hands out
    //  the items.
    const service_work_t *work;
} service_def_t;

//  Moves the clock forward to the store's high-water mark when it reads
//  earlier, logging a warning that names both instants; returns how far
//  it moved it (ms). Every process calls it once its store is open.
uint64_t    service_clock_floor (store_t *store);

//  Runs the process; returns its exit code.
int         service_main (const service_def_t *def, int argc, char *argv []);

//  The start-up steps a process that is not built on service_main (the
//  broker) shares with every service:
//
//  Reads --config FILE (or RCMQ_CONFIG) into config, --migrate into
//  *migrate; about is the --help text's first sentence. 0 to run, 1 when
//  --help was asked (exit 0), 2 on a bad command line or config (said on
//  stderr; exit 2).
int         service_options (const char *name, const char *about, int argc, char *argv [],
                             config_t *config, bool *migrate);
//  Opens the store at dir: its lock, its layout version (migrated with
//  migrate) and the clock moved up to the latest time it holds (into
//  *clock_moved_ms). 0, 1 when migrate has done its work, -1 (logged)
//  when it cannot be opened; the store, once made, is in *store_p in
//  every case, for the caller to destroy.
int         service_store_open (const char *dir, const char *const *tables, uint32_t version,
                                const store_migration_t *migrations, bool migrate,
                                store_t **store_p, uint64_t *clock_moved_ms);
//  Loads name's secret certificate from keys_dir, makes the gate over the
//  access registry in store (common/gate.h) for the servers, and starts
//  our ZAP handler with a gate of its own (before any server socket
//  binds). 0, or -1 (logged: run `rcmqctl keys init`) with nothing left
//  to free.
int         service_security (const char *keys_dir, const char *name, store_t *store,
                              zcert_t **cert_p, gate_t **gate_p, zactor_t **zap_p);

const char *service_name (service_t *self);
store_t    *service_store (service_t *self);
outbox_t   *service_outbox (service_t *self);
config_t   *service_config (service_t *self);
zloop_t    *service_loop (service_t *self);
consumer_t *service_consumer (service_t *self);
//  The service's own problems (its parts' are the relay's and consumer's);
//  Health carries them all.
problems_t *service_problems (service_t *self);
//  The service's own state (def->state_new's), for its handlers
//  (call->state is the service_t).
void       *service_state (service_t *self);
//  The work items of a def with .work set (NULL otherwise), owned by the
//  skeleton: workservice_items (service_work (service)) for the model.
workservice_t *service_work (service_t *self);
//  The process's own secret certificate (owned by the skeleton), for a
//  call to another service's api with its own key (common/peer.h).
zcert_t    *service_cert (service_t *self);
//  The PHI key (a def with .phi set), owned by the skeleton.
phi_key_t  *service_phi_key (service_t *self);
//  The folder setting key names (e.g. "claims/outbound-dir"), else
//  <data/dir>/<name>: a copy to free. With create it is made (0700) when
//  missing; NULL (logged, naming the setting) when it cannot be.
char       *service_folder (service_t *self, const char *key, const char *name, bool create);
//  Adds another method table (from the start hook), for services whose
//  methods live in several files.
void        service_add_methods (service_t *self, const server_method_t *methods);
//  Sends outbox entries now (after a commit outside requests and events).
void        service_kick (service_t *self);

#endif
