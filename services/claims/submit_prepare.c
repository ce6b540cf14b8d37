/*  submit_prepare: claims.Submit's pure half of a round of claims, on a
    thread of its own (ADR 76).

    A submit is one write transaction on the loop's thread. About half of
    each claim's cost touches neither it nor the service's state: the
    sealed claim's decode and open, write837's dry run, the register's
    digest (docs/performance.md, submit23 and open24). So while the loop
    marks file N, the next file's claims are prepared here:

    1. The loop adds each claim of the round (submit_prepare_add): PCN,
       frequency, payer claim number and sealed bytes copied into one
       buffer of the round's, as offsets (the buffer grows as they come).
    2. submit_prepare_start hands the round to a new thread; the loop does
       not touch the round or its arena until submit_prepare_wait (the
       thread's create and join are the only hand-offs: nothing is shared
       while it runs, so no lock).
    3. Each claim is opened into the arena, given its frequency and payer
       claim number, checked, packed into the round's own buffer and
       digested: the same steps, in the same order, s_take made on the
       loop, so the claims, skips and digests are the same.
    4. After the wait the loop reads the results in the order added.
*/
#include "submit_prepare.h"
#include "write837.h"
#include "phi_claim.h"

#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

typedef struct {
    size_t pcn;                     //  offsets into data: NUL-terminated texts
    size_t payer_claim_number;
    size_t sealed;                  //  and sealed_size bytes
    size_t sealed_size;
    const char *frequency;          //  a constant, NULL for a skip added
    //  The results.
    char *why;                      //  why it does not go, NULL when it goes
    Claim *claim;                   //  the arena's
    SentClaim *sent;
} s_item_t;

struct _submit_prepare_t {
    phi_key_t *key;
    char *payer_id;
    s_item_t *items;
    size_t count, capacity;
    uint8_t *data;                  //  the copies of the items' inputs
    size_t data_size, data_capacity;
    uint8_t *buffer;                //  a claim packed for its digest
    size_t buffer_capacity;
    codec_arena_t *arena;           //  of the run
    pthread_t thread;
    bool started;                   //  on its own thread, not yet waited for
};

submit_prepare_t *
submit_prepare_new (phi_key_t *key, const char *payer_id)
{
    assert (key && payer_id);
    submit_prepare_t *self = (submit_prepare_t *) calloc (1, sizeof (submit_prepare_t));
    assert (self);
    self->key = key;
    self->payer_id = strdup (payer_id);
    assert (self->payer_id);
    return self;
}

void
submit_prepare_destroy (submit_prepare_t **self_p)
{
    assert (self_p);
    submit_prepare_t *self = *self_p;
    if (self) {
        submit_prepare_wait (self);
        for (size_t i = 0; i < self->count; i++) {
            free (self->items [i].why);
            codec_free (self->items [i].sent);
        }
        free (self->items);
        free (self->data);
        if (self->buffer)
            sodium_memzero (self->buffer, self->buffer_capacity);
        free (self->buffer);
        free (self->payer_id);
        free (self);
        *self_p = NULL;
    }
}

//  Copies size bytes (and a NUL) to the end of data; returns their offset.
static size_t
s_copy (submit_prepare_t *self, const void *bytes, size_t size)
{
    if (self->data_size + size + 1 > self->data_capacity) {
        size_t capacity = self->data_capacity? self->data_capacity: 64 * 1024;
        while (self->data_size + size + 1 > capacity)
            capacity *= 2;
        self->data = (uint8_t *) realloc (self->data, capacity);
        assert (self->data);
        self->data_capacity = capacity;
    }
    size_t offset = self->data_size;
    if (size)
        memcpy (self->data + offset, bytes, size);
    self->data [offset + size] = 0;
    self->data_size += size + 1;
    return offset;
}

static s_item_t *
s_item_new (submit_prepare_t *self, const char *pcn)
{
    assert (!self->started);
    if (self->count == self->capacity) {
        self->capacity = self->capacity? self->capacity * 2: 256;
        self->items = (s_item_t *) realloc (self->items, self->capacity * sizeof (s_item_t));
        assert (self->items);
    }
    s_item_t *item = &self->items [self->count++];
    memset (item, 0, sizeof *item);
    item->pcn = s_copy (self, pcn, strlen (pcn));
    return item;
}

void
submit_prepare_add (submit_prepare_t *self, const char *pcn, const char *frequency,
                    const char *payer_claim_number, const uint8_t *sealed, size_t sealed_size)
{
    assert (frequency && payer_claim_number && sealed);
    s_item_t *item = s_item_new (self, pcn);
    item->frequency = frequency;
    item->payer_claim_number = s_copy (self, payer_claim_number, strlen (payer_claim_number));
    item->sealed = s_copy (self, sealed, sealed_size);
    item->sealed_size = sealed_size;
}

void
submit_prepare_add_skip (submit_prepare_t *self, const char *pcn, const char *why)
{
    s_item_t *item = s_item_new (self, pcn);
    item->why = strdup (why);
    assert (item->why);
}

size_t
submit_prepare_size (submit_prepare_t *self)
{
    return self->count;
}

//  The claim as it goes out, for the register: PCN, frequency, digest of
//  the opened claim packed. The pack buffer is the round's, kept from
//  claim to claim (a new malloc of a claim's size each time made glibc
//  consolidate its fast bins: issue 19), zeroed after each digest: the
//  opened claim is PHI in the clear.
static SentClaim *
s_sent_claim (submit_prepare_t *self, const Claim *claim, const char *pcn, const char *frequency)
{
    SentClaim *sent = (SentClaim *) malloc (sizeof (SentClaim));
    assert (sent);
    sent_claim__init (sent);
    sent->pcn = strdup (pcn);
    sent->frequency = strdup (frequency);
    size_t size = protobuf_c_message_get_packed_size ((const ProtobufCMessage *) claim);
    if (size > self->buffer_capacity) {
        if (self->buffer)
            sodium_memzero (self->buffer, self->buffer_capacity);
        free (self->buffer);
        self->buffer_capacity = size * 2;
        self->buffer = (uint8_t *) malloc (self->buffer_capacity);
        assert (self->buffer);
    }
    protobuf_c_message_pack ((const ProtobufCMessage *) claim, self->buffer);
    sent->digest.data = (uint8_t *) malloc (PHI_BLIND_INDEX_SIZE);
    assert (sent->digest.data);
    sent->digest.len = PHI_BLIND_INDEX_SIZE;
    phi_digest (self->key, self->buffer, size, sent->digest.data);
    sodium_memzero (self->buffer, size);
    return sent;
}

static void
s_prepare (submit_prepare_t *self, s_item_t *item)
{
    if (item->why)
        return;                     //  added as a skip
    const char *pcn = (const char *) self->data + item->pcn;
    Claim *claim = phi_claim_open_packed_in (self->key, self->data + item->sealed, item->sealed_size, self->arena);
    if (!claim) {
        item->why = strdup ("its sealed PHI does not open with this deployment's key");
        assert (item->why);
        return;
    }
    //  Set, not codec_set_text: the claim is the arena's, and what it
    //  points to lives as long as it (a constant, the round's data).
    claim->frequency_code = (char *) item->frequency;
    const char *payer_claim_number = (const char *) self->data + item->payer_claim_number;
    if (*payer_claim_number)
        claim->payer_claim_number = (char *) payer_claim_number;
    char error [WRITE837_ERROR_SIZE];
    if (write837_check (claim, self->payer_id, error)) {
        item->why = strdup (error);
        assert (item->why);
        return;
    }
    item->claim = claim;
    item->sent = s_sent_claim (self, claim, pcn, item->frequency);
}

void
submit_prepare_run (submit_prepare_t *self, codec_arena_t *arena)
{
    assert (arena && !self->started);
    self->arena = arena;
    for (size_t i = 0; i < self->count; i++)
        s_prepare (self, &self->items [i]);
}

static void *
s_thread (void *arg)
{
    submit_prepare_t *self = (submit_prepare_t *) arg;
    for (size_t i = 0; i < self->count; i++)
        s_prepare (self, &self->items [i]);
    return NULL;
}

int
submit_prepare_start (submit_prepare_t *self, codec_arena_t *arena)
{
    assert (arena && !self->started);
    self->arena = arena;
    //  The thread takes no signals: they stay the loop's (czmq's handlers
    //  and the service's shutdown).
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_SETMASK, &all, &old);
    int rc = pthread_create (&self->thread, NULL, s_thread, self);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (rc == 0)
        self->started = true;
    else
        submit_prepare_run (self, arena);
    return 0;
}

void
submit_prepare_wait (submit_prepare_t *self)
{
    if (self->started) {
        int rc = pthread_join (self->thread, NULL);
        assert (rc == 0);
        (void) rc;
        self->started = false;
    }
}

const char *
submit_prepare_pcn (submit_prepare_t *self, size_t i)
{
    assert (i < self->count);
    return (const char *) self->data + self->items [i].pcn;
}

const char *
submit_prepare_skipped (submit_prepare_t *self, size_t i)
{
    assert (i < self->count && !self->started);
    return self->items [i].why;
}

Claim *
submit_prepare_claim (submit_prepare_t *self, size_t i)
{
    assert (i < self->count && !self->started);
    return self->items [i].claim;
}

SentClaim *
submit_prepare_take_sent (submit_prepare_t *self, size_t i)
{
    assert (i < self->count && !self->started);
    SentClaim *sent = self->items [i].sent;
    self->items [i].sent = NULL;
    return sent;
}
