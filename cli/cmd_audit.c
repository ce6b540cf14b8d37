/*  rcmqctl audit: the transparency log rcmq-audit keeps (issue 16,
    docs/audit.md). Every command is a request to audit, and so is itself
    in the log.

        audit key | checkpoints | verify
        audit query [--member-id ID] [--actor NAME] [--claim PCN] [--work-item ID] [--team T]
                    [--role R] [--method M] [--from T] [--to T]
                    [--outcome allowed|denied] [--limit N] [--after INDEX]
        audit report patient MEMBER_ID | audit report actor NAME
        audit export --out DIR [--from T] [--to T] [--member-id ID]

    JSON: `audit query --json` is {"records": [...], "next_after": ...},
    each record {index, time, actor, role, team, service, method, outcome,
    status, subjects, request_id, message}; a report is every page of its
    query as {"records": [...]}.

    An export is a folder an auditor checks with `rcmq-audit-verify DIR`
    and nothing of rcmq's running: records.jsonl (one record a line: index,
    leaf = base64 of the exact bytes hashed, leaf_hash, the record's fields;
    with --member-id or --from/--to also `proof`, its inclusion proof
    against the checkpoint the folder carries), registry.json (a whole
    log's export only: the access registry's identities, each one's
    request history, the access review), checkpoints/NNNNNNNNNN.checkpoint
    (the signed notes), verifier.key, manifest.json (kind, range, files
    with size and SHA-256) and manifest.sig (audit's signed note over the
    manifest's SHA-256).
*/
#include "ctl.h"
#include "pbjson.h"
#include "clock.h"
#include "files.h"
#include "sha256.h"
#include "tlog.h"
#include "audit.pb-c.h"
#include "access.pb-c.h"

#include <sodium.h>
#include <sys/stat.h>

#define PAGE 1000

static char *
s_base64 (const uint8_t *data, size_t size)
{
    size_t length = sodium_base64_ENCODED_LEN (size, sodium_base64_VARIANT_ORIGINAL);
    char *text = (char *) malloc (length);
    sodium_bin2base64 (text, length, data, size, sodium_base64_VARIANT_ORIGINAL);
    return text;
}

static json_t *
s_base64_json (const uint8_t *data, size_t size)
{
    char *text = s_base64 (data, size);
    json_t *value = json_string (text);
    free (text);
    return value;
}

static json_t *
s_time_json (uint64_t ms)
{
    char text [40];
    clock_format_iso8601 (ms, text, sizeof text);
    return json_string (text);
}

static const char *
s_outcome_name (Status status)
{
    return status == STATUS__PERMISSION_DENIED || status == STATUS__UNAUTHENTICATED? "denied": "allowed";
}

//  A record as every command prints it: the request's fields for an
//  access record, the event's for the others.
static json_t *
s_record_json (uint64_t index, const AuditRecord *record)
{
    json_t *object = json_object ();
    json_object_set_new (object, "index", json_integer ((json_int_t) index));
    const AccessEvent *access = record->access;
    json_object_set_new (object, "time", s_time_json (access? access->time_ms: record->time_ms));
    json_object_set_new (object, "stream", json_string (record->stream));
    json_object_set_new (object, "seq", json_integer ((json_int_t) record->seq));
    json_object_set_new (object, "type", json_string (record->type));
    json_object_set_new (object, "key", json_string (record->key));
    json_object_set_new (object, "producer", json_string (record->producer));
    json_object_set_new (object, "actor", json_string (access? access->actor_name: ""));
    json_object_set_new (object, "actor_key", json_string (access? access->actor_key: ""));
    json_object_set_new (object, "role", json_string (access? access->role: ""));
    json_object_set_new (object, "team", json_string (access? access->team: ""));
    json_object_set_new (object, "service", json_string (access? access->service: ""));
    json_object_set_new (object, "method", json_string (access? access->method: ""));
    json_object_set_new (object, "outcome", access? json_string (s_outcome_name (access->outcome)): json_null ());
    json_object_set_new (object, "status", json_string (access? codec_status_name (access->outcome): ""));
    json_object_set_new (object, "request_id", json_string (access? access->request_id: ""));
    json_object_set_new (object, "message", json_string (access? access->message: ""));
    json_t *subjects = json_array ();
    for (size_t i = 0; access && i < access->n_subjects; i++)
        json_array_append_new (subjects, json_string (access->subjects [i]));
    json_object_set_new (object, "subjects", subjects);
    //  A field the AccessEvent gains later (the PHI fields a reply held,
    //  say) shows up here without a change: every field this function does
    //  not set under its own name is added as pbjson renders it.
    if (access) {
        json_t *all = pbjson_message (&access->base);
        const char *name;
        json_t *value;
        json_object_foreach (all, name, value)
            if (!json_object_get (object, name) && strcmp (name, "actor_name") && strcmp (name, "time_ms"))
                json_object_set (object, name, value);
        json_decref (all);
    }
    if (!access && record->payload_sha256.len) {
        char hex [65];
        sodium_bin2hex (hex, sizeof hex, record->payload_sha256.data, record->payload_sha256.len);
        json_object_set_new (object, "payload_sha256", json_string (hex));
    }
    return object;
}

static const output_column_t s_columns [] = {
    { "index",    OUTPUT_INT },
    { "time",     OUTPUT_TEXT },
    { "actor",    OUTPUT_TEXT },
    { "role",     OUTPUT_TEXT },
    { "team",     OUTPUT_TEXT },
    { "method",   OUTPUT_TEXT },
    { "outcome",  OUTPUT_TEXT },
    { "subjects", OUTPUT_TEXT },
    { NULL, OUTPUT_TEXT }
};

static void
s_record_row (output_table_t *table, uint64_t index, const AuditRecord *record)
{
    const AccessEvent *access = record->access;
    output_table_row (table);
    output_table_cell_uint (table, index);
    char at [40];
    clock_format_iso8601 (access? access->time_ms: record->time_ms, at, sizeof at);
    output_table_cell (table, at);
    output_table_cell (table, access? access->actor_name: "");
    output_table_cell (table, access? access->role: "");
    output_table_cell (table, access? access->team: "");
    output_table_cell (table, access? access->method: record->type);
    output_table_cell (table, access? s_outcome_name (access->outcome): "");
    char subjects [512] = "";
    size_t at_length = 0;
    for (size_t i = 0; access && i < access->n_subjects && at_length < sizeof subjects; i++)
        at_length += (size_t) snprintf (subjects + at_length, sizeof subjects - at_length, "%s%s",
                                        i? " ": "", access->subjects [i]);
    output_table_cell (table, subjects);
}

//  A time option: a date or an instant, into *ms (0 when not given).
static int
s_time_option (ctl_args_t *args, const char *name, uint64_t *ms)
{
    const char *text = ctl_arg_option (args, name);
    *ms = 0;
    if (text && clock_parse_iso8601 (text, ms)) {
        fprintf (stderr, "rcmqctl audit: --%s '%s': expected a date YYYY-MM-DD or an ISO 8601 instant\n", name, text);
        return CTL_USAGE;
    }
    return CTL_OK;
}

static int
s_query_request (ctl_args_t *args, AuditQueryRequest *query)
{
    query->member_id = (char *) ctl_arg_text (args, "member-id");
    query->actor = (char *) ctl_arg_text (args, "actor");
    query->claim = (char *) ctl_arg_text (args, "claim");
    query->work_item = (char *) ctl_arg_text (args, "work-item");
    query->team = (char *) ctl_arg_text (args, "team");
    query->role = (char *) ctl_arg_text (args, "role");
    query->method = (char *) ctl_arg_text (args, "method");
    query->after = (char *) ctl_arg_text (args, "after");
    static const char *const outcomes [] = { "allowed", "denied", NULL };
    const char *outcome = ctl_arg_option (args, "outcome");
    if (outcome && ctl_parse_choice ("--outcome", outcome, outcomes))
        return CTL_USAGE;
    query->outcome = (char *) (outcome? outcome: "");
    if (s_time_option (args, "from", &query->from_ms) || s_time_option (args, "to", &query->to_ms))
        return CTL_USAGE;
    if (ctl_arg_uint (args, "limit", 1, 1000, 0, &query->limit))
        return CTL_USAGE;
    return CTL_OK;
}

//  Runs a query: one page, or (all) every page; prints them.
static int
s_run_query (ctl_t *ctl, AuditQueryRequest *query, bool all)
{
    json_t *records = json_array ();
    output_table_t *table = output_table_new (s_columns);
    char *after = strdup (query->after);
    char *next = NULL;
    int rc = CTL_OK;
    while (rc == CTL_OK) {
        query->after = after;
        AuditQueryReply *reply;
        rc = ctl_call (ctl, "audit", "audit.Query", query, &audit_query_reply__descriptor, (void **) &reply);
        if (rc != CTL_OK)
            break;
        for (size_t i = 0; i < reply->n_records; i++) {
            json_array_append_new (records, s_record_json (reply->records [i]->index, reply->records [i]->record));
            s_record_row (table, reply->records [i]->index, reply->records [i]->record);
        }
        free (after);
        after = strdup (reply->next_after);
        codec_free (reply);
        if (!all || !*after)
            break;
    }
    if (rc == CTL_OK)
        output_list (ctl_format (ctl), "records", records, table, all? NULL: after, "no records", stdout);
    free (next);
    free (after);
    json_decref (records);
    output_table_destroy (&table);
    return rc;
}

static int
s_query (ctl_t *ctl, ctl_args_t *args)
{
    AuditQueryRequest query = AUDIT_QUERY_REQUEST__INIT;
    if (s_query_request (args, &query))
        return CTL_USAGE;
    return s_run_query (ctl, &query, false);
}

static int
s_report (ctl_t *ctl, ctl_args_t *args)
{
    static const char *const kinds [] = { "patient", "actor", NULL };
    const char *kind = ctl_arg_operand (args, 0);
    if (ctl_parse_choice ("KIND", kind, kinds))
        return CTL_USAGE;
    AuditQueryRequest query = AUDIT_QUERY_REQUEST__INIT;
    if (streq (kind, "patient"))
        query.member_id = (char *) ctl_arg_operand (args, 1);
    else
        query.actor = (char *) ctl_arg_operand (args, 1);
    query.limit = PAGE;
    return s_run_query (ctl, &query, true);
}

static int
s_key (ctl_t *ctl, ctl_args_t *args)
{
    AuditKey *key;
    int rc = ctl_call (ctl, "audit", "audit.Key", NULL, &audit_key__descriptor, (void **) &key);
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON) {
        json_t *root = json_object ();
        json_object_set_new (root, "verifier_key", json_string (key->verifier_key));
        json_object_set_new (root, "origin", json_string (key->origin));
        output_json (root, stdout);
    }
    else
        output_printf (stdout, "%s\n", key->verifier_key);
    codec_free (key);
    return CTL_OK;
}

static json_t *
s_checkpoint_json (const AuditCheckpoint *checkpoint)
{
    json_t *object = json_object ();
    json_object_set_new (object, "number", json_integer ((json_int_t) checkpoint->number));
    json_object_set_new (object, "size", json_integer ((json_int_t) checkpoint->size));
    json_object_set_new (object, "root", s_base64_json (checkpoint->root.data, checkpoint->root.len));
    json_object_set_new (object, "time", s_time_json (checkpoint->time_ms));
    json_object_set_new (object, "note", json_string (checkpoint->note));
    return object;
}

static int
s_checkpoints (ctl_t *ctl, ctl_args_t *args)
{
    AuditCheckpointList *list;
    int rc = ctl_call (ctl, "audit", "audit.Checkpoints", NULL, &audit_checkpoint_list__descriptor, (void **) &list);
    if (rc != CTL_OK)
        return rc;
    static const output_column_t columns [] = {
        { "number", OUTPUT_INT }, { "size", OUTPUT_INT }, { "time", OUTPUT_TEXT },
        { "root", OUTPUT_TEXT }, { NULL, OUTPUT_TEXT }
    };
    json_t *array = json_array ();
    output_table_t *table = output_table_new (columns);
    for (size_t i = 0; i < list->n_checkpoints; i++) {
        const AuditCheckpoint *checkpoint = list->checkpoints [i];
        json_array_append_new (array, s_checkpoint_json (checkpoint));
        output_table_row (table);
        output_table_cell_uint (table, checkpoint->number);
        output_table_cell_uint (table, checkpoint->size);
        char at [40];
        clock_format_iso8601 (checkpoint->time_ms, at, sizeof at);
        output_table_cell (table, at);
        char *root = s_base64 (checkpoint->root.data, checkpoint->root.len);
        output_table_cell (table, root);
        free (root);
    }
    output_list (ctl_format (ctl), "checkpoints", array, table, NULL, "no checkpoints yet", stdout);
    json_decref (array);
    output_table_destroy (&table);
    codec_free (list);
    return CTL_OK;
}

static int
s_verify (ctl_t *ctl, ctl_args_t *args)
{
    AuditVerifyReply *reply;
    int rc = ctl_call_timeout (ctl, "audit", "audit.Verify", NULL, &audit_verify_reply__descriptor,
                               (void **) &reply, ctl_timeout (ctl, 60000));
    if (rc != CTL_OK)
        return rc;
    if (ctl_format (ctl) == OUTPUT_JSON)
        output_json (pbjson_message (&reply->base), stdout);
    else {
        output_printf (stdout, "%s: %" PRIu64 " records, %" PRIu64 " checkpoints checked, %" PRIu64
                       " sealed, %" PRIu64 " unsealed\n", reply->ok? "ok": "FAILED", reply->size,
                       reply->checkpoints, reply->sealed, reply->size - reply->sealed);
        for (size_t i = 0; i < reply->n_failures; i++)
            output_printf (stdout, "  %s\n", reply->failures [i]);
    }
    rc = reply->ok? CTL_OK: CTL_FAILED;
    codec_free (reply);
    return rc;
}

//  ---------------------------------------------------------------------
//  Export

typedef struct {
    char *dir;
    json_t *files;              //  the manifest's list
} s_export_t;

//  Writes a file of the export and lists it (size, SHA-256) for the
//  manifest.
static int
s_export_file (s_export_t *export, const char *name, const void *data, size_t size)
{
    char *path = zsys_sprintf ("%s/%s", export->dir, name);
    char error [512];
    int rc = files_write_new (path, data, size, error, sizeof error);
    zstr_free (&path);
    if (rc)
        return ctl_fail ("audit export: %s", rc == FILES_EXISTS? "the folder already holds an export": error);
    if (export->files) {
        uint8_t digest [SHA256_BYTES];
        char hex [65];
        sha256 (digest, data, size);
        sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
        json_array_append_new (export->files, json_pack ("{s:s, s:I, s:s}", "name", name,
                                                         "size", (json_int_t) size, "sha256", hex));
    }
    return CTL_OK;
}

//  One line of records.jsonl: the leaf, its hash, its fields, and (when
//  given) its inclusion proof.
static void
s_export_line (zchunk_t *out, uint64_t index, const uint8_t *leaf, size_t size, const AuditProof *proof)
{
    AuditRecord *record = (AuditRecord *) codec_decode (&audit_record__descriptor, leaf, size);
    json_t *line = record? s_record_json (index, record): json_pack ("{s:I}", "index", (json_int_t) index);
    tlog_hash_t hash;
    tlog_leaf_hash (leaf, size, hash);
    json_object_set_new (line, "leaf", s_base64_json (leaf, size));
    json_object_set_new (line, "leaf_hash", s_base64_json (hash, sizeof hash));
    if (proof) {
        json_t *hashes = json_array ();
        for (size_t i = 0; i < proof->n_inclusion; i++)
            json_array_append_new (hashes, s_base64_json (proof->inclusion [i].data, proof->inclusion [i].len));
        json_object_set_new (line, "proof", hashes);
        json_object_set_new (line, "tree_size", json_integer ((json_int_t) proof->size));
    }
    char *text = json_dumps (line, JSON_COMPACT | JSON_SORT_KEYS);
    zchunk_extend (out, text, strlen (text));
    zchunk_extend (out, "\n", 1);
    free (text);
    json_decref (line);
    codec_free (record);
}

//  registry.json of a whole-log export: every identity of the access
//  registry, each one's history of requests, and the access review as it
//  stands (rcmq-audit's access.* methods, as `rcmqctl access` reads them).
static int
s_export_registry (ctl_t *ctl, s_export_t *export)
{
    json_t *identities = json_array (), *history = json_object ();
    char *after = strdup ("");
    int rc = CTL_OK;
    while (rc == CTL_OK) {
        IdentityListRequest request = IDENTITY_LIST_REQUEST__INIT;
        request.after = after;
        IdentityList *list;
        rc = ctl_call (ctl, "audit", "access.List", &request, &identity_list__descriptor, (void **) &list);
        if (rc != CTL_OK)
            break;
        for (size_t i = 0; i < list->n_identities && rc == CTL_OK; i++) {
            json_array_append_new (identities, pbjson_message (&list->identities [i]->base));
            AccessSubject subject = ACCESS_SUBJECT__INIT;
            subject.name = list->identities [i]->name;
            AccessHistory *past;
            rc = ctl_call (ctl, "audit", "access.History", &subject, &access_history__descriptor, (void **) &past);
            if (rc == CTL_OK) {
                json_object_set_new (history, subject.name, pbjson_message (&past->base));
                codec_free (past);
            }
        }
        free (after);
        after = strdup (list->next_after);
        codec_free (list);
        if (!*after)
            break;
    }
    free (after);
    AccessOutcome *review = NULL;
    if (rc == CTL_OK)
        rc = ctl_call (ctl, "audit", "access.ReviewStatus", NULL, &access_outcome__descriptor, (void **) &review);
    if (rc == CTL_OK) {
        json_t *root = json_pack ("{s:o, s:o, s:o}", "identities", identities, "history", history,
                                  "review", review->review? pbjson_message (&review->review->base): json_null ());
        identities = history = NULL;
        char *text = json_dumps (root, JSON_INDENT (2) | JSON_SORT_KEYS);
        rc = s_export_file (export, "registry.json", text, strlen (text));
        free (text);
        json_decref (root);
    }
    codec_free (review);
    json_decref (identities);
    json_decref (history);
    return rc;
}

static int
s_export (ctl_t *ctl, ctl_args_t *args)
{
    const char *dir = ctl_arg_option (args, "out");
    if (!dir || !*dir) {
        fprintf (stderr, "rcmqctl audit export: --out DIR is required\n");
        return CTL_USAGE;
    }
    uint64_t from_ms, to_ms;
    if (s_time_option (args, "from", &from_ms) || s_time_option (args, "to", &to_ms))
        return CTL_USAGE;
    const char *member = ctl_arg_text (args, "member-id");
    bool full = !*member && !from_ms && !to_ms;
    char error [512];
    if (files_dir_create (dir, error, sizeof error))
        return ctl_fail ("audit export: %s", error);
    char *checkpoints_dir = zsys_sprintf ("%s/checkpoints", dir);
    int made = files_dir_create (checkpoints_dir, error, sizeof error);
    zstr_free (&checkpoints_dir);
    if (made)
        return ctl_fail ("audit export: %s", error);
    s_export_t export = { (char *) dir, json_array () };
    AuditKey *key = NULL;
    AuditCheckpointList *list = NULL;
    zchunk_t *lines = zchunk_new (NULL, 0);
    uint64_t count = 0, first = UINT64_MAX, last = 0;
    int rc = ctl_call (ctl, "audit", "audit.Key", NULL, &audit_key__descriptor, (void **) &key);
    if (rc == CTL_OK)
        rc = ctl_call (ctl, "audit", "audit.Checkpoints", NULL, &audit_checkpoint_list__descriptor, (void **) &list);
    //  A full export carries every checkpoint; one with proofs the last,
    //  which every proof is against.
    uint64_t sealed = rc == CTL_OK && list->n_checkpoints? list->checkpoints [list->n_checkpoints - 1]->size: 0;
    for (size_t i = 0; rc == CTL_OK && i < list->n_checkpoints; i++) {
        if (!full && i + 1 < list->n_checkpoints)
            continue;
        const AuditCheckpoint *checkpoint = list->checkpoints [i];
        char name [64];
        snprintf (name, sizeof name, "checkpoints/%010" PRIu64 ".checkpoint", checkpoint->number);
        rc = s_export_file (&export, name, checkpoint->note, strlen (checkpoint->note));
    }
    //  The indexes to export: every leaf, or the patient's records, or
    //  the leaves in the time range.
    zlistx_t *indexes = zlistx_new ();
    if (rc == CTL_OK && *member) {
        AuditQueryRequest query = AUDIT_QUERY_REQUEST__INIT;
        query.member_id = (char *) member;
        query.from_ms = from_ms;
        query.to_ms = to_ms;
        query.limit = PAGE;
        char *after = strdup ("");
        while (rc == CTL_OK) {
            query.after = after;
            AuditQueryReply *reply;
            rc = ctl_call (ctl, "audit", "audit.Query", &query, &audit_query_reply__descriptor, (void **) &reply);
            if (rc != CTL_OK)
                break;
            for (size_t i = 0; i < reply->n_records; i++)
                zlistx_add_end (indexes, (void *) (uintptr_t) (reply->records [i]->index + 1));
            free (after);
            after = strdup (reply->next_after);
            codec_free (reply);
            if (!*after)
                break;
        }
        free (after);
    }
    uint64_t from = 0;
    while (rc == CTL_OK && !*member) {
        AuditLeavesRequest request = AUDIT_LEAVES_REQUEST__INIT;
        request.from = from;
        AuditLeaves *leaves;
        rc = ctl_call_timeout (ctl, "audit", "audit.Leaves", &request, &audit_leaves__descriptor,
                               (void **) &leaves, ctl_timeout (ctl, 30000));
        if (rc != CTL_OK)
            break;
        for (size_t i = 0; i < leaves->n_leaves; i++) {
            uint64_t index = from + i;
            if (full)
                s_export_line (lines, index, leaves->leaves [i].data, leaves->leaves [i].len, NULL);
            else {
                AuditRecord *record = (AuditRecord *) codec_decode (&audit_record__descriptor,
                                                                    leaves->leaves [i].data, leaves->leaves [i].len);
                uint64_t at = record? (record->access? record->access->time_ms: record->time_ms): 0;
                if (record && (!from_ms || at >= from_ms) && (!to_ms || at < to_ms))
                    zlistx_add_end (indexes, (void *) (uintptr_t) (index + 1));
                codec_free (record);
            }
            if (full) {
                count++;
                first = first < index? first: index;
                last = index;
            }
        }
        from += leaves->n_leaves;
        bool done = leaves->n_leaves == 0 || from >= leaves->size;
        codec_free (leaves);
        if (done)
            break;
    }
    //  With proofs: each sealed record against the last checkpoint; an
    //  unsealed one (after it) is listed without.
    for (void *item = zlistx_first (indexes); rc == CTL_OK && item; item = zlistx_next (indexes)) {
        uint64_t index = (uint64_t) (uintptr_t) item - 1;
        AuditProofRequest request = AUDIT_PROOF_REQUEST__INIT;
        request.index = index;
        request.size = sealed;
        AuditProof *proof = NULL;
        if (index < sealed)
            rc = ctl_call (ctl, "audit", "audit.Proof", &request, &audit_proof__descriptor, (void **) &proof);
        else {
            AuditLeavesRequest leaf_request = AUDIT_LEAVES_REQUEST__INIT;
            leaf_request.from = index;
            leaf_request.limit = 1;
            AuditLeaves *leaves;
            rc = ctl_call (ctl, "audit", "audit.Leaves", &leaf_request, &audit_leaves__descriptor, (void **) &leaves);
            if (rc == CTL_OK && leaves->n_leaves == 1)
                s_export_line (lines, index, leaves->leaves [0].data, leaves->leaves [0].len, NULL);
            if (rc == CTL_OK)
                codec_free (leaves);
        }
        if (proof)
            s_export_line (lines, index, proof->leaf.data, proof->leaf.len, proof);
        codec_free (proof);
        count++;
        first = first < index? first: index;
        last = index;
    }
    zlistx_destroy (&indexes);
    if (rc == CTL_OK)
        rc = s_export_file (&export, "records.jsonl", zchunk_data (lines), zchunk_size (lines));
    if (rc == CTL_OK && full)
        rc = s_export_registry (ctl, &export);
    if (rc == CTL_OK) {
        char *text = zsys_sprintf ("%s\n", key->verifier_key);
        rc = s_export_file (&export, "verifier.key", text, strlen (text));
        zstr_free (&text);
    }
    if (rc == CTL_OK) {
        json_t *manifest = json_object ();
        json_object_set_new (manifest, "kind", json_string (full? "full": "proofs"));
        json_object_set_new (manifest, "origin", json_string (key->origin));
        json_object_set_new (manifest, "verifier_key", json_string (key->verifier_key));
        json_object_set_new (manifest, "records", json_integer ((json_int_t) count));
        json_object_set_new (manifest, "first_index", count? json_integer ((json_int_t) first): json_null ());
        json_object_set_new (manifest, "last_index", count? json_integer ((json_int_t) last): json_null ());
        json_object_set_new (manifest, "sealed_size", json_integer ((json_int_t) sealed));
        json_object_set_new (manifest, "from", from_ms? s_time_json (from_ms): json_null ());
        json_object_set_new (manifest, "to", to_ms? s_time_json (to_ms): json_null ());
        json_object_set_new (manifest, "patient", json_boolean (*member != 0));
        json_object_set (manifest, "files", export.files);
        char *text = json_dumps (manifest, JSON_INDENT (2) | JSON_SORT_KEYS);
        json_decref (manifest);
        json_t *files = export.files;
        export.files = NULL;        //  the manifest and its signature are not in the list
        rc = s_export_file (&export, "manifest.json", text, strlen (text));
        AuditManifestRequest request = AUDIT_MANIFEST_REQUEST__INIT;
        uint8_t digest [SHA256_BYTES];
        sha256 (digest, text, strlen (text));
        request.sha256.data = digest;
        request.sha256.len = sizeof digest;
        AuditManifestSignature *signature = NULL;
        if (rc == CTL_OK)
            rc = ctl_call (ctl, "audit", "audit.SignManifest", &request, &audit_manifest_signature__descriptor,
                           (void **) &signature);
        if (rc == CTL_OK)
            rc = s_export_file (&export, "manifest.sig", signature->note, strlen (signature->note));
        codec_free (signature);
        free (text);
        export.files = files;
    }
    if (rc == CTL_OK) {
        if (ctl_format (ctl) == OUTPUT_JSON)
            output_json (json_pack ("{s:s, s:s, s:I, s:I}", "out", dir, "kind", full? "full": "proofs",
                                    "records", (json_int_t) count, "sealed_size", (json_int_t) sealed), stdout);
        else
            output_printf (stdout, "exported %" PRIu64 " records to %s (%s; sealed by the checkpoint of %" PRIu64
                           " records); check it with rcmq-audit-verify %s\n", count, dir,
                           full? "the whole log": "with inclusion proofs", sealed, dir);
    }
    json_decref (export.files);
    zchunk_destroy (&lines);
    codec_free (key);
    codec_free (list);
    return rc;
}

static const ctl_option_t s_query_options [] = {
    { "member-id", "ID",     "a patient: the requests that touched its claims (by blind index)" },
    { "actor",     "NAME",   "who made the request" },
    { "claim",     "PCN",    "a claim" },
    { "work-item", "ID",     "a work item: the requests made for it" },
    { "team",      "T",      "the actor's team" },
    { "role",      "R",      "the actor's role" },
    { "method",    "M",      "the method, e.g. claims.Get" },
    { "from",      "T",      "from this date or instant (inclusive)" },
    { "to",        "T",      "to this date or instant (exclusive)" },
    { "outcome",   "O",      "allowed or denied (refused by access control)" },
    { "limit",     "N",      "records per page, 1 to 1000 (default 100)" },
    { "after",     "INDEX",  "the page after this leaf index (next_after)" },
    { NULL }
};

static const ctl_option_t s_export_options [] = {
    { "out",       "DIR",    "the folder to write (required; made, must not hold an export)" },
    { "from",      "T",      "only records from this date or instant, with proofs" },
    { "to",        "T",      "only records before this date or instant, with proofs" },
    { "member-id", "ID",     "only this patient's records, each with its inclusion proof" },
    { NULL }
};

static const ctl_command_t s_commands [] = {
    { "key", NULL, 0, 0, "print audit's verifier key (signed-note form)",
      "The key any C2SP signed-note verifier (Go's golang.org/x/mod/sumdb/note) checks\n"
      "the checkpoints with: <name>+<hash>+<base64 key>.",
      NULL, s_key },
    { "checkpoints", NULL, 0, 0, "list the signed checkpoints",
      "--json: {\"checkpoints\": [{\"number\", \"size\", \"root\", \"time\", \"note\"}]}.",
      NULL, s_checkpoints },
    { "query", NULL, 0, 0, "the request records matching every criterion, a page",
      "--json: {\"records\": [{\"index\", \"time\", \"actor\", \"role\", \"team\", \"service\",\n"
      "\"method\", \"outcome\", \"subjects\", ...}], \"next_after\": INDEX or null}.",
      s_query_options, s_query },
    { "report", "KIND ID", 2, 2, "who touched patient MEMBER_ID, or what actor NAME touched",
      "`report patient MEMBER_ID` or `report actor NAME`: every page of the query.\n"
      "--json: {\"records\": [...]}, each as `audit query --json` prints it.",
      NULL, s_report },
    { "export", NULL, 0, 0, "write the log, a time range or a patient's records for an auditor",
      "Without --member-id, --from or --to: every record and checkpoint (the tree is\n"
      "recomputed by the verifier). Otherwise only those records, each with its inclusion\n"
      "proof against the last checkpoint. Check it with `rcmq-audit-verify DIR`.",
      s_export_options, s_export },
    { "verify", NULL, 0, 0, "check the live log against its checkpoints and the published one",
      "Recomputes the tree from the stored records; exit 1 when anything fails.",
      NULL, s_verify },
    { NULL }
};

const ctl_group_t cmd_audit = {
    "audit", "Queries, exports and verifies the audit log (rcmq-audit's transparency log).", s_commands
};
