/*  denial_facts: see denial_facts.h.

    An event goes through three steps, all in the consumer's transaction:
      1. place: the denial's claims dimensions, interned to a dims id
         (dims.c, the claims figures' combinations);
      2. stock: when the denial was counted open under another combination,
         or is now final (won, written_off, cancelled, reworked), its share of
         denial_open moves;
      3. flows, each on the day of the change (the denial's updated_ms;
         resolved_ms for an end; the deadline's day for a missed deadline),
         under the combination it has now, and each guarded by its fact:
         - opened: once, on opened_ms;
         - an appeal: a move into `appealed` with no appeal pending counts
           in appealed and sets the fact's appeal_pending; the first one of
           the denial also counts first_appealed and its time since opening
           (days to appeal);
         - a decision: won or lost with an appeal pending counts in decided
           (and overturned when won), and clears it; a write-off or a
           cancel clears it without a decision (the payer decided nothing);
         - won: a move into won;
         - recovered: what recovered_cents grew by since metrics counted it;
         - written off: once, with the amount the denial carries
           (written_off_cents: --cents, else what was open); for an
           event from before denials carried it, the amount a waiting
           write-off asked for (the fact keeps it from the event that
           asked), else what was still open (denied - recovered);
         - missed: once, when missed_deadline is first set.
*/
#include "denial_facts.h"
#include "dims.h"

#include <czmq.h>

//  Denial ids in keys stay far below LMDB's 511 bytes.
#define DENIAL_ID_MAX 200

//  The states a denial has (services/denials/workflow.c): those that end
//  it, and the rest. A state missing here stops the stream (refused).
static const struct {
    const char *state;
    bool final;
} s_states [] = {
    { "new", false }, { "in_review", false }, { "waiting_payer", false }, { "waiting_practice", false },
    { "corrected", false }, { "appealed", false }, { "lost", false },
    { "won", true }, { "written_off", true }, { "cancelled", true },
    //  a rejected claim accepted after its fix: final, no outcome counted
    { "reworked", true },
};

static int
s_state (const char *state)
{
    for (size_t i = 0; i < sizeof s_states / sizeof s_states [0]; i++)
        if (streq (s_states [i].state, state))
            return (int) i;
    return -1;
}

//  --------------------------------------------------------------------------
//  Stock and flows

//  The open count of a combination.
static int
s_open_add (store_t *store, MDB_txn *txn, uint32_t dims, int64_t delta)
{
    uint8_t key [4];
    metrics_u32_write (key, dims);
    return metrics_count_add (store, txn, "denial_open", key, 4, delta);
}

static int
s_flow_add (store_t *store, MDB_txn *txn, uint32_t dims, uint64_t at_ms, denial_flow_t flow, int64_t delta)
{
    if (delta == 0)
        return 0;
    return metrics_row_add (store, txn, "denial_by_day", dims, at_ms, DENIAL_FLOW_COUNT, flow, delta);
}

DenialFact *
denial_facts_get (store_t *store, MDB_txn *txn, const char *id)
{
    MDB_val value;
    if (!*id || store_get (store, txn, "denial_facts", id, strlen (id), &value))
        return NULL;
    return (DenialFact *) codec_decode (&denial_fact__descriptor, value.mv_data, value.mv_size);
}

//  The event's figures, from the fact as it stood (a blank one for a
//  denial first seen) to the denial as it is.
static int
s_apply (store_t *store, MDB_txn *txn, const DenialItem *item, const Event *event, DenialFact *fact, bool final)
{
    static const ClaimDimensions none = CLAIM_DIMENSIONS__INIT;
    uint64_t at = item->updated_ms? item->updated_ms: event->time_ms;
    uint32_t dims = 0;
    int rc = dims_intern (store, txn, item->dims? item->dims: &none, &dims, NULL);
    if (rc)
        return rc;
    bool open = !final;
    bool moved = fact->dims_id != dims;
    if (rc == 0 && fact->open && (!open || moved))
        rc = s_open_add (store, txn, fact->dims_id, -1);
    if (rc == 0 && open && (!fact->open || moved))
        rc = s_open_add (store, txn, dims, 1);
    fact->dims_id = dims;
    fact->open = open;

    bool entered = !streq (fact->state, item->state);
    const char *state = item->state;
    if (rc == 0 && !fact->opened) {
        fact->opened = true;
        rc = s_flow_add (store, txn, dims, item->opened_ms? item->opened_ms: at, DENIAL_FLOW_opened, 1);
    }
    if (rc == 0 && entered && streq (state, "appealed") && !fact->appeal_pending) {
        fact->appeal_pending = true;
        rc = s_flow_add (store, txn, dims, at, DENIAL_FLOW_appealed, 1);
        if (rc == 0 && !fact->first_appealed) {
            fact->first_appealed = true;
            int64_t took = item->opened_ms && at > item->opened_ms? (int64_t) (at - item->opened_ms): 0;
            rc = s_flow_add (store, txn, dims, at, DENIAL_FLOW_first_appealed, 1);
            if (rc == 0)
                rc = s_flow_add (store, txn, dims, at, DENIAL_FLOW_appeal_ms, took);
        }
    }
    uint64_t ended = item->resolved_ms? item->resolved_ms: at;
    if (rc == 0 && entered && (streq (state, "won") || streq (state, "lost")) && fact->appeal_pending) {
        fact->appeal_pending = false;
        rc = s_flow_add (store, txn, dims, ended, DENIAL_FLOW_decided, 1);
        if (rc == 0 && streq (state, "won"))
            rc = s_flow_add (store, txn, dims, ended, DENIAL_FLOW_overturned, 1);
    }
    if (rc == 0 && entered && (streq (state, "written_off") || streq (state, "cancelled") || streq (state, "reworked")))
        fact->appeal_pending = false;
    if (rc == 0 && entered && streq (state, "won"))
        rc = s_flow_add (store, txn, dims, ended, DENIAL_FLOW_won, 1);
    if (rc == 0 && item->recovered_cents != fact->recovered_cents) {
        rc = s_flow_add (store, txn, dims, at, DENIAL_FLOW_recovered_cents, item->recovered_cents - fact->recovered_cents);
        fact->recovered_cents = item->recovered_cents;
    }
    //  A write-off waiting for its second person: its amount, for the end.
    if (item->write_off)
        fact->write_off_cents = item->write_off->cents;
    else
    if (!streq (state, "written_off"))
        fact->write_off_cents = 0;      //  it was withdrawn, or ended otherwise
    if (rc == 0 && streq (state, "written_off") && !fact->written_off) {
        fact->written_off = true;
        //  The denial carries the amount it wrote off (denials since
        //  written_off_cents); an older event, what was asked or open.
        int64_t cents = item->written_off_cents? item->written_off_cents
                      : fact->write_off_cents? fact->write_off_cents: item->denied_cents - item->recovered_cents;
        rc = s_flow_add (store, txn, dims, ended, DENIAL_FLOW_written_off, 1);
        if (rc == 0)
            rc = s_flow_add (store, txn, dims, ended, DENIAL_FLOW_written_off_cents, cents > 0? cents: 0);
    }
    if (rc == 0 && item->missed_deadline && !fact->missed) {
        fact->missed = true;
        rc = s_flow_add (store, txn, dims, item->deadline_ms? item->deadline_ms: at, DENIAL_FLOW_missed, 1);
    }
    codec_set_text (&fact->state, state);
    return rc;
}

int
denial_facts_on_event (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    const DenialItem *item = (const DenialItem *) message;
    if (!item->id || !*item->id)
        return store_fail (store, "%s.%s #%" PRIu64 " carries no denial id: refused", event->stream, event->type,
                           event->stream_seq);
    if (strlen (item->id) > DENIAL_ID_MAX)
        return store_fail (store, "%s.%s #%" PRIu64 ": denial id of %zu bytes (at most %d): refused",
                           event->stream, event->type, event->stream_seq, strlen (item->id), DENIAL_ID_MAX);
    int row = s_state (item->state);
    if (row < 0)
        return store_fail (store, "%s.%s #%" PRIu64 ": denial %s is in state '%s', which metrics does not know: refused",
                           event->stream, event->type, event->stream_seq, item->id, item->state);
    DenialFact *fact = denial_facts_get (store, txn, item->id);
    if (!fact) {
        DenialFact blank = DENIAL_FACT__INIT;
        fact = (DenialFact *) codec_copy (&blank);
        assert (fact);
        codec_set_text (&fact->id, item->id);
    }
    int rc = s_apply (store, txn, item, event, fact, s_states [row].final);
    if (rc == 0)
        rc = store_put_message (store, txn, "denial_facts", item->id, fact);
    codec_free (fact);
    return rc;
}

//  --------------------------------------------------------------------------
//  Sums

int
denial_open_count (store_t *store, MDB_txn *txn, uint32_t dims, int64_t *open)
{
    return metrics_count_get (store, txn, "denial_open", dims, open);
}

int
denial_flows_sum (store_t *store, MDB_txn *txn, uint32_t dims, uint32_t from, uint32_t to,
                  int64_t out [DENIAL_FLOW_COUNT])
{
    return metrics_rows_sum (store, txn, "denial_by_day", dims, from, to, DENIAL_FLOW_COUNT, out);
}
