/*  output: see output.h. A table keeps its cells as strings, row by row, in
    one zlist of string arrays; widths are measured when it prints, so a
    command never has to know them in advance.
*/
#include "output.h"
#include "text.h"

#include <czmq.h>
#include <ctype.h>

struct _output_table_t {
    const output_column_t *columns;
    size_t column_count;
    zlistx_t *rows;         //  char ** of column_count strings (NULL = missing)
    char **current;         //  the row being filled
    size_t filled;          //  cells given so far in the current row
};

output_table_t *
output_table_new (const output_column_t *columns)
{
    assert (columns);
    output_table_t *self = (output_table_t *) zmalloc (sizeof (output_table_t));
    self->columns = columns;
    while (columns [self->column_count].name)
        self->column_count++;
    self->rows = zlistx_new ();
    return self;
}

void
output_table_destroy (output_table_t **self_p)
{
    assert (self_p);
    output_table_t *self = *self_p;
    if (!self)
        return;
    for (char **row = (char **) zlistx_first (self->rows); row;
         row = (char **) zlistx_next (self->rows)) {
        for (size_t i = 0; i < self->column_count; i++)
            free (row [i]);
        free (row);
    }
    zlistx_destroy (&self->rows);
    free (self);
    *self_p = NULL;
}

void
output_table_row (output_table_t *self)
{
    char **row = (char **) zmalloc ((self->column_count + 1) * sizeof (char *));
    zlistx_add_end (self->rows, row);
    self->current = row;
    self->filled = 0;
}

void
output_table_cell (output_table_t *self, const char *text)
{
    //  More cells than columns is a bug in the command, not bad input.
    assert (self->current && self->filled < self->column_count);
    self->current [self->filled++] = text? strdup (text): NULL;
}

void
output_table_cellf (output_table_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    output_table_cell (self, text);
    free (text);
}

void
output_table_cell_uint (output_table_t *self, uint64_t value)
{
    output_table_cellf (self, "%" PRIu64, value);
}

size_t
output_table_rows (output_table_t *self)
{
    return zlistx_size (self->rows);
}

static json_t *
s_cell_json (const char *text, output_type_t type)
{
    if (!text || streq (text, "-") || (type != OUTPUT_TEXT && !*text))
        return json_null ();
    if (type == OUTPUT_INT) {
        char *end;
        long long number = strtoll (text, &end, 10);
        return *end? output_json_string (text): json_integer (number);
    }
    if (type == OUTPUT_BOOL)
        return json_boolean (streq (text, "yes") || streq (text, "up") || streq (text, "true"));
    return output_json_string (text);
}

json_t *
output_table_json (output_table_t *self)
{
    json_t *array = json_array ();
    for (char **row = (char **) zlistx_first (self->rows); row;
         row = (char **) zlistx_next (self->rows)) {
        json_t *object = json_object ();
        for (size_t i = 0; i < self->column_count; i++)
            json_object_set_new (object, self->columns [i].name,
                                 s_cell_json (row [i], self->columns [i].type));
        json_array_append_new (array, object);
    }
    return array;
}

//  Pads by characters, not bytes, so a cell of UTF-8 letters lines up.
static void
s_print_cell (output_table_t *self, size_t column, const char *text, size_t width, FILE *out)
{
    bool last = column + 1 == self->column_count;
    char *shown = text_escape (text, false);
    size_t shown_width = text_display_width (shown);
    size_t pad = width > shown_width? width - shown_width: 0;
    if (self->columns [column].type == OUTPUT_INT)
        fprintf (out, "%*s%s", (int) pad, "", shown);
    else
    if (last)
        fputs (shown, out);
    else
        fprintf (out, "%s%*s", shown, (int) pad, "");
    fputs (last? "\n": "  ", out);
    free (shown);
}

static void
s_print_aligned (output_table_t *self, FILE *out)
{
    size_t widths [self->column_count];
    char headers [self->column_count][64];
    for (size_t i = 0; i < self->column_count; i++) {
        const char *name = self->columns [i].name;
        size_t at = 0;
        for (; name [at] && at < sizeof headers [i] - 1; at++)
            headers [i][at] = name [at] == '_'? ' ': (char) toupper ((unsigned char) name [at]);
        headers [i][at] = 0;
        widths [i] = at;
    }
    for (char **row = (char **) zlistx_first (self->rows); row;
         row = (char **) zlistx_next (self->rows))
        for (size_t i = 0; i < self->column_count; i++) {
            //  As printed: escapes are four characters per byte.
            size_t len = row [i]? text_display_width (row [i]): 1;
            if (len > widths [i])
                widths [i] = len;
        }
    //  Numbers align right so digits line up; the last column is not
    //  padded so lines carry no trailing blanks.
    for (size_t i = 0; i < self->column_count; i++)
        s_print_cell (self, i, headers [i], widths [i], out);
    for (char **row = (char **) zlistx_first (self->rows); row;
         row = (char **) zlistx_next (self->rows))
        for (size_t i = 0; i < self->column_count; i++)
            s_print_cell (self, i, row [i]? row [i]: "-", widths [i], out);
}

static void
s_print_csv_cell (const char *raw, FILE *out)
{
    //  Control characters, line breaks included, are escaped first (a CSV
    //  is read on terminals too); then RFC 4180: quote a cell that holds a
    //  separator or quote, doubling its quotes.
    char *text = text_escape (raw, false);
    if (!strpbrk (text, ",\"")) {
        fputs (text, out);
        free (text);
        return;
    }
    fputc ('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc ('"', out);
        fputc (*p, out);
    }
    fputc ('"', out);
    free (text);
}

static void
s_print_csv (output_table_t *self, FILE *out)
{
    for (size_t i = 0; i < self->column_count; i++) {
        s_print_csv_cell (self->columns [i].name, out);
        fputs (i + 1 < self->column_count? ",": "\r\n", out);
    }
    for (char **row = (char **) zlistx_first (self->rows); row;
         row = (char **) zlistx_next (self->rows))
        for (size_t i = 0; i < self->column_count; i++) {
            s_print_csv_cell (row [i]? row [i]: "", out);
            fputs (i + 1 < self->column_count? ",": "\r\n", out);
        }
}

void
output_table_print (output_table_t *self, output_format_t format, FILE *out)
{
    if (format == OUTPUT_JSON)
        output_json (output_table_json (self), out);
    else
    if (format == OUTPUT_CSV)
        s_print_csv (self, out);
    else
        s_print_aligned (self, out);
}

void
output_json (json_t *value, FILE *out)
{
    json_dumpf (value, out, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    fputc ('\n', out);
    json_decref (value);
}

json_t *
output_json_string (const char *text)
{
    if (!text)
        return json_string ("");
    json_t *string = json_string (text);
    if (string)
        return string;
    char *repaired = text_utf8_repair (text);
    string = json_string (repaired);
    free (repaired);
    assert (string);
    return string;
}

void
output_list (output_format_t format, const char *key, json_t *rows, output_table_t *table,
             const char *next_after, const char *empty, FILE *out)
{
    if (format == OUTPUT_JSON) {
        json_t *root = json_object ();
        json_object_set (root, key, rows);
        if (next_after)
            json_object_set_new (root, "next_after", *next_after? output_json_string (next_after): json_null ());
        output_json (root, out);
        return;
    }
    if (output_table_rows (table) || format == OUTPUT_CSV)
        output_table_print (table, format, out);
    else
        output_printf (out, "%s\n", empty);
    if (next_after && *next_after)
        output_printf (out, "more: --after %s\n", next_after);
}

void
output_printf (FILE *out, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    char *shown = text_escape (text, true);
    fputs (shown, out);
    free (shown);
    free (text);
}
