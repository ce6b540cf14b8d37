/*  stage: see stage.h. The body's fields, in order:

        head   sender_qualifier, sender_id, receiver_qualifier, receiver_id,
               interchange, group and transaction control numbers, PCN,
               frequency code (text); total charge, CLM segment (8 bytes)
        lines  a count (4), then each line's number (4) and procedure code
        date_of_service (text)
        dims   its twelve strings in the message's order (text each)
        scrub  a packed ScrubResult (4-byte length, bytes)
        sealed, member_index (4-byte length, bytes each); parse_findings (1)

    Numbers are little-endian. The writer sizes the body first and writes
    it with one fwrite; the reader checks every length against the body.
*/
#include "stage.h"
#include "codec.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

//  The head's and the dims' text fields, as the writer writes and the
//  reader reads them: one list, so the two cannot disagree.
#define S_HEAD_TEXTS(C) \
    &(C)->sender_qualifier, &(C)->sender_id, &(C)->receiver_qualifier, &(C)->receiver_id, \
    &(C)->interchange_control_number, &(C)->group_control_number, \
    &(C)->transaction_control_number, &(C)->patient_control_number, &(C)->frequency_code
#define S_DIMS_TEXTS(D) \
    &(D)->payer_id, &(D)->payer_group, &(D)->location, &(D)->service_line, &(D)->queue, \
    &(D)->owner_team, &(D)->phase, &(D)->vendor_team, &(D)->payer_name, &(D)->location_name, \
    &(D)->provider_id, &(D)->provider_name
#define S_HEAD_COUNT 9
#define S_DIMS_COUNT 12

//  --------------------------------------------------------------------------
//  Writing

static size_t
s_text_size (const char *text)
{
    return 4 + (text? strlen (text): 0) + 1;
}

static uint8_t *
s_put_u32 (uint8_t *at, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        *at++ = (uint8_t) (value >> (8 * i));
    return at;
}

static uint8_t *
s_put_u64 (uint8_t *at, uint64_t value)
{
    for (int i = 0; i < 8; i++)
        *at++ = (uint8_t) (value >> (8 * i));
    return at;
}

static uint8_t *
s_put_bytes (uint8_t *at, const void *data, size_t size)
{
    at = s_put_u32 (at, (uint32_t) size);
    if (size)
        memcpy (at, data, size);
    return at + size;
}

static uint8_t *
s_put_text (uint8_t *at, const char *text)
{
    at = s_put_bytes (at, text, text? strlen (text): 0);
    *at++ = 0;
    return at;
}

int
stage_write (FILE *file, const PreparedClaim *claim)
{
    assert (claim->head && claim->dims && claim->scrub);
    const Claim *head = claim->head;
    const ClaimDimensions *dims = claim->dims;
    char *const *head_texts [S_HEAD_COUNT] = { S_HEAD_TEXTS (head) };
    char *const *dims_texts [S_DIMS_COUNT] = { S_DIMS_TEXTS (dims) };
    size_t scrub_size = protobuf_c_message_get_packed_size (&claim->scrub->base);

    size_t size = 8 + 8 + 4 + s_text_size (claim->date_of_service) + 4 + scrub_size
                + 4 + claim->sealed.len + 4 + claim->member_index.len + 1;
    for (size_t i = 0; i < S_HEAD_COUNT; i++)
        size += s_text_size (*head_texts [i]);
    for (size_t i = 0; i < S_DIMS_COUNT; i++)
        size += s_text_size (*dims_texts [i]);
    for (size_t l = 0; l < head->n_lines; l++)
        size += 4 + s_text_size (head->lines [l]->procedure_code);
    if (size > UINT32_MAX - 4)
        return -1;

    uint8_t *record = (uint8_t *) malloc (4 + size);
    assert (record);
    uint8_t *at = s_put_u32 (record, (uint32_t) size);
    for (size_t i = 0; i < S_HEAD_COUNT; i++)
        at = s_put_text (at, *head_texts [i]);
    at = s_put_u64 (at, (uint64_t) head->total_charge_cents);
    at = s_put_u64 (at, head->segment_index);
    at = s_put_u32 (at, (uint32_t) head->n_lines);
    for (size_t l = 0; l < head->n_lines; l++) {
        at = s_put_u32 (at, head->lines [l]->line_number);
        at = s_put_text (at, head->lines [l]->procedure_code);
    }
    at = s_put_text (at, claim->date_of_service);
    for (size_t i = 0; i < S_DIMS_COUNT; i++)
        at = s_put_text (at, *dims_texts [i]);
    at = s_put_u32 (at, (uint32_t) scrub_size);
    at += protobuf_c_message_pack (&claim->scrub->base, at);
    at = s_put_bytes (at, claim->sealed.data, claim->sealed.len);
    at = s_put_bytes (at, claim->member_index.data, claim->member_index.len);
    *at++ = claim->parse_findings? 1: 0;
    assert ((size_t) (at - record) == 4 + size);
    bool written = fwrite (record, 1, 4 + size, file) == 4 + size;
    free (record);
    return written? 0: -1;
}

//  --------------------------------------------------------------------------
//  Reading

typedef struct {
    const uint8_t *at, *end;
    bool broken;                //  a length past the end: nothing more reads
} s_cursor_t;

static uint64_t
s_get (s_cursor_t *cursor, int bytes)
{
    if (cursor->broken || cursor->end - cursor->at < bytes) {
        cursor->broken = true;
        return 0;
    }
    uint64_t value = 0;
    for (int i = 0; i < bytes; i++)
        value |= (uint64_t) cursor->at [i] << (8 * i);
    cursor->at += bytes;
    return value;
}

static const uint8_t *
s_get_bytes (s_cursor_t *cursor, size_t *size)
{
    *size = (size_t) s_get (cursor, 4);
    if (cursor->broken || (size_t) (cursor->end - cursor->at) < *size) {
        cursor->broken = true;
        *size = 0;
        return NULL;
    }
    const uint8_t *bytes = cursor->at;
    cursor->at += *size;
    return bytes;
}

//  Text in place: its bytes are followed by the NUL the writer put there.
static char *
s_get_text (s_cursor_t *cursor)
{
    size_t size;
    const uint8_t *bytes = s_get_bytes (cursor, &size);
    if (!bytes || cursor->at == cursor->end || *cursor->at != 0) {
        cursor->broken = true;
        return (char *) protobuf_c_empty_string;
    }
    cursor->at++;
    return (char *) bytes;
}

int
stage_read (stage_claim_t *self, const uint8_t *data, size_t size)
{
    s_cursor_t cursor = { data, data + size, false };
    Claim *head = &self->head;
    ClaimDimensions *dims = &self->dims;
    claim__init (head);
    claim_dimensions__init (dims);
    prepared_claim__init (&self->claim);
    char **head_texts [S_HEAD_COUNT] = { S_HEAD_TEXTS (head) };
    char **dims_texts [S_DIMS_COUNT] = { S_DIMS_TEXTS (dims) };

    for (size_t i = 0; i < S_HEAD_COUNT; i++)
        *head_texts [i] = s_get_text (&cursor);
    head->total_charge_cents = (int64_t) s_get (&cursor, 8);
    head->segment_index = s_get (&cursor, 8);
    size_t n_lines = (size_t) s_get (&cursor, 4);
    //  A line takes at least 9 bytes: a count past that is not a record's.
    if (n_lines > (size_t) (cursor.end - cursor.at) / 9)
        return -1;
    if (n_lines > self->lines_capacity) {
        self->lines_capacity = n_lines;
        self->lines = (ServiceLine *) realloc (self->lines, n_lines * sizeof (ServiceLine));
        self->line_list = (ServiceLine **) realloc (self->line_list, n_lines * sizeof (ServiceLine *));
        assert (self->lines && self->line_list);
    }
    for (size_t l = 0; l < n_lines; l++) {
        ServiceLine *line = &self->lines [l];
        service_line__init (line);
        line->line_number = (uint32_t) s_get (&cursor, 4);
        line->procedure_code = s_get_text (&cursor);
        self->line_list [l] = line;
    }
    head->n_lines = n_lines;
    head->lines = n_lines? self->line_list: NULL;
    self->claim.date_of_service = s_get_text (&cursor);
    for (size_t i = 0; i < S_DIMS_COUNT; i++)
        *dims_texts [i] = s_get_text (&cursor);
    size_t scrub_size, sealed_size, index_size;
    const uint8_t *scrub = s_get_bytes (&cursor, &scrub_size);
    const uint8_t *sealed = s_get_bytes (&cursor, &sealed_size);
    const uint8_t *member_index = s_get_bytes (&cursor, &index_size);
    uint64_t parse_findings = s_get (&cursor, 1);
    if (cursor.broken || cursor.at != cursor.end || parse_findings > 1)
        return -1;
    self->claim.scrub = (ScrubResult *) codec_decode (&scrub_result__descriptor, scrub, scrub_size);
    if (!self->claim.scrub)
        return -1;
    self->claim.head = head;
    self->claim.dims = dims;
    self->claim.sealed.data = (uint8_t *) sealed;
    self->claim.sealed.len = sealed_size;
    self->claim.member_index.data = (uint8_t *) member_index;
    self->claim.member_index.len = index_size;
    self->claim.parse_findings = parse_findings == 1;
    return 0;
}

void
stage_claim_release (stage_claim_t *self)
{
    free (self->lines);
    free (self->line_list);
    self->lines = NULL;
    self->line_list = NULL;
    self->lines_capacity = 0;
}
