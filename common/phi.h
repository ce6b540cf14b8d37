/*  phi: protected health information at rest (DESIGN §4).

    Each PHI field (a patient's name, date of birth, member id, address) is
    encrypted on its own with XChaCha20-Poly1305 under the deployment's PHI
    key. The additional data binds a ciphertext to where it belongs:
    record id ‖ 0 ‖ field name ‖ 0 ‖ key version, so a ciphertext copied to
    another record or field does not decrypt. Lookups by member id use a
    blind index: keyed BLAKE2b of the normalized id under a subkey, so equal
    ids match without the id being stored.

    Sealed form: key version (1 byte) ‖ nonce (24) ‖ ciphertext ‖ tag (16).

    The key file holds the key version and 32 key bytes as hex:
        "1:<64 hex digits>\n"
    It is made once per deployment (phi_key_generate, `rcmqctl keys init`).
*/
#ifndef RCMQ_PHI_H
#define RCMQ_PHI_H

#include <stddef.h>
#include <stdint.h>

#define PHI_BLIND_INDEX_SIZE 32

typedef struct _phi_key_t phi_key_t;

//  Loads a key file; NULL with a reason in error when missing or malformed.
phi_key_t *phi_key_load (const char *path, char *error, size_t error_size);
void       phi_key_destroy (phi_key_t **self_p);
//  Writes a new random key (version 1) to path, mode 0600, unless the file
//  exists. Returns 0 (made or already there) or -1.
int        phi_key_generate (const char *path);
uint8_t    phi_key_version (phi_key_t *self);

//  Seals plaintext; returns a malloc'd buffer and its size in *size.
uint8_t   *phi_seal (phi_key_t *self, const char *record_id, const char *field,
                     const uint8_t *plaintext, size_t length, size_t *size);
//  Opens a sealed field; returns a malloc'd NUL-terminated plaintext (its
//  length in *length when not NULL), or NULL when the key, record or field
//  do not match or the bytes were changed.
char      *phi_open (phi_key_t *self, const char *record_id, const char *field,
                     const uint8_t *sealed, size_t size, size_t *length);
//  phi_open into out, which holds at least phi_open_size (size) bytes (a
//  caller's arena: claims.Submit opens ~7 fields a claim, each a malloc, a
//  copy, a zeroing and a free before, issue 19). 0, or -1 where phi_open
//  returns NULL (out's bytes are then undefined).
int        phi_open_to (phi_key_t *self, const char *record_id, const char *field,
                        const uint8_t *sealed, size_t size, char *out, size_t *length);
//  The bytes phi_open_to needs for a sealed field of size bytes (its
//  plaintext and a NUL), or 0 when size is too short to be one.
size_t     phi_open_size (size_t size);
//  Blind index of a member id (case and blanks ignored) into out.
void       phi_blind_index (phi_key_t *self, const char *member_id,
                            uint8_t out [PHI_BLIND_INDEX_SIZE]);
//  Keyed BLAKE2b of bytes that hold PHI (e.g. a whole claim), so two
//  copies can be compared, or a copy recognized, without keeping the PHI.
void       phi_digest (phi_key_t *self, const void *data, size_t size,
                       uint8_t out [PHI_BLIND_INDEX_SIZE]);

#endif
