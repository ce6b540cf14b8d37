/*  keyring: the CURVE public keys this deployment knows, with who they are.

    A keys directory holds public/<name>.cert files (czmq zcert format) whose
    metadata says name, role and team. A key is known while its file is there;
    deleting the file revokes it. The directory is re-read when it changes, so
    a revocation takes effect within a reload interval, open connections
    included (servers ask the keyring on every request). The access registry
    of rcmq-audit replaces the directory in a later release.
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

#endif
