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
                             rejection) for the rework; an acceptance moves
                             the claim's open rejections to corrected
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
        .time_ms = s_time (claim, event),
    };
    return records_open (self, txn, &spec, NULL, 0);
}

static int
s_on_adjudicated (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    denials_t *self = (denials_t *) state;
    const ClaimEvent *claim = (const ClaimEvent *) message;
    if (!*claim->pcn)
        return store_fail (store, "claims.adjudicated #%" PRIu64 " names no PCN: refused", event->stream_seq);
    int64_t paid = claim->delta_paid_cents;
    if (paid <= 0)
        return 0;
    uint64_t now = s_time (claim, event);
    zlistx_t *ids;
    int rc = records_open_of_claim (self, txn, claim->pcn, &ids);
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
    zlistx_destroy (&ids);
    return rc;
}

static int
s_on_acknowledged (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    denials_t *self = (denials_t *) state;
    const ClaimEvent *claim = (const ClaimEvent *) message;
    const AckStatus *ack = claim->acknowledgement;
    if (!*claim->pcn)
        return store_fail (store, "claims.acknowledged #%" PRIu64 " names no PCN: refused", event->stream_seq);
    if (!ack)
        return 0;
    uint64_t now = s_time (claim, event);
    if (ack->accepted) {
        zlistx_t *ids;
        int rc = records_open_of_claim (self, txn, claim->pcn, &ids);
        for (char *id = (char *) zlistx_first (ids); rc == 0 && id; id = (char *) zlistx_next (ids)) {
            DenialItem *item;
            rc = records_get (self, txn, id, &item);
            if (rc == 0 && streq (item->kind, "rejection") && workflow_before_action (item->state))
                rc = records_move (self, txn, item, "corrected", "denials", "the payer accepted the claim (277CA)", now);
            codec_free (item);
        }
        zlistx_destroy (&ids);
        return rc;
    }
    //  Only a rejection that moved the claim needs rework (a late 277CA
    //  for a claim already adjudicated is recorded by claims, nothing more).
    if (!streq (claim->to_status, "rejected"))
        return 0;
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
        .charge_cents = claim->charge_cents,
        .time_ms = now,
    };
    return records_open (self, txn, &spec, NULL, 0);
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
    { "claims", "adjudicated",  &claim_event__descriptor,   s_on_adjudicated },
    { "claims", "acknowledged", &claim_event__descriptor,   s_on_acknowledged },
    { "queue",  "changed",      &queue_changed__descriptor, s_on_queue_changed },
    { NULL }
};
