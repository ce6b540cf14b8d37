/*  submit_prepare: claims.Submit's pure half of a round of claims — each
    sealed claim opened, checked by write837's dry run and digested for the
    outbound register — made on a thread of its own while the loop's
    thread marks the file before (ADR 76).

    The loop reads each claim's inputs out of the store (its PCN, the
    frequency it goes with, the payer claim number, the sealed bytes) and
    adds copies of them; from then on the round touches no store, no
    transaction and nothing of the service's state: only the PHI key (read
    only: an open and a digest take no nonce), the arena it is given (one
    thread's at a time) and its own buffers. The results are read on the
    loop's thread after submit_prepare_wait, in the order added.
*/
#ifndef RCMQ_CLAIMS_SUBMIT_PREPARE_H
#define RCMQ_CLAIMS_SUBMIT_PREPARE_H

#include "phi.h"
#include "codec.h"
#include "claim.pb-c.h"
#include "claims.pb-c.h"

typedef struct _submit_prepare_t submit_prepare_t;

//  A round of claims for payer_id's file, opened with key.
submit_prepare_t *submit_prepare_new (phi_key_t *key, const char *payer_id);
//  Waits for a started run first. The round's claims live in the arena it
//  ran in, and their payer claim numbers in the round: destroy it only
//  when they are of no more use.
void              submit_prepare_destroy (submit_prepare_t **self_p);
//  Adds a claim: its bytes copied (the store's may move at the next
//  write). frequency must outlive the round (a constant).
void              submit_prepare_add (submit_prepare_t *self, const char *pcn, const char *frequency,
                                      const char *payer_claim_number, const uint8_t *sealed, size_t sealed_size);
//  Adds a claim already known not to go, skipped for why.
void              submit_prepare_add_skip (submit_prepare_t *self, const char *pcn, const char *why);
size_t            submit_prepare_size (submit_prepare_t *self);
//  Prepares every claim added, into arena, on this thread.
void              submit_prepare_run (submit_prepare_t *self, codec_arena_t *arena);
//  The same on a thread of its own; nothing of the round, or of arena, is
//  to be touched until submit_prepare_wait. When no thread can be started
//  the round runs here and now; either way 0.
int               submit_prepare_start (submit_prepare_t *self, codec_arena_t *arena);
//  Until a started round is done (at once when none is).
void              submit_prepare_wait (submit_prepare_t *self);
//  The results, after the run: claim i's PCN; why it does not go, or NULL
//  when it was prepared; the opened claim (the arena's, frequency and
//  payer claim number set as sent); the register's SentClaim (PCN,
//  frequency, digest), the caller's from then on (codec_free).
const char       *submit_prepare_pcn (submit_prepare_t *self, size_t i);
const char       *submit_prepare_skipped (submit_prepare_t *self, size_t i);
Claim            *submit_prepare_claim (submit_prepare_t *self, size_t i);
SentClaim        *submit_prepare_take_sent (submit_prepare_t *self, size_t i);

#endif
