/*  facts: what metrics keeps per claim, and the event table that turns
    each event of the intake and claims streams into its effects on the
    claim's fact and on the aggregates.

    Its handlers run inside the consumer's transaction, the same one that
    stores the stream offset, so a crash at any instant leaves the figures
    and the offset together (DESIGN §2). It reads only the fact of the
    event's own claim; what an intake event changes never depends on what
    the claims stream did and the other way round, so the figures do not
    depend on how the two streams interleave (they do not interleave the
    same way live and in a rebuild).
*/
#ifndef RCMQ_METRICS_FACTS_H
#define RCMQ_METRICS_FACTS_H

#include "consumer.h"
#include "metrics.h"

//  The event table of rcmq-metrics (intake.claim_accepted / claim_rejected,
//  every claims event): the state is the metrics_t (metrics.h) or NULL;
//  within a batch the consumer opened (metrics_batch) the claims and
//  intake handlers hold the day's flows and the dimension ids there.
extern const consumer_event_t facts_events [];

//  facts_events as a consumer_apply_fn, for applying events in-process
//  (unit tests, bench/metrics.c); arg is the handlers' state (NULL, or a
//  metrics_t as the service's). Events it has no use for change nothing
//  (0); a payload that does not decode is refused (-1, store_error says
//  which), as the service's consumer refuses it. Returns 0, -1 or an
//  LMDB error.
int        metrics_apply (store_t *store, MDB_txn *txn, const Event *event, void *arg);

//  Writes a fact an open batch held (batch_cache.h: facts.c's working
//  form) under pcn. 0 or an LMDB error.
int        facts_write (store_t *store, MDB_txn *txn, const char *pcn, const void *fact);

//  The fact of a claim, or NULL. Free with codec_free.
ClaimFact *facts_get (store_t *store, MDB_txn *txn, const char *pcn);

#endif
