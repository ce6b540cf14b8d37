/*  rcmq-audit-verify: checks an audit export offline (issue 16, docs/
    audit.md): no service, no network, only the folder, a verifier key and
    optionally a checkpoint held elsewhere. It links common/ only.

        rcmq-audit-verify DIR [--checkpoint FILE] [--key VERIFIER]

    The steps, each naming what fails:
      1. the key: --key (the key's text, or a file holding it), else the
         export's verifier.key (said: an export vouches for itself only as
         far as its key is the one you hold);
      2. manifest.sig: audit's signed note over manifest.json's SHA-256;
         each file the manifest lists, its size and SHA-256; no file in
         checkpoints/ that it does not list;
      3. every checkpoint: its signature, its origin, sizes that never go
         down from one checkpoint to the next (a rollback);
      4. records.jsonl: each line's leaf hash and fields against its leaf;
         a full export's indexes run 0, 1, 2 ... (a gap is a deletion, a
         repeat or a step back an insertion or a reordering) and the tree
         recomputed from the leaves gives every checkpoint's root, and the
         consistency proof from each checkpoint to the next verifies; an
         export with proofs: each record's inclusion proof against the
         checkpoint it carries;
      5. --checkpoint FILE: a checkpoint seen before must be a prefix of
         this log (consistency) — else the log was rolled back or forked.
    Records after the last checkpoint are reported as unsealed (not a
    failure). Exit 0 only when everything verifies, 1 when anything fails,
    2 on a bad command line.
*/
#include "note.h"
#include "sha256.h"
#include "tlog.h"
#include "codec.h"
#include "audit.pb-c.h"

#include <czmq.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>

#define VERIFY_MAX_FAILURES 50

typedef struct {
    int failures;
    int notes;
} s_report_t;

static s_report_t s_report;

static void
s_fail (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    if (++s_report.failures <= VERIFY_MAX_FAILURES) {
        printf ("FAIL ");
        vprintf (format, args);
        printf ("\n");
    }
    va_end (args);
}

static void
s_note (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    printf ("note ");
    vprintf (format, args);
    printf ("\n");
    va_end (args);
}

static void
s_ok (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    printf ("ok   ");
    vprintf (format, args);
    printf ("\n");
    va_end (args);
}

//  A file's bytes, NUL-terminated (zchunk); NULL when it cannot be read.
static zchunk_t *
s_read (const char *dir, const char *name)
{
    char *path = dir? zsys_sprintf ("%s/%s", dir, name): strdup (name);
    zchunk_t *chunk = zsys_file_exists (path)? zchunk_slurp (path, 0): NULL;
    if (chunk)
        zchunk_extend (chunk, "", 1);
    zstr_free (&path);
    return chunk;
}

static size_t
s_size (zchunk_t *chunk)
{
    return zchunk_size (chunk) - 1;         //  without the NUL we added
}

static long
s_unbase64 (const char *text, uint8_t *out, size_t max)
{
    size_t size;
    const char *end;
    if (!text || sodium_base642bin (out, max, text, strlen (text), NULL, &size, &end,
                                    sodium_base64_VARIANT_ORIGINAL) != 0 || *end)
        return -1;
    return (long) size;
}

typedef struct {
    char name [64];
    uint64_t size;
    tlog_hash_t root;
} s_checkpoint_t;

static int
s_checkpoint_compare (const void *a, const void *b)
{
    return strcmp (((const s_checkpoint_t *) a)->name, ((const s_checkpoint_t *) b)->name);
}

//  Opens and reads one checkpoint note: 0, or -1 (failure reported).
static int
s_checkpoint_read (note_verifier_t *verifier, const char *what, const char *data, size_t size,
                   const char *origin, s_checkpoint_t *checkpoint)
{
    char *text, error [256], found [256];
    if (note_open (verifier, data, size, &text, error, sizeof error)) {
        s_fail ("%s: %s", what, error);
        return -1;
    }
    int rc = note_checkpoint_parse (text, found, sizeof found, &checkpoint->size, checkpoint->root,
                                    error, sizeof error);
    free (text);
    if (rc) {
        s_fail ("%s: %s", what, error);
        return -1;
    }
    if (origin && strcmp (found, origin) != 0) {
        s_fail ("%s: its origin '%s' is not this log's '%s'", what, found, origin);
        return -1;
    }
    return 0;
}

//  The leaf of a line, and its hash checked against the line's.
static uint8_t *
s_line_leaf (json_t *line, uint64_t index, size_t *size, tlog_hash_t hash)
{
    const char *text = json_string_value (json_object_get (line, "leaf"));
    size_t max = text? strlen (text): 0;
    uint8_t *leaf = (uint8_t *) malloc (max + 1);
    long length = s_unbase64 (text, leaf, max + 1);
    if (length < 0) {
        s_fail ("record %" PRIu64 ": its leaf is not base64", index);
        free (leaf);
        return NULL;
    }
    *size = (size_t) length;
    tlog_leaf_hash (leaf, *size, hash);
    tlog_hash_t stated;
    if (s_unbase64 (json_string_value (json_object_get (line, "leaf_hash")), stated, sizeof stated) != TLOG_HASH_SIZE
    ||  memcmp (stated, hash, TLOG_HASH_SIZE) != 0)
        s_fail ("record %" PRIu64 ": leaf_hash is not the hash of its leaf (the line was modified)", index);
    //  The fields a reader reads must be the leaf's own.
    AuditRecord *record = (AuditRecord *) codec_decode (&audit_record__descriptor, leaf, *size);
    if (!record)
        s_fail ("record %" PRIu64 ": its leaf is not an AuditRecord", index);
    else {
        const char *actor = json_string_value (json_object_get (line, "actor"));
        const char *method = json_string_value (json_object_get (line, "method"));
        const char *stream = json_string_value (json_object_get (line, "stream"));
        json_int_t seq = json_integer_value (json_object_get (line, "seq"));
        const AccessEvent *access = record->access;
        if (!actor || strcmp (actor, access? access->actor_name: "") != 0
        ||  !method || strcmp (method, access? access->method: "") != 0
        ||  !stream || strcmp (stream, record->stream) != 0 || (uint64_t) seq != record->seq)
            s_fail ("record %" PRIu64 ": its fields are not its leaf's (the line was modified)", index);
        codec_free (record);
    }
    return leaf;
}

static void
s_usage (void)
{
    printf ("Usage: rcmq-audit-verify DIR [--checkpoint FILE] [--key VERIFIER]\n\n"
            "Checks an export of rcmq's audit log (rcmqctl audit export) offline: its\n"
            "signatures, its manifest, every record against the signed checkpoints, and\n"
            "(--checkpoint) that the log extends a checkpoint held outside it. VERIFIER is\n"
            "the key `rcmqctl audit key` prints, or a file holding it. Exit 0 only when\n"
            "everything verifies.\n");
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "checkpoint", required_argument, 0, 'c' },
        { "key",        required_argument, 0, 'k' },
        { "help",       no_argument,       0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *outside = NULL, *key_arg = NULL;
    int option;
    while ((option = getopt_long (argc, argv, "c:k:h", options, NULL)) != -1) {
        if (option == 'c')
            outside = optarg;
        else
        if (option == 'k')
            key_arg = optarg;
        else {
            s_usage ();
            return option == 'h'? 0: 2;
        }
    }
    if (optind != argc - 1) {
        s_usage ();
        return 2;
    }
    if (sodium_init () < 0)
        return 1;
    const char *dir = argv [optind];

    //  1. The key
    char *key_text = NULL;
    if (key_arg) {
        zchunk_t *file = zsys_file_exists (key_arg)? s_read (NULL, key_arg): NULL;
        key_text = strdup (file? (const char *) zchunk_data (file): key_arg);
        zchunk_destroy (&file);
    }
    else {
        zchunk_t *file = s_read (dir, "verifier.key");
        if (!file) {
            printf ("FAIL %s/verifier.key: missing, and no --key given\n", dir);
            return 1;
        }
        key_text = strdup ((const char *) zchunk_data (file));
        zchunk_destroy (&file);
        s_note ("the key is the export's own verifier.key: pass --key with the key you hold "
                "(`rcmqctl audit key`) to know the export is that log's");
    }
    key_text [strcspn (key_text, "\r\n")] = 0;
    char error [512];
    note_verifier_t *verifier = note_verifier_new (key_text, error, sizeof error);
    free (key_text);
    if (!verifier) {
        printf ("FAIL the verifier key: %s\n", error);
        return 1;
    }
    const char *origin = note_verifier_name (verifier);

    //  2. The manifest and its signature
    zchunk_t *manifest_file = s_read (dir, "manifest.json");
    zchunk_t *signature = s_read (dir, "manifest.sig");
    json_t *manifest = manifest_file? json_loads ((const char *) zchunk_data (manifest_file), 0, NULL): NULL;
    bool full = true;
    if (!manifest || !signature)
        s_fail ("manifest.json or manifest.sig: missing or not JSON");
    else {
        char *text;
        uint8_t digest [SHA256_BYTES];
        char hex [65], want [256];
        sha256 (digest, zchunk_data (manifest_file), s_size (manifest_file));
        sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
        snprintf (want, sizeof want, "%s export manifest\nsha256 %s\n", origin, hex);
        if (note_open (verifier, (const char *) zchunk_data (signature), s_size (signature), &text,
                       error, sizeof error))
            s_fail ("manifest.sig: %s", error);
        else {
            if (strcmp (text, want) != 0)
                s_fail ("manifest.sig: it signs another manifest.json (the manifest was modified)");
            else
                s_ok ("manifest.json is signed by %s", origin);
            free (text);
        }
        full = streq (json_string_value (json_object_get (manifest, "kind")) ?: "", "full");
        size_t i;
        json_t *file;
        json_array_foreach (json_object_get (manifest, "files"), i, file) {
            const char *name = json_string_value (json_object_get (file, "name"));
            zchunk_t *data = name? s_read (dir, name): NULL;
            if (!data) {
                s_fail ("%s: listed in the manifest, missing (deleted)", name? name: "(no name)");
                continue;
            }
            sha256 (digest, zchunk_data (data), s_size (data));
            sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
            const char *stated = json_string_value (json_object_get (file, "sha256"));
            if ((json_int_t) s_size (data) != json_integer_value (json_object_get (file, "size"))
            ||  !stated || strcmp (stated, hex) != 0)
                s_fail ("%s: its size or SHA-256 is not the manifest's (the file was changed)", name);
            zchunk_destroy (&data);
        }
    }

    //  3. The checkpoints, in the order of their numbers
    s_checkpoint_t *checkpoints = NULL;
    size_t n_checkpoints = 0, checkpoints_size = 0;
    char *checkpoints_dir = zsys_sprintf ("%s/checkpoints", dir);
    zdir_t *folder = zdir_new (checkpoints_dir, NULL);
    zstr_free (&checkpoints_dir);
    zlist_t *files = folder? zdir_list (folder): NULL;
    for (zfile_t *file = files? (zfile_t *) zlist_first (files): NULL; file; file = (zfile_t *) zlist_next (files)) {
        const char *name = strrchr (zfile_filename (file, NULL), '/');
        name = name? name + 1: zfile_filename (file, NULL);
        if (n_checkpoints == checkpoints_size) {
            checkpoints_size = checkpoints_size? checkpoints_size * 2: 256;
            checkpoints = (s_checkpoint_t *) realloc (checkpoints, checkpoints_size * sizeof (s_checkpoint_t));
        }
        char listed [128];
        snprintf (listed, sizeof listed, "checkpoints/%s", name);
        bool in_manifest = false;
        size_t i;
        json_t *entry;
        json_array_foreach (json_object_get (manifest, "files"), i, entry)
            if (streq (json_string_value (json_object_get (entry, "name")) ?: "", listed))
                in_manifest = true;
        if (!in_manifest)
            s_fail ("%s: not in the manifest (inserted)", listed);
        zchunk_t *data = s_read (NULL, zfile_filename (file, NULL));
        s_checkpoint_t *checkpoint = &checkpoints [n_checkpoints];
        snprintf (checkpoint->name, sizeof checkpoint->name, "%s", name);
        if (data && s_checkpoint_read (verifier, listed, (const char *) zchunk_data (data), s_size (data),
                                       origin, checkpoint) == 0)
            n_checkpoints++;
        zchunk_destroy (&data);
    }
    zlist_destroy (&files);
    zdir_destroy (&folder);
    if (n_checkpoints)
        qsort (checkpoints, n_checkpoints, sizeof checkpoints [0], s_checkpoint_compare);
    for (size_t i = 1; i < n_checkpoints; i++)
        if (checkpoints [i].size < checkpoints [i - 1].size)
            s_fail ("checkpoints %s (size %" PRIu64 ") then %s (size %" PRIu64 "): the log went back "
                    "(a rollback)", checkpoints [i - 1].name, checkpoints [i - 1].size,
                    checkpoints [i].name, checkpoints [i].size);
    if (n_checkpoints == 0)
        s_fail ("checkpoints/: no checkpoint verifies: nothing in the export is sealed");
    else
        s_ok ("%zu checkpoint(s) signed by %s; the last seals %" PRIu64 " records", n_checkpoints, origin,
              checkpoints [n_checkpoints - 1].size);
    const s_checkpoint_t *last = n_checkpoints? &checkpoints [n_checkpoints - 1]: NULL;

    //  4. The records
    zchunk_t *records = s_read (dir, "records.jsonl");
    if (!records)
        s_fail ("records.jsonl: missing");
    tlog_mem_t *tree = tlog_mem_new ();
    uint64_t expected = 0, lines = 0, unsealed = 0, previous = UINT64_MAX;
    size_t next_checkpoint = 0;
    bool order_broken = false;
    //  Every line's index first, to tell a reordering from a deletion.
    uint64_t *indexes = NULL;
    size_t n_indexes = 0;
    if (records) {
        char *copy = strdup ((const char *) zchunk_data (records)), *at = NULL;
        for (char *row = strtok_r (copy, "\n", &at); row; row = strtok_r (NULL, "\n", &at)) {
            json_t *line = json_loads (row, 0, NULL);
            indexes = (uint64_t *) realloc (indexes, (n_indexes + 1) * sizeof (uint64_t));
            indexes [n_indexes++] = (uint64_t) json_integer_value (json_object_get (line, "index"));
            json_decref (line);
        }
        free (copy);
    }
    bool root_failed = false;
    char *save = NULL;
    char *text = records? (char *) zchunk_data (records): NULL;
    for (char *row = text? strtok_r (text, "\n", &save): NULL; row; row = strtok_r (NULL, "\n", &save)) {
        lines++;
        json_t *line = json_loads (row, 0, NULL);
        json_t *index_json = line? json_object_get (line, "index"): NULL;
        if (!json_is_integer (index_json) || json_integer_value (index_json) < 0) {
            s_fail ("records.jsonl line %" PRIu64 ": not a record (no index)", lines);
            json_decref (line);
            continue;
        }
        uint64_t index = (uint64_t) json_integer_value (index_json);
        if (full && index != expected && !order_broken) {
            //  Where the record that belongs here is tells a reordering
            //  (it is further down) from a deletion (it is nowhere after).
            uint64_t found_at = 0;
            for (size_t i = (size_t) lines; i < n_indexes && !found_at; i++)
                if (indexes [i] == expected)
                    found_at = (uint64_t) i + 1;
            if (index < expected)
                s_fail ("line %" PRIu64 " holds record %" PRIu64 " where record %" PRIu64 " belongs "
                        "(inserted)", lines, index, expected);
            else
            if (found_at)
                s_fail ("line %" PRIu64 " holds record %" PRIu64 " where record %" PRIu64 " belongs; that "
                        "record is on line %" PRIu64 " (reordered)", lines, index, expected, found_at);
            else
                s_fail ("record %" PRIu64 " is missing: line %" PRIu64 " holds record %" PRIu64 " (deleted)",
                        expected, lines, index);
            order_broken = true;        //  the tree below names the range
        }
        expected++;
        if (!full && previous != UINT64_MAX && index <= previous)
            s_fail ("line %" PRIu64 ": record %" PRIu64 " comes after record %" PRIu64 " (inserted or reordered)",
                    lines, index, previous);
        previous = index;
        size_t size;
        tlog_hash_t hash;
        uint8_t *leaf = s_line_leaf (line, index, &size, hash);
        if (full) {
            //  The tree over the lines as they stand, whatever their
            //  indexes say: every checkpoint's root must come out of it.
            tlog_mem_append_hash (tree, hash);
            uint64_t count = tlog_mem_size (tree);
            while (next_checkpoint < n_checkpoints && checkpoints [next_checkpoint].size <= count) {
                const s_checkpoint_t *checkpoint = &checkpoints [next_checkpoint++];
                if (checkpoint->size < count)
                    continue;       //  size 0, or already passed
                tlog_hash_t root;
                tlog_root_with (tlog_mem_read, tree, count, root);
                //  The first checkpoint that fails names the range; every
                //  later one fails with it and says nothing more.
                if (memcmp (root, checkpoint->root, TLOG_HASH_SIZE) != 0 && !root_failed) {
                    s_fail ("checkpoint %s: the records 0 to %" PRIu64 " do not give its root: one of them "
                            "was changed, inserted, deleted or moved (and so every later checkpoint fails)",
                            checkpoint->name, count - 1);
                    root_failed = true;
                }
            }
            if (last && count > last->size)
                unsealed++;
        }
        else
        if (leaf) {
            json_t *proof = json_object_get (line, "proof");
            if (!proof) {
                if (last && index < last->size)
                    s_fail ("record %" PRIu64 ": no inclusion proof, yet sealed by checkpoint %s", index, last->name);
                else
                    unsealed++;
            }
            else {
                tlog_hash_t hashes [TLOG_PROOF_MAX];
                size_t n = 0, i;
                json_t *item;
                bool good = json_array_size (proof) <= TLOG_PROOF_MAX;
                json_array_foreach (proof, i, item)
                    if (good && s_unbase64 (json_string_value (item), hashes [n++], TLOG_HASH_SIZE) != TLOG_HASH_SIZE)
                        good = false;
                uint64_t tree_size = (uint64_t) json_integer_value (json_object_get (line, "tree_size"));
                if (!last || tree_size != last->size)
                    s_fail ("record %" PRIu64 ": its proof is for a tree of %" PRIu64 ", no checkpoint here seals it",
                            index, tree_size);
                else
                if (!good || !tlog_verify_inclusion (index, last->size, hash, hashes, n, last->root))
                    s_fail ("record %" PRIu64 ": its inclusion proof does not verify against checkpoint %s "
                            "(the record or its proof was changed)", index, last->name);
            }
        }
        free (leaf);
        json_decref (line);
    }
    free (indexes);
    if (full && last) {
        uint64_t count = tlog_mem_size (tree);
        if (count < last->size)
            s_fail ("the export ends after %" PRIu64 " records; checkpoint %s seals %" PRIu64 " (truncated)",
                    count, last->name, last->size);
        else
        if (!root_failed) {
            //  Each checkpoint is a prefix of the next: their consistency
            //  proofs, as a client that saw only them would check.
            for (size_t i = 1; i < n_checkpoints; i++) {
                const s_checkpoint_t *a = &checkpoints [i - 1], *b = &checkpoints [i];
                if (a->size == 0)
                    continue;
                tlog_hash_t proof [TLOG_PROOF_MAX];
                size_t n;
                if (tlog_consistency_with (tlog_mem_read, tree, a->size, b->size, proof, &n) != 0
                ||  !tlog_verify_consistency (a->size, b->size, proof, n, a->root, b->root))
                    s_fail ("checkpoints %s and %s: not consistent (the later is not an extension)", a->name, b->name);
            }
        }
    }

    //  5. A checkpoint held outside the export
    if (outside) {
        zchunk_t *data = s_read (NULL, outside);
        s_checkpoint_t held;
        if (!data)
            s_fail ("--checkpoint %s: cannot be read", outside);
        else
        if (s_checkpoint_read (verifier, outside, (const char *) zchunk_data (data), s_size (data), origin, &held) == 0) {
            uint64_t have = full? tlog_mem_size (tree): (last? last->size: 0);
            if (held.size > have || (last && held.size > last->size))
                s_fail ("--checkpoint %s seals %" PRIu64 " records; this log's latest checkpoint seals %" PRIu64
                        ": this log is older than it (an export taken before it, or a log rolled back)", outside, held.size, last? last->size: 0);
            else
            if (full && held.size > 0) {
                tlog_hash_t root;
                tlog_root_with (tlog_mem_read, tree, held.size, root);
                if (memcmp (root, held.root, TLOG_HASH_SIZE) != 0)
                    s_fail ("--checkpoint %s: this log's first %" PRIu64 " records are not the ones it signed: "
                            "the log forked", outside, held.size);
                else
                    s_ok ("this log extends the checkpoint %s (size %" PRIu64 ")", outside, held.size);
            }
            else
            if (held.size > 0 && last && held.size == last->size && memcmp (held.root, last->root, TLOG_HASH_SIZE) != 0)
                s_fail ("--checkpoint %s and checkpoint %s: the same size, another tree: the log forked",
                        outside, last->name);
            else
                s_note ("--checkpoint %s: an export with proofs carries no consistency proof from it", outside);
        }
        zchunk_destroy (&data);
    }

    if (unsealed)
        s_note ("%" PRIu64 " record(s) after the last checkpoint are unsealed: no checkpoint vouches for them yet",
                unsealed);
    if (s_report.failures == 0)
        s_ok ("%" PRIu64 " records verify (%s)", lines, full? "the whole log recomputed": "inclusion proofs");
    printf ("%s: %d failure(s)\n", s_report.failures? "FAILED": "VERIFIED", s_report.failures);
    free (checkpoints);
    tlog_mem_destroy (&tree);
    zchunk_destroy (&records);
    zchunk_destroy (&manifest_file);
    zchunk_destroy (&signature);
    json_decref (manifest);
    note_verifier_destroy (&verifier);
    return s_report.failures? 1: 0;
}
