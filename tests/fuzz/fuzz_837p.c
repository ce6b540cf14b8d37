/*  fuzz_837p: libFuzzer target over the whole 837P intake front end: the
    X12 reader (separators, envelopes, chunk boundaries), the 837P parser
    and every scrub rule, plus packing each claim and result as intake will.

    Any input must end in a clean refusal or in claims; never a crash, a
    leak or undefined behaviour. The last input byte picks the reader's
    chunk size, so the same bytes are also read across odd chunk
    boundaries.

    Build and run with scripts/fuzz (clang, -fsanitize=fuzzer,address,undefined).
*/
#include "parse_837p.h"
#include "scrub.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

//  2026-11-02T00:00:00Z: a fixed "today" keeps runs reproducible.
#define FUZZ_NOW_MS 1793577600000ULL

typedef struct {
    scrub_t *scrub;
    uint32_t claims;
} s_fuzz_t;

static int
s_on_claim (const Claim *claim, void *arg)
{
    s_fuzz_t *self = arg;
    self->claims++;
    ScrubResult *result = scrub_claim (self->scrub, claim, FUZZ_NOW_MS);
    //  What intake stores and publishes must pack and unpack whole.
    size_t size = claim__get_packed_size (claim);
    uint8_t *buffer = malloc (size? size: 1);
    assert (buffer);
    assert (claim__pack (claim, buffer) == size);
    Claim *copy = claim__unpack (NULL, size, buffer);
    assert (copy);
    assert (strcmp (copy->patient_control_number, claim->patient_control_number) == 0);
    claim__free_unpacked (copy, NULL);
    free (buffer);
    size = scrub_result__get_packed_size (result);
    buffer = malloc (size? size: 1);
    assert (buffer);
    scrub_result__pack (result, buffer);
    free (buffer);
    //  Accepted means no error finding, parse findings included.
    assert (result->accepted == (result->errors == 0));
    assert (claim->n_parse_findings <= result->n_findings);
    scrub_result__free_unpacked (result, NULL);
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static scrub_t *scrub = NULL;
    if (!scrub) {
        scrub = scrub_new ();
        scrub_set_payer_filing_days (scrub, "00435", 90);
    }
    x12_reader_t *reader = x12_reader_new_buffer (data, size);
    if (size > 0)
        x12_reader_set_chunk_size (reader, 1 + data [size - 1] % 131);
    s_fuzz_t fuzz = { .scrub = scrub };
    parse_837p_report_t report;
    int rc = parse_837p (reader, s_on_claim, &fuzz, &report);
    //  A refusal always says where and why.
    if (rc == -1)
        assert (report.error [0] && strncmp (report.error, "segment ", 8) == 0);
    assert (fuzz.claims == report.claims);
    x12_reader_destroy (&reader);
    return 0;
}
