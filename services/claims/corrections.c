/*  corrections: sending a claim again as a replacement, or voiding it.

        claims.Correct  CorrectRequest -> ClaimRecord   claims.work
        claims.Void     CorrectRequest -> ClaimRecord   claims.work   (pcn, reason)

    A correction replaces the diagnoses, the service lines and/or the total
    in the claim (its PHI is opened and sealed again under the same record
    id) and moves it to corrected; the next claims.Submit sends it with
    frequency code 7 and the payer's claim number in REF*F8. A void moves it
    to voided; the next submit sends frequency 8 and closes it. The denials
    service calls these; rcmqctl does too.
*/
#include "corrections.h"
#include "ledger.h"
#include "lifecycle.h"
#include "clock.h"
#include "codec.h"
#include "phi_claim.h"

static int
s_store_move (claims_t *self, server_call_t *call, ClaimRecord *record, const char *old_status,
              const char *type)
{
    CorrectRequest *request = (CorrectRequest *) call->body;
    ClaimEvent event = CLAIM_EVENT__INIT;
    event.from_status = (char *) old_status;
    event.actor = (char *) call->caller->name;
    event.reason = request->reason;
    int rc = ledger_put (self, call->txn, record, old_status);
    if (rc == 0)
        rc = ledger_emit (self, call->txn, type, record, &event);
    if (rc == 0) {
        server_call_subject (call, record->pcn);
        codec_free (record->claim);
        record->claim = NULL;
        server_call_reply (call, record);
    }
    return rc;
}

static ClaimRecord *
s_load (claims_t *self, server_call_t *call, const char *method)
{
    CorrectRequest *request = (CorrectRequest *) call->body;
    if (!*request->reason) {
        server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: a reason is required", method);
        return NULL;
    }
    ClaimRecord *record = ledger_get (self, call->txn, request->pcn);
    if (!record)
        server_call_fail (call, STATUS__NOT_FOUND, "%s: no claim '%s'", method, request->pcn);
    return record;
}

static int
s_correct (server_call_t *call)
{
    claims_t *self = claims_state (call);
    CorrectRequest *request = (CorrectRequest *) call->body;
    ClaimRecord *record = s_load (self, call, "claims.Correct");
    if (!record)
        return 0;
    char old_status [32], error [256];
    snprintf (old_status, sizeof old_status, "%s", record->status);
    if (lifecycle_move (record, "corrected", call->caller->name, request->reason, clock_now_ms (),
                        error, sizeof error)) {
        codec_free (record);
        return server_call_fail (call, STATUS__FAILED_PRECONDITION, "claims.Correct: %s", error);
    }
    Claim *claim = record->claim? phi_claim_open (self->phi_key, record->claim): NULL;
    if (!claim) {
        codec_free (record);
        return server_call_fail (call, STATUS__FAILED_PRECONDITION,
                                 "claims.Correct: claim %s has no claim data this deployment's key opens", request->pcn);
    }
    //  The replacement: what the request names, the rest as it was.
    Claim corrected = *claim;
    if (request->n_diagnoses) {
        corrected.n_diagnoses = request->n_diagnoses;
        corrected.diagnoses = request->diagnoses;
    }
    if (request->n_lines) {
        corrected.n_lines = request->n_lines;
        corrected.lines = request->lines;
        corrected.total_charge_cents = 0;
        for (size_t i = 0; i < request->n_lines; i++)
            corrected.total_charge_cents += request->lines [i]->charge_cents;
    }
    if (request->total_charge_cents)
        corrected.total_charge_cents = request->total_charge_cents;
    SealedClaim *sealed = phi_claim_seal (self->phi_key, record->claim->record_id, &corrected);
    codec_free (claim);
    if (!sealed) {
        codec_free (record);
        return server_call_fail (call, STATUS__INTERNAL, "claims.Correct: cannot seal the corrected claim");
    }
    codec_free (record->claim);
    record->claim = sealed;
    record->charge_cents = sealed->claim->total_charge_cents;
    int rc = s_store_move (self, call, record, old_status, "corrected");
    codec_free (record);
    return rc;
}

static int
s_void (server_call_t *call)
{
    claims_t *self = claims_state (call);
    CorrectRequest *request = (CorrectRequest *) call->body;
    ClaimRecord *record = s_load (self, call, "claims.Void");
    if (!record)
        return 0;
    char old_status [32], error [256];
    snprintf (old_status, sizeof old_status, "%s", record->status);
    if (lifecycle_move (record, "voided", call->caller->name, request->reason, clock_now_ms (),
                        error, sizeof error)) {
        codec_free (record);
        return server_call_fail (call, STATUS__FAILED_PRECONDITION, "claims.Void: %s", error);
    }
    int rc = s_store_move (self, call, record, old_status, "voided");
    codec_free (record);
    return rc;
}

//  Both act on the claim they name: a vendor's only within its scope.
static int
s_scope (server_call_t *call)
{
    return ledger_scope (call, ((CorrectRequest *) call->body)->pcn);
}

const server_method_t claims_correction_methods [] = {
    { "claims.Correct", "claims.work", &correct_request__descriptor, s_correct, SERVER_SUBJECT, s_scope, SERVER_NO_PHI },
    { "claims.Void",    "claims.work", &correct_request__descriptor, s_void,    SERVER_SUBJECT, s_scope, SERVER_NO_PHI },
    { NULL }
};
