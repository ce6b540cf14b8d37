/*  Tests for rcmqctl's output (cli/output.c, cli/pbjson.c), issue 12 item
    7: data never drives the terminal (control characters print as \xNN in
    tables, CSV and output_printf) and a string of invalid UTF-8 never
    vanishes from JSON (jansson refuses it; the key used to be dropped).
*/
#include "suites.h"
#include "output.h"
#include "pbjson.h"
#include "claims.pb-c.h"
#include "metrics.pb-c.h"

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

//  pbjson views (issue 13 item 6): each rule does what it says, fields no
//  rule names stay as they are, several rules may read one field.
static json_t *
s_double_amount (const ProtobufCMessage *message)
{
    return json_integer (2 * ((const KpiValue *) message)->amount);
}

static const pbjson_view_t s_set_view = { &kpi_set__descriptor, (const pbjson_rule_t []) {
    { "key", .how = PBJSON_OMIT_EMPTY },
    { "values", .how = PBJSON_KEYED_INLINE, .key = "name", .render = s_double_amount },
    { "aging", .how = PBJSON_KEYED, .as = "aging", .key = "name", .value = "cents" },
    { "aging", .how = PBJSON_KEYED, .as = "aging_patient", .key = "name", .value = "patient_cents" },
    { "denials", .how = PBJSON_OMIT },
    { "rejections", .as = "by_rule" }, { NULL } } };
static const pbjson_view_t s_reply_view = { &kpi_reply__descriptor, (const pbjson_rule_t []) {
    { "overall", .how = PBJSON_INLINE, .view = &s_set_view },
    { "groups", .view = &s_set_view }, { NULL } } };

//  What output_list writes for a list of rows, in format.
static char *
s_list (output_format_t format, output_table_t *table, json_t *rows, const char *next_after)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    output_list (format, "claims", rows, table, next_after, "no claims", out);
    fclose (out);
    char *copy = strdup (text);
    free (text);
    return copy;
}

//  The end every list command shares: JSON object with its key and
//  next_after only when paged, the table or the empty line, the "more" hint.
START_TEST (test_list)
{
    output_table_t *table = output_table_new (s_columns);
    json_t *rows = json_array ();
    char *text = s_list (OUTPUT_TABLE, table, rows, NULL);
    ck_assert_str_eq (text, "no claims\n");
    free (text);
    text = s_list (OUTPUT_CSV, table, rows, NULL);
    ck_assert_int_eq (strncmp (text, "pcn,payer,count\r\n", 17), 0);    //  the header, even empty
    free (text);
    text = s_list (OUTPUT_JSON, table, rows, NULL);
    ck_assert_ptr_null (strstr (text, "next_after"));
    ck_assert_ptr_nonnull (strstr (text, "\"claims\": []"));
    free (text);
    text = s_list (OUTPUT_JSON, table, rows, "");
    ck_assert_ptr_nonnull (strstr (text, "\"next_after\": null"));
    free (text);

    output_table_row (table);
    output_table_cell (table, "P1");
    output_table_cell (table, "AETNA");
    output_table_cell (table, "2");
    json_array_append_new (rows, json_pack ("{s:s}", "pcn", "P1"));
    text = s_list (OUTPUT_TABLE, table, rows, "P1");
    ck_assert_ptr_nonnull (strstr (text, "AETNA"));
    ck_assert_ptr_nonnull (strstr (text, "\nmore: --after P1\n"));
    ck_assert_ptr_null (strstr (text, "no claims"));
    free (text);
    text = s_list (OUTPUT_JSON, table, rows, "P1");
    ck_assert_ptr_nonnull (strstr (text, "\"next_after\": \"P1\""));
    ck_assert_ptr_nonnull (strstr (text, "\"pcn\": \"P1\""));
    free (text);
    ck_assert_int_eq (rows->refcount, 1);                   //  borrowed, not taken
    json_decref (rows);
    output_table_destroy (&table);
}
END_TEST

START_TEST (test_pbjson_views)
{
    KpiValue paid = KPI_VALUE__INIT, clean = KPI_VALUE__INIT;
    paid.name = "paid"; paid.amount = 21;
    clean.name = "clean"; clean.amount = 5;
    KpiValue *values [] = { &paid, &clean };
    AgingBucket young = AGING_BUCKET__INIT;
    young.name = "0_30"; young.cents = 700; young.patient_cents = 100;
    AgingBucket *aging [] = { &young };
    KpiSet overall = KPI_SET__INIT, group = KPI_SET__INIT;
    overall.n_values = 2; overall.values = values;
    overall.n_aging = 1; overall.aging = aging;
    group.key = "medicare";
    KpiSet *groups [] = { &group };
    KpiReply reply = KPI_REPLY__INIT;
    reply.as_of = "2026-11-02";
    reply.window_days = 90;
    reply.overall = &overall;
    reply.n_groups = 1; reply.groups = groups;

    json_t *json = pbjson_render (&reply.base, &s_reply_view);
    //  Untouched fields as pbjson_message has them.
    ck_assert_str_eq (json_string_value (json_object_get (json, "as_of")), "2026-11-02");
    ck_assert_int_eq (json_integer_value (json_object_get (json, "window_days")), 90);
    ck_assert_ptr_nonnull (json_object_get (json, "group_by"));
    //  INLINE + KEYED_INLINE: the overall figures at the top, by name.
    ck_assert_ptr_null (json_object_get (json, "overall"));
    ck_assert_ptr_null (json_object_get (json, "values"));
    ck_assert_int_eq (json_integer_value (json_object_get (json, "paid")), 42);
    ck_assert_int_eq (json_integer_value (json_object_get (json, "clean")), 10);
    //  Two KEYED rules on one field.
    ck_assert_int_eq (json_integer_value (json_object_get (json_object_get (json, "aging"), "0_30")), 700);
    ck_assert_int_eq (json_integer_value (json_object_get (json_object_get (json, "aging_patient"), "0_30")), 100);
    //  OMIT, renamed, OMIT_EMPTY (the overall key is "").
    ck_assert_ptr_null (json_object_get (json, "denials"));
    ck_assert_ptr_null (json_object_get (json, "rejections"));
    ck_assert (json_is_array (json_object_get (json, "by_rule")));
    ck_assert_ptr_null (json_object_get (json, "key"));
    //  A message field's view applies to each of its messages.
    json_t *first = json_array_get (json_object_get (json, "groups"), 0);
    ck_assert_str_eq (json_string_value (json_object_get (first, "key")), "medicare");
    ck_assert_ptr_null (json_object_get (first, "denials"));
    ck_assert_int_eq (json_object_size (json_object_get (first, "aging")), 0);
    json_decref (json);

    //  Without a view, every field as it stands.
    json = pbjson_message (&overall.base);
    ck_assert_int_eq (json_array_size (json_object_get (json, "values")), 2);
    ck_assert_ptr_nonnull (json_object_get (json, "denials"));
    json_decref (json);
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
    tcase_add_test (tcase, test_pbjson_views);
    tcase_add_test (tcase, test_list);
    suite_add_tcase (suite, tcase);
    return suite;
}
