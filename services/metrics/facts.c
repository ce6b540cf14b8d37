/*  facts: see facts.h.

    An event goes through three steps:
      1. place: the claim's dimensions and date of service, as the event
         tells them, become the fact's; when they changed, the claim's whole
         share of the cohort and of the open balances moves with it.
      2. the event's own change (one handler per event type, in s_handlers):
         money into the fact, flow counters for the event's day, reasons and
         drill entries.
      3. settle: the fact's balances are recomputed from its money and the
         difference goes to ar_open / ar_moves.

    Balances follow docs/metrics.md: insurance A/R = charge - paid -
    contractual - patient responsibility - written off; patient A/R =
    patient responsibility (the claims stream does not report patient
    collections yet). Denial adjustments never reduce a balance.

    Flows count under the dimensions the event carried, on the event's day:
    remit date for adjudications, reversals and denials (so the initial
    denial rate is by remit date), the event's time otherwise. Balances
    move on the day the event was posted (its time), as the books do: a
    payer's payment date may lie days after the 835 arrived, but never
    before the day the claim entered. Balances and the date-of-service
    cohort follow the claim's current dimensions.
*/
#include "facts.h"
#include "aggregates.h"
#include "work_facts.h"
#include "denial_facts.h"
#include "dims.h"
#include "batch_cache.h"
#include "names.h"
#include "log.h"

#include <czmq.h>

//  The fact as the handlers change it; ClaimFact is its stored form.
typedef struct {
    char pcn [128];
    uint32_t dims;
    uint32_t dos;
    int64_t charge;
    int64_t paid;
    int64_t contractual;
    int64_t patient;            //  patient responsibility
    int64_t denied;
    int64_t written_off;
    uint32_t entered_day;
    uint32_t first_day;
    char first [24];
    char status [24];
    uint32_t received_dims;
    uint32_t received_day;
    bool clean;
    int64_t ar_insurance;       //  as applied to ar_open
    int64_t ar_patient;
    bool entered;
    bool in_cohort;
} s_fact_t;

typedef struct {
    store_t *store;
    MDB_txn *txn;
    metrics_batch_t *batch;     //  the consumer's open batch, or NULL (batch_cache.h)
    const Event *event;
    const ClaimEvent *claim;    //  claims stream events
    s_fact_t fact;
    uint32_t dims;              //  the event's dimensions
    uint32_t day;               //  the event's day, for flows
    uint32_t posted;            //  the day it was posted, for balances
    int64_t flows [AGG_DAY_COUNT];
    int64_t cohort [AGG_DOS_COUNT];
} s_apply_t;

//  The event's flows into by_day: held by the open batch, written once
//  when it ends, or written now outside one.
static int
s_day_add (s_apply_t *self)
{
    if (!self->batch)
        return agg_day_add (self->store, self->txn, self->dims, self->day, self->flows);
    metrics_batch_day_add (self->batch, self->dims, self->day, self->flows);
    return 0;
}

//  A cohort row's change (by_dos): held by the open batch, summed and
//  written once when it ends, or written now outside one.
static int
s_dos_add (s_apply_t *self, uint32_t dims, uint32_t dos, const int64_t *delta)
{
    if (!self->batch)
        return agg_dos_add (self->store, self->txn, dims, dos, delta);
    metrics_batch_dos_add (self->batch, dims, dos, delta);
    return 0;
}

//  A reasons row's change: held by the open batch, or written now.
static int
s_reason_add (s_apply_t *self, agg_reason_kind_t kind, const char *code, int64_t count, int64_t cents)
{
    if (!self->batch)
        return agg_reason_add (self->store, self->txn, kind, self->dims, self->day, code, count, cents);
    metrics_batch_reason_add (self->batch, kind, self->dims, self->day, code, count, cents);
    return 0;
}

//  The claim's open balances move: held by the open batch, summed and
//  written once when it ends, or written now outside one.
static int
s_balance_move (s_apply_t *self, uint32_t dims, uint32_t dos, int64_t insurance, int64_t patient)
{
    if (!self->batch)
        return agg_balance_move (self->store, self->txn, dims, dos, self->posted, insurance, patient);
    metrics_batch_balance_move (self->batch, dims, dos, self->posted, insurance, patient);
    return 0;
}

//  --------------------------------------------------------------------------
//  Facts in and out of the store

//  snprintf (to, size, "%s", from) without the format's parsing: three
//  a fact read, once for every event metrics applies.
static void
s_copy_text (char *to, size_t size, const char *from)
{
    size_t length = strnlen (from, size - 1);
    memcpy (to, from, length);
    to [length] = 0;
}

static void
s_fact_load (s_apply_t *self, const char *pcn)
{
    s_fact_t *fact = &self->fact;
    memset (fact, 0, sizeof *fact);
    //  A fact is keyed by at most the first 127 bytes of its PCN (intake
    //  allows 38, CLM01's maximum; older events may carry more): load under
    //  the same key s_fact_save writes, or a long PCN would never find its
    //  own fact and would enter the claim again with every event.
    s_copy_text (fact->pcn, sizeof fact->pcn, pcn);
    //  Held by the open batch since an earlier event of it: as it now is.
    const void *held = self->batch && *fact->pcn? metrics_batch_fact (self->batch, fact->pcn): NULL;
    if (held) {
        memcpy (fact, held, sizeof *fact);
        return;
    }
    //  Read into the working copy and dropped: decoded on the stack
    //  (codec.h, arenas), as facts_get would decode it on the heap.
    MDB_val value;
    if (!*fact->pcn || store_get (self->store, self->txn, "facts", fact->pcn, strlen (fact->pcn), &value))
        return;
    max_align_t buffer [1024 / sizeof (max_align_t)];
    codec_arena_t arena;
    codec_arena_init (&arena, buffer, sizeof buffer);
    ClaimFact *stored = (ClaimFact *) codec_arena_decode_direct (&arena, &claim_fact__descriptor, value.mv_data, value.mv_size);
    if (!stored) {
        codec_arena_release (&arena);
        return;
    }
    fact->dims = stored->dims_id;
    fact->dos = stored->dos_day;
    fact->charge = stored->charge_cents;
    fact->paid = stored->paid_cents;
    fact->contractual = stored->contractual_cents;
    fact->patient = stored->patient_responsibility_cents;
    fact->denied = stored->denied_cents;
    fact->written_off = stored->written_off_cents;
    fact->entered_day = stored->entered_day;
    fact->first_day = stored->first_adjudicated_day;
    s_copy_text (fact->first, sizeof fact->first, stored->first_adjudication);
    s_copy_text (fact->status, sizeof fact->status, stored->status);
    fact->received_dims = stored->received_dims_id;
    fact->received_day = stored->received_day;
    fact->clean = stored->clean;
    fact->ar_insurance = stored->ar_insurance_cents;
    fact->ar_patient = stored->ar_patient_cents;
    fact->entered = stored->entered;
    fact->in_cohort = stored->in_cohort;
    codec_arena_release (&arena);
}

static int
s_fact_put (store_t *store, MDB_txn *txn, const s_fact_t *fact)
{
    ClaimFact stored = CLAIM_FACT__INIT;
    stored.pcn = (char *) fact->pcn;
    stored.dims_id = fact->dims;
    stored.dos_day = fact->dos;
    stored.charge_cents = fact->charge;
    stored.paid_cents = fact->paid;
    stored.contractual_cents = fact->contractual;
    stored.patient_responsibility_cents = fact->patient;
    stored.denied_cents = fact->denied;
    stored.written_off_cents = fact->written_off;
    stored.entered_day = fact->entered_day;
    stored.first_adjudicated_day = fact->first_day;
    stored.first_adjudication = (char *) fact->first;
    stored.status = (char *) fact->status;
    stored.received_dims_id = fact->received_dims;
    stored.received_day = fact->received_day;
    stored.clean = fact->clean;
    stored.ar_insurance_cents = fact->ar_insurance;
    stored.ar_patient_cents = fact->ar_patient;
    stored.entered = fact->entered;
    stored.in_cohort = fact->in_cohort;
    //  Packed without sizing it first: 17 numbers (12 bytes each at most
    //  with their tags), a PCN of at most 127 bytes and two texts of 23
    //  are under 400 bytes.
    uint8_t buffer [512];
    size_t size = claim_fact__pack (&stored, buffer);
    assert (size <= sizeof buffer);
    return store_put (store, txn, "facts", fact->pcn, strlen (fact->pcn), buffer, size);
}

//  Into the open batch, written at its end (facts_write); else now.
static int
s_fact_save (s_apply_t *self)
{
    if (self->batch && *self->fact.pcn) {
        metrics_batch_fact_keep (self->batch, self->fact.pcn, &self->fact, sizeof self->fact);
        return 0;
    }
    return s_fact_put (self->store, self->txn, &self->fact);
}

int
facts_write (store_t *store, MDB_txn *txn, const char *pcn, const void *fact)
{
    assert (streq (pcn, ((const s_fact_t *) fact)->pcn));
    return s_fact_put (store, txn, (const s_fact_t *) fact);
}

ClaimFact *
facts_get (store_t *store, MDB_txn *txn, const char *pcn)
{
    MDB_val value;
    if (!*pcn || store_get (store, txn, "facts", pcn, strlen (pcn), &value))
        return NULL;
    return (ClaimFact *) codec_decode (&claim_fact__descriptor, value.mv_data, value.mv_size);
}

//  --------------------------------------------------------------------------
//  Placing a claim: its dimensions and date of service

//  The claim's whole share of its cohort row, times sign.
static int
s_cohort_share (s_apply_t *self, int64_t sign)
{
    s_fact_t *fact = &self->fact;
    int64_t share [AGG_DOS_COUNT] = { 0 };
    share [AGG_DOS_claims] = sign;
    share [AGG_DOS_charge_cents] = sign * fact->charge;
    share [AGG_DOS_paid_cents] = sign * fact->paid;
    share [AGG_DOS_contractual_cents] = sign * fact->contractual;
    share [AGG_DOS_patient_responsibility_cents] = sign * fact->patient;
    return s_dos_add (self, fact->dims, fact->dos, share);
}

//  The claim's balances and drill entries leave (sign -1) or join (+1)
//  its current place.
static int
s_place_share (s_apply_t *self, int64_t sign)
{
    s_fact_t *fact = &self->fact;
    int rc = s_cohort_share (self, sign);
    if (rc == 0)
        rc = s_balance_move (self, fact->dims, fact->dos, sign * fact->ar_insurance, sign * fact->ar_patient);
    bool open = fact->ar_insurance || fact->ar_patient;
    if (rc == 0)
        rc = sign > 0? agg_drill_put (self->store, self->txn, AGG_DRILL_COHORT, fact->dims, fact->dos, fact->pcn, false)
                     : agg_drill_del (self->store, self->txn, AGG_DRILL_COHORT, fact->dims, fact->dos, fact->pcn);
    if (rc == 0 && open)
        rc = sign > 0? agg_drill_put (self->store, self->txn, AGG_DRILL_OPEN, fact->dims, fact->dos, fact->pcn, false)
                     : agg_drill_del (self->store, self->txn, AGG_DRILL_OPEN, fact->dims, fact->dos, fact->pcn);
    return rc;
}

static bool
s_has_dims (const ClaimDimensions *dims)
{
    for (int i = 0; dims && i < DIMS_COUNT; i++)
        if (*dims_value (dims, i))
            return true;
    return false;
}

//  The first claims event of a PCN enters it (normally "entered"; any other
//  first event enters it too, so a lost "entered" costs no balance).
static int
s_place (s_apply_t *self)
{
    s_fact_t *fact = &self->fact;
    const ClaimEvent *claim = self->claim;
    uint32_t dos = metrics_day_from_text (claim->date_of_service);
    if (!dos)
        dos = fact->dos? fact->dos: self->posted;
    if (!fact->in_cohort) {
        fact->dims = self->dims;
        fact->dos = dos;
        fact->in_cohort = true;
        int rc = s_place_share (self, 1);
        if (rc)
            return rc;
    }
    else
    if (fact->dims != self->dims || fact->dos != dos) {
        int rc = s_place_share (self, -1);
        fact->dims = self->dims;
        fact->dos = dos;
        if (rc || (rc = s_place_share (self, 1)))
            return rc;
    }
    if (!fact->entered) {
        fact->entered = true;
        fact->entered_day = self->posted;
        self->flows [AGG_DAY_entered] += 1;
        self->flows [AGG_DAY_entered_cents] += claim->charge_cents;
        self->cohort [AGG_DOS_charge_cents] += claim->charge_cents;
        fact->charge = claim->charge_cents;
    }
    return 0;
}

//  Money the event moved, into the fact and the cohort.
static void
s_money (s_apply_t *self, int64_t charge, int64_t paid, int64_t contractual, int64_t patient)
{
    s_fact_t *fact = &self->fact;
    fact->charge += charge;
    fact->paid += paid;
    fact->contractual += contractual;
    fact->patient += patient;
    self->cohort [AGG_DOS_charge_cents] += charge;
    self->cohort [AGG_DOS_paid_cents] += paid;
    self->cohort [AGG_DOS_contractual_cents] += contractual;
    self->cohort [AGG_DOS_patient_responsibility_cents] += patient;
}

static int64_t
s_insurance_balance (const s_fact_t *fact)
{
    return fact->charge - fact->paid - fact->contractual - fact->patient - fact->written_off;
}

//  Balances recomputed; the change goes to ar_open / ar_moves.
static int
s_settle (s_apply_t *self)
{
    s_fact_t *fact = &self->fact;
    int rc = s_dos_add (self, fact->dims, fact->dos, self->cohort);
    if (rc)
        return rc;
    int64_t insurance = s_insurance_balance (fact);
    int64_t patient = fact->patient;
    bool was_open = fact->ar_insurance || fact->ar_patient;
    bool open = insurance || patient;
    rc = s_balance_move (self, fact->dims, fact->dos, insurance - fact->ar_insurance, patient - fact->ar_patient);
    fact->ar_insurance = insurance;
    fact->ar_patient = patient;
    if (rc == 0 && open && !was_open)
        rc = agg_drill_put (self->store, self->txn, AGG_DRILL_OPEN, fact->dims, fact->dos, fact->pcn, false);
    if (rc == 0 && was_open && !open)
        rc = agg_drill_del (self->store, self->txn, AGG_DRILL_OPEN, fact->dims, fact->dos, fact->pcn);
    return rc;
}

//  --------------------------------------------------------------------------
//  Claims stream handlers: each adds the event's own change.

static bool
s_status_is (s_apply_t *self, const char *status)
{
    return streq (self->claim->to_status, status);
}

static int
s_entered (s_apply_t *self)
{
    //  A replacement (frequency 7) re-enters its PCN with its new charge;
    //  the first entry was done by s_place.
    if (self->flows [AGG_DAY_entered])
        return 0;
    self->flows [AGG_DAY_entered] += 1;
    self->flows [AGG_DAY_entered_cents] += self->claim->charge_cents;
    s_money (self, self->claim->charge_cents - self->fact.charge, 0, 0, 0);
    return 0;
}

static int
s_submitted (s_apply_t *self)
{
    self->flows [AGG_DAY_submitted] += 1;
    return 0;
}

static int
s_acknowledged (s_apply_t *self)
{
    self->flows [AGG_DAY_acknowledged] += 1;
    if (s_status_is (self, "rejected") || (self->claim->acknowledgement && !self->claim->acknowledgement->accepted))
        self->flows [AGG_DAY_ack_rejected] += 1;
    return 0;
}

//  Money of an 835 posting (adjudication or reversal), from the deltas.
static void
s_posting (s_apply_t *self)
{
    const ClaimEvent *claim = self->claim;
    self->flows [AGG_DAY_paid_cents] += claim->delta_paid_cents;
    self->flows [AGG_DAY_contractual_cents] += claim->delta_contractual_cents;
    s_money (self, 0, claim->delta_paid_cents, claim->delta_contractual_cents,
             claim->delta_patient_responsibility_cents);
    self->fact.denied += claim->delta_denied_cents;
}

static int
s_adjudicated (s_apply_t *self)
{
    s_fact_t *fact = &self->fact;
    self->flows [AGG_DAY_adjudicated] += 1;
    if (self->claim->delta_paid_cents > 0)
        self->flows [AGG_DAY_paid] += 1;
    s_posting (self);
    //  The first adjudication metrics sees for a PCN stays its first:
    //  reversals, corrections and appeals never change it.
    if (fact->first_day)
        return 0;
    bool denied = s_status_is (self, "denied");
    fact->first_day = self->day;
    snprintf (fact->first, sizeof fact->first, "%s", self->claim->to_status);
    self->flows [AGG_DAY_first_adjudicated] += 1;
    self->flows [AGG_DAY_first_adjudicated_cents] += fact->charge;
    self->flows [AGG_DAY_first_denied] += denied;
    self->flows [AGG_DAY_first_denied_cents] += denied? fact->charge: 0;
    return agg_drill_put (self->store, self->txn, AGG_DRILL_FIRST, self->dims, self->day, fact->pcn, denied);
}

static int
s_reversed (s_apply_t *self)
{
    self->flows [AGG_DAY_reversed] += 1;
    s_posting (self);
    return 0;
}

//  Denials by root cause: a claim counts once per category it was denied
//  for, with the amounts of that category's reasons.
static int
s_denied (s_apply_t *self)
{
    const ClaimEvent *claim = self->claim;
    int64_t total = 0;
    for (size_t i = 0; i < claim->n_denials; i++)
        total += claim->denials [i]->amount_cents;
    self->flows [AGG_DAY_denied] += 1;
    self->flows [AGG_DAY_denied_cents] += total;
    for (size_t i = 0; i < claim->n_denials; i++) {
        const char *category = claim->denials [i]->category;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = streq (claim->denials [j]->category, category);
        if (seen)
            continue;
        int64_t cents = 0;
        for (size_t j = i; j < claim->n_denials; j++)
            if (streq (claim->denials [j]->category, category))
                cents += claim->denials [j]->amount_cents;
        int rc = s_reason_add (self, AGG_REASON_DENIAL, category, 1, cents);
        if (rc)
            return rc;
    }
    return agg_drill_put (self->store, self->txn, AGG_DRILL_DENIED, self->dims, self->day, self->fact.pcn, true);
}

//  The event states the patient's responsibility as it now stands (after
//  an adjudication it repeats what the adjudication's delta said).
static int
s_patient_balance (s_apply_t *self)
{
    s_money (self, 0, 0, 0, self->claim->patient_responsibility_cents - self->fact.patient);
    return 0;
}

static int
s_corrected (s_apply_t *self)
{
    self->flows [AGG_DAY_corrected] += 1;
    return 0;
}

//  A void cancels the claim: its charge goes. What was paid on it stays a
//  credit until the payer's reversal arrives.
static int
s_voided (s_apply_t *self)
{
    self->flows [AGG_DAY_voided] += 1;
    s_money (self, -self->fact.charge, 0, 0, 0);
    return 0;
}

//  Closing with an insurance balance still open writes it off.
static int
s_closed (s_apply_t *self)
{
    int64_t open = s_insurance_balance (&self->fact);
    self->flows [AGG_DAY_closed] += 1;
    if (open > 0) {
        self->fact.written_off += open;
        self->flows [AGG_DAY_written_off_cents] += open;
    }
    return 0;
}

static int
s_placed_only (s_apply_t *self)
{
    return 0;
}

typedef int (s_handler_fn) (s_apply_t *self);

typedef struct {
    const char *type;
    s_handler_fn *handler;
    bool remit_dated;           //  the event's day is its remit date
} s_claims_handler_t;

//  The claims stream's event types (proto/claims.proto, ClaimEvent).
static const s_claims_handler_t s_claims_handlers [] = {
    { "entered",         s_entered,         false },
    { "submitted",       s_submitted,       false },
    { "acknowledged",    s_acknowledged,    false },
    { "adjudicated",     s_adjudicated,     true },
    { "reversed",        s_reversed,        true },
    { "denied",          s_denied,          true },
    { "patient_balance", s_patient_balance, false },
    { "corrected",       s_corrected,       false },
    { "voided",          s_voided,          false },
    { "closed",          s_closed,          false },
    { "followup",        s_placed_only,     false },
    { NULL }
};

//  A claim event without the claim's number: its figures cannot go to any
//  claim, and leaving them out would change the figures without a word.
//  The stream stops on it (ADR 0009), naming it.
static int
s_no_pcn (store_t *store, const Event *event)
{
    return store_fail (store, "%s.%s #%" PRIu64 " names no PCN: refused", event->stream, event->type,
                       event->stream_seq);
}

//  A claim event's change to its claim's fact and the aggregates.
static int
s_on_claim_event (store_t *store, MDB_txn *txn, const Event *event, const s_claims_handler_t *entry,
                  const ClaimEvent *claim, metrics_batch_t *batch)
{
    if (!*claim->pcn)
        return s_no_pcn (store, event);
    s_apply_t apply = { .store = store, .txn = txn, .batch = batch, .event = event };
    s_apply_t *self = &apply;
    self->claim = claim;
    s_fact_load (self, claim->pcn);
    uint64_t time_ms = claim->time_ms? claim->time_ms: self->event->time_ms;
    self->posted = metrics_day_from_ms (time_ms);
    //  A balance change is never dated before the claim entered: a posting
    //  dated earlier (a claims clock set back, issue 10) would take the
    //  claim's balance out of A/R on days it had not yet been put in, and
    //  A/R as of those days would stay negative for good.
    if (self->fact.entered && self->posted < self->fact.entered_day)
        self->posted = self->fact.entered_day;
    self->day = entry->remit_dated? metrics_day_from_text (claim->remit_date): 0;
    if (!self->day)
        self->day = self->posted;
    int rc = 0;
    if (s_has_dims (claim->dims))
        rc = dims_intern (self->store, self->txn, claim->dims, &self->dims, self->batch);
    else
    if (self->fact.in_cohort)
        self->dims = self->fact.dims;
    else
        rc = dims_intern (self->store, self->txn, claim->dims, &self->dims, self->batch);
    if (rc == 0)
        rc = s_place (self);
    if (rc == 0)
        rc = entry->handler (self);
    if (rc == 0 && *claim->to_status)
        snprintf (self->fact.status, sizeof self->fact.status, "%s", claim->to_status);
    if (rc == 0)
        rc = s_settle (self);
    if (rc == 0)
        rc = s_day_add (self);
    if (rc == 0)
        rc = s_fact_save (self);
    return rc;
}

//  The payloads' fields the handlers read, the only ones decoded (codec.h,
//  codec_arena_decode_fields): a claim event's posting (on adjudicated,
//  reversed and denied: most of its bytes), actor, reason and the like
//  are never unpacked, nor an accepted claim's sealed claim (1.6 KB).
static const uint32_t s_claim_event_fields [] = {
    1,          //  pcn
    2,          //  dims
    4,          //  to_status
    7,          //  time_ms
    8,          //  date_of_service
    9,          //  charge_cents
    11,         //  patient_responsibility_cents
    15,         //  denials
    17,         //  remit_date
    18, 19, 20, 21,     //  delta_paid, _patient_responsibility, _contractual, _denied_cents
    22          //  acknowledgement
};
static const uint32_t s_accepted_fields [] = {
    3,          //  pcn
    4,          //  dims
    5,          //  charge_cents
    8           //  received_ms
};
#define FACTS_DECODE_STACK  8192

//  Every event of the claims stream is a ClaimEvent; its type picks the
//  handler (an unknown type changes nothing, and is not decoded).
static int
s_on_claims (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    const s_claims_handler_t *entry = s_claims_handlers;
    while (entry->type && !streq (entry->type, event->type))
        entry++;
    if (!entry->type)
        return 0;
    max_align_t buffer [FACTS_DECODE_STACK / sizeof (max_align_t)];
    codec_arena_t arena;
    codec_arena_init (&arena, buffer, sizeof buffer);
    const ClaimEvent *claim = (const ClaimEvent *) codec_arena_decode_fields (
        &arena, &claim_event__descriptor, event->payload.data, event->payload.len,
        s_claim_event_fields, sizeof s_claim_event_fields / sizeof s_claim_event_fields [0]);
    int rc = claim? s_on_claim_event (store, txn, event, entry, claim, metrics_open_batch (state))
                  : consumer_refuse_payload (store, event, &claim_event__descriptor);
    codec_arena_release (&arena);
    return rc;
}

//  --------------------------------------------------------------------------
//  Intake stream: claims received, clean or rejected by scrub

static int
s_received (s_apply_t *self, const char *pcn, const ClaimDimensions *dims, int64_t charge,
            uint64_t received_ms, bool clean)
{
    self->day = metrics_day_from_ms (received_ms? received_ms: self->event->time_ms);
    int rc = dims_intern (self->store, self->txn, dims, &self->dims, self->batch);
    if (rc == 0)
        rc = names_note (self->store, self->txn, pcn, dims);
    if (rc)
        return rc;
    self->flows [AGG_DAY_received] = 1;
    self->flows [AGG_DAY_received_cents] = charge;
    self->flows [clean? AGG_DAY_clean: AGG_DAY_rejected] = 1;
    self->flows [clean? AGG_DAY_clean_cents: AGG_DAY_rejected_cents] = charge;
    if ((rc = s_day_add (self))
    ||  (rc = agg_drill_put (self->store, self->txn, AGG_DRILL_RECEIVED, self->dims, self->day, pcn, clean)))
        return rc;
    s_fact_load (self, pcn);
    self->fact.received_dims = self->dims;
    self->fact.received_day = self->day;
    self->fact.clean = clean;
    return s_fact_save (self);
}

//  A claim with no PCN has no fact to count it under: skipped, as intake
//  rejects it anyway.
static int
s_on_accepted (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    max_align_t buffer [FACTS_DECODE_STACK / sizeof (max_align_t)];
    codec_arena_t arena;
    codec_arena_init (&arena, buffer, sizeof buffer);
    const ClaimAccepted *accepted = (const ClaimAccepted *) codec_arena_decode_fields (
        &arena, &claim_accepted__descriptor, event->payload.data, event->payload.len,
        s_accepted_fields, sizeof s_accepted_fields / sizeof s_accepted_fields [0]);
    s_apply_t self = { .store = store, .txn = txn, .batch = metrics_open_batch (state), .event = event };
    int rc;
    if (!accepted)
        rc = consumer_refuse_payload (store, event, &claim_accepted__descriptor);
    else
    if (!*accepted->pcn)
        rc = s_no_pcn (store, event);
    else
        rc = s_received (&self, accepted->pcn, accepted->dims, accepted->charge_cents,
                         accepted->received_ms, true);
    codec_arena_release (&arena);
    return rc;
}

static int
s_on_rejected (store_t *store, MDB_txn *txn, const Event *event, const void *message, void *state)
{
    const ClaimRejected *rejected = (const ClaimRejected *) message;
    s_apply_t self = { .store = store, .txn = txn, .batch = metrics_open_batch (state), .event = event };
    //  Not refused: intake rejects a claim whose CLM01 is missing (PRS001)
    //  and says so with this event, PCN "". It has no claim to follow, so
    //  none of the per-claim figures can take it.
    if (!*rejected->pcn)
        return 0;
    int rc = s_received (&self, rejected->pcn, rejected->dims, rejected->charge_cents,
                         rejected->received_ms, false);
    //  Rejections by scrub rule: a claim counts once per rule it broke.
    for (size_t i = 0; rc == 0 && i < rejected->n_errors; i++) {
        const char *rule = rejected->errors [i]->rule_id;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = streq (rejected->errors [j]->rule_id, rule);
        if (!seen)
            rc = s_reason_add (&self, AGG_REASON_REJECTION, rule, 1, rejected->charge_cents);
    }
    return rc;
}

//  denials, inquiry: no entry of their own yet, kept in step (offsets)
//  for the figures those services will publish. Work items' events may
//  ride on any stream metrics consumes, and the queues say which team
//  owns open work now (work_facts.c).
const consumer_event_t facts_events [] = {
    //  NULL: these two decode only the fields they read (s_accepted_fields, s_claim_event_fields).
    { "intake", "claim_accepted", NULL,                        s_on_accepted },
    { "intake", "claim_rejected", &claim_rejected__descriptor, s_on_rejected },
    { "claims", NULL,             NULL,                        s_on_claims },
    { "queue",  "changed",        &queue_changed__descriptor,  work_facts_on_queue },
    WORK_FACTS_EVENTS ("intake"),
    WORK_FACTS_EVENTS ("queue"),
    WORK_FACTS_EVENTS ("claims"),
    WORK_FACTS_EVENTS ("denials"),
    DENIAL_FACTS_EVENTS,
    WORK_FACTS_EVENTS ("inquiry"),
    { NULL }
};

int
metrics_apply (store_t *store, MDB_txn *txn, const Event *event, void *arg)
{
    return consumer_dispatch (facts_events, store, txn, event, arg);
}
