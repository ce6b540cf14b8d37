/*  patterns: see patterns.h. One table of patterns, written by the event
    handler, read by patterns_warn inside the batch's transaction.
*/
#include "patterns.h"
#include "clock.h"
#include "codec.h"
#include "denials.pb-c.h"

#define S_TABLE "denial_patterns"

//  payer \0 procedure \0 category (size in *size): the table's key. Free it.
static char *
s_key (const char *payer_id, const char *procedure, const char *category, size_t *size)
{
    size_t payer_size = strlen (payer_id) + 1, procedure_size = strlen (procedure) + 1;
    size_t category_size = category? strlen (category): 0;
    char *key = (char *) malloc (payer_size + procedure_size + category_size + 1);
    memcpy (key, payer_id, payer_size);
    memcpy (key + payer_size, procedure, procedure_size);
    if (category)
        memcpy (key + payer_size + procedure_size, category, category_size);
    *size = payer_size + procedure_size + category_size;
    return key;
}

//  denials.pattern: the newest statement of a pattern stands (a replayed
//  or late older one does not undo it); count 0 ends it.
static int
s_on_pattern (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    const DenialPattern *pattern = (const DenialPattern *) message;
    if (!*pattern->payer_id || !*pattern->category || (!*pattern->procedure_code && !*pattern->rule))
        //  A pattern of nothing cannot warn on anything, and skipping it
        //  would hide a producer's bug: the stream stops on it (ADR 0009).
        return store_fail (store, "%s.%s #%" PRIu64 " names no payer, category, or procedure or rule: refused",
                           event->stream, event->type, event->stream_seq);
    char *what = *pattern->procedure_code? strdup (pattern->procedure_code)
               : zsys_sprintf ("rule:%s", pattern->rule);
    size_t size;
    char *key = s_key (pattern->payer_id, what, pattern->category, &size);
    free (what);
    MDB_val value;
    int rc = store_get (store, txn, S_TABLE, key, size, &value);
    if (rc == 0) {
        DenialPattern *known = (DenialPattern *) codec_decode (&denial_pattern__descriptor, value.mv_data,
                                                               value.mv_size);
        bool older = known && known->last_seen_ms > pattern->last_seen_ms;
        codec_free (known);
        if (older) {
            free (key);
            return 0;
        }
    }
    else
    if (rc != MDB_NOTFOUND) {
        free (key);
        return rc;
    }
    if (pattern->count == 0) {
        rc = store_del (store, txn, S_TABLE, key, size);
        free (key);
        return rc == MDB_NOTFOUND? 0: rc;
    }
    size_t packed_size;
    uint8_t *packed = codec_pack (pattern, &packed_size);
    rc = store_put (store, txn, S_TABLE, key, size, packed, packed_size);
    free (packed);
    free (key);
    return rc;
}

const consumer_event_t patterns_events [] = {
    { "denials", "pattern", &denial_pattern__descriptor, s_on_pattern },
    { NULL }
};

static void
s_add_warning (ScrubResult *result, const char *field, const char *message)
{
    ScrubFinding *finding = (ScrubFinding *) malloc (sizeof (ScrubFinding));
    scrub_finding__init (finding);
    finding->rule_id = strdup (PATTERNS_RULE_ID);
    finding->severity = SEVERITY__SEVERITY_WARNING;
    finding->field = strdup (field);
    finding->message = strdup (message);
    result->findings = (ScrubFinding **) realloc (result->findings,
                                                  (result->n_findings + 1) * sizeof (ScrubFinding *));
    result->findings [result->n_findings++] = finding;
    result->warnings++;
}

static bool
s_live (const DenialPattern *pattern, uint64_t now_ms)
{
    uint64_t window = (uint64_t) (pattern->window_days? pattern->window_days: 30) * CLOCK_MS_PER_DAY;
    return pattern->last_seen_ms + window >= now_ms;
}

int
patterns_warn (intake_t *intake, MDB_txn *txn, const char *payer_id, const Claim *claim,
               ScrubResult *result, uint64_t now_ms)
{
    if (!payer_id || !*payer_id)
        return 0;
    //  No pattern at all (a deployment whose denials have found none yet):
    //  nothing to look up, where each line was a key built and an iterator
    //  opened (~4.5 K instructions a claim, issue 19). mdb_stat reads the
    //  table's count from the transaction; it fails only for a bad txn.
    MDB_stat stat;
    int rc = mdb_stat (txn, store_table (intake->store, S_TABLE), &stat);
    if (rc || stat.ms_entries == 0)
        return rc;
    for (size_t l = 0; l < claim->n_lines; l++) {
        const ServiceLine *line = claim->lines [l];
        if (!*line->procedure_code)
            continue;
        size_t size;
        char *prefix = s_key (payer_id, line->procedure_code, NULL, &size);
        store_iter_t *iter = store_iter_new (intake->store, txn, S_TABLE, prefix, size);
        MDB_val key, value;
        while (store_iter_next (iter, &key, &value)) {
            DenialPattern *pattern = (DenialPattern *) codec_decode (&denial_pattern__descriptor, value.mv_data,
                                                                     value.mv_size);
            if (pattern && s_live (pattern, now_ms)) {
                char field [64], message [512];
                snprintf (field, sizeof field, "lines[%u].procedure_code", line->line_number);
                snprintf (message, sizeof message,
                          "payer %s denied procedure %s %u times for %s%s%s in the last %u days ($%" PRId64
                          ".%02" PRId64 ", trend %s): check it before the claim goes out",
                          pattern->payer_id, pattern->procedure_code, pattern->count, pattern->category,
                          *pattern->carc? ", CARC ": "", pattern->carc, pattern->window_days? pattern->window_days: 30,
                          pattern->cents / 100, pattern->cents % 100, *pattern->trend? pattern->trend: "unknown");
                s_add_warning (result, field, message);
            }
            codec_free (pattern);
        }
        rc = store_iter_error (iter);
        store_iter_destroy (&iter);
        free (prefix);
        if (rc)
            return rc;
    }
    return 0;
}
