/*  dimensions: the payer group, location and service line of a claim, the
    words queues match on and KPIs are sliced by.

    - payer group: from SBR09, the claim filing indicator (X12's public code
      list): MB/MA/16 medicare, MC medicaid, BL bcbs, CI/HM/12-15 commercial,
      CH tricare, VA va, WC workers_comp, AM/LM liability, 09 self_pay,
      anything else other.
    - location: the service facility's NPI (2310C) when the claim names one,
      else the billing provider's NPI (2010AA): where the care happened.
    - service line: the specialty of the rendering provider's taxonomy
      (2310B PRV), else the billing provider's (2000A PRV), by a table of
      common taxonomies; an unknown taxonomy is its own service line.

    And the names shown beside the ids (not dimensions: nothing routes or
    groups by them): the location's provider name (NM103 of the NPI the
    location is), and the rendering provider (2310B NM1*82, else the
    billing provider, who renders when 2310B is absent) by NPI and name
    ("LAST, FIRST" for a person, NM103 for an organisation).
*/
#ifndef RCMQ_INTAKE_DIMENSIONS_H
#define RCMQ_INTAKE_DIMENSIONS_H

#include "claim.pb-c.h"

#include <stddef.h>

const char *dimensions_payer_group (const Claim *claim);
const char *dimensions_location (const Claim *claim);
const char *dimensions_service_line (const Claim *claim);
const char *dimensions_location_name (const Claim *claim);
const char *dimensions_provider_id (const Claim *claim);
void        dimensions_provider_name (const Claim *claim, char *buf, size_t size);
//  Earliest date of service over the lines (CCYYMMDD), "" when none.
const char *dimensions_date_of_service (const Claim *claim);

#endif
