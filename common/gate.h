/*  gate: who may connect and act, decided by the access registry (ADR 21).

    Every process that serves (the broker, the six services) keeps the
    access registry in its own store: rcmq-audit owns it, every other
    process applies the `access` stream into its copy (common/service.c;
    the broker from its own log as the events are ingested). The gate
    answers, from that store, the two questions a server asks:

      - ZAP, on each new connection (gate_admit): may this CURVE key
        connect at all, to the api sockets (domain "rcmq") or to the
        broker's event sockets ("rcmq-events", role service only)?
      - the server, on EVERY request (gate_caller): whom does this key
        stand for now, in which role and team, with break-glass or not?
        So a revoke refuses the next request on an already open
        connection as soon as the copy has applied it.

    The answer is cached per key with the registry version it was read at
    (and the instant a valid-until or a break-glass window ends): a request
    reads the version (one B-tree read in a read transaction) and looks the
    key up again only when the version moved or that instant passed.

    Before the registry: the deployment's own processes. A process must
    reach the broker to learn the registry, and rcmq-audit must reach it to
    publish the registry's first events, so a copy that has learned
    nothing yet (registry version 0: a new deployment, a new store) admits
    the processes' own certificates (gate_processes, public/<name>.cert
    in the keys directory, read once at start) as role `service`, and no
    one else. From the copy's first event on, only the registry decides,
    for processes too (audit's bootstrap entered their keys). A person's
    key is never admitted from a file.

    A gate belongs to one thread (the ZAP handler's actor has its own);
    both read the same store through their own read transactions.
*/
#ifndef RCMQ_GATE_H
#define RCMQ_GATE_H

#include "registry.h"
#include "store.h"

//  The deployment's processes, each with its key at keys/public/<name>.cert
//  (the names `rcmqctl keys init` makes); NULL-terminated.
extern const char *const gate_processes [];

typedef struct _gate_t gate_t;

//  A gate over store (which declares REGISTRY_TABLES) and the processes'
//  certificates in keys_dir. Never NULL; a process whose certificate is
//  missing is simply not admitted before the registry.
gate_t *gate_new (store_t *store, const char *keys_dir);
void    gate_destroy (gate_t **self_p);
//  The same, for transport_zap_new's destroy argument.
void    gate_destroy_arg (void **self_p);

//  Whom key (Z85) stands for now: 0 with caller filled; 1 when it may not
//  act (unknown, requested, suspended, revoked, past its valid-until), with
//  caller->why; -1 when the store could not be read (caller->why says so).
int     gate_caller (gate_t *self, const char *key, registry_caller_t *caller);
//  The same as a server's caller function (server_caller_fn).
int     gate_server_caller (void *self, const char *key, registry_caller_t *caller);
//  The ZAP decision (transport_admit_fn): 0 admits key to domain; -1
//  refuses with why. The event domain admits role service only.
int     gate_admit (void *self, const char *domain, const char *key, char *why, size_t size);

#endif
