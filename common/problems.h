/*  problems: what a process knows is wrong with it, for `rcmqctl status`.

    A problem is something an operator must act on and that the process
    cannot fix by retrying: a consumer that stopped a stream on an event it
    cannot apply, a relay whose broker forgot what it had acknowledged, a
    store restored from an older copy. Each part of a process that can find
    one (relay, consumer, the service itself) keeps a problems_t; the
    service's Health reply carries them all, and `status` is not ok while
    any is raised.

    A problem is keyed by (code, subject): raising the same one again only
    updates its message, and problems_raise says whether it is new, so the
    caller logs it once rather than on every retry.
*/
#ifndef RCMQ_PROBLEMS_H
#define RCMQ_PROBLEMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "codec.h"

typedef struct _problems_t problems_t;

problems_t *problems_new (void);
void        problems_destroy (problems_t **self_p);

//  Raises (or updates) the problem code about subject (a stream, producer
//  or store; may be ""), at event seq (0 for none). True when it is new.
bool        problems_raise (problems_t *self, const char *code, const char *subject,
                            uint64_t seq, const char *format, ...)
            __attribute__ ((format (printf, 5, 6)));
//  Adds the stream and the underlying error text to a raised problem (for
//  status --json's "stream" and "error"); nothing when it is not raised.
void        problems_detail (problems_t *self, const char *code, const char *subject,
                             const char *stream, const char *error);
//  Clears it; true when it was raised.
bool        problems_clear (problems_t *self, const char *code, const char *subject);
bool        problems_has (problems_t *self, const char *code, const char *subject);
size_t      problems_count (problems_t *self);

//  The problems of several lists (NULL entries skipped) as protobuf
//  messages for a reply: an array of *n_p, freed with problems_proto_free.
Problem   **problems_to_proto (problems_t *const *lists, size_t count, size_t *n_p);
void        problems_proto_free (Problem ***array_p, size_t n);

#endif
