/*  letter: an appeal letter made from a template (docs/denials.md).

    A template is plain text with fields in double braces, `{{pcn}}`; the
    fields are one table in letter.c (payer, claim, dates of service, the
    lines, the CARC/RARC text, the biller's reason ...). A field the table
    does not have is an error naming it and its line, never left in the
    letter or dropped silently. Pure: no store, no file (the caller reads
    the template and writes the letter), so tests/unit checks it alone.
*/
#ifndef RCMQ_DENIALS_LETTER_H
#define RCMQ_DENIALS_LETTER_H

#include <stdbool.h>
#include "denials.pb-c.h"

//  What the letter says beyond the denial itself.
typedef struct {
    const char *reason;         //  the biller's argument
    const char *biller;         //  who appeals (the caller's name)
    const char *date;           //  the letter's date, YYYY-MM-DD
    char **documents;           //  ids of the documents sent with it (may be NULL)
    size_t n_documents;
} letter_context_t;

//  The built-in template (`default`), used when the templates folder has
//  no default.txt.
extern const char *const letter_default_template;

//  Renders text (named name, for errors) for item: a fresh string
//  (free), or NULL with why in error. The documents are the field
//  `enclosures`; a template without it that has documents to send gets
//  an "Enclosures:" section at its end, so no attachment goes unlisted.
char *letter_render (const char *name, const char *text, const DenialItem *item, const letter_context_t *context,
                     char *error, size_t size);
//  True when id is a document id: 1 to 64 of letters, digits, '-', '_',
//  '.', ':' and '/' (a document system's key, never a sentence).
bool  letter_document_ok (const char *id);
//  True when name is a template name (letters, digits, '-', '_'; at most
//  64): nothing that could leave the folder.
bool  letter_name_ok (const char *name);
//  The field names, comma separated, for a help or an error.
void  letter_fields (char *out, size_t size);

#endif
