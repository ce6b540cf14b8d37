/*  remits: 835 remittances posted to claims, the exception list and the
    credit balances.

        claims.Post            FileRequest -> PostReply        claims.post
        claims.ListExceptions  ExceptionListRequest -> ExceptionList   claims.read
        claims.MatchException  MatchExceptionRequest -> PostReply   claims.post
        claims.ListCredits     CreditListRequest -> CreditList         claims.read

    The file is the request's content, or a file spooled in chunks
    beforehand (inbound.h); either is read the same way. A file is refused
    whole only when it cannot be read as an 835
    (envelope, header, PLB, a segment out of place: remit835_stream) or when
    a payment total does not balance (BPR02 = sum of CLP04 - sum of PLB);
    the error names what does not add up. Otherwise every CLP is taken on
    its own (docs/posting.md):
      - unsound (could not be read, or the claim or a line does not add
        up): filed as an exception (kind "unsound") with its segment and
        reason, and not remembered, so the corrected file posts it later;
      - posted before (the same payer, trace, PCN and occurrence of the PCN
        in the set, in table remits): skipped, so nothing posts twice;
      - for no known claim, or one that cannot apply (a reversal of
        nothing, a claim never submitted): an exception (kind "unmatched" /
        "refused") that waits until the claim arrives from intake or a
        person matches it by hand;
      - contradicting its claim (a second payment, or a denial of a paid
        claim, without a reversal: posting.h): held on the claim, its money
        a credit balance, and filed as an exception (kind "contradicts");
      - else applied by posting_apply; the claim moves through the
        lifecycle and the claims stream hears adjudicated / reversed,
        denied and patient_balance.
    A set whose CLPs are all settled is also remembered whole (payer/trace),
    which is how sets posted before per-claim keys existed stay posted.
    Claims with a credit balance are indexed in table credits, and by
    age in credits_by_age (written in the same transactions), so
    claims.ListCredits reads a page oldest first without a sort. PLB
    provider-level adjustments are recorded against the payee, never
    spread over claims.
*/
#include "remits.h"
#include "ledger.h"
#include "lifecycle.h"
#include "posting.h"
#include "remit835.h"
#include "inbound.h"
#include "access.h"
#include "clock.h"
#include "codec.h"
#include "log.h"
#include "text.h"

static void
s_remit_free (void **item_p)
{
    codec_free (*item_p);
    *item_p = NULL;
}

//  --------------------------------------------------------------------------
//  Exceptions

static size_t
s_pcn_key (char *key, size_t size, const char *pcn, const char *id)
{
    int n = snprintf (key, size, "%s%c%s", pcn, 0, id);
    return n < 0 || (size_t) n >= size? size - 1: (size_t) n;
}

//  Appends value in decimal to out (size bytes) from at, as text_append
//  does (a u64 is at most 20 digits).
static size_t
s_append_number (char *out, size_t size, size_t at, uint64_t value)
{
    char digits [24];
    size_t start = sizeof digits - 1;
    digits [start] = 0;
    do {
        digits [--start] = (char) ('0' + value % 10);
        value /= 10;
    } while (value);
    return text_append (out, size, at, digits + start);
}

//  "payer/trace/" into out, the start of a CLP's id and of its place.
static size_t
s_set_prefix (char *out, size_t size, const char *payer_id, const char *trace)
{
    size_t at = text_append (out, size, 0, payer_id);
    at = text_append (out, size, at, "/");
    at = text_append (out, size, at, trace);
    return text_append (out, size, at, "/");
}

//  The id of a CLP, for its exception and for remembering it was posted:
//  payer/trace/PCN/occurrence, or payer/trace/@position without a PCN.
//  Joined, not formatted: every CLP of a post makes it (issue 19).
static void
s_clp_id (char *id, size_t size, const char *payer_id, const char *trace, const RemitClaim *remit, size_t position)
{
    size_t at = s_set_prefix (id, size, payer_id, trace);
    if (*remit->pcn) {
        at = text_append (id, size, at, remit->pcn);
        at = text_append (id, size, at, "/");
        s_append_number (id, size, at, remit->occurrence? remit->occurrence: 1);
    }
    else
        s_append_number (id, size, text_append (id, size, at, "@"), position + 1);
}

//  Files an exception; a copy goes to *filed (may be NULL) for the reply.
static int
s_add_exception (claims_t *self, MDB_txn *txn, const Posting *posting, const char *id, const char *kind,
                 const char *reason, uint64_t segment, int64_t credit_cents, zlistx_t *filed)
{
    RemitException exception = REMIT_EXCEPTION__INIT;
    exception.id = (char *) id;
    exception.trace = posting->trace;
    exception.payer_id = posting->payer_id;
    exception.payment_date = posting->payment_date;
    exception.remit = posting->remit;
    exception.reason = (char *) reason;
    exception.received_ms = clock_now_ms ();
    exception.segment = segment;
    exception.kind = (char *) kind;
    exception.credit_cents = credit_cents;
    size_t size;
    uint8_t *packed = codec_pack (&exception, &size);
    int rc = store_put (self->store, txn, "exceptions", id, strlen (id), packed, size);
    if (rc == 0 && filed)
        zlistx_add_end (filed, codec_decode (&remit_exception__descriptor, packed, size));
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

//  Drops the exception with this id if there is one (an unsound CLP that
//  the corrected file has now posted). One that cannot be read or does not
//  decode fails the call, naming it: taken for absent, it stayed filed
//  beside the posting that resolved it; deleted unread, its entry in
//  exception_pcns stayed behind.
static int
s_drop_exception_id (claims_t *self, MDB_txn *txn, const char *id)
{
    MDB_val value;
    int rc = store_get (self->store, txn, "exceptions", id, strlen (id), &value);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return store_fail (self->store, "claims: remit exception %s cannot be read from table exceptions: %s",
                           id, mdb_strerror (rc));
    RemitException *exception = (RemitException *) codec_decode (&remit_exception__descriptor,
                                                                  value.mv_data, value.mv_size);
    if (!exception || !exception->remit)
        rc = store_fail (self->store, "claims: remit exception %s in table exceptions does not decode", id);
    else
        rc = s_drop_exception (self, txn, exception);
    codec_free (exception);
    return rc;
}

//  --------------------------------------------------------------------------
//  Credit balances

//  The key of a credit in table credits_by_age: since_ms in 20 digits (so
//  text order is age order), '/', the PCN. It is also the credit's id in a
//  page of claims.ListCredits: the cursor next_after gives.
static size_t
s_age_key (char *key, size_t size, uint64_t since_ms, const char *pcn)
{
    int n = snprintf (key, size, "%020" PRIu64 "/%s", since_ms, pcn);
    return n < 0 || (size_t) n >= size? size - 1: (size_t) n;
}

//  Keeps table credits (PCN -> CreditBalance) and its age index
//  credits_by_age ("since/PCN" -> "") in step with a record, in the
//  transaction that changed the record's credit: the entry for the credit
//  as it was goes, the one for the credit as it is comes.
static int
s_index_credit (claims_t *self, MDB_txn *txn, const ClaimRecord *record)
{
    char key [320];
    MDB_val value;
    int rc = store_get (self->store, txn, "credits", record->pcn, strlen (record->pcn), &value);
    if (rc == 0) {
        CreditBalance *was = (CreditBalance *) codec_decode (&credit_balance__descriptor, value.mv_data,
                                                             value.mv_size);
        if (!was)
            return store_fail (self->store, "claims: the credit of %s does not decode", record->pcn);
        rc = store_del (self->store, txn, "credits_by_age", key,
                        s_age_key (key, sizeof key, was->since_ms, record->pcn));
        codec_free (was);
    }
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (record->credit_cents <= 0) {
        rc = store_del (self->store, txn, "credits", record->pcn, strlen (record->pcn));
        return rc == MDB_NOTFOUND? 0: rc;
    }
    CreditBalance credit = CREDIT_BALANCE__INIT;
    credit.pcn = record->pcn;
    credit.payer_id = record->dims? record->dims->payer_id: (char *) "";
    credit.credit_cents = record->credit_cents;
    credit.since_ms = record->credit_since_ms;
    size_t size;
    uint8_t *packed = codec_pack (&credit, &size);
    rc = store_put (self->store, txn, "credits", record->pcn, strlen (record->pcn), packed, size);
    free (packed);
    if (rc == 0)
        rc = store_put (self->store, txn, "credits_by_age", key,
                        s_age_key (key, sizeof key, credit.since_ms, record->pcn), "", 0);
    return rc;
}

int
remits_index_credit_ages (store_t *store, MDB_txn *txn)
{
    store_iter_t *iter = store_iter_new (store, txn, "credits", NULL, 0);
    MDB_val key, value;
    int rc = 0;
    while (rc == 0 && store_iter_next (iter, &key, &value)) {
        CreditBalance *credit = (CreditBalance *) codec_decode (&credit_balance__descriptor, value.mv_data,
                                                                value.mv_size);
        if (!credit) {
            rc = store_fail (store, "claims: the credit of %.*s does not decode", (int) key.mv_size,
                             (const char *) key.mv_data);
            break;
        }
        char age [320];
        rc = store_put (store, txn, "credits_by_age", age, s_age_key (age, sizeof age, credit->since_ms, credit->pcn),
                        "", 0);
        codec_free (credit);
    }
    if (rc == 0)
        rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    return rc;
}

//  --------------------------------------------------------------------------
//  Posting one CLP

typedef struct {
    uint32_t posted;
    uint32_t exceptions;
    uint32_t fresh;             //  CLPs not posted before (posted or filed now)
    int64_t paid_cents;
    int64_t credit_cents;
} s_tally_t;

//  What became of one CLP: kind NULL when it was applied, else the kind
//  of exception and why.
typedef struct {
    const char *kind;
    char reason [320];
    int64_t credit_cents;       //  credit balance it added
} s_outcome_t;

static void
s_outcome (s_outcome_t *outcome, const char *kind, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_outcome (s_outcome_t *outcome, const char *kind, const char *format, ...)
{
    outcome->kind = kind;
    va_list args;
    va_start (args, format);
    vsnprintf (outcome->reason, sizeof outcome->reason, format, args);
    va_end (args);
}

//  Frees a record posted to: the posting lent to it first.
static void
s_free (ClaimRecord *record, posting_result_t *result)
{
    posting_take_back (record, result);
    codec_free (record);
}

//  Applies posting to the claim pcn. Returns 0 with outcome->kind NULL
//  when posted, 0 with outcome->kind set when it cannot apply (the caller
//  files an exception), or an LMDB error.
static int
s_post (claims_t *self, MDB_txn *txn, const char *pcn, Posting *posting, const char *actor,
        bool late_claim, s_outcome_t *outcome)
{
    memset (outcome, 0, sizeof *outcome);
    //  Light, with the claim's clear part to match lines against: the
    //  sealed claim is written back as the bytes it was read as (issue 19).
    //  No such claim is an exception to file; one that cannot be read
    //  fails the post, naming it (ledger_get_light's error): filed as
    //  unmatched, its money would wait for a claim that is there.
    ClaimRecord *record;
    int rc = ledger_get_light (self, txn, pcn, true, &record);
    if (rc == MDB_NOTFOUND) {
        s_outcome (outcome, "unmatched", "no claim with patient control number %s", pcn);
        return 0;
    }
    if (rc)
        return rc;
    char error [320];
    char old_status [32];
    text_append (old_status, sizeof old_status, 0, record->status);
    uint64_t now = clock_now_ms ();
    //  A remit that came before its claim: the claim was at the payer all
    //  along (sent by the practice before rcmq took over), so it is
    //  submitted now in the books, then posted.
    if (late_claim && streq (record->status, "ready"))
        lifecycle_move (record, "submitted", actor, "remittance received before the claim", now,
                        error, sizeof error);
    if (streq (record->status, "ready")) {
        s_outcome (outcome, "refused", "claim %s was never submitted", pcn);
        codec_free (record);
        return 0;
    }
    RemitClaim *remit = posting->remit;
    Claim *claim = record->claim? record->claim->claim: NULL;
    posting_match_lines (remit, claim);
    //  The posting is lent to the record for its put, not copied (a pack
    //  and an unpack of the CLP, issue 19), and taken back before the
    //  record is freed (s_free).
    posting_result_t result;
    int applied = posting_apply_lent (record, posting, &result, error, sizeof error);
    if (applied == 1) {
        //  Contradicts the claim: held on it, its money a credit balance.
        posting_hold (record, posting, &result);
        s_outcome (outcome, "contradicts", "%s", result.contradiction);
        outcome->credit_cents = result.delta_credit_cents;
        rc = ledger_put (self, txn, record, old_status);
        if (rc == 0)
            rc = s_index_credit (self, txn, record);
        s_free (record, &result);
        return rc;
    }
    if (applied) {
        s_outcome (outcome, "refused", "%s", error);
        s_free (record, &result);
        return 0;
    }
    if (result.released) {
        //  The payer took back a payment that was held: it leaves the
        //  credit, and its exception is settled.
        outcome->credit_cents = result.delta_credit_cents;
        rc = ledger_put (self, txn, record, old_status);
        if (rc == 0)
            rc = s_index_credit (self, txn, record);
        char id [320];
        snprintf (id, sizeof id, "%s/%s/%s/%u", result.released_payer, result.released_trace, record->pcn,
                  result.released_occurrence? result.released_occurrence: 1);
        if (rc == 0)
            rc = s_drop_exception_id (self, txn, id);
        s_free (record, &result);
        return rc;
    }
    //  "<adjudication|reversal> CLP02 <code> in 835 <trace> from payer
    //  <payer>", joined: every posted claim has one.
    char reason [256];
    size_t at = text_append (reason, sizeof reason, 0, result.reversal? "reversal": "adjudication");
    at = text_append (reason, sizeof reason, at, " CLP02 ");
    at = text_append (reason, sizeof reason, at, remit->status_code);
    at = text_append (reason, sizeof reason, at, " in 835 ");
    at = text_append (reason, sizeof reason, at, posting->trace);
    at = text_append (reason, sizeof reason, at, " from payer ");
    text_append (reason, sizeof reason, at, posting->payer_id);
    if (!streq (record->status, result.to_status)
    &&  lifecycle_move (record, result.to_status, actor, reason, now, error, sizeof error)) {
        s_outcome (outcome, "refused", "%s", error);
        s_free (record, &result);
        return 0;
    }
    if (streq (record->status, result.to_status) && streq (old_status, result.to_status)) {
        //  paid -> paid (a second payment) is a move of its own in history.
        lifecycle_move (record, result.to_status, actor, reason, now, error, sizeof error);
    }
    outcome->credit_cents = result.delta_credit_cents;
    rc = ledger_put (self, txn, record, old_status);
    if (rc == 0 && result.delta_credit_cents)
        rc = s_index_credit (self, txn, record);
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
        //  Which remit denied: denials keeps one denial per claim and remit.
        denied.posting = (Posting *) posting;
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
    s_free (record, &result);
    return rc;
}

//  --------------------------------------------------------------------------
//  claims.Post

static bool
s_seen (claims_t *self, MDB_txn *txn, const char *key)
{
    MDB_val value;
    return store_get (self->store, txn, "remits", key, strlen (key), &value) == 0;
}

static int
s_remember (claims_t *self, MDB_txn *txn, const char *key, const char *filename, const char *actor)
{
    //  "<file> posted <ms> by <actor>", joined (one a CLP).
    char summary [256];
    size_t n = text_append (summary, sizeof summary, 0, filename);
    n = text_append (summary, sizeof summary, n, " posted ");
    n = s_append_number (summary, sizeof summary, n, clock_now_ms ());
    n = text_append (summary, sizeof summary, n, " by ");
    n = text_append (summary, sizeof summary, n, actor);
    return store_put (self->store, txn, "remits", key, strlen (key), summary, n);
}

//  One claims.Post as it streams (remit835_stream): each CLP is applied in
//  the call's transaction when its loop closes, so the call holds one
//  claim at a time, not the file (issue 19). What must hold for the whole
//  file still does: a set that does not balance at its SE, or a file that
//  turns out unreadable further on, refuses the call with
//  server_call_undo, which aborts the transaction and with it every claim,
//  exception and event applied before. Once refused, the rest of the file
//  is only read (an unreadable file is named as such, as before).
typedef struct {
    claims_t *self;
    server_call_t *call;
    const char *filename;
    uint64_t now;
    int rc;                     //  a store error: the call fails with it
    char refusal [512];         //  the first set that does not balance
    uint32_t sets;
    //  The open set
    bool set_seen;              //  remembered whole before: skip its CLPs
    bool settled;               //  every CLP of it posted or filed for good
    size_t set_claims;          //  its CLPs so far
    //  The reply
    s_tally_t tally;
    uint32_t fresh_sets;
    int64_t provider_adjustments;
    char traces [256];
    zlistx_t *filed;            //  RemitException*, the new exceptions
} s_post_t;

static bool
s_post_going (s_post_t *post)
{
    return post->rc == 0 && !*post->refusal;
}

//  A set's header: its payer and trace are known before its CLPs, and with
//  them whether it was posted whole before.
static int
s_post_set (const Remittance *remit, void *arg)
{
    s_post_t *post = (s_post_t *) arg;
    post->sets++;
    post->settled = true;
    post->set_seen = false;
    post->set_claims = 0;
    if (!s_post_going (post))
        return 0;
    char *traces = post->traces;
    snprintf (traces + strlen (traces), sizeof post->traces - strlen (traces), "%s%s",
              *traces? ",": "", remit->trace);
    char key [192];
    snprintf (key, sizeof key, "%s/%s", remit->payer_id, remit->trace);
    post->set_seen = s_seen (post->self, post->call->txn, key);
    if (!post->set_seen)
        post->fresh_sets++;
    return 0;
}

//  One CLP, the index-th of its set.
static int
s_post_claim (const Remittance *remit, RemitClaim **claim_p, size_t index, void *arg)
{
    s_post_t *post = (s_post_t *) arg;
    post->set_claims++;
    if (!s_post_going (post) || post->set_seen)
        return 0;
    claims_t *self = post->self;
    server_call_t *call = post->call;
    MDB_txn *txn = call->txn;
    s_tally_t *tally = &post->tally;
    RemitClaim *clp = *claim_p;
    Posting posting = POSTING__INIT;
    posting.trace = remit->trace;
    posting.payer_id = remit->payer_id;
    posting.payment_date = remit->payment_date;
    posting.remit = clp;
    posting.posted_ms = post->now;
    posting.actor = (char *) call->caller->name;
    char id [320], key [340];
    s_clp_id (id, sizeof id, remit->payer_id, remit->trace, clp, index);
    text_append (key, sizeof key, text_append (key, sizeof key, 0, "CLP/"), id);
    //  An unsound CLP is filed every time it comes and never
    //  remembered: the corrected file is what posts it.
    char error [512];
    if (remit835_check_claim (clp, error, sizeof error)) {
        post->settled = false;
        if (*clp->pcn && s_seen (self, txn, key))
            return 0;       //  posted sound before; this copy is damaged
        post->rc = s_add_exception (self, txn, &posting, id, "unsound", error,
                                    *clp->error? clp->error_segment: clp->segment_index, 0, post->filed);
        if (post->rc == 0) {
            tally->exceptions++;
            tally->fresh++;
        }
        return 0;
    }
    if (s_seen (self, txn, key))
        return 0;           //  posted (or filed) before: nothing twice
    tally->fresh++;
    s_outcome_t outcome;
    int rc = s_post (self, txn, clp->pcn, &posting, call->caller->name, false, &outcome);
    if (rc == 0 && outcome.kind)
        rc = s_add_exception (self, txn, &posting, id, outcome.kind, outcome.reason, clp->segment_index,
                              outcome.credit_cents, post->filed);
    else
    if (rc == 0) {
        //  The unsound copy this CLP may have left before, by id or by
        //  place (a CLP without a PCN).
        char place [320];
        size_t at = s_set_prefix (place, sizeof place, remit->payer_id, remit->trace);
        s_append_number (place, sizeof place, text_append (place, sizeof place, at, "@"), index + 1);
        rc = s_drop_exception_id (self, txn, id);
        if (rc == 0)
            rc = s_drop_exception_id (self, txn, place);
    }
    if (rc == 0)
        rc = s_remember (self, txn, key, post->filename, call->caller->name);
    post->rc = rc;
    if (rc)
        return 0;
    if (outcome.credit_cents > 0)
        tally->credit_cents += outcome.credit_cents;
    if (outcome.kind)
        tally->exceptions++;
    else {
        tally->posted++;
        tally->paid_cents += clp->paid_cents;
        server_call_subject (call, clp->pcn);
    }
    return 0;
}

//  A set's SE: its balance, its PLB, and remembering it whole.
static int
s_post_end (Remittance **remit_p, const char *problem, void *arg)
{
    s_post_t *post = (s_post_t *) arg;
    Remittance *remit = *remit_p;
    if (!s_post_going (post))
        return 0;
    //  A payment total that does not balance refuses the file: the money
    //  in the bank would not be the money posted. The message names every
    //  claim that does not add up too, as the likely cause.
    if (problem) {
        snprintf (post->refusal, sizeof post->refusal, "%s", problem);
        return 0;
    }
    if (post->set_seen)
        return 0;           //  every CLP of it was settled before
    claims_t *self = post->self;
    MDB_txn *txn = post->call->txn;
    const char *actor = post->call->caller->name;
    if (post->set_claims == 0)
        post->tally.fresh++;    //  a set of PLB only is new once
    int rc = 0;
    for (size_t i = 0; i < remit->n_provider_adjustments && rc == 0; i++) {
        char key [192];
        snprintf (key, sizeof key, "%s/%s/%zu", remit->payer_id, remit->trace, i);
        size_t size;
        uint8_t *packed = codec_pack (remit->provider_adjustments [i], &size);
        rc = store_put (self->store, txn, "provider_adjustments", key, strlen (key), packed, size);
        free (packed);
    }
    char key [192], plb [200];
    snprintf (key, sizeof key, "%s/%s", remit->payer_id, remit->trace);
    //  PLB counts in the reply once: with the first post of the set.
    snprintf (plb, sizeof plb, "PLB/%s", key);
    if (rc == 0 && remit->n_provider_adjustments && !s_seen (self, txn, plb)) {
        for (size_t i = 0; i < remit->n_provider_adjustments; i++)
            post->provider_adjustments += remit->provider_adjustments [i]->amount_cents;
        rc = s_remember (self, txn, plb, post->filename, actor);
    }
    if (rc == 0 && post->settled)
        rc = s_remember (self, txn, key, post->filename, actor);
    post->rc = rc;
    return 0;
}

static const remit835_stream_t s_post_stream = { s_post_set, s_post_claim, s_post_end };

static int
s_post_file (server_call_t *call)
{
    inbound_t in;
    if (inbound_open (call, &in))
        return 0;
    s_post_t post = {
        .self = claims_state (call), .call = call, .filename = in.filename,
        .now = clock_now_ms (), .filed = zlistx_new ()
    };
    zlistx_set_destructor (post.filed, s_remit_free);
    remit835_report_t report;
    memset (&report, 0, sizeof report);
    int parsed = remit835_stream (in.reader, &s_post_stream, &post, &report);
    int rc = post.rc;
    if (rc == 0 && (parsed || post.sets == 0))
        server_call_undo (call, STATUS__INVALID_ARGUMENT, "claims.Post: %s is not a readable 835: %s",
                          in.filename, parsed? report.error: "no transaction set");
    else
    if (rc == 0 && *post.refusal)
        server_call_undo (call, STATUS__FAILED_PRECONDITION, "claims.Post: %s refused, nothing posted: %s",
                          in.filename, post.refusal);
    else
    if (rc == 0) {
        PostReply reply = POST_REPLY__INIT;
        reply.trace = post.traces;
        reply.claims_posted = post.tally.posted;
        reply.paid_cents = post.tally.paid_cents;
        reply.exceptions = post.tally.exceptions;
        reply.duplicate = post.fresh_sets == 0 || post.tally.fresh == 0;
        reply.provider_adjustment_cents = post.provider_adjustments;
        reply.credit_cents = post.tally.credit_cents;
        reply.n_new_exceptions = zlistx_size (post.filed);
        reply.new_exceptions = (RemitException **) calloc (reply.n_new_exceptions + 1, sizeof (RemitException *));
        size_t i = 0;
        for (RemitException *e = (RemitException *) zlistx_first (post.filed); e;
             e = (RemitException *) zlistx_next (post.filed))
            reply.new_exceptions [i++] = e;
        server_call_reply (call, &reply);
        free (reply.new_exceptions);
    }
    inbound_close (call, &in);
    zlistx_destroy (&post.filed);
    return rc;
}

//  --------------------------------------------------------------------------
//  Exceptions: list, match by hand, and post when the claim arrives

typedef struct {
    server_call_t *call;
    claims_t *self;
    uint64_t now;
    char error [160];           //  a row that should be there and is not
    int rc;                     //  a claim that could not be read
} s_list_t;

//  A vendor sees an exception or a credit only when its claim is one of
//  theirs; people of the practice see every one without the claim's read.
static bool
s_visible (s_list_t *list, const char *pcn)
{
    if (!access_scope_team (list->call->caller))
        return true;
    ClaimRecord *record;
    int rc = ledger_get (list->self, list->call->txn, pcn, &record);
    if (rc && rc != MDB_NOTFOUND && !list->rc)
        list->rc = rc;
    bool visible = ledger_in_scope (list->call, record);
    codec_free (record);
    return visible;
}

static void *
s_exception_row (void *arg, const char *id, const MDB_val *value)
{
    s_list_t *list = (s_list_t *) arg;
    RemitException *exception = (RemitException *) codec_decode (&remit_exception__descriptor,
                                                                  value->mv_data, value->mv_size);
    if (exception && !s_visible (list, exception->remit? exception->remit->pcn: "")) {
        codec_free (exception);
        return NULL;
    }
    return exception;
}

//  claims.ListExceptions: one page by exception id.
static int
s_list_exceptions (server_call_t *call)
{
    ExceptionListRequest *request = (ExceptionListRequest *) call->body;
    size_t limit;
    char error [128];
    if (store_page_limit (request->limit, STORE_PAGE_DEFAULT, STORE_PAGE_MAX, &limit, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "claims.ListExceptions: %s", error);
    s_list_t list = { .call = call, .self = claims_state (call) };
    store_page_query_t query = { "exceptions", NULL, NULL, request->after, limit };
    store_page_t page;
    int rc = store_page_read (call->store, call->txn, &query, s_exception_row, codec_free, &list, &page);
    if (rc == 0)
        rc = list.rc;
    if (rc == 0)
        server_call_reply_page (call, &exception_list__descriptor, &page);
    store_page_clear (&page);
    return rc;
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
    //  An unsound CLP is not what the payer meant: only the corrected
    //  file can post it.
    char error [512];
    if (remit835_check_claim (exception->remit, error, sizeof error)) {
        snprintf (refusal, size, "%.280s; post the corrected 835", error);
        return 0;
    }
    s_outcome_t outcome;
    int rc = s_post (self, txn, pcn, &posting, actor, true, &outcome);
    snprintf (refusal, size, "%s", outcome.kind? outcome.reason: "");
    if (rc == 0 && !outcome.kind)
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
    //  Exception ids under "pcn\0", collected first: posting writes the
    //  tables the walk reads.
    zlistx_t *ids = zlistx_new ();
    zlistx_set_destructor (ids, (zlistx_destructor_fn *) zstr_free);
    store_iter_t *iter = store_iter_new (self->store, txn, "exception_pcns", pcn, strlen (pcn) + 1);
    MDB_val key, value;
    while (store_iter_next (iter, &key, &value)) {
        MDB_val id = store_iter_suffix (iter);
        zlistx_add_end (ids, strndup ((const char *) id.mv_data, id.mv_size));
    }
    int rc = store_iter_error (iter);
    store_iter_destroy (&iter);
    for (char *id = (char *) zlistx_first (ids); id && rc == 0; id = (char *) zlistx_next (ids)) {
        //  One that cannot be read fails the batch, naming it: skipped, its
        //  remit would wait on a claim that has arrived.
        rc = store_get (self->store, txn, "exceptions", id, strlen (id), &value);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc) {
            rc = store_fail (self->store, "claims: exception %s waiting for claim %s cannot be read from table "
                             "exceptions: %s", id, pcn, mdb_strerror (rc));
            break;
        }
        RemitException *exception = (RemitException *) codec_decode (&remit_exception__descriptor,
                                                                      value.mv_data, value.mv_size);
        if (!exception) {
            rc = store_fail (self->store, "claims: exception %s waiting for claim %s in table exceptions does not "
                             "decode", id, pcn);
            break;
        }
        char refusal [320];
        rc = s_post_exception (self, txn, exception, pcn, "rcmq-claims", refusal, sizeof refusal);
        if (rc == 0 && *refusal)
            log_warn ("exception still cannot be posted", "id", json_string (id), "reason", json_string (refusal), NULL);
        codec_free (exception);
    }
    zlistx_destroy (&ids);
    return rc;
}

//  --------------------------------------------------------------------------
//  claims.ListCredits: claims holding money beyond what they are owed,
//  oldest credit first (the order in which they wait for a refund): a walk
//  of the age index, a page at a time.

static void *
s_credit_row (void *arg, const char *id, const MDB_val *value)
{
    s_list_t *list = (s_list_t *) arg;
    const char *slash = strchr (id, '/');
    const char *pcn = slash? slash + 1: "";
    MDB_val row;
    CreditBalance *credit = NULL;
    if (store_get (list->self->store, list->call->txn, "credits", pcn, strlen (pcn), &row) == 0)
        credit = (CreditBalance *) codec_decode (&credit_balance__descriptor, row.mv_data, row.mv_size);
    if (!credit) {
        //  The index and the table are written together: a miss is a
        //  damaged store, said once, never a shorter list.
        if (!*list->error)
            snprintf (list->error, sizeof list->error, "credit %.100s of the age index is missing or does not decode",
                      id);
        return NULL;
    }
    if (!s_visible (list, credit->pcn)) {
        codec_free (credit);
        return NULL;
    }
    char since [16];
    clock_format_date (credit->since_ms, since, sizeof since);
    codec_set_text (&credit->since, since);
    credit->age_days = list->now > credit->since_ms? (uint32_t) ((list->now - credit->since_ms) / CLOCK_MS_PER_DAY): 0;
    return credit;
}

static int
s_list_credits (server_call_t *call)
{
    CreditListRequest *request = (CreditListRequest *) call->body;
    size_t limit;
    char error [128];
    if (store_page_limit (request->limit, STORE_PAGE_DEFAULT, STORE_PAGE_MAX, &limit, error, sizeof error))
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "claims.ListCredits: %s", error);
    s_list_t list = { .call = call, .self = claims_state (call), .now = clock_now_ms () };
    store_page_query_t query = { "credits_by_age", NULL, NULL, request->after, limit };
    store_page_t page;
    int rc = store_page_read (call->store, call->txn, &query, s_credit_row, codec_free, &list, &page);
    if (rc == 0)
        rc = list.rc;
    if (rc == 0 && *list.error)
        server_call_fail (call, STATUS__INTERNAL, "claims.ListCredits: %s", list.error);
    else
    if (rc == 0) {
        //  The call's subjects are the claims, not the age cursor.
        for (size_t i = 0; i < page.count; i++) {
            free (page.ids [i]);
            page.ids [i] = strdup (((CreditBalance *) page.rows [i])->pcn);
        }
        server_call_reply_page (call, &credit_list__descriptor, &page);
    }
    store_page_clear (&page);
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
    ClaimRecord *record = NULL;
    int rc = exception && exception->remit? ledger_get (self, call->txn, exception->remit->pcn, &record): 0;
    if (rc && rc != MDB_NOTFOUND) {
        codec_free (exception);
        return rc;
    }
    server_call_scope (call, "exception", request->id, record && record->dims? record->dims->phase: NULL,
                       record && record->dims? record->dims->vendor_team: NULL);
    codec_free (record);
    codec_free (exception);
    return *request->pcn? ledger_scope (call, request->pcn): 0;
}

const server_method_t claims_remit_methods [] = {
    //  An 835 pays claims of every queue: internal only.
    { "claims.Post",           "claims.post", &file_request__descriptor,            s_post_file,       SERVER_INTERNAL, NULL, SERVER_NO_PHI },
    { "claims.ListExceptions", "claims.read", &exception_list_request__descriptor,  s_list_exceptions, SERVER_LIST, NULL, SERVER_NO_PHI },
    { "claims.MatchException", "claims.post", &match_exception_request__descriptor, s_match_exception, SERVER_SUBJECT,
      s_scope_match, SERVER_NO_PHI },
    //  Credits are rows of claims: a vendor sees those of its own claims.
    { "claims.ListCredits",    "claims.read", &credit_list_request__descriptor,     s_list_credits,    SERVER_LIST, NULL, SERVER_NO_PHI },
    { NULL }
};
