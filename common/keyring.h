/*  keyring: the CURVE certificates of a keys directory, with the name,
    role and team their metadata claims.

    A keys directory holds public/<name>.cert files (czmq zcert format). A
    key file is a credential only: no rcmq process admits a key because its
    file is there; the access registry decides (common/gate.h, ADR 21).
    The keyring remains for what reads the files themselves, and, through
    keyring_admit / keyring_caller, for unit tests and benchmarks of the
    transport and the server that run without a registry. A key is known
    while its file is there; the directory is re-read when it changes.
*/
#ifndef RCMQ_KEYRING_H
#define RCMQ_KEYRING_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char key [41];      //  Z85 CURVE public key: the identity
    char name [64];
    char role [32];
    char team [64];
} identity_t;

typedef struct _keyring_t keyring_t;

//  Loads DIR/public/*.cert. Returns NULL when DIR/public cannot be read.
keyring_t        *keyring_new (const char *keys_dir);
void              keyring_destroy (keyring_t **self_p);
//  Re-reads the directory when any file in it changed. Returns true when it did.
bool              keyring_refresh (keyring_t *self);
//  The identity for a Z85 key, or NULL when the key is unknown or revoked.
const identity_t *keyring_lookup (keyring_t *self, const char *key);
//  The identity named name (a user or service as its certificate names
//  it), or NULL when no known key has that name. For methods that take a
//  user as an argument (claims follow-up's assignee).
const identity_t *keyring_find_name (keyring_t *self, const char *name);
size_t            keyring_size (keyring_t *self);

//  For unit tests and benchmarks only (no registry): a ZAP admit function
//  (transport_admit_fn) and a server caller function (server_caller_fn,
//  over registry_caller_t) that take the keyring's files at their word,
//  re-reading the directory first. rcmq's processes use the gate.
int               keyring_admit (void *self, const char *domain, const char *key, char *why, size_t size);
void              keyring_destroy_arg (void **self_p);

#endif
