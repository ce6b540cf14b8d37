/*  methods: the denials, for the people who work them (docs/denials.md).

        denials.List        DenialListRequest -> DenialList   denials.read     list
        denials.Show        DenialId -> DenialItem            denials.read     subject
        denials.Assign      DenialAssignRequest -> DenialItem denials.work     subject
        denials.Categorize  DenialCategorizeRequest -> ...    denials.work     subject
        denials.State       DenialStateRequest -> DenialItem  denials.work     subject
        denials.Resolve     DenialResolveRequest -> ...       denials.work     subject
        denials.Approve     DenialId -> DenialItem            denials.approve  subject
        denials.Policies    (none) -> AppealPolicies          denials.read     unscoped
        denials.Correct     DenialCorrectRequest -> DenialItem denials.work    subject
        denials.Appeal      DenialAppealRequest -> DenialItem  denials.work    subject

    Appeal makes the letter from a template (letter.c: the folder
    denials/templates-dir, NAME.txt; `default` is built in unless the
    folder has its own) and writes it, whole or not at all (common/files),
    into denials/outbound-dir as <denial id>-L<level>-<YYYYMMDDTHHMMSS>.txt;
    the denial moves to appealed and keeps the path (`letter`).

    Correct asks claims, over claims' api with this process's own key
    (claims.RequestCorrection, common/peer.h), for a corrected claim or a
    void, and moves the denial to corrected only when claims said yes:
    claims stays the only writer of claim state, and its refusal (a claim
    the payer rejected has nothing to replace) is the reply (ADR 0037).

    A list is in priority order (workflow_priority at the reply's instant,
    highest first, then id), filtered, at most limit after the item
    `after` (its place in that order now: the item is read whatever the
    filters, so a page boundary holds while priorities stand still).

    Scope: a vendor caller sees and acts only on denials of queues in
    pilot or vendor phase whose vendor team is its own (the queue as the
    queue stream says it now, else as the claims event carried it);
    another's denial is NOT_FOUND before the handler runs. A denial holds
    no patient field: its replies carry claim and payer data only.
*/
#include "methods.h"
#include "denials.h"
#include "records.h"
#include "patterns.h"
#include "workflow.h"
#include "letter.h"
#include "files.h"
#include "access.h"
#include "carc.h"
#include "clock.h"
#include "codec.h"
#include "claims.pb-c.h"

//  Documents one appeal may attach (ids: the document system keeps them).
#define APPEAL_DOCUMENTS_MAX 50

//  Write-off reason codes: why money is given up. Nothing else is taken.
static const char *const s_write_off_reasons [] = {
    "small_balance", "timely_filing", "non_covered", "appeal_exhausted", "no_authorization",
    "duplicate", "contractual", "charity", "other", NULL
};

static denials_t *
s_self (server_call_t *call)
{
    return (denials_t *) service_state ((service_t *) call->state);
}

//  The phase and vendor team of a denial's queue now.
static void
s_queue_scope (denials_t *self, MDB_txn *txn, const DenialItem *item, char *phase, char *vendor_team, size_t size)
{
    snprintf (phase, size, "%s", item->dims? item->dims->phase: "");
    snprintf (vendor_team, size, "%s", item->dims? item->dims->vendor_team: "");
    MDB_val value;
    const char *queue = item->dims? item->dims->queue: "";
    if (*queue && store_get (self->store, txn, "queues", queue, strlen (queue), &value) == 0) {
        Queue *known = (Queue *) codec_decode (&queue__descriptor, value.mv_data, value.mv_size);
        if (known) {
            snprintf (phase, size, "%s", known->phase);
            snprintf (vendor_team, size, "%s", known->vendor_team);
        }
        codec_free (known);
    }
}

//  Resolvers: the denial named by the request's id, and its queue.
static int
s_resolve_id (server_call_t *call, const char *id)
{
    denials_t *self = s_self (call);
    DenialItem *item = NULL;
    int rc = records_get (self, call->txn, id, &item);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    char phase [64], vendor_team [64];
    if (item)
        s_queue_scope (self, call->txn, item, phase, vendor_team, sizeof phase);
    server_call_scope (call, "denial", id, item? phase: NULL, item? vendor_team: NULL);
    codec_free (item);
    return 0;
}

static int s_resolve_show (server_call_t *c)       { return s_resolve_id (c, ((DenialId *) c->body)->id); }
static int s_resolve_assign (server_call_t *c)     { return s_resolve_id (c, ((DenialAssignRequest *) c->body)->id); }
static int s_resolve_categorize (server_call_t *c) { return s_resolve_id (c, ((DenialCategorizeRequest *) c->body)->id); }
static int s_resolve_state (server_call_t *c)      { return s_resolve_id (c, ((DenialStateRequest *) c->body)->id); }
static int s_resolve_resolve (server_call_t *c)    { return s_resolve_id (c, ((DenialResolveRequest *) c->body)->id); }
static int s_resolve_correct (server_call_t *c)    { return s_resolve_id (c, ((DenialCorrectRequest *) c->body)->id); }
static int s_resolve_appeal (server_call_t *c)     { return s_resolve_id (c, ((DenialAppealRequest *) c->body)->id); }

//  Reads the denial id for a change: 0 with *item_p, or the call failed
//  (NOT_FOUND) and 1.
static int
s_load (server_call_t *call, const char *id, DenialItem **item_p)
{
    int rc = records_get (s_self (call), call->txn, id, item_p);
    if (rc == MDB_NOTFOUND) {
        server_call_fail (call, STATUS__NOT_FOUND, "no denial '%s'", id);
        return 1;
    }
    return rc;
}

//  Answers item as it stands now (with its history).
static int
s_answer (server_call_t *call, DenialItem *item)
{
    int rc = records_present (s_self (call), call->txn, item, clock_now_ms ());
    if (rc == 0) {
        server_call_reply (call, item);
        server_call_subject (call, item->id);
    }
    return rc;
}

//  A person's move: checked against the table, FAILED_PRECONDITION naming
//  both states when it is not a move the table has.
static int
s_move (server_call_t *call, DenialItem *item, const char *to, const char *reason)
{
    char error [256];
    if (workflow_check (item->state, to, error, sizeof error))
        return server_call_fail (call, workflow_known (to)? STATUS__FAILED_PRECONDITION: STATUS__INVALID_ARGUMENT,
                                 "%s: denial %s: %s", call->request->method, item->id, error);
    return records_move (s_self (call), call->txn, item, to, call->caller->name, reason, clock_now_ms ());
}

//  --------------------------------------------------------------------
//  denials.List

typedef struct {
    DenialItem *item;
} s_row_t;

static int
s_compare (const void *a, const void *b)
{
    const DenialItem *x = *(DenialItem *const *) a, *y = *(DenialItem *const *) b;
    if (x->priority != y->priority)
        return x->priority > y->priority? -1: 1;
    return strcmp (x->id, y->id);
}

//  True when item comes after the (priority, id) of mark in list order.
static bool
s_after (const DenialItem *item, const DenialItem *mark)
{
    return s_compare (&item, &mark) > 0;
}

static bool
s_keep (server_call_t *call, const DenialListRequest *request, const char *owner, DenialItem *item)
{
    denials_t *self = s_self (call);
    if (*request->state && !streq (item->state, request->state))
        return false;
    if (*request->category && !streq (item->category, request->category))
        return false;
    if (*request->payer_id && !streq (item->payer_id, request->payer_id))
        return false;
    if (*request->queue && !streq (item->dims? item->dims->queue: "", request->queue))
        return false;
    if (*request->due_before && !(*item->appeal_deadline && strcmp (item->appeal_deadline, request->due_before) < 0))
        return false;
    if (*owner && !streq (item->owner, owner))
        return false;
    char phase [64], vendor_team [64];
    s_queue_scope (self, call->txn, item, phase, vendor_team, sizeof phase);
    return server_call_in_scope (call, phase, vendor_team);
}

static int
s_list (server_call_t *call)
{
    denials_t *self = s_self (call);
    DenialListRequest *request = (DenialListRequest *) call->body;
    size_t limit;
    char error [128];
    if (store_page_limit (request->limit, STORE_PAGE_DEFAULT, STORE_PAGE_MAX, &limit, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.List: %s", error);
    if (*request->state && !workflow_known (request->state)) {
        char names [256];
        workflow_names (names, sizeof names);
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.List: no state '%s' (states: %s)",
                                 request->state, names);
    }
    if (*request->category && carc_category_from_name (request->category) < 0)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.List: no category '%s'", request->category);
    int year, month, day;
    char tail;
    if (*request->due_before && sscanf (request->due_before, "%4d-%2d-%2d%c", &year, &month, &day, &tail) != 3)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.List: due before '%s' is not YYYY-MM-DD",
                                 request->due_before);
    const char *owner = streq (request->owner, "me")? call->caller->name: request->owner;
    uint64_t now = clock_now_ms ();
    DenialItem *mark = NULL;
    int rc = 0;
    if (*request->after) {
        rc = records_get (self, call->txn, request->after, &mark);
        if (rc == MDB_NOTFOUND)
            return server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.List: after '%s': no such denial",
                                     request->after);
        if (rc == 0)
            rc = records_present (self, call->txn, mark, now);
    }
    //  Every denial is read and sorted: priority moves with the clock, so
    //  no stored index holds the order (docs/denials.md: cost).
    zlistx_t *rows = zlistx_new ();
    store_iter_t *iter = rc? NULL: store_iter_new (self->store, call->txn, "denials", NULL, 0);
    MDB_val key, value;
    while (iter && store_iter_next (iter, &key, &value)) {
        DenialItem *item = (DenialItem *) codec_decode (&denial_item__descriptor, value.mv_data, value.mv_size);
        if (!item)
            continue;
        for (size_t i = 0; i < item->n_history; i++)
            codec_destroy (&item->history [i]);
        item->n_history = 0;
        rc = records_present (self, call->txn, item, now);
        if (rc == 0 && s_keep (call, request, owner, item) && (!mark || s_after (item, mark)))
            zlistx_add_end (rows, item);
        else
            codec_free (item);
        if (rc)
            break;
    }
    if (iter) {
        if (rc == 0)
            rc = store_iter_error (iter);
        store_iter_destroy (&iter);
    }
    size_t count = zlistx_size (rows);
    DenialItem **sorted = (DenialItem **) calloc (count + 1, sizeof *sorted);
    size_t n = 0;
    for (DenialItem *item = (DenialItem *) zlistx_first (rows); item; item = (DenialItem *) zlistx_next (rows))
        sorted [n++] = item;
    zlistx_destroy (&rows);
    qsort (sorted, count, sizeof *sorted, s_compare);
    if (rc == 0) {
        DenialList list = DENIAL_LIST__INIT;
        list.n_denials = count < limit? count: limit;
        list.denials = sorted;
        list.next_after = count > limit? sorted [limit - 1]->id: "";
        rc = store_get_u64 (self->store, call->txn, "denials_meta", "missed_deadline", &list.missed_deadline_total);
        if (rc == 0)
            rc = store_get_u64 (self->store, call->txn, "denials_meta", "unknown_carc", &list.unknown_carc_total);
        if (rc == 0)
            rc = store_get_u64 (self->store, call->txn, "denials_meta", "duplicate_rejection",
                                &list.duplicate_rejections_total);
        if (rc == 0)
            server_call_reply (call, &list);
        for (size_t i = 0; rc == 0 && i < list.n_denials; i++)
            server_call_subject (call, sorted [i]->id);
    }
    for (size_t i = 0; i < count; i++)
        codec_free (sorted [i]);
    free (sorted);
    codec_free (mark);
    return rc;
}

//  --------------------------------------------------------------------
//  One denial

static int
s_show (server_call_t *call)
{
    DenialItem *item;
    int rc = s_load (call, ((DenialId *) call->body)->id, &item);
    if (rc)
        return rc == 1? 0: rc;
    rc = s_answer (call, item);
    codec_free (item);
    return rc;
}

static int
s_assign (server_call_t *call)
{
    denials_t *self = s_self (call);
    DenialAssignRequest *request = (DenialAssignRequest *) call->body;
    identity_t found;
    if (!*request->owner)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.Assign: name the owner");
    int rc = registry_person (call->store, call->txn, request->owner, &found);
    if (rc < 0)
        return -1;
    if (rc > 0)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "denials.Assign: no user '%s' (an owner must be active in the access registry)",
                                 request->owner);
    //  A vendor hands work only to its own team.
    const char *own = access_scope_team (call->caller);
    if (own && !streq (found.team, own))
        return server_call_fail (call, STATUS__PERMISSION_DENIED, "denials.Assign: %s is not of team %s",
                                 request->owner, own);
    DenialItem *item;
    rc = s_load (call, request->id, &item);
    if (rc)
        return rc == 1? 0: rc;
    if (workflow_final (item->state)) {
        rc = server_call_fail (call, STATUS__FAILED_PRECONDITION, "denials.Assign: denial %s is %s: it is final",
                               item->id, item->state);
        codec_free (item);
        return rc;
    }
    uint64_t now = clock_now_ms ();
    char from [64];
    snprintf (from, sizeof from, "%s", item->owner);
    codec_set_text (&item->owner, request->owner);
    item->updated_ms = now;
    records_history (item, now, call->caller->name, "assigned", from, request->owner, NULL);
    if (self->work && *item->work_item) {
        WorkItem *work;
        rc = workitem_get (self->work, call->txn, item->work_item, &work);
        if (rc == 0 && !streq (work->owner, request->owner) && !workstate_final (work->state)) {
            rc = workitem_assign (self->work, call->txn, item->work_item, request->owner, call->caller->name,
                                  NULL, now, NULL);
            if (rc == WORKITEM_REFUSED)
                rc = server_call_fail (call, workitem_status (self->work), "denials.Assign: %s",
                                       workitem_error (self->work));
        }
        if (rc == MDB_NOTFOUND)
            rc = 0;
        codec_free (work);
    }
    //  Assigning a new denial is its review starting.
    if (rc == 0 && call->status == STATUS__OK) {
        if (streq (item->state, "new"))
            rc = records_move (self, call->txn, item, "in_review", call->caller->name, "assigned", now);
        else
            rc = records_save (self, call->txn, item, item->deadline_ms, records_indexed (item), "state_changed");
    }
    if (rc == 0 && call->status == STATUS__OK)
        rc = s_answer (call, item);
    codec_free (item);
    return rc;
}

static int
s_categorize (server_call_t *call)
{
    DenialCategorizeRequest *request = (DenialCategorizeRequest *) call->body;
    int category = carc_category_from_name (request->category);
    if (category < 0) {
        char names [512] = "";
        for (int i = 0; i < CARC_CATEGORIES; i++)
            snprintf (names + strlen (names), sizeof names - strlen (names), "%s%s", i? ", ": "",
                      carc_category_name (i));
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.Categorize: no category '%s' (categories: %s)",
                                 request->category, names);
    }
    if (!*request->reason)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.Categorize: a reason is required (--reason)");
    DenialItem *item;
    int rc = s_load (call, request->id, &item);
    if (rc)
        return rc == 1? 0: rc;
    if (streq (item->category, request->category)) {
        rc = server_call_fail (call, STATUS__FAILED_PRECONDITION, "denials.Categorize: denial %s is already %s",
                               item->id, item->category);
        codec_free (item);
        return rc;
    }
    uint64_t now = clock_now_ms ();
    bool preventable;
    carc_team_t team;
    carc_category_cause ((carc_category_t) category, &preventable, &team);
    records_history (item, now, call->caller->name, "categorized", item->category, request->category, request->reason);
    char old_category [64];
    snprintf (old_category, sizeof old_category, "%s", item->category);
    codec_set_text (&item->category, request->category);
    codec_set_text (&item->team, carc_team_name (team));
    item->preventable = preventable;
    item->updated_ms = now;
    //  Its count toward the lessons for intake moves with it.
    rc = patterns_recategorize (s_self (call), call->txn, item, old_category, now);
    if (rc == 0)
        rc = records_save (s_self (call), call->txn, item, item->deadline_ms, records_indexed (item), "categorized");
    if (rc == 0)
        rc = s_answer (call, item);
    codec_free (item);
    return rc;
}

static int
s_state (server_call_t *call)
{
    DenialStateRequest *request = (DenialStateRequest *) call->body;
    //  The outcomes go through Resolve (amounts, reason codes, approval).
    if (streq (request->state, "won") || streq (request->state, "lost") || streq (request->state, "written_off"))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "denials.State: %s is an outcome: use denials resolve", request->state);
    DenialItem *item;
    int rc = s_load (call, request->id, &item);
    if (rc)
        return rc == 1? 0: rc;
    rc = s_move (call, item, request->state, request->reason);
    if (rc == 0 && call->status == STATUS__OK)
        rc = s_answer (call, item);
    codec_free (item);
    return rc;
}

static bool
s_write_off_reason (const char *code)
{
    for (size_t i = 0; s_write_off_reasons [i]; i++)
        if (streq (s_write_off_reasons [i], code))
            return true;
    return false;
}

static int
s_resolve (server_call_t *call)
{
    denials_t *self = s_self (call);
    DenialResolveRequest *request = (DenialResolveRequest *) call->body;
    const char *outcome = request->outcome;
    if (!streq (outcome, "won") && !streq (outcome, "lost") && !streq (outcome, "written_off"))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "denials.Resolve: outcome '%s' is not won, lost or written_off", outcome);
    if (request->has_cents && request->cents < 0)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.Resolve: cents %" PRId64 " is negative",
                                 request->cents);
    if (streq (outcome, "written_off") && !s_write_off_reason (request->reason)) {
        char codes [256] = "";
        for (size_t i = 0; s_write_off_reasons [i]; i++)
            snprintf (codes + strlen (codes), sizeof codes - strlen (codes), "%s%s", i? ", ": "", s_write_off_reasons [i]);
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "denials.Resolve: a write-off needs a reason code (--reason: %s)%s%s%s", codes,
                                 *request->reason? "; '": "", request->reason, *request->reason? "' is none": "");
    }
    DenialItem *item;
    int rc = s_load (call, request->id, &item);
    if (rc)
        return rc == 1? 0: rc;
    char error [256];
    if (workflow_check (item->state, outcome, error, sizeof error)) {
        rc = server_call_fail (call, STATUS__FAILED_PRECONDITION, "denials.Resolve: denial %s: %s", item->id, error);
        codec_free (item);
        return rc;
    }
    uint64_t now = clock_now_ms ();
    int64_t open = item->denied_cents - item->recovered_cents;
    int64_t cents = request->has_cents? request->cents: open;
    if (streq (outcome, "written_off") && cents > self->approval_cents) {
        //  Above the limit a second person decides: the request waits.
        if (item->write_off) {
            rc = server_call_fail (call, STATUS__FAILED_PRECONDITION,
                                   "denials.Resolve: denial %s: a write-off of %" PRId64 " cents by %s waits for approval",
                                   item->id, item->write_off->cents, item->write_off->requested_by);
            codec_free (item);
            return rc;
        }
        item->write_off = (WriteOffRequest *) zmalloc (sizeof (WriteOffRequest));
        write_off_request__init (item->write_off);
        codec_set_text (&item->write_off->requested_by, call->caller->name);
        codec_set_text (&item->write_off->reason_code, request->reason);
        item->write_off->requested_ms = now;
        item->write_off->cents = cents;
        char note [200];
        snprintf (note, sizeof note, "write-off of %" PRId64 " cents (%s) above %" PRId64 ": waits for a second person "
                  "(denials approve %s)", cents, request->reason, self->approval_cents, item->id);
        records_history (item, now, call->caller->name, "write_off_requested", item->state, "written_off", note);
        item->updated_ms = now;
        rc = records_save (self, call->txn, item, item->deadline_ms, records_indexed (item), "state_changed");
    }
    else {
        if (streq (outcome, "won"))
            item->recovered_cents += cents;
        if (streq (outcome, "written_off"))
            item->written_off_cents = cents;
        char reason [200];
        snprintf (reason, sizeof reason, "%s%s%" PRId64 " cents", streq (outcome, "written_off")? request->reason: "",
                  streq (outcome, "written_off")? ": ": "", cents);
        rc = records_move (self, call->txn, item, outcome, call->caller->name,
                           streq (outcome, "written_off")? request->reason: reason, now);
    }
    if (rc == 0)
        rc = s_answer (call, item);
    codec_free (item);
    return rc;
}

//  Who may approve a write-off: the practice's lead, a leader, an admin.
static const char *const s_approvers [] = { "internal-lead", "leader", "admin", NULL };

static int
s_approve (server_call_t *call)
{
    DenialItem *item;
    int rc = s_load (call, ((DenialId *) call->body)->id, &item);
    if (rc)
        return rc == 1? 0: rc;
    bool approver = false;
    for (size_t i = 0; s_approvers [i]; i++)
        approver = approver || streq (s_approvers [i], call->caller->role);
    char error [256];
    if (!approver)
        rc = server_call_fail (call, STATUS__PERMISSION_DENIED,
                               "denials.Approve: a write-off is approved by an internal-lead or a leader, not a %s",
                               call->caller->role);
    else
    if (!item->write_off)
        rc = server_call_fail (call, STATUS__FAILED_PRECONDITION, "denials.Approve: denial %s has no write-off waiting",
                               item->id);
    else
    if (streq (item->write_off->requested_by, call->caller->name))
        rc = server_call_fail (call, STATUS__FAILED_PRECONDITION,
                               "denials.Approve: %s asked for the write-off of %s: a second person approves it",
                               call->caller->name, item->id);
    else
    if (workflow_check (item->state, "written_off", error, sizeof error))
        rc = server_call_fail (call, STATUS__FAILED_PRECONDITION, "denials.Approve: denial %s: %s", item->id, error);
    else {
        uint64_t now = clock_now_ms ();
        char note [200];
        snprintf (note, sizeof note, "%" PRId64 " cents (%s) asked by %s, approved by %s", item->write_off->cents,
                  item->write_off->reason_code, item->write_off->requested_by, call->caller->name);
        records_history (item, now, call->caller->name, "approved", NULL, "written_off", note);
        char reason [64];
        snprintf (reason, sizeof reason, "%s", item->write_off->reason_code);
        item->written_off_cents = item->write_off->cents;
        codec_free (item->write_off);
        item->write_off = NULL;
        rc = records_move (s_self (call), call->txn, item, "written_off", call->caller->name, reason, now);
        if (rc == 0)
            rc = s_answer (call, item);
    }
    codec_free (item);
    return rc;
}

//  --------------------------------------------------------------------
//  denials.Appeal

//  The template named name: the folder's NAME.txt, else the built-in
//  default. A fresh string, or NULL with the call failed.
static char *
s_template (server_call_t *call, const char *name)
{
    denials_t *self = s_self (call);
    if (self->templates_dir) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s.txt", self->templates_dir, name);
        zfile_t *file = zfile_new (NULL, path);
        if (zfile_input (file) == 0) {
            zchunk_t *chunk = zfile_read (file, (size_t) zfile_cursize (file), 0);
            zfile_close (file);
            zfile_destroy (&file);
            char *text = chunk? zchunk_strdup (chunk): NULL;
            zchunk_destroy (&chunk);
            if (text)
                return text;
            server_call_fail (call, STATUS__INTERNAL, "denials.Appeal: cannot read template %s", path);
            return NULL;
        }
        zfile_destroy (&file);
    }
    if (streq (name, "default"))
        return strdup (letter_default_template);
    server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.Appeal: no template '%s' (%s%s%s)", name,
                      self->templates_dir? "not in ": "no denials/templates-dir is set; built in: default",
                      self->templates_dir? self->templates_dir: "", self->templates_dir? "; built in: default": "");
    return NULL;
}

static int
s_appeal (server_call_t *call)
{
    denials_t *self = s_self (call);
    DenialAppealRequest *request = (DenialAppealRequest *) call->body;
    const char *name = *request->template_? request->template_: "default";
    if (!*request->reason)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "denials.Appeal: a reason is required (--reason: why the claim should be paid)");
    if (!letter_name_ok (name))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "denials.Appeal: template name '%s' is not letters, digits, '-' and '_'", name);
    if (request->n_documents > APPEAL_DOCUMENTS_MAX)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.Appeal: %zu documents attached; at most %d",
                                 request->n_documents, APPEAL_DOCUMENTS_MAX);
    for (size_t i = 0; i < request->n_documents; i++) {
        if (!letter_document_ok (request->documents [i]))
            return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                     "denials.Appeal: document %zu '%.80s' is not a document id (1 to 64 of letters, "
                                     "digits, '-', '_', '.', ':', '/')", i + 1, request->documents [i]);
        for (size_t j = 0; j < i; j++)
            if (streq (request->documents [i], request->documents [j]))
                return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                         "denials.Appeal: document '%s' is attached twice", request->documents [i]);
    }
    if (!self->appeals_dir)
        return server_call_fail (call, STATUS__UNAVAILABLE, "denials.Appeal: no folder for letters in this process");
    DenialItem *item;
    int rc = s_load (call, request->id, &item);
    if (rc)
        return rc == 1? 0: rc;
    char error [512];
    char *text = NULL, *letter = NULL;
    uint64_t now = clock_now_ms ();
    if (workflow_check (item->state, "appealed", error, sizeof error))
        server_call_fail (call, STATUS__FAILED_PRECONDITION, "denials.Appeal: denial %s: %s", item->id, error);
    else
        text = s_template (call, name);
    if (text) {
        char date [16];
        clock_format_date (now, date, sizeof date);
        letter_context_t context = { request->reason, call->caller->name, date, request->documents,
                                     request->n_documents };
        letter = letter_render (name, text, item, &context, error, sizeof error);
        if (!letter)
            server_call_fail (call, STATUS__INVALID_ARGUMENT, "denials.Appeal: %s", error);
    }
    if (letter) {
        char stamp [32], path [PATH_MAX];
        clock_format_iso8601 (now, stamp, sizeof stamp);
        char compact [32];
        size_t n = 0;
        for (const char *c = stamp; *c && n < 15; c++)
            if (isdigit ((unsigned char) *c) || *c == 'T')
                compact [n++] = *c;
        compact [n] = 0;
        snprintf (path, sizeof path, "%s/%s-L%u-%s.txt", self->appeals_dir, item->id,
                  item->appeal_level? item->appeal_level: 1, compact);
        //  The same letter there already is this call run again (the
        //  store grew): the file stands.
        int written = files_write_new (path, letter, strlen (letter), error, sizeof error);
        if (written == FILES_EXISTS && files_same_content (path, letter, strlen (letter)))
            written = 0;
        if (written)
            server_call_fail (call, STATUS__INTERNAL, "denials.Appeal: denial %s: writing %s: %s", item->id, path,
                              written == FILES_EXISTS? "a different file of that name is there": error);
        else {
            codec_set_text (&item->letter, path);
            //  The denial keeps every document any of its appeals sent, once.
            for (size_t i = 0; i < request->n_documents; i++) {
                bool known = false;
                for (size_t j = 0; j < item->n_documents && !known; j++)
                    known = streq (item->documents [j], request->documents [i]);
                if (!known)
                    codec_append_text (&item->documents, &item->n_documents, request->documents [i]);
            }
            char note [PATH_MAX + 300], enclosed [160] = "";
            if (request->n_documents)
                snprintf (enclosed, sizeof enclosed, "; %zu document%s attached", request->n_documents,
                          request->n_documents == 1? "": "s");
            snprintf (note, sizeof note, "letter %s (template %s%s): %s", path, name, enclosed, request->reason);
            rc = records_move (self, call->txn, item, "appealed", call->caller->name, note, now);
            if (rc == 0)
                rc = s_answer (call, item);
        }
    }
    free (letter);
    free (text);
    codec_free (item);
    return rc;
}

//  --------------------------------------------------------------------
//  denials.Correct

static int
s_correct (server_call_t *call)
{
    denials_t *self = s_self (call);
    DenialCorrectRequest *request = (DenialCorrectRequest *) call->body;
    const char *what = request->as_void? "a void (frequency 8)": "a corrected claim (frequency 7)";
    DenialItem *item;
    int rc = s_load (call, request->id, &item);
    if (rc)
        return rc == 1? 0: rc;
    char error [256];
    if (workflow_check (item->state, "corrected", error, sizeof error))
        rc = server_call_fail (call, workflow_known (item->state)? STATUS__FAILED_PRECONDITION: STATUS__INTERNAL,
                               "denials.Correct: denial %s: %s", item->id, error);
    else
    if (!self->claims)
        rc = server_call_fail (call, STATUS__UNAVAILABLE, "denials.Correct: claims cannot be called from this process");
    if (rc || call->status != STATUS__OK) {
        codec_free (item);
        return rc;
    }
    char reason [300];
    if (*request->reason)
        snprintf (reason, sizeof reason, "%s", request->reason);
    else
        snprintf (reason, sizeof reason, "denial %s: %s%s%s (%s)", item->id, item->group, *item->group? "-": "",
                  item->carc, item->category);
    CorrectRequest correct = CORRECT_REQUEST__INIT;
    correct.pcn = item->pcn;
    correct.reason = reason;
    CorrectionRequest ask = CORRECTION_REQUEST__INIT;
    ask.correct = &correct;
    ask.as_void = request->as_void;
    ask.requested_by = (char *) call->caller->name;
    ask.reference = item->id;
    //  Synchronous, inside this request's transaction: claims answers in
    //  milliseconds and never calls denials back, and only its yes may
    //  move the denial (ADR 0037 on the cost: this loop waits meanwhile).
    Reply *reply = peer_call (self->claims, "claims.RequestCorrection", &ask);
    if (!reply)
        rc = server_call_fail (call, STATUS__UNAVAILABLE, "denials.Correct: denial %s: asking claims for %s: %s",
                               item->id, what, peer_error (self->claims));
    else
    if (reply->status != STATUS__OK)
        rc = server_call_fail (call, reply->status, "denials.Correct: denial %s: claims refused %s of %s: %s",
                               item->id, what, item->pcn, reply->message);
    else {
        char note [400];
        snprintf (note, sizeof note, "claims sends %s of %s at the next submit: %s", what, item->pcn, reason);
        rc = records_move (self, call->txn, item, "corrected", call->caller->name, note, clock_now_ms ());
        if (rc == 0)
            rc = s_answer (call, item);
    }
    codec_free (reply);
    codec_free (item);
    return rc;
}

//  --------------------------------------------------------------------
//  denials.Policies

static int
s_policies (server_call_t *call)
{
    denials_t *self = s_self (call);
    AppealPolicies reply = APPEAL_POLICIES__INIT;
    size_t count = self->windows.count;
    AppealPolicy *rows = (AppealPolicy *) calloc (count + 1, sizeof *rows);
    AppealPolicy **list = (AppealPolicy **) calloc (count + 1, sizeof *list);
    for (size_t i = 0; i < count; i++) {
        const appeal_window_t *window = &self->windows.rows [i];
        appeal_policy__init (&rows [i]);
        rows [i].payer_id = window->payer? (char *) window->name: "";
        rows [i].payer_group = window->payer? "": (char *) window->name;
        rows [i].level = window->level;
        rows [i].days = window->days;
        rows [i].source = window->built_in? "built-in": window->level? "denials/appeal-windows": "denials/timely-filing";
        rows [i].kind = window->level? "appeal": "timely_filing";
        list [i] = &rows [i];
    }
    reply.n_policies = count;
    reply.policies = list;
    server_call_reply (call, &reply);
    free (list);
    free (rows);
    return 0;
}

const server_method_t denials_methods [] = {
    SERVER_LIST_METHOD     (denials, List,       read,    &denial_list_request__descriptor,       s_list),
    SERVER_SUBJECT_METHOD  (denials, Show,       read,    &denial_id__descriptor,                 s_show,       s_resolve_show),
    SERVER_SUBJECT_METHOD  (denials, Assign,     work,    &denial_assign_request__descriptor,     s_assign,     s_resolve_assign),
    SERVER_SUBJECT_METHOD  (denials, Categorize, work,    &denial_categorize_request__descriptor, s_categorize, s_resolve_categorize),
    SERVER_SUBJECT_METHOD  (denials, State,      work,    &denial_state_request__descriptor,      s_state,      s_resolve_state),
    SERVER_SUBJECT_METHOD  (denials, Resolve,    work,    &denial_resolve_request__descriptor,    s_resolve,    s_resolve_resolve),
    SERVER_SUBJECT_METHOD  (denials, Approve,    approve, &denial_id__descriptor,                 s_approve,    s_resolve_show),
    SERVER_UNSCOPED_METHOD (denials, Policies,   read,    NULL,                                   s_policies),
    SERVER_SUBJECT_METHOD  (denials, Correct,    work,    &denial_correct_request__descriptor,    s_correct,    s_resolve_correct),
    SERVER_SUBJECT_METHOD  (denials, Appeal,     work,    &denial_appeal_request__descriptor,     s_appeal,     s_resolve_appeal),
    { NULL }
};
