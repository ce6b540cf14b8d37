/*  x12_helpers: see x12_helpers.h. */
#include "x12_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
test_x12_wrap (const char *head, const char *body, const char *st_control, const char *trailer)
{
    //  ST and SE, then one segment per terminator in the body.
    size_t segments = 2;
    for (const char *p = body; *p; p++)
        segments += *p == '~';
    size_t size = strlen (head) + strlen (body) + strlen (st_control) + strlen (trailer) + 32;
    char *text = malloc (size);
    snprintf (text, size, "%s%sSE*%zu*%s~%s", head, body, segments, st_control, trailer);
    return text;
}
