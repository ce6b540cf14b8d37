/*  output: how rcmqctl prints results, in one of three formats.

    Commands build their result once and hand it here: a table (rows of
    cells under named columns) prints aligned for people, as CSV for
    spreadsheets and as a JSON array of objects for scripts. Richer results
    build a jansson object and print it with output_json. JSON is always
    made by jansson, never by printf, so it is valid whatever the data.
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

//  Prints a JSON value, indented, keys in insertion order, and a newline.
//  Takes the reference.
void            output_json (json_t *value, FILE *out);

#endif
