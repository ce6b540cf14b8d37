/*  facts: what metrics keeps per claim, and the apply function that turns
    each event of the intake and claims streams into its effects on the
    claim's fact and on the aggregates.

    metrics_apply runs inside the consumer's transaction, the same one that
    stores the stream offset, so a crash at any instant leaves the figures
    and the offset together (DESIGN §2). It reads only the fact of the
    event's own claim; what an intake event changes never depends on what
    the claims stream did and the other way round, so the figures do not
    depend on how the two streams interleave (they do not interleave the
    same way live and in a rebuild).
*/
#ifndef RCMQ_METRICS_FACTS_H
#define RCMQ_METRICS_FACTS_H

#include "metrics.h"

//  A consumer_apply_fn. Events it has no use for are skipped (return 0);
//  an event it cannot decode is skipped with a log line, since retrying it
//  could never succeed. Returns 0 or an LMDB error.
int        metrics_apply (store_t *store, MDB_txn *txn, const Event *event, void *arg);

//  The fact of a claim, or NULL. Free with codec_free.
ClaimFact *facts_get (store_t *store, MDB_txn *txn, const char *pcn);

#endif
