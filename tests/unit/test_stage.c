/*  Tests for stage: a prepared claim written to a staged file reads back
    with every field the apply uses (head, lines, date, dims, scrub with
    its findings, sealed bytes, member index, flag), several records in a
    row; a record cut short or with a length past its end does not read.
*/
#include "suites.h"
#include "stage.h"
#include "codec.h"

#include <stdlib.h>
#include <string.h>

//  A prepared claim of two lines, a warning, sealed bytes with NULs in
//  them and a member index; `empty` leaves what may be empty empty.
static void
s_prepared (PreparedClaim *prepared, Claim *head, ClaimDimensions *dims, ScrubResult *scrub,
            ScrubFinding **finding_list, ServiceLine lines [2], ServiceLine *line_list [2], bool empty)
{
    static uint8_t sealed [] = { 0x0a, 0x00, 0x12, 0xff, 0x00, 0x7f };
    static uint8_t member_index [16] = { 1, 2, 3, 0, 5 };
    claim__init (head);
    head->sender_qualifier = "ZZ";
    head->sender_id = "SENDER01";
    head->receiver_qualifier = "ZZ";
    head->receiver_id = "RCMQ";
    head->interchange_control_number = "000000123";
    head->group_control_number = "45";
    head->transaction_control_number = "0001";
    head->patient_control_number = empty? "": "PCN-77";
    head->frequency_code = "1";
    head->total_charge_cents = -12345;          //  whatever the file said
    head->segment_index = 1ull << 40;
    for (int l = 0; l < 2; l++) {
        service_line__init (&lines [l]);
        lines [l].line_number = (uint32_t) l + 1;
        lines [l].procedure_code = l? "": "99213";
        lines [l].charge_cents = 5000;          //  not staged: the apply reads no charge
        line_list [l] = &lines [l];
    }
    head->n_lines = empty? 0: 2;
    head->lines = empty? NULL: line_list;
    claim_dimensions__init (dims);
    dims->payer_id = "P1";
    dims->payer_group = "commercial";
    dims->location = "1234567890";
    dims->service_line = "E&M";
    dims->payer_name = empty? "": "Payer One";
    dims->provider_name = "DOE, JANE";
    scrub_result__init (scrub);
    ScrubFinding *finding = finding_list [0];
    scrub_finding__init (finding);
    scrub->accepted = !empty;
    if (!empty) {
        finding->rule_id = "W001";
        finding->severity = SEVERITY__SEVERITY_WARNING;
        finding->field = "lines[1].modifiers";
        finding->message = "a warning";
        scrub->n_findings = 1;
        scrub->findings = finding_list;
        scrub->warnings = 1;
    }
    prepared_claim__init (prepared);
    prepared->head = head;
    prepared->dims = dims;
    prepared->scrub = scrub;
    prepared->date_of_service = "2026-01-02";
    if (!empty) {
        prepared->sealed.data = sealed;
        prepared->sealed.len = sizeof sealed;
        prepared->member_index.data = member_index;
        prepared->member_index.len = sizeof member_index;
        prepared->parse_findings = true;
    }
}

//  The bytes of one record in file from offset: its body and size.
static uint8_t *
s_body (FILE *file, size_t *size)
{
    uint8_t length [4];
    ck_assert_uint_eq (fread (length, 1, 4, file), 4);
    *size = length [0] | (size_t) length [1] << 8 | (size_t) length [2] << 16 | (size_t) length [3] << 24;
    uint8_t *body = malloc (*size + 1);
    ck_assert_uint_eq (fread (body, 1, *size, file), *size);
    return body;
}

static void
s_check_same (const PreparedClaim *written, const PreparedClaim *read)
{
    ck_assert_str_eq (read->head->sender_id, written->head->sender_id);
    ck_assert_str_eq (read->head->receiver_qualifier, written->head->receiver_qualifier);
    ck_assert_str_eq (read->head->interchange_control_number, written->head->interchange_control_number);
    ck_assert_str_eq (read->head->transaction_control_number, written->head->transaction_control_number);
    ck_assert_str_eq (read->head->patient_control_number, written->head->patient_control_number);
    ck_assert_str_eq (read->head->frequency_code, written->head->frequency_code);
    ck_assert_int_eq (read->head->total_charge_cents, written->head->total_charge_cents);
    ck_assert_uint_eq (read->head->segment_index, written->head->segment_index);
    ck_assert_uint_eq (read->head->n_lines, written->head->n_lines);
    for (size_t l = 0; l < read->head->n_lines; l++) {
        ck_assert_uint_eq (read->head->lines [l]->line_number, written->head->lines [l]->line_number);
        ck_assert_str_eq (read->head->lines [l]->procedure_code, written->head->lines [l]->procedure_code);
    }
    ck_assert_str_eq (read->date_of_service, written->date_of_service);
    ck_assert_str_eq (read->dims->payer_id, written->dims->payer_id);
    ck_assert_str_eq (read->dims->service_line, written->dims->service_line);
    ck_assert_str_eq (read->dims->payer_name, written->dims->payer_name);
    ck_assert_str_eq (read->dims->provider_name, written->dims->provider_name);
    ck_assert_str_eq (read->dims->queue, "");
    //  The scrub result as protobuf-c packs it: the same bytes again.
    size_t a_size, b_size;
    uint8_t *a = codec_pack (written->scrub, &a_size);
    uint8_t *b = codec_pack (read->scrub, &b_size);
    ck_assert_uint_eq (a_size, b_size);
    ck_assert (a_size == 0 || memcmp (a, b, a_size) == 0);
    free (a);
    free (b);
    ck_assert_uint_eq (read->sealed.len, written->sealed.len);
    ck_assert (read->sealed.len == 0 || memcmp (read->sealed.data, written->sealed.data, read->sealed.len) == 0);
    ck_assert_uint_eq (read->member_index.len, written->member_index.len);
    ck_assert (read->member_index.len == 0
            || memcmp (read->member_index.data, written->member_index.data, read->member_index.len) == 0);
    ck_assert_int_eq (read->parse_findings, written->parse_findings);
}

START_TEST (test_round_trip)
{
    PreparedClaim full, empty;
    Claim head [2];
    ClaimDimensions dims [2];
    ScrubResult scrub [2];
    ScrubFinding finding [2];
    ScrubFinding *finding_list [2][1] = { { &finding [0] }, { &finding [1] } };
    ServiceLine lines [2][2];
    ServiceLine *line_list [2][2];
    s_prepared (&full, &head [0], &dims [0], &scrub [0], finding_list [0], lines [0], line_list [0], false);
    s_prepared (&empty, &head [1], &dims [1], &scrub [1], finding_list [1], lines [1], line_list [1], true);
    FILE *file = tmpfile ();
    ck_assert_ptr_nonnull (file);
    ck_assert_int_eq (stage_write (file, &full), 0);
    ck_assert_int_eq (stage_write (file, &empty), 0);
    ck_assert_int_eq (stage_write (file, &full), 0);
    rewind (file);
    stage_claim_t staged = { 0 };
    const PreparedClaim *order [] = { &full, &empty, &full };
    for (int i = 0; i < 3; i++) {
        size_t size;
        uint8_t *body = s_body (file, &size);
        ck_assert_int_eq (stage_read (&staged, body, size), 0);
        s_check_same (order [i], &staged.claim);
        codec_free (staged.claim.scrub);
        free (body);
    }
    ck_assert_int_eq (fgetc (file), EOF);
    stage_claim_release (&staged);
    fclose (file);
}
END_TEST

START_TEST (test_broken_records)
{
    PreparedClaim full;
    Claim head;
    ClaimDimensions dims;
    ScrubResult scrub;
    ScrubFinding finding;
    ScrubFinding *finding_list [1] = { &finding };
    ServiceLine lines [2];
    ServiceLine *line_list [2];
    s_prepared (&full, &head, &dims, &scrub, finding_list, lines, line_list, false);
    FILE *file = tmpfile ();
    ck_assert_int_eq (stage_write (file, &full), 0);
    rewind (file);
    size_t size;
    uint8_t *body = s_body (file, &size);
    stage_claim_t staged = { 0 };
    //  Every cut of the body is refused, the whole one reads.
    for (size_t cut = 0; cut < size; cut++)
        ck_assert_int_eq (stage_read (&staged, body, cut), -1);
    ck_assert_int_eq (stage_read (&staged, body, size), 0);
    codec_free (staged.claim.scrub);
    //  One byte more is not a record either.
    body [size] = 0;
    ck_assert_int_eq (stage_read (&staged, body, size + 1), -1);
    //  A first text length past the end.
    body [0] = 0xff;
    body [3] = 0x7f;
    ck_assert_int_eq (stage_read (&staged, body, size), -1);
    stage_claim_release (&staged);
    free (body);
    fclose (file);
}
END_TEST

Suite *
stage_suite (void)
{
    Suite *suite = suite_create ("stage");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_round_trip);
    tcase_add_test (tc, test_broken_records);
    suite_add_tcase (suite, tc);
    return suite;
}
