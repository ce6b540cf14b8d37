/*  keyring: see keyring.h. "Changed" is judged by a fingerprint of the
    directory listing (names, sizes, mtimes), cheap enough to take every
    few hundred milliseconds.
*/
#include "keyring.h"

#include <czmq.h>
#include <dirent.h>
#include <sys/stat.h>

struct _keyring_t {
    char *public_dir;
    zhashx_t *identities;       //  Z85 key -> identity_t
    uint64_t fingerprint;
};

static uint64_t
s_fingerprint (const char *dir)
{
    DIR *handle = opendir (dir);
    if (!handle)
        return 0;
    uint64_t hash = 1469598103934665603ULL;
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
        struct stat st;
        if (stat (path, &st))
            continue;
        //  Order-independent: sum of per-file hashes.
        uint64_t h = 1469598103934665603ULL;
        for (const char *p = entry->d_name; *p; p++)
            h = (h ^ (uint8_t) *p) * 1099511628211ULL;
        h ^= (uint64_t) st.st_size * 31 + (uint64_t) st.st_mtim.tv_sec * 1000003 + (uint64_t) st.st_mtim.tv_nsec;
        hash += h * 1099511628211ULL;
    }
    closedir (handle);
    return hash;
}

static void
s_load (keyring_t *self)
{
    zhashx_purge (self->identities);
    DIR *handle = opendir (self->public_dir);
    if (!handle)
        return;
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        size_t len = strlen (entry->d_name);
        if (len < 6 || strcmp (entry->d_name + len - 5, ".cert"))
            continue;
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", self->public_dir, entry->d_name);
        zcert_t *cert = zcert_load (path);
        if (!cert)
            continue;
        identity_t *identity = (identity_t *) zmalloc (sizeof (identity_t));
        snprintf (identity->key, sizeof identity->key, "%s", zcert_public_txt (cert));
        const char *name = zcert_meta (cert, "name");
        const char *role = zcert_meta (cert, "role");
        const char *team = zcert_meta (cert, "team");
        snprintf (identity->name, sizeof identity->name, "%s", name? name: "");
        snprintf (identity->role, sizeof identity->role, "%s", role? role: "");
        snprintf (identity->team, sizeof identity->team, "%s", team? team: "");
        zhashx_update (self->identities, identity->key, identity);
        zcert_destroy (&cert);
    }
    closedir (handle);
}

static void
s_identity_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

keyring_t *
keyring_new (const char *keys_dir)
{
    char public_dir [PATH_MAX];
    snprintf (public_dir, sizeof public_dir, "%s/public", keys_dir);
    struct stat st;
    if (stat (public_dir, &st) || !S_ISDIR (st.st_mode))
        return NULL;
    keyring_t *self = (keyring_t *) zmalloc (sizeof (keyring_t));
    self->public_dir = strdup (public_dir);
    self->identities = zhashx_new ();
    zhashx_set_destructor (self->identities, s_identity_free);
    self->fingerprint = s_fingerprint (self->public_dir);
    s_load (self);
    return self;
}

void
keyring_destroy (keyring_t **self_p)
{
    assert (self_p);
    keyring_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->identities);
    free (self->public_dir);
    free (self);
    *self_p = NULL;
}

bool
keyring_refresh (keyring_t *self)
{
    uint64_t fingerprint = s_fingerprint (self->public_dir);
    if (fingerprint == self->fingerprint)
        return false;
    self->fingerprint = fingerprint;
    s_load (self);
    return true;
}

const identity_t *
keyring_lookup (keyring_t *self, const char *key)
{
    if (!key)
        return NULL;
    return (const identity_t *) zhashx_lookup (self->identities, key);
}

const identity_t *
keyring_find_name (keyring_t *self, const char *name)
{
    if (!self || !name)
        return NULL;
    for (const identity_t *identity = (const identity_t *) zhashx_first (self->identities); identity;
         identity = (const identity_t *) zhashx_next (self->identities))
        if (streq (identity->name, name))
            return identity;
    return NULL;
}

size_t
keyring_size (keyring_t *self)
{
    return zhashx_size (self->identities);
}

int
keyring_admit (void *arg, const char *domain, const char *key, char *why, size_t size)
{
    keyring_t *self = (keyring_t *) arg;
    keyring_refresh (self);
    const identity_t *identity = keyring_lookup (self, key);
    if (!identity) {
        snprintf (why, size, "unknown or revoked key");
        return -1;
    }
    if (streq (domain, "rcmq-events") && !streq (identity->role, "service")) {
        snprintf (why, size, "the event sockets admit only service keys");
        return -1;
    }
    return 0;
}

void
keyring_destroy_arg (void **self_p)
{
    keyring_destroy ((keyring_t **) self_p);
}
