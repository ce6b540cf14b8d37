/*  dims: the dimensions every figure can be grouped and filtered by, and
    the small ids metrics gives each combination of their values.

    Aggregates are keyed by (dims id, day): one id per distinct combination
    of payer id, payer group, location, service line, queue and owner team.
    The number of combinations follows the organisation (payers x locations
    x service lines, with queue and team mostly following from them), not
    the number of claims, which is what keeps queries flat.
*/
#ifndef RCMQ_METRICS_DIMS_H
#define RCMQ_METRICS_DIMS_H

#include "metrics.h"
#include "combos.h"

#define DIMS_COUNT 6

typedef struct {
    const char *name;           //  canonical: "payer_id"
    const char *alias;          //  short, for --by: "payer"
    size_t offset;              //  of the char * in ClaimDimensions and MetricsFilters
} dims_def_t;

//  The dimension list, in key order.
extern const dims_def_t dims_table [DIMS_COUNT];

//  Index of a dimension by canonical name or alias; -1 when unknown.
int         dims_index (const char *name);
//  The value of dimension index of a ClaimDimensions (or MetricsFilters,
//  which has the same fields in the same order); "" when absent.
const char *dims_value (const void *message, int index);

//  The id of a combination, creating it. Values of any length are taken
//  (see dims.c on long ones). batch (may be NULL): the consumer's open
//  batch, which remembers the ids it was told (batch_cache.h). Returns 0 or an
//  LMDB error.
int         dims_intern (store_t *store, MDB_txn *txn, const ClaimDimensions *dims, uint32_t *id,
                         metrics_batch_t *batch);

//  Every combination known, loaded for a query (combos.h).
typedef combos_entry_t dims_entry_t;
typedef combos_list_t dims_list_t;

//  Load with combos_load (store, txn, &dims_combos), free with
//  combos_list_destroy.
extern const combos_def_t dims_combos;
const dims_entry_t *dims_find (dims_list_t *self, uint32_t id);

//  True when the entry matches every non-empty filter.
bool        dims_match (const dims_entry_t *entry, const char *const filters [DIMS_COUNT]);
//  The group key of an entry: the values of the dimensions in group_by,
//  joined by "|". Empty group_by gives "".
void        dims_group_key (const dims_entry_t *entry, const int *group_by, size_t group_count,
                            char *buf, size_t size);
//  Fills a ClaimDimensions whose strings point into the entry.
void        dims_to_message (const dims_entry_t *entry, ClaimDimensions *message);

#endif
