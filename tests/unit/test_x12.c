/*  Tests for x12_reader: separators from the ISA in every style, BOM, CRLF,
    indentation, several envelopes, chunk boundaries everywhere, FILE* input,
    each envelope error with its segment number, id and reason, and the
    element / component accessors.

    Documents are written in the default style (* : ^ ~) and translated to
    other styles by s_restyle, so every style reads the same text.
*/
#include "suites.h"
#include "x12.h"
#include "x12_helpers.h"

#include <stdlib.h>
#include <string.h>

#define ISA_LINE "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*P*:~"

//  9 segments: ISA 1, GS 2, ST 3, BHT 4, NM1 5, SV1 6, SE 7, GE 8, IEA 9.
static const char *s_doc =
    ISA_LINE
    "GS*HC*SENDER*RECEIVER*20260101*1200*1*X*005010X222A1~"
    "ST*837*0001*005010X222A1~"
    "BHT*0019*00*REF1*20260101*1200*CH~"
    "NM1*85*2*CLINIC*****XX*1234567893~"
    "SV1*HC:99213:25:59*100*UN*1***1:2~"
    "SE*5*0001~"
    "GE*1*1~"
    "IEA*1*000000001~";

//  Returns a copy of text with the default separators swapped for others.
static char *
s_restyle (const char *text, char element, char component, char repetition, char segment)
{
    char *copy = strdup (text);
    for (char *p = copy; *p; p++) {
        if (*p == '*')      *p = element;
        else if (*p == ':') *p = component;
        else if (*p == '^') *p = repetition;
        else if (*p == '~') *p = segment;
    }
    return copy;
}

//  Reads everything; writes "ID|e1|e2...\n" per segment into out (so two
//  reads can be compared) and returns the reader's final rc.
static int
s_dump (x12_reader_t *reader, char *out, size_t size)
{
    x12_segment_t *seg;
    int rc;
    size_t used = 0;
    out [0] = 0;
    while ((rc = x12_reader_next (reader, &seg)) == 1) {
        used += snprintf (out + used, size - used, "%s", x12_segment_id (seg));
        for (size_t i = 1; i <= x12_segment_count (seg); i++)
            used += snprintf (out + used, size - used, "|%s", x12_segment_element (seg, i));
        used += snprintf (out + used, size - used, "\n");
        ck_assert_uint_lt (used, size);
    }
    return rc;
}

static int
s_read_all (const char *text, size_t chunk, char *out, size_t size)
{
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    if (chunk)
        x12_reader_set_chunk_size (reader, chunk);
    int rc = s_dump (reader, out, size);
    x12_reader_destroy (&reader);
    return rc;
}

START_TEST (test_isa_fixture_is_106)
{
    ck_assert_uint_eq (strlen (ISA_LINE), 106);
}
END_TEST

START_TEST (test_default_style)
{
    x12_reader_t *reader = x12_reader_new_buffer (s_doc, strlen (s_doc));
    x12_segment_t *seg;
    const char *ids [] = { "ISA", "GS", "ST", "BHT", "NM1", "SV1", "SE", "GE", "IEA" };
    for (size_t i = 0; i < 9; i++) {
        ck_assert_int_eq (x12_reader_next (reader, &seg), 1);
        ck_assert_str_eq (x12_segment_id (seg), ids [i]);
        ck_assert_uint_eq (x12_segment_number (seg), i + 1);
        if (i == 0) {
            x12_separators_t sep = x12_reader_separators (reader);
            ck_assert_int_eq (sep.element, '*');
            ck_assert_int_eq (sep.component, ':');
            ck_assert_int_eq (sep.repetition, '^');
            ck_assert_int_eq (sep.segment, '~');
            ck_assert_uint_eq (x12_segment_count (seg), 16);
            ck_assert_str_eq (x12_segment_element (seg, 6), "SENDER         ");
            ck_assert_str_eq (x12_segment_element (seg, 13), "000000001");
        }
        if (i == 4) {
            ck_assert_uint_eq (x12_segment_count (seg), 9);
            ck_assert_str_eq (x12_segment_element (seg, 3), "CLINIC");
            ck_assert_str_eq (x12_segment_element (seg, 4), "");
            ck_assert_str_eq (x12_segment_element (seg, 9), "1234567893");
            ck_assert_str_eq (x12_segment_element (seg, 10), "");
        }
        if (i == 5) {
            ck_assert_str_eq (x12_segment_element (seg, 1), "HC:99213:25:59");
            ck_assert_uint_eq (x12_segment_components (seg, 1), 4);
            ck_assert_str_eq (x12_segment_component (seg, 1, 1), "HC");
            ck_assert_str_eq (x12_segment_component (seg, 1, 2), "99213");
            ck_assert_str_eq (x12_segment_component (seg, 1, 4), "59");
            ck_assert_str_eq (x12_segment_component (seg, 1, 5), "");
            //  An element without components is its own component 1.
            ck_assert_uint_eq (x12_segment_components (seg, 2), 1);
            ck_assert_str_eq (x12_segment_component (seg, 2, 1), "100");
            ck_assert_uint_eq (x12_segment_components (seg, 4), 1);
            ck_assert_str_eq (x12_segment_component (seg, 5, 1), "");
            ck_assert_str_eq (x12_segment_component (seg, 7, 2), "2");
            ck_assert_uint_eq (x12_segment_components (seg, 8), 0);
            ck_assert_str_eq (x12_segment_component (seg, 8, 1), "");
        }
    }
    ck_assert_int_eq (x12_reader_next (reader, &seg), 0);
    ck_assert_ptr_null (seg);
    ck_assert_ptr_null (x12_reader_error (reader));
    ck_assert_uint_eq (x12_reader_segments (reader), 9);
    ck_assert_uint_eq (x12_reader_interchanges (reader), 1);
    //  The end is sticky.
    ck_assert_int_eq (x12_reader_next (reader, &seg), 0);
    x12_reader_destroy (&reader);
    ck_assert_ptr_null (reader);
    x12_reader_destroy (&reader);
}
END_TEST

//  Every style reads to the same segments as the default one.
START_TEST (test_separator_styles)
{
    static const struct {
        char element, component, repetition, segment;
    } styles [] = {
        { '|', '^', '>', '~' },
        { '|', '>', '^', '\n' },
        { '^', '>', '|', '~' },
        { '~', '^', '|', '_' },     //  imsweb's different-separators sample
        { '*', '>', '^', '~' },
        { '_', ':', '^', '|' },
        { '*', ':', '^', '\'' },
        { '!', '\\', '{', '}' },
    };
    char expect [4096];
    ck_assert_int_eq (s_read_all (s_doc, 0, expect, sizeof expect), 0);
    for (size_t i = 0; i < sizeof styles / sizeof styles [0]; i++) {
        char *text = s_restyle (s_doc, styles [i].element, styles [i].component,
                                styles [i].repetition, styles [i].segment);
        x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
        char got [4096];
        ck_assert_int_eq (s_dump (reader, got, sizeof got), 0);
        x12_separators_t sep = x12_reader_separators (reader);
        ck_assert_int_eq (sep.element, styles [i].element);
        ck_assert_int_eq (sep.component, styles [i].component);
        ck_assert_int_eq (sep.repetition, styles [i].repetition);
        ck_assert_int_eq (sep.segment, styles [i].segment);
        x12_reader_destroy (&reader);
        //  Compare with separators as data: restyle the expectation too,
        //  except '|' which s_dump uses between elements.
        char *want = s_restyle (expect, '*', styles [i].component, styles [i].repetition, '~');
        ck_assert_msg (strcmp (got, want) == 0, "style %zu:\n%s\nvs\n%s", i, got, want);
        free (want);
        free (text);
    }
}
END_TEST

//  ISA11 "U" (4010) or a byte equal to another separator is no repetition
//  separator.
START_TEST (test_repetition_not_a_separator)
{
    char *text = strdup (s_doc);
    text [82] = 'U';
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    char out [4096];
    ck_assert_int_eq (s_dump (reader, out, sizeof out), 0);
    ck_assert_int_eq (x12_reader_separators (reader).repetition, 0);
    x12_reader_destroy (&reader);
    text [82] = ':';
    reader = x12_reader_new_buffer (text, strlen (text));
    ck_assert_int_eq (s_dump (reader, out, sizeof out), 0);
    ck_assert_int_eq (x12_reader_separators (reader).repetition, 0);
    x12_reader_destroy (&reader);
    free (text);
}
END_TEST

START_TEST (test_bom_crlf_indent)
{
    char expect [4096];
    ck_assert_int_eq (s_read_all (s_doc, 0, expect, sizeof expect), 0);
    //  BOM, then every terminator followed by CRLF and some indentation.
    char text [4096] = "\xEF\xBB\xBF";
    size_t used = 3;
    for (const char *p = s_doc; *p; p++) {
        text [used++] = *p;
        if (*p == '~') {
            memcpy (text + used, "\r\n    ", 6);
            used += 6;
        }
    }
    text [used] = 0;
    char got [4096];
    ck_assert_int_eq (s_read_all (text, 0, got, sizeof got), 0);
    ck_assert_str_eq (got, expect);
    //  A newline terminator with CRLF line ends: the CR is not data.
    char *lf = s_restyle (s_doc, '*', ':', '^', '\n');
    char crlf [4096];
    used = 0;
    for (const char *p = lf; *p; p++) {
        if (*p == '\n')
            crlf [used++] = '\r';
        crlf [used++] = *p;
    }
    crlf [used] = 0;
    ck_assert_int_eq (s_read_all (crlf, 0, got, sizeof got), 0);
    ck_assert_str_eq (got, expect);
    free (lf);
}
END_TEST

START_TEST (test_multiple_interchanges)
{
    //  Second envelope in another style, with two groups.
    char *second = s_restyle (s_doc, '|', '>', '^', '\n');
    char text [8192];
    snprintf (text, sizeof text, "%s\r\n%s", s_doc, second);
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    x12_segment_t *seg;
    size_t count = 0;
    int rc;
    while ((rc = x12_reader_next (reader, &seg)) == 1) {
        count++;
        if (count == 15) {
            ck_assert_str_eq (x12_segment_id (seg), "SV1");
            ck_assert_str_eq (x12_segment_component (seg, 1, 2), "99213");
            ck_assert_int_eq (x12_reader_separators (reader).element, '|');
        }
    }
    ck_assert_int_eq (rc, 0);
    ck_assert_uint_eq (count, 18);
    ck_assert_uint_eq (x12_reader_interchanges (reader), 2);
    x12_reader_destroy (&reader);
    free (second);
}
END_TEST

//  DOS end-of-file marks and NUL padding after the last IEA are not data.
START_TEST (test_trailing_padding)
{
    char text [4096];
    size_t len = strlen (s_doc);
    memcpy (text, s_doc, len);
    memcpy (text + len, "\r\n\x1A\0\0", 5);
    x12_reader_t *reader = x12_reader_new_buffer (text, len + 5);
    char out [4096];
    ck_assert_int_eq (s_dump (reader, out, sizeof out), 0);
    x12_reader_destroy (&reader);
}
END_TEST

START_TEST (test_two_groups_two_sets)
{
    const char *text =
        ISA_LINE
        "GS*HC*S*R*20260101*1200*7*X*005010X222A1~"
        "ST*837*0001~BHT*0019~SE*3*0001~"
        "ST*837*0002~SE*2*0002~"
        "GE*2*7~"
        "GS*HC*S*R*20260101*1200*8*X*005010X222A1~"
        "ST*837*0003~SE*2*0003~"
        "GE*1*8~"
        "IEA*2*1~";
    char out [4096];
    ck_assert_int_eq (s_read_all (text, 0, out, sizeof out), 0);
}
END_TEST

//  Chunk boundaries anywhere: BOM split, ISA split, terminators at a chunk
//  end or start, CRLF split.
START_TEST (test_chunk_boundaries)
{
    char text [8192] = "\xEF\xBB\xBF";
    size_t used = 3;
    for (const char *p = s_doc; *p; p++) {
        text [used++] = *p;
        if (*p == '~') {
            memcpy (text + used, "\r\n", 2);
            used += 2;
        }
    }
    memcpy (text + used, s_doc, strlen (s_doc) + 1);
    char expect [8192];
    ck_assert_int_eq (s_read_all (text, 0, expect, sizeof expect), 0);
    for (size_t chunk = 1; chunk <= 130; chunk++) {
        char got [8192];
        ck_assert_int_eq (s_read_all (text, chunk, got, sizeof got), 0);
        ck_assert_msg (strcmp (got, expect) == 0, "chunk size %zu differs", chunk);
    }
}
END_TEST

START_TEST (test_file_source)
{
    FILE *file = tmpfile ();
    ck_assert_ptr_nonnull (file);
    for (int i = 0; i < 50; i++)
        fputs (s_doc, file);
    rewind (file);
    x12_reader_t *reader = x12_reader_new_file (file);
    x12_reader_set_chunk_size (reader, 7);
    x12_segment_t *seg;
    size_t count = 0;
    int rc;
    while ((rc = x12_reader_next (reader, &seg)) == 1) {
        count++;
        //  The bytes taken in are where the FILE is (intake's progress
        //  asks this instead of ftell: an lseek a claim).
        ck_assert_uint_eq (x12_reader_bytes (reader), (uint64_t) ftell (file));
    }
    ck_assert_int_eq (rc, 0);
    ck_assert_uint_eq (count, 450);
    ck_assert_uint_eq (x12_reader_interchanges (reader), 50);
    ck_assert_uint_eq (x12_reader_bytes (reader), 50 * strlen (s_doc));
    x12_reader_destroy (&reader);
    fclose (file);

    //  From a buffer: whole chunks taken, all of it at the end.
    size_t size = strlen (s_doc);
    reader = x12_reader_new_buffer (s_doc, size);
    x12_reader_set_chunk_size (reader, 10);
    ck_assert_uint_eq (x12_reader_bytes (reader), 0);
    ck_assert_int_eq (x12_reader_next (reader, &seg), 1);
    ck_assert_uint_eq (x12_reader_bytes (reader), 110);     //  ISA is 106 bytes
    while ((rc = x12_reader_next (reader, &seg)) == 1)
        ck_assert_uint_le (x12_reader_bytes (reader), size);
    ck_assert_int_eq (rc, 0);
    ck_assert_uint_eq (x12_reader_bytes (reader), size);
    x12_reader_destroy (&reader);
}
END_TEST

//  Replaces the first occurrence of from by to in s_doc.
static char *
s_mutate (const char *from, const char *to)
{
    const char *at = strstr (s_doc, from);
    ck_assert_ptr_nonnull (at);
    size_t head = at - s_doc;
    char *text = malloc (strlen (s_doc) + strlen (to) + 1);
    memcpy (text, s_doc, head);
    strcpy (text + head, to);
    strcat (text, at + strlen (from));
    return text;
}

//  Each envelope error names the segment, id and reason.
START_TEST (test_envelope_errors)
{
    static const struct {
        const char *from, *to;      //  mutation of s_doc; from NULL = to is the whole text
        uint64_t segment;
        const char *id;
        const char *reason;
    } cases [] = {
        { "SE*5*", "SE*6*", 7, "SE", "SE01 is '6' but the transaction set has 5 segments" },
        { "SE*5*0001", "SE*5*0002", 7, "SE", "SE02 '0002' does not match ST02 '0001'" },
        { "GE*1*1", "GE*2*1", 8, "GE", "GE01 is '2' but the group has 1 transaction sets" },
        { "GE*1*1", "GE*1*2", 8, "GE", "GE02 '2' does not match GS06 '1'" },
        { "IEA*1*", "IEA*0*", 9, "IEA", "IEA01 is '0' but the interchange has 1 functional groups" },
        { "IEA*1*000000001", "IEA*1*000000002", 9, "IEA", "IEA02 '000000002' does not match ISA13 '000000001'" },
        { "IEA*1*000000001~", "", 9, "", "file ends inside the interchange opened at segment 1 (IEA missing)" },
        { "IEA*1*000000001~", "IEA*1*000000001", 9, "IEA", "file ends inside a segment (no segment terminator '~')" },
        { "SE*5*0001~", "", 7, "GE", "GE before the open transaction set is closed (SE missing)" },
        { "GE*1*1~", "", 8, "IEA", "IEA before the open group or transaction set is closed" },
        { "ST*837*0001*005010X222A1~", "", 3, "BHT", "BHT outside a transaction set (no ST)" },
        { "GS*HC*SENDER*RECEIVER*20260101*1200*1*X*005010X222A1~", "", 2, "ST", "ST outside a functional group (no GS)" },
        { "ST*837*0001*005010X222A1~", "ST*837*0001*005010X222A1~ST*837*0002~", 4, "ST", "ST inside an open transaction set (SE missing)" },
        { "GE*1*1~", "GE*1*1~GE*0*1~", 9, "GE", "GE without GS" },
        { "IEA*1*000000001~", "IEA*1*000000001~IEA*1*000000001~", 10, "IEA", "expected ISA after IEA" },
        { "IEA*1*000000001~", "IEA*1*000000001~GS*HC~", 10, "GS", "expected ISA after IEA" },
        { "NM1*85", "nm1*85", 5, "nm1", "segment id 'nm1' is not 2 or 3 capital letters and digits" },
        { "NM1*85", "N*85", 5, "N", "segment id 'N' is not 2 or 3 capital letters and digits" },
        { "*ZZ*SENDER         *", "*ZZ*SENDER        *", 1, "ISA", "element separator '*' expected at position 51" },
        { "*P*:~", "*P*~~", 1, "ISA", "component and segment separators are both '~'" },
        { "*P*:~", "*P*A~", 1, "ISA", "component separator 0x41 is a letter, digit, blank or NUL" },
        { "ISA*00", "XSA*00", 1, "XSA", "file does not start with an ISA segment" },
        { NULL, "", 1, "", "empty file: no ISA segment" },
        { NULL, "\xEF\xBB\xBF\r\n", 1, "", "empty file: no ISA segment" },
        { NULL, "ISA*00*  ", 1, "ISA", "ISA truncated: 9 of 106 characters before end of file" },
        { NULL, "IS", 1, "ISA", "ISA truncated: 2 of 106 characters" },
        { NULL, "XY", 1, "XY", "file does not start with an ISA segment" },
        { NULL, "\x1A", 1, "", "file does not start with an ISA segment" },
        { "IEA*1*000000001~", "IEA*1*000000001~\x1AX", 10, "X", "expected ISA after IEA" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char *text = cases [i].from? s_mutate (cases [i].from, cases [i].to): strdup (cases [i].to);
        //  Whole and in 3-byte chunks: the error must not depend on chunking.
        for (int pass = 0; pass < 2; pass++) {
            x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
            if (pass)
                x12_reader_set_chunk_size (reader, 3);
            char out [4096];
            ck_assert_int_eq (s_dump (reader, out, sizeof out), -1);
            const char *error = x12_reader_error (reader);
            ck_assert_ptr_nonnull (error);
            ck_assert_msg (x12_reader_error_segment (reader) == cases [i].segment,
                           "case %zu: segment %llu, want %llu (%s)", i,
                           (unsigned long long) x12_reader_error_segment (reader),
                           (unsigned long long) cases [i].segment, error);
            ck_assert_msg (strcmp (x12_reader_error_id (reader), cases [i].id) == 0,
                           "case %zu: id '%s', want '%s'", i, x12_reader_error_id (reader), cases [i].id);
            ck_assert_msg (strstr (error, cases [i].reason),
                           "case %zu: '%s' lacks '%s'", i, error, cases [i].reason);
            char prefix [64];
            snprintf (prefix, sizeof prefix, "segment %llu", (unsigned long long) cases [i].segment);
            ck_assert_msg (strncmp (error, prefix, strlen (prefix)) == 0, "case %zu: '%s'", i, error);
            //  Sticky.
            x12_segment_t *seg;
            ck_assert_int_eq (x12_reader_next (reader, &seg), -1);
            ck_assert_ptr_null (seg);
            x12_reader_destroy (&reader);
        }
        free (text);
    }
}
END_TEST

//  Control numbers compare as numbers when both are digits (zero padding
//  differs between senders), as text otherwise.
START_TEST (test_control_number_padding)
{
    char *text = s_mutate ("IEA*1*000000001", "IEA*1*1");
    char out [4096];
    ck_assert_int_eq (s_read_all (text, 0, out, sizeof out), 0);
    free (text);
    text = s_mutate ("SE*5*0001", "SE*5*1");
    ck_assert_int_eq (s_read_all (text, 0, out, sizeof out), 0);
    free (text);
    text = s_mutate ("SE*5*0001", "SE*5*A001");
    ck_assert_int_eq (s_read_all (text, 0, out, sizeof out), -1);
    free (text);
}
END_TEST

START_TEST (test_segment_too_long)
{
    size_t size = X12_MAX_SEGMENT + 4096;
    char *text = malloc (strlen (s_doc) + size + 1);
    strcpy (text, ISA_LINE "GS*HC*S*R*20260101*1200*1*X*005010X222A1~ST*837*0001~NTE*");
    size_t used = strlen (text);
    memset (text + used, 'A', size);
    text [used + size] = 0;
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    char out [4096];
    ck_assert_int_eq (s_dump (reader, out, sizeof out), -1);
    ck_assert_uint_eq (x12_reader_error_segment (reader), 4);
    ck_assert_str_eq (x12_reader_error_id (reader), "NTE");
    ck_assert_ptr_nonnull (strstr (x12_reader_error (reader), "longer than"));
    x12_reader_destroy (&reader);
    free (text);
}
END_TEST

START_TEST (test_nul_byte)
{
    char text [4096];
    size_t len = strlen (s_doc);
    memcpy (text, s_doc, len + 1);
    char *at = strstr (text, "CLINIC");
    at [2] = 0;
    x12_reader_t *reader = x12_reader_new_buffer (text, len);
    char out [4096];
    ck_assert_int_eq (s_dump (reader, out, sizeof out), -1);
    ck_assert_uint_eq (x12_reader_error_segment (reader), 5);
    ck_assert_ptr_nonnull (strstr (x12_reader_error (reader), "NUL byte"));
    x12_reader_destroy (&reader);
}
END_TEST

//  Components where a segment has no component separator, and where the
//  first one comes after some elements (those before are one component
//  each), read alike for every chunk size (a segment in one chunk or
//  gathered across chunks).
START_TEST (test_components_split_late)
{
    char *text = test_x12_wrap (
        ISA_LINE "GS*HC*SENDER*RECEIVER*20260101*1200*1*X*005010X222A1~ST*837*0001*005010X222A1~",
        "NM1*85*2*CLINIC*****XX*1234567893~"
        "CLM*A1*100***11:B:1*Y~",
        "0001", "GE*1*1~IEA*1*000000001~");
    for (size_t chunk = 0; chunk <= 60; chunk++) {
        x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
        if (chunk)
            x12_reader_set_chunk_size (reader, chunk);
        x12_segment_t *seg;
        size_t seen = 0;
        while (x12_reader_next (reader, &seg) == 1) {
            if (strcmp (x12_segment_id (seg), "NM1") == 0) {
                seen++;
                ck_assert_uint_eq (x12_segment_components (seg, 0), 0);
                ck_assert_uint_eq (x12_segment_components (seg, 3), 1);
                ck_assert_str_eq (x12_segment_component (seg, 3, 1), "CLINIC");
                ck_assert_str_eq (x12_segment_component (seg, 3, 2), "");
                ck_assert_str_eq (x12_segment_component (seg, 3, 0), "");
                ck_assert_uint_eq (x12_segment_components (seg, 4), 1);
                ck_assert_str_eq (x12_segment_component (seg, 4, 1), "");
                ck_assert_str_eq (x12_segment_component (seg, 9, 1), "1234567893");
                ck_assert_uint_eq (x12_segment_components (seg, 10), 0);
                ck_assert_str_eq (x12_segment_component (seg, 10, 1), "");
            }
            if (strcmp (x12_segment_id (seg), "CLM") == 0) {
                seen++;
                ck_assert_uint_eq (x12_segment_count (seg), 6);
                ck_assert_uint_eq (x12_segment_components (seg, 1), 1);
                ck_assert_str_eq (x12_segment_component (seg, 1, 1), "A1");
                ck_assert_str_eq (x12_segment_component (seg, 1, 2), "");
                ck_assert_str_eq (x12_segment_component (seg, 2, 1), "100");
                ck_assert_uint_eq (x12_segment_components (seg, 3), 1);
                ck_assert_str_eq (x12_segment_component (seg, 3, 1), "");
                ck_assert_uint_eq (x12_segment_components (seg, 5), 3);
                ck_assert_str_eq (x12_segment_element (seg, 5), "11:B:1");
                ck_assert_str_eq (x12_segment_component (seg, 5, 1), "11");
                ck_assert_str_eq (x12_segment_component (seg, 5, 2), "B");
                ck_assert_str_eq (x12_segment_component (seg, 5, 3), "1");
                ck_assert_str_eq (x12_segment_component (seg, 5, 4), "");
                ck_assert_uint_eq (x12_segment_components (seg, 6), 1);
                ck_assert_str_eq (x12_segment_component (seg, 6, 1), "Y");
                ck_assert_str_eq (x12_segment_component (seg, 6, 2), "");
            }
        }
        ck_assert_ptr_null (x12_reader_error (reader));
        ck_assert_uint_eq (seen, 2);
        x12_reader_destroy (&reader);
    }
    free (text);
}
END_TEST

//  The HL hierarchy both readers of one (837P, 277CA) read through
//  x12_hl_open: each HL's row, or its refusal, in the order of the file.
static const x12_hl_level_t s_test_levels [] = {
    { "20", -1, "billing provider", 100 },
    { "22",  0, "subscriber",       200 },
    { "23",  1, "patient",          300 },
};

START_TEST (test_hl_hierarchy)
{
    char *text = test_x12_wrap (
        ISA_LINE "GS*HC*SENDER*RECEIVER*20260101*1200*1*X*005010X222A1~ST*837*0001*005010X222A1~",
        "HL*1**20~HL*2*1*22~HL*3*2*23~"
        "HL*4*1*22~"            //  a second subscriber closes the patient under the first
        "HL*5*3*23~"            //  names the closed patient 3 as its parent
        "HL*6*4*23~"
        "HL*7*6*22~"            //  a subscriber's parent must be the open billing provider
        "HL*8*1*99~"            //  no such level
        "HL*8*1*22~"            //  HL01 does not grow
        "HL*X*1*22~",
        "0001", "GE*1*1~IEA*1*000000001~");
    static const char *expected [] = {
        "0", "1", "2", "1",
        "patient HL's parent '3' is not the open subscriber HL",
        "2",
        "subscriber HL's parent '6' is not the open billing provider HL",
        "HL03 level '99' is not 20, 22 or 23 (TEST)",
        "HL01 8 is not greater than the previous HL01 8",
        "HL01 'X' is not a number",
    };
    x12_hl_t hl;
    x12_hl_init (&hl, s_test_levels, 3, "TEST");
    x12_reader_t *reader = x12_reader_new_buffer (text, strlen (text));
    x12_segment_t *seg;
    size_t n = 0;
    while (x12_reader_next (reader, &seg) == 1) {
        if (strcmp (x12_segment_id (seg), "HL") != 0)
            continue;
        char got [200];
        int row = x12_hl_open (&hl, seg, got, sizeof got);
        if (row >= 0) {
            snprintf (got, sizeof got, "%d", row);
            ck_assert_int_eq (hl.level, row);
            ck_assert_int_eq (s_test_levels [row].loop, (row + 1) * 100);
        }
        ck_assert_uint_lt (n, sizeof expected / sizeof expected [0]);
        ck_assert_str_eq (got, expected [n]);
        n++;
    }
    ck_assert_uint_eq (n, sizeof expected / sizeof expected [0]);
    //  A new transaction set: nothing open, HL01 may start again.
    x12_hl_reset (&hl);
    ck_assert_int_eq (hl.level, -1);
    x12_reader_destroy (&reader);
    reader = x12_reader_new_buffer (text, strlen (text));
    while (x12_reader_next (reader, &seg) == 1 && strcmp (x12_segment_id (seg), "HL") != 0)
        ;
    x12_reader_next (reader, &seg);         //  HL*2*1*22: its billing provider is not open now
    char reason [200];
    ck_assert_int_eq (x12_hl_open (&hl, seg, reason, sizeof reason), -1);
    ck_assert_str_eq (reason, "subscriber HL's parent '1' is not the open billing provider HL (none open)");
    x12_reader_destroy (&reader);
    free (text);
}
END_TEST

Suite *
x12_suite (void)
{
    Suite *suite = suite_create ("x12");
    TCase *tc = tcase_create ("reader");
    tcase_add_test (tc, test_isa_fixture_is_106);
    tcase_add_test (tc, test_default_style);
    tcase_add_test (tc, test_components_split_late);
    tcase_add_test (tc, test_separator_styles);
    tcase_add_test (tc, test_repetition_not_a_separator);
    tcase_add_test (tc, test_bom_crlf_indent);
    tcase_add_test (tc, test_multiple_interchanges);
    tcase_add_test (tc, test_trailing_padding);
    tcase_add_test (tc, test_two_groups_two_sets);
    tcase_add_test (tc, test_chunk_boundaries);
    tcase_add_test (tc, test_file_source);
    tcase_add_test (tc, test_envelope_errors);
    tcase_add_test (tc, test_control_number_padding);
    tcase_add_test (tc, test_segment_too_long);
    tcase_add_test (tc, test_nul_byte);
    tcase_add_test (tc, test_hl_hierarchy);
    suite_add_tcase (suite, tc);
    return suite;
}
