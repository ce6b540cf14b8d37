/*  edits: claims.Edit.

        claims.Edit   EditRequest -> ClaimRecord   claims.work

    A claim its payer rejected on a 277CA was never accepted: the payer
    gave it no claim number, so it cannot be replaced (frequency 7 needs
    REF*F8) and was stuck. claims.Edit fixes its data -- member id, payer
    id, diagnoses, and one service line per call -- and moves it from
    rejected back to ready, so the next claims.Submit sends it as a new
    original (frequency 1). A claim already ready (edited before, or not
    sent yet) takes further edits and stays ready; any other state is
    refused with FAILED_PRECONDITION naming it (claims.Correct and
    claims.Void are for claims the payer accepted).

    The claim's PHI is opened, changed and sealed again under the same
    record id (the member id is PHI). Each call appends a ClaimEdit to the
    record -- who, when, why, and each field's old and new value, the
    member id by name only -- and emits claims.edited.
*/
#include "edits.h"
#include "claimedit.h"
#include "ledger.h"
#include "lifecycle.h"
#include "clock.h"
#include "codec.h"
#include "phi_claim.h"
#include "write837.h"


//  The states a claim is edited in; the first moves to ready.
static const char *const s_editable [] = { "rejected", "ready", NULL };

static bool
s_editable_status (const char *status)
{
    for (size_t i = 0; s_editable [i]; i++)
        if (streq (s_editable [i], status))
            return true;
    return false;
}

static int
s_edit (server_call_t *call)
{
    claims_t *self = claims_state (call);
    EditRequest *request = (EditRequest *) call->body;
    if (!*request->reason)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "claims.Edit: a reason is required");
    ClaimRecord *record;
    int rc = ledger_get (self, call->txn, request->pcn, &record);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (!record)
        return server_call_fail (call, STATUS__NOT_FOUND, "claims.Edit: no claim '%s'", request->pcn);
    if (!s_editable_status (record->status)) {
        server_call_fail (call, STATUS__FAILED_PRECONDITION,
                          "claims.Edit: claim %s is %s; only a claim its payer rejected (rejected) or one not "
                          "sent yet (ready) is edited (a claim the payer accepted: claims correct or claims void)",
                          record->pcn, record->status);
        codec_free (record);
        return 0;
    }
    Claim *claim = record->claim? phi_claim_open (self->phi_key, record->claim): NULL;
    if (!claim) {
        codec_free (record);
        return server_call_fail (call, STATUS__FAILED_PRECONDITION,
                                 "claims.Edit: claim %s has no claim data this deployment's key opens", request->pcn);
    }
    ClaimEdit edit = CLAIM_EDIT__INIT;
    char error [CLAIMEDIT_ERROR_SIZE];
    if (claimedit_apply (claim, request, &edit, error, sizeof error)) {
        codec_free (claim);
        codec_free (record);
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "claims.Edit: claim %s: %s", request->pcn, error);
    }
    //  What the 837P writer would refuse is refused now, while the biller
    //  is at it, rather than as a skipped claim at the next submit.
    char write_error [WRITE837_ERROR_SIZE];
    const char *payer_id = claim->payer && *claim->payer->payer_id? claim->payer->payer_id
                         : record->dims? record->dims->payer_id: "";
    if (write837_check (claim, payer_id, write_error)) {
        claimedit_clear (&edit);
        codec_free (claim);
        codec_free (record);
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "claims.Edit: the edited claim could not be sent: %s", write_error);
    }
    SealedClaim *sealed = phi_claim_seal (self->phi_key, record->claim->record_id, claim);
    codec_free (claim);
    if (!sealed) {
        claimedit_clear (&edit);
        codec_free (record);
        return server_call_fail (call, STATUS__INTERNAL, "claims.Edit: cannot seal the edited claim");
    }
    char old_status [32];
    snprintf (old_status, sizeof old_status, "%s", record->status);
    uint64_t now = clock_now_ms ();
    if (!streq (old_status, "ready")) {
        char *reason = zsys_sprintf ("edited: %s", request->reason);
        int moved = lifecycle_move (record, "ready", call->caller->name, reason, now, error, sizeof error);
        zstr_free (&reason);
        if (moved) {
            codec_free (sealed);
            claimedit_clear (&edit);
            codec_free (record);
            return server_call_fail (call, STATUS__FAILED_PRECONDITION, "claims.Edit: %s", error);
        }
    }
    codec_free (record->claim);
    record->claim = sealed;
    record->charge_cents = sealed->claim->total_charge_cents;
    codec_set_text (&record->frequency_code, "1");
    codec_set_text (&record->payer_claim_number, NULL);
    if (record->dims && sealed->claim->payer && *sealed->claim->payer->payer_id)
        codec_set_text (&record->dims->payer_id, sealed->claim->payer->payer_id);
    edit.time_ms = now;
    edit.actor = (char *) call->caller->name;
    edit.reason = request->reason;
    //  The record owns its memory (decoded): the copy becomes its own.
    ClaimEdit *kept = (ClaimEdit *) codec_copy (&edit);
    claimedit_clear (&edit);
    codec_append (&record->edits, &record->n_edits, kept);

    ClaimEvent event = CLAIM_EVENT__INIT;
    event.from_status = old_status;
    event.actor = (char *) call->caller->name;
    event.reason = request->reason;
    event.time_ms = now;
    rc = ledger_put (self, call->txn, record, old_status);
    if (rc == 0)
        rc = ledger_emit (self, call->txn, "edited", record, &event);
    if (rc == 0) {
        server_call_subject (call, record->pcn);
        codec_free (record->claim);
        record->claim = NULL;
        server_call_reply (call, record);
    }
    codec_free (record);
    return rc;
}

static int
s_scope (server_call_t *call)
{
    return ledger_scope (call, ((EditRequest *) call->body)->pcn);
}

const server_method_t claims_edit_methods [] = {
    { "claims.Edit", "claims.work", &edit_request__descriptor, s_edit, SERVER_SUBJECT, s_scope, SERVER_NO_PHI },
    { NULL }
};
