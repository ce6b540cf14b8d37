/*  audit_methods: the audit log's requests, for compliance staff (issue
    16, docs/audit.md). Each is itself audited, as every request is: the
    server writes its audit.access record, which comes back to this log.

        audit.Key          -                  -> AuditKey            audit.read
        audit.Checkpoints  -                  -> AuditCheckpointList audit.read
        audit.Query        AuditQueryRequest  -> AuditQueryReply     audit.read
        audit.Leaves       AuditLeavesRequest -> AuditLeaves         audit.export
        audit.Proof        AuditProofRequest  -> AuditProof          audit.read
        audit.Verify       -                  -> AuditVerifyReply    audit.read
        audit.SignManifest AuditManifestRequest -> AuditManifestSignature  audit.export

    A query walks the index its most selective criterion names (a
    patient's claims and its own subject, a claim, an actor), else every
    leaf after `after`, and keeps the request records every criterion
    matches, in leaf order. A patient is named by member id: its blind
    index (common/phi) finds the PCNs intake's claim events gave it; the
    query's own record names it as "member:<hex blind index>", never the id.
    Vendor roles read nothing here: every method is SERVER_INTERNAL.
*/
#include "audit_methods.h"
#include "audit.h"
#include "clock.h"
#include "codec.h"
#include "sha256.h"

#include <sodium.h>

#define LEAVES_MAX    10000

static auditlog_t *
s_log (server_call_t *call)
{
    return ((audit_t *) service_state ((service_t *) call->state))->log;
}

static int
s_key (server_call_t *call)
{
    AuditKey reply = AUDIT_KEY__INIT;
    reply.verifier_key = (char *) auditlog_verifier_key (s_log (call));
    reply.origin = (char *) auditlog_origin (s_log (call));
    server_call_reply (call, &reply);
    return 0;
}

static int
s_checkpoints (server_call_t *call)
{
    uint64_t count;
    int rc = auditlog_checkpoint_count (call->store, call->txn, &count);
    AuditCheckpointList reply = AUDIT_CHECKPOINT_LIST__INIT;
    for (uint64_t number = 1; rc == 0 && number <= count; number++) {
        AuditCheckpoint *checkpoint = auditlog_checkpoint_get (call->store, call->txn, number, &rc);
        if (checkpoint)
            codec_append (&reply.checkpoints, &reply.n_checkpoints, checkpoint);
    }
    if (rc == 0)
        server_call_reply (call, &reply);
    codec_clear (&reply.checkpoints, &reply.n_checkpoints, codec_free);
    return rc;
}

//  ---------------------------------------------------------------------
//  Query

static int
s_compare (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y? -1: x > y;
}

typedef struct {
    uint64_t *items;
    size_t count, size;
} s_indexes_t;

//  Adds the leaf indexes a table holds under name.
static int
s_indexes_of (store_t *store, MDB_txn *txn, const char *table, const char *name, s_indexes_t *list)
{
    size_t length = strlen (name);
    char *prefix = (char *) malloc (length + 1);
    memcpy (prefix, name, length + 1);          //  name\0
    store_iter_t *iter = store_iter_new (store, txn, table, prefix, length + 1);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        MDB_val suffix = store_iter_suffix (iter);
        if (suffix.mv_size != 8)
            continue;
        if (list->count == list->size) {
            list->size = list->size? list->size * 2: 64;
            list->items = (uint64_t *) realloc (list->items, list->size * sizeof (uint64_t));
        }
        list->items [list->count++] = store_u64_read (suffix.mv_data);
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    free (prefix);
    return rc;
}

static bool
s_has_subject (const AccessEvent *access, const char *subject)
{
    for (size_t i = 0; i < access->n_subjects; i++)
        if (streq (access->subjects [i], subject))
            return true;
    return false;
}

//  What "denied" means in a query: refused by access control.
static bool
s_denied (Status outcome)
{
    return outcome == STATUS__PERMISSION_DENIED || outcome == STATUS__UNAUTHENTICATED;
}

static bool
s_matches (const AuditQueryRequest *query, const AuditRecord *record)
{
    const AccessEvent *access = record->access;
    if (!access)
        return false;
    if (*query->actor && !streq (query->actor, access->actor_name))
        return false;
    if (*query->claim && !s_has_subject (access, query->claim))
        return false;
    if (*query->work_item && !s_has_subject (access, query->work_item))
        return false;
    if (*query->team && !streq (query->team, access->team))
        return false;
    if (*query->role && !streq (query->role, access->role))
        return false;
    if (*query->method && !streq (query->method, access->method))
        return false;
    if (query->from_ms && access->time_ms < query->from_ms)
        return false;
    if (query->to_ms && access->time_ms >= query->to_ms)
        return false;
    if (streq (query->outcome, "denied") && !s_denied (access->outcome))
        return false;
    if (streq (query->outcome, "allowed") && s_denied (access->outcome))
        return false;
    return true;
}

//  Keeps the record at index when it matches: true when the page is full
//  and one more matched (then next_after is the page's last index).
static int
s_consider (server_call_t *call, const AuditQueryRequest *query, uint64_t index,
            AuditQueryReply *reply, size_t limit, bool *more)
{
    MDB_val leaf;
    int rc = tlog_leaf (call->store, call->txn, index, &leaf);
    if (rc)
        return rc == MDB_NOTFOUND? 0: rc;
    AuditRecord *record = (AuditRecord *) codec_decode (&audit_record__descriptor, leaf.mv_data, leaf.mv_size);
    if (!record)
        return 0;
    if (!s_matches (query, record)) {
        codec_free (record);
        return 0;
    }
    if (reply->n_records == limit) {
        *more = true;
        codec_free (record);
        return 0;
    }
    AuditEntry *entry = (AuditEntry *) malloc (sizeof (AuditEntry));
    audit_entry__init (entry);
    entry->index = index;
    entry->record = record;
    codec_append (&reply->records, &reply->n_records, entry);
    return 0;
}

static int
s_query (server_call_t *call)
{
    AuditQueryRequest *query = (AuditQueryRequest *) call->body;
    size_t limit;
    char error [128];
    if (store_page_limit (query->limit, STORE_PAGE_DEFAULT, STORE_PAGE_MAX, &limit, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "audit.Query: %s", error);
    if (*query->outcome && !streq (query->outcome, "allowed") && !streq (query->outcome, "denied"))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "audit.Query: outcome '%s' is not allowed or denied", query->outcome);
    uint64_t after = 0;
    bool has_after = *query->after != 0;
    if (has_after) {
        char *end;
        errno = 0;
        after = strtoull (query->after, &end, 10);
        if (*end || errno || *query->after == '-')
            return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                     "audit.Query: after '%s' is not a leaf index", query->after);
    }
    //  The candidates: an index's rows when a criterion names one.
    s_indexes_t list = { NULL, 0, 0 };
    bool indexed = true;
    int rc = 0;
    if (*query->member_id) {
        phi_key_t *key = service_phi_key ((service_t *) call->state);
        uint8_t blind [PHI_BLIND_INDEX_SIZE];
        phi_blind_index (key, query->member_id, blind);
        char hex [2 * PHI_BLIND_INDEX_SIZE + 1], subject [2 * PHI_BLIND_INDEX_SIZE + 16];
        sodium_bin2hex (hex, sizeof hex, blind, sizeof blind);
        snprintf (subject, sizeof subject, "member:%s", hex);
        server_call_subject (call, subject);
        zlistx_t *pcns;
        rc = auditlog_member_claims (call->store, call->txn, blind, sizeof blind, &pcns);
        for (char *pcn = rc? NULL: (char *) zlistx_first (pcns); pcn && rc == 0; pcn = (char *) zlistx_next (pcns))
            rc = s_indexes_of (call->store, call->txn, "audit_by_subject", pcn, &list);
        zlistx_destroy (&pcns);
        if (rc == 0)
            rc = s_indexes_of (call->store, call->txn, "audit_by_subject", subject, &list);
    }
    else
    if (*query->claim)
        rc = s_indexes_of (call->store, call->txn, "audit_by_subject", query->claim, &list);
    else
    //  A work item is a subject of the requests made for it (its own
    //  methods, and a claim's view made under it: claims.Show).
    if (*query->work_item)
        rc = s_indexes_of (call->store, call->txn, "audit_by_subject", query->work_item, &list);
    else
    if (*query->actor)
        rc = s_indexes_of (call->store, call->txn, "audit_by_actor", query->actor, &list);
    else
        indexed = false;
    if (*query->claim)
        server_call_subject (call, query->claim);
    if (*query->work_item)
        server_call_subject (call, query->work_item);
    AuditQueryReply reply = AUDIT_QUERY_REPLY__INIT;
    bool more = false;
    if (rc == 0 && indexed) {
        if (list.count)
            qsort (list.items, list.count, sizeof (uint64_t), s_compare);
        for (size_t i = 0; i < list.count && !more && rc == 0; i++)
            if ((!has_after || list.items [i] > after) && (i == 0 || list.items [i] != list.items [i - 1]))
                rc = s_consider (call, query, list.items [i], &reply, limit, &more);
    }
    else
    if (rc == 0) {
        uint64_t size;
        rc = tlog_size (call->store, call->txn, &size);
        for (uint64_t index = has_after? after + 1: 0; rc == 0 && index < size && !more; index++)
            rc = s_consider (call, query, index, &reply, limit, &more);
    }
    free (list.items);
    char next [24] = "";
    if (more && reply.n_records)
        snprintf (next, sizeof next, "%" PRIu64, reply.records [reply.n_records - 1]->index);
    reply.next_after = next;
    if (rc == 0)
        server_call_reply (call, &reply);
    for (size_t i = 0; i < reply.n_records; i++) {
        codec_free (reply.records [i]->record);
        free (reply.records [i]);
    }
    free (reply.records);
    return rc;
}

//  ---------------------------------------------------------------------
//  Leaves and proofs

static int
s_leaves (server_call_t *call)
{
    AuditLeavesRequest *request = (AuditLeavesRequest *) call->body;
    size_t limit;
    char error [128];
    if (store_page_limit (request->limit, LEAVES_MAX, LEAVES_MAX, &limit, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "audit.Leaves: %s", error);
    AuditLeaves reply = AUDIT_LEAVES__INIT;
    int rc = tlog_size (call->store, call->txn, &reply.size);
    reply.from = request->from;
    if (rc == 0 && reply.size > request->from) {
        uint64_t count = reply.size - request->from < limit? reply.size - request->from: limit;
        reply.leaves = (ProtobufCBinaryData *) calloc (count, sizeof (ProtobufCBinaryData));
        for (uint64_t i = 0; i < count && rc == 0; i++) {
            MDB_val leaf;
            rc = tlog_leaf (call->store, call->txn, request->from + i, &leaf);
            reply.leaves [i].data = (uint8_t *) leaf.mv_data;
            reply.leaves [i].len = leaf.mv_size;
            reply.n_leaves = (size_t) i + 1;
        }
    }
    if (rc == 0)
        server_call_reply (call, &reply);
    free (reply.leaves);
    return rc;
}

static void
s_hashes (ProtobufCBinaryData **field, size_t *n, tlog_hash_t *proof, size_t count)
{
    *field = (ProtobufCBinaryData *) calloc (count? count: 1, sizeof (ProtobufCBinaryData));
    for (size_t i = 0; i < count; i++) {
        (*field) [i].data = proof [i];
        (*field) [i].len = TLOG_HASH_SIZE;
    }
    *n = count;
}

static int
s_proof (server_call_t *call)
{
    AuditProofRequest *request = (AuditProofRequest *) call->body;
    AuditProof reply = AUDIT_PROOF__INIT;
    uint64_t size = request->size, log_size, count;
    int rc = tlog_size (call->store, call->txn, &log_size);
    if (rc == 0 && size == 0) {
        rc = auditlog_checkpoint_count (call->store, call->txn, &count);
        AuditCheckpoint *last = rc == 0 && count? auditlog_checkpoint_get (call->store, call->txn, count, &rc): NULL;
        size = last? last->size: 0;
        codec_free (last);
    }
    if (rc)
        return rc;
    if (size == 0 || size > log_size || request->index >= size)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "audit.Proof: leaf %" PRIu64 " is not in a sealed tree of %" PRIu64
                                 " (the log holds %" PRIu64 ")", request->index, size, log_size);
    if (request->old_size > size)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "audit.Proof: old size %" PRIu64 " is past %" PRIu64, request->old_size, size);
    tlog_hash_t inclusion [TLOG_PROOF_MAX], consistency [TLOG_PROOF_MAX], root;
    size_t n_inclusion = 0, n_consistency = 0;
    MDB_val leaf;
    rc = tlog_leaf (call->store, call->txn, request->index, &leaf);
    if (rc == 0)
        rc = tlog_inclusion (call->store, call->txn, request->index, size, inclusion, &n_inclusion);
    if (rc == 0 && request->old_size)
        rc = tlog_consistency (call->store, call->txn, request->old_size, size, consistency, &n_consistency);
    if (rc == 0)
        rc = tlog_root (call->store, call->txn, size, root);
    if (rc)
        return rc;
    reply.index = request->index;
    reply.size = size;
    reply.leaf.data = (uint8_t *) leaf.mv_data;
    reply.leaf.len = leaf.mv_size;
    reply.old_size = request->old_size;
    reply.root.data = root;
    reply.root.len = TLOG_HASH_SIZE;
    s_hashes (&reply.inclusion, &reply.n_inclusion, inclusion, n_inclusion);
    s_hashes (&reply.consistency, &reply.n_consistency, consistency, n_consistency);
    server_call_reply (call, &reply);
    free (reply.inclusion);
    free (reply.consistency);
    return 0;
}

//  ---------------------------------------------------------------------
//  Verify: the live store against its own checkpoints and the published
//  one, recomputed from the leaves as an offline verifier would.

static void
s_fail (AuditVerifyReply *reply, const char *format, ...)
{
    if (reply->n_failures >= 20)
        return;
    va_list args;
    va_start (args, format);
    char text [512];
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    codec_append_text (&reply->failures, &reply->n_failures, text);
}

static int
s_verify (server_call_t *call)
{
    auditlog_t *log = s_log (call);
    AuditVerifyReply reply = AUDIT_VERIFY_REPLY__INIT;
    uint64_t size, count;
    int rc = tlog_size (call->store, call->txn, &size);
    if (rc == 0)
        rc = auditlog_checkpoint_count (call->store, call->txn, &count);
    tlog_mem_t *tree = tlog_mem_new ();
    uint64_t number = 1;
    AuditCheckpoint *checkpoint = rc == 0 && count? auditlog_checkpoint_get (call->store, call->txn, 1, &rc): NULL;
    for (uint64_t index = 0; rc == 0; index++) {
        //  Every checkpoint whose size is reached now is checked now.
        while (checkpoint && checkpoint->size == index && rc == 0) {
            tlog_hash_t root;
            char *text = NULL, error [256], origin [256];
            uint64_t note_size;
            uint8_t note_root [TLOG_HASH_SIZE];
            tlog_root_with (tlog_mem_read, tree, index, root);
            if (note_open (auditlog_verifier (log), checkpoint->note, strlen (checkpoint->note), &text,
                           error, sizeof error)
            ||  note_checkpoint_parse (text, origin, sizeof origin, &note_size, note_root, error, sizeof error))
                s_fail (&reply, "checkpoint %" PRIu64 ": %s", number, error);
            else
            if (note_size != checkpoint->size || memcmp (note_root, root, TLOG_HASH_SIZE) != 0)
                s_fail (&reply, "checkpoint %" PRIu64 " (size %" PRIu64 "): the records' tree is not the one "
                        "it signed", number, note_size);
            free (text);
            reply.checkpoints++;
            reply.sealed = checkpoint->size;
            codec_free (checkpoint);
            checkpoint = ++number <= count? auditlog_checkpoint_get (call->store, call->txn, number, &rc): NULL;
        }
        if (index == size || rc)
            break;
        MDB_val leaf;
        tlog_hash_t hash, stored;
        rc = tlog_leaf (call->store, call->txn, index, &leaf);
        if (rc == 0) {
            tlog_leaf_hash (leaf.mv_data, leaf.mv_size, hash);
            tlog_txn_t at = { call->store, call->txn };
            rc = tlog_read_stored (&at, 0, index, stored);
        }
        if (rc == 0 && memcmp (hash, stored, TLOG_HASH_SIZE) != 0)
            s_fail (&reply, "record %" PRIu64 ": its bytes are not the ones hashed into the tree", index);
        tlog_mem_append_hash (tree, hash);
    }
    if (rc == 0 && checkpoint)
        s_fail (&reply, "checkpoint %" PRIu64 " seals %" PRIu64 " records; the store holds %" PRIu64,
                number, checkpoint->size, size);
    codec_free (checkpoint);
    tlog_mem_destroy (&tree);
    char why [512] = "";
    if (rc == 0)
        rc = auditlog_check_published (log, call->txn, why, sizeof why);
    if (rc == 0 && *why)
        s_fail (&reply, "%s", why);
    reply.size = size;
    reply.ok = reply.n_failures == 0;
    if (rc == 0)
        server_call_reply (call, &reply);
    for (size_t i = 0; i < reply.n_failures; i++)
        free (reply.failures [i]);
    free (reply.failures);
    return rc;
}

//  The request's own record names the hash as its subject, so who had
//  which manifest signed is in the log.
static int
s_sign_manifest (server_call_t *call)
{
    AuditManifestRequest *request = (AuditManifestRequest *) call->body;
    if (request->sha256.len != SHA256_BYTES)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "audit.SignManifest: sha256 is %zu bytes, not 32", request->sha256.len);
    char hex [2 * SHA256_BYTES + 1], text [256], error [256];
    sodium_bin2hex (hex, sizeof hex, request->sha256.data, request->sha256.len);
    snprintf (text, sizeof text, "%s export manifest\nsha256 %s\n", auditlog_origin (s_log (call)), hex);
    char *note = auditlog_sign (s_log (call), text, error, sizeof error);
    if (!note)
        return server_call_fail (call, STATUS__INTERNAL, "audit.SignManifest: %s", error);
    server_call_subject (call, hex);
    AuditManifestSignature reply = AUDIT_MANIFEST_SIGNATURE__INIT;
    reply.note = note;
    server_call_reply (call, &reply);
    free (note);
    return 0;
}

const server_method_t audit_methods [] = {
    SERVER_INTERNAL_METHOD (audit, Key,          read,   NULL,                                s_key),
    SERVER_INTERNAL_METHOD (audit, Checkpoints,  read,   NULL,                                s_checkpoints),
    SERVER_INTERNAL_METHOD (audit, Query,        read,   &audit_query_request__descriptor,    s_query),
    SERVER_INTERNAL_METHOD (audit, Leaves,       export, &audit_leaves_request__descriptor,   s_leaves),
    SERVER_INTERNAL_METHOD (audit, Proof,        read,   &audit_proof_request__descriptor,    s_proof),
    SERVER_INTERNAL_METHOD (audit, Verify,       read,   NULL,                                s_verify),
    SERVER_INTERNAL_METHOD (audit, SignManifest, export, &audit_manifest_request__descriptor, s_sign_manifest),
    { NULL }
};
