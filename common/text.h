/*  text: what bytes from outside may be, and how to show them safely.

    X12 elements reach stores, events, logs and an operator's terminal.
    Intake refuses an element that is not valid UTF-8 or holds a control
    character (text_check); rcmqctl escapes whatever older data still holds
    before it prints (text_escape), and repairs invalid UTF-8 before JSON
    (text_utf8_repair), since jansson refuses such a string and the field
    would vanish from the output.

    Control characters are C0 (U+0000..U+001F), DEL (U+007F) and C1
    (U+0080..U+009F, which some terminals obey as escape sequences).
    UTF-8 is checked strictly: no overlong forms, no surrogates, nothing
    above U+10FFFF.
*/
#ifndef RCMQ_TEXT_H
#define RCMQ_TEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    TEXT_OK,
    TEXT_CONTROL,               //  valid UTF-8 holding a control character
    TEXT_BAD_UTF8               //  not valid UTF-8
} text_status_t;

//  Checks text. *chars (may be NULL) gets its length in characters (code
//  points; bytes when it is not valid UTF-8); *at (may be NULL) the byte
//  offset of the first problem.
text_status_t text_check (const char *text, size_t *chars, size_t *at);

//  A copy for display (heap, caller frees): each control character and
//  each byte of an invalid UTF-8 sequence becomes "\xNN"; keep_newlines
//  leaves '\n' as it is. Valid printable UTF-8 is copied unchanged.
char *text_escape (const char *text, bool keep_newlines);

//  Appends text to out (size bytes) from at, truncated as snprintf would;
//  returns the new length. Keys, ids and notes on a hot path are joined
//  this way, not formatted (issue 19).
size_t text_append (char *out, size_t size, size_t at, const char *text);

//  A copy that is valid UTF-8 (heap, caller frees): each byte of an
//  invalid sequence becomes U+FFFD. Control characters stay (JSON escapes
//  them itself).
char *text_utf8_repair (const char *text);

//  Display width of text as text_escape would print it, in characters.
size_t text_display_width (const char *text);

#endif
