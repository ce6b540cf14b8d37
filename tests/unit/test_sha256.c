/*  test_sha256: common/sha256 on both of its paths (the CPU's SHA
    extensions and libsodium's portable C, forced by
    sha256_force_portable): the FIPS 180-4 / NIST example vectors (empty,
    "abc", the 448- and 896-bit messages, one million 'a'), agreement with
    libsodium's crypto_hash_sha256 for every length 0..1,100 one-shot and
    split into incremental updates at random points, and a state begun on
    one path finished after the path was switched. On a CPU without SHA-NI
    (or under valgrind, which hides it) the accelerated cases say so and
    test only the portable path.
*/
#include "suites.h"
#include "sha256.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_hex (const uint8_t digest [SHA256_BYTES], char out [2 * SHA256_BYTES + 1])
{
    for (int i = 0; i < SHA256_BYTES; i++)
        snprintf (out + 2 * i, 3, "%02x", digest [i]);
}

//  The paths to run: the accelerated one only where the CPU has it.
static int
s_paths (bool portable [2])
{
    int count = 0;
    if (sha256_accelerated ())
        portable [count++] = false;
    else
        fprintf (stderr, "test_sha256: no SHA extensions here; the portable path only\n");
    portable [count++] = true;
    return count;
}

START_TEST (test_nist_vectors)
{
    static const struct {
        const char *message;
        const char *digest;
    } vectors [] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
          "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
    };
    bool portable [2];
    int paths = s_paths (portable);
    for (int p = 0; p < paths; p++) {
        sha256_force_portable (portable [p]);
        for (size_t i = 0; i < sizeof vectors / sizeof vectors [0]; i++) {
            uint8_t digest [SHA256_BYTES];
            char hex [2 * SHA256_BYTES + 1];
            sha256 (digest, vectors [i].message, strlen (vectors [i].message));
            s_hex (digest, hex);
            ck_assert_str_eq (hex, vectors [i].digest);
        }
        //  One million 'a', fed in pieces of 1,000 as FIPS's example
        //  leaves the feeding open.
        char piece [1000];
        memset (piece, 'a', sizeof piece);
        sha256_state_t state;
        sha256_init (&state);
        for (int i = 0; i < 1000; i++)
            sha256_update (&state, piece, sizeof piece);
        uint8_t digest [SHA256_BYTES];
        char hex [2 * SHA256_BYTES + 1];
        sha256_final (&state, digest);
        s_hex (digest, hex);
        ck_assert_str_eq (hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
    sha256_force_portable (false);
}
END_TEST

//  A fixed xorshift, so a failing split is the same on every run.
static uint64_t
s_next (uint64_t *seed)
{
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    return *seed;
}

START_TEST (test_matches_libsodium)
{
    enum { MAX = 1100 };
    uint8_t *data = malloc (MAX);
    ck_assert_ptr_nonnull (data);
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < MAX; i++)
        data [i] = (uint8_t) s_next (&seed);
    bool portable [2];
    int paths = s_paths (portable);
    for (int p = 0; p < paths; p++) {
        sha256_force_portable (portable [p]);
        for (size_t size = 0; size <= MAX; size++) {
            uint8_t expected [crypto_hash_sha256_BYTES], digest [SHA256_BYTES];
            crypto_hash_sha256 (expected, data, size);
            sha256 (digest, data, size);
            ck_assert_msg (memcmp (digest, expected, SHA256_BYTES) == 0,
                           "one-shot, %zu bytes, %s path", size,
                           portable [p]? "portable": "SHA-NI");
            //  The same bytes in random pieces, empty ones included.
            for (int round = 0; round < 4; round++) {
                sha256_state_t state;
                sha256_init (&state);
                size_t at = 0;
                while (at < size) {
                    size_t piece = (size_t) (s_next (&seed) % 130);
                    if (piece > size - at)
                        piece = size - at;
                    sha256_update (&state, data + at, piece);
                    at += piece;
                }
                sha256_final (&state, digest);
                ck_assert_msg (memcmp (digest, expected, SHA256_BYTES) == 0,
                               "split, %zu bytes, %s path", size,
                               portable [p]? "portable": "SHA-NI");
            }
        }
    }
    sha256_force_portable (false);
    free (data);
}
END_TEST

//  A state keeps the path it began on: switching between init and final
//  (as a test or bench may) still gives the right digest.
START_TEST (test_state_keeps_its_path)
{
    static const char message [] = "a state begun on one path ends on it";
    uint8_t expected [crypto_hash_sha256_BYTES], digest [SHA256_BYTES];
    crypto_hash_sha256 (expected, (const uint8_t *) message, sizeof message - 1);
    for (int begin = 0; begin < 2; begin++) {
        sha256_force_portable (begin == 1);
        sha256_state_t state;
        sha256_init (&state);
        sha256_update (&state, message, 10);
        sha256_force_portable (begin == 0);
        sha256_update (&state, message + 10, sizeof message - 1 - 10);
        sha256_final (&state, digest);
        ck_assert_mem_eq (digest, expected, SHA256_BYTES);
    }
    sha256_force_portable (false);
}
END_TEST

Suite *
sha256_suite (void)
{
    Suite *suite = suite_create ("sha256");
    TCase *tc = tcase_create ("digest");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, test_nist_vectors);
    tcase_add_test (tc, test_matches_libsodium);
    tcase_add_test (tc, test_state_keeps_its_path);
    suite_add_tcase (suite, tc);
    return suite;
}
