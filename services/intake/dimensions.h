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
*/
#ifndef RCMQ_INTAKE_DIMENSIONS_H
#define RCMQ_INTAKE_DIMENSIONS_H

#include "claim.pb-c.h"

const char *dimensions_payer_group (const Claim *claim);
const char *dimensions_location (const Claim *claim);
const char *dimensions_service_line (const Claim *claim);
//  Earliest date of service over the lines (CCYYMMDD), "" when none.
const char *dimensions_date_of_service (const Claim *claim);

#endif
