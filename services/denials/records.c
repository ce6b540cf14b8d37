/*  records: see records.h.

    Opening a denial: the remit key (PCN \0 payer \0 trace) finds the one
    the remit opened already; else a new id (DEN- and ten digits, from
    the meta counter) and a new record in state new. Then, either way:
    its reasons (when the event carries any), the primary reason (the
    largest amount) and what it means (common/carc: category, preventable,
    team; an unknown CARC is `other`, counted in denials_meta), its
    appeal deadline from the payer's window (appeal.h) and the remit date,
    the deadline index, a history entry, the event (opened, or
    categorized when an added reason changed the category), and for a new
    one its `denial` work item, due at the deadline (the built-in `denial`
    SLA policy escalates at 50 % and 80 % of the run and as the last five
    business days begin: common/sla.c).
*/
#include "records.h"
#include "denialpack.h"
#include "patterns.h"
#include "workflow.h"
#include "carc.h"
#include "clock.h"
#include "codec.h"


//  --------------------------------------------------------------------
//  Keys

static char *
s_remit_key (const char *pcn, const char *payer, const char *trace, size_t *size)
{
    size_t a = strlen (pcn) + 1, b = strlen (payer) + 1, c = strlen (trace);
    char *key = (char *) malloc (a + b + c + 1);
    memcpy (key, pcn, a);
    memcpy (key + a, payer, b);
    memcpy (key + a + b, trace, c + 1);
    *size = a + b + c;
    return key;
}

static char *
s_pair_key (const char *first, const char *second, size_t *size)
{
    size_t a = strlen (first) + 1, b = strlen (second);
    char *key = (char *) malloc (a + b + 1);
    memcpy (key, first, a);
    memcpy (key + a, second, b + 1);
    *size = a + b;
    return key;
}

static size_t
s_deadline_key (uint8_t *key, size_t size, uint64_t deadline_ms, const char *id)
{
    size_t length = strlen (id);
    assert (length + 8 <= size);
    store_u64_write (key, deadline_ms);
    memcpy (key + 8, id, length);
    return length + 8;
}

bool
records_indexed (const DenialItem *item)
{
    return item->deadline_ms && !item->missed_deadline && workflow_before_action (item->state);
}

//  --------------------------------------------------------------------

int
records_get (denials_t *self, MDB_txn *txn, const char *id, DenialItem **item_p)
{
    *item_p = NULL;
    MDB_val value;
    int rc = store_get (self->store, txn, "denials", id, strlen (id), &value);
    if (rc)
        return rc;
    *item_p = (DenialItem *) codec_decode (&denial_item__descriptor, value.mv_data, value.mv_size);
    return *item_p? 0: MDB_CORRUPTED;
}

void
records_history (DenialItem *item, uint64_t when, const char *actor, const char *what,
                 const char *from, const char *to, const char *reason)
{
    DenialHistory *entry = (DenialHistory *) malloc (sizeof *entry);
    assert (entry);
    denial_history__init (entry);
    entry->time_ms = when;
    codec_set_text (&entry->actor, actor);
    codec_set_text (&entry->what, what);
    codec_set_text (&entry->from, from? from: "");
    codec_set_text (&entry->to, to? to: "");
    codec_set_text (&entry->reason, reason? reason: "");
    codec_append (&item->history, &item->n_history, entry);
}

//  The event carries the denial without its history (it grows).
static int
s_emit (denials_t *self, MDB_txn *txn, const char *type, const DenialItem *item)
{
    DenialItem light = *item;
    light.n_history = 0;
    light.history = NULL;
    return outbox_append (self->outbox, txn, "denials", type, item->id, &light);
}

//  The denial's record and its event from one pack of the item without
//  its history (issue 19: the item was packed whole for the store, then
//  again less its history for the event). An item that holds fields this
//  code does not know (protobuf-c keeps them at the end, after the
//  history) is packed twice, as before.
static int
s_put_and_emit (denials_t *self, MDB_txn *txn, const char *type, const DenialItem *item)
{
    if (item->base.n_unknown_fields) {
        int rc = store_put_message (self->store, txn, "denials", item->id, item);
        return rc? rc: s_emit (self, txn, type, item);
    }
    DenialItem light = *item;
    light.n_history = 0;
    light.history = NULL;
    size_t light_size = protobuf_c_message_get_packed_size (&light.base);
    uint8_t *bytes = (uint8_t *) malloc (light_size? light_size: 1);
    assert (bytes);
    protobuf_c_message_pack (&light.base, bytes);
    MDB_val key = { strlen (item->id), item->id };
    MDB_val value = { light_size + denialpack_history_size (item), NULL };
    int rc = mdb_put (txn, store_table (self->store, "denials"), &key, &value, MDB_RESERVE);
    //  The reserved bytes are ours until the next write of the transaction.
    if (rc == 0)
        denialpack_stored (item, bytes, light_size, (uint8_t *) value.mv_data);
    if (rc == 0)
        rc = outbox_append_raw (self->outbox, txn, "denials", type, item->id, bytes, light_size);
    free (bytes);
    return rc;
}

int
records_save (denials_t *self, MDB_txn *txn, DenialItem *item, uint64_t old_deadline_ms, bool was_indexed,
              const char *type)
{
    uint8_t key [WORKITEM_KEY_MAX + 8];
    int rc = 0;
    if (was_indexed) {
        size_t size = s_deadline_key (key, sizeof key, old_deadline_ms, item->id);
        rc = store_del (self->store, txn, "denials_by_deadline", key, size);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    if (rc == 0 && records_indexed (item)) {
        size_t size = s_deadline_key (key, sizeof key, item->deadline_ms, item->id);
        rc = store_put (self->store, txn, "denials_by_deadline", key, size, "", 0);
    }
    //  What a reply works out now is not stored.
    int64_t priority = item->priority;
    item->priority = 0;
    //  The event carries what a reply worked out (a request's item): its
    //  bytes are not the stored ones then, and it is packed on its own.
    if (rc == 0)
        rc = type && priority == 0? s_put_and_emit (self, txn, type, item)
                                  : store_put_message (self->store, txn, "denials", item->id, item);
    item->priority = priority;
    if (rc == 0 && type && priority != 0)
        rc = s_emit (self, txn, type, item);
    return rc;
}

//  A refusal of the work-item model inside a consumer's or request's
//  transaction is a bug or a bad store: the change aborts, saying why.
static int
s_work_result (denials_t *self, int rc)
{
    if (rc == WORKITEM_REFUSED)
        return store_fail (self->store, "denial work item: %s", workitem_error (self->work));
    return rc;
}

//  The work item follows the denial's state (when it is not final: a
//  person may have closed the item with `work state`).
static int
s_sync_work (denials_t *self, MDB_txn *txn, const DenialItem *item, const char *actor, const char *note,
             uint64_t now)
{
    if (!self->work || !*item->work_item)
        return 0;
    WorkItem *work;
    int rc = workitem_get (self->work, txn, item->work_item, &work);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    const char *to = workflow_work_state (item->state);
    if (!workstate_final (work->state)) {
        rc = workitem_set_subject_state (self->work, txn, item->work_item, item->state, now);
        if (rc == 0 && !streq (work->state, to))
            rc = workitem_set_state (self->work, txn, item->work_item, to, actor, note, now, NULL);
    }
    codec_free (work);
    return s_work_result (self, rc);
}

int
records_move (denials_t *self, MDB_txn *txn, DenialItem *item, const char *to, const char *actor,
              const char *reason, uint64_t now)
{
    bool was_indexed = records_indexed (item);
    char from [32];
    snprintf (from, sizeof from, "%s", item->state);
    codec_set_text (&item->state, to);
    item->updated_ms = now;
    records_history (item, now, actor, "state", from, to, reason);
    bool resolved = workflow_final (to) || streq (to, "lost");
    if (resolved) {
        //  A write-off that waited for approval is moot once it ends otherwise.
        codec_free (item->write_off);
        item->write_off = NULL;
        item->resolved_ms = now;
        codec_set_text (&item->resolution_reason, reason? reason: "");
    }
    //  An appeal is its own event (issue 17's denials.appealed): what
    //  metrics' days to appeal and overturn rate count from.
    int rc = records_save (self, txn, item, item->deadline_ms, was_indexed,
                           resolved? "resolved": streq (to, "appealed")? "appealed": "state_changed");
    if (rc == 0)
        rc = s_sync_work (self, txn, item, actor, reason, now);
    return rc;
}

//  --------------------------------------------------------------------
//  Opening

//  The reason with the largest amount (the first of equals).
static const DenialReason *
s_primary (const DenialItem *item)
{
    const DenialReason *best = NULL;
    for (size_t i = 0; i < item->n_reasons; i++)
        if (!best || item->reasons [i]->amount_cents > best->amount_cents)
            best = item->reasons [i];
    return best;
}

//  The date part of a remit date or an instant, as YYYY-MM-DD.
static void
s_date (const char *date, uint64_t time_ms, char *out, size_t size)
{
    if (date && strlen (date) == 8)
        snprintf (out, size, "%.4s-%.2s-%.2s", date, date + 4, date + 6);
    else
    if (date && strlen (date) == 10)
        snprintf (out, size, "%s", date);
    else
        clock_format_date (time_ms, out, size);
}

//  The deadline from the payer's window of the denial's level. An intake
//  rejection never reached the payer: its clock is the payer's timely
//  filing limit (level 0) from the date of service (the day intake
//  received it when the claim carried no date).
static int
s_deadline (denials_t *self, DenialItem *item)
{
    const char *group = item->dims && *item->dims->payer_group? item->dims->payer_group: "default";
    bool filing = streq (item->kind, "intake_rejection");
    unsigned level = filing? 0: item->appeal_level? item->appeal_level: 1;
    const appeal_window_t *window = appeal_window_find (&self->windows, item->payer_id, group, level);
    if (!window)
        return store_fail (self->store, "denial %s: no %s for payer %s (group %s) level %u", item->id,
                           filing? "timely-filing limit": "appeal window", item->payer_id, group, level);
    char deadline [16], policy [200];
    uint64_t end_ms;
    const char *from = item->remit_date;
    char ignored [16];
    uint64_t ignored_ms;
    bool service_date = filing && *item->date_of_service
                     && workflow_deadline (item->date_of_service, 0, ignored, sizeof ignored, &ignored_ms) == 0;
    if (service_date)
        from = item->date_of_service;
    if (workflow_deadline (from, window->days, deadline, sizeof deadline, &end_ms))
        return store_fail (self->store, "denial %s: date '%s' is not a date", item->id, from);
    appeal_window_describe (window, policy, sizeof policy);
    if (filing && !service_date)
        snprintf (policy + strlen (policy), sizeof policy - strlen (policy),
                  "; no date of service: counted from the day intake received it");
    codec_set_text (&item->appeal_deadline, deadline);
    codec_set_text (&item->deadline_policy, policy);
    item->deadline_ms = end_ms;
    return 0;
}

//  The primary reason's meaning, unless a person re-categorized it.
static void
s_categorize (denials_t *self, MDB_txn *txn, DenialItem *item, const records_spec_t *spec, bool *unknown)
{
    *unknown = false;
    const DenialReason *primary = s_primary (item);
    if (primary) {
        carc_cause_t cause = carc_cause (primary->group, primary->carc, primary->rarcs, primary->n_rarcs);
        codec_set_text (&item->carc, primary->carc);
        codec_set_text (&item->group, primary->group);
        codec_set_text (&item->rarc, primary->n_rarcs? primary->rarcs [0]: "");
        codec_set_text (&item->category, carc_category_name (cause.category));
        item->preventable = cause.preventable;
        codec_set_text (&item->team, carc_team_name (cause.team));
        item->carc_known = cause.known;
        *unknown = !cause.known;
    }
    else
    if (spec->category) {
        codec_set_text (&item->category, spec->category);
        codec_set_text (&item->team, spec->team);
        item->preventable = spec->preventable;
        item->carc_known = spec->known;
        *unknown = !spec->known;
    }
    (void) self;
    (void) txn;
}

static int
s_count (denials_t *self, MDB_txn *txn, const char *counter)
{
    uint64_t value;
    int rc = store_get_u64 (self->store, txn, "denials_meta", counter, &value);
    return rc? rc: store_put_u64 (self->store, txn, "denials_meta", counter, value + 1);
}

static int64_t
s_reasons_cents (const DenialItem *item)
{
    int64_t sum = 0;
    for (size_t i = 0; i < item->n_reasons; i++)
        sum += item->reasons [i]->amount_cents;
    return sum;
}

//  What an item holds of the event for one records_open: the claim's
//  dimensions, reasons and remit lines, lent rather than copied (a copy
//  was a pack and an unpack of each, a quarter of a denial's cost). The
//  event's messages outlive the call (the consumer's arena, or the
//  caller's) and are only read here, packed into the record and the
//  event as a copy would have been; they are taken back before the item
//  is freed, so codec_free never frees what the item does not own.
typedef struct {
    bool dims, reasons, services;
} s_lent_t;

static void
s_lend_dims (DenialItem *item, const ClaimDimensions *dims, s_lent_t *lent)
{
    codec_free (item->dims);
    item->dims = (ClaimDimensions *) dims;
    lent->dims = true;
}

//  A repeated field's own elements and array freed, the lent array put
//  in their place.
static void
s_lend_array (void ***field, size_t *count, void **lent_array, size_t lent_count, bool *lent)
{
    for (size_t i = 0; i < *count; i++)
        codec_destroy (&(*field) [i]);
    free (*field);
    *field = lent_array;
    *count = lent_count;
    *lent = true;
}

static void
s_give_back (DenialItem *item, const s_lent_t *lent)
{
    if (lent->dims)
        item->dims = NULL;
    if (lent->reasons) {
        item->reasons = NULL;
        item->n_reasons = 0;
    }
    if (lent->services) {
        item->services = NULL;
        item->n_services = 0;
    }
}

int
records_open (denials_t *self, MDB_txn *txn, const records_spec_t *spec, char *id_out, size_t size)
{
    s_lent_t lent = { false, false, false };
    size_t key_size;
    char *key = s_remit_key (spec->pcn, spec->payer_id? spec->payer_id: "", spec->trace? spec->trace: "", &key_size);
    MDB_val value;
    DenialItem *item = NULL;
    int rc = store_get (self->store, txn, "denials_by_remit", key, key_size, &value);
    bool fresh = rc == MDB_NOTFOUND;
    char id [32];
    if (rc == 0) {
        snprintf (id, sizeof id, "%.*s", (int) value.mv_size, (const char *) value.mv_data);
        rc = records_get (self, txn, id, &item);
    }
    else
    if (fresh) {
        uint64_t number;
        rc = store_next_counter (self->store, txn, "denials_meta", "next_id", 9999999999ULL, &number);
        snprintf (id, sizeof id, "DEN-%010" PRIu64, number);
        if (rc == 0)
            rc = store_put (self->store, txn, "denials_by_remit", key, key_size, id, strlen (id));
        if (rc == 0) {
            free (key);
            key = s_pair_key (spec->pcn, id, &key_size);
            rc = store_put (self->store, txn, "denials_by_pcn", key, key_size, "", 0);
        }
        if (rc == 0) {
            item = (DenialItem *) zmalloc (sizeof (DenialItem));
            denial_item__init (item);
            codec_set_text (&item->id, id);
            codec_set_text (&item->pcn, spec->pcn);
            codec_set_text (&item->state, "new");
            codec_set_text (&item->kind, spec->kind);
            codec_set_text (&item->payer_id, spec->payer_id? spec->payer_id: "");
            codec_set_text (&item->remit_trace, spec->trace? spec->trace: "");
            char date [16];
            s_date (spec->remit_date, spec->time_ms, date, sizeof date);
            codec_set_text (&item->remit_date, date);
            item->appeal_level = 1;
            item->opened_ms = spec->time_ms;
        }
    }
    free (key);
    if (rc) {
        codec_free (item);
        return rc;
    }
    bool was_indexed = records_indexed (item);
    uint64_t old_deadline = item->deadline_ms;
    char old_category [64];
    snprintf (old_category, sizeof old_category, "%s", item->category);
    item->updated_ms = spec->time_ms;
    item->denial_count++;
    if (spec->claim_id && *spec->claim_id)
        codec_set_text (&item->claim_id, spec->claim_id);
    if (spec->status_code && *spec->status_code)
        codec_set_text (&item->status_code, spec->status_code);
    if (spec->claim_status && *spec->claim_status)
        codec_set_text (&item->claim_status, spec->claim_status);
    if (spec->dims)
        s_lend_dims (item, spec->dims, &lent);
    if (spec->n_reasons) {
        s_lend_array ((void ***) &item->reasons, &item->n_reasons, (void **) spec->reasons,
                      spec->n_reasons, &lent.reasons);
        if (!streq (item->kind, "rejection"))
            codec_set_text (&item->kind, "denial");
    }
    //  The remit's lines replace what an earlier event of it said.
    if (spec->remit && spec->remit->n_lines)
        s_lend_array ((void ***) &item->services, &item->n_services, (void **) spec->remit->lines,
                      spec->remit->n_lines, &lent.services);
    if (spec->remit && *spec->remit->payer_claim_number)
        codec_set_text (&item->payer_claim_number, spec->remit->payer_claim_number);
    if (spec->date_of_service && *spec->date_of_service)
        codec_set_text (&item->date_of_service, spec->date_of_service);
    item->taken_back_cents += spec->taken_back_cents;
    //  A denial is what its reasons refused; a take-back with no reason
    //  (yet) what the payer took, net of what it paid back.
    item->denied_cents = item->n_reasons? s_reasons_cents (item): item->taken_back_cents;
    //  A claim never adjudicated (the payer's or intake's rejection): all
    //  of its charge is at stake.
    if (streq (item->kind, "rejection") || streq (item->kind, "intake_rejection"))
        item->denied_cents = spec->charge_cents;
    //  A person's category stands: a later event of the remit does not
    //  undo a re-categorization (its history says who and why).
    bool recategorized = false;
    for (size_t i = 0; i < item->n_history; i++)
        if (streq (item->history [i]->what, "categorized") && !streq (item->history [i]->actor, "denials"))
            recategorized = true;
    bool unknown = false;
    if (!recategorized)
        s_categorize (self, txn, item, spec, &unknown);
    if (!*item->category) {
        //  A take-back with no reason yet: the payer's to explain.
        codec_set_text (&item->category, "other");
        codec_set_text (&item->team, "payer");
        item->carc_known = true;
    }
    if (rc == 0 && unknown) {
        rc = s_count (self, txn, "unknown_carc");
        char note [160];
        snprintf (note, sizeof note, "CARC %s-%s is not in the table: category other, counted", item->group, item->carc);
        records_history (item, spec->time_ms, "denials", "note", NULL, NULL, note);
    }
    if (rc == 0 && fresh)
        rc = s_deadline (self, item);
    //  Once it has a preventable cause and lines (or a rule), it counts
    //  toward the patterns that go back to intake.
    if (rc == 0)
        rc = patterns_count (self, txn, item);
    char what [200];
    snprintf (what, sizeof what, "%s %s on remit %s of payer %s (%s)", fresh? "opened": "added to", item->kind,
              item->remit_trace, item->payer_id, item->status_code);
    records_history (item, spec->time_ms, "denials", fresh? "opened": "note", NULL, item->state, what);
    if (rc == 0 && !fresh && !streq (old_category, item->category))
        records_history (item, spec->time_ms, "denials", "categorized", old_category, item->category,
                         "a later event of the same remit");
    //  Its work item, due at the deadline (one already passed: now).
    if (rc == 0 && fresh && self->work) {
        uint64_t due = item->deadline_ms > spec->time_ms? item->deadline_ms: spec->time_ms;
        int64_t priority = workflow_priority (item->state, item->denied_cents, item->deadline_ms, spec->time_ms);
        workitem_spec_t work = {
            .type = "denial", .subject = item->id, .subject_state = item->state,
            .queue = item->dims? item->dims->queue: "", .due_ms = due,
            .priority = priority > INT32_MAX? INT32_MAX: (int32_t) priority,
            .note = item->deadline_policy,
        };
        WorkItem *created = NULL;
        rc = s_work_result (self, workitem_create (self->work, txn, &work, "denials", spec->time_ms, &created));
        if (rc == 0) {
            codec_set_text (&item->work_item, created->id);
            codec_set_text (&item->owner, created->owner);
        }
        codec_free (created);
    }
    if (rc == 0)
        rc = records_save (self, txn, item, old_deadline, was_indexed,
                           fresh? "opened": !streq (old_category, item->category)? "categorized": NULL);
    if (rc == 0 && id_out)
        snprintf (id_out, size, "%s", id);
    s_give_back (item, &lent);
    codec_free (item);
    return rc;
}

int
records_find (denials_t *self, MDB_txn *txn, const char *pcn, const char *payer, const char *trace,
              char *id, size_t size)
{
    size_t key_size;
    char *key = s_remit_key (pcn, payer, trace, &key_size);
    MDB_val value;
    int rc = store_get (self->store, txn, "denials_by_remit", key, key_size, &value);
    free (key);
    if (rc == 0)
        snprintf (id, size, "%.*s", (int) value.mv_size, (const char *) value.mv_data);
    return rc;
}

//  Whether table holds a key beginning with prefix, in *any: one seek.
//  0, or an LMDB error.
static int
s_any_under (store_t *store, MDB_txn *txn, const char *table, const void *prefix, size_t prefix_size,
             bool *any)
{
    *any = false;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (store, table), &cursor);
    if (rc)
        return rc;
    MDB_val key = { prefix_size, (void *) prefix }, value;
    rc = mdb_cursor_get (cursor, &key, &value, MDB_SET_RANGE);
    mdb_cursor_close (cursor);
    if (rc == 0)
        *any = key.mv_size >= prefix_size && memcmp (key.mv_data, prefix, prefix_size) == 0;
    return rc == MDB_NOTFOUND? 0: rc;
}

int
records_open_of_claim (denials_t *self, MDB_txn *txn, const char *pcn, zlistx_t **ids)
{
    *ids = zlistx_new ();
    zlistx_set_destructor (*ids, (zlistx_destructor_fn *) zstr_free);
    //  Every acknowledgement, adjudication and denial asks; most claims
    //  have no denial: one seek says so, before an iterator and a list
    //  are made (a third of the call's cost, ~10 % of denials' apply).
    bool any;
    int rc = s_any_under (self->store, txn, "denials_by_pcn", pcn, strlen (pcn) + 1, &any);
    if (rc || !any)
        return rc;
    store_iter_t *iter = store_iter_new (self->store, txn, "denials_by_pcn", pcn, strlen (pcn) + 1);
    MDB_val key, value;
    zlistx_t *all = zlistx_new ();
    zlistx_set_destructor (all, (zlistx_destructor_fn *) zstr_free);
    while (store_iter_next (iter, &key, &value)) {
        MDB_val suffix = store_iter_suffix (iter);
        zlistx_add_start (all, zsys_sprintf ("%.*s", (int) suffix.mv_size, (const char *) suffix.mv_data));
    }
    rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    //  Newest first (ids grow), only those not final.
    for (char *id = (char *) zlistx_first (all); rc == 0 && id; id = (char *) zlistx_next (all)) {
        DenialItem *item;
        rc = records_get (self, txn, id, &item);
        if (rc == 0 && !workflow_final (item->state))
            zlistx_add_end (*ids, strdup (id));
        codec_free (item);
    }
    zlistx_destroy (&all);
    return rc;
}

int
records_present (denials_t *self, MDB_txn *txn, DenialItem *item, uint64_t now)
{
    int64_t recoverable = item->denied_cents - item->recovered_cents;
    item->priority = workflow_priority (item->state, recoverable, item->deadline_ms, now);
    if (!self->work || !*item->work_item)
        return 0;
    WorkItem *work;
    int rc = workitem_get (self->work, txn, item->work_item, &work);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    codec_set_text (&item->owner, work->owner);
    workitem_grid_t grid;
    rc = workitem_grid (self->work, txn, work, &grid);
    codec_set_text (&item->team_now, rc == 0 && *grid.team? grid.team: work->team);
    codec_free (work);
    return rc == MDB_NOTFOUND? 0: rc;
}

int
records_sweep (denials_t *self, MDB_txn *txn, uint64_t now, size_t batch, size_t *flagged)
{
    *flagged = 0;
    zlistx_t *due = zlistx_new ();
    zlistx_set_destructor (due, (zlistx_destructor_fn *) zstr_free);
    store_iter_t *iter = store_iter_new (self->store, txn, "denials_by_deadline", NULL, 0);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value) && (!batch || zlistx_size (due) < batch)) {
        //  The index is in deadline order: the first deadline ahead ends it.
        if (key.mv_size < 8 || store_u64_read (key.mv_data) > now)
            break;
        zlistx_add_end (due, zsys_sprintf ("%" PRIu64 " %.*s", store_u64_read (key.mv_data),
                                           (int) key.mv_size - 8, (const char *) key.mv_data + 8));
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    for (char *line = (char *) zlistx_first (due); rc == 0 && line; line = (char *) zlistx_next (due)) {
        char *id = strchr (line, ' ') + 1;
        DenialItem *item;
        rc = records_get (self, txn, id, &item);
        if (rc == MDB_NOTFOUND) {
            //  An entry without its denial (a damaged store): dropped, so
            //  it never holds up the entries after it.
            uint8_t entry [WORKITEM_KEY_MAX + 8];
            rc = store_del (self->store, txn, "denials_by_deadline", entry,
                            s_deadline_key (entry, sizeof entry, strtoull (line, NULL, 10), id));
            continue;
        }
        if (rc)
            break;
        bool was_indexed = records_indexed (item);
        item->missed_deadline = true;
        item->updated_ms = now;
        char note [200];
        snprintf (note, sizeof note, "appeal deadline %s passed in state %s with no appeal, correction or resolution",
                  item->appeal_deadline, item->state);
        records_history (item, now, "denials", "deadline", NULL, "missed_deadline", note);
        rc = records_save (self, txn, item, item->deadline_ms, was_indexed, "deadline_missed");
        if (rc == 0)
            rc = s_count (self, txn, "missed_deadline");
        if (rc == 0 && self->work && *item->work_item) {
            WorkItem *work;
            rc = workitem_get (self->work, txn, item->work_item, &work);
            if (rc == 0 && !workstate_final (work->state))
                rc = s_work_result (self, workitem_note (self->work, txn, item->work_item, "denials", note, now, NULL));
            if (rc == MDB_NOTFOUND)
                rc = 0;
            codec_free (work);
        }
        if (rc == 0)
            (*flagged)++;
        codec_free (item);
    }
    zlistx_destroy (&due);
    return rc;
}
