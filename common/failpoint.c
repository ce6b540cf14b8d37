/*  failpoint: see failpoint.h. A handful of entries at most, so a list
    scanned in full is the whole index.
*/
#include "failpoint.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { S_ARMED, S_FIRED, S_DONE } s_state_t;       //  DONE: behind, or passed and said

typedef struct {
    char *stream;
    uint64_t seq;
    s_state_t state;
} s_entry_t;

struct _failpoint_t {
    s_entry_t *entries;
    size_t count;
};

//  One item "service:stream:seq" of length bytes: 0 with its parts, or -1.
static int
s_parse (const char *item, size_t length, char *service, char *stream, size_t size, uint64_t *seq)
{
    const char *first = memchr (item, ':', length);
    const char *second = first? memchr (first + 1, ':', length - (size_t) (first + 1 - item)): NULL;
    if (!second || first == item || second == first + 1 || second + 1 == item + length)
        return -1;
    size_t service_length = (size_t) (first - item), stream_length = (size_t) (second - first - 1);
    if (service_length >= size || stream_length >= size)
        return -1;
    memcpy (service, item, service_length);
    service [service_length] = 0;
    memcpy (stream, first + 1, stream_length);
    stream [stream_length] = 0;
    char digits [24];
    size_t digit_count = length - (size_t) (second + 1 - item);
    if (digit_count >= sizeof digits)
        return -1;
    memcpy (digits, second + 1, digit_count);
    digits [digit_count] = 0;
    if (strspn (digits, "0123456789") != digit_count)
        return -1;
    errno = 0;
    *seq = strtoull (digits, NULL, 10);
    return errno || *seq == 0? -1: 0;
}

int
failpoint_new (const char *list, const char *service, failpoint_t **self_p, char *error, size_t size)
{
    assert (service && self_p);
    *self_p = NULL;
    failpoint_t *self = NULL;
    //  Every item between commas, an empty one too (a stray comma is a
    //  typo that could hide an entry).
    const char *comma = NULL;
    for (const char *item = list && *list? list: NULL; item; item = comma? comma + 1: NULL) {
        comma = strchr (item, ',');
        size_t length = comma? (size_t) (comma - item): strlen (item);
        char name [128], stream [128];
        uint64_t seq;
        if (s_parse (item, length, name, stream, sizeof name, &seq)) {
            snprintf (error, size, "RCMQ_FAIL_APPLY: '%.*s' is not <service>:<stream>:<seq> (a seq from 1)",
                      (int) (length < 200? length: 200), item);
            failpoint_destroy (&self);
            return -1;
        }
        if (strcmp (name, service) == 0) {
            if (!self)
                self = (failpoint_t *) calloc (1, sizeof (failpoint_t));
            self->entries = (s_entry_t *) realloc (self->entries, (self->count + 1) * sizeof (s_entry_t));
            self->entries [self->count++] = (s_entry_t) { strdup (stream), seq, S_ARMED };
        }
    }
    *self_p = self;
    return 0;
}

void
failpoint_destroy (failpoint_t **self_p)
{
    assert (self_p);
    failpoint_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        free (self->entries [i].stream);
    free (self->entries);
    free (self);
    *self_p = NULL;
}

size_t
failpoint_count (failpoint_t *self)
{
    return self? self->count: 0;
}

const char *
failpoint_stream (failpoint_t *self, size_t index)
{
    assert (self && index < self->count);
    return self->entries [index].stream;
}

uint64_t
failpoint_seq (failpoint_t *self, size_t index)
{
    assert (self && index < self->count);
    return self->entries [index].seq;
}

void
failpoint_behind (failpoint_t *self, const char *stream, uint64_t offset)
{
    for (size_t i = 0; self && i < self->count; i++)
        if (self->entries [i].seq <= offset && strcmp (self->entries [i].stream, stream) == 0)
            self->entries [i].state = S_DONE;
}

bool
failpoint_hit (failpoint_t *self, const char *stream, uint64_t seq)
{
    for (size_t i = 0; self && i < self->count; i++) {
        s_entry_t *entry = &self->entries [i];
        //  Whatever its state: a replay (metrics.Rebuild) meets it again.
        if (entry->seq == seq && strcmp (entry->stream, stream) == 0) {
            entry->state = S_FIRED;
            return true;
        }
    }
    return false;
}

int
failpoint_passed (failpoint_t *self, const char *stream, uint64_t offset)
{
    for (size_t i = 0; self && i < self->count; i++) {
        s_entry_t *entry = &self->entries [i];
        if (entry->state == S_ARMED && entry->seq <= offset && strcmp (entry->stream, stream) == 0) {
            entry->state = S_DONE;
            return (int) i;
        }
    }
    return -1;
}
