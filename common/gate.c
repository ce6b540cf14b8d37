/*  gate: see gate.h. A lookup reads the registry version in a read
    transaction; the cached answer for the key stands while the version is
    the one it was read at and its end instant (valid-until, break-glass)
    has not come; otherwise registry_lookup_key answers again. A key the
    registry does not hold is, while the copy is at version 0, checked
    against the processes' certificates.
*/
#include "gate.h"
#include "clock.h"
#include "transport.h"

#include <czmq.h>

//  More keys than this in the cache: it starts again empty (every entry
//  is only a copy of what the store says).
#define GATE_CACHE_MAX 4096

const char *const gate_processes [] = {
    "broker", "intake", "claims", "denials", "inquiry", "audit", "metrics", "web", NULL
};

typedef struct {
    int rc;                     //  registry_lookup_key's 0 or 1
    registry_caller_t caller;
    uint64_t until_ms;          //  look again from this instant (0: never)
} s_entry_t;

static void
s_entry_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

struct _gate_t {
    store_t *store;
    zhashx_t *cache;            //  Z85 key -> s_entry_t
    char *process_keys [16];    //  gate_processes' keys, NULL when missing
};

gate_t *
gate_new (store_t *store, const char *keys_dir)
{
    assert (store);
    gate_t *self = (gate_t *) zmalloc (sizeof (gate_t));
    self->store = store;
    self->cache = zhashx_new ();
    zhashx_set_destructor (self->cache, s_entry_free);
    for (size_t i = 0; gate_processes [i]; i++) {
        assert (i < sizeof self->process_keys / sizeof self->process_keys [0]);
        self->process_keys [i] = keys_dir? transport_load_public_key (keys_dir, gate_processes [i]): NULL;
    }
    return self;
}

void
gate_destroy (gate_t **self_p)
{
    assert (self_p);
    gate_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->cache);
    for (size_t i = 0; gate_processes [i]; i++)
        free (self->process_keys [i]);
    free (self);
    *self_p = NULL;
}

void
gate_destroy_arg (void **self_p)
{
    gate_destroy ((gate_t **) self_p);
}

//  Before the copy has learned anything: a process's own key is that
//  process, role service. Only then, and only these names.
static bool
s_process (gate_t *self, const char *key, registry_caller_t *caller)
{
    for (size_t i = 0; gate_processes [i]; i++)
        if (self->process_keys [i] && streq (self->process_keys [i], key)) {
            snprintf (caller->identity.key, sizeof caller->identity.key, "%s", key);
            snprintf (caller->identity.name, sizeof caller->identity.name, "%s", gate_processes [i]);
            snprintf (caller->identity.role, sizeof caller->identity.role, "service");
            snprintf (caller->identity.team, sizeof caller->identity.team, "internal");
            caller->why [0] = 0;
            return true;
        }
    return false;
}

int
gate_caller (gate_t *self, const char *key, registry_caller_t *caller)
{
    memset (caller, 0, sizeof *caller);
    if (!key || !*key) {
        snprintf (caller->why, sizeof caller->why, "the connection has no CURVE key");
        return 1;
    }
    MDB_txn *txn = store_read_begin_shared (self->store);
    uint64_t version = 0;
    if (!txn || registry_version (self->store, txn, &version)) {
        store_read_end_shared (self->store, &txn);
        snprintf (caller->why, sizeof caller->why, "the access registry cannot be read: %s",
                  store_error (self->store));
        return -1;
    }
    uint64_t now = clock_now_ms ();
    s_entry_t *entry = (s_entry_t *) zhashx_lookup (self->cache, key);
    if (entry && entry->caller.version == version && (!entry->until_ms || now < entry->until_ms)) {
        store_read_end_shared (self->store, &txn);
        *caller = entry->caller;
        return entry->rc;
    }
    int rc = registry_lookup_key (self->store, txn, key, now, caller);
    store_read_end_shared (self->store, &txn);
    if (rc == -1) {
        snprintf (caller->why, sizeof caller->why, "the access registry cannot be read: %s",
                  store_error (self->store));
        return -1;
    }
    if (rc == 1 && version == 0 && s_process (self, key, caller))
        rc = 0;
    if (zhashx_size (self->cache) >= GATE_CACHE_MAX)
        zhashx_purge (self->cache);
    entry = (s_entry_t *) zmalloc (sizeof (s_entry_t));
    entry->rc = rc;
    entry->caller = *caller;
    //  An end date or a break-glass window ends at an instant, not with a
    //  new version: look again from then on.
    uint64_t ends [2] = { caller->valid_until_ms, caller->breakglass_until_ms };
    for (int i = 0; i < 2; i++)
        if (ends [i] && (!entry->until_ms || ends [i] < entry->until_ms))
            entry->until_ms = ends [i];
    zhashx_update (self->cache, key, entry);
    return rc;
}

int
gate_server_caller (void *self, const char *key, registry_caller_t *caller)
{
    return gate_caller ((gate_t *) self, key, caller);
}

int
gate_admit (void *arg, const char *domain, const char *key, char *why, size_t size)
{
    gate_t *self = (gate_t *) arg;
    registry_caller_t caller;
    int rc = gate_caller (self, key, &caller);
    if (rc) {
        snprintf (why, size, "%s", caller.why);
        return -1;
    }
    if (streq (domain, TRANSPORT_ZAP_DOMAIN_EVENTS) && !streq (caller.identity.role, "service")) {
        snprintf (why, size, "the event sockets admit only service keys; %s is %s",
                  caller.identity.name, caller.identity.role);
        return -1;
    }
    return 0;
}
