/*  worklist: one page of a service's work items for a list request
    (WorkListRequest), the way <svc>.WorkList and the tests read them.

    The walk takes the narrowest index a filter names (owner, then queue,
    then state; else every item by id) through the store's paging helper
    (store_page_read), and each row is kept only when every other filter
    and the caller's scope allow it. An item in a reply is as it is now:
    its team is the grid's for its queue and type (phase applied, so a
    queue moving to vendor moves its items' team at once), overdue is
    worked out at `now`, and its history is left out (WorkGet has it).
*/
#ifndef RCMQ_WORKLIST_H
#define RCMQ_WORKLIST_H

#include "workitem.h"
#include "workpolicy.h"

//  True when the caller may see an item of a queue in phase with
//  vendor_team (NULL when the queue is not known), owned now by team.
typedef bool (worklist_scope_fn) (void *arg, const char *phase, const char *vendor_team, const char *team);

typedef struct {
    workitem_t *work;
    workpolicy_t *policy;           //  NULL: items as stored (no grid)
    uint64_t now;
    worklist_scope_fn *scope;       //  NULL: every item
    void *scope_arg;
} worklist_t;

//  An item as a reply shows it (team now, overdue; history kept when
//  with_history): 0, or an LMDB error. *in_scope says whether the caller
//  may see it.
int  worklist_present (const worklist_t *list, MDB_txn *txn, WorkItem *item, bool with_history,
                       bool *in_scope);
//  One page after request->after, at most limit: 0 or an LMDB error;
//  store_page_clear the page either way. A request naming another service
//  answers an empty page.
int  worklist_read (const worklist_t *list, MDB_txn *txn, const WorkListRequest *request, size_t limit,
                    store_page_t *page);

#endif
