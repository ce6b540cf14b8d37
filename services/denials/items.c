/*  items: a denied claim becomes a work item.

        claims.denied   the claim's item (table items, key PCN) is opened
                        in state "new", or updated: its reasons, dimensions
                        and denied total as the latest denial says. A new
                        item is announced as denials.opened (DenialItem).

    The handler runs in the consumer's transaction, with the stream's
    offset, so each denial changes the item exactly once; the event it
    emits goes into the outbox in that same transaction (DESIGN §2).
*/
#include "items.h"
#include "codec.h"

static int
s_on_denied (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    denials_t *self = (denials_t *) state;
    const ClaimEvent *claim = (const ClaimEvent *) message;
    //  A denial of no claim cannot be worked: the stream stops on it
    //  (docs/adr/0009) rather than lose it.
    if (!*claim->pcn)
        return store_fail (store, "claims.denied #%" PRIu64 " names no PCN: refused", event->stream_seq);
    uint64_t time_ms = claim->time_ms? claim->time_ms: event->time_ms;
    DenialItem item = DENIAL_ITEM__INIT;
    item.pcn = claim->pcn;
    item.state = "new";
    item.dims = claim->dims;
    item.n_reasons = claim->n_denials;
    item.reasons = claim->denials;
    item.denied_cents = claim->denied_cents;
    item.opened_ms = item.updated_ms = time_ms;
    item.denial_count = 1;
    MDB_val value;
    DenialItem *known = store_get (store, txn, "items", claim->pcn, strlen (claim->pcn), &value) == 0
        ? (DenialItem *) codec_decode (&denial_item__descriptor, value.mv_data, value.mv_size): NULL;
    char known_state [32] = "";
    if (known) {
        snprintf (known_state, sizeof known_state, "%s", known->state);
        item.state = known_state;
        item.opened_ms = known->opened_ms;
        item.denial_count = known->denial_count + 1;
        codec_free (known);
    }
    int rc = store_put_message (store, txn, "items", claim->pcn, &item);
    if (rc == 0 && item.denial_count == 1)
        rc = outbox_append (self->outbox, txn, "denials", "opened", claim->pcn, &item);
    return rc;
}

const consumer_event_t items_events [] = {
    { "claims", "denied", &claim_event__descriptor, s_on_denied },
    { NULL }
};
