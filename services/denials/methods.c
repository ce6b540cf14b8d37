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

static bool
s_keep (server_call_t *call, const DenialListRequest *request, const DenialItem *item)
{
    const char *queue = item->dims? item->dims->queue: "";
    if (*request->queue && strcmp (queue, request->queue))
        return false;
    return server_call_in_scope (call, item->dims? item->dims->phase: NULL,
                                 item->dims? item->dims->vendor_team: NULL);
}

static int
s_list (server_call_t *call)
{
    DenialListRequest *request = (DenialListRequest *) call->body;
    size_t limit = request->limit? request->limit: LIST_DEFAULT;
    if (limit > LIST_MAX)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "denials.List: limit %zu is more than the maximum %d", limit, LIST_MAX);
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (call->txn, store_table (call->store, "items"), &cursor);
    if (rc)
        return rc;
    MDB_val key = { strlen (request->after), request->after }, value;
    rc = mdb_cursor_get (cursor, &key, &value, key.mv_size? MDB_SET_RANGE: MDB_FIRST);
    DenialItem **rows = (DenialItem **) calloc (limit + 1, sizeof (DenialItem *));
    size_t count = 0;
    bool more = false;
    for (; rc == 0 && !more; rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        if (key.mv_size == strlen (request->after) && memcmp (key.mv_data, request->after, key.mv_size) == 0)
            continue;           //  the previous page's last
        DenialItem *item = (DenialItem *) codec_decode (&denial_item__descriptor, value.mv_data, value.mv_size);
        if (!item || !s_keep (call, request, item))
            codec_free (item);
        else
        if (count == limit) {
            more = true;
            codec_free (item);
        }
        else {
            rows [count++] = item;
            server_call_subject (call, item->pcn);
        }
    }
    mdb_cursor_close (cursor);
    if (rc && rc != MDB_NOTFOUND) {
        for (size_t i = 0; i < count; i++)
            codec_free (rows [i]);
        free (rows);
        return rc;
    }
    DenialList list = DENIAL_LIST__INIT;
    list.n_denials = count;
    list.denials = rows;
    list.next_after = more? rows [count - 1]->pcn: "";
    server_call_reply (call, &list);
    for (size_t i = 0; i < count; i++)
        codec_free (rows [i]);
    free (rows);
    return 0;
}

const server_method_t denials_methods [] = {
    { "denials.List", "denials.read", &denial_list_request__descriptor, s_list, SERVER_LIST, NULL },
    { NULL }
};
