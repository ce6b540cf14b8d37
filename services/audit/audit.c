/*  audit: rcmq-audit's state; the registry's bootstrap and its clock.

    Bootstrap is a call audit makes itself at start, never a request (ADR
    19 §6): the registry takes at most REGISTRY_BOOTSTRAP_ADMINS admins
    this way and ignores a key it already holds, so running it at every
    start is harmless. The names come from config (audit/admins), the keys
    from their certificates: a certificate is a credential, so the name's
    key is what it holds; the role is decided here, not by the
    certificate's metadata. A named admin without a certificate is logged
    and passed over: the deployment then has fewer admins and can grant
    nothing until it has two.
*/
#include "audit.h"
#include "clock.h"
#include "keyring.h"
#include "log.h"

//  The processes whose own keys are entered with role service: the names
//  `rcmqctl keys init` makes.
static const char *const s_processes [] = {
    "broker", "intake", "claims", "denials", "inquiry", "audit", "metrics", NULL
};

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
    keyring_t *keyring;
    const char *admins;         //  space- or comma-separated names
} s_boot_t;

//  Enters one identity: its events join the outbox in the same txn.
static int
s_boot_one (s_boot_t *boot, MDB_txn *txn, uint64_t now, const identity_t *cert, const char *role)
{
    registry_result_t result;
    registry_result_init (&result);
    int rc = registry_bootstrap (boot->self->store, txn, now, cert->name, role, "internal",
                                 cert->key, &result);
    if (rc == 0)
        rc = registry_result_emit (&result, boot->self->outbox, txn);
    if (rc == 0 && result.status != STATUS__OK)
        log_warn ("access registry: bootstrap refused", "name", json_string (cert->name),
                  "role", json_string (role), "why", json_string (result.error), NULL);
    registry_result_clear (&result);
    return rc;
}

static int
s_boot (store_t *store, MDB_txn *txn, void *arg)
{
    s_boot_t *boot = (s_boot_t *) arg;
    uint64_t now = clock_now_ms ();
    char *names = strdup (boot->admins);
    char *save = NULL;
    int rc = 0;
    for (char *name = strtok_r (names, " ,", &save); name && rc == 0; name = strtok_r (NULL, " ,", &save)) {
        const identity_t *cert = keyring_find_name (boot->keyring, name);
        if (cert)
            rc = s_boot_one (boot, txn, now, cert, "admin");
        else
            log_warn ("access registry: no certificate for an admin named in audit/admins",
                      "name", json_string (name), NULL);
    }
    free (names);
    for (size_t i = 0; s_processes [i] && rc == 0; i++) {
        const identity_t *cert = keyring_find_name (boot->keyring, s_processes [i]);
        if (cert)
            rc = s_boot_one (boot, txn, now, cert, "service");
    }
    return rc;
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
    s_boot_t boot = { self, keyring_new (keys_dir), config_get (config, "audit/admins", "admin admin2") };
    free (keys_dir);
    if (!boot.keyring) {
        log_error ("access registry: no keys directory to bootstrap from", NULL);
        return -1;
    }
    int rc = store_write (self->store, s_boot, &boot);
    keyring_destroy (&boot.keyring);
    if (rc) {
        log_error ("access registry: bootstrap failed", "error", json_string (store_error (self->store)), NULL);
        return -1;
    }
    service_kick (service);
    self->expire_timer = zloop_timer (service_loop (service), AUDIT_EXPIRE_MS, 0, s_on_expire, self);
    return auditlog_start (self->log);
}
