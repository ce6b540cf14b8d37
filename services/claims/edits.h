/*  edits: claims.Edit, the fix of a claim its payer rejected (277CA),
    which makes it ready to go out again as an original (claimedit.h).
*/
#ifndef RCMQ_CLAIMS_EDITS_H
#define RCMQ_CLAIMS_EDITS_H

#include "server.h"

extern const server_method_t claims_edit_methods [];

#endif
