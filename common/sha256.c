/*  sha256: see sha256.h.

    The SHA-NI path follows FIPS 180-4 §6.2 with the work split as the SHA
    extensions define it. The eight working variables live in two
    registers, ABEF and CDGH (a in the top lane); sha256rnds2 runs two
    rounds from the low two words of W+K, returning the new ABEF, while
    the old ABEF becomes the new CDGH — so four rounds are two rnds2 with
    the registers' roles swapped. The schedule (§6.2.2 step 1) takes four
    words at a time: sha256msg1 adds σ0 of the next word to each of
    W[t-16..t-13], W[t-7..t-4] is added from the two newest quads, and
    sha256msg2 adds σ1 of W[t-2], which for the upper two words are the
    two words it has just made.

    Message words are big-endian (pshufb turns each 32-bit lane); the
    chaining value is kept in FIPS order in the state (h[0] = a) and moved
    into and out of the ABEF/CDGH layout once per update, not per block.
*/
#include "sha256.h"

#include <assert.h>
#include <string.h>

static bool s_force_portable;

static const uint32_t s_initial [8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

#if defined (__x86_64__) || defined (__i386__)
#include <immintrin.h>
#define SHA256_HAVE_NI 1

//  FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the
//  cube roots of the first 64 primes.
static const uint32_t s_k [64] __attribute__ ((aligned (16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
    0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
    0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
    0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

//  Hashes `blocks` whole 64-byte blocks of data into h (FIPS order).
__attribute__ ((target ("sha,sse4.1")))
static void
s_compress_ni (uint32_t h [8], const uint8_t *data, size_t blocks)
{
    //  Each 32-bit lane byte-reversed: the message is big-endian.
    const __m128i swap = _mm_set_epi64x (0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);

    //  h[0..3] = a b c d, h[4..7] = e f g h (lane 0 first) into
    //  abef = (f e b a) and cdgh = (h g d c), lane 0 first.
    __m128i abcd = _mm_loadu_si128 ((const __m128i *) h);
    __m128i efgh = _mm_loadu_si128 ((const __m128i *) (h + 4));
    abcd = _mm_shuffle_epi32 (abcd, 0xB1);           //  b a d c
    efgh = _mm_shuffle_epi32 (efgh, 0x1B);           //  h g f e
    __m128i abef = _mm_alignr_epi8 (abcd, efgh, 8);  //  f e b a
    __m128i cdgh = _mm_blend_epi16 (efgh, abcd, 0xF0);   //  h g d c

    for (; blocks; blocks--, data += SHA256_BLOCK) {
        __m128i abef_in = abef, cdgh_in = cdgh;
        __m128i w [4];
        for (int i = 0; i < 4; i++)
            w [i] = _mm_shuffle_epi8 (_mm_loadu_si128 ((const __m128i *) (data + 16 * i)), swap);
        //  Unrolled whole, the schedule's test and the quads' rotation
        //  are the compiler's, not the loop's.
#pragma GCC unroll 16
        for (int t = 0; t < 64; t += 4) {
            //  w[0..3] hold W[t..t+15]; the quad for rounds t..t+3 is w[0].
            __m128i wk = _mm_add_epi32 (w [0], _mm_load_si128 ((const __m128i *) (s_k + t)));
            cdgh = _mm_sha256rnds2_epu32 (cdgh, abef, wk);
            wk = _mm_shuffle_epi32 (wk, 0x0E);
            abef = _mm_sha256rnds2_epu32 (abef, cdgh, wk);
            if (t + 16 < 64) {
                //  W[t+16..t+19] from W[t..t+3] (w0), W[t+1..t+4]'s σ0
                //  (msg1 with w1), W[t+9..t+12] and σ1 of W[t+14..t+17].
                __m128i next = _mm_sha256msg1_epu32 (w [0], w [1]);
                next = _mm_add_epi32 (next, _mm_alignr_epi8 (w [3], w [2], 4));
                next = _mm_sha256msg2_epu32 (next, w [3]);
                w [0] = next;
            }
            //  Rotate so w[0] is the next quad; after t = 48 only the
            //  remaining quads matter.
            __m128i first = w [0];
            w [0] = w [1];
            w [1] = w [2];
            w [2] = w [3];
            w [3] = first;
        }
        //  The swap above leaves abef/cdgh as the roles require: each
        //  pair of rnds2 ends with the new ABEF in abef.
        abef = _mm_add_epi32 (abef, abef_in);
        cdgh = _mm_add_epi32 (cdgh, cdgh_in);
    }

    __m128i feba = _mm_shuffle_epi32 (abef, 0x1B);   //  a b e f
    __m128i ghcd = _mm_shuffle_epi32 (cdgh, 0xB1);   //  g h c d
    abcd = _mm_blend_epi16 (feba, ghcd, 0xF0);       //  a b c d
    efgh = _mm_alignr_epi8 (ghcd, feba, 8);          //  e f g h
    _mm_storeu_si128 ((__m128i *) h, abcd);
    _mm_storeu_si128 ((__m128i *) (h + 4), efgh);
}
#endif

static bool
s_use_ni (void)
{
#ifdef SHA256_HAVE_NI
    if (s_force_portable)
        return false;
    __builtin_cpu_init ();
    return __builtin_cpu_supports ("sha") && __builtin_cpu_supports ("sse4.1");
#else
    return false;
#endif
}

bool
sha256_accelerated (void)
{
    return s_use_ni ();
}

void
sha256_force_portable (bool force)
{
    s_force_portable = force;
}

void
sha256_init (sha256_state_t *state)
{
    assert (state);
    state->portable = !s_use_ni ();
    if (state->portable) {
        crypto_hash_sha256_init (&state->u.sodium);
        return;
    }
    memcpy (state->u.ni.h, s_initial, sizeof s_initial);
    state->u.ni.length = 0;
    state->u.ni.fill = 0;
}

void
sha256_update (sha256_state_t *state, const void *data, size_t size)
{
    assert (state);
    assert (data || size == 0);
    if (state->portable) {
        crypto_hash_sha256_update (&state->u.sodium, data, size);
        return;
    }
#ifdef SHA256_HAVE_NI
    const uint8_t *bytes = data;
    state->u.ni.length += size;
    if (state->u.ni.fill) {
        size_t take = SHA256_BLOCK - state->u.ni.fill;
        if (take > size)
            take = size;
        memcpy (state->u.ni.block + state->u.ni.fill, bytes, take);
        state->u.ni.fill += take;
        bytes += take;
        size -= take;
        if (state->u.ni.fill < SHA256_BLOCK)
            return;
        s_compress_ni (state->u.ni.h, state->u.ni.block, 1);
        state->u.ni.fill = 0;
    }
    if (size >= SHA256_BLOCK) {
        size_t blocks = size / SHA256_BLOCK;
        s_compress_ni (state->u.ni.h, bytes, blocks);
        bytes += blocks * SHA256_BLOCK;
        size -= blocks * SHA256_BLOCK;
    }
    if (size) {
        memcpy (state->u.ni.block, bytes, size);
        state->u.ni.fill = size;
    }
#else
    assert (false);
#endif
}

void
sha256_final (sha256_state_t *state, uint8_t out [SHA256_BYTES])
{
    assert (state);
    if (state->portable) {
        crypto_hash_sha256_final (&state->u.sodium, out);
        return;
    }
#ifdef SHA256_HAVE_NI
    //  §5.1.1: a 1 bit, zeros to 56 mod 64 bytes, the length in bits
    //  big-endian; one or two blocks.
    uint8_t *block = state->u.ni.block;
    size_t fill = state->u.ni.fill;
    uint64_t bits = state->u.ni.length * 8;
    block [fill++] = 0x80;
    if (fill > SHA256_BLOCK - 8) {
        memset (block + fill, 0, SHA256_BLOCK - fill);
        s_compress_ni (state->u.ni.h, block, 1);
        fill = 0;
    }
    memset (block + fill, 0, SHA256_BLOCK - 8 - fill);
    for (int i = 0; i < 8; i++)
        block [SHA256_BLOCK - 1 - i] = (uint8_t) (bits >> (8 * i));
    s_compress_ni (state->u.ni.h, block, 1);
    for (int i = 0; i < 8; i++) {
        out [4 * i]     = (uint8_t) (state->u.ni.h [i] >> 24);
        out [4 * i + 1] = (uint8_t) (state->u.ni.h [i] >> 16);
        out [4 * i + 2] = (uint8_t) (state->u.ni.h [i] >> 8);
        out [4 * i + 3] = (uint8_t) state->u.ni.h [i];
    }
    memset (state, 0, sizeof *state);
#else
    assert (false);
#endif
}

void
sha256 (uint8_t out [SHA256_BYTES], const void *data, size_t size)
{
    sha256_state_t state;
    sha256_init (&state);
    sha256_update (&state, data, size);
    sha256_final (&state, out);
}
