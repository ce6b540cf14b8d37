/*  bench/sha256: common/sha256's two paths in the same run — the CPU's
    SHA extensions against libsodium's portable crypto_hash_sha256 (the
    limit the project had before), on the sizes the audit log hashes.

        build/bench/sha256 [--mib M]

    Each size is hashed one-shot over M MiB (64 by default) of data per
    path, after a warm-up:

      node        65 B: a Merkle node, 0x01 ‖ left ‖ right (tlog)
      payload    557 B: the mean event payload of bench/e2e (auditlog)
      claim     1573 B: intake.claim_accepted, the largest common event
      bulk     1 MiB: an export file's manifest hash (verify)

    The figures are bytes/s of each path; the ratios SHA-NI / libsodium.
    On a CPU without SHA-NI both rows are the portable path (ratio 1) and
    the line says accelerated false.
*/
#include "bench_util.h"
#include "sha256.h"

#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} s_sizes [] = {
    { "node",    65 },
    { "payload", 557 },
    { "claim",   1573 },
    { "bulk",    1 << 20 },
};

//  Bytes per second hashing data in pieces of size, total bytes in all.
static double
s_rate (const uint8_t *data, size_t size, size_t total, bool portable)
{
    sha256_force_portable (portable);
    uint8_t digest [SHA256_BYTES], fold = 0;
    size_t count = total / size? total / size: 1;
    for (size_t i = 0; i < count / 10 + 1; i++)
        sha256 (digest, data, size);
    uint64_t start = bench_usec ();
    for (size_t i = 0; i < count; i++) {
        sha256 (digest, data, size);
        fold ^= digest [0];
    }
    uint64_t usec = bench_usec ();
    usec -= start;
    sha256_force_portable (false);
    //  Keeps the loop from being optimised away.
    if (fold == 0xFF && digest [1] == 0xFF)
        fprintf (stderr, " ");
    return bench_rate ((double) count * size, usec);
}

int
main (int argc, char **argv)
{
    size_t mib = 64;
    static const struct option options [] = {
        { "mib", required_argument, NULL, 'm' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        if (option == 'm')
            mib = (size_t) strtoul (optarg, NULL, 10);
        else {
            fprintf (stderr, "usage: sha256 [--mib M]\n");
            return 2;
        }
    }
    if (sodium_init () < 0 || mib == 0)
        return 1;
    size_t total = mib << 20;
    uint8_t *data = malloc (1 << 20);
    if (!data)
        return 1;
    randombytes_buf (data, 1 << 20);
    bool accelerated = sha256_accelerated ();
    json_t *figures = json_object (), *limits = json_object (), *ratios = json_object ();
    json_object_set_new (figures, "accelerated", json_boolean (accelerated));
    printf ("sha256 over %zu MiB a size, SHA-NI %s\n", mib, accelerated? "in use": "absent");
    printf ("%-8s %8s %16s %16s %7s\n", "", "bytes", "SHA-NI MB/s", "libsodium MB/s", "ratio");
    for (size_t i = 0; i < sizeof s_sizes / sizeof s_sizes [0]; i++) {
        double fast = s_rate (data, s_sizes [i].size, total, false);
        double portable = s_rate (data, s_sizes [i].size, total, true);
        char key [64];
        printf ("%-8s %8zu %16.1f %16.1f %7.2f\n", s_sizes [i].name, s_sizes [i].size,
                fast / 1e6, portable / 1e6, portable > 0? fast / portable: 0);
        snprintf (key, sizeof key, "%s_bytes_per_s", s_sizes [i].name);
        json_object_set_new (figures, key, json_real (fast));
        snprintf (key, sizeof key, "%s_libsodium_bytes_per_s", s_sizes [i].name);
        json_object_set_new (limits, key, json_real (portable));
        snprintf (key, sizeof key, "%s_vs_libsodium", s_sizes [i].name);
        json_object_set_new (ratios, key, json_real (portable > 0? fast / portable: 0));
    }
    free (data);
    bench_print_line ("sha256", figures, limits, ratios, 4);
    return 0;
}
