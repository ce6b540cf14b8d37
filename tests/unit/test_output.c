/*  Tests for rcmqctl's output (cli/output.c, cli/pbjson.c), issue 12 item
    7: data never drives the terminal (control characters print as \xNN in
    tables, CSV and output_printf) and a string of invalid UTF-8 never
    vanishes from JSON (jansson refuses it; the key used to be dropped).
*/
#include "suites.h"
#include "output.h"
#include "pbjson.h"
#include "claims.pb-c.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const output_column_t s_columns [] = {
    { "pcn", OUTPUT_TEXT }, { "payer", OUTPUT_TEXT }, { "count", OUTPUT_INT }, { NULL }
};

//  What printing the table in format writes.
static char *
s_print (output_table_t *table, output_format_t format)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    output_table_print (table, format, out);
    fclose (out);
    char *copy = strdup (text);
    free (text);
    return copy;
}

static void
s_assert_no_control (const char *text, bool newlines_ok)
{
    for (const unsigned char *c = (const unsigned char *) text; *c; c++)
        ck_assert_msg ((*c >= 0x20 && *c != 0x7F) || (newlines_ok && *c == '\n') || *c == '\r',
                       "raw byte 0x%02X in:\n%s", *c, text);
}

START_TEST (test_table_escapes)
{
    output_table_t *table = output_table_new (s_columns);
    output_table_row (table);
    output_table_cell (table, "PCN\x1b[2J\x1b]0;owned\x07");
    output_table_cell (table, "ACME\xC2\x9B" "31m\xFF");
    output_table_cell (table, "7");
    output_table_row (table);
    output_table_cell (table, "PCN2");
    output_table_cell (table, "\xC3\x89" "CLAIR");      //  ÉCLAIR: printable UTF-8, kept
    output_table_cell (table, "12");

    char *text = s_print (table, OUTPUT_TABLE);
    s_assert_no_control (text, true);
    ck_assert_msg (strstr (text, "PCN\\x1B[2J\\x1B]0;owned\\x07"), "%s", text);
    ck_assert_msg (strstr (text, "ACME\\xC2\\x9B31m\\xFF"), "%s", text);
    ck_assert_msg (strstr (text, "\xC3\x89" "CLAIR"), "%s", text);
    //  Columns line up by characters: "COUNT" starts at the same column
    //  on the header and under it (the first column is as wide as its
    //  escaped cell).
    char *second = strchr (text, '\n') + 1;
    char *third = strchr (second, '\n') + 1;
    ck_assert_int_eq ((int) (strstr (second, "ACME") - second), (int) (strstr (third, "\xC3\x89") - third));
    free (text);

    text = s_print (table, OUTPUT_CSV);
    s_assert_no_control (text, true);
    ck_assert_msg (strstr (text, "PCN\\x1B[2J\\x1B]0;owned\\x07,ACME\\xC2\\x9B31m\\xFF,7\r\n"), "%s", text);
    free (text);
    output_table_destroy (&table);
}
END_TEST

START_TEST (test_csv_line_breaks)
{
    output_table_t *table = output_table_new (s_columns);
    output_table_row (table);
    output_table_cell (table, "A\r\nB");
    output_table_cell (table, "x,\"y\"");
    output_table_cell (table, "1");
    char *text = s_print (table, OUTPUT_CSV);
    ck_assert_msg (strstr (text, "A\\x0D\\x0AB,\"x,\"\"y\"\"\",1\r\n"), "%s", text);
    free (text);
    output_table_destroy (&table);
}
END_TEST

//  Invalid UTF-8 in a table cell and in a protobuf string: the key stays,
//  each bad byte becomes U+FFFD.
START_TEST (test_json_keeps_fields)
{
    output_table_t *table = output_table_new (s_columns);
    output_table_row (table);
    output_table_cell (table, "PCN\xFF" "1");
    output_table_cell (table, "P\x1b");
    output_table_cell (table, "3");
    json_t *json = output_table_json (table);
    json_t *row = json_array_get (json, 0);
    ck_assert (json_object_get (row, "pcn"));
    ck_assert_str_eq (json_string_value (json_object_get (row, "pcn")), "PCN\xEF\xBF\xBD" "1");
    ck_assert_str_eq (json_string_value (json_object_get (row, "payer")), "P\x1b");
    json_decref (json);
    output_table_destroy (&table);

    ClaimRecord record = CLAIM_RECORD__INIT;
    record.pcn = "PCN\xC3(";                //  a lead byte without its continuation
    record.status = "accepted";
    json = pbjson_message (&record.base);
    ck_assert_msg (json_object_get (json, "pcn"), "pcn dropped");
    ck_assert_str_eq (json_string_value (json_object_get (json, "pcn")), "PCN\xEF\xBF\xBD(");
    ck_assert_str_eq (json_string_value (json_object_get (json, "status")), "accepted");
    char *dumped = json_dumps (json, 0);
    ck_assert (dumped);
    free (dumped);
    json_decref (json);

    json = output_json_string (NULL);
    ck_assert_str_eq (json_string_value (json), "");
    json_decref (json);
}
END_TEST

START_TEST (test_printf)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    output_printf (out, "claim      %s  (%s)\n", "PCN\x1b[31m", "ok\xFE");
    fclose (out);
    ck_assert_str_eq (text, "claim      PCN\\x1B[31m  (ok\\xFE)\n");
    free (text);
}
END_TEST

Suite *
output_suite (void)
{
    Suite *suite = suite_create ("output");
    TCase *tcase = tcase_create ("output");
    tcase_add_test (tcase, test_table_escapes);
    tcase_add_test (tcase, test_csv_line_breaks);
    tcase_add_test (tcase, test_json_keeps_fields);
    tcase_add_test (tcase, test_printf);
    suite_add_tcase (suite, tcase);
    return suite;
}
