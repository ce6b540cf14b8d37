/*  patterns: see patterns.h. The steps for one denial:

        1. what it is keyed by: its denied lines' procedures (amounts per
           procedure), or its scrub rule; nothing: it does not count;
        2. one index entry per key, at the denial's opening time;
        3. per key: the entries of the window (count, cents, first and
           last seen, the most frequent CARC) and of the window before
           (for the trend);
        4. at or above the threshold: the pattern is stored and published.
*/
#include "patterns.h"
#include "clock.h"
#include "codec.h"

#define S_INDEX "denials_by_pattern"
#define S_TABLE "denial_patterns"
#define S_KEYS_MAX 64

typedef struct {
    char what [80];             //  procedure code, or "rule:" + rule id
    char carc [16];
    int64_t cents;
} s_key_t;

//  payer \0 what \0 category \0: a key's prefix (fresh; size in *size).
static char *
s_prefix (const char *payer, const char *what, const char *category, size_t *size)
{
    size_t a = strlen (payer) + 1, b = strlen (what) + 1, c = strlen (category) + 1;
    char *prefix = (char *) malloc (a + b + c + 8 + 32);
    memcpy (prefix, payer, a);
    memcpy (prefix + a, what, b);
    memcpy (prefix + a + b, category, c);
    *size = a + b + c;
    return prefix;
}

static s_key_t *
s_find_or_add (s_key_t *keys, size_t *count, const char *what)
{
    for (size_t i = 0; i < *count; i++)
        if (streq (keys [i].what, what))
            return &keys [i];
    if (*count == S_KEYS_MAX)
        return NULL;
    s_key_t *key = &keys [(*count)++];
    memset (key, 0, sizeof *key);
    snprintf (key->what, sizeof key->what, "%s", what);
    return key;
}

//  Step 1: the procedures of the denied lines, each with its amount.
static size_t
s_keys (const DenialItem *item, s_key_t *keys)
{
    size_t count = 0;
    if (streq (item->kind, "intake_rejection")) {
        if (*item->status_code) {
            char what [80];
            snprintf (what, sizeof what, "rule:%s", item->status_code);
            s_key_t *key = s_find_or_add (keys, &count, what);
            key->cents = item->denied_cents;
        }
        return count;
    }
    for (size_t r = 0; r < item->n_reasons; r++) {
        const DenialReason *reason = item->reasons [r];
        if (reason->line_number) {
            const RemitLine *line = NULL;
            for (size_t i = 0; i < item->n_services && !line; i++)
                if (item->services [i]->matched_line_number == reason->line_number)
                    line = item->services [i];
            if (!line && reason->line_number <= item->n_services)
                line = item->services [reason->line_number - 1];
            if (!line || !*line->procedure_code)
                continue;
            s_key_t *key = s_find_or_add (keys, &count, line->procedure_code);
            if (key) {
                key->cents += reason->amount_cents;
                if (!*key->carc)
                    snprintf (key->carc, sizeof key->carc, "%s", reason->carc);
            }
        }
        else {
            //  A claim-level reason: every procedure of the claim, the
            //  amount shared out (the remainder to the first).
            size_t procedures = 0;
            for (size_t i = 0; i < item->n_services; i++)
                if (*item->services [i]->procedure_code && s_find_or_add (keys, &count, item->services [i]->procedure_code))
                    procedures++;
            if (!procedures)
                continue;
            int64_t share = reason->amount_cents / (int64_t) procedures;
            int64_t left = reason->amount_cents - share * (int64_t) procedures;
            bool given = false;
            for (size_t i = 0; i < item->n_services; i++) {
                if (!*item->services [i]->procedure_code)
                    continue;
                s_key_t *key = s_find_or_add (keys, &count, item->services [i]->procedure_code);
                if (!key)
                    continue;
                //  A procedure on two lines takes its share once a line.
                key->cents += share + (given? 0: left);
                given = true;
                if (!*key->carc)
                    snprintf (key->carc, sizeof key->carc, "%s", reason->carc);
            }
        }
    }
    return count;
}

//  The CARCs of a key's window, each with how often it was seen so far.
//  A key's denials name a few CARCs, so a short array searched in order:
//  this runs for every entry of the window each time a denial is counted
//  (a zhashx of strings and an snprintf an entry were most of the scan).
typedef struct {
    char code [16];
    size_t length;
    size_t seen;
} s_carc_t;

typedef struct {
    s_carc_t *rows;
    size_t count, room;
} s_tally_t;

//  One more sighting of the CARC an index value holds (its bytes up to a
//  NUL, at most 15: what the entry's "%.*s" into 16 bytes took); NULL for
//  none.
static s_carc_t *
s_tally (s_tally_t *tally, const char *bytes, size_t size)
{
    size_t length = strnlen (bytes, size < 15? size: 15);
    if (!length)
        return NULL;
    for (size_t i = 0; i < tally->count; i++) {
        s_carc_t *row = &tally->rows [i];
        if (row->length == length && memcmp (row->code, bytes, length) == 0) {
            row->seen++;
            return row;
        }
    }
    if (tally->count == tally->room) {
        tally->room = tally->room? tally->room * 2: 8;
        tally->rows = (s_carc_t *) realloc (tally->rows, tally->room * sizeof (s_carc_t));
        assert (tally->rows);
    }
    s_carc_t *row = &tally->rows [tally->count++];
    memcpy (row->code, bytes, length);
    row->code [length] = 0;
    row->length = length;
    row->seen = 1;
    return row;
}

//  Step 3 and 4 for one key (payer, what, category) at now. recount: a
//  denial left the key (a re-categorization), so a pattern it stood at
//  is stated again even below the threshold — count 0 ends it at intake
//  (services/intake/patterns.c) — and never with a last_seen older than
//  the one intake keeps, which it would take for a stale statement.
static int
s_publish (denials_t *self, MDB_txn *txn, const char *payer, const char *what, const char *category, uint64_t now,
           bool recount)
{
    uint64_t window = (uint64_t) self->pattern_days * CLOCK_MS_PER_DAY;
    uint64_t from = now > window? now - window: 0;
    uint64_t before = from > window? from - window: 0;
    size_t prefix_size;
    char *prefix = s_prefix (payer, what, category, &prefix_size);
    store_iter_t *iter = store_iter_new (self->store, txn, S_INDEX, prefix, prefix_size);
    uint8_t seek [8];
    store_u64_write (seek, before);
    store_iter_seek (iter, seek, sizeof seek);
    uint32_t count = 0, earlier = 0;
    int64_t cents = 0;
    uint64_t first = 0, last = 0;
    s_tally_t carcs = { NULL, 0, 0 };
    char top [16] = "";
    size_t top_count = 0;
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        MDB_val suffix = store_iter_suffix (iter);
        if (suffix.mv_size < 8 || value.mv_size < 8)
            continue;
        uint64_t at = store_u64_read (suffix.mv_data);
        if (at < from) {
            earlier++;
            continue;
        }
        count++;
        cents += (int64_t) store_u64_read (value.mv_data);
        if (!first)
            first = at;
        last = at > last? at: last;
        s_carc_t *carc = s_tally (&carcs, (const char *) value.mv_data + 8, value.mv_size - 8);
        if (carc && carc->seen > top_count) {
            top_count = carc->seen;
            memcpy (top, carc->code, carc->length + 1);
        }
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    free (carcs.rows);
    DenialPattern *stood = NULL;
    if (rc == 0 && recount) {
        MDB_val known;
        rc = store_get (self->store, txn, S_TABLE, prefix, prefix_size, &known);
        if (rc == 0)
            stood = (DenialPattern *) codec_decode (&denial_pattern__descriptor, known.mv_data, known.mv_size);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    if (rc == 0 && stood && count < self->pattern_min) {
        //  It no longer stands: gone from the list, ended at intake.
        DenialPattern ended = DENIAL_PATTERN__INIT;
        bool rule = strncmp (what, "rule:", 5) == 0;
        ended.payer_id = (char *) payer;
        ended.procedure_code = rule? "": (char *) what;
        ended.rule = rule? (char *) what + 5: "";
        ended.category = (char *) category;
        ended.window_days = self->pattern_days;
        ended.first_seen_ms = first;
        ended.last_seen_ms = now > stood->last_seen_ms? now: stood->last_seen_ms;
        ended.trend = "falling";
        ended.carc = top;
        rc = store_del (self->store, txn, S_TABLE, prefix, prefix_size);
        char *event_key = zsys_sprintf ("%s/%s/%s", payer, what, category);
        if (rc == 0)
            rc = outbox_append (self->outbox, txn, "denials", "pattern", event_key, &ended);
        zstr_free (&event_key);
    }
    if (rc == 0 && count >= self->pattern_min) {
        DenialPattern pattern = DENIAL_PATTERN__INIT;
        bool rule = strncmp (what, "rule:", 5) == 0;
        pattern.payer_id = (char *) payer;
        pattern.procedure_code = rule? "": (char *) what;
        pattern.rule = rule? (char *) what + 5: "";
        pattern.category = (char *) category;
        pattern.count = count;
        pattern.cents = cents;
        pattern.window_days = self->pattern_days;
        pattern.first_seen_ms = first;
        pattern.last_seen_ms = stood && stood->last_seen_ms > last? stood->last_seen_ms: last;
        pattern.trend = count > earlier? "rising": count < earlier? "falling": "steady";
        pattern.carc = top;
        size_t packed_size;
        uint8_t *packed = codec_pack (&pattern, &packed_size);
        rc = store_put (self->store, txn, S_TABLE, prefix, prefix_size, packed, packed_size);
        free (packed);
        char *event_key = zsys_sprintf ("%s/%s/%s", payer, what, category);
        if (rc == 0)
            rc = outbox_append (self->outbox, txn, "denials", "pattern", event_key, &pattern);
        zstr_free (&event_key);
    }
    codec_free (stood);
    free (prefix);
    return rc;
}

//  The index key of one of item's keys under category (fresh; size in *size).
static char *
s_entry (const DenialItem *item, const char *what, const char *category, size_t *size)
{
    char *key = s_prefix (item->payer_id, what, category, size);
    store_u64_write ((uint8_t *) key + *size, item->opened_ms);
    size_t id_size = strlen (item->id);
    memcpy (key + *size + 8, item->id, id_size < 31? id_size: 31);
    *size += 8 + (id_size < 31? id_size: 31);
    return key;
}

//  Counts item under its category, publishing each key's pattern at now.
static int
s_count (denials_t *self, MDB_txn *txn, DenialItem *item, uint64_t now)
{
    if (item->pattern_counted || !item->preventable || !*item->payer_id || !*item->category)
        return 0;
    s_key_t keys [S_KEYS_MAX];
    size_t count = s_keys (item, keys);
    if (!count)
        return 0;
    item->pattern_counted = true;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        size_t size;
        char *key = s_entry (item, keys [i].what, item->category, &size);
        uint8_t value [8 + 16];
        store_u64_write (value, (uint64_t) (keys [i].cents > 0? keys [i].cents: 0));
        size_t carc_size = strlen (keys [i].carc);
        memcpy (value + 8, keys [i].carc, carc_size);
        rc = store_put (self->store, txn, S_INDEX, key, size, value, 8 + carc_size);
        free (key);
        if (rc == 0)
            rc = s_publish (self, txn, item->payer_id, keys [i].what, item->category, now, false);
    }
    return rc;
}

int
patterns_count (denials_t *self, MDB_txn *txn, DenialItem *item)
{
    return s_count (self, txn, item, item->opened_ms);
}

int
patterns_recategorize (denials_t *self, MDB_txn *txn, DenialItem *item, const char *old_category, uint64_t now)
{
    int rc = 0;
    if (item->pattern_counted) {
        //  Its entries leave the old category's keys (the reasons and
        //  lines they came from have not changed, so the same keys).
        s_key_t keys [S_KEYS_MAX];
        size_t count = s_keys (item, keys);
        for (size_t i = 0; rc == 0 && i < count; i++) {
            size_t size;
            char *key = s_entry (item, keys [i].what, old_category, &size);
            rc = store_del (self->store, txn, S_INDEX, key, size);
            free (key);
            if (rc == MDB_NOTFOUND)
                rc = 0;
            if (rc == 0)
                rc = s_publish (self, txn, item->payer_id, keys [i].what, old_category, now, true);
        }
        item->pattern_counted = false;
    }
    //  ... and count under the new one when it is preventable, at the
    //  time the denial opened (its place in the window does not move).
    return rc? rc: s_count (self, txn, item, now);
}

//  --------------------------------------------------------------------
//  denials.Patterns

static int
s_compare (const void *a, const void *b)
{
    const DenialPattern *x = *(DenialPattern *const *) a, *y = *(DenialPattern *const *) b;
    if (x->count != y->count)
        return x->count > y->count? -1: 1;
    if (x->cents != y->cents)
        return x->cents > y->cents? -1: 1;
    int rc = strcmp (x->payer_id, y->payer_id);
    return rc? rc: strcmp (x->procedure_code, y->procedure_code);
}

static int
s_patterns (server_call_t *call)
{
    denials_t *self = (denials_t *) service_state ((service_t *) call->state);
    uint64_t now = clock_now_ms ();
    zlistx_t *rows = zlistx_new ();
    store_iter_t *iter = store_iter_new (self->store, call->txn, S_TABLE, NULL, 0);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        DenialPattern *pattern = (DenialPattern *) codec_decode (&denial_pattern__descriptor, value.mv_data,
                                                                 value.mv_size);
        if (!pattern)
            continue;
        uint64_t window = (uint64_t) (pattern->window_days? pattern->window_days: 30) * CLOCK_MS_PER_DAY;
        if (pattern->last_seen_ms + window >= now)
            zlistx_add_end (rows, pattern);
        else
            codec_free (pattern);
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    size_t count = zlistx_size (rows);
    DenialPattern **list = (DenialPattern **) calloc (count + 1, sizeof *list);
    size_t n = 0;
    for (DenialPattern *p = (DenialPattern *) zlistx_first (rows); p; p = (DenialPattern *) zlistx_next (rows))
        list [n++] = p;
    zlistx_destroy (&rows);
    qsort (list, count, sizeof *list, s_compare);
    if (rc == 0) {
        DenialPatternList reply = DENIAL_PATTERN_LIST__INIT;
        reply.n_patterns = count;
        reply.patterns = list;
        server_call_reply (call, &reply);
    }
    for (size_t i = 0; i < count; i++)
        codec_free (list [i]);
    free (list);
    return rc;
}

const server_method_t patterns_methods [] = {
    SERVER_UNSCOPED_METHOD (denials, Patterns, read, NULL, s_patterns),
    { NULL }
};
