/*  element_limits: how long each X12 element intake keeps may be, by the
    837P implementation guide (005010X222A1) and the X12 element
    dictionary, and a walk over every string of a Claim that pairs it with
    its element.

    One table states every limit (ELEMENT_LIMITS, below): a row per
    (Claim message type, field), giving the element ("NM109", "CLM01")
    and its maximum length in characters. Which loop an element sits in
    follows from where the message hangs in the Claim (payer -> 2010BB),
    from a second table. The parser tests each element against its row's
    maximum (ELEMENT_MAX) as it stores it, walks a claim that stored a
    suspect one (or whose entities did) with element_limits_walk_suspect
    when it closes, and reports LEN001 (too long) and CHR001 (control
    character or invalid UTF-8) as parse findings; a unit test checks that
    every string field of Claim has a row, so a field added to the proto
    without a limit fails the build's tests.

    Limits bound what reaches stores, events and other services: a payer id
    of 2,000 characters used to travel into metrics' keys.
*/
#ifndef RCMQ_ELEMENT_LIMITS_H
#define RCMQ_ELEMENT_LIMITS_H

#include "claim.pb-c.h"

#include <stddef.h>

//  The table of every limit: X (message type, field, element, maximum in
//  characters), a row per (Claim message type, field). element_limits.c
//  makes its rows of it; ELEMENT_MAX names one row's maximum as a
//  constant, for the parser's test as it stores an element (a row that is
//  not here does not compile).
#define ELEMENT_LIMITS(X) \
    /* Envelope and header (one per file or transaction set) */                       \
    X (Claim,       sender_qualifier,            "ISA05",                 2)          \
    X (Claim,       sender_id,                   "ISA06",                15)          \
    X (Claim,       receiver_qualifier,          "ISA07",                 2)          \
    X (Claim,       receiver_id,                 "ISA08",                15)          \
    X (Claim,       interchange_control_number,  "ISA13",                 9)          \
    X (Claim,       group_control_number,        "GS06",                  9)          \
    X (Claim,       transaction_control_number,  "ST02",                  9)          \
    X (Claim,       implementation,              "ST03",                 35)          \
    X (Claim,       bht_reference,               "BHT03",                50)          \
    X (Claim,       file_date,                   "BHT04",                 8)          \
    /* 2300 claim information */                                                      \
    X (Claim,       patient_control_number,      "2300 CLM01",           38)          \
    X (Claim,       place_of_service,            "2300 CLM05-1",          2)          \
    X (Claim,       facility_code_qualifier,     "2300 CLM05-2",          2)          \
    X (Claim,       frequency_code,              "2300 CLM05-3",          1)          \
    X (Claim,       prior_authorization,         "2300 REF02 (REF*G1)",  50)          \
    X (Claim,       payer_claim_number,          "2300 REF02 (REF*F8)",  50)          \
    X (ClaimDate,   qualifier,                   "DTP01",                 3)          \
    X (ClaimDate,   date_from,                   "DTP03",                35)          \
    X (ClaimDate,   date_to,                     "DTP03",                35)          \
    X (Diagnosis,   qualifier,                   "HI0n-1",                3)          \
    X (Diagnosis,   code,                        "HI0n-2",               30)          \
    /* NM1 entities: 1000A/B, 2010AA, 2310B, 2310C */                                 \
    X (Provider,    entity_type,                 "NM102",                 1)          \
    X (Provider,    name,                        "NM103",                60)          \
    X (Provider,    first_name,                  "NM104",                35)          \
    X (Provider,    id_qualifier,                "NM108",                 2)          \
    X (Provider,    id,                          "NM109",                80)          \
    X (Provider,    npi,                         "NM109 (NPI)",          10)          \
    X (Provider,    tax_id,                      "REF02",                50)          \
    X (Provider,    taxonomy,                    "PRV03",                50)          \
    X (Address,     line1,                       "N301",                 55)          \
    X (Address,     line2,                       "N302",                 55)          \
    X (Address,     city,                        "N401",                 30)          \
    X (Address,     state,                       "N402",                  2)          \
    X (Address,     postal_code,                 "N403",                 15)          \
    /* 2000B SBR and 2010BA subscriber */                                             \
    X (Subscriber,  payer_responsibility,        "SBR01",                 1)          \
    X (Subscriber,  relationship,                "SBR02",                 2)          \
    X (Subscriber,  group_number,                "SBR03",                50)          \
    X (Subscriber,  group_name,                  "SBR04",                60)          \
    X (Subscriber,  claim_filing_indicator,      "SBR09",                 2)          \
    X (Subscriber,  last_name,                   "NM103",                60)          \
    X (Subscriber,  first_name,                  "NM104",                35)          \
    X (Subscriber,  middle_name,                 "NM105",                25)          \
    X (Subscriber,  suffix,                      "NM107",                10)          \
    X (Subscriber,  member_id,                   "NM109",                80)          \
    X (Subscriber,  birth_date,                  "DMG02",                35)          \
    X (Subscriber,  gender,                      "DMG03",                 1)          \
    /* 2010BB payer */                                                                \
    X (Payer,       name,                        "NM103",                60)          \
    X (Payer,       payer_id,                    "NM109",                80)          \
    /* 2000C PAT and 2010CA patient */                                                \
    X (Patient,     relationship,                "PAT01",                 2)          \
    X (Patient,     last_name,                   "NM103",                60)          \
    X (Patient,     first_name,                  "NM104",                35)          \
    X (Patient,     middle_name,                 "NM105",                25)          \
    X (Patient,     suffix,                      "NM107",                10)          \
    X (Patient,     birth_date,                  "DMG02",                35)          \
    X (Patient,     gender,                      "DMG03",                 1)          \
    /* 2400 service line */                                                           \
    X (ServiceLine, procedure_qualifier,         "SV101-1",               2)          \
    X (ServiceLine, procedure_code,              "SV101-2",              48)          \
    X (ServiceLine, modifiers,                   "SV101-3..6",            2)          \
    X (ServiceLine, unit_type,                   "SV103",                 2)          \
    X (ServiceLine, units,                       "SV104",                15)          \
    X (ServiceLine, place_of_service,            "SV105",                 2)          \
    X (ServiceLine, service_date_from,           "DTP03 (DTP*472)",      35)          \
    X (ServiceLine, service_date_to,             "DTP03 (DTP*472)",      35)          \
    X (ServiceLine, line_item_control_number,    "REF02 (REF*6R)",       50)          \
    /* end */

#define S_ELEMENT_MAX(message, field, element, max) ELEMENT_MAX_##message##_##field = max,
enum { ELEMENT_LIMITS (S_ELEMENT_MAX) };
#undef S_ELEMENT_MAX
#define ELEMENT_MAX(message, field) ((size_t) ELEMENT_MAX_##message##_##field)

typedef struct {
    const char *message;        //  protobuf message name: "Provider"
    const char *field;          //  its field: "npi"
    const char *element;        //  X12 element: "NM109 (NPI)"
    size_t max;                 //  characters
} element_limit_t;

//  The row of a message type's field, or NULL.
const element_limit_t *element_limit (const char *message, const char *field);

//  Every row, for documentation and tests.
size_t                 element_limit_count (void);
const element_limit_t *element_limit_at (size_t index);

//  Where a string of the claim is: its place in the walk. The walk is on
//  every claim's path, so it formats nothing; element_site_path and
//  element_site_element do, for the few values that are reported.
typedef struct _element_site_t element_site_t;

//  The row of the value's field (NULL when the field has none).
const element_limit_t *element_site_limit (const element_site_t *site);
//  The finding's field: "lines[2].procedure_code" (indexes from 1).
void element_site_path (const element_site_t *site, char *buf, size_t size);
//  The loop and element: "2400 SV101-2", "2010BB NM109".
void element_site_element (const element_site_t *site, char *buf, size_t size);

//  Called for each non-empty string of a claim.
typedef void (element_limits_fn) (void *arg, const element_site_t *site, const char *value);

//  Walks every string field of the claim, nested messages and repeated
//  fields included, except the parser's own findings.
void element_limits_walk (const Claim *claim, element_limits_fn *fn, void *arg);
//  The same walk, calling fn only for a string that is longer than its
//  row's maximum (in bytes) or holds a byte outside printable ASCII
//  (0x20..0x7E): the ones to measure and report; the parser's check,
//  where nearly every element is plain and fits.
void element_limits_walk_suspect (const Claim *claim, element_limits_fn *fn, void *arg);

#endif
