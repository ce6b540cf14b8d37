/*  followup: see followup.h. One table says what each claim status does
    to the claim's follow_up item; claims.WorkRequestDoc opens a
    documentation request the follow-up waits for.
*/
#include "followup.h"
#include "ledger.h"
#include "lifecycle.h"
#include "text.h"
#include "workservice.h"
#include "clock.h"
#include "codec.h"

typedef enum { FOLLOW_TRACK, FOLLOW_OPEN, FOLLOW_REOPEN, FOLLOW_DONE } s_action_t;

static const struct {
    const char *status;
    s_action_t action;
} s_actions [] = {
    { "submitted",      FOLLOW_OPEN },
    { "accepted",       FOLLOW_OPEN },
    { "rejected",       FOLLOW_REOPEN },
    { "paid",           FOLLOW_DONE },
    { "partially_paid", FOLLOW_DONE },
    { "denied",         FOLLOW_DONE },
    { "voided",         FOLLOW_DONE },
    { "closed",         FOLLOW_DONE },
};

static s_action_t
s_action (const char *status)
{
    for (size_t i = 0; i < sizeof s_actions / sizeof s_actions [0]; i++)
        if (streq (s_actions [i].status, status))
            return s_actions [i].action;
    return FOLLOW_TRACK;
}

//  A number of days in decimal (16 bytes hold any int).
static void
s_number (char *out, int value)
{
    char digits [16];
    size_t count = 0;
    unsigned magnitude = value < 0? 0u - (unsigned) value: (unsigned) value;
    do {
        digits [count++] = (char) ('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    size_t at = 0;
    if (value < 0)
        out [at++] = '-';
    while (count)
        out [at++] = digits [--count];
    out [at] = 0;
}

//  The claim's open follow_up item's id into id ("" when none): 0 or an
//  LMDB error.
static int
s_open_item (claims_t *self, MDB_txn *txn, const char *pcn, char *id, size_t size)
{
    return workitem_open_of_subject (self->work, txn, pcn, "follow_up", id, size);
}

//  A refusal of the model inside a consumer's or request's transaction is
//  a bug or a bad store: the change aborts, saying why.
static int
s_result (claims_t *self, int rc)
{
    if (rc == WORKITEM_REFUSED)
        return store_fail (self->store, "follow-up item: %s", workitem_error (self->work));
    return rc;
}

int
followup_track (claims_t *self, MDB_txn *txn, const ClaimRecord *record, const char *old_status)
{
    if (!self->work)
        return 0;               //  a claims_t without work items (unit tests of the ledger)
    if (old_status && streq (old_status, record->status))
        return 0;
    //  A claim entering the ledger (no status before) has no item yet:
    //  items of a claim are made for its record, which is never removed,
    //  so the index is not read for each claim intake sends (issue 19).
    char id [WORKITEM_KEY_MAX] = "";
    int rc = old_status && !*old_status? 0: s_open_item (self, txn, record->pcn, id, sizeof id);
    if (rc)
        return rc;
    uint64_t now = clock_now_ms ();
    s_action_t action = s_action (record->status);
    //  Accepted with its item open: the state the item tracks, nothing
    //  more (the window is read only when it sets a due: issue 19).
    bool resubmitted = *id && streq (record->status, "submitted");
    if (action == FOLLOW_OPEN && *id && !resubmitted)
        return s_result (self, workitem_set_subject_state (self->work, txn, id, record->status, now));
    if (action == FOLLOW_OPEN) {
        int days;
        char source [384], note [512];
        rc = ledger_follow_up_days (self, txn, record, &days, source, sizeof source);
        if (rc)
            return rc;
        uint64_t due = (record->submitted_ms? record->submitted_ms: now) + (uint64_t) days * CLOCK_MS_PER_DAY;
        //  Joined, not formatted (issue 19): "the payer's no-response
        //  window: <days> days (<source>)".
        char number [16];
        s_number (number, days);
        size_t length = text_append (note, sizeof note, 0, "the payer's no-response window: ");
        length = text_append (note, sizeof note, length, number);
        length = text_append (note, sizeof note, length, " days (");
        length = text_append (note, sizeof note, length, source);
        text_append (note, sizeof note, length, ")");
        if (!*id) {
            workitem_spec_t spec = {
                .type = "follow_up", .subject = record->pcn, .subject_state = record->status,
                .queue = record->dims? record->dims->queue: "", .due_ms = due, .note = note,
            };
            return s_result (self, workitem_create (self->work, txn, &spec, "claims", now, NULL));
        }
        //  A new submission starts the payer's window again (the state
        //  it tracks and its due in one change of the item).
        char again [600];
        snprintf (again, sizeof again, "resubmitted; %s", note);
        return s_result (self, workitem_track_due (self->work, txn, id, record->status, due, "claims", again, now));
    }
    if (!*id)
        return 0;
    if (action == FOLLOW_DONE) {
        //  Joined, not formatted: every claim paid or denied comes here.
        char note [64];
        text_append (note, sizeof note, text_append (note, sizeof note, 0, "claim "), record->status);
        return s_result (self, workitem_track_state (self->work, txn, id, record->status, "done", "claims", note,
                                                     now));
    }
    rc = workitem_set_subject_state (self->work, txn, id, record->status, now);
    if (rc == 0 && action == FOLLOW_REOPEN) {
        WorkItem *item;
        rc = workitem_get (self->work, txn, id, &item);
        if (rc == 0 && streq (item->state, "waiting_payer"))
            rc = workitem_set_state (self->work, txn, id, "open", "claims", "the payer rejected the claim", now, NULL);
        codec_free (item);
    }
    return s_result (self, rc);
}

int
followup_edit (claims_t *self, MDB_txn *txn, const char *pcn, const char *actor, const char *assignee,
               uint64_t next_action_ms, const char *note, const char *state)
{
    if (!self->work)
        return 0;
    char id [WORKITEM_KEY_MAX];
    int rc = s_open_item (self, txn, pcn, id, sizeof id);
    if (rc || !*id)
        return rc;
    uint64_t now = clock_now_ms ();
    WorkItem *item;
    rc = workitem_get (self->work, txn, id, &item);
    //  The one edit that can be refused is checked before any is made.
    char error [256];
    if (rc == 0 && state && *state && workstate_check (item->state, state, error, sizeof error)) {
        codec_free (item);
        //  Through the model, so its status and message say why.
        return workitem_set_state (self->work, txn, id, state, actor, NULL, now, NULL);
    }
    if (rc == 0 && assignee && *assignee && !streq (assignee, item->owner))
        rc = workitem_assign (self->work, txn, id, assignee, actor, NULL, now, NULL);
    if (rc == 0 && next_action_ms)
        rc = workitem_set_due (self->work, txn, id, next_action_ms, actor, NULL, now, NULL);
    if (rc == 0 && note && *note)
        rc = workitem_note (self->work, txn, id, actor, note, now, NULL);
    if (rc == 0 && state && *state)
        rc = workitem_set_state (self->work, txn, id, state, actor, NULL, now, NULL);
    codec_free (item);
    return rc;
}

//  --------------------------------------------------------------------------
//  claims.WorkRequestDoc: the practice is asked for documentation of a
//  claim (a note, an authorization number, a coding answer). The request
//  is a work item of its own, of the claim's queue; the grid gives it to
//  the practice's internal team in every phase, under the
//  documentation_request policy. The claim's open follow-up waits for it
//  in waiting_practice (workitem_wait) until it is answered.

#define DOC_WHAT_MAX   2000
#define DOC_DENIAL_MAX 128

static int
s_request_doc (server_call_t *call)
{
    claims_t *self = claims_state (call);
    WorkDocRequest *request = (WorkDocRequest *) call->body;
    const char *method = call->request->method;
    if (!*request->what)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "%s: --what is empty: say what the practice is asked to send", method);
    if (strlen (request->what) > DOC_WHAT_MAX)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: --what is %zu bytes long (at most %d)",
                                 method, strlen (request->what), DOC_WHAT_MAX);
    if (strlen (request->denial) > DOC_DENIAL_MAX)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: --denial is %zu bytes long (at most %d)",
                                 method, strlen (request->denial), DOC_DENIAL_MAX);
    if (!self->work)
        return server_call_fail (call, STATUS__FAILED_PRECONDITION, "%s: this claims service holds no work items",
                                 method);
    ClaimRecord *record;
    int rc = ledger_get (self, call->txn, request->subject, &record);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (!record)
        return server_call_fail (call, STATUS__NOT_FOUND, "%s: no claim '%s'", method, request->subject);
    if (!lifecycle_open (record->status)) {
        server_call_fail (call, STATUS__FAILED_PRECONDITION, "%s: claim %s is %s: nothing waits for documentation",
                          method, record->pcn, record->status);
        codec_free (record);
        return 0;
    }
    char follow [WORKITEM_KEY_MAX];
    rc = s_open_item (self, call->txn, record->pcn, follow, sizeof follow);
    WorkItem *item = NULL;
    if (rc == 0) {
        workitem_spec_t spec = {
            .type = "documentation_request", .subject = record->pcn, .subject_state = record->status,
            .queue = record->dims? record->dims->queue: "", .note = request->what, .what = request->what,
            .denial = request->denial, .blocks = follow,
        };
        rc = workitem_create (self->work, call->txn, &spec, call->caller->name, clock_now_ms (), &item);
    }
    codec_free (record);
    return workservice_reply (call, rc, item);
}

//  The claim a request names, for the server's scope check.
static int
s_scope_doc (server_call_t *call)
{
    return ledger_scope (call, ((WorkDocRequest *) call->body)->subject);
}

const server_method_t followup_methods [] = {
    { "claims.WorkRequestDoc", "work.work", &work_doc_request__descriptor, s_request_doc, SERVER_SUBJECT,
      s_scope_doc, SERVER_NO_PHI },
    { NULL }
};
