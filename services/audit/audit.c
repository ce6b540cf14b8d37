/*  audit: rcmq-audit's state; the registry's bootstrap and its clock.

    Bootstrap is a call audit makes itself at its first start, never a
    request (ADR 19 §6, ADR 21): the admins named by audit/admins (default
    "admin admin2", scripts/run's demo keys) and the processes' own keys
    (gate_processes), each with the key of its certificate in keys/dir; the
    role is decided here, not by the certificate's metadata. It must enter
    two admins (a deployment with one can grant nothing): with fewer, the
    start fails naming the missing certificates, and nothing is written.
    Then the registry is sealed (registry_bootstrap_seal) in the same
    transaction, and every later start passes over the bootstrap: a
    certificate written into the keys directory afterwards is never
    entered, whatever its name (the hole ADR 21 closes).
*/
#include "audit.h"
#include "clock.h"
#include "gate.h"
#include "log.h"
#include "transport.h"

audit_t *
audit_new (service_t *service)
{
    audit_t *self = (audit_t *) zmalloc (sizeof (audit_t));
    self->service = service;
    self->store = service_store (service);
    self->outbox = service_outbox (service);
    self->expire_timer = -1;
    self->log = auditlog_new (service);
    if (!self->log)
        audit_destroy (&self);
    return self;
}

void
audit_destroy (audit_t **self_p)
{
    audit_t *self = *self_p;
    if (self) {
        if (self->expire_timer != -1)
            zloop_timer_end (service_loop (self->service), self->expire_timer);
        auditlog_destroy (&self->log);
        free (self);
        *self_p = NULL;
    }
}

typedef struct {
    audit_t *self;
    const char *keys_dir;
    const char *admins;         //  space- or comma-separated names
    uint64_t sealed_ms;         //  out: when it was sealed before (0: now)
} s_boot_t;

//  Enters one identity with the key of its certificate: its events join
//  the outbox in the same txn. No certificate: logged, passed over.
static int
s_boot_one (s_boot_t *boot, MDB_txn *txn, uint64_t now, const char *name, const char *role)
{
    char *key = transport_load_public_key (boot->keys_dir, name);
    if (!key) {
        log_warn ("access registry: no certificate to bootstrap from", "name", json_string (name),
                  "role", json_string (role), "keys_dir", json_string (boot->keys_dir), NULL);
        return 0;
    }
    registry_result_t result;
    registry_result_init (&result);
    int rc = registry_bootstrap (boot->self->store, txn, now, name, role, "internal", key, &result);
    if (rc == 0)
        rc = registry_result_emit (&result, boot->self->outbox, txn);
    if (rc == 0 && result.status != STATUS__OK)
        log_warn ("access registry: bootstrap refused", "name", json_string (name),
                  "role", json_string (role), "why", json_string (result.error), NULL);
    registry_result_clear (&result);
    free (key);
    return rc;
}

static int
s_boot (store_t *store, MDB_txn *txn, void *arg)
{
    s_boot_t *boot = (s_boot_t *) arg;
    int rc = registry_bootstrap_sealed (store, txn, &boot->sealed_ms);
    if (rc || boot->sealed_ms)
        return rc;
    uint64_t now = clock_now_ms ();
    char *names = strdup (boot->admins);
    char *save = NULL;
    for (char *name = strtok_r (names, " ,", &save); name && rc == 0; name = strtok_r (NULL, " ,", &save))
        rc = s_boot_one (boot, txn, now, name, "admin");
    free (names);
    for (size_t i = 0; gate_processes [i] && rc == 0; i++)
        rc = s_boot_one (boot, txn, now, gate_processes [i], "service");
    size_t admins = 0;
    if (rc == 0)
        rc = registry_admin_count (store, txn, &admins);
    if (rc == 0 && admins < REGISTRY_BOOTSTRAP_ADMINS)
        return store_fail (store, "the first start needs the certificates of %d admins (audit/admins = '%s' in %s/public); "
                           "found %zu: a deployment with one admin can grant nothing",
                           REGISTRY_BOOTSTRAP_ADMINS, boot->admins, boot->keys_dir, admins);
    return rc? rc: registry_bootstrap_seal (store, txn, now);
}

//  The registry's clock: suspensions, ends of break-glass and reviews,
//  lapsed requests. Writes nothing when nothing is due.
static int
s_expire (store_t *store, MDB_txn *txn, void *arg)
{
    audit_t *self = (audit_t *) arg;
    registry_result_t result;
    registry_result_init (&result);
    int rc = registry_expire (store, txn, clock_now_ms (), &result);
    if (rc == 0)
        rc = registry_result_emit (&result, self->outbox, txn);
    registry_result_clear (&result);
    return rc;
}

static int
s_on_expire (zloop_t *loop, int timer_id, void *arg)
{
    audit_t *self = (audit_t *) arg;
    if (store_write (self->store, s_expire, self))
        log_error ("access registry: expiry failed", "error", json_string (store_error (self->store)), NULL);
    else
        service_kick (self->service);
    return 0;
}

int
audit_start (service_t *service)
{
    audit_t *self = (audit_t *) service_state (service);
    config_t *config = service_config (service);
    char *keys_dir = strdup (config_path (config, "keys/dir", "var/keys"));
    s_boot_t boot = { self, keys_dir, config_get (config, "audit/admins", "admin admin2"), 0 };
    int rc = store_write (self->store, s_boot, &boot);
    free (keys_dir);
    if (rc) {
        log_error ("access registry: bootstrap failed", "error", json_string (store_error (self->store)), NULL);
        return -1;
    }
    if (boot.sealed_ms) {
        char when [32];
        clock_format_iso8601 (boot.sealed_ms, when, sizeof when);
        log_info ("access registry: bootstrapped before; no key file is read again", "sealed", json_string (when), NULL);
    }
    service_kick (service);
    self->expire_timer = zloop_timer (service_loop (service), AUDIT_EXPIRE_MS, 0, s_on_expire, self);
    return auditlog_start (self->log);
}
