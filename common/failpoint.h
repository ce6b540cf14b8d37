/*  failpoint: RCMQ_FAIL_APPLY, the test hook that makes a service refuse
    chosen events as a handler's refusal would (docs/operations.md, "A
    stream stopped on an event"; tests/integration/deadletter.sh).

    RCMQ_FAIL_APPLY="<service>:<stream>:<seq>" (several, comma-separated)
    names events by stream seq. Since the filtered fan-out (docs/adr/0058) a
    service only receives the types its event table names, so an entry on
    an event of another type never reaches it: the failpoint would never
    fire and the test would wait for a stop that never comes. So the
    entries are checked (docs/adr/0073): text that is not service:stream:seq
    stops every service at start, naming it; an entry of this service on a
    stream it does not consume, or takes no type of, stops it at start too;
    and an entry whose seq the stream's offset passed over without the
    event reaching the service is a problem (failpoint_passed) the service
    raises and logs, naming the entry and the types it takes. An entry at
    or below the offset at start is behind the service already (a restart
    after the test skipped it) and is left alone.

    Off unless set; never set in a deployment. The service holds a
    failpoint_t only when an entry names it, so without one the apply path
    pays one NULL test.
*/
#ifndef RCMQ_FAILPOINT_H
#define RCMQ_FAILPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _failpoint_t failpoint_t;

//  Parses list (RCMQ_FAIL_APPLY's text; NULL or "" for none), keeping the
//  entries of service. 0 with *self_p those (NULL when none names it), or
//  -1 with error naming the first item that is not service:stream:seq
//  (a seq from 1).
int         failpoint_new (const char *list, const char *service, failpoint_t **self_p,
                           char *error, size_t size);
void        failpoint_destroy (failpoint_t **self_p);
size_t      failpoint_count (failpoint_t *self);
//  Entry index's stream and seq.
const char *failpoint_stream (failpoint_t *self, size_t index);
uint64_t    failpoint_seq (failpoint_t *self, size_t index);
//  At start: entries of stream at or below offset are behind it: never
//  counted as passed over (a replay from seq 1 still meets them).
void        failpoint_behind (failpoint_t *self, const char *stream, uint64_t offset);
//  True when event seq of stream is to be refused (it has fired then),
//  each time it is applied.
bool        failpoint_hit (failpoint_t *self, const char *stream, uint64_t seq);
//  The index of an entry of stream that offset has reached without it
//  firing (its event never came), once each; -1 when none.
int         failpoint_passed (failpoint_t *self, const char *stream, uint64_t offset);

#endif
