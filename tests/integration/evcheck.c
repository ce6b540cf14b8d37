/*  evcheck: see evcheck.h. Everything here is deterministic; the only
    randomness is splitmix64 over a name hash, so two runs of a producer
    with the same name write the same events in the same transactions.
*/
#include "evcheck.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static uint64_t
s_splitmix (uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t
s_name_seed (const char *name)
{
    uint64_t hash = 1469598103934665603ULL;
    for (const char *p = name; *p; p++)
        hash = (hash ^ (uint8_t) *p) * 1099511628211ULL;
    return hash;
}

int
evcheck_mode_parse (const char *text, evcheck_mode_t *mode)
{
    if (!strcmp (text, "both"))
        *mode = EVCHECK_BOTH;
    else
    if (!strcmp (text, "alpha"))
        *mode = EVCHECK_ALPHA;
    else
    if (!strcmp (text, "beta"))
        *mode = EVCHECK_BETA;
    else
        return -1;
    return 0;
}

const char *
evcheck_stream (evcheck_mode_t mode, uint64_t seq)
{
    if (mode == EVCHECK_ALPHA)
        return "alpha";
    if (mode == EVCHECK_BETA)
        return "beta";
    return seq % 2? "alpha": "beta";
}

uint64_t
evcheck_stream_count (evcheck_mode_t mode, uint64_t count, const char *stream)
{
    bool alpha = !strcmp (stream, "alpha");
    if (mode == EVCHECK_ALPHA)
        return alpha? count: 0;
    if (mode == EVCHECK_BETA)
        return alpha? 0: count;
    return alpha? (count + 1) / 2: count / 2;
}

size_t
evcheck_payload (const char *name, uint64_t seq, uint8_t *buf)
{
    //  "<name>:<seq>:" then 16..271 bytes of letters that depend on both.
    int head = snprintf ((char *) buf, EVCHECK_PAYLOAD_MAX, "%.32s:%llu:", name,
                         (unsigned long long) seq);
    uint64_t mix = s_splitmix (s_name_seed (name) ^ seq);
    size_t size = (size_t) head + 16 + (size_t) (mix % 256);
    for (size_t i = (size_t) head; i < size; i++)
        buf [i] = (uint8_t) ('a' + (mix >> (i % 48)) % 26);
    return size;
}

uint64_t
evcheck_txn_size (const char *name, uint64_t txn)
{
    uint64_t mix = s_splitmix (s_name_seed (name) + 0x5bd1e995ULL * (txn + 1));
    //  Mostly mid-sized, with single-event and full-size transactions
    //  often enough that both edges are exercised.
    switch (mix % 8) {
        case 0:  return 1;
        case 1:  return EVCHECK_TXN_MAX;
        default: return 1 + (mix >> 8) % EVCHECK_TXN_MAX;
    }
}

void
evcheck_chain_encode (const evcheck_chain_t *chain, uint8_t *buf)
{
    uint64_t fields [3] = { chain->count, chain->last, chain->violations };
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < 8; i++)
            buf [f * 8 + i] = (uint8_t) (fields [f] >> (56 - 8 * i));
    memcpy (buf + 24, chain->hash, EVCHECK_HASH_SIZE);
}

int
evcheck_chain_decode (evcheck_chain_t *chain, const void *data, size_t size)
{
    if (size != EVCHECK_CHAIN_BYTES)
        return -1;
    const uint8_t *buf = (const uint8_t *) data;
    uint64_t fields [3] = { 0, 0, 0 };
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < 8; i++)
            fields [f] = (fields [f] << 8) | buf [f * 8 + i];
    chain->count = fields [0];
    chain->last = fields [1];
    chain->violations = fields [2];
    memcpy (chain->hash, buf + 24, EVCHECK_HASH_SIZE);
    return 0;
}

static void
s_put_u64 (crypto_generichash_state *state, uint64_t value)
{
    uint8_t buf [8];
    for (int i = 0; i < 8; i++)
        buf [i] = (uint8_t) (value >> (56 - 8 * i));
    crypto_generichash_update (state, buf, 8);
}

//  Length-prefixed, so no two field sequences hash the same bytes.
static void
s_put_bytes (crypto_generichash_state *state, const uint8_t *data, size_t size)
{
    s_put_u64 (state, size);
    if (size)
        crypto_generichash_update (state, data, size);
}

void
evcheck_stream_step (uint8_t *hash, uint64_t stream_seq, const char *producer,
                     uint64_t producer_seq, const uint8_t *payload, size_t size)
{
    crypto_generichash_state state;
    crypto_generichash_init (&state, NULL, 0, EVCHECK_HASH_SIZE);
    crypto_generichash_update (&state, hash, EVCHECK_HASH_SIZE);
    s_put_u64 (&state, stream_seq);
    s_put_bytes (&state, (const uint8_t *) producer, strlen (producer));
    s_put_u64 (&state, producer_seq);
    s_put_bytes (&state, payload, size);
    crypto_generichash_final (&state, hash, EVCHECK_HASH_SIZE);
}

void
evcheck_producer_step (uint8_t *hash, uint64_t producer_seq, const uint8_t *payload, size_t size)
{
    crypto_generichash_state state;
    crypto_generichash_init (&state, NULL, 0, EVCHECK_HASH_SIZE);
    crypto_generichash_update (&state, hash, EVCHECK_HASH_SIZE);
    s_put_u64 (&state, producer_seq);
    s_put_bytes (&state, payload, size);
    crypto_generichash_final (&state, hash, EVCHECK_HASH_SIZE);
}

void
evcheck_hex (const uint8_t *hash, char *buf)
{
    sodium_bin2hex (buf, 2 * EVCHECK_HASH_SIZE + 1, hash, EVCHECK_HASH_SIZE);
}

void
evcheck_logical_name (const char *producer, char *buf, size_t size)
{
    const char *dash = strrchr (producer, '-');
    size_t len = dash? (size_t) (dash - producer): strlen (producer);
    snprintf (buf, size, "%.*s", (int) len, producer);
}
