/*  names: the names of payers, locations and rendering providers, shown
    beside their ids (issue 18). They are not dimensions: nothing groups or
    filters by a name, and a payer renamed in a later 837P must not split
    its figures in two. So metrics keeps them apart from the aggregates, in
    two tables of its own, written from the intake stream in the consumer's
    transaction like every other figure:

        names            kind byte ‖ id  ->  name (NUL-terminated)
        claim_providers  PCN             ->  the claim's rendering provider NPI

    The latest name an 837P sent for an id wins; an empty name never
    overwrites a known one. A rebuild wipes and replays them with the rest.
*/
#ifndef RCMQ_METRICS_NAMES_H
#define RCMQ_METRICS_NAMES_H

#include "metrics.h"

#define NAMES_MAX    256                //  a name's buffer: NM103 + ", " + NM104, with room

typedef enum {
    NAMES_PAYER = 'P',
    NAMES_LOCATION = 'L',
    NAMES_PROVIDER = 'R'
} names_kind_t;

//  Keeps the names a received claim's dimensions carry, and the claim's
//  rendering provider. Returns 0 or an LMDB error.
int         names_note (store_t *store, MDB_txn *txn, const char *pcn, const ClaimDimensions *dims);
//  The name of kind's id into buf; "" when none is known.
void        names_get (store_t *store, MDB_txn *txn, names_kind_t kind, const char *id, char *buf, size_t size);
//  The rendering provider NPI of a claim into buf; "" when not known.
void        names_claim_provider (store_t *store, MDB_txn *txn, const char *pcn, char *buf, size_t size);

#endif
