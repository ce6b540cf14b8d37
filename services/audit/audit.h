/*  audit: rcmq-audit's state, one object the skeleton makes and hands to
    every handler (service_state), and the tables of its store. The parts:

        audit.c           the state: the registry's bootstrap at start and
                          the one-second timer that runs registry_expire
        access_methods.c  the access.* methods over the registry
        main.c            the process: wires the parts into the skeleton

        auditlog.c        the transparency log: a leaf per event of every
                          stream, signed checkpoints (issue 16, ADR 26)
        audit_methods.c   the audit.* methods over the log
*/
#ifndef RCMQ_AUDIT_H
#define RCMQ_AUDIT_H

#include "service.h"
#include "registry.h"
#include "auditlog.h"

//  The access registry (common/registry.h) is audit's to own (ADR 19).
#define AUDIT_TABLES REGISTRY_TABLES, AUDITLOG_TABLES

//  How often the clock's part of the registry runs: a vendor's valid-until,
//  a break-glass window and a review's date end within a second.
#define AUDIT_EXPIRE_MS 1000

typedef struct {
    service_t *service;
    store_t *store;
    outbox_t *outbox;           //  the `access` events go out through it
    int expire_timer;           //  zloop timer id, -1 before start
    auditlog_t *log;            //  the transparency log (auditlog.h)
} audit_t;

//  The state of a started service (its store and outbox are the
//  skeleton's). Never NULL.
audit_t *audit_new (service_t *service);
void     audit_destroy (audit_t **self_p);

//  The start hook: at the first start, enters the first admins (config
//  audit/admins, default "admin admin2") and the processes' own service
//  keys from their certificates in keys/dir (registry_bootstrap) and seals
//  the bootstrap (ADR 21); later starts read no key file. Starts the
//  expiry timer. 0, or -1 (logged) when the store failed or the first
//  start found fewer than two admins.
int      audit_start (service_t *service);

#endif
