/*  items: what the claims stream does to denials (docs/denials.md).

        claims.denied        the remit denied the claim or lines: the
                             remit's denial opens (or takes the reasons,
                             when a reversal of the same remit opened it);
                             the claim's earlier denials that were appealed
                             or corrected are lost ("denied again")
        claims.reversed      a reversal that takes money back opens the
                             remit's denial for what it took (kind reversal)
        claims.adjudicated   a payment: a reversal of the same remit is
                             netted (paid back in full: cancelled), and the
                             claim's earlier open denials are won, the
                             money recovered shared out newest first
        claims.acknowledged  a 277CA rejection opens a denial (kind
                             rejection) for the rework; an acceptance ends
                             the claim's rejections that were edited
                             (reworked) and moves the others to corrected
        claims.edited        a payer-rejected claim edited back to ready:
                             its open rejections move to corrected (the
                             fix is made; the payer's acceptance ends them)
        intake.claim_rejected       intake's scrub rejected a claim: a
                             denial (kind intake_rejection) for the rework;
                             a duplicate alone (DUP001) opens none (counted)
        intake.rejection_resolved   a later claim of that PCN was accepted:
                             the intake rejection's denial is reworked
        queue.changed        the queue, for its grid and phase

    Each handler runs in the consumer's transaction with the stream's
    offset (DESIGN §2), so a denial opens exactly once whatever the
    process went through; a duplicate remit is refused by claims and sends
    nothing, and a second event of the same remit finds the remit's denial
    by its key.
*/
#include "items.h"
#include "records.h"
#include "workflow.h"
#include "codec.h"
#include "clock.h"

//  intake's rule for a PCN already accepted (docs/scrub-rules.md).
#define S_DUPLICATE_RULE "DUP001"

//  277CA rejections: what the status code (STC01-2) says went wrong. An
//  unknown code is `other` and counted.
static const struct {
    const char *status;
    const char *category;
    const char *team;
} s_rejections [] = {
    { "21",  "missing_information", "billing" },
    { "33",  "eligibility",         "front_desk" },
    { "116", "eligibility",         "front_desk" },
    { "145", "missing_information", "front_desk" },
    { "454", "coding",              "coding" },
    { "562", "provider",            "billing" },
};

static uint64_t
s_time (const ClaimEvent *claim, const Event *event)
{
    return claim->time_ms? claim->time_ms: event->time_ms;
}

static const char *
s_payer (const ClaimEvent *claim)
{
    if (claim->posting && *claim->posting->payer_id)
        return claim->posting->payer_id;
    return claim->dims? claim->dims->payer_id: "";
}

//  The same remit as posting's (its payer and trace)?
static bool
s_same_remit (const DenialItem *item, const ClaimEvent *claim)
{
    return claim->posting && streq (item->remit_trace, claim->posting->trace)
        && streq (item->payer_id, s_payer (claim));
}

static int
s_on_denied (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    denials_t *self = (denials_t *) state;
    const ClaimEvent *claim = (const ClaimEvent *) message;
    //  A denial of no claim cannot be worked: the stream stops on it
    //  (docs/adr/0009) rather than lose it.
    if (!*claim->pcn)
        return store_fail (store, "claims.denied #%" PRIu64 " names no PCN: refused", event->stream_seq);
    uint64_t now = s_time (claim, event);
    //  The claim's earlier denials whose fix went to the payer are lost.
    zlistx_t *ids;
    int rc = records_open_of_claim (self, txn, claim->pcn, &ids);
    for (char *id = (char *) zlistx_first (ids); rc == 0 && id; id = (char *) zlistx_next (ids)) {
        DenialItem *item;
        rc = records_get (self, txn, id, &item);
        if (rc == 0 && !s_same_remit (item, claim)
        &&  (streq (item->state, "appealed") || streq (item->state, "corrected") || streq (item->state, "waiting_payer"))) {
            char reason [200];
            snprintf (reason, sizeof reason, "denied again on remit %s of payer %s",
                      claim->posting? claim->posting->trace: "", s_payer (claim));
            rc = records_move (self, txn, item, "lost", "denials", reason, now);
        }
        codec_free (item);
    }
    zlistx_destroy (&ids);
    if (rc)
        return rc;
    records_spec_t spec = {
        .pcn = claim->pcn, .claim_id = claim->claim_id, .dims = claim->dims, .kind = "denial",
        .payer_id = s_payer (claim), .trace = claim->posting? claim->posting->trace: "",
        .remit_date = *claim->remit_date? claim->remit_date: claim->posting? claim->posting->payment_date: "",
        .status_code = claim->posting && claim->posting->remit? claim->posting->remit->status_code: "",
        .claim_status = claim->to_status,
        .reasons = claim->denials, .n_reasons = claim->n_denials,
        .remit = claim->posting? claim->posting->remit: NULL, .date_of_service = claim->date_of_service,
        .time_ms = now,
    };
    return records_open (self, txn, &spec, NULL, 0);
}

static int
s_on_reversed (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    denials_t *self = (denials_t *) state;
    const ClaimEvent *claim = (const ClaimEvent *) message;
    if (!*claim->pcn)
        return store_fail (store, "claims.reversed #%" PRIu64 " names no PCN: refused", event->stream_seq);
    if (claim->delta_paid_cents >= 0)
        return 0;               //  nothing taken back
    records_spec_t spec = {
        .pcn = claim->pcn, .claim_id = claim->claim_id, .dims = claim->dims, .kind = "reversal",
        .payer_id = s_payer (claim), .trace = claim->posting? claim->posting->trace: "",
        .remit_date = *claim->remit_date? claim->remit_date: claim->posting? claim->posting->payment_date: "",
        .status_code = "22", .claim_status = claim->to_status,
        .taken_back_cents = -claim->delta_paid_cents,
        .remit = claim->posting? claim->posting->remit: NULL, .date_of_service = claim->date_of_service,
        .time_ms = s_time (claim, event),
    };
    return records_open (self, txn, &spec, NULL, 0);
}

//  A payment recovers the claim's open denials (ids, not empty).
static int
s_recover (denials_t *self, MDB_txn *txn, const ClaimEvent *claim, zlistx_t *ids, uint64_t now)
{
    int64_t paid = claim->delta_paid_cents;
    int rc = 0;
    for (char *id = (char *) zlistx_first (ids); rc == 0 && id; id = (char *) zlistx_next (ids)) {
        DenialItem *item;
        rc = records_get (self, txn, id, &item);
        if (rc)
            break;
        char reason [200];
        if (s_same_remit (item, claim)) {
            //  The payer reversed and paid again in one remit: what it
            //  paid back comes off what it took.
            int64_t back = paid < item->taken_back_cents? paid: item->taken_back_cents;
            item->taken_back_cents -= back;
            if (item->n_reasons == 0)
                item->denied_cents = item->taken_back_cents;
            paid -= back;
            snprintf (reason, sizeof reason, "re-adjudicated in the same remit %s: %" PRId64 " cents paid back",
                      item->remit_trace, back);
            if (item->taken_back_cents <= 0 && item->n_reasons == 0)
                rc = records_move (self, txn, item, "cancelled", "denials", reason, now);
            else {
                records_history (item, now, "denials", "note", NULL, NULL, reason);
                rc = records_save (self, txn, item, item->deadline_ms, records_indexed (item), NULL);
            }
        }
        else {
            int64_t owed = item->denied_cents - item->recovered_cents;
            int64_t share = paid < owed? paid: owed;
            if (share < 0)
                share = 0;
            item->recovered_cents += share;
            paid -= share;
            snprintf (reason, sizeof reason, "claim paid on remit %s of payer %s: %" PRId64 " cents recovered",
                      claim->posting? claim->posting->trace: "", s_payer (claim), share);
            rc = records_move (self, txn, item, "won", "denials", reason, now);
        }
        codec_free (item);
    }
    return rc;
}

//  The first fields of a claims event's ClaimEvent (fields, n of them)
//  into arena, for a handler that reads the whole only when it must: 0
//  with *claim_p, or -1 refusing a payload that does not decode or names
//  no claim (the stream stops on it, docs/adr/0009).
static int
s_decode_first (store_t *store, const Event *event, codec_arena_t *arena, const uint32_t *fields, size_t n,
                const ClaimEvent **claim_p)
{
    *claim_p = (const ClaimEvent *) codec_arena_decode_fields (arena, &claim_event__descriptor, event->payload.data,
                                                               event->payload.len, fields, n);
    if (!*claim_p)
        return consumer_refuse_payload (store, event, &claim_event__descriptor);
    if (!*(*claim_p)->pcn)
        return store_fail (store, "claims.%s #%" PRIu64 " names no PCN: refused", event->type, event->stream_seq);
    return 0;
}

//  The whole ClaimEvent of the event into arena: 0 with *claim_p, or the
//  refusal of a payload that does not decode.
static int
s_decode_whole (store_t *store, const Event *event, codec_arena_t *arena, const ClaimEvent **claim_p)
{
    *claim_p = (const ClaimEvent *) codec_arena_decode (arena, &claim_event__descriptor, event->payload.data,
                                                        event->payload.len);
    return *claim_p? 0: consumer_refuse_payload (store, event, &claim_event__descriptor);
}

//  Most adjudications find no open denial of their claim: the PCN, the
//  time and the payment are decoded first (codec_arena_decode_fields),
//  the whole event with its posting only for a claim that has one.
#define ITEMS_DECODE_STACK  16384
static int
s_on_adjudicated (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    denials_t *self = (denials_t *) state;
    static const uint32_t first [] = { 1, 7, 18 };      //  pcn, time_ms, delta_paid_cents
    max_align_t buffer [ITEMS_DECODE_STACK / sizeof (max_align_t)];
    codec_arena_t arena;
    codec_arena_init (&arena, buffer, sizeof buffer);
    const ClaimEvent *claim;
    zlistx_t *ids = NULL;
    int rc = s_decode_first (store, event, &arena, first, 3, &claim);
    if (rc == 0 && claim->delta_paid_cents > 0)
        rc = records_open_of_claim (self, txn, claim->pcn, &ids);
    if (rc == 0 && ids && zlistx_size (ids)) {
        uint64_t now = s_time (claim, event);
        rc = s_decode_whole (store, event, &arena, &claim);
        if (rc == 0)
            rc = s_recover (self, txn, claim, ids, now);
    }
    zlistx_destroy (&ids);
    codec_arena_release (&arena);
    return rc;
}

//  True when claims said the claim was edited after this rejection.
static bool
s_edited (const DenialItem *item)
{
    for (size_t i = 0; i < item->n_history; i++)
        if (streq (item->history [i]->what, "edited"))
            return true;
    return false;
}

//  The payer accepted the claim: its rejections move on.
static int
s_accepted (denials_t *self, MDB_txn *txn, const ClaimEvent *claim, uint64_t now)
{
    zlistx_t *ids;
    int rc = records_open_of_claim (self, txn, claim->pcn, &ids);
    for (char *id = (char *) zlistx_first (ids); rc == 0 && id; id = (char *) zlistx_next (ids)) {
        DenialItem *item;
        rc = records_get (self, txn, id, &item);
        if (rc == 0 && streq (item->kind, "rejection") && s_edited (item))
            rc = records_move (self, txn, item, "reworked", "denials",
                               "the payer accepted the edited claim (277CA)", now);
        else
        if (rc == 0 && streq (item->kind, "rejection") && workflow_before_action (item->state))
            rc = records_move (self, txn, item, "corrected", "denials", "the payer accepted the claim (277CA)", now);
        codec_free (item);
    }
    zlistx_destroy (&ids);
    return rc;
}

//  A 277CA rejection that moved the claim: a denial (kind rejection)
//  for the rework, from the whole event.
static int
s_rejected (denials_t *self, MDB_txn *txn, const ClaimEvent *claim, uint64_t now)
{
    const AckStatus *ack = claim->acknowledgement;
    const char *category = "other", *team = "billing";
    bool known = false;
    for (size_t i = 0; i < sizeof s_rejections / sizeof s_rejections [0]; i++)
        if (streq (s_rejections [i].status, ack->status)) {
            category = s_rejections [i].category;
            team = s_rejections [i].team;
            known = true;
        }
    char trace [128], code [64];
    snprintf (trace, sizeof trace, "277CA/%s/%s:%s", ack->effective_date, ack->category, ack->status);
    snprintf (code, sizeof code, "%s:%s", ack->category, ack->status);
    records_spec_t spec = {
        .pcn = claim->pcn, .claim_id = claim->claim_id, .dims = claim->dims, .kind = "rejection",
        .payer_id = claim->dims? claim->dims->payer_id: "", .trace = trace,
        .remit_date = ack->effective_date, .status_code = code, .claim_status = claim->to_status,
        .category = category, .team = team, .preventable = true, .known = known,
        //  A rejected claim was never adjudicated: all of it is at stake.
        .charge_cents = claim->charge_cents, .date_of_service = claim->date_of_service,
        .time_ms = now,
    };
    return records_open (self, txn, &spec, NULL, 0);
}

//  Most acknowledgements accept the claim: the PCN, the status, the time
//  and the 277CA's status are decoded first (codec_arena_decode_fields),
//  the whole event only for a rejection that moved the claim.
static int
s_on_acknowledged (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    (void) message;
    denials_t *self = (denials_t *) state;
    static const uint32_t first [] = { 1, 4, 7, 22 };   //  pcn, to_status, time_ms, acknowledgement
    max_align_t buffer [ITEMS_DECODE_STACK / sizeof (max_align_t)];
    codec_arena_t arena;
    codec_arena_init (&arena, buffer, sizeof buffer);
    const ClaimEvent *claim;
    int rc = s_decode_first (store, event, &arena, first, 4, &claim);
    if (rc == 0 && claim->acknowledgement && claim->acknowledgement->accepted)
        rc = s_accepted (self, txn, claim, s_time (claim, event));
    else
    //  Only a rejection that moved the claim needs rework (a late 277CA
    //  for a claim already adjudicated is recorded by claims, nothing more).
    if (rc == 0 && claim->acknowledgement && streq (claim->to_status, "rejected")) {
        uint64_t now = s_time (claim, event);
        rc = s_decode_whole (store, event, &arena, &claim);
        if (rc == 0)
            rc = s_rejected (self, txn, claim, now);
    }
    codec_arena_release (&arena);
    return rc;
}

//  claims.edited: a payer-rejected claim fixed and back to ready; the
//  next submit sends it as a new original. Its open rejections are
//  corrected (the rework is done on our side) until the payer accepts it.
static int
s_on_edited (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    denials_t *self = (denials_t *) state;
    const ClaimEvent *claim = (const ClaimEvent *) message;
    if (!*claim->pcn)
        return store_fail (store, "claims.edited #%" PRIu64 " names no PCN: refused", event->stream_seq);
    uint64_t now = s_time (claim, event);
    zlistx_t *ids;
    int rc = records_open_of_claim (self, txn, claim->pcn, &ids);
    for (char *id = (char *) zlistx_first (ids); rc == 0 && id; id = (char *) zlistx_next (ids)) {
        DenialItem *item;
        rc = records_get (self, txn, id, &item);
        if (rc == 0 && streq (item->kind, "rejection")) {
            char note [300];
            snprintf (note, sizeof note, "claim edited by %s (%s): the next submit sends it as a new original",
                      claim->actor, claim->reason);
            records_history (item, now, "claims", "edited", claim->from_status, claim->to_status, note);
            if (streq (item->state, "corrected") || streq (item->state, "appealed"))
                rc = records_save (self, txn, item, item->deadline_ms, records_indexed (item), "state_changed");
            else
                rc = records_move (self, txn, item, "corrected", "denials", note, now);
        }
        codec_free (item);
    }
    zlistx_destroy (&ids);
    return rc;
}

//  intake's rejections: the trace of the denial is intake's claim id.
static void
s_intake_trace (const char *claim_id, char *trace, size_t size)
{
    snprintf (trace, size, "intake/%s", claim_id);
}

//  intake.claim_rejected: the scrub refused the claim; it never reached
//  claims or the payer, and someone has to fix and resend it. Caught
//  before submission, so preventable; the billing team fixes claim data.
static int
s_on_intake_rejected (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    denials_t *self = (denials_t *) state;
    const ClaimRejected *rejected = (const ClaimRejected *) message;
    if (!*rejected->claim_id)
        return store_fail (store, "intake.claim_rejected #%" PRIu64 " names no claim: refused", event->stream_seq);
    //  A duplicate (DUP001: the PCN was already accepted) is not rework:
    //  the original claim is in flight and nothing of it needs fixing, so
    //  a rejection for that alone opens nothing; it is counted (and intake
    //  lists it). Another error beside it is rework, named by its rule.
    const char *rule = NULL;
    for (size_t i = 0; i < rejected->n_errors && !rule; i++)
        if (!streq (rejected->errors [i]->rule_id, S_DUPLICATE_RULE))
            rule = rejected->errors [i]->rule_id;
    if (rejected->n_errors && !rule) {
        uint64_t count;
        int rc = store_get_u64 (store, txn, "denials_meta", "duplicate_rejection", &count);
        return rc? rc: store_put_u64 (store, txn, "denials_meta", "duplicate_rejection", count + 1);
    }
    char trace [160], date [16];
    s_intake_trace (rejected->claim_id, trace, sizeof trace);
    uint64_t now = rejected->received_ms? rejected->received_ms: event->time_ms;
    clock_format_date (now, date, sizeof date);
    records_spec_t spec = {
        .pcn = rejected->pcn, .claim_id = rejected->claim_id, .dims = rejected->dims, .kind = "intake_rejection",
        .payer_id = rejected->dims? rejected->dims->payer_id: "", .trace = trace, .remit_date = date,
        .status_code = rule? rule: "", .claim_status = "rejected",
        .category = "missing_information", .team = "billing", .preventable = true, .known = true,
        .charge_cents = rejected->charge_cents, .date_of_service = rejected->date_of_service,
        .time_ms = now,
    };
    return records_open (self, txn, &spec, NULL, 0);
}

//  intake.rejection_resolved: a later claim with the same PCN was
//  accepted; the rejection's denial is reworked. A rejection from before
//  denials consumed intake has none: nothing to close.
static int
s_on_rejection_resolved (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    (void) store;
    denials_t *self = (denials_t *) state;
    const Rejection *rejection = (const Rejection *) message;
    char trace [160], id [32];
    s_intake_trace (rejection->claim_id, trace, sizeof trace);
    int rc = records_find (self, txn, rejection->pcn, rejection->dims? rejection->dims->payer_id: "", trace,
                           id, sizeof id);
    if (rc == MDB_NOTFOUND)
        return 0;
    DenialItem *item = NULL;
    if (rc == 0)
        rc = records_get (self, txn, id, &item);
    if (rc == 0 && !workflow_final (item->state)) {
        char reason [200];
        snprintf (reason, sizeof reason, "intake accepted claim %s with the same PCN", rejection->resolved_by);
        rc = records_move (self, txn, item, "reworked", "denials", reason,
                           rejection->resolved_ms? rejection->resolved_ms: event->time_ms);
    }
    codec_free (item);
    return rc;
}

static int
s_on_queue_changed (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    (void) event;
    (void) state;
    const QueueChanged *changed = (const QueueChanged *) message;
    if (!changed->queue || !*changed->queue->id)
        return 0;
    return store_put_message (store, txn, "queues", changed->queue->id, changed->queue);
}

const consumer_event_t items_events [] = {
    { "claims", "denied",       &claim_event__descriptor,   s_on_denied },
    { "claims", "reversed",     &claim_event__descriptor,   s_on_reversed },
    { "claims", "adjudicated",  NULL,                       s_on_adjudicated },     //  decodes its own
    { "claims", "acknowledged", NULL,                       s_on_acknowledged },    //  decodes its own
    { "claims", "edited",       &claim_event__descriptor,   s_on_edited },
    { "intake", "claim_rejected",     &claim_rejected__descriptor, s_on_intake_rejected },
    { "intake", "rejection_resolved", &rejection__descriptor,      s_on_rejection_resolved },
    { "queue",  "changed",      &queue_changed__descriptor, s_on_queue_changed },
    { NULL }
};
