/*  html: see html.h. */
#include "html.h"

#include "kpitext.h"

#include <czmq.h>

struct _html_t {
    char *data;
    size_t size;
    size_t capacity;
};

html_t *
html_new (void)
{
    html_t *self = (html_t *) zmalloc (sizeof (html_t));
    self->capacity = 4096;
    self->data = (char *) zmalloc (self->capacity);
    return self;
}

void
html_destroy (html_t **self_p)
{
    if (!*self_p)
        return;
    free ((*self_p)->data);
    free (*self_p);
    *self_p = NULL;
}

static void
s_reserve (html_t *self, size_t more)
{
    if (self->size + more + 1 <= self->capacity)
        return;
    while (self->size + more + 1 > self->capacity)
        self->capacity *= 2;
    self->data = (char *) realloc (self->data, self->capacity);
    assert (self->data);
}

static void
s_append (html_t *self, const char *bytes, size_t size)
{
    s_reserve (self, size);
    memcpy (self->data + self->size, bytes, size);
    self->size += size;
    self->data [self->size] = 0;
}

void
html_printf (html_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    va_list copy;
    va_copy (copy, args);
    int length = vsnprintf (NULL, 0, format, copy);
    va_end (copy);
    assert (length >= 0);
    s_reserve (self, (size_t) length);
    vsnprintf (self->data + self->size, (size_t) length + 1, format, args);
    self->size += (size_t) length;
    va_end (args);
}

void
html_text (html_t *self, const char *text)
{
    static const struct { char c; const char *entity; } s_entities [] = {
        { '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" }, { '"', "&quot;" }, { '\'', "&#39;" },
    };
    for (const char *p = text? text: ""; *p; p++) {
        size_t i = 0;
        while (i < sizeof s_entities / sizeof s_entities [0] && s_entities [i].c != *p)
            i++;
        if (i < sizeof s_entities / sizeof s_entities [0])
            s_append (self, s_entities [i].entity, strlen (s_entities [i].entity));
        else
            s_append (self, p, 1);
    }
}

void
html_attr (html_t *self, const char *name, const char *value)
{
    html_printf (self, " %s=\"", name);
    html_text (self, value);
    html_printf (self, "\"");
}

void
html_csv (html_t *self, const char *text)
{
    text = text? text: "";
    bool inert = *text && strchr ("=+-@", *text);
    bool quote = inert || strpbrk (text, ",\"\r\n") != NULL;
    if (quote)
        s_append (self, "\"", 1);
    if (inert)
        s_append (self, "'", 1);
    for (const char *p = text; *p; p++)
        if (*p == '"')
            s_append (self, "\"\"", 2);
        else
            s_append (self, p, 1);
    if (quote)
        s_append (self, "\"", 1);
}

void
html_url (html_t *self, const char *text)
{
    for (const unsigned char *p = (const unsigned char *) (text? text: ""); *p; p++)
        if (isalnum (*p) || strchr ("-._~", *p))
            s_append (self, (const char *) p, 1);
        else
            html_printf (self, "%%%02X", *p);
}

const char *html_data (html_t *self)  { return self->data; }
size_t      html_size (html_t *self)  { return self->size; }

char *
html_take (html_t *self, size_t *size)
{
    char *data = self->data;
    *size = self->size;
    self->capacity = 4096;
    self->data = (char *) zmalloc (self->capacity);
    self->size = 0;
    return data;
}

void
html_cents (char *buf, size_t size, int64_t cents)
{
    kpitext_cents (buf, size, cents);
}
