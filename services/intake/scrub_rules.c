/*  scrub_rules: the scrub rule table and its check functions.

    One row per rule, in the order findings are reported. Rule ids are
    stable: reports, rejection work lists, metrics and docs/scrub-rules.md
    name rules by them, so a rule is never renumbered; a retired rule's id is
    not reused. Messages never carry PHI (names, member ids, birth dates,
    dates of service): they give codes, amounts, NPIs and day counts.
*/
#include "scrub_rules.h"
#include "clock.h"
#include "parse_837p.h"

#include <czmq.h>             //  streq

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

//  Indexes in finding fields count from 1, as LX numbers and diagnosis
//  pointers do, so "lines[2]" is the second service line.

//  CCYYMMDD -> days since 1970-01-01; -1 when not a valid date.
static int64_t
s_days (const char *date)
{
    if (!x12_valid_date (date))
        return -1;
    //  Valid means eight digits: read them directly (sscanf is a visible
    //  cost at 100,000 claims).
    int year = (date [0] - '0') * 1000 + (date [1] - '0') * 100 + (date [2] - '0') * 10 + (date [3] - '0');
    int month = (date [4] - '0') * 10 + (date [5] - '0');
    int day = (date [6] - '0') * 10 + (date [7] - '0');
    return clock_days_from_civil (year, month, day);
}

static void
s_money (int64_t cents, char *buf, size_t size)
{
    uint64_t magnitude = cents < 0? (uint64_t) 0 - (uint64_t) cents: (uint64_t) cents;
    snprintf (buf, size, "%s%" PRIu64 ".%02" PRIu64, cents < 0? "-": "",
              magnitude / 100, magnitude % 100);
}

static const char *
s_line_to (const ServiceLine *line)
{
    return *line->service_date_to? line->service_date_to: line->service_date_from;
}


//  ---------------------------------------------------------------------
//  Checks

static void
s_check_npi (scrub_ctx_t *ctx, const Provider *provider)
{
    const char *npi = provider? provider->npi: "";
    if (!*npi)
        scrub_ctx_report (ctx, NULL, "missing");
    else
    if (!scrub_npi_valid (npi))
        scrub_ctx_report (ctx, NULL, "'%s'", npi);
}

static void
s_check_billing_npi (scrub_ctx_t *ctx)
{
    s_check_npi (ctx, ctx->claim->billing_provider);
}

static void
s_check_rendering_npi (scrub_ctx_t *ctx)
{
    //  2310B is sent only when the rendering provider differs from the
    //  billing provider; when it is sent, its NPI must hold.
    if (ctx->claim->rendering_provider)
        s_check_npi (ctx, ctx->claim->rendering_provider);
}

static void
s_check_diagnosis_present (scrub_ctx_t *ctx)
{
    if (ctx->claim->n_diagnoses == 0)
        scrub_ctx_report (ctx, NULL, NULL);
}

static void
s_check_icd10 (scrub_ctx_t *ctx)
{
    const Claim *claim = ctx->claim;
    for (size_t i = 0; i < claim->n_diagnoses; i++) {
        const Diagnosis *dx = claim->diagnoses [i];
        if ((streq (dx->qualifier, "ABK") || streq (dx->qualifier, "ABF"))
        &&  !scrub_icd10cm_valid (dx->code)) {
            char field [64];
            snprintf (field, sizeof field, "diagnoses[%zu].code", i + 1);
            scrub_ctx_report (ctx, field, "'%.20s' (diagnosis %zu)", dx->code, i + 1);
        }
    }
}

//  ICD-9-CM ended for dates of service from 2015-10-01.
static void
s_check_icd9 (scrub_ctx_t *ctx)
{
    const Claim *claim = ctx->claim;
    bool late = false;
    for (size_t i = 0; i < claim->n_lines; i++)
        if (strcmp (claim->lines [i]->service_date_from, "20151001") >= 0)
            late = true;
    if (!late)
        return;
    for (size_t i = 0; i < claim->n_diagnoses; i++) {
        const Diagnosis *dx = claim->diagnoses [i];
        if (streq (dx->qualifier, "BK") || streq (dx->qualifier, "BF")) {
            char field [64];
            snprintf (field, sizeof field, "diagnoses[%zu].qualifier", i + 1);
            scrub_ctx_report (ctx, field, "qualifier %s (diagnosis %zu)", dx->qualifier, i + 1);
        }
    }
}

static void
s_check_diagnosis_used (scrub_ctx_t *ctx)
{
    const Claim *claim = ctx->claim;
    for (size_t i = 0; i < claim->n_diagnoses; i++) {
        bool used = false;
        for (size_t l = 0; l < claim->n_lines && !used; l++)
            for (size_t p = 0; p < claim->lines [l]->n_diagnosis_pointers; p++)
                used |= claim->lines [l]->diagnosis_pointers [p] == i + 1;
        if (!used) {
            char field [64];
            snprintf (field, sizeof field, "diagnoses[%zu]", i + 1);
            scrub_ctx_report (ctx, field, "diagnosis %zu", i + 1);
        }
    }
}

static void
s_check_procedure (scrub_ctx_t *ctx)
{
    const Claim *claim = ctx->claim;
    for (size_t i = 0; i < claim->n_lines; i++) {
        const ServiceLine *line = claim->lines [i];
        //  A missing code is already a parse finding (PRS007).
        if (streq (line->procedure_qualifier, "HC") && *line->procedure_code
        &&  !scrub_procedure_valid (line->procedure_code)) {
            char field [64];
            snprintf (field, sizeof field, "lines[%zu].procedure_code", i + 1);
            scrub_ctx_report (ctx, field, "'%.20s' (line %zu)", line->procedure_code, i + 1);
        }
    }
}

static void
s_check_procedure_qualifier (scrub_ctx_t *ctx)
{
    const Claim *claim = ctx->claim;
    for (size_t i = 0; i < claim->n_lines; i++) {
        const ServiceLine *line = claim->lines [i];
        if (*line->procedure_code && !streq (line->procedure_qualifier, "HC")) {
            char field [64];
            snprintf (field, sizeof field, "lines[%zu].procedure_qualifier", i + 1);
            scrub_ctx_report (ctx, field, "'%.3s' (line %zu)", line->procedure_qualifier, i + 1);
        }
    }
}

static void
s_check_modifiers (scrub_ctx_t *ctx)
{
    const Claim *claim = ctx->claim;
    for (size_t i = 0; i < claim->n_lines; i++) {
        const ServiceLine *line = claim->lines [i];
        for (size_t m = 0; m < line->n_modifiers; m++)
            if (!scrub_modifier_valid (line->modifiers [m])) {
                char field [64];
                snprintf (field, sizeof field, "lines[%zu].modifiers[%zu]", i + 1, m + 1);
                scrub_ctx_report (ctx, field, "'%.10s' (line %zu)", line->modifiers [m], i + 1);
            }
    }
}

static void
s_check_pointers (scrub_ctx_t *ctx)
{
    const Claim *claim = ctx->claim;
    for (size_t i = 0; i < claim->n_lines; i++) {
        const ServiceLine *line = claim->lines [i];
        //  The field's name is spelled only for a finding: every line of
        //  every claim comes through here.
        bool pointed = line->n_diagnosis_pointers > 0;
        for (size_t p = 0; pointed && p < line->n_diagnosis_pointers; p++)
            pointed = line->diagnosis_pointers [p] <= claim->n_diagnoses;
        if (pointed)
            continue;
        char field [64];
        snprintf (field, sizeof field, "lines[%zu].diagnosis_pointers", i + 1);
        if (line->n_diagnosis_pointers == 0)
            scrub_ctx_report (ctx, field, "line %zu has no pointer", i + 1);
        for (size_t p = 0; p < line->n_diagnosis_pointers; p++)
            if (line->diagnosis_pointers [p] > claim->n_diagnoses)
                scrub_ctx_report (ctx, field, "line %zu points to diagnosis %u, the claim has %zu",
                                  i + 1, line->diagnosis_pointers [p], claim->n_diagnoses);
    }
}

static void
s_check_total (scrub_ctx_t *ctx)
{
    const Claim *claim = ctx->claim;
    int64_t sum = 0;
    bool overflow = false;
    for (size_t i = 0; i < claim->n_lines; i++)
        overflow |= __builtin_add_overflow (sum, claim->lines [i]->charge_cents, &sum);
    if (overflow || sum != claim->total_charge_cents) {
        char total [32], lines [32];
        s_money (claim->total_charge_cents, total, sizeof total);
        s_money (sum, lines, sizeof lines);
        scrub_ctx_report (ctx, NULL, "CLM02 %s, lines sum to %s", total, overflow? "more than int64": lines);
    }
}

static void
s_check_future_service (scrub_ctx_t *ctx)
{
    const Claim *claim = ctx->claim;
    int64_t file_day = s_days (claim->file_date);
    if (file_day < 0)
        return;         //  no usable BHT04: nothing to compare with
    for (size_t i = 0; i < claim->n_lines; i++) {
        int64_t day = s_days (s_line_to (claim->lines [i]));
        if (day > file_day) {
            char field [64];
            snprintf (field, sizeof field, "lines[%zu].service_date_to", i + 1);
            scrub_ctx_report (ctx, field, "line %zu is %" PRId64 " days after the file date",
                              i + 1, day - file_day);
        }
    }
}

static void
s_check_member_id (scrub_ctx_t *ctx)
{
    if (!ctx->claim->subscriber || !*ctx->claim->subscriber->member_id)
        scrub_ctx_report (ctx, NULL, NULL);
}

static void
s_check_payer_id (scrub_ctx_t *ctx)
{
    if (!ctx->claim->payer || !*ctx->claim->payer->payer_id)
        scrub_ctx_report (ctx, NULL, NULL);
}

//  The window runs from the earliest date of service on the claim to
//  "today"; one finding per claim, at the oldest line.
static void
s_check_timely_filing (scrub_ctx_t *ctx)
{
    const Claim *claim = ctx->claim;
    int64_t oldest = -1;
    size_t oldest_line = 0;
    for (size_t i = 0; i < claim->n_lines; i++) {
        int64_t day = s_days (claim->lines [i]->service_date_from);
        if (day >= 0 && (oldest < 0 || day < oldest)) {
            oldest = day;
            oldest_line = i + 1;
        }
    }
    if (oldest < 0)
        return;
    const char *payer_id = claim->payer? claim->payer->payer_id: "";
    uint32_t window = scrub_ctx_filing_days (ctx, payer_id);
    int64_t age = ctx->today - oldest;
    if (age > (int64_t) window) {
        char field [64];
        snprintf (field, sizeof field, "lines[%zu].service_date_from", oldest_line);
        scrub_ctx_report (ctx, field, "oldest date of service is %" PRId64 " days old, payer '%.20s' allows %u",
                          age, payer_id, window);
    }
}


//  ---------------------------------------------------------------------
//  The table

#define ERROR SEVERITY__SEVERITY_ERROR
#define WARNING SEVERITY__SEVERITY_WARNING

const scrub_rule_entry_t scrub_rules [] = {
    { { "NPI001", ERROR, "billing_provider.npi",
        "billing provider NPI is missing or fails the check digit" }, s_check_billing_npi },
    { { "NPI002", ERROR, "rendering_provider.npi",
        "rendering provider NPI is missing or fails the check digit" }, s_check_rendering_npi },
    { { "DX001", ERROR, "diagnoses",
        "claim has no diagnosis code" }, s_check_diagnosis_present },
    { { "DX002", ERROR, "diagnoses.code",
        "diagnosis code is not in ICD-10-CM format" }, s_check_icd10 },
    { { "DX003", ERROR, "diagnoses.qualifier",
        "ICD-9-CM diagnosis on a claim with service on or after 2015-10-01" }, s_check_icd9 },
    { { "DX004", WARNING, "diagnoses",
        "diagnosis is not pointed to by any service line" }, s_check_diagnosis_used },
    { { "PROC001", ERROR, "lines.procedure_code",
        "procedure code is not CPT (5 digits, or 4 digits + F/T/U) or HCPCS (letter + 4 digits)" }, s_check_procedure },
    { { "PROC002", WARNING, "lines.procedure_qualifier",
        "procedure code qualifier is not HC, its format is not checked" }, s_check_procedure_qualifier },
    { { "MOD001", ERROR, "lines.modifiers",
        "procedure modifier is not 2 letters or digits" }, s_check_modifiers },
    { { "PTR001", ERROR, "lines.diagnosis_pointers",
        "diagnosis pointer does not point to a diagnosis on the claim" }, s_check_pointers },
    { { "CHG001", ERROR, "total_charge_cents",
        "claim total charge does not equal the sum of the line charges" }, s_check_total },
    { { "DOS001", ERROR, "lines.service_date_to",
        "date of service is after the file date (BHT04)" }, s_check_future_service },
    { { "MBR001", ERROR, "subscriber.member_id",
        "subscriber member id is missing" }, s_check_member_id },
    { { "PAY001", ERROR, "payer.payer_id",
        "payer id is missing" }, s_check_payer_id },
    { { "TF001", ERROR, "lines.service_date_from",
        "claim is past the payer's timely filing window" }, s_check_timely_filing },
};

const size_t scrub_rules_size = sizeof scrub_rules / sizeof scrub_rules [0];
