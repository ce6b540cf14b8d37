/*  corrections: sending a claim again as a replacement, or voiding it.

        claims.Correct  CorrectRequest -> ClaimRecord   claims.work
        claims.Void     CorrectRequest -> ClaimRecord   claims.work   (pcn, reason)
        claims.RequestCorrection  CorrectionRequest -> ClaimRecord   claims.correct

    A correction replaces the diagnoses, the service lines and/or the total
    in the claim (its PHI is opened and sealed again under the same record
    id) and moves it to corrected; the next claims.Submit sends it with
    frequency code 7 and the payer's claim number in REF*F8. A void moves it
    to voided; the next submit sends frequency 8 and closes it. rcmqctl
    calls these.

    claims.RequestCorrection is the same two for another service, with its
    own key (role service, which holds claims.correct and none of the
    claims.work of staff): denials asks, claims checks the claim's state and
    writes it, so claims stays the only writer of claim state. The person
    who asked and the caller's record (a denial id) go into the history's
    reason (docs/denials-claims-api.md).

    A claim its payer rejected (277CA) and never accepted has no payer
    claim number, and a replacement without one (REF*F8) cannot be sent:
    it was refused only at the next submit, as a skipped claim, and stayed
    stuck as corrected. It is refused here, pointing at claims.Edit, which
    sends it again as an original.
*/
#include "corrections.h"
#include "ledger.h"
#include "lifecycle.h"
#include "clock.h"
#include "codec.h"
#include "phi_claim.h"

static int
s_store_move (claims_t *self, server_call_t *call, ClaimRecord *record, const char *old_status,
              const char *type, const char *reason)
{
    ClaimEvent event = CLAIM_EVENT__INIT;
    event.from_status = (char *) old_status;
    event.actor = (char *) call->caller->name;
    event.reason = (char *) reason;
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

//  The claim a correction names into *record_p; NULL with the call failed
//  when there is none (or no reason). 0, or the store's error.
static int
s_load (claims_t *self, server_call_t *call, const CorrectRequest *request, const char *method,
        ClaimRecord **record_p)
{
    *record_p = NULL;
    if (!*request->reason)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: a reason is required", method);
    int rc = ledger_get (self, call->txn, request->pcn, record_p);
    if (rc == MDB_NOTFOUND)
        return server_call_fail (call, STATUS__NOT_FOUND, "%s: no claim '%s'", method, request->pcn);
    return rc;
}

//  A replacement or void names the claim the payer knows (REF*F8): a
//  claim the payer rejected without a number has none. False, with the
//  call failed, then.
static bool
s_replaceable (server_call_t *call, const ClaimRecord *record, const char *method)
{
    if (*record->payer_claim_number || !streq (record->status, "rejected"))
        return true;
    server_call_fail (call, STATUS__FAILED_PRECONDITION,
                      "%s: claim %s is rejected and its payer never accepted it, so it has no payer claim "
                      "number (REF*F8) to replace or void; fix it with claims edit, which sends it again as "
                      "an original", method, record->pcn);
    return false;
}

//  The correction of request, for method; reason is the history's.
static int
s_correct_with (server_call_t *call, const CorrectRequest *request, const char *method, const char *reason)
{
    claims_t *self = claims_state (call);
    ClaimRecord *record;
    int rc = s_load (self, call, request, method, &record);
    if (!record)
        return rc;
    if (!s_replaceable (call, record, method)) {
        codec_free (record);
        return 0;
    }
    char old_status [32], error [256];
    snprintf (old_status, sizeof old_status, "%s", record->status);
    if (lifecycle_move (record, "corrected", call->caller->name, reason, clock_now_ms (),
                        error, sizeof error)) {
        codec_free (record);
        return server_call_fail (call, STATUS__FAILED_PRECONDITION, "%s: %s", method, error);
    }
    Claim *claim = record->claim? phi_claim_open (self->phi_key, record->claim): NULL;
    if (!claim) {
        codec_free (record);
        return server_call_fail (call, STATUS__FAILED_PRECONDITION,
                                 "%s: claim %s has no claim data this deployment's key opens", method, request->pcn);
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
        return server_call_fail (call, STATUS__INTERNAL, "%s: cannot seal the corrected claim", method);
    }
    codec_free (record->claim);
    record->claim = sealed;
    record->charge_cents = sealed->claim->total_charge_cents;
    rc = s_store_move (self, call, record, old_status, "corrected", reason);
    codec_free (record);
    return rc;
}

static int
s_void_with (server_call_t *call, const CorrectRequest *request, const char *method, const char *reason)
{
    claims_t *self = claims_state (call);
    ClaimRecord *record;
    int rc = s_load (self, call, request, method, &record);
    if (!record)
        return rc;
    if (!s_replaceable (call, record, method)) {
        codec_free (record);
        return 0;
    }
    char old_status [32], error [256];
    snprintf (old_status, sizeof old_status, "%s", record->status);
    if (lifecycle_move (record, "voided", call->caller->name, reason, clock_now_ms (),
                        error, sizeof error)) {
        codec_free (record);
        return server_call_fail (call, STATUS__FAILED_PRECONDITION, "%s: %s", method, error);
    }
    rc = s_store_move (self, call, record, old_status, "voided", reason);
    codec_free (record);
    return rc;
}

static int
s_correct (server_call_t *call)
{
    CorrectRequest *request = (CorrectRequest *) call->body;
    return s_correct_with (call, request, "claims.Correct", request->reason);
}

static int
s_void (server_call_t *call)
{
    CorrectRequest *request = (CorrectRequest *) call->body;
    return s_void_with (call, request, "claims.Void", request->reason);
}

//  Another service's request: who asked and for which of its records go
//  into the history, after the reason.
static int
s_request_correction (server_call_t *call)
{
    CorrectionRequest *request = (CorrectionRequest *) call->body;
    const char *method = "claims.RequestCorrection";
    if (!request->correct || !*request->correct->pcn)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT, "%s: no claim named (correct.pcn)", method);
    if (!*request->requested_by)
        return server_call_fail (call, STATUS__INVALID_ARGUMENT,
                                 "%s: requested_by is required (the person who asked, for the history)", method);
    char *reason = zsys_sprintf ("%s (asked by %s%s%s)", request->correct->reason, request->requested_by,
                                 *request->reference? " for ": "", request->reference);
    int rc = request->as_void? s_void_with (call, request->correct, method, reason)
           : s_correct_with (call, request->correct, method, reason);
    zstr_free (&reason);
    return rc;
}

//  Both act on the claim they name: a vendor's only within its scope.
static int
s_scope (server_call_t *call)
{
    return ledger_scope (call, ((CorrectRequest *) call->body)->pcn);
}

static int
s_scope_request (server_call_t *call)
{
    const CorrectionRequest *request = (CorrectionRequest *) call->body;
    return ledger_scope (call, request->correct? request->correct->pcn: "");
}

const server_method_t claims_correction_methods [] = {
    { "claims.Correct", "claims.work", &correct_request__descriptor, s_correct, SERVER_SUBJECT, s_scope, SERVER_NO_PHI },
    { "claims.Void",    "claims.work", &correct_request__descriptor, s_void,    SERVER_SUBJECT, s_scope, SERVER_NO_PHI },
    //  A service's (denials'): its role holds claims.correct only.
    { "claims.RequestCorrection", "claims.correct", &correction_request__descriptor, s_request_correction,
      SERVER_SUBJECT, s_scope_request, SERVER_NO_PHI },
    { NULL }
};
