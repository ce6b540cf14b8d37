/*  pbutil: the few protobuf-c chores the claims readers and posting share,
    on messages that own all their memory (every string and array from
    malloc, strings that are empty point at protobuf_c_empty_string), so
    protobuf_c_message_free_unpacked (msg, NULL) frees them whole.

    Private to rcmq-claims-core (static inline, no symbols of its own).
*/
#ifndef RCMQ_CLAIMS_PBUTIL_H
#define RCMQ_CLAIMS_PBUTIL_H

#include <protobuf-c/protobuf-c.h>

#include <assert.h>
#include <stdlib.h>
#include <string.h>

//  Sets a string field to a heap copy of value (the shared empty string
//  when value is NULL or empty), freeing what it held.
static inline void
pbutil_set (char **field, const char *value)
{
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    if (!value || !*value)
        *field = (char *) protobuf_c_empty_string;
    else {
        *field = strdup (value);
        assert (*field);
    }
}

//  Appends an item to a repeated field (array of pointers and its count);
//  the array takes ownership of item.
static inline void
pbutil_append (void *array_p, size_t *count, void *item)
{
    void ***array = (void ***) array_p;
    *array = realloc (*array, (*count + 1) * sizeof (void *));
    assert (*array);
    (*array) [(*count)++] = item;
}

//  Appends a heap copy of text to a repeated string field.
static inline void
pbutil_append_text (char ***array, size_t *count, const char *text)
{
    char *copy = NULL;
    pbutil_set (&copy, text);
    pbutil_append (array, count, copy);
}

//  A deep copy of a message through its wire format; the copy owns all its
//  memory (free with protobuf_c_message_free_unpacked (copy, NULL)).
static inline void *
pbutil_clone (const ProtobufCMessage *message)
{
    size_t size = protobuf_c_message_get_packed_size (message);
    uint8_t *buffer = malloc (size? size: 1);
    assert (buffer);
    protobuf_c_message_pack (message, buffer);
    ProtobufCMessage *copy = protobuf_c_message_unpack (message->descriptor, NULL, size, buffer);
    free (buffer);
    assert (copy);
    return copy;
}

//  Frees a message and sets the caller's pointer to NULL.
static inline void
pbutil_free (void *message_p)
{
    ProtobufCMessage **message = (ProtobufCMessage **) message_p;
    if (*message) {
        protobuf_c_message_free_unpacked (*message, NULL);
        *message = NULL;
    }
}

#endif
