/*  auditrecord: an event's leaf written by hand is protobuf-c's AuditRecord
    of the same event, byte for byte (the leaf is hashed into the audit
    log's tree: one byte apart and the tree is another). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "codec.h"
#include "auditrecord.h"
#include "audit.pb-c.h"

//  protobuf-c's bytes of the record auditlog_apply built before.
static uint8_t *
s_reference (const Event *event, const uint8_t digest [SHA256_BYTES], size_t *size)
{
    AuditRecord record = AUDIT_RECORD__INIT;
    record.stream = event->stream;
    record.seq = event->stream_seq;
    record.type = event->type;
    record.key = event->key;
    record.time_ms = event->time_ms;
    record.producer = event->producer;
    record.producer_seq = event->producer_seq;
    record.payload_sha256.data = (uint8_t *) digest;
    record.payload_sha256.len = SHA256_BYTES;
    return codec_pack (&record, size);
}

static void
s_check (const Event *event, const uint8_t digest [SHA256_BYTES])
{
    size_t expected_size;
    uint8_t *expected = s_reference (event, digest, &expected_size);
    uint8_t out [4096];
    size_t size = auditrecord_pack_event (event, digest, out, sizeof out);
    ck_assert_uint_eq (size, expected_size);
    ck_assert (memcmp (out, expected, size) == 0);
    //  Too small by one byte, or by more: nothing written is claimed.
    for (size_t room = 0; room < expected_size; room += 1 + room / 4)
        ck_assert_uint_eq (auditrecord_pack_event (event, digest, out, room), 0);
    free (expected);
}

static char *
s_random_text (unsigned *seed, size_t max)
{
    size_t length = (size_t) rand_r (seed) % (max + 1);
    char *text = (char *) malloc (length + 1);
    for (size_t i = 0; i < length; i++)
        text [i] = (char) (1 + rand_r (seed) % 255);         //  any byte but NUL
    text [length] = 0;
    return text;
}

static uint64_t
s_random_number (unsigned *seed)
{
    switch (rand_r (seed) % 4) {
        case 0:  return 0;
        case 1:  return (uint64_t) rand_r (seed) % 300;
        case 2:  return UINT64_MAX - (uint64_t) rand_r (seed) % 3;
        default: return ((uint64_t) rand_r (seed) << 31) ^ (uint64_t) rand_r (seed);
    }
}

START_TEST (test_auditrecord_same_bytes)
{
    uint8_t digest [SHA256_BYTES];
    for (size_t i = 0; i < sizeof digest; i++)
        digest [i] = (uint8_t) (i * 37 + 1);
    //  What the consumer's events look like, and the edges: empty texts
    //  and zero numbers (left out), a length over 127 (a two-byte length).
    Event event = EVENT__INIT;
    event.stream = "claims";
    event.type = "adjudicated";
    event.key = "PCN-000123";
    event.producer = "claims";
    event.stream_seq = 1234567;
    event.producer_seq = 99;
    event.time_ms = 1796000000000ULL;
    s_check (&event, digest);
    event.key = "";
    event.time_ms = 0;
    s_check (&event, digest);
    char long_key [300];
    memset (long_key, 'k', sizeof long_key - 1);
    long_key [sizeof long_key - 1] = 0;
    event.key = long_key;
    event.stream_seq = UINT64_MAX;
    s_check (&event, digest);
    Event empty = EVENT__INIT;
    s_check (&empty, digest);

    unsigned seed = 19;
    for (int round = 0; round < 2000; round++) {
        Event random = EVENT__INIT;
        random.stream = s_random_text (&seed, 20);
        random.type = s_random_text (&seed, 40);
        random.key = s_random_text (&seed, round % 10? 30: 600);
        random.producer = s_random_text (&seed, 20);
        random.stream_seq = s_random_number (&seed);
        random.producer_seq = s_random_number (&seed);
        random.time_ms = s_random_number (&seed);
        digest [round % SHA256_BYTES] ^= (uint8_t) rand_r (&seed);
        s_check (&random, digest);
        free (random.stream);
        free (random.type);
        free (random.key);
        free (random.producer);
    }
}
END_TEST

Suite *
auditrecord_suite (void)
{
    Suite *suite = suite_create ("auditrecord");
    TCase *tc = tcase_create ("pack");
    tcase_add_test (tc, test_auditrecord_same_bytes);
    suite_add_tcase (suite, tc);
    return suite;
}
