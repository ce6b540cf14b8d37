/*  worklist: see worklist.h. */
#include "worklist.h"
#include "codec.h"

typedef struct {
    const worklist_t *list;
    MDB_txn *txn;
    const WorkListRequest *request;
    bool by_table;                  //  rows are the items themselves
    int rc;                         //  the first LMDB error a row met
} s_walk_t;

int
worklist_present (const worklist_t *list, MDB_txn *txn, WorkItem *item, bool with_history, bool *in_scope)
{
    const char *phase = NULL, *vendor_team = NULL;
    Queue *queue = NULL;
    if (list->policy) {
        int rc = workpolicy_queue (list->policy, txn, item->queue, &queue);
        if (rc && rc != MDB_NOTFOUND)
            return rc;
    }
    if (queue) {
        phase = queue->phase;
        vendor_team = queue->vendor_team;
        grid_entry_t entry;
        if (grid_resolve (queue, item->type, &entry) == 0 && *entry.team)
            codec_set_text (&item->team, entry.team);
    }
    *in_scope = !list->scope || list->scope (list->scope_arg, phase, vendor_team, item->team);
    codec_free (queue);
    item->overdue = workitem_overdue (list->work, item, list->now);
    if (!with_history) {
        for (size_t i = 0; i < item->n_history; i++)
            codec_free (item->history [i]);
        free (item->history);
        item->history = NULL;
        item->n_history = 0;
    }
    return 0;
}

static bool
s_differs (const char *wanted, const char *value)
{
    return *wanted && strcmp (wanted, value);
}

static void *
s_row (void *arg, const char *id, const MDB_val *value)
{
    s_walk_t *walk = (s_walk_t *) arg;
    if (walk->rc)
        return NULL;
    WorkItem *item = NULL;
    if (walk->by_table) {
        item = (WorkItem *) codec_decode (&work_item__descriptor, value->mv_data, value->mv_size);
        if (!item)
            walk->rc = MDB_CORRUPTED;
    }
    else
        walk->rc = workitem_get (walk->list->work, walk->txn, id, &item);
    if (walk->rc)
        return NULL;
    const WorkListRequest *request = walk->request;
    bool in_scope = false;
    if (s_differs (request->type, item->type) || s_differs (request->queue, item->queue)
    ||  s_differs (request->owner, item->owner) || s_differs (request->state, item->state)
    ||  (request->escalated && (!item->escalation_level || workstate_final (item->state)))
    ||  (walk->rc = worklist_present (walk->list, walk->txn, item, false, &in_scope))
    ||  !in_scope || s_differs (request->team, item->team)
    ||  (request->overdue && !item->overdue)) {
        codec_free (item);
        return NULL;
    }
    return item;
}

int
worklist_read (const worklist_t *list, MDB_txn *txn, const WorkListRequest *request, size_t limit,
               store_page_t *page)
{
    s_walk_t walk = { list, txn, request, false, 0 };
    //  The narrowest index a filter names.
    const char *index = NULL, *key = NULL;
    if (*request->owner)
        index = "work_by_owner", key = request->owner;
    else
    if (*request->queue)
        index = "work_by_queue", key = request->queue;
    else
    if (*request->state)
        index = "work_by_state", key = request->state;
    walk.by_table = !index;
    store_page_query_t query = { "work_items", index, key, request->after, limit };
    //  Another service's items are not here: an empty page (an impossible
    //  key walks nothing).
    if (*request->service && strcmp (request->service, workitem_service (list->work)))
        query = (store_page_query_t) { "work_items", "work_by_state", "\x01", NULL, limit };
    int rc = store_page_read (workitem_store (list->work), txn, &query, s_row, codec_free, &walk, page);
    return rc? rc: walk.rc;
}
