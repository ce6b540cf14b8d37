/*  corrections: claims.Correct (a replacement claim, frequency 7) and
    claims.Void (frequency 8).
*/
#ifndef RCMQ_CLAIMS_CORRECTIONS_H
#define RCMQ_CLAIMS_CORRECTIONS_H

#include "server.h"

extern const server_method_t claims_correction_methods [];

#endif
