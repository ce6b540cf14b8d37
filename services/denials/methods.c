/*  methods: the denial work items, for the people who work them.

        denials.List   DenialListRequest -> DenialList   denials.read

    A list is paged by PCN: at most limit items after the previous page's
    last (next_after, "" on the last page). Vendor roles see only the items
    of queues in pilot or vendor phase whose vendor team is theirs: the
    method is list-scoped (server.h), its rows filtered by
    server_call_in_scope.
*/
#include "methods.h"
#include "denials.h"
#include "codec.h"

#define LIST_DEFAULT 100
#define LIST_MAX     1000

typedef struct {
    server_call_t *call;
    const DenialListRequest *request;
} s_list_t;

//  One row of denials.List: the item, when it is of the asked queue and
//  in the caller's scope; NULL passes it over.
static void *
s_row (void *arg, const char *pcn, const MDB_val *value)
{
    s_list_t *list = (s_list_t *) arg;
    DenialItem *item = (DenialItem *) codec_decode (&denial_item__descriptor, value->mv_data, value->mv_size);
    if (!item)
        return NULL;
    const char *queue = item->dims? item->dims->queue: "";
    if ((*list->request->queue && strcmp (queue, list->request->queue))
    ||  !server_call_in_scope (list->call, item->dims? item->dims->phase: NULL,
                               item->dims? item->dims->vendor_team: NULL)) {
        codec_free (item);
        return NULL;
    }
    return item;
}

static int
s_list (server_call_t *call)
{
    DenialListRequest *request = (DenialListRequest *) call->body;
    size_t limit;
    char error [128];
    if (store_page_limit (request->limit, LIST_DEFAULT, LIST_MAX, &limit, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.List: %s", error);
    s_list_t list = { call, request };
    store_page_query_t query = { "items", NULL, NULL, request->after, limit };
    store_page_t page;
    int rc = store_page_read (call->store, call->txn, &query, s_row, codec_free, &list, &page);
    if (rc == 0)
        server_call_reply_page (call, &denial_list__descriptor, &page);
    store_page_clear (&page);
    return rc;
}

const server_method_t denials_methods [] = {
    { "denials.List", "denials.read", &denial_list_request__descriptor, s_list, SERVER_LIST, NULL, SERVER_NO_PHI },
    { NULL }
};
