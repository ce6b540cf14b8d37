/*  element_limits: how long each X12 element intake keeps may be, by the
    837P implementation guide (005010X222A1) and the X12 element
    dictionary, and a walk over every string of a Claim that pairs it with
    its element.

    One table states every limit: a row per (Claim message type, field),
    giving the element ("NM109", "CLM01") and its maximum length in
    characters. Which loop an element sits in follows from where the
    message hangs in the Claim (payer -> 2010BB), from a second table.
    The parser walks each claim with element_limits_walk when it closes
    and reports LEN001 (too long) and CHR001 (control character or invalid
    UTF-8) as parse findings; a unit test checks that
    every string field of Claim has a row, so a field added to the proto
    without a limit fails the build's tests.

    Limits bound what reaches stores, events and other services: a payer id
    of 2,000 characters used to travel into metrics' keys.
*/
#ifndef RCMQ_ELEMENT_LIMITS_H
#define RCMQ_ELEMENT_LIMITS_H

#include "claim.pb-c.h"

#include <stddef.h>

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
