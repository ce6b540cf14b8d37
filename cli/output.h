/*  output: how rcmqctl prints results, in one of three formats.

    Commands build their result once and hand it here: a table (rows of
    cells under named columns) prints aligned for people, as CSV for
    spreadsheets and as a JSON array of objects for scripts. Richer results
    build a jansson object and print it with output_json. JSON is always
    made by jansson, never by printf, so it is valid whatever the data.

    Data reaches the terminal as text, never as commands to it: in tables,
    CSV and output_printf every control character (C0, DEL, C1) and every
    byte of invalid UTF-8 prints as "\xNN" (common/text). In JSON, strings
    go through output_json_string, which repairs invalid UTF-8 (U+FFFD per
    bad byte) instead of losing the field: jansson refuses such a string,
    and json_object_set_new then drops the key without a word.
*/
#ifndef RCMQ_OUTPUT_H
#define RCMQ_OUTPUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { OUTPUT_TABLE, OUTPUT_JSON, OUTPUT_CSV } output_format_t;

//  How a column's cells go into JSON: as strings, as integers ("-" and ""
//  become null), or as booleans ("yes" / "no").
typedef enum { OUTPUT_TEXT, OUTPUT_INT, OUTPUT_BOOL } output_type_t;

typedef struct {
    const char *name;       //  JSON key; the header is this upper-cased, '_' as ' '
    output_type_t type;
} output_column_t;

typedef struct _output_table_t output_table_t;

//  columns ends with { NULL }; the table keeps the pointer.
output_table_t *output_table_new (const output_column_t *columns);
void            output_table_destroy (output_table_t **self_p);
//  Starts a row; then one cell per column, in order. Missing cells print "-".
void            output_table_row (output_table_t *self);
void            output_table_cell (output_table_t *self, const char *text);
void            output_table_cellf (output_table_t *self, const char *format, ...)
                    __attribute__ ((format (printf, 2, 3)));
void            output_table_cell_uint (output_table_t *self, uint64_t value);
size_t          output_table_rows (output_table_t *self);
//  The rows as a JSON array of objects (new reference).
json_t         *output_table_json (output_table_t *self);
//  Prints in the given format; OUTPUT_JSON prints output_table_json.
void            output_table_print (output_table_t *self, output_format_t format, FILE *out);

//  A list command's answer, the way each one ends: with --json an object
//  {"<key>": rows} (rows borrowed, not taken), with "next_after" (the id to
//  go on after, null on the last page) when next_after is not NULL;
//  otherwise the table -- CSV even without rows, for its header -- or the
//  line `empty` ("no identities"), then "more: --after ID" while a page
//  follows.
void            output_list (output_format_t format, const char *key, json_t *rows,
                             output_table_t *table, const char *next_after, const char *empty,
                             FILE *out);

//  Prints a JSON value, indented, keys in insertion order, and a newline.
//  Takes the reference.
void            output_json (json_t *value, FILE *out);

//  A JSON string of text that is never NULL: "" for NULL, invalid UTF-8
//  repaired. Use it for every string that comes from data.
json_t         *output_json_string (const char *text);

//  printf to out, with control characters and invalid UTF-8 of the result
//  escaped as "\xNN"; newlines stay, so a format's own lines print as
//  lines.
void            output_printf (FILE *out, const char *format, ...)
                    __attribute__ ((format (printf, 2, 3)));

#endif
