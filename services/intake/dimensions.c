/*  dimensions: see dimensions.h. Both mappings are tables. */
#include "dimensions.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *code;
    const char *group;
} s_payer_groups [] = {
    { "MA", "medicare" }, { "MB", "medicare" }, { "16", "medicare" },
    { "MC", "medicaid" },
    { "BL", "bcbs" },
    { "CI", "commercial" }, { "HM", "commercial" }, { "12", "commercial" },
    { "13", "commercial" }, { "14", "commercial" }, { "15", "commercial" },
    { "CH", "tricare" },
    { "VA", "va" },
    { "WC", "workers_comp" },
    { "AM", "liability" }, { "LM", "liability" },
    { "09", "self_pay" },
};

static const struct {
    const char *taxonomy;
    const char *service_line;
} s_service_lines [] = {
    { "207Q00000X", "family_medicine" },
    { "208D00000X", "general_practice" },
    { "207R00000X", "internal_medicine" },
    { "207RC0000X", "cardiology" },
    { "207RE0101X", "endocrinology" },
    { "207RG0100X", "gastroenterology" },
    { "208000000X", "pediatrics" },
    { "207V00000X", "obstetrics_gynecology" },
    { "207X00000X", "orthopaedics" },
    { "2084N0400X", "neurology" },
    { "2084P0800X", "psychiatry" },
    { "207N00000X", "dermatology" },
    { "207P00000X", "emergency_medicine" },
    { "261QU0200X", "urgent_care" },
    { "2085R0202X", "radiology" },
    { "225100000X", "physical_therapy" },
    { "208600000X", "surgery" },
    { "207W00000X", "ophthalmology" },
};

const char *
dimensions_payer_group (const Claim *claim)
{
    const char *code = claim->subscriber? claim->subscriber->claim_filing_indicator: "";
    for (size_t i = 0; code && i < sizeof s_payer_groups / sizeof s_payer_groups [0]; i++)
        if (strcmp (s_payer_groups [i].code, code) == 0)
            return s_payer_groups [i].group;
    return "other";
}

const char *
dimensions_location (const Claim *claim)
{
    if (claim->service_facility && claim->service_facility->npi && *claim->service_facility->npi)
        return claim->service_facility->npi;
    if (claim->billing_provider && claim->billing_provider->npi && *claim->billing_provider->npi)
        return claim->billing_provider->npi;
    return "unknown";
}

const char *
dimensions_location_name (const Claim *claim)
{
    //  The name of whichever provider dimensions_location took the NPI of.
    if (claim->service_facility && claim->service_facility->npi && *claim->service_facility->npi)
        return claim->service_facility->name? claim->service_facility->name: "";
    if (claim->billing_provider && claim->billing_provider->npi && *claim->billing_provider->npi)
        return claim->billing_provider->name? claim->billing_provider->name: "";
    return "";
}

//  X12 says the billing provider rendered the care when 2310B is absent.
static const Provider *
s_rendering (const Claim *claim)
{
    if (claim->rendering_provider && claim->rendering_provider->npi && *claim->rendering_provider->npi)
        return claim->rendering_provider;
    if (claim->billing_provider && claim->billing_provider->npi && *claim->billing_provider->npi)
        return claim->billing_provider;
    return NULL;
}

const char *
dimensions_provider_id (const Claim *claim)
{
    const Provider *provider = s_rendering (claim);
    return provider? provider->npi: "";
}

void
dimensions_provider_name (const Claim *claim, char *buf, size_t size)
{
    const Provider *provider = s_rendering (claim);
    const char *last = provider && provider->name? provider->name: "";
    const char *first = provider && provider->first_name? provider->first_name: "";
    snprintf (buf, size, "%s%s%s", last, *last && *first? ", ": "", first);
}

const char *
dimensions_service_line (const Claim *claim)
{
    const char *taxonomy = NULL;
    if (claim->rendering_provider && claim->rendering_provider->taxonomy
    &&  *claim->rendering_provider->taxonomy)
        taxonomy = claim->rendering_provider->taxonomy;
    else
    if (claim->billing_provider && claim->billing_provider->taxonomy
    &&  *claim->billing_provider->taxonomy)
        taxonomy = claim->billing_provider->taxonomy;
    if (!taxonomy)
        return "unspecified";
    for (size_t i = 0; i < sizeof s_service_lines / sizeof s_service_lines [0]; i++)
        if (strcmp (s_service_lines [i].taxonomy, taxonomy) == 0)
            return s_service_lines [i].service_line;
    return taxonomy;
}

const char *
dimensions_date_of_service (const Claim *claim)
{
    const char *earliest = "";
    for (size_t i = 0; i < claim->n_lines; i++) {
        const char *date = claim->lines [i]->service_date_from;
        if (date && *date && (!*earliest || strcmp (date, earliest) < 0))
            earliest = date;
    }
    return earliest;
}
