/*  evcheck: what the event integration test's programs agree on.

    evprod, evcons and the test driver (test_events.c) each need the same
    three things, so they live here once:

    - the generator: a producer's events are a pure function of its name
      and count (which stream event i goes to, its payload, how many events
      each write transaction holds), so the driver knows what was published
      without asking anyone;
    - the hash chains: a stream chain over (stream seq, producer, producer
      seq, payload) in the broker's order, and a producer chain over
      (producer seq, payload) per (stream, producer), which the driver can
      compute from the generator alone;
    - the record a consumer keeps per chain in its "applied" table.

    Hashes are BLAKE2b-256 (libsodium crypto_generichash), chained:
    h' = BLAKE2b (h ‖ fields), starting from 32 zero bytes.
*/
#ifndef RCMQ_EVCHECK_H
#define RCMQ_EVCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVCHECK_HASH_SIZE   32
#define EVCHECK_PAYLOAD_MAX 320
#define EVCHECK_TXN_MAX     500

//  Which streams a producer writes: both alternate per event (odd producer
//  seqs to "alpha", even to "beta").
typedef enum { EVCHECK_BOTH, EVCHECK_ALPHA, EVCHECK_BETA } evcheck_mode_t;

int         evcheck_mode_parse (const char *text, evcheck_mode_t *mode);
//  The stream of the producer's event seq (1-based).
const char *evcheck_stream (evcheck_mode_t mode, uint64_t seq);
//  How many of the producer's first count events go to stream.
uint64_t    evcheck_stream_count (evcheck_mode_t mode, uint64_t count, const char *stream);
//  The payload of event seq of producer name (its logical name, "prod1");
//  writes at most EVCHECK_PAYLOAD_MAX bytes into buf, returns the size.
size_t      evcheck_payload (const char *name, uint64_t seq, uint8_t *buf);
//  Size (1..EVCHECK_TXN_MAX) of the producer's write transaction number txn.
uint64_t    evcheck_txn_size (const char *name, uint64_t txn);

//  A chain's record as a consumer stores it (fixed 56-byte encoding).
typedef struct {
    uint64_t count;             //  events in the chain
    uint64_t last;              //  stream seq or producer seq of the last one
    uint64_t violations;        //  events out of order (last not exceeded)
    uint8_t  hash [EVCHECK_HASH_SIZE];
} evcheck_chain_t;

#define EVCHECK_CHAIN_BYTES (24 + EVCHECK_HASH_SIZE)

void evcheck_chain_encode (const evcheck_chain_t *chain, uint8_t *buf);
//  Returns 0, or -1 when size is not EVCHECK_CHAIN_BYTES.
int  evcheck_chain_decode (evcheck_chain_t *chain, const void *buf, size_t size);
//  Extends a stream chain by one event.
void evcheck_stream_step (uint8_t *hash, uint64_t stream_seq, const char *producer,
                          uint64_t producer_seq, const uint8_t *payload, size_t size);
//  Extends a producer chain by one event.
void evcheck_producer_step (uint8_t *hash, uint64_t producer_seq,
                            const uint8_t *payload, size_t size);
//  Lower-case hex of a hash into buf (2 * EVCHECK_HASH_SIZE + 1 bytes).
void evcheck_hex (const uint8_t *hash, char *buf);
//  The logical name in a producer name "<name>-<instance>" (into buf).
void evcheck_logical_name (const char *producer, char *buf, size_t size);

#endif
