/*  test_submit_prepare: claims.Submit's pure half of a round
    (services/claims/submit_prepare.c) on real sealed claims, on its own
    thread while this one prepares another round with the same PHI key and
    seals with it, as the submit's loop does (ADR 76).

    Each prepared claim must be the claim that was sealed, with the
    frequency and payer claim number it goes with; its SentClaim's digest
    the keyed digest of that claim packed; a claim whose bytes were changed
    does not open, one write837 refuses is skipped with write837's reason,
    one added as a skip keeps its reason; the results are the same on a
    thread as on the caller's, in the order added. Run under helgrind
    (docs/performance.md, submit25) this is the submit's race check.
*/
#include "suites.h"
#include "submit_prepare.h"
#include "phi_claim.h"
#include "write837.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUND_CLAIMS 60
#define PAYER "60054"

typedef struct {
    char pcn [32];
    Claim *claim;                   //  as sealed, with the frequency and payer claim number sent
    uint8_t *sealed;
    size_t sealed_size;
    const char *frequency;
    const char *payer_claim_number;
    const char *skip;               //  added as a skip with this reason
    bool tampered;                  //  sealed with another key: does not open
    bool refused;                   //  write837_check refuses it
} s_case_t;

static const char *s_frequencies [] = { "1", "7", "8" };

static void
s_cases_make (phi_key_t *key, phi_key_t *other, s_case_t *cases, size_t count, int salt)
{
    for (size_t i = 0; i < count; i++) {
        s_case_t *test = &cases [i];
        memset (test, 0, sizeof *test);
        snprintf (test->pcn, sizeof test->pcn, "PCN-%d-%03zu", salt, i);
        test->claim = test_write837_claim (test->pcn, (int) i);
        test->frequency = s_frequencies [i % 3];
        test->payer_claim_number = i % 3? "PAYERICN0042": "";
        if (i % 17 == 5) {
            //  No service lines: write837 cannot send it.
            for (size_t j = 0; j < test->claim->n_lines; j++)
                service_line__free_unpacked (test->claim->lines [j], NULL);
            free (test->claim->lines);
            test->claim->lines = NULL;
            test->claim->n_lines = 0;
            test->refused = true;
        }
        uint8_t member [PHI_BLIND_INDEX_SIZE];
        bool indexed;
        test->tampered = i % 13 == 7;
        test->refused = test->refused && !test->tampered;
        test->sealed = phi_claim_seal_packed (test->tampered? other: key, test->pcn, test->claim,
                                              &test->sealed_size, member, &indexed);
        ck_assert_ptr_nonnull (test->sealed);
        if (i % 19 == 11)
            test->skip = "its claim record is gone or has no claim data";
        //  As it goes out: what the open must give back.
        free (test->claim->frequency_code);
        test->claim->frequency_code = strdup (test->frequency);
        if (*test->payer_claim_number) {
            free (test->claim->payer_claim_number);
            test->claim->payer_claim_number = strdup (test->payer_claim_number);
        }
    }
}

static void
s_cases_destroy (s_case_t *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        claim__free_unpacked (cases [i].claim, NULL);
        free (cases [i].sealed);
    }
}

static submit_prepare_t *
s_round (phi_key_t *key, s_case_t *cases, size_t count)
{
    submit_prepare_t *round = submit_prepare_new (key, PAYER);
    for (size_t i = 0; i < count; i++)
        if (cases [i].skip)
            submit_prepare_add_skip (round, cases [i].pcn, cases [i].skip);
        else
            submit_prepare_add (round, cases [i].pcn, cases [i].frequency, cases [i].payer_claim_number,
                                cases [i].sealed, cases [i].sealed_size);
    ck_assert_uint_eq (submit_prepare_size (round), count);
    return round;
}

static uint8_t *
s_pack (const Claim *claim, size_t *size)
{
    *size = protobuf_c_message_get_packed_size ((const ProtobufCMessage *) claim);
    uint8_t *bytes = (uint8_t *) malloc (*size + 1);
    protobuf_c_message_pack ((const ProtobufCMessage *) claim, bytes);
    return bytes;
}

//  Every result of round against the cases it was made of.
static void
s_assert_round (phi_key_t *key, submit_prepare_t *round, s_case_t *cases, size_t count)
{
    size_t prepared = 0;
    for (size_t i = 0; i < count; i++) {
        s_case_t *test = &cases [i];
        ck_assert_str_eq (submit_prepare_pcn (round, i), test->pcn);
        const char *why = submit_prepare_skipped (round, i);
        if (test->skip) {
            ck_assert_str_eq (why, test->skip);
            continue;
        }
        if (test->tampered) {
            ck_assert_str_eq (why, "its sealed PHI does not open with this deployment's key");
            ck_assert_ptr_null (submit_prepare_claim (round, i));
            continue;
        }
        if (test->refused) {
            char error [WRITE837_ERROR_SIZE];
            ck_assert_int_ne (write837_check (test->claim, PAYER, error), 0);
            ck_assert_ptr_nonnull (why);
            ck_assert_str_eq (why, error);
            ck_assert_ptr_null (submit_prepare_take_sent (round, i));
            continue;
        }
        ck_assert_msg (why == NULL, "%s: %s", test->pcn, why);
        Claim *claim = submit_prepare_claim (round, i);
        ck_assert_ptr_nonnull (claim);
        ck_assert_str_eq (claim->frequency_code, test->frequency);
        size_t size, expected_size;
        uint8_t *bytes = s_pack (claim, &size);
        uint8_t *expected = s_pack (test->claim, &expected_size);
        ck_assert_uint_eq (size, expected_size);
        ck_assert_mem_eq (bytes, expected, size);
        uint8_t digest [PHI_BLIND_INDEX_SIZE];
        phi_digest (key, expected, expected_size, digest);
        SentClaim *sent = submit_prepare_take_sent (round, i);
        ck_assert_ptr_nonnull (sent);
        ck_assert_str_eq (sent->pcn, test->pcn);
        ck_assert_str_eq (sent->frequency, test->frequency);
        ck_assert_uint_eq (sent->digest.len, PHI_BLIND_INDEX_SIZE);
        ck_assert_mem_eq (sent->digest.data, digest, PHI_BLIND_INDEX_SIZE);
        ck_assert_ptr_null (submit_prepare_take_sent (round, i));
        codec_free (sent);
        free (bytes);
        free (expected);
        prepared++;
    }
    //  The cases are not all skips.
    ck_assert_uint_gt (prepared, count / 2);
}

static phi_key_t *
s_key (char **dir, const char *name)
{
    if (!*dir)
        *dir = test_tmpdir ("submit_prepare");
    char path [512], error [256];
    snprintf (path, sizeof path, "%s/%s", *dir, name);
    ck_assert_int_eq (phi_key_generate (path), 0);
    phi_key_t *key = phi_key_load (path, error, sizeof error);
    ck_assert_msg (key != NULL, "%s", error);
    return key;
}

//  Two rounds on threads of their own while this thread prepares a third
//  and seals with the same key (the loop's seal of a submission), as the
//  pipeline runs; then each checked.
START_TEST (test_prepare_on_threads)
{
    char *dir = NULL;
    phi_key_t *key = s_key (&dir, "phi.key");
    phi_key_t *other = s_key (&dir, "other.key");
    s_case_t first [ROUND_CLAIMS], second [ROUND_CLAIMS], here [ROUND_CLAIMS];
    s_cases_make (key, other, first, ROUND_CLAIMS, 1);
    s_cases_make (key, other, second, ROUND_CLAIMS, 2);
    s_cases_make (key, other, here, ROUND_CLAIMS, 3);
    codec_arena_t arenas [3];
    for (size_t i = 0; i < 3; i++)
        codec_arena_init (&arenas [i], NULL, 0);
    submit_prepare_t *a = s_round (key, first, ROUND_CLAIMS);
    submit_prepare_t *b = s_round (key, second, ROUND_CLAIMS);
    submit_prepare_t *c = s_round (key, here, ROUND_CLAIMS);
    ck_assert_int_eq (submit_prepare_start (a, &arenas [0]), 0);
    ck_assert_int_eq (submit_prepare_start (b, &arenas [1]), 0);
    submit_prepare_run (c, &arenas [2]);
    for (size_t i = 0; i < 50; i++) {
        size_t size;
        uint8_t *sealed = phi_seal (key, "837P-60054-20261102-000000001.x12", "submission.content",
                                    (const uint8_t *) "ISA*00*", 7, &size);
        ck_assert_ptr_nonnull (sealed);
        free (sealed);
    }
    submit_prepare_wait (a);
    submit_prepare_wait (b);
    submit_prepare_wait (a);        //  a second wait is a no-op
    s_assert_round (key, a, first, ROUND_CLAIMS);
    s_assert_round (key, b, second, ROUND_CLAIMS);
    s_assert_round (key, c, here, ROUND_CLAIMS);
    submit_prepare_destroy (&a);
    submit_prepare_destroy (&b);
    submit_prepare_destroy (&c);
    ck_assert_ptr_null (a);
    for (size_t i = 0; i < 3; i++)
        codec_arena_release (&arenas [i]);
    s_cases_destroy (first, ROUND_CLAIMS);
    s_cases_destroy (second, ROUND_CLAIMS);
    s_cases_destroy (here, ROUND_CLAIMS);
    phi_key_destroy (&key);
    phi_key_destroy (&other);
    test_rmtree (dir);
    free (dir);
}
END_TEST

//  The pipeline's shape: round N+1 started into the other arena while
//  round N's claims are read and its arena reset; a round destroyed while
//  its thread runs (a submit that failed) is waited for first.
START_TEST (test_prepare_pipeline)
{
    char *dir = NULL;
    phi_key_t *key = s_key (&dir, "phi.key");
    phi_key_t *other = s_key (&dir, "other.key");
    enum { ROUNDS = 4 };
    s_case_t cases [ROUNDS][ROUND_CLAIMS];
    for (int r = 0; r < ROUNDS; r++)
        s_cases_make (key, other, cases [r], ROUND_CLAIMS, 10 + r);
    codec_arena_t arenas [2];
    codec_arena_init (&arenas [0], NULL, 0);
    codec_arena_init (&arenas [1], NULL, 0);
    submit_prepare_t *next = s_round (key, cases [0], ROUND_CLAIMS);
    submit_prepare_start (next, &arenas [0]);
    for (int r = 0; r < ROUNDS; r++) {
        submit_prepare_t *round = next;
        submit_prepare_wait (round);
        next = r + 1 < ROUNDS? s_round (key, cases [r + 1], ROUND_CLAIMS): NULL;
        if (next)
            submit_prepare_start (next, &arenas [(r + 1) % 2]);
        s_assert_round (key, round, cases [r], ROUND_CLAIMS);
        submit_prepare_destroy (&round);
        codec_arena_reset (&arenas [r % 2]);
    }
    //  Destroyed while it runs.
    next = s_round (key, cases [0], ROUND_CLAIMS);
    submit_prepare_start (next, &arenas [0]);
    submit_prepare_destroy (&next);
    ck_assert_ptr_null (next);
    codec_arena_release (&arenas [0]);
    codec_arena_release (&arenas [1]);
    for (int r = 0; r < ROUNDS; r++)
        s_cases_destroy (cases [r], ROUND_CLAIMS);
    phi_key_destroy (&key);
    phi_key_destroy (&other);
    test_rmtree (dir);
    free (dir);
}
END_TEST

Suite *
submit_prepare_suite (void)
{
    Suite *suite = suite_create ("submit_prepare");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, test_prepare_on_threads);
    tcase_add_test (tc, test_prepare_pipeline);
    suite_add_tcase (suite, tc);
    return suite;
}
