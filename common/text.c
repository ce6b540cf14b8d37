/*  text: see text.h. One decoder, s_decode, tells every function the
    length of the next UTF-8 sequence or that it is invalid; the rest is
    what each function does with a control character or a bad byte.
*/
#include "text.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Length of the valid UTF-8 sequence at p (1..4), *code its code point;
//  0 when the bytes at p do not start a valid sequence.
static size_t
s_decode (const unsigned char *p, uint32_t *code)
{
    unsigned char c = p [0];
    if (c < 0x80) {
        *code = c;
        return 1;
    }
    size_t length;
    uint32_t value, minimum;
    if (c >= 0xC2 && c <= 0xDF) {
        length = 2;
        value = c & 0x1F;
        minimum = 0x80;
    }
    else
    if (c >= 0xE0 && c <= 0xEF) {
        length = 3;
        value = c & 0x0F;
        minimum = 0x800;
    }
    else
    if (c >= 0xF0 && c <= 0xF4) {
        length = 4;
        value = c & 0x07;
        minimum = 0x10000;
    }
    else
        return 0;               //  a continuation byte, C0, C1 or F5..FF
    for (size_t i = 1; i < length; i++) {
        //  The NUL terminator is not a continuation byte: no read past it.
        if ((p [i] & 0xC0) != 0x80)
            return 0;
        value = (value << 6) | (p [i] & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    *code = value;
    return length;
}

static bool
s_control (uint32_t code)
{
    return code < 0x20 || code == 0x7F || (code >= 0x80 && code <= 0x9F);
}

text_status_t
text_check (const char *text, size_t *chars, size_t *at)
{
    assert (text);
    const unsigned char *p = (const unsigned char *) text;
    text_status_t status = TEXT_OK;
    size_t count = 0, first = 0;
    while (*p) {
        //  Printable ASCII, nearly every byte of an X12 file, in one step.
        if (*p >= 0x20 && *p < 0x7F) {
            p++;
            count++;
            continue;
        }
        uint32_t code;
        size_t length = s_decode (p, &code);
        if (length == 0) {
            if (status != TEXT_BAD_UTF8)
                first = (size_t) (p - (const unsigned char *) text);
            status = TEXT_BAD_UTF8;
            break;
        }
        if (status == TEXT_OK && s_control (code)) {
            status = TEXT_CONTROL;
            first = (size_t) (p - (const unsigned char *) text);
        }
        p += length;
        count++;
    }
    if (status == TEXT_BAD_UTF8)
        count = strlen (text);
    if (chars)
        *chars = count;
    if (at)
        *at = first;
    return status;
}

char *
text_escape (const char *text, bool keep_newlines)
{
    assert (text);
    //  At worst every byte becomes four.
    char *copy = (char *) malloc (strlen (text) * 4 + 1);
    assert (copy);
    char *out = copy;
    const unsigned char *p = (const unsigned char *) text;
    while (*p) {
        uint32_t code;
        size_t length = s_decode (p, &code);
        if (length == 0 || (s_control (code) && !(keep_newlines && code == '\n'))) {
            //  A bad byte is shown alone and decoding resumes after it; a
            //  C1 control shows its two bytes.
            size_t shown = length? length: 1;
            for (size_t i = 0; i < shown; i++)
                out += sprintf (out, "\\x%02X", p [i]);
            p += shown;
            continue;
        }
        memcpy (out, p, length);
        out += length;
        p += length;
    }
    *out = 0;
    return copy;
}

char *
text_utf8_repair (const char *text)
{
    assert (text);
    //  U+FFFD is three bytes for each bad byte.
    char *copy = (char *) malloc (strlen (text) * 3 + 1);
    assert (copy);
    char *out = copy;
    const unsigned char *p = (const unsigned char *) text;
    while (*p) {
        uint32_t code;
        size_t length = s_decode (p, &code);
        if (length == 0) {
            memcpy (out, "\xEF\xBF\xBD", 3);
            out += 3;
            p++;
            continue;
        }
        memcpy (out, p, length);
        out += length;
        p += length;
    }
    *out = 0;
    return copy;
}

size_t
text_display_width (const char *text)
{
    assert (text);
    size_t width = 0;
    const unsigned char *p = (const unsigned char *) text;
    while (*p) {
        uint32_t code;
        size_t length = s_decode (p, &code);
        if (length == 0 || s_control (code)) {
            size_t shown = length? length: 1;
            width += 4 * shown;
            p += shown;
            continue;
        }
        width++;
        p += length;
    }
    return width;
}

size_t
text_append (char *out, size_t size, size_t at, const char *text)
{
    size_t length = strlen (text);
    if (at + 1 >= size)
        return at;
    if (length > size - 1 - at)
        length = size - 1 - at;
    memcpy (out + at, text, length);
    out [at + length] = 0;
    return at + length;
}
