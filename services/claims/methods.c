/*  methods: reading claims and working them.

        claims.List      ClaimListRequest -> ClaimList      claims.read
        claims.Show      ClaimKey -> ClaimRecord            claims.read   PHI: name, DOB, address, member id
        claims.FollowUp  FollowUpRequest -> ClaimRecord     claims.work
        claims.ListFollowUp  DueRequest -> ClaimList        claims.read

    Replies leave out the sealed claim: these are work lists, and the PHI
    stays sealed unless a method needs it. claims.Show does: a biller calls
    the payer about one patient, so it opens the claim and answers the
    patient's name, date of birth, member id and address, each placed with
    server_call_phi -- in the form the caller's role may see (masked for
    vendor staff, nothing for leaders), and listed in the call's
    AccessEvent. Its table entry declares those four fields; the other
    methods declare none and answer no PHI. Vendor roles see only claims of
    queues in pilot or vendor phase whose vendor team is theirs: lists are
    filtered, and the server answers NOT_FOUND for another's claim before
    Show or FollowUp runs (scope marks, server.h).
*/
#include "methods.h"
#include "registry.h"
#include "ledger.h"
#include "lifecycle.h"
#include "followup.h"
#include "access.h"
#include "clock.h"
#include "codec.h"
#include "log.h"
#include "phi_claim.h"

#include <sodium.h>

static bool
s_in_scope (server_call_t *call, const ClaimRecord *record)
{
    return ledger_in_scope (call, record);
}

//  The record as replies carry it: without the sealed claim.
static ClaimRecord *
s_for_reply (ClaimRecord *record)
{
    codec_free (record->claim);
    record->claim = NULL;
    return record;
}

static bool
s_matches (const ClaimListRequest *request, const ClaimRecord *record)
{
    if (*request->queue && (!record->dims || !streq (record->dims->queue, request->queue)))
        return false;
    if (*request->payer_id && (!record->dims || !streq (record->dims->payer_id, request->payer_id)))
        return false;
    return true;
}

//  A filter naming what does not exist is refused with what does: an empty
//  list would read as "nothing to do" (issue 12 item 8). Queues are those
//  claims has heard of (queue.changed), statuses the lifecycle's.
//
//  0 (with the call failed when the queue is unknown), or an LMDB error.
static int
s_check_queue (server_call_t *call, const char *queue)
{
    claims_t *self = claims_state (call);
    MDB_val value;
    int rc = store_get (self->store, call->txn, "queues", queue, strlen (queue), &value);
    if (rc != MDB_NOTFOUND)
        return rc;
    char known [512] = "";
    size_t used = 0;
    store_iter_t *iter = store_iter_new (self->store, call->txn, "queues", NULL, 0);
    MDB_val key;
    while (store_iter_next (iter, &key, &value) && used < sizeof known) {
        //  A vendor is told only of the queues it may see.
        Queue *known_queue = (Queue *) codec_decode (&queue__descriptor, value.mv_data, value.mv_size);
        if (known_queue && server_call_in_scope (call, known_queue->phase, known_queue->vendor_team)) {
            int n = snprintf (known + used, sizeof known - used, "%s%s", used? ", ": "", known_queue->id);
            used += n > 0? (size_t) n: 0;
        }
        codec_free (known_queue);
    }
    rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    if (rc)
        return rc;
    return server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: no queue '%s' (queues: %s)",
                             call->request->method, queue, *known? known: "none yet");
}

//  False, with the call failed, when status is not the lifecycle's.
static bool
s_status_known (server_call_t *call, const char *status)
{
    if (lifecycle_known (status))
        return true;
    char known [256];
    lifecycle_names (known, sizeof known);
    server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: no status '%s' (statuses: %s)",
                      call->request->method, status, known);
    return false;
}

//  False, with the call failed, when the limit is above the maximum.
static bool
s_limit_taken (server_call_t *call, uint32_t requested, size_t *limit)
{
    char error [128];
    if (store_page_limit (requested, STORE_PAGE_DEFAULT, STORE_PAGE_MAX, limit, error, sizeof error) == 0)
        return true;
    server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: %s", call->request->method, error);
    return false;
}

typedef struct {
    server_call_t *call;
    const ClaimListRequest *request;
    bool by_status;
    int rc;                         //  a claim of the index that could not be read
} s_list_t;

//  One row of claims.List: the by_status index holds only the PCN, and
//  claim_keys the record's key (ADR 82).
static void *
s_list_row (void *arg, const char *pcn, const MDB_val *value)
{
    s_list_t *list = (s_list_t *) arg;
    claims_t *self = claims_state (list->call);
    ClaimRecord *record = NULL;
    if (!list->by_status) {
        MDB_val id = { strlen (pcn), (void *) pcn }, bytes;
        int rc = ledger_record_at (self, list->call->txn, &id, value, &bytes);
        if (rc == 0)
            record = (ClaimRecord *) codec_decode (&claim_record__descriptor, bytes.mv_data, bytes.mv_size);
        else
        if (!list->rc)
            list->rc = rc;
    }
    else {
        //  Kept, not skipped: a page that silently lacks a claim reads as
        //  a shorter list.
        int rc = ledger_get (self, list->call->txn, pcn, &record);
        if (rc && rc != MDB_NOTFOUND && !list->rc)
            list->rc = rc;
    }
    if (!record || !s_matches (list->request, record) || !s_in_scope (list->call, record)) {
        codec_free (record);
        return NULL;
    }
    return s_for_reply (record);
}

static int
s_list (server_call_t *call)
{
    claims_t *self = claims_state (call);
    ClaimListRequest *request = (ClaimListRequest *) call->body;
    size_t limit;
    if (*request->status && !s_status_known (call, request->status))
        return 0;
    if (*request->queue) {
        int rc = s_check_queue (call, request->queue);
        if (rc || call->status)
            return rc;
    }
    if (!s_limit_taken (call, request->limit, &limit))
        return 0;
    //  With a status, walk that status's index ("status\0pcn"); else every
    //  claim, by PCN: the key table's order, as "claims" is in payer order.
    s_list_t list = { call, request, *request->status, 0 };
    store_page_query_t query = { LEDGER_KEYS_TABLE, "by_status", request->status, request->after, limit };
    store_page_t page;
    int rc = store_page_read (self->store, call->txn, &query, s_list_row, codec_free, &list, &page);
    if (rc == 0)
        rc = list.rc;
    if (rc == 0)
        server_call_reply_page (call, &claim_list__descriptor, &page);
    store_page_clear (&page);
    return rc;
}

//  The patient of claims.Show, placed into record as the caller may see
//  it. The patient is the claim's 2010CA patient when it has one (a
//  dependant), else the subscriber; the member id is the subscriber's, as
//  the payer knows the coverage by it.
static void
s_place_patient (server_call_t *call, ClaimRecord *record)
{
    claims_t *self = claims_state (call);
    Claim *claim = record->claim? phi_claim_open (self->phi_key, record->claim): NULL;
    if (!claim) {
        //  The record still answers (its money and history are not PHI);
        //  the patient fields stay empty, and the operator is told.
        if (record->claim)
            log_warn ("claims.Show: the claim's PHI does not open with this deployment's key",
                      "pcn", json_string (record->pcn), NULL);
        return;
    }
    const Subscriber *subscriber = claim->subscriber;
    const Patient *patient = claim->patient && *claim->patient->last_name? claim->patient: NULL;
    char plain [512], shown [512];
    if (patient)
        mask_name_text (patient->last_name, patient->first_name, patient->middle_name, patient->suffix,
                        plain, sizeof plain);
    else
    if (subscriber)
        mask_name_text (subscriber->last_name, subscriber->first_name, subscriber->middle_name,
                        subscriber->suffix, plain, sizeof plain);
    else
        *plain = 0;
    server_call_phi (call, MASK_FIELD_NAME, "patient_name", plain, shown, sizeof shown);
    codec_set_text (&record->patient_name, shown);

    const char *dob = patient? patient->birth_date: subscriber? subscriber->birth_date: "";
    server_call_phi (call, MASK_FIELD_DOB, "patient_dob", dob, shown, sizeof shown);
    codec_set_text (&record->patient_dob, shown);

    server_call_phi (call, MASK_FIELD_MEMBER_ID, "member_id", subscriber? subscriber->member_id: "",
                     shown, sizeof shown);
    codec_set_text (&record->member_id, shown);

    const Address *address = patient && patient->address? patient->address
                           : subscriber? subscriber->address: NULL;
    mask_address_text (address, plain, sizeof plain);
    server_call_phi (call, MASK_FIELD_ADDRESS, "patient_address", plain, shown, sizeof shown);
    codec_set_text (&record->patient_address, shown);

    sodium_memzero (plain, sizeof plain);
    sodium_memzero (shown, sizeof shown);
    codec_free (claim);
}

static int
s_show (server_call_t *call)
{
    claims_t *self = claims_state (call);
    ClaimKey *request = (ClaimKey *) call->body;
    ClaimRecord *record;
    int rc = ledger_get (self, call->txn, request->pcn, &record);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (!record || !s_in_scope (call, record)) {
        codec_free (record);
        //  Out of scope reads as absent: a vendor learns nothing of others' claims.
        return server_call_fail (call, STATUS__NOT_FOUND, "claims.Show: no claim '%s'", request->pcn);
    }
    server_call_subject (call, record->pcn);
    //  The work the caller holds on this claim may need the patient in
    //  full (a payer asks for the DOB and member id): that work item is
    //  named in the access record, as what the view was for.
    if (self->work) {
        char item_id [64];
        rc = workitem_owner_needs (self->work, call->txn, record->pcn, call->caller->name,
                                   &call->phi_needed, item_id, sizeof item_id);
        if (rc) {
            codec_free (record);
            return rc;
        }
        if (*item_id)
            server_call_subject (call, item_id);
    }
    s_place_patient (call, record);
    server_call_reply (call, s_for_reply (record));
    codec_free (record);
    return 0;
}

//  "2026-11-30" or "20261130" -> "20261130"; NULL when not a date.
static bool
s_date (const char *text, char out [9])
{
    uint64_t ms;
    if (!text || clock_parse_iso8601 (text, &ms))
        return false;
    char iso [16];
    clock_format_date (ms, iso, sizeof iso);
    snprintf (out, 9, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
    return true;
}

static int
s_follow_up (server_call_t *call)
{
    claims_t *self = claims_state (call);
    FollowUpRequest *request = (FollowUpRequest *) call->body;
    ClaimRecord *record;
    int rc = ledger_get (self, call->txn, request->pcn, &record);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (!record || !s_in_scope (call, record)) {
        codec_free (record);
        return server_call_fail (call, STATUS__NOT_FOUND, "claims.FollowUp: no claim '%s'", request->pcn);
    }
    if (!lifecycle_open (record->status)) {
        codec_free (record);
        return server_call_fail (call, STATUS__FAILED_PRECONDITION, "claims.FollowUp: claim %s is %s",
                                 request->pcn, record->status);
    }
    char date [9];
    if (*request->next_action_date && !s_date (request->next_action_date, date)) {
        codec_free (record);
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "claims.FollowUp: next action date '%s' is not a date", request->next_action_date);
    }
    //  Work assigned to a name nobody holds would wait for no one: the
    //  assignee is an active person of the access registry (our copy).
    identity_t assignee;
    int found = *request->assignee? registry_person (call->store, call->txn, request->assignee, &assignee): 0;
    if (found) {
        codec_free (record);
        if (found < 0)
            return -1;
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "claims.FollowUp: no user '%s' (an assignee must be active in the access registry: rcmqctl access list)",
                                 request->assignee);
    }
    if (*request->assignee)
        codec_set_text (&record->assignee, request->assignee);
    if (*request->next_action_date)
        codec_set_text (&record->next_action_date, date);
    if (*request->note) {
        Note note = NOTE__INIT;
        note.time_ms = clock_now_ms ();
        note.actor = (char *) call->caller->name;
        note.text = request->note;
        //  The record owns its memory (decoded): the copy becomes its own.
        codec_append (&record->notes, &record->n_notes, codec_copy (&note));
    }
    //  The claim's follow-up work item takes the same edits, first: a
    //  refusal (a state it cannot move to) then leaves everything as it was.
    uint64_t next_ms = 0;
    if (*request->next_action_date)
        clock_parse_iso8601 (date, &next_ms);
    rc = followup_edit (self, call->txn, record->pcn, call->caller->name, request->assignee, next_ms,
                            request->note, request->state);
    if (rc) {
        codec_free (record);
        if (rc != WORKITEM_REFUSED)
            return rc;
        return server_call_fail (call, workitem_status (self->work), "claims.FollowUp: %s",
                                 workitem_error (self->work));
    }
    ClaimEvent event = CLAIM_EVENT__INIT;
    event.from_status = record->status;
    event.actor = (char *) call->caller->name;
    event.reason = request->note;
    rc = ledger_put (self, call->txn, record, record->status);
    if (rc == 0)
        rc = ledger_emit (self, call->txn, "followup", record, &event);

    if (rc == 0) {
        server_call_subject (call, record->pcn);
        server_call_reply (call, s_for_reply (record));
    }
    codec_free (record);
    return rc;
}

//  Sorting key for the due list: the date the claim became due.
typedef struct {
    char due [9];
    ClaimRecord *record;
} s_due_t;

static int
s_due_order (const void *a, const void *b)
{
    const s_due_t *x = (const s_due_t *) a, *y = (const s_due_t *) b;
    int by_date = strcmp (x->due, y->due);
    return by_date? by_date: strcmp (x->record->pcn, y->record->pcn);
}

static int
s_due (server_call_t *call)
{
    claims_t *self = claims_state (call);
    DueRequest *request = (DueRequest *) call->body;
    size_t limit;
    if (*request->queue) {
        int rc = s_check_queue (call, request->queue);
        if (rc || call->status)
            return rc;
    }
    if (!s_limit_taken (call, request->limit, &limit))
        return 0;
    uint64_t now = clock_now_ms ();
    char today [9];
    char iso [16];
    clock_format_date (now, iso, sizeof iso);
    snprintf (today, sizeof today, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);

    //  Due: an open claim whose next action date has come, or that has
    //  waited past its payer's follow-up days since submission.
    s_due_t *due = NULL;
    size_t count = 0, capacity = 0;
    //  The records in the table's order (by payer, ADR 82): the reply's
    //  is the sort's below, by date then PCN, whatever order they came in.
    store_iter_t *iter = store_iter_new (self->store, call->txn, "claims", NULL, 0);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        ClaimRecord *record = (ClaimRecord *) codec_decode (&claim_record__descriptor, value.mv_data, value.mv_size);
        if (!record || !lifecycle_open (record->status) || !s_in_scope (call, record)
        ||  (*request->queue && (!record->dims || !streq (record->dims->queue, request->queue)))) {
            codec_free (record);
            continue;
        }
        char since [9] = "";
        bool waiting = streq (record->status, "submitted") || streq (record->status, "accepted");
        if (*record->next_action_date && strcmp (record->next_action_date, today) <= 0)
            snprintf (since, sizeof since, "%s", record->next_action_date);
        else
        if (waiting && record->submitted_ms) {
            int days;
            char source [384];
            int rc = ledger_follow_up_days (self, call->txn, record, &days, source, sizeof source);
            if (rc) {
                codec_free (record);
                store_iter_destroy (&iter);
                for (size_t i = 0; i < count; i++)
                    codec_free (due [i].record);
                free (due);
                return rc;
            }
            uint64_t due_ms = record->submitted_ms + (uint64_t) days * CLOCK_MS_PER_DAY;
            if (due_ms <= now) {
                clock_format_date (due_ms, iso, sizeof iso);
                snprintf (since, sizeof since, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
            }
        }
        if (!*since) {
            codec_free (record);
            continue;
        }
        if (count == capacity) {
            capacity = capacity? capacity * 2: 64;
            due = (s_due_t *) realloc (due, capacity * sizeof (s_due_t));
        }
        snprintf (due [count].due, sizeof due [count].due, "%s", since);
        due [count++].record = s_for_reply (record);
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    if (rc) {
        for (size_t i = 0; i < count; i++)
            codec_free (due [i].record);
        free (due);
        return rc;
    }
    if (count)      //  qsort wants a real array even for none
        qsort (due, count, sizeof (s_due_t), s_due_order);
    size_t shown = count < limit? count: limit;
    ClaimRecord **rows = (ClaimRecord **) calloc (shown + 1, sizeof (ClaimRecord *));
    for (size_t i = 0; i < shown; i++) {
        rows [i] = due [i].record;
        server_call_subject (call, rows [i]->pcn);
    }
    ClaimList list = CLAIM_LIST__INIT;
    list.n_claims = shown;
    list.claims = rows;
    list.next = "";
    server_call_reply (call, &list);
    for (size_t i = 0; i < count; i++)
        codec_free (due [i].record);
    free (due);
    free (rows);
    return 0;
}

//  The claim a subject-scoped request acts on, for the server's scope check.
static int
s_scope_key (server_call_t *call)
{
    return ledger_scope (call, ((ClaimKey *) call->body)->pcn);
}

static int
s_scope_follow_up (server_call_t *call)
{
    return ledger_scope (call, ((FollowUpRequest *) call->body)->pcn);
}

const server_method_t claims_read_methods [] = {
    { "claims.List",     "claims.read", &claim_list_request__descriptor, s_list,      SERVER_LIST, NULL, SERVER_NO_PHI },
    { "claims.Show",     "claims.read", &claim_key__descriptor,          s_show,      SERVER_SUBJECT, s_scope_key,
      .phi = MASK_NEED (MASK_FIELD_NAME) | MASK_NEED (MASK_FIELD_DOB) | MASK_NEED (MASK_FIELD_ADDRESS)
           | MASK_NEED (MASK_FIELD_MEMBER_ID) },
    { "claims.FollowUp", "claims.work", &follow_up_request__descriptor,  s_follow_up, SERVER_SUBJECT, s_scope_follow_up, SERVER_NO_PHI },
    { "claims.ListFollowUp", "claims.read", &due_request__descriptor,    s_due,       SERVER_LIST, NULL, SERVER_NO_PHI },
    { NULL }
};
