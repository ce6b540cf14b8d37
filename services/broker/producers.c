/*  producers: who may publish what on the ingest socket (DESIGN §1, §4).

    The event sockets admit only keys of role `service` (transport.c), but
    a service key must not speak for another service: with metrics' key a
    client could publish an intake claim_accepted as producer "intake-…",
    which claims applied, and which made intake's real event of that seq a
    "duplicate". So each batch is checked at receipt, before anything of it
    is committed, against the CURVE key of the connection (ZAP User-Id):

      - the access registry (the broker's copy, gate.h) holds the key as an
        active identity of role service, and its name N is the service it
        belongs to;
      - the batch's producer is "N-<instance>" (what outbox_new makes), and
        every event's producer is the batch's: a key owns its producer names
        and so its dedup state;
      - every event's stream is one N may write: the table below (DESIGN's
        "publishes stream" column, plus "audit" for the access record every
        handled request yields), or config producers/<N> = "s1,s2" for keys
        the table does not know (test and benchmark producers).

    A refused batch is answered REFUSED with the reason and logged naming
    the key and the stream; nothing of it is taken.
*/
#include "broker.h"
#include "log.h"

#define PRODUCERS_MAX_STREAMS 8

typedef struct {
    const char *service;
    const char *streams [PRODUCERS_MAX_STREAMS];
} s_writer_t;

static const s_writer_t s_writers [] = {
    { "intake",  { "intake", "queue", "audit", NULL } },
    { "claims",  { "claims", "audit", NULL } },
    { "denials", { "denials", "audit", NULL } },
    { "inquiry", { "inquiry", "audit", NULL } },
    { "audit",   { "access", "audit", NULL } },
    { "metrics", { "audit", NULL } },
    { "web",     { "audit", NULL } },       //  its sign-in records (ADR 27)
};

static const s_writer_t *
s_writer (const char *service)
{
    for (size_t i = 0; i < sizeof s_writers / sizeof s_writers [0]; i++)
        if (streq (s_writers [i].service, service))
            return &s_writers [i];
    return NULL;
}

//  True when stream is a whole item of the comma-separated list.
static bool
s_listed (const char *list, const char *stream)
{
    size_t length = strlen (stream);
    for (const char *item = list; item && *item; ) {
        const char *comma = strchr (item, ',');
        size_t item_length = comma? (size_t) (comma - item): strlen (item);
        if (item_length == length && length && memcmp (item, stream, length) == 0)
            return true;
        item = comma? comma + 1: NULL;
    }
    return false;
}

static bool
s_may_write (const s_writer_t *writer, const char *configured, const char *stream)
{
    for (size_t i = 0; writer && writer->streams [i]; i++)
        if (streq (writer->streams [i], stream))
            return true;
    return s_listed (configured, stream);
}

int
broker_producer_check (broker_t *self, const char *key, const PublishBatch *batch,
                       const char **stream, char *reason, size_t size)
{
    *stream = "";
    registry_caller_t caller;
    int known = gate_caller (self->gate, key, &caller);
    const identity_t *who = known == 0? &caller.identity: NULL;
    if (!who || !streq (who->role, "service")) {
        snprintf (reason, size, "key %s is not a service key the access registry holds as active%s%s",
                  key? key: "(none)", known? ": ": "", known? caller.why: "");
        return -1;
    }
    size_t name_length = strlen (who->name);
    const char *producer = batch->producer;
    if (strncmp (producer, who->name, name_length) || producer [name_length] != '-' || !producer [name_length + 1]) {
        snprintf (reason, size, "key '%s' publishes as producer '%s': its producers are '%s-<instance>'",
                  who->name, producer, who->name);
        return -1;
    }
    char config_key [128];
    snprintf (config_key, sizeof config_key, "producers/%s", who->name);
    const char *configured = config_get (self->config, config_key, "");
    const s_writer_t *writer = s_writer (who->name);
    for (size_t i = 0; i < batch->n_events; i++) {
        const Event *event = batch->events [i];
        *stream = event->stream? event->stream: "";
        if (!event->producer || !streq (event->producer, producer)) {
            snprintf (reason, size, "key '%s': event %zu of batch '%s' names producer '%s'",
                      who->name, i, producer, event->producer? event->producer: "");
            return -1;
        }
        if (!event->stream || !s_may_write (writer, configured, event->stream)) {
            snprintf (reason, size, "key '%s' may not publish on stream '%s'", who->name,
                      event->stream? event->stream: "");
            return -1;
        }
    }
    return 0;
}
