/*  element_limits: how long each X12 element intake keeps may be, by the
    837P implementation guide (005010X222A1) and the X12 element
    dictionary, and a walk over every string of a Claim that pairs it with
    its element.

    One table states every limit: a row per (Claim message type, field),
    giving the element ("NM109", "CLM01") and its maximum length in
    characters. Which loop an element sits in follows from where the
    message hangs in the Claim (payer -> 2010BB), from a second table.
    Scrub rules LEN001 (too long) and CHR001 (control character or invalid
    UTF-8) walk the claim with element_limits_walk; a unit test checks that
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

//  Called for each non-empty string of a claim: path is the finding's field
//  ("lines[2].procedure_code", indexes from 1), element the loop and
//  element ("2400 SV101-2"), limit its row (NULL when the field has none).
typedef void (element_limits_fn) (void *arg, const char *path, const char *element,
                                  const element_limit_t *limit, const char *value);

//  Walks every string field of the claim, nested messages and repeated
//  fields included, except the parser's own findings.
void element_limits_walk (const Claim *claim, element_limits_fn *fn, void *arg);

#endif
