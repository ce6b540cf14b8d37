/*  html: a growing text buffer for pages, CSV and SVG, with the escapes
    each needs, so no page writes a figure or a name from the services
    without going through one (payer names come from 837P files: data).
*/
#ifndef RCMQ_WEB_HTML_H
#define RCMQ_WEB_HTML_H

#include <stddef.h>
#include <stdint.h>

typedef struct _html_t html_t;

html_t     *html_new (void);
void        html_destroy (html_t **self_p);
//  Markup of our own (format and arguments are ours, never data).
void        html_printf (html_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
//  Data as text or attribute value: & < > " ' escaped.
void        html_text (html_t *self, const char *text);
//  An attribute whose value is data: ` name="value"`, value escaped as
//  html_text, name ours. A tag carrying several (a row's data-* for the
//  tests) reads as one call per attribute, without the quotes of one
//  closing in the markup of the next.
void        html_attr (html_t *self, const char *name, const char *value);
//  Data as a CSV field: quoted when it holds , " CR or LF, and a leading
//  = + - @ made inert (a spreadsheet would run it as a formula).
void        html_csv (html_t *self, const char *text);
//  Data as a URL query value: percent-encoded but for unreserved bytes.
void        html_url (html_t *self, const char *text);
const char *html_data (html_t *self);
size_t      html_size (html_t *self);
//  Hands the bytes over (free them); the buffer is empty after.
char       *html_take (html_t *self, size_t *size);

//  Cents as "1234.56" / "-0.05" (no currency sign, no separators).
void        html_cents (char *buf, size_t size, int64_t cents);

#endif
