/*  bench_events: see bench_events.h. */
#include "bench_events.h"
#include "clock.h"

#include <stdlib.h>

static const char *const s_payers [] = { "00435", "60054", "77027", "87726", "BRV01", "SUM22" };
static const char *const s_groups [] = { "commercial", "commercial", "medicaid", "commercial", "bcbs", "medicare" };
static const char *const s_payer_names [] = { "MEDICARE PART B", "ACME HEALTH PLAN", "STATE MEDICAID", "UNITED MUTUAL",
                                              "BLUE RIVER HEALTH", "SUMMIT SENIOR CARE" };
static const char *const s_locations [] = { "1122334455", "1199887766", "1346792585", "1582469135" };
static const char *const s_location_names [] = { "RIVERSIDE MAIN CLINIC", "RIVERSIDE WEST", "LAKESHORE DOWNTOWN",
                                                 "LAKESHORE NORTH" };
static const char *const s_lines [] = { "family-medicine", "internal-medicine", "radiology", "orthopaedics", "pediatrics" };
static const char *const s_categories [] = { "coding", "eligibility", "authorization", "medical_necessity" };

static void
s_add (bench_events_t *self, const char *stream, const char *type, const char *key,
       uint64_t time_ms, const void *payload)
{
    if (self->count == self->capacity) {
        self->capacity = self->capacity? self->capacity * 2: 4096;
        self->events = (Event **) realloc (self->events, self->capacity * sizeof (Event *));
    }
    Event event = EVENT__INIT;
    event.stream = (char *) stream;
    event.type = (char *) type;
    event.producer = "bench";
    event.stream_seq = ++self->seq [streq (stream, "claims")];
    event.producer_seq = event.stream_seq;
    event.time_ms = time_ms;
    event.key = (char *) key;
    event.payload.data = codec_pack (payload, &event.payload.len);
    size_t size;
    uint8_t *packed = codec_pack (&event, &size);
    free (event.payload.data);
    self->events [self->count++] = (Event *) codec_decode (&event__descriptor, packed, size);
    free (packed);
}

static void
s_date_x12 (uint32_t day, char *buf)
{
    char iso [16];
    metrics_day_format (day, iso, sizeof iso);
    snprintf (buf, 9, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
}

void
bench_events_make (bench_events_t *self, size_t claims, uint32_t today)
{
    unsigned seed = 42;
    for (size_t i = 0; i < claims; i++) {
        char pcn [24], dos [9], remit [9];
        snprintf (pcn, sizeof pcn, "PCN%09zu", i);
        int payer = rand_r (&seed) % 6, location = rand_r (&seed) % 4, line = rand_r (&seed) % 5;
        ClaimDimensions dims = CLAIM_DIMENSIONS__INIT;
        dims.payer_id = (char *) s_payers [payer];
        dims.payer_group = (char *) s_groups [payer];
        dims.location = (char *) s_locations [location];
        dims.payer_name = (char *) s_payer_names [payer];
        dims.location_name = (char *) s_location_names [location];
        dims.service_line = (char *) s_lines [line];
        char queue [32];
        snprintf (queue, sizeof queue, "q-%s", s_groups [payer]);
        dims.queue = queue;
        dims.owner_team = payer == 5? "acme-billing": "internal-ar";
        //  Received over the last year, claims in order of arrival.
        uint32_t received = today - BENCH_DAYS + (uint32_t) (i * BENCH_DAYS / claims);
        uint32_t service = received - 1 - rand_r (&seed) % 30;
        s_date_x12 (service, dos);
        int64_t charge = 5000 + rand_r (&seed) % 95000;
        uint64_t received_ms = ((uint64_t) received - 1) * CLOCK_MS_PER_DAY + 36000000;
        if (rand_r (&seed) % 20 == 0) {
            ClaimRejected rejected = CLAIM_REJECTED__INIT;
            ScrubFinding finding = SCRUB_FINDING__INIT, *findings [] = { &finding };
            finding.rule_id = "NPI001";
            finding.severity = SEVERITY__SEVERITY_ERROR;
            rejected.pcn = rejected.claim_id = pcn;
            rejected.dims = &dims;
            rejected.charge_cents = charge;
            rejected.received_ms = received_ms;
            rejected.n_errors = 1;
            rejected.errors = findings;
            s_add (self, "intake", "claim_rejected", pcn, received_ms, &rejected);
            continue;
        }
        ClaimAccepted accepted = CLAIM_ACCEPTED__INIT;
        accepted.pcn = accepted.claim_id = pcn;
        accepted.dims = &dims;
        accepted.charge_cents = charge;
        accepted.date_of_service = dos;
        accepted.received_ms = received_ms;
        s_add (self, "intake", "claim_accepted", pcn, received_ms, &accepted);
        ClaimEvent event = CLAIM_EVENT__INIT;
        event.pcn = pcn;
        event.dims = &dims;
        event.date_of_service = dos;
        event.charge_cents = charge;
        event.time_ms = received_ms;
        event.to_status = "ready";
        s_add (self, "claims", "entered", pcn, event.time_ms, &event);
        event.time_ms += CLOCK_MS_PER_DAY;
        event.to_status = "submitted";
        s_add (self, "claims", "submitted", pcn, event.time_ms, &event);
        //  Adjudicated 14-45 days later, unless that is still to come.
        uint32_t adjudicated = received + 14 + (uint32_t) (rand_r (&seed) % 32);
        if (adjudicated > today)
            continue;
        s_date_x12 (adjudicated, remit);
        event.time_ms = ((uint64_t) adjudicated - 1) * CLOCK_MS_PER_DAY + 36000000;
        event.remit_date = remit;
        event.first_adjudication = true;
        bool denied = rand_r (&seed) % 8 == 0;
        int64_t paid = denied? 0: charge * 6 / 10, contractual = denied? 0: charge * 3 / 10;
        int64_t patient = denied? 0: charge - paid - contractual;
        event.to_status = denied? "denied": "paid";
        event.delta_paid_cents = paid;
        event.delta_contractual_cents = contractual;
        event.delta_patient_responsibility_cents = patient;
        event.delta_denied_cents = denied? charge: 0;
        s_add (self, "claims", "adjudicated", pcn, event.time_ms, &event);
        if (denied) {
            DenialReason reason = DENIAL_REASON__INIT, *reasons [] = { &reason };
            reason.group = "CO";
            reason.carc = "16";
            reason.category = (char *) s_categories [rand_r (&seed) % 4];
            reason.amount_cents = charge;
            ClaimEvent denial = event;
            denial.n_denials = 1;
            denial.denials = reasons;
            s_add (self, "claims", "denied", pcn, event.time_ms, &denial);
        }
        else
        if (rand_r (&seed) % 25 == 0) {
            event.to_status = "reversed";
            event.first_adjudication = false;
            event.delta_paid_cents = -paid;
            event.delta_contractual_cents = -contractual;
            event.delta_patient_responsibility_cents = -patient;
            s_add (self, "claims", "reversed", pcn, event.time_ms, &event);
        }
    }
}

void
bench_events_free (bench_events_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        codec_free (self->events [i]);
    free (self->events);
    memset (self, 0, sizeof *self);
}

