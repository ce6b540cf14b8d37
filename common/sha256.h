/*  sha256: the project's one SHA-256 (FIPS 180-4), for the audit log's
    payload digests, the transparency log's Merkle tree (tlog), signed
    notes' key hashes and the verifier.

    Two implementations behind one API, chosen once at run time:

      - the CPU's SHA extensions (SHA-NI: sha256rnds2, sha256msg1/msg2),
        when __builtin_cpu_supports ("sha") says the CPU has them: the
        64 rounds run two at a time in the SHA unit, several times faster
        than portable C;
      - libsodium's crypto_hash_sha256 otherwise (portable C).

    Both give the same digests (the unit test holds them to the NIST
    vectors and to each other for every length up to 1,100 bytes and for
    random splits of incremental updates). A state remembers the path
    sha256_init chose and keeps to it to sha256_final, so switching paths
    (sha256_force_portable, for tests and benches) never mixes them.
*/
#ifndef RCMQ_SHA256_H
#define RCMQ_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

#define SHA256_BYTES 32
#define SHA256_BLOCK 64

typedef struct {
    bool portable;               //  begun on libsodium's path: stays there
    union {
        struct {
            uint32_t h [8];      //  chaining value, FIPS 180-4 order (a..h)
            uint64_t length;     //  bytes hashed so far
            uint8_t  block [SHA256_BLOCK];
            size_t   fill;       //  bytes waiting in block
        } ni;
        crypto_hash_sha256_state sodium;
    } u;
} sha256_state_t;

void sha256_init (sha256_state_t *state);
void sha256_update (sha256_state_t *state, const void *data, size_t size);
void sha256_final (sha256_state_t *state, uint8_t out [SHA256_BYTES]);

//  One-shot: out = SHA-256(data[0..size)).
void sha256 (uint8_t out [SHA256_BYTES], const void *data, size_t size);

//  True when the SHA extensions path is in use.
bool sha256_accelerated (void);

//  Tests and benches: true makes every following hash take the portable
//  path (libsodium) even on a CPU with SHA-NI; false restores the choice
//  by the CPU. Not for concurrent use with hashing.
void sha256_force_portable (bool force);

#endif
