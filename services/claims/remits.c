/*  remits: 835 remittances posted to claims, and the exception list.

        claims.Post            FileRequest -> PostReply        claims.post
        claims.ListExceptions  -> ExceptionList                claims.read
        claims.MatchException  MatchExceptionRequest -> PostReply   claims.post

    A file is posted whole or not at all: it must read cleanly and every
    claim, line and payment total must balance (remit835_check), else it is
    refused naming what does not add up. A remittance (payer, TRN trace)
    that was posted before changes nothing the second time. Each CLP is
    applied by posting_apply; its claim moves through the lifecycle and the
    claims stream hears adjudicated / reversed, denied and patient_balance.
    A CLP whose claim is unknown (or that cannot apply: a reversal of
    nothing, a claim never submitted) waits in the exception list until the
    claim arrives from intake or someone matches it by hand. PLB
    provider-level adjustments are recorded against the payee, never spread
    over claims.
*/
#include "claims.h"
#include "lifecycle.h"
#include "posting.h"
#include "remit835.h"
#include "access.h"
#include "clock.h"
#include "codec.h"
#include "log.h"

typedef struct {
    zlistx_t *remits;           //  Remittance*, owned
} s_read_t;

static void
s_remit_free (void **item_p)
{
    codec_free (*item_p);
    *item_p = NULL;
}

static int
s_on_remit (Remittance **remit_p, void *arg)
{
    s_read_t *read = (s_read_t *) arg;
    zlistx_add_end (read->remits, *remit_p);
    *remit_p = NULL;
    return 0;
}

//  --------------------------------------------------------------------------
//  Exceptions

static size_t
s_pcn_key (char *key, size_t size, const char *pcn, const char *id)
{
    int n = snprintf (key, size, "%s%c%s", pcn, 0, id);
    return n < 0 || (size_t) n >= size? size - 1: (size_t) n;
}

static int
s_add_exception (claims_t *self, MDB_txn *txn, const Posting *posting, size_t index, const char *reason)
{
    char id [192];
    snprintf (id, sizeof id, "%s/%s/%zu", posting->payer_id, posting->trace, index);
    RemitException exception = REMIT_EXCEPTION__INIT;
    exception.id = id;
    exception.trace = posting->trace;
    exception.payer_id = posting->payer_id;
    exception.payment_date = posting->payment_date;
    exception.remit = posting->remit;
    exception.reason = (char *) reason;
    exception.received_ms = clock_now_ms ();
    size_t size;
    uint8_t *packed = codec_pack (&exception, &size);
    int rc = store_put (self->store, txn, "exceptions", id, strlen (id), packed, size);
    free (packed);
    if (rc == 0) {
        char key [320];
        rc = store_put (self->store, txn, "exception_pcns", key,
                        s_pcn_key (key, sizeof key, posting->remit->pcn, id), "", 0);
    }
    return rc;
}

static int
s_drop_exception (claims_t *self, MDB_txn *txn, const RemitException *exception)
{
    int rc = store_del (self->store, txn, "exceptions", exception->id, strlen (exception->id));
    if (rc == 0) {
        char key [320];
        rc = store_del (self->store, txn, "exception_pcns", key,
                        s_pcn_key (key, sizeof key, exception->remit->pcn, exception->id));
    }
    return rc == MDB_NOTFOUND? 0: rc;
}

//  --------------------------------------------------------------------------
//  Posting one CLP

typedef struct {
    uint32_t posted;
    uint32_t exceptions;
    int64_t paid_cents;
} s_tally_t;

//  Applies posting to the claim pcn. Returns 0 with *refusal empty when
//  posted, 0 with *refusal set when it cannot apply (the caller files an
//  exception), or an LMDB error.
static int
s_post (claims_t *self, MDB_txn *txn, const char *pcn, const Posting *posting, const char *actor,
        bool late_claim, char *refusal, size_t size)
{
    *refusal = 0;
    ClaimRecord *record = ledger_get (self, txn, pcn);
    if (!record) {
        snprintf (refusal, size, "no claim with patient control number %s", pcn);
        return 0;
    }
    char error [256];
    char old_status [32];
    snprintf (old_status, sizeof old_status, "%s", record->status);
    uint64_t now = clock_now_ms ();
    //  A remit that came before its claim: the claim was at the payer all
    //  along (sent by the practice before rcmq took over), so it is
    //  submitted now in the books, then posted.
    if (late_claim && streq (record->status, "ready"))
        lifecycle_move (record, "submitted", actor, "remittance received before the claim", now,
                        error, sizeof error);
    if (streq (record->status, "ready")) {
        snprintf (refusal, size, "claim %s was never submitted", pcn);
        codec_free (record);
        return 0;
    }
    RemitClaim *remit = posting->remit;
    Claim *claim = record->claim? record->claim->claim: NULL;
    posting_match_lines (remit, claim);
    posting_result_t result;
    if (posting_apply (record, posting, &result, error, sizeof error)) {
        snprintf (refusal, size, "%s", error);
        codec_free (record);
        return 0;
    }
    char reason [256];
    snprintf (reason, sizeof reason, "%s CLP02 %s in 835 %s from payer %s", result.reversal? "reversal": "adjudication",
              remit->status_code, posting->trace, posting->payer_id);
    if (!streq (record->status, result.to_status)
    &&  lifecycle_move (record, result.to_status, actor, reason, now, error, sizeof error)) {
        snprintf (refusal, size, "%s", error);
        codec_free (record);
        return 0;
    }
    if (streq (record->status, result.to_status) && streq (old_status, result.to_status)) {
        //  paid -> paid (a second payment) is a move of its own in history.
        lifecycle_move (record, result.to_status, actor, reason, now, error, sizeof error);
    }
    int rc = ledger_put (self, txn, record, old_status);
    ClaimEvent event = CLAIM_EVENT__INIT;
    event.from_status = old_status;
    event.actor = (char *) actor;
    event.reason = reason;
    event.time_ms = now;
    event.posting = (Posting *) posting;
    event.first_adjudication = result.first_adjudication;
    event.remit_date = posting->payment_date;
    event.delta_paid_cents = result.delta.paid_cents;
    event.delta_patient_responsibility_cents = result.delta.patient_responsibility_cents;
    event.delta_contractual_cents = result.delta.contractual_cents;
    event.delta_denied_cents = result.delta.denied_cents;
    if (rc == 0)
        rc = ledger_emit (self, txn, result.reversal? "reversed": "adjudicated", record, &event);
    if (rc == 0 && result.denied) {
        ClaimEvent denied = CLAIM_EVENT__INIT;
        denied.from_status = old_status;
        denied.actor = (char *) actor;
        denied.reason = reason;
        denied.time_ms = now;
        denied.remit_date = posting->payment_date;
        denied.first_adjudication = result.first_adjudication;
        denied.n_denials = record->n_denials;
        denied.denials = record->denials;
        rc = ledger_emit (self, txn, "denied", record, &denied);
    }
    if (rc == 0 && result.patient_balance_changed) {
        ClaimEvent balance = CLAIM_EVENT__INIT;
        balance.actor = (char *) actor;
        balance.reason = reason;
        balance.time_ms = now;
        balance.delta_patient_responsibility_cents = result.delta.patient_responsibility_cents;
        rc = ledger_emit (self, txn, "patient_balance", record, &balance);
    }
    codec_free (record);
    return rc;
}

//  --------------------------------------------------------------------------
//  claims.Post

static int
s_post_remittance (claims_t *self, server_call_t *call, Remittance *remit, s_tally_t *tally)
{
    MDB_txn *txn = call->txn;
    uint64_t now = clock_now_ms ();
    for (size_t i = 0; i < remit->n_claims; i++) {
        Posting posting = POSTING__INIT;
        posting.trace = remit->trace;
        posting.payer_id = remit->payer_id;
        posting.payment_date = remit->payment_date;
        posting.remit = remit->claims [i];
        posting.posted_ms = now;
        posting.actor = (char *) call->caller->name;
        char refusal [320];
        int rc = s_post (self, txn, remit->claims [i]->pcn, &posting, call->caller->name, false,
                         refusal, sizeof refusal);
        if (rc)
            return rc;
        if (*refusal) {
            rc = s_add_exception (self, txn, &posting, i, refusal);
            if (rc)
                return rc;
            tally->exceptions++;
        }
        else {
            tally->posted++;
            tally->paid_cents += remit->claims [i]->paid_cents;
            server_call_subject (call, remit->claims [i]->pcn);
        }
    }
    for (size_t i = 0; i < remit->n_provider_adjustments; i++) {
        char key [192];
        snprintf (key, sizeof key, "%s/%s/%zu", remit->payer_id, remit->trace, i);
        size_t size;
        uint8_t *packed = codec_pack (remit->provider_adjustments [i], &size);
        int rc = store_put (self->store, txn, "provider_adjustments", key, strlen (key), packed, size);
        free (packed);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_post_file (server_call_t *call)
{
    claims_t *self = claims_state (call);
    FileRequest *request = (FileRequest *) call->body;
    s_read_t read = { zlistx_new () };
    zlistx_set_destructor (read.remits, s_remit_free);
    x12_reader_t *reader = x12_reader_new_buffer (request->content.data, request->content.len);
    remit835_report_t report;
    memset (&report, 0, sizeof report);
    int parsed = remit835_read (reader, s_on_remit, &read, &report);
    x12_reader_destroy (&reader);
    int rc = 0;
    if (parsed || zlistx_size (read.remits) == 0) {
        server_call_fail (call, STATUS__INVALID_ARGUMENT, "claims.Post: %s is not a readable 835: %s",
                          request->filename, parsed? report.error: "no transaction set");
        zlistx_destroy (&read.remits);
        return 0;
    }
    for (Remittance *remit = (Remittance *) zlistx_first (read.remits); remit;
         remit = (Remittance *) zlistx_next (read.remits)) {
        char error [512];
        if (remit835_check (remit, error, sizeof error)) {
            server_call_fail (call, STATUS__FAILED_PRECONDITION, "claims.Post: %s refused, nothing posted: %s",
                              request->filename, error);
            zlistx_destroy (&read.remits);
            return 0;
        }
    }
    PostReply reply = POST_REPLY__INIT;
    s_tally_t tally = { 0 };
    uint32_t fresh = 0;
    int64_t provider_adjustments = 0;
    char traces [256] = "";
    for (Remittance *remit = (Remittance *) zlistx_first (read.remits); remit && rc == 0;
         remit = (Remittance *) zlistx_next (read.remits)) {
        snprintf (traces + strlen (traces), sizeof traces - strlen (traces), "%s%s", *traces? ",": "", remit->trace);
        char key [192];
        snprintf (key, sizeof key, "%s/%s", remit->payer_id, remit->trace);
        MDB_val seen;
        if (store_get (self->store, call->txn, "remits", key, strlen (key), &seen) == 0)
            continue;       //  posted before: the same trace from the same payer
        fresh++;
        rc = s_post_remittance (self, call, remit, &tally);
        for (size_t i = 0; i < remit->n_provider_adjustments; i++)
            provider_adjustments += remit->provider_adjustments [i]->amount_cents;
        if (rc == 0) {
            char summary [256];
            int n = snprintf (summary, sizeof summary, "%s posted %" PRIu64 " by %s", request->filename,
                              clock_now_ms (), call->caller->name);
            rc = store_put (self->store, call->txn, "remits", key, strlen (key), summary, (size_t) n);
        }
    }
    zlistx_destroy (&read.remits);
    if (rc)
        return rc;
    reply.trace = traces;
    reply.claims_posted = tally.posted;
    reply.paid_cents = tally.paid_cents;
    reply.exceptions = tally.exceptions;
    reply.duplicate = fresh == 0;
    reply.provider_adjustment_cents = provider_adjustments;
    server_call_reply (call, &reply);
    return 0;
}

//  --------------------------------------------------------------------------
//  Exceptions: list, match by hand, and post when the claim arrives

static int
s_list_exceptions (server_call_t *call)
{
    claims_t *self = claims_state (call);
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (call->txn, store_table (self->store, "exceptions"), &cursor);
    if (rc)
        return rc;
    ExceptionList list = EXCEPTION_LIST__INIT;
    zlistx_t *rows = zlistx_new ();
    zlistx_set_destructor (rows, s_remit_free);
    MDB_val key, value;
    for (rc = mdb_cursor_get (cursor, &key, &value, MDB_FIRST); rc == 0 && zlistx_size (rows) < 1000;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        RemitException *exception = (RemitException *) codec_decode (&remit_exception__descriptor,
                                                                      value.mv_data, value.mv_size);
        //  A vendor sees an exception only when its claim is one of theirs.
        bool visible = exception;
        if (exception && access_scope_team (call->caller)) {
            ClaimRecord *record = ledger_get (self, call->txn, exception->remit? exception->remit->pcn: "");
            visible = ledger_in_scope (call, record);
            codec_free (record);
        }
        if (visible)
            zlistx_add_end (rows, exception);
        else
            codec_free (exception);
    }
    mdb_cursor_close (cursor);
    list.n_exceptions = zlistx_size (rows);
    list.exceptions = (RemitException **) calloc (list.n_exceptions + 1, sizeof (RemitException *));
    size_t i = 0;
    for (RemitException *e = (RemitException *) zlistx_first (rows); e; e = (RemitException *) zlistx_next (rows))
        list.exceptions [i++] = e;
    server_call_reply (call, &list);
    free (list.exceptions);
    zlistx_destroy (&rows);
    return 0;
}

//  Posts an exception to a claim; 0 with refusal set when it still cannot.
static int
s_post_exception (claims_t *self, MDB_txn *txn, RemitException *exception, const char *pcn,
                  const char *actor, char *refusal, size_t size)
{
    Posting posting = POSTING__INIT;
    posting.trace = exception->trace;
    posting.payer_id = exception->payer_id;
    posting.payment_date = exception->payment_date;
    posting.remit = exception->remit;
    posting.posted_ms = clock_now_ms ();
    posting.actor = (char *) actor;
    int rc = s_post (self, txn, pcn, &posting, actor, true, refusal, size);
    if (rc == 0 && !*refusal)
        rc = s_drop_exception (self, txn, exception);
    return rc;
}

static int
s_match_exception (server_call_t *call)
{
    claims_t *self = claims_state (call);
    MatchExceptionRequest *request = (MatchExceptionRequest *) call->body;
    MDB_val value;
    if (store_get (self->store, call->txn, "exceptions", request->id, strlen (request->id), &value))
        return server_call_fail (call, STATUS__NOT_FOUND, "claims.MatchException: no exception '%s'", request->id);
    RemitException *exception = (RemitException *) codec_decode (&remit_exception__descriptor,
                                                                  value.mv_data, value.mv_size);
    if (!exception)
        return server_call_fail (call, STATUS__INTERNAL, "claims.MatchException: %s does not decode", request->id);
    const char *pcn = *request->pcn? request->pcn: exception->remit->pcn;
    char refusal [320];
    int rc = s_post_exception (self, call->txn, exception, pcn, call->caller->name, refusal, sizeof refusal);
    if (rc == 0 && *refusal)
        server_call_fail (call, STATUS__FAILED_PRECONDITION, "claims.MatchException: %s", refusal);
    else
    if (rc == 0) {
        PostReply reply = POST_REPLY__INIT;
        reply.trace = exception->trace;
        reply.claims_posted = 1;
        reply.paid_cents = exception->remit->paid_cents;
        server_call_subject (call, pcn);
        server_call_reply (call, &reply);
    }
    codec_free (exception);
    return rc;
}

int
remits_claim_arrived (claims_t *self, MDB_txn *txn, const char *pcn)
{
    char start [160];
    size_t prefix = (size_t) snprintf (start, sizeof start, "%s", pcn) + 1;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, store_table (self->store, "exception_pcns"), &cursor);
    if (rc)
        return rc;
    zlistx_t *ids = zlistx_new ();
    zlistx_set_destructor (ids, (zlistx_destructor_fn *) zstr_free);
    MDB_val key = { prefix, start }, value;
    for (rc = mdb_cursor_get (cursor, &key, &value, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get (cursor, &key, &value, MDB_NEXT)) {
        if (key.mv_size < prefix || memcmp (key.mv_data, start, prefix))
            break;
        zlistx_add_end (ids, strndup ((const char *) key.mv_data + prefix, key.mv_size - prefix));
    }
    mdb_cursor_close (cursor);
    rc = 0;
    for (char *id = (char *) zlistx_first (ids); id && rc == 0; id = (char *) zlistx_next (ids)) {
        if (store_get (self->store, txn, "exceptions", id, strlen (id), &value))
            continue;
        RemitException *exception = (RemitException *) codec_decode (&remit_exception__descriptor,
                                                                      value.mv_data, value.mv_size);
        if (!exception)
            continue;
        char refusal [320];
        rc = s_post_exception (self, txn, exception, pcn, "rcmq-claims", refusal, sizeof refusal);
        if (rc == 0 && *refusal)
            log_warn ("exception still cannot be posted", "id", json_string (id), "reason", json_string (refusal), NULL);
        codec_free (exception);
    }
    zlistx_destroy (&ids);
    return rc;
}

//  claims.MatchException acts on the exception's claim and on the claim
//  it is matched to: a vendor must see both (an exception whose claim is
//  unknown is nobody's queue, so internal work).
static int
s_scope_match (server_call_t *call)
{
    claims_t *self = claims_state (call);
    MatchExceptionRequest *request = (MatchExceptionRequest *) call->body;
    MDB_val value;
    RemitException *exception = NULL;
    if (store_get (self->store, call->txn, "exceptions", request->id, strlen (request->id), &value) == 0)
        exception = (RemitException *) codec_decode (&remit_exception__descriptor, value.mv_data, value.mv_size);
    //  The exception is in the scope of the claim it names.
    ClaimRecord *record = exception && exception->remit? ledger_get (self, call->txn, exception->remit->pcn): NULL;
    server_call_scope (call, "exception", request->id, record && record->dims? record->dims->phase: NULL,
                       record && record->dims? record->dims->vendor_team: NULL);
    codec_free (record);
    codec_free (exception);
    return *request->pcn? ledger_scope (call, request->pcn): 0;
}

const server_method_t claims_remit_methods [] = {
    //  An 835 pays claims of every queue: internal only.
    { "claims.Post",           "claims.post", &file_request__descriptor,            s_post_file,       SERVER_INTERNAL, NULL },
    { "claims.ListExceptions", "claims.read", NULL,                                 s_list_exceptions, SERVER_LIST, NULL },
    { "claims.MatchException", "claims.post", &match_exception_request__descriptor, s_match_exception, SERVER_SUBJECT,
      s_scope_match },
    { NULL }
};
