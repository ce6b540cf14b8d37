/*  acks: claims.Acknowledge reads a 277CA (claim acknowledgement).

        claims.Acknowledge  FileRequest -> AcknowledgeReply   claims.post

    Claim-level STC categories A1/A2 (and A0/A5) move a submitted claim to
    accepted; A3/A4/A6/A7/A8 move it to rejected, where it joins the queue
    owner's work list (claims list --status rejected --queue Q) with the
    status code and the payer's message. Acknowledgements are often missing
    or late: a claim already adjudicated by an 835 keeps its adjudication
    and the acknowledgement is only recorded. The file is applied whole or
    not at all; the same 277CA (payer, trace) twice changes nothing. The
    file is the request's content, or a file spooled in chunks (inbound.h).
*/
#include "acks.h"
#include "ledger.h"
#include "ack277.h"
#include "inbound.h"
#include "lifecycle.h"
#include "clock.h"
#include "codec.h"
#include "text.h"

static void
s_ack_free (void **item_p)
{
    codec_free (*item_p);
    *item_p = NULL;
}

static int
s_on_ack (Acknowledgement **ack_p, void *arg)
{
    zlistx_add_end ((zlistx_t *) arg, *ack_p);
    *ack_p = NULL;
    return 0;
}

//  Applies one claim status. Returns 0 (with *matched) or an LMDB error.
static int
s_apply_status (claims_t *self, server_call_t *call, const Acknowledgement *ack,
                const AckStatus *status, bool *matched)
{
    *matched = false;
    //  Light: an acknowledgement changes status and a few fields, never
    //  the sealed claim, which stays its stored bytes (issue 19).
    //  No such claim is an unmatched status; one that cannot be read
    //  fails the call, naming it (ledger_get_light's error).
    ClaimRecord *record;
    int rc = ledger_get_light (self, call->txn, status->pcn, false, &record);
    if (rc)
        return rc == MDB_NOTFOUND? 0: rc;
    *matched = true;
    //  "277CA <trace> from payer <payer>: <category>:<status>[ <message>]",
    //  joined, not formatted: every claim acknowledged has one (issue 19).
    char old_status [32], reason [512], error [256];
    text_append (old_status, sizeof old_status, 0, record->status);
    size_t at = text_append (reason, sizeof reason, 0, "277CA ");
    at = text_append (reason, sizeof reason, at, ack->trace);
    at = text_append (reason, sizeof reason, at, " from payer ");
    at = text_append (reason, sizeof reason, at, ack->payer_id);
    at = text_append (reason, sizeof reason, at, ": ");
    at = text_append (reason, sizeof reason, at, status->category);
    at = text_append (reason, sizeof reason, at, ":");
    at = text_append (reason, sizeof reason, at, status->status);
    if (*status->message) {
        at = text_append (reason, sizeof reason, at, " ");
        text_append (reason, sizeof reason, at, status->message);
    }
    //  Only a claim waiting for its payer moves; others just record it.
    bool waiting = streq (record->status, "submitted") || streq (record->status, "accepted");
    const char *to = status->accepted? "accepted": "rejected";
    if (waiting && !streq (record->status, to))
        lifecycle_move (record, to, call->caller->name, reason, clock_now_ms (), error, sizeof error);
    if (*status->payer_claim_number)
        codec_set_text (&record->payer_claim_number, status->payer_claim_number);
    //  The status is lent to the record for the put and the event, and
    //  the record's own acknowledgement put back before it is freed: a
    //  deep copy of the whole record for one field cost a pack and an
    //  unpack of it per claim (issue 19).
    AckStatus *own = record->acknowledgement;
    record->acknowledgement = (AckStatus *) status;
    ClaimEvent event = CLAIM_EVENT__INIT;
    event.from_status = old_status;
    event.actor = (char *) call->caller->name;
    event.reason = reason;
    event.acknowledgement = (AckStatus *) status;
    rc = ledger_put (self, call->txn, record, old_status);
    if (rc == 0)
        rc = ledger_emit (self, call->txn, "acknowledged", record, &event);
    server_call_subject (call, record->pcn);
    record->acknowledgement = own;
    codec_free (record);
    return rc;
}

static int
s_acknowledge (server_call_t *call)
{
    claims_t *self = claims_state (call);
    inbound_t in;
    if (inbound_open (call, &in))
        return 0;
    zlistx_t *acks = zlistx_new ();
    zlistx_set_destructor (acks, s_ack_free);
    ack277_report_t report;
    memset (&report, 0, sizeof report);
    int parsed = ack277_read (in.reader, s_on_ack, acks, &report);
    inbound_close (call, &in);
    const char *filename = in.filename;
    if (parsed || zlistx_size (acks) == 0) {
        server_call_fail (call, STATUS__INVALID_ARGUMENT, "claims.Acknowledge: %s is not a readable 277CA: %s",
                          filename, parsed? report.error: "no transaction set");
        zlistx_destroy (&acks);
        return 0;
    }
    AcknowledgeReply reply = ACKNOWLEDGE_REPLY__INIT;
    char traces [256] = "";
    int rc = 0;
    for (Acknowledgement *ack = (Acknowledgement *) zlistx_first (acks); ack && rc == 0;
         ack = (Acknowledgement *) zlistx_next (acks)) {
        snprintf (traces + strlen (traces), sizeof traces - strlen (traces), "%s%s", *traces? ",": "", ack->trace);
        char key [192];
        snprintf (key, sizeof key, "%s/%s", ack->payer_id, ack->trace);
        MDB_val seen;
        if (store_get (self->store, call->txn, "acks", key, strlen (key), &seen) == 0)
            continue;
        for (size_t i = 0; i < ack->n_statuses && rc == 0; i++) {
            bool matched;
            rc = s_apply_status (self, call, ack, ack->statuses [i], &matched);
            if (!matched)
                reply.unmatched++;
            else
            if (ack->statuses [i]->accepted)
                reply.accepted++;
            else
                reply.rejected++;
        }
        if (rc == 0)
            rc = store_put (self->store, call->txn, "acks", key, strlen (key), filename, strlen (filename));
    }
    zlistx_destroy (&acks);
    if (rc)
        return rc;
    reply.trace = traces;
    server_call_reply (call, &reply);
    return 0;
}

const server_method_t claims_ack_methods [] = {
    //  A 277CA file answers for claims of every queue: internal only.
    { "claims.Acknowledge", "claims.post", &file_request__descriptor, s_acknowledge, SERVER_INTERNAL, NULL, SERVER_NO_PHI },
    { NULL }
};
